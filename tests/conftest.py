"""Shared test helpers. Tests never reach the internet: servers they need run on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# The PostgreSQL server fixtures (pg_server, pg_url): started once a session, when asked for.
pytest_plugins = ("tests.pgserver",)

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
BENCHMARK = SHARED / "data" / "article-extraction-benchmark"

# Property tests check what the code does, not how fast: Hypothesis's per-example deadline is
# a timing assertion that a loaded machine fails (a round trip took over 200 ms at load 20).
settings.register_profile("newsdesk", deadline=None)
settings.load_profile("newsdesk")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite golden files from the current output (review the diff before committing)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))

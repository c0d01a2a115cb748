"""Fixtures of the rules tests: one real WordPress for the whole session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.rules.wordpress_site import Site, missing, wordpress


@pytest.fixture(scope="session")
def wordpress_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    why = missing()
    if why is not None:
        if os.environ.get("NEWSDESK_REQUIRE_WORDPRESS") == "1":
            pytest.fail(f"NEWSDESK_REQUIRE_WORDPRESS=1 but WordPress cannot run: {why}")
        pytest.skip(f"no WordPress here: {why}")
    with wordpress(tmp_path_factory.mktemp("wordpress")) as site:
        yield site

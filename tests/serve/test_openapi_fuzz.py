"""The whole OpenAPI document driven by schemathesis: every operation, a bounded number of
generated requests each (valid and invalid ones), and every answer held to the document —
no 500, only documented statuses and content types, bodies that match their schemas, and a
405 with ``Allow`` for a method an operation does not take.

No token is configured, so the writes answer 403 and nothing is ever fetched: the test
reaches no address at all (the app is called in process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from newsdesk.config import Settings
from newsdesk.serve import create_app
from newsdesk.store import open_store
from tests.serve.conftest import T0, hostile, story

EXAMPLES = 12  # per operation: the whole document runs in well under 30 s


@pytest.fixture
def api_schema(tmp_path: Path) -> Iterator[Any]:
    store = open_store(tmp_path / "fuzz.db")
    source = store.add_source("https://news.example/feed.xml", title="Example feed", now=T0)
    for n in range(1, 6):
        store.store_article(story(n), source_id=source.id, now=T0)
    store.store_article(hostile(), source_id=source.id, now=T0)
    app = create_app(Settings(db=store.path, serve_cache_mb=0), store)
    yield schemathesis.openapi.from_asgi("/api/openapi.json", app)
    store.close()


def _drive(operation: Any, mode: GenerationMode) -> None:
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    def run(case: Any) -> None:
        # A cursor is opaque (only the server's own are accepted), so "schema-valid data
        # accepted" cannot hold for it; every other check runs.
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_answers_as_documented(api_schema: Any, mode: GenerationMode) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        try:
            _drive(operation, mode)
        except hypothesis.errors.Unsatisfiable:
            # An operation with no parameters and no body has no invalid request to make.
            assert mode is GenerationMode.NEGATIVE and not list(operation.iter_parameters())

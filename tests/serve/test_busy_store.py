"""A write that meets a database it cannot use (busy past the wait, full, read-only) answers
503 with Retry-After in the API's error shape, never a bare 500."""

from __future__ import annotations

import sqlite3

import pytest

from newsdesk.errors import StoreBusyError, StoreFullError
from newsdesk.store import Store
from tests.serve.conftest import Served
from tests.serve.test_api import error_of


@pytest.mark.parametrize("error", [StoreBusyError("busy"), StoreFullError("full")])
def test_a_write_to_an_unusable_database_is_a_503(
    served: Served, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def refuse(self: Store, source_id: int) -> bool:
        raise error

    monkeypatch.setattr(Store, "delete_source", refuse)
    token = {"Authorization": "Bearer s3cret"}
    response = served.client.delete(f"/api/sources/{served.source_id}", headers=token)
    body = error_of(response, 503)
    assert body["code"] == "unavailable" and str(error) in body["message"]
    assert int(response.headers["Retry-After"]) > 0


def test_a_locked_database_is_a_store_busy_error(served: Served) -> None:
    """SQLite's "database is locked", past the busy wait, becomes StoreBusyError."""
    holder = sqlite3.connect(served.store.path)
    holder.execute("BEGIN IMMEDIATE")
    served.store._db.execute("PRAGMA busy_timeout=50")
    try:
        with pytest.raises(StoreBusyError, match="busy"):
            served.store.add_source("https://other.example/feed.xml", now=None)  # type: ignore[arg-type]
    finally:
        holder.rollback()
        holder.close()

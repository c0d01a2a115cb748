"""What the tests inspect in a store beyond what its callers need: counts and keys read
with plain, portable SQL (no SQLite function, no PRAGMA), in this one module, so that test
files hold no SQL and read any backend the store has."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from newsdesk.store import Store


def _rows(store: Store, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in store._db.execute(sql, params).fetchall()]


def _within(column: str, ids: Sequence[int] | None) -> tuple[str, list[int]]:
    if ids is None:
        return "", []
    return f" WHERE {column} IN ({','.join('?' * len(ids))})", list(ids)


def entry_statuses(store: Store, source_ids: Sequence[int] | None = None) -> dict[str, int]:
    """How many entries have each status (of these sources only, when given)."""
    where, params = _within("source_id", source_ids)
    sql = f"SELECT status, COUNT(*) FROM entries{where} GROUP BY status"
    return {status: int(count) for status, count in _rows(store, sql, params)}


def entry_outcomes(store: Store) -> dict[str, str]:
    """Each entry's title → "status:error kind" (the kind empty when there is none)."""
    rows = _rows(store, "SELECT title, status, error_kind FROM entries")
    return {title: f"{status}:{kind or ''}" for title, status, kind in rows}


def handled_entries(store: Store, source_id: int | None = None) -> int:
    """Entries no longer new (done, duplicate, fallback or failed)."""
    statuses = entry_statuses(store, None if source_id is None else [source_id])
    return sum(count for status, count in statuses.items() if status != "new")


def entry_keys(store: Store) -> set[tuple[int, str]]:
    """Every entry's (source id, GUID)."""
    return {
        (int(source), str(guid))
        for source, guid in _rows(store, "SELECT source_id, guid FROM entries")
    }


def article_count(store: Store, source_ids: Sequence[int]) -> int:
    where, params = _within("source_id", source_ids)
    return int(_rows(store, f"SELECT COUNT(*) FROM articles{where}", params)[0][0])


def distinct_keys(store: Store, column: str) -> int:
    """How many different ``url_key`` or ``text_key`` values the articles have."""
    assert column in ("url_key", "text_key")
    return int(_rows(store, f"SELECT COUNT(DISTINCT {column}) FROM articles")[0][0])


def text_keys(store: Store) -> dict[int, str]:
    """Each article's id → its text key."""
    return {int(i): str(key) for i, key in _rows(store, "SELECT id, text_key FROM articles")}


def sighting_count(store: Store) -> int:
    return int(_rows(store, "SELECT COUNT(*) FROM sightings")[0][0])

"""Copying a store into another, of either backend (``newsdesk migrate-db``): SQLite into
PostgreSQL and back, every table with its ids, resumable, verified by counts.

Tables are copied in an order their references allow, each read in its key's order in one
statement and written a page at a time (``Store.stream``: on PostgreSQL a server-side
cursor, so memory stays flat), ``ON CONFLICT DO NOTHING``: a copy stopped at any point is
taken up again where the target ends (a row already there is skipped). Ids are kept, so
links (originals, clusters, sightings, entries' articles) hold as they were; PostgreSQL's
identity sequences are moved past them. The search index is made anew on the target, in
its own dialect, from each article's record. At the end each table's rows are counted on
both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from newsdesk.errors import StoreError
from newsdesk.model import article_from_json
from newsdesk.store.sqlite import Store

# (table, key columns (the order of the copy), columns copied)
TABLES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("sources", ("id",), (
        "id", "url", "kind", "title", "site_url", "etag", "last_modified", "content_hash",
        "last_check", "next_check", "last_error_kind", "last_error", "error_count",
        "created_at", "category")),
    ("articles", ("id",), (
        "id", "url_key", "url", "source_id", "title", "published", "fetched_at", "language",
        "problem", "raw_url", "text_key", "original_id", "cluster_id", "fingerprint",
        "article_json", "body_html", "story_html")),
    ("pages", ("article_id",), ("article_id", "body")),
    ("article_revisions", ("article_id",), ("article_id", "revision")),
    ("entries", ("id",), (
        "id", "source_id", "guid", "url", "title", "published", "content", "seen_at",
        "status", "error_kind", "error", "article_id")),
    ("lsh", ("article_id", "key"), ("key", "article_id")),
    ("sightings", ("id",), ("id", "article_id", "source_id", "url", "seen_at")),
    ("fetch_log", ("id",), (
        "id", "at", "url", "source_id", "status", "outcome", "error_kind", "elapsed_ms",
        "bytes")),
    ("feed_pages", ("id",), (
        "id", "source_id", "url", "page", "failures", "last_error", "created_at")),
    ("story_df", ("key",), ("key", "docs")),
    ("rules", ("id",), (
        "id", "name", "query", "fires_on", "outlets", "enabled", "created_at")),
    ("rule_actions", ("id",), (
        "id", "rule_id", "kind", "target", "config", "disabled", "last_error")),
    ("deliveries", ("id",), (
        "id", "event_id", "rule_id", "action_id", "article_id", "event", "status",
        "attempts", "next_attempt_at", "last_error", "created_at", "delivered_at",
        "remote_id")),
)  # fmt: skip
PAGE = 1000


@dataclass(frozen=True, slots=True)
class Copied:
    """One table after the copy: its rows in the source and in the target."""

    table: str
    source_rows: int
    target_rows: int

    @property
    def complete(self) -> bool:
        return self.source_rows == self.target_rows


def _count(store: Store, table: str) -> int:
    return int(store._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _last(store: Store, table: str, key: tuple[str, ...]) -> tuple[Any, ...] | None:
    """Where the target's copy of ``table`` ends (its greatest key), None when empty."""
    order = ", ".join(f"{k} DESC" for k in key)
    row = store._db.execute(
        f"SELECT {', '.join(key)} FROM {table} ORDER BY {order} LIMIT 1"
    ).fetchone()
    return tuple(row) if row else None


def _after(key: tuple[str, ...], last: tuple[Any, ...] | None) -> tuple[str, list[Any]]:
    if last is None:
        return "", []
    if len(key) == 1:
        return f"WHERE {key[0]} > ?", [last[0]]
    # (a, b) > (x, y), spelled for both dialects; the first column's equal rows again
    return f"WHERE {key[0]} >= ?", [last[0]]


def copy_store(
    source: Store, target: Store, *, progress: Callable[[str, int], None] | None = None
) -> list[Copied]:
    """Copy every row of ``source`` into ``target`` (resuming where ``target`` ends) and
    index the copied articles for search; return each table's counts on both sides."""
    if source.path == target.path:
        raise StoreError("the source and the target are the same database")
    for table, key, columns in TABLES:
        last = _last(target, table, key)
        where, params = _after(key, last)
        order = ", ".join(key)
        names = ", ".join(columns)
        insert = (
            f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))}) "
            "ON CONFLICT DO NOTHING"
        )
        read = f"SELECT {names} FROM {table} {where} ORDER BY {order}"
        for rows in source.stream(read, params, PAGE):  # (one read a table, memory flat)
            with target.batch():
                target._db.executemany(insert, [tuple(r) for r in rows])
                if table == "articles":
                    record = columns.index("article_json")
                    for row in rows:
                        target._index_text(int(row[0]), article_from_json(row[record]))
            if progress is not None:
                progress(table, len(rows))
    target._after_copy()
    return [Copied(t, _count(source, t), _count(target, t)) for t, _, _ in TABLES]

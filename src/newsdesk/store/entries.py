"""The entries table: what feeds listed, each processed once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from newsdesk.model import Article, FeedEntry
from newsdesk.store.base import StoreBase
from newsdesk.store.records import Record, _dt, _iso, prepare_record


class EntriesTable(StoreBase):
    """Mixed into ``Store``: the entries table (what feeds listed, each processed once)."""

    def record_entries(self, source_id: int, entries: Sequence[FeedEntry], *, now: datetime) -> int:
        """Remember the entries a feed listed; return how many were new."""
        with self._tx():
            cursor = self._db.executemany(
                "INSERT INTO entries (source_id, guid, url, title, published, content, seen_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(source_id, guid) DO NOTHING",
                [
                    (source_id, e.guid, e.url, e.title, _iso(e.published), e.content, _iso(now))
                    for e in entries
                ],
            )
            return max(0, int(cursor.rowcount))  # the rows inserted, summed over the statements

    def pending_entries(
        self, *, after: int = 0, limit: int = -1
    ) -> list[tuple[int, int, FeedEntry]]:
        """Entries not processed yet: (entry id, source id, entry), oldest first; with
        ``after``, only those with a greater id, and at most ``limit`` of them (-1: all).
        Entry ids grow as entries are recorded, so a caller can page through them."""
        rows = self._db.execute(
            "SELECT id, source_id, guid, url, title, published, content FROM entries "
            "WHERE status = 'new' AND id > ? ORDER BY id LIMIT ?",
            (after, limit if limit >= 0 else 1 << 62),
        ).fetchall()
        return [
            (
                row[0],
                row[1],
                FeedEntry(
                    guid=row[2], url=row[3], title=row[4], published=_dt(row[5]), content=row[6]
                ),
            )
            for row in rows
        ]

    def still_pending(self, entry_ids: Sequence[int]) -> set[int]:
        """Those of ``entry_ids`` not processed yet (a writer's transaction run again after
        its connection was lost skips the entries its first run did commit)."""
        ids = list(dict.fromkeys(entry_ids))
        if not ids:
            return set()
        rows = self._db.execute(
            f"SELECT id FROM entries WHERE status = 'new' AND id IN ({', '.join('?' * len(ids))})",
            ids,
        ).fetchall()
        return {int(row[0]) for row in rows}

    def pending_count(self) -> int:
        """How many entries are not processed yet."""
        row = self._db.execute("SELECT COUNT(*) FROM entries WHERE status = 'new'").fetchone()
        return int(row[0])

    def store_entry_article(
        self,
        entry_id: int,
        source_id: int,
        article: Article | Record,
        *,
        raw_page: bytes | None = None,
        now: datetime,
        problem: str | None = None,
        error_kind: str | None = None,
    ) -> int:
        """Store an entry's Article (upsert by canonical URL) and mark the entry done, in one
        transaction. Returns the article id."""
        with self._tx():
            article_id = self._upsert_article(
                prepare_record(article, raw_page), source_id, now, problem
            )
            self._write(
                "UPDATE entries SET status = ?, article_id = ?, error_kind = ?, error = ? "
                "WHERE id = ?",
                (
                    "done" if problem is None else "fallback",
                    article_id,
                    error_kind,
                    problem,
                    entry_id,
                ),
            )
        return article_id

    def fail_entry(self, entry_id: int, *, error_kind: str, error: str) -> None:
        with self._tx():
            self._db.execute(
                "UPDATE entries SET status = 'failed', error_kind = ?, error = ? WHERE id = ?",
                (error_kind, error, entry_id),
            )

"""The sources table: followed feeds, their validators, schedule and health."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from newsdesk.model import Source
from newsdesk.store.base import StoreBase
from newsdesk.store.records import _iso, _source


class SourcesTable(StoreBase):
    """Mixed into ``Store``: the sources table (followed feeds, their validators, schedule
    and health)."""

    def add_source(
        self,
        url: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        site_url: str | None = None,
        category: str | None = None,
        now: datetime,
    ) -> Source:
        with self._tx():
            self._db.execute(
                "INSERT INTO sources (url, kind, title, site_url, category, next_check, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET "
                "kind = COALESCE(excluded.kind, sources.kind), "
                "title = COALESCE(excluded.title, sources.title), "
                "site_url = COALESCE(excluded.site_url, sources.site_url), "
                "category = COALESCE(excluded.category, sources.category)",
                (url, kind, title, site_url, category, _iso(now), _iso(now)),
            )
        source = self.source_by_url(url)
        assert source is not None
        return source

    def move_source(self, source_id: int, url: str) -> int | None:
        """Give source ``source_id`` the URL ``url`` (the feed found at its page). When
        another source has that URL already, nothing changes and its id is returned."""
        with self._tx():
            other = self._db.execute(
                "SELECT id FROM sources WHERE url = ? AND id <> ?", (url, source_id)
            ).fetchone()
            if other is not None:
                return int(other[0])
            self._db.execute("UPDATE sources SET url = ? WHERE id = ?", (url, source_id))
        return None

    def delete_source(self, source_id: int) -> bool:
        with self._tx():
            cursor = self._db.execute("DELETE FROM sources WHERE id = ?", (source_id,))
        return int(cursor.rowcount) > 0

    def _sources(self, where: str = "", params: Sequence[Any] = ()) -> list[Source]:
        rows = self._db.execute(
            "SELECT s.*, (SELECT COUNT(*) FROM articles a WHERE a.source_id = s.id), "
            f"s.category FROM sources s {where} ORDER BY s.id",
            params,
        ).fetchall()
        return [_source(row) for row in rows]

    def sources(self) -> list[Source]:
        return self._sources()

    def source_by_url(self, url: str) -> Source | None:
        found = self._sources("WHERE s.url = ?", (url,))
        return found[0] if found else None

    def source(self, source_id: int) -> Source | None:
        found = self._sources("WHERE s.id = ?", (source_id,))
        return found[0] if found else None

    def source_names(self) -> dict[int, str]:
        """Each source's title (else its URL), by id: cheap, without article counts."""
        rows = self._db.execute("SELECT id, COALESCE(title, url) FROM sources")
        return {int(r[0]): str(r[1]) for r in rows}

    def due_sources(self, now: datetime) -> list[Source]:
        return self._sources("WHERE s.next_check IS NULL OR s.next_check <= ?", (_iso(now),))

    def record_check(
        self,
        source_id: int,
        *,
        now: datetime,
        next_check: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
        content_hash: str | None = None,
        kind: str | None = None,
        title: str | None = None,
        site_url: str | None = None,
        error_kind: str | None = None,
        error: str | None = None,
    ) -> None:
        """After a check: validators and schedule; an error increments the error count, a
        success resets it."""
        with self._tx():
            if error_kind is None:
                self._db.execute(
                    "UPDATE sources SET last_check = ?, next_check = ?, "
                    "etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified), "
                    "content_hash = COALESCE(?, content_hash), kind = COALESCE(?, kind), "
                    "title = COALESCE(?, title), site_url = COALESCE(?, site_url), "
                    "last_error_kind = NULL, last_error = NULL, error_count = 0 WHERE id = ?",
                    (
                        _iso(now),
                        _iso(next_check),
                        etag,
                        last_modified,
                        content_hash,
                        kind,
                        title,
                        site_url,
                        source_id,
                    ),
                )
            else:
                self._db.execute(
                    "UPDATE sources SET last_check = ?, next_check = ?, last_error_kind = ?, "
                    "last_error = ?, error_count = error_count + 1 WHERE id = ?",
                    (_iso(now), _iso(next_check), error_kind, error, source_id),
                )

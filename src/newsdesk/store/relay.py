"""The relay's own state in the store: the feed pages still to read (a paged feed's walk,
kept durably so that an interruption never leaves its older pages unread), the fair order
in which pending entries are taken, savepoints (one page's failure never undoes the
others'), the relay lock (one relay per SQLite database), and what SQLite's errors mean.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from newsdesk.errors import StoreBusyError, StoreError, StoreFullError, StoreUnavailableError
from newsdesk.model import FeedEntry, Source
from newsdesk.store.base import StoreBase

__all__ = ["FeedPage", "RelayState", "relay_lock", "store_error"]

RELAY_MIGRATION = (
    "0008_feed_pages",
    """
    CREATE TABLE feed_pages (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        page INTEGER NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (source_id, url)
    );
    CREATE INDEX entries_pending ON entries(source_id, id) WHERE status = 'new';
    """,
)


@dataclass(frozen=True, slots=True)
class FeedPage:
    """A page of a paged feed (or a child of a sitemap index) still to be read."""

    id: int
    source_id: int
    url: str
    page: int  # 2, 3, ... (the first page is the source's own URL)
    failures: int = 0


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def store_error(exc: sqlite3.Error, location: str) -> StoreError:
    """SQLite's error as one of ours, saying what happened and what to do."""
    message = str(exc)
    lowered = message.lower()
    if "full" in lowered:
        return StoreFullError(
            f"the database {location} cannot grow: the disk (or its size limit) is full. "
            "Nothing was half-written; free some space and run the command again."
        )
    if "locked" in lowered or "busy" in lowered:
        return StoreBusyError(
            f"the database {location} is busy: another process held its write lock for too "
            "long. Try again in a moment."
        )
    if "unable to open" in lowered and not _writable(location):
        lowered = "readonly"
    if "readonly" in lowered or "read-only" in lowered:
        return StoreUnavailableError(
            f"the database {location} is read-only here (its file or folder cannot be "
            "written): reading commands work; run writing ones where it can be written."
        )
    if "disk i/o" in lowered:
        return StoreUnavailableError(
            f"the database {location} could not be read or written (disk I/O error): check "
            "the disk and its free space, then run the command again."
        )
    return StoreUnavailableError(f"database {location}: {message}")


def _writable(location: str) -> bool:
    """Whether the database's folder can be written (SQLite makes its journal files there)."""
    folder = Path(location).resolve().parent
    return os.access(folder, os.W_OK)


class RelayState(StoreBase):
    """Mixed into ``Store``: the relay's durable state (SQLite's way of taking work: one
    relay a database, by ``relay_lock``; ``PostgresStore`` claims it instead)."""

    def _store_error(self, exc: Exception) -> StoreError:
        assert isinstance(exc, sqlite3.Error)
        return store_error(exc, self.path)

    # -- a paged feed's walk --------------------------------------------------------------

    def queue_feed_page(self, source_id: int, url: str, page: int, *, now: datetime) -> None:
        """Remember that ``url`` (page ``page`` of a source's feed) is to be read; written in
        the transaction that records the page before it."""
        with self._tx():
            self._db.execute(
                "INSERT INTO feed_pages (source_id, url, page, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(source_id, url) DO NOTHING",
                (source_id, url, page, _iso(now)),
            )

    def feed_pages(self, source_ids: Sequence[int] | None = None) -> list[FeedPage]:
        """The pages still to be read (of the given sources), oldest first."""
        where, params = "", list(source_ids or ())
        if source_ids is not None:
            if not params:
                return []
            where = f"WHERE source_id IN ({', '.join('?' * len(params))})"
        rows = self._db.execute(
            f"SELECT id, source_id, url, page, failures FROM feed_pages {where} ORDER BY id",
            params,
        ).fetchall()
        return [FeedPage(*row) for row in rows]

    def finish_feed_page(self, source_id: int, url: str) -> None:
        """A queued page was read and its entries recorded (same transaction)."""
        with self._tx():
            self._db.execute(
                "DELETE FROM feed_pages WHERE source_id = ? AND url = ?", (source_id, url)
            )

    def fail_feed_page(self, source_id: int, url: str, *, error: str, give_up_after: int) -> bool:
        """Count a failed read of a queued page; after ``give_up_after`` failures it is
        dropped (True). Until then each pass reads it again."""
        with self._tx():
            self._db.execute(
                "UPDATE feed_pages SET failures = failures + 1, last_error = ? "
                "WHERE source_id = ? AND url = ?",
                (error[:1000], source_id, url),
            )
            row = self._db.execute(
                "SELECT failures FROM feed_pages WHERE source_id = ? AND url = ?",
                (source_id, url),
            ).fetchone()
            if row is not None and row[0] >= give_up_after:
                self.finish_feed_page(source_id, url)
                return True
        return False

    # -- pending entries, fairly ----------------------------------------------------------

    def next_pending(
        self, after: Mapping[int, int], *, per_source: int, limit: int
    ) -> list[tuple[int, int, FeedEntry]]:
        """Up to ``limit`` pending entries, taken round-robin across sources (at most
        ``per_source`` of each): each source's oldest first, past ``after[source]`` (the
        last id already taken of it; -1 skips the source).

        Each source's next ``per_source`` are found through the pending-entries index (a
        probe a source), not by ranking every pending entry: with a 100,000-entry backlog,
        0.4-0.8 ms a call instead of 50-190 ms."""
        rows = self._db.execute(
            "SELECT id, source_id, guid, url, title, published, content FROM ("
            " SELECT e.*, ROW_NUMBER() OVER (PARTITION BY e.source_id ORDER BY e.id) AS rank"
            " FROM sources s LEFT JOIN json_each(?) c ON c.key = CAST(s.id AS TEXT)"
            " JOIN entries e ON e.id IN ("
            "  SELECT x.id FROM entries x WHERE x.status = 'new' AND x.source_id = s.id"
            "  AND x.id > COALESCE(c.value, 0) ORDER BY x.id LIMIT ?)"
            " WHERE COALESCE(c.value, 0) >= 0"
            ") ORDER BY rank, source_id LIMIT ?",
            (json.dumps({str(k): v for k, v in after.items()}), per_source, limit),
        ).fetchall()
        return [
            (
                row[0],
                row[1],
                FeedEntry(
                    guid=row[2],
                    url=row[3],
                    title=row[4],
                    published=datetime.fromisoformat(row[5]) if row[5] else None,
                    content=row[6],
                ),
            )
            for row in rows
        ]

    def relay_lock(self) -> AbstractContextManager[None]:
        """The relay lock of this database (``relay_lock``)."""
        return relay_lock(self.path)

    # How long work another relay could take stays this relay's (``Settings.claim_lease``;
    # SQLite has one relay a database, and uses none of it).
    claim_lease = timedelta(minutes=15)

    def take_sources(self, sources: list[Source], now: datetime) -> list[Source]:
        """Of ``sources`` (a pass's, checked whether due or not), those this relay checks:
        on SQLite all of them (one relay a database)."""
        return sources

    def others_checking(self, now: datetime) -> bool:
        """Whether another relay is checking sources now (their entries may come): none on
        SQLite."""
        return False

    def release_claims(self) -> None:
        """Give back the work this relay took and did not finish (SQLite: none)."""

    def clear_links(self) -> None:
        """Forget every article's links (its original, its story cluster), its text key and
        LSH keys, and the story terms' document frequencies: what ``reextract`` does before
        it links every article again, in the order they were stored."""
        with self._tx():
            self._db.execute(
                "UPDATE articles SET original_id = NULL, cluster_id = NULL, text_key = NULL"
            )
            self._db.execute("DELETE FROM lsh")
            self._db.execute("DELETE FROM story_df")

    # -- one page's writes, undone alone --------------------------------------------------

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside a batch: the writes of the block are undone alone when it raises (the
        batch's other writes stay)."""
        try:
            self._db.execute("SAVEPOINT page")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK TO page")
                self._db.execute("RELEASE page")
                raise
            self._db.execute("RELEASE page")
        except self._unavailable as exc:  # full, busy, read-only: say what it means
            raise self._store_error(exc) from exc


@contextmanager
def relay_lock(location: str) -> Iterator[None]:
    """Hold the relay lock of the database at ``location``: one relay at a time writes a
    SQLite database (a second one would do the same work twice). The lock is the operating
    system's (``flock`` on ``<database>.relay.lock``), so it is let go however the holder
    ends, ``kill -9`` included. A second relay gets a ``StoreBusyError`` naming the holder."""
    if location == ":memory:" or location.startswith("file::memory:"):
        yield
        return
    path = Path(location + ".relay.lock")
    try:
        handle: IO[str] = path.open("a+", encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"cannot create the relay lock {path}: {exc}") from exc
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise StoreBusyError(
                f"another relay is running on {location} ({holder}): one relay at a time "
                "writes a SQLite database. Stop it first, or let it do the work."
            ) from None
        handle.seek(0)
        handle.truncate()
        since = datetime.now(UTC).isoformat(timespec="seconds")
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}, since {since}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

"""The SQLite store: WAL, one writer, ordered and recorded migrations, idempotent upserts.

Natural keys make every write idempotent: a source by its URL, an entry by (source, GUID),
an article by the hash of its canonical URL. An entry is processed once: it is marked done
in the same transaction that stores its article, so a process killed at any instant either
committed both or neither, and a restart finishes what was left without duplicating.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from newsdesk.errors import StoreError
from newsdesk.store.articles import ArticlesTable
from newsdesk.store.entries import EntriesTable
from newsdesk.store.links import LinksTable
from newsdesk.store.log import FetchLog
from newsdesk.store.migrations.sqlite import MIGRATIONS
from newsdesk.store.outbox import OutboxTable
from newsdesk.store.records import (
    READER_CACHE_KIB,
    READER_MMAP_BYTES,
    WRITER_CACHE_KIB,
    is_postgres,
)
from newsdesk.store.relay import RelayState, store_error
from newsdesk.store.rules import RulesTable
from newsdesk.store.search import SearchIndex, cjk_grams
from newsdesk.store.sources import SourcesTable

__all__ = ["Store", "StorePool", "open_pool", "open_reader", "open_store"]

T = TypeVar("T")


class Store(
    SourcesTable,
    EntriesTable,
    ArticlesTable,
    SearchIndex,
    LinksTable,
    FetchLog,
    RelayState,
    RulesTable,
    OutboxTable,
):
    """One SQLite database. Use from one thread (the writer); readers open their own."""

    def __init__(self, connection: sqlite3.Connection, path: str, *, writer: bool = True) -> None:
        self._db = connection
        self.path = path
        self._depth = 0
        self._writer = writer  # False: a read-only connection (``open_reader``)

    # -- set-up ---------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; return their names."""
        db = self._db
        db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        done = {row[0] for row in db.execute("SELECT name FROM schema_migrations")}
        applied = []
        # A migration may rebuild a table that others refer to (SQLite's documented way:
        # foreign keys off around the rebuild, then checked before it commits).
        enforced = db.execute("PRAGMA foreign_keys").fetchone()[0]
        db.execute("PRAGMA foreign_keys=OFF")
        try:
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                with self._tx():
                    if not db.in_transaction:  # DDL too: all of a migration or none of it
                        db.execute("BEGIN")
                    for statement in _statements(sql):
                        db.execute(statement)
                    broken = db.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(f"migration {name} broke foreign keys: {broken[:3]}")
                    db.execute(
                        "INSERT INTO schema_migrations VALUES (?, ?)",
                        (name, datetime.now(UTC).isoformat()),
                    )
                applied.append(name)
        finally:
            db.execute(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")
        return applied

    def close(self) -> None:
        self._db.close()

    def data_version(self) -> int:
        """SQLite's ``PRAGMA data_version``: it changes when another connection commits (a
        cache of what this connection read is stale then)."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    @contextmanager
    def _tx(self) -> Iterator[None]:
        """A transaction; inside ``batch()`` it joins the batch's transaction."""
        if self._depth:
            yield
            return
        self._depth += 1
        try:
            with self._db:  # commits, or rolls back on an exception
                if self._writer and not self._db.in_transaction:
                    # The write lock at once. A transaction that began by reading (a
                    # savepoint, then a SELECT) is refused it, without waiting, once another
                    # connection has committed (SQLITE_BUSY_SNAPSHOT); `newsdesk run`'s
                    # deliverer commits beside the pass's writer.
                    self._db.execute("BEGIN IMMEDIATE")
                yield
        except sqlite3.OperationalError as exc:  # full, busy, read-only: say what it means
            raise store_error(exc, self.path) from exc
        finally:
            self._depth -= 1

    def batch(self) -> AbstractContextManager[None]:
        """Group writes into one transaction (all or nothing): fewer commits, same safety —
        each entry's article and its done mark still commit together."""
        return self._tx()

    def writing_stories(self, keys: Iterable[int]) -> None:
        """Said at the start of a transaction: it writes (and decides the dedupe links of)
        only the stories with these keys. SQLite has one writer: nothing to do (PostgreSQL
        lets writers of other stories go on meanwhile)."""

    def stream(
        self, sql: str, parameters: Sequence[Any] = (), size: int = 1000
    ) -> Iterator[list[Any]]:
        """The rows of a long read (a whole table), ``size`` at a time, never all held at
        once: SQLite's cursor steps through them as they are fetched (PostgreSQL's: a
        server-side cursor)."""
        cursor = self._db.execute(sql, tuple(parameters))
        while rows := cursor.fetchmany(size):
            yield rows

    def retried_batch(self, work: Callable[[int], T]) -> T:
        """``work(attempt)`` in one transaction (``batch``), its result. On SQLite it runs
        once (attempt 0). On PostgreSQL a transaction the connection was lost under (a
        server restart) runs again from its start on a new connection, as attempt 1, 2,
        ...: ``work`` keeps nothing of an earlier attempt, and may skip what one committed
        (its commit's answer lost in flight)."""
        with self.batch():
            return work(0)


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]


def open_reader(path: str | Path) -> Store:
    """A read-only connection to an existing, migrated database (for the web server's
    threads: SQLite in WAL mode lets them read while the one writer writes). A PostgreSQL
    URL opens a ``PostgresStore`` instead (store/postgres.py)."""
    location = str(path)
    if is_postgres(location):
        from newsdesk.store.postgres import open_postgres  # noqa: PLC0415 (psycopg on demand)

        return open_postgres(location, read_only=True)
    if not Path(location).is_file():
        raise StoreError(f"no database at {location} (run `newsdesk run` or `newsdesk demo` first)")
    try:
        connection = _connect_read_only(location)
        connection.execute("PRAGMA busy_timeout=30000")
        # A reader serves random articles: a larger page cache, and the file mapped into
        # memory so a page read is a memory access rather than a system call.
        connection.execute(f"PRAGMA cache_size=-{READER_CACHE_KIB}")
        connection.execute(f"PRAGMA mmap_size={READER_MMAP_BYTES}")
        names = {r[0] for r in connection.execute("SELECT name FROM schema_migrations")}
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read database {location}: {exc}") from exc
    missing = [name for name, _ in MIGRATIONS if name not in names]
    if missing:
        connection.close()
        raise StoreError(
            f"database {location} is not up to date (missing {', '.join(missing)}): "
            "open it once with a writing command, e.g. `newsdesk sources --db ...`"
        )
    return Store(connection, location, writer=False)


def _connect_read_only(location: str) -> sqlite3.Connection:
    """A read-only connection; on a read-only file system, where SQLite cannot make the
    WAL's shared-memory file, an immutable one (the file is not being written then)."""
    uri = Path(location).resolve().as_uri()
    connection = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=30.0, check_same_thread=False)
    try:
        connection.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.OperationalError:
        connection.close()
        connection = sqlite3.connect(
            uri + "?immutable=1", uri=True, timeout=30.0, check_same_thread=False
        )
    return connection


def open_store(path: str | Path, *, create: bool = True) -> Store:
    """Open (and migrate) the database at ``path``: WAL mode, foreign keys on. A PostgreSQL
    URL (``postgresql://...``, ``postgres://...``, or libpq's ``key=value`` form) opens a
    ``PostgresStore`` on that server instead: callers never know which they have."""
    location = str(path)
    if is_postgres(location):
        from newsdesk.store.postgres import open_postgres  # noqa: PLC0415 (psycopg on demand)

        return open_postgres(location, create=create)
    if not create and location != ":memory:" and not Path(location).exists():
        raise StoreError(f"no database at {location} (run a command that creates it first)")
    try:
        connection = sqlite3.connect(location, timeout=30.0)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA busy_timeout=30000")
        connection.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
        # for migration 0013, which indexes the stored articles' unspaced scripts anew
        connection.create_function("newsdesk_grams", 1, cjk_grams, deterministic=True)
        store = Store(connection, location)
        store.migrate()
    except sqlite3.OperationalError as exc:  # full, busy, read-only: say what it means
        raise store_error(exc, location) from exc
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open database {location}: {exc}") from exc
    return store


class StorePool(Protocol):
    """Stores for a server's requests that write: ``store()`` lends one for a block."""

    def store(self) -> AbstractContextManager[Store]: ...

    def close(self) -> None: ...


class _Opened:
    """SQLite's: a connection opened for each block and closed after (a file: opening one
    is cheap, and one writer at a time holds the database's write lock anyway)."""

    def __init__(self, path: str) -> None:
        self.path = path

    @contextmanager
    def store(self) -> Iterator[Store]:
        store = open_store(self.path)
        try:
            yield store
        finally:
            store.close()

    def close(self) -> None:
        return None


def open_pool(location: str | Path, size: int) -> StorePool:
    """The stores a server's writing requests use: on PostgreSQL a pool of at most
    ``size`` connections kept open (``PgPool``); on SQLite a connection each time."""
    where = str(location)
    if is_postgres(where):
        from newsdesk.store.postgres import PgPool  # noqa: PLC0415 (psycopg on demand)

        return PgPool(where, size)
    return _Opened(where)

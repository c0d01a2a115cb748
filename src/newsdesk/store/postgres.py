"""The PostgreSQL store (psycopg 3): the same tables, keys, upserts and Outcomes as SQLite,
for an archive that outgrows one file and for several relay processes on one database.

``PostgresStore`` is a ``Store``: the shared mixins run their SQL on a ``PgConnection``
(``?`` placeholders become psycopg's), and this module overrides what differs: the
connection and its transactions, the recorded migrations (migrations/postgres.py), the
errors, search (pgsearch.py), and taking work. Where SQLite lets one relay write a database
(its relay lock), here several share one: pending entries are claimed with ``FOR UPDATE
SKIP LOCKED`` and a lease (``claimed_until``) that another process may take over once it
expires (a relay killed mid-pass); due sources are claimed by moving their next check a
lease ahead, which ``record_check`` then sets for real. Writes are serialised by a
transaction-level advisory lock, so the dedupe's decisions (original, story cluster) are
made as by one writer, while fetching and extracting run in every process at once.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import operator
import os
import re
import socket
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import TracebackType
from typing import Any, TypeVar

import psycopg
import psycopg.errors
from psycopg import pq

from newsdesk.errors import (
    StoreBusyError,
    StoreError,
    StoreFullError,
    StoreUnavailableError,
)
from newsdesk.model import FeedEntry, Source
from newsdesk.store.migrations.postgres import MIGRATIONS
from newsdesk.store.pgsearch import UPSERT_SEARCH, PgSearch, search_document
from newsdesk.store.records import (
    _WHEN,
    LSH_PER_KEY,
    DedupeRow,
    LshMatch,
    Record,
    _dedupe_row,
    _dt,
    _iso,
    _record_values,
)
from newsdesk.store.sqlite import Store

__all__ = ["PgConnection", "PgPool", "PostgresStore", "open_postgres"]

log = logging.getLogger(__name__)
T = TypeVar("T")

# A due source's next check moves this far ahead when a relay claims it (the check sets it
# for real). Entries, and the sources a `run --once` takes, are leased for ``claim_lease``
# (the claim_lease setting, 15 minutes by default).
SOURCE_LEASE = timedelta(minutes=10)
# Every writing transaction holds this advisory lock ("news"): exclusively, unless it said
# which stories it writes (``writing_stories``: the relay's batches); then shared, with an
# exclusive lock on each of those stories' keys. So a writer that did not say (a command,
# the API) has the database to itself, as before, and two relays' writers overlap except
# where their pages' stories meet.
WRITE_LOCK = 0x6E657773
VERSION_SLOTS = 16  # store_version's rows: a writer moves its connection's (migration 0006)
MIGRATE_LOCK = 0x6E657774
_IDENTITY_TABLES = (
    "sources", "articles", "entries", "sightings", "fetch_log", "feed_pages", "rules",
    "rule_actions", "deliveries",
)  # fmt: skip
CONNECT_TIMEOUT = 10  # seconds
IDLE_CHECK = 2.0  # seconds idle after which a connection is checked before it is used
# A connection lost (a server restart, a failover, a dropped link) is opened again, with a
# growing pause between tries, for up to RECONNECT_SECONDS; a transaction it broke is run
# again from its start, up to WRITE_ATTEMPTS times in all.
RECONNECT_SECONDS = 60.0
RECONNECT_PAUSES = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)  # then 4 s each
WRITE_ATTEMPTS = 5
POOL_WAIT = 10.0  # seconds a request waits for a free connection of a server's pool
POOL_NAME = "newsdesk serve"  # the pool's connections' application_name


@lru_cache(maxsize=1024)
def _pg_sql(sql: str) -> str:
    """sqlite3's ``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled). The
    store's SQL has no ``?`` inside a string literal."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgConnection:
    """A psycopg connection with the surface of ``sqlite3.Connection`` that the mixins
    use (``execute``, ``executemany``, cursors with ``fetchone``/``fetchall``/``rowcount``).
    In autocommit mode: a transaction is only ever what ``PostgresStore._tx`` opens."""

    def __init__(
        self,
        connection: psycopg.Connection[Any],
        reconnect: Callable[[], psycopg.Connection[Any]] | None = None,
    ) -> None:
        self.raw = connection
        self.reconnect = reconnect
        self.busy = False  # a transaction is open: a lost connection cannot be replaced
        self.used = time.monotonic()
        # statements whose results are not read, to go with the next one (``defer``)
        self.queued: list[tuple[str, Any]] = []
        # an article's text key and fingerprint not yet written (``hold``)
        self.held: tuple[int, str | None, bytes] | None = None

    def hold(self, article_id: int, text_key: str | None, fingerprint: bytes) -> None:
        """Write an article's text key and fingerprint with its links (``take_held``), in
        one UPDATE of its row instead of two: each is a new version of the row, with an
        entry in every index of ``articles``. Any statement sent first but those that do
        not read them (``keep``) sends them first."""
        self.release_held()
        self.held = (article_id, text_key, fingerprint)

    def take_held(self) -> tuple[int, str | None, bytes] | None:
        held, self.held = self.held, None
        return held

    def release_held(self) -> None:
        """The held text key and fingerprint, queued as an UPDATE of their own."""
        held = self.take_held()
        if held is not None:
            article_id, text_key, fingerprint = held
            self.defer(
                "UPDATE articles SET text_key = ?, fingerprint = ? WHERE id = ?",
                (text_key, fingerprint, article_id),
            )

    @property
    def in_transaction(self) -> bool:
        return bool(self.queued) or self.raw.info.transaction_status != pq.TransactionStatus.IDLE

    def defer(self, sql: str, parameters: Any = (), /) -> tuple[str, Any]:
        """Send ``sql`` (a write whose result is not read, in a transaction) with the next
        statement sent, in one pipeline: one round trip for both. An error in it is raised
        by that statement's ``execute`` (or by ``send``). The queued entry, to find it."""
        entry = (_pg_sql(sql), _params(parameters))
        self.queued.append(entry)
        return entry

    def send(
        self,
        sql: str | None = None,
        parameters: Any = (),
        /,
        *,
        keep: bool = False,
        prepare: bool | None = None,
    ) -> psycopg.Cursor[Any] | None:
        """The queued statements, then ``sql`` (if any), in one round trip; its cursor.
        ``keep``: ``sql`` does not read the held text key and fingerprint (``hold``)."""
        if not keep:
            self.release_held()
        queued, self.queued = self.queued, []
        if not queued:
            if sql is None:
                return None
            return self.raw.execute(_pg_sql(sql), _params(parameters), prepare=prepare)
        with self.raw.pipeline():
            for statement, params in queued:
                self.raw.execute(statement, params)
            if sql is None:
                return None
            cursor = self.raw.execute(_pg_sql(sql), _params(parameters), prepare=prepare)
        return cursor

    @property
    def lost(self) -> bool:
        """The server is gone from under this connection (restarted, dropped): what was not
        committed on it is not, and a new connection is needed."""
        return self.raw.closed or self.raw.broken

    def fresh(self) -> None:
        """Between transactions, a connection the server dropped (a restart, a failover) is
        replaced by a new one: the next statement or transaction runs on that. One idle for
        a while is asked first (a round trip) whether it is still there."""
        if self.busy or self.reconnect is None:
            return
        now = time.monotonic()
        if not self.raw.broken and not self.raw.closed and now - self.used > IDLE_CHECK:
            with contextlib.suppress(psycopg.OperationalError):
                self.raw.execute("SELECT 1")
        if self.lost:
            self.replace()
        self.used = now

    def replace(self) -> None:
        """A new connection in place of a lost one: tried again with a growing pause while
        the server is away (restarting, not yet accepting), for up to RECONNECT_SECONDS;
        then the last refusal, saying the server stayed away."""
        assert self.reconnect is not None
        with contextlib.suppress(psycopg.Error):
            self.raw.close()
        deadline = time.monotonic() + RECONNECT_SECONDS
        for attempt in itertools.count():
            try:
                self.raw = self.reconnect()
            except StoreUnavailableError as exc:
                pause = RECONNECT_PAUSES[min(attempt, len(RECONNECT_PAUSES) - 1)]
                if time.monotonic() + pause > deadline:
                    raise StoreUnavailableError(
                        f"lost the connection to PostgreSQL and could not connect again for "
                        f"{RECONNECT_SECONDS:.0f} s: {exc}"
                    ) from exc
                if attempt == 0:
                    log.warning("PostgreSQL connection lost; connecting again (%s)", exc)
                time.sleep(pause)
            else:
                if attempt:
                    log.warning("PostgreSQL connection back after %d tries", attempt + 1)
                self.used = time.monotonic()
                return

    def execute(
        self, sql: str, parameters: Any = (), /, *, keep: bool = False, prepare: bool | None = None
    ) -> psycopg.Cursor[Any]:
        if not keep:
            self.release_held()
        if self.queued:
            cursor = self.send(sql, parameters, keep=True, prepare=prepare)
            assert cursor is not None
            return cursor
        self.fresh()
        try:
            return self.raw.execute(_pg_sql(sql), _params(parameters), prepare=prepare)
        except psycopg.OperationalError:
            if self.busy or self.reconnect is None or not self.lost:
                raise
            self.fresh()  # outside a transaction: the statement again, once, on a new one
            return self.raw.execute(_pg_sql(sql), _params(parameters), prepare=prepare)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> psycopg.Cursor[Any]:
        self.send()
        self.fresh()
        cursor = self.raw.cursor()
        rows = [_params(p) for p in parameters]
        if rows:  # psycopg sends them in one pipeline (one round trip, not one a row)
            cursor.executemany(_pg_sql(sql), rows)
        return cursor

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> PgConnection:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> None:
        return None


def _params(parameters: Any) -> Any:
    if isinstance(parameters, Mapping):
        return parameters
    return tuple(parameters)


def _describe(location: str) -> str:
    """The database's location without its password, for messages."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", location)


def _connect(location: str, *, read_only: bool = False) -> psycopg.Connection[Any]:
    options = "-c default_transaction_read_only=on" if read_only else None
    try:
        kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": CONNECT_TIMEOUT}
        if options:
            kwargs["options"] = options
        return psycopg.connect(location, **kwargs)
    except psycopg.ProgrammingError as exc:  # a URL or key=value string libpq cannot read
        raise StoreError(f"not a PostgreSQL location: {_describe(location)}: {exc}") from exc
    except psycopg.OperationalError as exc:
        raise _connect_error(exc, location) from exc


def _connect_error(exc: psycopg.Error, location: str) -> StoreError:
    where = _describe(location)
    message = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    lowered = str(exc).lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return StoreUnavailableError(
            f"PostgreSQL at {where} refused the credentials: {message}. Check the user and "
            "password in the URL (or PGUSER/PGPASSWORD, ~/.pgpass)."
        )
    if "does not exist" in lowered and "database" in lowered:
        return StoreUnavailableError(
            f"PostgreSQL at {where}: {message}. Create it first (createdb NAME)."
        )
    return StoreUnavailableError(
        f"cannot reach PostgreSQL at {where}: {message}. Is the server running and listening there?"
    )


def pg_store_error(exc: Exception, location: str) -> StoreError:
    """psycopg's error as one of ours, saying what happened and what to do."""
    where = _describe(location)
    if isinstance(exc, psycopg.errors.DiskFull):
        return StoreFullError(
            f"PostgreSQL at {where} cannot grow: its disk is full. Nothing was half-written; "
            "free some space and run the command again."
        )
    if isinstance(exc, psycopg.errors.LockNotAvailable | psycopg.errors.DeadlockDetected):
        return StoreBusyError(f"PostgreSQL at {where} is busy ({exc}): try again in a moment.")
    if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction):
        return StoreUnavailableError(
            f"PostgreSQL at {where} is read-only here: reading commands work; run writing "
            "ones with a user and server that can write."
        )
    return StoreUnavailableError(f"PostgreSQL at {where}: {exc}")


class PostgresStore(PgSearch, Store):
    """One PostgreSQL database; one connection, used from one thread (readers open their
    own, as on SQLite)."""

    _unavailable = (psycopg.OperationalError, psycopg.errors.DiskFull)
    _key_taken = (psycopg.errors.IntegrityError,)

    def __init__(
        self,
        connection: psycopg.Connection[Any],
        location: str,
        *,
        read_only: bool = False,
        pooled: bool = False,
    ) -> None:
        # a pooled connection is the pool's: it checks it and opens new ones; not closed here
        reconnect = None if pooled else lambda: _connect(location, read_only=read_only)
        self._pg = PgConnection(connection, reconnect)
        self._pooled = pooled
        super().__init__(self._pg, location)  # type: ignore[arg-type]
        self._db = self._pg
        self._worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._story_terms: dict[int, int] = {}  # this transaction's, not yet written
        self._df_window = 0
        self._lock: tuple[str, Any] | None = None  # the queued write lock, until sent
        # a store dropped unclosed gives its connection back (before the driver's own
        # finaliser would warn of it, even when the store dies in a reference cycle)
        if not pooled:
            weakref.finalize(self, self._pg.close)

    # -- set-up ---------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded, all in one transaction under an advisory
        lock (two processes starting at once migrate once); return their names."""
        raw = self._pg.raw
        applied: list[str] = []
        try:
            with raw.transaction():
                raw.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
                raw.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(name TEXT PRIMARY KEY, applied_at TEXT)"
                )
                done = {r[0] for r in raw.execute("SELECT name FROM schema_migrations")}
                _refuse_newer(done, self.path)
                for name, sql in MIGRATIONS:
                    if name in done:
                        continue
                    raw.execute(sql)
                    raw.execute(
                        "INSERT INTO schema_migrations VALUES (%s, %s)",
                        (name, datetime.now(UTC).isoformat()),
                    )
                    applied.append(name)
        except psycopg.errors.InsufficientPrivilege as exc:
            raise StoreError(
                f"PostgreSQL at {_describe(self.path)}: the user may not create the tables "
                f"({exc}); run newsdesk once as the database's owner."
            ) from exc
        except psycopg.Error as exc:
            raise pg_store_error(exc, self.path) from exc
        return applied

    def data_version(self) -> int:
        """A number that changes when a writing transaction commits (``store_version``,
        moved by each, under the write lock): a reader's cache of what it read is stale
        then."""
        row = self._db.execute("SELECT SUM(n) FROM store_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    @contextmanager
    def _tx(self) -> Iterator[None]:
        """A transaction holding the write lock; inside ``batch()`` it joins the batch's."""
        if self._depth:
            yield
            return
        self._depth += 1
        pg = self._pg
        try:
            pg.fresh()
            pg.busy = True
            # BEGIN, the lock and the version go with the transaction's first statement
            # (one round trip); a transaction that sent none is no round trip at all
            self._story_terms = {}
            opening = [
                pg.defer("BEGIN"),
                pg.defer("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,)),
                pg.defer(
                    "UPDATE store_version SET n = n + 1 WHERE slot = pg_backend_pid() % ?",
                    (VERSION_SLOTS,),
                ),
            ]
            begin, self._lock = opening[0], opening[1]
            try:
                yield
                pg.release_held()
                self._count_story_terms()
                if len(pg.queued) == 3 and all(map(operator.is_, pg.queued, opening)):
                    pg.queued.clear()  # nothing was sent, nothing written
                else:
                    pg.send("COMMIT")  # with the writes still queued
            except BaseException:
                sent = not (pg.queued and pg.queued[0] is begin)
                pg.queued.clear()
                pg.held = None
                if sent and not pg.lost:
                    with contextlib.suppress(psycopg.Error):
                        pg.raw.execute("ROLLBACK")
                raise
        except self._unavailable as exc:
            raise self._store_error(exc) from exc
        finally:
            pg.queued.clear()
            pg.held = None
            pg.busy = False
            self._story_terms = {}
            self._lock = None
            self._depth -= 1

    def writing_stories(self, keys: Iterable[int]) -> None:
        """Said at the start of a transaction (before its first statement): it writes, and
        decides the dedupe links of, only the stories with these keys (their LSH bucket and
        probe keys, their text keys' hashes). It takes the write lock shared, and each key's
        advisory lock exclusively, all in one statement in ascending order (two writers
        never wait for each other in a cycle): another writer of those stories waits; one
        of other stories goes on at once. No keys: the transaction decides no links (a
        feed's check). Said later, or outside a transaction, it changes nothing (the lock
        is exclusive then)."""
        pg = self._pg
        at = next((i for i, e in enumerate(pg.queued) if e is self._lock), None)
        if at is None:
            return
        locks = sorted(set(keys))
        pg.queued[at] = self._lock = (
            _pg_sql(
                "SELECT pg_advisory_xact_lock_shared(?), "
                "(SELECT COUNT(pg_advisory_xact_lock(k)) FROM unnest(?::bigint[]) AS k)"
            ),
            (WRITE_LOCK, locks),
        )

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """As on SQLite (the block's writes undone alone when it raises), with the
        SAVEPOINT sent with the block's first statement, and the block's queued writes
        sent with its RELEASE at its end (an error in one is the block's)."""
        pg = self._pg
        tally = dict(self._story_terms)
        try:
            pg.release_held()  # what is held before the block is not the block's
            mark = pg.defer("SAVEPOINT page")
            try:
                yield
                pg.release_held()
                if pg.queued and pg.queued[-1] is mark:
                    pg.queued.pop()  # the block sent nothing and queued nothing
                else:
                    pg.send("RELEASE page")
            except BaseException:
                pg.held = None  # the block's, never sent
                self._story_terms = tally  # the block's story terms are not counted
                at = next((i for i, e in enumerate(pg.queued) if e is mark), None)
                if at is not None:
                    del pg.queued[at:]  # never sent: nothing to undo
                else:
                    pg.queued.clear()
                    pg.defer("ROLLBACK TO page")
                    pg.send("RELEASE page")
                raise
        except self._unavailable as exc:  # full, busy, read-only: say what it means
            raise self._store_error(exc) from exc

    def _write(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        """A write whose result is not read: sent with the transaction's next statement."""
        self._pg.defer(sql, parameters)

    def retried_batch(self, work: Callable[[int], T]) -> T:
        """``work(attempt)`` in one transaction, run again from its start on a new
        connection when the connection was lost before it committed (a server restart, a
        dropped link): up to WRITE_ATTEMPTS times, each new connection waited for up to
        RECONNECT_SECONDS. The writes are upserts by natural keys and an entry is marked
        done with its article, so a transaction whose commit was lost in flight (it may
        have committed) stores nothing twice when run again; ``attempt`` > 0 lets the
        caller skip what is done already."""
        if self._depth:  # inside a batch: the batch is what runs again
            return work(0)
        return self._again(work, self.batch)

    def _again(
        self, work: Callable[[int], T], transaction: Callable[[], AbstractContextManager[Any]]
    ) -> T:
        for attempt in itertools.count():
            try:
                with transaction():
                    return work(attempt)
            except Exception as exc:
                lost, deadlock = self._pg.lost, _deadlock(exc)
                if not lost and not deadlock:
                    raise
                if attempt + 1 >= WRITE_ATTEMPTS:
                    what = "the connection was lost" if lost else "a deadlock ended it"
                    raise StoreUnavailableError(
                        f"PostgreSQL at {_describe(self.path)}: {what} {WRITE_ATTEMPTS} times "
                        f"in one transaction ({exc}); nothing of it is stored. Check the "
                        "server and the network, then run the command again."
                    ) from exc
                if lost:
                    log.warning(
                        "PostgreSQL connection lost in a transaction (%s): running it again", exc
                    )
                    self._pg.replace()
                else:  # another writer's transaction waited on this one's rows, and it on its
                    log.info("PostgreSQL deadlock (%s): running the transaction again", exc)
                    time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def _store_error(self, exc: Exception) -> StoreError:
        return pg_store_error(exc, self.path)

    @staticmethod
    def _json_text(column: str, key: str) -> str:
        return f"({column}::jsonb ->> '{key}')"

    def relay_lock(self) -> AbstractContextManager[None]:
        """No lock: several relays share a PostgreSQL database (they claim their work)."""
        return nullcontext()

    # -- taking work, shared between processes --------------------------------------------

    @contextmanager
    def _claiming(self) -> Iterator[None]:
        """A transaction of its own (without the write lock) for claiming work."""
        self._pg.send()
        self._pg.fresh()
        try:
            with self._pg.raw.transaction():
                yield
        except self._unavailable as exc:
            raise self._store_error(exc) from exc

    def _claim(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """The rows of a claiming statement, in a transaction of its own, run again on a
        new connection when the connection was lost (the claim then was not made)."""
        return self._again(lambda _: self._pg.raw.execute(sql, params).fetchall(), self._claiming)

    def due_sources(self, now: datetime) -> list[Source]:
        """The sources due for a check, claimed: their next check moves a lease ahead (the
        check sets it for real), so another relay does not check them meanwhile."""
        rows = self._claim(
            "UPDATE sources SET next_check = %s WHERE id IN (SELECT id FROM sources "
            "WHERE next_check IS NULL OR next_check <= %s ORDER BY id "
            "FOR UPDATE SKIP LOCKED) RETURNING id",
            (_iso(now + SOURCE_LEASE), _iso(now)),
        )
        if not rows:
            return []
        ids = sorted(int(r[0]) for r in rows)
        return self._sources(f"WHERE s.id IN ({', '.join('?' * len(ids))})", ids)

    def next_pending(
        self, after: Mapping[int, int], *, per_source: int, limit: int
    ) -> list[tuple[int, int, FeedEntry]]:
        """As on SQLite (round-robin across sources, past ``after``), and claimed: each
        entry returned is leased to this store for ``claim_lease``; entries another relay
        holds (locked now, or leased and not expired) are skipped."""
        now = datetime.now(UTC)
        keys = [int(k) for k in after]
        rows = self._claim(
            "WITH taken AS (SELECT * FROM unnest(%s::bigint[], %s::bigint[]) "
            " AS t(source_id, last)), "
            "picked AS (SELECT e.id, e.source_id, "
            " row_number() OVER (PARTITION BY e.source_id ORDER BY e.id) AS rank "
            " FROM sources s LEFT JOIN taken c ON c.source_id = s.id "
            " CROSS JOIN LATERAL (SELECT x.id, x.source_id FROM entries x "
            "  WHERE x.status = 'new' AND x.source_id = s.id "
            "  AND x.id > COALESCE(c.last, 0) "
            "  AND (x.claimed_until IS NULL OR x.claimed_until < %s OR x.claimed_by = %s) "
            "  ORDER BY x.id LIMIT %s FOR UPDATE SKIP LOCKED) e "
            " WHERE COALESCE(c.last, 0) >= 0), "
            "chosen AS (SELECT id, rank FROM picked ORDER BY rank, source_id LIMIT %s) "
            "UPDATE entries SET claimed_by = %s, claimed_until = %s FROM chosen "
            "WHERE entries.id = chosen.id RETURNING entries.id, entries.source_id, "
            "entries.guid, entries.url, entries.title, entries.published, "
            "entries.content, chosen.rank",
            (
                keys,
                [int(after[k]) for k in after],
                _iso(now),
                self._worker,
                per_source,
                limit,
                self._worker,
                _iso(now + self.claim_lease),
            ),
        )
        rows.sort(key=lambda r: (r[7], r[1]))
        return [
            (
                int(r[0]),
                int(r[1]),
                FeedEntry(guid=r[2], url=r[3], title=r[4], published=_dt(r[5]), content=r[6]),
            )
            for r in rows
        ]

    def take_sources(self, sources: list[Source], now: datetime) -> list[Source]:
        """Of ``sources`` (a `run --once`'s: every source, due or not), those no other relay
        is checking, leased to this one for ``claim_lease`` (until ``release_claims``):
        two relays do not both fetch a feed."""
        if not sources:
            return []
        rows = self._claim(
            "UPDATE sources SET checking_by = %s, checking_until = %s WHERE id IN ("
            "SELECT id FROM sources WHERE id = ANY(%s::bigint[]) AND (checking_until IS NULL "
            "OR checking_until < %s OR checking_by = %s) ORDER BY id FOR UPDATE SKIP LOCKED) "
            "RETURNING id",
            (
                self._worker,
                _iso(now + self.claim_lease),
                [s.id for s in sources],
                _iso(now),
                self._worker,
            ),
        )
        taken = {int(r[0]) for r in rows}
        return [s for s in sources if s.id in taken]

    def others_checking(self, now: datetime) -> bool:
        """Whether another relay holds sources it is checking (lease not ended): the
        entries of their feeds may still come."""
        row = self._db.execute(
            "SELECT EXISTS (SELECT 1 FROM sources WHERE checking_by != ? AND checking_until >= ?)",
            (self._worker, _iso(now)),
        ).fetchone()
        return bool(row[0])

    def release_claims(self) -> None:
        """Give back the entries and sources this store took and did not finish (a pass
        that ended or stopped): another relay may take them at once, not after the lease."""
        self._again(
            lambda _: self._pg.send(
                "WITH s AS (UPDATE sources SET checking_by = NULL, checking_until = NULL "
                "WHERE checking_by = ?) "
                "UPDATE entries SET claimed_by = NULL, claimed_until = NULL "
                "WHERE claimed_by = ? AND status = 'new'",
                (self._worker, self._worker),
            ),
            self._claiming,
        )

    def _upsert_article(
        self, record: Record, source_id: int | None, now: datetime, problem: str | None
    ) -> int:
        """As the articles mixin's (the record upserted by its URL key, its raw page kept,
        its search row made, its revision counted), in one statement: one round trip."""
        document, document_params = search_document(record.article)
        page = ""
        page_params: list[Any] = []
        if record.page is not None:
            page = (
                "p AS (INSERT INTO pages (article_id, body) SELECT id, ? FROM a "
                "ON CONFLICT (article_id) DO UPDATE SET body = excluded.body), "
            )
            page_params = [record.page]
        row = self._db.execute(
            "WITH a AS (INSERT INTO articles (url_key, url, source_id, title, published, "
            "language, article_json, raw_url, fetched_at, problem, body_html, story_html) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(url_key) DO UPDATE SET article_json = excluded.article_json, "
            "title = excluded.title, published = excluded.published, "
            "language = excluded.language, problem = excluded.problem, "
            "body_html = excluded.body_html, story_html = excluded.story_html RETURNING id), "
            f"{page}"
            "s AS (INSERT INTO article_search (article_id, config, title, body, tsv) "
            f"SELECT a.id, {document} FROM a {UPSERT_SEARCH}), "
            "r AS (INSERT INTO article_revisions (article_id, revision) SELECT id, 1 FROM a "
            "ON CONFLICT (article_id) DO UPDATE SET revision = article_revisions.revision + 1) "
            "SELECT id FROM a",
            (
                record.url_key,
                *_record_values(record, source_id),
                _iso(now),
                problem,
                record.body_html,
                record.story_html,
                *page_params,
                *document_params,
            ),
        ).fetchone()
        return int(row[0])

    def _after_copy(self) -> None:
        """Each identity sequence moves past the greatest id copied in."""
        with self._tx():
            for table in _IDENTITY_TABLES:
                self._db.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )

    # -- bulk writes as one statement over arrays (one round trip, not one a row) ---------

    def save_fingerprint(
        self, article_id: int, *, text_key: str | None, fingerprint: bytes, keys: Sequence[int]
    ) -> None:
        """As the links mixin's, its LSH keys in one statement sent with the next (kept,
        dropped and added as one set: the rows a DELETE and an INSERT of one statement
        touch must not overlap); the text key and fingerprint held to go with the
        article's links (``PgConnection.hold``): one new version of its row, not two."""
        with self._tx():
            self._write(
                "WITH k AS (SELECT DISTINCT unnest(?::bigint[]) AS key), "
                "d AS (DELETE FROM lsh WHERE article_id = ? AND key NOT IN (SELECT key FROM k)) "
                "INSERT INTO lsh (key, article_id) SELECT key, ? FROM k ON CONFLICT DO NOTHING",
                (list(keys), article_id, article_id),
            )
            self._pg.hold(article_id, text_key, fingerprint)

    def set_links(self, links: dict[int, tuple[int | None, int | None]]) -> None:
        """As the links mixin's, in one statement over arrays, sent with the next; with the
        text key and fingerprint held for one of the articles (``save_fingerprint``).
        A row whose links do not change is not written (a new version of it would be)."""
        if not links:
            return
        ids = list(links)
        with self._tx():
            held = self._pg.held
            if held is not None and held[0] not in links:
                self._pg.release_held()
            held = self._pg.take_held()
            own, text_key, fingerprint = held if held is not None else (None, None, None)
            self._write(
                "UPDATE articles SET original_id = v.original_id, cluster_id = v.cluster_id, "
                "text_key = CASE WHEN v.id = ? THEN ? ELSE articles.text_key END, "
                "fingerprint = CASE WHEN v.id = ? THEN ?::bytea ELSE articles.fingerprint END "
                "FROM unnest(?::bigint[], ?::bigint[], ?::bigint[]) "
                "AS v(id, original_id, cluster_id) WHERE articles.id = v.id AND (v.id = ? OR "
                "(articles.original_id, articles.cluster_id) IS DISTINCT FROM "
                "(v.original_id, v.cluster_id))",
                (
                    own,
                    text_key,
                    own,
                    fingerprint,
                    ids,
                    [links[i][0] for i in ids],
                    [links[i][1] for i in ids],
                    own,
                ),
            )

    def merge_clusters(self, cluster_ids: Sequence[int], into: int) -> None:
        """As the links mixin's, sent with the next statement."""
        if not cluster_ids:
            return
        with self._tx():
            self._write(
                "UPDATE articles SET cluster_id = ? WHERE cluster_id = ANY(?::bigint[]) "
                "AND cluster_id != ?",
                (into, list(cluster_ids), into),
            )

    def record_sighting(
        self, article_id: int, *, source_id: int | None, url: str, now: datetime
    ) -> None:
        """As the links mixin's, sent with the next statement."""
        with self._tx():
            self._write(
                "INSERT INTO sightings (article_id, source_id, url, seen_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(article_id, url) DO NOTHING",
                (article_id, source_id, url, _iso(now)),
            )

    def link_entry(self, entry_id: int, article_id: int) -> None:
        """As the links mixin's, sent with the next statement."""
        with self._tx():
            self._write(
                "UPDATE entries SET status = 'duplicate', article_id = ? WHERE id = ?",
                (article_id, entry_id),
            )

    def count_story_terms(self, keys: Sequence[int], *, window: int) -> None:
        """As the links mixin's, counted in the transaction's tally and written to the
        table at its end (``_count_story_terms``), in ascending key order: the counts of
        common terms (and key 0, the story count) are rows every writer updates, and a row
        updated early would be held by one writer until it commits. ``story_frequencies``
        adds the tally to what it reads, so the transaction sees its own counts as if
        written."""
        with self._tx():
            for key in {0, *keys}:
                self._story_terms[key] = self._story_terms.get(key, 0) + 1
            self._df_window = window

    def _count_story_terms(self) -> None:
        """The transaction's tally of story terms into ``story_df`` (one statement, with
        the writes still queued), then halved as on SQLite when the count of stories passes
        twice the window."""
        if not self._story_terms:
            return
        keys = sorted(self._story_terms)
        tally, self._story_terms = self._story_terms, {}
        total = self._db.execute(
            "WITH u AS (INSERT INTO story_df (key, docs) "
            "SELECT * FROM unnest(?::bigint[], ?::double precision[]) "
            "ON CONFLICT (key) DO UPDATE SET docs = story_df.docs + excluded.docs "
            "RETURNING key, docs) SELECT docs FROM u WHERE key = 0",
            (keys, [float(tally[k]) for k in keys]),
        ).fetchone()
        if total and total[0] > 2 * self._df_window:
            self._db.execute("UPDATE story_df SET docs = docs / 2")
            self._db.execute("DELETE FROM story_df WHERE docs < 0.5 AND key != 0")

    def lsh_matches(
        self,
        keys: Sequence[int],
        *,
        exclude: int,
        around: tuple[datetime, datetime] | None = None,
        limit: int = 64,
        per_key: int = LSH_PER_KEY,
        min_shared: int = 1,
    ) -> list[LshMatch]:
        """As the links mixin's, over an array of keys (one statement of constant text,
        prepared once, instead of a UNION of one subquery a key planned at every call)."""
        unique = list(dict.fromkeys(keys))
        if not unique:
            return []
        span, span_params = "", []
        if around is not None:
            span = f" AND {_WHEN} BETWEEN ? AND ?"
            span_params = [_iso(around[0]), _iso(around[1])]
        rows = self._pg.execute(
            "SELECT a.id, a.fingerprint, a.original_id, a.cluster_id, a.published FROM "
            "(SELECT k.article_id, COUNT(*) AS shared FROM unnest(?::bigint[]) AS q(key) "
            "CROSS JOIN LATERAL (SELECT article_id FROM lsh WHERE lsh.key = q.key "
            "ORDER BY article_id DESC LIMIT ?) AS k WHERE k.article_id != ? "
            "GROUP BY k.article_id HAVING COUNT(*) >= ? "
            "ORDER BY shared DESC, k.article_id DESC LIMIT ?) AS hits "
            "JOIN articles a ON a.id = hits.article_id "
            f"WHERE a.fingerprint IS NOT NULL{span} ORDER BY hits.shared DESC, a.id DESC LIMIT ?",
            (
                unique,
                per_key,
                exclude,
                min_shared,
                limit * 2 if around else limit,
                *span_params,
                limit,
            ),
            keep=self._pg.held is not None and self._pg.held[0] == exclude,  # (not read)
            # planned at each call: a plan cached early in an ingest (a few articles, the
            # time window matching all) read thousands of buffers a call later
            prepare=False if around is not None else None,
        ).fetchall()
        return [LshMatch(*r) for r in rows]

    def dedupe_rows(self, where: str, ids: Sequence[int]) -> list[DedupeRow]:
        if where not in ("id", "original_id", "cluster_id") or not ids:
            return []
        rows = self._pg.execute(
            "SELECT id, original_id, cluster_id, article_json FROM articles "
            f"WHERE {where} = ANY(?::bigint[])",
            (list(ids),),
            keep=True,  # reads no text key or fingerprint
        ).fetchall()
        return [_dedupe_row(r) for r in rows]

    def story_frequencies(self, keys: Sequence[int]) -> tuple[dict[int, float], float]:
        rows = self._pg.execute(
            "SELECT key, docs FROM story_df WHERE key = ANY(?::bigint[])",
            ([0, *dict.fromkeys(keys)],),
            keep=True,
        ).fetchall()
        found = {int(k): float(d) for k, d in rows}
        for key in {0, *keys}:  # this transaction's counts, not yet written
            if key in self._story_terms:
                found[key] = found.get(key, 0.0) + self._story_terms[key]
        total = found.get(0, 0.0)  # key 0 counts the stories
        if 0 not in keys:
            found.pop(0, None)
        return found, total

    def stream(
        self, sql: str, parameters: Sequence[Any] = (), size: int = 1000
    ) -> Iterator[list[Any]]:
        """As on SQLite, through a server-side cursor (in a transaction of its own, on this
        connection): the server sends ``size`` rows at a time as they are asked for, so the
        relay's memory stays flat however long the table."""
        pg = self._pg
        pg.send()
        pg.fresh()
        try:
            with pg.raw.transaction(), pg.raw.cursor(name=f"stream_{uuid.uuid4().hex}") as cursor:
                cursor.itersize = size
                cursor.execute(_pg_sql(sql), _params(parameters))
                while rows := cursor.fetchmany(size):
                    yield rows
        except self._unavailable as exc:
            raise self._store_error(exc) from exc

    def article_ids(self) -> Iterator[int]:
        """Every article's id, in order, read a page at a time (memory stays flat)."""
        last = 0
        while True:
            rows = self._db.execute(
                "SELECT id FROM articles WHERE id > ? ORDER BY id LIMIT 5000", (last,)
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield int(row[0])
            last = int(rows[-1][0])

    def close(self) -> None:
        if not self._pooled:  # (a pooled one goes back to its pool: ``PgPool.store``)
            self._pg.close()


class PgPool:
    """Connections to one database kept open for a server's requests (psycopg_pool): a
    request borrows one for its store (``store``) and gives it back, instead of connecting
    (and checking the schema) each time. At most ``size`` at once; a request finding none
    free waits up to POOL_WAIT seconds, then is refused as unavailable (a 503). A
    connection is checked when it is taken (one the server dropped is replaced), and one
    given back inside a transaction is rolled back. The database must be migrated (the
    server checks it when it starts)."""

    def __init__(self, location: str, size: int) -> None:
        from psycopg_pool import ConnectionPool  # noqa: PLC0415 (only a server needs it)

        self.path = location
        self._pool: ConnectionPool[Any] = ConnectionPool(
            location,
            min_size=1,
            max_size=size,
            kwargs={
                "autocommit": True,
                "connect_timeout": CONNECT_TIMEOUT,
                "application_name": POOL_NAME,  # (pg_stat_activity)
            },
            check=ConnectionPool.check_connection,
            timeout=POOL_WAIT,
            name="newsdesk",
            open=False,
        )
        self._pool.open(wait=False)

    @contextmanager
    def store(self) -> Iterator[Store]:
        """A store on a connection of the pool, for one request; the connection goes back
        when the block ends."""
        from psycopg_pool import PoolTimeout  # noqa: PLC0415

        try:
            connection = self._pool.getconn()
        except PoolTimeout as exc:
            raise StoreUnavailableError(
                f"PostgreSQL at {_describe(self.path)}: no connection to it free or made "
                f"within {POOL_WAIT:.0f} s ({exc}). Is the server running and listening "
                "there? Try again in a moment."
            ) from exc
        try:
            yield PostgresStore(connection, self.path, pooled=True)
        finally:
            self._pool.putconn(connection)

    def stats(self) -> dict[str, int]:
        """The pool's counters (psycopg_pool's ``get_stats``): its size, connections
        made, requests waiting, ..."""
        return dict(self._pool.get_stats())

    def close(self) -> None:
        self._pool.close()


def _deadlock(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is the server ending a transaction to break a
    deadlock or a serialization conflict: run again, it goes through."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, psycopg.errors.DeadlockDetected | psycopg.errors.SerializationFailure):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _refuse_newer(done: set[str], location: str) -> None:
    known = {name for name, _ in MIGRATIONS}
    unknown = sorted(done - known)
    if unknown:
        raise StoreError(
            f"PostgreSQL at {_describe(location)} has a newer schema than this newsdesk "
            f"(migrations {', '.join(unknown)}): upgrade newsdesk to use it."
        )


def open_postgres(location: str, *, create: bool = True, read_only: bool = False) -> Store:
    """Open the PostgreSQL database at ``location`` (a URL or libpq's key=value form):
    migrated unless ``read_only``, when it must be up to date already."""
    connection = _connect(location, read_only=read_only)
    store = PostgresStore(connection, location, read_only=read_only)
    try:
        if read_only or not create:
            _check_migrated(store)
        if not read_only:
            store.migrate()
    except BaseException:
        store.close()
        raise
    return store


def _check_migrated(store: PostgresStore) -> None:
    raw = store._pg.raw
    try:
        names = {r[0] for r in raw.execute("SELECT name FROM schema_migrations")}
    except psycopg.errors.UndefinedTable:
        raise StoreError(
            f"no newsdesk database at {_describe(store.path)} (run `newsdesk run` or "
            "`newsdesk demo` with it first)"
        ) from None
    except psycopg.Error as exc:
        raise pg_store_error(exc, store.path) from exc
    _refuse_newer(names, store.path)
    missing = [name for name, _ in MIGRATIONS if name not in names]
    if missing:
        raise StoreError(
            f"PostgreSQL at {_describe(store.path)} is not up to date (missing "
            f"{', '.join(missing)}): open it once with a writing command"
        )

"""What every part of ``Store`` shares: the connection, the transaction, the dialect's
hooks, and the few methods one table's code calls on another's (declared here, defined by
their mixin).

The seam between the backends: the mixins run one body of SQL on ``_db`` (``?``
placeholders, standard SQL: ``ON CONFLICT`` upserts, ``RETURNING``), on SQLite through
``sqlite3`` and on PostgreSQL through ``postgres.PgConnection``, which speaks the same
``execute``/``executemany``/cursor surface. What differs between the dialects is a hook
here (JSON access, the error types, full-text search, taking work) that ``Store``
(SQLite, sqlite.py) defines and ``PostgresStore`` (postgres.py) overrides.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from newsdesk.errors import StoreError
from newsdesk.model import Article

if TYPE_CHECKING:
    from newsdesk.store.records import Record, StoredArticle


class Rows(Protocol):
    """A statement's result: sqlite3's cursor, or psycopg's."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the mixins use of a connection (``sqlite3.Connection`` has it as it is)."""

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, parameters: Any = (), /) -> Any: ...

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Any: ...

    def close(self) -> None: ...

    def __enter__(self) -> Any: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> Any: ...


class StoreBase:
    """The members each table's mixin uses; ``Store`` and its mixins provide them."""

    _db: Connection
    path: str
    # The driver's errors that mean the database cannot be used now (full, busy, gone),
    # and those that mean a key is taken: caught by ``_tx``/``savepoint`` and the mixins.
    _unavailable: tuple[type[Exception], ...] = (sqlite3.OperationalError,)
    _key_taken: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)

    def _tx(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _write(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        """A write whose result is not read, in a transaction: SQLite runs it now;
        PostgreSQL sends it with the transaction's next statement (one round trip less)."""
        self._db.execute(sql, parameters)

    def _store_error(self, exc: Exception) -> StoreError:
        """The driver's error as one of ours, saying what happened and what to do."""
        raise NotImplementedError

    @staticmethod
    def _json_text(column: str, key: str) -> str:
        """SQL for the text of ``key`` in the JSON document in ``column`` (SQLite's)."""
        return f"json_extract({column}, '$.{key}')"

    def _after_copy(self) -> None:
        """After rows were copied in with their ids (``copy.copy_store``): what the dialect
        needs for new rows to get new ids (SQLite: nothing)."""

    def _match_clause(self, query: str) -> tuple[str, list[Any]] | None:
        """An SQL condition on ``id`` (and its parameters) keeping the articles the search
        ``query`` finds (None: the query finds nothing); defined by the search mixin."""
        raise NotImplementedError

    # articles (ArticlesTable)
    def _upsert_article(
        self, record: Record, source_id: int | None, now: datetime, problem: str | None
    ) -> int:
        raise NotImplementedError

    def _revised(self, article_id: int) -> None:
        raise NotImplementedError

    def _save_page(self, article_id: int, record: Record) -> None:
        raise NotImplementedError

    def _index_text(self, article_id: int, article: Article) -> None:
        raise NotImplementedError

    def stored_article(self, article_id: int) -> StoredArticle | None:
        raise NotImplementedError

    # the fetch log (FetchLog)
    def counts(self) -> dict[str, int]:
        raise NotImplementedError

    def fetch_outcomes(self) -> dict[str, int]:
        raise NotImplementedError

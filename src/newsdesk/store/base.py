"""What every part of ``Store`` shares: the connection, the transaction, and the few
methods one table's code calls on another's (declared here, defined by their mixin)."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from newsdesk.model import Article

if TYPE_CHECKING:
    from newsdesk.store.records import Record, StoredArticle


class StoreBase:
    """The members each table's mixin uses; ``Store`` and its mixins provide them."""

    _db: sqlite3.Connection
    path: str

    def _tx(self) -> AbstractContextManager[None]:
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

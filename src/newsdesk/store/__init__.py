"""Durable storage: every SQL statement lives here (DESIGN §2). SQLite by default."""

from __future__ import annotations

from newsdesk.store.records import (
    MAX_QUERY_CHARS,
    ArticleQuery,
    ArticleView,
    Cluster,
    CopyLink,
    DedupeRow,
    LshMatch,
    Record,
    SearchHit,
    Sighting,
    StoredArticle,
    prepare_record,
)
from newsdesk.store.search import match_expression
from newsdesk.store.sqlite import Store, StorePool, open_pool, open_reader, open_store

__all__ = [
    "MAX_QUERY_CHARS",
    "ArticleQuery",
    "ArticleView",
    "Cluster",
    "CopyLink",
    "DedupeRow",
    "LshMatch",
    "Record",
    "SearchHit",
    "Sighting",
    "Store",
    "StorePool",
    "StoredArticle",
    "match_expression",
    "open_pool",
    "open_reader",
    "open_store",
    "prepare_record",
]

"""Durable storage: every SQL statement lives here (DESIGN §2). SQLite by default."""

from __future__ import annotations

from newsdesk.store.sqlite import SearchHit, Store, open_store

__all__ = ["SearchHit", "Store", "open_store"]

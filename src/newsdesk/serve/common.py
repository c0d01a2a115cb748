"""What the app, the API and the reader share: the error that answers in the one error
shape, the per-thread read connections, and the list cursors."""

from __future__ import annotations

import base64
import binascii
import json
import threading
from typing import Any

from fastapi import Request

from newsdesk.store import Store, open_reader

__all__ = ["MAX_ID", "ApiError", "Readers", "decode_cursor", "encode_cursor", "reader_store"]

MAX_ID = 2**63 - 1  # SQLite's largest integer: ids beyond it are rejected, not overflowed


class ApiError(Exception):
    """An error answered in the one error shape: {"error": {status, code, message, details}}."""

    def __init__(self, status: int, message: str, *, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []


class Readers:
    """One read-only connection per thread, opened on first use, all closed on shutdown."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[Store] = []
        self._lock = threading.Lock()

    def get(self) -> Store:
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = open_reader(self.path)
            self._local.store = store
            with self._lock:
                self._all.append(store)
        return store

    def close(self) -> None:
        with self._lock:
            for store in self._all:
                store.close()
            self._all.clear()


def encode_cursor(sort_at: str, article_id: int) -> str:
    raw = json.dumps([sort_at, article_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        sort_at, article_id = json.loads(raw)
        if not isinstance(sort_at, str) or len(sort_at) > 64:
            raise ValueError(cursor)
        if not isinstance(article_id, int) or not 0 <= article_id <= MAX_ID:
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ApiError(
            400,
            "malformed cursor: pass back the next_cursor of a previous page unchanged",
            details=[{"parameter": "cursor", "problem": "not a cursor this server made"}],
        ) from exc
    return sort_at, article_id


def reader_store(request: Request) -> Store:
    """This thread's read-only connection to the app's database."""
    store: Store = request.app.state.readers.get()
    return store

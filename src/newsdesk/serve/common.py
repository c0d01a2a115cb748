"""What the app, the API and the reader share: the error that answers in the one error
shape, the per-thread read connections, the list cursors, and the reader's parameters."""

from __future__ import annotations

import base64
import binascii
import json
import threading
from contextlib import AbstractContextManager
from typing import Any

import anyio.to_thread
from anyio import CapacityLimiter
from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from newsdesk.store import SearchHit, Store, StorePool, open_reader
from newsdesk.store.records import is_postgres

__all__ = [
    "MAX_ID",
    "ApiError",
    "Readers",
    "decode_cursor",
    "encode_cursor",
    "error_response",
    "path_id",
    "query_bool",
    "query_int",
    "query_str",
    "reader_store",
    "render_page",
]

MAX_ID = 2**63 - 1  # SQLite's largest integer: ids beyond it are rejected, not overflowed


class ApiError(Exception):
    """An error answered in the one error shape: {"error": {status, code, message, details}}."""

    def __init__(self, status: int, message: str, *, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "bad_request",
    500: "internal_error",
    502: "upstream_error",
    503: "unavailable",
}


def error_body(status: int, message: str, details: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "error": {
            "status": status,
            "code": _CODES.get(status, "error"),
            "message": message,
            "details": details,
        }
    }


def render_page(
    request: Request, name: str, context: dict[str, Any], status: int = 200
) -> Response:
    """The page ``name`` rendered with ``context`` (the app's Jinja2 environment)."""
    templates: Environment = request.app.state.templates
    return HTMLResponse(templates.get_template(name).render(context), status_code=status)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api", "/feeds"))


def error_response(
    request: Request, status: int, message: str, details: list[dict[str, Any]]
) -> Response:
    """An error in the one shape: JSON for the API and the feeds, an HTML page (with the
    same status and message) for the reader's pages."""
    if _wants_html(request):
        context = {"status": status, "message": message, "details": details}
        return render_page(request, "error.html", context, status)
    return JSONResponse(error_body(status, message, details), status_code=status)


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


def writer_store(request: Request) -> AbstractContextManager[Store]:
    """A store to write with, for one request: a connection of the app's pool (PostgreSQL:
    kept open, at most WRITE_CONNECTIONS a process) or, on SQLite, one opened for it."""
    writers: StorePool = request.app.state.writers
    return writers.store()


WRITE_CONNECTIONS = 4  # a server process's pool of writing connections (PostgreSQL)
SEARCH_THREADS = 8  # searches at once in a process (each thread: a read connection)


async def search_store(request: Request, text: str, **options: Any) -> list[SearchHit]:
    """``Store.search``: on SQLite on the event loop's thread, as every read (a worker
    thread doubled the search's p99 under 50 clients there: GIL hand-offs, docs/benchmarks.md
    "Serving"); on PostgreSQL in a worker thread, on that thread's own connection. There a
    search is several round trips to the server, and on the loop's thread one search at a
    time would be served while the loop waited for its answers; in threads they overlap
    (psycopg lets go of the GIL while it waits), at most ``SEARCH_THREADS`` at once (so as
    many connections), whatever the other routes' threads."""
    state = request.app.state
    readers: Readers = state.readers
    if not is_postgres(readers.path):
        return readers.get().search(text, **options)
    limiter: CapacityLimiter | None = getattr(state, "search_limiter", None)
    if limiter is None:
        limiter = state.search_limiter = CapacityLimiter(SEARCH_THREADS)
    hits: list[SearchHit] = await anyio.to_thread.run_sync(
        lambda: readers.get().search(text, **options), limiter=limiter
    )
    return hits


# -- the reader's parameters ---------------------------------------------------------------
# The API's parameters are declared in its routes' signatures (FastAPI validates them and
# the OpenAPI document describes them). The reader's pages are plain Starlette routes, for
# their speed (docs/serving.md); these read their few parameters with the same checks, and
# fail the same way: a 400 in the one error shape, naming the parameter.

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


def bad_parameter(name: str, problem: str) -> ApiError:
    return ApiError(
        400,
        f"invalid request: {name}: {problem}",
        details=[{"parameter": name, "problem": problem}],
    )


def _whole(name: str, raw: str, *, ge: int, le: int) -> int:
    text = raw.strip()
    if not text or not (text.isdigit() or (text[0] in "+-" and text[1:].isdigit())):
        raise bad_parameter(name, "should be a whole number")
    value = int(text)
    if value < ge:
        raise bad_parameter(name, f"should be at least {ge}")
    if value > le:
        raise bad_parameter(name, f"should be at most {le}")
    return value


def path_id(request: Request, name: str) -> int:
    """A path's id: a whole number from 1 to SQLite's largest integer."""
    raw: str = request.path_params[name]
    if len(raw) > 20:
        raise bad_parameter(name, f"should be at most {MAX_ID}")
    return _whole(name, raw, ge=1, le=MAX_ID)


def query_int(request: Request, name: str, default: int, *, ge: int, le: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if len(raw) > 20:
        raise bad_parameter(name, f"should be at most {le}")
    return _whole(name, raw, ge=ge, le=le)


def query_bool(request: Request, name: str, default: bool = False) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise bad_parameter(name, "should be true or false (1 or 0)")


def query_str(
    request: Request, name: str, default: str | None = None, *, max_length: int, min_length: int = 0
) -> str | None:
    """The parameter's text, or ``default`` when it is missing; a missing parameter with a
    ``min_length`` and no default is an error."""
    raw = request.query_params.get(name)
    if raw is None:
        if default is None and min_length:
            raise bad_parameter(name, "is required")
        return default
    if len(raw) > max_length:
        raise bad_parameter(name, f"should be at most {max_length} characters")
    if len(raw) < min_length:
        raise bad_parameter(name, f"should be at least {min_length} character(s)")
    return raw

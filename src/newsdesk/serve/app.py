"""The web application: ``create_app(settings, store)``. No side effects at import time.

Two applications behind one dispatcher, under (outermost first) the forwarded headers of
trusted proxies (``trusted_proxies``; none by default), the response cache, gzip
(``compress``), a catch-all that answers any unexpected error in the one error shape, and
the security headers:
the JSON API (FastAPI, paths under ``/api``: its OpenAPI document comes from the routes'
signatures) and the reader with the feeds out and the static files (plain Starlette: every
other path). The reader's pages are not in the OpenAPI document, and going through FastAPI
cost them more than their own work did (docs/serving.md).

Reading goes through a read-only SQLite connection per thread (WAL lets readers read while
the relay writes). The read routes are coroutines that query on the event loop's thread:
their queries take well under a millisecond to a few (search), less than handing each
request to a worker thread costs under load, where the threads contend for the GIL. The
few writes (adding or deleting a source or a rule through the API) run in worker threads,
each on a writing connection of its own: on SQLite opened for the request, on PostgreSQL
borrowed from the process's pool (``store.open_pool``, at most WRITE_CONNECTIONS). Every
response carries a Content-Security-Policy that allows no script at all: the reader works
without JavaScript.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from newsdesk import __version__
from newsdesk.clean.sanitize import safe_url
from newsdesk.config import Settings, load_settings
from newsdesk.errors import ConfigError, QueryError, StoreError, StoreUnavailableError
from newsdesk.render import format_when, text_direction
from newsdesk.serve import api, reader, rules
from newsdesk.serve.cache import ResponseCache
from newsdesk.serve.common import (
    WRITE_CONNECTIONS,
    ApiError,
    Readers,
    error_body,
    error_response,
)
from newsdesk.serve.compress import Compress
from newsdesk.store import Store, open_pool, open_reader, open_store

__all__ = [
    "CatchAll",
    "NewsdeskApp",
    "SecurityHeaders",
    "app_from_environment",
    "app_from_settings",
    "create_app",
]

log = logging.getLogger(__name__)
STORE_RETRY_AFTER = 5  # seconds a client waits before writing again to a busy database
HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_RAW_HEADERS = [(k.lower().encode(), v.encode()) for k, v in _SECURITY_HEADERS.items()]


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        auto_reload=False,  # the templates ship with the package: no stat a render
    )
    env.filters["safe_url"] = safe_url
    env.filters["when"] = _when
    env.filters["direction"] = text_direction
    return env


def _when(when: datetime, style: str = "card") -> str:
    """A time on a page: in UTC, saying so (every source's own offset, unnamed, made a river's
    times disagree); a date alone is the UTC date."""
    text = format_when(when.astimezone(UTC), style)
    return text if style == "date" else f"{text} UTC"


class NewsdeskApp:
    """The ASGI application: trusted proxies' forwarded headers, the response cache, gzip,
    the catch-all, the security headers, then ``/api`` to ``api`` (FastAPI) and every other
    path to ``reader`` (Starlette). The lifespan (which closes the read connections) is the
    API's."""

    def __init__(
        self,
        api_app: FastAPI,
        reader_app: Starlette,
        *,
        version: Callable[[], int],
        cache_bytes: int,
        trusted_proxies: tuple[str, ...] = (),
    ) -> None:
        self.api = api_app
        self.reader = reader_app
        # Outside the compression, so what it keeps is what was sent (keyed on gzip or not),
        # with the security headers too.
        self.cache = ResponseCache(
            Compress(CatchAll(SecurityHeaders(self.dispatch))),
            version=version,
            max_bytes=cache_bytes,
        )
        self.entry: ASGIApp = self.cache
        if trusted_proxies:  # before the cache: the scheme it keys on is the proxy's
            self.entry = ProxyHeadersMiddleware(self.cache, list(trusted_proxies))  # type: ignore[arg-type,assignment]

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and not (path == "/api" or path.startswith("/api/")):
            await self.reader(scope, receive, send)
        else:
            await self.api(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.entry(scope, receive, send)


def _base_url(value: str) -> str:
    """The ``base_url`` setting, checked: an absolute http(s) URL, without a query."""
    if not value:
        return ""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"base_url must be the server's public http(s) URL, like https://news.example.org, "
            f"got {value!r}"
        )
    return value.strip().rstrip("/")


def _trusted_proxies(value: str) -> tuple[str, ...]:
    """The ``trusted_proxies`` setting, checked: addresses or networks, comma-separated."""
    entries = tuple(p.strip() for p in value.split(",") if p.strip())
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise ConfigError(
                f"trusted_proxies: {entry!r} is not an IP address or network "
                "(like 127.0.0.1 or 10.0.0.0/8)"
            ) from exc
    return entries


def create_app(settings: Settings, store: Store) -> NewsdeskApp:
    """The reader, the JSON API under /api and the feeds under /feeds, over ``store``'s
    database. The database must exist and be migrated (``open_store`` does both)."""
    if store.path == ":memory:":
        raise StoreError("the server needs a database file, not :memory:")
    base_url = _base_url(settings.base_url)
    proxies = _trusted_proxies(settings.trusted_proxies)
    open_reader(store.path).close()  # fails now, with a clear message, if it cannot be read
    readers = Readers(store.path)
    writers = open_pool(store.path, WRITE_CONNECTIONS)
    templates = _templates()
    api_app = FastAPI(
        title="newsdesk",
        version=__version__,
        description="Clean, structured news relayed by newsdesk: articles, sources, search.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # the interactive docs load scripts from elsewhere; the CSP forbids it
        redoc_url=None,
    )
    api_app.include_router(api.router)
    api_app.include_router(rules.router)
    api.describe(api_app, public_read=settings.api_public_read)
    api_app.router.add_event_handler("shutdown", readers.close)
    api_app.router.add_event_handler("shutdown", writers.close)
    reader_app = Starlette(routes=rules.feed_routes() + reader.routes(str(HERE / "static")))
    for app in (api_app, reader_app):
        app.state.settings = settings
        app.state.base_url = base_url
        app.state.readers = readers
        app.state.writers = writers
        app.state.templates = templates
        _install_errors(app)
    return NewsdeskApp(
        api_app,
        reader_app,
        version=lambda: readers.get().data_version(),
        cache_bytes=max(0, settings.serve_cache_mb) << 20,
        trusted_proxies=proxies,
    )


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every response (no per-request task
    or body buffering, unlike a decorator middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in _RAW_HEADERS if name not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CatchAll:
    """Pure ASGI middleware: an error nothing else handled is logged and answered in the one
    error shape (a 500), never as a plain-text page or a dropped connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # the answer is on its way: nothing better can be said now
                return
            await _internal_error(scope, send)


async def _internal_error(scope: Scope, send: Send) -> None:
    message = "unexpected error: it was logged; try again, or report it if it persists"
    body = json.dumps(error_body(500, message, [])).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *_RAW_HEADERS,
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed(app: Starlette, path: str) -> str:
    """The methods some route of ``app`` answers at ``path``, for a 405's Allow header (a
    route answers one method: the 405 Starlette raises names only the first that matched)."""
    methods = []
    for method in _METHODS:
        scope = {"type": "http", "path": path, "method": method, "root_path": "", "headers": []}
        if any(route.matches(scope)[0] == Match.FULL for route in app.router.routes):
            methods.append(method)
    return ", ".join(methods)


def _install_errors(app: Starlette) -> None:
    """Every error in the one shape (``common.error_response``)."""

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(request, exc.status, exc.message, exc.details)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        details = []
        for error in exc.errors():
            where = [str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body")]
            details.append(
                {"parameter": ".".join(where) or "request", "problem": str(error.get("msg"))}
            )
        summary = "; ".join(f"{d['parameter']}: {d['problem']}" for d in details)
        return error_response(request, 400, f"invalid request: {summary}", details)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = str(exc.detail) if exc.detail else "error"
        headers = dict(exc.headers or {})
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}"
        if exc.status_code == 405:  # every method some route answers here, not one route's
            headers["Allow"] = _allowed(app, request.url.path) or headers.get("Allow", "")
            message = (
                f"{request.method} is not allowed at {request.url.path}: use {headers['Allow']}"
            )
        response = error_response(request, exc.status_code, message, [])
        response.headers.update(headers)
        return response

    async def store_error(request: Request, exc: Exception) -> Response:
        log.error("store error on %s: %s", request.url.path, exc)
        if isinstance(exc, StoreUnavailableError):  # busy, full, read-only: try again later
            response = error_response(request, 503, str(exc), [])
            response.headers["Retry-After"] = str(STORE_RETRY_AFTER)
            return response
        return error_response(request, 500, f"database error: {exc}", [])

    async def query_error(request: Request, exc: Exception) -> Response:
        # a search query that cannot be read (docs/search.md): the client's to mend
        return error_response(
            request, 400, f"invalid query: {exc}", [{"parameter": "q", "problem": str(exc)}]
        )

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(QueryError, query_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(StoreError, store_error)

    async def unexpected(request: Request, exc: Exception) -> Response:
        # Starlette answers with this, then raises the error again for CatchAll, which logs it.
        return error_response(
            request, 500, "unexpected error: it was logged; try again, or report it", []
        )

    app.add_exception_handler(Exception, unexpected)


def app_from_settings(settings: Settings) -> NewsdeskApp:
    """The app over ``settings.db``, which must exist (it is opened, migrated if needed,
    and closed again: the app reads through connections of its own)."""
    store = open_store(settings.db, create=False)
    try:
        return create_app(settings, store)
    finally:
        store.close()


def app_from_environment() -> NewsdeskApp:
    """The app for settings taken from ``NEWSDESK_*`` variables: what each server process
    builds when `newsdesk serve --workers N` runs more than one."""
    return app_from_settings(load_settings())

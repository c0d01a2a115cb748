"""The web application: ``create_app(settings, store)``. No side effects at import time.

Reading goes through a read-only SQLite connection per thread (WAL lets readers read while
the relay writes). The read routes are coroutines that query on the event loop's thread:
their queries take well under a millisecond to a few (search), less than handing each
request to a worker thread costs under load, where the threads contend for the GIL. The
few writes (adding or deleting a source through the API) run in worker threads and open
their own writing connection. Every response carries a Content-Security-Policy that
allows no script at all: the reader works without JavaScript.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsdesk import __version__
from newsdesk.clean.sanitize import safe_url
from newsdesk.config import Settings, load_settings
from newsdesk.errors import StoreError
from newsdesk.serve import api, reader
from newsdesk.serve.cache import ResponseCache
from newsdesk.serve.common import ApiError, Readers
from newsdesk.store import Store, open_reader, open_store

__all__ = ["SecurityHeaders", "app_from_environment", "create_app"]

log = logging.getLogger(__name__)
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
}


def _error_body(status: int, message: str, details: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "error": {
            "status": status,
            "code": _CODES.get(status, "error"),
            "message": message,
            "details": details,
        }
    }


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith(("/api", "/feeds")))


def create_app(settings: Settings, store: Store) -> FastAPI:
    """The reader, the JSON API under /api and the feeds under /feeds, over ``store``'s
    database. The database must exist and be migrated (``open_store`` does both)."""
    if store.path == ":memory:":
        raise StoreError("the server needs a database file, not :memory:")
    open_reader(store.path).close()  # fails now, with a clear message, if it cannot be read
    readers = Readers(store.path)
    app = FastAPI(
        title="newsdesk",
        version=__version__,
        description="Clean, structured news relayed by newsdesk: articles, sources, search.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # the interactive docs load scripts from elsewhere; the CSP forbids it
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.readers = readers
    app.state.db_path = store.path
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["safe_url"] = safe_url
    templates.env.auto_reload = False  # the templates ship with the package: no stat a render
    app.state.templates = templates
    app.router.add_event_handler("shutdown", readers.close)
    _install_errors(app)

    app.add_middleware(SecurityHeaders)
    # Outermost (added last), so what it keeps carries the security headers too.
    app.add_middleware(
        ResponseCache,
        version=lambda: readers.get().data_version(),
        max_bytes=max(0, settings.serve_cache_mb) << 20,
    )
    app.include_router(api.router)
    app.include_router(reader.router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    return app


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


def _install_errors(app: FastAPI) -> None:
    def answer(
        request: Request, status: int, message: str, details: list[dict[str, Any]]
    ) -> Response:
        if _wants_html(request):
            templates: Jinja2Templates = request.app.state.templates
            return templates.TemplateResponse(
                request,
                "error.html",
                {"status": status, "message": message, "details": details},
                status_code=status,
            )
        return JSONResponse(_error_body(status, message, details), status_code=status)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return answer(request, exc.status, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        details = []
        for error in exc.errors():
            where = [str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body")]
            details.append(
                {"parameter": ".".join(where) or "request", "problem": str(error.get("msg"))}
            )
        summary = "; ".join(f"{d['parameter']}: {d['problem']}" for d in details)
        return answer(request, 400, f"invalid request: {summary}", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail) if exc.detail else "error"
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}"
        return answer(request, exc.status_code, message, [])

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> Response:
        log.error("store error on %s: %s", request.url.path, exc)
        return answer(request, 500, f"database error: {exc}", [])


def app_from_environment() -> FastAPI:
    """The app for settings taken from ``NEWSDESK_*`` variables: what each uvicorn worker
    process builds when `newsdesk serve --workers N` runs more than one."""
    settings = load_settings()
    store = open_store(settings.db, create=False)
    try:
        return create_app(settings, store)
    finally:
        store.close()

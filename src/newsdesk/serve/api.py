"""The JSON API under /api, described by the OpenAPI document at /api/openapi.json.

Reads are open unless ``api_public_read`` is false; writes (adding and deleting sources)
need ``Authorization: Bearer <api_token>`` and are off while no token is set. Every error
has one shape: ``{"error": {"status", "code", "message", "details"}}``.

The routes answer ``JSONResponse`` directly (no validation of what they return, which costs
per request); the OpenAPI document still describes each answer with a model (``responses``),
only the errors that are sent (a bad parameter is a 400, never FastAPI's 422) and the bearer
token (``describe``). ``tests/serve/test_openapi_fuzz.py`` holds the answers to the document.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from newsdesk.config import Settings
from newsdesk.errors import FetchError
from newsdesk.model import Source, article_to_dict
from newsdesk.pipeline import follow_later
from newsdesk.serve.common import (
    MAX_ID,
    ApiError,
    decode_cursor,
    encode_cursor,
    reader_store,
    search_store,
    writer_store,
)
from newsdesk.store import MAX_QUERY_CHARS, ArticleQuery, Store, StoredArticle
from newsdesk.store.records import ClusterMeta

__all__ = ["article_json", "article_summary", "describe", "router", "source_json"]

MAX_LIMIT = 200


class ErrorDetail(BaseModel):
    parameter: str
    problem: str


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str
    details: list[ErrorDetail]


class ErrorResponse(BaseModel):
    error: ErrorBody


class NewSource(BaseModel):
    url: str = Field(min_length=1, max_length=2000, description="A feed, site or page URL.")


# -- the answers, as the OpenAPI document describes them ----------------------------------


class ArticleSummary(BaseModel):
    id: int
    source_id: int | None
    url: str | None
    title: str | None
    authors: list[str]
    published: datetime | None
    site_name: str | None
    language: str | None
    description: str | None
    fetched_at: datetime | None
    original_id: int | None = Field(description="The original's id when this is a copy.")
    cluster_id: int | None = Field(description="Its story cluster (the representative's id).")
    href: str
    cluster_size: int | None = Field(None, description="With collapse: the cluster's size.")


class ArticleList(BaseModel):
    items: list[ArticleSummary]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null: last.")


class SightingOut(BaseModel):
    source_id: int | None
    url: str
    seen_at: datetime | None


class ArticleWhole(BaseModel):
    id: int
    source_id: int | None
    fetched_at: datetime | None
    problem: str | None
    original_id: int | None
    cluster_id: int | None
    copies: list[int]
    sightings: list[SightingOut]
    article: dict[str, Any] = Field(description="The Article record (docs/article.md).")


class SearchHitOut(BaseModel):
    id: int
    source_id: int | None
    title: str | None
    url: str | None
    published: datetime | None
    snippet: str
    rank: float
    href: str


class SearchResults(BaseModel):
    query: str
    items: list[SearchHitOut]


class SourceOut(BaseModel):
    id: int
    url: str
    kind: str | None
    title: str | None
    site_url: str | None
    last_check: datetime | None
    next_check: datetime | None
    last_error_kind: str | None
    last_error: str | None
    error_count: int
    article_count: int


class SourceList(BaseModel):
    items: list[SourceOut]


class ClusterOut(BaseModel):
    id: int = Field(description="The cluster's id: its representative's (earliest original's).")
    size: int = Field(description="Articles in the cluster (copies and independent coverage).")
    sources: int = Field(description="Distinct sources it was fetched from.")
    newest: str | None = Field(description="When its newest article was published (else fetched).")
    outlets: list[str] = Field(
        description="The outlets that carried it (each article's site name, else its source's "
        "title), sorted."
    )
    first: str | None = Field(
        description="ISO 8601: when its first article was published (else fetched)."
    )
    last: str | None = Field(
        description="ISO 8601: when its last article was published (else fetched)."
    )
    representative: ArticleSummary
    href: str


class ClusterList(BaseModel):
    items: list[ClusterOut]


class ClusterMembers(BaseModel):
    id: int = Field(description="The cluster's id: its representative's (earliest original's).")
    size: int = Field(description="Articles in the cluster.")
    outlets: list[str] = Field(description="The outlets that carried it, sorted.")
    first: str | None = Field(description="ISO 8601: its first article's time.")
    last: str | None = Field(description="ISO 8601: its last article's time.")
    items: list[ArticleSummary] = Field(description="Its articles, oldest first.")


def _ok(model: type[BaseModel], description: str = "OK", status: int = 200) -> dict[int | str, Any]:
    return {status: {"model": model, "description": description}}


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Malformed parameters"},
    401: {"model": ErrorResponse, "description": "Token missing or wrong"},
    404: {"model": ErrorResponse, "description": "Not found"},
    500: {"model": ErrorResponse, "description": "An unexpected error (logged)"},
}


def _token_ok(request: Request, settings: Settings) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return (
        bool(settings.api_token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(token.strip().encode(), settings.api_token.encode())
    )


async def require_read(request: Request) -> None:
    settings: Settings = request.app.state.settings
    if not settings.api_public_read and not _token_ok(request, settings):
        raise ApiError(401, "this server's API needs a token: send Authorization: Bearer <token>")


async def require_write(request: Request) -> None:
    settings: Settings = request.app.state.settings
    if not settings.api_token:
        raise ApiError(403, "writing through the API is off: set api_token to enable it")
    if not _token_ok(request, settings):
        raise ApiError(401, "a valid token is required: send Authorization: Bearer <token>")


router = APIRouter(prefix="/api", dependencies=[Depends(require_read)], responses=_ERRORS)


async def _reader(request: Request) -> Store:
    """The read connection as a dependency: a coroutine, so no worker thread is involved."""
    return reader_store(request)


ReaderStore = Annotated[Store, Depends(_reader)]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def article_summary(stored: StoredArticle) -> dict[str, Any]:
    a = stored.article
    return {
        "id": stored.id,
        "source_id": stored.source_id,
        "url": a.url,
        "title": a.title,
        "authors": list(a.authors),
        "published": _iso(a.published),
        "site_name": a.site_name,
        "language": a.language,
        "description": a.description,
        "fetched_at": _iso(stored.fetched_at),
        "original_id": stored.original_id,
        "cluster_id": stored.cluster_id,
        "href": f"/api/articles/{stored.id}",
    }


def article_json(stored: StoredArticle, store: Store) -> dict[str, Any]:
    return {
        "id": stored.id,
        "source_id": stored.source_id,
        "fetched_at": _iso(stored.fetched_at),
        "problem": stored.problem,
        "original_id": stored.original_id,
        "cluster_id": stored.cluster_id,
        "copies": [c.id for c in store.copies(stored.id, group_id=stored.original_id or stored.id)],
        "sightings": [
            {"source_id": source, "url": url, "seen_at": _iso(when)}
            for source, url, when in store.sightings(stored.id)
        ],
        "article": article_to_dict(stored.article),
    }


def source_json(source: Source) -> dict[str, Any]:
    return {
        "id": source.id,
        "url": source.url,
        "kind": source.kind,
        "title": source.title,
        "site_url": source.site_url,
        "last_check": _iso(source.last_check),
        "next_check": _iso(source.next_check),
        "last_error_kind": source.last_error_kind,
        "last_error": source.last_error,
        "error_count": source.error_count,
        "article_count": source.article_count,
    }


def _aware(name: str, value: datetime | None) -> datetime | None:
    """A time parameter, timezone-aware (UTC when it names no zone) and within what UTC can
    hold: 0001-01-01T00:00:11+03:00 is a time before the year 1 in UTC, a 400 naming it."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        problem = "out of range: it must fall between the years 1 and 9999 in UTC"
        raise ApiError(
            400,
            f"invalid request: {name}: {problem}",
            details=[{"parameter": name, "problem": problem}],
        ) from exc
    return value


Q = Annotated[
    str | None,
    Query(max_length=MAX_QUERY_CHARS, description="Words that must all occur (not FTS syntax)."),
]


@router.get("/articles", summary="List articles, newest first", responses=_ok(ArticleList))
async def list_articles(
    *,
    store: ReaderStore,
    source: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only this source's articles.")
    ] = None,
    since: Annotated[
        datetime | None, Query(description="Published at or after (ISO 8601).")
    ] = None,
    until: Annotated[datetime | None, Query(description="Published before (ISO 8601).")] = None,
    language: Annotated[
        str | None, Query(max_length=35, pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
    ] = None,
    q: Q = None,
    collapse: Annotated[
        bool, Query(description="One article per story cluster (its representative).")
    ] = False,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[A-Za-z0-9_-]+$",
            description="next_cursor of the previous page, unchanged (opaque).",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> JSONResponse:
    query = ArticleQuery(
        source_id=source,
        since=_aware("since", since),
        until=_aware("until", until),
        language=language,
        q=q,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
        collapse=collapse,
    )
    rows = store.list_articles(query)
    more = len(rows) > limit
    rows = rows[:limit]
    sizes = store.cluster_sizes([r.cluster_id for r in rows if r.cluster_id]) if collapse else {}
    return JSONResponse(
        {
            "items": [
                {**article_summary(r), "cluster_size": sizes.get(r.cluster_id or 0, 1)}
                if collapse
                else article_summary(r)
                for r in rows
            ],
            "next_cursor": encode_cursor(rows[-1].sort_at, rows[-1].id) if more else None,
        }
    )


@router.get("/articles/{article_id}", summary="One article, whole", responses=_ok(ArticleWhole))
async def get_article(
    store: ReaderStore, article_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> JSONResponse:
    stored = store.stored_article(article_id)
    if stored is None:
        raise ApiError(404, f"no article {article_id}")
    return JSONResponse(article_json(stored, store))


@router.get(
    "/search", summary="Full-text search (bm25 ranking, snippets)", responses=_ok(SearchResults)
)
async def search(
    *,
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)],
    source: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> JSONResponse:
    hits = await search_store(request, q, limit=limit, offset=offset, source_id=source)
    return JSONResponse(
        {
            "query": q,
            "items": [
                {
                    "id": h.article_id,
                    "source_id": h.source_id,
                    "title": h.title,
                    "url": h.url,
                    "published": _iso(h.published),
                    "snippet": h.snippet,
                    "rank": h.rank,
                    "href": f"/api/articles/{h.article_id}",
                }
                for h in hits
            ],
        }
    )


@router.get("/sources", summary="Every source and its health", responses=_ok(SourceList))
async def list_sources(store: ReaderStore) -> JSONResponse:
    return JSONResponse({"items": [source_json(s) for s in store.sources()]})


@router.get("/sources/{source_id}", summary="One source", responses=_ok(SourceOut))
async def get_source(
    store: ReaderStore, source_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> JSONResponse:
    source = store.source(source_id)
    if source is None:
        raise ApiError(404, f"no source {source_id}")
    return JSONResponse(source_json(source))


_BUSY: dict[str, Any] = {
    "model": ErrorResponse,
    "description": "The database is busy, full or read-only: try again after Retry-After",
    "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
}


@router.post(
    "/sources",
    status_code=202,
    dependencies=[Depends(require_write)],
    summary="Follow a feed, or a site whose feeds are discovered (needs the token)",
    description="Records the URL and answers at once; the web process fetches nothing. The "
    "relay reads the source on its next pass: a feed is followed as it is; a page has its feed "
    "discovered (the source then takes that feed's URL); what goes wrong is the source's "
    "`last_error` (GET /api/sources/{id}). A URL refused without contacting anything (a "
    "malformed one, another scheme, a private address) is a 400.",
    responses={
        **_ok(SourceOut, "Recorded; the relay reads it on its next pass", 202),
        400: {"model": ErrorResponse, "description": "A URL that is never fetched"},
        403: {"model": ErrorResponse, "description": "Writing through the API is off"},
        503: _BUSY,
    },
)
def create_source(request: Request, body: NewSource) -> JSONResponse:
    settings: Settings = request.app.state.settings
    try:
        with writer_store(request) as store:
            source = follow_later(
                store,
                body.url,
                now=datetime.now(UTC),
                allow_private=settings.allow_private_networks,
            )
    except FetchError as exc:  # refused before any connection: the URL is at fault
        raise ApiError(
            400,
            f"refused {body.url}: {exc}",
            details=[{"parameter": "url", "problem": str(exc)}],
        ) from exc
    return JSONResponse(
        source_json(source),
        status_code=202,
        headers={"Location": f"/api/sources/{source.id}"},
    )


@router.delete(
    "/sources/{source_id}",
    status_code=204,
    dependencies=[Depends(require_write)],
    summary="Stop following a source (its stored articles stay; needs the token)",
    responses={
        204: {"description": "No longer followed"},
        403: {"model": ErrorResponse, "description": "Writing through the API is off"},
        503: _BUSY,
    },
)
def delete_source(request: Request, source_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response:
    with writer_store(request) as store:
        deleted = store.delete_source(source_id)
    if not deleted:
        raise ApiError(404, f"no source {source_id}")
    return Response(status_code=204)


@router.get(
    "/clusters",
    summary="Story clusters, the most recently active first",
    responses=_ok(ClusterList),
)
async def list_clusters(
    *,
    store: ReaderStore,
    min_size: Annotated[int, Query(ge=1, le=10_000)] = 2,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> JSONResponse:
    items = []
    for c in store.clusters(limit=limit, min_size=min_size):
        items.append(
            {
                "id": c.id,
                "size": c.size,
                "sources": c.sources,
                "newest": c.newest,
                **_meta(store.cluster_meta(c.id)),
                "representative": article_summary(c.representative),
                "href": f"/api/clusters/{c.id}",
            }
        )
    return JSONResponse({"items": items})


def _meta(meta: ClusterMeta | None) -> dict[str, Any]:
    """A cluster's outlets and first and last times, as the API answers them."""
    if meta is None:
        return {"outlets": [], "first": None, "last": None}
    return {
        "outlets": meta.outlets,
        "first": meta.first.isoformat() if meta.first else None,
        "last": meta.last.isoformat() if meta.last else None,
    }


@router.get(
    "/clusters/{cluster_id}",
    summary="One story cluster and its articles",
    responses=_ok(ClusterMembers),
)
async def get_cluster(
    store: ReaderStore, cluster_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> JSONResponse:
    members = store.cluster_members(cluster_id)
    if not members or all(m.cluster_id != cluster_id for m in members):
        raise ApiError(404, f"no cluster {cluster_id}")
    return JSONResponse(
        {
            "id": cluster_id,
            "size": len(members),
            **_meta(store.cluster_meta(cluster_id)),
            "items": [article_summary(m) for m in members],
        }
    )


@router.get(
    "/stats",
    summary="Counts: sources, entries, articles, fetches",
    responses={
        200: {
            "description": "Counts by name",
            "content": {
                "application/json": {"schema": {"type": "object", "additionalProperties": True}}
            },
        }
    },
)
async def stats(store: ReaderStore) -> JSONResponse:
    return JSONResponse(store.stats())


def describe(app: FastAPI, *, public_read: bool) -> None:
    """The OpenAPI document as the API answers: no 422 (a bad parameter is a 400 in the
    error shape), the bearer token as a security scheme, needed by the writes (and by the
    reads too unless ``public_read``)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        for path_item in schema.get("paths", {}).values():
            for method, operation in path_item.items():
                operation.get("responses", {}).pop("422", None)
                writes = method in ("post", "put", "patch", "delete")
                operation["security"] = (
                    [{"bearer": []}] if writes or not public_read else [{}, {"bearer": []}]
                )
        components = schema.setdefault("components", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.get("schemas", {}).pop(name, None)
        components["securitySchemes"] = {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "The server's api_token: Authorization: Bearer <api_token>.",
            }
        }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

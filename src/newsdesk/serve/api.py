"""The JSON API under /api, described by the OpenAPI document at /api/openapi.json.

Reads are open unless ``api_public_read`` is false; writes (adding and deleting sources)
need ``Authorization: Bearer <api_token>`` and are off while no token is set. Every error
has one shape: ``{"error": {"status", "code", "message", "details"}}``.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from newsdesk.config import Settings
from newsdesk.errors import FeedParseError, FetchError
from newsdesk.fetch import Fetcher
from newsdesk.model import Source, article_to_dict
from newsdesk.pipeline import add_source
from newsdesk.serve.common import MAX_ID, ApiError, decode_cursor, encode_cursor, reader_store
from newsdesk.store import MAX_QUERY_CHARS, ArticleQuery, Store, StoredArticle, open_store

__all__ = ["article_json", "article_summary", "router", "source_json"]

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


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Malformed parameters"},
    401: {"model": ErrorResponse, "description": "Token missing or wrong"},
    404: {"model": ErrorResponse, "description": "Not found"},
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


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


Q = Annotated[
    str | None,
    Query(max_length=MAX_QUERY_CHARS, description="Words that must all occur (not FTS syntax)."),
]


@router.get("/articles", summary="List articles, newest first")
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
        str | None, Query(max_length=200, description="next_cursor of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> JSONResponse:
    query = ArticleQuery(
        source_id=source,
        since=_aware(since),
        until=_aware(until),
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


@router.get("/articles/{article_id}", summary="One article, whole")
async def get_article(
    store: ReaderStore, article_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> JSONResponse:
    stored = store.stored_article(article_id)
    if stored is None:
        raise ApiError(404, f"no article {article_id}")
    return JSONResponse(article_json(stored, store))


@router.get("/search", summary="Full-text search (bm25 ranking, snippets)")
async def search(
    *,
    store: ReaderStore,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)],
    source: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> JSONResponse:
    hits = store.search(q, limit=limit, offset=offset, source_id=source)
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


@router.get("/sources", summary="Every source and its health")
async def list_sources(store: ReaderStore) -> JSONResponse:
    return JSONResponse({"items": [source_json(s) for s in store.sources()]})


@router.get("/sources/{source_id}", summary="One source")
async def get_source(
    store: ReaderStore, source_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> JSONResponse:
    source = store.source(source_id)
    if source is None:
        raise ApiError(404, f"no source {source_id}")
    return JSONResponse(source_json(source))


@router.post(
    "/sources",
    status_code=201,
    dependencies=[Depends(require_write)],
    summary="Follow a feed, or a site whose feeds are discovered (needs the token)",
    responses={403: {"model": ErrorResponse}, 502: {"model": ErrorResponse}},
)
def create_source(request: Request, body: NewSource) -> JSONResponse:
    settings: Settings = request.app.state.settings
    store = open_store(request.app.state.db_path)
    try:
        with Fetcher(settings) as fetcher:
            source = add_source(store, fetcher, body.url, now=datetime.now(UTC))
    except FetchError as exc:
        raise ApiError(502, f"cannot fetch {body.url}: {exc}") from exc
    except FeedParseError as exc:
        raise ApiError(400, str(exc)) from exc
    finally:
        store.close()
    return JSONResponse(source_json(source), status_code=201)


@router.delete(
    "/sources/{source_id}",
    status_code=204,
    dependencies=[Depends(require_write)],
    summary="Stop following a source (its stored articles stay; needs the token)",
    responses={403: {"model": ErrorResponse}},
)
def delete_source(request: Request, source_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response:
    store = open_store(request.app.state.db_path)
    try:
        deleted = store.delete_source(source_id)
    finally:
        store.close()
    if not deleted:
        raise ApiError(404, f"no source {source_id}")
    return Response(status_code=204)


@router.get("/clusters", summary="Story clusters, the most recently active first")
async def list_clusters(
    *,
    store: ReaderStore,
    min_size: Annotated[int, Query(ge=1, le=10_000)] = 2,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> JSONResponse:
    return JSONResponse(
        {
            "items": [
                {
                    "id": c.id,
                    "size": c.size,
                    "sources": c.sources,
                    "newest": c.newest,
                    "representative": article_summary(c.representative),
                    "href": f"/api/clusters/{c.id}",
                }
                for c in store.clusters(limit=limit, min_size=min_size)
            ]
        }
    )


@router.get("/clusters/{cluster_id}", summary="One story cluster and its articles")
async def get_cluster(
    store: ReaderStore, cluster_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> JSONResponse:
    members = store.cluster_members(cluster_id)
    if not members or all(m.cluster_id != cluster_id for m in members):
        raise ApiError(404, f"no cluster {cluster_id}")
    return JSONResponse({"id": cluster_id, "items": [article_summary(m) for m in members]})


@router.get("/stats", summary="Counts: sources, entries, articles, fetches")
async def stats(store: ReaderStore) -> JSONResponse:
    return JSONResponse(store.stats())

"""The web reader (server-rendered, no JavaScript) and the feeds out.

Pages: the river (``/``), a source's river (``/sources/{id}``), an article
(``/articles/{id}``), search (``/search?q=``) and the sources' health (``/sources``).
Feeds: ``/feeds/all.atom|json``, ``/feeds/sources/{id}.atom|json``,
``/feeds/search.atom|json?q=``, ``/feeds/sources.opml``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote_plus

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from newsdesk.clean.sanitize import safe_url
from newsdesk.feeds.opml import Outline, render_opml
from newsdesk.serve.common import MAX_ID, ApiError, decode_cursor, encode_cursor, reader_store
from newsdesk.serve.feeds import (
    FeedDoc,
    FeedItem,
    atom_feed,
    etag_for,
    http_date,
    json_feed,
    not_modified,
)
from newsdesk.serve.html import (
    SNIPPET_MARKS,
    article_body_html,
    highlight_snippet,
    provenance_words,
    removed_html,
)
from newsdesk.store import MAX_QUERY_CHARS, ArticleQuery, StoredArticle

__all__ = ["router"]

PAGE = 30
FEED_ITEMS = 50
FEED_FORMAT = "1"  # part of every feed's ETag: bump it when the feeds' rendering changes
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
router = APIRouter(include_in_schema=False)


_store = reader_store


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status)


def _river(request: Request, query: ArticleQuery) -> tuple[list[StoredArticle], str | None]:
    rows = _store(request).list_articles(query)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return rows, encode_cursor(rows[-1].sort_at, rows[-1].id) if more else None


def _names(request: Request) -> dict[int, str]:
    return _store(request).source_names()


Cursor = Annotated[str | None, Query(max_length=200)]


def _more_copies(request: Request, rows: list[StoredArticle], collapse: bool) -> dict[int, int]:
    """For a collapsed river: each representative's id → how many more its cluster holds."""
    if not collapse:
        return {}
    sizes = _store(request).cluster_sizes([r.cluster_id for r in rows if r.cluster_id])
    return {r.id: sizes.get(r.cluster_id or 0, 1) - 1 for r in rows}


Collapse = Annotated[bool, Query(description="one story per cluster")]


@router.get("/", response_class=HTMLResponse)
async def river(request: Request, cursor: Cursor = None, collapse: Collapse = False) -> Response:
    after = decode_cursor(cursor) if cursor else None
    rows, next_cursor = _river(
        request, ArticleQuery(after=after, limit=PAGE + 1, collapse=collapse)
    )
    return _page(
        request,
        "river.html",
        {"title": "Latest stories", "rows": rows, "next": next_cursor, "names": _names(request),
         "feed": "/feeds/all", "collapse": collapse,
         "copies": _more_copies(request, rows, collapse)},
    )  # fmt: skip


@router.get("/sources", response_class=HTMLResponse)
async def sources(request: Request) -> Response:
    return _page(
        request, "sources.html", {"title": "Sources", "sources": _store(request).sources()}
    )


@router.get("/sources/{source_id}", response_class=HTMLResponse)
async def source_river(
    request: Request,
    source_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    cursor: Cursor = None,
    collapse: Collapse = False,
) -> Response:
    source = _store(request).source(source_id)
    if source is None:
        raise ApiError(404, f"no source {source_id}")
    after = decode_cursor(cursor) if cursor else None
    rows, next_cursor = _river(
        request, ArticleQuery(source_id=source_id, after=after, limit=PAGE + 1, collapse=collapse)
    )
    return _page(
        request,
        "river.html",
        {"title": source.title or source.url, "rows": rows, "next": next_cursor,
         "names": _names(request), "source": source, "feed": f"/feeds/sources/{source_id}",
         "collapse": collapse, "copies": _more_copies(request, rows, collapse)},
    )  # fmt: skip


@router.get("/articles/{article_id}", response_class=HTMLResponse)
async def article(request: Request, article_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response:
    store = _store(request)
    stored = store.stored_article(article_id)
    if stored is None:
        raise ApiError(404, f"no article {article_id}")
    a = stored.article
    names = store.source_names()
    source = (stored.source_id, names[stored.source_id]) if stored.source_id in names else None
    return _page(
        request,
        "article.html",
        {
            "title": a.title or "(untitled)",
            "stored": stored,
            "a": a,
            "source": source,
            "body": article_body_html(a),
            "provenance": provenance_words(a.provenance, a.site_name),
            "removed": removed_html(a),
            "copies": store.copies(article_id),
            "original": store.stored_article(stored.original_id) if stored.original_id else None,
            "sightings": store.sightings(article_id),
            "names": names,
            "cluster_size": store.cluster_sizes([stored.cluster_id]).get(stored.cluster_id, 1)
            if stored.cluster_id
            else 1,
        },
    )


@router.get("/search", response_class=HTMLResponse)
async def search(
    request: Request,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)] = "",
    page: Annotated[int, Query(ge=1, le=500)] = 1,
) -> Response:
    hits = []
    if q.strip():
        found = _store(request).search(
            q, limit=PAGE + 1, offset=(page - 1) * PAGE, marks=SNIPPET_MARKS
        )
        hits = [(h, highlight_snippet(h.snippet)) for h in found[:PAGE]]
        more = len(found) > PAGE
    else:
        more = False
    return _page(
        request,
        "search.html",
        {"title": f"Search: {q}" if q else "Search", "q": q, "hits": hits, "page": page,
         "more": more},
    )  # fmt: skip


# -- feeds out ---------------------------------------------------------------------------


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _item(base: str, stored: StoredArticle) -> FeedItem:
    a = stored.article
    return FeedItem(
        id=f"{base}/articles/{stored.id}",
        url=f"{base}/articles/{stored.id}",
        external_url=safe_url(a.url),
        title=a.title or "(untitled)",
        content_html=article_body_html(a),
        content_text=a.text,
        summary=a.description,
        published=a.published,
        updated=a.updated or a.published or stored.fetched_at,
        authors=a.authors,
        tags=a.tags,
        language=a.language,
    )


def _feed(
    request: Request,
    query: ArticleQuery,
    kind: Literal["atom", "json"],
    *,
    title: str,
    home: str,
    feed_id: str,
) -> Response:
    """A feed of ``query``'s articles, answered 304 from the store's digest when the client
    has it already: nothing is decoded or rendered for an unchanged feed."""
    store = _store(request)
    base = _base(request)
    digest, newest = store.feed_digest(query)
    etag = etag_for(f"{FEED_FORMAT}|{kind}|{request.url}|{base}|{digest}".encode())
    modified = datetime.fromisoformat(newest) if newest else EPOCH
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(modified),
        "Cache-Control": "public, max-age=60",
    }
    if not_modified(
        etag=etag,
        last_modified=modified,
        if_none_match=request.headers.get("if-none-match"),
        if_modified_since=request.headers.get("if-modified-since"),
    ):
        return Response(status_code=304, headers=headers)
    items = tuple(_item(base, r) for r in store.list_articles(query))
    doc = FeedDoc(
        title=title,
        id=f"{base}{feed_id}",
        self_url=str(request.url),
        home_url=f"{base}{home}",
        updated=max((i.updated for i in items), default=modified),
        items=items,
    )
    body = atom_feed(doc) if kind == "atom" else json_feed(doc)
    media = "application/atom+xml" if kind == "atom" else "application/feed+json"
    return Response(body, media_type=f"{media}; charset=utf-8", headers=headers)


Kind = Literal["atom", "json"]


@router.get("/feeds/all.{kind}")
async def feed_all(request: Request, kind: Kind) -> Response:
    query = ArticleQuery(limit=FEED_ITEMS)
    return _feed(
        request, query, kind, title="newsdesk: all stories", home="/", feed_id="/feeds/all"
    )


@router.get("/feeds/sources/{source_id}.{kind}")
async def feed_source(
    request: Request, source_id: Annotated[int, Path(ge=1, le=MAX_ID)], kind: Kind
) -> Response:
    store = _store(request)
    source = store.source(source_id)
    if source is None:
        raise ApiError(404, f"no source {source_id}")
    return _feed(
        request,
        ArticleQuery(source_id=source_id, limit=FEED_ITEMS),
        kind,
        title=f"newsdesk: {source.title or source.url}",
        home=f"/sources/{source_id}",
        feed_id=f"/feeds/sources/{source_id}",
    )


@router.get("/feeds/search.{kind}")
async def feed_search(
    request: Request,
    kind: Kind,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)],
) -> Response:
    return _feed(
        request,
        ArticleQuery(q=q, limit=FEED_ITEMS),
        kind,
        title=f"newsdesk: search for {q}",
        home=f"/search?q={quote_plus(q)}",
        feed_id=f"/feeds/search?q={quote_plus(q)}",
    )


@router.get("/feeds/sources.opml")
async def feed_opml(request: Request) -> Response:
    outlines = [
        Outline(xml_url=s.url, title=s.title, html_url=s.site_url)
        for s in _store(request).sources()
    ]
    return Response(render_opml(outlines), media_type="text/x-opml; charset=utf-8")

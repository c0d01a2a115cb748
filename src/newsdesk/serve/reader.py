"""The web reader (server-rendered, no JavaScript) and the feeds out.

Pages: the river (``/``), a source's river (``/sources/{id}``), an article
(``/articles/{id}``), a story cluster (``/clusters/{id}``), search (``/search?q=``) and the
sources' health (``/sources``). Times are shown in UTC, saying so.
Feeds: ``/feeds/all.atom|json``, ``/feeds/sources/{id}.atom|json``,
``/feeds/search.atom|json?q=``, ``/feeds/sources.opml``.

Plain Starlette routes, not FastAPI's: none of them is in the OpenAPI document, and FastAPI's
per-request machinery (its route matching, dependency solving and validation) cost more than
a page's queries and template together (docs/serving.md). Their few parameters are read by
``common.query_*``, which fail as FastAPI's validation did: a 400 naming the parameter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from urllib.parse import quote_plus

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from newsdesk.clean.sanitize import safe_url
from newsdesk.clean.text import strip_xml_invalid
from newsdesk.feeds import outlines_from_sources, render_opml
from newsdesk.render import STORY_MARK, article_body_html, story_html
from newsdesk.serve.common import (
    ApiError,
    bad_parameter,
    decode_cursor,
    encode_cursor,
    path_id,
    query_bool,
    query_int,
    query_str,
    reader_store,
    render_page,
    search_store,
)
from newsdesk.serve.feeds import (
    FeedDoc,
    FeedItem,
    atom_feed,
    etag_for,
    http_date,
    json_feed,
    not_modified,
)
from newsdesk.serve.html import SNIPPET_MARKS, highlight_snippet
from newsdesk.store import MAX_QUERY_CHARS, ArticleQuery, StoredArticle

__all__ = ["routes"]

PAGE = 30  # stories a river page
SEARCH_PAGE = 20  # hits a search page, as the API's default: each costs a snippet
FEED_ITEMS = 50
FEED_FORMAT = "2"  # part of every feed's ETag: bump it when the feeds' rendering changes
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
MAX_CURSOR = 200

_store = reader_store


def _river(request: Request, query: ArticleQuery) -> tuple[list[StoredArticle], str | None]:
    rows = _store(request).list_articles(query)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return rows, encode_cursor(rows[-1].sort_at, rows[-1].id) if more else None


def _names(request: Request) -> dict[int, str]:
    return _store(request).source_names()


def _cursor(request: Request) -> tuple[str, int] | None:
    cursor = query_str(request, "cursor", max_length=MAX_CURSOR)
    return decode_cursor(cursor) if cursor else None


def _more_copies(request: Request, rows: list[StoredArticle], collapse: bool) -> dict[int, int]:
    """For a collapsed river: each representative's id → how many more its cluster holds."""
    if not collapse:
        return {}
    sizes = _store(request).cluster_sizes([r.cluster_id for r in rows if r.cluster_id])
    return {r.id: sizes.get(r.cluster_id or 0, 1) - 1 for r in rows}


async def river(request: Request) -> Response:
    after = _cursor(request)
    collapse = query_bool(request, "collapse")
    rows, next_cursor = _river(
        request, ArticleQuery(after=after, limit=PAGE + 1, collapse=collapse)
    )
    return render_page(
        request,
        "river.html",
        {"title": "Latest stories", "rows": rows, "next": next_cursor, "names": _names(request),
         "feed": "/feeds/all", "collapse": collapse,
         "copies": _more_copies(request, rows, collapse)},
    )  # fmt: skip


async def sources(request: Request) -> Response:
    return render_page(
        request, "sources.html", {"title": "Sources", "sources": _store(request).sources()}
    )


async def source_river(request: Request) -> Response:
    source_id = path_id(request, "source_id")
    after = _cursor(request)
    collapse = query_bool(request, "collapse")
    source = _store(request).source(source_id)
    if source is None:
        raise ApiError(404, f"no source {source_id}")
    rows, next_cursor = _river(
        request, ArticleQuery(source_id=source_id, after=after, limit=PAGE + 1, collapse=collapse)
    )
    return render_page(
        request,
        "river.html",
        {"title": source.title or source.url, "rows": rows, "next": next_cursor,
         "names": _names(request), "source": source, "feed": f"/feeds/sources/{source_id}",
         "collapse": collapse, "copies": _more_copies(request, rows, collapse)},
    )  # fmt: skip


def stored_body_html(stored: StoredArticle) -> str:
    """An article's body as safe HTML: as stored with its record, else rendered from it."""
    return stored.body_html if stored.body_html is not None else article_body_html(stored.article)


async def article(request: Request) -> Response:
    article_id = path_id(request, "article_id")
    store = _store(request)
    view = store.article_view(article_id, story_mark=STORY_MARK)
    if view is None:
        raise ApiError(404, f"no article {article_id}")
    story = view.story_html
    if story is None:  # stored without it, or by another version of the renderer
        stored = store.stored_article(article_id)
        if stored is None:  # deleted in between
            raise ApiError(404, f"no article {article_id}")
        story = story_html(stored.article, stored_body_html(stored))
    original = next((c for c in view.copies if c.id == view.original_id), None)
    # the rules that fired for its story (a delivery is keyed by one of the copy group)
    fired = store.rules_fired_for([article_id, *(c.id for c in view.copies)])
    return render_page(
        request,
        "article.html",
        {
            "title": view.title or "(untitled)",
            "view": view,
            "story": story,
            "original": original,
            "seen_elsewhere": len(view.sightings) > 1,
            "fired": fired,
        },
    )


async def search(request: Request) -> Response:
    q = query_str(request, "q", "", max_length=MAX_QUERY_CHARS) or ""
    page = query_int(request, "page", 1, ge=1, le=500)
    hits = []
    if q.strip():
        found = await search_store(
            request, q, limit=SEARCH_PAGE + 1, offset=(page - 1) * SEARCH_PAGE, marks=SNIPPET_MARKS
        )
        hits = [(h, highlight_snippet(h.snippet)) for h in found[:SEARCH_PAGE]]
        more = len(found) > SEARCH_PAGE
    else:
        more = False
    return render_page(
        request,
        "search.html",
        {"title": f"Search: {q}" if q else "Search", "q": q, "hits": hits, "page": page,
         "more": more, "names": _names(request) if hits else {}},
    )  # fmt: skip


async def cluster(request: Request) -> Response:
    """A story cluster as a reader's page: its size, the outlets that carried it, first and
    last seen, and a timeline: every article, oldest first, with its outlet and how long
    after the first it appeared."""
    cluster_id = path_id(request, "cluster_id")
    store = _store(request)
    rows = store.cluster_members(cluster_id)
    if not rows or all(r.cluster_id != cluster_id for r in rows):
        raise ApiError(404, f"no cluster {cluster_id}")
    lead = next((r for r in rows if r.id == cluster_id), rows[0])
    meta = store.cluster_meta(cluster_id)
    names = _names(request)
    return render_page(
        request,
        "cluster.html",
        {"title": f"Story: {lead.article.title or '(untitled)'}", "rows": rows,
         "names": names, "cluster_id": cluster_id, "meta": meta,
         "timeline": _timeline(rows, names, meta.first if meta else None)},
    )  # fmt: skip


def _delay(minutes: int) -> str:
    hours, minutes = divmod(max(0, minutes), 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return "+" + " ".join(p for p in parts if p) if hours or minutes else "first"


def _timeline(
    rows: list[StoredArticle], names: dict[int, str], first: datetime | None
) -> list[tuple[StoredArticle, str, str]]:
    """Each article with its outlet and its delay after the cluster's first ("+2 h 5 min")."""
    out = []
    for row in rows:
        a = row.article
        outlet = a.site_name or names.get(row.source_id or 0, "")
        when = a.published or row.fetched_at
        minutes = int((when - first).total_seconds() // 60) if first is not None else None
        out.append((row, outlet, _delay(minutes) if minutes is not None else ""))
    return out


# -- feeds out ---------------------------------------------------------------------------


def _base(request: Request) -> str:
    """Where ids and links point: the ``base_url`` setting when set (never a request's
    headers), else the host and scheme the request came to (the scheme a trusted proxy
    forwarded, when one did)."""
    base: str = request.app.state.base_url
    return base or str(request.base_url).rstrip("/")


def _self_url(request: Request, base: str) -> str:
    query = request.url.query
    return f"{base}{request.url.path}" + (f"?{query}" if query else "")


def _item(base: str, stored: StoredArticle, names: dict[int, str]) -> FeedItem:
    a = stored.article
    return FeedItem(
        outlet=a.site_name or names.get(stored.source_id or 0),
        number=stored.id,
        id=f"{base}/articles/{stored.id}",
        url=f"{base}/articles/{stored.id}",
        external_url=safe_url(a.url),
        title=a.title or "(untitled)",
        content_html=stored_body_html(stored),
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
    author: str = "newsdesk",
) -> Response:
    """A feed of ``query``'s articles, answered 304 from the store's digest when the client
    has it already: nothing is decoded or rendered for an unchanged feed."""
    store = _store(request)
    base = _base(request)
    digest, newest = store.feed_digest(query)
    self_url = _self_url(request, base)
    etag = etag_for(f"{FEED_FORMAT}|{kind}|{self_url}|{digest}".encode())
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
    names = store.source_names()
    items = tuple(_item(base, r, names) for r in store.list_articles(query))
    doc = FeedDoc(
        title=title,
        author=author,
        id=f"{base}{feed_id}",
        self_url=self_url,
        home_url=f"{base}{home}",
        updated=max((i.updated for i in items), default=modified),
        items=items,
    )
    body = atom_feed(doc) if kind == "atom" else json_feed(doc)
    media = "application/atom+xml" if kind == "atom" else "application/feed+json"
    return Response(body, media_type=f"{media}; charset=utf-8", headers=headers)


Kind = Literal["atom", "json"]


def _kind(request: Request) -> Kind:
    kind = request.path_params["kind"]
    if kind == "atom":
        return "atom"
    if kind == "json":
        return "json"
    raise bad_parameter("kind", "should be 'atom' or 'json'")


async def feed_all(request: Request) -> Response:
    kind = _kind(request)
    query = ArticleQuery(limit=FEED_ITEMS, bodies=True)
    return _feed(
        request, query, kind, title="newsdesk: all stories", home="/", feed_id="/feeds/all"
    )


async def feed_source(request: Request) -> Response:
    source_id = path_id(request, "source_id")
    kind = _kind(request)
    store = _store(request)
    source = store.source(source_id)
    if source is None:
        raise ApiError(404, f"no source {source_id}")
    return _feed(
        request,
        ArticleQuery(source_id=source_id, limit=FEED_ITEMS, bodies=True),
        kind,
        title=f"newsdesk: {source.title or source.url}",
        home=f"/sources/{source_id}",
        feed_id=f"/feeds/sources/{source_id}",
        author=source.title or source.url,
    )


async def feed_search(request: Request) -> Response:
    kind = _kind(request)
    q = query_str(request, "q", max_length=MAX_QUERY_CHARS, min_length=1) or ""
    return _feed(
        request,
        ArticleQuery(q=q, limit=FEED_ITEMS, bodies=True),
        kind,
        title=f"newsdesk: search for {q}",
        home=f"/search?q={quote_plus(q)}",
        feed_id=f"/feeds/search?q={quote_plus(q)}",
    )


async def feed_opml(request: Request) -> Response:
    """The sources as `newsdesk export` writes them: folders from their categories, each
    feed's real kind, only what another reader can follow (not news sitemaps)."""
    outlines, _ = outlines_from_sources(_store(request).sources())
    # What XML forbids is removed from the document as a whole (a title could hold it).
    body = strip_xml_invalid(render_opml(outlines))
    return Response(body, media_type="text/x-opml; charset=utf-8")


def routes(static_dir: str) -> list[BaseRoute]:
    """The reader's and the feeds' routes, and the static files."""
    return [
        Route("/", river, methods=["GET"]),
        Route("/sources", sources, methods=["GET"]),
        Route("/sources/{source_id}", source_river, methods=["GET"]),
        Route("/articles/{article_id}", article, methods=["GET"]),
        Route("/search", search, methods=["GET"]),
        Route("/clusters/{cluster_id}", cluster, methods=["GET"]),
        Route("/feeds/sources.opml", feed_opml, methods=["GET"]),
        Route("/feeds/all.{kind}", feed_all, methods=["GET"]),
        Route("/feeds/sources/{source_id}.{kind}", feed_source, methods=["GET"]),
        Route("/feeds/search.{kind}", feed_search, methods=["GET"]),
        Mount("/static", StaticFiles(directory=static_dir), name="static"),
    ]

"""Rendered answers are served again until the database changes, and only where that is safe."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from newsdesk.config import Settings
from newsdesk.serve import create_app
from newsdesk.serve.cache import ResponseCache
from newsdesk.store import open_store

from .conftest import T0, Served, story

HIT = "x-newsdesk-cache"


def test_a_repeated_page_is_served_again_with_its_headers(served: Served) -> None:
    path = f"/articles/{served.ids[0]}"
    first = served.client.get(path)
    again = served.client.get(path)
    assert first.status_code == again.status_code == 200
    assert HIT not in first.headers and again.headers[HIT] == "hit"
    assert again.content == first.content
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    assert again.headers["content-type"] == first.headers["content-type"]
    search = served.client.get("/api/search?q=harbour")
    assert served.client.get("/api/search?q=harbour").json() == search.json()
    # another query string is another answer
    assert HIT not in served.client.get("/api/search?q=harbour&limit=3").headers


def test_a_commit_empties_the_cache(served: Served) -> None:
    article_id = served.ids[1]
    path = f"/api/articles/{article_id}"
    before = served.client.get(path).json()
    assert served.client.get(path).headers[HIT] == "hit"
    changed = replace(story(2), title="Harbour council story 2, corrected")
    served.store.replace_article(article_id, changed)  # the relay's connection commits
    after = served.client.get(path)
    assert HIT not in after.headers
    title = after.json()["article"]["title"]
    assert title == "Harbour council story 2, corrected" != before["article"]["title"]
    # a new article shows in a river and a search at once
    new_id = served.store.store_article(
        story(99, title="Brand new lighthouse story"), source_id=served.source_id, now=T0
    )
    hits = served.client.get("/api/search?q=lighthouse").json()
    assert [h["id"] for h in hits["items"]] == [new_id]


def test_private_conditional_and_failed_requests_are_not_kept(served: Served) -> None:
    path = f"/api/articles/{served.ids[2]}"
    auth = {"Authorization": "Bearer s3cret"}
    for _ in range(2):
        assert HIT not in served.client.get(path, headers=auth).headers
        assert HIT not in served.client.get(path, headers={"Cookie": "a=b"}).headers
    for _ in range(2):
        missing = served.client.get("/api/articles/999999")
        assert missing.status_code == 404 and HIT not in missing.headers
    feed = served.client.get("/feeds/all.atom")
    etag = feed.headers["etag"]
    for _ in range(2):
        unchanged = served.client.get("/feeds/all.atom", headers={"If-None-Match": etag})
        assert unchanged.status_code == 304 and HIT not in unchanged.headers


def test_no_cache_when_its_size_is_zero(tmp_path: Path) -> None:
    store = open_store(tmp_path / "c.db")
    article_id = store.store_article(story(1), now=T0)
    app = create_app(Settings(db=store.path, serve_cache_mb=0), store)
    with TestClient(app) as client:
        for _ in range(3):
            assert HIT not in client.get(f"/articles/{article_id}").headers
    store.close()


def _app(bodies: dict[str, list[bytes]], status: int = 200) -> tuple[list[str], object]:
    calls: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["path"])
        chunks = bodies[scope["path"]]
        await send({"type": "http.response.start", "status": status, "headers": []})
        for i, chunk in enumerate(chunks):
            more = i < len(chunks) - 1
            await send({"type": "http.response.body", "body": chunk, "more_body": more})

    return calls, app


def _get(cache: ResponseCache, path: str) -> bytes:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": []}
    asyncio.run(cache(scope, receive, send))
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_the_cache_is_bounded_and_keeps_no_streams() -> None:
    bodies = {"/a": [b"a" * 600], "/b": [b"b" * 600], "/s": [b"part1", b"part2"]}
    calls, app = _app(bodies)
    version = [1]
    cache = ResponseCache(app, version=lambda: version[0], max_bytes=2000)  # type: ignore[arg-type]
    assert _get(cache, "/a") == _get(cache, "/a") == b"a" * 600
    assert calls == ["/a"]
    _get(cache, "/b")  # a and b do not both fit (each counts 600 + 512)
    _get(cache, "/a")
    assert calls == ["/a", "/b", "/a"]
    assert _get(cache, "/s") == _get(cache, "/s") == b"part1part2"  # streamed: never kept
    assert calls.count("/s") == 2
    version[0] = 2  # the database changed
    _get(cache, "/a")
    assert calls[-1] == "/a" and cache.stats.cleared == 1

"""The demo newsroom answered from memory through the fetcher's ``transport=`` seam (an
``httpx.MockTransport``): the same pages, feeds, ETags and 304s as its loopback servers,
without sockets or server threads. For tests of the pipeline's own logic; the end-to-end
tests keep the real servers (``newsdesk.demo.server.serve_newsroom``)."""

from __future__ import annotations

import hashlib
import threading
from urllib.parse import urlsplit

import httpx

from newsdesk.demo.generator import Newsroom
from newsdesk.demo.server import FEED_PAGE, RunningNewsroom, answer


def memory_newsroom(
    room: Newsroom, *, feed_page: int | None = FEED_PAGE
) -> tuple[RunningNewsroom, httpx.MockTransport]:
    """The newsroom's outlets at ``http://<slug>.newsroom.test`` and the transport that
    answers for them (the fetcher must allow private networks: nothing is resolved)."""
    bases = {outlet.slug: f"http://{outlet.slug}.newsroom.test" for outlet in room.outlets}
    outlets = {urlsplit(bases[o.slug]).hostname: o for o in room.outlets}
    numbers: dict[str, dict[str, int]] = {}
    lock = threading.Lock()

    def story_number(slug: str, path: str) -> int | None:
        with lock:
            if slug not in numbers:
                numbers[slug] = {room.story(slug, n).path: n for n in range(room.per_outlet)}
        return numbers[slug].get(path)

    def handle(request: httpx.Request) -> httpx.Response:
        outlet = outlets.get(request.url.host)
        if outlet is None:
            return httpx.Response(404)
        path, query = request.url.path, request.url.query.decode()
        found = answer(
            room,
            outlet,
            bases[outlet.slug],
            path,
            query,
            feed_page=feed_page,
            story_number=lambda p: story_number(outlet.slug, p),
        )
        if found is None:
            return httpx.Response(404)
        body, kind, modified = found
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        headers = {"Content-Type": kind, "ETag": etag}
        if modified:
            headers["Last-Modified"] = modified
        return httpx.Response(200, headers=headers, content=body)

    return RunningNewsroom(room=room, bases=bases), httpx.MockTransport(handle)

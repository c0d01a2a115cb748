"""The demo's receiving blog: a small site on 127.0.0.1 that a rule's webhook posts to, and
that shows each republished story whole — headline, byline, original outlet, date, canonical
link and the clean body — where an IFTTT-style applet would have left "READ MORE", a "via"
footer, a shortened link and "0 Comments".

It checks each delivery's Standard Webhooks signature (``webhook-signature``: HMAC-SHA256 of
``id.timestamp.body`` under the secret's key) and keeps one post per ``webhook-id``, as a
receiver should: a retried delivery updates its post, never adds a second.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from newsdesk.model import article_from_dict
from newsdesk.render import article_body_html, format_when

__all__ = ["Blog", "serve_blog", "signature_ok"]

MAX_BODY = 8 << 20


def signature_ok(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Whether one of ``webhook-signature``'s ``v1`` signatures is ours (constant time)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers.get('webhook-id', '')}.{headers.get('webhook-timestamp', '')}.".encode()
    expected = base64.b64encode(hmac.new(key, signed + body, hashlib.sha256).digest()).decode()
    offered = headers.get("webhook-signature", "").split()
    return any(
        hmac.compare_digest(sig.removeprefix("v1,"), expected)
        for sig in offered
        if sig.startswith("v1,")
    )


@dataclass
class Blog:
    url: str = ""
    hook_url: str = ""
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)  # by webhook-id
    lock: threading.Lock = field(default_factory=threading.Lock)

    def page(self) -> str:
        with self.lock:
            posts = list(self.posts.values())
        items = "".join(_post_html(p) for p in reversed(posts)) or "<p>No story yet.</p>"
        return (
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<title>The receiving blog</title><style>body{max-width:44rem;margin:2rem auto;"
            "font:17px/1.5 Georgia,serif;padding:0 1rem}article{border-bottom:1px solid #ccc;"
            "padding:1rem 0}.credit{color:#555;font-size:.9rem}</style></head><body>"
            "<h1>The receiving blog</h1><p class=credit>Stories carried by at least two "
            f"outlets, republished by a newsdesk rule: {len(posts)}.</p>{items}</body></html>"
        )


def _post_html(payload: dict[str, Any]) -> str:
    data = payload.get("data", {})
    article = article_from_dict(data.get("article", {}))
    original = data.get("story", {}).get("original", {})
    link = original.get("url") or article.url or ""
    outlet = original.get("site_name") or article.site_name or link
    authors = original.get("authors") or list(article.authors)
    when = article.published
    credit = []
    if authors:
        credit.append("By " + html.escape(", ".join(authors)))
    first = (
        f'First published by <a href="{html.escape(link, quote=True)}">{html.escape(outlet)}</a>'
    )
    if when is not None:
        first += " on " + html.escape(format_when(when, "long"))
    credit.append(first)
    copies = data.get("story", {}).get("copies", 1)
    credit.append(f"carried by {int(copies)} outlets")
    return (
        f"<article><h2>{html.escape(article.title or '')}</h2>"
        f"<p class=credit>{' · '.join(credit)}</p>{article_body_html(article)}</article>"
    )


@contextmanager
def serve_blog(secret: str, *, port: int = 0) -> Iterator[Blog]:
    """The blog on 127.0.0.1 (``port`` 0: a free one) until the block ends."""
    blog = Blog()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if self.path != "/hook" or length > MAX_BODY:
                self._answer(404 if self.path != "/hook" else 413, b"no")
                return
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            if not signature_ok(secret, headers, body):
                self._answer(401, b"bad signature")
                return
            with blog.lock:
                blog.posts[headers["webhook-id"]] = json.loads(body)
            self._answer(204, b"")

        def do_GET(self) -> None:
            if self.path != "/":
                self._answer(404, b"not found")
                return
            self._answer(200, blog.page().encode(), "text/html; charset=utf-8")

        def _answer(self, status: int, body: bytes, kind: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    blog.url = f"http://127.0.0.1:{server.server_address[1]}/"
    blog.hook_url = blog.url + "hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield blog
    finally:
        server.shutdown()
        server.server_close()

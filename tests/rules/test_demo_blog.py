"""The demo's receiving blog: signed deliveries only, one post per webhook-id, each story
shown whole and attributed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from newsdesk.config import Settings
from newsdesk.demo.blog import serve_blog
from newsdesk.rules.deliver import Deliverer
from newsdesk.store import open_store
from newsdesk.store.rules import NewAction
from tests.rules.helpers import TEXT, story, write

SECRET = "whsec_" + base64.b64encode(b"the demo blog's key, 32 bytes!!!").decode()


def test_the_blog_shows_each_delivered_story_once_and_refuses_unsigned_posts(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path / "n.db")
    with serve_blog(SECRET) as blog:
        action = NewAction(kind="webhook", target=blog.hook_url, config={"secrets": [SECRET]})
        before = datetime.now(UTC) - timedelta(hours=1)
        store.add_rule("two", query="copies>=2", actions=[action], now=before)
        write(store, "https://a.example/feed", story("https://a.example/s"), now=datetime.now(UTC))
        copy = story("https://b.example/s", text=TEXT + " Copy.")
        write(store, "https://b.example/feed", copy, now=datetime.now(UTC))
        settings = Settings(allow_private_networks=True)
        with Deliverer(store, settings) as deliverer:
            assert deliverer.deliver_due().sent == 1
        store.retry_deliveries([store.deliveries()[0].id], now=datetime.now(UTC), replay=True)
        with Deliverer(store, settings) as deliverer:
            assert deliverer.deliver_due().sent == 1  # the same webhook-id again
        page = httpx.get(blog.url, timeout=5).text
        forged = httpx.post(blog.hook_url, content=b"{}", headers={"webhook-id": "x"}, timeout=5)
    assert forged.status_code == 401 and len(blog.posts) == 1
    assert page.count("<article>") == 1 and "Port strike halts Rotterdam" in page
    assert "By Anna de Vries" in page and 'href="https://a.example/s"' in page
    assert "carried by 2 outlets" in page and "Dock workers walked out" in page
    store.close()

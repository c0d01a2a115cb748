"""A rule's feed names its WebSub hub and pings it (hub.mode=publish) when it gains a story;
the hub here is a receiver on 127.0.0.1 that records the pings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

from fastapi.testclient import TestClient

from newsdesk.config import Settings
from newsdesk.rules.deliver import Deliverer
from newsdesk.serve import create_app
from newsdesk.store import open_store
from newsdesk.store.rules import NewAction
from tests.rules.helpers import receiver, story, write


def test_the_hub_is_named_and_pinged(tmp_path: Path) -> None:
    store = open_store(tmp_path / "n.db")
    action = NewAction(kind="feed", target="", config={})
    store.add_rule(
        "port news", query="rotterdam", actions=[action], now=datetime.now(UTC) - timedelta(hours=1)
    )
    write(store, "https://a.example/feed", story("https://a.example/s"), now=datetime.now(UTC))
    with receiver() as hub:
        settings = Settings(
            db=store.path,
            allow_private_networks=True,
            websub_hub=hub.url,
            base_url="https://news.example",
            serve_cache_mb=0,
        )
        with Deliverer(store, settings) as deliverer:
            assert deliverer.deliver_due().sent == 1
        pings = [parse_qs(r.body.decode()) for r in hub.received]
    assert [p["hub.mode"] for p in pings] == [["publish"], ["publish"]]
    assert [p["hub.url"][0] for p in pings] == [
        "https://news.example/feeds/rules/port%20news.atom",
        "https://news.example/feeds/rules/port%20news.json",
    ]
    with TestClient(create_app(settings, store)) as client:
        atom = client.get("/feeds/rules/port%20news.atom").text
        feed = json.loads(client.get("/feeds/rules/port%20news.json").content)
    assert f'<link rel="hub" href="{hub.url}"' in atom
    assert feed["hubs"] == [{"type": "WebSub", "url": hub.url}]
    store.close()

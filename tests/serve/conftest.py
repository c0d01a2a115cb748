"""A small store for the serving tests: ordinary stories, a relayed copy, and hostile ones."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from newsdesk.config import Settings
from newsdesk.model import Article, Block, Embed, Provenance, Quote, Removed
from newsdesk.serve import create_app
from newsdesk.store import Store, open_store

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
XSS = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "javascript:alert(1)",
    '"><svg onload=alert(1)>',
    "<a href='javascript:alert(2)'>click</a>",
]


def free_port() -> int:
    """A port free on 127.0.0.1 now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def story(n: int, **over: object) -> Article:
    base: dict[str, object] = {
        "url": f"https://news.example/{n}",
        "fetched_url": f"https://news.example/{n}",
        "title": f"Harbour council story {n}",
        "authors": ("Ana Reyes",),
        "published": T0 + timedelta(hours=n),
        "site_name": "Example News",
        "language": "en",
        "description": f"The dek of story {n}.",
        "text": f"First paragraph of story {n} about the harbour.\n\nSecond paragraph.",
        "blocks": (
            Block(kind="paragraph", text=f"First paragraph of story {n} about the harbour."),
            Block(kind="paragraph", text="Second paragraph."),
        ),
    }
    base.update(over)
    return Article(**base)  # type: ignore[arg-type]


def hostile() -> Article:
    payload = " ".join(XSS)
    return story(
        1000,
        url="javascript:alert(3)",
        title="Hostile " + payload,
        authors=(payload,),
        description=payload,
        text="Hostile body " + payload,
        blocks=(Block(kind="paragraph", text="Hostile body " + payload),),
        embeds=(
            Embed(platform="twitter", url="javascript:alert(4)", author=payload, text=payload),
        ),
        quotes=(Quote(text=payload, speaker=payload),),
        provenance=Provenance(via=payload, source="Wire", original_url="javascript:alert(5)"),
        removed=(Removed(text=payload, reason="teaser"),),
        tags=(payload,),
    )


@dataclass
class Served:
    client: TestClient
    store: Store
    source_id: int
    hostile_id: int
    relayed_id: int
    ids: list[int]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from serve_store(str(tmp_path / "serve.db"))


def serve_store(location: str) -> Iterator[Served]:
    """The served store the serving tests read, at ``location`` (a SQLite file or a
    PostgreSQL URL): 40 stories, a relayed one and a hostile one, behind a test client."""
    store = open_store(location)
    source = store.add_source("https://news.example/feed.xml", title="Example feed", now=T0)
    ids = [store.store_article(story(n), source_id=source.id, now=T0) for n in range(1, 41)]
    relayed = story(
        41,
        title="Minister quits over harbour deal",
        text='"I resign," the minister said.\n\nMore text.',
        blocks=(
            Block(kind="paragraph", text='"I resign," the minister said.'),
            Block(kind="paragraph", text="More text."),
        ),
        embeds=(
            Embed(platform="twitter", url="https://twitter.com/a/status/1", author="@a", text="Hi"),
        ),
        quotes=(Quote(text="I resign", speaker="the minister"),),
        provenance=Provenance(
            via="IFTTT", source="BBC News", original_url="https://bbc.example/news/1"
        ),
        removed=(Removed(text="READ MORE: Other story", reason="teaser"),),
    )
    relayed_id = store.store_article(relayed, source_id=source.id, now=T0)
    hostile_id = store.store_article(hostile(), source_id=source.id, now=T0)
    settings = Settings(db=store.path, api_token="s3cret", allow_private_networks=True)
    app = create_app(settings, store)
    with TestClient(app) as client:
        yield Served(client, store, source.id, hostile_id, relayed_id, ids)
    store.close()

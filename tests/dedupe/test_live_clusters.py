"""Live story clusters (linking.link_article over the store): join, keep apart, bridge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsdesk.dedupe.stories import MIN_STORIES
from newsdesk.model import Article
from newsdesk.pipeline.link import article_prints, link_article
from newsdesk.store import Store, open_store

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
TOWNS = ["Leeds", "Bristol", "Cardiff", "Norwich", "Exeter", "York", "Bath", "Derby"]
THINGS = ["library", "tram", "clinic", "playground", "estate", "museum", "garden", "reservoir"]


def _add(store: Store, n: int, text: str, *, title: str, hours: float = 0) -> int:
    article = Article(
        url=f"https://outlet{n % 7}.example/story/{n}",
        title=title,
        text=text,
        site_name=f"Outlet {n % 7}",
        published=NOW + timedelta(hours=hours),
    )
    with store.batch():
        article_id = store.store_article(article, now=NOW)
        link_article(store, article_id, article, article_prints(article))
    return article_id


def _background(store: Store) -> None:
    n = 0
    for town in TOWNS:
        for thing in THINGS:
            if n > MIN_STORIES + 2:
                return
            _add(
                store,
                1000 + n,
                f"The council in {town} met on Tuesday to discuss the {thing} budget, and "
                f"members said a decision on the {thing} would follow in the spring.",
                title=f"{town} council discusses {thing} budget",
                hours=-48 + n * 0.1,
            )
            n += 1


def _cluster(store: Store, article_id: int) -> int:
    rows = store.dedupe_rows("id", [article_id])
    return rows[0].cluster_id or article_id


def test_live_coverage_joins_and_a_bridge_merges(tmp_path: Path) -> None:
    store = open_store(tmp_path / "live.db")
    _background(store)
    a1 = _add(
        store,
        1,
        "A magnitude 6.1 earthquake struck near Kaikoura on Monday, damaging roads and homes, "
        "New Zealand officials said.",
        title="Earthquake hits Kaikoura",
    )
    a2 = _add(
        store,
        2,
        "Kaikoura residents cleared debris after Monday's 6.1 earthquake damaged homes and "
        "cut the coastal road, officials in New Zealand said.",
        title="Kaikoura counts quake damage",
        hours=2,
    )
    b1 = _add(
        store,
        3,
        "Flooding closed the Hutt Valley rail line on Monday after the Hutt River burst its "
        "banks, Wellington officials said.",
        title="Hutt River floods rail line",
        hours=1,
    )
    assert _cluster(store, a1) == _cluster(store, a2)
    assert _cluster(store, b1) != _cluster(store, a1)
    # a later report of both (the quake and the flood, one storm day) bridges the two
    bridge = _add(
        store,
        4,
        "The 6.1 earthquake near Kaikoura damaged homes and the coastal road; New Zealand "
        "officials said the Hutt River flooding closed the Hutt Valley rail line, Wellington "
        "said. In Kaikoura residents cleared debris from the earthquake.",
        title="Kaikoura earthquake and Hutt River floods",
        hours=3,
    )
    clusters = {_cluster(store, i) for i in (a1, a2, b1, bridge)}
    assert len(clusters) == 1
    meta = store.cluster_meta(clusters.pop())
    assert meta is not None and meta.size == 4
    assert meta.outlets == ["Outlet 1", "Outlet 2", "Outlet 3", "Outlet 4"]
    assert meta.first == NOW and meta.last == NOW + timedelta(hours=3)
    store.close()

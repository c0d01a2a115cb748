"""The live path's cost of story clusters: the writer's time a page with and without them.

The demo newsroom's pages are extracted and their prints made once (the extraction processes'
work); then each round stores and links them into a fresh SQLite store, one page a
transaction as the relay's writer does, twice side by side: with the prints as made (copies,
story terms counted in ``story_df``, clusters placed and merged) and with the story terms
taken out (copies only). Reported: the median milliseconds a page of each, and their ratio.

    .venv/bin/python bench/clusters_live.py [--articles 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from newsdesk import extract
from newsdesk.demo.generator import Newsroom
from newsdesk.demo.site import render_story
from newsdesk.model import Article
from newsdesk.pipeline.link import Prints, article_prints, link_article
from newsdesk.store import open_store

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def pages(articles: int) -> list[tuple[Article, Prints]]:
    room = Newsroom(seed=13, articles=articles)
    out = []
    for outlet in room.outlets:
        base = f"https://{outlet.slug}.example"
        for story in room.stories(outlet.slug):
            article = extract(render_story(room, outlet, story, base), url=base + story.path)
            out.append((article, article_prints(article)))
    out.sort(key=lambda ap: ap[0].published or NOW)
    return out


def write_all(rows: list[tuple[Article, Prints]], directory: Path, name: str) -> float:
    """Seconds to store and link every page, one transaction a page."""
    store = open_store(directory / f"{name}.db")
    started = time.perf_counter()
    for article, prints in rows:
        with store.batch():
            article_id = store.store_article(article, now=NOW)
            link_article(store, article_id, article, prints)
    seconds = time.perf_counter() - started
    store.close()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="in all, over 5 outlets")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with_stories = pages(args.articles)
    without = [(a, replace(p, story=None, event_keys=[])) for a, p in with_stories]
    times: dict[str, list[float]] = {"copies and clusters": [], "copies only": []}
    for round_ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            for name, rows in (("copies and clusters", with_stories), ("copies only", without)):
                times[name].append(write_all(rows, Path(tmp), f"{name[:6]}{round_}"))
    n = len(with_stories)
    print(f"{n} pages, {args.rounds} rounds, one transaction a page (median ms a page)")
    medians = {name: statistics.median(t) / n * 1000 for name, t in times.items()}
    for name, ms in medians.items():
        print(f"  {name}: {ms:.2f} ms")
    ratio = medians["copies and clusters"] / medians["copies only"]
    print(f"  ratio: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

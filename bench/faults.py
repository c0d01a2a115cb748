"""The fault suite at the relay's default settings: how long one ``run_once`` takes with
hostile sources beside the healthy demo newsroom, and whether every healthy entry is stored.

The hostile sources are the test suite's (``tests/faults.py``: trickled headers and bodies,
silence, a reset, a redirect loop, a malformed Location, a gzip bomb, a lying
Content-Length, a poisoned JSON Feed, a feed whose pages trickle, poison or cannot be
requested, and a flood of ``--flood`` items on one host), each on a loopback server of its
own. The settings are the defaults (30 s a request, 60 s a fetch, 1 s between requests to a
host), but for loopback addresses being allowed. A clean pass over the healthy sources alone
is the reference. Target: the pass ends within 90 s and stores every healthy entry.

    .venv/bin/python bench/faults.py                   # the 3 slowest beside 5 healthy
    .venv/bin/python bench/faults.py --hostile all     # all 11 kinds, a 100,000-item flood
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.faults, beside

from tests.faults import Hostile, raw_server, silence, trickled_body, trickled_headers

from newsdesk.config import Settings
from newsdesk.demo.generator import Newsroom
from newsdesk.demo.server import serve_newsroom
from newsdesk.fetch import Fetcher
from newsdesk.pipeline import run_once
from newsdesk.store import Store, open_store


def healthy_outcome(store: Store, feeds: list[str]) -> tuple[int, dict[str, int]]:
    ids = [s.id for s in store.sources() if s.url in feeds]
    marks = ",".join("?" * len(ids))
    db = store._db
    articles = db.execute(f"SELECT COUNT(*) FROM articles WHERE source_id IN ({marks})", ids)
    statuses = db.execute(
        f"SELECT status, COUNT(*) FROM entries WHERE source_id IN ({marks}) GROUP BY status", ids
    )
    return int(articles.fetchone()[0]), dict(statuses.fetchall())


def one_pass(db: Path, feeds: list[str], settings: Settings) -> tuple[float, Store, object]:
    store = open_store(db)
    for url in feeds:
        store.add_source(url, now=datetime.now(UTC))
    started = time.monotonic()
    with Fetcher(settings) as fetcher:
        report = run_once(store, fetcher, settings)
    return time.monotonic() - started, store, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100, help="healthy newsroom's stories")
    parser.add_argument("--flood", type=int, default=100_000, help="items of the flood feed")
    parser.add_argument(
        "--hostile",
        choices=["slow", "all"],
        default="slow",
        help="slow: the three that hold a request longest (headers and a body trickled a byte "
        "at a time, a server that accepts and says nothing); all: every hostile source",
    )
    args = parser.parse_args()
    settings = Settings(allow_private_networks=True)
    with (
        serve_newsroom(Newsroom(seed=7, articles=args.articles)) as healthy,
        tempfile.TemporaryDirectory() as tmp,
        ExitStack() as stack,
    ):
        feeds = healthy.feed_urls()
        clean_seconds, clean, _ = one_pass(Path(tmp) / "clean.db", feeds, settings)
        expected = healthy_outcome(clean, feeds)
        if args.hostile == "all":
            hostile = Hostile(stack, big_items=args.flood).feeds
        else:
            slow = (trickled_headers(1.0), trickled_body(1.0), silence)
            hostile = [stack.enter_context(raw_server(b)) + "/feed.xml" for b in slow]
        seconds, store, report = one_pass(
            Path(tmp) / "n.db", [*hostile[:6], *feeds, *hostile[6:]], settings
        )
        got = healthy_outcome(store, feeds)
    print(
        json.dumps(
            {
                "healthy_alone_seconds": round(clean_seconds, 1),
                "with_hostile_seconds": round(seconds, 1),
                "hostile_sources": len(hostile),
                "healthy_sources": len(feeds),
                "healthy_articles_expected": expected[0],
                "healthy_articles_stored": got[0],
                "healthy_entries": got[1],
                "every_healthy_entry_stored": got == expected,
                "errors": getattr(report, "errors", {}),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                # the largest extraction process's peak (they have ended by now)
                "largest_child_peak_rss_mb": round(
                    resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                ),
            }
        )
    )


if __name__ == "__main__":
    main()

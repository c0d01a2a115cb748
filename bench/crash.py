"""Crash benchmark: ``kill -9`` of ``newsdesk run`` at random moments over the paged demo
newsroom; each round ends with a clean pass and is compared with one clean pass.

The newsroom (its feeds paged at 50 stories a page, as real sites page theirs) is served on
127.0.0.1 by this process. A reference database gets one clean ``run --once``. Then, for
each round, a fresh database gets ``--kills-per-round`` runs each killed with SIGKILL at a
random moment within the reference pass's duration, then one run left to finish. The round
is compared with the reference:

- lost: entries the reference recorded and the round did not, articles (canonical URLs) the
  reference stored and the round did not;
- processed twice: articles stored twice (the same canonical URL), entries with more than one
  sighting, sightings beyond one per handled entry.

Printed as one JSON object (and a line a round on stderr). Targets: 0 lost, 0 twice.

    .venv/bin/python bench/crash.py                       # 100 kills (34 rounds of 3)
    .venv/bin/python bench/crash.py --kills 10 --articles 300
    .venv/bin/python bench/crash.py --kills 30 --src /tmp/before/src   # the code before
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsdesk.demo.generator import Newsroom
from newsdesk.demo.server import serve_newsroom
from newsdesk.store import open_store

ENV = {
    **os.environ,
    "NEWSDESK_PER_HOST_DELAY": "0",
    "NEWSDESK_ALLOW_PRIVATE_NETWORKS": "1",
    "PYTHONUNBUFFERED": "1",
}


def relay(db: Path) -> list[str]:
    return [sys.executable, "-m", "newsdesk.cli", "run", "--once", "--db", str(db)]


def fresh(db: Path, feeds: list[str]) -> None:
    store = open_store(db)
    for url in feeds:
        store.add_source(url, now=datetime.now(UTC))
    store.close()


def state(db: Path) -> dict[str, Any]:
    """What a database holds, in the terms the rounds are compared in."""
    con = sqlite3.connect(db)
    try:
        entries = {(s, g) for s, g in con.execute("SELECT source_id, guid FROM entries")}
        pending = con.execute("SELECT COUNT(*) FROM entries WHERE status = 'new'").fetchone()[0]
        handled = con.execute(
            "SELECT COUNT(*) FROM entries WHERE status IN ('done', 'duplicate', 'fallback')"
        ).fetchone()[0]
        keys = [k for (k,) in con.execute("SELECT url_key FROM articles")]
        sightings = con.execute("SELECT COUNT(*) FROM sightings").fetchone()[0]
        doubled = con.execute(
            "SELECT COUNT(*) FROM (SELECT source_id, url FROM sightings "
            "GROUP BY article_id, source_id, url HAVING COUNT(*) > 1)"
        ).fetchone()[0]
        statuses = dict(con.execute("SELECT status, COUNT(*) FROM entries GROUP BY status"))
    finally:
        con.close()
    return {
        "entries": entries,
        "articles": set(keys),
        "article_rows": len(keys),
        "pending": pending,
        "handled": handled,
        "sightings": sightings,
        "doubled_sightings": doubled,
        "statuses": statuses,
    }


def run_round(
    db: Path, feeds: list[str], kills: int, window: float, rng: random.Random
) -> dict[str, Any]:
    fresh(db, feeds)
    moments = []
    for _ in range(kills):
        process = subprocess.Popen(
            relay(db), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        moment = rng.uniform(0.3, window)
        moments.append(round(moment, 2))
        try:
            process.wait(timeout=moment)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
    finished = subprocess.run(relay(db), env=ENV, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise SystemExit(f"the finishing pass failed:\n{finished.stderr[-2000:]}")
    return {"moments": moments, **state(db)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100, help="kills in all (default 100)")
    parser.add_argument("--kills-per-round", type=int, default=3)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--src",
        type=Path,
        help="run the relay from this source tree (another checkout's src/), to compare",
    )
    args = parser.parse_args()
    if args.src is not None:
        ENV["PYTHONPATH"] = str(args.src.resolve())
    rng = random.Random(args.seed)
    rounds = max(1, -(-args.kills // args.kills_per_round))
    with (
        serve_newsroom(Newsroom(seed=args.seed, articles=args.articles)) as running,
        tempfile.TemporaryDirectory() as tmp,
    ):
        feeds = running.feed_urls()
        reference_db = Path(tmp) / "reference.db"
        fresh(reference_db, feeds)
        started = time.monotonic()
        subprocess.run(relay(reference_db), env=ENV, capture_output=True, check=True)
        window = time.monotonic() - started
        reference = state(reference_db)
        print(
            f"reference pass: {window:.1f} s, {len(reference['entries'])} entries, "
            f"{reference['article_rows']} articles",
            file=sys.stderr,
        )
        results = []
        kills_left = args.kills
        for number in range(rounds):
            kills = min(args.kills_per_round, kills_left)
            kills_left -= kills
            got = run_round(Path(tmp) / f"round{number}.db", feeds, kills, window, rng)
            lost_entries = len(reference["entries"] - got["entries"])
            lost_articles = len(reference["articles"] - got["articles"])
            twice = (
                got["article_rows"]
                - len(got["articles"])
                + got["doubled_sightings"]
                + max(0, got["sightings"] - got["handled"])
            )
            results.append(
                {
                    "round": number,
                    "kills": kills,
                    "moments": got["moments"],
                    "lost_entries": lost_entries,
                    "lost_articles": lost_articles,
                    "processed_twice": twice,
                    "pending_after": got["pending"],
                    "articles": got["article_rows"],
                }
            )
            print(json.dumps(results[-1]), file=sys.stderr)
    summary = {
        "articles_in_newsroom": args.articles,
        "reference_pass_seconds": round(window, 1),
        "reference_entries": len(reference["entries"]),
        "reference_articles": reference["article_rows"],
        "rounds": len(results),
        "kills": sum(r["kills"] for r in results),
        "lost_entries": sum(r["lost_entries"] for r in results),
        "lost_articles": sum(r["lost_articles"] for r in results),
        "processed_twice": sum(r["processed_twice"] for r in results),
        "pending_after": sum(r["pending_after"] for r in results),
        "rounds_short": sum(r["articles"] < reference["article_rows"] for r in results),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

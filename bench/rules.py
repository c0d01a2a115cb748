"""Rules benchmarks (issue 17): deliveries to a webhook receiver on 127.0.0.1, which runs in a
process of its own and appends each request's ``webhook-id`` and arrival time to a file.

- ``kills``: ``kill -9`` of ``newsdesk run`` at random moments while it ingests the demo
  newsroom with a rule that matches every story (a burst of matches), then a clean run and
  ``newsdesk deliver --once`` until the outbox is empty. Reported: matches (deliveries in the
  outbox), distinct ids received (target: equal), repeats (target: at most one a kill: the
  delivery in flight), lost (target 0).
- ``outage``: the receiver down while N deliveries fall due (the retry schedule compressed
  by ``--scale``), then back: every delivery arrives; the time it took against the schedule.
- ``latency``: a writer stores matching stories at ``--rate`` a minute through the pipeline's
  writer while ``delivering()`` (what ``newsdesk run`` runs) sends them; stored → received
  p50 and p95 (target p95 ≤ 2 s).
- ``throughput``: N deliveries to one target and to four targets; deliveries/s.
- ``ingest``: ``newsdesk run --once`` over the demo newsroom with 10 enabled rules against
  none, alternating, in one run (target: ≥ 90 % of the throughput).
- ``writer``: the pipeline's writer with 10 enabled rules against none (where the rules'
  whole cost on ingest lies: matching and enqueueing); target ≥ 90 %.

    .venv/bin/python bench/rules.py kills --kills 100 --articles 300
    .venv/bin/python bench/rules.py outage --deliveries 200 --scale 0.001
    .venv/bin/python bench/rules.py latency --rate 1000 --seconds 60
    .venv/bin/python bench/rules.py throughput --deliveries 2000
    .venv/bin/python bench/rules.py writer --pages 2000 --rounds 3
    .venv/bin/python bench/rules.py ingest --articles 1000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from newsdesk.config import Settings
from newsdesk.demo.generator import Newsroom
from newsdesk.demo.server import serve_newsroom
from newsdesk.model import Article, FeedEntry
from newsdesk.pipeline.link import article_prints
from newsdesk.pipeline.page import make_record
from newsdesk.pipeline.write import _Page, store_page
from newsdesk.rules.deliver import Deliverer, delivering
from newsdesk.store import Store, open_store
from newsdesk.store.rules import NewAction

ENV = {
    **os.environ,
    "NEWSDESK_PER_HOST_DELAY": "0",
    "NEWSDESK_ALLOW_PRIVATE_NETWORKS": "1",
    "NEWSDESK_DELIVERY_TIMEOUT": "2",
    "NEWSDESK_RULES_MAX_AGE": "0",  # the demo newsroom's stories are dated November 2026
}


# -- the receiver (a process of its own) ---------------------------------------------------


def _serve(port: int, log: str, delay: float) -> None:
    handle = open(log, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (lives as long as the process)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            if delay:
                time.sleep(delay)
            with lock:
                handle.write(f"{self.headers.get('webhook-id')} {time.time():.6f}\n")
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


class Receiver:
    def __init__(self, log: Path, port: int = 0, delay: float = 0.0) -> None:
        if not port:
            import socket

            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        self.port, self.log, self.delay = port, log, delay
        self.url = f"http://127.0.0.1:{port}/hook"
        self.process: multiprocessing.Process | None = None

    def start(self) -> None:
        self.process = multiprocessing.Process(
            target=_serve, args=(self.port, str(self.log), self.delay), daemon=True
        )
        self.process.start()
        deadline = time.monotonic() + 10
        import socket

        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the receiver did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.join()
            self.process = None

    def received(self) -> list[tuple[str, float]]:
        if not self.log.exists():
            return []
        lines = self.log.read_text("utf-8").splitlines()
        return [(line.split()[0], float(line.split()[1])) for line in lines if " " in line]


def _rule(store: Store, url: str, name: str = "all", query: str = "copies>=1") -> None:
    action = NewAction(kind="webhook", target=url, config={"secrets": []})
    store.add_rule(name, query=query, actions=[action], now=datetime.now(UTC) - timedelta(hours=1))


# -- kills ---------------------------------------------------------------------------------


def kills(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    receiver = Receiver(work / "received.log")
    receiver.start()
    db = work / "n.db"
    with serve_newsroom(Newsroom(seed=7, articles=args.articles)) as newsroom:
        store = open_store(db)
        for outlet in newsroom.room.outlets:
            store.add_source(newsroom.bases[outlet.slug] + outlet.feed_path, now=datetime.now(UTC))
        _rule(store, receiver.url)
        store.close()
        run = [sys.executable, "-m", "newsdesk.cli", "run", "--once", "--db", str(db)]
        rng = random.Random(args.seed)
        started = time.monotonic()
        for n in range(args.kills):
            process = subprocess.Popen(
                run, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(rng.uniform(0.3, args.window))
            process.send_signal(signal.SIGKILL)
            process.wait()
            if n % 10 == 9:
                print(f"kill {n + 1}: {len(receiver.received())} received", file=sys.stderr)
        clean = subprocess.run(run, check=False, env=ENV, capture_output=True, text=True)
        if clean.returncode:
            raise SystemExit(f"the clean run failed: {clean.stderr[-2000:]}")
    deliver = [sys.executable, "-m", "newsdesk.cli", "deliver", "--once", "--db", str(db)]
    store = open_store(db)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pending = sum(d.status != "done" for d in store.deliveries(limit=1_000_000))
        if not pending:
            break
        subprocess.run(deliver, env=ENV, check=True, capture_output=True)
        time.sleep(1)
    deliveries = store.deliveries(limit=1_000_000)
    articles = store._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    store.close()
    receiver.stop()
    ids = [i for i, _ in receiver.received()]
    counts = Counter(ids)
    expected = {d.event_id for d in deliveries}
    return {
        "kills": args.kills,
        "articles_stored": articles,
        "matches": len(deliveries),
        "delivered_states": dict(Counter(d.status for d in deliveries)),
        "distinct_ids_received": len(counts),
        "lost": len(expected - set(counts)),
        "unknown_ids": len(set(counts) - expected),
        "repeats": sum(c - 1 for c in counts.values()),
        "seconds": round(time.monotonic() - started, 1),
    }


# -- stories through the writer -------------------------------------------------------------


def _write(store: Store, n: int, now: datetime) -> None:
    _store(store, _page(store, n, now), now)


def _store(store: Store, page: _Page, now: datetime) -> None:
    with store.batch():
        store_page(store, page, now, Settings())


def _page(store: Store, n: int, now: datetime) -> _Page:
    """Story ``n``'s page as the page step hands it to the writer (its entry recorded)."""
    url = f"https://outlet{n % 7}.example/story/{n}"
    pick = random.Random(n)
    text = f"Story {n}. " + " ".join(f"w{pick.randrange(50_000)}" for _ in range(180)) + "."
    article = Article(url=url, title=f"Story {n}", text=text, site_name=f"outlet{n % 7}")
    source = store.source_by_url(f"https://outlet{n % 7}.example/feed") or store.add_source(
        f"https://outlet{n % 7}.example/feed", now=now
    )
    entry = FeedEntry(guid=url, url=url, title=article.title)
    store.record_entries(source.id, [entry], now=now)
    entry_id = store._db.execute(
        "SELECT id FROM entries WHERE source_id = ? AND guid = ?", (source.id, url)
    ).fetchone()[0]
    return _Page(entry_id, source.id, entry, make_record(article), None, article_prints(article))


def latency(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    receiver = Receiver(work / "received.log")
    receiver.start()
    db = work / "n.db"
    store = open_store(db)
    _rule(store, receiver.url, query="story")
    settings = Settings(db=str(db), allow_private_networks=True)
    count = int(args.rate * args.seconds / 60)
    gap = 60.0 / args.rate
    with delivering(settings, every=args.every):
        start = time.monotonic()
        for n in range(count):
            wait = start + n * gap - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            _write(store, n, datetime.now(UTC))
        time.sleep(args.every + 2)
    stored = {d.event_id: d.created_at for d in store.deliveries(limit=1_000_000)}
    store.close()
    receiver.stop()
    arrived = dict(receiver.received())
    delays = sorted(
        arrived[i] - when.timestamp() for i, when in stored.items() if i in arrived and when
    )
    return {
        "matches": len(stored),
        "received": len(arrived),
        "rate_per_minute": args.rate,
        "poll_seconds": args.every,
        "p50_s": round(statistics.median(delays), 3) if delays else None,
        "p95_s": round(delays[int(len(delays) * 0.95) - 1], 3) if delays else None,
        "max_s": round(delays[-1], 3) if delays else None,
    }


def _enqueue(store: Store, count: int, targets: list[str]) -> None:
    for t, url in enumerate(targets):
        _rule(store, url, name=f"t{t}", query="story")
    now = datetime.now(UTC)
    for n in range(count):
        _write(store, n, now)


def throughput(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for targets in (1, 4):
        receivers = [Receiver(work / f"r{targets}-{t}.log") for t in range(targets)]
        for receiver in receivers:
            receiver.start()
        store = open_store(work / f"t{targets}.db")
        _enqueue(store, args.deliveries // targets, [r.url for r in receivers])
        settings = Settings(allow_private_networks=True, delivery_workers=4)
        started = time.monotonic()
        with Deliverer(store, settings) as deliverer:
            report = deliverer.deliver_due(limit=1000)
        elapsed = time.monotonic() - started
        store.close()
        for receiver in receivers:
            receiver.stop()
        out[f"{targets}_target(s)"] = {
            "deliveries": report.sent,
            "seconds": round(elapsed, 2),
            "per_second": round(report.sent / elapsed, 1),
        }
    return out


def outage(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    receiver = Receiver(work / "received.log")  # not started: the receiver is down
    db = work / "n.db"
    store = open_store(db)
    _enqueue(store, args.deliveries, [receiver.url])
    settings = Settings(
        allow_private_networks=True, delivery_retry_scale=args.scale, delivery_timeout=2.0
    )
    started = time.monotonic()
    with Deliverer(store, settings) as deliverer:
        down_until = started + args.down
        attempts = 0
        while True:
            if receiver.process is None and time.monotonic() >= down_until:
                receiver.start()
            deliverer.deliver_due(limit=1000)
            attempts += 1
            left = [d for d in store.deliveries(limit=1_000_000) if d.status != "done"]
            if not left or time.monotonic() - started > args.down * 20 + 60:
                break
            time.sleep(0.05)
    elapsed = time.monotonic() - started
    deliveries = store.deliveries(limit=1_000_000)
    store.close()
    receiver.stop()
    ids = {i for i, _ in receiver.received()}
    return {
        "deliveries": len(deliveries),
        "down_seconds": args.down,
        "schedule_scale": args.scale,
        "arrived": len(ids & {d.event_id for d in deliveries}),
        "states": dict(Counter(d.status for d in deliveries)),
        "max_attempts": max(d.attempts for d in deliveries),
        "seconds_until_all_arrived": round(elapsed, 1),
    }


QUERIES = (
    "w1 OR w2 OR w3",
    '"story 7"',
    "copies>=2",
    "original w42",
    "credit:AP",
    'speaker:"Ned Price"',
    "lang:de",
    "source:outlet3 -w9",
    "(w100 OR w200) w300",
    "w4*",
)


def writer(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """The writer's pages/s with 10 enabled rules against none (the rules' whole cost on
    ingest is here: matching and enqueueing run in the writer), alternating, in one run."""
    runs: dict[int, list[float]] = {0: [], 10: []}
    for round_ in range(args.rounds):
        for rules in (0, 10) if round_ % 2 == 0 else (10, 0):  # either goes first in turn
            store = open_store(work / f"w{round_}-{rules}.db")
            for r in range(rules):
                action = NewAction(kind="jsonl", target=str(work / "out.jsonl"), config={})
                store.add_rule(
                    f"r{r}",
                    query=QUERIES[r],
                    actions=[action],
                    now=datetime.now(UTC) - timedelta(hours=1),
                )
            now = datetime.now(UTC)
            pages = [_page(store, n, now) for n in range(args.pages)]  # the page step's work
            started = time.process_time()
            for at in range(0, len(pages), args.batch):  # a transaction a batch, as the pass
                with store.batch():
                    for page in pages[at : at + args.batch]:
                        _store(store, page, now)
            runs[rules].append(args.pages / (time.process_time() - started))
            store.close()
    none, ten = statistics.median(runs[0]), statistics.median(runs[10])
    return {
        "pages": args.pages,
        "rounds": args.rounds,
        "pages_per_cpu_second_no_rules": round(none, 1),
        "pages_per_cpu_second_10_rules": round(ten, 1),
        "ratio": round(ten / none, 3),
    }


def ingest(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """``newsdesk run --once`` over the demo newsroom into a fresh database, with 10 enabled
    rules (JSON Lines actions, delivered as it goes) against none, alternating: wall time."""
    runs: dict[int, list[float]] = {0: [], 10: []}
    delivered: dict[int, int] = {0: 0, 10: 0}
    with serve_newsroom(Newsroom(seed=5, articles=args.articles)) as newsroom:
        for round_ in range(args.rounds):
            for rules in (0, 10) if round_ % 2 == 0 else (10, 0):
                db = work / f"i{round_}-{rules}.db"
                store = open_store(db)
                for outlet in newsroom.room.outlets:
                    url = newsroom.bases[outlet.slug] + outlet.feed_path
                    store.add_source(url, now=datetime.now(UTC))
                for r in range(rules):
                    action = NewAction(kind="jsonl", target=str(work / f"o{r}.jsonl"), config={})
                    store.add_rule(
                        f"r{r}",
                        query=DEMO_QUERIES[r],
                        actions=[action],
                        now=datetime.now(UTC) - timedelta(hours=1),
                    )
                store.close()
                run = [sys.executable, "-m", "newsdesk.cli", "run", "--once", "--db", str(db)]
                started = time.monotonic()
                subprocess.run(run, env=ENV, check=True, capture_output=True)
                runs[rules].append(time.monotonic() - started)
                store = open_store(db)
                delivered[rules] = len(store.deliveries(status="done", limit=1_000_000))
                store.close()
    none, ten = statistics.median(runs[0]), statistics.median(runs[10])
    return {
        "articles": args.articles,
        "rounds": args.rounds,
        "seconds_no_rules": [round(x, 2) for x in runs[0]],
        "seconds_10_rules": [round(x, 2) for x in runs[10]],
        "deliveries_10_rules": delivered[10],
        "throughput_ratio": round(none / ten, 3),
    }


# Ten rules over the demo newsroom's stories: words of its generator, conditions, prefixes.
DEMO_QUERIES = (
    "harbour OR port",
    "council -strike",
    "copies>=2",
    "original",
    "lang:en",
    "source:courier",
    '"city council"',
    "(rain OR storm) -sport*",
    "elect*",
    "author:smith OR copies>=3",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="which", required=True)
    k = sub.add_parser("kills")
    k.add_argument("--kills", type=int, default=100)
    k.add_argument("--articles", type=int, default=300)
    k.add_argument("--window", type=float, default=4.0, help="kill within this many seconds")
    k.add_argument("--seed", type=int, default=17)
    la = sub.add_parser("latency")
    la.add_argument("--rate", type=float, default=1000, help="matches a minute")
    la.add_argument("--seconds", type=float, default=60)
    la.add_argument("--every", type=float, default=0.25, help="the deliverer's poll interval")
    t = sub.add_parser("throughput")
    t.add_argument("--deliveries", type=int, default=2000)
    w = sub.add_parser("writer")
    w.add_argument("--pages", type=int, default=2000)
    w.add_argument("--rounds", type=int, default=3)
    w.add_argument("--batch", type=int, default=20, help="pages a transaction")
    i = sub.add_parser("ingest")
    i.add_argument("--articles", type=int, default=1000)
    i.add_argument("--rounds", type=int, default=3)
    o = sub.add_parser("outage")
    o.add_argument("--deliveries", type=int, default=200)
    o.add_argument("--down", type=float, default=3.6, help="seconds down (an hour at 0.001)")
    o.add_argument("--scale", type=float, default=0.001)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        which = {
            "kills": kills,
            "latency": latency,
            "throughput": throughput,
            "outage": outage,
            "writer": writer,
            "ingest": ingest,
        }
        result = which[args.which](args, Path(tmp))
    print(json.dumps({args.which: result}, indent=2))


if __name__ == "__main__":
    main()

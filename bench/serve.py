"""Serving under load, on loopback: article pages, search and unchanged feeds.

1. Fill a store with N demo articles (default 100,000): the demo newsroom's stories, made
   into Articles as the relay would store them (headline, byline, date, dek, paragraphs,
   wire credits), without fetching or extracting (that is bench/ingest.py's job).
2. Start `newsdesk serve` (uvicorn) on 127.0.0.1 in its own process.
3. From another process, C concurrent keep-alive clients (default 50) send requests for a
   fixed time per scenario; each request's latency is recorded.

Scenarios: the article page (5,000 random ids), the API search (two random words from the
newsroom's vocabulary), the HTML search page, and the all-stories Atom feed asked again
with its ETag (every answer must be 304). The first three run twice: a first pass from the
server's cold cache of rendered answers, then a second pass over the same paths (the
steady state of a repeated working set). ``--cache-mb 0`` turns that cache off. Reported:
requests/s, p50, p99 (targets: search p99 ≤ 50 ms, article page p99 ≤ 20 ms at 50 clients),
and the server's CPU per request (all its processes, from /proc, over the scenario).

    .venv/bin/python bench/serve.py                      # 100,000 articles, 50 clients
    .venv/bin/python bench/serve.py --articles 20000 --seconds 5
    .venv/bin/python bench/serve.py --cache-mb 0         # without the response cache
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ingest import process_cpu_seconds  # bench/ingest.py, beside this file
from newsdesk.demo.generator import Newsroom, story_article
from newsdesk.store import open_store

WORDS = [
    "harbour",
    "council",
    "budget",
    "hospital",
    "school",
    "flood",
    "election",
    "minister",
    "police",
    "bridge",
    "rail",
    "housing",
    "water",
    "energy",
    "court",
    "strike",
    "museum",
    "festival",
    "library",
    "port",
    "airport",
    "transport",
]


THINK = [0.0]  # seconds a client waits between requests, on average (0: back to back)


def fill(path: Path, articles: int) -> float:
    room = Newsroom(seed=21, articles=articles)
    store = open_store(path)
    started = time.perf_counter()
    now = datetime.now(UTC)
    with store.batch():
        for outlet in room.outlets:
            source = store.add_source(f"https://{outlet.slug}.example/feed", now=now)
            for story in room.stories(outlet.slug):
                article = story_article(outlet, story)
                store.store_article(article, source_id=source.id, now=now)
    store.close()
    return time.perf_counter() - started


def filled_store(db: Path | None, articles: int, tmp: str) -> Path:
    """``db`` (else a new file in ``tmp``), filled with ``articles`` demo articles unless it
    exists already."""
    path = db or Path(tmp) / "serve.db"
    if not path.exists():
        took = fill(path, articles)
        print(f"filled {path} with {articles} articles in {took:.0f} s", file=sys.stderr)
    return path


def tree_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of ``pid`` and its descendants so far (Linux ``/proc``; None
    elsewhere): the server's CPU per request is the difference over a scenario."""
    children: dict[int, list[int]] = {}
    try:
        entries = [int(e) for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return None
    for entry in entries:
        try:
            parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        children.setdefault(parent, []).append(entry)
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo.extend(children.get(tree[-1], ()))
    seconds = [s for s in map(process_cpu_seconds, tree) if not math.isnan(s)]
    return sum(seconds) if seconds else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def _client(
    host: str, port: int, paths: list[str], *, headers: str, until: float, out: list[float]
) -> dict[int, int]:
    statuses: dict[int, int] = {}
    reader, writer = await asyncio.open_connection(host, port)
    rng = random.Random(id(out) ^ port)
    try:
        while time.perf_counter() < until:
            path = rng.choice(paths)
            request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{headers}\r\n"
            started = time.perf_counter()
            writer.write(request.encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            out.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
            if THINK[0]:
                await asyncio.sleep(rng.uniform(0, 2 * THINK[0]))
    finally:
        writer.close()
    return statuses


async def _load(
    port: int, paths: list[str], headers: str, clients: int, seconds: float
) -> dict[str, object]:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    until = time.perf_counter() + seconds
    started = time.perf_counter()
    results = await asyncio.gather(
        *(
            _client("127.0.0.1", port, paths, headers=headers, until=until, out=latencies[i])
            for i in range(clients)
        )
    )
    elapsed = time.perf_counter() - started
    merged = sorted(x for part in latencies for x in part)
    statuses: dict[int, int] = {}
    for result in results:
        for status, count in result.items():
            statuses[status] = statuses.get(status, 0) + count
    return {
        "requests": len(merged),
        "rps": len(merged) / elapsed,
        "p50_ms": statistics.median(merged) * 1000,
        "p99_ms": merged[int(len(merged) * 0.99) - 1] * 1000,
        "statuses": statuses,
    }


def wrk_load(
    port: int, paths: list[str], clients: int, seconds: float, etag: str = ""
) -> dict[str, object]:
    """The same scenario driven by wrk (one thread, C connections): a compiled load
    generator leaves the server most of a 2-core machine."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(paths) + "\n")
    script = Path(__file__).with_name("serve.lua")
    out = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{seconds:.0f}s", "-s", str(script),
         f"http://127.0.0.1:{port}/", "--", listing.name, etag],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    Path(listing.name).unlink()
    figures = dict(
        line.split(" ", 1) for line in out.splitlines() if line.startswith(("P50", "P99", "RPS"))
    )
    status_line = next(line for line in out.splitlines() if line.startswith("STATUS"))
    statuses = {int(k): int(v) for k, v in (p.split("=") for p in status_line.split()[1:])}
    return {
        "requests": sum(statuses.values()),
        "rps": float(figures["RPS"]),
        "p50_ms": float(figures["P50"]),
        "p99_ms": float(figures["P99"]),
        "statuses": statuses,
    }


def load(
    port: int, paths: list[str], clients: int, seconds: float, headers: str = ""
) -> dict[str, object]:
    try:
        import uvloop  # the load generator itself should not be the bottleneck

        uvloop.install()
    except ImportError:
        pass
    return asyncio.run(_load(port, paths, headers, clients, seconds))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--db", type=Path, help="reuse (or keep) this database")
    parser.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    parser.add_argument(
        "--server", choices=("uvicorn", "granian"), default="uvicorn", help="the ASGI server"
    )
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk when installed (auto), or the asyncio client",
    )
    parser.add_argument(
        "--cache-mb",
        type=int,
        help="the server's serve_cache_mb (default: the setting's default; 0: no cache)",
    )
    parser.add_argument(
        "--only",
        choices=("article", "search", "page", "feed"),
        action="append",
        help="run only these scenarios (repeatable; default: all)",
    )
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="mean pause of each client between requests (default 0: back to back, saturating)",
    )
    args = parser.parse_args()
    THINK[0] = args.think_ms / 1000

    with tempfile.TemporaryDirectory() as tmp:
        db = filled_store(args.db, args.articles, tmp)
        store = open_store(db)
        total = store.counts()["articles"]
        store.close()
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newsdesk.cli",
                "serve",
                "--db",
                str(db),
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--server",
                args.server,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=os.environ
            if args.cache_mb is None
            else {**os.environ, "NEWSDESK_SERVE_CACHE_MB": str(args.cache_mb)},
        )
        try:
            assert server.stdout is not None
            server.stdout.readline()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if server.poll() is not None:
                    sys.exit(f"the server stopped: {server.stdout.read()}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
            if use_wrk and args.think_ms:
                parser.error("--think-ms needs the python client")
            rows = run_scenarios(
                port,
                total,
                args.clients,
                args.seconds,
                wrk=bool(use_wrk),
                only=args.only,
                server_pid=server.pid,
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"{total} articles, {args.clients} concurrent clients, {args.seconds:.0f} s each, "
        f"{args.workers} {args.server} worker(s), think time {args.think_ms:.0f} ms, "
        f"cache {'default' if args.cache_mb is None else f'{args.cache_mb} MiB'}, "
        f"load from {'wrk' if use_wrk else 'the asyncio client'}\n"
    )
    print("| scenario | requests/s | p50 (ms) | p99 (ms) | target | server CPU (ms) | statuses |")
    print("|---|---|---|---|---|---|---|")
    for name, target, row in rows:
        cpu = row.get("cpu_ms")
        print(
            f"| {name} | {row['rps']:.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {target} "
            f"| {'n/a' if cpu is None else f'{cpu:.2f}'} | {row['statuses']} |"
        )
    return 0


def scenario_paths(total: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """The article pages (5,000 random ids) and the searches (2,000 pairs of words, as
    ``a+b``) the scenarios ask for."""
    articles = [f"/articles/{rng.randint(1, total)}" for _ in range(5000)]
    queries = [f"{rng.choice(WORDS)}+{rng.choice(WORDS)}" for _ in range(2000)]
    return articles, queries


def run_scenarios(
    port: int,
    total: int,
    clients: int,
    seconds: float,
    *,
    wrk: bool,
    only: list[str] | None,
    server_pid: int,
) -> list[tuple[str, str, dict[str, object]]]:
    rng = random.Random(5)
    articles, queries = scenario_paths(total, rng)
    searches = [f"/api/search?q={q}" for q in queries]
    html_searches = [f"/search?q={q}" for q in queries]
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/feeds/all.atom") as response:
        etag = response.headers["ETag"]
    # A warm-up opens each worker's connection and runs each route once, over paths that no
    # scenario asks for (other ids, one-word searches), so the first passes start from a
    # cold cache of rendered answers.
    measured = set(articles)
    others = [f"/articles/{i}" for i in range(1, total + 1) if f"/articles/{i}" not in measured]
    warm_articles = rng.sample(others, min(200, len(others))) or articles[:1]
    warm_searches = [f"/api/search?q={w}" for w in WORDS] + [f"/search?q={w}" for w in WORDS]
    for warm in (warm_articles, warm_searches):
        load(port, warm, clients, 1.0)

    def run(paths: list[str], etag: str = "") -> dict[str, object]:
        before = tree_cpu_seconds(server_pid)
        if wrk:
            row = wrk_load(port, paths, clients, seconds, etag=etag)
        else:
            headers = f"If-None-Match: {etag}\r\n" if etag else ""
            row = load(port, paths, clients, seconds, headers)
        after = tree_cpu_seconds(server_pid)
        requests = row["requests"]
        assert isinstance(requests, int)
        if before is not None and after is not None and requests:
            row["cpu_ms"] = (after - before) / requests * 1000
        return row

    rows: list[tuple[str, str, dict[str, object]]] = []
    # Each scenario twice: first from a cold cache (every worker renders each answer once:
    # the misses), then again with what the first pass left (the steady state of a
    # repeated working set; with serve_cache_mb=0 the two passes do the same work).
    for key, name, target, paths in (
        ("article", "article page", "p99 ≤ 20 ms", articles),
        ("search", "search (API)", "p99 ≤ 50 ms", searches),
        ("page", "search (page)", "p99 ≤ 50 ms", html_searches),
    ):
        if only and key not in only:
            continue
        rows.append((f"{name}, first pass", target, run(paths)))
        rows.append((f"{name}, second pass", target, run(paths)))
    if not only or "feed" in only:
        rows.append(("all.atom, unchanged", "all 304", run(["/feeds/all.atom"], etag)))
    return rows


if __name__ == "__main__":
    sys.exit(main())

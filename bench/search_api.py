"""The search API under an open-loop load: `newsdesk serve` against `datasette serve` on the
same SQLite file, and `newsdesk serve` on PostgreSQL, at the same offered loads.

1. Fill a SQLite store (and a PostgreSQL one, on a cluster this script starts) with N demo
   articles (bench/search_backends.py's bulk fill), unless given filled ones.
2. Serve it three ways, one at a time, on 127.0.0.1, each in its own process with one
   worker: newsdesk (its response cache off, so every request is a search), datasette with
   a canned query doing the same search (FTS5 MATCH, bm25 with the title weighted 4×,
   20 hits with a snippet each, the article's title and URL; the MATCH is newsdesk's own
   translation of the query, so both find the same articles), and newsdesk on PostgreSQL.
3. Offer each a Poisson stream of searches (two random words of the demo's vocabulary, or
   one) at each rate in ``--rates`` for ``--seconds``: every request is sent at its
   scheduled moment whether or not the earlier ones have been answered (an open loop: a
   slow server meets a queue, it does not slow the clients down), on as many keep-alive
   connections as are needed. A request's latency is counted from its scheduled moment, so
   the queue is in the p99. Reported: the achieved answers/s, p50 and p99 (ms), errors.

    .venv/bin/python bench/search_api.py --articles 100000 --rates 100,300 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.pgserver import ServerUnavailable, start_server, stop_server  # noqa: E402

from newsdesk.store.search import match_expression  # noqa: E402
from search_backends import _filled  # noqa: E402 (bench/search_backends.py, beside this file)

WORDS = [
    *("harbour", "council", "budget", "hospital", "school", "flood", "election", "minister"),
    *("police", "bridge", "rail", "housing", "water", "energy", "court", "strike", "museum"),
    *("festival", "library", "port", "airport", "transport", "ferry", "market", "timetable"),
    *("licences", "decision", "traders", "passengers"),
]
HOST = "127.0.0.1"
# datasette's canned query: newsdesk's search as datasette would serve it (all matches
# ranked by bm25, title weighted 4x, as newsdesk's SQLite search; FTS5's own snippet()).
DATASETTE_SQL = (
    "select f.rowid as id, a.source_id, a.title, a.url, a.published, "
    "snippet(articles_fts, 1, '[', ']', '…', 16) as snippet, "
    "bm25(articles_fts, 4.0, 1.0, 1.0) as rank "
    "from articles_fts f join articles a on a.id = f.rowid "
    "where articles_fts match :q order by rank limit 20"
)


def queries(count: int, seed: int = 7) -> list[str]:
    """``count`` search queries: one or two random words of the demo's vocabulary."""
    rng = random.Random(seed)
    return [" ".join(rng.sample(WORDS, rng.choice((1, 2, 2)))) for _ in range(count)]


@dataclass
class Served:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    path: str  # the search's path, "{q}" for the query

    def url(self, text: str) -> str:
        return self.path.format(q=urllib.parse.quote(text))


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _wait_ready(served: Served, probe: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise RuntimeError(f"{served.name} exited ({served.process.returncode})")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{served.port}{probe}", timeout=30) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{served.name} did not answer within {seconds} s")


def serve_newsdesk(location: str, name: str) -> Served:
    port = _free_port()
    env = {**os.environ, "NEWSDESK_SERVE_CACHE_MB": "0"}
    command = [str(Path(sys.executable).with_name("newsdesk")), "serve", "--db", location,
               "--host", HOST, "--port", str(port)]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    served = Served(name, process, port, "/api/search?q={q}")
    _wait_ready(served, "/api/search?q=council")
    return served


def serve_datasette(sqlite: str, work: Path) -> Served:
    port = _free_port()
    name = Path(sqlite).stem
    metadata = work / "datasette.json"
    metadata.write_text(
        json.dumps({"databases": {name: {"queries": {"search": {"sql": DATASETTE_SQL}}}}})
    )
    command = [sys.executable, "-m", "datasette", "serve", sqlite, "--immutable", sqlite,
               "-h", HOST, "-p", str(port), "--metadata", str(metadata),
               "--setting", "sql_time_limit_ms", "10000"]  # fmt: skip
    command.remove(sqlite)  # served --immutable only (read-only, no locking, as a reader)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    served = Served("datasette", process, port, f"/{name}/search.json?_shape=array&q={{q}}")
    _wait_ready(served, served.url(match_expression("council") or ""))
    return served


def stop(served: Served) -> None:
    served.process.send_signal(signal.SIGINT)
    try:
        served.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait()


async def _request(
    pool: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]], port: int, path: str
) -> int:
    """One GET on an idle keep-alive connection of ``pool`` (a new one when none is idle):
    its status; the connection goes back to the pool when the answer is read whole."""
    reader, writer = pool.pop() if pool else await asyncio.open_connection(HOST, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    fields = {}
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        fields[key.strip().lower()] = value.strip().lower()
    if b"content-length" in fields:
        await reader.readexactly(int(fields[b"content-length"]))
    elif fields.get(b"transfer-encoding") == b"chunked":
        while size := int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    if fields.get(b"connection") == b"close":
        writer.close()
    else:
        pool.append((reader, writer))
    return status


async def open_loop(
    served: Served, texts: list[str], rate: float, seconds: float, seed: int = 1
) -> dict[str, float]:
    """Poisson arrivals at ``rate`` a second for ``seconds``: answers/s, p50, p99 (ms, from
    each request's scheduled moment), errors, and the requests still unanswered at the end
    (given ``seconds`` more to finish)."""
    rng = random.Random(seed)
    pool: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    latencies: list[float] = []
    errors = [0]
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    done_at = [start]

    async def one(at: float, path: str) -> None:
        await asyncio.sleep(max(0.0, at - loop.time()))
        try:
            status = await _request(pool, served.port, path)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors[0] += 1
            return
        finished = loop.time()
        done_at[0] = max(done_at[0], finished)
        if status == 200:
            latencies.append(finished - at)
        else:
            errors[0] += 1

    tasks = []
    at = start
    while True:
        at += rng.expovariate(rate)
        if at - start > seconds:
            break
        tasks.append(asyncio.create_task(one(at, served.url(rng.choice(texts)))))
    _, late = await asyncio.wait(tasks, timeout=2 * seconds + 5)
    for task in late:
        task.cancel()
    for _, writer in pool:
        writer.close()
    latencies.sort()
    answered = len(latencies)
    elapsed = max(done_at[0] - start, seconds)

    def pick(q: float) -> float:
        return latencies[min(answered - 1, int(answered * q))] * 1000 if answered else float("nan")

    return {
        "offered": len(tasks) / seconds,
        "rps": answered / elapsed,
        "p50": pick(0.50),
        "p99": pick(0.99),
        "errors": errors[0],
        "unanswered": len(late),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--rates", default="100,300", help="offered searches/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--sqlite", help="a SQLite file to use (filled when new; kept)")
    parser.add_argument("--postgres", help="a PostgreSQL database's URL (filled when empty)")
    parser.add_argument("--only", help="serve only these, comma-separated: newsdesk,datasette,"
                        "postgres")  # fmt: skip
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    wanted = set((args.only or "newsdesk,datasette,postgres").split(","))
    cluster = Path(tempfile.mkdtemp(prefix="newsdesk-bench-pg-"))
    work = Path(tempfile.mkdtemp(prefix="newsdesk-bench-"))
    server = None
    texts = queries(500)
    results: dict[str, dict[float, dict[str, float]]] = {}
    try:
        sqlite = args.sqlite or str(work / "search.db")
        _filled(sqlite, args.articles)
        postgres = args.postgres
        if "postgres" in wanted and postgres is None:
            try:
                server = start_server(cluster)
            except ServerUnavailable as exc:
                print(f"PostgreSQL unavailable: {exc}", file=sys.stderr)
                return 1
            postgres = server.socket_url(server.new_database().rsplit("/", 1)[1])
        if "postgres" in wanted and postgres:
            _filled(postgres, args.articles)
        for rate in rates:  # each server at one rate, then the next rate: side by side
            for name in ("newsdesk", "datasette", "postgres"):
                if name not in wanted:
                    continue
                if name == "datasette":
                    served = serve_datasette(sqlite, work)
                    paths = [match_expression(t) or t for t in texts]
                else:
                    location = sqlite if name == "newsdesk" else str(postgres)
                    label = "newsdesk (SQLite)" if name == "newsdesk" else "newsdesk (PostgreSQL)"
                    served = serve_newsdesk(location, label)
                    paths = texts
                try:
                    asyncio.run(open_loop(served, paths, rate, 2))  # warm
                    result = asyncio.run(open_loop(served, paths, rate, args.seconds))
                finally:
                    stop(served)
                results.setdefault(served.name, {})[rate] = result
                print(f"{served.name} at {rate:g}/s: {result}", file=sys.stderr)
    finally:
        if server is not None:
            stop_server(server)
        shutil.rmtree(cluster, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"\n{args.articles} demo articles, {args.seconds:g} s a rate, Poisson arrivals, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")  # fmt: skip
    print("| server | offered (/s) | answered (/s) | p50 (ms) | p99 (ms) | errors | unanswered |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, by_rate in results.items():
        for rate, r in by_rate.items():
            print(f"| {name} | {rate:g} ({r['offered']:.0f}) | {r['rps']:.0f} | {r['p50']:.1f} "
                  f"| {r['p99']:.1f} | {r['errors']:.0f} | {r['unanswered']:.0f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

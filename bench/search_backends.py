"""What a search costs on SQLite and on PostgreSQL, side by side, over the same demo articles.

Both stores are filled with the serving benchmark's articles (bench/serve.py ``fill``); the
PostgreSQL one is a cluster this script starts (as tests/pgserver.py does) and stops. Each
query is ``Store.search`` as the API calls it (20 hits with their snippets), timed by the wall
clock (PostgreSQL's work is in its server's process), warmed once, then ``--repeat`` times:
the median and the p99 of each kind of query.

    .venv/bin/python bench/search_backends.py --articles 20000 --repeat 30
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.pgserver import ServerUnavailable, start_server, stop_server  # noqa: E402

from newsdesk.store import open_reader  # noqa: E402
from serve import fill  # noqa: E402 (bench/serve.py, beside this file)

QUERIES = {
    "common word": "council",
    "rare word": "ferry",
    "two words": "harbour council",
    "phrase": '"city council"',
    "exclusion": "council -budget",
    "with a filter": "council lang:en",
}


def _times(store_location: str, repeat: int) -> dict[str, tuple[float, float, int]]:
    store = open_reader(store_location)
    out = {}
    for name, query in QUERIES.items():
        hits = len(store.search(query, limit=20))  # warm
        spent = []
        for _ in range(repeat):
            started = time.perf_counter()
            store.search(query, limit=20)
            spent.append((time.perf_counter() - started) * 1000)
        spent.sort()
        p99 = spent[min(len(spent) - 1, int(len(spent) * 0.99))]
        out[name] = (statistics.median(spent), p99, hits)
    store.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    cluster = Path(tempfile.mkdtemp(prefix="newsdesk-bench-pg-"))
    work = Path(tempfile.mkdtemp(prefix="newsdesk-bench-"))
    try:
        server = start_server(cluster)
    except ServerUnavailable as exc:
        print(f"PostgreSQL unavailable: {exc}", file=sys.stderr)
        return 1
    try:
        sqlite = str(work / "search.db")
        postgres = server.socket_url(server.new_database().rsplit("/", 1)[1])
        for location in (sqlite, postgres):
            took = fill(Path(location) if location == sqlite else location, args.articles)  # type: ignore[arg-type]
            print(f"filled {location.split('?')[0]} in {took:.0f} s", file=sys.stderr)
        results = {
            "SQLite": _times(sqlite, args.repeat),
            "PostgreSQL": _times(postgres, args.repeat),
        }
    finally:
        stop_server(server)
        shutil.rmtree(cluster, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{args.articles} demo articles, Store.search (20 hits, snippets), wall clock, "
          f"{args.repeat} runs a query\n")  # fmt: skip
    print("| query | SQLite median / p99 (ms) | PostgreSQL median / p99 (ms) | hits |")
    print("| --- | ---: | ---: | ---: |")
    for name, query in QUERIES.items():
        s_med, s_p99, s_hits = results["SQLite"][name]
        p_med, p_p99, p_hits = results["PostgreSQL"][name]
        print(f"| {name}: `{query}` | {s_med:.1f} / {s_p99:.1f} | {p_med:.1f} / {p_p99:.1f} "
              f"| {s_hits} / {p_hits} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What one search costs, in-process, over the serving benchmark's store.

The search scenarios of bench/serve.py ask for two words of the newsroom's vocabulary.
This times, in CPU (``time.process_time``, the median of ``--repeat`` passes over the
distinct queries), ``Store.search`` as the API calls it (20 hits with their snippets) and,
apart, the ranked FTS5 statement it starts with (bm25 over the window of most recent
matches), that statement for each search that matches anything, and counts the matches.
The statement's cost bounds what a machine can serve without the response cache: a search
cannot cost less than it.

    .venv/bin/python bench/search.py --db /tmp/serve.db   # a store bench/serve.py filled
    .venv/bin/python bench/search.py --articles 20000     # fill a new one first
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from newsdesk.store import open_reader
from newsdesk.store.search import RANKED_SEARCH, SEARCH_WINDOW, match_expression
from serve import filled_store, scenario_paths  # bench/serve.py, beside this file


def _median_cpu(run: Callable[[str], None], queries: list[str], repeat: int) -> float:
    passes = []
    for _ in range(repeat):
        started = time.process_time()
        for q in queries:
            run(q)
        passes.append((time.process_time() - started) / len(queries))
    return statistics.median(passes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a store bench/serve.py filled (or fill it)")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_reader(filled_store(args.db, args.articles, tmp))
        total = store.counts()["articles"]
        _, pairs = scenario_paths(total, random.Random(5))
        queries = sorted({p.replace("+", " ") for p in pairs})
        connection = store._db  # the statement alone, on the store's own connection
        statement = RANKED_SEARCH.format(where="articles_fts MATCH ?")

        def ranked(q: str) -> None:
            connection.execute(statement, (match_expression(q), SEARCH_WINDOW, 20, 0)).fetchall()

        def full(q: str) -> None:
            store.search(q, limit=20)

        for q in queries:  # the index's pages in memory, as in a running server
            full(q)
        matches = [
            connection.execute(
                "SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH ?",
                (match_expression(q),),
            ).fetchone()[0]
            for q in queries
        ]
        statement_ms = _median_cpu(ranked, queries, args.repeat) * 1000
        hit = [q for q, n in zip(queries, matches, strict=True) if n]
        each_ms = [_median_cpu(ranked, [q], args.repeat) * 1000 for q in hit]
        search_ms = _median_cpu(full, queries, args.repeat) * 1000
        store.close()
    cores = os.cpu_count() or 1
    ceiling = cores * 1000 / statement_ms
    print(
        f"{total} articles, {len(queries)} distinct two-word searches, "
        f"median of {args.repeat} passes\n"
    )
    print("| measure | value |")
    print("|---|---|")
    print(f"| matches a search, mean (median) | {statistics.mean(matches):.0f} "
          f"({statistics.median(matches):.0f}) |")  # fmt: skip
    found = [n for n in matches if n]
    if found:
        spread = f"{min(found)}, {statistics.median(found):.0f}, {statistics.mean(found):.0f}"
        print(f"| searches that match, and their matches: fewest, median, mean | {len(found)}, "
              f"{spread} |")  # fmt: skip
    print(f"| ranked FTS5 statement (window {SEARCH_WINDOW}), CPU | {statement_ms:.2f} ms |")
    if each_ms:
        spread = f"{min(each_ms):.2f}, {statistics.mean(each_ms):.2f}, {max(each_ms):.2f}"
        print(f"| the statement for a search with matches: least, mean, most | {spread} ms |")
    print(f"| Store.search, 20 hits with snippets, CPU | {search_ms:.2f} ms |")
    print(f"| searches/s on {cores} cores from the statement alone, at most | {ceiling:.0f} |")
    wait_ms = 50 / ceiling * 1000
    print(f"| 50 back-to-back clients then wait, on average, at least | {wait_ms:.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Cleaning throughput (MB/s) at growing input sizes: the rate must stay flat (linear time).

The input is the golden cleaning cases (tests/data/clean, synthetic relayed stories in six
languages) concatenated and repeated to each size, so every repair runs at every size.

    .venv/bin/python bench/clean.py                  # 1, 4, 16 and 64 MB
    .venv/bin/python bench/clean.py --sizes 1 10 100 # include the 100 MB bad-input case
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import newsdesk

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "tests" / "data" / "clean"


def material() -> str:
    parts = []
    for path in sorted(CASES.glob("*.case")):
        body = path.read_text("utf-8").split("=== input\n", 1)[1].split("=== expected\n", 1)[0]
        parts.append(body.strip())
    return "\n\n".join(parts) + "\n\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 4, 16, 64], help="MB")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (median)")
    args = parser.parse_args()
    unit = material()
    print("| input (MB) | median seconds | MB/s | paragraphs out | peak RSS (MB) |")
    print("|---|---|---|---|---|")
    rates = []
    for size in args.sizes:
        copies = max(1, int(size * 2**20 / len(unit.encode())))
        text = unit * copies
        megabytes = len(text.encode()) / 2**20
        runs = []
        article = None
        for _ in range(args.repeat if megabytes < 50 else 1):
            started = time.perf_counter()
            article = newsdesk.clean_text(text)
            runs.append(time.perf_counter() - started)
        assert article is not None
        seconds = statistics.median(runs)
        rates.append(megabytes / seconds)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"| {megabytes:.1f} | {seconds:.2f} | {megabytes / seconds:.2f} "
            f"| {len(article.blocks)} | {peak:.0f} |"
        )
    spread = max(rates) / min(rates)
    print(f"\nrate spread (max/min MB/s) across sizes: {spread:.2f} (1.00 = perfectly linear)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

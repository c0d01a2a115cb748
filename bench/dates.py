"""Publication dates side by side: newsdesk against htmldate on ``../shared/data/htmldate-eval``.

Each page's gold is its original publication day. A system's answer is cut to its calendar day
*as given*, in the offset the system returned (never converted to UTC first: an evening story
stamped ``...T01:09:55Z`` is the previous day where it was published), and counted right, wrong
or none. newsdesk is ``extract(html_bytes, url=url).published``; htmldate is
``find_date(html, url=url, original_date=True)`` (the mode its own evaluation uses) and,
for reference, its default (the latest date). Same pages, same process.

    python bench/dates.py                       # the table
    python bench/dates.py --misses 20           # also list newsdesk's misses beside htmldate
    python bench/dates.py --json bench/results/dates.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NEWSDESK_SHARED", REPO.parent / "shared"))
DATA = SHARED / "data" / "htmldate-eval"

DateFinder = Callable[[bytes, str], str | None]  # the day as YYYY-MM-DD, or None


def _newsdesk() -> DateFinder:
    import newsdesk

    def run(page: bytes, url: str) -> str | None:
        try:
            published = newsdesk.extract(page, url=url).published
        except newsdesk.ExtractionError:
            return None
        return published.date().isoformat() if published else None

    return run


def _htmldate(original: bool) -> DateFinder:
    from htmldate import find_date

    def run(page: bytes, url: str) -> str | None:
        found = find_date(page, url=url, original_date=original)
        return found[:10] if found else None

    return run


SYSTEMS: dict[str, Callable[[], DateFinder]] = {
    "newsdesk": _newsdesk,
    "htmldate (original_date=True)": lambda: _htmldate(True),
    "htmldate (default)": lambda: _htmldate(False),
}


def load() -> tuple[dict[str, dict[str, str]], list[tuple[str, bytes, str]]]:
    truth = json.loads((DATA / "ground-truth.json").read_text("utf-8"))
    pages = [
        (key, gzip.decompress((DATA / "html" / f"{key}.html.gz").read_bytes()), item["url"])
        for key, item in sorted(truth.items())
    ]
    return truth, pages


def tally(truth: dict[str, dict[str, str]], answers: dict[str, str | None]) -> dict[str, object]:
    counts = {"right": 0, "wrong": 0, "none": 0, "off_by_one": 0}
    by_subset: dict[str, list[int]] = {}
    for key, item in truth.items():
        got = answers[key]
        right = got == item["published"]
        if got is None:
            counts["none"] += 1
        elif right:
            counts["right"] += 1
        else:
            counts["wrong"] += 1
            gap = abs(_ordinal(got) - _ordinal(item["published"]))
            counts["off_by_one"] += gap == 1
        cell = by_subset.setdefault(item.get("subset", "all"), [0, 0])
        cell[0] += right
        cell[1] += 1
    return {
        **counts,
        "accuracy": counts["right"] / len(truth),
        "by_subset": {name: right / total for name, (right, total) in sorted(by_subset.items())},
    }


def _ordinal(day: str) -> int:
    from datetime import date

    return date.fromisoformat(day).toordinal()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", type=int, default=0, help="list this many newsdesk misses")
    parser.add_argument("--only", action="append", choices=list(SYSTEMS), help="limit systems")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    if not (DATA / "ground-truth.json").exists():
        print(f"date data not found under {DATA}", file=sys.stderr)
        return 2
    truth, pages = load()
    names = args.only or list(SYSTEMS)
    answers: dict[str, dict[str, str | None]] = {}
    rows = []
    for name in names:
        finder = SYSTEMS[name]()
        started = time.perf_counter()
        answers[name] = {key: finder(page, url) for key, page, url in pages}
        elapsed = time.perf_counter() - started
        rows.append(
            {"system": name, "pages_per_s": len(pages) / elapsed, **tally(truth, answers[name])}
        )
    print(f"\n{len(pages)} pages of htmldate-eval, exact day as given\n")
    print("| system | right | wrong (of which ±1 day) | none | accuracy | by subset | pages/s |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        subsets = ", ".join(f"{k} {v:.3f}" for k, v in row["by_subset"].items())  # type: ignore[attr-defined]
        print(
            f"| {row['system']} | {row['right']} | {row['wrong']} ({row['off_by_one']}) "
            f"| {row['none']} | {row['accuracy']:.3f} | {subsets} | {row['pages_per_s']:.0f} |"
        )
    if args.misses and "newsdesk" in answers:
        other = next((n for n in names if n.startswith("htmldate")), None)
        shown = 0
        for key, item in sorted(truth.items()):
            got = answers["newsdesk"][key]
            if got != item["published"] and shown < args.misses:
                peer = answers[other][key] if other else None
                print(
                    f"{key} gold {item['published']} newsdesk {got} htmldate {peer} {item['url']}"
                )
                shown += 1
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Side-by-side extraction benchmark: newsdesk against trafilatura and readability-lxml.

Every dev set present under ``../shared/data`` (the article-extraction-benchmark and the dev
sets of issue 19: utomo-leu, dragnet, mozilla-readability) is read; each system gets the same
pages (the HTML bytes as fetched) in the same process, in alternation, for several passes;
speed is the median over passes, reported as pages/s over all sets and as a ratio to
trafilatura's default mode run in the same pass. Quality is scored per set with
``../shared/bench/score_extraction.py`` (the scorer published figures use), against the gold
and against the gold without its first line (``dragnet`` and ``utomo-leu`` gold starts with
the headline), with the count of empty bodies where the gold has more than 100 words. A
selectolax parse-only pass gives the floor for any DOM-based extractor here. Peak RSS is
measured per system in a fresh child process, so one system's allocations do not hide
another's.

    make bench                          # everything, 3 passes
    python bench/extraction.py --passes 5 --json bench/results/extraction.json
    python bench/extraction.py --set dragnet --only newsdesk --passes 1 --no-rss
    python bench/extraction.py --memory 10000   # RSS growth over 10,000 newsdesk extractions
"""

from __future__ import annotations

import argparse
import gc
import gzip
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NEWSDESK_SHARED", REPO.parent / "shared"))
DATA = SHARED / "data"
SETS = ("article-extraction-benchmark", "utomo-leu", "dragnet", "mozilla-readability")
SCORER = SHARED / "bench" / "score_extraction.py"

Extractor = Callable[[bytes, str], str]


def _newsdesk(clean: bool = True) -> Extractor:
    import newsdesk

    options = newsdesk.ExtractOptions(clean=clean)

    def run(page: bytes, url: str) -> str:
        return newsdesk.extract(page, url=url, options=options).text

    return run


def _trafilatura(**mode: bool) -> Extractor:
    """trafilatura asked for the article without its comments (what newsdesk returns and
    what every set's gold holds; its default appends the comments)."""
    import trafilatura

    def run(page: bytes, url: str) -> str:
        return trafilatura.extract(page, url=url, include_comments=False, **mode) or ""

    return run


def _readability() -> Extractor:
    import lxml.html
    from readability import Document

    def run(page: bytes, url: str) -> str:
        summary = Document(page, url=url).summary(html_partial=True)
        if not summary.strip():
            return ""
        return "\n".join(t.strip() for t in lxml.html.fromstring(summary).itertext() if t.strip())

    return run


def _parse_only() -> Extractor:
    from selectolax.lexbor import LexborHTMLParser

    def run(page: bytes, url: str) -> str:
        LexborHTMLParser(page)
        return ""

    return run


SYSTEMS: dict[str, Callable[[], Extractor]] = {
    "newsdesk": _newsdesk,
    "newsdesk (cleaning off)": lambda: _newsdesk(clean=False),
    "trafilatura": _trafilatura,
    "trafilatura (favor_recall)": lambda: _trafilatura(favor_recall=True),
    "readability-lxml": _readability,
    "selectolax parse only": _parse_only,
}
BASELINE = "trafilatura"


Page = tuple[str, str, bytes, str]  # set, id, HTML bytes, URL


def present_sets(wanted: list[str] | None = None) -> list[str]:
    return [name for name in wanted or SETS if (DATA / name / "ground-truth.json").exists()]


def load_pages(
    sets: list[str], sample: int = 1
) -> tuple[dict[str, dict[str, dict[str, str]]], list[Page]]:
    """Each set's gold, and every page (every ``sample``-th) of every set (in set order,
    then id order)."""
    truths: dict[str, dict[str, dict[str, str]]] = {}
    pages: list[Page] = []
    for name in sets:
        truth = json.loads((DATA / name / "ground-truth.json").read_text("utf-8"))
        truth = dict(sorted(truth.items())[::sample])
        truths[name] = truth
        for item_id, item in sorted(truth.items()):
            html = gzip.decompress((DATA / name / "html" / f"{item_id}.html.gz").read_bytes())
            pages.append((name, item_id, html, item.get("url") or ""))
    return truths, pages


def without_first_line(truth: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The gold without its first line (the headline, in sets whose gold starts with it)."""
    return {
        key: {"articleBody": "\n".join((item.get("articleBody") or "").split("\n")[1:])}
        for key, item in truth.items()
    }


def load_scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("score_extraction", SCORER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child_peak_rss(name: str, sets: list[str]) -> float:
    """Peak RSS of a fresh process that loads the pages and runs ``name`` over them once,
    minus its RSS once the pages are loaded: what the extractor itself needs at its peak."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, *(f"--set={s}" for s in sets)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip())


def run_child(name: str, sets: list[str]) -> None:
    _, pages = load_pages(sets)
    loaded = current_rss_mb()
    extractor = SYSTEMS[name]()
    for _, _, page, url in pages:
        extractor(page, url)
    print(f"{peak_rss_mb() - loaded:.1f}")


def memory_growth(count: int) -> None:
    """RSS before and after ``count`` newsdesk extractions (after one warm-up pass)."""
    _, pages = load_pages(present_sets())
    extractor = _newsdesk()
    for _, _, page, url in pages:
        extractor(page, url)
    before = current_rss_mb()
    done = 0
    while done < count:
        for _, _, page, url in pages:
            extractor(page, url)
            done += 1
            if done == count:
                break
    after = current_rss_mb()
    print(
        f"{count} newsdesk extractions: RSS {before:.1f} MB -> {after:.1f} MB "
        f"(growth {after - before:+.1f} MB; target < 50 MB)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=3, help="timed passes (default 3)")
    parser.add_argument("--only", action="append", choices=list(SYSTEMS), help="limit systems")
    parser.add_argument("--set", action="append", choices=SETS, help="limit data sets")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--sample", type=int, default=1, metavar="N", help="every Nth page of each set only"
    )
    parser.add_argument("--memory", type=int, metavar="N", help="only the RSS-growth check")
    parser.add_argument("--no-rss", action="store_true", help="skip the per-system RSS runs")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time passes in this process's CPU time (time.process_time), not wall time: "
        "less at the mercy of other processes on a shared machine",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sets = present_sets(args.set)
    if not sets:
        print(f"no benchmark data found under {DATA}", file=sys.stderr)
        return 2
    if args.child:
        run_child(args.child, sets)
        return 0
    if args.memory:
        memory_growth(args.memory)
        return 0

    truths, pages = load_pages(sets, args.sample)
    names = args.only or list(SYSTEMS)
    extractors = {name: SYSTEMS[name]() for name in names}
    outputs: dict[str, dict[str, dict[str, dict[str, str]]]] = {
        name: {s: {} for s in sets} for name in names
    }
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for _, _, page, url in pages[:5]:  # warm-up: imports, caches, lazy initialisation
        for extractor in extractors.values():
            extractor(page, url)
    clock = time.process_time if args.cpu else time.perf_counter
    for number in range(args.passes):
        order = names[number % len(names) :] + names[: number % len(names)]
        for name in order:
            extractor = extractors[name]
            gc.collect()  # each system starts from a clean heap, not the last one's garbage
            started = clock()
            for set_name, item_id, page, url in pages:
                text = extractor(page, url)
                if number == 0:
                    outputs[name][set_name][item_id] = {"articleBody": text}
            seconds[name].append(clock() - started)
        print(f"pass {number + 1}/{args.passes} done", file=sys.stderr)

    results = score_all(truths, outputs, names)
    base = statistics.median(seconds[BASELINE]) if BASELINE in seconds else None
    speed = []
    for name in names:
        median = statistics.median(seconds[name])
        row: dict[str, object] = {
            "system": name,
            "pages_per_s": len(pages) / median,
            "speed_vs_trafilatura": (base / median) if base else None,
            "seconds_per_pass": seconds[name],
        }
        if not args.no_rss:
            row["peak_rss_mb"] = child_peak_rss(name, sets)
        speed.append(row)
    print_tables(results, speed, len(pages), args.passes, "CPU" if args.cpu else "wall")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {"quality": results, "speed": speed}
        args.json.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    return 0


def score_all(
    truths: dict[str, dict[str, dict[str, str]]],
    outputs: dict[str, dict[str, dict[str, dict[str, str]]]],
    names: list[str],
) -> list[dict[str, object]]:
    """One row per set and system: F1, P, R against the gold and without its first line,
    and the empty bodies where the gold has more than 100 words."""
    scorer = load_scorer()
    rows: list[dict[str, object]] = []
    for set_name, truth in truths.items():
        headless = without_first_line(truth)
        for name in names:
            if name == "selectolax parse only":
                continue
            predicted = outputs[name][set_name]
            full, _ = scorer.score(truth, predicted, n_bootstrap=200)
            body, _ = scorer.score(headless, predicted, n_bootstrap=0)
            empty = sum(
                1
                for key, item in truth.items()
                if len(scorer.words(item.get("articleBody") or "")) > 100
                and not scorer.words(predicted[key]["articleBody"])
            )
            row: dict[str, object] = {"set": set_name, "system": name, "empty": empty}
            row.update({k: full[k] for k in ("f1", "precision", "recall", "f1_std")})
            row.update({f"{k}_no_first_line": body[k] for k in ("f1", "precision", "recall")})
            rows.append(row)
    return rows


def _fmt(row: dict[str, object], key: str, spec: str) -> str:
    value = row.get(key)
    return format(value, spec) if isinstance(value, int | float) else "–"


def print_tables(
    quality: list[dict[str, object]],
    speed: list[dict[str, object]],
    n_pages: int,
    passes: int,
    clock: str = "wall",
) -> None:
    print("\nQuality (gold as given | gold without its first line)\n")
    print("| set | system | F1 | P | R | F1 (no 1st line) | P | R | empty (gold > 100 words) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in quality:
        print(
            f"| {row['set']} | {row['system']} | {_fmt(row, 'f1', '.3f')} "
            f"± {_fmt(row, 'f1_std', '.3f')} | {_fmt(row, 'precision', '.3f')} "
            f"| {_fmt(row, 'recall', '.3f')} | {_fmt(row, 'f1_no_first_line', '.3f')} "
            f"| {_fmt(row, 'precision_no_first_line', '.3f')} "
            f"| {_fmt(row, 'recall_no_first_line', '.3f')} | {row['empty']} |"
        )
    print(
        f"\nSpeed: {n_pages} pages, {passes} passes in alternation, median pass time "
        f"({clock} time; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())})\n"
    )
    print("| system | pages/s | × trafilatura | passes (s) | peak RSS (MB) |")
    print("|---|---|---|---|---|")
    for row in speed:
        times = row["seconds_per_pass"]
        passes_s = ", ".join(f"{x:.2f}" for x in times) if isinstance(times, list) else "–"
        print(
            f"| {row['system']} | {_fmt(row, 'pages_per_s', '.1f')} "
            f"| {_fmt(row, 'speed_vs_trafilatura', '.2f')} | {passes_s} "
            f"| {_fmt(row, 'peak_rss_mb', '.0f')} |"
        )


if __name__ == "__main__":
    sys.exit(main())

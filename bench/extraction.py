"""Side-by-side extraction benchmark: newsdesk against trafilatura and readability-lxml.

Every system gets the same pages (the HTML bytes as fetched) in the same process, in
alternation, for several passes; speed is the median over passes, reported as pages/s and as
a ratio to trafilatura's default mode run in the same pass. Quality is scored with
``../shared/bench/score_extraction.py`` (the scorer published figures use). A selectolax
parse-only pass gives the floor for any DOM-based extractor here. Peak RSS is measured per
system in a fresh child process, so one system's allocations do not hide another's.

    make bench                          # everything, 3 passes
    python bench/extraction.py --passes 5 --json bench/results/extraction.json
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
DATA = SHARED / "data" / "article-extraction-benchmark"
SCORER = SHARED / "bench" / "score_extraction.py"

Extractor = Callable[[bytes, str], str]


def _newsdesk(clean: bool = True) -> Extractor:
    import newsdesk

    options = newsdesk.ExtractOptions(clean=clean)

    def run(page: bytes, url: str) -> str:
        return newsdesk.extract(page, url=url, options=options).text

    return run


def _trafilatura(favor_precision: bool) -> Extractor:
    import trafilatura

    def run(page: bytes, url: str) -> str:
        return trafilatura.extract(page, url=url, favor_precision=favor_precision) or ""

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
    "trafilatura": lambda: _trafilatura(False),
    "trafilatura (favor_precision)": lambda: _trafilatura(True),
    "readability-lxml": _readability,
    "selectolax parse only": _parse_only,
}
BASELINE = "trafilatura"


def load_pages() -> tuple[dict[str, dict[str, str]], list[tuple[str, bytes, str]]]:
    truth = json.loads((DATA / "ground-truth.json").read_text("utf-8"))
    pages = [
        (item_id, gzip.decompress((DATA / "html" / f"{item_id}.html.gz").read_bytes()), item["url"])
        for item_id, item in sorted(truth.items())
    ]
    return truth, pages


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


def child_peak_rss(name: str) -> float:
    """Peak RSS of a fresh process that loads the pages and runs ``name`` over them once,
    minus its RSS once the pages are loaded: what the extractor itself needs at its peak."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", name],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip())


def run_child(name: str) -> None:
    _, pages = load_pages()
    loaded = current_rss_mb()
    extractor = SYSTEMS[name]()
    for _, page, url in pages:
        extractor(page, url)
    print(f"{peak_rss_mb() - loaded:.1f}")


def memory_growth(count: int) -> None:
    """RSS before and after ``count`` newsdesk extractions (after one warm-up pass)."""
    _, pages = load_pages()
    extractor = _newsdesk()
    for _, page, url in pages:
        extractor(page, url)
    before = current_rss_mb()
    done = 0
    while done < count:
        for _, page, url in pages:
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
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--memory", type=int, metavar="N", help="only the RSS-growth check")
    parser.add_argument("--no-rss", action="store_true", help="skip the per-system RSS runs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (DATA / "ground-truth.json").exists():
        print(f"benchmark data not found under {DATA}", file=sys.stderr)
        return 2
    if args.child:
        run_child(args.child)
        return 0
    if args.memory:
        memory_growth(args.memory)
        return 0

    truth, pages = load_pages()
    names = args.only or list(SYSTEMS)
    extractors = {name: SYSTEMS[name]() for name in names}
    outputs: dict[str, dict[str, dict[str, str]]] = {name: {} for name in names}
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for _, page, url in pages[:5]:  # warm-up: imports, caches, lazy initialisation
        for extractor in extractors.values():
            extractor(page, url)
    for number in range(args.passes):
        order = names[number % len(names) :] + names[: number % len(names)]
        for name in order:
            extractor = extractors[name]
            gc.collect()  # each system starts from a clean heap, not the last one's garbage
            started = time.perf_counter()
            for item_id, page, url in pages:
                text = extractor(page, url)
                if number == 0:
                    outputs[name][item_id] = {"articleBody": text}
            seconds[name].append(time.perf_counter() - started)
        print(f"pass {number + 1}/{args.passes} done", file=sys.stderr)

    scorer = load_scorer()
    results = []
    base = statistics.median(seconds[BASELINE]) if BASELINE in seconds else None
    for name in names:
        median = statistics.median(seconds[name])
        row: dict[str, object] = {
            "system": name,
            "pages_per_s": len(pages) / median,
            "speed_vs_trafilatura": (base / median) if base else None,
            "seconds_per_pass": seconds[name],
        }
        if name != "selectolax parse only":
            score, _ = scorer.score(truth, outputs[name], n_bootstrap=200)
            row.update({k: score[k] for k in ("f1", "precision", "recall", "accuracy")})
            row["f1_std"] = score["f1_std"]
        if not args.no_rss:
            row["peak_rss_mb"] = child_peak_rss(name)
        results.append(row)
    print_table(results, len(pages), args.passes)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    return 0


def print_table(results: list[dict[str, object]], n_pages: int, passes: int) -> None:
    print(f"\n{n_pages} pages, {passes} passes in alternation, median pass time\n")
    header = "system | F1 | precision | recall | pages/s | × trafilatura | peak RSS (MB)"
    print(f"| {header} |")
    print("|---|---|---|---|---|---|---|")
    for row in results:

        def fmt(key: str, spec: str, row: dict[str, object] = row) -> str:
            value = row.get(key)
            return format(value, spec) if isinstance(value, int | float) else "–"

        print(
            f"| {row['system']} | {fmt('f1', '.3f')} ± {fmt('f1_std', '.3f')} "
            f"| {fmt('precision', '.3f')} | {fmt('recall', '.3f')} | {fmt('pages_per_s', '.0f')} "
            f"| {fmt('speed_vs_trafilatura', '.2f')} | {fmt('peak_rss_mb', '.0f')} |"
        )


if __name__ == "__main__":
    sys.exit(main())

"""End-to-end ingest throughput and memory on the demo newsroom, against extraction alone.

For each size, each step in a fresh child process (so a peak RSS is that process's own):

1. extract the N pages of a demo newsroom alone (rendered in memory, no HTTP, no store);
2. serve the newsroom on 127.0.0.1 (from a process of its own, as a real site would be)
   and ingest it into a new SQLite database (`run_once`: fetch feeds, fetch pages
   concurrently, extract, clean, store); then run a second pass with nothing changed and
   count how its requests were answered. This process holds nothing but the relay: the
   newsroom and the extraction-alone pass live in the other processes;
3. extract the pages alone again (the machine's speed drifts; the ratio is against the
   mean of steps 1 and 3).

Reported: articles/s end to end, articles/s of extraction alone, their ratio (target ≥ 60 %),
peak RSS (target ≤ 300 MB, flat as N grows: the relay's process, and with ``--processes``
the largest extraction process, counted once for each), the second pass's outcomes (all
304), and the CPU a page of the relay, its extraction processes and the newsroom's server.

    .venv/bin/python bench/ingest.py                 # 1,000 and 10,000 articles
    .venv/bin/python bench/ingest.py --sizes 1000
    .venv/bin/python bench/ingest.py --sizes 1000 --against /tmp/before/src --rounds 3

``--against SRC`` runs the ingest of another source tree (a checkout of an earlier commit's
``src/``) beside this one's, alternating, in the same run: rows marked ``this`` and
``against``, then the median of each and their ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from newsdesk import extract
from newsdesk.config import Settings
from newsdesk.demo.generator import Newsroom
from newsdesk.demo.server import serve_newsroom
from newsdesk.demo.site import render_story
from newsdesk.fetch import Fetcher
from newsdesk.pipeline import extraction_processes, run_once
from newsdesk.store import open_store


def peak_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def serve(size: int) -> None:
    """Serve a newsroom until stdin closes (the benchmark's web server, in its own process)."""
    room = Newsroom(seed=11, articles=size)
    with serve_newsroom(room, cache_bytes=2 << 30) as running:
        # Warm the server's cache first, as a real site's would be: the benchmark measures
        # the relay, not the page generator that stands in for the newsroom's CMS.
        with httpx.Client(headers={"Accept-Encoding": "gzip"}) as client:
            for outlet in room.outlets:
                base = running.bases[outlet.slug]
                for page in range(1, room.per_outlet + 2):  # every page of a paged feed
                    if client.get(f"{base}{outlet.feed_path}?page={page}").status_code != 200:
                        break
                for story in room.stories(outlet.slug):
                    client.get(base + story.path)
        print(json.dumps(running.feed_urls()), flush=True)
        sys.stdin.read()


def measure(size: int, processes: int, workers: int = 8, dedupe: bool = True) -> dict[str, object]:
    """The ingest's figures (in a process that holds only the relay)."""
    settings = Settings(
        allow_private_networks=True,
        per_host_delay=0.0,
        per_host_concurrency=8,
        workers=workers,
        extract_processes=processes,
        dedupe=dedupe,
    )
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(size)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    feeds: list[str] = json.loads(server.stdout.readline())
    try:
        return _measure(settings, feeds, server.pid)
    finally:
        server.stdin.close()
        server.wait(timeout=30)


def cpu_seconds() -> tuple[float, float]:
    """User + system CPU seconds of this process and of its reaped children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of another running process (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> list[int]:
    """The machine's CPU time by state since boot (Linux /proc/stat: user, nice, system,
    idle, iowait, irq, softirq, steal, ...), in clock ticks; empty elsewhere."""
    try:
        with open("/proc/stat") as fh:
            return [int(v) for v in fh.readline().split()[1:]]
    except OSError:
        return []


def machine_shares(before: list[int], after: list[int]) -> dict[str, float]:
    """The shares of the machine's CPU time that were idle and stolen (by the hypervisor,
    for other guests) between two readings: what makes this machine's figures drift."""
    if not before or not after:
        return {}
    spent = [b - a for a, b in zip(before, after, strict=False)]
    total = sum(spent[:8]) or 1
    return {"idle": round(spent[3] / total, 3), "steal": round(spent[7] / total, 3)}


def reset_peak_rss() -> None:
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # Linux: resets VmHWM to the current RSS


def extract_rate(size: int) -> float:
    """Pages a second that ``extract`` alone manages on the newsroom's pages, rendered in
    memory one at a time (only ``extract`` is timed)."""
    room = Newsroom(seed=11, articles=size)
    seconds = 0.0
    pages = 0
    for port, outlet in enumerate(room.outlets, start=8001):
        base = f"http://127.0.0.1:{port}"  # as served: only the port differs
        for story in room.stories(outlet.slug):
            body = render_story(room, outlet, story, base)
            started = time.perf_counter()
            extract(body, url=base + story.path)
            seconds += time.perf_counter() - started
            pages += 1
    return pages / seconds


def _measure(settings: Settings, feeds: list[str], server_pid: int) -> dict[str, object]:
    gc.collect()
    reset_peak_rss()  # the peak reported is the ingest's own
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        for feed in feeds:
            store.add_source(feed, now=datetime.now(UTC))
        with Fetcher(settings) as fetcher:
            own, workers = cpu_seconds()
            served = process_cpu_seconds(server_pid)
            ticks = machine_ticks()
            started = time.perf_counter()
            report = run_once(store, fetcher, settings)
            ingest_seconds = time.perf_counter() - started
            own_after, workers_after = cpu_seconds()
            served_after = process_cpu_seconds(server_pid)
            shares = machine_shares(ticks, machine_ticks())
            # the largest of the extraction processes (reaped when the pass ended)
            worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            before = store.fetch_outcomes()
            again = run_once(store, fetcher, settings)
            after = store.fetch_outcomes()
        second = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        ingest_peak = peak_rss_mb()
    handled = report.stored + report.duplicates  # every page fetched, extracted and stored
    return {
        "articles": handled,
        "stored": report.stored,
        "ingest_per_s": handled / ingest_seconds,
        "peak_rss_mb": ingest_peak,
        "processes": extraction_processes(settings),
        "extraction_process_peak_mb": worker_peak if extraction_processes(settings) else 0.0,
        "second_pass": {"sources": again.sources, "new_entries": again.new_entries, **second},
        "failed": report.failed_entries,
        "machine": shares,  # during the ingest: idle and stolen shares of all cores
        # CPU a page: the relay's own process, and its extraction processes (reaped when
        # the pass ends, so counted as children; the newsroom's server is reaped later)
        "cpu_ms_per_page": {
            "relay": round((own_after - own) / handled * 1000, 2),
            "extraction_processes": round((workers_after - workers) / handled * 1000, 2),
            # the newsroom's server shares the machine's cores (a real site would not)
            "newsroom_server": round((served_after - served) / handled * 1000, 2),
        },
    }


def _rss(row: dict[str, Any]) -> str:
    processes = row["processes"]
    relay = row["peak_rss_mb"]
    if not processes:
        return f"{relay:.0f}"
    each = row["extraction_process_peak_mb"]
    return f"{relay:.0f} + {processes} × ≤{each:.0f} = ≤{relay + processes * each:.0f}"


def _alone(size: int) -> float:
    """Extraction alone, in a fresh process of its own."""
    out = subprocess.run(
        [sys.executable, __file__, "--alone", str(size)], check=True, capture_output=True, text=True
    )
    rate: float = json.loads(out.stdout)
    return rate


def _ingest(size: int, args: argparse.Namespace, src: Path | None) -> dict[str, Any]:
    """One ingest in a child process, of this tree or of ``src``."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            str(size),
            "--processes",
            str(args.processes),
            "--workers",
            str(args.workers),
            *(["--no-dedupe"] if args.no_dedupe else []),
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    row: dict[str, Any] = json.loads(out.stdout)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument(
        "--processes",
        type=int,
        default=-1,
        help="extract_processes for the relay (default -1, the relay's: one more than the cores; "
        "0: extraction in the fetch threads)",
    )
    parser.add_argument("--workers", type=int, default=8, help="fetch threads (default 8)")
    parser.add_argument(
        "--no-dedupe", action="store_true", help="ingest without the live dedupe (its cost apart)"
    )
    parser.add_argument(
        "--against",
        type=Path,
        metavar="SRC",
        help="also ingest with this source tree (another checkout's src/), alternating",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="ingests of each tree a size (default 1)"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--alone", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    if args.alone:
        print(json.dumps(extract_rate(args.alone)))
        return 0
    if args.child:
        print(json.dumps(measure(args.child, args.processes, args.workers, not args.no_dedupe)))
        return 0
    print(
        "| tree | pages | stored | ingest pages/s | extract-only pages/s | ratio "
        "| peak RSS (MB): relay + extraction processes ",
        end="",
    )
    print("| second pass | CPU ms a page | machine idle, stolen |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    trees: list[tuple[str, Path | None]] = [("this", None)]
    if args.against is not None:
        trees.append(("against", args.against.resolve()))
    for size in args.sizes:
        # This machine's speed drifts over minutes: extraction alone is measured before and
        # after the ingests, and the ratio taken against the mean of the two.
        alone_before = _alone(size)
        rows = [
            (label, _ingest(size, args, src)) for _ in range(args.rounds) for label, src in trees
        ]
        alone_after = _alone(size)
        for label, row in rows:
            row["extract_per_s"] = (alone_before + alone_after) / 2
            row["extract_before_after"] = [round(alone_before), round(alone_after)]
            row["ratio"] = row["ingest_per_s"] / row["extract_per_s"]
            print(
                f"| {label} | {row['articles']} | {row['stored']} | {row['ingest_per_s']:.0f} "
                f"| {row['extract_per_s']:.0f} {tuple(row['extract_before_after'])} "
                f"| {row['ratio']:.0%} | {_rss(row)} | {row['second_pass']} "
                f"| {row['cpu_ms_per_page']} | {row['machine']} |"
            )
        if args.against is not None:
            this = statistics.median(r["ingest_per_s"] for label, r in rows if label == "this")
            other = statistics.median(r["ingest_per_s"] for label, r in rows if label != "this")
            print(
                f"\n{size} pages: median ingest {this:.0f} pages/s here, {other:.0f} with "
                f"{args.against}: {this / other:.2f}×"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

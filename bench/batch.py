"""`newsdesk batch` against the extraction-only rate and against HF datatrove, side by side.

On the same WARC files (gzip per record, CC-NEWS's layout, written here with warcio): the
demo newsroom's pages, and the extraction benchmark's pages from ../shared/data when present
(read at run time, never copied into the repository), each record's WARC-Record-ID made
from the benchmark's item id so the texts can be scored against its gold.

Measured, each a median of --repeat runs:

- **extraction only**: the relay's page step (``batch.partition.page_step``: extract, repair,
  the HTML forms, the fingerprints) over the pages in memory, in this process: pages/s a core;
  and ``extract`` alone;
- **newsdesk batch** on a LocalCluster of 1 and of 2 worker processes (started before the
  clock; the job's wall time: WARC reading, the extraction process's pipe, Parquet, Dask);
- **datatrove**: its WarcReader → Trafilatura extractor → JsonlWriter, LocalPipelineExecutor
  with one task a file, on 1 and 2 workers, in a child process (its own start-up included:
  it has no long-lived cluster);
- **quality** on the benchmark's pages: F1 of each one's texts against the gold
  (../shared/bench/score_extraction.py);
- **memory**: each Dask worker's peak RSS, and its extraction process's.

    .venv/bin/python bench/batch.py                    # 2,000 demo pages, 3 repeats
    .venv/bin/python bench/batch.py --pages 10000 --repeat 1 --skip-peer
    .venv/bin/python bench/batch.py --memory 10000 100000   # peak RSS by file length
    .venv/bin/python bench/batch.py --overhead --repeat 5   # page step alone / job, alternated
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
BENCHMARK = SHARED / "data" / "article-extraction-benchmark"
SCORER = SHARED / "bench" / "score_extraction.py"

Page = tuple[str, bytes, str | None]  # url, body, WARC-Record-ID (None: a fresh one)


def demo_pages(count: int) -> list[Page]:
    from newsdesk.demo.generator import Newsroom
    from newsdesk.demo.site import render_story

    room = Newsroom(seed=11, articles=count)
    pages: list[Page] = []
    for outlet in room.outlets:
        base = f"https://{outlet.slug}.example"
        for story in room.stories(outlet.slug):
            pages.append((base + story.path, render_story(room, outlet, story, base), None))
    return pages


def record_id(item_id: str) -> str:
    digest = hashlib.sha256(item_id.encode()).hexdigest()
    return (
        f"<urn:uuid:{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}>"
    )


def benchmark_pages() -> tuple[list[Page], dict[str, dict[str, str]], dict[str, str]]:
    """The benchmark's pages (ids as record ids), its gold, and record id → item id."""
    if not BENCHMARK.exists():
        return [], {}, {}
    truth = json.loads((BENCHMARK / "ground-truth.json").read_text(encoding="utf-8"))
    pages: list[Page] = []
    ids: dict[str, str] = {}
    for item_id, item in sorted(truth.items()):
        path = BENCHMARK / "html" / f"{item_id}.html.gz"
        if path.exists():
            rid = record_id(item_id)
            ids[rid] = item_id
            pages.append(
                (
                    item.get("url") or f"https://bench.example/{item_id}",
                    gzip.decompress(path.read_bytes()),
                    rid,
                )
            )
    return pages, truth, ids


def write_warc(path: Path, pages: list[Page]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, body, rid in pages:
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            headers = {"WARC-Record-ID": rid} if rid else None
            writer.write_record(
                writer.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(body),
                    length=len(body),
                    http_headers=http,
                    warc_headers_dict=headers,
                )
            )


def write_warc_fast(path: Path, pages: list[Page], count: int) -> None:
    """``count`` response records cycling over ``pages`` (each record a URL of its own), in
    CC-NEWS's layout, fast: each record is two gzip members, its WARC and HTTP headers
    compressed for it and its body's member compressed once per distinct page and reused
    (FastWARC reads a gzip stream of several members as one; warcio, which expects a member
    a record, does not: only the memory runs use these). 1,000 records in 0.2 s."""
    bodies: dict[int, bytes] = {}
    with path.open("wb") as handle:
        for n in range(count):
            which = n % len(pages)
            url, body, _ = pages[which]
            if which not in bodies:
                bodies[which] = gzip.compress(body + b"\r\n\r\n", 6)
            http = (
                f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            digest = hashlib.sha256(f"{path.name}-{n}".encode()).hexdigest()
            head = (
                f"WARC/1.0\r\nWARC-Type: response\r\n"
                f"WARC-Record-ID: <urn:uuid:{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-"
                f"8{digest[17:20]}-{digest[20:32]}>\r\n"
                f"WARC-Date: 2026-11-01T00:00:00Z\r\nWARC-Target-URI: {url}?r={n}\r\n"
                f"Content-Type: application/http; msgtype=response\r\n"
                f"Content-Length: {len(http) + len(body)}\r\n\r\n"
            ).encode()
            handle.write(gzip.compress(head + http, 1))
            handle.write(bodies[which])


def median_rate(count: int, runs: list[float]) -> float:
    return count / statistics.median(runs)


def time_runs(repeat: int, run: Callable[[], Any]) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each run (this process's CPU: the machine is shared, and a
    page per CPU-second does not move with the other processes' load as wall time does)."""
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return walls, cpus


def extraction_only(pages: list[Page], repeat: int) -> dict[str, float]:
    from newsdesk.batch.partition import page_step
    from newsdesk.batch.raw import RawPage
    from newsdesk.pipeline.page import process_page

    raw = [RawPage(url, body, None) for url, body, _ in pages]
    for page in raw[:5]:
        page_step(page)  # warm-up: imports, caches
    step, step_cpu = time_runs(repeat, lambda: [page_step(p) for p in raw])
    extract, extract_cpu = time_runs(repeat, lambda: [process_page(p.body, p.url) for p in raw])
    return {
        "page_step": median_rate(len(raw), step),
        "extract": median_rate(len(raw), extract),
        "page_step_cpu": median_rate(len(raw), step_cpu),
        "extract_cpu": median_rate(len(raw), extract_cpu),
    }


def batch_runs(  # noqa: PLR0917
    folder: Path,
    workers: int,
    repeat: int,
    work: Path,
    time_limit: float | None = 30.0,
    defaults: bool = False,
) -> dict[str, Any]:
    """``newsdesk batch`` on a LocalCluster started before the clock, with its settings
    (``defaults``: Dask's own housekeeping intervals instead of ``LOCAL_CLUSTER_CONFIG``)."""
    import dask
    from distributed import Client, LocalCluster

    from newsdesk.batch.inputs import plan_partitions
    from newsdesk.batch.job import LOCAL_CLUSTER_CONFIG, JobOptions, run_job

    partitions, _ = plan_partitions([str(folder / "*.warc.gz")])
    walls, cpus, reports, splits = [], [], [], []
    with (
        dask.config.set({} if defaults else LOCAL_CLUSTER_CONFIG),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster) as client,
    ):
        for n in range(repeat + 1):  # the first run warms the workers (imports, processes)
            out = work / f"batch-{workers}-{time_limit}-{defaults}-{n}"
            options = JobOptions(
                out=out, scheduler=cluster.scheduler_address, time_limit=time_limit
            )
            before = _cpu_by_process(client)
            started = time.perf_counter()
            report = run_job(partitions, options)
            if n:
                walls.append(time.perf_counter() - started)
                after = _cpu_by_process(client)
                split = {k: after[k] - before[k] for k in after}
                cpus.append(sum(split.values()))
                splits.append(split)
                reports.append(report)
        rss = client.run(_worker_memory)
    totals = reports[-1].totals()
    return {
        "wall": statistics.median(walls),
        "cpu": statistics.median(cpus),
        "articles": totals["articles"],
        "records": totals["records"],
        "task_rate": totals["pages_per_task_second"],
        "rss": rss,
        "split": {k: statistics.median(s[k] for s in splits) for k in splits[0]},
        "out": str(work / f"batch-{workers}-{time_limit}-{defaults}-{repeat}"),
    }


def _process_cpu() -> float:
    """This process's CPU seconds and its live children's (the extraction process)."""
    return sum(_process_cpu_split())


def _process_cpu_split() -> tuple[float, float]:
    """This process's CPU seconds, and its live children's."""
    import psutil

    me = psutil.Process()
    children = 0.0
    for child in me.children(recursive=True):
        try:
            children += sum(child.cpu_times()[:2])
        except psutil.NoSuchProcess:
            continue
    return sum(me.cpu_times()[:2]), children


def _cpu_by_process(client: Any) -> dict[str, float]:
    """CPU seconds so far: the Dask workers', their extraction processes', and this
    process's (the client, and the local cluster's scheduler, which runs in it)."""
    split = client.run(_process_cpu_split).values()
    return {
        "workers": sum(w for w, _ in split),
        "extraction": sum(c for _, c in split),
        "client": time.process_time(),
    }


def _cpu_seconds(client: Any) -> float:
    """Every CPU second a job can use: the workers', their extraction processes', and this
    process's (the client, and the local cluster's scheduler, which runs in it)."""
    return sum(_cpu_by_process(client).values())


def _high_water_mb(pid: int | str = "self") -> int:
    """A process's peak RSS since it started (VmHWM). Not ru_maxrss: that survives exec, so a
    worker spawned by a parent holding the pages would report the parent's size."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return 0


def _worker_memory() -> dict[str, int]:
    import psutil

    children = psutil.Process().children(recursive=True)
    return {
        "worker_peak_mb": _high_water_mb(),
        "extraction_peak_mb": max((_high_water_mb(c.pid) for c in children), default=0),
    }


def memory_runs(sizes: list[int], work: Path) -> None:
    """Peak RSS of one worker and its extraction process over one file of N records, for
    each N (a fresh cluster each): flat means memory follows the file, not its length."""
    from distributed import Client, LocalCluster

    from newsdesk.batch.inputs import plan_partitions
    from newsdesk.batch.job import JobOptions, run_job

    pages = demo_pages(2000)
    for size in sizes:
        warc = work / f"memory-{size}.warc.gz"
        started = time.perf_counter()
        write_warc_fast(warc, pages, size)
        print(
            f"{size:,} records written in {time.perf_counter() - started:.0f} s "
            f"({warc.stat().st_size / 2**20:.0f} MB)",
            flush=True,
        )
        partitions, _ = plan_partitions([str(warc)])
        with (
            LocalCluster(
                n_workers=1,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
            ) as cluster,
            Client(cluster) as client,
        ):
            started = time.perf_counter()
            cpu = _cpu_seconds(client)
            options = JobOptions(out=work / f"memory-{size}", scheduler=cluster.scheduler_address)
            report = run_job(partitions, options)
            cpu = _cpu_seconds(client) - cpu
            (memory,) = client.run(_worker_memory).values()
        print(
            f"{size:,} records in one file: {report.totals()['articles']:,} articles in "
            f"{time.perf_counter() - started:.0f} s, {cpu:.0f} CPU-s "
            f"({report.totals()['articles'] / cpu:.0f} a CPU-second); peak RSS "
            f"{memory['worker_peak_mb']} MB the worker, {memory['extraction_peak_mb']} MB its "
            f"extraction process; load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )


def datatrove_child(folder: str, out: str, workers: int, tasks: int) -> None:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import JsonlWriter

    LocalPipelineExecutor(
        pipeline=[
            WarcReader(folder, glob_pattern="*.warc.gz"),
            Trafilatura(favour_precision=True),
            JsonlWriter(out, compression=None),
        ],
        tasks=tasks,
        workers=workers,
        logging_dir=out + "-logs",
    ).run()


def datatrove_runs(
    folder: Path, workers: int, repeat: int, work: Path, tasks: int
) -> dict[str, Any]:
    walls, cpus = [], []
    for n in range(repeat):
        out = work / f"datatrove-{workers}-{n}"
        started = time.perf_counter()
        child = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--datatrove-child",
                str(folder),
                str(out),
                str(workers),
                str(tasks),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        cpus.append(_tree_cpu(child))
        walls.append(time.perf_counter() - started)
        if child.returncode:
            raise RuntimeError(f"datatrove exited with {child.returncode}")
    docs = [json.loads(line) for path in sorted(out.glob("*.jsonl")) for line in path.open()]
    return {
        "wall": statistics.median(walls),
        "cpu": statistics.median(cpus),
        "documents": len(docs),
        "docs": docs,
    }


def _tree_cpu(child: subprocess.Popen[bytes]) -> float:
    """CPU seconds of ``child`` and every process under it, polled until it ends (its pool's
    processes are not all waited for, so RUSAGE_CHILDREN would miss them)."""
    import psutil

    seen: dict[int, float] = {}
    root = psutil.Process(child.pid)
    while child.poll() is None:
        try:
            processes = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for process in processes:
            try:
                seen[process.pid] = sum(process.cpu_times()[:2])
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.05)
    return sum(seen.values())


def load_scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("score_extraction", SCORER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def f1(truth: dict[str, Any], predictions: dict[str, str]) -> str:
    """F1 ± its bootstrap deviation; a page with no text (skipped, failed) counts as empty."""
    scorer = load_scorer()
    predicted = {k: {"articleBody": v} for k, v in predictions.items() if k in truth}
    result, _ = scorer.score(truth, predicted, n_bootstrap=200, missing_as_empty=True)
    return f"{result['f1']:.3f} ± {result['f1_std']:.3f}"


def newsdesk_texts(out: Path, ids: dict[str, str]) -> dict[str, str]:
    import pyarrow.parquet as pq

    texts = {}
    for path in out.glob("*.parquet"):
        for row in pq.read_table(path, columns=["warc_record_id", "text"]).to_pylist():
            if row["warc_record_id"] in ids:
                texts[ids[row["warc_record_id"]]] = row["text"]
    return texts


# -- the links stage at scale -------------------------------------------------------------

LINK_PARTITION_ROWS = 50_000


def link_corpus(size: int, folder: Path, processes: int = 2) -> list[Path]:
    """``size`` synthetic stories (bench/dedupe.py's: Zipf words, one in ten a copy of an
    earlier one) as a job's Parquet partitions of the columns the links stage reads, with
    their prints made as the workers make them; cached in ``folder`` (built once)."""
    from concurrent.futures import ProcessPoolExecutor
    from datetime import UTC, datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    sys.path.insert(0, str(ROOT / "bench"))
    from dedupe import synthetic  # bench/dedupe.py
    from newsdesk.batch.dedupe import DedupeFields, _chunks, _prepare_chunk

    folder.mkdir(parents=True, exist_ok=True)
    done = folder / f"corpus-{size}.done"
    parts = sorted(folder.glob(f"c{size}-*.parquet"))
    if done.exists():
        return parts
    source = folder / f"synthetic-{size}.jsonl"
    synthetic(source, size)
    schema = pa.schema(
        [
            ("warc_record_id", pa.string()),
            ("url", pa.string()),
            ("fetched_url", pa.string()),
            ("published", pa.string()),
            ("site_name", pa.string()),
            (
                "provenance",
                pa.struct(
                    [
                        ("via", pa.string()),
                        ("original_url", pa.string()),
                        ("credits", pa.list_(pa.string())),
                    ]
                ),
            ),
            ("text_key", pa.string()),
            ("fingerprint", pa.binary()),
            ("story_terms", pa.binary()),
        ]
    )
    rows: list[dict[str, Any]] = []
    parts = []

    def flush() -> None:
        path = folder / f"c{size}-{len(parts):05d}.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), path, compression="zstd")
        parts.append(path)
        rows.clear()

    with ProcessPoolExecutor(processes) as pool:
        chunks = _chunks(source)
        for prepared in pool.map(_prepare_chunk, chunks, iter(DedupeFields, None), chunksize=4):
            for p in prepared:
                when = p.published
                rows.append(
                    {
                        "warc_record_id": p.id,
                        "url": p.url,
                        "fetched_url": p.fetched_url,
                        "published": datetime.fromtimestamp(when, UTC).isoformat()
                        if when is not None
                        else None,
                        "site_name": p.site_name,
                        "provenance": {
                            "via": None,
                            "original_url": p.original_url,
                            "credits": [p.credit] if p.credit else [],
                        },
                        "text_key": p.text_key,
                        "fingerprint": p.fingerprint,
                        "story_terms": p.story or None,
                    }
                )
                if len(rows) == LINK_PARTITION_ROWS:
                    flush()
    if rows:
        flush()
    source.unlink()
    done.write_text(str(len(parts)))
    return parts


def housekeeping_runs(warcs: Path, pages: int, repeat: int, work: Path) -> None:
    """One worker with Dask's default housekeeping intervals and with ours, alternated
    ``repeat`` times (a fresh cluster each, one warm-up job each): pages a CPU-second."""
    rates: dict[bool, list[float]] = {True: [], False: []}
    for n in range(repeat):
        for defaults in (True, False):
            fresh = work / f"housekeeping-{n}-{defaults}"  # a job directory of its own
            fresh.mkdir()
            run = batch_runs(warcs, 1, 1, fresh, defaults=defaults)
            rates[defaults].append(pages / run["cpu"])
            print(
                f"{'Dask defaults' if defaults else 'ours'}: {run['wall']:.1f} s wall, "
                f"{run['cpu']:.2f} CPU-s, {pages / run['cpu']:.0f} pages a CPU-second; "
                f"load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    before, after = (statistics.median(rates[d]) for d in (True, False))
    ratio = after / before
    print(f"medians: defaults {before:.0f}, ours {after:.0f} pages a CPU-second ({ratio:.3f}x)")


def overhead_runs(warcs: Path, pages: list[Page], repeat: int, work: Path) -> None:
    """The page step alone in this process, then a one-worker job on the same pages (the time
    limit on), then one with ``--time-limit 0``, ``repeat`` times in turn: the phases compared
    share the machine's load, which phases run minutes apart do not."""
    ratios: dict[str, list[float]] = {"limit": [], "inline": []}
    for n in range(repeat):
        alone = extraction_only(pages, 1)["page_step_cpu"]
        line = [f"page step alone {alone:.0f}"]
        for name, limit in (("limit", 30.0), ("inline", None)):
            fresh = work / f"overhead-{n}-{name}"
            fresh.mkdir()
            run = batch_runs(warcs, 1, 1, fresh, time_limit=limit)
            rate = len(pages) / run["cpu"]
            ratios[name].append(rate / alone)
            line.append(f"job ({name}) {rate:.0f} = {rate / alone:.0%}")
        print(
            f"{', '.join(line)} pages a CPU-second; load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    for name, values in ratios.items():
        print(
            f"job / page step alone, {name}: median {statistics.median(values):.0%} "
            f"({min(values):.0%}-{max(values):.0%})"
        )


def links_runs(size: int, cache: Path, workers: int, single: bool) -> None:
    """The links stage over ``size`` synthetic records: on Dask (``workers`` processes,
    started before the clock) and, with ``single``, the corpus deduper in this process; the
    two tables compared row by row."""
    import pyarrow.parquet as pq
    from distributed import Client, LocalCluster

    from newsdesk.batch.links import link_outputs
    from newsdesk.batch.linkstages import link_on_dask

    started = time.perf_counter()
    parts = link_corpus(size, cache)
    built = time.perf_counter() - started
    print(
        f"{size:,} synthetic records in {len(parts)} partitions ({built:.0f} s to build or "
        f"find); load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    work = Path(tempfile.mkdtemp(prefix="newsdesk-bench-links-"))
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        cpu = _cpu_seconds(client)
        started = time.perf_counter()
        report = link_on_dask(parts, work / "dask.parquet", client)
        wall = time.perf_counter() - started
        cpu = _cpu_seconds(client) - cpu
        peaks = client.run(_high_water_mb)
    print(
        f"on Dask, {workers} workers: {wall:.1f} s wall, {size / wall:,.0f} docs/s, "
        f"{cpu:.1f} CPU-s; stages {report.stages}, their CPU-s {report.stages_cpu}; "
        f"{dict(report.outcomes)}; "
        f"{report.candidates_verified:,} verified pairs, {report.refused} refused by the cap, "
        f"largest group {report.largest_group}; peak MB: client {_high_water_mb()}, "
        f"workers {sorted(peaks.values())}; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if not single:
        return
    cpu_before = _process_cpu()
    started = time.perf_counter()
    one = link_outputs(parts, work / "single.parquet")
    wall = time.perf_counter() - started
    print(
        f"corpus deduper, one process: {wall:.1f} s wall, {size / wall:,.0f} docs/s, "
        f"{_process_cpu() - cpu_before:.1f} CPU-s; {dict(one.outcomes)}; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    same = pq.read_table(work / "dask.parquet").equals(pq.read_table(work / "single.parquet"))
    print(f"the same links table: {same}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000, help="demo pages (default 2000)")
    parser.add_argument("--files", type=int, default=4, help="WARC files they are split into")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-peer", action="store_true", help="no datatrove run")
    parser.add_argument(
        "--memory", type=int, nargs="+", metavar="N", help="only the memory runs: N records each"
    )
    parser.add_argument(
        "--links", type=int, metavar="N", help="only the links stage: N synthetic records"
    )
    parser.add_argument(
        "--links-cache", type=Path, default=Path(tempfile.gettempdir()) / "newsdesk-bench-links",
        help="where the synthetic partitions are kept between runs",
    )  # fmt: skip
    parser.add_argument("--links-workers", type=int, default=2)
    parser.add_argument("--links-single", action="store_true", help="also in one process")
    parser.add_argument(
        "--housekeeping", action="store_true",
        help="only 1 worker with Dask's default housekeeping against ours, alternated",
    )  # fmt: skip
    parser.add_argument(
        "--overhead", action="store_true",
        help="only the page step alone against a one-worker job, alternated --repeat times",
    )  # fmt: skip
    parser.add_argument("--datatrove-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.datatrove_child:
        folder, out, workers, tasks = args.datatrove_child
        datatrove_child(folder, out, int(workers), int(tasks))
        return 0
    if args.links:
        links_runs(args.links, args.links_cache, args.links_workers, args.links_single)
        return 0
    work = Path(tempfile.mkdtemp(prefix="newsdesk-bench-batch-"))
    if args.memory:
        memory_runs(args.memory, work)
        return 0
    pages = demo_pages(args.pages)
    bench, truth, ids = benchmark_pages()
    warcs = work / "warc"
    warcs.mkdir()
    for n in range(args.files):
        write_warc(warcs / f"demo-{n:02d}.warc.gz", pages[n :: args.files])
    if bench:
        write_warc(warcs / "benchmark.warc.gz", bench)
    every = pages + bench
    size = sum(len(p[1]) for p in every) / 2**20
    print(
        f"{len(every)} pages ({len(pages)} demo, {len(bench)} benchmark; {size:.0f} MB of HTML) "
        f"in {args.files + bool(bench)} WARC files; load average {os.getloadavg()[0]:.1f}"
    )
    if args.housekeeping:
        housekeeping_runs(warcs, len(every), args.repeat, work)
        return 0
    if args.overhead:
        overhead_runs(warcs, every, args.repeat, work)
        return 0
    base = extraction_only(every, args.repeat)
    print(
        f"extraction only, one process: page step {base['page_step']:.0f} pages/s "
        f"({base['page_step_cpu']:.0f} a CPU-second), extract alone {base['extract']:.0f} "
        f"pages/s ({base['extract_cpu']:.0f} a CPU-second)"
    )
    if bench:
        heavy = extraction_only(bench, args.repeat)
        print(
            f"  the benchmark's {len(bench)} real pages alone: page step "
            f"{heavy['page_step_cpu']:.0f} a CPU-second, extract {heavy['extract_cpu']:.0f}"
        )
    rows: list[tuple[str, int, float, float]] = []  # engine, workers, wall rate, CPU rate
    results: dict[int, dict[str, Any]] = {}
    for workers in (1, 2):
        run = batch_runs(warcs, workers, args.repeat, work)
        results[workers] = run
        rows.append(("newsdesk batch", workers, len(every) / run["wall"], len(every) / run["cpu"]))
        memory = ", ".join(
            f"{m['worker_peak_mb']}/{m['extraction_peak_mb']}" for m in run["rss"].values()
        )
        split = ", ".join(f"{k} {v:.2f}" for k, v in run["split"].items())
        print(
            f"newsdesk batch, {workers} worker(s): {run['articles']} articles, "
            f"{run['wall']:.2f} s wall, {run['cpu']:.2f} CPU-s (medians; by process: {split}); "
            f"in-task {run['task_rate']} pages/s a worker; peak MB worker/extraction process: "
            f"{memory}; load average {os.getloadavg()[0]:.1f}"
        )
    inline = batch_runs(warcs, 1, args.repeat, work, time_limit=None)
    rows.append(
        (
            "newsdesk batch --time-limit 0",
            1,
            len(every) / inline["wall"],
            len(every) / inline["cpu"],
        )
    )
    print(
        f"newsdesk batch --time-limit 0 (the page step in the worker, no pipe), 1 worker: "
        f"{inline['wall']:.2f} s wall, {inline['cpu']:.2f} CPU-s (medians)"
    )
    peer: dict[int, dict[str, Any]] = {}
    if not args.skip_peer and importlib.util.find_spec("datatrove"):
        for workers in (1, 2):
            run = datatrove_runs(warcs, workers, args.repeat, work, args.files + bool(bench))
            peer[workers] = run
            rows.append(("datatrove", workers, len(every) / run["wall"], len(every) / run["cpu"]))
            print(
                f"datatrove, {workers} worker(s): {run['documents']} documents, "
                f"{run['wall']:.2f} s wall, {run['cpu']:.2f} CPU-s (medians)"
            )
    print(
        "\n| engine | workers | pages/s | pages/s a worker | pages a CPU-second |"
        "\n|---|---|---|---|---|"
    )
    print(
        f"| page step alone, in-process | 1 | {base['page_step']:.0f} | "
        f"{base['page_step']:.0f} | {base['page_step_cpu']:.0f} |"
    )
    for name, workers, rate, cpu_rate in rows:
        print(f"| {name} | {workers} | {rate:.0f} | {rate / workers:.0f} | {cpu_rate:.0f} |")
    one, two = (len(every) / results[w]["wall"] for w in (1, 2))
    share = len(every) / results[1]["cpu"] / base["page_step_cpu"]
    print(
        f"\noverhead: newsdesk batch does {share:.0%}"
        f" of the page step's pages a CPU-second (1 worker), wall {one / base['page_step']:.0%};"
        f" scaling 2 / 1 workers (wall) = {two / one:.2f}x at load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    if peer:
        for w in (1, 2):
            wall, cpu = (peer[w][k] / results[w][k] for k in ("wall", "cpu"))
            print(f"newsdesk / datatrove, {w} worker(s): wall {wall:.2f}x, CPU {cpu:.2f}x")
    if bench and truth:
        ours = newsdesk_texts(Path(results[2]["out"]), ids)
        print(
            f"\nbenchmark pages ({len(bench)}), F1 against the gold: newsdesk batch "
            f"{f1(truth, ours)} ({len(ours)} texts)",
            end="",
        )
        if peer:
            theirs = {ids[d["id"]]: d["text"] for d in peer[2]["docs"] if d.get("id") in ids}
            print(f"; datatrove {f1(truth, theirs)} ({len(theirs)} texts, the rest empty)")
            both = {k: v for k, v in truth.items() if k in theirs and k in ours}
            print(
                f"on the {len(both)} pages datatrove's reader and extractor gave a text for: "
                f"newsdesk batch {f1(both, ours)}, datatrove {f1(both, theirs)}"
            )
        else:
            print()
    print(f"\n(work files in {work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

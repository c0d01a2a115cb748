"""``newsdesk batch``: the job, on Dask distributed (DESIGN §1, batch).

The job directory holds ``manifest.json`` (the inputs planned into partitions, the settings,
the code's version), one output file and one completion marker per partition, and
``summary.json`` at the end. One Dask task is one partition (``batch.partition``): one input
file (or a folder's chunk of HTML files) into one output file; no task moves article text to
another (no shuffle). A partition with a marker is finished, so running the same job again
(or ``--resume``) runs only what is left, and a task rerun after its worker died writes the
same file again under a name of its own before it renames it.

Each Dask worker keeps one extraction process of the relay's kind
(``pipeline.processes.ProcessPool``): it reads the task's partition itself and runs the page
step there under the per-document time limit, sending the rows back in chunks
(``partition.chunks_in_process``); a page that runs over the limit costs its own record
(the process is killed and replaced), not the worker. Workers are processes
(``threads_per_worker=1``): the page step is Python, and threads would share one GIL.

Only this package imports Dask (an import-linter contract).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dask
from distributed import Client, LocalCluster, WorkerPlugin, as_completed, get_worker

from newsdesk import __version__
from newsdesk.batch.inputs import BatchInputError, InputOptions, Partition
from newsdesk.batch.links import LINKS, LinkReport
from newsdesk.batch.linkstages import link_on_dask
from newsdesk.batch.output import FORMATS
from newsdesk.batch.partition import (
    Chunk,
    PartitionOptions,
    PartitionSummary,
    chunks_in_process,
    read_marker,
    run_partition,
    warm,
)
from newsdesk.errors import NewsdeskError
from newsdesk.pipeline.processes import ProcessPool

__all__ = ["BatchError", "JobOptions", "JobReport", "load_manifest", "run_job"]

log = logging.getLogger(__name__)

PLUGIN = f"newsdesk-batch-pages-{__version__}"
PROGRESS_TOPIC = "newsdesk-batch-progress"
MANIFEST = "manifest.json"
SUMMARY = "summary.json"
_TICK_SECONDS = 1.0  # a worker reports its records at most this often
# Dask's own housekeeping on the local cluster, less often than its defaults (an event-loop
# tick every 20 ms, the system monitor every 500 ms, the memory monitor every 100 ms): an
# idle cluster of one worker used 0.045 CPU-s a second with the defaults and 0.025 with these
# (measured side by side): CPU taken from the pages, more the longer a loaded machine
# stretches a job. A worker over its memory limit is seen within a second instead of 0.1 s.
# Dask's sampling profiler (a thread that reads the task thread's stack every 10 ms while a
# task runs) is off: a task here mostly waits for its extraction process, and the samples
# cost its worker 30 ms of CPU a second against 8 ms without them (measured side by side,
# load average 10-14); the dashboard's profile page stays empty.
LOCAL_CLUSTER_CONFIG = {
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.worker.profile.enabled": False,
}


class BatchError(NewsdeskError):
    """The job cannot run: its scheduler cannot be reached, its directory holds another job."""

    kind = "batch"


@dataclass(frozen=True, slots=True, kw_only=True)
class JobOptions:
    out: Path
    format: str = "parquet"
    workers: int | None = None  # the local cluster's worker processes (default: the cores)
    scheduler: str | None = None  # an existing cluster's scheduler address instead
    time_limit: float | None = 30.0  # seconds a page may take; None: no limit, in-process
    connect_timeout: float = 10.0  # seconds to reach --scheduler
    dedupe: bool = False  # then link the records (``batch.linkstages``), on the same cluster
    inputs: InputOptions = field(default_factory=InputOptions)


@dataclass(slots=True)
class JobReport:
    partitions: list[PartitionSummary] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # partition id → why its task failed
    seconds: float = 0.0
    workers: int = 0
    dashboard: str | None = None
    links: LinkReport | None = None  # the links stage's, with ``dedupe``
    links_seconds: float = 0.0

    @property
    def reused(self) -> int:
        return sum(p.skipped_run for p in self.partitions)

    def totals(self) -> dict[str, Any]:
        ran = [p for p in self.partitions if not p.skipped_run]
        skipped: Counter[str] = Counter()
        failed: Counter[str] = Counter()
        languages: Counter[str] = Counter()
        for p in self.partitions:
            skipped.update(p.skipped)
            failed.update(p.failed)
            languages.update(p.languages)
        pages = sum(p.records - sum(p.skipped.values()) for p in ran)
        busy = sum(p.seconds for p in ran)
        return {
            "partitions": len(self.partitions),
            "partitions_reused": self.reused,
            "partitions_failed": len(self.errors),
            "records": sum(p.records for p in self.partitions),
            "articles": sum(p.articles for p in self.partitions),
            "no_text": sum(p.no_text for p in self.partitions),
            "skipped": dict(sorted(skipped.items())),
            "failed": dict(sorted(failed.items())),
            "languages": dict(languages.most_common()),
            "seconds": round(self.seconds, 3),
            "task_seconds": round(busy, 3),
            "pages_per_task_second": round(pages / busy, 1) if busy else None,
            "workers": self.workers,
        }


class _PagePlugin(WorkerPlugin):
    """On each worker: one extraction process for the page step, started on first use and
    kept for the worker's life (jobs after the first find it warm). Registered once per
    cluster (``idempotent``): a second job, or a job resumed after its client was killed
    while its tasks ran on, never tears down the process under a running task."""

    idempotent = True

    def __init__(self) -> None:
        self.pool: ProcessPool | None = None
        self.size = 1  # one extraction process for each of the worker's threads
        self._lock = threading.Lock()

    def setup(self, worker: Any) -> None:
        self.size = max(1, int(getattr(worker, "nthreads", 1) or 1))

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def chunks(
        self, partition: Partition, options: PartitionOptions, time_limit: float | None
    ) -> Iterator[Chunk] | None:
        """The partition's chunks from the extraction process, or None without a time
        limit (the page step then runs in the worker itself)."""
        if not time_limit:
            return None
        with self._lock:
            if self.pool is None:
                self.pool = ProcessPool(self.size)
                for _ in range(self.size):  # imports paid before any limit runs
                    warm(self.pool)
        return chunks_in_process(self.pool, partition, options, time_limit)

    def teardown(self, worker: Any) -> None:
        if self.pool is not None:
            self.pool.shutdown(timeout=5)


def _task(partition: Partition, options: PartitionOptions, time_limit: float | None) -> Any:
    worker = get_worker()
    plugin = worker.plugins.get(PLUGIN)
    chunks = (
        plugin.chunks(partition, options, time_limit) if isinstance(plugin, _PagePlugin) else None
    )
    last = time.monotonic()
    records, skipped, failed = 0, Counter[str](), Counter[str]()  # as last reported

    def tick(summary: PartitionSummary, *, final: bool = False) -> None:
        nonlocal last, records, skipped, failed
        now = time.monotonic()
        if final or now - last >= _TICK_SECONDS:
            worker.log_event(
                PROGRESS_TOPIC,
                {
                    "records": summary.records - records,
                    "skipped": dict(summary.skipped - skipped),
                    "failed": dict(summary.failed - failed),
                },
            )
            last, records = now, summary.records
            skipped, failed = Counter(summary.skipped), Counter(summary.failed)

    summary = run_partition(partition, options, tick=tick, chunks=chunks)
    if not summary.skipped_run:
        tick(summary, final=True)
    return summary


@contextmanager
def _client(options: JobOptions) -> Iterator[Client]:
    if options.scheduler:
        try:
            client = Client(options.scheduler, timeout=options.connect_timeout)
        except (OSError, TimeoutError) as exc:
            raise BatchError(
                f"cannot reach the Dask scheduler at {options.scheduler}: {exc}; start it "
                "(`dask scheduler`, dask-jobqueue, ...) or leave --scheduler out to run on "
                "a local cluster"
            ) from exc
        with client:
            yield client
        return
    workers = options.workers or os.cpu_count() or 1
    # a free port for the scheduler's HTTP server (the dashboard, when bokeh is installed):
    # its default, 8787, may be another cluster's
    dashboard = "127.0.0.1:0"
    with (
        dask.config.set(LOCAL_CLUSTER_CONFIG),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=dashboard,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _manifest(
    partitions: list[Partition], options: JobOptions, inputs: list[str]
) -> dict[str, Any]:
    return {
        "newsdesk": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "format": options.format,
        "time_limit": options.time_limit,
        "input_options": asdict(options.inputs),
        "inputs": inputs,
        "partitions": [{"id": p.id, "kind": p.kind, "paths": list(p.paths)} for p in partitions],
    }


def load_manifest(out: Path) -> tuple[list[Partition], dict[str, Any]]:
    """The partitions and settings of the job in ``out`` (for ``--resume``)."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        partitions = [Partition(p["id"], p["kind"], tuple(p["paths"])) for p in data["partitions"]]
    except FileNotFoundError as exc:
        raise BatchInputError(f"{out} holds no batch job (no {MANIFEST}) to resume") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BatchInputError(f"{out / MANIFEST} cannot be read: {exc}") from exc
    return partitions, data


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, path)


def _prepare_directory(
    partitions: list[Partition], options: JobOptions, inputs: list[str]
) -> list[Partition]:
    """Create the job directory or check it holds this job; the partitions to run (those
    of an earlier manifest first, then any new ones)."""
    if options.format not in FORMATS:
        raise BatchInputError(f"unknown format {options.format!r} (one of {', '.join(FORMATS)})")
    try:
        options.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchInputError(f"cannot create the job directory {options.out}: {exc}") from exc
    fresh = _manifest(partitions, options, inputs)
    if not (options.out / MANIFEST).exists():
        _write_json(options.out / MANIFEST, fresh)
        return partitions
    earlier, data = load_manifest(options.out)
    for name in ("format", "input_options"):
        if data.get(name) != fresh[name]:
            raise BatchError(
                f"{options.out} holds a job with another {name} ({data.get(name)!r}, not "
                f"{fresh[name]!r}): resume it with the same settings, or use another --out"
            )
    known = {p.id for p in earlier}
    merged = earlier + [p for p in partitions if p.id not in known]
    if len(merged) > len(earlier):  # inputs added to the job: the manifest names them too
        data["partitions"] = _manifest(merged, options, inputs)["partitions"]
        data["inputs"] = list(dict.fromkeys([*data.get("inputs", []), *inputs]))
        _write_json(options.out / MANIFEST, data)
    return merged


Progress = Callable[[dict[str, Any]], None]


def run_job(
    partitions: list[Partition],
    options: JobOptions,
    *,
    inputs: list[str] | None = None,
    progress: Progress | None = None,
) -> JobReport:
    """Run every unfinished partition of the job in ``options.out`` on Dask; the report of
    all of them. ``progress`` is called (in a Dask thread) with events: ``{"started": ...,
    "workers": n, "dashboard": url, "partitions": n}`` once; ``{"records": n, "skipped":
    {kind: n}, "failed": {kind: n}}`` as workers go (what is new since their last report);
    ``{"done": PartitionSummary}`` or ``{"error": id, "why": ...}`` for each partition; and
    ``{"stage": "links"}`` when the links stage starts (with ``dedupe``)."""
    started = time.perf_counter()
    planned = _prepare_directory(partitions, options, list(inputs or []))
    report = JobReport()
    part_options = PartitionOptions(
        out=str(options.out), format=options.format, inputs=options.inputs
    )
    todo = []
    for partition in planned:
        finished = read_marker(options.out, partition.id)
        if finished is not None:
            finished.skipped_run = True
            report.partitions.append(finished)
        else:
            todo.append(partition)
    if todo or options.dedupe:
        _run_on_dask(todo, part_options, options, report, progress)
    report.partitions.sort(key=lambda p: p.partition)
    report.seconds = time.perf_counter() - started
    summary: dict[str, Any] = {"totals": report.totals(), "errors": report.errors}
    if report.links is not None:
        summary["links"] = _links_summary(report.links, report.links_seconds)
    _write_json(options.out / SUMMARY, summary)
    return report


def _links_summary(links: LinkReport, seconds: float) -> dict[str, Any]:
    """The links stage's figures, as the job's summary keeps them."""
    return {
        "records": links.records,
        "outcomes": dict(links.outcomes),
        "originals_with_copies": links.copy_groups,
        "clusters": links.clusters,
        "largest_copy_group": links.largest_group,
        "pairs_refused_by_cap": links.refused,
        "seconds": round(seconds, 3),
        "stages": links.stages,
        "stages_cpu": links.stages_cpu,
    }


def _run_on_dask(
    todo: list[Partition],
    part_options: PartitionOptions,
    options: JobOptions,
    report: JobReport,
    progress: Progress | None,
) -> None:
    emit = progress or (lambda event: None)
    with _client(options) as client:
        report.workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        local = options.scheduler is None
        if not local or importlib.util.find_spec("bokeh"):
            report.dashboard = client.dashboard_link
        emit(
            {
                "started": True,
                "workers": report.workers,
                "dashboard": report.dashboard,
                "partitions": len(todo),
            }
        )
        client.register_plugin(_PagePlugin(), name=PLUGIN)
        client.subscribe_topic(PROGRESS_TOPIC, lambda event: emit(dict(event[1])))
        if todo:
            _run_partitions(client, todo, part_options, options, report, emit)
        if options.dedupe:
            emit({"stage": "links"})
            mark = time.perf_counter()
            done = [p for p in report.partitions if p.output]
            outputs = [options.out / p.output for p in sorted(done, key=lambda p: p.partition)]
            report.links = link_on_dask(outputs, options.out / LINKS, client)
            report.links_seconds = time.perf_counter() - mark


def _run_partitions(  # noqa: PLR0917
    client: Client,
    todo: list[Partition],
    part_options: PartitionOptions,
    options: JobOptions,
    report: JobReport,
    emit: Progress,
) -> None:
    run = uuid.uuid4().hex[:8]
    futures = {
        client.submit(
            _task, p, part_options, options.time_limit, key=f"batch-{p.id}-{run}", pure=False
        ): p
        for p in todo
    }
    try:
        for future in as_completed(futures):
            partition = futures[future]
            try:
                summary = future.result()
            except Exception as exc:  # the task failed as a whole: reported, job goes on
                report.errors[partition.id] = f"{type(exc).__name__}: {exc}"
                emit({"error": partition.id, "why": report.errors[partition.id]})
                continue
            report.partitions.append(summary)
            emit({"done": summary})
    finally:
        with suppress(Exception):
            client.unsubscribe_topic(PROGRESS_TOPIC)

"""``newsdesk batch``: the relay's page step over web archives, on Dask distributed."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from newsdesk.cli.common import _now, main
from newsdesk.errors import NewsdeskError, StoreError
from newsdesk.store import open_store

if TYPE_CHECKING:
    from newsdesk.batch.inputs import Partition
    from newsdesk.batch.job import JobReport


class _Display:
    """The job's progress on the terminal: partitions done, records, pages/s, and what was
    skipped or failed, by kind."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("partitions · {task.fields[records]:,} records · "),
            TextColumn("{task.fields[rate]} pages/s · {task.fields[problems]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.task = self.progress.add_task(
            "batch", total=None, records=0, rate="–", problems="none failed"
        )
        self.lock = threading.Lock()
        self.records = 0
        self.skipped: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.started = time.monotonic()

    def problems(self) -> str:
        parts = []
        for title, counts in (("failed", self.failed), ("skipped", self.skipped)):
            if counts:
                kinds = ", ".join(f"{kind} {n:,}" for kind, n in counts.most_common(3))
                more = " …" if len(counts) > 3 else ""
                parts.append(f"{counts.total():,} {title} ({kinds}{more})")
        return " · ".join(parts) or "none failed"

    def __call__(self, event: dict[str, Any]) -> None:
        with self.lock:
            if "started" in event:
                self.progress.start()
                self.started = time.monotonic()
                self.progress.update(self.task, total=event["partitions"])
                where = event["dashboard"] or "none (pip install bokeh for Dask's dashboard)"
                self.console.print(
                    f"newsdesk batch: {event['workers']} workers; dashboard: {where}"
                )
            elif "stage" in event:
                self.progress.stop()
                self.console.print(f"newsdesk batch: the {event['stage']} stage ...")
                return
            elif "done" in event:
                self.progress.advance(self.task)
            elif "error" in event:
                self.progress.advance(self.task)
                self.console.print(f"[red]partition {event['error']} failed:[/] {event['why']}")
            else:
                self.records += int(event.get("records", 0))
                self.skipped.update(event.get("skipped") or {})
                self.failed.update(event.get("failed") or {})
            elapsed = max(time.monotonic() - self.started, 1e-6)
            self.progress.update(
                self.task,
                records=self.records,
                problems=self.problems(),
                rate=f"{self.records / elapsed:,.0f}",
            )


@main.command("batch")
@click.argument("inputs", nargs=-1, metavar="INPUT...")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The job directory: one output file and one completion marker per partition, "
    "manifest.json and summary.json.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "jsonl"]),
    default="parquet",
    show_default=True,
    help="Output: Parquet (nested columns) or JSON Lines (each line an Article's JSON).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Worker processes of the local Dask cluster (default: one per core).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Run on an existing Dask cluster (tcp://host:8786) instead of a local one.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Finish the job in --out from its manifest (INPUTs may be left out).",
)
@click.option(
    "--from-list",
    "listing",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file naming more inputs (paths or globs), one a line.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds one page may take; a page over it is counted (time_limit) and skipped. "
    "0: no limit (pages run in the worker itself).",
)
@click.option(
    "--max-page-mb",
    type=click.FloatRange(min=0.001),
    default=10.0,
    show_default=True,
    help="A larger page is skipped and counted (too_large).",
)
@click.option("--url-field", default="url", show_default=True, help="JSON Lines: the URL field.")
@click.option("--html-field", default="html", show_default=True, help="JSON Lines: the HTML field.")
@click.option(
    "--dedupe",
    is_flag=True,
    help="Then link the job's duplicates, syndicated copies and story clusters: "
    "links.parquet in --out (Parquet output only).",
)
@click.option(
    "--into",
    metavar="DB",
    help="Also load the articles into this store (a SQLite path), linked as the relay links them.",
)
def batch_command(
    inputs: tuple[str, ...],
    out: Path,
    fmt: str,
    workers: int | None,
    scheduler: str | None,
    resume: bool,
    listing: Path | None,
    time_limit: float,
    max_page_mb: float,
    url_field: str,
    html_field: str,
    dedupe: bool,
    into: str | None,
) -> None:
    """Extract every page of web archives into Articles, on Dask distributed.

    INPUT is a WARC file (.warc, .warc.gz: CC-NEWS's `response` records; each record's
    Content-Type and charset are honoured, records that are not HTML are skipped and
    counted), a JSON Lines file (.jsonl[.gz]: `url` and `html` fields), an HTML file
    (.html[.gz]), a folder of these, or a glob. Each page goes through the relay's own page
    step (extract, repair, the HTML forms, the dedupe's fingerprints) under --time-limit.

    One input file is one task and one output file in --out, written under a temporary name
    and renamed when whole, then marked done: running the same command again (or with
    --resume) skips what is done, and a worker killed mid-task has its task run elsewhere.
    By default a local cluster of worker processes (one per core) runs the job; --scheduler
    uses a cluster started elsewhere (dask-jobqueue, Kubernetes, `dask scheduler`).
    A summary (records, articles, languages, skipped and failed by kind) ends the run and
    is kept in summary.json. See docs/batch.md."""
    from newsdesk.batch.inputs import InputOptions, plan_partitions  # noqa: PLC0415
    from newsdesk.batch.job import JobOptions, load_manifest, run_job  # noqa: PLC0415

    console = Console(stderr=True, soft_wrap=True)
    options = JobOptions(
        out=out,
        format=fmt,
        workers=workers,
        scheduler=scheduler,
        time_limit=time_limit or None,
        dedupe=dedupe,
        inputs=InputOptions(
            url_field=url_field,
            html_field=html_field,
            max_page_bytes=int(max_page_mb * 1_000_000),
        ),
    )
    if dedupe and fmt != "parquet":
        raise click.UsageError("--dedupe reads the Parquet output: leave --format jsonl out")
    partitions: list[Partition] = []
    if resume:
        partitions, _ = load_manifest(out)
    elif not inputs and listing is None:
        raise click.UsageError("give at least one INPUT (or --from-list, or --resume)")
    if inputs or listing is not None:
        planned, problems = plan_partitions(inputs, options.inputs, listing=listing)
        for problem in problems:
            console.print(f"[yellow]skipped input:[/] {problem}", highlight=False)
        partitions += planned
    if not partitions:
        raise click.ClickException("no input to read: nothing was run")
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:  # Dask's chatter only with -vv
        logging.getLogger("distributed").setLevel(logging.WARNING)
    display = _Display(console)
    try:
        report = run_job(partitions, options, inputs=list(inputs), progress=display)
    finally:
        display.progress.stop()
    _print_summary(console, report.totals(), report.errors)
    if report.links is not None:
        _print_links(console, out, report)
    if into:
        _load(console, into, out, report)
    if report.errors:
        raise click.ClickException(
            f"{len(report.errors)} partition(s) failed as a whole (above); run the same "
            "command again to retry them: finished partitions are kept"
        )


def _print_summary(console: Console, totals: dict[str, Any], errors: dict[str, str]) -> None:
    reused = totals["partitions_reused"]
    console.print(
        f"newsdesk batch: {totals['records']:,} records in, {totals['articles']:,} articles out "
        f"({totals['no_text']:,} with no body) from {totals['partitions']} partitions"
        + (f" ({reused} finished by an earlier run)" if reused else "")
        + f" in {totals['seconds']:.1f} s",
        highlight=False,
    )
    if totals["pages_per_task_second"]:
        console.print(
            f"  {totals['pages_per_task_second']:,} pages/s a worker "
            f"({totals['task_seconds']:.1f} s of tasks on {totals['workers']} workers)",
            highlight=False,
        )
    for title in ("skipped", "failed"):
        for kind, count in totals[title].items():
            console.print(f"  {title}: {count:,} × {kind}", highlight=False)
    languages = ", ".join(f"{lang} {n:,}" for lang, n in list(totals["languages"].items())[:12])
    if languages:
        console.print(f"  languages: {languages}", highlight=False)
    for partition, why in errors.items():
        console.print(f"  [red]failed partition[/] {partition}: {why}", highlight=False)


def _print_links(console: Console, out: Path, report: JobReport) -> None:
    from newsdesk.batch.links import LINKS  # noqa: PLC0415

    linked = report.links
    assert linked is not None
    outcomes = ", ".join(f"{n:,} {name}" for name, n in sorted(linked.outcomes.items()))
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in linked.stages.items())
    console.print(
        f"newsdesk batch: links of {linked.records:,} records in {out / LINKS} "
        f"({report.links_seconds:.1f} s: {stages}): {outcomes or 'none'}; "
        f"{linked.copy_groups:,} originals with copies (the largest group "
        f"{linked.largest_group:,} records), {linked.clusters:,} story clusters of more than "
        "one record",
        highlight=False,
    )
    if linked.refused:
        console.print(
            f"  [yellow]{linked.refused:,} verified copy pairs were kept apart[/]: their groups "
            "had reached the cap on a copy group's size",
            highlight=False,
        )


def _load(console: Console, into: str, out: Path, report: JobReport) -> None:
    from newsdesk.batch.load import load_output  # noqa: PLC0415

    outputs = [out / p.output for p in report.partitions if p.output]
    try:
        store = open_store(into)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        loaded = load_output(store, outputs, now=_now())
    except NewsdeskError as exc:
        raise click.ClickException(f"loading into {into}: {exc}") from exc
    finally:
        store.close()
    console.print(
        f"newsdesk batch: into {into}: {loaded.stored:,} stored ({loaded.copies:,} linked to "
        f"an original elsewhere), {loaded.duplicates:,} duplicates of stored articles"
        + (f", {loaded.failed:,} rows unusable" if loaded.failed else ""),
        highlight=False,
    )

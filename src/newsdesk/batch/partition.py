"""One partition of a batch job: its pages through the relay's page step into one file.

What a Dask task runs (``batch.job``), and nothing Dask-specific. ``partition_chunks`` reads
the partition and runs the page step on each page, giving its records back in chunks (their
counts, and their rows already encoded for the output: an Arrow table, or JSON lines);
``run_partition`` writes the chunks into the partition's file and marker. In a job the
chunks are made in an extraction process of the relay's kind (``chunks_in_process``), which
reads the partition itself: no page crosses a pipe, and the rows come back a chunk at a
time. It marks the index of the record it is on in memory both processes share; a record
that stays marked for the per-document time limit has the process killed, is counted as
``time_limit`` (``crashed`` if the process died on it), and a fresh process goes on after it
(the records since the last chunk are made again). Every page that fails is counted by its
kind (``time_limit``, ``crashed``, ``extract``...) and the partition goes on.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsdesk.batch.inputs import InputOptions, Partition, read_partition
from newsdesk.batch.output import (
    PartitionWriter,
    Rows,
    done_marker,
    encode_rows,
    output_path,
    row_chars,
    write_marker,
)
from newsdesk.batch.raw import RawPage
from newsdesk.errors import NewsdeskError
from newsdesk.model import FeedEntry
from newsdesk.pipeline.link import Prints
from newsdesk.pipeline.page import prepare_page
from newsdesk.pipeline.processes import CallTimeout, Channel, ProcessPool, WorkerDied
from newsdesk.store import Record

__all__ = [
    "MAX_PROBLEMS",
    "WARM_PAGE",
    "Chunk",
    "PartitionAbandoned",
    "PartitionOptions",
    "PartitionSummary",
    "RunPage",
    "chunks_in_process",
    "page_row",
    "page_step",
    "partition_chunks",
    "run_partition",
    "warm",
]

MAX_PROBLEMS = 50  # messages kept in a partition's marker (every one is counted)
# A chunk ends after this many rows, characters of text and body, or seconds (whichever
# first): the rows the worker waits for, and at most what a killed process's successor
# makes again.
CHUNK_ROWS = 64
CHUNK_CHARS = 1_000_000
CHUNK_SECONDS = 1.0
# A page that makes a fresh extraction process import the page step before a limit runs.
WARM_PAGE = RawPage("https://warm-up.invalid/", b"<html><title>x</title><p>x.</p></html>", "utf-8")

# The page step on one page, to its output row (``page_row``, or a call of it elsewhere).
RunPage = Callable[[RawPage], dict[str, Any]]


class PartitionAbandoned(Exception):
    """Raised by a ``run_page`` whose means are gone (its worker is closing): the partition
    ends without its output or marker, and runs again (elsewhere, or on the next run)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionOptions:
    out: str  # the job's directory
    format: str = "parquet"
    inputs: InputOptions = field(default_factory=InputOptions)


@dataclass(slots=True)
class PartitionSummary:
    """What one partition did; its JSON form is the partition's completion marker."""

    partition: str
    paths: list[str]
    output: str = ""
    records: int = 0  # pages and skipped records
    articles: int = 0  # rows written
    no_text: int = 0  # articles whose extraction found no body (the row says why)
    skipped: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    page_bytes: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    skipped_run: bool = False  # finished by an earlier run: not run again

    def to_dict(self) -> dict[str, Any]:
        return {
            "partition": self.partition,
            "paths": self.paths,
            "output": self.output,
            "records": self.records,
            "articles": self.articles,
            "no_text": self.no_text,
            "skipped": dict(self.skipped),
            "failed": dict(self.failed),
            "languages": dict(self.languages),
            "page_bytes": self.page_bytes,
            "seconds": round(self.seconds, 3),
            "problems": self.problems,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PartitionSummary:
        return cls(
            partition=data["partition"],
            paths=list(data["paths"]),
            output=data.get("output", ""),
            records=int(data["records"]),
            articles=int(data["articles"]),
            no_text=int(data.get("no_text", 0)),
            skipped=Counter(data.get("skipped") or {}),
            failed=Counter(data.get("failed") or {}),
            languages=Counter(data.get("languages") or {}),
            page_bytes=int(data.get("page_bytes", 0)),
            seconds=float(data.get("seconds", 0.0)),
            problems=list(data.get("problems") or []),
        )

    def note(self, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)

    def add(self, chunk: Chunk) -> None:
        self.records += chunk.records
        self.articles += chunk.articles
        self.no_text += chunk.no_text
        self.page_bytes += chunk.page_bytes
        self.skipped.update(chunk.skipped)
        self.failed.update(chunk.failed)
        self.languages.update(chunk.languages)
        for _, message, _ in chunk.notes:
            self.note(message or "")


@dataclass(slots=True)
class Chunk:
    """What a run of consecutive records of a partition gave: their counts, a note on each
    one skipped or failed (its index, the message, its URL), and the rows encoded for the
    output (``output.encode_rows``). A note without a message is a record the chunk's maker
    was told to pass over (``poisoned``): its failure is the caller's to fill in."""

    records: int = 0
    articles: int = 0
    no_text: int = 0
    chars: int = 0
    page_bytes: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    notes: list[tuple[int, str | None, str]] = field(default_factory=list)
    rows: Rows | None = None


def page_step(page: RawPage) -> tuple[Record, Prints | None]:
    """The relay's page step (``pipeline.page.prepare_page``) on an archived page: no feed
    entry to fill a missing title or date, the fingerprints made, the raw page not kept."""
    entry = FeedEntry(guid=page.url, url=page.url)
    return prepare_page(page.body, page.url, page.charset, entry, True, False)


def read_marker(out: Path, partition_id: str) -> PartitionSummary | None:
    """The summary of a partition an earlier run finished, or None."""
    try:
        data = json.loads(done_marker(out, partition_id).read_text(encoding="utf-8"))
        return PartitionSummary.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def page_row(page: RawPage) -> dict[str, Any]:
    """The page step's result as one output row (``batch.output``): made where the page step
    runs, so the extraction process does all the CPU work and sends back only the row."""
    record, prints = page_step(page)
    row: dict[str, Any] = json.loads(record.article_json)
    row["warc_record_id"] = page.record_id
    row["source_file"] = page.source
    row["text_key"] = prints.text_key if prints else None
    row["fingerprint"] = prints.fingerprint.to_bytes() if prints else None
    row["story_terms"] = prints.story.to_bytes() if prints and prints.story else None
    row["body_html"] = record.body_html
    return row


def partition_chunks(  # noqa: PLR0917 (called through ProcessPool.stream: args only)
    partition: Partition,
    options: PartitionOptions,
    run_page: RunPage = page_row,
    start: int = 0,
    poisoned: frozenset[int] = frozenset(),
    channel: Channel | None = None,
) -> Iterator[Chunk]:
    """The records of ``partition`` from index ``start`` on, through the page step, in
    chunks; the records in ``poisoned`` are passed over (a note without a message each);
    ``channel`` (in an extraction process) is marked with each record's index."""
    chunk, rows, since = Chunk(), [], time.monotonic()
    for index, item in enumerate(read_partition(partition, options.inputs)):
        if index < start:
            continue
        if channel is not None:
            channel.mark(index)
        chunk.records += 1
        if index in poisoned:
            chunk.notes.append((index, None, item.url or ""))
        elif not isinstance(item, RawPage):
            chunk.skipped[item.kind] += 1
            where = item.url or item.record_id or ""
            chunk.notes.append((index, f"{item.kind}: {where} {item.message}", where))
        else:
            chunk.page_bytes += len(item.body)
            try:
                row = run_page(item)
            except PartitionAbandoned:
                raise
            except Exception as exc:  # every failure is counted; the partition goes on
                kind = _failure_kind(exc)
                chunk.failed[kind] += 1
                chunk.notes.append((index, f"{kind}: {item.url}: {exc}", item.url))
            else:
                row["source_file"] = row["source_file"] or partition.paths[0]
                rows.append(row)
                chunk.articles += 1
                chunk.no_text += not row["text"]
                chunk.languages[row["language"] or "und"] += 1
                chunk.chars += row_chars(row)
        if (
            len(rows) >= CHUNK_ROWS
            or chunk.chars >= CHUNK_CHARS
            or time.monotonic() - since >= CHUNK_SECONDS
        ):
            chunk.rows = encode_rows(rows, options.format) if rows else None
            yield chunk
            chunk, rows, since = Chunk(), [], time.monotonic()
    if chunk.records:
        chunk.rows = encode_rows(rows, options.format) if rows else None
        yield chunk


def warm(pool: ProcessPool) -> None:
    """Have an idle process of ``pool`` import the page step (a fresh one pays its imports
    here, not within a record's time limit); a pool of N processes needs N calls at once to
    warm each, since an idle process is taken again first."""
    with suppress(WorkerDied):
        pool.call(page_step, WARM_PAGE)


def chunks_in_process(
    pool: ProcessPool,
    partition: Partition,
    options: PartitionOptions,
    time_limit: float | None,
    run_page: RunPage = page_row,
) -> Iterator[Chunk]:
    """``partition_chunks`` run in an extraction process of ``pool``, which reads the
    partition itself, under the per-document ``time_limit``: a record that holds the process
    that long (or that the process dies on) is counted as failed, and a fresh process goes
    on from the first record not yet received, passing over every record that failed so."""
    done = 0
    failures: dict[int, tuple[str, str]] = {}  # index → kind, why
    while True:
        try:
            stream = pool.stream(
                partition_chunks,
                partition,
                options,
                run_page,
                done,
                frozenset(failures),
                timeout=time_limit,
            )
            for chunk in stream:
                done += chunk.records
                for n, (index, message, url) in enumerate(chunk.notes):
                    if message is None:
                        kind, why = failures[index]
                        chunk.failed[kind] += 1
                        chunk.notes[n] = (index, f"{kind}: {url}: {why}", url)
                yield chunk
            return
        except (CallTimeout, WorkerDied) as exc:
            index = max(exc.at, done)
            if index in failures:  # it failed before reaching the record after it
                raise PartitionAbandoned(f"the extraction process fails at once: {exc}") from exc
            failures[index] = (_failure_kind(exc), str(exc))
            try:
                warm(pool)
            except RuntimeError as closing:  # the worker is closing: not this page's failure
                raise PartitionAbandoned(f"the worker's extraction process: {closing}") from exc
        except RuntimeError as exc:  # the pool is shut down: the worker is closing
            raise PartitionAbandoned(f"the worker's extraction process: {exc}") from exc


def run_partition(
    partition: Partition,
    options: PartitionOptions,
    run_page: RunPage = page_row,
    *,
    tick: Callable[[PartitionSummary], None] | None = None,
    chunks: Iterator[Chunk] | None = None,
) -> PartitionSummary:
    """Process ``partition`` into its output file and completion marker, unless an earlier
    run finished it (then its marker's summary, with ``skipped_run`` set): its records made
    here with ``run_page``, or taken from ``chunks`` (``chunks_in_process``). ``tick`` is
    called with the summary so far after each chunk."""
    out = Path(options.out)
    finished = read_marker(out, partition.id)
    if finished is not None and output_path(out, partition.id, options.format).exists():
        finished.skipped_run = True
        return finished
    started = time.perf_counter()
    summary = PartitionSummary(partition.id, list(partition.paths))
    target = output_path(out, partition.id, options.format)
    with PartitionWriter(target, options.format) as writer:
        for chunk in (
            chunks if chunks is not None else partition_chunks(partition, options, run_page)
        ):
            summary.add(chunk)
            if chunk.rows is not None:
                writer.write_rows(chunk.rows, chunk.articles, chunk.chars)
            if tick is not None:
                tick(summary)
        writer.commit()
    summary.output = target.name
    summary.seconds = time.perf_counter() - started
    write_marker(done_marker(out, partition.id), summary.to_dict())
    return summary


def _failure_kind(exc: Exception) -> str:
    if isinstance(exc, WorkerDied):
        return "crashed"
    if isinstance(exc, NewsdeskError):
        return exc.kind
    return f"internal:{type(exc).__name__}"

"""One partition of a batch job: its pages through the relay's page step into one file.

What a Dask task runs (``batch.job``), and nothing Dask-specific: the page step is passed in
as ``run_page`` (in a job, a call into an extraction process with the per-document time
limit), so the same code runs in a test or a single process. Every page that fails is
counted by its kind (``time_limit``, ``crashed``, ``extract``...) and the partition goes on.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsdesk.batch.inputs import InputOptions, Partition, read_partition
from newsdesk.batch.output import PartitionWriter, done_marker, output_path, write_marker
from newsdesk.batch.raw import RawPage
from newsdesk.errors import NewsdeskError
from newsdesk.model import FeedEntry
from newsdesk.pipeline.link import Prints
from newsdesk.pipeline.page import prepare_page
from newsdesk.pipeline.processes import WorkerDied
from newsdesk.store import Record

__all__ = [
    "MAX_PROBLEMS",
    "PartitionAbandoned",
    "PartitionOptions",
    "PartitionSummary",
    "RunPage",
    "page_row",
    "page_step",
    "run_partition",
]

MAX_PROBLEMS = 50  # messages kept in a partition's marker (every one is counted)

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


def run_partition(
    partition: Partition,
    options: PartitionOptions,
    run_page: RunPage = page_row,
    *,
    tick: Callable[[PartitionSummary], None] | None = None,
) -> PartitionSummary:
    """Process ``partition`` into its output file and completion marker, unless an earlier
    run finished it (then its marker's summary, with ``skipped_run`` set). ``tick`` is
    called with the summary so far after each record."""
    out = Path(options.out)
    finished = read_marker(out, partition.id)
    if finished is not None and output_path(out, partition.id, options.format).exists():
        finished.skipped_run = True
        return finished
    started = time.perf_counter()
    summary = PartitionSummary(partition.id, list(partition.paths))
    target = output_path(out, partition.id, options.format)
    with PartitionWriter(target, options.format) as writer:
        for item in read_partition(partition, options.inputs):
            if tick is not None and summary.records:
                tick(summary)
            summary.records += 1
            if not isinstance(item, RawPage):
                summary.skipped[item.kind] += 1
                summary.note(f"{item.kind}: {item.url or item.record_id or ''} {item.message}")
                continue
            summary.page_bytes += len(item.body)
            try:
                row = run_page(item)
            except PartitionAbandoned:
                raise
            except Exception as exc:  # every failure is counted; the partition goes on
                kind = _failure_kind(exc)
                summary.failed[kind] += 1
                summary.note(f"{kind}: {item.url}: {exc}")
                continue
            row["source_file"] = row["source_file"] or partition.paths[0]
            writer.write(row)
            summary.articles += 1
            summary.no_text += not row["text"]
            summary.languages[row["language"] or "und"] += 1
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

"""``newsdesk batch --dedupe``: a finished job's duplicates, syndicated copies and story
clusters, as a Parquet table (``links.parquet``) beside its partitions.

The fingerprints were made with each page, in the workers (the output's ``text_key``,
``fingerprint`` and ``story_terms`` columns): this stage reads only those small columns and
the evidence (URLs, time, provenance, site), one partition at a time, into the corpus
deduper (``dedupe.BatchDeduper``: ~250 bytes a record, numpy arrays) and resolves every link
at once with its rules: copies verified by the copy rule (never a blind transitive closure),
the original chosen by the evidence rules, story clusters by the event rule. The result
depends on the records, not on their order or on how many workers made them.

Each record's id is ``<partition>:<row>`` (unique even when a crawl holds a page twice);
the table carries its ``warc_record_id`` and ``url`` to join on.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from newsdesk.dates import parse_date
from newsdesk.dedupe import BatchDeduper, Fingerprint
from newsdesk.dedupe.batch import _Ids
from newsdesk.urls import canonicalize_url

__all__ = [
    "LINKS",
    "LINKS_SCHEMA",
    "LinkReport",
    "Linked",
    "link_outputs",
    "read_records",
    "write_links",
]

LINKS = "links.parquet"
_COLUMNS = [
    "warc_record_id",
    "url",
    "fetched_url",
    "published",
    "site_name",
    "provenance",
    "text_key",
    "fingerprint",
    "story_terms",
]
_S = pa.string()
LINKS_SCHEMA = pa.schema(
    [
        ("id", _S),
        ("warc_record_id", _S),
        ("url", _S),
        ("dedupe", _S),  # original, duplicate, syndicated, or none (no text to compare)
        ("duplicate_of", _S),  # the record it repeats exactly (same canonical URL or text)
        ("original_id", _S),  # for a copy syndicated from another record: that record
        ("cluster_id", _S),  # its story cluster's representative
    ]
)


@dataclass(slots=True)
class LinkReport:
    records: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    clusters: int = 0  # story clusters of more than one record
    copy_groups: int = 0  # originals with at least one duplicate or copy
    refused: int = 0  # verified copy pairs kept apart by the cap on a copy group's size
    largest_group: int = 0  # records in the largest copy group
    candidates_verified: int = 0  # copy pairs verified (the Dask stages; once a shard)
    stages: dict[str, float] = field(default_factory=dict)  # seconds of each stage
    stages_cpu: dict[str, float] = field(default_factory=dict)  # ... and its CPU seconds


def _canonical(url: object) -> str | None:
    if not isinstance(url, str) or not url.strip():
        return None
    try:
        return canonicalize_url(url.strip())
    except ValueError:
        return url.strip()


def _time(value: object) -> float | None:
    parsed = parse_date(value) if isinstance(value, str) else None
    return parsed.value.timestamp() if parsed else None


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    for batch in pq.ParquetFile(path).iter_batches(batch_size=2048, columns=_COLUMNS):
        yield from batch.to_pylist()


def _add(index: BatchDeduper, record_id: str, row: dict[str, Any]) -> bool:
    if not row.get("fingerprint") or not row.get("text_key"):
        return False  # no body: nothing to compare
    provenance = row.get("provenance") or {}
    credits = provenance.get("credits") or []
    index.add(
        record_id,
        Fingerprint.from_bytes(row["fingerprint"]),
        url=_canonical(row.get("url")),
        fetched_url=_canonical(row.get("fetched_url")),
        text_key=row["text_key"],
        published=_time(row.get("published")),
        relay=bool(provenance.get("via")),
        original_url=_canonical(provenance.get("original_url")),
        site_name=row.get("site_name"),
        credit=str(credits[0]) if credits else None,
        story=row.get("story_terms") or b"",
    )
    return True


@dataclass(slots=True)
class Linked:
    """Every record with a body, in the order of the job's partitions then rows: its id,
    and the index of the record it duplicates, of its original and of its cluster's
    representative (-1: none / itself); what the cap on copy groups refused."""

    ids: _Ids
    duplicate_of: np.ndarray
    original_of: np.ndarray
    cluster_of: np.ndarray
    refused: int = 0  # verified copy pairs a copy group's cap kept apart
    largest_group: int = 0  # records in the largest copy group (duplicates included)
    stories_seconds: float = 0.0
    stories_cpu: float = 0.0


def read_records(path: Path, index: BatchDeduper) -> pa.Table:
    """Add the records of one partition with a body to ``index`` (ids ``<partition>:<row>``);
    every record's ``warc_record_id``, ``url`` and whether it has a body."""
    partition = path.name.removesuffix(".parquet")
    names: list[str | None] = []
    urls: list[str | None] = []
    bodied: list[bool] = []
    for number, row in enumerate(_rows(path)):
        names.append(row.get("warc_record_id"))
        urls.append(row.get("url"))
        bodied.append(_add(index, f"{partition}:{number}", row))
    return pa.table(
        {
            "warc_record_id": pa.array(names, _S),
            "url": pa.array(urls, _S),
            "bodied": pa.array(bodied, pa.bool_()),
        }
    )


def link_outputs(outputs: list[Path], target: Path) -> LinkReport:
    """Link the records of the Parquet ``outputs`` (a job's partitions) in this process, with
    the corpus deduper, and write the links table to ``target`` (whole, under a temporary
    name first). ``linkstages.link_on_dask`` makes the same links on Dask's workers."""
    index = BatchDeduper()
    ordered = sorted(outputs)
    records = [read_records(path, index) for path in ordered]
    resolution = index.resolve()
    linked = Linked(
        ids=index.ids,
        duplicate_of=resolution.duplicate_of,
        original_of=resolution.original_of,
        cluster_of=resolution.cluster_of,
    )
    if len(linked.duplicate_of):
        groups = np.where(linked.duplicate_of >= 0, linked.duplicate_of, np.arange(len(index)))
        groups = np.where(linked.original_of >= 0, linked.original_of, groups)
        linked.largest_group = int(np.bincount(groups).max())
    return write_links(ordered, records, linked, target)


def write_links(
    outputs: list[Path], records: list[pa.Table], linked: Linked, target: Path
) -> LinkReport:
    """The links table of every record (``records``: each of the ``outputs``', in order) at
    ``target``, written whole under a temporary name first, one row group a partition (its
    rows are built one partition at a time); its counts."""
    ids = linked.ids
    report = LinkReport(refused=linked.refused, largest_group=linked.largest_group)
    cluster_sizes: Counter[int] = Counter()
    groups: set[int] = set()
    slot = 0
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
    with pq.ParquetWriter(temporary, LINKS_SCHEMA, compression="zstd") as writer:
        for path, table in zip(outputs, records, strict=True):
            partition = path.name.removesuffix(".parquet")
            columns: dict[str, list[str | None]] = {name: [] for name in LINKS_SCHEMA.names}
            names = table.column("warc_record_id").to_pylist()
            urls = table.column("url").to_pylist()
            bodied = table.column("bodied").to_pylist()
            for number, (warc_id, url, has_body) in enumerate(
                zip(names, urls, bodied, strict=True)
            ):
                if has_body:
                    record_id = ids[slot]
                    duplicate = int(linked.duplicate_of[slot])
                    original = int(linked.original_of[slot])
                    cluster = int(linked.cluster_of[slot])
                    slot += 1
                    cluster_sizes[cluster] += 1
                    if duplicate >= 0 or original >= 0:
                        groups.add(original if original >= 0 else duplicate)
                    outcome = (
                        "duplicate"
                        if duplicate >= 0
                        else "syndicated"
                        if original >= 0
                        else "original"
                    )
                else:
                    record_id = f"{partition}:{number}"
                    outcome, duplicate, original, cluster = "none", -1, -1, -1
                columns["id"].append(record_id)
                columns["warc_record_id"].append(warc_id)
                columns["url"].append(url)
                report.outcomes[outcome] += 1
                columns["dedupe"].append(outcome)
                columns["duplicate_of"].append(ids[duplicate] if duplicate >= 0 else None)
                columns["original_id"].append(ids[original] if original >= 0 else None)
                columns["cluster_id"].append(ids[cluster] if cluster >= 0 else None)
            report.records += len(names)
            writer.write_table(pa.table(columns, schema=LINKS_SCHEMA))
    os.replace(temporary, target)
    report.clusters = sum(1 for size in cluster_sizes.values() if size > 1)
    report.copy_groups = len(groups)
    return report

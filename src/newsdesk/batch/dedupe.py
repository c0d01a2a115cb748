"""`newsdesk dedupe`: link the duplicates, syndicated copies and story clusters of a JSON Lines
corpus, offline, in bounded memory.

Two streaming passes over the file. The first fingerprints each record (in worker processes
when asked) and keeps only compact arrays (``dedupe.BatchDeduper``: ~250 bytes a record plus
its id); between the passes every link is resolved; the second pass writes each record again
with ``duplicate_of``, ``original_id``, ``cluster_id`` and ``dedupe`` (its outcome) added.

A record that cannot be deduplicated — not JSON, not an object, no id, no text, a text over
``MAX_TEXT_BYTES`` — is written through with ``dedupe = "error"`` and a ``dedupe_error``
saying why (a line that is not a JSON object is written through unchanged), and counted.
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from newsdesk.dates import parse_date
from newsdesk.dedupe import BatchDeduper, Fingerprint, fingerprint, text_key
from newsdesk.dedupe.stories import story_terms
from newsdesk.urls import canonicalize_url

__all__ = ["MAX_TEXT_BYTES", "DedupeFields", "DedupeReport", "dedupe_corpus"]

MAX_TEXT_BYTES = 10_000_000
_UNCHANGED = ("not valid JSON", "not a JSON object")  # written through as they came
_CHUNK = 256


@dataclass(frozen=True, slots=True, kw_only=True)
class DedupeFields:
    text: str = "text"
    id: str = "id"
    url: str = "url"
    time: str = "published"
    title: str = "title"


@dataclass(slots=True)
class DedupeReport:
    records: int = 0
    outcomes: Counter[str] | None = None
    errors: Counter[str] | None = None
    clusters: int = 0


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One line's fingerprint and evidence (from a worker), or why it has none."""

    id: str | None
    fingerprint: bytes | None
    url: str | None
    fetched_url: str | None
    text_key: str | None
    published: float | None
    relay: bool
    original_url: str | None
    site_name: str | None
    credit: str | None
    error: str | None
    story: bytes = b""


def _canonical(url: object) -> str | None:
    if not isinstance(url, str) or not url.strip():
        return None
    try:
        return canonicalize_url(url.strip())
    except ValueError:
        return url.strip()


def _time(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / (1000 if value > 10_000_000_000 else 1)
    if isinstance(value, str):
        parsed = parse_date(value)
        return parsed.value.timestamp() if parsed else None
    return None


def _fail(error: str, story_id: str | None = None) -> _Prepared:
    return _Prepared(story_id, None, None, None, None, None, False, None, None, None, error)


def _prepare(line: str, fields: DedupeFields) -> _Prepared:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):  # not JSON, or nested past any real record
        return _fail("not valid JSON")
    if not isinstance(record, dict):
        return _fail("not a JSON object")
    raw_id = record.get(fields.id)
    if raw_id is None or isinstance(raw_id, dict | list) or str(raw_id) == "":
        return _fail(f"no {fields.id!r} field")
    story_id = str(raw_id)
    text = record.get(fields.text)
    if not isinstance(text, str) or not text.strip():
        return _fail(f"no text in {fields.text!r}", story_id)
    if len(text) > MAX_TEXT_BYTES // 4 and len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        return _fail(f"text larger than {MAX_TEXT_BYTES // 1_000_000} MB", story_id)
    title = record.get(fields.title)
    description = record.get("description")
    title = title if isinstance(title, str) else None
    description = description if isinstance(description, str) else None
    fp = fingerprint(text, title=title, description=description)
    raw_provenance = record.get("provenance")
    provenance: dict[str, Any] = raw_provenance if isinstance(raw_provenance, dict) else {}
    credits = provenance.get("credits") or ()
    site = record.get("site_name")
    return _Prepared(
        id=story_id,
        fingerprint=fp.to_bytes(),
        url=_canonical(record.get(fields.url)),
        fetched_url=_canonical(record.get("fetched_url")),
        text_key=text_key(text),
        published=_time(record.get(fields.time)),
        relay=bool(provenance.get("via")),
        original_url=_canonical(provenance.get("original_url")),
        site_name=site if isinstance(site, str) else None,
        credit=str(credits[0]) if isinstance(credits, list) and credits else None,
        error=None,
        story=story_terms(text, title=title, description=description).to_bytes(),
    )


def _prepare_chunk(lines: list[str], fields: DedupeFields) -> list[_Prepared]:
    return [_prepare(line, fields) for line in lines]


def _chunks(path: Path) -> Iterator[list[str]]:
    chunk: list[str] = []
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.strip():
                chunk.append(line)
                if len(chunk) == _CHUNK:
                    yield chunk
                    chunk = []
    if chunk:
        yield chunk


def _prepared(path: Path, fields: DedupeFields, processes: int) -> Iterator[_Prepared]:
    if processes <= 1:
        for chunk in _chunks(path):
            yield from _prepare_chunk(chunk, fields)
        return
    with ProcessPoolExecutor(max_workers=processes) as pool:
        pending = []
        for chunk in _chunks(path):
            pending.append(pool.submit(_prepare_chunk, chunk, fields))
            if len(pending) >= 4 * processes:  # bounded: a few chunks in flight
                yield from pending.pop(0).result()
        for future in pending:
            yield from future.result()


def dedupe_corpus(
    source: Path, out: TextIO, *, fields: DedupeFields | None = None, processes: int = 1
) -> DedupeReport:
    """Dedupe ``source`` (JSON Lines) into ``out``; counts of each outcome in the report."""
    fields = fields or DedupeFields()
    index = BatchDeduper()
    errors: list[str | None] = []  # per line: None, or why it was not deduplicated
    slot = array("q")  # per line: its index in the deduper, or -1
    for prepared in _prepared(source, fields, processes):
        errors.append(prepared.error)
        if prepared.error is not None or prepared.fingerprint is None or prepared.id is None:
            slot.append(-1)
            continue
        slot.append(
            index.add(
                prepared.id,
                Fingerprint.from_bytes(prepared.fingerprint),
                url=prepared.url,
                fetched_url=prepared.fetched_url,
                text_key=prepared.text_key,
                published=prepared.published,
                relay=prepared.relay,
                original_url=prepared.original_url,
                site_name=prepared.site_name,
                credit=prepared.credit,
                story=prepared.story,
            )
        )
    resolution = index.resolve()
    ids = index.ids
    report = DedupeReport(records=len(slot), outcomes=Counter(), errors=Counter())
    assert report.outcomes is not None and report.errors is not None
    clusters: set[int] = set()
    line_number = 0
    for chunk in _chunks(source):
        for line in chunk:
            position = slot[line_number]
            error = errors[line_number]
            line_number += 1
            if error in _UNCHANGED:
                out.write(line if line.endswith("\n") else line + "\n")
                report.outcomes["error"] += 1
                report.errors[error] += 1
                continue
            record: dict[str, Any] = json.loads(line)
            if position < 0:
                record.update(dedupe="error", dedupe_error=error)
                report.outcomes["error"] += 1
                report.errors[str(error)] += 1
            else:
                duplicate = int(resolution.duplicate_of[position])
                original = int(resolution.original_of[position])
                cluster = int(resolution.cluster_of[position])
                clusters.add(cluster)
                record.update(
                    duplicate_of=ids[duplicate] if duplicate >= 0 else None,
                    original_id=ids[original] if original >= 0 else None,
                    cluster_id=ids[cluster],
                    dedupe=resolution.outcome[position],
                )
                report.outcomes[resolution.outcome[position]] += 1
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    report.clusters = len(clusters)
    return report

"""A batch job's output: one file per partition, written whole or not at all.

Each row is the Article's JSON form (what ``newsdesk extract`` prints) plus
``warc_record_id``, ``source_file`` (the input it came from), ``text_key``, ``fingerprint`` and
``story_terms`` (the dedupe's prints, for the links stage, ``batch.links``) and ``body_html``
(the body as safe HTML, as the relay stores it). Parquet holds the same fields as columns,
with the Article's lists and records as nested columns (``SCHEMA``); in JSON Lines the
binary prints are hex.

A partition is written to a temporary name in the job directory and renamed when complete;
then its completion marker (``<id>.done.json``, its counts) is written the same way. A
partition with a marker is finished: a rerun skips it, and a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any, BinaryIO, TypeAlias

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "FORMATS",
    "SCHEMA",
    "PartitionWriter",
    "Rows",
    "done_marker",
    "encode_rows",
    "output_path",
    "row_chars",
    "write_marker",
]

FORMATS = ("parquet", "jsonl")
# Rows buffered before they are written (a row group), or fewer when their text is large:
# memory stays flat over a file of any size.
ROW_GROUP = 256
ROW_GROUP_CHARS = 4_000_000

_S = pa.string()
_PAIRS = {
    "quote": pa.struct([("text", _S), ("speaker", _S)]),
    "link": pa.struct([("url", _S), ("text", _S)]),
    "removed": pa.struct([("text", _S), ("reason", _S)]),
    "refusal": pa.struct([("method", _S), ("why", _S)]),
}
SCHEMA = pa.schema(
    [
        ("url", _S),
        ("fetched_url", _S),
        ("title", _S),
        ("authors", pa.list_(_S)),
        ("published", _S),  # ISO 8601 with its offset, as in the JSON form
        ("updated", _S),
        ("site_name", _S),
        ("language", _S),
        ("description", _S),
        ("image", _S),
        ("section", _S),
        ("tags", pa.list_(_S)),
        ("text", _S),
        ("blocks", pa.list_(pa.struct([("kind", _S), ("text", _S), ("level", pa.int32())]))),
        (
            "embeds",
            pa.list_(
                pa.struct([(n, _S) for n in ("platform", "url", "id", "author")] + [("text", _S)])
            ),
        ),
        ("quotes", pa.list_(_PAIRS["quote"])),
        ("links", pa.list_(_PAIRS["link"])),
        (
            "provenance",
            pa.struct(
                [(n, _S) for n in ("via", "source", "link", "original_url")]
                + [("credits", pa.list_(_S))]
            ),
        ),
        ("removed", pa.list_(_PAIRS["removed"])),
        (
            "decoding",
            pa.struct(
                [("encoding", _S), ("source", _S), ("declared", _S), ("replaced", pa.int64())]
            ),
        ),
        (
            "extraction",
            pa.struct([("method", _S), ("refused", pa.list_(_PAIRS["refusal"])), ("cut", _S)]),
        ),
        ("warc_record_id", _S),
        ("source_file", _S),
        ("text_key", _S),
        ("fingerprint", pa.binary()),
        ("story_terms", pa.binary()),
        ("body_html", _S),
    ]
)


# Rows encoded for the output where they were made (``encode_rows``): an Arrow table of
# ``SCHEMA`` for Parquet, the JSON lines' bytes for JSON Lines. The extraction process sends
# these, not the rows' dicts: the worker only appends them to the file.
Rows: TypeAlias = pa.Table | bytes


def row_chars(row: dict[str, Any]) -> int:
    """What a row weighs for a row group's limit: the characters of its text and body."""
    return len(row.get("text") or "") + len(row.get("body_html") or "")


def _jsonl_line(row: dict[str, Any]) -> bytes:
    out = {k: v.hex() if isinstance(v, bytes) else v for k, v in row.items()}
    return json.dumps(out, ensure_ascii=False).encode("utf-8", "replace") + b"\n"


def encode_rows(rows: list[dict[str, Any]], fmt: str) -> Rows:
    """``rows`` in the form ``PartitionWriter.write_rows`` takes for ``fmt``."""
    if fmt == "parquet":
        table: pa.Table = pa.Table.from_pylist(rows, schema=SCHEMA)
        return table
    return b"".join(_jsonl_line(row) for row in rows)


def output_path(directory: Path, partition_id: str, fmt: str) -> Path:
    return directory / f"{partition_id}.{fmt}"


def done_marker(directory: Path, partition_id: str) -> Path:
    return directory / f"{partition_id}.done.json"


def _temporary(path: Path) -> Path:
    # unique per attempt: a task rerun elsewhere never writes into another attempt's file
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")


def _publish(temporary: Path, final: Path) -> None:
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, final)


def write_marker(path: Path, data: dict[str, Any]) -> None:
    """The completion marker, written whole under a temporary name and renamed."""
    temporary = _temporary(path)
    temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    _publish(temporary, path)


class PartitionWriter:
    """Rows of one partition into ``path`` (Parquet or JSON Lines), under a temporary name
    until ``commit``; ``abort`` (or leaving the ``with`` block on an error) removes it."""

    def __init__(self, path: Path, fmt: str):
        if fmt not in FORMATS:
            raise ValueError(f"unknown output format {fmt!r} (one of {', '.join(FORMATS)})")
        self.path = path
        self.format = fmt
        self.rows = 0
        self._temporary = _temporary(path)
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._chars = 0
        self._parquet: pq.ParquetWriter | None = None
        self._jsonl: BinaryIO | None = None
        if fmt == "parquet":
            self._parquet = pq.ParquetWriter(self._temporary, SCHEMA, compression="zstd")
        else:
            self._jsonl = open(self._temporary, "wb")  # noqa: SIM115 (closed in commit/abort)

    def write_rows(self, rows: Rows, count: int, chars: int) -> None:
        """``count`` rows encoded by ``encode_rows`` (``chars``: their ``row_chars``)."""
        self.rows += count
        if self._jsonl is not None:
            assert isinstance(rows, bytes)
            self._jsonl.write(rows)
            return
        assert isinstance(rows, pa.Table)
        self._buffer.append(rows)
        self._buffered += count
        self._chars += chars
        if self._buffered >= ROW_GROUP or self._chars >= ROW_GROUP_CHARS:
            self._flush()

    def _flush(self) -> None:
        if self._parquet is not None and self._buffer:
            table = pa.concat_tables(self._buffer) if len(self._buffer) > 1 else self._buffer[0]
            self._parquet.write_table(table)
            self._buffer = []
            self._buffered = 0
            self._chars = 0

    def commit(self) -> None:
        """Close the file and give it its final name."""
        if self._parquet is not None:
            self._flush()
            self._parquet.close()
        if self._jsonl is not None:
            self._jsonl.close()
        _publish(self._temporary, self.path)

    def abort(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._jsonl is not None:
            self._jsonl.close()
        self._temporary.unlink(missing_ok=True)

    def __enter__(self) -> PartitionWriter:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is not None:
            self.abort()

"""What a batch job reads: input paths planned into partitions, and each partition's pages.

A partition is the task unit of the job (``batch.job``): one WARC file, one JSON Lines file,
or up to ``html_files_per_partition`` HTML files of one folder, turned into one output file.
Its id is stable (the file's name and a hash of its absolute path), so a rerun of the same
inputs finds the partitions it finished.

Reading yields ``RawPage`` values (a URL, the page's bytes, the HTTP charset) or ``Skipped``
values (what was not a page and why: ``non_html``, ``no_http_headers``, ``truncated``,
``corrupt_archive``...): bad input is counted, never raised, so one bad record costs that
record and one bad file costs that file's bad part. WARC files are read with FastWARC.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from newsdesk.batch.raw import RawPage, Skipped
from newsdesk.batch.warc import read_warc
from newsdesk.errors import NewsdeskError

__all__ = [
    "BatchInputError",
    "InputOptions",
    "Partition",
    "RawPage",
    "Skipped",
    "plan_partitions",
    "read_partition",
]

WARC_SUFFIXES = (".warc", ".warc.gz", ".warc.zst", ".warc.lz4")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
_GLOB_CHARS = re.compile(r"[*?\[]")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class BatchInputError(NewsdeskError):
    """An input of a batch job cannot be used: a missing path, an unknown kind of file."""

    kind = "input"


@dataclass(frozen=True, slots=True, kw_only=True)
class InputOptions:
    url_field: str = "url"  # JSON Lines: the field with the page's URL
    html_field: str = "html"  # JSON Lines: the field with the page's HTML
    max_page_bytes: int = 10_000_000  # a larger page is skipped and counted (too_large)
    html_files_per_partition: int = 1000


@dataclass(frozen=True, slots=True)
class Partition:
    id: str  # stable and safe as a file name
    kind: str  # warc, jsonl or html
    paths: tuple[str, ...]  # absolute paths


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    for kind, suffixes in (
        ("warc", WARC_SUFFIXES),
        ("jsonl", JSONL_SUFFIXES),
        ("html", HTML_SUFFIXES),
    ):
        if name.endswith(suffixes):
            return kind
    return None


def _partition_id(label: str, key: str) -> str:
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return f"{_SAFE.sub('_', label)[:60]}-{digest}"


def _expand(spec: str) -> list[Path]:
    path = Path(spec).expanduser()
    if path.exists():
        return [path]
    if _GLOB_CHARS.search(spec):
        return [Path(p) for p in sorted(glob.glob(str(path), recursive=True))]
    return []


def _specs(inputs: Sequence[str], listing: Path | None) -> list[str]:
    specs = list(inputs)
    if listing is not None:
        try:
            text = listing.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BatchInputError(f"cannot read the list of inputs {listing}: {exc}") from exc
        lines = (line.strip() for line in text.splitlines())
        specs.extend(line for line in lines if line and not line.startswith("#"))
    return specs


def plan_partitions(
    inputs: Sequence[str],
    options: InputOptions | None = None,
    *,
    listing: Path | None = None,
) -> tuple[list[Partition], list[str]]:
    """The partitions of ``inputs`` (paths, globs, folders; ``listing``: a file naming more,
    one a line), in a stable order, and a message for each input that cannot be used (a
    path that does not exist, a file of an unknown kind): those are left out, the rest go on.
    """
    options = options or InputOptions()
    problems: list[str] = []
    files: dict[str, str] = {}  # absolute path → kind (each file once)
    html_dirs: dict[str, list[str]] = {}
    for spec in _specs(inputs, listing):
        found = _expand(spec)
        if not found:
            problems.append(f"{spec}: no such file or directory (nor files matching it)")
        for path in found:
            if path.is_dir():
                _walk(path, files, html_dirs)
            elif (kind := _kind(path)) is None:
                problems.append(
                    f"{path}: not a kind of input batch reads (WARC {', '.join(WARC_SUFFIXES)}; "
                    f"JSON Lines {', '.join(JSONL_SUFFIXES)}; HTML {', '.join(HTML_SUFFIXES)})"
                )
            elif kind == "html":
                html_dirs.setdefault(str(path.resolve().parent), []).append(str(path.resolve()))
            else:
                files[str(path.resolve())] = kind
    partitions = [
        Partition(_partition_id(Path(p).name, p), kind, (p,)) for p, kind in sorted(files.items())
    ]
    size = max(1, options.html_files_per_partition)
    for folder, names in sorted(html_dirs.items()):
        unique = sorted(set(names))
        for start in range(0, len(unique), size):
            chunk = tuple(unique[start : start + size])
            label = f"{Path(folder).name or 'html'}-{start // size:05d}"
            partitions.append(Partition(_partition_id(label, "\n".join(chunk)), "html", chunk))
    return partitions, problems


def _walk(folder: Path, files: dict[str, str], html_dirs: dict[str, list[str]]) -> None:
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        kind = _kind(path)
        if kind == "html":
            html_dirs.setdefault(str(path.resolve().parent), []).append(str(path.resolve()))
        elif kind is not None:
            files[str(path.resolve())] = kind


def read_partition(partition: Partition, options: InputOptions) -> Iterator[RawPage | Skipped]:
    """Every page of ``partition`` in order, and what was skipped, as values."""
    if partition.kind == "warc":
        yield from read_warc(partition.paths[0], max_page_bytes=options.max_page_bytes)
    elif partition.kind == "jsonl":
        yield from _read_jsonl(partition.paths[0], options)
    else:
        for path in partition.paths:
            yield _read_html(path, options)


def _read_jsonl(path: str, options: InputOptions) -> Iterator[RawPage | Skipped]:
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="surrogateescape") as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    yield _jsonl_page(line, number, options)
    except (OSError, EOFError, zlib.error) as exc:  # a corrupt or truncated .gz
        yield Skipped("corrupt_archive", f"{path}: unreadable past this point: {exc}")


def _jsonl_page(line: str, number: int, options: InputOptions) -> RawPage | Skipped:
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        return Skipped("bad_line", f"line {number}: not valid JSON")
    if not isinstance(data, dict):
        return Skipped("bad_line", f"line {number}: not a JSON object")
    url, html = data.get(options.url_field), data.get(options.html_field)
    if not isinstance(url, str) or not url.strip():
        return Skipped("no_url", f"line {number}: no {options.url_field!r} field")
    if not isinstance(html, str):
        return Skipped("no_html", f"line {number}: no {options.html_field!r} field", url=url)
    body = html.encode("utf-8", "surrogatepass")
    if len(body) > options.max_page_bytes:
        return Skipped("too_large", f"line {number}: {len(body)} bytes", url=url)
    record_id = data.get("warc_record_id")
    return RawPage(url.strip(), body, "utf-8", record_id if isinstance(record_id, str) else None)


def _read_html(path: str, options: InputOptions) -> RawPage | Skipped:
    url = Path(path).as_uri()
    limit = options.max_page_bytes
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                body = handle.read(limit + 1)
        else:
            with open(path, "rb") as handle:
                body = handle.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        return Skipped("corrupt_archive", f"{path}: {exc}", url=url)
    if len(body) > limit:
        return Skipped("too_large", f"{path}: over {limit} bytes", url=url)
    return RawPage(url, body, None, source=path)

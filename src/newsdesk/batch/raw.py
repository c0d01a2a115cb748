"""The values a batch job's inputs yield: a page to process, or what was skipped and why."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RawPage", "Skipped"]


@dataclass(frozen=True, slots=True)
class RawPage:
    """One page as the archive holds it: where it was fetched, its bytes (the HTTP content
    encoding undone), the charset its HTTP Content-Type declared, and the WARC record's id."""

    url: str
    body: bytes
    charset: str | None
    record_id: str | None = None
    source: str | None = None  # the file it came from, when not the partition's one file


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record (or the rest of a file) that is not a page to process: ``kind`` names why
    (non_html, no_http_headers, http_status, truncated, too_large, corrupt_archive,
    empty_input, bad_line, no_url, no_html, bad_encoding) and ``message`` says more."""

    kind: str
    message: str
    url: str | None = None
    record_id: str | None = None

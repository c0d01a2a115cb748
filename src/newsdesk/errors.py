"""One exception tree for the whole package.

::

    NewsdeskError
    ├── ExtractionError      the input cannot be turned into an Article (empty, binary, no text)
    ├── CleanError           plain text cannot be cleaned (empty, binary)
    ├── FeedParseError       a feed body is unusable
    ├── FetchError           an outbound request failed; ``kind`` names the failure:
    │   ├── FetchTimeout         timeout      connect, read or total time ran out
    │   ├── HTTPStatusError      http_status  the server answered 4xx or 5xx
    │   ├── TooLargeError        too_large    the body (compressed or not) passed the cap
    │   ├── BlockedError         blocked      a private, loopback or reserved address
    │   ├── RobotsDisallowed     robots       robots.txt disallows the URL
    │   ├── TooManyRedirects     redirects    a redirect loop or chain past the limit
    │   ├── InvalidURLError      invalid_url  a URL that cannot be requested (malformed, too long)
    │   └── NetworkError         network      DNS, connection or TLS failure
    ├── InternalError        an unexpected error, recorded where it happened (kind internal)
    ├── QueryError           a search query or a rule's condition cannot be read
    ├── StoreError           the database refused an operation
    │   └── StoreUnavailableError  the database cannot be used now (read-only, I/O error)
    │       ├── StoreBusyError       another process holds it (or the relay lock)
    │       └── StoreFullError       the disk (or the database's size limit) is full
    └── ConfigError          a setting is missing or invalid

Library errors are translated at the boundary (``raise X(...) from exc``). Messages say what
failed and what to do next.
"""

from __future__ import annotations

__all__ = [
    "ERROR_KINDS",
    "BlockedError",
    "CleanError",
    "ConfigError",
    "ExtractionError",
    "FeedParseError",
    "FetchAbandoned",
    "FetchError",
    "FetchTimeout",
    "HTTPStatusError",
    "InternalError",
    "InvalidURLError",
    "NetworkError",
    "NewsdeskError",
    "QueryError",
    "RobotsDisallowed",
    "StoreBusyError",
    "StoreError",
    "StoreFullError",
    "StoreUnavailableError",
    "TooLargeError",
    "TooManyRedirects",
]


class NewsdeskError(Exception):
    """Base class of every error newsdesk raises on purpose. ``kind`` names the class of
    failure where it is recorded (on a source, an entry, a delivery)."""

    kind: str = "internal"


class ExtractionError(NewsdeskError):
    """The input could not be turned into an Article (empty, not HTML, or no text at all)."""

    kind = "extract"


class CleanError(NewsdeskError):
    """Plain text could not be cleaned into an Article (empty, or binary data)."""


class FeedParseError(NewsdeskError):
    """A feed body could not be parsed into entries."""

    kind = "parse"


class FetchError(NewsdeskError):
    """An outbound HTTP request failed. ``kind`` is one of a fixed set, stored on sources."""

    kind = "network"


class FetchTimeout(FetchError):
    kind = "timeout"


class HTTPStatusError(FetchError):
    kind = "http_status"

    def __init__(self, message: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class TooLargeError(FetchError):
    kind = "too_large"


class BlockedError(FetchError):
    kind = "blocked"


class RobotsDisallowed(FetchError):
    kind = "robots"


class TooManyRedirects(FetchError):
    kind = "redirects"


class NetworkError(FetchError):
    kind = "network"


class FetchAbandoned(FetchError):
    """The caller gave the request up before it was made (its host failed meanwhile)."""

    kind = "deferred"


class InvalidURLError(FetchError):
    """A URL that cannot be requested: malformed, not http(s), or absurdly long."""

    kind = "invalid_url"


ERROR_KINDS = (
    "timeout",
    "http_status",
    "too_large",
    "blocked",
    "robots",
    "redirects",
    "network",
    "parse",
    "extract",
    "invalid_url",
    "duplicate_source",  # the feed found at a source's page is already another source
    "query",  # a search query or a rule's condition that cannot be read
    "internal",  # an unexpected error (a bug, or input nobody foresaw): traceback in the log
)


class InternalError(NewsdeskError):
    """An unexpected error (a bug, or input nobody foresaw), recorded on its source or entry
    with the traceback in the log, so that the relay's pass goes on."""

    kind = "internal"


class StoreError(NewsdeskError):
    """The store refused or failed an operation."""


class StoreUnavailableError(StoreError):
    """The database cannot be used now, whatever is written: busy, full, read-only, or
    failing. A relay stops its pass on it (every other error is one record's)."""


class StoreBusyError(StoreUnavailableError):
    """Another process holds the database: a write lock past the wait, or the relay lock."""


class StoreFullError(StoreUnavailableError):
    """The disk, or the database's size limit, is full: nothing was half-written."""


class ConfigError(NewsdeskError):
    """A setting is missing or has an invalid value."""


class QueryError(NewsdeskError):
    """A search query (or a rule's condition) cannot be read: an unclosed quote, a dangling
    ``OR``, an unknown filter. The message names the problem and where it is; the API
    answers it with a 400."""

    kind = "query"

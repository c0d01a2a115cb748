"""One exception tree for the whole package.

::

    NewsdeskError
    ├── ExtractionError      the input cannot be turned into an Article (empty, binary, no text)
    ├── CleanError           plain text cannot be cleaned (empty, binary)
    ├── FeedParseError       a feed body is unusable
    ├── FetchError           an outbound request failed
    ├── StoreError           the database refused an operation
    └── ConfigError          a setting is missing or invalid

Library errors are translated at the boundary (``raise X(...) from exc``). Messages say what
failed and what to do next.
"""

from __future__ import annotations

__all__ = [
    "CleanError",
    "ConfigError",
    "ExtractionError",
    "FeedParseError",
    "FetchError",
    "NewsdeskError",
    "StoreError",
]


class NewsdeskError(Exception):
    """Base class of every error newsdesk raises on purpose."""


class ExtractionError(NewsdeskError):
    """The input could not be turned into an Article (empty, not HTML, or no text at all)."""


class CleanError(NewsdeskError):
    """Plain text could not be cleaned into an Article (empty, or binary data)."""


class FeedParseError(NewsdeskError):
    """A feed body could not be parsed into entries."""


class FetchError(NewsdeskError):
    """An outbound HTTP request failed."""


class StoreError(NewsdeskError):
    """The store refused or failed an operation."""


class ConfigError(NewsdeskError):
    """A setting is missing or has an invalid value."""

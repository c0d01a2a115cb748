"""Per-source boilerplate: lines and sentences that recur across a source's articles.

A line or sentence that appears in at least ``min_count`` different articles of the same
source (optionally within the same ISO week, the rule research archives use) is that source's
boilerplate: a signature, a standing promo, a disclaimer. Learning is a counting pass over the
source's articles; cleaning then drops those units.

Units are stored as 8-byte BLAKE2 digests of their normalised text, so memory grows with the
number of distinct units, at about 60 bytes each (Python set and dict overhead included).

The interface is what the store will feed later: ``BoilerplateCounter.add(key, text)`` per
article, ``build()`` for a ``{key: Boilerplate}`` map, ``Boilerplate`` passed to cleaning.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

__all__ = ["Boilerplate", "BoilerplateCounter", "sentences_of", "unit_key", "units_of"]

_SENTENCE = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+(?=[\"“'‘(]?[A-ZÀ-Ý0-9])")
_NOISE = re.compile(r"[\W_]+")
MIN_UNIT_CHARS = 20  # "Yes." or "He said." recur everywhere and are never boilerplate


def unit_key(text: str) -> bytes:
    """The identity of a line or sentence: case, spacing and punctuation do not count."""
    normalised = _NOISE.sub(" ", text.casefold()).strip()
    return hashlib.blake2b(normalised.encode("utf-8"), digest_size=8).digest()


def sentences_of(paragraph: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(paragraph) if s.strip()]


def units_of(text: str) -> Iterator[str]:
    """Lines, and the sentences of each line, long enough to be boilerplate evidence."""
    for raw in text.splitlines():
        line = raw.strip()
        if len(line) < MIN_UNIT_CHARS:
            continue
        yield line
        parts = sentences_of(line)
        if len(parts) > 1:
            yield from (p for p in parts if len(p) >= MIN_UNIT_CHARS)


@dataclass(frozen=True, slots=True)
class Boilerplate:
    """One source's boilerplate units (digests from :func:`unit_key`)."""

    keys: frozenset[bytes] = frozenset()

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and unit_key(text) in self.keys

    def __len__(self) -> int:
        return len(self.keys)


@dataclass(slots=True)
class BoilerplateCounter:
    """Counts, per key (a source, or a source and week), in how many articles each unit occurs."""

    min_count: int = 3
    counts: dict[str, Counter[bytes]] = field(default_factory=dict)

    def add(self, key: str, text: str) -> None:
        """Count one article's units once each."""
        seen = {unit_key(unit) for unit in units_of(text)}
        self.counts.setdefault(key, Counter()).update(seen)

    def add_many(self, items: Iterable[tuple[str, str]]) -> None:
        for key, text in items:
            self.add(key, text)

    def build(self) -> dict[str, Boilerplate]:
        """The boilerplate of every key: units seen in at least ``min_count`` articles."""
        return {
            key: Boilerplate(frozenset(u for u, n in counter.items() if n >= self.min_count))
            for key, counter in self.counts.items()
        }

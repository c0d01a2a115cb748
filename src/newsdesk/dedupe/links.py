"""Which copies are the same story, and which of them is the original. Pure.

Two stories are **copies** (one syndicated from the other, or both from a third) when their
whole texts are near-duplicates (``TEXT_MATCH``), or when the shorter text lies inside the
longer (``CONTAINED``): a relay that carries only the lead, or a copy padded with teasers and
footers, still counts, while two full stories that merely open alike do not. Candidates come
from LSH over the text and over the lead (a truncated copy shares the lead, not the whole).
They are in the same **story cluster** when their salient terms overlap (``TERMS_MATCH``)
and they were published within ``CLUSTER_WINDOW`` of each other.

The original of a group of copies is chosen from evidence, strongest first:

1. a copy whose rel=canonical or relay provenance names another member's URL points at it;
2. a relay (provenance ``via``) or a page whose canonical URL is elsewhere is never the
   original while a member without either exists;
3. members crediting a wire agency point at the agency's own copy, if present;
4. the earliest publication time; then the URL, then the id — so the choice depends only on
   the group, never on the order the copies arrived in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from newsdesk.dedupe.sketch import (
    EMPTY,
    FINGERPRINT_BYTES,
    LEAD_PERM,
    TEXT_PERM,
    Fingerprint,
)
from newsdesk.model import pickled_by_fields

__all__ = [
    "CLUSTER_WINDOW",
    "CONTAINED",
    "TERMS_MATCH",
    "TEXT_MATCH",
    "Evidence",
    "are_copies",
    "choose_original",
    "copies_among",
    "copy_verdicts",
    "event_verdicts",
    "events_among",
    "same_event",
]

TEXT_MATCH = 0.8
CONTAINED = 0.95  # containment at or above: the shorter text lies inside the longer
MIN_SHINGLES = 12  # a text shorter than this is too little to call a copy on
TERMS_MATCH = 0.6
CLUSTER_WINDOW = timedelta(hours=48)


@pickled_by_fields
@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """What a story says about where it came from."""

    id: str
    url: str | None = None  # its canonical URL (normalised by the caller)
    fetched_url: str | None = None  # where it was read
    published: datetime | None = None
    via: str | None = None  # a relay that carried it
    original_url: str | None = None  # the original its relay footer or canonical names
    site_name: str | None = None
    credits: tuple[str, ...] = ()  # wire agencies credited

    @property
    def canonical_elsewhere(self) -> bool:
        return bool(self.url and self.fetched_url and self.url != self.fetched_url)


def copy_verdicts(
    size_a: np.ndarray, text_a: np.ndarray, size_b: np.ndarray, text_b: np.ndarray
) -> np.ndarray:
    """The copy rule for rows of pairs (arrays, broadcast): near-duplicate texts, or the
    shorter text inside the longer; texts too short to tell count only when identical.
    The one implementation: ``are_copies``, ``copies_among`` and the batch use it.

    Containment is the share of slots where the longer text's minimum is not above the
    shorter's: 1 for a true subset; otherwise it estimates |longer| / |union|, which a text
    that only shares part of the other rarely keeps near 1 across 64 slots."""
    near = (text_a == text_b).mean(axis=-1) >= TEXT_MATCH
    inside = (
        np.where(
            size_a <= size_b,
            (text_b <= text_a).mean(axis=-1),  # a inside b
            (text_a <= text_b).mean(axis=-1),  # b inside a
        )
        >= CONTAINED
    )
    tiny_same = (size_a == size_b) & (text_a == text_b).all(axis=-1)
    verdicts: np.ndarray = np.where(
        np.minimum(size_a, size_b) >= MIN_SHINGLES, near | inside, tiny_same
    )
    return verdicts


def event_verdicts(terms_a: np.ndarray, terms_b: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """The event rule for rows of pairs: overlapping salient terms (a story that names
    nothing matches no event) and ``gap`` seconds apart at most ``CLUSTER_WINDOW`` (NaN, a
    time unknown, does not keep them apart)."""
    named = ~(terms_a == EMPTY).all(axis=-1) & ~(terms_b == EMPTY).all(axis=-1)
    close = (terms_a == terms_b).mean(axis=-1) >= TERMS_MATCH
    verdicts: np.ndarray = named & close & ~(gap > CLUSTER_WINDOW.total_seconds())
    return verdicts


def _gap(a: datetime | None, b: datetime | None) -> float:
    return abs((a - b).total_seconds()) if a is not None and b is not None else float("nan")


def are_copies(a: Fingerprint, b: Fingerprint) -> bool:
    """Near-duplicate texts, or the shorter text inside the longer."""
    return bool(copy_verdicts(np.asarray(a.size), a.text, np.asarray(b.size), b.text))


def same_event(
    a: Fingerprint, b: Fingerprint, a_time: datetime | None, b_time: datetime | None
) -> bool:
    """Coverage of one event: overlapping salient terms, published close together (when
    both times are known)."""
    return bool(event_verdicts(a.terms, b.terms, np.asarray(_gap(a_time, b_time))))


def _stacked(prints: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sizes, text signatures and terms signatures of serialised fingerprints, as arrays."""
    heads = np.frombuffer(b"".join(p[:8] for p in prints), dtype=np.uint32).reshape(-1, 2)
    body = np.frombuffer(b"".join(p[8:FINGERPRINT_BYTES] for p in prints), dtype=np.uint16).reshape(
        len(prints), -1
    )
    return heads[:, 0].astype(np.int64), body[:, :TEXT_PERM], body[:, TEXT_PERM + LEAD_PERM :]


def copies_among(fp: Fingerprint, prints: Sequence[bytes]) -> list[bool]:
    """``are_copies(fp, other)`` for many serialised fingerprints at once (vectorised)."""
    if not prints:
        return []
    sizes, text, _ = _stacked(prints)
    return [bool(x) for x in copy_verdicts(np.asarray(fp.size), fp.text, sizes, text)]


def events_among(
    fp: Fingerprint,
    prints: Sequence[bytes],
    when: datetime | None,
    times: Sequence[datetime | None],
) -> list[bool]:
    """``same_event(fp, other, when, other's time)`` for many fingerprints at once."""
    if not prints:
        return []
    _, _, terms = _stacked(prints)
    gaps = np.array([_gap(when, t) for t in times], dtype=np.float64)
    return [bool(x) for x in event_verdicts(fp.terms, terms, gaps)]


def _sort_key(e: Evidence) -> tuple[object, ...]:
    published = e.published.timestamp() if e.published else float("inf")
    return (bool(e.via) or e.canonical_elsewhere, published, e.url or e.fetched_url or "", e.id)


def choose_original(members: Sequence[Evidence]) -> Evidence:
    """The original among a group of copies (see the module's rules)."""
    if not members:
        raise ValueError("choose_original needs at least one member")
    by_url: dict[str, Evidence] = {}  # where each member really is (not where it points)
    for m in sorted(members, key=_sort_key):
        for u in (m.fetched_url, None if m.canonical_elsewhere else m.url):
            if u:
                by_url.setdefault(u, m)
    pointed = {
        by_url[target].id: by_url[target]
        for m in members
        for target in (m.original_url, m.url if m.canonical_elsewhere else None)
        if target and target in by_url and by_url[target].id != m.id
    }
    by_site = {m.site_name.casefold(): m for m in members if m.site_name}
    for m in members:  # a wire agency's own copy, which the others credit
        for credit in m.credits[:1]:
            own = by_site.get(credit.casefold())
            if own is not None and own.id != m.id:
                pointed[own.id] = own
    pool: Iterable[Evidence] = pointed.values() if pointed else members
    return min(pool, key=_sort_key)

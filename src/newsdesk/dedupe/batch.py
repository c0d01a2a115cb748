"""Dedupe a whole corpus at once, in memory that grows by ~250 bytes a story. Pure.

``BatchDeduper.add`` takes each story's fingerprint and evidence and keeps only compact
arrays (the 16-bit signatures, 64-bit keys, a few flags); ``resolve`` links them all:

1. exact duplicates: the same canonical URL or the same normalised text;
2. copies: LSH over the text and lead signatures. Each band's values are packed into one
   64-bit key and the keys sorted (numpy), so equal buckets are runs of a sorted array: no
   dictionary of buckets, which for datasketch's ``MinHashLSH`` costs a Python object per
   band and story (over a gigabyte at a million stories). Candidates are verified on the
   signatures (``links.are_copies`` thresholds);
3. story clusters: each copy group's original streamed, in publication order (then id),
   through ``stories.StoryIndex``; copies take their original's cluster.

Groups are connected components, and every choice inside them (the original, the kept copy
of exact duplicates, a cluster's representative) is made by ``links`` rules on the members
alone: the same stories in any order give the same links.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from newsdesk.dedupe.links import MIN_SHINGLES, copy_verdicts
from newsdesk.dedupe.sketch import BANDS, LEAD_PERM, TERMS_PERM, TEXT_PERM, Fingerprint
from newsdesk.dedupe.stories import StoryIndex, StoryTerms

__all__ = ["BatchDeduper", "Resolution", "key64"]

_RUN_ALL_PAIRS = 24  # buckets up to this size are compared pair by pair; larger, along a chain


def key64(value: str | None) -> int:
    """A stable signed 64-bit key for a string (0 for none)."""
    if not value:
        return 0
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big") >> 1


@dataclass(slots=True)
class Resolution:
    """For each story added, in order: the index of the story it duplicates exactly, of its
    original, of its cluster's representative (-1: none / itself), and the outcome."""

    duplicate_of: np.ndarray
    original_of: np.ndarray
    cluster_of: np.ndarray
    outcome: list[str]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for o in self.outcome:
            out[o] = out.get(o, 0) + 1
        return out


class _UnionFind:
    """Union-find over record numbers, a group's root its lowest number, with group sizes
    (for a cap on how far one group may grow)."""

    def __init__(self, n: int) -> None:
        self.parent = np.arange(n, dtype=np.int64)
        self.size = np.ones(n, dtype=np.int64)

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = int(parent[root])
        while parent[i] != root:
            parent[i], i = root, int(parent[i])
        return root

    def union(self, a: int, b: int, cap: int | None = None) -> bool:
        """Join the groups of ``a`` and ``b``, unless together they would pass ``cap``
        records: whether they are one group now."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if cap is not None and self.size[ra] + self.size[rb] > cap:
            return False
        if ra < rb:
            ra, rb = rb, ra
        self.parent[ra] = rb
        self.size[rb] += self.size[ra]
        return True

    def roots(self) -> np.ndarray:
        return np.fromiter((self.find(i) for i in range(len(self.parent))), dtype=np.int64)


_BLOCK = 1 << 16
_INTS = 9  # url, fetched, text, target, id keys; size; relay flag; site, credit


class _Columns:
    """Fixed-width rows kept in blocks of ``_BLOCK``: no Python object per story, and no
    doubling copy while growing; joined once, block by block, when resolving."""

    def __init__(self, width: int, dtype: type) -> None:
        self.width, self.dtype = width, dtype
        self.blocks: list[np.ndarray] = []
        self.used = _BLOCK

    def append(self, row: np.ndarray | list[int] | list[float]) -> None:
        if self.used == _BLOCK:
            self.blocks.append(np.empty((_BLOCK, self.width), dtype=self.dtype))
            self.used = 0
        self.blocks[-1][self.used] = row
        self.used += 1

    def join(self, n: int) -> np.ndarray:
        out: np.ndarray = np.empty((n, self.width), dtype=self.dtype)
        for i, block in enumerate(self.blocks):
            rows = min(_BLOCK, n - i * _BLOCK)
            out[i * _BLOCK : i * _BLOCK + rows] = block[:rows]
            self.blocks[i] = np.empty((0, self.width), dtype=self.dtype)  # freed as copied
        self.blocks, self.used = [], _BLOCK
        return out


class _Blobs:
    """Byte strings packed in one buffer with offsets: no Python object per story."""

    def __init__(self) -> None:
        self._blob = bytearray()
        self._ends = array("Q")

    def append_bytes(self, value: bytes) -> None:
        self._blob += value
        self._ends.append(len(self._blob))

    def __len__(self) -> int:
        return len(self._ends)

    def bytes_at(self, index: int) -> bytes:
        start = self._ends[index - 1] if index > 0 else 0
        return bytes(self._blob[start : self._ends[index]])


class _Ids(_Blobs):
    """Story ids packed in one byte buffer with offsets: ~9 bytes a short id, against ~60
    for a list of str objects."""

    def append(self, value: str) -> None:
        self.append_bytes(value.encode("utf-8"))

    def __getitem__(self, index: int) -> str:
        return self.bytes_at(index).decode("utf-8")


class BatchDeduper:
    """Add every story (``add``), then ``resolve`` once."""

    def __init__(self) -> None:
        self.ids = _Ids()
        self._text = _Columns(TEXT_PERM, np.uint16)
        self._lead = _Columns(LEAD_PERM, np.uint16)
        self._terms = _Columns(TERMS_PERM, np.uint16)
        self._ints = _Columns(_INTS, np.int64)
        self._times = _Columns(1, np.float64)
        self._stories = _Blobs()  # each story's terms (``StoryTerms.to_bytes``)

    def __len__(self) -> int:
        return len(self.ids)

    def add(
        self,
        story_id: str,
        fp: Fingerprint,
        *,
        url: str | None,
        fetched_url: str | None,
        text_key: str | None,
        published: float | None,
        relay: bool = False,
        original_url: str | None = None,
        site_name: str | None = None,
        credit: str | None = None,
        story: bytes = b"",
    ) -> int:
        """Record one story; returns its index. ``story``: its terms (``StoryTerms.to_bytes``;
        none, when it should only be clustered with its copies)."""
        self.ids.append(story_id)
        self._stories.append_bytes(story)
        self._text.append(fp.text)
        self._lead.append(fp.lead)
        self._terms.append(fp.terms)
        canonical_elsewhere = bool(url and fetched_url and url != fetched_url)
        self._ints.append(
            [
                key64(url),
                key64(fetched_url),
                key64(text_key),
                key64(original_url or (url if canonical_elsewhere else None)),
                key64(story_id),
                fp.size,
                int(relay or canonical_elsewhere),
                key64(site_name.casefold() if site_name else None),
                key64(credit.casefold() if credit else None),
            ]
        )
        self._times.append([float("nan") if published is None else published])
        return len(self.ids) - 1

    # -- resolving ------------------------------------------------------------------------

    def resolve(self) -> Resolution:
        n = len(self.ids)
        if n == 0:
            empty = np.zeros(0, dtype=np.int64)
            return Resolution(empty, empty, empty, [])
        ints = self._ints.join(n)
        text = self._text.join(n)
        lead = self._lead.join(n)
        terms = self._terms.join(n)
        times = self._times.join(n)[:, 0]
        url, fetched, tkey, target, idkey = (ints[:, i] for i in range(5))
        relayish, site, credit = ints[:, 6], ints[:, 7], ints[:, 8]
        # The order every choice is made in: evidence first (see links.choose_original),
        # then time, URL and id keys; never the input order.
        published = np.where(np.isnan(times), np.inf, times)
        rank = np.empty(n, dtype=np.int64)
        rank[np.lexsort((idkey, url, published, relayish))] = np.arange(n)

        exact = _UnionFind(n)
        for column in (url, tkey):
            _union_equal(exact, column, rank)
        kept_of = _best_of_groups(exact.roots(), rank)
        kept = np.unique(kept_of)

        copies = _UnionFind(n)
        for i in range(n):
            copies.union(i, int(kept_of[i]))
        _link_copies(copies, kept=kept, text=text, lead=lead, size=ints[:, 5], rank=rank)
        groups = copies.roots()
        original_of = _originals(groups, rank, (url, fetched, target), (site, credit))

        del terms
        clusters = _link_stories(self._stories, original_of, times, self.ids)
        cluster_of = _best_of_groups(clusters, rank)

        outcome = []
        duplicate_of = np.where(kept_of != np.arange(n), kept_of, -1)
        original_out = np.where(original_of != kept_of, original_of, -1)
        for i in range(n):
            if duplicate_of[i] >= 0:
                outcome.append("duplicate")
            elif original_out[i] >= 0:
                outcome.append("syndicated")
            else:
                outcome.append("original")
        return Resolution(duplicate_of, original_out, cluster_of, outcome)


def _union_equal(uf: _UnionFind, column: np.ndarray, rank: np.ndarray) -> None:
    order = np.lexsort((rank, column))
    values = column[order]
    same = (values[1:] == values[:-1]) & (values[1:] != 0)
    for pos in np.flatnonzero(same):
        uf.union(int(order[pos]), int(order[pos + 1]))


def _best_of_groups(roots: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """For each item, the item of its group that comes first by ``rank``."""
    order = np.lexsort((rank, roots))
    best = np.empty(len(roots), dtype=np.int64)
    sorted_roots = roots[order]
    starts = np.flatnonzero(np.r_[True, sorted_roots[1:] != sorted_roots[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for start, end in zip(starts, ends, strict=True):
        best[order[start:end]] = order[start]
    return best


def _packed_bands(
    signatures: np.ndarray, items: np.ndarray, bands: int, rows: int
) -> Iterator[np.ndarray]:
    """Each band's values for ``items``, packed into one 64-bit key (rows × 16 bits); one
    band at a time, copying only that band's columns."""
    for band in range(bands):
        chunk = signatures[items, band * rows : (band + 1) * rows]
        packed = np.zeros(len(items), dtype=np.uint64)
        for r in range(rows):
            packed = (packed << np.uint64(16)) | chunk[:, r].astype(np.uint64)
        yield packed


def _candidate_pairs(
    items: np.ndarray, signatures: np.ndarray, bands: int, rows: int, rank: np.ndarray
) -> Iterator[np.ndarray]:
    """For each band, the pairs (rows of item indices) that share its bucket: one band's
    pairs at a time, so memory holds one band's candidates, never all of them."""
    for packed in _packed_bands(signatures, items, bands, rows):
        order = np.lexsort((rank[items], packed))
        keys = packed[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        ends = np.r_[starts[1:], len(order)]
        sizes = ends - starts
        chain = np.flatnonzero(keys[1:] == keys[:-1])  # neighbours in every bucket
        pairs = [np.column_stack((items[order[chain]], items[order[chain + 1]]))]
        for start, end in zip(starts[sizes > 2], ends[sizes > 2], strict=True):
            members = items[order[start:end]]
            if len(members) <= _RUN_ALL_PAIRS:
                a, b = np.triu_indices(len(members), k=1)
                pairs.append(np.column_stack((members[a], members[b])))
            else:  # a big bucket: each member against the first few, not all pairs
                head = members[:_RUN_ALL_PAIRS]
                pairs.append(
                    np.column_stack((np.repeat(head, len(members)), np.tile(members, len(head))))
                )
        both = np.vstack(pairs)
        yield both[both[:, 0] != both[:, 1]]


_VERIFY_CHUNK = 1 << 16  # pairs compared at once: bounds the rows copied for a comparison


def _verified(pairs: np.ndarray, verdict: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The pairs ``verdict`` (on a chunk of pairs) accepts, judged a bounded chunk at a time."""
    keep = np.empty(len(pairs), dtype=bool)
    for start in range(0, len(pairs), _VERIFY_CHUNK):
        keep[start : start + _VERIFY_CHUNK] = verdict(pairs[start : start + _VERIFY_CHUNK])
    verified: np.ndarray = pairs[keep]
    return verified


def _link_copies(
    uf: _UnionFind,
    *,
    kept: np.ndarray,
    text: np.ndarray,
    lead: np.ndarray,
    size: np.ndarray,
    rank: np.ndarray,
) -> None:
    """Union the verified copies among ``kept`` (the rules of ``links.are_copies``)."""
    usable = kept[size[kept] >= MIN_SHINGLES]
    for signatures, kind in ((text, "text"), (lead, "lead")):
        for pairs in _candidate_pairs(usable, signatures, *BANDS[kind], rank):
            if not len(pairs):
                continue
            for a, b in _verified(
                pairs,
                lambda p: copy_verdicts(size[p[:, 0]], text[p[:, 0]], size[p[:, 1]], text[p[:, 1]]),
            ):
                uf.union(int(a), int(b))


def _originals(
    groups: np.ndarray,
    rank: np.ndarray,
    urls: tuple[np.ndarray, np.ndarray, np.ndarray],
    names: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Each item's group original: a member another member points at (its canonical URL or
    the original its relay footer names; or a wire agency's own copy, which the others
    credit), else the group's first by rank."""
    url, fetched, target = urls
    site, credit = names
    original = _best_of_groups(groups, rank)
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for start, end in zip(starts, ends, strict=True):
        if end - start < 2:
            continue
        members = [int(m) for m in order[start:end]]
        if not any(target[m] or credit[m] for m in members):
            continue
        by_url: dict[int, list[int]] = {}
        by_site: dict[int, list[int]] = {}
        for m in members:  # where each member really is (a canonical elsewhere is a pointer)
            owns = fetched[m] == 0 or url[m] == fetched[m]
            for key in {int(fetched[m]), int(url[m]) if owns else 0} - {0}:
                by_url.setdefault(key, []).append(m)
            if site[m]:
                by_site.setdefault(int(site[m]), []).append(m)
        pointed = {
            p for m in members if target[m] for p in by_url.get(int(target[m]), []) if p != m
        }
        pointed |= {
            p for m in members if credit[m] for p in by_site.get(int(credit[m]), []) if p != m
        }
        if pointed:
            original[members] = min(pointed, key=lambda m: rank[m])
    return original


def _link_stories(
    stories: _Blobs, original_of: np.ndarray, times: np.ndarray, ids: _Ids
) -> np.ndarray:
    """Each story's cluster label: the copy groups' originals streamed through a
    ``StoryIndex`` in publication order, then by id (undated last); every copy takes its
    original's cluster, so a copy group always lies inside one story cluster."""
    n = len(original_of)
    originals = np.flatnonzero(original_of == np.arange(n))
    published = np.where(np.isnan(times), np.inf, times)
    order = sorted(originals.tolist(), key=lambda i: (published[i], ids[i]))
    index = StoryIndex()
    label = {}  # original → its cluster, as the position (in that order) of its first story
    for position, i in enumerate(order):
        data = stories.bytes_at(i)
        if data:
            when = None if np.isnan(times[i]) else float(times[i])
            label[i] = index.add(position, StoryTerms.from_bytes(data, when)).cluster
        else:
            label[i] = -1 - position  # alone
    first = dict(enumerate(order))  # position → the original there
    found = {i: first[index.final(c)] if c >= 0 else i for i, c in label.items()}
    out: np.ndarray = np.fromiter(
        (found[int(original_of[i])] for i in range(n)), dtype=np.int64, count=n
    )
    return out

"""Story clusters: independent coverage of one event, grouped as it streams in. Pure.

Each story becomes a sparse bag of weighted terms (``story_terms``): the content words of its
headline, standfirst and opening (lower-cased, lightly stemmed, stop words out) and, apart,
the words that name something — capitalised words inside a sentence (people, places,
organisations) and numbers — as *names* (a name is not counted as a word too). Headline
words count twice. A Title Case headline's capitals tell nothing: a word of it is a name only
when the standfirst or text uses it as one (else "Slams" in one outlet's headline and
"slams" in another's would never meet).

A ``StoryIndex`` holds the recent clusters. A new story is compared with the recent clusters
that hold two of its heaviest terms (``MIN_PROBES`` of ``PROBE_TERMS``) by **average link**:
its TF-IDF cosine with each member, averaged (kept as the sum of the members' unit vectors,
so a comparison costs one sparse dot product), over words, names and numbers in one vector
(each term weighs by its rarity; a mix of separately scaled parts let the few names of a
short story weigh as much as all its words: measured worse on both dev sets). A summed
centroid's cosine grows with a cluster's spread (n unlike members sum to a vector ~sqrt(n)
times closer to anything than they are), which chained templated stories into clusters of
hundreds; an average does not.
Document frequencies come from the last ``DocFreq.window`` stories (a rolling window), with
no idf floor: a word every story has weighs nothing. It joins the best cluster when

- the average cosine is at least ``JOIN``;
- the story shares a *specific* name with the cluster (``SPECIFIC``: a person, place,
  organisation or number carried by few recent stories): coverage of one event names its
  people, places and figures; stories of one kind (one template, one topic) share only
  common ones;
- the two share enough of their names (``NAMES_MATCH``): two events of one kind (two
  earthquakes, two shootings) share a topic's words but not its people and places;
- a story that gives ``NUMBERS`` figures shares one with the cluster (when its members give
  any): a recurring story (weekly jobless claims, a daily toll) differs in its figures;
- when both have times, the story lies within ``WINDOW`` of the cluster's span,

else it starts a cluster of its own. When both are dated and the story lies within ``NEAR``
(a day) of the cluster's span, ``JOIN_NEAR`` stands for ``JOIN`` (one event's coverage comes
within hours; undated stories rely on their names and words alone). A story that matches two
clusters joins the best; when the second is also close (``BRIDGE``, scaled as the join
threshold is), or passes the story's gates with a summed centroid ``MERGE`` close to the joined
cluster's (two clusters of one event, started apart), the two clusters become one (a bridge).

The index keeps the ``RECENT`` most recently active clusters (and drops a dated cluster
``KEEP`` windows after its last story): memory is bounded by the window, never by the
archive. Nothing joins before ``MIN_STORIES`` stories are counted.
"""

from __future__ import annotations

import heapq
import math
import re
import struct
import unicodedata
import zlib
from array import array
from collections import Counter, deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from operator import mul
from typing import Protocol

__all__ = [
    "BRIDGE",
    "DF_WINDOW",
    "JOIN",
    "JOIN_NEAR",
    "MERGE",
    "MIN_PROBES",
    "MIN_STORIES",
    "NAMES_MATCH",
    "NEAR",
    "NUMBERS",
    "SPECIFIC",
    "WINDOW",
    "Candidate",
    "DocFreq",
    "Frequencies",
    "KnownFreq",
    "Placed",
    "StoryIndex",
    "StoryTerms",
    "decide",
    "make_candidate",
    "make_query",
    "probe_keys",
    "story_terms",
]

# Stories counted before any joins: over a handful, document frequencies tell a topic's
# stock words from an event's names too poorly to cluster on (with 20, two stories of one
# template joined in a 50-page newsroom in one arrival order and not the other).
MIN_STORIES = 50
IDF_FLOOR = 0.0  # added to every idf (1: scikit-learn's smooth idf; 0: a word every story
# has weighs nothing, so a template's stock sentences do not make stories alike)
JOIN = 0.27  # average TF-IDF cosine of a story with a cluster's members to join it
BRIDGE = 0.4  # ... with a second cluster, for the two to become one
NAMES_MATCH = 0.25  # average cosine of their names at least this, when both name anything
SPECIFIC = 0.02  # a name carried by at most this share of the stories counted is specific
SPECIFIC_MIN = 3.0  # ... or by at most this many (a small corpus)
NUMBERS = 2  # a story with this many numbers shares one with a cluster whose members have any
WINDOW = 7 * 86400.0  # seconds: a dated story joins only clusters seen within this
KEEP = 1_000_000.0  # windows after its last story a dated cluster is dropped (an undated
# story may still join it, so in effect RECENT bounds the index)
RECENT = 20_000  # clusters kept when stories are undated (the window, counted)
DF_WINDOW = 20_000  # stories the document frequencies are counted over
HEADLINE = 2  # a headline word counts this many times
TITLE_CASE = 0.7  # share of a headline's words capitalised for it to be Title Case
MAX_TERMS = 64  # terms a story keeps (its heaviest): bounds what the batch holds a story
LEAD_TOKENS = 400  # tokens of the text read: the opening tells the event
CENTROID_TERMS = 300  # terms a cluster's summed unit vectors keep (the heaviest)
PROBE_TERMS = 12  # a story's rarest terms that look up candidate clusters
MIN_PROBES = 2  # probe terms a candidate cluster shares, at least
CANDIDATES = 16  # candidate clusters scored, at most
PROBE_POSTINGS = 16  # newest clusters each probe term looks at
NEAR = 86400.0  # seconds: both dated, this close in time ...
JOIN_NEAR = 0.18  # ... the story joins at this average cosine
MERGE = 0.65  # centroid cosine of a candidate with the joined cluster to merge the two

_TOKEN = re.compile(r"[^\W\d_][\w'’-]*|\d[\d.,:]*\d|\d|[.!?;…\n]")
_STOP_WORDS = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
out over own same she should so some such than that the their theirs them themselves then
there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours yourself yourselves says said say
saying told tells tell according new one two three four five six seven eight nine ten first
last year years time times day days week weeks month months monday tuesday wednesday
thursday friday saturday sunday today yesterday tomorrow people many much may might must
like get got make made also just still even back well way per via mr mrs ms dr
de la le les el los las des du et en un une der die das und ein eine il lo gli di da che
per por para con del al
"""
_STOP = frozenset(_STOP_WORDS.split())


def _stem(word: str) -> str:
    """A light suffix stripper (plurals, -ing, -ed, -ly): enough that "attacks", "attacked"
    and "attacking" meet, cheap enough for a feed's pace."""
    if len(word) <= 4:
        return word
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("ly", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                return word
            return word[: -len(suffix)] + keep
    return word


def _key(term: str) -> int:
    return zlib.crc32(term.encode())


@lru_cache(maxsize=1 << 16)
def _term_key(word: str) -> int:
    """A word's term key (stemmed, hashed); memoised: news repeats its words."""
    return _key(_stem(word))


NAME_TAG = 1 << 32  # a name's key: its word's key with this bit set
NUMBER_TAG = 1 << 33  # ... and a number's, this one too


@dataclass(frozen=True, slots=True)
class StoryTerms:
    """A story's terms: key → count (names carry ``NAME_TAG``), and its time (epoch seconds,
    None when unknown)."""

    counts: dict[int, float]
    published: float | None = None

    def names(self) -> dict[int, float]:
        return {k: v for k, v in self.counts.items() if k & NAME_TAG}

    def to_bytes(self) -> bytes:
        """Compact form for storage: (key, count) pairs, 6 bytes each (counts in halves,
        at most 127.5)."""
        pack = _PAIR.pack
        return b"".join(
            pack(key & 0xFFFFFFFF, key >> 32, min(round(count * 2), 255))
            for key, count in self.counts.items()
        )

    @classmethod
    def from_bytes(cls, data: bytes, published: float | None = None) -> StoryTerms:
        whole = data[: len(data) - len(data) % 6]  # a key's low 4 bytes, its 5th, the count
        counts = {low | high << 32: c / 2 for low, high, c in _PAIR.iter_unpack(whole)}
        return cls(counts, published)


_PAIR = struct.Struct("<IBB")  # ``StoryTerms.to_bytes``' 6 bytes, as three little-endian ints
PROBE_TAG = 3 << 60  # the live index's key of a probe term (apart from LSH band keys)


def probe_keys(story: StoryTerms) -> list[int]:
    """The keys the live store indexes a story under: its ``PROBE_TERMS`` heaviest terms
    (by count: headline words and names first; the store has no document frequencies at
    hand when it indexes), tagged apart from the copy bands' keys."""
    heaviest = sorted(story.counts.items(), key=lambda kv: (-kv[1], kv[0]))[:PROBE_TERMS]
    return [PROBE_TAG | key for key, _ in heaviest]


_BREAKS = ".!?;…\n"  # a token of these ends a sentence


@lru_cache(maxsize=1 << 16)
def _word_of(token: str) -> tuple[str, int] | None:
    """A token's word (case-folded, its possessive off) and term key; None for a stop word or
    a single letter. Memoised: news repeats its tokens."""
    word = token.casefold().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) < 2 or word in _STOP:
        return None
    return word, _term_key(word)


def _title_cased(title: str) -> bool:
    """Whether a headline capitalises its words (Title Case): its capitals then tell no
    names apart."""
    words = [w for w in _WORD.findall(title) if len(w) > 3 and w.casefold() not in _STOP]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= TITLE_CASE * len(words)


_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def story_terms(
    text: str,
    *,
    title: str | None = None,
    description: str | None = None,
    published: float | None = None,
) -> StoryTerms:
    """The weighted terms of a story (see the module's docstring)."""
    counts: dict[int, float] = {}
    named_words: set[str] = set()  # words the standfirst and text use as names
    title = title or ""
    title_cased = _title_cased(title)
    limit, normalize, word_of = LEAD_TOKENS, unicodedata.normalize, _word_of
    for part, weight in ((description or "", 1), (text, 1), (title, HEADLINE)):
        headline = part is title
        # the first ``limit`` word and number tokens: a capitalised word inside a sentence,
        # and every number, names something
        sentence_start = True
        seen = 0
        for raw in _TOKEN.findall(normalize("NFKC", part[: limit * 12])):
            if raw in _BREAKS:
                sentence_start = True
                continue
            digit = raw[0].isdigit()
            if digit:
                token = raw.rstrip(".,:")
                capitalised = True
            else:
                token = raw
                capitalised = raw[0].isupper() and not sentence_start
            sentence_start = False
            seen += 1
            found = word_of(token)
            if found is not None:
                word, key = found
                named = capitalised
                if headline and title_cased and not digit:
                    named = word in named_words  # a Title Case headline's capitals say nothing
                elif named and not digit:
                    named_words.add(word)
                if named:  # a name counts as a name only, not as a word too
                    key |= NAME_TAG | (NUMBER_TAG if digit else 0)
                counts[key] = counts.get(key, 0.0) + weight
            if seen >= limit:
                break
    if len(counts) > MAX_TERMS:  # the heaviest (headline words and names first), in order
        kept = sorted(counts.items(), key=lambda kv: -kv[1])[:MAX_TERMS]
        counts = dict(kept)
    return StoryTerms(counts, published)


class Frequencies(Protocol):
    """Where the inverse document frequency of a term comes from."""

    def idf(self, key: int) -> float: ...

    def docs(self, key: int) -> float: ...  # the stories counted that carry ``key``

    @property
    def total(self) -> float: ...  # the stories counted


def idf_of(docs: float, total: float) -> float:
    """Smoothed inverse document frequency: a term in ``docs`` of ``total`` stories."""
    return math.log((total + 1) / (docs + 1)) + IDF_FLOOR


@dataclass(frozen=True, slots=True)
class KnownFreq:
    """Document frequencies read from elsewhere (the live store's rolling counts)."""

    counts: Mapping[int, float]
    total: float

    def idf(self, key: int) -> float:
        return idf_of(self.counts.get(key, 0.0), self.total)

    def docs(self, key: int) -> float:
        return self.counts.get(key, 0.0)


@dataclass(slots=True)
class DocFreq:
    """Document frequencies over the last ``window`` stories."""

    window: int = DF_WINDOW
    counts: Counter[int] = field(default_factory=Counter)
    recent: deque[array[int]] = field(default_factory=deque)  # each story's keys, packed

    def add(self, keys: Iterable[int]) -> None:
        kept = array("Q", keys)
        counts = self.counts
        counts.update(kept)
        self.recent.append(kept)
        if len(self.recent) > self.window:
            for key in self.recent.popleft():
                left = counts[key] - 1
                if left:
                    counts[key] = left
                else:
                    del counts[key]

    def idf(self, key: int) -> float:
        return self._log_total - math.log(self.counts.get(key, 0) + 1)

    def docs(self, key: int) -> float:
        return self.counts.get(key, 0)

    @property
    def total(self) -> float:
        return float(len(self.recent))

    @property
    def _log_total(self) -> float:
        return math.log(len(self.recent) + 1) + IDF_FLOOR


def weighted(counts: Mapping[int, float], df: Frequencies) -> dict[int, float]:
    """Sublinear TF times IDF."""
    log = math.log
    if isinstance(df, DocFreq):  # the batch's hot path: the same sums, without calls
        top, seen = df._log_total, df.counts
        return {
            k: (1.0 + log(c) if c >= 1 else c) * (top - log(seen.get(k, 0) + 1))
            for k, c in counts.items()
        }
    if isinstance(df, KnownFreq):  # the live path's: the same sums, without calls
        top, known = math.log(df.total + 1) + IDF_FLOOR, df.counts
        return {
            k: (1.0 + log(c) if c >= 1 else c) * (top - log(known.get(k, 0.0) + 1))
            for k, c in counts.items()
        }
    idf = df.idf
    return {k: (1.0 + log(c) if c >= 1 else c) * idf(k) for k, c in counts.items()}


@dataclass(slots=True)
class _Cluster:
    id: int
    counts: dict[int, float]
    size: int = 1
    first: float | None = None
    last: float | None = None
    seq: int = 0  # the last story it took (its recency, when stories are undated)
    view: Candidate | None = None  # as the decision sees it, as of its last change
    units: dict[int, float] = field(default_factory=dict)  # its members' unit vectors, summed
    members: int = 0  # members with terms
    names: float = 0.0  # the names' share of each member's unit vector's length, summed
    numbered: int = 0  # members with numbers


@dataclass(frozen=True, slots=True)
class Placed:
    """Where a story went: its cluster, and the clusters it merged into that one."""

    cluster: int
    merged: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Candidate:
    """A recent cluster as the decision sees it: the sum of its members' unit vectors (each
    member's TF-IDF terms, words, names and numbers together, scaled to length 1 when it
    joined) and how many members it holds. A story's cosine with each member, averaged, is
    its dot product with ``weights`` over the count: average link, which unlike a centroid's
    cosine does not grow with a cluster's spread (a summed centroid of n unlike members is
    ~sqrt(n) times closer to anything than its members are: clusters chain). ``names``
    sums the length of each member's names part (of its unit vector): a story's names'
    dot product with ``weights`` over it is their cosine with the members' names,
    averaged (weighed by how much each member's names count in it)."""

    id: int
    weights: Mapping[int, float]
    members: float  # members with terms
    names: float  # the length of each member's names part, summed
    first: float | None
    last: float | None
    numbered: float = 0.0  # members with numbers
    length: float = 0.0  # the length of ``weights`` (the summed centroid's)


def _length(values: Collection[float]) -> float:
    """A vector's Euclidean length from its weights, summed in their order: one definition
    for the live path's and the batch path's candidates and queries, so both get the same
    float."""
    return math.sqrt(sum(map(mul, values, values)))


def make_candidate(cluster_id: int, members: Iterable[StoryTerms], df: Frequencies) -> Candidate:
    """A cluster of ``members`` as the decision sees it (the live path: its stored
    stories, weighed with today's frequencies)."""
    units: dict[int, float] = {}
    count = numbered = 0
    names_part = 0.0
    times = []
    for story in members:
        weights = weighted(story.counts, df)
        norm, names = _norms(weights)
        if norm:
            for key, value in _unit(weights, norm).items():
                units[key] = units.get(key, 0.0) + value
            count += 1
            names_part += names / norm
        numbered += any(k & NUMBER_TAG for k in weights)
        if story.published is not None:
            times.append(story.published)
    first, last = (min(times), max(times)) if times else (None, None)
    length = _length(units.values())
    return Candidate(cluster_id, units, float(count), names_part, first, last, numbered, length)


def _norms(weights: Mapping[int, float]) -> tuple[float, float]:
    """The norm of a weight vector (words, names and numbers), and of its names (numbers
    not counted: they tell figures apart, not who and where)."""
    whole = names = 0.0
    for key, weight in weights.items():
        square = weight * weight
        whole += square
        if key & NAME_TAG and not key & NUMBER_TAG:
            names += square
    return math.sqrt(whole), math.sqrt(names)


def _gap(when: float | None, first: float | None, last: float | None) -> float:
    """Seconds from ``when`` to the span [first, last] (0 inside it, or when unknown)."""
    if when is None or first is None or last is None:
        return 0.0
    return max(first - when, when - last, 0.0)


@dataclass(frozen=True, slots=True)
class Query:
    """A story's TF-IDF weights, made once for all its candidates (and, for the dot products,
    its keys and weights in two tuples, its names' apart: a sum over ``map`` costs a third
    of a loop)."""

    story: StoryTerms
    weights: Mapping[int, float]
    norm: float  # of all its terms
    names_norm: float  # of its names (numbers aside)
    specific: frozenset[int] = frozenset()  # its names (and numbers) few recent stories carry
    numbers: frozenset[int] = frozenset()  # its numbers
    keys: tuple[int, ...] = ()  # ``weights``' keys, in order
    values: tuple[float, ...] = ()  # ... and weights
    name_keys: tuple[int, ...] = ()  # its names' keys (numbers aside), in the same order
    name_values: tuple[float, ...] = ()


def make_query(story: StoryTerms, df: Frequencies) -> Query:
    weights = weighted(story.counts, df)
    most = max(SPECIFIC * df.total, SPECIFIC_MIN)
    if isinstance(df, DocFreq | KnownFreq):  # their counts, without a call a name
        seen: Mapping[int, float] = df.counts
        specific = frozenset(k for k in story.counts if k & NAME_TAG and seen.get(k, 0) <= most)
    else:
        specific = frozenset(k for k in story.counts if k & NAME_TAG and df.docs(k) <= most)
    numbers = frozenset(k for k in story.counts if k & NUMBER_TAG)
    keys, values = tuple(weights), tuple(weights.values())
    names = [(k, w) for k, w in weights.items() if k & NAME_TAG and not k & NUMBER_TAG]
    name_keys = tuple(k for k, _ in names)
    name_values = tuple(w for _, w in names)
    # the norms as ``_norms`` sums them (in the keys' order)
    norm = _length(values)
    names_norm = _length(name_values)
    return Query(
        story, weights, norm, names_norm, specific, numbers, keys, values, name_keys, name_values
    )


_ZEROS = repeat(0.0)  # the weight of a term a cluster lacks (``map`` stops at the keys' end)


def _dot(keys: tuple[int, ...], values: tuple[float, ...], theirs: Mapping[int, float]) -> float:
    """Σ values[i] × theirs[keys[i]], in the keys' order (a term ``theirs`` lacks adds 0.0,
    which leaves a sum of non-negative weights as it was)."""
    total: float = sum(map(mul, values, map(theirs.get, keys, _ZEROS)))
    return total


def score(query: Query, cluster: Candidate) -> float:
    """How well a story fits ``cluster``: its TF-IDF cosine with the cluster's members,
    averaged, over all their terms (words, names and numbers in one vector); 0 when the
    story names something but no *specific* name of it (``SPECIFIC``: a person, place or
    number few recent stories carry) is the cluster's too, when their names disagree
    (``NAMES_MATCH``), when the story gives ``NUMBERS`` figures and none is the cluster's
    (this week's jobless claims are not last week's), or when the story lies outside the
    cluster's time window. The gates are tested first (the cheapest first)."""
    if not (query.norm and cluster.members):
        return 0.0
    if _gap(query.story.published, cluster.first, cluster.last) > WINDOW:
        return 0.0
    theirs = cluster.weights
    has = theirs.__contains__
    if query.names_norm and not any(map(has, query.specific)):
        return 0.0
    numbers = query.numbers
    if cluster.numbered and len(numbers) >= NUMBERS and not any(map(has, numbers)):
        return 0.0  # figures that all disagree
    if query.names_norm and cluster.names:
        names = _dot(query.name_keys, query.name_values, theirs)
        if names < NAMES_MATCH * query.names_norm * cluster.names:
            return 0.0  # one kind of event, other people and places
    return _dot(query.keys, query.values, theirs) / (query.norm * cluster.members)


def _threshold(query: Query, cluster: Candidate) -> float:
    """``JOIN_NEAR`` when the story and the cluster are both dated and the story lies within
    ``NEAR`` of the cluster's span (one event's coverage comes within a day or so), else
    ``JOIN``."""
    when, first = query.story.published, cluster.first
    if when is not None and first is not None and _gap(when, first, cluster.last) <= NEAR:
        return JOIN_NEAR
    return JOIN


def _joined(query: Query, cluster: Candidate) -> tuple[tuple[int, ...], tuple[float, ...], float]:
    """``cluster``'s summed unit vectors with the story's added (keys, values), and that
    sum's length."""
    summed = dict(cluster.weights)
    scale = 1.0 / query.norm if query.norm else 0.0
    for key, weight in query.weights.items():
        summed[key] = summed.get(key, 0.0) + weight * scale
    values = tuple(summed.values())
    return tuple(summed), values, _length(values)


def decide(query: Query, candidates: Iterable[Candidate]) -> Placed | None:
    """The decision the batch and the live path share: the best candidate at or above its
    threshold (``JOIN``, or ``JOIN_NEAR`` close in time; None: a new cluster), and the other
    candidates to be bridged: those the story fits at ``BRIDGE`` or over (scaled as the
    threshold is), and those whose gates it passes and whose summed centroid is ``MERGE``
    close to the joined cluster's with the story in it (cosine). Ties go to the older
    cluster (the lower id)."""
    found = {c.id: c for c in candidates}
    scored = []
    for c in found.values():
        s = score(query, c)
        scored.append((s / _threshold(query, c), s, c.id))
    scored.sort(key=lambda r: (-r[0], r[2]))
    if not scored or scored[0][0] < 1.0:
        return None
    best = found[scored[0][2]]
    merged = []
    joined: tuple[tuple[int, ...], tuple[float, ...], float] | None = None
    for rel, s, cid in scored[1:]:
        if rel >= BRIDGE / JOIN:
            merged.append(cid)
            continue
        other = found[cid]
        if s <= 0 or not other.length:
            continue
        if joined is None:
            joined = _joined(query, best)
        keys, values, length = joined
        if length and _dot(keys, values, other.weights) >= MERGE * length * other.length:
            merged.append(cid)
    return Placed(best.id, tuple(sorted(merged)))


class StoryIndex:
    """The streaming clusterer: ``add`` each story in publication order, get its cluster."""

    def __init__(self, *, window: float | None = None, recent: int = RECENT) -> None:
        self.df = DocFreq()
        self.window, self.recent = window or WINDOW, recent
        self._clusters: dict[int, _Cluster] = {}
        self._postings: dict[int, list[int]] = {}  # term → the newest clusters that hold it
        self._seq = 0
        self._order: deque[tuple[int, int]] = deque()  # (cluster, its seq then), oldest first
        self.merged: dict[int, int] = {}  # a cluster merged away → the one it joined

    def __len__(self) -> int:
        return len(self._clusters)

    def final(self, cluster: int) -> int:
        """The cluster ``cluster`` is part of now (it may have been merged into another)."""
        while cluster in self.merged:
            cluster = self.merged[cluster]
        return cluster

    def candidates(self, query: Query) -> list[Candidate]:
        # The heaviest terms some other recent story has too (a word only this story has
        # finds nothing)
        known = self.df.counts.get
        probes = heapq.nsmallest(
            PROBE_TERMS, [(-w, k) for k, w in query.weights.items() if known(k, 0) > 1]
        )
        posted: list[int] = []
        postings = self._postings
        for _, key in probes:
            posted += postings.get(key, ())
        hits = Counter(posted)  # one count over every probe's postings
        # A cluster of the same event shares several of the story's heavy terms; one shared
        # term is what a topic shares. The best ``CANDIDATES`` by shared terms are scored.
        clusters = self._clusters
        ranked = sorted((-n, cid) for cid, n in hits.items() if n >= MIN_PROBES and cid in clusters)
        found = sorted(cid for _, cid in ranked[:CANDIDATES])
        return [self._view(clusters[cid]) for cid in found]

    def _view(self, cluster: _Cluster) -> Candidate:
        if cluster.view is None:
            cluster.view = Candidate(
                cluster.id,
                cluster.units,
                float(cluster.members),
                cluster.names,
                cluster.first,
                cluster.last,
                float(cluster.numbered),
                _length(cluster.units.values()),
            )
        return cluster.view

    def add(self, story_id: int, story: StoryTerms) -> Placed:
        """Place story ``story_id`` (ids increase with each call)."""
        self.df.add(story.counts)
        self._seq += 1
        self._evict(story.published)
        placed = None
        query = make_query(story, self.df)
        if len(self.df.recent) > MIN_STORIES:
            placed = decide(query, self.candidates(query))
        if placed is None:
            cluster = _Cluster(story_id, {}, 0)
            self._clusters[story_id] = cluster
            placed = Placed(story_id)
        cluster = self._clusters[placed.cluster]
        for other in placed.merged:
            self._absorb(cluster, self._clusters.pop(other))
        self._take(cluster, story.counts, story.published, 1)
        _add_units(cluster, unit_vector(query), query)
        return placed

    def _absorb(self, into: _Cluster, other: _Cluster) -> None:
        self.merged[other.id] = into.id
        _add_units(into, other.units, other)
        self._take(into, other.counts, other.first, other.size)
        if other.last is not None:
            self._take(into, {}, other.last, 0)

    def _take(
        self, cluster: _Cluster, counts: Mapping[int, float], when: float | None, size: int
    ) -> None:
        merged = cluster.counts
        postings = self._postings
        cid = cluster.id
        for key, count in counts.items():
            had = merged.get(key)
            if had is None:  # a new term of the cluster: posted (the newest kept)
                posted = postings.get(key)
                if posted is None:
                    postings[key] = [cid]
                else:
                    posted.append(cid)
                    if len(posted) > PROBE_POSTINGS:
                        del posted[0]
                merged[key] = count
            else:
                merged[key] = had + count
        if len(merged) > 2 * CENTROID_TERMS:
            kept = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))[:CENTROID_TERMS]
            cluster.counts = dict(kept)
        cluster.size += size
        if when is not None:
            cluster.first = when if cluster.first is None else min(cluster.first, when)
            cluster.last = when if cluster.last is None else max(cluster.last, when)
        cluster.seq = self._seq
        cluster.view = None
        self._order.append((cluster.id, self._seq))

    def _evict(self, now: float | None) -> None:
        """Drop clusters out of the window: last seen more than ``window`` before ``now``
        (dated), or not among the ``recent`` most recently active."""
        while self._order:
            cid, seq = self._order[0]
            cluster = self._clusters.get(cid)
            if cluster is None or cluster.seq != seq:  # gone, or active again since
                self._order.popleft()
                continue
            stale_time = (
                now is not None
                and cluster.last is not None
                and now - cluster.last > self.window * KEEP
            )
            if stale_time or len(self._clusters) > self.recent:
                self._order.popleft()
                del self._clusters[cid]
                continue
            break


def unit_vector(query: Query) -> dict[int, float]:
    """A story's weights scaled to length 1."""
    return _unit(query.weights, query.norm)


def _unit(weights: Mapping[int, float], norm: float) -> dict[int, float]:
    scale = 1.0 / norm if norm else 0.0
    return {k: v * scale for k, v in weights.items()}


def _add_units(cluster: _Cluster, units: Mapping[int, float], source: Query | _Cluster) -> None:
    """Add a member's unit vector (a story's) or a whole cluster's summed ones."""
    if isinstance(source, Query):
        if not source.norm:
            return
        members, names = 1, source.names_norm / source.norm
        cluster.numbered += bool(source.numbers)
    else:
        members, names = source.members, source.names
        cluster.numbered += source.numbered
    summed = cluster.units
    get = summed.get
    for key, value in units.items():
        summed[key] = get(key, 0.0) + value
    if len(summed) > 2 * CENTROID_TERMS:
        kept = sorted(summed.items(), key=lambda kv: (-kv[1], kv[0]))[:CENTROID_TERMS]
        cluster.units = dict(kept)
    cluster.members += members
    cluster.names += names
    cluster.view = None

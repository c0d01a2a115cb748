"""Text keys and MinHash fingerprints. Pure: values in, values out.

A story's fingerprint has three MinHash signatures over 32-bit hashes of its shingles:

- ``text``: word 4-shingles of the whole clean text — near-duplicates and syndicated copies
  that differ in junk, footers, inserted teasers, headline or paragraph order;
- ``lead``: word 4-shingles of the first ``LEAD_WORDS`` words — a copy that carries only the
  lead shares its opening even though it shares little of the whole;
- ``terms``: the salient words of headline, standfirst and lead (stop words and short words
  out) — coverage of the same event by outlets that wrote their own text (story clusters).

Shingles never cross a line break, so reordered paragraphs and lines inserted between them
(teasers, footers) leave every other shingle as it was.

The MinHash is datasketch's "affine32" scheme (datasketch >= 2.0), computed here in a few
lines of numpy: the same permutations from the same seed, so the values are bit for bit the
ones ``datasketch.MinHash(num_perm, seed=SEED, scheme="affine32")`` gives (a test holds the
two together). Importing datasketch loads scipy for its LSH tuning: ~57 MB of memory and
~0.9 s in every process that fingerprints (each extraction process, the relay, the server),
for a step that is one matrix product and a minimum.

Signatures keep the top 16 bits of each 32-bit minimum: two different shingle sets collide on
a slot with probability 2⁻¹⁶, which moves a Jaccard estimate by less than 0.0001 and halves
the memory, and the order of the values survives — which is what the containment test of
``links.copy_verdicts`` reads.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from newsdesk.model import pickled_by_fields

__all__ = [
    "EMPTY",
    "FINGERPRINT_BYTES",
    "LEAD_PERM",
    "LEAD_WORDS",
    "TERMS_PERM",
    "TEXT_PERM",
    "Fingerprint",
    "band_keys",
    "fingerprint",
    "normalized_words",
    "salient_terms",
    "similarity",
    "text_key",
]

SHINGLE = 4
LEAD_WORDS = 24  # a truncated copy carries at least the first sentence or so
TEXT_PERM, LEAD_PERM, TERMS_PERM = 64, 32, 48
SEED = 20261129
_WORD = re.compile(r"\w+", re.UNICODE)
_STOP_WORDS = """
a an and are as at be but by for from has have he her his i in is it its of on or our
she that the their them they this to was we were what when where which who will with you
after before over under about into than then there these those not no so up out new says
said also been more most can could would should may might just one two three de la le
les el los las des du et en un une der die das und ein eine il lo gli di da che per por
para con del al
"""
_STOP = frozenset(_STOP_WORDS.split())


def normalized_words(text: str) -> list[str]:
    """Lower-cased word tokens after Unicode normalisation (NFKC, marks kept)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


_TOKEN = re.compile(r"[^\W\d_][\w'’-]*|\d[\d.,]*\d|[.!?:;…]|\n")
SALIENT_WORDS = 150
_ENDS = frozenset(".!?:;…\n")  # what ends a sentence, or a line


def salient_terms(
    text: str, *, title: str | None = None, description: str | None = None
) -> list[str]:
    """The words that name an event: capitalised words that do not open a sentence (people,
    places, organisations) and numbers, from the headline, standfirst and the opening of the
    text; the headline's content words when those are too few."""
    out: list[str] = []
    for part in (title or "", description or "", text):
        sentence_start = True
        for token in _first_tokens(part, SALIENT_WORDS + 1):
            first = token[0]
            if first in _ENDS:  # a token of its own: one character
                sentence_start = True
                continue
            if first.isdigit():
                if len(token) > 1:
                    out.append(token)
            elif not sentence_start and first.isupper() and len(token) > 2:
                word = token.casefold()
                if word not in _STOP:
                    out.append(word)
            sentence_start = False
    if len(set(out)) < 3 and title:
        out += [w for w in normalized_words(title) if len(w) > 2 and w not in _STOP]
    return out


_PREFIX_CHARS = 16  # characters read a token wanted, before the whole text is read


def _first_tokens(part: str, wanted: int) -> list[str]:
    """The first ``wanted`` tokens of ``part`` (NFKC-normalised). Read from a prefix of the
    text when that has more than enough: every token but the prefix's last ends before its
    cut, so those are the text's own; otherwise from the whole text."""
    cut = wanted * _PREFIX_CHARS
    if len(part) > cut:
        tokens = _TOKEN.findall(unicodedata.normalize("NFKC", part[:cut]))
        if len(tokens) > wanted:
            return tokens[:wanted]
    tokens = _TOKEN.findall(unicodedata.normalize("NFKC", part))
    return tokens[:wanted]


def text_key(text: str) -> str | None:
    """The exact-duplicate key of a text: its words, normalised (case, punctuation and
    spacing do not count). None for a text without words."""
    words = [word for line in _line_words(text) for word in line]
    if not words:
        return None
    return hashlib.sha256(" ".join(words).encode()).hexdigest()[:32]


@lru_cache(maxsize=4)
def _line_words(text: str) -> tuple[tuple[str, ...], ...]:
    """Each line's normalised words. A story's text key and its fingerprint both read
    them, so they are made once a text (memoised: the same words for the same text)."""
    # normalised once for the whole text: NFKC and case folding neither make nor remove a
    # line break, so its lines are the lines of the text, each normalised as before
    folded = unicodedata.normalize("NFKC", text).casefold()
    return tuple(tuple(_WORD.findall(line)) for line in folded.split("\n"))


EMPTY = 0xFFFF  # every slot of the signature of an empty set
# A serialised fingerprint's length (two sizes, then the signatures); bytes after it (the
# live store keeps the story's terms there) are not the fingerprint's.
FINGERPRINT_BYTES = 8 + 2 * (TEXT_PERM + LEAD_PERM + TERMS_PERM)


@cache
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """The affine permutations h -> a*h + b (mod 2^32, ``a`` odd: a bijection), drawn as
    datasketch draws them for ``seed=SEED``."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (a bijection that spreads structured inputs), applied
    once to each input hash before the permutations."""
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    mixed: np.ndarray = hv ^ (hv >> np.uint32(16))
    return mixed


def _word_hashes(words: Sequence[str]) -> np.ndarray:
    return np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint64, count=len(words))


_K = np.uint64(1_000_003)
_LOW32 = np.uint64(0xFFFFFFFF)


def _shingle_hashes(hashes: np.ndarray) -> np.ndarray:
    """32-bit hashes of the word k-shingles, combined from the words' hashes (vectorised);
    fewer words than k make one shingle."""
    width = min(SHINGLE, len(hashes))
    if width == 0:
        return hashes
    combined = hashes[: len(hashes) - width + 1].copy()
    for i in range(1, width):
        combined = combined * _K ^ hashes[i : len(hashes) - width + 1 + i]
    return combined & _LOW32


def _shingles_of_lines(hashes: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``_shingle_hashes`` of each line (``counts[j]`` words from ``starts[j]`` of
    ``hashes``, every count at least 1), concatenated, from one pass over all the words:
    ``widths[w - 1][i]`` is the hash of the ``w`` words from ``i`` (combined as
    ``_shingle_hashes`` combines them), and a line of ``n`` words takes its ``n - k + 1``
    shingles of width k, or its one shingle of width ``n`` when shorter."""
    widths = [hashes]
    for w in range(1, SHINGLE):
        widths.append(widths[-1][: len(hashes) - w] * _K ^ hashes[w:])
    full = counts >= SHINGLE
    picked = []
    if full.any():
        per_line = counts[full] - (SHINGLE - 1)
        offsets = np.repeat(starts[full] - np.cumsum(per_line) + per_line, per_line)
        picked.append(widths[SHINGLE - 1][offsets + np.arange(per_line.sum())])
    for n in range(1, SHINGLE):
        short = starts[counts == n]
        if len(short):
            picked.append(widths[n - 1][short])
    return np.concatenate(picked) & _LOW32


def _text_shingles(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The shingle hashes of the whole text and of its first ``LEAD_WORDS`` words, each
    made paragraph by paragraph (line by line) — so paragraphs in another order or a line
    inserted between two change no shingle of the others — and unique. Each word is hashed
    once for both."""
    lines = [line for line in _line_words(text) if line]
    if not lines:
        empty = np.zeros(0, dtype=np.uint64)
        return empty, empty
    counts = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    starts = np.cumsum(counts) - counts
    hashes = _word_hashes([word for line in lines for word in line])
    whole = np.unique(_shingles_of_lines(hashes, starts, counts))
    if counts[0] >= LEAD_WORDS:  # the lead is in the first line (most stories)
        lead_shingles = _shingle_hashes(hashes[:LEAD_WORDS])
    else:
        ends = np.minimum(starts + counts, LEAD_WORDS)
        lead = starts < LEAD_WORDS  # the lines the lead reaches, the last one cut
        lead_shingles = _shingles_of_lines(hashes, starts[lead], (ends - starts)[lead])
    return whole, np.unique(lead_shingles)


def _minhash(values: np.ndarray, num_perm: int) -> np.ndarray:
    """The signature of a set of 32-bit hashes: each permutation's minimum, its top 16 bits
    (equal values estimate Jaccard; their order still tells containment)."""
    if not len(values):
        return np.full(num_perm, EMPTY, dtype=np.uint16)
    a, b = _permutations(num_perm)
    hv = _fmix32(values.astype(np.uint32)).reshape(-1, 1)
    signature: np.ndarray = ((hv * a + b).min(axis=0) >> np.uint32(16)).astype(np.uint16)
    return signature


@pickled_by_fields
@dataclass(frozen=True, slots=True, eq=False)
class Fingerprint:
    """The MinHash signatures of one story, and the sizes of the sets they summarise."""

    text: np.ndarray  # uint16[TEXT_PERM]
    lead: np.ndarray  # uint16[LEAD_PERM]
    terms: np.ndarray  # uint16[TERMS_PERM]
    size: int  # shingles in the whole text
    lead_size: int

    def to_bytes(self) -> bytes:
        head = np.array([self.size, self.lead_size], dtype=np.uint32).tobytes()
        return head + self.text.tobytes() + self.lead.tobytes() + self.terms.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        sizes = np.frombuffer(data[:8], dtype=np.uint32)
        body = np.frombuffer(data[8:FINGERPRINT_BYTES], dtype=np.uint16)
        return cls(
            text=body[:TEXT_PERM],
            lead=body[TEXT_PERM : TEXT_PERM + LEAD_PERM],
            terms=body[TEXT_PERM + LEAD_PERM :],
            size=int(sizes[0]),
            lead_size=int(sizes[1]),
        )


def fingerprint(
    text: str, *, title: str | None = None, description: str | None = None
) -> Fingerprint:
    """The fingerprint of a story's clean text (headline and standfirst feed only ``terms``)."""
    shingles, lead = _text_shingles(text)
    terms = np.unique(_word_hashes(salient_terms(text, title=title, description=description)))
    return Fingerprint(
        text=_minhash(shingles, TEXT_PERM),
        lead=_minhash(lead, LEAD_PERM),
        terms=_minhash(terms, TERMS_PERM),
        size=len(shingles),
        lead_size=len(lead),
    )


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The Jaccard similarity two signatures estimate (the share of equal slots)."""
    return float(np.count_nonzero(a == b)) / len(a)


# LSH bands: (signature, bands, rows). A pair is a candidate when one band agrees; with b
# bands of r rows, the chance is 1 - (1 - J^r)^b: 50 % near J = 0.5 for the text, 0.6 for
# the lead and 0.4 for the terms, and 98 % or more at the thresholds links verifies.
BANDS = {"text": (16, 4), "lead": (8, 4), "terms": (16, 3)}


def band_keys(signature: np.ndarray, kind: str) -> list[int]:
    """The LSH bucket keys of a signature: one signed 63-bit integer per band, the band's
    number included, so the keys of every band and kind can share one index."""
    bands, rows = BANDS[kind]
    tag = {"text": 1, "lead": 2, "terms": 3}[kind]
    keys = []
    for band in range(bands):
        chunk = signature[band * rows : (band + 1) * rows].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=bytes([tag, band]) * 8).digest()
        keys.append(int.from_bytes(digest, "big") >> 1)
    return keys

"""Is this line page furniture? Lexicon evidence anchored at the line's start, plus its shape.

The lexicon lives in ``data/junk.tsv`` (several languages); this module only decides. A line
is junk when a lexicon pattern matches at its start AND its shape agrees: furniture is short,
and a teaser reads as a label followed by a headline, not as a sentence. Precision first:
anything that reads as a sentence of the story stays.
"""

from __future__ import annotations

import re
from importlib.resources import files

from newsdesk.clean.provenance import is_relay_footer

__all__ = ["REASONS", "classify_body_line", "classify_line"]

REASONS = ("teaser", "promo", "ad", "share", "comments", "credit", "cookie", "relay", "boilerplate")

_SEPARATOR = re.compile(r"[:>»|–—]|\s-\s")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
# Longest line each reason may remove; cookie and consent notices run long.
_MAX_CHARS = {"cookie": 600, "promo": 300, "credit": 200, "comments": 200}
_DEFAULT_MAX = 160
_LONGEST = max(_MAX_CHARS.values())


def _load() -> dict[str, re.Pattern[str]]:
    grouped: dict[str, list[str]] = {}
    text = files("newsdesk.clean").joinpath("data/junk.tsv").read_text(encoding="utf-8")
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        reason, sep, pattern = line.partition("\t")
        if not sep or reason not in REASONS:
            raise ValueError(f"junk.tsv line {number}: expected 'reason<TAB>pattern', got {raw!r}")
        grouped.setdefault(reason, []).append(pattern)
    return {
        reason: re.compile("|".join(f"(?:{p})" for p in pats), re.I)
        for reason, pats in grouped.items()
    }


_LEXICON = _load()

# All patterns at once: most lines match none, and one anchored match settles that.
_ANY = re.compile("|".join(f"(?:{p.pattern})" for p in _LEXICON.values()), re.I)


def classify_body_line(line: str) -> str | None:
    """Like :func:`classify_line`, but a relay footer ("Continue reading on <Outlet>") is left
    for the provenance step, which turns it into ``provenance`` (credit lines stay credits)."""
    reason = classify_line(line)
    if reason is not None and reason != "credit" and is_relay_footer(line):
        return None
    return reason


def classify_line(line: str) -> str | None:
    """The junk reason for ``line`` (``teaser``, ``ad``, ``cookie``, ...), or None to keep it."""
    if len(line) > 2 * _LONGEST:  # cheap exit for paragraphs of prose
        return None
    text = " ".join(line.split())
    if not text or len(text) > _LONGEST or _ANY.match(text) is None:
        return None
    for reason, pattern in _LEXICON.items():
        if len(text) > _MAX_CHARS.get(reason, _DEFAULT_MAX):
            continue
        match = pattern.match(text)
        if match is None:
            continue
        if reason == "teaser" and not _teaser_shape(text, match.end()):
            continue
        return reason
    return None


def _teaser_shape(text: str, label_end: int) -> bool:
    """A teaser is a label and a headline: a separator after the label, or no sentence end."""
    if _SEPARATOR.search(text[: label_end + 2]):
        return True
    if len(text) <= 40:
        return True
    return not _SENTENCE_END.search(text)

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

__all__ = [
    "REASONS",
    "RelatedTail",
    "classify_body_line",
    "classify_line",
]

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


# -- WordPress (Jetpack) related-posts lists after the share buttons ---------------------------


def _load_related() -> dict[str, re.Pattern[str]]:
    grouped: dict[str, list[str]] = {"label": [], "entry": []}
    text = files("newsdesk.clean").joinpath("data/related.tsv").read_text(encoding="utf-8")
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        kind, sep, pattern = raw.partition("\t")
        if not sep or kind not in grouped:
            raise ValueError(f"related.tsv line {number}: expected 'label|entry<TAB>pattern'")
        grouped[kind].append(pattern)
    return {
        kind: re.compile("(?:" + "|".join(f"(?:{p})" for p in pats) + r")\s*:?$", re.I)
        for kind, pats in grouped.items()
    }


_RELATED = _load_related()
_DATE_LINE = re.compile(
    r"^(?:[^\W\d_]{3,10}\.?\s+\d{1,2},\s+\d{4}"  # November 3, 2026
    r"|\d{1,2}\.?\s+(?:de\s+)?[^\W\d_]{3,10}\.?\s+(?:de\s+)?\d{4}"  # 3. November, 3 de noviembre
    r"|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2})$"
)
_HEADLINE_MAX = 120
_LABEL_MAX = 60


class RelatedTail:
    """Reads a story's lines in order and says which belong to a related-posts list that
    WordPress appended after its share and like buttons: the list's heading ("Related",
    "Ähnliche Beiträge", "Relacionado", ...) right after share furniture, then its entries
    (a headline, a date, 'In "Category"', "With 2 comments", "Similar post"). A line of prose
    (a sentence, or longer than a headline) ends the list. After share furniture too, a short
    label right after a sign-up prompt ("Subscribed", then the site's name) is furniture."""

    def __init__(self) -> None:
        self.after_share = False
        self.inside = False
        self.last: str | None = None  # the previous line's reason

    def reason(self, line: str, junk: str | None) -> str | None:
        """The removal reason for ``line`` (``junk``: what the lexicon said of it alone)."""
        self.last = reason = self._reason(line, junk)
        return reason

    def _reason(self, line: str, junk: str | None) -> str | None:
        text = " ".join(line.split())
        if self.after_share and _RELATED["label"].match(text):
            self.inside = True
            return junk or "teaser"
        if junk is not None:
            self.after_share = self.after_share or junk == "share"
            return junk
        if (
            self.after_share
            and self.last == "promo"
            and len(text) <= _LABEL_MAX
            and not _SENTENCE_END.search(text)
        ):  # the site's name in WordPress's actions bar, after "Subscribe"
            return "promo"
        if self.inside and (
            _RELATED["entry"].match(text)
            or _DATE_LINE.match(text)
            or (len(text) <= _HEADLINE_MAX and not _SENTENCE_END.search(text))
        ):
            return "teaser"
        self.inside = False
        self.after_share = False
        return None

"""Relay footers and wire credits become provenance, not text. Pure.

Recognised at the end of a story (its last few paragraphs):

- feed-to-blog applets: ``from <Outlet> <short link>`` and ``via <Applet>`` (one line or two);
- WordPress feed footers: ``The post <title> appeared first on <Site>.``;
- ``Source: <Outlet> via <link>``;
- ``This article originally appeared on <Outlet or URL>`` (also "was originally published");
- ``Continue reading on <Outlet>``, ``Read the full story at <URL>``;
- a bare wire credit line: ``— Reuters``, ``(AP)``.

At the start: a wire credit in the dateline, ``WASHINGTON (AP) — ...``, is recorded; the
dateline stays in the text, as the story was published. Attribution inside a sentence
("officials told CNN") is no credit and stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.resources import files

from newsdesk.model import Provenance, Removed
from newsdesk.urls import is_http_url

__all__ = ["ProvenanceRepair", "is_relay_footer", "repair_provenance"]


def _load_agencies() -> tuple[str, ...]:
    text = files("newsdesk.clean").joinpath("data/agencies.txt").read_text(encoding="utf-8")
    names = [line.strip() for line in text.splitlines()]
    return tuple(sorted({n for n in names if n and not n.startswith("#")}, key=len, reverse=True))


_AGENCIES = _load_agencies()
_AGENCY = "(?:" + "|".join(re.escape(a) for a in _AGENCIES) + ")"
_CANONICAL_AGENCY = {a.casefold(): a for a in _AGENCIES}

_FROM_VIA = re.compile(
    r"^from\s+(?P<source>.{1,80}?)\s+(?P<link>https?://\S+)(?:\s+via\s+(?P<via>.{1,40}))?$", re.I
)
_VIA = re.compile(r"^via\s+(?P<via>[\w][\w .&'’-]{1,40})$", re.I)
_APPEARED_FIRST = re.compile(
    r"^(?:The post\s+)?(?P<title>.{1,300}?)\s+appeared first on\s+(?P<site>.{1,100}?)\.?$", re.I
)
_SOURCE_LINE = re.compile(
    r"^(?:source|fonte|fuente|quelle|fonte originale)\s*:\s*(?P<source>.{1,80}?)"
    r"(?:\s+via\s+(?P<link>\S+))?\s*$",
    re.I,
)
_ORIGINALLY = re.compile(
    r"^(?:this (?:article|story|post|piece) )?(?:was )?originally (?:appeared|published|posted)"
    r"\s+(?:on|in|at|by)\s+(?P<where>.{1,200}?)\.?$",
    re.I,
)
# "Continue reading on The Example Times" / "Read the full story at https://…": the relay
# pointing back to where the story came from.
_READ_ON = re.compile(
    r"^(?:continue|keep) reading (?:on|at|in) (?P<where>.{2,200}?)\.?$"
    r"|^read the (?:full|whole|original|rest of the) (?:story|article|post)(?: of this story)? "
    r"(?:on|at|in) (?P<where2>.{2,200}?)\.?$",
    re.I,
)
_CREDIT_LINE = re.compile(rf"^[(\[—–-]*\s*(?:©\s*)?(?P<agency>{_AGENCY})\s*[)\].]*$", re.I)
_DATELINE_CREDIT = re.compile(
    rf"^(?P<dateline>[A-ZÀ-Ý][\w.'’ ,/-]{{0,60}}?\s*)?\((?P<agency>{_AGENCY})\)"
    r"\s*(?P<dash>[—–-]+|:)\s*",
)
_TAIL = 4  # footers live in the last few paragraphs


@dataclass(slots=True)
class ProvenanceRepair:
    """Which paragraphs to drop, and the provenance they (and the dateline) stated."""

    drop: set[int] = field(default_factory=set)
    provenance: Provenance | None = None
    removed: list[Removed] = field(default_factory=list)


@dataclass(slots=True)
class _Found:
    via: str | None = None
    source: str | None = None
    link: str | None = None
    original_url: str | None = None
    credits: list[str] = field(default_factory=list)

    def any(self) -> bool:
        return bool(self.via or self.source or self.link or self.original_url or self.credits)


def _agency(name: str) -> str:
    return _CANONICAL_AGENCY.get(name.casefold(), name)


def _footer(line: str, found: _Found) -> str | None:
    """The removal reason when ``line`` is a relay footer or credit line (and note what it says)."""
    match = _FROM_VIA.match(line)
    if match:
        found.source = found.source or match.group("source").strip()
        found.link = found.link or match.group("link")
        found.via = found.via or (match.group("via") or "").strip() or None
        return "relay"
    match = _VIA.match(line)
    if match and len(line) <= 45:
        found.via = found.via or match.group("via").strip()
        return "relay"
    match = _APPEARED_FIRST.match(line)
    if match:
        found.source = found.source or match.group("site").strip()
        found.via = found.via or "WordPress feed"
        return "relay"
    match = _SOURCE_LINE.match(line)
    if match:
        found.source = found.source or match.group("source").strip()
        found.link = found.link or match.group("link")
        return "relay"
    match = _ORIGINALLY.match(line) or _READ_ON.match(line)
    if match:
        groups = match.groupdict()
        where = (groups.get("where") or groups.get("where2") or "").strip()
        if is_http_url(where):
            found.original_url = found.original_url or where
        else:
            found.source = found.source or where
        return "relay"
    match = _CREDIT_LINE.match(line)
    if match:
        found.credits.append(_agency(match.group("agency")))
        return "credit"
    return None


def is_relay_footer(line: str) -> bool:
    """Does ``line`` read as a relay footer or credit line? (Checked before the junk lexicon,
    so that "Continue reading on <Outlet>" becomes provenance rather than an ad marker.)"""
    return _footer(line, _Found()) is not None


def repair_provenance(paragraphs: list[str]) -> ProvenanceRepair:
    """Find relay footers and wire credits in ``paragraphs`` (by index; nothing is mutated)."""
    found = _Found()
    out = ProvenanceRepair()
    footers: list[Removed] = []
    for index in range(len(paragraphs) - 1, max(-1, len(paragraphs) - 1 - _TAIL), -1):
        reason = _footer(paragraphs[index], found)
        if reason is not None:
            out.drop.add(index)
            footers.append(Removed(text=paragraphs[index], reason=reason))
    first = next((i for i in range(len(paragraphs)) if i not in out.drop), None)
    if first is not None:
        match = _DATELINE_CREDIT.match(paragraphs[first])
        if match:
            found.credits.insert(0, _agency(match.group("agency")))
    out.removed.extend(reversed(footers))
    if found.any():
        out.provenance = Provenance(
            via=found.via,
            source=found.source,
            link=found.link,
            original_url=found.original_url,
            credits=tuple(dict.fromkeys(found.credits)),
        )
    return out

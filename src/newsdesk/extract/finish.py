"""The last pass over the chosen blocks: drop what is not story text, and say why.

Structural evidence here (a repeated line, a bare date, leftover markup, the headline again, a
heading with nothing after it); lexical evidence comes from :func:`newsdesk.clean.classify_line`.
Every dropped block is returned with its reason, for ``Article.removed``. Characters XML 1.0
forbids (a page's ``&#1;``) are removed from every block's text here, so no stored text holds one.
"""

from __future__ import annotations

import re
from dataclasses import replace

from newsdesk.clean import classify_body_line, strip_xml_invalid
from newsdesk.dates import parse_date
from newsdesk.extract.body import RawBlock
from newsdesk.model import Removed

__all__ = ["finish_blocks"]

_MARKUP = re.compile(r"^<[a-z!/][^>]*>", re.I)
# "By Ann Lee", "Posted by Ann Lee on ...": a label, then up to four capitalised words.
_BYLINE = re.compile(
    r"^(?i:(?:posted|written|words|reported|text|story) )?(?i:by|von|por|par|di|door)[: ]+"
    r"[A-ZÀ-Ý][\w.'’-]+(?: [A-ZÀ-Ý][\w.'’-]+){0,3}"
    r"(?:$|\s*(?:[,|·•–—-]|and|und|y|et|e|on|am|le|el|il)\s)"
)
_SENTENCE = re.compile(r"[.!?][\"'”’]?\s+[A-Z]")
_DATE_LINE = re.compile(r"^[\w ,.:/@|+-]{6,60}$")


def _is_byline(text: str, authors: tuple[str, ...]) -> bool:
    """A short line near the top naming the author ("By Ann Lee", "Posted by Ann Lee on ...")."""
    if len(text) > 120 or _SENTENCE.search(text):
        return False
    if _BYLINE.match(text):
        return True
    return any(name in text for name in authors) and parse_date(text) is not None


def _structural_reason(block: RawBlock, seen: set[str]) -> str | None:
    text = block.text
    if _MARKUP.match(text):
        return "boilerplate"
    if block.link_density >= 0.5 and len(text) <= 200:  # the same teaser link again
        key = text.casefold()
        if key in seen:
            return "boilerplate"
        seen.add(key)
    if len(text) <= 60 and _DATE_LINE.match(text) and parse_date(text) is not None:
        letters = sum(ch.isalpha() for ch in text)
        if letters <= 24:  # a dateline, not a sentence that mentions a date
            return "boilerplate"
    return None


# A second copy of the article: a "full text" or print element that repeats the story as
# one long block below it. A block this long that opens as an earlier block does, whose text
# the body already holds (at least COPY_SHARE of its word 4-grams), spread over at least
# COPY_BLOCKS earlier blocks (a paragraph said twice, a pull quote, is not a copy of the
# story: Readability keeps both, and so do the human-made golds). Prose only: a tutorial's
# code listing grows by repeating the one before it.
COPY_MIN = 400
COPY_SHARE = 0.8
COPY_BLOCKS = 3
_WORD = re.compile(r"\w+")
_PREFIX = 40


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text)
    return {tuple(words[i : i + 4]) for i in range(len(words) - 3)}


def _without_copies(blocks: list[RawBlock], removed: list[Removed]) -> list[RawBlock]:
    """``blocks`` without the long ones that repeat the text before them (each added to
    ``removed``). Only a long block that opens as an earlier one does is compared, so a page
    without a copy costs a set lookup per long block."""
    kept: list[RawBlock] = []
    openings: set[str] = set()
    # Each word 4-gram of ``kept`` and the first block that holds it, once asked for.
    before: dict[tuple[str, ...], int] | None = None
    for block in blocks:
        text = block.text
        own: set[tuple[str, ...]] | None = None
        if len(text) >= COPY_MIN and block.kind == "paragraph" and text[:_PREFIX] in openings:
            if before is None:
                before = {}
                for index, earlier in enumerate(kept):
                    for shingle in _shingles(earlier.text):
                        before.setdefault(shingle, index)
            own = _shingles(text)
            sources = [before[s] for s in own if s in before]
            if own and len(sources) >= COPY_SHARE * len(own) and len(set(sources)) >= COPY_BLOCKS:
                removed.append(Removed(text=text, reason="boilerplate"))
                continue
        if before is not None:
            for shingle in own if own is not None else _shingles(text):
                before.setdefault(shingle, len(kept))
        kept.append(block)
        openings.add(text[:_PREFIX])
    return kept


# Other stories' headlines after the story ("Who will make the Rock Hall in 2020?"): this
# many short lines in a row at the end of the body, each all link, that no heading or line
# ending with a colon introduces.
RAIL_RUN = 3
RAIL_LINE = 120


def _is_headline_link(block: RawBlock) -> bool:
    return len(block.text) <= RAIL_LINE and block.link_density >= 0.95


def _introduces(block: RawBlock) -> bool:
    return block.kind == "heading" or block.text.endswith(":")


def finish_blocks(
    blocks: list[RawBlock],
    title: str | None,
    *,
    authors: tuple[str, ...] = (),
    lexicon: bool = True,
) -> tuple[list[RawBlock], list[Removed]]:
    """Split ``blocks`` into the story's blocks and the removed ones (with reasons).

    ``lexicon`` applies the cleaning stage's junk-line lexicons; structural rules always run.
    """
    title_key = strip_xml_invalid(title).casefold() if title else None
    kept: list[RawBlock] = []
    removed: list[Removed] = []
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        clean = strip_xml_invalid(block.text)  # "&#1;" in a page: never into stored text
        if clean != block.text:
            block = replace(block, text=clean)  # noqa: PLW2901
        if block.text.casefold() == title_key and block.kind in ("heading", "paragraph"):
            continue  # the headline (again) is metadata, not body text
        reason = _structural_reason(block, seen)
        if reason is None and index < 4 and _is_byline(block.text, authors):
            reason = "boilerplate"
        if reason is None and lexicon and block.kind not in ("quote", "code"):
            reason = classify_body_line(block.text)
        if reason is None:
            kept.append(block)
        else:
            removed.append(Removed(text=block.text, reason=reason))
    kept = _without_copies(kept, removed)
    # After the last paragraph: a heading that introduces nothing, or a short list item that
    # is all link (navigation that shared the article's container); then a rail of other
    # stories' headlines (RAIL_RUN or more short lines that are all link), and again.
    while True:
        while kept and (
            kept[-1].kind == "heading"
            or (
                kept[-1].kind == "list_item"
                and len(kept[-1].text) < 40
                and kept[-1].link_density >= 0.95
            )
        ):
            last = kept.pop()
            removed.append(Removed(text=last.text, reason="boilerplate"))
        run = 0
        while run < len(kept) and _is_headline_link(kept[-1 - run]):
            run += 1
        # A list the writer introduced ("Sources & links", "Previous interviews:") is the
        # story's own: it stays.
        if run < RAIL_RUN or (run < len(kept) and _introduces(kept[-1 - run])):
            break
        for last in kept[-run:]:
            removed.append(Removed(text=last.text, reason="boilerplate"))
        del kept[-run:]
    return kept, removed

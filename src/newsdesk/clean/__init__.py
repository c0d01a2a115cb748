"""Cleaning: repair text that relays damaged. Pure (DESIGN §4.1).

Used in two places: on the blocks ``extract`` produces (so cleaning is part of every
extraction) and on plain text already extracted (:func:`clean_text`). The steps:

- ``lines``: is a line page furniture (teaser, promo, ad marker, share widget, comments,
  credit, cookie prompt)? Lexicons in ``data/junk.tsv``, several languages;
- ``text``: normalisation and paragraph recovery (hard-wrapped lines rejoined);
- ``boilerplate``: lines and sentences a source repeats across its articles;
- ``embeds``: post URLs glued onto sentences, embed remnants, bare video links;
- ``provenance``: relay footers and wire credits;
- ``quotes``: direct quotations and their speakers;
- ``repair``: the one composition of the steps above.
"""

from __future__ import annotations

from newsdesk.clean.boilerplate import Boilerplate, BoilerplateCounter
from newsdesk.clean.lines import REASONS, RelatedTail, classify_body_line, classify_line
from newsdesk.clean.repair import Repaired, repair_blocks
from newsdesk.clean.text import (
    is_list_item,
    join_lines,
    normalize_text,
    strip_xml_invalid,
    strip_xml_invalid_fields,
)
from newsdesk.errors import CleanError
from newsdesk.model import Article, Block, Removed
from newsdesk.urls import canonicalize_url, is_http_url

__all__ = [
    "REASONS",
    "Boilerplate",
    "BoilerplateCounter",
    "Repaired",
    "classify_body_line",
    "classify_line",
    "clean_text",
    "repair_blocks",
    "strip_xml_invalid",
    "strip_xml_invalid_fields",
]

_BINARY_SHARE = 0.1


def _check(text: object) -> str:
    if not isinstance(text, str):
        raise CleanError(f"clean_text() takes str, not {type(text).__name__}")
    if not text.strip():
        raise CleanError("text is empty")
    sample = text[:65536]
    nul = sample.count("\x00") + sample.count("\ufffd")
    if nul > _BINARY_SHARE * len(sample):
        raise CleanError("input looks like binary data, not text")
    return text


def _paragraph_blocks(text: str, removed: list[Removed]) -> list[Block]:
    """Junk lines out (with reasons), then the remaining lines rejoined into paragraphs."""
    chunks: list[list[str]] = [[]]
    previous = ""
    related = RelatedTail()  # a related-posts list after WordPress's share buttons
    for raw in normalize_text(text).split("\n"):
        line = raw.strip()
        if not line:
            if chunks[-1]:
                chunks.append([])
            previous = ""
            continue
        # A lower-case line continuing an unfinished one is prose wrapped by a relay, never
        # a label: "share the road ..." must not be taken for a share widget.
        continuation = line[:1].islower() and previous and previous[-1] not in ".!?:;\"”'’»)"
        reason = related.reason(line, None if continuation else classify_body_line(line))
        if reason is not None:
            removed.append(Removed(text=line, reason=reason))
            continue
        chunks[-1].append(line)
        previous = line
    blocks = []
    for chunk in chunks:
        for paragraph in join_lines(chunk):
            if is_list_item(paragraph):
                item = paragraph.lstrip("-*•·▪– ").strip()
                blocks.append(Block(kind="list_item", text=item or paragraph))
            else:
                blocks.append(Block(kind="paragraph", text=paragraph))
    return blocks


def clean_text(
    text: str,
    *,
    url: str | None = None,
    source: str | None = None,
    boilerplate: Boilerplate | None = None,
) -> Article:
    """Clean plain text that an earlier relay damaged, into an Article.

    ``url`` is where the text came from; ``source`` names the outlet or feed it came from
    (it becomes ``site_name``); ``boilerplate`` is what that source repeats across its
    articles (learnt with :class:`BoilerplateCounter`). Raises
    :class:`~newsdesk.errors.CleanError` for empty text or binary data.
    """
    removed: list[Removed] = []
    blocks = _paragraph_blocks(_check(text), removed)
    repaired = repair_blocks(blocks, boilerplate=boilerplate)
    canonical = canonicalize_url(url) if url and is_http_url(url) else url
    return Article(
        url=canonical,
        fetched_url=url,
        site_name=source,
        text="\n\n".join(b.text for b in repaired.blocks),
        blocks=repaired.blocks,
        embeds=repaired.embeds,
        quotes=repaired.quotes,
        provenance=repaired.provenance,
        removed=tuple(removed) + repaired.removed,
    )

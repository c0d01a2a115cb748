"""The repair of a story's blocks: one composition of the cleaning steps, used for blocks
extracted from HTML and for plain text alike. Pure.

Order: per-source boilerplate, collapsed embeds, relay footers and wire credits, quotations.
(Junk lines are decided earlier, per line, by :func:`newsdesk.clean.classify_line`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from newsdesk.clean.boilerplate import Boilerplate, sentences_of
from newsdesk.clean.embeds import might_hold_embed, repair_embeds
from newsdesk.clean.provenance import repair_provenance
from newsdesk.clean.quotes import find_quotes
from newsdesk.model import Block, Embed, Provenance, Quote, Removed

__all__ = ["Repaired", "repair_blocks"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Repaired:
    blocks: tuple[Block, ...]
    embeds: tuple[Embed, ...]
    quotes: tuple[Quote, ...]
    provenance: Provenance | None
    removed: tuple[Removed, ...]


def _strip_boilerplate(
    blocks: Sequence[Block], boilerplate: Boilerplate, removed: list[Removed]
) -> list[Block]:
    kept = []
    for block in blocks:
        if block.text in boilerplate:
            removed.append(Removed(text=block.text, reason="boilerplate"))
            continue
        sentences = sentences_of(block.text)
        if len(sentences) > 1:
            stay = [s for s in sentences if s not in boilerplate]
            if len(stay) < len(sentences):
                removed.extend(
                    Removed(text=s, reason="boilerplate") for s in sentences if s in boilerplate
                )
                if stay:
                    kept.append(Block(kind=block.kind, text=" ".join(stay), level=block.level))
                continue
        kept.append(block)
    return kept


def repair_blocks(
    blocks: Sequence[Block],
    *,
    boilerplate: Boilerplate | None = None,
    keep_embed_remnants: bool = False,
) -> Repaired:
    """Repair ``blocks``: what stays, what the story embeds and quotes, where it came from,
    and what was removed and why.

    ``keep_embed_remnants`` keeps the text of embed blockquotes (HTML input, where a quoted
    tweet is part of the story as published); glued post URLs are cut out either way.
    """
    removed: list[Removed] = []
    work = _strip_boilerplate(blocks, boilerplate, removed) if boilerplate else list(blocks)
    embeds: list[Embed] = []
    repaired: list[Block] = []
    for block in work:
        if block.kind == "code" or not might_hold_embed(block.text):
            repaired.append(block)
            continue
        fixed = repair_embeds([block.text], keep_remnants=keep_embed_remnants)
        embeds.extend(fixed.embeds)
        removed.extend(fixed.removed)
        for number, line in enumerate(fixed.lines):
            kind = block.kind if number == 0 else "paragraph"
            repaired.append(Block(kind=kind, text=line, level=block.level if number == 0 else None))
    prov = repair_provenance([b.text for b in repaired])
    final = [b for i, b in enumerate(repaired) if i not in prov.drop]
    removed.extend(prov.removed)
    quotes = find_quotes([b.text for b in final if b.kind != "code"])
    return Repaired(
        blocks=tuple(final),
        embeds=tuple(embeds),
        quotes=tuple(quotes),
        provenance=prov.provenance,
        removed=tuple(removed),
    )

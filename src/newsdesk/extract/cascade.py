"""When the first look finds little, look again: the body-finding cascade.

The first method (``dom``) is the pruned DOM's best container (``body.select_blocks``). When it
yields little text for a page that holds an article, general methods follow, each recorded:

1. ``jsonld``: the page's JSON-LD ``articleBody``, but only when the visible page shows its
   opening and its close (it is often a teaser, a stale version or another story);
2. ``density``: the whole page scored again after only the pruning no page contradicts
   (never-prose tags, hidden elements, navigation, footers, comment threads, cookie and
   newsletter boxes): furniture-looking names that hid the article on the first look
   (a ``sidebar`` layout class around the story, a ``poll`` category on a post) are left to
   the prose scorer.

Whatever wins, the Article's ``extraction`` says which method produced the body and why the
others were refused, so an empty body always comes with its reason. The body is then bounded
(``MAX_BLOCKS``, ``MAX_BODY_CHARS``) and what was cut is said in ``extraction.cut``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsdesk.extract.body import RawBlock, linearize, select_blocks
from newsdesk.extract.dom import parse, prune_light
from newsdesk.extract.finish import finish_blocks
from newsdesk.model import Extraction, Refusal, Removed

__all__ = ["MAX_BLOCKS", "MAX_BODY_CHARS", "SHORT", "Found", "bound_body", "look_again"]

_WS = re.compile(r"\s+")
# A body under this many characters (or under twice the page's own summary) is looked at
# again: shorter than most news stories' first four paragraphs.
SHORT = 1000
# A first body of this many characters may be the story (a short one): the second look
# replaces it only with another text, not with the same text and more around it.
SHORT_STORY = 500
# What one Article may hold: far above any real story (the longest gold text of the dev
# sets is 242,281 characters), far below what a 10 MB page can make.
MAX_BLOCKS = 20_000
MAX_BODY_CHARS = 1_000_000


@dataclass(slots=True)
class Found:
    """A body and how it was found: the blocks, what finishing removed, the method, and the
    methods refused before it."""

    blocks: list[RawBlock]
    removed: list[Removed]
    method: str = "dom"
    refused: list[Refusal] = field(default_factory=list)

    @property
    def chars(self) -> int:
        return sum(len(b.text) for b in self.blocks)

    def record(self, cut: str | None) -> Extraction:
        method = self.method if self.blocks else "none"
        return Extraction(method=method, refused=tuple(self.refused), cut=cut)


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """What the page says about its article besides its DOM."""

    html: str
    utf8: bytes | None  # ``html`` as the UTF-8 bytes fetched, when it was exactly that
    title: str | None
    authors: tuple[str, ...]
    lexicon: bool
    article_body: str | None
    description: str | None


def look_again(first: Found, evidence: Evidence) -> Found:
    """``first`` when it holds the article; else the best of the later methods, with the
    refusals recorded."""
    found = first
    ld = evidence.article_body
    if ld and found.chars < 0.5 * len(ld):
        found = _try_jsonld(found, ld, evidence)
    wanted = max(SHORT, 2 * len(evidence.description or ""))
    if found.chars < wanted:
        found = _try_density(found, evidence)
    if not found.blocks and not any(r.method == found.method for r in found.refused):
        found.refused.append(Refusal(method=found.method, why="no text block on the page"))
    return found


def _try_jsonld(found: Found, article_body: str, evidence: Evidence) -> Found:
    paragraphs = [_WS.sub(" ", p).strip() for p in article_body.splitlines()]
    paragraphs = [p for p in paragraphs if p]
    body = parse(evidence.html, evidence.utf8).body
    page_text = _WS.sub(" ", body.text(separator=" ")) if body is not None else ""
    if paragraphs and paragraphs[0][:80] in page_text and paragraphs[-1][-80:] in page_text:
        why = (
            f"{found.chars} characters, under half the {len(article_body)} of the page's "
            "JSON-LD articleBody, which the page shows"
        )
        return Found(
            blocks=[RawBlock("paragraph", p, None, 0, [], ()) for p in paragraphs],
            removed=found.removed,
            method="jsonld",
            refused=[*found.refused, Refusal(method=found.method, why=why)],
        )
    why = "articleBody is not shown on the page (a teaser, a stale version or another story)"
    found.refused.append(Refusal(method="jsonld", why=why))
    return found


def _try_density(found: Found, evidence: Evidence) -> Found:
    tree = parse(evidence.html, evidence.utf8)
    prune_light(tree, evidence.title)
    root = tree.body or tree.root
    if root is None:
        found.refused.append(Refusal(method="density", why="the page has no document body"))
        return found
    raw, nodes = linearize(root)
    blocks, removed = finish_blocks(
        select_blocks(raw, nodes),
        evidence.title,
        authors=evidence.authors,
        lexicon=evidence.lexicon,
    )
    chars = sum(len(b.text) for b in blocks)
    # Clearly more; or a short body where the first look kept nothing at all (a photo post's
    # one line in a "gallery" box): a line of prose is better than an empty body. A first
    # body of a story's length (SHORT_STORY or more) gives way only to another text, never to
    # itself with more around it (the captions, teasers and rails the first look removed).
    more = chars >= max(2 * found.chars, found.chars + 200)
    if more and found.chars >= SHORT_STORY:
        first = {b.text for b in found.blocks}
        more = first.isdisjoint(b.text for b in blocks)
    if more or (not found.blocks and chars >= 80):
        why = (
            f"{found.chars} characters after furniture removal; "
            f"the whole page scored again holds {chars}"
        )
        return Found(
            blocks=blocks,
            removed=removed,
            method="density",
            refused=[*found.refused, Refusal(method=found.method, why=why)],
        )
    if not blocks:
        why = "no prose on the whole page: its text is link lists, furniture or nothing"
    else:
        why = f"the whole page scored again holds {chars} characters, not clearly more"
    found.refused.append(Refusal(method="density", why=why))
    if not found.blocks:
        found.refused.insert(
            len(found.refused) - 1,
            Refusal(method=found.method, why="no text block survived furniture removal"),
        )
    return found


def bound_body(blocks: list[RawBlock]) -> tuple[list[RawBlock], str | None]:
    """``blocks`` up to ``MAX_BLOCKS`` blocks and ``MAX_BODY_CHARS`` characters, and what
    was cut (None when nothing was)."""
    total = 0
    for index, block in enumerate(blocks):
        total += len(block.text)
        if index == MAX_BLOCKS or total > MAX_BODY_CHARS:
            rest = sum(len(b.text) for b in blocks[index:])
            return blocks[:index], (
                f"body cut after {index:,} of {len(blocks):,} blocks ({rest:,} characters left out)"
            )
    return blocks, None

"""Main-content detection: the pruned DOM as a sequence of text blocks, then the article's.

1. ``linearize`` walks the DOM once (iteratively, so nesting depth is no limit) and turns it
   into text blocks: paragraphs, headings, list items, quotes, code. Each block knows its
   length, how much of it is link text, its links, and the chain of container elements
   (div, section, article, ...) it sits in.
2. ``select_blocks`` scores containers by the prose they hold (readability's idea: commas and
   length of low-link-density paragraphs, credited to the parent and, decaying, to the
   ancestors), picks the best, takes in sibling containers that also hold prose (an article
   split by ad rails comes out whole), then filters the chosen blocks one by one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborNode

__all__ = ["RawBlock", "linearize", "select_blocks"]

_BLOCK_KIND = {
    "p": "paragraph",
    "h1": "heading",
    "h2": "heading",
    "h3": "heading",
    "h4": "heading",
    "h5": "heading",
    "h6": "heading",
    "li": "list_item",
    "dt": "paragraph",
    "dd": "paragraph",
    "blockquote": "quote",
    "pre": "code",
}
_CONTAINERS = frozenset(
    {
        "div",
        "section",
        "article",
        "main",
        "body",
        "td",
        "th",
        "form",
        "center",
        "font",
        "details",
        "summary",
        "address",
        "fieldset",
        "table",
    }
)
_BREAKS = (
    frozenset(_BLOCK_KIND)
    | _CONTAINERS
    | frozenset(
        {"ul", "ol", "dl", "tr", "tbody", "thead", "tfoot", "hr", "br", "caption", "legend", "img"}
    )
)
_POSITIVE = re.compile(r"article|body|content|entry|main|post|story|text|blog|prose|column", re.I)
_NEGATIVE = re.compile(
    r"comment|meta|footer|foot|sidebar|widget|related|share|promo|sponsor|nav|menu|teaser|card",
    re.I,
)


@dataclass(slots=True)
class RawBlock:
    kind: str
    text: str
    level: int | None
    link_chars: int
    links: list[tuple[str, str]]
    containers: tuple[int, ...]  # mem_ids of container ancestors, outermost first

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0


@dataclass(slots=True)
class _Walk:
    blocks: list[RawBlock] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    link_chars: int = 0
    links: list[tuple[str, str]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    containers: list[int] = field(default_factory=list)
    nodes: dict[int, LexborNode] = field(default_factory=dict)
    in_link: int = 0
    # Where each open link's text starts in ``parts``, and the flush count then: a link's
    # text is read from the parts the walk gathered, unless a block broke inside it.
    link_starts: list[tuple[int, int]] = field(default_factory=list)
    flushes: int = 0

    def flush(self) -> None:
        if not self.parts:
            return
        self.flushes += 1
        text = " ".join("".join(self.parts).split())  # collapse whitespace (NBSP too)
        self.parts = []
        if text:
            kind, level = self._kind()
            self.blocks.append(
                RawBlock(
                    kind,
                    text,
                    level,
                    min(self.link_chars, len(text)),
                    self.links,
                    tuple(self.containers),
                )
            )
        self.link_chars = 0
        self.links = []

    def _kind(self) -> tuple[str, int | None]:
        if not self.kinds:
            return "paragraph", None
        if "blockquote" in self.kinds:
            return "quote", None
        if "pre" in self.kinds:
            return "code", None
        tag = self.kinds[-1]
        kind = _BLOCK_KIND[tag]
        return kind, int(tag[1]) if kind == "heading" else None


def linearize(root: LexborNode) -> tuple[list[RawBlock], dict[int, LexborNode]]:
    """Turn the subtree under ``root`` into text blocks in document order."""
    walk = _Walk()
    parts = walk.parts
    kinds, containers, nodes = walk.kinds, walk.containers, walk.nodes
    # Stack items: a node to enter, or (element, tag) to leave it. A node is read once per
    # visit (its tag, its text) and each step stays in this loop: per node, the crossings
    # into selectolax and Python calls are most of the walk's time.
    stack: list[LexborNode | tuple[LexborNode, str]] = [root]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        if isinstance(item, tuple):
            node, tag = item
            if tag == "a":
                walk.in_link -= 1
                start, flushes = walk.link_starts.pop()
                href = node.attrs.get("href")  # one attribute, not a dict of all of them
                if href:
                    # The link's text as gathered by the walk, not read again from the tree.
                    whole = flushes == walk.flushes
                    text = "".join(parts[start:]) if whole else node.text(deep=True)
                    walk.links.append((href, " ".join(text.split())))
                continue
            if parts:  # every other element left is a break
                walk.flush()
                parts = walk.parts
            if tag in _BLOCK_KIND:
                kinds.pop()
            elif tag in _CONTAINERS:
                containers.pop()
            continue
        node = item
        name = node.tag
        if name == "-text":
            content = node.text_content
            if content:
                parts.append(content)
                if walk.in_link:
                    walk.link_chars += len(content.strip())
            continue
        if name is None or name[0] == "-":  # comments, doctype
            continue
        tag = name
        if tag in _BREAKS:
            if parts:
                walk.flush()
                parts = walk.parts
            if tag in _BLOCK_KIND:
                kinds.append(tag)
            elif tag in _CONTAINERS:
                mem_id = node.mem_id
                containers.append(mem_id)
                nodes[mem_id] = node
            push((node, tag))
        elif tag == "a":
            walk.in_link += 1
            walk.link_starts.append((len(parts), walk.flushes))
            push((node, tag))
        # else inline formatting (span, em, b): leaving it does nothing
        extend(reversed([*node.iter(include_text=True)]))
    walk.flush()
    return walk.blocks, walk.nodes


def _class_weight(node: LexborNode) -> float:
    """A multiplier from the container's class and id: content-ish names up, furniture down."""
    attrs = node.attributes
    names = " ".join(filter(None, (attrs.get("class"), attrs.get("id"))))
    if not names:
        return 1.0
    weight = 1.0
    if _NEGATIVE.search(names):
        weight *= 0.7
    if _POSITIVE.search(names):
        weight *= 1.3
    return weight


@dataclass(slots=True)
class _Stats:
    """What one container holds: all text, link text, prose (long, link-poor blocks)."""

    text: int = 0
    links: int = 0
    prose: int = 0
    plain: int = 0  # text of link-poor blocks of any length or kind (headings, list items)
    score: float = 0.0
    parent: int | None = None


# A paragraph cut short with an ellipsis ("… [...]", "(more)") is a teaser of another page: a
# list of them (a blog's front page, "more stories") is not the article however long.
_TEASER_END = ("…", "...", "[…]", "[...]", "(more)", "(more…)", "(more...)")


def _collect(blocks: list[RawBlock]) -> dict[int, _Stats]:
    stats: dict[int, _Stats] = {}
    # Teasers come in lists: one paragraph that trails off ("this is an example of why…")
    # is the writer's style, three are another page's excerpts.
    teasers = sum(1 for b in blocks if len(b.text) >= 50 and b.text.endswith(_TEASER_END)) >= 3
    for block in blocks:
        length = len(block.text)
        teaser = teasers and length >= 50 and block.text.endswith(_TEASER_END)
        is_prose = (
            length >= 50 and block.link_density < 0.3 and block.kind != "list_item" and not teaser
        )
        is_plain = block.link_density < 0.3
        parent = None
        for cid in block.containers:
            stat = stats.get(cid)
            if stat is None:
                stat = stats[cid] = _Stats(parent=parent)
            stat.text += length
            stat.links += block.link_chars
            if is_prose:
                stat.prose += length
            if is_plain:
                stat.plain += length
            parent = cid
        if length < 25 or block.link_density > 0.5 or not block.containers or teaser:
            continue
        score = 1.0 + block.text.count(",") + block.text.count("，") + min(length / 100, 3.0)
        for depth, cid in enumerate(reversed(block.containers[-3:])):
            stats[cid].score += score / (1 + depth) if depth < 2 else score / (depth * 3)
    return stats


def _best_container(stats: dict[int, _Stats], nodes: dict[int, LexborNode]) -> int | None:
    best_id, best_score = None, 0.0
    for cid, stat in stats.items():
        if stat.score <= 0:
            continue
        density = stat.links / stat.text if stat.text else 0.0
        base = stat.score * (1.0 - density)
        # The class weight is at most 1.3: a container that cannot win even with it is not
        # asked for its names (a crossing into the DOM per container).
        if base * 1.3 <= best_score:
            continue
        final = base * _class_weight(nodes[cid])
        if final > best_score:
            best_id, best_score = cid, final
    return best_id


WIDEN = 0.8
WIDEN_SECTIONS = 0.95
SMALL = 40


def _widen(best_id: int, stats: dict[int, _Stats]) -> int:
    """Climb to ancestors while what each one adds is mostly prose.

    An article cut into several containers by ad rails or "companion columns" has its
    paragraphs spread over siblings; their common ancestor adds prose, not furniture.
    """
    current = reached = best_id
    pending = False  # a label climbed over, not yet followed by prose
    for _ in range(8):
        stat = stats[current]
        parent_id = stat.parent
        if parent_id is None:
            break
        parent = stats[parent_id]
        added_text = parent.text - stat.text
        added_prose = parent.prose - stat.prose
        added_plain = parent.plain - stat.plain
        # Mostly prose; or the article's other sections: headings, lists, tables and code
        # with prose between them (link-poor throughout, and at least part prose).
        sections = added_plain >= WIDEN_SECTIONS * added_text and added_prose >= 0.4 * added_text
        # A few characters of no links (a heading, a dateline between two parts) do not stop
        # the climb, but are kept only when a level above adds prose: a label the climb
        # ends on (the site's name above the story) stays out.
        small = 0 < added_text <= SMALL and parent.links == stat.links
        if added_text > 0 and not small and added_prose < WIDEN * added_text and not sections:
            break
        current = parent_id
        pending = pending or small
        if (added_text > 0 and not small) or not pending:
            reached, pending = current, False
    return reached


def select_blocks(blocks: list[RawBlock], nodes: dict[int, LexborNode]) -> list[RawBlock]:
    """The blocks of the main article, in document order."""
    if not blocks:
        return []
    stats = _collect(blocks)
    best_id = _best_container(stats, nodes)
    if best_id is None:
        return [b for b in blocks if b.link_density < 0.5]
    chosen = _with_twins(_widen(best_id, stats), stats, nodes)
    return [b for b in blocks if not chosen.isdisjoint(b.containers)]


def _with_twins(best_id: int, stats: dict[int, _Stats], nodes: dict[int, LexborNode]) -> set[int]:
    """The container plus its siblings of the same tag and class: the other parts of a body
    that ad slots or newsletter boxes cut in pieces (``div.article-body`` twice). A twin must
    itself read as prose, so a repeated layout class (``div.col``) brings in nothing else."""
    best = nodes[best_id]
    chosen = {best_id}
    signature = best.attributes.get("class")
    parent = best.parent
    if not signature or parent is None:
        return chosen
    sibling = parent.child
    while sibling is not None:
        twin = stats.get(sibling.mem_id)
        if (
            twin is not None
            and twin.prose >= 0.5 * twin.text
            and sibling.tag == best.tag
            and sibling.attributes.get("class") == signature
        ):
            chosen.add(sibling.mem_id)
        sibling = sibling.next
    return chosen

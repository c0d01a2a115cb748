"""HTML page → Article. Pure: no network, disk or clock (DESIGN §4.1).

The stages, in order: decode bytes (``decode``), parse, read metadata and embeds from the
whole page (``metadata``, ``embeds``), prune furniture (``dom``), find the article's blocks
(``body``), then assemble the Article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from selectolax.lexbor import LexborHTMLParser

from newsdesk.clean import Boilerplate, repair_blocks
from newsdesk.errors import ExtractionError
from newsdesk.extract.body import RawBlock, linearize, select_blocks
from newsdesk.extract.decode import decode_page, reject_binary
from newsdesk.extract.dom import parse, prune
from newsdesk.extract.embeds import CHROME_SELECTOR, find_embeds
from newsdesk.extract.finish import finish_blocks
from newsdesk.extract.metadata import Metadata, read_metadata
from newsdesk.model import Article, Block, Decoding, Embed, Link, Removed
from newsdesk.urls import absolute_url, canonicalize_url, is_http_url

__all__ = ["ExtractOptions", "extract"]

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
_WORD = re.compile(r"\w")
_WS = re.compile(r"\s+")


def _as_text(html: str | bytes, charset: str | None) -> tuple[str, bytes | None, Decoding | None]:
    """The page as text, as UTF-8 bytes when the input already was exactly that, and how
    it was decoded (``charset``: the HTTP header's)."""
    if isinstance(html, bytes | bytearray | memoryview):
        data = bytes(html)
        if not data.strip():
            raise ExtractionError("input is empty")
        reject_binary(data)
        decoded = decode_page(data, charset)
        exact = decoded.decoding.encoding == "utf-8" and decoded.decoding.source != "bom"
        exact = exact and not decoded.decoding.replaced
        return decoded.text, data if exact else None, decoded.decoding
    if not isinstance(html, str):
        raise ExtractionError(f"extract() takes str or bytes, not {type(html).__name__}")
    return html, None, None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtractOptions:
    """How to extract. ``clean`` runs the cleaning stage (junk lines, collapsed embeds,
    relay footers, wire credits, quotes); turning it off leaves the chosen blocks as they
    are (for comparison). ``boilerplate`` is the page's source's learnt boilerplate.
    ``charset`` is the HTTP Content-Type charset the page's bytes came with."""

    clean: bool = True
    boilerplate: Boilerplate | None = None
    charset: str | None = None


DEFAULT_OPTIONS = ExtractOptions()


def extract(
    html: str | bytes, url: str | None = None, *, options: ExtractOptions = DEFAULT_OPTIONS
) -> Article:
    """Extract the article from one HTML page.

    ``html`` is the page as text or as the bytes fetched (decoded from its BOM, its declared
    charset or by detection). ``url`` is where the page came from; it resolves relative links
    and is the fallback canonical URL.

    Raises :class:`~newsdesk.errors.ExtractionError` when the input is empty, is not HTML
    (a PDF, an image, binary data) or holds no text at all. Broken markup is not an error.
    """
    text, utf8, decoding = _as_text(html, options.charset)
    if not text.strip():
        raise ExtractionError("input is empty")
    sample = text[:4096]
    if len(_CONTROL.findall(sample)) > len(sample) // 10:
        raise ExtractionError("input is binary data, not an HTML page")
    tree = parse(text, utf8)
    meta = read_metadata(tree, url)
    embeds = find_embeds(tree, meta.url or url)
    chrome = _remove_embed_chrome(tree)
    prune(tree)
    root = tree.body or tree.root
    if root is None:
        raise ExtractionError("the page has no document body")
    raw, nodes = linearize(root)
    chosen, removed = finish_blocks(
        select_blocks(raw, nodes), meta.title, authors=tuple(meta.authors), lexicon=options.clean
    )
    if meta.article_body and sum(len(b.text) for b in chosen) < 0.5 * len(meta.article_body):
        chosen = _body_from_jsonld(meta.article_body, text) or chosen
    if not chosen and not meta.title and not _WORD.search(text):
        raise ExtractionError("the page holds no text")
    article = replace(_assemble(meta, chosen, chrome + removed, embeds, url), decoding=decoding)
    return _cleaned(article, options) if options.clean else article


def _cleaned(article: Article, options: ExtractOptions) -> Article:
    """The Article after the cleaning stage (DESIGN §1: extract, then clean.repair)."""
    repaired = repair_blocks(
        article.blocks, boilerplate=options.boilerplate, keep_embed_remnants=True
    )
    known = {e.url for e in article.embeds}
    embeds = article.embeds + tuple(e for e in repaired.embeds if e.url not in known)
    return replace(
        article,
        text="\n\n".join(b.text for b in repaired.blocks),
        blocks=repaired.blocks,
        embeds=embeds,
        quotes=repaired.quotes,
        provenance=repaired.provenance,
        removed=article.removed + repaired.removed,
    )


def _remove_embed_chrome(tree: LexborHTMLParser) -> list[Removed]:
    removed = []
    outer = []
    # Outer nodes only, all found before any is detached: decomposing a node inside an
    # already removed one would touch freed memory.
    found = tree.css(CHROME_SELECTOR)
    ids = {node.mem_id for node in found}
    for node in found:
        parent, nested = node.parent, False
        while parent is not None and not nested:
            nested = parent.mem_id in ids
            parent = parent.parent
        if not nested:
            outer.append(node)
            text = _WS.sub(" ", node.text(deep=True, separator=" ")).strip()
            if text:
                removed.append(Removed(text=text, reason="embed"))
    for node in outer:
        node.decompose()
    return removed


def _body_from_jsonld(article_body: str, html: str) -> list[RawBlock] | None:
    """JSON-LD ``articleBody`` as the body, but only when the page agrees with it.

    It is often a teaser, a stale version or another story, so it is used only when the
    DOM gave much less text and the visible page text contains its opening and its close.
    """
    paragraphs = [_WS.sub(" ", p).strip() for p in article_body.splitlines()]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return None
    body = parse(html).body
    page_text = _WS.sub(" ", body.text(separator=" ")) if body is not None else ""
    first, last = paragraphs[0][:80], paragraphs[-1][-80:]
    if first not in page_text or last not in page_text:
        return None
    return [RawBlock("paragraph", p, None, 0, [], ()) for p in paragraphs]


def _assemble(
    meta: Metadata,
    chosen: list[RawBlock],
    removed: list[Removed],
    embeds: list[Embed],
    url: str | None,
) -> Article:
    base = meta.url or url
    blocks = tuple(Block(kind=b.kind, text=b.text, level=b.level) for b in chosen)  # type: ignore[arg-type]
    links: list[Link] = []
    seen: set[str] = set()
    for block in chosen:
        for href, anchor in block.links:
            resolved = absolute_url(href, base)
            if resolved and is_http_url(resolved):
                resolved = canonicalize_url(resolved)
            if resolved and resolved not in seen:
                seen.add(resolved)
                links.append(Link(url=resolved, text=anchor))
    canonical = meta.url or url
    return Article(
        url=canonicalize_url(canonical) if canonical and is_http_url(canonical) else canonical,
        fetched_url=url,
        title=meta.title,
        authors=tuple(meta.authors),
        published=meta.published,
        updated=meta.updated,
        site_name=meta.site_name,
        language=meta.language,
        description=meta.description,
        image=meta.image,
        section=meta.section,
        tags=tuple(meta.tags),
        text="\n\n".join(b.text for b in blocks),
        blocks=blocks,
        embeds=tuple(embeds),
        links=tuple(links),
        removed=tuple(removed),
    )

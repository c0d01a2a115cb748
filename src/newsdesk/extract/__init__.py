"""HTML page → Article. Pure: no network, disk or clock (DESIGN §4.1).

The stages, in order: decode bytes (``decode``), parse, read metadata and embeds from the
whole page (``metadata``, ``embeds``), prune furniture (``dom``), find the article's blocks
(``body``), then assemble the Article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from selectolax.lexbor import LexborHTMLParser

from newsdesk.clean import Boilerplate, repair_blocks, strip_xml_invalid_fields
from newsdesk.errors import ExtractionError
from newsdesk.extract.body import RawBlock, linearize, select_blocks
from newsdesk.extract.cascade import Evidence, Found, bound_body, look_again
from newsdesk.extract.decode import decode_page, reject_binary
from newsdesk.extract.dom import bound_markup, parse, prune
from newsdesk.extract.embeds import CHROME_SELECTOR, find_embeds
from newsdesk.extract.finish import finish_blocks
from newsdesk.extract.metadata import Metadata, read_metadata
from newsdesk.model import Article, Block, Decoding, Embed, Link, Refusal, Removed
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
        if not data or data.isspace():  # no copy of the page, as strip() would make
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
    if not text or text.isspace():
        raise ExtractionError("input is empty")
    sample = text[:4096]
    if len(_CONTROL.findall(sample)) > len(sample) // 10:
        raise ExtractionError("input is binary data, not an HTML page")
    text, cut = bound_markup(text)
    tree = parse(text, None if cut else utf8)
    meta = read_metadata(tree, url, text)
    embeds = find_embeds(tree, meta.url or url)
    chrome = _remove_embed_chrome(tree)
    prune(tree, meta.title)
    root = tree.body or tree.root
    if root is None:
        raise ExtractionError("the page has no document body")
    raw, nodes = linearize(root)
    authors = tuple(meta.authors)
    first = Found(
        *finish_blocks(
            select_blocks(raw, nodes), meta.title, authors=authors, lexicon=options.clean
        )
    )
    del tree, raw, nodes, root  # the first look's DOM is not needed by the next ones
    evidence = Evidence(
        html=text,
        utf8=None if cut else utf8,
        title=meta.title,
        authors=authors,
        lexicon=options.clean,
        article_body=meta.article_body,
        description=meta.description,
    )
    found = look_again(first, evidence)
    chosen, body_cut = bound_body(found.blocks)
    if not chosen and not meta.title and not _WORD.search(text):
        raise ExtractionError("the page holds no text")
    extraction = found.record("; ".join(filter(None, (cut, body_cut))) or None)
    article = replace(
        _assemble(meta, chosen, chrome + found.removed, embeds, url),
        decoding=decoding,
        extraction=extraction,
    )
    article = _cleaned(article, options) if options.clean else article
    # No string of the record carries what XML forbids: a lone surrogate (JSON-LD's
    # "\ud800") could be neither printed as UTF-8 nor stored.
    return strip_xml_invalid_fields(article)


def _cleaned(article: Article, options: ExtractOptions) -> Article:
    """The Article after the cleaning stage (DESIGN §1: extract, then clean.repair)."""
    repaired = repair_blocks(
        article.blocks, boilerplate=options.boilerplate, keep_embed_remnants=True
    )
    known = {e.url for e in article.embeds}
    embeds = article.embeds + tuple(e for e in repaired.embeds if e.url not in known)
    extraction = article.extraction
    if article.blocks and not repaired.blocks and extraction is not None:
        reasons = sorted({r.reason for r in repaired.removed})
        why = f"cleaning removed every block ({', '.join(reasons) or 'nothing left'})"
        refused = (*extraction.refused, Refusal(method=extraction.method, why=why))
        extraction = replace(extraction, method="none", refused=refused)
    return replace(
        article,
        text="\n\n".join(b.text for b in repaired.blocks),
        blocks=repaired.blocks,
        embeds=embeds,
        quotes=repaired.quotes,
        provenance=repaired.provenance,
        removed=article.removed + repaired.removed,
        extraction=extraction,
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
    asked: set[str] = set()  # an href seen again resolves to what it did: no need to ask
    for block in chosen:
        for href, anchor in block.links:
            if href in asked:
                continue
            asked.add(href)
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

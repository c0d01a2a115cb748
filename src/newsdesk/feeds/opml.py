"""OPML subscription lists in and out. Pure; parsed with defusedxml (no DTD, no entity
expansion) after the common malformations are mended (``xmlfix``: a stray ``&``, HTML
entities). Folders become each feed's ``category`` ("News/Local") and are written back as
nested outlines. Only http(s) URLs are read or written."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape, quoteattr

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from newsdesk.clean import strip_xml_invalid
from newsdesk.errors import FeedParseError
from newsdesk.feeds.xmlfix import mend_xml
from newsdesk.model import Source
from newsdesk.urls import is_http_url

__all__ = [
    "FOLLOWABLE_KINDS",
    "OpmlImport",
    "Outline",
    "Skipped",
    "outlines_from_sources",
    "parse_opml",
    "read_opml",
    "render_opml",
]

# What another feed reader can follow: news sitemaps are newsdesk's own, and are not listed.
FOLLOWABLE_KINDS = frozenset({"rss", "atom", "jsonfeed"})
_VERSIONS = {"rss": "RSS", "atom": "Atom", "jsonfeed": "JSONFeed"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Outline:
    xml_url: str
    title: str | None = None
    html_url: str | None = None
    category: str | None = None  # the folders it is in, "/"-joined
    kind: str | None = None  # rss, atom, jsonfeed (sitemap and None: not known to be a feed)


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    """An outline that was not imported, and why."""

    text: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OpmlImport:
    outlines: tuple[Outline, ...]
    skipped: tuple[Skipped, ...] = ()
    problems: tuple[str, ...] = ()  # malformations mended in the document as a whole


def parse_opml(body: bytes) -> list[Outline]:
    """Every feed outline (``xmlUrl``) in an OPML document, nested folders included."""
    return list(read_opml(body).outlines)


def read_opml(body: bytes) -> OpmlImport:
    """The feed outlines of an OPML document, each with its folder as ``category``; the
    outlines skipped (no ``xmlUrl``, not http(s), listed twice) with the reason; and what was
    mended. Raises FeedParseError when it is no OPML at all (or declares a DTD)."""
    mended, problems = mend_xml(body)
    try:
        root = SafeET.fromstring(
            mended, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise FeedParseError(f"not a valid OPML document ({exc})") from exc
    if root.tag.lower() != "opml":
        raise FeedParseError(f"not an OPML document (root element <{root.tag}>)")
    found: list[Outline] = []
    skipped: list[Skipped] = []
    body_node = next((n for n in root if n.tag.lower() == "body"), root)
    _walk(body_node, (), found, skipped)
    return OpmlImport(outlines=tuple(found), skipped=tuple(skipped), problems=problems)


def _attr(node: Element, name: str) -> str | None:
    value = node.get(name)
    if value is None:
        value = next((v for k, v in node.attrib.items() if k.lower() == name.lower()), None)
    value = " ".join(value.split()) if value else None
    return value or None


def _walk(
    parent: Element, folders: tuple[str, ...], found: list[Outline], skipped: list[Skipped]
) -> None:
    for node in parent:
        if node.tag.lower() != "outline":
            continue
        label = _attr(node, "title") or _attr(node, "text")
        xml_url = _attr(node, "xmlUrl")
        children = [c for c in node if c.tag.lower() == "outline"]
        if xml_url is None:
            if children:  # a folder
                _walk(node, (*folders, label) if label else folders, found, skipped)
            elif label:
                skipped.append(Skipped(text=label, reason="no xmlUrl (not a feed)"))
            continue
        if not is_http_url(xml_url):
            skipped.append(
                Skipped(text=label or xml_url, reason=f"xmlUrl is not http(s): {xml_url[:80]}")
            )
            continue
        if any(o.xml_url == xml_url for o in found):
            skipped.append(Skipped(text=label or xml_url, reason="listed twice"))
            continue
        html_url = _attr(node, "htmlUrl")
        category = "/".join(folders) or _category_attr(node)
        found.append(
            Outline(
                xml_url=xml_url,
                title=label,
                html_url=html_url if is_http_url(html_url) else None,
                category=category or None,
            )
        )


def _category_attr(node: Element) -> str | None:
    """OPML 2.0's ``category`` attribute: comma-separated, "/"-delimited; the first one."""
    value = _attr(node, "category")
    if not value:
        return None
    first = value.split(",")[0].strip().strip("/")
    return first or None


def outlines_from_sources(sources: Iterable[Source]) -> tuple[list[Outline], list[Source]]:
    """The followed sources as outlines another reader can follow, and the sources left out
    (news sitemaps and sitemap indexes, and any URL that is not http(s)). A source not yet
    checked (kind unknown, as after an import) is listed."""
    outlines, left = [], []
    for source in sources:
        if (source.kind is None or source.kind in FOLLOWABLE_KINDS) and is_http_url(source.url):
            outlines.append(
                Outline(
                    xml_url=source.url,
                    title=source.title,
                    html_url=source.site_url,
                    category=source.category,
                    kind=source.kind,
                )
            )
        else:
            left.append(source)
    return outlines, left


def render_opml(outlines: list[Outline], *, title: str = "newsdesk sources") -> str:
    """An OPML 2.0 subscription list: folders as nested outlines (and the ``category``
    attribute), ``type="rss"`` as readers expect with ``version`` naming the real kind.
    Outlines whose xmlUrl is not http(s) are left out; an htmlUrl that is not is dropped."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{escape(title)}</title></head>",
        "  <body>",
    ]
    root = _Folder()
    for outline in outlines:
        if is_http_url(outline.xml_url):
            folder = root
            for name in (outline.category or "").split("/"):
                if name.strip():
                    folder = folder.folders.setdefault(name.strip(), _Folder())
            folder.feeds.append(outline)
    _render_folder(root, lines, "    ")
    lines += ["  </body>", "</opml>", ""]
    return strip_xml_invalid("\n".join(lines))  # a title may hold what XML forbids


@dataclass(slots=True)
class _Folder:
    feeds: list[Outline] = field(default_factory=list)
    folders: dict[str, _Folder] = field(default_factory=dict)


def _render_folder(folder: _Folder, lines: list[str], indent: str) -> None:
    for outline in folder.feeds:
        lines.append(f"{indent}<outline {_feed_attrs(outline)}/>")
    for name, child in folder.folders.items():
        lines.append(f"{indent}<outline text={quoteattr(name)} title={quoteattr(name)}>")
        _render_folder(child, lines, indent + "  ")
        lines.append(f"{indent}</outline>")


def _feed_attrs(outline: Outline) -> str:
    label = quoteattr(outline.title or outline.xml_url)
    attrs = f"text={label}"
    if outline.title:
        attrs += f" title={label}"
    attrs += f' type="rss" xmlUrl={quoteattr(outline.xml_url)}'
    if outline.kind in _VERSIONS:
        attrs += f' version="{_VERSIONS[outline.kind]}"'
    if outline.html_url and is_http_url(outline.html_url):
        attrs += f" htmlUrl={quoteattr(outline.html_url)}"
    if outline.category:
        attrs += f" category={quoteattr('/' + outline.category.strip('/'))}"
    return attrs

"""OPML subscription lists in and out. Pure; parsed with defusedxml (no entity expansion)."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from newsdesk.errors import FeedParseError
from newsdesk.urls import is_http_url

__all__ = ["Outline", "parse_opml", "render_opml"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Outline:
    xml_url: str
    title: str | None = None
    html_url: str | None = None


def parse_opml(body: bytes) -> list[Outline]:
    """Every feed outline (``xmlUrl``) in an OPML document, nested folders included."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise FeedParseError(f"not a valid OPML document ({exc})") from exc
    if root.tag.lower() != "opml":
        raise FeedParseError(f"not an OPML document (root element <{root.tag}>)")
    outlines = []
    for node in root.iter("outline"):
        url = (node.get("xmlUrl") or node.get("xmlurl") or "").strip()
        if is_http_url(url):
            outlines.append(
                Outline(
                    xml_url=url,
                    title=node.get("title") or node.get("text"),
                    html_url=node.get("htmlUrl") or node.get("htmlurl"),
                )
            )
    return outlines


def render_opml(outlines: list[Outline], *, title: str = "newsdesk sources") -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{title}</title></head>",
        "  <body>",
    ]
    for outline in outlines:
        attrs = f'type="rss" xmlUrl={quoteattr(outline.xml_url)}'
        if outline.title:
            attrs = f"text={quoteattr(outline.title)} title={quoteattr(outline.title)} " + attrs
        else:
            attrs = f"text={quoteattr(outline.xml_url)} " + attrs
        if outline.html_url:
            attrs += f" htmlUrl={quoteattr(outline.html_url)}"
        lines.append(f"    <outline {attrs}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)

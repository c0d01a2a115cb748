"""Parsing and pruning: the page as a Lexbor DOM, minus what can never be article text.

Pruning uses general evidence only (DESIGN §4.11): tags that never hold prose, hidden
elements, and class/id/role vocabularies that sites of every kind use for page furniture.
A furniture-looking element that holds most of the page's text is kept (a wrapper named
``post has-comments`` is the article, not a comment section).
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["parse", "prune"]

# Tags whose content is never article prose.
_DROP_TAGS = [
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "math",
    "iframe",
    "object",
    "embed",
    "canvas",
    "video",
    "audio",
    "button",
    "input",
    "select",
    "textarea",
    "option",
    "dialog",
    "link",
    "meta",
    "head",
    "title",
]
# Structural furniture. Removed unless it holds most of the page's text.
_FURNITURE_TAGS = frozenset({"nav", "aside", "footer", "header", "figure", "figcaption", "menu"})
_FURNITURE_ROLES = frozenset(
    {
        "navigation",
        "complementary",
        "banner",
        "contentinfo",
        "search",
        "menu",
        "menubar",
        "dialog",
        "alertdialog",
        "toolbar",
        "note",
    }
)
# Matched as substrings of the lower-cased class and id with "-" and "_" removed, so
# "share-bar", "social_share" and "ShareTools" all match "share". Plain substring search is
# about five times faster than one alternation regex here, and pruning runs on every element.
_NEGATIVE = (
    "comment",
    "disqus",
    "share",
    "sharing",
    "social",
    "newsletter",
    "subscri",
    "signup",
    "related",
    "recommend",
    "promo",
    "sponsor",
    "advert",
    "adslot",
    "adunit",
    "adcontainer",
    "adwrapper",
    "dfp",
    "doubleclick",
    "outbrain",
    "taboola",
    "zergnet",
    "cookie",
    "consent",
    "gdpr",
    "breadcrumb",
    "byline",
    "caption",
    "credit",
    "sidebar",
    "widget",
    "popular",
    "trending",
    "mostread",
    "pagination",
    "pager",
    "masthead",
    "navbar",
    "navigation",
    "menu",
    "toolbar",
    "modal",
    "popup",
    "overlay",
    "banner",
    "author",
    "tags",
    "taglist",
    "keywords",
    "topics",
    "print",
    "skip",
    "sronly",
    "screenreader",
    "visuallyhidden",
    "offscreen",
    "hidden",
    "rating",
    "vote",
    "timestamp",
    "dateline",
    "readmore",
    "morestories",
    "alsoread",
    "nextarticle",
    "prevarticle",
    "paywall",
    "donate",
    "footer",
    "header",
    "rail",
    "teaser",
    "gallery",
    "slideshow",
    "carousel",
    "videoplayer",
    "playlist",
    "poll",
    "quiz",
    "survey",
    "login",
    "register",
    "alertbar",
)
# Furniture whatever its size: never shielded by the "holds much of the prose" guard.
_STRONG = ("comment", "disqus", "cookie", "consent", "outbrain", "taboola", "newsletter")
_AD_TOKENS = frozenset({"ad", "ads", "adv", "advertisement", "gpt", "ad1", "ad2", "ad3"})
_POSITIVE = (
    "articlebody",
    "storybody",
    "postbody",
    "entrycontent",
    "postcontent",
    "articlecontent",
    "articletext",
    "storycontent",
    "storytext",
    "maincontent",
    "bodytext",
    "contentbody",
    "richtext",
    "markdownbody",
    "textbody",
    "paywallcontent",
    "articlecopy",
    "storycopy",
)
_SEPARATORS = str.maketrans("", "", "-_")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_KEEP_TAGS = frozenset({"html", "body", "main", "article"})


# HTML5 tree building checks "element in scope" by walking the stack of open elements, so
# parsing N nested block elements costs O(N²) (100,000 nested divs: 16 s). Nesting deeper
# than this is flattened before parsing: the tags past the limit go, their text stays.
MAX_DEPTH = 1000
_NESTING_TAG = re.compile(
    r"<(/?)(?:div|section|article|blockquote|table|ul|ol|dl|li|td|tr|span|font|a|b|i|em|strong)"
    r"(?=[\s>/])[^>]*>",
    re.I,
)


def _flatten_deep_nesting(html: str) -> str:
    depth = deepest = 0
    for closing in _NESTING_TAG.findall(html):
        depth = depth - 1 if closing else depth + 1
        deepest = max(deepest, depth)
    if deepest <= MAX_DEPTH:
        return html
    depth = 0

    def keep_shallow(match: re.Match[str]) -> str:
        nonlocal depth
        if match.group(1):
            depth -= 1
            return match.group(0) if depth < MAX_DEPTH else ""
        depth += 1
        return match.group(0) if depth <= MAX_DEPTH else ""

    return _NESTING_TAG.sub(keep_shallow, html)


def parse(html: str) -> LexborHTMLParser:
    """Parse ``html`` into a Lexbor DOM (never raises on broken markup; linear time)."""
    return LexborHTMLParser(_flatten_deep_nesting(html))


def _names_are_furniture(names: str) -> bool:
    lowered = names.lower()
    squashed = lowered.translate(_SEPARATORS)
    if any(word in squashed for word in _POSITIVE):
        return False
    if any(word in squashed for word in _NEGATIVE):
        return True
    tokens = lowered.replace("-", " ").replace("_", " ").split()
    return not _AD_TOKENS.isdisjoint(tokens)


def _is_furniture(node: LexborNode, verdicts: dict[str, bool]) -> bool:
    tag = node.tag
    if tag in _KEEP_TAGS:
        return False
    attrs = node.attributes
    if "hidden" in attrs or _HIDDEN_STYLE.search(attrs.get("style") or ""):
        return True
    if attrs.get("aria-hidden") == "true" and tag not in ("div", "section", "p"):
        return True
    if tag in _FURNITURE_TAGS:
        return True
    if attrs.get("role") in _FURNITURE_ROLES:
        return True
    names = " ".join(filter(None, (attrs.get("class"), attrs.get("id"))))
    if not names:
        return attrs.get("itemprop") in ("author", "publisher")
    verdict = verdicts.get(names)
    if verdict is None:
        verdict = verdicts[names] = _names_are_furniture(names)
    return verdict


def _strong_furniture(node: LexborNode) -> bool:
    if node.tag in ("nav", "footer"):
        return True
    attrs = node.attributes
    names = " ".join(filter(None, (attrs.get("class"), attrs.get("id")))).lower()
    return any(word in names for word in _STRONG) and not any(
        word in names.translate(_SEPARATORS) for word in _POSITIVE
    )


def _prose_chars(node: LexborNode) -> int:
    """Characters of text under ``node`` that are not link text."""
    total = len(node.text(deep=True, strip=True))
    for anchor in node.css("a"):
        total -= len(anchor.text(deep=True, strip=True))
    return total


def prune(tree: LexborHTMLParser) -> None:
    """Remove never-prose tags, hidden elements and page furniture from ``tree`` in place."""
    tree.strip_tags(_DROP_TAGS)
    body = tree.body
    if body is None:
        return
    total = _prose_chars(body) or 1
    doomed: dict[int, LexborNode] = {}
    verdicts: dict[str, bool] = {}  # class/id strings repeat a lot within a page
    for node in body.traverse():
        if node.is_element_node and _is_furniture(node, verdicts):
            doomed[node.mem_id] = node
    # Nearest doomed ancestor of each doomed node, computed before anything is detached.
    owner: dict[int, int | None] = {}
    for mem_id, node in doomed.items():
        parent = node.parent
        owner[mem_id] = None
        while parent is not None:
            if parent.mem_id in doomed:
                owner[mem_id] = parent.mem_id
                break
            parent = parent.parent
    removed: set[int] = set()
    for mem_id, node in doomed.items():  # document order: ancestors come first
        up = owner[mem_id]
        if up is not None and up in removed:
            removed.add(mem_id)  # already gone with its ancestor; never touch it again
            continue
        # Guard: furniture-looking wrappers that carry much of the page's prose stay.
        if (
            len(node.text(deep=True, separator=" ", strip=True)) > 300
            and _prose_chars(node) > 0.3 * total
            and not _strong_furniture(node)
        ):
            continue
        removed.add(mem_id)
        node.decompose()

"""Parsing and pruning: the page as a Lexbor DOM, minus what can never be article text.

Pruning uses general evidence only (DESIGN §4.11): tags that never hold prose, hidden
elements, and class/id/role vocabularies that sites of every kind use for page furniture.
A furniture-looking element that holds most of the page's text is kept (a wrapper named
``post has-comments`` is the article, not a comment section).
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import accumulate

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["MAX_TAGS", "bound_markup", "parse", "prune", "prune_light"]

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
# One pass of the selector engine finds them all (``strip_tags`` walks the tree once per tag).
_DROP_SELECTOR = ", ".join(_DROP_TAGS)
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
    "copyright",
    "disclaimer",
)
# Furniture whatever its size: never shielded by the "holds much of the prose" guard.
_SIDEBAR_TOKEN = re.compile(r"^(?:[a-z]+[-_])?(?:sidebar|side-bar|aside)(?:[-_][a-z0-9]+)?$")
# A sidebar by a name that says nothing else ("sidebar", "sidebar2", "right-sidebar"), unlike
# layout classes that carry the story ("l-sidebar-fixed", "content-sidebar-wrap").
_PLAIN_SIDEBAR = re.compile(
    r"(?:^|\s)(?:(?:left|right|primary|secondary)[-_]?)?sidebar(?:[-_]?(?:\d|left|right))?(?:\s|$)"
)
_HAS_SIDEBAR = ("has-", "has_", "with-", "with_", "no-", "no_", "one-", "two-", "page-")
_STRONG = (
    "comment",
    "disqus",
    "cookie",
    "consent",
    "outbrain",
    "taboola",
    "newsletter",
    "copyright",
    "disclaimer",
)
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


def _any_word(words: tuple[str, ...]) -> re.Pattern[str]:
    """A regex that finds any of ``words`` as a substring, built as a trie.

    ``any(w in s for w in words)`` costs one scan per word; an alternation regex backtracks
    through every branch at every position. A trie shares prefixes and lets the regex engine
    skip positions by first character: about five times faster than either here.
    """
    root: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in sorted(set(words), key=len):
        node = root
        for char in word:
            if "" in node:
                break  # a shorter word is a prefix: it already matches
            node = node.setdefault(char, {})
        else:
            node.clear()
            node[""] = {}

    def emit(node: dict[str, dict]) -> str:  # type: ignore[type-arg]
        if "" in node:
            return ""
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return re.compile(emit(root))


_NEGATIVE_RE = _any_word(_NEGATIVE)
_POSITIVE_RE = _any_word(_POSITIVE)
_STRONG_RE = _any_word(_STRONG)
_COMMENTS_RE = _any_word(("comment", "disqus"))
# Furniture by tag, role or hidden state. The selector engine finds the elements that have
# one of the attributes at all (one short selector: a long list of exact values costs it
# about twice as much), and a test of the few it finds keeps those whose value says
# furniture, with the selector's semantics: whole values, case-sensitive, except the style's
# rules, which are substrings in any case.
# The same pass finds the tag links (see ``_mark_tag_lists``).
_FURNITURE_SELECTOR = ", ".join(
    [
        *sorted(_FURNITURE_TAGS),
        *("[hidden]", "[itemprop]", "[role]", "[style]", "[aria-hidden]"),
        'a[rel~="tag"]',
    ]
)
_ALWAYS_FURNITURE_PROPS = frozenset({"author", "publisher"})
# Microdata values written out for machines (an image's URL, width and height, the keyword
# list), which pages hide with a class.
_MACHINE_PROPS = frozenset({"url", "width", "height", "keywords"})
_HIDING_STYLES = ("display:none", "display: none", "visibility:hidden", "visibility: hidden")
_ARIA_HIDDEN_KEPT = frozenset({"div", "section", "p"})


def _is_marked_furniture(node: LexborNode) -> bool:
    """Whether an element ``_FURNITURE_SELECTOR`` found is furniture by its tag, its
    microdata property, its role or its hidden state."""
    tag = node.tag
    if tag in _FURNITURE_TAGS:
        return True
    attrs = node.attributes
    if "hidden" in attrs:
        return True
    prop = attrs.get("itemprop")
    if prop in _ALWAYS_FURNITURE_PROPS or (prop in _MACHINE_PROPS and tag != "meta"):
        return True
    if attrs.get("role") in _FURNITURE_ROLES:
        return True
    style = attrs.get("style")
    if style:
        style = style.lower()
        if any(rule in style for rule in _HIDING_STYLES):
            return True
    return attrs.get("aria-hidden") == "true" and tag not in _ARIA_HIDDEN_KEPT


# Furniture by class or id: these candidates get the vocabulary test. Containers and text
# blocks only: links, images and inline formatting inside furniture go with their container,
# and testing each of them would cost more than the rest of pruning together.
_NAMED_TAGS = (
    "div",
    "section",
    "span",
    "ul",
    "ol",
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "aside",
    "form",
    "table",
    "tbody",
    "tr",
    "td",
    "dl",
    "dd",
    "dt",
    "blockquote",
    "small",
    "center",
    "font",
    "ins",
    "iframe",
)
_NAMED_SELECTOR = "[class], [id]"


# Lexbor's numeric tag ids for those tags (read from the parser itself, so they always match
# the installed version): comparing ints is cheaper than building each node's tag name.
def _tag_ids(tags: tuple[str, ...]) -> frozenset[int]:
    sample = LexborHTMLParser(
        "".join(f"<{tag}></{tag}>" for tag in tags if tag not in ("tbody", "tr", "td"))
        + "<table><tbody><tr><td></td></tr></tbody></table>"
    )
    root = sample.root
    assert root is not None
    return frozenset(node.tag_id for node in root.traverse() if node.tag in tags)


_NAMED_TAG_IDS = _tag_ids(_NAMED_TAGS)


# HTML5 tree building checks "element in scope" by walking the stack of open elements, so
# parsing N nested block elements costs O(N²) (100,000 nested divs: 16 s; 3,000: 9 ms).
# Nesting deeper than this is flattened before parsing: the tags past the limit go, their
# text stays. A page with fewer tags than the limit cannot nest deeper, and is not scanned.
MAX_DEPTH = 3000
_NESTING_TAG = re.compile(
    r"<(/?)(?:div|section|article|blockquote|table|ul|ol|dl|li|td|tr|span|font|a|b|i|em|strong)"
    r"(?=[\s>/])[^>]*>",
    re.I,
)


_STEP = {"": 1, "/": -1}


def _too_deep(html: str) -> bool:
    """Whether ``html`` nests more than ``MAX_DEPTH`` elements (the running depth over its
    opening and closing tags, summed in C by ``map`` and ``accumulate``, not a Python loop)."""
    opens = html.count("<")
    # The depth is at most the number of opening tags: a count in C settles most pages.
    if opens <= MAX_DEPTH or opens - html.count("</") <= MAX_DEPTH:
        return False
    return max(accumulate(map(_STEP.__getitem__, _NESTING_TAG.findall(html))), default=0) > (
        MAX_DEPTH
    )


def _flatten_deep_nesting(html: str) -> str:
    if not _too_deep(html):
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


def parse(html: str, utf8: bytes | None = None) -> LexborHTMLParser:
    """Parse ``html`` into a Lexbor DOM (never raises on broken markup; linear time).

    ``utf8``, when given, is ``html`` encoded as UTF-8 (the page as fetched): Lexbor takes it
    as it is, which spares encoding the text again.
    """
    if utf8 is not None and (utf8.count(b"<") <= MAX_DEPTH or not _too_deep(html)):
        return LexborHTMLParser(utf8)  # the bytes as fetched: no encoding the text again
    return LexborHTMLParser(_flatten_deep_nesting(html))


@lru_cache(maxsize=8192)
def _names_are_furniture(names: str) -> bool:
    # Pure, and asked again for the same names on every page of a site and across sites
    # ("container", "row", "entry-meta"): remembered for the process, not only the page.
    lowered = names.lower()
    squashed = _squash(lowered)
    negative = _NEGATIVE_RE.search(squashed) is not None or (
        # Every ad token holds "ad" or is "gpt": most names need no token split.
        ("ad" in lowered or "gpt" in lowered)
        and not _AD_TOKENS.isdisjoint(lowered.replace("-", " ").replace("_", " ").split())
    )
    return negative and _POSITIVE_RE.search(squashed) is None


def _squash(names: str) -> str:
    """``names`` without "-" and "_" (two ``str.replace`` cost less than ``str.translate``,
    which looks every character up in a table)."""
    return names.replace("-", "").replace("_", "")


def _named_furniture(node: LexborNode, verdicts: dict[str, bool]) -> bool:
    # node.attrs.get and node.id read one attribute; node.attributes builds a dict of all.
    ident = node.id or ""
    # An id of four words or more is a heading's slug ("sharing-with-a-single-developer",
    # a documentation section), not the name of a role: its words say nothing of furniture.
    if ident.count("-") + ident.count("_") >= 3:
        ident = ""
    names = f"{node.attrs.get('class') or ''} {ident}"
    verdict = verdicts.get(names)
    if verdict is None:
        verdict = verdicts[names] = _names_are_furniture(names)
    return verdict


_MODIFIER = re.compile(r"--[\w-]*")


def _strong_furniture(node: LexborNode, title: str | None = None) -> bool:
    """Furniture whatever its size.

    A BEM modifier (``tonal__main--tone-comment``: an opinion piece's styling) names a
    variant of the element, not what it is, so it is not read here."""
    if node.tag in ("nav", "footer"):
        return True
    attrs = node.attributes
    names = " ".join(filter(None, (attrs.get("class"), attrs.get("id")))).lower()
    names = _MODIFIER.sub("", names)
    if _POSITIVE_RE.search(_squash(names)):
        return False
    # A sidebar itself ("sidebar", "sidebar-right"), not a layout that has one
    # ("content-with-sidebar-wrp", "has-sidebar") nor a wrapper that holds the story (a
    # "sticky sidebar" plugin around the article): a sidebar never holds the headline.
    return _is_sidebar(node, names, title) or bool(_STRONG_RE.search(names))


_ARTICLE_SELECTOR = 'article, main, [itemprop="articleBody"]'


def _is_sidebar(node: LexborNode, names: str, title: str | None = None) -> bool:
    """A sidebar itself by its lower-cased ``names`` ("sidebar", "sidebar-right"), not a
    layout that has one ("has-sidebar"), and not holding the headline or the article.

    With the page's ``title`` known, an ``h1`` that does not read as it (a blog's name at
    the top of its sidebar) is not the headline; without it, any ``h1`` is taken for it."""
    if not _names_a_sidebar(names):
        return False
    return _sidebar_without_headline(node, title)


@lru_cache(maxsize=8192)
def _names_a_sidebar(names: str) -> bool:
    """Whether lower-cased class and id ``names`` name a sidebar itself."""
    return any(
        _SIDEBAR_TOKEN.match(token) and not token.startswith(_HAS_SIDEBAR)
        for token in names.split()
    )


def _sidebar_without_headline(node: LexborNode, title: str | None) -> bool:
    """Whether an element named a sidebar holds neither the article nor the headline."""
    if node.css_first(_ARTICLE_SELECTOR) is not None:
        return False
    headings = node.css("h1, h2, h3") if title else node.css("h1")
    return not any(_reads_as_title(heading, title) for heading in headings)


def _reads_as_title(heading: LexborNode, title: str | None) -> bool:
    """Whether ``heading`` may be the headline of a page titled ``title``: its text is the
    title, or most of it (a title often adds the site's name); any heading, when no title
    is known."""
    if not title:
        return True
    text = " ".join(heading.text(deep=True).split()).casefold()
    key = title.casefold()
    return bool(text) and ((text in key and len(text) >= 0.5 * len(key)) or key in text)


def _prose_chars(node: LexborNode) -> int:
    """Characters of text under ``node`` that are not link text."""
    total = len(node.text(deep=True, strip=True))
    for anchor in node.css("a"):
        total -= len(anchor.text(deep=True, strip=True))
    return total


def _drop_never_prose(tree: LexborHTMLParser) -> None:
    """Detach every element of a tag that never holds prose, as ``strip_tags`` does (the
    element leaves the tree with what it holds; nothing is freed, so one found inside
    another already detached is safe to detach too)."""
    root = tree.root
    if root is None:
        return
    for node in root.css(_DROP_SELECTOR):
        node.decompose(recursive=False)


_MARK = "data-newsdesk-furniture"
# A post's tag list: links the page itself marks as tags (the rel-tag microformat, which
# WordPress and most blog engines write), in an element that holds little else ("Tags",
# commas).
TAG_LIST_OTHER = 0.25


def _is_tag_link(node: LexborNode) -> bool:
    return node.tag == "a" and "tag" in (node.attrs.get("rel") or "").split()


def _mark_tag_lists(links: list[LexborNode]) -> None:
    """Mark the elements that hold two or more of the tag ``links`` and little other text."""
    counts: dict[int, int] = {}
    parents: dict[int, LexborNode] = {}
    for link in links:
        parent = link.parent
        if parent is not None:
            counts[parent.mem_id] = counts.get(parent.mem_id, 0) + 1
            parents[parent.mem_id] = parent
    for mem_id, parent in parents.items():
        if counts[mem_id] < 2:
            continue
        text = len(parent.text(deep=True, strip=True))
        if _prose_chars(parent) <= TAG_LIST_OTHER * text:
            parent.attrs[_MARK] = ""


_OUTERMOST = f"[{_MARK}]:not([{_MARK}] *)"


def prune(tree: LexborHTMLParser, title: str | None = None) -> None:
    """Remove never-prose tags, hidden elements and page furniture from ``tree`` in place
    (``title``: the page's headline, when known, which a sidebar never holds).

    Candidates are marked with an attribute; the selector engine then finds the outermost
    marked elements, which are removed whole (a removed element's marked descendants go
    with it and are never touched again). A guarded element loses its mark, which exposes
    its marked descendants to the next round.
    """
    _drop_never_prose(tree)
    body = tree.body
    if body is None:
        return
    verdicts: dict[str, bool] = {}  # class/id strings repeat a lot within a page
    tag_links = []
    for node in body.css(_FURNITURE_SELECTOR):
        if _is_marked_furniture(node):
            node.attrs[_MARK] = ""
        if _is_tag_link(node):
            tag_links.append(node)
    for node in body.css(_NAMED_SELECTOR):
        if node.tag_id in _NAMED_TAG_IDS and _named_furniture(node, verdicts):
            node.attrs[_MARK] = ""
    _mark_tag_lists(tag_links)
    total: int | None = None
    while True:
        guarded = False
        for node in body.css(_OUTERMOST):
            # Guard: furniture-looking wrappers that carry much of the page's prose stay.
            # The page's prose is counted once, at the first long candidate (the pruning so
            # far included); a candidate's own prose only when its whole text (an upper
            # bound of it) could pass, and when it is not furniture whatever its size.
            chars = len(node.text(deep=True, separator=" ", strip=True))
            if chars > 300:
                if total is None:
                    total = _prose_chars(body) or 1
                if (
                    chars > 0.3 * total
                    and not _strong_furniture(node, title)
                    and _prose_chars(node) > 0.3 * total
                ):
                    del node.attrs[_MARK]
                    guarded = True
                    continue
            node.decompose()
        if not guarded:
            break


# Lexbor keeps every element and text node (about 180 bytes each): a 10 MB page of 895,000
# tiny paragraphs is 1.8 million nodes, 330 MB before any Python object exists. Markup past
# this many tags is cut before parsing (the largest of the dev sets' 2,732 pages has 20,574).
MAX_TAGS = 200_000


def bound_markup(html: str) -> tuple[str, str | None]:
    """``html`` cut before its ``MAX_TAGS``-th tag when it has more, and what was cut."""
    tags = html.count("<")
    if tags <= MAX_TAGS:
        return html, None
    position = -1
    for _ in range(MAX_TAGS):
        position = html.find("<", position + 1)
    return html[:position], (
        f"markup cut after {MAX_TAGS:,} of {tags:,} tags ({position:,} of {len(html):,} characters)"
    )


@lru_cache(maxsize=8192)
def _light_verdict(names: str) -> tuple[bool, bool, bool, bool]:
    """What lower-cased class and id ``names`` say on the second look: a sidebar itself; a
    plainly named one; a strong furniture name (not a content name); a comment thread."""
    squashed = _squash(_MODIFIER.sub("", names))
    strong = bool(_STRONG_RE.search(squashed)) and not _POSITIVE_RE.search(squashed)
    return (
        _names_a_sidebar(names),
        _PLAIN_SIDEBAR.search(names) is not None,
        strong,
        strong and _COMMENTS_RE.search(squashed) is not None,
    )


def prune_light(tree: LexborHTMLParser, title: str | None = None) -> None:
    """The second look's pruning: only what is never article text whatever the page (tags
    that hold no prose, hidden elements, navigation and footers, comment threads, cookie
    and newsletter boxes). Names that are furniture on most pages are left to the scorer."""
    _drop_never_prose(tree)
    body = tree.body
    if body is None:
        return
    hidden = (
        'nav, footer, [hidden], [role="navigation"], [role="contentinfo"], '
        '[style*="display:none" i], [style*="display: none" i]'
    )
    for node in body.css(hidden):
        node.attrs[_MARK] = ""
    total: int | None = None
    marked_article = body.css_first(_ARTICLE_SELECTOR) is not None
    for node in body.css(_NAMED_SELECTOR):
        if node.tag_id not in _NAMED_TAG_IDS:
            continue
        attrs = node.attributes
        names = f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()
        sidebar, plain_sidebar, strong, comments = _light_verdict(names)
        # A sidebar beside an article the page marks as such (a layout class such as
        # "l-sidebar-fixed" around the story itself is not one).
        if (
            sidebar
            and (marked_article or (title and plain_sidebar))
            and _sidebar_without_headline(node, title)
        ):
            node.attrs[_MARK] = ""
            continue
        if not strong:
            continue
        # A comment thread goes whatever its size; a recommendation or newsletter wrapper
        # that holds most of the page's prose is wrapped around the article ("read more").
        if not comments:
            total = total or _prose_chars(body) or 1
            if _prose_chars(node) > 0.5 * total:
                continue
        node.attrs[_MARK] = ""
    for node in body.css(_OUTERMOST):
        node.decompose()

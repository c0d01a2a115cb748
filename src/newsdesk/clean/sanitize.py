"""HTML sanitising (nh3): the last step before stored content is shown or syndicated.

Whatever produced the markup (our own rendering of an Article, a feed's content), what leaves
here has no script, no style, no event-handler attribute and no URL outside http, https and
mailto. ``article_body_html`` renders an Article's body (its blocks, then its embedded posts
as cards) from escaped values and sanitises that too: the store keeps the result with the
record, for the reader and the feeds out. Pure.
"""

from __future__ import annotations

import re
from html import escape

import nh3

from newsdesk.model import Article, Block, Embed
from newsdesk.urls import is_http_url

__all__ = ["ALLOWED_TAGS", "article_body_html", "safe_url", "sanitize_html"]

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "article", "b", "blockquote", "br", "cite", "code", "dd", "del", "details",
        "dl", "dt", "em", "figcaption", "figure", "footer", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "i", "img", "li", "mark", "ol", "p", "pre", "q", "s", "section", "small", "span",
        "strong", "sub", "summary", "sup", "time", "u", "ul",
    }
)  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "time": {"datetime"},
    "*": {"class", "lang"},
}
_SCHEMES = {"http", "https", "mailto"}


# One cleaner, built once: `nh3.clean` with options builds its sanitiser again on every call,
# which costs as much as the cleaning (28 against 59 µs for an article's body).
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={k: set(v) for k, v in _ATTRIBUTES.items()},
    url_schemes=set(_SCHEMES),
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f]")


def sanitize_html(html: str) -> str:
    """``html`` with only the allowed tags, attributes and URL schemes left. Links get
    ``rel="noopener noreferrer nofollow"``; comments are dropped."""
    return _CLEANER.clean(html)


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL without whitespace or control characters
    inside, else None (for links built outside markup)."""
    if not url or not is_http_url(url):
        return None
    url = url.strip()
    return None if _SPACE_OR_CONTROL.search(url) else url


# -- an Article's body as safe HTML ------------------------------------------------------

_PLATFORMS = {
    "twitter": "Post on X/Twitter",
    "instagram": "Instagram post",
    "youtube": "YouTube video",
    "facebook": "Facebook post",
    "tiktok": "TikTok video",
}


def _blocks_html(blocks: tuple[Block, ...]) -> list[str]:
    out: list[str] = []
    in_list = False
    for block in blocks:
        if block.kind == "list_item":
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{escape(block.text)}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        text = escape(block.text)
        if block.kind == "heading":
            level = min(max(block.level or 2, 2), 6)
            out.append(f"<h{level}>{text}</h{level}>")
        elif block.kind == "quote":
            out.append(f"<blockquote><p>{text}</p></blockquote>")
        elif block.kind == "code":
            out.append(f"<pre><code>{text}</code></pre>")
        else:
            out.append(f"<p>{text}</p>")
    if in_list:
        out.append("</ul>")
    return out


def _embed_html(embed: Embed) -> str:
    label = _PLATFORMS.get(embed.platform, "Embedded post")
    who = f" by {escape(embed.author)}" if embed.author else ""
    url = safe_url(embed.url)
    head = f'<a href="{escape(url)}">{escape(label)}{who}</a>' if url else f"{escape(label)}{who}"
    text = f"<p>{escape(embed.text)}</p>" if embed.text else ""
    kind = escape(embed.platform)
    return f'<figure class="embed embed-{kind}">{text}<figcaption>{head}</figcaption></figure>'


def article_body_html(article: Article) -> str:
    """The body (blocks, or the text's paragraphs), then the embedded posts as cards."""
    blocks = article.blocks or tuple(
        Block(kind="paragraph", text=p) for p in article.text.split("\n\n") if p.strip()
    )
    parts = _blocks_html(blocks)
    parts += [_embed_html(e) for e in article.embeds]
    return sanitize_html("\n".join(parts))

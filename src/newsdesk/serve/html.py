"""Articles as safe HTML fragments, for the reader and for the feeds' full content.

Everything is built from the Article's values with escaping, then passed through the
sanitiser (``clean.sanitize``) as a second line of defence: no markup from a page ever
reaches a reader unchecked.
"""

from __future__ import annotations

from html import escape

from newsdesk.clean.sanitize import safe_url, sanitize_html
from newsdesk.model import Article, Block, Embed, Provenance

__all__ = ["article_body_html", "highlight_snippet", "provenance_words", "removed_html"]

_PLATFORMS = {
    "twitter": "Post on X/Twitter",
    "instagram": "Instagram post",
    "youtube": "YouTube video",
    "facebook": "Facebook post",
    "tiktok": "TikTok video",
}
# Marks FTS5 puts around matched words in a snippet: control characters no text contains
# after cleaning, so escaping the snippet cannot touch them.
SNIPPET_MARKS = ("\x02", "\x03")


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


def provenance_words(provenance: Provenance | None, site_name: str | None) -> str | None:
    """How the story reached us, in words: "Relayed by X from Y; original at URL; credit: Z"."""
    if provenance is None:
        return None
    parts: list[str] = []
    if provenance.via and provenance.source:
        parts.append(f"relayed by {provenance.via} from {provenance.source}")
    elif provenance.via:
        parts.append(f"relayed by {provenance.via}")
    elif provenance.source and provenance.source != site_name:
        parts.append(f"from {provenance.source}")
    if provenance.original_url or provenance.link:
        parts.append(f"original at {provenance.original_url or provenance.link}")
    if provenance.credits:
        parts.append("credit: " + ", ".join(provenance.credits))
    words = "; ".join(parts)
    return words[:1].upper() + words[1:] if words else None


def removed_html(article: Article) -> str:
    """What cleaning removed, as a list with the reason for each (for a details toggle)."""
    items = [
        f'<li><span class="reason">{escape(r.reason)}</span> {escape(r.text)}</li>'
        for r in article.removed
    ]
    return sanitize_html("<ul>" + "".join(items) + "</ul>") if items else ""


def highlight_snippet(snippet: str) -> str:
    """An FTS snippet made with ``SNIPPET_MARKS``: escaped, the matches in <mark>."""
    text = escape(snippet)
    return text.replace(SNIPPET_MARKS[0], "<mark>").replace(SNIPPET_MARKS[1], "</mark>")

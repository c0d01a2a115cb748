"""An Article as the reader shows it, in safe HTML: the article page's story. Pure.

``story_html`` is everything on the article page that is a function of the record alone:
the header (headline, dek, byline, publication time, outlet, how the story reached us in
words, the link to the original), the body with its embedded posts as cards
(``article_body_html``, which the feeds carry too), the quotes with their speakers and what cleaning
removed, behind a details toggle. The store keeps it with the record, made where extraction
runs, so that showing an article neither decodes its record nor renders it
(docs/serving.md); what the page adds around it (the source it came from, its copies and
sightings) is read at request time.

Every value is escaped; what is already markup (the body, the removed list) has been through
the sanitiser. A stored story starts with ``STORY_MARK``: change the markup here and bump its
number, and stories stored before are rendered again, from their records, when shown.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from newsdesk.clean.sanitize import safe_url, sanitize_html
from newsdesk.model import Article, Block, Embed, Provenance

__all__ = [
    "STORY_MARK",
    "article_body_html",
    "format_when",
    "provenance_words",
    "removed_html",
    "story_html",
]

STORY_MARK = "<!-- newsdesk story 1 -->"


def story_html(article: Article, body: str | None = None) -> str:
    """The article page's story for ``article``; ``body``: its body HTML when at hand."""
    a = article
    parts = [STORY_MARK, "<header>", f"<h1>{escape(a.title or '(untitled)')}</h1>"]
    if a.description:
        parts.append(f'<p class="dek">{escape(a.description)}</p>')
    meta = []
    if a.authors:
        meta.append(f"<span>By {escape(', '.join(a.authors))}</span>")
    if a.published:
        meta.append(
            f'<time datetime="{a.published.isoformat()}">'
            f"{escape(format_when(a.published, 'long'))}</time>"
        )
    if a.site_name:
        meta.append(f"<span>{escape(a.site_name)}</span>")
    if meta:
        parts.append(f'<p class="meta">{"".join(meta)}</p>')
    provenance = provenance_words(a.provenance, a.site_name)
    if provenance:
        parts.append(f'<p class="provenance">{escape(provenance)}.</p>')
    original = safe_url(a.url)
    if original:
        parts.append(f'<p class="original"><a href="{escape(original)}">Read the original</a></p>')
    parts.append("</header>")
    parts.append(f'<div class="body">\n{article_body_html(a) if body is None else body}\n</div>')
    if a.quotes:
        items = "".join(
            f"<li><q>{escape(q.text)}</q>"
            + (f" <cite>{escape(q.speaker)}</cite>" if q.speaker else "")
            + "</li>"
            for q in a.quotes
        )
        parts.append(
            '<section class="quotes" aria-labelledby="quotes-h">'
            f'<h2 id="quotes-h">Who said what</h2><ul>{items}</ul></section>'
        )
    removed = removed_html(a)
    if removed:
        parts.append(
            '<details class="removed">'
            f"<summary>Removed by cleaning ({len(a.removed)})</summary>{removed}</details>"
        )
    return "\n".join(parts)


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


_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def format_when(when: datetime, style: str = "card") -> str:
    """A time as the pages show it, in English whatever the locale: "long" is
    ``%d %B %Y, %H:%M %Z``, "card" ``%d %b %Y, %H:%M``, "short" ``%d %b %H:%M`` and "date"
    ``%d %b %Y``. Written out: in a py-spy profile of the article page, its line with ``strftime``
    (and ``isoformat``) was ~5 % of the page."""
    month = _MONTHS[when.month - 1]
    day = f"{when.day:02d}"
    clock = f"{when.hour:02d}:{when.minute:02d}"
    if style == "long":
        zone = when.tzname() or ""
        return f"{day} {month} {when.year:04d}, {clock} {zone}".rstrip()
    if style == "short":
        return f"{day} {month[:3]} {clock}"
    if style == "date":
        return f"{day} {month[:3]} {when.year:04d}"
    return f"{day} {month[:3]} {when.year:04d}, {clock}"


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

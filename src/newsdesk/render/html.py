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
    "text_direction",
]

STORY_MARK = "<!-- newsdesk story 2 -->"
# Our own words in the story (labels, the byline's "By", times), marked as English written left
# to right, so that a right-to-left story around them does not reorder them; the story's
# names inside them are isolated in <bdi>.
_OURS = 'lang="en" dir="ltr"'


def story_html(article: Article, body: str | None = None) -> str:
    """The article page's story for ``article``; ``body``: its body HTML when at hand."""
    a = article
    parts = [STORY_MARK, "<header>", f"<h1>{escape(a.title or '(untitled)')}</h1>"]
    if a.description:
        parts.append(f'<p class="dek">{escape(a.description)}</p>')
    meta = []
    if a.authors:  # names of unknown direction, isolated from our words around them
        names = ", ".join(f"<bdi>{escape(name)}</bdi>" for name in a.authors)
        meta.append(f"<span>By {names}</span>")
    if a.published:
        meta.append(
            f'<time datetime="{a.published.isoformat()}">'
            f"{escape(format_when(a.published, 'long'))}</time>"
        )
    if a.site_name:
        meta.append(f"<bdi>{escape(a.site_name)}</bdi>")
    if meta:
        parts.append(f'<p class="meta" {_OURS}>{"".join(meta)}</p>')
    provenance = provenance_words(a.provenance, a.site_name)
    if provenance:
        parts.append(f'<p class="provenance" {_OURS}>{escape(provenance)}.</p>')
    original = safe_url(a.url)
    if original:
        parts.append(
            f'<p class="original" {_OURS}><a href="{escape(original)}">Read the original</a></p>'
        )
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
            f'<details class="removed" {_OURS}>'
            f"<summary>Removed by cleaning ({len(a.removed)})</summary>{removed}</details>"
        )
    return "\n".join(parts)


# Languages written right to left (their primary subtags), and scripts that are. Kurdish
# and Punjabi are written both ways: only a script subtag (ku-Arab, pa-Arab) says RTL.
_RTL_LANGUAGES = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ji", "ks", "ps", "sd", "syr", "ug", "ur", "yi"}
)
_RTL_SCRIPTS = frozenset({"arab", "hebr", "syrc", "thaa", "nkoo", "adlm", "rohg", "mand"})
_LTR_SCRIPTS = frozenset({"latn", "cyrl", "deva", "guru"})


def text_direction(language: str | None) -> str | None:
    """ "rtl" or "ltr" for a BCP 47 tag (its script subtag decides, else its language), None
    when the language is unknown (let the browser judge: ``dir="auto"``)."""
    if not language:
        return None
    parts = language.replace("_", "-").lower().split("-")
    for part in parts[1:]:
        if part in _RTL_SCRIPTS:
            return "rtl"
        if part in _LTR_SCRIPTS:
            return "ltr"
    return "rtl" if parts[0] in _RTL_LANGUAGES else "ltr"


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

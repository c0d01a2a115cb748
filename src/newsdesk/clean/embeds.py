"""Repair what relays do to embedded posts. Pure.

Three kinds of damage, each undone into an ``Embed`` (and a ``Removed`` record):

1. A post URL glued onto the next sentence, often with a tracking query:
   ``https://twitter.com/a/status/1?ref_src=twsrc%5EtfwOn Friday, ...`` — the URL is cut out
   and the sentence after it becomes its own paragraph again.
2. What an embed blockquote leaves once its script is stripped:
   ``<text> pic.twitter.com/… — Name (@handle) Month D, YYYY`` (a tweet),
   ``View this post on Instagram`` and ``A post shared by Name (@handle)`` (Instagram).
3. A bare YouTube, Vimeo, TikTok or other post link alone on a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsdesk.model import Embed, Removed
from newsdesk.urls import classify_post_url

__all__ = [
    "EmbedRepair",
    "continues_post",
    "is_post_signature",
    "is_standalone_remnant",
    "might_hold_embed",
    "repair_embeds",
]

# The date an embedded post's signature ends with, in the widget's language: "November 27,
# 2026", "27 November 2026", "27. November 2026", "27 novembre 2026", "27 de noviembre de
# 2026", "27 de novembro de 2026". The "(@handle)" before it is the strong evidence.
_DATE = (
    r"(?:[^\W\d_]{3,10}\.?\s+\d{1,2},\s+\d{4}"
    r"|\d{1,2}\.?\s+(?:de\s+)?[^\W\d_]{3,10}\.?\s+(?:de\s+)?\d{4})"
)
_POST_URL = re.compile(
    r"https?://(?:"
    r"(?:www\.|mobile\.)?(?:twitter|x)\.com/\w{1,15}/status(?:es)?/\d{5,20}"
    r"|(?:www\.)?instagram\.com/(?:p|reel|tv)/(?:[\w-]{11}(?=[/?\s]|$|[A-Z][a-z])|[\w-]{5,40}(?=[/?\s]|$))/?"
    r"|(?:www\.|m\.)?(?:youtube\.com/(?:watch\?v=|shorts/|embed/|live/)|youtu\.be/)[\w-]{11}"
    r"|(?:www\.|player\.)?vimeo\.com/(?:video/)?\d+"
    r"|(?:www\.|m\.)?tiktok\.com/@[\w.]+/video/\d+"
    r"|(?:www\.|m\.)?facebook\.com/[\w.]+/(?:posts|videos)/(?:\d+|pfbid0\w+)"
    r"|bsky\.app/profile/[\w.:-]+/post/[a-z0-9]{13}"
    r"|[\w-]+(?:\.[\w-]+)+/@\w+/\d{15,20}"
    r")"
    # A tracking tail: the exact Twitter one, or a lazy query up to where text resumes.
    r"(?:\?ref_src=twsrc(?:%5E|\^)tfw|[?&][\w%=&.+-]*?(?=\s|$|[A-Z][a-z]|[\"“'(]))?",
)
_SIGNATURE = (
    r"[—–-]{1,2}\s*(?P<name>[^()\n]{1,60}?)\s*"
    rf"\(@(?P<handle>\w{{1,15}})\)\s*(?P<date>{_DATE})"
)
_TWEET_REMNANT = re.compile(rf"^(?P<text>.*?)\s*(?:pic\.twitter\.com/\w+\s*)?{_SIGNATURE}\s*$")
# A remnant's signature alone on its line ("— Name (@handle) Date"), perhaps with its post's
# URL after it: the post's text is the line before; nothing after it continues it.
_SIGNATURE_LINE = re.compile(rf"^{_SIGNATURE}\s*(?:https?://\S+)?$")
_BARE_URL = re.compile(r"^https?://\S+$")
_INSTAGRAM_CHROME = re.compile(r"^view (?:this|the) post on instagram\s*$", re.I)
_INSTAGRAM_SHARED = re.compile(
    r"^A (?:post|video|photo) shared by (?P<name>.{0,80}?)\s*\(@(?P<handle>[\w.]{1,30})\)"
    r"(?:\s+on\s+.{0,60})?\s*$",
    re.I,
)


@dataclass(slots=True)
class EmbedRepair:
    """The lines after repair, and what was taken out of them."""

    lines: list[str] = field(default_factory=list)
    embeds: list[Embed] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)


def _embed_for(url: str, text: str | None = None) -> Embed | None:
    ref = classify_post_url(url)
    if ref is None:
        return None
    return Embed(platform=ref.platform, url=ref.url, id=ref.id, author=ref.author, text=text)


def _split_glued(line: str) -> tuple[list[str], list[tuple[Embed, str]]]:
    """Cut post URLs out of ``line``: the pieces around them, and each post with the text it
    was cut from. Piece i is the text before the i-th post (the last piece follows the last)."""
    pieces: list[str] = []
    posts: list[tuple[Embed, str]] = []
    start = 0
    for match in _POST_URL.finditer(line):
        embed = _embed_for(match.group(0))
        if embed is None:
            continue
        pieces.append(line[start : match.start()].strip())
        posts.append((embed, match.group(0)))
        start = match.end()
    pieces.append(line[start:].strip())
    return pieces, posts


def _remnant(piece: str) -> list[Embed] | None:
    """What an embed left in ``piece``: None when it is story text; else the post it names,
    if any (its URL, usually on the next line or glued after it, is merged in later)."""
    tweet = _TWEET_REMNANT.match(piece)
    if tweet:
        handle = tweet.group("handle")
        text = tweet.group("text").strip() or None
        return [
            Embed(platform="twitter", url=f"https://twitter.com/{handle}", author=handle, text=text)
        ]
    if _INSTAGRAM_CHROME.match(piece):
        return []
    shared = _INSTAGRAM_SHARED.match(piece)
    if shared:
        handle = shared.group("handle")
        return [
            Embed(platform="instagram", url=f"https://www.instagram.com/{handle}/", author=handle)
        ]
    return None


_HINT = re.compile(r"http|@|nstagram|pic\.twitter")


def is_post_signature(line: str) -> bool:
    """Is ``line`` an embedded post's signature alone ("— Name (@handle) 27 November 2026")?
    Line rejoining attaches it to the line before (the post's text) and nothing after it."""
    return "(@" in line and _SIGNATURE_LINE.match(line) is not None


def is_standalone_remnant(line: str) -> bool:
    """Is ``line`` a remnant that stands alone ("View this post on Instagram", "A post shared
    by Name (@handle)")? Nothing is joined to it or after it."""
    return _INSTAGRAM_CHROME.match(line) is not None or _INSTAGRAM_SHARED.match(line) is not None


def continues_post(line: str) -> bool:
    """May ``line`` follow a post's signature on the same paragraph? Only its post's URL."""
    return _BARE_URL.match(line) is not None and _POST_URL.match(line) is not None


def might_hold_embed(line: str) -> bool:
    """Cheap test: can ``line`` hold a post URL or an embed remnant at all?"""
    return _HINT.search(line) is not None


def repair_embeds(lines: list[str], *, keep_remnants: bool = False) -> EmbedRepair:
    """Repair collapsed embeds in ``lines`` (one paragraph or line each).

    With ``keep_remnants`` the text of embed remnants stays (used for HTML, where a tweet's
    blockquote is part of the story as published and its embed was already recorded).
    """
    out = EmbedRepair()
    for line in lines:
        if not might_hold_embed(line):
            out.lines.append(line)  # the common case: nothing to repair
            continue
        pieces, posts = _split_glued(line)
        out.removed.extend(Removed(text=raw, reason="embed") for _, raw in posts)
        for number, piece in enumerate(pieces):
            leftovers = _remnant(piece) if piece and not keep_remnants else None
            if leftovers is not None:
                out.embeds.extend(leftovers)
                out.removed.append(Removed(text=piece, reason="embed"))
            elif piece:
                out.lines.append(piece)
            if number < len(posts):  # a remnant comes before its post's URL
                out.embeds.append(posts[number][0])
    out.embeds = _merge_split_posts(out.embeds)
    return out


def _merge_split_posts(embeds: list[Embed]) -> list[Embed]:
    """A remnant naming only the author, next to the post's URL on another line, is one post."""
    merged: list[Embed] = []
    for embed in embeds:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.platform == embed.platform
            and (last.id is None) != (embed.id is None)
        ):
            post, remnant = (embed, last) if last.id is None else (last, embed)
            if post.author is None or post.author.casefold() == (remnant.author or "").casefold():
                merged[-1] = Embed(
                    platform=post.platform,
                    url=post.url,
                    id=post.id,
                    author=post.author or remnant.author,
                    text=last.text or embed.text,
                )
                continue
        merged.append(embed)
    return merged

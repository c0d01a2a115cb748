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

__all__ = ["EmbedRepair", "might_hold_embed", "repair_embeds"]

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
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
_TWEET_REMNANT = re.compile(
    r"^(?P<text>.*?)\s*(?:pic\.twitter\.com/\w+\s*)?[—–-]{1,2}\s*(?P<name>[^()\n]{1,60}?)\s*"
    rf"\(@(?P<handle>\w{{1,15}})\)\s*(?P<date>{_MONTH}\s+\d{{1,2}},\s+\d{{4}})\s*$"
)
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


def _split_glued(line: str, out: EmbedRepair) -> list[str]:
    """Cut post URLs out of ``line``; the pieces between them are separate lines. Piece i
    is the text before the i-th URL found (the last piece follows the last URL)."""
    pieces: list[str] = []
    start = 0
    for match in _POST_URL.finditer(line):
        embed = _embed_for(match.group(0))
        if embed is None:
            continue
        pieces.append(line[start : match.start()])
        out.embeds.append(embed)
        out.removed.append(Removed(text=match.group(0), reason="embed"))
        start = match.end()
    pieces.append(line[start:])
    return [p.strip() for p in pieces]


def _remnant(piece: str, out: EmbedRepair, next_url: Embed | None) -> bool:
    """Recognise an embed's leftovers in ``piece``; True when it was taken out."""
    tweet = _TWEET_REMNANT.match(piece)
    if tweet:
        handle = tweet.group("handle")
        text = tweet.group("text").strip() or None
        if next_url is not None and next_url.platform == "twitter":
            index = out.embeds.index(next_url)
            out.embeds[index] = Embed(
                platform="twitter",
                url=next_url.url,
                id=next_url.id,
                author=next_url.author or handle,
                text=text,
            )
        else:
            out.embeds.append(
                Embed(
                    platform="twitter",
                    url=f"https://twitter.com/{handle}",
                    author=handle,
                    text=text,
                )
            )
        out.removed.append(Removed(text=piece, reason="embed"))
        return True
    if _INSTAGRAM_CHROME.match(piece):
        out.removed.append(Removed(text=piece, reason="embed"))
        return True
    shared = _INSTAGRAM_SHARED.match(piece)
    if shared:
        handle = shared.group("handle")
        if next_url is not None and next_url.platform == "instagram":
            index = out.embeds.index(next_url)
            out.embeds[index] = Embed(
                platform="instagram",
                url=next_url.url,
                id=next_url.id,
                author=handle,
                text=next_url.text,
            )
        else:
            out.embeds.append(
                Embed(
                    platform="instagram", url=f"https://www.instagram.com/{handle}/", author=handle
                )
            )
        out.removed.append(Removed(text=piece, reason="embed"))
        return True
    return False


_HINT = re.compile(r"http|@|nstagram|pic\.twitter")


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
        before = len(out.embeds)
        pieces = _split_glued(line, out)
        found = out.embeds[before:]
        for number, piece in enumerate(pieces):
            if not piece:
                continue
            # The embed URL that followed this piece, if any (a remnant precedes its URL).
            follower = found[number] if number < len(found) else None
            if not keep_remnants and _remnant(piece, out, follower):
                continue
            out.lines.append(piece)
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
            if post.author in (None, remnant.author):
                merged[-1] = Embed(
                    platform=post.platform,
                    url=post.url,
                    id=post.id,
                    author=remnant.author,
                    text=last.text or embed.text,
                )
                continue
        merged.append(embed)
    return merged

"""Embedded posts and media: tweets/X, Instagram, YouTube, Vimeo, Facebook, TikTok, Bluesky and
Mastodon, whether they arrive as blockquotes (with or without their script) or iframes."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from newsdesk.model import Embed
from newsdesk.urls import absolute_url, canonicalize_url, classify_post_url

__all__ = ["CHROME_SELECTOR", "find_embeds"]

_WS = re.compile(r"\s+")
_HANDLE = re.compile(r"\(@([\w.]+)\)")
# Embed blockquotes whose text, once their script is gone, is platform chrome ("View this post
# on Instagram") rather than the post: they leave the body and are listed as removed.
CHROME_SELECTOR = (
    "blockquote.instagram-media, blockquote.tiktok-embed, blockquote.text-post-media, "
    "div.fb-post, div.fb-video"
)
_BLOCKQUOTE_CLASSES = {
    "twitter-tweet": "twitter",
    "twitter-video": "twitter",
    "instagram-media": "instagram",
    "tiktok-embed": "tiktok",
    "bluesky-embed": "bluesky",
    "mastodon-embed": "mastodon",
    "fb-xfbml-parse-ignore": "facebook",
    "threads-embed": "threads",
    "text-post-media": "threads",
}
_EMBED_SELECTOR = (
    "blockquote.twitter-tweet, blockquote.twitter-video, blockquote.instagram-media, "
    "blockquote.tiktok-embed, blockquote.bluesky-embed, blockquote.mastodon-embed, "
    "blockquote.text-post-media, iframe[src], iframe[data-src], div.fb-post[data-href], "
    "div.fb-video[data-href]"
)
_IFRAME_HOSTS = {
    "youtube.com": "youtube",
    "youtube-nocookie.com": "youtube",
    "vimeo.com": "vimeo",
    "twitter.com": "twitter",
    "x.com": "twitter",
    "instagram.com": "instagram",
    "facebook.com": "facebook",
    "tiktok.com": "tiktok",
    "bsky.app": "bluesky",
    "spotify.com": "spotify",
    "soundcloud.com": "soundcloud",
    "dailymotion.com": "dailymotion",
}


def _text(node: LexborNode) -> str | None:
    para = node.css_first("p")
    text = _WS.sub(" ", (para or node).text(deep=True, separator=" ")).strip()
    return text[:1000] or None


def _from_blockquote(node: LexborNode, platform: str, base: str | None) -> Embed | None:
    attrs = node.attributes
    candidates = [
        attrs.get("data-instgrm-permalink"),
        attrs.get("cite"),
        attrs.get("data-bluesky-uri"),
    ]
    candidates += [a.attributes.get("href") for a in node.css("a[href]")][::-1]
    handle_match = _HANDLE.search(node.text(deep=True))
    handle = handle_match.group(1) if handle_match else None
    for raw in candidates:
        url = absolute_url(raw, base)
        ref = classify_post_url(url) if url else None
        if ref is not None:
            return Embed(
                platform=ref.platform,
                url=ref.url,
                id=ref.id,
                author=ref.author or handle,
                text=_text(node),
            )
    fallback = next((absolute_url(c, base) for c in candidates if absolute_url(c, base)), None)
    if fallback is None:
        return None
    return Embed(
        platform=platform,
        url=canonicalize_url(fallback),
        id=attrs.get("data-video-id"),
        author=handle,
        text=_text(node),
    )


def _from_iframe(src: str) -> Embed | None:
    parts = urlsplit(src)
    host = (parts.hostname or "").lower()
    if host.endswith("facebook.com") and "plugins" in parts.path:
        href = parse_qs(parts.query).get("href", [None])[0]
        if href:
            ref = classify_post_url(unquote(href))
            return Embed(
                platform="facebook",
                url=ref.url if ref else unquote(href),
                id=ref.id if ref else None,
                author=ref.author if ref else None,
            )
    if host.endswith(("twitter.com", "x.com")):
        tweet_id = parse_qs(parts.query).get("id", [None])[0]
        if tweet_id:
            return Embed(
                platform="twitter", url=f"https://twitter.com/i/status/{tweet_id}", id=tweet_id
            )
    ref = classify_post_url(src)
    if ref is not None:
        url = ref.url.removesuffix("/embed")
        return Embed(platform=ref.platform, url=url, id=ref.id, author=ref.author)
    for suffix, platform in _IFRAME_HOSTS.items():
        if host == suffix or host.endswith("." + suffix):
            return Embed(platform=platform, url=src)
    if "mastodon" in host or "/@" in parts.path:
        return Embed(platform="mastodon", url=src)
    return None


def find_embeds(tree: LexborHTMLParser, base: str | None) -> list[Embed]:
    """Every embedded post or media item in the page, in document order, without repeats."""
    found: list[Embed] = []
    seen: set[str] = set()
    for node in tree.css(_EMBED_SELECTOR):
        embed: Embed | None = None
        tag = node.tag
        if tag == "blockquote":
            classes = (node.attributes.get("class") or "").split()
            platform = next(
                (_BLOCKQUOTE_CLASSES[c] for c in classes if c in _BLOCKQUOTE_CLASSES), "other"
            )
            embed = _from_blockquote(node, platform, base)
        elif tag == "iframe":
            src = absolute_url(node.attributes.get("src") or node.attributes.get("data-src"), base)
            embed = _from_iframe(src) if src else None
        else:
            href = absolute_url(node.attributes.get("data-href"), base)
            ref = classify_post_url(href) if href else None
            if href:
                embed = Embed(
                    platform="facebook",
                    url=ref.url if ref else href,
                    id=ref.id if ref else None,
                    author=ref.author if ref else None,
                )
        if embed is not None and embed.url not in seen:
            seen.add(embed.url)
            found.append(embed)
    return found

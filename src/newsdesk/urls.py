"""URL helpers: absolute URLs, canonical form, tracking-parameter removal, social-post URLs.

Pure functions of their input (DESIGN §4.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

__all__ = [
    "PostRef",
    "absolute_url",
    "canonicalize_url",
    "classify_post_url",
    "domain_of",
    "is_http_url",
]

_TRACKING_EXACT = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gclsrc",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "yclid",
        "igshid",
        "ref_src",
        "ref_url",
        "ocid",
        "cmpid",
        "ncid",
        "_ga",
        "_gl",
        "mbid",
        "smid",
        "smtyp",
        "cid",
        "s_cid",
        "icid",
        "ito",
        "at_medium",
        "at_campaign",
        "soc_src",
        "soc_trk",
        "xtor",
        "__twitter_impression",
        "share",
        "via",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "_hs", "vero_", "oly_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Lower-case scheme and host, no port, user, query or fragment: nothing to change.
_SIMPLE_URL = re.compile(r"^https?://[a-z0-9-]+(?:\.[a-z0-9-]+)+(/[^?#\s]*)?$")


def is_http_url(value: str | None) -> bool:
    """True when ``value`` is an absolute http(s) URL with a host."""
    if not value:
        return False
    if _SIMPLE_URL.match(value):  # the common case, without parsing
        return True
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def absolute_url(href: str | None, base: str | None) -> str | None:
    """Resolve ``href`` against ``base``. Only http(s) URLs come out (and, with no ``base``,
    relative references): ``javascript:``, ``vbscript:``, ``data:``, ``file:``, ``mailto:``
    and every other scheme give None, however they are cased or padded."""
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        resolved = urljoin(base, href) if base else href
        if resolved.startswith("//"):
            resolved = "https:" + resolved
        scheme = urlsplit(resolved).scheme
    except ValueError:
        return None
    if scheme in ("http", "https"):
        return resolved if is_http_url(resolved) else None
    return None if scheme or base else _relative(resolved)


def _relative(reference: str) -> str | None:
    """A relative reference kept (no base to resolve it against) unless controls or a colon
    before any slash could make a browser read a scheme into it."""
    head = reference.split("/", 1)[0]
    if ":" in head or any(ord(char) < 0x21 for char in reference[:32]):
        return None
    return reference


_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))


def _trim(url: str) -> str:
    """Strip whitespace and C0 controls from both ends until nothing changes (urlsplit drops
    leading controls itself, so a single strip is not idempotent)."""
    previous = None
    while previous != url:
        previous = url
        url = url.strip().strip(_C0_AND_SPACE)
    return url


def canonicalize_url(url: str) -> str:
    """A stable form of ``url``: lower-case scheme and host, no default port, no fragment,
    no tracking parameters, remaining query parameters kept in their order.

    Idempotent: ``canonicalize_url(canonicalize_url(u)) == canonicalize_url(u)`` — the
    normalisation is repeated until it changes nothing (odd inputs, such as a path ending in a
    space before a fragment, need a second round).
    """
    for _ in range(8):
        canonical = _canonicalize_once(url)
        if canonical == url:
            break
        url = canonical
    return url


def _canonicalize_once(url: str) -> str:
    url = _trim(url)
    simple = _SIMPLE_URL.match(url)
    if simple:  # already canonical but for a missing "/" path (most links in a page)
        return url if simple.group(1) else url + "/"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.netloc and not host:
        return url
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    if parts.username:
        netloc = "@" + netloc
        netloc = (parts.username + (f":{parts.password}" if parts.password else "")) + netloc
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_EXACT and not k.lower().startswith(_TRACKING_PREFIXES)
    ]
    path = parts.path or ("/" if netloc else "")
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def domain_of(url: str | None) -> str | None:
    """The host of ``url`` without a leading ``www.``; None when there is none."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


@dataclass(frozen=True, slots=True, kw_only=True)
class PostRef:
    """What a social-post or video URL says: its platform, post id and author handle."""

    platform: str
    url: str
    id: str | None = None
    author: str | None = None


_POST_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "twitter",
        re.compile(
            r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(?P<author>[A-Za-z0-9_]{1,15})"
            r"/status(?:es)?/(?P<id>\d+)",
            re.I,
        ),
    ),
    (
        "instagram",
        re.compile(
            r"^https?://(?:www\.)?instagram\.com/(?:[\w.]+/)?(?:p|reel|tv)/(?P<id>[\w-]+)", re.I
        ),
    ),
    (
        "youtube",
        re.compile(
            r"^https?://(?:www\.|m\.)?(?:youtube(?:-nocookie)?\.com/(?:watch\?(?:.*&)?v=|embed/|shorts/|v/|live/)"
            r"|youtu\.be/)(?P<id>[\w-]{6,})",
            re.I,
        ),
    ),
    ("vimeo", re.compile(r"^https?://(?:www\.|player\.)?vimeo\.com/(?:video/)?(?P<id>\d+)", re.I)),
    (
        "tiktok",
        re.compile(
            r"^https?://(?:www\.|m\.)?tiktok\.com/(?:@(?P<author>[\w.]+)/video/|embed/(?:v2/)?)"
            r"(?P<id>\d+)",
            re.I,
        ),
    ),
    (
        "facebook",
        re.compile(
            r"^https?://(?:www\.|m\.)?facebook\.com/(?P<author>[\w.]+)/(?:posts|videos)/(?P<id>[\w.]+)",
            re.I,
        ),
    ),
    (
        "bluesky",
        re.compile(r"^https?://bsky\.app/profile/(?P<author>[\w.:-]+)/post/(?P<id>[\w]+)", re.I),
    ),
    (
        "mastodon",
        re.compile(r"^https?://[\w.-]+\.[a-z]{2,}/@(?P<author>\w+)/(?P<id>\d{6,})", re.I),
    ),
)


# Platforms whose post URL follows from the id alone (embed URLs become the public one).
_POST_URLS = {
    "youtube": "https://www.youtube.com/watch?v={id}",
    "vimeo": "https://vimeo.com/{id}",
}


def _without_query(url: str) -> str:
    """A post's URL without query or fragment: on these platforms both only track shares."""
    parts = urlsplit(canonicalize_url(url))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def classify_post_url(url: str) -> PostRef | None:
    """Recognise a social-post or video URL (tweet, Instagram post, YouTube video, ...).

    The returned URL is the post's public URL, without query or fragment (YouTube and Vimeo
    embed URLs become watch URLs). None when ``url`` is not a post URL.
    """
    for platform, pattern in _POST_PATTERNS:
        match = pattern.match(url)
        if match:
            groups = match.groupdict()
            author = groups.get("author")
            if author:
                author = author.lstrip("@")
            post_id = groups.get("id")
            return PostRef(
                platform=platform,
                url=_POST_URLS[platform].format(id=post_id)
                if platform in _POST_URLS
                else _without_query(url),
                id=groups.get("id"),
                author=author,
            )
    return None

"""The demo newsroom's pages and feeds: each outlet with its own template, feed format and
furniture (navigation, in-body teasers, embedded posts, comment widgets, newsletter boxes,
JSON-LD and OpenGraph). Pure: functions of a Newsroom and a base URL, returning bytes."""

from __future__ import annotations

import json
from email.utils import format_datetime
from functools import cache
from html import escape

from newsdesk.demo.generator import WIRE, Newsroom, Outlet, Story

__all__ = ["render_feed", "render_home", "render_robots", "render_story"]


def _e(text: str) -> str:
    return escape(text, quote=True)


def _jsonld(story: Story, url: str, outlet: Outlet, graph: bool = False) -> str:
    article = {
        "@type": "NewsArticle",
        "headline": story.headline,
        "datePublished": story.published.isoformat(),
        "author": [{"@type": "Person", "name": story.author}],
        "articleSection": story.section,
        "keywords": ", ".join(story.tags),
        "mainEntityOfPage": url,
        "description": story.dek,
    }
    data: dict[str, object]
    if graph:
        data = {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebPage", "@id": url, "name": story.headline},
                {**article, "publisher": {"@type": "Organization", "name": outlet.name}},
            ],
        }
    else:
        data = {
            "@context": "https://schema.org",
            **article,
            "publisher": {"@type": "Organization", "name": outlet.name},
        }
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def _head(story: Story, url: str, outlet: Outlet, base: str, *, jsonld: str = "") -> str:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{_e(story.headline)} | {_e(outlet.name)}</title>
<meta property="og:title" content="{_e(story.headline)}">
<meta property="og:site_name" content="{_e(outlet.name)}">
<meta property="og:url" content="{_e(url)}"><meta property="og:type" content="article">
<meta property="og:description" content="{_e(story.dek)}">
<meta property="article:published_time" content="{story.published.isoformat()}">
<meta property="article:section" content="{_e(story.section)}">
<link rel="canonical" href="{_e(url)}">
<link rel="alternate" type="application/rss+xml" href="{base}{outlet.feed_path}">
{jsonld}<style>body{{font-family:serif}}</style><script>var analytics = true;</script></head>"""


@cache
def _static_chrome() -> tuple[str, str, str]:
    """The parts of the page weight that are the same on every page (built once)."""
    rules = "".join(
        f".c{n}{{margin:{n % 7}px {n % 5}px;padding:{n % 3}px;color:#{(n * 2654435761) % 0xFFFFFF:06x}}}"
        for n in range(400)
    )
    config = json.dumps(
        {
            "ads": [
                {"slot": f"slot-{n}", "sizes": [[300, 250], [728, 90]], "pos": n}
                for n in range(400)
            ],
            "experiments": {f"exp{n}": n % 3 for n in range(200)},
        }
    )
    head = f"<style>{rules}</style><script>window.__CONFIG__ = {config};</script>"
    sections = ("news", "world", "business", "sport", "culture", "science", "weather", "opinion")
    menu = "".join(
        f'<li><a href="/{s}">{s.title()}</a><ul>'
        + "".join(f'<li><a href="/{s}/{n}">{s.title()} {n}</a></li>' for n in range(15))
        + "</ul></li>"
        for s in sections
    )
    footer = "".join(f'<li><a href="/page/{n}">Page {n}</a></li>' for n in range(80))
    return (
        head,
        f'<div class="mega-menu"><ul>{menu}</ul></div>',
        f'<div class="site-links"><ul>{footer}</ul></div>',
    )


def _page_weight(room: Newsroom, story: Story) -> tuple[str, str]:
    """What real news pages carry besides the story — inline styles and scripts, a mega-menu,
    teaser rails and a link-heavy footer — so demo pages weigh what real ones do (~90 KB)
    and ingest is measured on realistic work. Returns (head, body) markup."""
    head, menu, footer = _static_chrome()
    others = [room.story(story.outlet, (story.number + k) % room.per_outlet) for k in range(1, 13)]
    rail = "".join(
        f'<div class="card"><a href="{o.path}"><h4>{_e(o.headline)}</h4></a><p>{_e(o.dek)}</p></div>'
        for o in others
    )
    return (
        head,
        f'{menu}<section class="more-stories"><h3>More stories</h3>{rail}</section>{footer}',
    )


def _nav(outlet: Outlet) -> str:
    links = "".join(
        f'<li><a href="/section/{s}">{s.title()}</a></li>'
        for s in ("news", "sport", "business", "opinion", "weather")
    )
    return f'<header class="site-header"><a class="logo" href="/">{_e(outlet.name)}</a><nav><ul>{links}</ul></nav></header>'


def _tweet(story: Story) -> str:
    if story.tweet is None:
        return ""
    handle, status, text = story.tweet
    return (
        f'<blockquote class="twitter-tweet"><p lang="en">{_e(text)}</p>&mdash; {handle} '
        f'(@{handle}) <a href="https://twitter.com/{handle}/status/{status}?ref_src=twsrc%5Etfw">'
        f"{story.published:%B %-d, %Y}</a></blockquote>"
    )


def _teaser(room: Newsroom, story: Story, label: str) -> str:
    other = room.story(story.outlet, (story.number + 1) % room.per_outlet)
    return f'<p><strong>{label}</strong> <a href="{other.path}">{_e(other.headline)}</a></p>'


def _paras(paragraphs: tuple[str, ...]) -> str:
    return "".join(f"<p>{_e(p)}</p>" for p in paragraphs)


def render_story(room: Newsroom, outlet: Outlet, story: Story, base: str) -> bytes:
    url = base + story.path
    render = {
        "courier": _courier,
        "herald": _herald,
        "ledger": _ledger,
        "dispatch": _dispatch,
        "relay": _relay,
    }[outlet.template]
    page = render(room, outlet, story, url, base)
    head, body = _page_weight(room, story)
    page = page.replace("</head>", head + "</head>", 1)
    page = page.replace("</body>", body + "</body>", 1)
    return page.encode("utf-8")


def _courier(room: Newsroom, outlet: Outlet, story: Story, url: str, base: str) -> str:
    half = len(story.paragraphs) // 2
    return f"""{_head(story, url, outlet, base, jsonld=_jsonld(story, url, outlet))}<body>
{_nav(outlet)}<div class="cookie-banner">We use cookies to improve your experience. <button>Accept all cookies</button></div>
<main><article><h1>{_e(story.headline)}</h1>
<div class="byline">By <a rel="author" href="/staff">{_e(story.author)}</a> · <time datetime="{story.published.isoformat()}">{story.published:%d %B %Y}</time></div>
<figure><img src="/img/{story.slug}.jpg" alt=""><figcaption>The scene on {story.published:%A}. Photo: Courier staff</figcaption></figure>
<div class="share-tools"><a href="#">Share on Facebook</a> <a href="#">Share on X</a></div>
<div class="article-body">{_paras(story.paragraphs[:half])}{_teaser(room, story, "READ MORE:")}</div>
<aside class="ad-slot"><p>Advertisement</p></aside>
<div class="newsletter-box"><h3>Get the Morning Tide</h3><p>Sign up for our free daily newsletter.</p></div>
<div class="article-body">{_paras(story.paragraphs[half:])}{_tweet(story)}</div>
</article>
<section id="comments" class="comments-area"><h3>{story.number % 7} Comments</h3><div class="comment"><p>Great reporting, thank you for following this story so closely.</p></div><p>Leave a Reply</p></section>
</main><footer class="site-footer"><p>© 2026 {_e(outlet.name)}. All rights reserved.</p></footer></body></html>"""


def _herald(room: Newsroom, outlet: Outlet, story: Story, url: str, base: str) -> str:
    columns = []
    for start in range(0, len(story.paragraphs), 2):
        columns.append(
            f'<div class="companion"><div class="para-group">{_paras(story.paragraphs[start : start + 2])}</div></div>'
        )
        columns.append('<div class="ad-container"><div>Advertisement</div></div>')
    most_read = "".join(
        f'<li><a href="{room.story(story.outlet, n).path}">{_e(room.story(story.outlet, n).headline)}</a></li>'
        for n in range(min(4, room.per_outlet))
    )
    return f"""{_head(story, url, outlet, base, jsonld=_jsonld(story, url, outlet, graph=True))}<body>
{_nav(outlet)}<div class="layout"><section class="story"><h1>{_e(story.headline)}</h1>
<p class="dek">{_e(story.dek)}</p>{"".join(columns)}{_tweet(story)}
<div class="newsletter-signup"><p>Subscribe to the Herald Briefing for the stories that matter.</p></div></section>
<div class="sidebar"><h3>Most read</h3><ol>{most_read}</ol></div></div>
<footer><p>Hillside Herald, all rights reserved.</p></footer></body></html>"""


def _ledger(room: Newsroom, outlet: Outlet, story: Story, url: str, base: str) -> str:
    more = "".join(
        f'<div class="post"><h2><a href="{room.story(story.outlet, n).path}">{_e(room.story(story.outlet, n).headline)}</a></h2><p>{_e(room.story(story.outlet, n).dek)}</p></div>'
        for n in range(min(3, room.per_outlet))
    )
    return f"""{_head(story, url, outlet, base)}<body>
<div id="page"><div class="blog-header"><a href="/">{_e(outlet.name)}</a> <a href="/about">About</a></div>
<div class="post main-post"><h1>{_e(story.headline)}</h1>
<p class="post-meta">Posted by {_e(story.author)} on {story.published:%B %-d, %Y}</p>
{_paras(story.paragraphs)}{_tweet(story)}
<div class="sharedaddy"><h3>Share this:</h3><ul><li><a href="#">Click to share on Twitter</a></li></ul></div></div>
<div class="more-posts">{more}</div></div></body></html>"""


def _dispatch(room: Newsroom, outlet: Outlet, story: Story, url: str, base: str) -> str:
    insta = ""
    if story.number % 3 == 0:
        insta = (
            f'<blockquote class="instagram-media" data-instgrm-permalink="https://www.instagram.com/p/Dx{story.number:09d}/">'
            f'<a href="https://www.instagram.com/p/Dx{story.number:09d}/">View this post on Instagram</a>'
            f"<p>A post shared by Metro Photos (@metrophotos)</p></blockquote>"
        )
    return f"""{_head(story, url, outlet, base, jsonld=_jsonld(story, url, outlet))}<body>
{_nav(outlet)}<main><article class="story-page"><h1>{_e(story.headline)}</h1>
<p class="byline">By {_e(story.author)}</p>
<div class="story-text">{_paras(story.paragraphs[:2])}{_teaser(room, story, "RELATED:")}{_paras(story.paragraphs[2:])}{insta}</div>
<div class="promo-box"><p>Download the Dispatch app for breaking news alerts.</p></div>
</article><div class="comments"><p>{story.number % 13} comments</p></div></main></body></html>"""


def relay_lines(room: Newsroom, story: Story) -> list[str]:
    """The text of a relayed copy, as a careless relay leaves it."""
    origin = room.outlet(story.origin or "courier")
    lines = list(story.paragraphs)
    other = room.story(story.origin or "courier", (story.number + 2) % room.per_outlet)
    lines.insert(1, f"READ MORE: {other.headline}")
    if story.tweet is not None and len(lines) > 3:
        handle, status, _ = story.tweet
        lines[3] = f"https://twitter.com/{handle}/status/{status}?ref_src=twsrc%5Etfw{lines[3]}"
    code = f"{story.number:06x}"
    lines += [f"from {origin.name} https://ift.tt/{code}", "via IFTTT", "0 Comments"]
    return lines


def _relay(room: Newsroom, outlet: Outlet, story: Story, url: str, base: str) -> str:
    body = "".join(f"<p>{_e(line)}</p>" for line in relay_lines(room, story))
    return f"""{_head(story, url, outlet, base)}<body><div class="site"><h1 class="site-title">{_e(outlet.name)}</h1>
<div class="entry"><h2 class="entry-title">{_e(story.headline)}</h2><div class="entry-content">{body}</div></div>
<div id="sidebar"><h3>Archives</h3><ul><li><a href="/archive">November 2026</a></li></ul></div></div></body></html>"""


def render_home(outlet: Outlet, base: str) -> bytes:
    return (
        f"<!doctype html><html><head><title>{_e(outlet.name)}</title>"
        f'<link rel="alternate" type="application/rss+xml" title="{_e(outlet.name)}" href="{base}{outlet.feed_path}">'
        f"</head><body><h1>{_e(outlet.name)}</h1></body></html>"
    ).encode()


def render_robots() -> bytes:
    return b"User-agent: *\nDisallow: /private/\n"


def feed_page_url(outlet: Outlet, base: str, page: int) -> str:
    return f"{base}{outlet.feed_path}" + (f"?page={page}" if page > 1 else "")


def render_feed(
    room: Newsroom, outlet: Outlet, base: str, *, page: int = 1, per_page: int | None = None
) -> bytes | None:
    """An outlet's feed, newest first. With ``per_page``, a paged feed (RFC 5005; JSON
    Feed's ``next_url``) as a real site's is: its page ``page`` (None past the last), which
    links to the next, older one. The news sitemap always lists every story."""
    stories = sorted(room.stories(outlet.slug), key=lambda s: s.published, reverse=True)
    following = None
    if per_page and outlet.feed != "sitemap":
        start = (page - 1) * per_page
        if page < 1 or (start >= len(stories) and page > 1):
            return None
        if start + per_page < len(stories):
            following = feed_page_url(outlet, base, page + 1)
        stories = stories[start : start + per_page]
    elif page != 1:
        return None
    next_link = f'<link rel="next" href="{_e(following)}"/>' if following else ""
    if outlet.feed == "atom":
        entries = "".join(
            f'<entry><title>{_e(s.headline)}</title><link href="{base}{s.path}"/>'
            f"<id>{base}{s.path}</id><updated>{s.published.isoformat()}</updated>"
            f"<author><name>{_e(s.author)}</name></author><summary>{_e(s.dek)}</summary></entry>"
            for s in stories
        )
        updated = stories[0].published.isoformat() if stories else "2026-01-01T00:00:00+00:00"
        return (
            f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f'<title>{_e(outlet.name)}</title><id>{base}/</id><link href="{base}/"/>{next_link}'
            f"<updated>{updated}</updated>{entries}</feed>"
        ).encode()
    if outlet.feed == "jsonfeed":
        return json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": outlet.name,
                "home_page_url": base + "/",
                "feed_url": base + outlet.feed_path,
                **({"next_url": following} if following else {}),
                "items": [
                    {
                        "id": base + s.path,
                        "url": base + s.path,
                        "title": s.headline,
                        "summary": s.dek,
                        "date_published": s.published.isoformat(),
                        "authors": [{"name": s.author}],
                        "content_html": f"<p>{_e(s.dek)}</p>",
                    }
                    for s in stories
                ],
            }
        ).encode()
    if outlet.feed == "sitemap":
        urls = "".join(
            f"<url><loc>{base}{s.path}</loc><news:news><news:publication><news:name>"
            f"{_e(outlet.name)}</news:name><news:language>en</news:language></news:publication>"
            f"<news:publication_date>{s.published.isoformat()}</news:publication_date>"
            f"<news:title>{_e(s.headline)}</news:title></news:news></url>"
            for s in stories
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
        ).encode()
    items = []
    for s in stories:
        content = ""
        if outlet.relay:
            content = (
                "<content:encoded><![CDATA["
                + "".join(f"<p>{_e(line)}</p>" for line in relay_lines(room, s))
                + "]]></content:encoded>"
            )
        items.append(
            f"<item><title>{_e(s.headline)}</title><link>{base}{s.path}</link>"
            f'<guid isPermaLink="true">{base}{s.path}</guid>'
            f"<pubDate>{format_datetime(s.published)}</pubDate><description>{_e(s.dek)}</description>"
            f"{content}</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<channel><title>{_e(outlet.name)}</title><link>{base}/</link><ttl>15</ttl>"
        f"{next_link.replace('<link', '<atom:link')}"
        f"<description>{_e(outlet.name)} — {WIRE} and local news</description>{''.join(items)}</channel></rss>"
    ).encode()

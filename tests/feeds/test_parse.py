from __future__ import annotations

import json

import pytest

from newsdesk.errors import FeedParseError
from newsdesk.feeds import Outline, discover_feeds, parse_feed, parse_opml, render_opml

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Local News</title>
<link>https://news.example/</link><ttl>30</ttl>
<item><title>One</title><link>https://news.example/one</link><guid>one</guid>
<pubDate>Tue, 19 Nov 2019 10:00:00 GMT</pubDate><description>&lt;p&gt;First&lt;/p&gt;</description></item>
<item><title>Two</title><link>/two</link></item></channel></rss>"""


def test_rss() -> None:
    feed = parse_feed(RSS, "https://news.example/feed")
    assert (feed.kind, feed.title, feed.ttl_seconds, feed.problems) == (
        "rss",
        "Local News",
        1800,
        (),
    )
    assert [e.url for e in feed.entries] == ["https://news.example/one", "https://news.example/two"]
    assert feed.entries[0].published is not None and feed.entries[0].content == "<p>First</p>"
    assert len({e.guid for e in feed.entries}) == 2


@pytest.mark.parametrize(
    "body",
    [
        b'<rss version="0.91"><channel><title>Old</title><item><title>A</title><link>https://n.example/a</link></item></channel></rss>',
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel><title>R</title></channel><item><title>A</title><link>https://n.example/a</link></item></rdf:RDF>',
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><title>A</title><id>urn:a</id><link href="https://n.example/a"/><updated>2026-01-01T00:00:00Z</updated></entry></feed>',
        b'<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>A03</title><entry><title>A</title><id>urn:a</id><link rel="alternate" href="https://n.example/a"/><issued>2026-01-01T00:00:00Z</issued></entry></feed>',
    ],
)
def test_rss_and_atom_versions(body: bytes) -> None:
    feed = parse_feed(body, "https://n.example/feed")
    assert [e.url for e in feed.entries] == ["https://n.example/a"]


@pytest.mark.parametrize("version", ["1", "1.1"])
def test_json_feed(version: str) -> None:
    body = json.dumps(
        {
            "version": f"https://jsonfeed.org/version/{version}",
            "title": "J",
            "items": [
                {
                    "id": "1",
                    "url": "https://n.example/1",
                    "content_html": "<p>x</p>",
                    "date_published": "2026-01-01T08:00:00+01:00",
                    "authors": [{"name": "Ann"}],
                },
                {"url": "https://n.example/2"},
                "junk",
            ],
        }
    ).encode()
    feed = parse_feed(body, "https://n.example/feed.json")
    assert feed.kind == "jsonfeed" and len(feed.entries) == 2
    assert feed.entries[0].authors == ("Ann",)
    assert any("no id" in p for p in feed.problems) and any(
        "not an object" in p for p in feed.problems
    )


def test_news_sitemap() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://n.example/s1</loc><news:news><news:publication_date>2026-01-02T03:04:05Z</news:publication_date>
<news:title>S1</news:title></news:news></url><url><lastmod>2026-01-01</lastmod></url></urlset>"""
    feed = parse_feed(body, "https://n.example/news-sitemap.xml")
    assert feed.kind == "sitemap" and [e.title for e in feed.entries] == ["S1"]
    assert feed.problems == ("an entry without <loc>",)


def test_entity_expansion_is_refused() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<urlset><url><loc>&lol2;</loc></url></urlset>"""
    with pytest.raises(FeedParseError, match="unsafe or malformed"):
        parse_feed(bomb, "https://n.example/s.xml")


def test_malformed_but_usable_feed_keeps_entries() -> None:
    broken = RSS.replace(
        b"</channel>",
        b"<item><title>Tom & Jerry</title><link>https://news.example/3</link></item></channel>",
    )
    feed = parse_feed(broken, "https://news.example/feed")
    assert len(feed.entries) >= 2
    assert feed.problems == ("1 unescaped '&' read as '&amp;'",)
    assert "Tom & Jerry" in [e.title for e in feed.entries]


@pytest.mark.parametrize(
    "body",
    [b"", b"   ", b"not a feed at all", b'{"no": "version"}', b"<html><body>page</body></html>"],
)
def test_unusable_bodies_raise(body: bytes) -> None:
    with pytest.raises(FeedParseError):
        parse_feed(body, "https://n.example/x")


def test_a_feed_with_ten_thousand_items() -> None:
    items = "".join(
        f"<item><title>Story {n}</title><link>https://n.example/{n}</link><guid>g{n}</guid></item>"
        for n in range(10_000)
    )
    feed = parse_feed(
        f"<rss version='2.0'><channel><title>Big</title>{items}</channel></rss>".encode(),
        "https://n.example/f",
    )
    assert len(feed.entries) == 10_000 and len({e.guid for e in feed.entries}) == 10_000


def test_discovery() -> None:
    html = b"""<html><head><link rel="alternate" type="application/rss+xml" href="/rss">
    <link rel="alternate" type="application/atom+xml" href="https://n.example/atom">
    <link rel="alternate" hreflang="de" href="/de/"></head></html>"""
    found = discover_feeds(html, "https://n.example/page")
    assert found[:2] == ["https://n.example/rss", "https://n.example/atom"]
    assert "https://n.example/de/" not in found
    assert "https://n.example/feed" in found  # common paths follow


def test_opml_round_trip() -> None:
    outlines = [
        Outline(xml_url="https://a.example/feed", title="A & B", html_url="https://a.example/"),
        Outline(xml_url="https://c.example/rss"),
    ]
    assert parse_opml(render_opml(outlines).encode()) == [
        Outline(xml_url="https://a.example/feed", title="A & B", html_url="https://a.example/"),
        Outline(xml_url="https://c.example/rss", title="https://c.example/rss"),
    ]


def test_opml_refuses_entities_and_non_opml() -> None:
    with pytest.raises(FeedParseError):
        parse_opml(
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]><opml><body><outline xmlUrl="&e;"/></body></opml>'
        )
    with pytest.raises(FeedParseError):
        parse_opml(b"<rss/>")

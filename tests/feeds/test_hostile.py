"""Feeds and sitemaps as they come in the wild: sitemap indexes, gzip bodies without
Content-Encoding, undeclared entities, empty and broken feeds, odd JSON Feed versions, and
everything a feed says about itself and its entries."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from newsdesk.errors import FeedParseError
from newsdesk.feeds import parse_feed
from newsdesk.feeds.parse import MAX_FEED_BYTES
from newsdesk.model import Enclosure

SM = "http://www.sitemaps.org/schemas/sitemap/0.9"
INDEX = f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="{SM}">
<sitemap><loc>https://n.example/news-1.xml</loc><lastmod>2026-12-01</lastmod></sitemap>
<sitemap><loc>/news-2.xml.gz</loc></sitemap>
<sitemap><loc>javascript:alert(1)</loc></sitemap>
<sitemap><loc>https://n.example/news-1.xml</loc></sitemap>
</sitemapindex>""".encode()
NEWS = f"""<?xml version="1.0"?><urlset xmlns="{SM}"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://n.example/a?x=1&y=2</loc><news:news><news:title>Caf&eacute; &lol9;opens</news:title>
<news:publication_date>2026-12-01T10:00:00Z</news:publication_date></news:news></url>
</urlset>""".encode()


def test_a_sitemap_index_is_never_entries() -> None:
    feed = parse_feed(INDEX, "https://n.example/sitemap.xml")
    assert feed.kind == "sitemap_index"
    assert feed.entries == ()
    assert feed.children == ("https://n.example/news-1.xml", "https://n.example/news-2.xml.gz")
    assert feed.problems == ("a sitemap without an http(s) <loc> ('javascript:alert(1)')",)


def test_gzipped_sitemaps_without_content_encoding() -> None:
    index = parse_feed(gzip.compress(INDEX), "https://n.example/sitemap.xml.gz")
    assert index.kind == "sitemap_index" and len(index.children) == 2
    assert "gzip" in index.problems[0]
    news = parse_feed(gzip.compress(NEWS), "https://n.example/news.xml.gz")
    assert news.kind == "sitemap" and news.entries[0].url == "https://n.example/a?x=1&y=2"


def test_a_gzipped_rss_feed() -> None:
    body = b"<rss version='2.0'><channel><title>Z</title><item><link>https://n.example/z</link></item></channel></rss>"
    feed = parse_feed(gzip.compress(body), "https://n.example/feed.gz")
    assert (feed.kind, feed.title, len(feed.entries)) == ("rss", "Z", 1)


def test_a_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * (MAX_FEED_BYTES + 10) + b"</urlset>", 9)
    assert len(bomb) < 100_000
    with pytest.raises(FeedParseError, match=f"decompresses to more than {MAX_FEED_BYTES} bytes"):
        parse_feed(bomb, "https://n.example/s.xml.gz")


@pytest.mark.parametrize("body", [gzip.compress(INDEX)[:-30], b"\x1f\x8bnot gzip at all"])
def test_truncated_or_invalid_gzip_is_refused(body: bytes) -> None:
    with pytest.raises(FeedParseError, match="gzip"):
        parse_feed(body, "https://n.example/s.xml.gz")


def test_undeclared_entities_in_a_sitemap_are_dropped() -> None:
    feed = parse_feed(NEWS, "https://n.example/news.xml")
    assert [e.title for e in feed.entries] == ["Café opens"]
    assert feed.entries[0].published == datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert any("undeclared entity references dropped (&lol9;)" in p for p in feed.problems)
    assert any("unescaped '&'" in p for p in feed.problems)


def test_undeclared_entities_never_reach_titles() -> None:
    flood = "&a;" * 20_000
    body = f"""<rss version="2.0"><channel><title>News &lol9;today</title>
<item><title>Big {flood}story</title><link>https://n.example/1</link></item>
<item><title>Caf&eacute; &amp; bar &#233;</title><link>https://n.example/2</link></item>
</channel></rss>""".encode()
    feed = parse_feed(body, "https://n.example/feed")
    assert feed.title == "News today"
    assert [e.title for e in feed.entries] == ["Big story", "Café & bar é"]
    assert any("20001 undeclared entity references dropped" in p for p in feed.problems)


def test_entities_inside_cdata_are_left_alone() -> None:
    body = b"""<rss version="2.0"><channel><title>C</title><item><title><![CDATA[A &foo; & B]]></title>
<link>https://n.example/1</link></item></channel></rss>"""
    feed = parse_feed(body, "https://n.example/feed")
    assert feed.entries[0].title == "A &foo; & B"
    assert feed.problems == ()


@pytest.mark.parametrize(
    "body",
    [
        b'<rss version="2.0"><channel><title>Soon</title><link>https://n.example/</link></channel></rss>',
        b'<rss version="2.0"><channel></channel></rss>',
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>Soon</title><link href="https://n.example/"/></feed>',
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel><title>Soon</title></channel></rdf:RDF>',
    ],
)
def test_a_feed_with_no_items_yet_parses(body: bytes) -> None:
    feed = parse_feed(body, "https://n.example/feed")
    assert feed.entries == ()
    assert feed.kind in ("rss", "atom")
    if b"Soon" in body:
        assert feed.title == "Soon"


def test_a_truncated_feed_keeps_what_is_there() -> None:
    body = b"""<rss version="2.0"><channel><title>Cut</title><link>https://n.example/</link>
<item><title>One</title><link>https://n.example/1</link></item><item><title>Tw"""
    feed = parse_feed(body, "https://n.example/feed")
    assert (feed.title, feed.site_url) == ("Cut", "https://n.example/")
    assert feed.entries[0].url == "https://n.example/1"
    assert any("malformed" in p for p in feed.problems)


@pytest.mark.parametrize(
    "body", [b"<html><head><title>A page</title></head><body><p>text</p></body></html>", b"plain"]
)
def test_no_feed_at_all_is_an_error(body: bytes) -> None:
    with pytest.raises(FeedParseError, match="not a feed"):
        parse_feed(body, "https://n.example/x")


@pytest.mark.parametrize("version", ["1", "1.0", "1.1", " 1.1 "])
def test_json_feed_with_a_bare_version(version: str) -> None:
    body = json.dumps({"version": version, "title": "J", "items": [{"id": "1"}]}).encode()
    feed = parse_feed(body, "https://n.example/feed.json")
    assert (feed.kind, feed.title, len(feed.entries)) == ("jsonfeed", "J", 1)
    assert any("version" in p for p in feed.problems)


@pytest.mark.parametrize("version", ["2", "", "https://example.com/version/1"])
def test_json_without_a_json_feed_version_is_an_error(version: str) -> None:
    with pytest.raises(FeedParseError, match="JSON Feed version"):
        parse_feed(json.dumps({"version": version, "items": []}).encode(), "https://n.example/j")


def test_json_feed_without_items_parses_empty() -> None:
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "E"}).encode()
    feed = parse_feed(body, "https://n.example/feed.json")
    assert feed.entries == () and feed.problems == ("JSON Feed without an items list",)


RSS_FULL = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel><title>Full</title><link>https://n.example/</link><language>en-GB</language>
<managingEditor>desk@n.example (News Desk)</managingEditor>
<image><url>https://n.example/logo.png</url><title>Full</title><link>https://n.example/</link></image>
<atom:link rel="hub" href="https://hub.example/"/>
<atom:link rel="self" href="https://n.example/feed.xml" type="application/rss+xml"/>
<item><title>Pod</title><link>https://n.example/pod</link><guid>pod-1</guid>
<pubDate>Mon, 30 Nov 2026 08:00:00 GMT</pubDate>
<category>Politics</category><category domain="https://n.example/t">World</category>
<comments>https://n.example/pod#comments</comments>
<enclosure url="https://n.example/pod.mp3" length="12345" type="audio/mpeg"/>
<enclosure url="vbscript:msgbox(1)" length="1" type="audio/mpeg"/>
</item></channel></rss>"""


def test_rss_keeps_what_a_feed_says() -> None:
    feed = parse_feed(RSS_FULL, "https://n.example/feed.xml")
    assert feed.site_url == "https://n.example/"
    assert feed.self_url == "https://n.example/feed.xml"
    assert feed.hub_url == "https://hub.example/"
    assert feed.icon == "https://n.example/logo.png"
    assert feed.language == "en-GB"
    assert feed.authors == ("News Desk",)
    entry = feed.entries[0]
    assert entry.categories == ("Politics", "World")
    assert entry.comments_url == "https://n.example/pod#comments"
    assert entry.enclosures == (
        Enclosure(url="https://n.example/pod.mp3", type="audio/mpeg", length=12345),
    )
    assert entry.published == datetime(2026, 11, 30, 8, tzinfo=UTC)
    assert entry.updated is None


ATOM_FULL = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">
<title>Atome</title><id>urn:feed</id><updated>2026-12-01T00:00:00Z</updated>
<icon>/favicon.ico</icon><logo>/logo.png</logo>
<author><name>R\xc3\xa9daction</name></author>
<link rel="alternate" href="https://n.example/"/>
<link rel="self" href="https://n.example/atom.xml"/>
<link rel="hub" href="https://hub.example/"/>
<entry><id>urn:e1</id><title>Vid\xc3\xa9o</title><link href="https://n.example/v"/>
<published>2026-12-01T09:00:00+01:00</published><updated>2026-12-02T10:00:00Z</updated>
<author><name>Ann</name></author><author><name>Bo</name></author>
<category term="sport" label="Sport"/><category term="ski"/>
<link rel="enclosure" href="https://n.example/v.mp4" type="video/mp4" length="99"/>
<link rel="replies" href="https://n.example/v/comments"/>
</entry></feed>"""


def test_atom_keeps_what_a_feed_says() -> None:
    feed = parse_feed(ATOM_FULL, "https://n.example/atom.xml")
    assert (feed.kind, feed.site_url, feed.self_url, feed.hub_url) == (
        "atom",
        "https://n.example/",
        "https://n.example/atom.xml",
        "https://hub.example/",
    )
    assert feed.icon == "https://n.example/favicon.ico"
    assert (feed.language, feed.authors) == ("fr", ("Rédaction",))
    entry = feed.entries[0]
    assert entry.authors == ("Ann", "Bo")
    assert entry.categories == ("Sport", "ski")
    assert entry.enclosures == (
        Enclosure(url="https://n.example/v.mp4", type="video/mp4", length=99),
    )
    assert entry.comments_url == "https://n.example/v/comments"
    assert entry.published == datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert entry.updated == datetime(2026, 12, 2, 10, tzinfo=UTC)


def test_json_feed_keeps_what_a_feed_says() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "J",
            "home_page_url": "https://n.example/",
            "feed_url": "https://n.example/feed.json",
            "hubs": [{"type": "WebSub", "url": "https://hub.example/"}],
            "favicon": "/favicon.ico",
            "language": "de",
            "authors": [{"name": "Desk"}, {"url": "https://n.example/"}],
            "items": [
                {
                    "id": "1",
                    "url": "https://n.example/1",
                    "date_published": "2026-12-01T08:00:00+00:00",
                    "date_modified": "2026-12-01T09:30:00+00:00",
                    "tags": ["Wetter", "", 5],
                    "attachments": [
                        {
                            "url": "https://n.example/1.mp3",
                            "mime_type": "audio/mpeg",
                            "size_in_bytes": 7,
                        },
                        {"url": "data:audio/mpeg;base64,AA==", "mime_type": "audio/mpeg"},
                    ],
                }
            ],
        }
    ).encode()
    feed = parse_feed(body, "https://n.example/feed.json")
    assert (feed.self_url, feed.hub_url, feed.icon, feed.language, feed.authors) == (
        "https://n.example/feed.json",
        "https://hub.example/",
        "https://n.example/favicon.ico",
        "de",
        ("Desk",),
    )
    entry = feed.entries[0]
    assert entry.updated == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert entry.categories == ("Wetter",)
    assert entry.enclosures == (
        Enclosure(url="https://n.example/1.mp3", type="audio/mpeg", length=7),
    )


def test_unsafe_schemes_never_leave_the_parser() -> None:
    body = b"""<rss version="2.0"><channel><title>X</title><link>vbscript:msgbox(1)</link>
<item><title>I</title><link>javascript:alert(1)</link><guid>g</guid><comments>vbscript:x</comments></item>
</channel></rss>"""
    feed = parse_feed(body, "https://n.example/feed")
    assert feed.site_url is None
    assert feed.entries[0].url is None and feed.entries[0].comments_url is None


def test_references_to_characters_xml_forbids_are_dropped() -> None:
    body = f"""<?xml version="1.0"?><urlset xmlns="{SM}"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://n.example/b</loc><news:news><news:title>Bell&#7;&#x1; ok &#233;&#xD800;&#xFFFF;</news:title></news:news></url>
</urlset>""".encode()
    feed = parse_feed(body, "https://n.example/news.xml")
    assert [e.title for e in feed.entries] == ["Bell ok é"]
    assert "4 references to characters XML forbids dropped" in feed.problems


def test_a_utf16_feed_is_not_mended_byte_by_byte() -> None:
    text = "<?xml version='1.0' encoding='utf-16'?><rss version='2.0'><channel><title>A &amp; B</title><item><title>Caf\u00e9</title><link>https://n.example/c</link></item></channel></rss>"
    feed = parse_feed(
        "\ufeff".encode("utf-16-le") + text.encode("utf-16-le"), "https://n.example/f"
    )
    assert feed.title == "A & B"
    assert [e.title for e in feed.entries] == ["Café"]


@pytest.mark.parametrize("declaration", [b"<?xml version='1.0' encoding='utf-8'?>", b""])
def test_one_stray_byte_does_not_turn_a_utf8_feed_to_mojibake(declaration: bytes) -> None:
    body = declaration + (
        "<rss version='2.0'><channel><title>Café — naïve</title><item><title>Grüße @</title>"
        "<link>https://n.example/a</link></item></channel></rss>"
    ).encode().replace(b"@", b"\xff")
    feed = parse_feed(body, "https://n.example/f")
    assert feed.title == "Café — naïve"
    assert [e.title for e in feed.entries] == ["Grüße \ufffd"]
    assert "1 bytes that are not UTF-8 replaced" in feed.problems


def test_a_latin1_feed_labelled_utf8_is_still_read() -> None:
    body = (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Café naïve"
        "</title><item><title>Grüße</title><link>https://n.example/a</link></item></channel></rss>"
    ).encode("latin-1")
    feed = parse_feed(body, "https://n.example/f")
    assert (feed.title, feed.entries[0].title) == ("Café naïve", "Grüße")

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsdesk.urls import (
    absolute_url,
    canonicalize_url,
    classify_post_url,
    domain_of,
    is_http_url,
)


def test_tracking_parameters_and_fragment_are_removed() -> None:
    url = "HTTPS://Example.COM:443/a/b?utm_source=rss&id=7&fbclid=x&ref_src=twsrc%5Etfw#top"
    assert canonicalize_url(url) == "https://example.com/a/b?id=7"


def test_default_port_and_empty_path() -> None:
    assert canonicalize_url("http://example.com:80") == "http://example.com/"
    assert canonicalize_url("http://example.com:8080/x") == "http://example.com:8080/x"


@given(st.text())
def test_canonicalize_is_idempotent_on_any_text(raw: str) -> None:
    once = canonicalize_url(raw)
    assert canonicalize_url(once) == once


@given(
    st.builds(
        lambda host, path, q: f"https://{host}.com/{path}?{q}",
        st.from_regex(r"[a-z]{1,10}", fullmatch=True),
        st.from_regex(r"[a-z0-9/]{0,20}", fullmatch=True),
        st.from_regex(r"(utm_[a-z]+=[a-z0-9]*&)?[a-z]{1,5}=[a-z0-9]{0,5}", fullmatch=True),
    )
)
def test_canonicalize_is_idempotent_on_urls(url: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once
    assert "utm_" not in once


def test_absolute_url() -> None:
    assert absolute_url("/x", "https://a.com/b/c") == "https://a.com/x"
    assert absolute_url("//cdn.a.com/i.png", None) == "https://cdn.a.com/i.png"
    assert absolute_url("javascript:alert(1)", "https://a.com") is None
    assert absolute_url("mailto:x@a.com", "https://a.com") is None
    assert absolute_url("", "https://a.com") is None


def test_domain_of() -> None:
    assert domain_of("https://www.example.co.uk/x") == "example.co.uk"
    assert domain_of("not a url") is None


def test_post_urls_are_recognised() -> None:
    tweet = classify_post_url("https://twitter.com/NASA/status/1234567890?ref_src=twsrc%5Etfw")
    assert tweet is not None
    assert (tweet.platform, tweet.id, tweet.author) == ("twitter", "1234567890", "NASA")
    assert tweet.url == "https://twitter.com/NASA/status/1234567890"
    x_post = classify_post_url("https://x.com/someone/status/42")
    assert x_post is not None and x_post.platform == "twitter"
    youtube = classify_post_url("https://www.youtube.com/embed/dQw4w9WgXcQ?rel=0")
    assert youtube is not None
    assert youtube.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert classify_post_url("https://youtu.be/dQw4w9WgXcQ") == youtube
    insta = classify_post_url("https://www.instagram.com/p/CabcDEF123/?utm_source=ig_embed")
    assert insta is not None and (insta.platform, insta.id) == ("instagram", "CabcDEF123")
    tiktok = classify_post_url("https://www.tiktok.com/@chef.k/video/7123456789012345678")
    assert tiktok is not None and (tiktok.author, tiktok.id) == ("chef.k", "7123456789012345678")
    bsky = classify_post_url("https://bsky.app/profile/alice.bsky.social/post/3kabc")
    assert bsky is not None and bsky.author == "alice.bsky.social"
    toot = classify_post_url("https://mastodon.social/@Gargron/109321765432100000")
    assert toot is not None and toot.platform == "mastodon"
    assert classify_post_url("https://example.com/news/1") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://news.example/a/b", True),
        ("http://news.example", True),
        ("  https://news.example/x  ", True),
        ("HTTPS://News.Example/x?q=1#f", True),
        ("https://user@news.example:8443/x", True),
        ("ftp://news.example/x", False),
        ("javascript:alert(1)", False),
        ("https:///path-only", False),
        ("//news.example/x", False),
        ("/relative", False),
        ("", False),
        (None, False),
        ("http://[::1", False),  # urlsplit raises: not a URL
    ],
)
def test_is_http_url(value: str | None, expected: bool) -> None:
    assert is_http_url(value) is expected


@pytest.mark.parametrize(
    "href",
    [
        "vbscript:msgbox(1)",
        "VBScript:msgbox(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "ftp://a.com/x",
        "tel:+123",
        "mailto:x@a.com",
        "livescript:x",
    ],
)
def test_absolute_url_allows_only_http(href: str) -> None:
    assert absolute_url(href, "https://a.com/b") is None
    assert absolute_url(href, None) is None


def test_absolute_url_keeps_relative_references_without_a_base() -> None:
    assert absolute_url("/x/y?z=1", None) == "/x/y?z=1"
    assert absolute_url("story.html", None) == "story.html"
    assert absolute_url("HTTPS://A.com/x", None) == "HTTPS://A.com/x"
    assert absolute_url("https://", None) is None


def test_an_articles_links_are_only_http() -> None:
    from newsdesk import extract  # noqa: PLC0415 (the extractor is what keeps links)

    hrefs = ["vbscript:msgbox(1)", "VBSCRIPT:x", "javascript:x", "file:///etc/passwd", "/ok"]
    body = "".join(
        f'<p>Paragraph {n} of the story, with <a href="{h}">a link</a>.</p>'
        for n, h in enumerate(hrefs)
    )
    article = extract(f"<html><body><article>{body}</article></body></html>", "https://a.com/s")
    assert [link.url for link in article.links] == ["https://a.com/ok"]

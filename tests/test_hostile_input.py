"""Every public entry point raises only newsdesk's own errors, whatever it is given: nested
past any real document, huge, truncated, mis-encoded (DESIGN §4.2, §4.12).

Hypothesis builds the inputs from the shapes that broke the relay once: a JSON Feed whose
``items`` is 100,000 nested ``[``, a JSON-LD block as deep, a 200 KB item link, markup
nested without end, documents cut anywhere and bytes in the wrong encoding."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import feedparser.encodings
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import newsdesk
from newsdesk.batch.dedupe import DedupeFields, dedupe_corpus
from newsdesk.cli import main
from newsdesk.feeds import parse_feed, read_opml
from newsdesk.pipeline.page import process_page
from newsdesk.store import open_store

FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
    "<link>https://example.com/</link><item><title>{title}</title><link>{link}</link>"
    "<description>{body}</description></item></channel></rss>"
)
PAGE = (
    '<html><head><title>{title}</title><script type="application/ld+json">{jsonld}</script>'
    '</head><body><article><h1>{title}</h1><p>{body}</p><a href="{link}">x</a></article>'
    "</body></html>"
)
OPML = '<opml version="2.0"><body><outline text="{title}" xmlUrl="{link}"/>{body}</body></opml>'


def nested(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    if kind == "object":
        return '{"a":' * depth + "1" + "}" * depth
    if kind == "markup":
        return "<div><span>" * depth + "x"
    return "&amp;" * depth


pieces = st.one_of(
    st.text(max_size=200),
    st.builds(nested, st.integers(1, 120_000), st.sampled_from(["array", "object", "markup", "&"])),
    st.builds(lambda n: "a" * n, st.integers(10_000, 300_000)),
    st.sampled_from(["http://[zz/x", "javascript:alert(1)", "\x00\x01\ufffe", "\ud800", "]]>"]),
)


@st.composite
def documents(draw: st.DrawFn, template: str) -> bytes:
    text = template.format(
        title=draw(pieces), link=draw(pieces), body=draw(pieces), jsonld=draw(pieces)
    )
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1", "cp1252", "shift_jis"]))
    data = text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")
    cut = draw(st.one_of(st.none(), st.integers(0, max(0, len(data) - 1))))
    if cut is not None:
        data = data[:cut]
    noise = draw(st.binary(max_size=16))
    return noise + data if draw(st.booleans()) else data


def json_feed(items: str) -> bytes:
    return (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "x", "items": ' + items + "}"
    ).encode()


ENTRY_POINTS: dict[str, tuple[Callable[[bytes], object], str]] = {
    "extract": (lambda d: newsdesk.extract(d, url="https://example.com/a"), PAGE),
    "clean_text": (lambda d: newsdesk.clean_text(d.decode("utf-8", "replace")), PAGE),
    "parse_feed": (lambda d: parse_feed(d, "https://example.com/feed"), FEED),
    "parse_feed (a page)": (lambda d: parse_feed(d, "https://example.com/feed"), PAGE),
    "read_opml": (read_opml, OPML),
}


def only_our_errors(call: Callable[[bytes], object], data: bytes) -> None:
    with contextlib.suppress(newsdesk.NewsdeskError):  # anything else fails the test
        call(data)


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_entry_points_raise_only_newsdesk_errors(name: str, data: st.DataObject) -> None:
    call, template = ENTRY_POINTS[name]
    only_our_errors(call, data.draw(documents(template)))


@pytest.mark.parametrize(
    "body",
    [
        json_feed("[" * 100_000 + "]" * 100_000),
        json_feed('[{"id": "1", "url": "https://example.com/' + "a" * 200_000 + '"}]'),
        json_feed('[{"id": "1", "url": "http://[zz/x", "content_html": "' + "[" * 50_000 + '"}]'),
        FEED.format(title="t", link="https://example.com/" + "a" * 200_000, body="b").encode(),
    ],
)
def test_the_documents_that_broke_the_relay(body: bytes) -> None:
    only_our_errors(lambda d: parse_feed(d, "https://example.com/feed"), body)
    page = PAGE.format(title="t", jsonld="[" * 100_000, link="http://[zz/x", body="w " * 300)
    only_our_errors(lambda d: newsdesk.extract(d, url="https://example.com/a"), page.encode())


def test_dedupe_reads_a_poisoned_line(tmp_path: Path) -> None:
    corpus = tmp_path / "in.jsonl"
    good = {"id": "1", "url": "https://example.com/a", "title": "A", "text": "word " * 80}
    corpus.write_text(
        json.dumps(good) + "\n" + "[" * 100_000 + "]" * 100_000 + "\n" + '{"id": "2", "text": 5}\n',
        "utf-8",
    )
    with (tmp_path / "out.jsonl").open("w", encoding="utf-8") as out:
        report = dedupe_corpus(corpus, out, fields=DedupeFields())
    lines = (tmp_path / "out.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 3 and report.outcomes is not None and report.outcomes["error"] >= 1


def test_a_lone_surrogate_in_a_feed_never_reaches_the_store(tmp_path: Path) -> None:
    body = json_feed('[{"id": "1", "url": "https://example.com/a", "title": "t\\ud800\\u0001z"}]')
    feed = parse_feed(body.replace(b'"title": "x"', b'"title": "x\\ud800"'), "https://e.com/f")
    assert feed.title == "x" and feed.entries[0].title == "tz"
    store = open_store(tmp_path / "n.db")
    source = store.add_source("https://e.com/f", now=datetime.now(UTC))
    assert store.record_entries(source.id, feed.entries, now=datetime.now(UTC)) == 1


def test_a_lone_surrogate_in_a_page_never_reaches_the_store(tmp_path: Path) -> None:
    jsonld = (
        '{"@type": "NewsArticle", "headline": "Harbour\\ud800 news\\u0001", "author": "A\\udfff"}'
    )
    page = PAGE.format(title="Harbour news", jsonld=jsonld, link="https://e.com/b", body="w " * 80)
    article = process_page(page.encode(), "https://e.com/a")
    assert "\ud800" not in newsdesk.article_to_json(article)
    store = open_store(tmp_path / "n.db")
    assert store.store_article(article, now=datetime.now(UTC)) > 0


def test_a_big_mis_encoded_feed_is_parsed_without_guessing_for_minutes() -> None:
    """No declared encoding fits (UTF-16 bytes declared UTF-8): feedparser's chardet guess,
    pure Python, took minutes on such a body; the relay must not stall on it. (chardet is
    not installed everywhere: that the guess is off is checked as well as the time.)"""
    assert feedparser.encodings.lazy_chardet_encoding is None
    item = FEED.format(title="Überschrift", link="https://example.com/a", body="Grüße " * 20)
    body = (
        item[: -len("</channel></rss>")]
        + item[item.index("<item>") : item.index("</channel>")] * 3000
        + "</channel></rss>"
    ).encode("utf-16-le")
    started = time.monotonic()
    only_our_errors(lambda d: parse_feed(d, "https://example.com/feed"), body)
    assert time.monotonic() - started < 60


def test_extract_prints_a_page_with_a_lone_surrogate(tmp_path: Path) -> None:
    jsonld = '{"@type": "NewsArticle", "description": "Harbour\\ud800 news"}'
    page = tmp_path / "page.html"
    page.write_text(PAGE.format(title="t", jsonld=jsonld, link="https://e.com/b", body="w " * 80))
    result = CliRunner().invoke(main, ["extract", str(page)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["description"] == "Harbour news"

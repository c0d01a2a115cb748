"""`newsdesk add` says why the URL it was given is not a feed before what discovery tried,
and names each URL once."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from newsdesk.config import Settings
from newsdesk.errors import FeedParseError, FetchError
from newsdesk.fetch import Fetcher
from newsdesk.pipeline import add_source
from newsdesk.store import open_store

FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
    + (b"<item><title>a</title><link>https://news.test/a</link></item>" * 50)
    + b"</channel></rss>"
)
BOMB = gzip.compress(b" " * 30_000_000)
PAGES = {
    "/truncated.xml": (200, {"Content-Type": "application/rss+xml"}, gzip.compress(FEED)[:30]),
    "/bomb.xml": (200, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}, BOMB),
    "/gone.xml": (404, {}, b""),
}


def _site(request: httpx.Request) -> httpx.Response:
    status, headers, body = PAGES.get(request.url.path, (404, {}, b""))
    return httpx.Response(status, headers=headers, content=body)


def _add(tmp_path: Path, url: str) -> str:
    settings = Settings(per_host_delay=0.0, respect_robots=False, retries=0)
    store = open_store(tmp_path / "n.db")
    resolve = lambda host, port: ["93.184.216.34"]  # noqa: E731  never contacted
    with (
        Fetcher(settings, transport=httpx.MockTransport(_site), resolver=resolve) as fetcher,
        pytest.raises((FeedParseError, FetchError)) as caught,
    ):
        add_source(store, fetcher, url, now=datetime.now(UTC))
    return str(caught.value)


def test_the_given_url_s_reason_comes_first(tmp_path: Path) -> None:
    url = "https://news.test/truncated.xml"
    message = _add(tmp_path, url)
    assert message.startswith(f"{url}: ") and message.count(url) == 1
    reason = message.split(". Discovery")[0]
    assert "gzip" in reason or "truncated" in reason, message
    assert "Discovery found no feed" in message


@pytest.mark.parametrize(
    ("path", "words"), [("/bomb.xml", "larger than"), ("/gone.xml", "HTTP 404")]
)
def test_fetch_errors_name_their_url_once(tmp_path: Path, path: str, words: str) -> None:
    url = "https://news.test" + path
    message = _add(tmp_path, url)
    assert words in message and message.count(url) == 1, message

"""The fetcher against a server this test starts on 127.0.0.1."""

from __future__ import annotations

import concurrent.futures
import gzip
import http.server
import sys
import threading
import time
import zlib
from collections.abc import Iterator

import brotli
import pytest

from newsdesk.config import Settings
from newsdesk.errors import (
    BlockedError,
    FetchTimeout,
    HTTPStatusError,
    RobotsDisallowed,
    TooLargeError,
    TooManyRedirects,
)
from newsdesk.fetch import Fetcher
from newsdesk.pipeline import process_page

FEED = b"<rss version='2.0'><channel><title>T</title></channel></rss>"
STATE: dict[str, int] = {}


# 50 MB of zeros, gzipped once (about 50 KB): made at import, not at every request, so the
# bomb test's timing depends on the fetcher alone.
BOMB = gzip.compress(b"\0" * 50_000_000)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def send_body(self, body: bytes, status: int = 200, **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:  # the client gave up first (the timeout and cap tests)
            self.close_connection = True

    def do_GET(self) -> None:
        path = self.path
        STATE[path] = STATE.get(path, 0) + 1
        if path == "/robots.txt":
            self.send_body(b"User-agent: *\nDisallow: /private/\n")
        elif path == "/etag":
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.send_header("ETag", '"v1"')
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.send_body(FEED, ETag='"v1"', Last_Modified="Tue, 01 Dec 2026 10:00:00 GMT")
        elif path == "/stale":  # ignores validators, new ETag every time, same body
            self.send_body(FEED, ETag=f'"{time.time_ns()}"')
        elif path == "/busy":
            if STATE[path] <= 2:
                self.send_body(b"slow down", 429, Retry_After="3")
            else:
                self.send_body(FEED)
        elif path == "/broken":
            self.send_body(b"oops", 503)
        elif path == "/gone":
            self.send_body(b"gone", 404)
        elif path == "/loop":
            self.send_body(b"", 302, Location="/loop")
        elif path == "/slow":
            time.sleep(1.5)
            self.send_body(FEED)
        elif path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(100_000):
                    self.wfile.write(b"x" * 65536)
            except OSError:
                pass
            self.close_connection = True
        elif path == "/bomb":
            self.send_body(BOMB, Content_Encoding="gzip")
        elif path == "/gzipped":
            self.send_body(gzip.compress(FEED), Content_Encoding="gzip")
        elif path == "/gzip-trailing":  # a complete stream, then bytes that belong to none
            self.send_body(gzip.compress(FEED) + b"junk", Content_Encoding="gzip")
        elif path == "/brotli":
            self.send_body(brotli.compress(FEED), Content_Encoding="br")
        elif path == "/lying-charset":
            page = (
                "<html><head><meta charset='iso-8859-1'></head><body><article><p>Café crème et "
                "naïveté: the story, with commas, goes on for a while here.</p></article></body></html>"
            )
            self.send_body(page.encode(), Content_Type="text/html; charset=iso-8859-1")
        else:
            self.send_body(FEED)


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def fetcher(sleeps: list[float]) -> Iterator[Fetcher]:
    settings = Settings(
        allow_private_networks=True,
        per_host_delay=0.0,
        retries=2,
        read_timeout=0.5,
        max_body_bytes=1_000_000,
    )
    with Fetcher(settings, sleep=sleeps.append, rng=lambda: 0.5) as client:
        yield client


def test_conditional_get_gives_304(server: str, fetcher: Fetcher) -> None:
    first = fetcher.get(server + "/etag")
    assert first.status == 200 and first.etag == '"v1"' and not first.not_modified
    second = fetcher.get(server + "/etag", etag=first.etag, last_modified=first.last_modified)
    assert second.status == 304 and second.not_modified
    changed = fetcher.get(server + "/etag", etag='"v0"')
    assert changed.status == 200 and not changed.not_modified


def test_stale_validators_are_caught_by_the_content_hash(server: str, fetcher: Fetcher) -> None:
    first = fetcher.get(server + "/stale")
    again = fetcher.get(server + "/stale", etag=first.etag, previous_hash=first.content_hash)
    assert again.status == 200 and again.not_modified


def test_429_retry_after_is_honoured(server: str, fetcher: Fetcher, sleeps: list[float]) -> None:
    result = fetcher.get(server + "/busy")
    assert result.status == 200
    assert sleeps == [3.0, 3.0]


def test_5xx_backs_off_then_fails(server: str, fetcher: Fetcher, sleeps: list[float]) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        fetcher.get(server + "/broken")
    assert caught.value.status == 503 and caught.value.kind == "http_status"
    assert sleeps == [0.375, 0.75]  # exponential, with (here fixed) jitter


def test_404_is_not_retried(server: str, fetcher: Fetcher, sleeps: list[float]) -> None:
    with pytest.raises(HTTPStatusError):
        fetcher.get(server + "/gone")
    assert sleeps == []


def test_redirect_loop(server: str, fetcher: Fetcher) -> None:
    with pytest.raises(TooManyRedirects):
        fetcher.get(server + "/loop")


def test_slow_server_times_out(server: str, fetcher: Fetcher) -> None:
    with pytest.raises(FetchTimeout) as caught:
        fetcher.get(server + "/slow")
    assert caught.value.kind == "timeout"


def test_endless_body_is_capped(server: str, fetcher: Fetcher) -> None:
    with pytest.raises(TooLargeError):
        fetcher.get(server + "/endless")


def test_gzip_bomb_is_capped(server: str, fetcher: Fetcher) -> None:
    with pytest.raises(TooLargeError, match="decompressed"):
        fetcher.get(server + "/bomb")


def test_brotli_is_decoded(server: str, fetcher: Fetcher) -> None:
    assert fetcher.get(server + "/brotli").body == FEED


def test_a_page_keeps_its_gzip_body_as_sent(server: str, fetcher: Fetcher) -> None:
    page = fetcher.get(server + "/gzipped", page=True)
    assert page.body == FEED and page.compressed is not None
    assert zlib.decompress(page.compressed, wbits=47) == FEED
    assert page.content_hash is None  # nothing compares a page with an earlier fetch
    feed = fetcher.get(server + "/gzipped")  # a feed: hashed, nothing kept
    assert feed.compressed is None and feed.content_hash is not None


def test_only_a_clean_gzip_stream_is_kept(server: str, fetcher: Fetcher) -> None:
    trailing = fetcher.get(server + "/gzip-trailing", page=True)
    assert trailing.body == FEED and trailing.compressed is None
    assert fetcher.get(server + "/brotli", page=True).compressed is None
    assert fetcher.get(server + "/plain", page=True).compressed is None


def test_lying_charset_does_not_garble(server: str, fetcher: Fetcher) -> None:
    result = fetcher.get(server + "/lying-charset")
    article = process_page(result.body, result.final_url, charset=result.charset)
    assert "Café crème et naïveté" in article.text


def test_robots_disallow(server: str, fetcher: Fetcher) -> None:
    with pytest.raises(RobotsDisallowed):
        fetcher.get(server + "/private/page")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "10.1.2.3", "169.254.1.1"])
def test_private_addresses_are_refused_by_default(server: str, host: str) -> None:
    port = server.rsplit(":", 1)[1]
    with Fetcher(Settings(), sleep=lambda _: None) as strict, pytest.raises(BlockedError):
        strict.get(f"http://{host}:{port}/feed")


def test_a_hostname_resolving_to_loopback_is_refused() -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    with (
        Fetcher(Settings(), resolver=resolver) as strict,
        pytest.raises(BlockedError, match=r"127\.0\.0\.1"),
    ):
        strict.get("http://news.example.com/feed")


def test_only_http_urls(fetcher: Fetcher) -> None:
    with pytest.raises(BlockedError):
        fetcher.get("file:///etc/passwd")


def test_per_host_concurrency_and_delay(server: str) -> None:
    in_flight = {"now": 0, "most": 0}
    lock = threading.Lock()
    slept: list[float] = []

    class Counting(Fetcher):
        def _exchange(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            with lock:
                in_flight["now"] += 1
                in_flight["most"] = max(in_flight["most"], in_flight["now"])
            try:
                time.sleep(0.05)
                return super()._exchange(*args, **kwargs)
            finally:
                with lock:
                    in_flight["now"] -= 1

    settings = Settings(allow_private_networks=True, per_host_concurrency=2, per_host_delay=0.5)
    with Counting(settings, sleep=slept.append) as fetcher:
        fetcher.get(server + "/robots-warmup")  # robots.txt fetched and cached first
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            list(pool.map(lambda n: fetcher.get(f"{server}/page{n}"), range(6)))
    assert in_flight["most"] == 2
    # Every request after the first waits its turn: 0.5 s apart per host.
    assert len(slept) >= 6 and max(slept) >= 0.5

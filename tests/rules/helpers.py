"""What the rules tests share: stories written through the writer, and a webhook receiver
(a real HTTP server on 127.0.0.1 that the test starts) that records what it is sent."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from newsdesk.config import Settings
from newsdesk.model import Article, FeedEntry, Outcome, Provenance, Quote
from newsdesk.pipeline.link import article_prints
from newsdesk.pipeline.page import make_record
from newsdesk.pipeline.write import _Page, store_page
from newsdesk.store import Store

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
TEXT = (
    "Dock workers walked out at the port of Rotterdam on Monday, halting container traffic "
    "at Europe's busiest harbour. Ned Price said talks would resume on Thursday. "
) * 6


def story(
    url: str, *, text: str = TEXT, title: str = "Port strike halts Rotterdam", **more: object
) -> Article:
    values: dict[str, object] = {
        "url": url,
        "title": title,
        "text": text,
        "site_name": url.split("/")[2],
        "authors": ("Anna de Vries",),
        "published": datetime(2026, 12, 7, 9, tzinfo=UTC),
        "language": "en",
        "quotes": (Quote(text="Talks resume Thursday.", speaker="Ned Price"),),
        "provenance": Provenance(credits=("AP",)),
    }
    values.update(more)
    return Article(**values)  # type: ignore[arg-type]


# The stories above carry a fixed date (2026-12-07) while many tests store them at the real
# clock's time: the writer's age bound (rules_max_age) is off unless a test gives settings.
UNBOUNDED = Settings(rules_max_age=0)


def write(
    store: Store,
    source_url: str,
    article: Article,
    *,
    guid: str | None = None,
    now: datetime = NOW,
    settings: Settings = UNBOUNDED,
) -> Outcome:
    """One page through the writer, as the pass writes it (a transaction of its own)."""
    source = store.source_by_url(source_url) or store.add_source(
        source_url, title=source_url.split("/")[2], now=now
    )
    entry = FeedEntry(guid=guid or article.url or "", url=article.url, title=article.title)
    store.record_entries(source.id, [entry], now=now)
    entry_id = store._db.execute(
        "SELECT id FROM entries WHERE source_id = ? AND guid = ?", (source.id, entry.guid)
    ).fetchone()[0]
    page = _Page(entry_id, source.id, entry, make_record(article), None, article_prints(article))
    with store.batch():
        return store_page(store, page, now, settings)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1: records each request; ``answer`` decides the reply
    (status, headers), ``delay`` seconds before it."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    answer: Callable[[Received], tuple[int, dict[str, str]]] = lambda r: (200, {})
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> list[str]:
        with self.lock:
            return [r.headers.get("webhook-id", "") for r in self.received]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a sender killed mid-request (the crash tests): nothing to report


@contextmanager
def receiver(**options: object) -> Iterator[Receiver]:
    state = Receiver(**options)  # type: ignore[arg-type]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            got = Received({k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
            if state.delay:
                time.sleep(state.delay)
            with state.lock:
                state.received.append(got)
            status, headers = state.answer(got)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = _QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()

"""The trigger bugs users report of feed automations, as fixtures, through the real pass
(`newsdesk run --once`) over a feed and its pages served on 127.0.0.1 by the test: a
non-chronological feed, GUIDs that change while the URLs stay, an edited item, and the
first run over a backlog. Each story is delivered once (the receiver counts ids)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.cli import main
from newsdesk.store import open_store
from newsdesk.store.rules import NewAction
from tests.rules.helpers import receiver

WORDS = [
    "harbour",
    "council",
    "budget",
    "ferry",
    "bridge",
    "school",
    "rail",
    "water",
    "park",
    "library",
    "clinic",
    "road",
]


def _text(n: int, edit: str = "") -> str:
    body = " ".join(WORDS[(n * 7 + k) % len(WORDS)] + f"{n}x{k}" for k in range(150))
    return f"Rotterdam story {n}. {body}. {edit}"


class Site:
    """A feed (its items in the order given, GUIDs given) and an article page per item."""

    def __init__(self) -> None:
        self.base = ""
        self.items: list[tuple[str, int]] = []  # (guid, story number)
        self.edits: dict[int, str] = {}
        self.ages: dict[int, timedelta] = {}  # story n's age (default: n hours)

    def feed(self) -> bytes:
        now = datetime.now(UTC)  # the pass stores at the real clock's time
        entries = "".join(
            f"<item><guid isPermaLink='false'>{guid}</guid><title>Story {n}</title>"
            f"<link>{self.base}/story/{n}.html</link>"
            f"<pubDate>{format_datetime(now - self.ages.get(n, timedelta(hours=n)))}</pubDate>"
            "</item>"
            for guid, n in self.items
        )
        return (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>Port News</title>"
            f"<link>{self.base}/</link>{entries}</channel></rss>"
        ).encode()

    def page(self, n: int) -> bytes:
        return (
            f"<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1>"
            f"<p>{_text(n, self.edits.get(n, ''))}</p></article></body></html>"
        ).encode()


@pytest.fixture
def site() -> Iterator[Site]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/feed.xml":
                body, kind = state.feed(), "application/rss+xml"
            elif self.path.startswith("/story/"):
                n = int(self.path.split("/")[-1].removesuffix(".html"))
                body, kind = state.page(n), "text/html; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


def test_each_story_once_whatever_the_feed_does(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_PER_HOST_DELAY", "0")
    monkeypatch.setenv("NEWSDESK_ALLOW_PRIVATE_NETWORKS", "1")
    monkeypatch.setenv("NEWSDESK_MIN_INTERVAL", "0")
    db = str(tmp_path / "n.db")
    runner = CliRunner()

    def run() -> None:
        result = runner.invoke(main, ["run", "--once", "--db", db])
        assert result.exit_code == 0, result.output

    with receiver() as hook:
        store = open_store(db)
        store.add_source(site.base + "/feed.xml", now=datetime.now(UTC))
        action = NewAction(kind="webhook", target=hook.url, config={})
        store.add_rule("port", query="rotterdam", actions=[action], now=datetime.now(UTC))
        store.close()
        # the first run over a backlog of 6, listed out of chronological order
        site.items = [(f"g{n}", n) for n in (3, 0, 5, 1, 4, 2)]
        run()
        assert len(set(hook.ids())) == 6
        # every GUID changes while the URLs stay (a CMS migration), and item 2 is edited
        site.items = [(f"new-{n}", n) for n in range(6)]
        site.edits[2] = "Update: the strike ended on Tuesday."
        run()
        # a new story arrives
        site.items.append(("g6", 6))
        run()
        ids = hook.ids()
    assert len(ids) == len(set(ids)) == 7


def test_a_new_source_s_backlog_fires_nothing(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source added after the rule: its first pass stores its feed's whole backlog, and
    only the stories published within rules_max_age (48 hours) of it fire."""
    monkeypatch.setenv("NEWSDESK_PER_HOST_DELAY", "0")
    monkeypatch.setenv("NEWSDESK_ALLOW_PRIVATE_NETWORKS", "1")
    monkeypatch.setenv("NEWSDESK_MIN_INTERVAL", "0")
    db = str(tmp_path / "n.db")
    if True:
        store = open_store(db)
        action = NewAction(kind="jsonl", target=str(tmp_path / "out.jsonl"), config={})
        store.add_rule("port", query="rotterdam", actions=[action], now=datetime.now(UTC))
        store.add_source(site.base + "/feed.xml", now=datetime.now(UTC))
        fresh, old = (0, 1, 2), (3, 4, 5, 6, 7)
        site.items = [(f"g{n}", n) for n in (*fresh, *old)]
        site.ages = {n: timedelta(days=n) for n in old}  # 3 to 7 days old
        store.close()
        result = CliRunner().invoke(main, ["run", "--once", "--db", db])
        assert result.exit_code == 0, result.output
        store = open_store(db)
        stored = store._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        fired = {d.article_id for d in store.deliveries()}
        titles = {
            store.stored_article(i).article.title  # type: ignore[union-attr]
            for i in fired
            if i is not None
        }
        store.close()
    assert stored == 8  # the whole backlog is stored and searchable
    assert titles == {f"Story {n}" for n in fresh}  # only the new stories fired

"""Two writers on one PostgreSQL database at the same moment (two relays' writers): copies
of one story are linked as one writer would link them, the second waiting for the first's
commit; writers of different stories do not wait for each other."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from newsdesk.config import Settings
from newsdesk.model import Article, FeedEntry, Outcome
from newsdesk.pipeline.link import article_prints
from newsdesk.pipeline.page import make_record
from newsdesk.pipeline.run import _story_keys
from newsdesk.pipeline.write import COPY, STORED, _Page, store_page
from newsdesk.store import Store, open_store

NOW = datetime(2026, 12, 7, tzinfo=UTC)
STORY = (
    "The harbour bridge reopened on Monday after two years of repairs, the city said. "
    "Engineers replaced the cables and the deck, and traffic returned by noon. "
) * 6
OTHER = (
    "A late frost damaged the apricot orchards of the upper valley this week, growers "
    "reported, and the cooperative expects half the usual harvest. "
) * 6


def _page(store: Store, url: str, text: str, outlet: str) -> _Page:
    source = store.add_source(f"https://{outlet}/rss", now=NOW)
    entry = FeedEntry(guid=url, url=url, title="A story")
    store.record_entries(source.id, [entry], now=NOW)
    entry_id = store.pending_entries()[-1][0]
    article = Article(url=url, title="A story", text=text, site_name=outlet, published=NOW)
    return _Page(entry_id, source.id, entry, make_record(article), None, article_prints(article))


def _writer(
    store: Store, page: _Page, before_commit: Callable[[], None], out: list[Outcome]
) -> Callable[[], None]:
    def run() -> None:
        def work(_: int) -> Outcome:
            store.writing_stories(_story_keys([page]))
            outcome = store_page(store, page, NOW, Settings())
            before_commit()
            return outcome

        out.append(store.retried_batch(work))

    return run


def _links(store: Store, article_id: int) -> tuple[int | None, int | None]:
    row = store._db.execute(
        "SELECT original_id, cluster_id FROM articles WHERE id = ?", (article_id,)
    ).fetchone()
    return row[0], row[1]


def test_copies_of_one_story_stored_at_once_are_linked(pg_url: str) -> None:
    """A holds its transaction open (its copy stored, not committed) while B stores a copy
    of the same story: B waits for A's commit, then finds A's copy and links to it. Without
    the story's lock B would not see A's uncommitted copy, and both would be originals."""
    first, second = open_store(pg_url), open_store(pg_url)
    page_a = _page(first, "https://one.example/bridge", STORY, "one.example")
    page_b = _page(second, "https://two.example/bridge", STORY + "Photo: city hall.", "two.example")
    watcher = open_store(pg_url)
    a_written = threading.Event()
    done_a: list[Outcome] = []
    done_b: list[Outcome] = []

    def hold() -> None:  # until B waits for a lock (or, without one, has stored its copy)
        a_written.set()
        deadline = time.monotonic() + 20
        while not done_b and time.monotonic() < deadline:
            waiting = watcher._db.execute(
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ).fetchone()[0]
            if waiting:
                return
            time.sleep(0.02)

    a = threading.Thread(target=_writer(first, page_a, hold, done_a))
    a.start()
    assert a_written.wait(10)
    b = threading.Thread(target=_writer(second, page_b, lambda: None, done_b))
    b.start()
    a.join(30)
    b.join(30)
    assert done_a[0].kind == STORED
    assert done_b[0].kind == COPY, done_b  # B saw A's copy: one group
    a_id, b_id = done_a[0].article_id, done_b[0].article_id
    assert a_id and b_id
    (a_original, a_cluster), (b_original, b_cluster) = _links(first, a_id), _links(first, b_id)
    assert {a_original, b_original} in ({None, a_id}, {None, b_id})
    assert a_cluster == b_cluster
    first.close()
    second.close()
    watcher.close()


def test_writers_of_different_stories_do_not_wait_for_each_other(pg_url: str) -> None:
    """A holds its transaction open until B, a writer of another story, has committed: B
    must not wait for A's (it would wait forever: A gives up after 20 s and the test
    fails)."""
    first, second = open_store(pg_url), open_store(pg_url)
    page_a = _page(first, "https://one.example/bridge", STORY, "one.example")
    page_b = _page(second, "https://two.example/frost", OTHER, "two.example")
    a_written, b_committed = threading.Event(), threading.Event()
    done_a: list[Outcome] = []
    done_b: list[Outcome] = []
    order: list[str] = []

    def hold() -> None:
        a_written.set()
        b_committed.wait(20)
        order.append("a commits")

    a = threading.Thread(target=_writer(first, page_a, hold, done_a))
    a.start()
    assert a_written.wait(10)
    _writer(second, page_b, lambda: None, done_b)()
    order.append("b committed")
    b_committed.set()
    a.join(30)
    assert order == ["b committed", "a commits"]
    assert done_a[0].kind == STORED and done_b[0].kind == STORED
    first.close()
    second.close()

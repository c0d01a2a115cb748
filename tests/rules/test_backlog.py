"""The age bound (``rules_max_age``): a story published long before it is stored — a new
source's backlog — fires no rule; a story without a date does; ``--backfill`` still sends
an old one. Through the real writer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.config import Settings
from newsdesk.pipeline.fire import backfill, too_old
from newsdesk.store import Store, open_store
from newsdesk.store.rules import NewAction
from tests.rules.helpers import NOW, TEXT, story, write

BOUNDED = Settings()  # rules_max_age 48 hours, the default


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = open_store(tmp_path / "n.db")
    action = NewAction(kind="jsonl", target=str(tmp_path / "out.jsonl"), config={})
    store.add_rule("port", query="rotterdam", actions=[action], now=NOW - timedelta(days=30))
    return store


def _fired(store: Store) -> set[int]:
    return {d.article_id for d in store.deliveries() if d.article_id is not None}


def test_the_default_bound_is_48_hours() -> None:
    assert Settings().rules_max_age == 48


def test_an_old_story_fires_nothing_a_recent_one_and_an_undated_one_fire(store: Store) -> None:
    def text(n: int) -> str:
        return f"Story number {n} of the backlog. " + TEXT.replace("Monday", f"day {n}")

    old = write(
        store,
        "https://new.example/feed",
        story("https://new.example/old", text=text(1), published=NOW - timedelta(days=5)),
        settings=BOUNDED,
    )
    edge = write(
        store,
        "https://new.example/feed",
        story("https://new.example/edge", text=text(2), published=NOW - timedelta(hours=47)),
        settings=BOUNDED,
    )
    undated = write(
        store,
        "https://new.example/feed",
        story("https://new.example/undated", text=text(3), published=None),
        settings=BOUNDED,
    )
    ahead = write(  # a date ahead of the clock (a time zone got wrong): not old
        store,
        "https://new.example/feed",
        story("https://new.example/ahead", text=text(4), published=NOW + timedelta(hours=3)),
        settings=BOUNDED,
    )
    assert {old.kind, edge.kind, undated.kind, ahead.kind} == {"stored"}
    assert _fired(store) == {edge.article_id, undated.article_id, ahead.article_id}


def test_no_bound_and_another_bound(tmp_path: Path, store: Store) -> None:
    old = story("https://new.example/old", published=NOW - timedelta(days=5))
    outcome = write(store, "https://new.example/feed", old, settings=Settings(rules_max_age=0))
    assert _fired(store) == {outcome.article_id}
    other = open_store(tmp_path / "other.db")
    action = NewAction(kind="jsonl", target=str(tmp_path / "o.jsonl"), config={})
    other.add_rule("port", query="rotterdam", actions=[action], now=NOW - timedelta(days=30))
    recent = story("https://new.example/recent", published=NOW - timedelta(hours=2))
    write(other, "https://new.example/feed", recent, settings=Settings(rules_max_age=1))
    assert _fired(other) == set()


def test_a_sighting_of_an_old_story_fires_nothing(store: Store) -> None:
    """The wire's old story, seen at a second outlet: neither page is new news."""
    old = story("https://wire.example/old", published=NOW - timedelta(days=4))
    first = write(store, "https://wire.example/feed", old, settings=BOUNDED)
    again = story("https://other.example/old", published=NOW - timedelta(days=4))
    write(store, "https://other.example/feed", again, settings=BOUNDED)
    assert first.kind == "stored" and _fired(store) == set()


def test_backfill_still_sends_an_old_story(store: Store) -> None:
    old = story("https://new.example/old", published=NOW - timedelta(days=5))
    outcome = write(store, "https://new.example/feed", old, settings=BOUNDED)
    assert _fired(store) == set()
    rule = store.rule("port")
    assert rule is not None and outcome.article_id is not None
    assert backfill(store, rule, [outcome.article_id], NOW) == 1
    assert _fired(store) == {outcome.article_id}


def test_too_old_is_a_function_of_its_input() -> None:
    bound = timedelta(hours=48)
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    assert too_old(story("https://a.example/s", published=now - timedelta(hours=49)), now, bound)
    assert not too_old(
        story("https://a.example/s", published=now - timedelta(hours=48)), now, bound
    )
    assert not too_old(story("https://a.example/s", published=None), now, bound)
    assert not too_old(story("https://a.example/s", published=now - timedelta(days=9)), now, None)

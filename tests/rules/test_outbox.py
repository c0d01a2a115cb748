"""The outbox: deliveries enqueued by the writer, in its transaction, once per story."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from newsdesk.store import Store, open_store
from newsdesk.store.rules import NewAction
from tests.rules.helpers import NOW, TEXT, story, write

HOOK = NewAction(kind="webhook", target="https://hooks.example/in", config={})
FILE = NewAction(kind="jsonl", target="/dev/null", config={})


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The outbox on either backend (PostgreSQL: the session's server, tests/pgserver.py)."""
    where = str(tmp_path / "n.db")
    if request.param == "postgres":
        where = request.getfixturevalue("pg_url")
    store = open_store(where)
    yield store
    store.close()


def _rule(store: Store, query: str, **options: object) -> None:
    store.add_rule("r", query=query, actions=[HOOK, FILE], now=NOW - timedelta(hours=1), **options)  # type: ignore[arg-type]


def _copy(n: int) -> str:
    return TEXT + f" Reported by outlet number {n}, with its own closing line."


def test_a_story_in_four_syndicated_copies_fires_once_per_action(store: Store) -> None:
    _rule(store, "rotterdam")
    kinds = [
        write(
            store, f"https://o{n}.example/feed", story(f"https://o{n}.example/a", text=_copy(n))
        ).kind
        for n in range(4)
    ]
    assert kinds == ["stored", "copy", "copy", "copy"]
    deliveries = store.deliveries()
    assert len(deliveries) == 2  # one per action, not per copy
    assert {d.article_id for d in deliveries} == {1}
    assert len({d.event_id for d in deliveries}) == 2


def test_each_copy_fires_when_the_rule_asks(store: Store) -> None:
    _rule(store, "rotterdam", fires_on="copy")
    for n in range(3):
        write(store, f"https://o{n}.example/feed", story(f"https://o{n}.example/a", text=_copy(n)))
    assert len(store.deliveries()) == 6


def test_a_changed_guid_or_an_edit_over_the_same_url_fires_nothing_more(store: Store) -> None:
    _rule(store, "rotterdam")
    write(store, "https://a.example/feed", story("https://a.example/s/1"), guid="g1")
    write(store, "https://a.example/feed", story("https://a.example/s/1"), guid="g2")
    edited = story("https://a.example/s/1", text=TEXT + " Update: the strike ended.")
    write(store, "https://a.example/feed", edited, guid="g3")
    assert len(store.deliveries()) == 2


def test_a_story_fires_when_it_reaches_three_outlets_once(store: Store) -> None:
    _rule(store, "rotterdam copies>=3")
    write(store, "https://o0.example/feed", story("https://o0.example/a"))
    write(store, "https://o1.example/feed", story("https://o1.example/a"))  # same text: sighting
    assert store.deliveries() == []
    write(store, "https://o2.example/feed", story("https://o2.example/a", text=_copy(2)))
    write(store, "https://o3.example/feed", story("https://o3.example/a", text=_copy(3)))
    assert len(store.deliveries()) == 2


def test_outlets_trigger(store: Store) -> None:
    _rule(store, "strike", fires_on="outlets", outlets=2)
    write(store, "https://o0.example/feed", story("https://o0.example/a"))
    assert store.deliveries() == []
    write(store, "https://o1.example/feed", story("https://o1.example/a", text=_copy(1)))
    write(store, "https://o2.example/feed", story("https://o2.example/a", text=_copy(2)))
    assert [d.event for d in store.deliveries()] == ["story.outlets"] * 2


def test_no_match_no_delivery_and_the_backlog_does_not_fire(store: Store) -> None:
    write(store, "https://o0.example/feed", story("https://o0.example/a"))
    store.add_rule("late", query="rotterdam", actions=[HOOK], now=NOW + timedelta(minutes=1))
    store.add_rule("other", query="antwerp", actions=[HOOK], now=NOW - timedelta(hours=1))
    later = NOW + timedelta(minutes=2)
    write(store, "https://o1.example/feed", story("https://o1.example/a", text=_copy(1)), now=later)
    assert store.deliveries() == []  # the story was stored before "late" existed


def test_a_delivery_is_written_in_the_article_s_transaction(store: Store) -> None:
    _rule(store, "rotterdam")
    with pytest.raises(RuntimeError), store.batch():
        write(store, "https://o0.example/feed", story("https://o0.example/a"))
        raise RuntimeError("killed before the commit")
    assert store.deliveries() == []
    assert store._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0
    write(store, "https://o0.example/feed", story("https://o0.example/a"))
    assert len(store.deliveries()) == 2


def test_disabled_rules_and_removed_rules(store: Store) -> None:
    _rule(store, "rotterdam")
    assert store.set_rule_enabled("r", False)
    write(store, "https://o0.example/feed", story("https://o0.example/a"))
    assert store.deliveries() == []
    assert store.set_rule_enabled("r", True)
    write(store, "https://o1.example/feed", story("https://o1.example/b", text=_copy(1)))
    assert len(store.deliveries()) == 2
    assert store.remove_rule("r") and store.deliveries() == [] and store.rules() == []

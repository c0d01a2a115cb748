"""What the writer reads to fire rules: a page no rule's words match reads nothing of its
story (the story's facts are read when a query asks for them or a query matched)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from newsdesk.store import open_store
from newsdesk.store.rules import NewAction
from tests.rules.helpers import NOW, story, write


def test_the_story_is_read_only_when_a_rule_asks(tmp_path: Path) -> None:
    store = open_store(tmp_path / "n.db")
    action = NewAction(kind="jsonl", target=str(tmp_path / "out.jsonl"), config={})
    before = NOW - timedelta(hours=1)
    store.add_rule("words", query="antwerp original", actions=[action], now=before)
    store.add_rule("phrase", query='"ferry strike" copies>=2', actions=[action], now=before)
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    write(store, "https://a.example/feed", story("https://a.example/s"))
    assert not [s for s in statements if "FROM deliveries" in s or "LEFT JOIN sources" in s]
    assert store.deliveries() == []
    store.add_rule("any", query="rotterdam copies>=1", actions=[action], now=before)
    statements.clear()
    write(store, "https://b.example/feed", story("https://b.example/s", text="Rotterdam. " * 80))
    assert [s for s in statements if "LEFT JOIN sources" in s]  # read once a query asks
    assert [d.rule_name for d in store.deliveries()] == ["any"]

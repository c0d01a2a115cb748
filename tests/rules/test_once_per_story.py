"""A property: however a story's copies arrive (order, duplicates, changed GUIDs, repeats),
each of a rule's actions gets one delivery for it."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.store import open_store
from newsdesk.store.rules import NewAction
from tests.rules.helpers import NOW, TEXT, story, write

# (outlet, a new GUID or not): outlets 0 and 1 carry the text as the wire wrote it (exact
# duplicates of each other), outlets 2 to 4 a copy with a line of their own; an outlet
# seen again re-sends its page, under its GUID or a new one. The wire's own page comes
# first: two copies seen without it are two stories to the dedupe until it arrives (and
# each fires then: "once per story" is once per copy group as the dedupe knows it).
ARRIVALS = st.lists(st.tuples(st.integers(0, 4), st.booleans()), min_size=0, max_size=8).map(
    lambda rest: [(0, False), *rest]
)


@settings(max_examples=25, deadline=None)
@given(arrivals=ARRIVALS)
def test_one_delivery_per_action_and_story(arrivals: list[tuple[int, bool]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "n.db")
        actions = [
            NewAction(kind="webhook", target="https://hooks.example/a", config={}),
            NewAction(kind="jsonl", target="/dev/null", config={}),
        ]
        store.add_rule("r", query="rotterdam", actions=actions, now=NOW - timedelta(hours=1))
        for n, (outlet, new_guid) in enumerate(arrivals):
            own = f" Reported by outlet number {outlet}, with its own closing line."
            text = TEXT if outlet < 2 else TEXT + own
            url = f"https://o{outlet}.example/story"
            guid = f"{url}#{n}" if new_guid else url
            when = NOW + timedelta(minutes=n)
            write(
                store, f"https://o{outlet}.example/feed", story(url, text=text), guid=guid, now=when
            )
        deliveries = store.deliveries()
        assert len(deliveries) == 2, [(d.article_id, d.action_id) for d in deliveries]
        assert len({d.event_id for d in deliveries}) == 2
        store.close()

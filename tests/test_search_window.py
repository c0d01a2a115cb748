"""The ranked window of a search on PostgreSQL: the most recently stored matches, whichever
way they are found (walking the newest documents, or the GIN index for the rest), with
the filters applied; the same as the window SQLite ranks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.model import Article
from newsdesk.store import open_store, pgsearch

NOW = datetime(2026, 12, 1, tzinfo=UTC)
COUNT = 300


def _text(i: int) -> str:
    words = ["council"]  # every article
    if i % 3 == 0:
        words.append("harbour")  # a third
    if i % 50 == 7:
        words.append("zeppelin")  # rare: 6 of them
    if i in (5, 150, 280):
        words.append("ferry timetable")
    return "The " + " and the ".join(words) + " met today."


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    location = (
        str(tmp_path / "window.db")
        if request.param == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    store = open_store(location)
    now = datetime.now(UTC)
    sources = [store.add_source(f"https://s{n}.example/feed", now=now).id for n in (0, 1)]
    with store.batch():
        for i in range(COUNT):
            store.store_article(
                Article(
                    url=f"https://news.example/{i}",
                    title=f"Report {i}",
                    text=_text(i),
                    language="de" if i % 4 == 0 else "en",
                    published=NOW - timedelta(minutes=COUNT - i),
                ),
                source_id=sources[i % 2],
                now=now,
            )
    store.close()
    return location


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("council", lambda i: True),
        ("harbour", lambda i: i % 3 == 0),
        ("zeppelin", lambda i: i % 50 == 7),
        ('"ferry timetable"', lambda i: i in (5, 150, 280)),
        ("absent", lambda i: False),
        ("harbour lang:de", lambda i: i % 3 == 0 and i % 4 == 0),
        ("council -harbour", lambda i: i % 3 != 0),
    ],
)
@pytest.mark.parametrize("first", [4, 40, 500])
def test_window_is_the_newest_matches(
    db: str, query: str, keep: object, first: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every stretch the walk may take (a first of 4 documents, of 40, of all of them),
    then the index or not: the window holds the newest matches, all of them when fewer."""
    monkeypatch.setattr(pgsearch, "WALK_FIRST", first)
    store = open_store(db)
    window = 10
    hits = store.search(query, limit=window, window=window)
    titles = {h.title for h in hits}
    assert callable(keep)
    expected = {f"Report {i}" for i in range(COUNT) if keep(i)}
    newest = sorted(expected, key=lambda t: -int(t.split()[1]))[:window]
    assert titles == set(newest) and len(hits) == len(newest)
    store.close()


def test_walk_settings_are_restored(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index's way turns the planner's index and sequential scans off for its
    statement only: the connection's settings are as they were after the search."""
    store = open_store(pg_url)
    with store.batch():
        for i in range(30):
            store.store_article(
                Article(url=f"https://news.example/{i}", title=f"t {i}", text=_text(i)),
                now=NOW,
            )
    monkeypatch.setattr(pgsearch, "WALK_FIRST", 2)
    assert len(store.search("zeppelin", window=5)) == 1  # i = 7: through the index
    settings = dict(
        store._db.execute(
            "SELECT name, setting FROM pg_settings "
            "WHERE name IN ('enable_indexscan', 'enable_seqscan')"
        ).fetchall()
    )
    assert settings == {"enable_indexscan": "on", "enable_seqscan": "on"}
    store.close()

import dataclasses
import pickle
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsdesk.model import (
    Article,
    Block,
    Embed,
    FeedEntry,
    Link,
    ParsedFeed,
    Provenance,
    Quote,
    Removed,
    article_from_dict,
    article_from_json,
    article_to_dict,
    article_to_json,
)

FULL = Article(
    url="https://example.com/a",
    fetched_url="https://example.com/a?utm_source=x",
    title="T",
    authors=("A B", "C D"),
    published=datetime(2026, 11, 1, 8, 30, tzinfo=timezone(timedelta(hours=2))),
    updated=datetime(2026, 11, 2, tzinfo=UTC),
    site_name="Site",
    language="en-GB",
    description="D",
    image="https://example.com/i.jpg",
    section="News",
    tags=("x", "y"),
    text="One.\n\nTwo.",
    blocks=(Block(kind="heading", text="H", level=2), Block(kind="paragraph", text="One.")),
    embeds=(Embed(platform="twitter", url="https://twitter.com/a/status/1", id="1", author="a"),),
    quotes=(Quote(text="Hi", speaker="A B"),),
    links=(Link(url="https://example.com/b", text="b"),),
    provenance=Provenance(via="IFTTT", source="Outlet", credits=("AP",)),
    removed=(Removed(text="READ MORE: x", reason="teaser"),),
)


def test_every_field_round_trips_through_json() -> None:
    assert article_from_json(article_to_json(FULL)) == FULL
    data = article_to_dict(FULL)
    assert data["published"] == "2026-11-01T08:30:00+02:00"
    assert data["blocks"][0] == {"kind": "heading", "text": "H", "level": 2}
    assert "level" not in data["blocks"][1]
    assert set(data) == set(Article.__dataclass_fields__)


def test_naive_dates_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Article(published=datetime(2026, 1, 1))


def test_unknown_fields_and_kinds_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown Article fields"):
        article_from_dict({"nope": 1})
    with pytest.raises(ValueError, match="unknown block kind"):
        article_from_dict({"blocks": [{"kind": "table", "text": "x"}]})


@given(
    title=st.none() | st.text(),
    text=st.text(),
    authors=st.lists(st.text(), max_size=3),
    stamp=st.none() | st.datetimes(timezones=st.just(UTC)),
)
def test_round_trip_property(
    title: str | None, text: str, authors: list[str], stamp: datetime | None
) -> None:
    article = Article(title=title, text=text, authors=tuple(authors), published=stamp)
    assert article_from_json(article_to_json(article)) == article


def test_records_pickle_by_their_fields() -> None:
    """Records cross to the extraction processes and back as pickles: every field survives,
    nested records included, and frozen records stay frozen."""
    back = pickle.loads(pickle.dumps(FULL, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == FULL and type(back.blocks[0]) is Block
    feed = ParsedFeed(kind="rss", url="https://e.com/f", entries=(FeedEntry(guid="g", url="u"),))
    assert pickle.loads(pickle.dumps(feed)) == feed
    with pytest.raises(dataclasses.FrozenInstanceError):
        back.title = "changed"  # type: ignore[misc]

"""Matching a rule's query against an Article and its story (pure)."""

from __future__ import annotations

import re

import pytest

from newsdesk.errors import QueryError
from newsdesk.model import Article, Embed, Provenance, Quote
from newsdesk.rules.match import Story, matches, parse_rule

ARTICLE = Article(
    url="https://wire.example/a",
    title="Port strike halts Rotterdam",
    text="Dock workers walked out on Monday. Ned Price said talks resume Thursday. 港口罢工",
    authors=("Anna de Vries",),
    language="en-GB",
    site_name="Wire News",
    quotes=(Quote(text="Talks resume Thursday.", speaker="Ned Price"),),
    embeds=(Embed(platform="twitter", url="https://twitter.com/x/status/1"),),
    provenance=Provenance(credits=("AP", "Reuters")),
)
STORY = Story(copies=3, original=True, sources=("Wire News feed", "https://wire.example/rss"))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("rotterdam", True),
        ("ROTTERDAM strike", True),
        ("antwerp", False),
        ('"port strike"', True),
        ('"strike port"', False),
        ("rotterdam -antwerp", True),
        ("rotterdam -dock", False),
        ("antwerp OR rotterdam", True),
        ("(antwerp OR hamburg) strike", False),
        ("walk*", True),
        ("walkabout*", False),
        ("港口", True),
        ("copies>=3", True),
        ("copies>3", False),
        ("copies<2", False),
        ("copies:3", True),
        ("original", True),
        ("-original", False),
        ("credit:AP", True),
        ("credit:ap", True),
        ("credit:AFP", False),
        ('speaker:"Ned Price"', True),
        ("speaker:price", True),
        ("speaker:pri", False),
        ("embed:twitter", True),
        ("embed:youtube", False),
        ("lang:en", True),
        ("lang:en-gb", True),
        ("lang:de", False),
        ("source:wire", True),
        ("source:rss", True),
        ("source:bbc", False),
        ("author:vries", True),
        ("strike copies>=2 original credit:AP -lang:de", True),
    ],
)
def test_conditions(query: str, expected: bool) -> None:
    assert matches(parse_rule(query), ARTICLE, STORY) is expected


def test_a_syndicated_copy_is_not_original() -> None:
    copy = Story(copies=1, original=False)
    assert not matches(parse_rule("original"), ARTICLE, copy)
    assert matches(parse_rule("copies:1 -original"), ARTICLE, copy)


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ('"port strike', "unclosed quote at character 1"),
        ("rotterdam (", "'(' at character 11 is never closed"),
        ("copies>=many", "'many' is not a number"),
        ("since:7d", "unknown condition 'since:7d'"),
        ("credit>=AP", "write credit:value"),
        ("", "a rule needs a query"),
    ],
)
def test_a_query_that_does_not_parse_says_where(query: str, says: str) -> None:
    with pytest.raises(QueryError, match=re.escape(says)):
        parse_rule(query)

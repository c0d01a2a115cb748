"""Matching a rule's query against an Article and its story (pure)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.errors import QueryError
from newsdesk.model import Article, Embed, Provenance, Quote
from newsdesk.query import And, Not, Or, Phrase, Term
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


# -- words and phrases: the writer's fast search means what the word list means -----------

_TOKENS = ["port", "strike", "Rotterdam", "ned", "price", "w1", "w12", "covid", "19", "é"]
_TOKENS += ["Ärger", "straße", "STRASSE", "x_y", "ports"]
_SEPARATORS = [" ", ", ", "-", ".\n", "'", "_", "  ", "—"]
_QUERIES = [
    "port",
    '"port strike"',
    "covid-19",
    "w1",
    "w1*",
    "str*",
    "port*",
    '"ned price"',
    "straße",
    "strasse",
    "ärger",
    "port -strike",
    '"strike rotterdam"',
    "é",
    "x_y",
    '"port port"',
]


def _by_word_list(query: str, article: Article) -> bool:
    """The reference: the text split into words (``\\w+``), a word one of them, a phrase
    its words in a row, a prefix the beginning of one."""
    words = re.findall(r"\w+", f"{article.title or ''}\n{article.text}".casefold())
    vocabulary, joined = set(words), " " + " ".join(words) + " "

    def holds(node: object) -> bool:
        if isinstance(node, And):
            return all(holds(item) for item in node.items)
        if isinstance(node, Or):
            return any(holds(item) for item in node.items)
        if isinstance(node, Not):
            return not holds(node.node)
        assert isinstance(node, Term | Phrase)
        folded = node.text.casefold()
        if isinstance(node, Term) and node.prefix:
            return any(word.startswith(folded) for word in vocabulary)
        parts = re.findall(r"\w+", folded)
        return bool(parts) and f" {' '.join(parts)} " in joined

    return holds(parse_rule(query))


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(
        st.tuples(st.sampled_from(_TOKENS), st.sampled_from(_SEPARATORS)), min_size=1, max_size=8
    ),
    title=st.sampled_from(["", "Port", "W1 news", "Strike"]),
)
def test_words_and_phrases_as_the_word_list_says(pieces: list[tuple[str, str]], title: str) -> None:
    article = Article(
        url="https://a.example/x", title=title, text="".join(a + b for a, b in pieces)
    )
    for query in _QUERIES:
        assert matches(parse_rule(query), article, Story()) == _by_word_list(query, article), query

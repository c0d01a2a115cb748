"""The query syntax (newsdesk.query): what each form reads as, and the errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsdesk.errors import QueryError
from newsdesk.query import (
    And,
    Filter,
    Flag,
    Not,
    Or,
    Phrase,
    Term,
    compare,
    evaluate,
    leaves,
    parse,
    parse_when,
    search_filters,
)


def test_words_phrases_exclusions_alternatives_and_filters() -> None:
    tree = parse('港口 "port  strike" -rumour (rotterdam OR antwerp) source:reuters since:7d')
    assert tree == And(
        (
            Term("港口"),
            Phrase("port strike"),
            Not(Term("rumour")),
            Or((Term("rotterdam"), Term("antwerp"))),
            Filter("source", ":", "reuters"),
            Filter("since", ":", "7d"),
        )
    )


def test_or_binds_tighter_than_and_and_only_in_capitals() -> None:
    assert parse("a b OR c d") == And((Term("a"), Or((Term("b"), Term("c"))), Term("d")))
    assert parse("cats or dogs") == And((Term("cats"), Term("or"), Term("dogs")))
    assert parse("a AND b") == And((Term("a"), Term("b")))


def test_rule_conditions_comparisons_flags_and_quoted_values() -> None:
    tree = parse(
        'copies>=3 original credit:AP speaker:"Ned  Price" embed:twitter -paywalled',
        flags={"original", "paywalled"},
    )
    assert tree.items == (
        Filter("copies", ">=", "3"),
        Flag("original"),
        Filter("credit", ":", "AP"),
        Filter("speaker", ":", "Ned Price"),
        Filter("embed", ":", "twitter"),
        Not(Flag("paywalled")),
    )
    facts = {"copies": 4, "original": True, "credit": "AP", "speaker": "Ned Price"}

    def test(leaf: object) -> bool:
        if isinstance(leaf, Flag):
            return bool(facts.get(leaf.name))
        if isinstance(leaf, Filter) and leaf.name == "copies":
            return compare(leaf, facts["copies"])
        if isinstance(leaf, Filter):
            return facts.get(leaf.name) == leaf.value
        return False

    assert not evaluate(tree, test)  # no twitter embed
    assert evaluate(parse("copies>=3 original -embed:twitter", flags={"original"}), test)
    assert not evaluate(parse("copies<2"), test)


def test_prefixes_dashes_inside_words_and_urls() -> None:
    assert parse("econ* well-known") == And((Term("econ", prefix=True), Term("well-known")))
    assert parse("Biden - Trump") == And((Term("Biden"), Term("Trump")))
    assert parse("https://example.com/a") == And((Term("https://example.com/a"),))
    assert parse("   ") == And(())


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ('"port strike', "unclosed quote at character 1"),
        ('speaker:"Ned', "unclosed quote at character 9"),
        ("OR cats", "'OR' at character 1 has nothing before it"),
        ("cats OR", "'OR' at character 6 has nothing after it"),
        ("cats OR OR dogs", "nothing after it"),
        ("(cats dogs", "never closed"),
        ("cats)", "closes nothing"),
        ("()", "is empty"),
        ("cats -", None),  # a lone dash is read as space: no error
        ("-(a) -", None),
        ("source:", "has no value"),
        ("x" * 501, "at most 500"),
        ("(" * 40 + "a" + ")" * 40, "deeper than"),
    ],
)
def test_malformed_queries_say_what_and_where(query: str, problem: str | None) -> None:
    if problem is None:
        parse(query)
        return
    with pytest.raises(QueryError, match=problem.replace("(", r"\(")):
        parse(query)


def test_search_knows_its_filters() -> None:
    search_filters(parse("port source:reuters lang:de author:x since:2026 until:2027"))
    with pytest.raises(QueryError, match="unknown filter 'copies>='"):
        search_filters(parse("copies>=3"))
    with pytest.raises(QueryError, match="cannot be excluded"):
        search_filters(parse("port -source:bbc"))
    with pytest.raises(QueryError, match="cannot be excluded or an alternative"):
        search_filters(parse("port OR lang:de"))
    with pytest.raises(QueryError, match="written lang:value"):
        search_filters(parse("lang=de"))


def test_dates_absolute_and_relative() -> None:
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    assert parse_when("2026-11-07", now) == datetime(2026, 11, 7, tzinfo=UTC)
    assert parse_when("2026-11", now) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_when("2026", now) == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_when("7d", now) == datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert parse_when("24h", now) == datetime(2026, 12, 6, 12, tzinfo=UTC)
    with pytest.raises(QueryError, match="not a date"):
        parse_when("yesterday", now)


@given(st.text(max_size=200))
def test_any_text_parses_or_raises_a_query_error_and_prints_back(text: str) -> None:
    try:
        tree = parse(text)
    except QueryError:
        return
    assert parse(str(tree)) == tree
    for leaf, _ in leaves(tree):
        assert str(leaf)

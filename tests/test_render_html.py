"""The article page's story (render.story_html): every value escaped, markup sanitised,
and what the page needs in it."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from hypothesis import example, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from newsdesk.model import Article, Embed, Provenance, Quote, Removed
from newsdesk.render import STORY_MARK, story_html

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"


def test_the_story_has_its_parts_and_marks_its_version() -> None:
    article = Article(
        url="https://bbc.example/news/1",
        title="Minister quits",
        description="The dek.",
        authors=("Ann Lee", "Bo Chan"),
        published=datetime(2026, 11, 3, 9, 5, tzinfo=UTC),
        site_name="BBC News",
        text="First paragraph.\n\nSecond paragraph.",
        embeds=(Embed(platform="twitter", url="https://twitter.com/a/status/1"),),
        quotes=(Quote(text="I am going", speaker="the minister"),),
        provenance=Provenance(via="IFTTT", source="BBC News", link="https://bbc.in/x"),
        removed=(Removed(text="READ MORE: other", reason="teaser"),),
    )
    html = story_html(article)
    assert html.startswith(STORY_MARK)
    tree = HTMLParser(html)
    assert tree.css_first("header h1").text() == "Minister quits"
    assert tree.css_first(".dek").text() == "The dek."
    meta = tree.css_first(".meta").text()
    assert "By Ann Lee, Bo Chan" in meta and "03 November 2026, 09:05 UTC" in meta
    assert tree.css_first("time").attributes["datetime"] == "2026-11-03T09:05:00+00:00"
    assert tree.css_first(".provenance").text() == (
        "Relayed by IFTTT from BBC News; original at https://bbc.in/x."
    )
    assert tree.css_first(".original a").attributes["href"] == "https://bbc.example/news/1"
    assert [p.text() for p in tree.css(".body > p")] == ["First paragraph.", "Second paragraph."]
    assert tree.css_first("figure.embed a").attributes["href"] == "https://twitter.com/a/status/1"
    assert tree.css_first(".quotes cite").text() == "the minister"
    assert "READ MORE: other" in tree.css_first("details.removed").text()
    assert "(1)" in tree.css_first("details.removed summary").text()
    assert story_html(article, "<p>given</p>").count("<p>given</p>") == 1  # a body at hand


def test_a_bare_article_has_only_a_headline_and_a_body() -> None:
    tree = HTMLParser(story_html(Article(url="javascript:alert(1)", text="x")))
    assert tree.css_first("h1").text() == "(untitled)"
    for absent in (".dek", ".meta", ".provenance", ".original", ".quotes", "details"):
        assert tree.css_first(absent) is None, absent


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
@example("\r\n\r\x00\x0c</h1><h1>")
def test_hostile_values_stay_text(extra: str) -> None:
    value = HOSTILE + extra
    article = Article(
        url="https://a.example/1",
        title=value,
        description=value,
        authors=(value,),
        site_name=value,
        text=value,
        quotes=(Quote(text=value, speaker=value),),
        provenance=Provenance(via=value, credits=(value,)),
        removed=(Removed(text=value, reason=value),),
    )
    html = story_html(article)
    tree = HTMLParser(html)
    assert tree.css("script") == [] and tree.css("img") == []
    for node in tree.css("*"):
        assert not any(name.lower().startswith("on") for name in node.attributes)
    assert f"<h1>{escape(value)}</h1>" in html and f"<cite>{escape(value)}</cite>" in html

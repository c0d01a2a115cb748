"""The web reader: pages, structure shown, security headers, XSS payloads inert."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from newsdesk.render import STORY_MARK
from tests.serve.conftest import Served


def page(served: Served, path: str, status: int = 200) -> HTMLParser:
    response = served.client.get(path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    return HTMLParser(response.text)


def test_river_lists_newest_first_and_pages(served: Served) -> None:
    tree = page(served, "/")
    titles = [a.text() for a in tree.css("ol.river h2 a")]
    assert len(titles) == 30
    assert titles[0].startswith("Hostile")  # the newest (hour 1000)
    older = tree.css_first("a[rel=next]")
    assert older is not None
    tree2 = page(served, "/" + older.attributes["href"])  # type: ignore[operator]
    assert len(tree2.css("ol.river h2 a")) == 12
    assert tree.css_first('link[type="application/atom+xml"]') is not None


def test_article_page_shows_structure(served: Served) -> None:
    tree = page(served, f"/articles/{served.relayed_id}")
    assert tree.css_first("h1").text() == "Minister quits over harbour deal"
    assert "Relayed by IFTTT from BBC News" in tree.css_first(".provenance").text()
    assert "https://bbc.example/news/1" in tree.css_first(".provenance").text()
    embed = tree.css_first("figure.embed a")
    assert embed is not None and embed.attributes["href"] == "https://twitter.com/a/status/1"
    quote = tree.css_first(".quotes li")
    assert quote is not None and "the minister" in quote.css_first("cite").text()
    details = tree.css_first("details.removed")
    assert details is not None and "READ MORE" in details.text()


def test_search_highlights_matches(served: Served) -> None:
    tree = page(served, "/search?q=minister")
    marks = [m.text() for m in tree.css(".snippet mark")]
    assert marks and all(m.lower() == "minister" for m in marks)
    assert page(served, "/search?q=").css_first("ol.results") is None


def test_sources_page_shows_health(served: Served) -> None:
    tree = page(served, "/sources")
    row = tree.css_first("table.sources tbody tr")
    assert row is not None and "Example feed" in row.text() and "42" in row.text()
    per_source = page(served, f"/sources/{served.source_id}")
    assert len(per_source.css("ol.river li")) == 30


def test_unknown_article_is_a_404_page(served: Served) -> None:
    tree = page(served, "/articles/424242", status=404)
    assert "no article 424242" in tree.body.text()  # type: ignore[union-attr]


def _no_live_markup(html: str) -> None:
    tree = HTMLParser(html)
    assert tree.css("script") == [] and tree.css("svg") == [] and tree.css("iframe") == []
    for node in tree.css("*"):
        for name, value in node.attributes.items():
            assert not name.lower().startswith("on"), (node.tag, name)
            if name in ("href", "src", "action") and value:
                assert not re.match(r"\s*javascript:", value, re.I), (node.tag, value)


def test_xss_payloads_are_inert_in_every_page(served: Served) -> None:
    for path in (
        "/",
        f"/articles/{served.hostile_id}",
        "/search?q=hostile",
        "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
        "/sources",
        f"/sources/{served.source_id}",
    ):
        response = served.client.get(path)
        assert response.status_code == 200
        _no_live_markup(response.text)
    text = served.client.get(f"/articles/{served.hostile_id}").text
    assert "&lt;script&gt;" in text  # shown as text, not dropped silently


@pytest.mark.parametrize(
    ("path", "parameter", "problem"),
    [
        ("/articles/abc", "article_id", "should be a whole number"),
        ("/articles/0", "article_id", "should be at least 1"),
        ("/articles/99999999999999999999999", "article_id", "should be at most"),
        ("/sources/x1", "source_id", "should be a whole number"),
        ("/?collapse=maybe", "collapse", "should be true or false"),
        ("/?cursor=" + "a" * 201, "cursor", "at most 200 characters"),
        ("/?cursor=notacursor", "cursor", "not a cursor this server made"),
        ("/search?q=harbour&page=0", "page", "should be at least 1"),
        ("/search?q=harbour&page=501", "page", "should be at most 500"),
        ("/search?q=harbour&page=two", "page", "should be a whole number"),
        ("/search?q=" + "x" * 501, "q", "at most 500 characters"),
    ],
)
def test_malformed_parameters_are_a_400_page_naming_them(
    served: Served, path: str, parameter: str, problem: str
) -> None:
    tree = page(served, path, status=400)
    text = tree.body.text()  # type: ignore[union-attr]
    assert parameter in text and problem in text, text


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/feeds/all.xml", "kind"),
        ("/feeds/search.atom", "q"),
        ("/feeds/search.json?q=" + "x" * 501, "q"),
        ("/feeds/sources/abc.atom", "source_id"),
    ],
)
def test_malformed_feed_parameters_are_a_400_in_the_error_shape(
    served: Served, path: str, parameter: str
) -> None:
    response = served.client.get(path)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_request" and error["details"][0]["parameter"] == parameter


def test_unknown_paths_and_methods(served: Served) -> None:
    assert "nothing at /nowhere" in page(served, "/nowhere", status=404).body.text()  # type: ignore[union-attr]
    assert served.client.get("/feeds/sources/424242.atom").status_code == 404
    assert served.client.post("/articles/1").status_code == 405
    assert served.client.head(f"/articles/{served.relayed_id}").status_code == 200


@given(
    st.datetimes(min_value=datetime(1000, 1, 1), timezones=st.sampled_from([UTC, None])),
)
def test_times_read_as_strftime_writes_them(when: datetime) -> None:
    from newsdesk.render import format_when  # noqa: PLC0415

    for style, spec in [
        ("long", "%d %B %Y, %H:%M %Z"),
        ("card", "%d %b %Y, %H:%M"),
        ("short", "%d %b %H:%M"),
        ("date", "%d %b %Y"),
    ]:
        assert format_when(when, style) == when.strftime(spec).rstrip()


def test_an_article_without_a_current_stored_story_renders_the_same_page(served: Served) -> None:
    """Rows stored before the store kept the story (or under an older STORY_MARK) are
    rendered from their records when shown: the same page, the hostile one as inert."""
    paths = [f"/articles/{served.relayed_id}", f"/articles/{served.hostile_id}"]
    stored = [served.client.get(p).text for p in paths]
    db = served.store._db
    db.execute("UPDATE articles SET story_html = NULL WHERE id = ?", (served.relayed_id,))
    db.execute(
        "UPDATE articles SET story_html = replace(story_html, ?, '<!-- an older story -->') "
        "WHERE id = ?",
        (STORY_MARK, served.hostile_id),
    )
    db.commit()
    for article_id in (served.relayed_id, served.hostile_id):
        view = served.store.article_view(article_id)
        assert view is not None and view.story_html is None
    assert [served.client.get(p).text for p in paths] == stored
    _no_live_markup(stored[1])

"""The reader as real readers found it (issue 22, "The reader"): right-to-left stories and
names isolated, times in one stated zone, search hits naming their outlet, a page for a
story cluster, the copies block in plain weight. (Its width at 390 px: test_browser.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from newsdesk.config import Settings
from newsdesk.model import Block
from newsdesk.pipeline.link import article_prints, link_article
from newsdesk.render import STORY_MARK, story_html, text_direction
from newsdesk.serve import create_app
from newsdesk.store import Store, open_store
from tests.dedupe.test_links import STORY
from tests.serve.conftest import T0, story
from tests.serve.test_dedupe_views import article

ARABIC_NAME = "فاطمة الزهراء"
PLUS3 = timezone(timedelta(hours=3))
Reader = tuple[TestClient, Store, dict[str, int]]


@pytest.fixture
def reader(tmp_path: Path) -> Iterator[Reader]:
    store = open_store(tmp_path / "reader.db")
    first = store.add_source("https://a.example/feed", title="Alpha Times", now=T0)
    second = store.add_source("https://b.example/feed", title="Beta Post", now=T0)
    rtl = story(
        1,
        title="مجلس الميناء يصوت على الصفقة",
        authors=(ARABIC_NAME,),
        language="ar",
        site_name="أخبار الميناء",
        published=datetime(2026, 12, 6, 1, 30, tzinfo=PLUS3),
        text="نص المقال عن الميناء.",
        blocks=(Block(kind="paragraph", text="نص المقال عن الميناء."),),
    )
    ids = {"rtl": store.store_article(rtl, source_id=first.id, now=T0)}
    with store.batch():
        for name, source, a in (
            ("orig", first.id, article("orig", STORY, 0)),
            ("copy", second.id, article("copy", [*STORY, "via Relay Blog"], 2)),
        ):
            ids[name] = store.store_article(a, source_id=source, now=T0)
            link_article(store, ids[name], a, article_prints(a))
    with TestClient(create_app(Settings(db=store.path), store)) as client:
        yield client, store, ids
    store.close()


def test_a_right_to_left_story_says_so_and_isolates_names(reader: Reader) -> None:
    client, _, ids = reader
    page = HTMLParser(client.get(f"/articles/{ids['rtl']}").text)
    story_node = page.css_first("article.story")
    assert story_node.attributes["dir"] == "rtl" and story_node.attributes["lang"] == "ar"
    meta = page.css_first("article.story header p.meta")
    assert meta.attributes["dir"] == "ltr"
    assert [b.text() for b in meta.css("bdi")] == [ARABIC_NAME, "أخبار الميناء"]
    card = HTMLParser(client.get("/").text).css_first("li.card")
    assert card.css_first("h2").attributes["dir"] == "rtl"
    assert [b.text() for b in card.css("p.meta bdi")] == ["أخبار الميناء", ARABIC_NAME]


def test_titles_of_unknown_direction_are_judged_by_the_browser(reader: Reader) -> None:
    client, store, _ = reader
    source = store.add_source("https://c.example/feed", title="صحيفة الميناء", now=T0)
    for path in (f"/sources/{source.id}", "/search?q=%D8%B5%D8%AD%D9%8A%D9%81%D8%A9"):
        assert HTMLParser(client.get(path).text).css_first("h1").attributes["dir"] == "auto"


def test_stories_of_unknown_direction_let_the_browser_judge() -> None:
    assert text_direction(None) is None
    assert [text_direction(t) for t in ("he", "fa-IR", "ur", "ku-Arab", "ku", "en", "zh")] == [
        "rtl", "rtl", "rtl", "rtl", "ltr", "ltr", "ltr"
    ]  # fmt: skip
    html = story_html(story(3, authors=("Ann <b>Lee</b>", ARABIC_NAME), language=None))
    assert html.startswith(STORY_MARK)
    assert "By <bdi>Ann &lt;b&gt;Lee&lt;/b&gt;</bdi>, <bdi>" in html


def test_river_times_are_in_utc_and_say_so(reader: Reader) -> None:
    client = reader[0]
    card = HTMLParser(client.get("/").text).css_first("li.card")
    time = card.css_first("time")
    assert time.text() == "05 Dec 2026, 22:30 UTC"  # 01:30 at +03:00 on the 6th
    sources = HTMLParser(client.get("/sources").text)
    assert all(t.text().endswith(" UTC") for t in sources.css("time"))


def test_search_hits_name_their_outlet(reader: Reader) -> None:
    client, _, _ = reader
    page = HTMLParser(client.get("/search", params={"q": "pier"}).text)
    outlets = sorted(node.text() for node in page.css("li.card .outlet"))
    assert outlets == ["Alpha Times", "Beta Post"]


def test_a_cluster_has_a_reader_page(reader: Reader) -> None:
    client, _, ids = reader
    copy_page = HTMLParser(client.get(f"/articles/{ids['copy']}").text)
    links = [a.attributes.get("href") for a in copy_page.css("section.copies a")]
    assert f"/clusters/{ids['orig']}" in links
    assert not any((href or "").startswith("/api/") for href in links)
    response = client.get(f"/clusters/{ids['orig']}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = HTMLParser(response.text)
    assert len(page.css("ol.river li.card")) == 2
    assert sorted(b.text() for b in page.css("li.card p.meta bdi")) == ["Copy", "Orig"]
    assert client.get("/clusters/999").status_code == 404
    assert client.get("/clusters/abc").status_code == 400


def test_the_copies_block_is_not_all_bold() -> None:
    css = (Path(__file__).parents[2] / "src/newsdesk/serve/static/style.css").read_text()
    rules = {r.split("{")[0].strip(): r for r in css.split("}") if "{" in r}
    bold = [sel for sel, rule in rules.items() if "font-weight" in rule and "600" in rule]
    assert not any(sel.split(",")[-1].strip() in (".copies", "section.copies") for sel in bold)
    assert ".card .more" in bold

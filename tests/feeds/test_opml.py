"""OPML in and out: malformed files mended, skipped outlines reported one by one, folders
kept as categories and written back, only what another reader can follow exported, and only
http(s) URLs read or written."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import defusedxml.ElementTree as SafeET
from click.testing import CliRunner

from newsdesk.cli import main
from newsdesk.feeds import Outline, outlines_from_sources, read_opml, render_opml
from newsdesk.model import Source
from newsdesk.store import open_store

NNW = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.1"><head><title>Subscriptions & more</title></head><body>
<outline text="Tom & Jerry" title="Tom & Jerry" type="rss" xmlUrl="https://t.example/feed?a=1&b=2" htmlUrl="https://t.example/"/>
<outline text="News"><outline text="Local">
  <outline text="Caf&eacute; Daily" type="rss" xmlUrl="https://c.example/rss" htmlUrl="javascript:alert(1)"/>
</outline>
  <outline text="World" xmlurl="https://w.example/atom"/>
</outline>
<outline text="Evil" type="rss" xmlUrl="javascript:alert(1)"/>
<outline text="Evil 2" type="rss" xmlUrl="vbscript:msgbox(1)"/>
<outline text="A note, not a feed"/>
<outline text="Again" xmlUrl="https://c.example/rss"/>
<outline text="Tagged" xmlUrl="https://g.example/feed" category="/Tech/Linux,/Other"/>
</body></opml>"""


def test_a_malformed_export_is_mended_and_read_outline_by_outline() -> None:
    found = read_opml(NNW)
    assert [(o.xml_url, o.title, o.html_url, o.category) for o in found.outlines] == [
        ("https://t.example/feed?a=1&b=2", "Tom & Jerry", "https://t.example/", None),
        ("https://c.example/rss", "Café Daily", None, "News/Local"),
        ("https://w.example/atom", "World", None, "News"),
        ("https://g.example/feed", "Tagged", None, "Tech/Linux"),
    ]
    assert [(s.text, s.reason.split(":")[0]) for s in found.skipped] == [
        ("Evil", "xmlUrl is not http(s)"),
        ("Evil 2", "xmlUrl is not http(s)"),
        ("A note, not a feed", "no xmlUrl (not a feed)"),
        ("Again", "listed twice"),
    ]
    assert any("unescaped '&'" in p for p in found.problems)
    assert any("HTML entities" in p for p in found.problems)


def test_render_writes_folders_kinds_and_only_http() -> None:
    outlines = [
        Outline(xml_url="https://a.example/feed", title="A", kind="atom", category="News/Local"),
        Outline(xml_url="https://b.example/rss", title="B", kind="rss", category="News"),
        Outline(xml_url="https://c.example/j", kind="jsonfeed", html_url="javascript:alert(1)"),
        Outline(xml_url="javascript:alert(1)", title="Evil"),
    ]
    text = render_opml(outlines)
    root = SafeET.fromstring(text.encode())  # well-formed
    assert "javascript" not in text
    folders = [o for o in root.findall("body/outline") if o.get("xmlUrl") is None]
    assert [f.get("text") for f in folders] == ["News"]
    assert [o.get("text") for o in folders[0].findall("outline/outline")] == ["A"]
    assert 'version="Atom"' in text and 'version="JSONFeed"' in text
    assert 'category="/News/Local"' in text
    again = read_opml(text.encode())
    assert [(o.xml_url, o.category) for o in again.outlines] == [
        ("https://c.example/j", None),
        ("https://b.example/rss", "News"),
        ("https://a.example/feed", "News/Local"),
    ]
    assert again.skipped == () and again.problems == ()


def test_only_what_another_reader_can_follow_is_exported() -> None:
    sources = [
        Source(id=1, url="https://a.example/feed", kind="rss"),
        Source(id=2, url="https://a.example/news-sitemap.xml", kind="sitemap"),
        Source(id=3, url="https://a.example/sitemap.xml", kind="sitemap_index"),
        Source(id=4, url="https://a.example/new", kind=None, category="X"),
    ]
    outlines, left = outlines_from_sources(sources)
    assert [o.xml_url for o in outlines] == ["https://a.example/feed", "https://a.example/new"]
    assert [s.id for s in left] == [2, 3]


def test_import_and_export_commands(tmp_path: Path) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_bytes(NNW)
    db = str(tmp_path / "n.db")
    result = CliRunner().invoke(main, ["import", str(opml), "--db", db])
    assert result.exit_code == 0, result.output
    assert (
        "imported 4 sources from" in result.stdout
        and "skipped 4 outlines (2 xmlUrl is not http(s), 1 no xmlUrl (not a feed), 1 listed twice)"
        in result.stdout
    )
    assert "skipped 'Evil': xmlUrl is not http(s): javascript:alert(1)" in result.stderr
    store = open_store(db)
    store.add_source("https://n.example/news-sitemap.xml", kind="sitemap", now=datetime.now(UTC))
    categories = {s.url: s.category for s in store.sources()}
    store.close()
    assert categories["https://c.example/rss"] == "News/Local"
    result = CliRunner().invoke(main, ["export", "--db", db])
    assert result.exit_code == 0
    assert "news-sitemap" not in result.stdout
    assert "not listed: https://n.example/news-sitemap.xml (sitemap" in result.stderr
    assert "javascript" not in result.stdout
    again = read_opml(result.stdout.encode())
    assert {o.xml_url: o.category for o in again.outlines} == {
        "https://t.example/feed?a=1&b=2": None,
        "https://c.example/rss": "News/Local",
        "https://w.example/atom": "News",
        "https://g.example/feed": "Tech/Linux",
    }


def test_render_never_writes_what_xml_forbids() -> None:
    text = render_opml([Outline(xml_url="https://a.example/f", title="Bell\x07 \x01news\ufffe")])
    SafeET.fromstring(text.encode())
    assert 'title="Bell news"' in text


def test_the_readers_sources_page_shows_the_category(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient  # noqa: PLC0415 (only this test serves)

    from newsdesk.config import Settings  # noqa: PLC0415
    from newsdesk.serve.app import create_app  # noqa: PLC0415

    store = open_store(tmp_path / "n.db")
    store.add_source(
        "https://a.example/feed", title="A", category="News/<Local>", now=datetime.now(UTC)
    )
    store.add_source("https://b.example/feed", title="B", now=datetime.now(UTC))
    try:
        with TestClient(create_app(Settings(db=store.path), store)) as client:
            page = client.get("/sources").text
    finally:
        store.close()
    assert "News/&lt;Local&gt;" in page  # escaped, like every value from outside
    assert page.count('class="category"') == 1

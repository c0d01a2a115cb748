"""Copies and clusters through the API, the CLI and the reader."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from newsdesk.cli import main
from newsdesk.config import Settings
from newsdesk.model import Article, Block
from newsdesk.pipeline.link import article_prints, link_article
from newsdesk.serve import create_app
from newsdesk.store import open_store
from tests.dedupe.test_links import STORY
from tests.serve.conftest import T0


def article(n: str, paragraphs: list[str], hours: int, **kw: object) -> Article:
    return Article(
        url=f"https://{n}.example/s",
        fetched_url=f"https://{n}.example/s",
        title=kw.pop("title", "Pier plan approved"),  # type: ignore[arg-type]
        published=T0 + timedelta(hours=hours),
        site_name=n.title(),
        text="\n\n".join(paragraphs),
        blocks=tuple(Block(kind="paragraph", text=p) for p in paragraphs),
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "d.db"
    store = open_store(path)
    stories = [
        article("copy", [*STORY, "via Relay Blog"], 2),
        article("orig", STORY, 0),
        article("other", ["A football club signed a striker from Lisbon for a record fee."] * 3,
                1, title="Club signs striker"),
    ]  # fmt: skip
    with store.batch():
        for a in stories:
            article_id = store.store_article(a, now=T0)
            link_article(store, article_id, a, article_prints(a))
    store.close()
    yield path


def test_api_shows_links_and_clusters(db: Path) -> None:
    store = open_store(db)
    with TestClient(create_app(Settings(db=str(db)), store)) as client:
        copy = client.get("/api/articles/1").json()
        assert copy["original_id"] == 2 and copy["copies"] == [2]
        assert copy["cluster_id"] == 2
        clusters = client.get("/api/clusters").json()["items"]
        assert [(c["id"], c["size"]) for c in clusters] == [(2, 2)]
        assert client.get("/api/clusters/2").json()["items"][0]["id"] == 2
        assert len(client.get("/api/clusters/3").json()["items"]) == 1  # a story alone
        assert client.get("/api/clusters/999").status_code == 404
        grouped = client.get("/api/articles", params={"collapse": "true"}).json()["items"]
        assert sorted((i["id"], i["cluster_size"]) for i in grouped) == [(2, 2), (3, 1)]


def test_reader_collapses_copies_and_names_the_original(db: Path) -> None:
    store = open_store(db)
    with TestClient(create_app(Settings(db=str(db)), store)) as client:
        full = HTMLParser(client.get("/").text)
        assert len(full.css("ol.river li")) == 3
        grouped = HTMLParser(client.get("/?collapse=1").text)
        cards = grouped.css("ol.river li")
        assert len(cards) == 2
        assert any("+1 more in this story" in c.text() for c in cards)
        page = HTMLParser(client.get("/articles/1").text)
        section = page.css_first("section.copies")
        assert section is not None and "A copy of" in section.text()


def test_clusters_command(db: Path) -> None:
    result = CliRunner().invoke(main, ["clusters", "--db", str(db), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert '"id": 2, "size": 2' in result.output
    record = json.loads(result.output.splitlines()[0])
    assert record["outlets"] == ["Copy", "Orig"]
    assert record["first"] == T0.isoformat()
    assert record["last"] == (T0 + timedelta(hours=2)).isoformat()
    table = CliRunner().invoke(main, ["clusters", "--db", str(db)], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "2: Copy, Orig" in table.output and "outlets" in table.output


def test_api_shows_a_clusters_outlets_and_times(db: Path) -> None:
    store = open_store(db)
    with TestClient(create_app(Settings(db=str(db)), store)) as client:
        listed = client.get("/api/clusters").json()["items"][0]
        one = client.get("/api/clusters/2").json()
    for found in (listed, one):
        assert found["outlets"] == ["Copy", "Orig"]
        assert found["first"] == T0.isoformat()
        assert found["last"] == (T0 + timedelta(hours=2)).isoformat()
    assert one["size"] == 2 and listed["size"] == 2


def test_openapi_documents_the_cluster_fields(db: Path) -> None:
    store = open_store(db)
    with TestClient(create_app(Settings(db=str(db)), store)) as client:
        schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    for model in ("ClusterOut", "ClusterMembers"):
        fields = schemas[model]["properties"]
        for name in ("size", "outlets", "first", "last"):
            assert fields[name].get("description"), (model, name)


def test_reader_cluster_page_has_outlets_and_a_timeline(db: Path) -> None:
    store = open_store(db)
    with TestClient(create_app(Settings(db=str(db)), store)) as client:
        page = HTMLParser(client.get("/clusters/2").text)
    meta = page.css_first("p.cluster-meta")
    assert meta is not None and "2 articles" in meta.text() and "2 outlets" in meta.text()
    assert "first seen" in meta.text() and "last seen" in meta.text()
    assert [li.text(strip=True) for li in page.css("ul.outlets li")] == ["Copy", "Orig"]
    steps = page.css("ol.timeline li")
    assert len(steps) == 2
    assert "Orig" in steps[0].text() and "first" in steps[0].text()
    assert "Copy" in steps[1].text() and "+2 h" in steps[1].text()
    assert "(a copy)" in steps[1].text()


def test_exact_duplicates_keep_the_more_original_copy(tmp_path: Path) -> None:
    from newsdesk.pipeline.link import find_duplicate, more_original  # noqa: PLC0415

    store = open_store(tmp_path / "x.db")
    late = article("late", STORY, 5)
    early = replace(late, url="https://early.example/s", fetched_url="https://early.example/s",
                    published=T0)  # fmt: skip
    kept = store.store_article(late, now=T0)
    link_article(store, kept, late, article_prints(late))
    assert find_duplicate(store, early, article_prints(early).text_key) == kept
    assert more_original(store, kept, article_prints(early))
    store.replace_identity(kept, early, source_id=None, raw_page=None)
    assert store.stored_article(kept).article.url == "https://early.example/s"  # type: ignore[union-attr]
    assert not more_original(store, kept, article_prints(late))

"""Feeds out: Atom 1.0 and JSON Feed 1.1 with full content, valid, conditional, inert."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest
from defusedxml import ElementTree as SafeET

from tests.serve.conftest import Served
from tests.serve.test_reader import _no_live_markup

SCHEMA = json.loads((Path(__file__).parent / "jsonfeed-1.1.schema.json").read_text())
A = "{http://www.w3.org/2005/Atom}"
FEEDS = ["/feeds/all", "/feeds/sources/{source}", "/feeds/search.{kind}?q=harbour"]


def urls(served: Served, kind: str) -> list[str]:
    return [
        f"/feeds/all.{kind}",
        f"/feeds/sources/{served.source_id}.{kind}",
        f"/feeds/search.{kind}?q=harbour",
    ]


@pytest.mark.parametrize("kind", ["atom", "json"])
def test_feeds_parse_cleanly_in_feedparser(served: Served, kind: str) -> None:
    for url in urls(served, kind):
        response = served.client.get(url)
        assert response.status_code == 200
        parsed: Any = feedparser.parse(response.content)
        if kind == "atom":
            assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
            assert parsed.version == "atom10"
            assert len(parsed.entries) > 0
            assert parsed.entries[0].content[0].value
        else:
            json.loads(response.content)


def test_atom_has_what_the_w3c_rules_require(served: Served) -> None:
    root = SafeET.fromstring(served.client.get("/feeds/all.atom").content)
    for tag in ("id", "title", "updated", "author"):
        assert root.find(A + tag) is not None, tag
    assert any(link.get("rel") == "self" for link in root.findall(A + "link"))
    ids = set()
    for entry in root.findall(A + "entry"):
        for tag in ("id", "title", "updated", "content"):
            assert entry.find(A + tag) is not None, tag
        assert any(link.get("rel") == "alternate" for link in entry.findall(A + "link"))
        ids.add(entry.findtext(A + "id"))
    assert len(ids) == len(root.findall(A + "entry")) == 42


def test_json_feed_passes_the_schema(served: Served) -> None:
    for url in urls(served, "json"):
        body = served.client.get(url).json()
        jsonschema.validate(body, SCHEMA)
        assert body["version"] == "https://jsonfeed.org/version/1.1"


def test_full_content_is_carried(served: Served) -> None:
    body = served.client.get("/feeds/all.json").json()
    item = next(i for i in body["items"] if i["title"] == "Minister quits over harbour deal")
    assert '"I resign," the minister said.' in item["content_text"]
    assert "<p>" in item["content_html"] and "embed" in item["content_html"]
    assert item["external_url"] == "https://news.example/41"


@pytest.mark.parametrize("kind", ["atom", "json"])
def test_repeats_are_answered_304(served: Served, kind: str) -> None:
    for url in urls(served, kind):
        first = served.client.get(url)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        again = served.client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        since = served.client.get(url, headers={"If-Modified-Since": modified})
        assert since.status_code == 304
        changed = served.client.get(url, headers={"If-None-Match": '"other"'})
        assert changed.status_code == 200


def test_xss_payloads_are_inert_in_feeds(served: Served) -> None:
    atom = feedparser.parse(served.client.get("/feeds/all.atom").content)
    hostile = next(e for e in atom.entries if e.title.startswith("Hostile"))
    _no_live_markup(hostile.content[0].value)
    body = served.client.get("/feeds/all.json").json()
    item = next(i for i in body["items"] if i["title"].startswith("Hostile"))
    _no_live_markup(item["content_html"])
    assert "javascript:" not in item.get("external_url", "")


def test_opml_lists_the_sources(served: Served) -> None:
    response = served.client.get("/feeds/sources.opml")
    root = SafeET.fromstring(response.content)
    outlines = root.findall(".//outline")
    assert [o.get("xmlUrl") for o in outlines] == ["https://news.example/feed.xml"]


def test_a_rewritten_record_changes_the_feeds_etag(served: Served) -> None:
    """The ETag follows each article's record, not only which articles the feed lists."""
    first = served.client.get("/feeds/all.atom")
    etag = first.headers["etag"]
    assert served.client.get("/feeds/all.atom", headers={"If-None-Match": etag}).status_code == 304
    stored = served.store.stored_article(served.relayed_id)
    assert stored is not None
    served.store.replace_article(
        served.relayed_id, replace(stored.article, text="A corrected text.", blocks=())
    )
    again = served.client.get("/feeds/all.atom", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["etag"] != etag
    assert b"A corrected text." in again.content

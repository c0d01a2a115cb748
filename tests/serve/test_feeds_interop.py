"""Every feed and OPML newsdesk writes, as strict clients read them (issue 22, "Feeds out"):
well-formed XML with no recovery, feedparser without a bozo flag, the JSON Feed schema —
with articles holding control characters, right-to-left text and CJK titles. And the
headers around them: ids that do not flip with the scheme, gzip, validators."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import feedparser
import jsonschema
import pytest
from defusedxml import ElementTree as SafeET
from fastapi.testclient import TestClient

from newsdesk.config import Settings
from newsdesk.errors import ConfigError
from newsdesk.model import Block
from newsdesk.serve import create_app
from newsdesk.store import Store, open_store
from tests.serve.conftest import T0, story

SCHEMA = json.loads((Path(__file__).parent / "jsonfeed-1.1.schema.json").read_text())
A = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
BAD = "\x01\x02\x0b\x0c\x1f\ufffe\uffff"
ARABIC = "فاطمة الزهراء"


@dataclass
class Hostile:
    client: TestClient
    store: Store
    source_id: int
    ids: dict[str, int]


def _articles() -> dict[str, Any]:
    return {
        "controls": story(
            1,
            title=f"Harbour {BAD}council vote",
            authors=(f"Ann{BAD} Lee",),
            description=f"A dek{BAD}.",
            site_name=f"Example{BAD} News",
            text=f"Body with U+0001 here:{BAD} harbour.",
            blocks=(Block(kind="paragraph", text=f"Body with U+0001 here:{BAD} harbour."),),
            tags=(f"tag{BAD}",),
        ),
        "rtl": story(
            2,
            title="مجلس الميناء يصوت على الصفقة harbour",
            authors=(ARABIC,),
            language="ar",
            site_name="أخبار",
            text="نص المقال عن الميناء harbour.",
            blocks=(Block(kind="paragraph", text="نص المقال عن الميناء harbour."),),
        ),
        "cjk": story(
            3,
            title="港湾議会が合意を承認 harbour 港口理事会",
            language="ja",
            authors=(),
            site_name="日本ニュース",
            text="港湾の記事 harbour。",
            blocks=(Block(kind="paragraph", text="港湾の記事 harbour。"),),
        ),
        "anonymous": story(4, authors=(), site_name=None, language="en_GB"),
        "same_second": story(5, published=T0),
        "same_second_too": story(6, published=T0),
    }


@pytest.fixture
def hostile_feeds(tmp_path: Path) -> Iterator[Hostile]:
    store = open_store(tmp_path / "feeds.db")
    source = store.add_source(
        "https://news.example/feed.xml",
        title=f"Example{BAD} feed",
        site_url="https://news.example/",
        now=T0,
    )
    ids = {
        name: store.store_article(article, source_id=source.id, now=T0)
        for name, article in _articles().items()
    }
    app = create_app(Settings(db=store.path), store)
    with TestClient(app) as client:
        yield Hostile(client, store, source.id, ids)
    store.close()


def _feed_urls(source_id: int) -> list[str]:
    return [
        f"{path}.{kind}{query}"
        for path, query in (
            ("/feeds/all", ""),
            (f"/feeds/sources/{source_id}", ""),
            ("/feeds/search", "?q=harbour"),
        )
        for kind in ("atom", "json")
    ]


def test_every_feed_and_the_opml_are_strictly_well_formed(hostile_feeds: Hostile) -> None:
    client = hostile_feeds.client
    for url in [*_feed_urls(hostile_feeds.source_id), "/feeds/sources.opml"]:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode("utf-8")
        assert not FORBIDDEN.search(text), url
        if ".json" in url:
            body = response.json()
            jsonschema.validate(body, SCHEMA)
            assert not FORBIDDEN.search(json.dumps(body, ensure_ascii=False)), url
            continue
        ET.fromstring(response.content)  # expat: no recovery from any error
        SafeET.fromstring(response.content)
        parsed: Any = feedparser.parse(response.content)
        if not url.endswith(".opml"):
            assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
            titles = " ".join(e.title for e in parsed.entries)
            assert "港湾議会" in titles and "مجلس الميناء" in titles, url


@pytest.mark.parametrize("kind", ["atom", "json"])
def test_a_search_feed_for_hostile_words_is_well_formed(hostile_feeds: Hostile, kind: str) -> None:
    response = hostile_feeds.client.get(f"/feeds/search.{kind}", params={"q": "harbour\x01\ufffe"})
    assert response.status_code == 200
    assert not FORBIDDEN.search(response.content.decode("utf-8"))
    if kind == "atom":
        assert "search for harbour" in SafeET.fromstring(response.content).findtext(A + "title", "")
    else:
        jsonschema.validate(response.json(), SCHEMA)


def test_the_control_characters_are_gone_not_the_words(hostile_feeds: Hostile) -> None:
    root = SafeET.fromstring(hostile_feeds.client.get("/feeds/all.atom").content)
    entry = next(e for e in root.iter(A + "entry") if "vote" in (e.findtext(A + "title") or ""))
    assert entry.findtext(A + "title") == "Harbour council vote"
    assert entry.findtext(f"{A}author/{A}name") == "Ann Lee"
    opml = hostile_feeds.client.get("/feeds/sources.opml").text
    assert 'title="Example feed"' in opml


def _entries(client: TestClient, url: str) -> dict[str, ET.Element]:
    root = SafeET.fromstring(client.get(url).content)
    return {e.findtext(A + "id", "").rsplit("/", 1)[-1]: e for e in root.iter(A + "entry")}


def test_every_entry_names_its_author_or_else_its_outlet(hostile_feeds: Hostile) -> None:
    ids = hostile_feeds.ids
    entries = _entries(hostile_feeds.client, "/feeds/all.atom")
    assert len(entries) == len(ids)
    names = {key: [n.text for n in e.iter(A + "name")] for key, e in entries.items()}
    assert names[str(ids["rtl"])] == [ARABIC]
    assert names[str(ids["cjk"])] == ["日本ニュース"]  # no byline: the outlet
    assert names[str(ids["anonymous"])] == ["Example feed"]  # no outlet: the source
    parsed: Any = feedparser.parse(hostile_feeds.client.get("/feeds/all.atom").content)
    assert all(e.get("author") and e.author != "newsdesk" for e in parsed.entries)
    source = SafeET.fromstring(
        hostile_feeds.client.get(f"/feeds/sources/{hostile_feeds.source_id}.atom").content
    )
    assert source.findtext(f"{A}author/{A}name") == "Example feed"
    items = hostile_feeds.client.get("/feeds/all.json").json()["items"]
    assert all(item["authors"] and item["authors"][0]["name"] for item in items)


def test_entries_carry_their_language(hostile_feeds: Hostile) -> None:
    ids = hostile_feeds.ids
    entries = _entries(hostile_feeds.client, "/feeds/all.atom")
    assert entries[str(ids["rtl"])].get(XML_LANG) == "ar"
    assert entries[str(ids["cjk"])].get(XML_LANG) == "ja"
    assert entries[str(ids["anonymous"])].get(XML_LANG) == "en-GB"
    items = {
        i["id"].rsplit("/", 1)[-1]: i
        for i in hostile_feeds.client.get("/feeds/all.json").json()["items"]
    }
    assert items[str(ids["rtl"])]["language"] == "ar"
    assert items[str(ids["anonymous"])]["language"] == "en-GB"


def test_no_two_entries_share_an_updated_time_and_it_is_stable(hostile_feeds: Hostile) -> None:
    client = hostile_feeds.client
    for url in ("/feeds/all.atom", f"/feeds/sources/{hostile_feeds.source_id}.atom"):
        times = [e.findtext(A + "updated") for e in _entries(client, url).values()]
        assert len(set(times)) == len(times), times
    everywhere = _entries(client, "/feeds/all.atom")
    for key, entry in _entries(client, "/feeds/search.atom?q=harbour").items():
        assert entry.findtext(A + "updated") == everywhere[key].findtext(A + "updated")


# -- the scheme, the base URL and trusted proxies -----------------------------------------


def _ids(client: TestClient, **kwargs: Any) -> set[str]:
    body = client.get("/feeds/all.json", **kwargs).json()
    return {body["feed_url"], *(i["id"] for i in body["items"])}


def test_the_cache_keeps_http_and_https_apart(hostile_feeds: Hostile) -> None:
    app = hostile_feeds.client.app
    plain = _ids(hostile_feeds.client)
    secure = TestClient(app, base_url="https://testserver")  # the app is already started
    tls = _ids(secure)
    assert all(i.startswith("http://testserver/") for i in plain)
    assert all(i.startswith("https://testserver/") for i in tls)
    assert _ids(hostile_feeds.client) == plain


def _app(store: Store, **settings: Any) -> Any:
    return create_app(Settings(db=store.path, **settings), store)


def test_ids_come_from_base_url_never_from_the_request(hostile_feeds: Hostile) -> None:
    app = _app(hostile_feeds.store, base_url="https://news.example.org/", trusted_proxies="")
    evil = {"Host": "evil.example", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil"}
    with TestClient(app, client=("127.0.0.1", 5000)) as client:
        for headers in ({}, evil):
            ids = _ids(client, headers=headers)
            assert all(i.startswith("https://news.example.org/") for i in ids), ids
        root = SafeET.fromstring(client.get("/feeds/all.atom", headers=evil).content)
    links = [link.get("href", "") for link in root.iter(A + "link") if link.get("rel") != "related"]
    assert links and all(h.startswith("https://news.example.org/") for h in links)


def test_forwarded_headers_count_only_from_trusted_proxies(hostile_feeds: Hostile) -> None:
    https = {"X-Forwarded-Proto": "https"}
    store = hostile_feeds.store
    with TestClient(_app(store), client=("127.0.0.1", 5000)) as direct:
        assert all(i.startswith("http://") for i in _ids(direct, headers=https))
    app = _app(store, trusted_proxies="10.0.0.0/8, 192.0.2.7")
    with TestClient(app, client=("10.1.2.3", 5000)) as proxied:
        assert all(i.startswith("https://") for i in _ids(proxied, headers=https))
        assert all(i.startswith("http://") for i in _ids(proxied))  # not the cached https
    with TestClient(app, client=("198.51.100.1", 5000)) as stranger:
        assert all(i.startswith("http://") for i in _ids(stranger, headers=https))


@pytest.mark.parametrize(
    "settings",
    [
        {"base_url": "news.example.org"},
        {"base_url": "ftp://news.example.org/"},
        {"base_url": "https://news.example.org/?x=1"},
        {"trusted_proxies": "proxy.example"},
        {"trusted_proxies": "10.0.0.0/33"},
    ],
)
def test_bad_serving_settings_stop_the_app(
    hostile_feeds: Hostile, settings: dict[str, str]
) -> None:
    with pytest.raises(ConfigError, match=next(iter(settings))):
        _app(hostile_feeds.store, **settings)


# -- compression ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/feeds/all.atom", "/feeds/all.json", "/", "/api/articles"])
def test_answers_are_gzipped_for_clients_that_ask(hostile_feeds: Hostile, path: str) -> None:
    client = hostile_feeds.client
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"
    for _ in range(2):  # rendered, then from the cache
        packed = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert packed.headers["content-encoding"] == "gzip"
        assert "accept-encoding" in packed.headers["vary"].lower()
        assert int(packed.headers["content-length"]) < len(plain.content) / 2
        assert packed.content == plain.content  # httpx decompressed it
    refused = client.get(path, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers


def test_a_gzipped_feed_keeps_its_cheap_304(hostile_feeds: Hostile) -> None:
    client = hostile_feeds.client
    packed = client.get("/feeds/all.atom", headers={"Accept-Encoding": "gzip"})
    etag = packed.headers["etag"]
    assert etag.startswith('W/"')  # the compressed bytes are another representation
    plain = client.get("/feeds/all.atom", headers={"Accept-Encoding": "identity"})
    assert plain.headers["etag"] == etag.removeprefix("W/")
    for encoding in ("gzip", "identity"):
        again = client.get(
            "/feeds/all.atom", headers={"If-None-Match": etag, "Accept-Encoding": encoding}
        )
        assert again.status_code == 304 and not again.content
        assert "accept-encoding" in again.headers["vary"].lower()


def test_gzip_output_is_the_same_bytes_every_time(hostile_feeds: Hostile) -> None:
    app = _app(hostile_feeds.store, serve_cache_mb=0)
    with TestClient(app) as client:
        raw = [
            client.get("/feeds/all.atom", headers={"Accept-Encoding": "gzip"}).content
            for _ in range(2)
        ]
    assert raw[0] == raw[1] and gzip.compress(raw[0])


def test_the_web_opml_is_what_export_writes(hostile_feeds: Hostile) -> None:
    store = hostile_feeds.store
    store.add_source(
        "https://c.example/feed", kind="atom", title="Gamma", category="News/Local", now=T0
    )
    store.add_source("https://d.example/news-sitemap.xml", kind="sitemap", title="Delta", now=T0)
    opml = hostile_feeds.client.get("/feeds/sources.opml")
    root = SafeET.fromstring(opml.content)
    feeds = {o.get("xmlUrl"): o for o in root.iter("outline") if o.get("xmlUrl")}
    assert "https://d.example/news-sitemap.xml" not in feeds  # no other reader can follow it
    assert feeds["https://c.example/feed"].get("category") == "/News/Local"
    folders = [o.get("text") for o in root.iter("outline") if not o.get("xmlUrl")]
    assert folders == ["News", "Local"]


def test_the_exported_opml_is_strictly_well_formed(hostile_feeds: Hostile) -> None:
    """`newsdesk export` writes the same OPML as /feeds/sources.opml, held to the same parse."""
    from click.testing import CliRunner  # noqa: PLC0415

    from newsdesk.cli import main  # noqa: PLC0415

    result = CliRunner().invoke(main, ["export", "--db", hostile_feeds.store.path])
    assert result.exit_code == 0, result.output
    assert not FORBIDDEN.search(result.stdout)
    root = ET.fromstring(result.stdout.encode("utf-8"))
    assert [o.get("title") for o in root.iter("outline")] == ["Example feed"]
    assert result.stdout == hostile_feeds.client.get("/feeds/sources.opml").text

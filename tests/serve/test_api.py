"""The JSON API through an ASGI test client: listing, filters, cursors, search, sources,
tokens, stats, and the one error shape."""

from __future__ import annotations

from typing import Any

import pytest

from tests.serve.conftest import Served


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"status", "code", "message", "details"}
    assert error["status"] == status
    assert error["message"]
    return error


def test_articles_paginate_with_cursor_newest_first(served: Served) -> None:
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 7}
        if cursor:
            params["cursor"] = cursor
        page = served.client.get("/api/articles", params=params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 42
    times = [served.store.stored_article(i).sort_at for i in seen]  # type: ignore[union-attr]
    assert times == sorted(times, reverse=True)


def test_article_filters(served: Served) -> None:
    c = served.client
    since = c.get("/api/articles", params={"since": "2026-11-02T20:00:00Z"}).json()["items"]
    assert since and all(i["published"] >= "2026-11-02T20:00:00" for i in since)
    until = c.get("/api/articles", params={"until": "2026-11-01T12:00:00+00:00"}).json()["items"]
    assert {i["title"] for i in until} == {f"Harbour council story {n}" for n in range(1, 4)}
    assert c.get("/api/articles", params={"language": "de"}).json()["items"] == []
    assert len(c.get("/api/articles", params={"language": "en"}).json()["items"]) == 42
    found = c.get("/api/articles", params={"q": "minister"}).json()["items"]
    assert [i["id"] for i in found] == [served.relayed_id]
    assert c.get("/api/articles", params={"source": 999}).json()["items"] == []


def test_article_by_id_and_unknown_id(served: Served) -> None:
    body = served.client.get(f"/api/articles/{served.relayed_id}").json()
    assert body["article"]["title"] == "Minister quits over harbour deal"
    assert body["article"]["quotes"] == [{"text": "I resign", "speaker": "the minister"}]
    assert error_of(served.client.get("/api/articles/987654"), 404)["code"] == "not_found"


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/articles?limit=abc", "limit"),
        ("/api/articles?limit=0", "limit"),
        ("/api/articles?limit=100000", "limit"),
        ("/api/articles?since=yesterday", "since"),
        ("/api/articles?source=-3", "source"),
        ("/api/articles?language=%3Cscript%3E", "language"),
        ("/api/articles?cursor=not-a-cursor", "cursor"),
        ("/api/articles?cursor=WyJ4IiwxMDAwMDAwMDAwMDAwMDAwMDAwMDAwMF0", "cursor"),  # id > 2**63
        ("/api/articles/99999999999999999999", "article_id"),
        ("/api/articles/abc", "article_id"),
        ("/api/search", "q"),
        ("/api/search?q=x&offset=-1", "offset"),
    ],
)
def test_malformed_parameters_are_400_naming_the_parameter(
    served: Served, path: str, parameter: str
) -> None:
    error = error_of(served.client.get(path), 400)
    assert parameter in [d["parameter"] for d in error["details"]]


def test_huge_query_is_rejected(served: Served) -> None:
    q = "harbour " * 2000
    for path in ("/api/search", "/api/articles", "/feeds/search.atom", "/search"):
        response = served.client.get(path, params={"q": q})
        assert response.status_code == 400, path


def test_search_ranks_with_snippets(served: Served) -> None:
    body = served.client.get("/api/search", params={"q": "harbour minister"}).json()
    assert body["items"][0]["id"] == served.relayed_id
    assert "[" in body["items"][0]["snippet"]
    # the query syntax (docs/search.md): a malformed query is the client's error, named
    bad = served.client.get("/api/search", params={"q": 'AND OR "( NEAR*'})
    assert bad.status_code == 400 and "unclosed quote" in bad.json()["error"]["message"]
    for q in ('"unclosed', "harbour OR", "colour:red"):
        assert served.client.get("/api/search", params={"q": q}).status_code == 400, q
        assert served.client.get("/api/articles", params={"q": q}).status_code == 400, q
        assert served.client.get("/search", params={"q": q}).status_code == 400, q
    assert served.client.get("/api/search", params={"q": "harbour -zzz"}).json()["items"]


def test_sources_read_and_token_guarded_writes(served: Served) -> None:
    c = served.client
    items = c.get("/api/sources").json()["items"]
    assert items[0]["title"] == "Example feed" and items[0]["article_count"] == 42
    assert error_of(c.post("/api/sources", json={"url": "http://x"}), 401)
    wrong = {"Authorization": "Bearer nope"}
    assert error_of(c.delete(f"/api/sources/{served.source_id}", headers=wrong), 401)
    token = {"Authorization": "Bearer s3cret"}
    assert error_of(c.delete("/api/sources/999", headers=token), 404)
    assert c.delete(f"/api/sources/{served.source_id}", headers=token).status_code == 204
    assert c.get("/api/sources").json()["items"] == []
    # the stored articles stay
    assert len(c.get("/api/articles", params={"limit": 100}).json()["items"]) == 42
    assert error_of(c.post("/api/sources", json={}, headers=token), 400)


def test_adding_a_source_through_the_api(served: Served, tmp_path: Any) -> None:
    """The API records the URL and answers at once (nothing is fetched in the web process:
    the outlets are not even running yet); the relay's next pass reads a feed as it is,
    finds a site's feed at its page, and records what goes wrong on the source."""
    from newsdesk.config import Settings  # noqa: PLC0415
    from newsdesk.demo.generator import Newsroom  # noqa: PLC0415
    from newsdesk.demo.server import serve_newsroom  # noqa: PLC0415
    from newsdesk.fetch import Fetcher  # noqa: PLC0415
    from newsdesk.pipeline import run_once  # noqa: PLC0415

    token = {"Authorization": "Bearer s3cret"}
    room = Newsroom(seed=1, articles=10)
    with serve_newsroom(room) as running:
        feed, site = running.feed_urls()[0], running.bases[room.outlets[1].slug] + "/"
        missing = running.feed_urls()[2] + "-nothing"
    recorded = {}
    for url in (feed, site, missing):  # the servers are gone: nothing can be fetched
        response = served.client.post("/api/sources", json={"url": url}, headers=token)
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["url"] == url and body["kind"] is None and body["last_check"] is None
        assert response.headers["location"] == f"/api/sources/{body['id']}"
        recorded[url] = body["id"]
    settings = Settings(allow_private_networks=True, per_host_delay=0.0, extract_processes=0)
    with serve_newsroom(room) as running, Fetcher(settings) as fetcher:
        # the same ports are not guaranteed: point the recorded URLs at today's servers
        moved = {
            feed: running.feed_urls()[0],
            site: running.bases[room.outlets[1].slug] + "/",
            missing: running.feed_urls()[2] + "-nothing",
        }
        for old, new in moved.items():
            assert served.store.move_source(recorded[old], new) is None
        run_once(served.store, fetcher, settings)
        followed = served.client.get(f"/api/sources/{recorded[feed]}").json()
        assert followed["url"] == running.feed_urls()[0] and followed["kind"]
        assert followed["article_count"] > 0 and not followed["last_error"]
        discovered = served.client.get(f"/api/sources/{recorded[site]}").json()
        assert discovered["url"] == running.feed_urls()[1], discovered
        assert discovered["kind"] and discovered["article_count"] > 0
        failed = served.client.get(f"/api/sources/{recorded[missing]}").json()
        assert failed["last_error_kind"] == "http_status" and failed["article_count"] == 0
        # a site whose feed is already followed stays a source of its own, with the reason
        again = running.bases[room.outlets[0].slug] + "/"
        twin = served.client.post("/api/sources", json={"url": again}, headers=token).json()
        run_once(served.store, fetcher, settings)
        twin = served.client.get(f"/api/sources/{twin['id']}").json()
        assert twin["last_error_kind"] == "duplicate_source"
        assert f"(source {recorded[feed]})" in twin["last_error"]


def test_writes_are_off_without_a_token_setting(served: Served, tmp_path: Any) -> None:
    from fastapi.testclient import TestClient  # noqa: PLC0415

    from newsdesk.config import Settings  # noqa: PLC0415
    from newsdesk.serve import create_app  # noqa: PLC0415

    app = create_app(Settings(db=served.store.path), served.store)
    with TestClient(app) as client:
        error = error_of(client.delete("/api/sources/1"), 403)
        assert "api_token" in error["message"]


def test_private_reads_need_the_token(served: Served) -> None:
    from fastapi.testclient import TestClient  # noqa: PLC0415

    from newsdesk.config import Settings  # noqa: PLC0415
    from newsdesk.serve import create_app  # noqa: PLC0415

    settings = Settings(db=served.store.path, api_token="t", api_public_read=False)
    with TestClient(create_app(settings, served.store)) as client:
        error_of(client.get("/api/articles"), 401)
        ok = client.get("/api/articles", headers={"Authorization": "Bearer t"})
        assert ok.status_code == 200


def test_stats(served: Served) -> None:
    stats = served.client.get("/api/stats").json()
    assert stats["articles"] == 42 and stats["sources"] == 1


def test_openapi_document_describes_the_api(served: Served) -> None:
    doc = served.client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for path in ("/api/articles", "/api/articles/{article_id}", "/api/search", "/api/sources",
                 "/api/sources/{source_id}", "/api/stats"):  # fmt: skip
        assert path in doc["paths"], path
    assert not any(p.startswith(("/feeds", "/articles")) for p in doc["paths"])


def test_unknown_paths_use_the_error_shape(served: Served) -> None:
    assert error_of(served.client.get("/api/nothing"), 404)
    assert error_of(served.client.get("/feeds/sources/999.atom"), 404)
    assert served.client.get("/articles/999").status_code == 404


def test_missing_and_corrupt_databases_stop_start_up(tmp_path: Any) -> None:
    from newsdesk.config import Settings  # noqa: PLC0415
    from newsdesk.errors import StoreError  # noqa: PLC0415
    from newsdesk.serve import create_app  # noqa: PLC0415
    from newsdesk.store import open_reader, open_store  # noqa: PLC0415

    with pytest.raises(StoreError, match="no database"):
        open_reader(tmp_path / "missing.db")
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"corrupt\.db"):
        open_store(corrupt)
    store = open_store(tmp_path / "fine.db")
    corrupt_later = tmp_path / "fine.db"
    store.close()
    corrupt_later.write_bytes(b"\0garbage" * 1000)
    with pytest.raises(StoreError):
        create_app(Settings(), store)

"""The API as real clients and hostile requests found it (issue 22 "API", issue 25): every
error in the one shape, never a plain-text 500; the OpenAPI document as the API answers."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from newsdesk.config import Settings
from newsdesk.serve import create_app
from newsdesk.store import Store, open_store
from tests.serve.conftest import T0, Served, story


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert error["status"] == status
    return error


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("since", "0001-01-01T00:00:11+03:00"),
        ("until", "0001-01-01T00:00:11+03:00"),
        ("since", "9999-12-31T23:59:59-01:00"),
        ("until", "9999-12-31T23:59:59-01:00"),
        ("since", "0001-01-01T00:00:00+00:01"),
    ],
)
def test_out_of_range_times_are_a_400_naming_the_parameter(
    served: Served, name: str, value: str
) -> None:
    error = _error(served.client.get("/api/articles", params={name: value}), 400)
    assert error["code"] == "bad_request"
    assert error["details"][0]["parameter"] == name
    assert name in error["message"]


def test_times_at_the_edges_of_the_range_are_fine(served: Served) -> None:
    for value in ("0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59Z", "0001-01-01T03:00:00+03:00"):
        assert served.client.get("/api/articles", params={"since": value}).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/sources", {"GET", "POST"}),
        ("PATCH", "/api/sources/1", {"GET", "DELETE"}),
        ("POST", "/api/articles", {"GET"}),
        ("DELETE", "/feeds/all.atom", {"GET"}),
        ("POST", "/", {"GET"}),
    ],
)
def test_a_405_says_what_is_allowed(
    served: Served, method: str, path: str, allowed: set[str]
) -> None:
    response = served.client.request(method, path)
    assert response.status_code == 405
    methods = {m.strip() for m in response.headers["allow"].split(",")}
    assert allowed <= methods and method not in methods
    if path.startswith(("/api", "/feeds")):
        assert _error(response, 405)["code"] == "method_not_allowed"


def test_an_unexpected_error_answers_the_error_shape_and_is_logged(
    served: Served, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: Store, *args: object, **kwargs: object) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(Store, "list_articles", broken)
    monkeypatch.setattr(Store, "stats", broken)
    client = TestClient(served.client.app, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="newsdesk.serve.app"):
        for path in ("/api/articles", "/api/stats", "/feeds/all.json"):
            error = _error(client.get(path), 500)
            assert error["code"] == "internal_error" and "boom" not in error["message"]
        page = client.get("/")
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "boom" not in page.text and "<h1>" in page.text
    assert any("boom" in (r.exc_text or "") for r in caplog.records)


def test_the_document_describes_the_real_answers(served: Served) -> None:
    doc = served.client.get("/api/openapi.json").json()
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearer"]["description"],
    }
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            assert "400" in responses and "500" in responses
            ok = [code for code in responses if code.startswith("2")]
            assert ok, (method, path)
            for code in ok:
                if code == "204":
                    continue
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema, (method, path, code)
            needs_token = method in ("post", "delete")
            assert operation["security"] == (
                [{"bearer": []}] if needs_token else [{}, {"bearer": []}]
            )
            if needs_token:
                assert {"401", "403"} <= set(responses)


def test_a_closed_api_documents_the_token_for_reads(tmp_path: Path) -> None:
    store = open_store(tmp_path / "closed.db")
    app = create_app(Settings(db=store.path, api_public_read=False), store)
    with TestClient(app) as client:
        doc = client.get("/api/openapi.json").json()
    store.close()
    assert doc["paths"]["/api/articles"]["get"]["security"] == [{"bearer": []}]


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to an address but loopback fails the test, even if the guard broke."""
    real = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"a test tried to connect to {address!r}")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture
def guarded(tmp_path: Path, loopback_only: None) -> Iterator[TestClient]:
    store = open_store(tmp_path / "guarded.db")
    store.store_article(story(1), source_id=None, now=T0)
    settings = Settings(db=store.path, api_token="tok", allow_private_networks=False)
    app = create_app(settings, store)
    with TestClient(app, headers={"Authorization": "Bearer tok"}) as client:
        yield client
    store.close()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/feed.xml",
        "http://127.0.0.1:9/feed.xml",
        "http://[::1]/feed.xml",
        "gopher://127.0.0.1/",
    ],
)
def test_a_refused_url_is_a_400_not_an_upstream_error(guarded: TestClient, url: str) -> None:
    error = _error(guarded.post("/api/sources", json={"url": url}), 400)
    assert error["code"] == "bad_request"
    assert error["details"][0]["parameter"] == "url"
    assert guarded.get("/api/sources").json()["items"] == []

"""Rules on the web: the API (reads open, writes with the token, no secret ever answered)
and each rule's own full-text feed."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from newsdesk.config import Settings
from newsdesk.rules.deliver import Deliverer
from newsdesk.serve import create_app
from newsdesk.store import open_store
from newsdesk.store.rules import NewAction
from tests.rules.helpers import TEXT, story, write

SECRET = "whsec_" + base64.b64encode(b"a key that must never be shown!!").decode()
TOKEN = "t0ken-for-tests"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = open_store(tmp_path / "n.db")
    store.add_rule(
        "ports",
        query="rotterdam",
        actions=[NewAction(kind="feed", target="", config={})],
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    for n in range(3):
        text = TEXT + f" Its own line {n}."
        url = f"https://o{n}.example/{n}"
        write(store, f"https://o{n}.example/feed", story(url, text=text), now=datetime.now(UTC))
    with Deliverer(store, Settings()) as deliverer:
        deliverer.deliver_due()
    app = create_app(Settings(db=store.path, api_token=TOKEN, serve_cache_mb=0), store)
    with TestClient(app) as client:
        yield client
    store.close()


def test_rules_and_deliveries_are_read_without_secrets(client: TestClient) -> None:
    rules = client.get("/api/rules").json()["items"]
    assert [r["name"] for r in rules] == ["ports"] and rules[0]["actions"][0]["kind"] == "feed"
    assert client.get("/api/rules/ports").json()["feed"] == "/feeds/rules/ports.atom"
    assert client.get("/api/rules/nope").status_code == 404
    deliveries = client.get("/api/deliveries", params={"rule": "ports"}).json()["items"]
    assert [d["status"] for d in deliveries] == ["done"]  # three copies: one story


def test_writes_need_the_token_and_never_answer_a_secret(client: TestClient) -> None:
    rule = {
        "name": "hooked",
        "query": '"port strike"',
        "actions": [{"kind": "webhook", "target": "https://hooks.example/in", "secrets": [SECRET]}],
    }
    assert client.post("/api/rules", json=rule).status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    made = client.post("/api/rules", json=rule, headers=auth)
    assert made.status_code == 201 and made.headers["location"] == "/api/rules/hooked"
    assert SECRET not in made.text and SECRET not in client.get("/api/rules").text
    assert client.post("/api/rules", json=rule, headers=auth).status_code == 409
    broken = {**rule, "name": "broken", "query": "rotterdam ("}
    answer = client.post("/api/rules", json=broken, headers=auth)
    assert answer.status_code == 400 and "character 11" in answer.json()["error"]["message"]
    mail = {**rule, "name": "mail", "actions": [{"kind": "email", "target": "a@b.example"}]}
    assert client.post("/api/rules", json=mail, headers=auth).status_code == 400
    assert client.delete("/api/rules/hooked").status_code == 401
    assert client.delete("/api/rules/hooked", headers=auth).status_code == 204
    assert client.delete("/api/rules/hooked", headers=auth).status_code == 404


def test_each_rule_has_its_own_full_text_feed(client: TestClient) -> None:
    atom = client.get("/feeds/rules/ports.atom")
    assert atom.status_code == 200 and atom.headers["content-type"].startswith(
        "application/atom+xml"
    )
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.fromstring(atom.content)
    entries = root.findall("a:entry", ns)
    assert len(entries) == 1
    assert root.find("a:link[@rel='self']", ns) is not None
    assert "Dock workers walked out" in (entries[0].findtext("a:content", "", ns) or "")
    feed = json.loads(client.get("/feeds/rules/ports.json").content)
    assert len(feed["items"]) == 1 and feed["items"][0]["authors"][0]["name"] == "Anna de Vries"
    again = client.get("/feeds/rules/ports.atom", headers={"If-None-Match": atom.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/feeds/rules/nope.atom").status_code == 404


def test_the_reader_s_rules_page(client: TestClient, tmp_path: Path) -> None:
    page = client.get("/rules")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "ports" in page.text and "Port strike halts Rotterdam" in page.text
    assert '<span class="good">OK</span>' in page.text and "/feeds/rules/ports.atom" in page.text
    store = open_store(tmp_path / "n.db")
    store.add_rule(
        "<b>x</b>",
        query="<script>alert(1)</script>",
        actions=[NewAction(kind="webhook", target="https://h.example/<i>", config={})],
        now=datetime.now(UTC),
    )
    store.close()
    page = client.get("/rules").text
    assert "<script>alert" not in page and "<b>x</b>" not in page and "&lt;script&gt;" in page


def test_the_article_page_says_which_rules_fired(client: TestClient) -> None:
    for article_id in (1, 2):  # the story's original, and a copy of it
        page = client.get(f"/articles/{article_id}").text
        assert "Rules that fired for this story" in page
        assert '<a href="/rules"><bdi>ports</bdi></a> · story.new · done' in page


def test_the_reader_s_navigation_leads_to_the_rules_page(client: TestClient) -> None:
    for path in ("/", "/sources", "/articles/1", "/rules"):
        page = client.get(path)
        assert page.status_code == 200, path
        nav = page.text.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
        assert '<a href="/rules">Rules</a>' in nav, path
    assert client.get("/rules").status_code == 200

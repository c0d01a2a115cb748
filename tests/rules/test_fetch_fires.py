"""``newsdesk fetch URL`` goes through the rules as the pass's writer does: a matching page
fires once (fetched again, it is a sighting), an old one (rules_max_age) does not."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.cli import main
from newsdesk.store import open_store
from newsdesk.store.rules import NewAction
from tests.rules.helpers import TEXT


def _page(title: str, published: datetime, text: str) -> bytes:
    return (
        f"<html><head><title>{title}</title>"
        f'<meta property="article:published_time" content="{published.isoformat()}">'
        f"</head><body><article><h1>{title}</h1><p>{text}</p></article></body></html>"
    ).encode()


@pytest.fixture
def pages() -> Iterator[str]:
    now = datetime.now(UTC)
    served = {
        "/new.html": _page("Port strike halts Rotterdam", now - timedelta(hours=2), TEXT),
        "/old.html": _page(
            "Rotterdam dockers strike again",
            now - timedelta(days=20),
            TEXT.replace("Monday", "a Friday last month").replace("Thursday", "Sunday") * 2,
        ),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetch_fires_the_rules(tmp_path: Path, pages: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_ALLOW_PRIVATE_NETWORKS", "1")
    db = str(tmp_path / "n.db")
    store = open_store(db)
    action = NewAction(kind="jsonl", target=str(tmp_path / "out.jsonl"), config={})
    store.add_rule("port", query="rotterdam", actions=[action], now=datetime.now(UTC))
    store.close()
    runner = CliRunner()
    ids = []
    for path in ("/new.html", "/new.html", "/old.html"):
        result = runner.invoke(main, ["fetch", pages + path, "--db", db])
        assert result.exit_code == 0, result.output
        ids.append(int(result.output.strip()))
    assert ids[0] == ids[1] != ids[2]
    store = open_store(db)
    fired = [(d.rule_name, d.article_id) for d in store.deliveries()]
    store.close()
    assert fired == [("port", ids[0])]  # once for the new page; the 20-day-old one not

from __future__ import annotations

import gzip
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.cli import main
from newsdesk.cli_docs import render_cli_docs

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "src" / "newsdesk" / "demo" / "pages" / "harbour-bridge.html"


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_extract_file_as_json() -> None:
    code, out, _ = run("extract", str(DEMO))
    assert code == 0
    data = json.loads(out)
    assert data["title"] == "Harbour bridge reopens after six-month repair"
    assert data["fetched_url"] == str(DEMO)


def test_gzip_and_jsonl_give_one_article_per_input(tmp_path: Path) -> None:
    gz = tmp_path / "page.html.gz"
    gz.write_bytes(gzip.compress(DEMO.read_bytes()))
    code, out, _ = run("extract", "--format", "jsonl", str(DEMO), str(gz))
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["fetched_url"] for line in lines] == [str(DEMO), str(gz)]
    assert lines[0]["text"] == lines[1]["text"]


def test_stdin_with_url() -> None:
    code, out, _ = run(
        "extract",
        "--url",
        "https://orig.example/a",
        "--format",
        "json",
        "-",
        stdin=DEMO.read_bytes(),
    )
    assert code == 0
    data = json.loads(out)
    assert data["fetched_url"] == "-"
    assert data["url"] == "https://courier.example/news/2026/11/harbour-bridge-reopens"


def test_text_and_markdown() -> None:
    code, out, _ = run("extract", "--format", "text", str(DEMO))
    assert code == 0 and out.startswith("Harbour bridge reopens")
    code, out, _ = run("extract", "--format", "markdown", str(DEMO))
    assert code == 0 and out.startswith("# Harbour bridge reopens")
    assert "## What was repaired" in out and "- All sixteen" in out


def test_failures_are_reported_and_the_rest_still_runs(tmp_path: Path) -> None:
    pdf = tmp_path / "doc.html"
    pdf.write_bytes(b"%PDF-1.4 ...")
    bad_gz = tmp_path / "bad.html.gz"
    bad_gz.write_bytes(b"not gzip")
    code, out, err = run(
        "extract",
        "--format",
        "jsonl",
        str(pdf),
        str(DEMO),
        str(tmp_path / "missing.html"),
        str(bad_gz),
    )
    assert code == 1
    assert len(out.splitlines()) == 1
    assert f"{pdf}: input is a PDF document" in err
    assert "missing.html: no such file" in err
    assert "bad.html.gz: not a valid gzip file" in err


def test_usage_errors_exit_2() -> None:
    assert run("extract")[0] == 2
    assert run("extract", "--format", "xml", str(DEMO))[0] == 2
    assert run("extract", "--url", "https://a.example/", str(DEMO), str(DEMO))[0] == 2
    assert run("extract", "--url", "not-a-url", str(DEMO))[0] == 2


@pytest.fixture
def local_site() -> Iterator[str]:
    body = DEMO.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/story":
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_extract_from_a_url_on_loopback(local_site: str) -> None:
    code, out, err = run(
        "extract", "--format", "jsonl", f"{local_site}/story", f"{local_site}/gone"
    )
    assert code == 1
    data = json.loads(out)
    assert data["fetched_url"] == f"{local_site}/story"
    assert "HTTP 404" in err


def test_cli_docs_are_up_to_date() -> None:
    assert (REPO / "docs" / "cli.md").read_text("utf-8") == render_cli_docs(), "run make docs"

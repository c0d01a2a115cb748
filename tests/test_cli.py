from __future__ import annotations

import gzip
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import newsdesk.cli.text as cli_module
from newsdesk.cli import main
from newsdesk.cli.docs import render_cli_docs, render_settings_docs

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
    assert "bad.html.gz: gzip file: not valid gzip" in err


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
    assert data["decoding"]["source"] in ("http", "utf-8")  # the bytes went to extract
    assert "HTTP 404" in err


def test_cli_docs_are_up_to_date() -> None:
    assert (REPO / "docs" / "cli.md").read_text("utf-8") == render_cli_docs(), "run make docs"
    assert (REPO / "docs" / "settings.md").read_text("utf-8") == render_settings_docs()


RELAYED = (
    "A storm hit the coast on Thursday, officials said.\n"
    "READ MORE: Unrelated headline here\n"
    "“We are ready,” said Mayor Ann Lee.\n"
    "from WKRN https://ift.tt/abc\nvia IFTTT\n0 Comments\n"
)


def test_clean_file_and_stdin(tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_text(RELAYED, "utf-8")
    code, out, _ = run("clean", "--source", "Relay Blog", str(story))
    assert code == 0
    data = json.loads(out)
    assert "READ MORE" not in data["text"] and "Comments" not in data["text"]
    assert data["provenance"]["via"] == "IFTTT"
    assert data["quotes"] == [{"text": "We are ready", "speaker": "Ann Lee"}]
    assert data["site_name"] == "Relay Blog"
    code, out, _ = run("clean", "--format", "text", "-", stdin=RELAYED.encode())
    assert code == 0 and out.startswith("A storm hit the coast")


def test_clean_reports_bad_inputs_and_goes_on(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.txt"
    mixed.write_bytes("Première ligne, en UTF-8.\n".encode() + "Café crème.\n".encode("cp1252"))
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", "utf-8")
    code, out, err = run("clean", "--format", "jsonl", str(binary), str(mixed), str(empty))
    assert code == 1
    assert "Café crème." in json.loads(out)["text"]
    assert f"{binary}: input is binary data" in err
    assert f"{empty}: text is empty" in err


def test_clean_corpus(tmp_path: Path) -> None:
    footer = "Thanks for reading our independent coverage of the valley and its people."
    records = [
        {"id": n, "site": "valley", "text": f"Story {n} about the river, in detail.\n{footer}"}
        for n in range(4)
    ]
    lines = [json.dumps(r) for r in records] + ["not json", json.dumps({"id": 9, "site": "x"})]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(lines) + "\n", "utf-8")
    out_path = tmp_path / "out.jsonl"
    code, _, err = run("clean", "--corpus", str(corpus), "--by", "site", "--out", str(out_path))
    assert code == 1  # two bad records, reported, the rest cleaned
    written = [json.loads(line) for line in out_path.read_text("utf-8").splitlines()]
    assert len(written) == 6
    assert [w["text"] for w in written[:4]] == [
        f"Story {n} about the river, in detail." for n in range(4)
    ]
    assert written[4]["clean_error"].startswith("not valid JSON")
    assert written[5]["clean_error"] == "no text in field 'text'"
    assert "record 5: not valid JSON" in err
    assert "cleaned 4" in err and "failed 2" in err and "boilerplate_removed 4" in err


def test_clean_usage_errors(tmp_path: Path) -> None:
    assert run("clean")[0] == 2
    assert run("clean", "--corpus", str(tmp_path / "c.jsonl"))[0] == 2
    assert run("clean", "--url", "https://a.example/", "-", "-")[0] == 2


def test_gzip_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_module, "MAX_INPUT_BYTES", 1_000_000)
    bomb = tmp_path / "bomb.html.gz"
    bomb.write_bytes(gzip.compress(b"<p>" + b"\0" * 5_000_000))
    code, _, err = run("extract", str(bomb))
    assert code == 1
    assert "decompresses to more than 1000000 bytes" in err

"""The relay's commands, against the demo newsroom served on 127.0.0.1 by the test."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.cli import main
from newsdesk.demo.generator import Newsroom
from newsdesk.demo.server import RunningNewsroom, serve_newsroom
from newsdesk.store import ArticleQuery, open_store


@pytest.fixture(scope="module")
def newsroom() -> Iterator[RunningNewsroom]:
    with serve_newsroom(Newsroom(seed=9, articles=25)) as running:
        yield running


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_follow_run_and_read(
    tmp_path: Path, newsroom: RunningNewsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "n.db")
    monkeypatch.setenv("NEWSDESK_PER_HOST_DELAY", "0")
    code, _, err = run("add", newsroom.bases["courier"] + "/", "--db", db)
    assert code == 1 and "private or reserved address" in err  # refused by default
    code, out, _ = run(
        "add", newsroom.bases["courier"] + "/", "--db", db, "--allow-private-networks"
    )
    assert code == 0 and "following source 1" in out and "(rss, The Portside Courier)" in out

    opml = tmp_path / "subs.opml"
    others = [newsroom.bases[o.slug] + o.feed_path for o in newsroom.room.outlets[1:]]
    opml.write_text(
        "<opml version='2.0'><body>"
        + "".join(f"<outline text='x' xmlUrl='{url}'/>" for url in others)
        + "</body></opml>",
        "utf-8",
    )
    code, out, _ = run("import", str(opml), "--db", db)
    assert code == 0 and "imported 4 sources" in out

    monkeypatch.setenv("NEWSDESK_ALLOW_PRIVATE_NETWORKS", "1")
    code, _, err = run("run", "--once", "--db", db)
    # How many pages the pass stored as copies depends on which of a story's pages came
    # first (an original stored after its copy is linked then); the links it ends with do not.
    counted = re.search(r"stored 20 \((\d) syndicated copies\); duplicates 5", err)
    assert code == 0 and counted is not None and 0 < int(counted[1]) <= 3, err
    store = open_store(db)
    linked = [r for r in store.list_articles(ArticleQuery(limit=100)) if r.original_id]
    store.close()
    assert len(linked) == 3  # every relayed copy linked to its original, whatever the order

    code, out, err = run("export", "--db", db)
    # the news sitemap is newsdesk's own: other readers cannot follow it, so it is not listed
    assert code == 0 and out.count("<outline") == 4
    assert "not listed" in err and "(sitemap:" in err

    code, out, _ = run("sources", "--db", db)
    assert code == 0 and "rss" in out and "atom" in out

    code, out, _ = run("articles", "--db", db, "--format", "jsonl", "--limit", "100")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(records) == 20
    code, out, _ = run("show", str(records[0]["id"]), "--db", db, "--format", "json")
    assert code == 0 and json.loads(out)["title"] == records[0]["title"]

    word = records[0]["title"].split()[0]
    code, out, _ = run("search", word, "--db", db)
    assert code == 0 and f"[{word}]" in out

    code, out, _ = run("reextract", "--db", db)
    assert code == 0 and "re-extracted 20 articles (0 failed)" in out

    story = newsroom.room.story("herald", 0)
    code, out, _ = run("fetch", newsroom.bases["herald"] + story.path, "--db", db)
    assert code == 0 and out.strip().isdigit()


def test_commands_on_a_missing_database(tmp_path: Path) -> None:
    code, _, err = run("sources", "--db", str(tmp_path / "none.db"))
    assert code == 1 and "no database" in err
    code, _, err = run("show", "1", "--db", str(tmp_path / "none.db"))
    assert code == 1
    code, _, err = run("serve", "--db", str(tmp_path / "none.db"))
    assert code == 1 and "no database" in err  # before any server starts


def test_bad_settings_are_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_WORKERS", "many")
    code, _, err = run("sources", "--db", str(tmp_path / "n.db"))
    assert code == 2 and "NEWSDESK_WORKERS: workers = 'many' is not allowed" in err
    assert "it must be a whole number at least 1" in err
    monkeypatch.setenv("NEWSDESK_WORKERS", "-1")
    code, _, err = run("sources", "--db", str(tmp_path / "n.db"))
    assert code == 2 and "workers = '-1' is not allowed" in err
    monkeypatch.setenv("NEWSDESK_WORKERS", "8")
    monkeypatch.setenv("NEWSDESK_EXTRACT_PROCESSES", "-2")
    code, _, err = run("sources", "--db", str(tmp_path / "n.db"))
    assert code == 2 and "extract_processes = '-2' is not allowed" in err
    assert "a whole number at least -1" in err


def test_demo_command(tmp_path: Path) -> None:
    code, out, _ = run("demo", "--articles", "10", "--db", str(tmp_path / "demo.db"))
    found = re.search(r"stored (\d+) .*duplicates (\d+)", out)
    assert code == 0 and found and int(found[1]) + int(found[2]) == 10, out
    assert f"{found[1]} articles from 5 sources" in out

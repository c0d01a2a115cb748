"""``newsdesk rules``, ``deliver`` and ``deliveries`` on the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from newsdesk.cli import main
from newsdesk.store import open_store
from tests.rules.helpers import TEXT, story, write


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_rules_from_add_to_remove(tmp_path: Path) -> None:
    db, out = str(tmp_path / "n.db"), tmp_path / "matches.jsonl"
    code, said = _run("rules", "add", "ports", "--db", db, "--query", '"port strike" (')
    assert code == 2 and "'(' at character 15 is never closed" in said
    code, said = _run(
        "rules",
        "add",
        "ports",
        "--db",
        db,
        "--query",
        "rotterdam",
        "--webhook",
        "https://x.example/h",
        "--secret",
        "nope",
    )
    assert code == 2 and "whsec_" in said
    code, said = _run(
        "rules", "add", "ports", "--db", db, "--query", "rotterdam copies>=1", "--jsonl", str(out)
    )
    assert code == 0 and "rule ports: 1 action(s)" in said
    code, said = _run("rules", "add", "ports", "--db", db, "--query", "x", "--jsonl", str(out))
    assert code == 1 and "exists already" in said
    store = open_store(db)
    write(store, "https://a.example/feed", story("https://a.example/s"), now=datetime.now(UTC))
    write(
        store,
        "https://b.example/feed",
        story("https://b.example/s", text=TEXT + " Copy."),
        now=datetime.now(UTC),
    )
    store.close()
    code, said = _run("rules", "list", "--db", db)
    assert code == 0 and "ports" in said and "jsonl" in said
    code, said = _run("rules", "test", "ports", "--db", db)
    assert code == 0 and "1 of the 2 newest articles' stories would fire rule ports" in said
    code, said = _run("deliver", "--once", "--db", db)
    assert code == 0 and "deliveries sent 1" in said
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 1 and lines[0]["data"]["article"]["url"] == "https://a.example/s"
    assert _run("deliver", "--once", "--db", db)[1].startswith("deliveries sent 0")
    code, said = _run("deliveries", "--db", db)
    assert code == 0 and "done" in said
    code, said = _run("deliveries", "replay", "1", "--db", db)
    assert code == 0 and "1 deliveries due again" in said
    _run("deliver", "--once", "--db", db)
    assert len(out.read_text().splitlines()) == 1  # a replay of a line already written
    code, said = _run("rules", "show", "ports", "--db", db)
    assert code == 0 and "jsonl" in said and "done" in said
    assert _run("rules", "disable", "ports", "--db", db)[0] == 0
    assert "(disabled)" in _run("rules", "list", "--db", db)[1]
    assert _run("rules", "enable", "ports", "--db", db)[0] == 0
    assert _run("rules", "remove", "ports", "--db", db)[0] == 0
    assert _run("rules", "remove", "ports", "--db", db)[0] == 1


def test_backfill_fires_for_stored_stories(tmp_path: Path) -> None:
    db, out = str(tmp_path / "n.db"), tmp_path / "m.jsonl"
    store = open_store(db)
    write(store, "https://a.example/feed", story("https://a.example/s"), now=datetime.now(UTC))
    store.close()
    code, said = _run(
        "rules", "add", "late", "--db", db, "--query", "rotterdam", "--jsonl", str(out)
    )
    assert code == 0 and "backfill" not in said
    assert _run("deliver", "--once", "--db", db)[1].startswith("deliveries sent 0")
    code, said = _run(
        "rules",
        "add",
        "back",
        "--db",
        db,
        "--query",
        "rotterdam",
        "--jsonl",
        str(out),
        "--backfill",
        "2000-01-01",
    )
    assert code == 0 and "backfill: 1 deliveries enqueued" in said
    assert _run("deliver", "--once", "--db", db)[1].startswith("deliveries sent 1")

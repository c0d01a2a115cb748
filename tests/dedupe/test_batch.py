"""The corpus deduper: exact duplicates, copies, clusters, order independence, bad records."""

from __future__ import annotations

import json
import random
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.batch.dedupe import dedupe_corpus
from newsdesk.cli import main
from newsdesk.dedupe import BatchDeduper, fingerprint, text_key
from tests.dedupe.test_links import STORY, TEXT

OTHER = (
    "A football club in the north signed a striker from Lisbon on Tuesday for a record fee.\n\n"
    "The player, who scored 31 goals last season, agreed a four-year contract after a "
    "medical at the club's training ground outside the city."
)


def records() -> list[dict[str, object]]:
    return [
        {"id": "orig", "url": "https://a.example/pier?utm_source=x", "text": TEXT,
         "published": "2026-11-01T08:00:00Z", "title": "Pier plan approved"},
        {"id": "same-url", "url": "https://a.example/pier", "text": TEXT + "\n\nUpdated.",
         "published": "2026-11-01T09:00:00Z"},
        {"id": "same-text", "url": "https://b.example/x", "text": TEXT.upper(),
         "published": "2026-11-01T10:00:00Z"},
        {"id": "relay", "url": "https://blog.example/p", "text": TEXT + "\n\nvia IFTTT",
         "published": "2026-11-01T07:00:00Z", "provenance": {"via": "IFTTT"}},
        {"id": "lead", "url": "https://c.example/l", "text": STORY[0],
         "published": "2026-11-01T11:00:00Z"},
        {"id": "other", "url": "https://d.example/o", "text": OTHER,
         "published": "2026-11-01T08:00:00Z"},
    ]  # fmt: skip


def run(tmp_path: Path, recs: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in recs))
    out = tmp_path / "out.jsonl"
    with out.open("w") as handle:
        dedupe_corpus(source, handle)
    return {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}


def test_links(tmp_path: Path) -> None:
    rows = run(tmp_path, records())
    assert rows["orig"]["dedupe"] == "original"
    assert rows["same-url"]["duplicate_of"] == "orig"  # tracking parameters do not count
    assert rows["same-text"]["duplicate_of"] == "orig"
    assert rows["relay"]["original_id"] == "orig"  # earlier, but a relay
    assert rows["lead"]["original_id"] == "orig"
    assert rows["other"]["dedupe"] == "original" and rows["other"]["original_id"] is None
    assert rows["other"]["cluster_id"] == "other"
    assert rows["relay"]["cluster_id"] == rows["orig"]["cluster_id"] == "orig"


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_any_order_gives_the_same_links(rng: random.Random) -> None:
    import tempfile  # noqa: PLC0415

    recs = records()
    with tempfile.TemporaryDirectory() as tmp:
        expected = run(Path(tmp), recs)
        rng.shuffle(recs)
        shuffled = run(Path(tmp), recs)
    keys = ("duplicate_of", "original_id", "cluster_id", "dedupe")
    assert {i: [r[k] for k in keys] for i, r in shuffled.items()} == {
        i: [r[k] for k in keys] for i, r in expected.items()
    }


def test_bad_records_pass_through_marked(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"id": "ok", "text": TEXT}),
        "this is not json",
        json.dumps({"text": TEXT}),  # no id
        json.dumps({"id": "empty", "text": "  "}),
        json.dumps({"id": "huge", "text": "word " * 2_100_000}),  # over 10 MB
        json.dumps(["a", "list"]),
        json.dumps({"id": "ok2", "text": TEXT}),
    ]
    source.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["dedupe", str(source), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 0, result.output
    out = (tmp_path / "o.jsonl").read_text().splitlines()
    assert len(out) == len(lines)
    assert out[1] == "this is not json"
    rows = [json.loads(line) for line in out if line.startswith("{")]
    errors = {r.get("id"): r["dedupe_error"] for r in rows if r["dedupe"] == "error"}
    assert errors[None] == "no 'id' field"
    assert errors["empty"] == "no text in 'text'"
    assert errors["huge"] == "text larger than 10 MB"
    assert rows[-1]["duplicate_of"] == "ok"
    assert "7 records" in result.stderr and "5 error" in result.stderr


def test_custom_field_names(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"key": 1, "body": TEXT, "when": 1_700_000_000}) + "\n"
        + json.dumps({"key": 2, "body": TEXT + "\n\nShared from X", "when": 1_700_000_500}) + "\n"
    )  # fmt: skip
    args = ["dedupe", str(source), "--id-field", "key", "--text-field", "body",
            "--time-field", "when", "--processes", "2"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[1]["original_id"] == "1"


def test_empty_and_single_inputs() -> None:
    assert BatchDeduper().resolve().outcome == []
    one = BatchDeduper()
    one.add(
        "x", fingerprint(TEXT), url=None, fetched_url=None, text_key=text_key(TEXT), published=None
    )
    assert one.resolve().outcome == ["original"]

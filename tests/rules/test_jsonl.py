"""The JSON Lines action: one line per delivery, idempotent on a retry, a cut line ended,
rotation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from newsdesk.model import Article
from newsdesk.rules.actions import Message, Target
from newsdesk.rules.actions.jsonl import send_jsonl

ARTICLE = Article(url="https://o.example/a", title="A", text="Body.")


def _message(n: int, *, maybe_sent: bool = False) -> Message:
    return Message(
        event_id=f"msg_{n:032d}",
        event="story.new",
        rule="r",
        attempt=2 if maybe_sent else 1,
        maybe_sent=maybe_sent,
        sent_at=datetime.now(UTC),
        remote_id=None,
        payload={"id": f"msg_{n:032d}", "type": "story.new", "data": {"n": n}},
        article=ARTICLE,
        body_html="<p>Body.</p>",
        original=ARTICLE,
        outlets=("o.example",),
    )


def test_a_line_a_delivery_and_a_retry_adds_none(tmp_path: Path) -> None:
    out = tmp_path / "m.jsonl"
    target = Target(kind="jsonl", address=str(out), config={})
    assert send_jsonl(_message(1), target).ok
    assert send_jsonl(_message(1, maybe_sent=True), target).ok  # written already: nothing
    assert send_jsonl(_message(2, maybe_sent=True), target).ok  # not written yet: written
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["data"]["n"] for line in lines] == [1, 2]


def test_a_line_cut_by_a_crash_is_ended_first(tmp_path: Path) -> None:
    out = tmp_path / "m.jsonl"
    out.write_text('{"id":"msg_cut","type":"story.n')  # the process died mid-write
    assert send_jsonl(_message(3), Target(kind="jsonl", address=str(out), config={})).ok
    last = out.read_text().splitlines()[-1]
    assert json.loads(last)["data"]["n"] == 3


def test_rotation_and_an_unwritable_file(tmp_path: Path) -> None:
    out = tmp_path / "m.jsonl"
    target = Target(kind="jsonl", address=str(out), config={"max_bytes": 100})
    for n in range(3):
        assert send_jsonl(_message(n), target).ok
    assert (tmp_path / "m.jsonl.1").exists() and len(out.read_text().splitlines()) == 1
    assert send_jsonl(_message(1, maybe_sent=True), target).ok  # found in the rotation
    assert len(out.read_text().splitlines()) == 1
    failed = send_jsonl(_message(9), Target(kind="jsonl", address=str(tmp_path), config={}))
    assert not failed.ok and "cannot write" in (failed.error or "")

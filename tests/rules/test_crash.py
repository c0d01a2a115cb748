"""A deliverer killed (SIGKILL) mid-queue, then restarted: every delivery arrives, the
receiver (deduping by ``webhook-id``) counts each once, and the only repeat is the one in
flight at the kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsdesk.store import Store, open_store
from newsdesk.store.rules import NewAction
from tests.rules.helpers import TEXT, receiver, story, write

STORIES = 20


def _deliver(db: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, NEWSDESK_DELIVERY_TIMEOUT="1", NEWSDESK_ALLOW_PRIVATE_NETWORKS="1")
    return subprocess.Popen(
        [sys.executable, "-m", "newsdesk.cli", "deliver", "--once", "--db", str(db)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_kill_mid_queue_then_restart_delivers_each_exactly_once(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    with receiver(delay=0.15) as hook:
        store = open_store(db)
        action = NewAction(kind="webhook", target=hook.url, config={"secrets": []})
        store.add_rule(
            "all", query="rotterdam", actions=[action], now=datetime.now(UTC) - timedelta(hours=1)
        )
        for n in range(STORIES):
            text = f"Story {n}: " + TEXT.replace("Monday", f"day {n} of the week {n * 7}")
            write(
                store,
                f"https://o{n}.example/feed",
                story(f"https://o{n}.example/{n}", text=text),
                now=datetime.now(UTC),
            )
        assert len(store.deliveries(limit=100)) == STORIES
        store.close()

        first = _deliver(db)
        deadline = time.monotonic() + 30
        while len(hook.ids()) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait()
        at_kill = len(hook.ids())
        assert 5 <= at_kill < STORIES

        store = open_store(db)
        deadline = time.monotonic() + 30  # the one in flight waits out its lease (4 s here)
        while _unfinished(store) and time.monotonic() < deadline:
            assert _deliver(db).wait(30) == 0
            time.sleep(0.5)
        assert _unfinished(store) == 0
        store.close()
        ids = hook.ids()
    assert len(set(ids)) == STORIES
    assert len(ids) - STORIES <= 1  # a repeat only for the delivery in flight at the kill


def _unfinished(store: Store) -> int:
    return sum(d.status != "done" for d in store.deliveries(limit=100))

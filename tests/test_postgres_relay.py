"""Two relay processes on one PostgreSQL database ingest the demo newsroom (served on
127.0.0.1 by the test) together: every entry is processed by exactly one of them, none is
lost, and the archive is the one a single relay makes on SQLite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsdesk.demo.generator import Newsroom
from newsdesk.demo.server import RunningNewsroom, serve_newsroom
from newsdesk.store import Store, open_store
from tests.pgserver import PgServer, pg_ctl
from tests.storeview import entry_statuses

_COUNTS = re.compile(
    r"new entries (\d+); stored (\d+) \((\d+) syndicated copies\); duplicates (\d+); "
    r"from feed content (\d+); failed (\d+)"
)


@pytest.fixture(scope="module")
def newsroom() -> Iterator[RunningNewsroom]:
    with serve_newsroom(Newsroom(seed=16, articles=120), feed_page=20) as running:
        yield running


def _relay(db: str, extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "NEWSDESK_ALLOW_PRIVATE_NETWORKS": "1",
        "NEWSDESK_PER_HOST_DELAY": "0",
        "NEWSDESK_WORKERS": "4",
        **(extra or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "newsdesk.cli", "run", "--once", "--db", db],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str], log: list[str] | None = None) -> tuple[int, ...]:
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-3000:]
    found = _COUNTS.findall(err)
    assert found, err[-3000:]
    if log is not None:
        log.append(err)
    return tuple(int(n) for n in found[-1])


def _follow(store: Store, newsroom: RunningNewsroom) -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    for url in newsroom.feed_urls():
        store.add_source(url, now=datetime.now(UTC))


def _follow_in(db: str, newsroom: RunningNewsroom) -> None:
    store = open_store(db)
    _follow(store, newsroom)
    store.close()


def _on_sqlite(newsroom: RunningNewsroom, tmp_path: Path) -> tuple[tuple[int, ...], Store]:
    """One relay's pass over the newsroom on SQLite: its counts, and its store (the archive
    to compare with)."""
    alone = str(tmp_path / "alone.db")
    _follow_in(alone, newsroom)
    single = _finish(_relay(alone))
    return single, open_store(alone)


def test_two_relays_on_one_postgres_share_the_work(
    newsroom: RunningNewsroom, pg_url: str, tmp_path: Path
) -> None:
    # one relay on SQLite: the archive to compare with
    single, reference = _on_sqlite(newsroom, tmp_path)
    _follow_in(pg_url, newsroom)
    first, second = _relay(pg_url), _relay(pg_url)
    counts = [_finish(first), _finish(second)]

    shared = open_store(pg_url)
    statuses = entry_statuses(shared)
    total = sum(statuses.values())
    assert "new" not in statuses, statuses  # none lost
    # each entry recorded once, and processed by one of the two (a second would count it)
    assert sum(c[0] for c in counts) == total == sum(entry_statuses(reference).values())
    processed = [c[1] + c[3] + c[4] + c[5] for c in counts]
    assert sum(processed) == total, (counts, statuses)
    assert all(p > 0 for p in processed), processed  # both did some of the work
    assert statuses == entry_statuses(reference)
    assert shared.counts()["articles"] == reference.counts()["articles"] == single[1]
    # the live dedupe decided as one writer would: as many copies linked to an original
    assert _links(shared)[0] == _links(reference)[0]
    # each feed (and each of its pages) fetched by one of them: the sources were leased
    fetched = shared._db.execute("SELECT url, COUNT(*) FROM fetch_log GROUP BY url").fetchall()
    assert fetched and all(n == 1 for _, n in fetched), fetched
    assert len(fetched) == reference.counts()["fetch_log"]
    shared.close()
    reference.close()


def _links(store: Store) -> tuple[int, int]:
    row = store._db.execute(
        "SELECT COUNT(original_id), COUNT(DISTINCT cluster_id) FROM articles"
    ).fetchone()
    return int(row[0]), int(row[1])


def test_a_relay_killed_mid_pass_leaves_its_work_to_the_others(
    newsroom: RunningNewsroom, pg_url: str, tmp_path: Path
) -> None:
    """kill -9 one of two relays mid-pass: the other goes on; what the dead one had claimed
    is anyone's once its lease ends, and a later pass finishes it: every entry stored once,
    none left, the same archive as one relay on SQLite makes."""
    _, reference = _on_sqlite(newsroom, tmp_path)
    _follow_in(pg_url, newsroom)
    lease = {"NEWSDESK_CLAIM_LEASE": "3"}
    doomed, survivor = _relay(pg_url, lease), _relay(pg_url, lease)
    watcher = open_store(pg_url)
    deadline = time.monotonic() + 60
    while entry_statuses(watcher).get("done", 0) < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
    doomed.kill()  # SIGKILL: no cleanup, its claims stay behind
    doomed.communicate()  # its pipes closed too
    _finish(survivor)
    time.sleep(3.5)  # the dead relay's lease ends
    _finish(_relay(pg_url, lease))
    statuses = entry_statuses(watcher)
    assert "new" not in statuses, statuses
    assert statuses == entry_statuses(reference)
    assert watcher.counts()["articles"] == reference.counts()["articles"]
    assert _links(watcher)[0] == _links(reference)[0]
    stuck = watcher._db.execute(
        "SELECT COUNT(*) FROM entries WHERE status = 'new' AND claimed_by IS NOT NULL"
    ).fetchone()[0]
    assert stuck == 0
    watcher.close()
    reference.close()


def test_a_relay_survives_a_server_restart_mid_pass(
    newsroom: RunningNewsroom, pg_server: PgServer, pg_url: str, tmp_path: Path
) -> None:
    """The server restarted (every connection cut) twice under a running relay: it connects
    again, runs the cut transaction again, and ends its pass as if nothing happened: every
    entry processed once, the archive one relay makes on SQLite."""
    single, reference = _on_sqlite(newsroom, tmp_path)
    _follow_in(pg_url, newsroom)
    relay = _relay(pg_url)
    watcher = open_store(pg_url)
    for done in (5, 40):
        deadline = time.monotonic() + 60
        while entry_statuses(watcher).get("done", 0) < done and time.monotonic() < deadline:
            time.sleep(0.05)
        assert relay.poll() is None, "the relay ended before the restart"
        pg_ctl(pg_server, "restart", "-m", "fast")
    log: list[str] = []
    counts = _finish(relay, log)
    assert log[0].count("PostgreSQL connection lost") >= 2, log[0][-3000:]
    statuses = entry_statuses(watcher)
    assert "new" not in statuses, statuses
    assert statuses == entry_statuses(reference)
    assert counts[0] == single[0]  # each entry recorded once
    assert counts[1] + counts[3] + counts[4] + counts[5] == sum(statuses.values())
    assert watcher.counts()["articles"] == reference.counts()["articles"] == single[1]
    assert _links(watcher)[0] == _links(reference)[0]
    watcher.close()
    reference.close()

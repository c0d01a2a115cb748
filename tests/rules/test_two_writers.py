"""``newsdesk run`` writes from two connections at once: the pass's writer and its deliverer.
A writer's transaction that began by reading (a savepoint, then a SELECT) must not fail
when the other commits in between: SQLite refuses such a transaction the write lock at once
(SQLITE_BUSY_SNAPSHOT, no waiting), so every write transaction takes it when it begins."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from newsdesk.store import open_store


def test_a_commit_between_a_writer_s_read_and_its_write(tmp_path: Path) -> None:
    writer = open_store(tmp_path / "n.db")
    done = threading.Event()
    errors: list[BaseException] = []

    def commit_meanwhile() -> None:
        other = open_store(tmp_path / "n.db")  # a connection of its own thread
        try:
            other.add_source("https://other.example/feed", now=datetime.now(UTC))
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()
            other.close()

    with writer.batch(), writer.savepoint():
        assert writer.sources() == []  # a read first
        thread = threading.Thread(target=commit_meanwhile)
        thread.start()
        done.wait(0.5)  # the other connection commits now, or waits for this transaction
        writer.add_source("https://writer.example/feed", now=datetime.now(UTC))
    thread.join()
    assert errors == []
    assert {s.url for s in writer.sources()} == {
        "https://writer.example/feed",
        "https://other.example/feed",
    }

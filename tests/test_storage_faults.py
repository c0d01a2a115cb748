"""Storage faults say what happened: a full disk, a read-only file system, a second relay,
console markup in a title. The disk and file-system cases run the real command in a mount
namespace of their own (``unshare``: a small tmpfs, a read-only bind mount)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.cli import main
from newsdesk.demo.generator import Newsroom
from newsdesk.demo.server import serve_newsroom
from newsdesk.model import Article
from newsdesk.store import open_store
from tests.storeview import entry_statuses


def _can_unshare() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, check=False)
    return probe.returncode == 0


needs_unshare = pytest.mark.skipif(not _can_unshare(), reason="needs unshare -rm (namespaces)")
NEWSDESK = [sys.executable, "-m", "newsdesk.cli"]


def _in_namespace(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (sh) in a user and mount namespace of its own: ``args`` are its "$0",
    "$1", ..."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NEWSDESK_PER_HOST_DELAY": "0"}
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@needs_unshare
def test_a_full_disk_is_a_clear_error_and_loses_nothing(tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.mkdir()
    with serve_newsroom(Newsroom(seed=11, articles=150)) as running:
        store = open_store(small / "n.db")
        for url in running.feed_urls():
            store.add_source(url, now=datetime.now(UTC))
        store.close()
        run = [*NEWSDESK, "run", "--once", "--allow-private-networks", "--db"]
        shutil.copy(small / "n.db", tmp_path / "n.copy")
        # In its own mount namespace: a 600 KB tmpfs holds the database; the command runs
        # until the disk is full; what it left is copied out beside it.
        full = _in_namespace(
            'mount -t tmpfs -o size=600k tmpfs "$0" && cp "$1" "$0/n.db" && shift && '
            '"$@" "$0/n.db"; echo "exit=$?"; cp "$0"/n.db* "$0/.."',
            str(small),
            str(tmp_path / "n.copy"),
            *run,
        )
        assert "exit=1" in full.stdout, full.stdout + full.stderr
        assert "is full" in full.stderr and "Traceback" not in full.stderr, full.stderr
        # What was written is consistent; a pass with room finishes the work, losing nothing.
        db = tmp_path / "n.db"
        env = {**os.environ, "NEWSDESK_PER_HOST_DELAY": "0"}
        finished = subprocess.run(
            [*run, str(db)], capture_output=True, text=True, timeout=300, check=False, env=env
        )
        assert finished.returncode == 0, finished.stderr
    store = open_store(db)
    assert store.pending_count() == 0
    statuses = entry_statuses(store)
    assert set(statuses) <= {"done", "duplicate"} and sum(statuses.values()) == 150


@needs_unshare
def test_reading_commands_work_on_a_read_only_file_system(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store = open_store(data / "n.db")
    store.store_article(
        Article(url="https://example.com/a", title="Harbour bridge reopens", text="Harbour."),
        now=datetime.now(UTC),
    )
    store.close()
    script = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && "$@"'
    for command, expect in (
        (["sources"], ""),
        (["articles"], "Harbour bridge reopens"),
        (["search", "harbour"], "Harbour bridge reopens"),
        (["show", "1", "--format", "text"], "Harbour bridge reopens"),
        (["export"], "<opml"),
    ):
        result = _in_namespace(script, str(data), *NEWSDESK, *command, "--db", str(data / "n.db"))
        assert result.returncode == 0 and expect in result.stdout, (command, result.stderr)
    written = _in_namespace(
        script, str(data), *NEWSDESK, "add", "https://example.com/feed", "--db", str(data / "n.db")
    )
    assert written.returncode == 1 and "read-only" in written.stderr, written.stderr
    assert "Traceback" not in written.stderr


def test_a_second_relay_refuses_naming_the_first(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    store = open_store(db)
    with store.relay_lock():
        result = CliRunner().invoke(main, ["run", "--once", "--db", str(db)])
    assert result.exit_code == 1
    assert "another relay is running" in result.stderr and f"pid {os.getpid()}" in result.stderr


def test_titles_are_never_console_markup(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    store = open_store(db)
    for i, title in enumerate(
        ["[/bold] closing tag headline", "[link=javascript:alert(1)]click[/link]", "\x1b[31mred"]
    ):
        store.store_article(
            Article(url=f"https://example.com/{i}", title=title, text="Text."),
            now=datetime.now(UTC),
        )
    result = CliRunner().invoke(main, ["articles", "--db", str(db)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "[/bold] closing tag headline" in result.stdout
    assert "[link=javascript:alert(1)]click[/link]" in result.stdout
    assert "\x1b" not in result.stdout

"""The relay end to end, against the demo newsroom served on 127.0.0.1 by the test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.config import Settings
from newsdesk.demo.generator import Newsroom
from newsdesk.demo.server import RunningNewsroom, serve_newsroom
from newsdesk.fetch import Fetcher
from newsdesk.model import FeedEntry, FetchResult, ParsedFeed
from newsdesk.pipeline import add_source, next_check, run_once
from newsdesk.store import open_store

SETTINGS = Settings(allow_private_networks=True, per_host_delay=0.0, workers=4)


@pytest.fixture(scope="module")
def newsroom() -> Iterator[RunningNewsroom]:
    with serve_newsroom(Newsroom(seed=3, articles=50)) as running:
        yield running


def test_ingest_the_demo_newsroom(tmp_path: Path, newsroom: RunningNewsroom) -> None:
    store = open_store(tmp_path / "n.db")
    now = datetime.now(UTC)
    with Fetcher(SETTINGS) as fetcher:
        for url in newsroom.feed_urls():
            store.add_source(url, now=now)
        report = run_once(store, fetcher, SETTINGS)
        assert (report.sources, report.new_entries, report.stored) == (5, 50, 50)
        assert report.failed_entries == 0 and report.errors == {}
        kinds = {s.kind for s in store.sources()}
        assert kinds == {"rss", "atom", "jsonfeed", "sitemap"}
        relayed = [a for _, _, a in store.articles(limit=100) if a.site_name == "The Relay Blog"]
        assert relayed and all(a.provenance and a.provenance.via == "IFTTT" for a in relayed)
        assert all("READ MORE" not in a.text for _, _, a in store.articles(limit=100))
        # A second pass with nothing changed: only conditional requests, all answered 304.
        again = run_once(store, fetcher, SETTINGS)
        assert (again.sources, again.not_modified, again.new_entries) == (5, 5, 0)
    assert store.fetch_outcomes() == {"ok": 5, "not_modified": 5}


def test_add_discovers_the_feed_from_a_site(tmp_path: Path, newsroom: RunningNewsroom) -> None:
    store = open_store(tmp_path / "n.db")
    with Fetcher(SETTINGS) as fetcher:
        source = add_source(store, fetcher, newsroom.bases["herald"] + "/", now=datetime.now(UTC))
    assert source.url == newsroom.bases["herald"] + "/atom.xml" and source.kind == "atom"


def test_unreachable_page_falls_back_to_the_feed_content(tmp_path: Path) -> None:
    store = open_store(tmp_path / "n.db")
    now = datetime.now(UTC)
    source = store.add_source("http://127.0.0.1:9/feed", now=now)
    entry = FeedEntry(
        guid="x",
        url="http://127.0.0.1:9/story",
        title="Feed title",
        content="<p>The feed carried the whole story, with a comma, right here.</p>",
    )
    store.record_entries(source.id, [entry], now=now)
    quick = Settings(
        allow_private_networks=True, retries=0, connect_timeout=1.0, per_host_delay=0.0
    )
    with Fetcher(quick) as fetcher:
        report = run_once(store, fetcher, quick)
    assert report.fallbacks == 1 and report.errors.get("network", 0) >= 1
    ((_, _, article),) = store.articles()
    assert article.title == "Feed title" and "whole story" in article.text
    assert store.sources()[0].last_error_kind == "network"  # the feed itself failed too


def test_next_check_bounds_and_backoff() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    settings = Settings(min_interval=300, max_interval=86_400)
    feed = ParsedFeed(
        kind="rss",
        url="u",
        ttl_seconds=7200,
        entries=tuple(
            FeedEntry(guid=str(n), published=now - timedelta(minutes=10 * n)) for n in range(5)
        ),
    )
    assert next_check(now, settings, feed=feed) == now + timedelta(seconds=7200)
    cached = FetchResult(url="u", final_url="u", status=200, cache_control="public, max-age=40000")
    assert next_check(now, settings, result=cached) == now + timedelta(seconds=40000)
    assert next_check(now, settings, error_count=1) == now + timedelta(seconds=600)
    assert next_check(now, settings, error_count=30) == now + timedelta(seconds=86_400)


def _counts(db: Path) -> tuple[int, int, int]:
    store = open_store(db)
    counts = store.counts()
    distinct = store._db.execute("SELECT COUNT(DISTINCT url_key) FROM articles").fetchone()[0]
    return counts["articles"], distinct, len(store.pending_entries())


def test_kill_nine_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    config = tmp_path / "settings.toml"
    config.write_text("per_host_delay = 0.0\nworkers = 2\n", "utf-8")
    with serve_newsroom(Newsroom(seed=5, articles=400)) as running:
        store = open_store(db)
        for url in running.feed_urls():
            store.add_source(url, now=datetime.now(UTC))
        store.close()
        command = [
            sys.executable,
            "-m",
            "newsdesk.cli",
            "run",
            "--once",
            "--db",
            str(db),
            "--config",
            str(config),
            "--allow-private-networks",
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _counts(db)[0] < 40:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        stored, distinct, pending = _counts(db)
        assert stored == distinct and 0 < stored < 400 and pending > 0
        finished = subprocess.run(command, env=env, capture_output=True, timeout=300, check=True)
        assert finished.returncode == 0
    stored, distinct, pending = _counts(db)
    assert (stored, distinct, pending) == (400, 400, 0)


def test_extraction_in_worker_processes(tmp_path: Path, newsroom: RunningNewsroom) -> None:
    store = open_store(tmp_path / "n.db")
    settings = Settings(allow_private_networks=True, per_host_delay=0.0, extract_processes=1)
    with Fetcher(settings) as fetcher:
        store.add_source(newsroom.bases["ledger"] + "/feed.json", now=datetime.now(UTC))
        report = run_once(store, fetcher, settings)
    assert report.stored == 10 and report.failed_entries == 0


def test_ctrl_c_stops_the_loop_after_writes(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    with serve_newsroom(Newsroom(seed=2, articles=10)) as running:
        store = open_store(db)
        for url in running.feed_urls():
            store.add_source(url, now=datetime.now(UTC))
        store.close()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newsdesk.cli",
                "run",
                "--db",
                str(db),
                "--allow-private-networks",
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _counts(db)[0] < 10:
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "stored 10" in err
    assert _counts(db) == (10, 10, 0)

"""`newsdesk serve` itself, as a process on 127.0.0.1: one worker and several."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk.config import Settings, load_settings
from newsdesk.serve.server import settings_environment
from newsdesk.store import open_store
from tests.serve.conftest import free_port, story


def test_every_default_setting_loads_back_from_the_environment() -> None:
    """What `serve --workers N` writes to the environment for its workers must load."""
    assert load_settings(env=settings_environment(Settings())) == Settings()
    odd = Settings(dedupe=False, serve_cache_mb=0, per_host_delay=0.25, api_token="t k")
    assert load_settings(env=settings_environment(odd)) == odd


@pytest.mark.parametrize(
    ("server", "workers"), [("uvicorn", 1), ("uvicorn", 2), ("granian", 1), ("granian", 2)]
)
def test_serve_answers_on_loopback(tmp_path: Path, server: str, workers: int) -> None:
    db = tmp_path / "s.db"
    store = open_store(db)
    now = datetime.now(UTC)
    source = store.add_source("https://news.example/feed", now=now)
    article_id = store.store_article(story(1), source_id=source.id, now=now)
    store.close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    with subprocess.Popen(
        [sys.executable, "-m", "newsdesk.cli", "serve", "--db", str(db), "--port", str(port),
         "--workers", str(workers), "--server", server],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    ) as process:  # fmt: skip
        try:
            _wait_for_page(process, f"http://127.0.0.1:{port}/articles/{article_id}")
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_for_page(server: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                assert response.status == 200
                assert b"Harbour council story 1" in response.read()
            return
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"the server stopped: {server.communicate()[0]}")
            assert time.monotonic() < deadline, "the server did not answer in 60 s"
            time.sleep(0.2)

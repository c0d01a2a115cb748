"""The short version of ``bench/crash.py`` (the bench runs 100 kills): ``kill -9`` of
``newsdesk run --once`` at random moments over the paged demo newsroom, then a clean pass,
compared with one clean pass. Nothing lost, nothing processed twice."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_kill_nine_at_random_moments_loses_nothing() -> None:
    command = [
        sys.executable,
        str(REPO / "bench" / "crash.py"),
        "--kills",
        "9",
        "--articles",
        "600",
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert finished.returncode == 0, finished.stderr[-3000:]
    summary = json.loads(finished.stdout.strip().splitlines()[-1])
    assert summary["kills"] == 9 and summary["reference_entries"] == 600
    assert summary["lost_entries"] == 0 and summary["lost_articles"] == 0, summary
    assert summary["processed_twice"] == 0 and summary["pending_after"] == 0, summary

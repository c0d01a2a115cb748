"""The JSON Lines action: each delivery's payload appended to a file as one line (for
pipelines: ``tail -f``, ``jq``), flushed to disk before the delivery counts as done.

Idempotent: a retry (an attempt after the first, which may have written its line before the
process died) first looks for the event's id in the file and its last rotation, and appends
nothing when it is there. A line cut short by a crash is ended before the next is written,
so every whole line stays one JSON value. With ``max_bytes``, a file that has grown past it
is renamed ``FILE.1`` (the previous ``.1`` dropped) before the next line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from newsdesk.rules.actions import Message, Result, Target

__all__ = ["send_jsonl"]


def send_jsonl(message: Message, target: Target) -> Result:
    path = Path(target.address)
    line = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")) + "\n"
    try:
        if message.maybe_sent and _written(path, message.event_id):
            return Result(ok=True)
        max_bytes = int(target.config.get("max_bytes") or 0)
        if max_bytes and path.exists() and path.stat().st_size >= max_bytes:
            path.replace(path.with_name(path.name + ".1"))
        with path.open("ab") as handle:
            if handle.tell() and not _ends_with_newline(path):
                handle.write(b"\n")
            handle.write(line.encode())
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        return Result(ok=False, error=f"cannot write {path}: {exc.strerror or exc}")
    return Result(ok=True)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _written(path: Path, event_id: str) -> bool:
    """Whether a line of ``path`` (or of its last rotation) carries ``event_id``."""
    needle = f'"id":"{event_id}"'.encode()
    for candidate in (path, path.with_name(path.name + ".1")):
        if not candidate.exists():
            continue
        with candidate.open("rb") as handle:
            if any(needle in line for line in handle):
                return True
    return False

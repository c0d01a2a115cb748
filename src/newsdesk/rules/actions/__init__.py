"""The actions a rule's deliveries are sent by, one module per destination: ``webhook``,
``jsonl``, ``email``, ``wordpress``. Each takes a ``Message`` (one delivery, its payload
made) and its target, and returns a ``Result``; none touches the store (the deliverer
records what happened) and none retries (the outbox does, on its schedule)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsdesk.model import Article

__all__ = ["Message", "Result", "Target"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """Where an action sends: its kind, its address (URL, file, e-mail address, site) and
    its settings (secrets, credentials, the SMTP server)."""

    kind: str
    address: str
    config: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One delivery, ready to send. ``payload`` is its JSON form (what a webhook posts and a
    JSON Lines file gets); ``article`` the clean Article it is about, ``body_html`` its body
    as safe HTML, ``original`` the story's original (outlet, URL, byline, date)."""

    event_id: str  # stable across retries: the receiver's idempotency key
    event: str  # story.new, story.copy, story.outlets
    rule: str
    attempt: int  # 1 for the first
    # an earlier attempt may have reached the target (a retry, a replay of a sent one):
    # an action that can look first (a file, a WordPress site) does, and makes no second copy
    maybe_sent: bool
    sent_at: datetime  # this attempt's time (a webhook's timestamp)
    remote_id: str | None  # what an earlier attempt made at the target (a post's id)
    payload: Mapping[str, Any]
    article: Article
    body_html: str
    original: Article
    outlets: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """What an attempt came to. ``ok``: delivered. Else ``error`` says why; ``gone``: the
    target wants nothing more (410 Gone: it is disabled); ``retry_after``: the target's
    own wait (429, 503); ``final``: retrying cannot help (a malformed target)."""

    ok: bool
    error: str | None = None
    status: int | None = None
    retry_after: float | None = None
    gone: bool = False
    final: bool = False
    remote_id: str | None = None


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header's delay-seconds (an HTTP date is not trusted: clocks differ)."""
    if value and value.strip().isdigit():
        return float(value.strip())
    return None

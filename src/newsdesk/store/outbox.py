"""The outbox: one delivery per (rule, action, story), written in the transaction that
stores the article it is about (a transactional outbox), sent later by the deliverer.

A delivery's ``event_id`` is its idempotency key: a hash of the rule, the action, the event
and the first article of the story it fired for. It is unique in the table, so enqueueing
the same event twice (a restart, a re-fetched page, a changed GUID over the same URL) adds
nothing; a receiver dedupes by it (it is the webhook's ``webhook-id``, the e-mail's
``Message-ID``, the WordPress post's slug).

States: ``pending`` (due at ``next_attempt_at``), ``done``, ``dead`` (the last attempt
failed), ``cancelled`` (its target was disabled: 410 Gone). A delivery being sent is
``pending`` with ``next_attempt_at`` moved past the send's deadline (a lease): a deliverer
killed mid-send leaves it due again once the lease ends, so nothing is lost (at-least-once).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsdesk.store.base import StoreBase
from newsdesk.store.records import _dt, _iso

PENDING, DONE, DEAD, CANCELLED = "pending", "done", "dead", "cancelled"


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    id: int
    event_id: str
    rule_id: int
    rule_name: str
    action_id: int
    article_id: int | None
    event: str  # story.new, story.copy, story.outlets
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime | None
    delivered_at: datetime | None
    remote_id: str | None  # what the target made of it (a WordPress post id)


def event_id(rule_id: int, action_id: int, event: str, article_id: int) -> str:
    """The stable id of one event: the same inputs give the same id in any process."""
    digest = hashlib.sha256(f"{rule_id}:{action_id}:{event}:{article_id}".encode()).hexdigest()
    return "msg_" + digest[:32]


_COLUMNS = (
    "d.id, d.event_id, d.rule_id, r.name, d.action_id, d.article_id, d.event, d.status, "
    "d.attempts, d.next_attempt_at, d.last_error, d.created_at, d.delivered_at, d.remote_id"
)


def _delivery(row: Sequence[Any]) -> Delivery:
    return Delivery(
        id=row[0],
        event_id=row[1],
        rule_id=row[2],
        rule_name=row[3],
        action_id=row[4],
        article_id=row[5],
        event=row[6],
        status=row[7],
        attempts=row[8],
        next_attempt_at=_dt(row[9]),
        last_error=row[10],
        created_at=_dt(row[11]),
        delivered_at=_dt(row[12]),
        remote_id=row[13],
    )


class OutboxTable(StoreBase):
    """Mixed into ``Store``: the deliveries (the outbox)."""

    def enqueue_delivery(
        self, rule_id: int, action_id: int, *, article_id: int, event: str, now: datetime
    ) -> bool:
        """One delivery, due now; False when the same event is queued or sent already."""
        with self._tx():
            cursor = self._db.execute(
                "INSERT INTO deliveries (event_id, rule_id, action_id, article_id, event, "
                "status, attempts, next_attempt_at, created_at) "
                "VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT(event_id) DO NOTHING",
                (
                    event_id(rule_id, action_id, event, article_id),
                    rule_id,
                    action_id,
                    article_id,
                    event,
                    _iso(now),
                    _iso(now),
                ),
            )
        return int(cursor.rowcount) > 0

    def fired_for(self, rule_id: int, article_ids: Sequence[int], event: str) -> bool:
        """Whether the rule made a delivery of ``event`` for any of these articles (a copy
        group's members: a story fires once, whichever copy came first)."""
        if not article_ids:
            return False
        marks = ", ".join("?" * len(article_ids))
        row = self._db.execute(
            f"SELECT 1 FROM deliveries WHERE rule_id = ? AND event = ? "
            f"AND article_id IN ({marks}) LIMIT 1",
            (rule_id, event, *article_ids),
        ).fetchone()
        return row is not None

    def fired_events(
        self, rule_ids: Sequence[int], article_ids: Sequence[int]
    ) -> set[tuple[int, str]]:
        """(rule, event) of every delivery these rules made for any of these articles (a
        copy group's members): ``fired_for`` for several rules in one query."""
        if not rule_ids or not article_ids:
            return set()
        rules = ", ".join("?" * len(rule_ids))
        articles = ", ".join("?" * len(article_ids))
        rows = self._db.execute(
            f"SELECT DISTINCT rule_id, event FROM deliveries WHERE rule_id IN ({rules}) "
            f"AND article_id IN ({articles})",
            (*rule_ids, *article_ids),
        ).fetchall()
        return {(int(r[0]), str(r[1])) for r in rows}

    def due_deliveries(self, now: datetime, *, limit: int = 100) -> list[Delivery]:
        """Pending deliveries due by ``now`` whose rule is enabled and target not disabled,
        oldest first."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM deliveries d JOIN rules r ON r.id = d.rule_id "
            "JOIN rule_actions a ON a.id = d.action_id "
            "WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND r.enabled = 1 "
            "AND a.disabled IS NULL ORDER BY d.next_attempt_at, d.id LIMIT ?",
            (_iso(now), limit),
        ).fetchall()
        return [_delivery(r) for r in rows]

    def claim_delivery(self, delivery_id: int, *, lease_until: datetime) -> bool:
        """Take a due delivery for one attempt: its attempts counted and its next attempt
        moved to ``lease_until`` (so a deliverer killed now leaves it due again then).
        False when it is no longer pending."""
        with self._tx():
            cursor = self._db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ? "
                "WHERE id = ? AND status = 'pending'",
                (_iso(lease_until), delivery_id),
            )
        return int(cursor.rowcount) > 0

    def finish_delivery(
        self,
        delivery_id: int,
        *,
        status: str,
        now: datetime,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
        remote_id: str | None = None,
    ) -> None:
        """Record an attempt's end: ``done``, ``pending`` again (with its next attempt),
        ``dead`` or ``cancelled``; the target's own id for what it made, when it said."""
        with self._tx():
            self._db.execute(
                "UPDATE deliveries SET status = ?, last_error = ?, "
                "next_attempt_at = COALESCE(?, next_attempt_at), "
                "delivered_at = CASE WHEN ? = 'done' THEN ? ELSE delivered_at END, "
                "remote_id = COALESCE(?, remote_id) WHERE id = ?",
                (
                    status,
                    error,
                    _iso(next_attempt_at),
                    status,
                    _iso(now),
                    remote_id,
                    delivery_id,
                ),
            )

    def oldest_pending(self, action_id: int) -> datetime | None:
        """When the oldest pending delivery to the target was enqueued (a digest's window
        opens then)."""
        row = self._db.execute(
            "SELECT MIN(created_at) FROM deliveries WHERE action_id = ? AND status = 'pending'",
            (action_id,),
        ).fetchone()
        return _dt(row[0]) if row else None

    def postpone_deliveries(self, ids: Sequence[int], *, until: datetime) -> None:
        """Put pending deliveries off until ``until`` (an e-mail digest's window)."""
        if not ids:
            return
        marks = ", ".join("?" * len(ids))
        with self._tx():
            self._db.execute(
                f"UPDATE deliveries SET next_attempt_at = ? WHERE id IN ({marks}) "
                "AND status = 'pending'",
                (_iso(until), *ids),
            )

    def save_remote_id(self, delivery_id: int, remote_id: str) -> None:
        """What the target made of a delivery (a post's id), kept as soon as it is known:
        a retry updates it rather than making another."""
        with self._tx():
            self._db.execute(
                "UPDATE deliveries SET remote_id = ? WHERE id = ?", (remote_id, delivery_id)
            )

    def deliveries(
        self, *, rule: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        """Deliveries, newest first (of one rule, in one state)."""
        where, params = [], []
        if rule is not None:
            where.append("r.name = ?")
            params.append(rule)
        if status is not None:
            where.append("d.status = ?")
            params.append(status)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM deliveries d JOIN rules r ON r.id = d.rule_id {clause} "
            "ORDER BY d.id DESC LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [_delivery(r) for r in rows]

    def retry_deliveries(self, ids: Sequence[int], *, now: datetime, replay: bool) -> int:
        """Make deliveries due now again: dead or cancelled ones (``retry``), or any, sent
        ones included (``replay``: the same event id, so a receiver that dedupes sees it
        once). Returns how many."""
        if not ids:
            return 0
        marks = ", ".join("?" * len(ids))
        states = "" if replay else "AND status IN ('dead', 'cancelled')"
        with self._tx():
            cursor = self._db.execute(
                "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, attempts = 0 "
                f"WHERE id IN ({marks}) {states}",
                (_iso(now), *ids),
            )
        return int(cursor.rowcount)

    def rule_article_ids(self, rule: str, *, limit: int = 50) -> list[int]:
        """The articles rule ``rule`` fired for, the most recent first (its feed)."""
        rows = self._db.execute(
            "SELECT d.article_id, MAX(d.id) FROM deliveries d JOIN rules r ON r.id = d.rule_id "
            "WHERE r.name = ? AND d.article_id IS NOT NULL "
            "GROUP BY d.article_id ORDER BY MAX(d.id) DESC LIMIT ?",
            (rule, limit),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def rules_fired_for(self, article_ids: Sequence[int]) -> list[tuple[str, str, str]]:
        """(rule, event, state) of each delivery made for these articles (a story's copy
        group), by rule name: what the article page says fired for it."""
        if not article_ids:
            return []
        marks = ", ".join("?" * len(article_ids))
        rows = self._db.execute(
            "SELECT r.name, d.event, d.status FROM rules r JOIN deliveries d "
            f"ON d.rule_id = r.id AND d.article_id IN ({marks}) ORDER BY r.name, d.id",
            tuple(article_ids),
        ).fetchall()
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

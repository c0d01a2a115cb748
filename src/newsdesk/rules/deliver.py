"""The deliverer: sends what is due in the outbox, records what came of it, schedules retries.

At-least-once: a delivery is claimed (its attempt counted, its next attempt moved past the
send's deadline: a lease) in one commit before it is sent, and its result recorded in
another after; a deliverer killed in between leaves it due again when the lease ends, and
the receiver recognises the repeat by its id. No transaction is open while anything is
sent. Targets are sent to in parallel (``delivery_workers``), each target's deliveries one
at a time, in order; one slow or failing target delays no other.

Retries follow Svix's schedule (at least 27 hours): after the 1st attempt 5 s, then 5 min,
30 min, 2 h, 5 h, 10 h and 10 h, each ±20 % (jitter), scaled by ``delivery_retry_scale``;
a ``429``/``503`` answer's Retry-After is waited at least. After the 8th failed attempt a
delivery is ``dead`` (``newsdesk deliveries retry`` sends it again). ``410 Gone`` disables
its target and cancels the target's pending deliveries.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from newsdesk.config import Settings
from newsdesk.fetch.send import Sender
from newsdesk.model import article_to_dict
from newsdesk.render import article_body_html
from newsdesk.rules.actions import Message, Result, Target
from newsdesk.rules.actions.email import send_digest, send_email
from newsdesk.rules.actions.jsonl import send_jsonl
from newsdesk.rules.actions.webhook import send_webhook
from newsdesk.rules.actions.websub import ping_hub, rule_feeds
from newsdesk.rules.actions.wordpress import send_wordpress
from newsdesk.store import Store, open_store
from newsdesk.store.outbox import CANCELLED, DEAD, DONE, PENDING, Delivery
from newsdesk.store.rules import Action, Rule

log = logging.getLogger(__name__)

__all__ = ["RETRY_SCHEDULE", "DeliverReport", "Deliverer", "delivering", "retry_delay"]

# Seconds waited after each failed attempt (the 1st ... the 7th); the 8th failure is final.
RETRY_SCHEDULE = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
JITTER = 0.2


def retry_delay(attempts: int, scale: float, rng: Callable[[], float]) -> float | None:
    """Seconds until the next attempt after ``attempts`` failed ones (None: no more)."""
    if attempts > len(RETRY_SCHEDULE):
        return None
    base = RETRY_SCHEDULE[attempts - 1] * scale
    return base * (1 - JITTER + 2 * JITTER * rng())


@dataclass(slots=True)
class DeliverReport:
    sent: int = 0
    failed: int = 0  # to be retried
    dead: int = 0
    disabled: list[str] = field(default_factory=list)  # targets that answered 410 Gone

    def line(self) -> str:
        gone = f"; targets disabled (410 Gone): {', '.join(self.disabled)}" if self.disabled else ""
        return (
            f"deliveries sent {self.sent}, failed (to retry) {self.failed}, dead {self.dead}{gone}"
        )


@dataclass(frozen=True, slots=True)
class _Job:
    delivery: Delivery
    action_id: int
    message: Message | None  # None: its article is gone
    target: Target


class Deliverer:
    """Drains one store's outbox. Use from the thread that owns the store; sends run in a
    pool of its own."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        sender: Sender | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.settings = settings
        self.sender = sender or Sender(settings, timeout=settings.delivery_timeout)
        self.clock = clock
        self.rng = rng
        self._pool = ThreadPoolExecutor(settings.delivery_workers, "deliver")
        self._not_before: dict[int, datetime] = {}  # rate-limited targets' next turns

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.sender.close()

    def __enter__(self) -> Deliverer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def deliver_due(
        self, *, limit: int = 200, stop: Callable[[], bool] = lambda: False
    ) -> DeliverReport:
        """Send everything due now (in rounds of ``limit``), wait for the answers, record
        them; what a failure makes due again later waits for a later call."""
        report = DeliverReport()
        while not stop():
            due = self.store.due_deliveries(self.clock(), limit=limit)
            if not due or not self._round(due, report, stop):
                break  # nothing due, or only targets whose rate limit says not yet
        return report

    def _round(
        self, due: Sequence[Delivery], report: DeliverReport, stop: Callable[[], bool]
    ) -> int:
        """Send ``due``: each target's deliveries one at a time, in order, targets in
        parallel. Each delivery is claimed just before it is sent and its result recorded
        as soon as it is back, so a deliverer killed at any moment repeats at most the
        one delivery per target it had in flight. A target with a rate limit (its
        ``per_minute``) gets no delivery before its turn: the rest stay due for a later
        call. Returns how many were sent (or tried)."""
        rules = {rule.id: rule for rule in self.store.rules()}
        queues: dict[int, deque[tuple[Delivery, Rule, Action]]] = {}
        for delivery in due:
            rule = rules.get(delivery.rule_id)
            action = _action_of(rule, delivery.action_id)
            if rule is not None and action is not None:
                queues.setdefault(action.id, deque()).append((delivery, rule, action))
        running: dict[Future[Result], list[_Job]] = {}
        tried = 0
        while queues or running:
            if stop():  # asked to stop: what is in flight finishes, nothing more is taken
                queues.clear()
            busy = {jobs[0].action_id for jobs in running.values()}
            for target in [t for t in queues if t not in busy]:
                if self._not_before.get(target, self.clock()) > self.clock():
                    del queues[target]  # its rate limit: not yet
                    continue
                if _digest_minutes(queues[target][0][2]):
                    jobs = self._claim_digest(queues, target)
                    if jobs:
                        tried += len(jobs)
                        running[self._pool.submit(self._send_digest, jobs)] = jobs
                    continue
                job = self._claim_next(queues, target)
                if job is not None:
                    tried += 1
                    self._pace(job)
                    running[self._pool.submit(self._send, job)] = [job]
            if not running:
                continue
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                jobs = running.pop(future)
                result = future.result()
                for job in jobs:
                    self._record(job, result, report)
                if result.gone:  # the target's other deliveries were cancelled with it
                    queues.pop(jobs[0].action_id, None)
        return tried

    def _claim_digest(
        self, queues: dict[int, deque[tuple[Delivery, Rule, Action]]], target: int
    ) -> list[_Job]:
        """A digest target's deliveries, claimed together once the oldest has waited the
        digest's minutes; before that they are put off until then (and nothing is sent)."""
        queue = queues.pop(target)
        minutes = _digest_minutes(queue[0][2])
        oldest = self.store.oldest_pending(target) or self.clock()
        ready = oldest + timedelta(minutes=minutes)
        if ready > self.clock():
            self.store.postpone_deliveries([d.id for d, _, _ in queue], until=ready)
            return []
        lease = timedelta(seconds=3 * self.settings.delivery_timeout + 1)
        jobs = []
        for delivery, rule, action in queue:
            if self.store.claim_delivery(delivery.id, lease_until=self.clock() + lease):
                claimed = replace(delivery, attempts=delivery.attempts + 1)
                message = self._message(claimed, rule)
                jobs.append(_Job(claimed, action.id, message, _target(action)))
        return jobs

    def _send_digest(self, jobs: list[_Job]) -> Result:
        messages = [job.message for job in jobs if job.message is not None]
        if not messages:
            return Result(ok=False, error="the articles are no longer stored", final=True)
        try:
            return send_digest(messages, jobs[0].target, timeout=self.settings.delivery_timeout)
        except Exception as exc:  # a bulkhead, as for one delivery
            log.exception("digest to %s failed unexpectedly", jobs[0].target.address)
            return Result(ok=False, error=f"internal: {type(exc).__name__}: {exc}")

    def _pace(self, job: _Job) -> None:
        """A rate-limited target's next turn (``per_minute`` deliveries at most)."""
        per_minute = float(job.target.config.get("per_minute") or 0)
        if per_minute > 0:
            self._not_before[job.action_id] = self.clock() + timedelta(seconds=60 / per_minute)

    def _claim_next(
        self, queues: dict[int, deque[tuple[Delivery, Rule, Action]]], target: int
    ) -> _Job | None:
        """The target's next delivery, claimed (None: its queue is used up)."""
        # a send may take up to the timeout several times over (WordPress: a look-up first)
        lease = timedelta(seconds=3 * self.settings.delivery_timeout + 1)
        queue = queues[target]
        while queue:
            delivery, rule, action = queue.popleft()
            if self.store.claim_delivery(delivery.id, lease_until=self.clock() + lease):
                claimed = replace(delivery, attempts=delivery.attempts + 1)
                if not queue:
                    del queues[target]
                return _Job(claimed, action.id, self._message(claimed, rule), _target(action))
        del queues[target]
        return None

    def _send(self, job: _Job) -> Result:
        if job.message is None:
            return Result(ok=False, error="the article is no longer stored", final=True)
        try:
            return _ACTIONS[job.target.kind](job.message, job.target, self)
        except Exception as exc:  # a bulkhead: recorded on the delivery, the others go on
            log.exception("delivery=%s failed unexpectedly", job.delivery.event_id)
            return Result(ok=False, error=f"internal: {type(exc).__name__}: {exc}")

    def _record(self, job: _Job, result: Result, report: DeliverReport) -> None:
        delivery, now = job.delivery, self.clock()
        store = self.store
        if result.ok:
            store.finish_delivery(delivery.id, status=DONE, now=now, remote_id=result.remote_id)
            store.set_action_health(delivery.action_id, None)
            report.sent += 1
            log.info(
                "delivered id=%s rule=%s to=%s",
                delivery.event_id,
                delivery.rule_name,
                job.target.address,
            )
            return
        error = result.error or "failed"
        store.set_action_health(delivery.action_id, error)
        if result.gone:
            store.finish_delivery(delivery.id, status=CANCELLED, now=now, error=error)
            store.disable_action(
                delivery.action_id, f"410 Gone at {now.isoformat(timespec='seconds')}"
            )
            report.disabled.append(job.target.address)
            return
        delay = (
            None
            if result.final
            else retry_delay(delivery.attempts, self.settings.delivery_retry_scale, self.rng)
        )
        if delay is None:
            store.finish_delivery(
                delivery.id, status=DEAD, now=now, error=error, remote_id=result.remote_id
            )
            report.dead += 1
            log.warning("dead id=%s rule=%s error=%s", delivery.event_id, delivery.rule_name, error)
            return
        if result.retry_after is not None:
            delay = max(delay, result.retry_after)
        store.finish_delivery(
            delivery.id,
            status=PENDING,
            now=now,
            error=error,
            next_attempt_at=now + timedelta(seconds=delay),
            remote_id=result.remote_id,
        )
        report.failed += 1
        log.info("retry id=%s in=%.0fs error=%s", delivery.event_id, delay, error)

    def _message(self, delivery: Delivery, rule: Rule) -> Message | None:
        """The delivery's message, made from what the store holds now."""
        if delivery.article_id is None:
            return None
        stored = self.store.stored_article(delivery.article_id)
        facts = self.store.story_facts(delivery.article_id)
        if stored is None or facts is None:
            return None
        original = stored
        if facts.group_id != stored.id:
            original = self.store.stored_article(facts.group_id) or stored
        article = stored.article
        data: dict[str, Any] = {
            "article_id": stored.id,
            "article": article_to_dict(article),
            "story": {
                "copies": max(1, len(facts.outlets)),
                "outlets": list(facts.outlets),
                "original": {
                    "article_id": original.id,
                    "url": original.article.url,
                    "site_name": original.article.site_name,
                    "authors": list(original.article.authors),
                    "published": _iso(original.article.published),
                },
                "links": _links(self.settings.base_url, stored.id, original.article.url),
            },
        }
        created = delivery.created_at or self.clock()
        payload = {
            "id": delivery.event_id,
            "type": delivery.event,
            "timestamp": created.isoformat(),
            "rule": {"name": rule.name, "query": rule.query},
            "data": data,
        }
        return Message(
            event_id=delivery.event_id,
            event=delivery.event,
            rule=rule.name,
            attempt=delivery.attempts,
            maybe_sent=delivery.attempts > 1 or delivery.delivered_at is not None,
            sent_at=self.clock(),
            remote_id=delivery.remote_id,
            payload=payload,
            article=article,
            body_html=stored.body_html or article_body_html(article),
            original=original.article,
            outlets=facts.outlets,
        )


def _links(base_url: str, article_id: int, canonical: str | None) -> dict[str, str | None]:
    base = base_url.rstrip("/")
    return {
        "canonical": canonical,
        "article": f"{base}/articles/{article_id}" if base else None,
        "api": f"{base}/api/articles/{article_id}" if base else None,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _digest_minutes(action: Action) -> int:
    """An e-mail action's digest window (0: one message per story)."""
    if action.kind != "email":
        return 0
    return int(action.config.get("digest_minutes") or 0)


def _action_of(rule: Rule | None, action_id: int) -> Action | None:
    if rule is None:
        return None
    return next((a for a in rule.actions if a.id == action_id), None)


def _target(action: Action) -> Target:
    return Target(kind=action.kind, address=action.target, config=action.config)


def _webhook(message: Message, target: Target, deliverer: Deliverer) -> Result:
    return send_webhook(message, target, deliverer.sender)


def _wordpress(message: Message, target: Target, deliverer: Deliverer) -> Result:
    return send_wordpress(message, target, deliverer.sender)


def _email(message: Message, target: Target, deliverer: Deliverer) -> Result:
    return send_email(message, target, timeout=deliverer.settings.delivery_timeout)


def _jsonl(message: Message, target: Target, deliverer: Deliverer) -> Result:
    return send_jsonl(message, target)


def _feed(message: Message, target: Target, deliverer: Deliverer) -> Result:
    """The rule's feed lists what it fired for (serve/rules.py): nothing to send, unless a
    WebSub hub is configured, which is told that the feed changed."""
    settings = deliverer.settings
    if not (settings.websub_hub and settings.base_url):
        return Result(ok=True)
    return ping_hub(
        settings.websub_hub, rule_feeds(settings.base_url, message.rule), deliverer.sender
    )


_ACTIONS: dict[str, Callable[[Message, Target, Deliverer], Result]] = {
    "feed": _feed,
    "webhook": _webhook,
    "wordpress": _wordpress,
    "email": _email,
    "jsonl": _jsonl,
}


@contextmanager
def delivering(
    settings: Settings, *, every: float = 0.25, drain: bool = True
) -> Iterator[threading.Event]:
    """A deliverer on a thread of its own, with its own connection to the database, sending
    what falls due every ``every`` seconds while the block runs (``newsdesk run`` delivers
    as it goes); on leaving, with ``drain``, what is due then is sent and answered before
    it returns (without, only the deliveries in flight finish). Set the yielded event to
    stop it sooner."""
    stop = threading.Event()
    failure: list[BaseException] = []

    def loop() -> None:
        store = open_store(settings.db)
        try:
            with Deliverer(store, settings) as deliverer:
                while True:
                    report = deliverer.deliver_due(stop=stop.is_set)
                    if report.sent or report.failed or report.dead:
                        log.info(report.line())
                    if stop.wait(every):
                        if drain:
                            deliverer.deliver_due(stop=lambda: False)  # what is due now
                        return
        except BaseException as exc:  # reported by the block's owner
            failure.append(exc)
            log.exception("the deliverer stopped")
        finally:
            store.close()

    thread = threading.Thread(target=loop, name="deliverer", daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join()

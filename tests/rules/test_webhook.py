"""Webhooks to a real receiver on 127.0.0.1, signatures checked by the ``standardwebhooks``
package (an implementation we did not write); retries, 410, Retry-After, the guard."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpcore
import pytest
from standardwebhooks import Webhook

from newsdesk.config import Settings
from newsdesk.fetch.send import Sender
from newsdesk.rules.deliver import RETRY_SCHEDULE, Deliverer, retry_delay
from newsdesk.store import Store, open_store
from newsdesk.store.rules import NewAction
from tests.rules.helpers import TEXT, Received, receiver, story, write

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"an older key, still accepted!!!!").decode()
LOCAL = Settings(allow_private_networks=True, delivery_timeout=2.0)


class Clock:
    """The wall clock plus an offset the test moves forward (the receiver checks the
    signature's timestamp against its own clock, so the shift stays small per attempt)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "n.db")
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Either backend (PostgreSQL: the session's server, tests/pgserver.py)."""
    where = str(tmp_path / "n.db")
    if request.param == "postgres":
        where = request.getfixturevalue("pg_url")
    store = open_store(where)
    yield store
    store.close()


def _rule(
    store: Store, url: str, name: str = "ports", secrets: tuple[str, ...] = (SECRET,)
) -> None:
    action = NewAction(kind="webhook", target=url, config={"secrets": list(secrets)})
    store.add_rule(
        name, query="rotterdam", actions=[action], now=datetime.now(UTC) - timedelta(hours=1)
    )


def _story(store: Store, n: int = 0) -> None:
    text = TEXT + f" Closing line number {n} of this one."
    write(
        store,
        f"https://o{n}.example/feed",
        story(f"https://o{n}.example/a", text=text),
        now=datetime.now(UTC),
    )


def test_a_signed_delivery_verifies_with_each_secret_of_a_rotation(any_store: Store) -> None:
    with receiver() as hook:
        _rule(any_store, hook.url, secrets=(SECRET, OLD_SECRET))
        _story(any_store)
        with Deliverer(any_store, LOCAL) as deliverer:
            report = deliverer.deliver_due()
        assert report.sent == 1
        (got,) = hook.received
    for secret in (SECRET, OLD_SECRET):
        payload = Webhook(secret).verify(got.body, got.headers)
        assert payload["id"] == got.headers["webhook-id"]
    assert payload["type"] == "story.new" and payload["rule"]["name"] == "ports"
    article = payload["data"]["article"]
    assert article["authors"] == ["Anna de Vries"] and article["published"].startswith("2026-12-07")
    assert payload["data"]["story"]["original"]["url"] == "https://o0.example/a"
    assert payload["data"]["story"]["original"]["site_name"] == "o0.example"
    assert any_store.deliveries()[0].status == "done"


def test_a_retry_keeps_its_id_and_waits_the_schedule(any_store: Store) -> None:
    answers = iter([500, 200])
    with receiver(answer=lambda r: (next(answers), {})) as hook:
        _rule(any_store, hook.url)
        _story(any_store)
        clock = Clock()
        with Deliverer(any_store, LOCAL, clock=clock) as deliverer:
            first = deliverer.deliver_due()
            (pending,) = any_store.deliveries()
            wait = (pending.next_attempt_at - clock()).total_seconds()  # type: ignore[operator]
            assert first.failed == 1 and 5 * 0.8 - 1 <= wait <= 5 * 1.2
            assert deliverer.deliver_due().sent == 0  # not due yet
            clock.offset = timedelta(seconds=7)
            assert deliverer.deliver_due().sent == 1
        ids = hook.ids()
    assert len(ids) == 2 and ids[0] == ids[1]
    for got in hook.received:
        Webhook(SECRET).verify(got.body, got.headers)
    done = any_store.deliveries()[0]
    assert (done.status, done.attempts, done.last_error) == ("done", 2, None)


def test_retry_after_is_honoured_and_410_disables_the_target(any_store: Store) -> None:
    with receiver(answer=lambda r: (429, {"Retry-After": "120"})) as hook:
        _rule(any_store, hook.url)
        _story(any_store)
        clock = Clock()
        with Deliverer(any_store, LOCAL, clock=clock) as deliverer:
            deliverer.deliver_due()
            wait = (any_store.deliveries()[0].next_attempt_at - clock()).total_seconds()  # type: ignore[operator]
            assert 118 <= wait <= 121
            hook.answer = lambda r: (410, {})
            clock.offset = timedelta(seconds=121)
            report = deliverer.deliver_due()
        assert report.disabled == [hook.url]
        rule = any_store.rule("ports")
        assert rule is not None and rule.actions[0].disabled
        _story(any_store, 1)  # a disabled target gets nothing new
        assert [d.status for d in any_store.deliveries()] == ["cancelled"]


def test_after_the_last_attempt_a_delivery_is_dead(store: Store) -> None:
    with receiver(answer=lambda r: (500, {})) as hook:
        _rule(store, hook.url)
        _story(store)
        clock = Clock()
        with Deliverer(store, LOCAL, clock=clock, rng=lambda: 1.0) as deliverer:
            for delay in (0.0, *RETRY_SCHEDULE):
                clock.offset += timedelta(seconds=delay * 1.2 + 1)
                deliverer.deliver_due()
        (dead,) = store.deliveries()
        assert (dead.status, dead.attempts) == ("dead", len(RETRY_SCHEDULE) + 1)
        assert dead.last_error and dead.last_error.startswith("HTTP 500")
        assert len(set(hook.ids())) == 1 and len(hook.ids()) == 8


def test_the_default_schedule_spans_more_than_27_hours_with_jitter() -> None:
    low = sum(retry_delay(n, 1.0, lambda: 0.0) or 0 for n in range(1, 8))
    high = sum(retry_delay(n, 1.0, lambda: 1.0) or 0 for n in range(1, 8))
    assert sum(RETRY_SCHEDULE) / 3600 > 27.5
    assert low == pytest.approx(sum(RETRY_SCHEDULE) * 0.8) and high == pytest.approx(
        sum(RETRY_SCHEDULE) * 1.2
    )
    assert retry_delay(8, 1.0, lambda: 0.5) is None


def test_a_private_address_is_refused_unless_allowed(store: Store) -> None:
    with receiver() as hook:
        _rule(store, hook.url)
        _story(store)
        with Deliverer(store, Settings()) as deliverer:  # allow_private_networks off
            report = deliverer.deliver_due()
        assert report.dead == 1 and hook.received == []
        assert "private or reserved" in (store.deliveries()[0].last_error or "")


class LoopbackOnly(httpcore.SyncBackend):
    def connect_tcp(
        self, host: str, port: int, *args: object, **kwargs: object
    ) -> httpcore.NetworkStream:
        if host != "127.0.0.1":
            raise httpcore.ConnectError(f"test network: {host} is not loopback")
        return super().connect_tcp(host, port, *args, **kwargs)  # type: ignore[arg-type]


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    sender = Sender(
        Settings(), timeout=1.0, resolver=lambda h, p: ["10.1.2.3"], network=LoopbackOnly()
    )
    with sender, pytest.raises(Exception, match="private or reserved"):
        sender.request("POST", "https://hooks.example/in", body=b"{}")


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/never"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def test_a_target_that_never_answers_costs_its_timeout_and_delays_no_other(
    store: Store, silent_server: str
) -> None:
    with receiver() as hook:
        _rule(store, silent_server, name="a-silent")
        _rule(store, hook.url, name="b-live")
        _story(store)
        started = time.monotonic()
        with Deliverer(
            store, Settings(allow_private_networks=True, delivery_timeout=1.0)
        ) as deliverer:
            report = deliverer.deliver_due()
        elapsed = time.monotonic() - started
        assert report.sent == 1 and report.failed == 1 and len(hook.received) == 1
    assert elapsed < 5
    failed = next(d for d in store.deliveries() if d.status == "pending")
    assert "no answer within 1 s" in (failed.last_error or "")


def test_payload_is_json_with_the_event_id(store: Store) -> None:
    got: list[Received] = []
    with receiver(answer=lambda r: (got.append(r), (204, {}))[1]) as hook:
        _rule(store, hook.url, secrets=())
        _story(store)
        with Deliverer(store, LOCAL) as deliverer:
            deliverer.deliver_due()
    body = json.loads(got[0].body)
    assert body["id"] == got[0].headers["webhook-id"] and "webhook-signature" not in got[0].headers


def test_a_rate_limited_target_gets_its_deliveries_no_faster(store: Store) -> None:
    with receiver() as hook:
        action = NewAction(kind="webhook", target=hook.url, config={"per_minute": 2})
        store.add_rule("slow", query="rotterdam", actions=[action], now=datetime.now(UTC))
        for n in range(3):
            _story(store, n + 1)
        clock = Clock()
        with Deliverer(store, LOCAL, clock=clock) as deliverer:
            assert deliverer.deliver_due().sent == 1  # the rest wait for their turn
            assert deliverer.deliver_due().sent == 0
            clock.offset = timedelta(seconds=31)
            assert deliverer.deliver_due().sent == 1
            clock.offset = timedelta(seconds=62)
            assert deliverer.deliver_due().sent == 1
        assert len(hook.ids()) == 3

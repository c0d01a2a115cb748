"""The e-mail action against a real SMTP server on 127.0.0.1 (aiosmtpd); what arrives is
read with the standard library's e-mail parser."""

from __future__ import annotations

import random
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from newsdesk.config import Settings
from newsdesk.rules.deliver import Deliverer
from newsdesk.store import Store, open_store
from newsdesk.store.rules import NewAction
from tests.rules.helpers import TEXT, story, write


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)  # not handled: the server answers 535


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the controller checks it is up by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "n.db")
    yield store
    store.close()


def _rule(store: Store, port: int, password: str = "s3cret") -> None:
    config = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_user": "newsdesk",
        "smtp_password": password,
        "sender": "relay@newsdesk.test",
    }
    action = NewAction(kind="email", target="desk@newsroom.test", config=config)
    store.add_rule(
        "port news", query="rotterdam", actions=[action], now=datetime.now(UTC) - timedelta(hours=1)
    )


def test_one_message_per_story_with_its_credits(store: Store, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    _rule(store, port)
    write(store, "https://a.example/feed", story("https://a.example/s"), now=datetime.now(UTC))
    copy = story("https://b.example/s", text=TEXT + " A copy's own last line.")
    write(store, "https://b.example/feed", copy, now=datetime.now(UTC))
    with Deliverer(store, Settings()) as deliverer:
        assert deliverer.deliver_due().sent == 1
    (mail,) = inbox.messages
    assert inbox.recipients == [["desk@newsroom.test"]]
    delivery = store.deliveries()[0]
    assert mail["Message-ID"] == f"<{delivery.event_id}@newsdesk>"
    assert mail["Subject"] == "Port strike halts Rotterdam"
    assert "port news" in mail["List-Id"] and mail["Date"] is not None
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "By Anna de Vries" in text and "a.example" in text
    assert "Link: https://a.example/s" in text and "Dock workers walked out" in text
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert '<a href="https://a.example/s">' in html and "<p>Dock workers" in html
    assert "<script" not in html


def test_rejected_credentials_mark_the_target_failing(
    store: Store, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    _rule(store, port, password="wrong")
    write(store, "https://a.example/feed", story("https://a.example/s"), now=datetime.now(UTC))
    with Deliverer(store, Settings(delivery_timeout=5.0)) as deliverer:
        report = deliverer.deliver_due()
    assert report.dead == 1 and inbox.messages == []
    rule = store.rule("port news")
    assert rule is not None and (rule.actions[0].last_error or "").startswith("SMTP 535")


@pytest.fixture
def tls_smtp(tmp_path: Path) -> Iterator[tuple[Inbox, int, Path]]:
    """An SMTP server on 127.0.0.1 that requires STARTTLS (and TLS before AUTH), with a
    self-signed certificate for 127.0.0.1 made by openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (it makes the test's certificate)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    names = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run([*command, *names, *files], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticator,
        tls_context=context,
        require_starttls=True,
    )
    controller.start()
    try:
        yield inbox, port, cert
    finally:
        controller.stop()


def test_starttls_then_auth(store: Store, tls_smtp: tuple[Inbox, int, Path]) -> None:
    inbox, port, cert = tls_smtp
    config = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_user": "newsdesk",
        "smtp_password": "s3cret",
        "starttls": True,
        "ca_file": str(cert),
    }
    before = datetime.now(UTC) - timedelta(hours=1)
    tls = NewAction(kind="email", target="desk@newsroom.test", config=config)
    plain = NewAction(
        kind="email", target="desk@newsroom.test", config={**config, "starttls": False}
    )
    untrusted = NewAction(
        kind="email", target="x@newsroom.test", config={**config, "ca_file": None}
    )
    store.add_rule("tls", query="rotterdam", actions=[tls, plain, untrusted], now=before)
    write(store, "https://a.example/feed", story("https://a.example/s"), now=datetime.now(UTC))
    with Deliverer(store, Settings(delivery_timeout=5.0)) as deliverer:
        report = deliverer.deliver_due()
    assert report.sent == 1 and len(inbox.messages) == 1
    rule = store.rule("tls")
    assert rule is not None
    errors = [a.last_error or "" for a in rule.actions]
    # without STARTTLS the server offers no AUTH (and would take no mail: 530)
    assert errors[0] == "" and "AUTH extension not supported" in errors[1]
    assert "TLS" in errors[2] and "certificate verify failed" in errors[2]


def test_a_digest_gathers_the_stories_of_its_window(store: Store, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    config = {"smtp_host": "127.0.0.1", "smtp_port": port, "digest_minutes": 10}
    action = NewAction(kind="email", target="desk@newsroom.test", config=config)
    start = datetime.now(UTC)
    store.add_rule("digest", query="rotterdam", actions=[action], now=start - timedelta(hours=1))
    for n in range(3):
        url = f"https://o{n}.example/s"
        write(store, f"https://o{n}.example/feed", story(url, text=_distinct(n)), now=start)
    clock = [start]
    with Deliverer(store, Settings(), clock=lambda: clock[0]) as deliverer:
        assert deliverer.deliver_due().sent == 0 and inbox.messages == []  # the window is open
        later = start + timedelta(minutes=5)
        nine = story("https://o9.example/s", text=_distinct(9) + " Nine.")
        write(store, "https://o9.example/feed", nine, now=later)
        clock[0] = later
        assert deliverer.deliver_due().sent == 0
        clock[0] = start + timedelta(minutes=10, seconds=1)
        assert deliverer.deliver_due().sent == 4
    (mail,) = inbox.messages
    assert mail["Subject"] == "Port strike halts Rotterdam and 3 more"
    assert mail["Message-ID"].startswith("<digest-msg_")
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.count("Link: https://o") == 4 and "Nine." in text
    assert {d.status for d in store.deliveries()} == {"done"}


def _distinct(n: int) -> str:
    """A story of its own (not a copy of the others): Rotterdam, and words of its own."""
    pick = random.Random(n)
    return "Rotterdam. " + " ".join(f"w{pick.randrange(100_000)}" for _ in range(120)) + "."

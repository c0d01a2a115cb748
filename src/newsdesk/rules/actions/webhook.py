"""The webhook action: POST the delivery's JSON, signed per the Standard Webhooks
specification (https://www.standardwebhooks.com/).

Headers: ``webhook-id`` (the delivery's event id, the same on every retry),
``webhook-timestamp`` (this attempt's time, Unix seconds) and ``webhook-signature``: for each
secret (several during a rotation), ``v1,`` and the base64 HMAC-SHA256, keyed by the
secret's bytes (a ``whsec_`` secret is base64 after its prefix), of ``id.timestamp.body``,
separated by spaces. A 2xx answer delivers; ``410 Gone`` disables the target; anything else
(or no answer) is retried by the outbox, ``429``/``503`` no sooner than their Retry-After.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence

from newsdesk.errors import FetchError
from newsdesk.fetch.send import Sender
from newsdesk.rules.actions import Message, Result, Target, retry_after_seconds

__all__ = ["check_secret", "send_webhook", "sign"]

SECRET_PREFIX = "whsec_"


def check_secret(secret: str) -> bytes:
    """The key of a ``whsec_`` secret (base64 after the prefix, at least 24 bytes: the
    specification asks for 24 to 64), or ValueError saying what is wrong."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with 'whsec_' (then base64)")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error as exc:
        raise ValueError(f"the webhook secret after 'whsec_' is not base64: {exc}") from None
    if not 24 <= len(key) <= 64:
        raise ValueError(f"a webhook secret's key is 24 to 64 bytes, this one {len(key)}")
    return key


def sign(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header's value: one ``v1,<base64>`` per secret."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1,"
        + base64.b64encode(hmac.new(check_secret(s), signed, hashlib.sha256).digest()).decode()
        for s in secrets
    )


def send_webhook(message: Message, target: Target, sender: Sender) -> Result:
    secrets = list(target.config.get("secrets") or ())
    body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(message.sent_at.timestamp())
    headers = {"webhook-id": message.event_id, "webhook-timestamp": str(timestamp)}
    headers["content-type"] = "application/json"
    if secrets:
        try:
            headers["webhook-signature"] = sign(secrets, message.event_id, timestamp, body)
        except ValueError as exc:
            return Result(ok=False, error=str(exc), final=True)
    try:
        reply = sender.request("POST", target.address, body=body, headers=headers)
    except FetchError as exc:
        return Result(ok=False, error=f"{exc.kind}: {exc}", final=exc.kind == "blocked")
    if 200 <= reply.status < 300:
        return Result(ok=True, status=reply.status)
    error = f"HTTP {reply.status}: {reply.text(200)}".rstrip(": ")
    if reply.status == 410:
        return Result(ok=False, status=410, error=error, gone=True)
    retry_after = None
    if reply.status in (429, 503):
        retry_after = retry_after_seconds(reply.headers.get("retry-after"))
    return Result(ok=False, status=reply.status, error=error, retry_after=retry_after)

"""The feed action's WebSub ping: a rule's feeds (``/feeds/rules/<name>.atom|json``) name
the configured hub (``websub_hub``, ``rel="hub"``), and whenever one gains a story the hub is
told so with the de facto publish ping (``hub.mode=publish``, ``hub.url`` the feed's URL;
WebSub leaves how a publisher notifies its hub to the hub), form-encoded, through the same
guard as a webhook. A 2xx answer delivers; anything else is retried by the outbox."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from newsdesk.errors import FetchError
from newsdesk.fetch.send import Sender
from newsdesk.rules.actions import Result, retry_after_seconds

__all__ = ["ping_hub", "rule_feeds"]


def rule_feeds(base_url: str, rule: str) -> tuple[str, ...]:
    """The public URLs of a rule's two feeds."""
    base = base_url.rstrip("/")
    name = quote(rule, safe="")
    return (f"{base}/feeds/rules/{name}.atom", f"{base}/feeds/rules/{name}.json")


def ping_hub(hub: str, feeds: tuple[str, ...], sender: Sender) -> Result:
    for feed in feeds:
        body = urlencode({"hub.mode": "publish", "hub.url": feed}).encode()
        headers = {"content-type": "application/x-www-form-urlencoded"}
        try:
            reply = sender.request("POST", hub, body=body, headers=headers)
        except FetchError as exc:
            return Result(ok=False, error=f"{exc.kind}: {exc}", final=exc.kind == "blocked")
        if not 200 <= reply.status < 300:
            retry_after = retry_after_seconds(reply.headers.get("retry-after"))
            error = f"WebSub hub answered HTTP {reply.status}: {reply.text(200)}"
            return Result(ok=False, status=reply.status, error=error, retry_after=retry_after)
    return Result(ok=True)

"""The WordPress action: a post made through the site's REST API (``/wp/v2/posts``) with an
Application Password (HTTP Basic authentication).

The post carries the story whole and attributed: its headline; a first line crediting the
byline, the original outlet, the date it was first published and its canonical link; then
the clean body as safe HTML (embeds as the reader shows them). No teaser lines (cleaning
removed them), no "via" footer, no shortened link.

Idempotent: the post's slug is made from the delivery's event id, and the post's id is
kept on the delivery (its ``remote_id``) once known. A retry updates the post it made
(``remote_id``), or, when an earlier attempt may have made one whose id was never recorded
(the process died after WordPress answered), first looks the slug up and updates what it
finds: a retried delivery never makes a second post. The API is reached through
``?rest_route=``, which works whatever the site's permalink settings.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import quote

from newsdesk.errors import FetchError
from newsdesk.fetch.send import Reply, Sender
from newsdesk.render import format_when
from newsdesk.rules.actions import Message, Result, Target, retry_after_seconds

__all__ = ["post_content", "post_slug", "send_wordpress"]


def post_slug(event_id: str) -> str:
    return "newsdesk-" + event_id.removeprefix("msg_")[:24]


def post_content(message: Message) -> str:
    """The post's HTML: the credit line, then the body (pure)."""
    article, original = message.article, message.original
    link = original.url or article.url or article.fetched_url or ""
    outlet = original.site_name or article.site_name or link
    parts = []
    authors = article.authors or original.authors
    if authors:
        parts.append("By " + html.escape(", ".join(authors)))
    published = original.published or article.published
    first = (
        f'First published by <a href="{html.escape(link, quote=True)}">{html.escape(outlet)}</a>'
    )
    if published:
        first += " on " + html.escape(format_when(published, "long"))
    parts.append(first)
    credit = f'<p class="newsdesk-credit">{" · ".join(parts)}</p>'
    return credit + "\n" + message.body_html


def _api(site: str, route: str, **query: str) -> str:
    extra = "".join(f"&{key}={quote(value, safe=',')}" for key, value in query.items())
    return f"{site.rstrip('/')}/?rest_route={quote(route, safe='/')}{extra}"


def send_wordpress(message: Message, target: Target, sender: Sender) -> Result:
    site = target.address
    auth = (str(target.config.get("user") or ""), str(target.config.get("app_password") or ""))
    slug = post_slug(message.event_id)
    post = {
        "title": message.article.title or message.original.title or "",
        "content": post_content(message),
        "status": str(target.config.get("status") or "publish"),
        "slug": slug,
    }
    body = json.dumps(post).encode()
    headers = {"content-type": "application/json", "accept": "application/json"}
    try:
        remote_id = message.remote_id
        if remote_id is None and message.maybe_sent:
            found = sender.request(
                "GET",
                _api(
                    site, "/wp/v2/posts", slug=slug, status="publish,draft,pending,private,future"
                ),
                headers=headers,
                auth=auth,
            )
            if found.status != 200:
                return _failure(found)
            posts = _json(found)
            if isinstance(posts, list) and posts:
                remote_id = str(posts[0]["id"])
        route = "/wp/v2/posts" + (f"/{remote_id}" if remote_id else "")
        reply = sender.request("POST", _api(site, route), body=body, headers=headers, auth=auth)
    except FetchError as exc:
        return Result(ok=False, error=f"{exc.kind}: {exc}", final=exc.kind == "blocked")
    if reply.status in (200, 201):
        made = _json(reply)
        made_id = str(made["id"]) if isinstance(made, dict) and "id" in made else remote_id
        return Result(ok=True, status=reply.status, remote_id=made_id)
    return _failure(reply)


def _json(reply: Reply) -> Any:
    try:
        return json.loads(reply.body)
    except ValueError:
        return None


def _failure(reply: Reply) -> Result:
    """A refusal, with WordPress's own message (``{"code": ..., "message": ...}``)."""
    data = _json(reply)
    said = data.get("message") if isinstance(data, dict) else None
    error = f"WordPress answered HTTP {reply.status}: {said or reply.text(200)}"
    retry_after = None
    if reply.status in (429, 503):
        retry_after = retry_after_seconds(reply.headers.get("retry-after"))
    return Result(
        ok=False,
        status=reply.status,
        error=error,
        gone=reply.status == 410,
        retry_after=retry_after,
    )

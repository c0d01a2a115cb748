"""The WordPress action against a real WordPress (Debian's package, MariaDB, ``php -S`` on
127.0.0.1; ``wordpress_site.py``): the post is read back through the REST API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsdesk.config import Settings
from newsdesk.model import Provenance
from newsdesk.rules.actions.wordpress import post_slug
from newsdesk.rules.deliver import Deliverer
from newsdesk.store import Store, open_store
from newsdesk.store.rules import NewAction
from tests.rules.helpers import TEXT, story, write
from tests.rules.wordpress_site import Site

LOCAL = Settings(allow_private_networks=True, delivery_timeout=20.0)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "n.db")
    yield store
    store.close()


def _rule(store: Store, site: Site, name: str, password: str | None = None) -> None:
    config = {"user": site.user, "app_password": password or site.app_password}
    action = NewAction(kind="wordpress", target=site.url, config=config)
    store.add_rule(
        name, query="rotterdam", actions=[action], now=datetime.now(UTC) - timedelta(hours=1)
    )


def _posts(site: Site, slug: str) -> list[dict[str, Any]]:
    reply = httpx.get(
        f"{site.url}/?rest_route=/wp/v2/posts&slug={slug}&context=edit&status=publish,draft",
        auth=(site.user, site.app_password),
        timeout=20,
    )
    assert reply.status_code == 200, reply.text
    posts = reply.json()
    assert isinstance(posts, list)
    return posts


def _story(store: Store, tag: str) -> None:
    """A story of two syndicated copies; the relayed copy's URL is a short link."""
    text = TEXT + f" The {tag} edition."
    write(
        store,
        "https://wire.example/feed",
        story(f"https://wire.example/{tag}", text=text),
        now=datetime.now(UTC),
    )
    relayed = Provenance(
        via="IFTTT", source="wire.example", original_url=f"https://wire.example/{tag}"
    )
    copy = story(
        f"https://relay.example/{tag}",
        text=text + " Read more.",
        site_name="Relay News",
        published=datetime(2026, 12, 7, 10, tzinfo=UTC),
        provenance=relayed,
    )
    write(store, "https://relay.example/feed", copy, now=datetime.now(UTC))


def test_a_story_becomes_one_attributed_post(store: Store, wordpress_site: Site) -> None:
    _rule(store, wordpress_site, "blog")
    _story(store, "first")
    with Deliverer(store, LOCAL) as deliverer:
        assert deliverer.deliver_due().sent == 1
    delivery = store.deliveries()[0]
    (post,) = _posts(wordpress_site, post_slug(delivery.event_id))
    assert str(post["id"]) == delivery.remote_id and post["status"] == "publish"
    assert post["title"]["raw"] == "Port strike halts Rotterdam"
    content = post["content"]["raw"]
    assert "By Anna de Vries" in content
    assert 'First published by <a href="https://wire.example/first">wire.example</a>' in content
    assert "07 December 2026" in content and "Dock workers walked out" in content
    for scar in ("via", "READ MORE", "Read more", "0 Comments", "ift.tt"):
        assert scar not in content


def test_a_retry_after_a_lost_answer_updates_the_post_it_made(
    store: Store, wordpress_site: Site
) -> None:
    _rule(store, wordpress_site, "retry")
    _story(store, "second")
    with Deliverer(store, LOCAL) as deliverer:
        deliverer.deliver_due()
        delivery = store.deliveries()[0]
        # the process died after WordPress made the post, before its id was recorded
        store._db.execute(
            "UPDATE deliveries SET status = 'pending', remote_id = NULL, delivered_at = NULL, "
            "next_attempt_at = '2000-01-01T00:00:00+00:00' WHERE id = ?",
            (delivery.id,),
        )
        store._db.commit()
        assert deliverer.deliver_due().sent == 1
        store.retry_deliveries([delivery.id], now=datetime.now(UTC), replay=True)
        assert deliverer.deliver_due().sent == 1  # a replay: by the recorded id
    posts = _posts(wordpress_site, post_slug(delivery.event_id))
    assert len(posts) == 1 and str(posts[0]["id"]) == store.deliveries()[0].remote_id


def test_rejected_credentials_mark_the_target_failing_with_wordpress_s_message(
    store: Store, wordpress_site: Site
) -> None:
    _rule(store, wordpress_site, "wrong", password="abcd efgh ijkl mnop qrst uvwx")
    _story(store, "third")
    with Deliverer(store, LOCAL) as deliverer:
        report = deliverer.deliver_due()
    assert report.failed == 1
    rule = store.rule("wrong")
    assert rule is not None
    error = rule.actions[0].last_error or ""
    assert (
        error
        == "WordPress answered HTTP 401: Sorry, you are not allowed to create posts as this user."
    )
    assert json.dumps(error)  # a plain string, recorded as WordPress said it

"""The whole chain: the demo newsroom on loopback, ``newsdesk run --once`` following it with
a rule ("stories carried by at least two outlets"), a webhook receiver on loopback."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from standardwebhooks import Webhook

from newsdesk.cli import main
from newsdesk.demo.generator import Newsroom
from newsdesk.demo.server import RunningNewsroom, serve_newsroom
from newsdesk.pipeline.fire import story_of
from newsdesk.store import open_store
from tests.rules.helpers import receiver

SECRET = "whsec_" + base64.b64encode(b"the demo rule's key, 32 bytes!!!").decode()


@pytest.fixture(scope="module")
def newsroom() -> Iterator[RunningNewsroom]:
    with serve_newsroom(
        # stories of the last day: older ones fire no rule (rules_max_age)
        Newsroom(seed=9, articles=25, start=datetime.now(UTC) - timedelta(hours=20))
    ) as running:
        yield running


def test_run_delivers_each_story_carried_by_two_outlets_once(
    tmp_path: Path, newsroom: RunningNewsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "n.db")
    monkeypatch.setenv("NEWSDESK_PER_HOST_DELAY", "0")
    monkeypatch.setenv("NEWSDESK_ALLOW_PRIVATE_NETWORKS", "1")
    store = open_store(db)
    for outlet in newsroom.room.outlets:
        store.add_source(newsroom.bases[outlet.slug] + outlet.feed_path, now=datetime.now(UTC))
    store.close()
    runner = CliRunner()
    with receiver() as hook:
        added = runner.invoke(
            main,
            [
                "rules",
                "add",
                "two-outlets",
                "--db",
                db,
                "--query",
                "copies>=2",
                "--webhook",
                hook.url,
                "--secret",
                SECRET,
            ],
        )
        assert added.exit_code == 0, added.output
        for _ in range(2):  # the second pass finds nothing new: nothing is sent again
            result = runner.invoke(main, ["run", "--once", "--db", db])
            assert result.exit_code == 0, result.output
        ids = hook.ids()
        payloads = [Webhook(SECRET).verify(r.body, r.headers) for r in hook.received]
    store = open_store(db)
    carried = set()
    for article_id in store.article_ids():
        facts = store.story_facts(article_id)
        if facts is not None and story_of(facts).copies >= 2:
            carried.add(facts.group_id)
    assert carried and len(ids) == len(set(ids)) == len(carried)
    # one delivery per story (its group's original may have changed since it was sent)
    groups = {store.story_facts(p["data"]["article_id"]).group_id for p in payloads}  # type: ignore[union-attr]
    assert groups == carried
    assert all(d.status == "done" for d in store.deliveries())
    for payload in payloads:
        article = payload["data"]["article"]
        assert article["text"] and article["url"] and payload["data"]["story"]["copies"] >= 2
    assert json.dumps(payloads)
    assert datetime.now(UTC) - timedelta(minutes=5) < store.deliveries()[0].created_at  # type: ignore[operator]

"""The outbox's tests again on PostgreSQL (the rules' tables of migrations/postgres.py): the
same tests, imported, with a store on the test session's server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from newsdesk.store import Store, open_store
from tests.rules.test_outbox import (  # noqa: F401 (collected here, on PostgreSQL)
    test_a_changed_guid_or_an_edit_over_the_same_url_fires_nothing_more,
    test_a_delivery_is_written_in_the_article_s_transaction,
    test_a_story_fires_when_it_reaches_three_outlets_once,
    test_a_story_in_four_syndicated_copies_fires_once_per_action,
    test_disabled_rules_and_removed_rules,
    test_each_copy_fires_when_the_rule_asks,
    test_no_match_no_delivery_and_the_backlog_does_not_fire,
    test_outlets_trigger,
)


@pytest.fixture
def store(pg_url: str) -> Iterator[Store]:
    opened = open_store(pg_url)
    yield opened
    opened.close()

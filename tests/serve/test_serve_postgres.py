"""The serving tests again, on a PostgreSQL store: the API, the reader, the feeds and the
response cache over a database on the test session's server (tests/pgserver.py). The tests
are the SQLite ones, imported; only the ``served`` fixture differs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.serve.conftest import Served, serve_store
from tests.serve.test_api import (  # noqa: F401 (collected here, with this module's served)
    test_article_by_id_and_unknown_id,
    test_article_filters,
    test_articles_paginate_with_cursor_newest_first,
    test_huge_query_is_rejected,
    test_malformed_parameters_are_400_naming_the_parameter,
    test_private_reads_need_the_token,
    test_search_ranks_with_snippets,
    test_sources_read_and_token_guarded_writes,
    test_stats,
    test_unknown_paths_use_the_error_shape,
)
from tests.serve.test_cache import (  # noqa: F401
    test_a_commit_empties_the_cache,
    test_a_repeated_page_is_served_again_with_its_headers,
    test_private_conditional_and_failed_requests_are_not_kept,
)
from tests.serve.test_feeds_out import (  # noqa: F401
    test_a_rewritten_record_changes_the_feeds_etag,
    test_atom_has_what_the_w3c_rules_require,
    test_feeds_parse_cleanly_in_feedparser,
    test_full_content_is_carried,
    test_json_feed_passes_the_schema,
    test_opml_lists_the_sources,
    test_repeats_are_answered_304,
    test_xss_payloads_are_inert_in_feeds,
)
from tests.serve.test_reader import (  # noqa: F401
    test_article_page_shows_structure,
    test_malformed_parameters_are_a_400_page_naming_them,
    test_river_lists_newest_first_and_pages,
    test_search_highlights_matches,
    test_sources_page_shows_health,
    test_unknown_article_is_a_404_page,
    test_xss_payloads_are_inert_in_every_page,
)


@pytest.fixture
def served(pg_url: str) -> Iterator[Served]:
    """As tests/serve/conftest.py's, on PostgreSQL."""
    yield from serve_store(pg_url)

"""The writer: one fetched page stored in the store, in the caller's transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from datetime import datetime

from newsdesk.config import Settings
from newsdesk.errors import NewsdeskError
from newsdesk.model import Article, FeedEntry, Outcome
from newsdesk.pipeline.fire import fire_rules, max_age
from newsdesk.pipeline.link import (
    Prints,
    find_duplicate,
    link_article,
    more_original,
)
from newsdesk.store import Record, Store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RunReport:
    sources: int = 0
    not_modified: int = 0
    failed_sources: int = 0
    new_entries: int = 0
    stored: int = 0
    fallbacks: int = 0
    failed_entries: int = 0
    duplicates: int = 0  # the same text as a stored article: a sighting, not a new article
    syndicated: int = 0  # stored, and linked to an original elsewhere
    errors: dict[str, int] = field(default_factory=dict)

    def count_error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def add(self, other: RunReport) -> None:
        """Count ``other``'s figures in too (a transaction's, once it committed)."""
        for counter in fields(self):  # every count, whatever counts are added later
            if counter.name != "errors":
                name = counter.name
                setattr(self, name, getattr(self, name) + getattr(other, name))
        for kind, n in other.errors.items():
            self.errors[kind] = self.errors.get(kind, 0) + n

    def count(self, outcome: Outcome) -> None:
        """Count what the writer did with one page (``store_page``'s outcome)."""
        if outcome.kind in (STORED, COPY):
            self.stored += 1
            self.syndicated += outcome.kind == COPY
        elif outcome.kind == DUPLICATE:
            self.duplicates += 1
        else:  # a failure, stored from the feed's own content or not: the reason is its kind
            self.count_error(outcome.reason)
            if outcome.kind == FALLBACK:
                self.fallbacks += 1
            else:
                self.failed_entries += 1


# What the writer did with a page (``Outcome.kind``); for FALLBACK and FAILED the outcome's
# reason is the failure's kind (timeout, extract, ...), for COPY the original's id.
STORED = "stored"  # a new article
COPY = "copy"  # a new article, linked to the original of its copy group elsewhere
DUPLICATE = "duplicate"  # the same text as a stored article: a sighting of it
FALLBACK = "fallback"  # the page failed; the feed's own content was stored instead
FAILED = "failed"  # the page failed, and the entry had no content to fall back on


@dataclass(frozen=True, slots=True)
class _Page:
    entry_id: int
    source_id: int
    entry: FeedEntry
    record: Record | None  # the Article in its stored form, with its raw page
    error: NewsdeskError | None
    prints: Prints | None = None
    # for a failed page: the feed's own content ready to store (``page.prepare_fallback``)
    fallback: tuple[Record, Prints | None] | None = None


def _fired(
    store: Store, outcome: Outcome, article: Article, now: datetime, settings: Settings
) -> Outcome:
    """``outcome``, once the rules it fires have their deliveries enqueued (in the same
    transaction: the outbox, ``pipeline/fire.py``); a story published more than
    ``rules_max_age`` hours before ``now`` fires none (a new source's backlog)."""
    fire_rules(store, outcome, article, now, max_age=max_age(settings))
    return outcome


def store_page(store: Store, page: _Page, now: datetime, settings: Settings) -> Outcome:
    """Write one fetched page, in the caller's transaction: its article stored (or a
    sighting of the stored one it duplicates), linked, its entry marked; or its failure
    recorded. What was done comes back as an ``Outcome`` (see STORED ... FAILED): where
    rules enqueue their deliveries, in the same transaction (``pipeline/fire.py``)."""
    entry = page.entry
    if page.record is not None:
        record = page.record
        article = record.article
        seen_at = article.fetched_url or entry.url or ""
        prints = page.prints  # made with the page whenever the dedupe is on
        duplicate = find_duplicate(store, article, prints.text_key) if prints else None
        if duplicate is not None:
            assert prints is not None
            store.link_entry(page.entry_id, duplicate)
            store.record_sighting(duplicate, source_id=page.source_id, url=seen_at, now=now)
            if more_original(store, duplicate, prints):
                store.replace_identity(duplicate, record, source_id=page.source_id)
                link_article(store, duplicate, article, prints)
            log.info("duplicate source=%s url=%s of=%s", page.source_id, entry.url, duplicate)
            outcome = Outcome(kind=DUPLICATE, article_id=duplicate)
            return _fired(store, outcome, article, now, settings)
        article_id = store.store_entry_article(page.entry_id, page.source_id, record, now=now)
        store.record_sighting(article_id, source_id=page.source_id, url=seen_at, now=now)
        original = link_article(store, article_id, article, prints).original_id if prints else None
        log.info("stored source=%s url=%s title=%r", page.source_id, entry.url, article.title)
        if original:
            outcome = Outcome(kind=COPY, reason=f"copy of {original}", article_id=article_id)
        else:
            outcome = Outcome(kind=STORED, article_id=article_id)
        return _fired(store, outcome, article, now, settings)
    assert page.error is not None
    kind = page.error.kind
    if page.fallback is not None:
        record, prints = page.fallback
        fallback = record.article
        fallback_id = store.store_entry_article(
            page.entry_id,
            page.source_id,
            record,
            now=now,
            problem=str(page.error),
            error_kind=kind,
        )
        if settings.dedupe and prints is not None:
            link_article(store, fallback_id, fallback, prints)
        log.warning(
            "fallback source=%s url=%s kind=%s error=%s",
            page.source_id,
            entry.url,
            kind,
            page.error,
        )
        outcome = Outcome(kind=FALLBACK, reason=kind, article_id=fallback_id)
        return _fired(store, outcome, fallback, now, settings)
    store.fail_entry(page.entry_id, error_kind=kind, error=str(page.error))
    log.warning(
        "failed source=%s url=%s kind=%s error=%s", page.source_id, entry.url, kind, page.error
    )
    return Outcome(kind=FAILED, reason=kind)

"""Rules fired by what the writer did with a page (issue 17): each enabled rule whose query
matches the stored article and its story gets one delivery per action, written in the
writer's transaction (the outbox), so a crash neither loses one nor makes one for an
article that was not stored.

What a rule fires on (``Rule.fires_on``):

- ``story`` (the default): once per story, whichever of its copies came first; a story
  that comes to match later (a third outlet for ``copies>=3``) fires then, once.
- ``copy``: once per new article (each syndicated copy).
- ``outlets``: once, when the story reaches ``Rule.outlets`` outlets.

Only stories first stored after the rule was made fire it (the backlog does not, unless
asked: ``newsdesk rules add --backfill``), and only pages published at most ``max_age``
(the ``rules_max_age`` setting) before they are stored: a source added after the rule
stores its feed's whole backlog on its first pass, and those old stories fire nothing. A
page without a publication date fires as any other. A page that is a duplicate of a stored article
(the same text, or the same URL under a new GUID) is a sighting: it may make a story match
(more outlets) but never fires a rule a second time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from newsdesk.config import Settings
from newsdesk.errors import QueryError
from newsdesk.model import Article, Outcome
from newsdesk.rules.match import Story, article_words, matcher, matches, parse_rule
from newsdesk.store import Store
from newsdesk.store.rules import Rule, StoryFacts

log = logging.getLogger(__name__)

EVENTS = {"story": "story.new", "copy": "story.copy", "outlets": "story.outlets"}


def max_age(settings: Settings) -> timedelta | None:
    """The ``rules_max_age`` setting as a bound (None: no bound)."""
    hours = settings.rules_max_age
    return timedelta(hours=hours) if hours > 0 else None


def too_old(article: Article, now: datetime, bound: timedelta | None) -> bool:
    """Whether ``article`` was published more than ``bound`` before ``now`` (stored now):
    backlog, which fires no rule. Without a publication date (or a bound) it is not."""
    published = article.published
    if bound is None or published is None:  # an Article's dates are timezone-aware
        return False
    return now - published > bound


def fire_rules(
    store: Store,
    outcome: Outcome,
    article: Article,
    now: datetime,
    *,
    max_age: timedelta | None = None,
) -> int:
    """Enqueue the deliveries of every enabled rule that ``outcome`` (the writer's, for
    ``article``, stored at ``now``) fires, in the caller's transaction; the number enqueued.
    A page published more than ``max_age`` before ``now`` fires none (``too_old``).

    The writer runs it for every page it stores, so the store is read only as far as a
    rule asks: each rule's query is matched first (its words before its story's
    conditions), the story's facts are read once, and only when a query reads them or a
    query matched; whether the matching rules fired for the story already is one query."""
    if outcome.article_id is None or too_old(article, now, max_age):
        return 0
    rules = store.enabled_rules()
    if not rules:
        return 0
    new_article = outcome.kind != "duplicate"
    story, words = _StoryView(store, outcome.article_id), article_words(article)
    matched: list[Rule] = []
    for rule in rules:
        if not rule.actions or (rule.fires_on == "copy" and not new_article):
            continue
        try:
            query = matcher(rule.query)
        except QueryError as exc:  # refused at creation; a rule stored by an older version
            log.warning("rule=%s does not parse: %s", rule.name, exc)
            continue
        if query(words, article, story):
            matched.append(rule)
    if not matched:
        return 0
    facts = story.facts
    if facts is None:
        return 0
    matched = [rule for rule in matched if _may_fire(rule, facts)]
    fired = store.fired_events(
        [rule.id for rule in matched if rule.fires_on != "copy"], facts.members
    )
    enqueued = 0
    for rule in matched:
        event = EVENTS[rule.fires_on]
        if rule.fires_on != "copy" and (rule.id, event) in fired:
            continue
        for action in rule.actions:
            if action.disabled is None:
                enqueued += store.enqueue_delivery(
                    rule.id, action.id, article_id=_keyed(rule, facts), event=event, now=now
                )
    return enqueued


class _StoryView:
    """The story's facts as matching reads them (``match.StoryView``), read from the store
    when a condition first asks, once."""

    def __init__(self, store: Store, article_id: int) -> None:
        self._store, self._article_id = store, article_id
        self._read = False
        self._facts: StoryFacts | None = None
        self._story = Story()

    @property
    def facts(self) -> StoryFacts | None:
        if not self._read:
            self._read = True
            self._facts = self._store.story_facts(self._article_id)
            if self._facts is not None:
                self._story = story_of(self._facts)
        return self._facts

    @property
    def copies(self) -> int:
        self.facts  # noqa: B018 (read on first use)
        return self._story.copies

    @property
    def original(self) -> bool:
        self.facts  # noqa: B018
        return self._story.original

    @property
    def sources(self) -> tuple[str, ...]:
        self.facts  # noqa: B018
        return self._story.sources


def story_of(facts: StoryFacts) -> Story:
    """The story facts matching reads, from the store's."""
    return Story(
        copies=max(1, len(facts.outlets)), original=facts.is_original, sources=facts.sources
    )


def _keyed(rule: Rule, facts: StoryFacts) -> int:
    """The article a delivery is keyed (and sent) by: the new copy for ``copy`` rules, else
    the story's (its group's original)."""
    return facts.article_id if rule.fires_on == "copy" else facts.group_id


def _may_fire(rule: Rule, facts: StoryFacts) -> bool:
    """Whether a rule whose query matched may fire for the story: not for one first stored
    before the rule was made, nor (``outlets``) one carried by fewer outlets than it asks
    (whether it fired for the story already, the caller asks the store once for all)."""
    created = rule.created_at
    if created is not None and facts.first_seen is not None and facts.first_seen < created:
        return False  # the backlog
    return not (rule.fires_on == "outlets" and len(facts.outlets) < rule.outlets)


def would_fire(store: Store, rule: Rule, article_ids: Iterable[int]) -> Iterator[int]:
    """The stored articles (of ``article_ids``) the rule's query matches, one per story
    (its original's id), without enqueueing anything: ``newsdesk rules test``."""
    tree = parse_rule(rule.query)
    seen: set[int] = set()
    for article_id in article_ids:
        facts = store.story_facts(article_id)
        stored = store.stored_article(article_id) if facts else None
        if facts is None or stored is None:
            continue
        key = _keyed(rule, facts)
        if key in seen:
            continue
        if matches(tree, stored.article, story_of(facts)):
            seen.add(key)
            yield key


def backfill(store: Store, rule: Rule, article_ids: Iterable[int], now: datetime) -> int:
    """Enqueue the rule's deliveries for stored stories (``rules add --backfill``): each
    matching story once, as if it had been stored after the rule was made."""
    enqueued = 0
    with store.batch():
        for key in would_fire(store, rule, article_ids):
            facts = store.story_facts(key)
            event = EVENTS[rule.fires_on]
            if facts is None or store.fired_for(rule.id, facts.members, event):
                continue
            for action in rule.actions:
                if action.disabled is None:
                    enqueued += store.enqueue_delivery(
                        rule.id, action.id, article_id=key, event=event, now=now
                    )
    return enqueued

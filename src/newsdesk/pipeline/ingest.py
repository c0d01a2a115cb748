"""One page, or every stored page again: ``fetch_one`` and ``reextract``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from newsdesk.errors import NewsdeskError
from newsdesk.fetch import Fetcher
from newsdesk.model import Article, Outcome
from newsdesk.pipeline.fire import fire_rules
from newsdesk.pipeline.link import article_prints, find_duplicate, link_article
from newsdesk.pipeline.page import make_record, process_page
from newsdesk.store import Store


@dataclass(slots=True)
class ReextractReport:
    done: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (article id, why)
    relinked: int = 0


def reextract(
    store: Store, *, dedupe: bool = True, progress: Callable[[int, int], None] | None = None
) -> ReextractReport:
    """Run the current extractor again over every stored raw page, and (``dedupe``) link
    every article again, in the order the articles were stored, as a fresh ingest of the
    same pages would: each article's text key, fingerprint and LSH keys follow its new
    text, and its copy and story links are made anew. An article whose page no longer
    extracts keeps its record (and is linked as it is)."""
    report = ReextractReport()
    ids = list(store.article_ids())
    if dedupe:
        store.clear_links()
    for number, article_id in enumerate(ids, 1):
        article = store.article(article_id)
        raw = store.raw_page(article_id)
        fresh: Article | None = None
        if raw is not None:
            try:
                fresh = process_page(raw[0], raw[1] or "")
            except NewsdeskError as exc:
                report.failed.append((article_id, str(exc)))
        with store.batch():
            if fresh is not None:
                store.replace_article(article_id, make_record(fresh))
                article = fresh
                report.done += 1
            if dedupe and article is not None and article.text:
                link_article(store, article_id, article, article_prints(article))
                report.relinked += 1
        if progress is not None:
            progress(number, len(ids))
    return report


def fetch_one(
    store: Store,
    fetcher: Fetcher,
    url: str,
    *,
    now: datetime,
    dedupe: bool = True,
    max_age: timedelta | None = None,
) -> int:
    """Ingest one page (no source): fetch, extract, store, link; the article id (of the
    stored article it duplicates, when it repeats one's text). The rules it fires have
    their deliveries enqueued in the same transaction, as the pass's writer does
    (``pipeline/fire.py``; ``max_age``: the ``rules_max_age`` bound)."""
    result = fetcher.get(url)
    article = process_page(result.body, result.final_url, charset=result.charset)
    prints = article_prints(article) if dedupe else None
    with store.batch():
        duplicate = find_duplicate(store, article, prints.text_key) if prints else None
        if duplicate is not None:
            store.record_sighting(duplicate, source_id=None, url=result.final_url, now=now)
            outcome = Outcome(kind="duplicate", article_id=duplicate)
            fire_rules(store, outcome, article, now, max_age=max_age)
            return duplicate
        article_id = store.store_article(make_record(article, result.body), now=now)
        store.record_sighting(article_id, source_id=None, url=result.final_url, now=now)
        original = None
        if prints is not None:
            original = link_article(store, article_id, article, prints).original_id
        kind = "copy" if original else "stored"
        fire_rules(store, Outcome(kind=kind, article_id=article_id), article, now, max_age=max_age)
    return article_id

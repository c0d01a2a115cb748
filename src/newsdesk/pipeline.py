"""The one composition of the stages (DESIGN §1). Order, for each source due:

1. fetch the feed with a conditional GET (``fetch``); 304 or an unchanged body: done;
2. parse it (``feeds.parse_feed``) and record its entries (``store``): only new ones go on;
3. fetch each new entry's page, concurrently across hosts (``fetch``);
4. extract the Article from the page (``extract``, which runs ``clean.repair``), make its
   stored form (``store.prepare_record``) and fingerprint it (``linking.article_prints``);
5. an exact duplicate of a stored article (same text, another URL) is recorded as a
   sighting of it; anything else is stored with the raw page, the entry marked done in the
   same transaction (``store``), and linked to its copies and story cluster (``linking``).

Steps 1–4 run in the workers (threads; parsing and step 4 in the extraction processes when
``extract_processes`` is set), step 5 in the one writer. Sources are checked concurrently and
their pages start as soon as their feed is recorded.

When a page cannot be fetched or extracted, the feed's own content for the entry is
extracted instead and stored with the problem recorded. Every failure ends as an error kind
on the source or the entry; nothing stored is lost and the loop goes on.
"""

from __future__ import annotations

import logging
import os
import statistics
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from newsdesk.config import Settings
from newsdesk.dates import parse_http_date
from newsdesk.errors import ExtractionError, FeedParseError, FetchError, NewsdeskError
from newsdesk.extract import extract
from newsdesk.feeds import discover_feeds, parse_feed
from newsdesk.fetch import Fetcher
from newsdesk.linking import Prints, article_prints, find_duplicate, link_article, more_original
from newsdesk.model import FeedEntry, FetchResult, ParsedFeed, Source
from newsdesk.pages import WORKER_NICENESS, lower_priority, prepare_page, process_page
from newsdesk.store import Record, Store
from newsdesk.workers import ProcessPool

__all__ = [
    "WORKER_NICENESS",
    "RunReport",
    "add_source",
    "fetch_one",
    "next_check",
    "process_page",
    "run_once",
]

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
DEFAULT_INTERVAL = 3600


def _utcnow() -> datetime:
    return datetime.now(UTC)


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


def _max_age(cache_control: str | None) -> int | None:
    for part in (cache_control or "").split(","):
        name, _, value = part.strip().partition("=")
        if name.lower() in ("max-age", "s-maxage") and value.strip().isdigit():
            return int(value.strip())
    return None


def _seconds_until(header: str | None, now: datetime) -> int | None:
    if not header:
        return None
    if header.strip().isdigit():
        return int(header.strip())
    when = parse_http_date(header)
    return max(0, int((when - now).total_seconds())) if when else None


def next_check(
    now: datetime,
    settings: Settings,
    *,
    result: FetchResult | None = None,
    feed: ParsedFeed | None = None,
    error_count: int = 0,
    retry_after: float | None = None,
) -> datetime:
    """When to check a source again: from its publishing frequency (half the median gap
    between entries), ``ttl``, Cache-Control, Expires and Retry-After, within the configured
    bounds. A failing source backs off exponentially, but is never dropped."""
    if error_count:
        interval = settings.min_interval * 2 ** min(error_count, 16)
        if retry_after:
            interval = max(interval, int(retry_after))
    else:
        interval = DEFAULT_INTERVAL
        if feed is not None:
            stamps = sorted(e.published for e in feed.entries if e.published is not None)
            gaps = [(b - a).total_seconds() for a, b in pairwise(stamps)]
            gaps = [g for g in gaps if g > 0]
            if len(gaps) >= 2:
                interval = int(statistics.median(gaps) / 2)
            if feed.ttl_seconds:
                interval = max(interval, feed.ttl_seconds)
        if result is not None:
            for hint in (
                _max_age(result.cache_control),
                _seconds_until(result.expires, now),
                _seconds_until(result.retry_after, now),
            ):
                if hint:
                    interval = max(interval, hint)
    interval = min(max(interval, settings.min_interval), settings.max_interval)
    return now + timedelta(seconds=interval)


def add_source(store: Store, fetcher: Fetcher, url: str, *, now: datetime) -> Source:
    """Follow ``url``: a feed, or a site or page whose feeds (or news sitemap) are found."""
    result = fetcher.get(url)
    try:
        feed = parse_feed(result.body, result.final_url)
        return store.add_source(
            result.final_url, kind=feed.kind, title=feed.title, site_url=feed.site_url, now=now
        )
    except FeedParseError:
        pass
    for candidate in discover_feeds(result.body, result.final_url):
        try:
            found = fetcher.get(candidate)
            feed = parse_feed(found.body, found.final_url)
        except (FetchError, FeedParseError):
            continue
        if feed.entries or feed.title:
            return store.add_source(
                found.final_url,
                kind=feed.kind,
                title=feed.title,
                site_url=feed.site_url or result.final_url,
                now=now,
            )
    raise FeedParseError(f"{url}: no feed or news sitemap found there")


@dataclass(frozen=True, slots=True)
class _Page:
    entry_id: int
    source_id: int
    entry: FeedEntry
    record: Record | None  # the Article in its stored form, with its raw page
    error: NewsdeskError | None
    prints: Prints | None = None


def _fetch_entry(
    fetcher: Fetcher,
    extractors: ProcessPool | None,
    item: tuple[int, int, FeedEntry],
    *,
    dedupe: bool = True,
) -> _Page:
    entry_id, source_id, entry = item
    if not entry.url:
        return _Page(entry_id, source_id, entry, None, ExtractionError("entry has no URL"))
    try:
        result = fetcher.get(entry.url, page=True)
        # A page the server sent gzipped is stored as it came: nothing to compress again.
        compress = result.compressed is None
        work = (result.body, result.final_url, result.charset, entry, dedupe, compress)
        if extractors is None:
            record, prints = prepare_page(*work)
        else:  # extraction is CPU work: other processes use the other cores
            record, prints = extractors.call(prepare_page, *work)
    except (FetchError, ExtractionError) as exc:
        return _Page(entry_id, source_id, entry, None, exc)
    if not compress:
        record = replace(record, page=result.compressed)
    return _Page(entry_id, source_id, entry, record, None, prints)


def _store_page(
    store: Store, page: _Page, report: RunReport, now: datetime, settings: Settings
) -> None:
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
            report.duplicates += 1
            log.info("duplicate source=%s url=%s of=%s", page.source_id, entry.url, duplicate)
            return
        article_id = store.store_entry_article(page.entry_id, page.source_id, record, now=now)
        store.record_sighting(article_id, source_id=page.source_id, url=seen_at, now=now)
        report.stored += 1
        if prints is not None and link_article(store, article_id, article, prints).original_id:
            report.syndicated += 1
        log.info("stored source=%s url=%s title=%r", page.source_id, entry.url, article.title)
        return
    assert page.error is not None
    kind = getattr(page.error, "kind", "network")
    report.count_error(kind)
    if entry.content:
        try:
            fallback = extract(entry.content, url=entry.url)
        except ExtractionError:
            fallback = None
        if fallback is not None and (fallback.text or entry.title):
            fallback = replace(
                fallback,
                title=fallback.title or entry.title,
                published=fallback.published or entry.published,
                url=entry.url or fallback.url,
                fetched_url=entry.url,
            )
            fallback_id = store.store_entry_article(
                page.entry_id,
                page.source_id,
                fallback,
                now=now,
                problem=str(page.error),
                error_kind=kind,
            )
            if settings.dedupe and fallback.text:
                link_article(store, fallback_id, fallback, article_prints(fallback))
            report.fallbacks += 1
            log.warning(
                "fallback source=%s url=%s kind=%s error=%s",
                page.source_id,
                entry.url,
                kind,
                page.error,
            )
            return
    store.fail_entry(page.entry_id, error_kind=kind, error=str(page.error))
    report.failed_entries += 1
    log.warning(
        "failed source=%s url=%s kind=%s error=%s", page.source_id, entry.url, kind, page.error
    )


@dataclass(frozen=True, slots=True)
class _Run:
    store: Store
    fetcher: Fetcher
    settings: Settings
    report: RunReport


@dataclass(frozen=True, slots=True)
class _Checked:
    """A source's feed, fetched and parsed (in workers); recorded by the writer."""

    source: Source
    result: FetchResult | None = None
    feed: ParsedFeed | None = None
    error: FetchError | FeedParseError | None = None
    page: int = 1  # a paged feed's later pages: 2, 3, ...
    url: str | None = None  # the later page's URL


def _fetch_feed(
    fetcher: Fetcher,
    extractors: ProcessPool | None,
    source: Source,
    page_url: str | None = None,
    page: int = 1,
) -> _Checked:
    """Fetch a source's feed (conditional GET) and parse it — parsing, like extraction, is
    CPU work that runs in the extraction processes when there are some. With ``page_url``,
    a paged feed's later page ``page`` (fetched whole: the validators are the first's)."""
    try:
        if page_url is None:
            result = fetcher.get(
                source.url,
                etag=source.etag,
                last_modified=source.last_modified,
                previous_hash=source.content_hash,
            )
        else:
            result = fetcher.get(page_url)
    except FetchError as exc:
        return _Checked(source, error=exc, page=page, url=page_url)
    if result.not_modified:
        return _Checked(source, result, page=page, url=page_url)
    try:
        if extractors is None:
            feed = parse_feed(result.body, result.final_url)
        else:
            feed = extractors.call(parse_feed, result.body, result.final_url)
    except FeedParseError as exc:
        return _Checked(source, result, error=exc, page=page, url=page_url)
    return _Checked(source, result, feed, page=page, url=page_url)


def _record_page(run: _Run, checked: _Checked, now: datetime) -> ParsedFeed | None:
    """Write what a paged feed's later page gave: the fetch log and its new entries (a
    page that fails is logged and counted; the source's state is its first page's). The
    page when all its entries were new: its next page is worth reading too."""
    store, report, source = run.store, run.report, checked.source
    url = checked.url or source.url
    result, feed, exc = checked.result, checked.feed, checked.error
    if feed is None:
        kind = exc.kind if exc is not None else "parse"
        store.log_fetch(
            url=url,
            now=now,
            source_id=source.id,
            status=result.status if result else None,
            outcome="error",
            error_kind=kind,
        )
        report.count_error(kind)
        log.warning(
            "fetch source=%s url=%s page=%d kind=%s error=%s",
            source.id,
            url,
            checked.page,
            kind,
            exc,
        )
        return None
    assert result is not None
    store.log_fetch(
        url=url,
        now=now,
        source_id=source.id,
        status=result.status,
        outcome="ok",
        elapsed=result.elapsed,
        size=len(result.body),
    )
    new = store.record_entries(source.id, feed.entries, now=now)
    report.new_entries += new
    return _if_all_new(feed, new)


def _if_all_new(feed: ParsedFeed, new: int) -> ParsedFeed | None:
    """The feed when all its entries were new (``new`` of them): its next page may hold
    more that are new; one already seen means the pages from there on are known."""
    return feed if feed.entries and new == len(feed.entries) else None


def _record_check(run: _Run, checked: _Checked, now: datetime) -> ParsedFeed | None:
    """Write what a source's check found: its state, the fetch log, its new entries. The
    feed when every entry in it was new: a paged feed's next page is worth reading too."""
    if checked.page > 1:
        return _record_page(run, checked, now)
    store, settings, report = run.store, run.settings, run.report
    source, result, feed, exc = checked.source, checked.result, checked.feed, checked.error
    if result is None:
        assert isinstance(exc, FetchError)
        retry = getattr(exc, "retry_after", None)
        store.record_check(
            source.id,
            now=now,
            error_kind=exc.kind,
            error=str(exc),
            next_check=next_check(
                now, settings, error_count=source.error_count + 1, retry_after=retry
            ),
        )
        store.log_fetch(
            url=source.url, now=now, source_id=source.id, outcome="error", error_kind=exc.kind
        )
        report.failed_sources += 1
        report.count_error(exc.kind)
        log.warning(
            "fetch source=%s url=%s outcome=error kind=%s error=%s",
            source.id,
            source.url,
            exc.kind,
            exc,
        )
        return None
    log.info(
        "fetch source=%s url=%s status=%s outcome=%s ms=%d bytes=%d",
        source.id,
        source.url,
        result.status,
        "not_modified" if result.not_modified else "ok",
        result.elapsed * 1000,
        len(result.body),
    )
    store.log_fetch(
        url=source.url,
        now=now,
        source_id=source.id,
        status=result.status,
        outcome="not_modified" if result.not_modified else "ok",
        elapsed=result.elapsed,
        size=len(result.body),
    )
    if result.not_modified:
        report.not_modified += 1
        store.record_check(
            source.id,
            now=now,
            etag=result.etag,
            last_modified=result.last_modified,
            next_check=next_check(now, settings, result=result),
        )
        return None
    if feed is None:
        assert isinstance(exc, FeedParseError)
        store.record_check(
            source.id,
            now=now,
            error_kind=exc.kind,
            error=str(exc),
            next_check=next_check(now, settings, error_count=source.error_count + 1),
        )
        report.failed_sources += 1
        report.count_error(exc.kind)
        return None
    new = store.record_entries(source.id, feed.entries, now=now)
    report.new_entries += new
    store.record_check(
        source.id,
        now=now,
        etag=result.etag,
        last_modified=result.last_modified,
        content_hash=result.content_hash,
        kind=feed.kind,
        title=feed.title,
        site_url=feed.site_url,
        next_check=next_check(now, settings, result=result, feed=feed),
        error_kind="parse" if feed.problems and not feed.entries else None,
        error="; ".join(feed.problems) or None,
    )
    return _if_all_new(feed, new)


def _extractor_pool(settings: Settings) -> ProcessPool | None:
    processes = extraction_processes(settings)
    if processes == 0:
        return None
    return ProcessPool(processes, initializer=lower_priority)


def extraction_processes(settings: Settings) -> int:
    """How many extraction processes a pass starts: ``extract_processes``, where -1 (the
    default) is one more than the machine's cores. The relay's own process shares the
    cores, and its threads (one GIL) leave them idle now and then: measured on the 10k
    demo with two cores, 64 % of extraction alone with three processes, 55–59 % with two."""
    if settings.extract_processes < 0:
        return (os.cpu_count() or 1) + 1
    return settings.extract_processes


def run_once(
    store: Store,
    fetcher: Fetcher,
    settings: Settings,
    *,
    clock: Clock = _utcnow,
    due_only: bool = False,
    progress: Callable[[int, int], None] | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> RunReport:
    """One pass: check the sources (all, or only those due) and process every pending entry
    (including ones a killed earlier run left behind).

    It streams: the feeds are fetched and parsed in the workers while the pages of the
    feeds already recorded are fetched, extracted and written, so one slow or large feed
    does not hold the others' pages back. Fetching and extracting overlap with writing:
    a bounded window of pages (two batches) is in flight while the previous batch is
    written, one transaction a batch. The entries wait in the store and are read from it a
    few batches at a time, so memory stays flat however many entries wait."""
    report = RunReport()
    run = _Run(store, fetcher, settings, report)
    sources = store.due_sources(clock()) if due_only else store.sources()
    workers = max(1, settings.workers)
    batch = workers * 4
    # Entries wait in the store, and are read from it a few batches at a time: entry ids
    # grow as feeds are recorded, so the entries past the last one queued are the ones
    # not queued yet (a killed earlier run's leftovers first, then each feed's new ones).
    pending: deque[tuple[int, int, FeedEntry]] = deque()
    queued_up_to = 0
    leftovers = store.pending_count()
    window: deque[Future[_Page]] = deque()
    done = 0
    extractors = _extractor_pool(settings)
    # The threads finish (and stop calling the extraction processes) before those shut down.
    with extractors or nullcontext(), ThreadPoolExecutor(max_workers=workers) as pool:
        checks: deque[Future[_Checked]] = deque()
        for source in sources:
            if stop():
                break
            report.sources += 1
            checks.append(pool.submit(_fetch_feed, fetcher, extractors, source))

        def record_checks(*, wait: bool) -> None:
            """Record the checks that are done (in order; ``wait``: the next at least)."""
            while checks and (wait or checks[0].done()):
                wait = False
                checked = checks.popleft().result()
                with store.batch():
                    fresh = _record_check(run, checked, clock())
                # A paged feed whose page was all new: its next, older page too.
                if fresh and fresh.next_url and checked.page < settings.feed_pages and not stop():
                    more = (checked.source, fresh.next_url, checked.page + 1)
                    checks.append(pool.submit(_fetch_feed, fetcher, extractors, *more))

        def read_pending() -> None:
            nonlocal queued_up_to
            more = store.pending_entries(after=queued_up_to, limit=4 * batch)
            if more:
                queued_up_to = more[-1][0]
                pending.extend(more)

        def refill() -> None:
            while len(window) < 2 * batch:
                if not pending:
                    read_pending()
                if not pending:
                    if not checks or stop():
                        return
                    record_checks(wait=not window)
                    read_pending()
                    if not pending:
                        return
                item = pending.popleft()
                window.append(
                    pool.submit(_fetch_entry, fetcher, extractors, item, dedupe=settings.dedupe)
                )

        refill()
        while (window or checks) and not stop():
            if not window:
                refill()
                continue
            with store.batch():  # writes finish even when asked to stop
                for _ in range(min(batch, len(window))):
                    _store_page(store, window.popleft().result(), report, clock(), settings)
                    done += 1
                    if progress is not None:
                        progress(done, max(leftovers + report.new_entries, done + len(window)))
                    if checks and checks[0].done():
                        record_checks(wait=False)
                    refill()
        for future in window:  # stopped: what is not stored stays for the next run
            future.cancel()
        for check in checks:
            check.cancel()
    return report


def fetch_one(
    store: Store, fetcher: Fetcher, url: str, *, now: datetime, dedupe: bool = True
) -> int:
    """Ingest one page (no source): fetch, extract, store, link; the article id (of the
    stored article it duplicates, when it repeats one's text)."""
    result = fetcher.get(url)
    article = process_page(result.body, result.final_url, charset=result.charset)
    prints = article_prints(article) if dedupe else None
    with store.batch():
        duplicate = find_duplicate(store, article, prints.text_key) if prints else None
        if duplicate is not None:
            store.record_sighting(duplicate, source_id=None, url=result.final_url, now=now)
            return duplicate
        article_id = store.store_article(article, raw_page=result.body, now=now)
        store.record_sighting(article_id, source_id=None, url=result.final_url, now=now)
        if prints is not None:
            link_article(store, article_id, article, prints)
    return article_id

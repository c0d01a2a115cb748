"""The one composition of the stages (DESIGN §1). Order, for each source due:

1. fetch the feed with a conditional GET (``fetch``); 304 or an unchanged body: done;
2. parse it (``feeds.parse_feed``) and record its entries (``store``): only new ones go on;
3. fetch each new entry's page, concurrently across hosts (``fetch``);
4. extract the Article from the page (``extract``, which runs ``clean.repair``), make its
   stored form with its HTML (``pages.make_record``: the store renders nothing) and
   fingerprint it (``linking.article_prints``);
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
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from newsdesk.config import Settings
from newsdesk.dates import parse_http_date
from newsdesk.errors import (
    ExtractionError,
    FeedParseError,
    FetchAbandoned,
    FetchError,
    NewsdeskError,
    StoreUnavailableError,
)
from newsdesk.extract import extract
from newsdesk.feeds import discover_feeds, parse_feed
from newsdesk.fetch import Fetcher
from newsdesk.linking import Prints, article_prints, find_duplicate, link_article, more_original
from newsdesk.model import Article, FeedEntry, FetchResult, ParsedFeed, Source
from newsdesk.pages import (
    WORKER_NICENESS,
    lower_priority,
    make_record,
    prepare_page,
    process_page,
)
from newsdesk.store import Record, Store
from newsdesk.workers import ProcessPool

__all__ = [
    "WORKER_NICENESS",
    "ReextractReport",
    "RunReport",
    "add_source",
    "fetch_one",
    "next_check",
    "process_page",
    "reextract",
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
    """Follow ``url``: a feed, or a site or page whose feeds (or news sitemap) are found.
    When none is, the error says first why ``url`` itself is not a feed (a refused DTD, a
    truncated or compressed body, an HTML page), then what discovery tried."""
    result = fetcher.get(url)
    try:
        feed = parse_feed(result.body, result.final_url)
    except FeedParseError as exc:
        reason = _unprefixed(str(exc), result.final_url, url)
    else:
        if feed.entries or feed.title or getattr(feed, "children", ()):
            return store.add_source(
                result.final_url, kind=feed.kind, title=feed.title, site_url=feed.site_url, now=now
            )
        reason = "a feed with no title and no entries"
    tried: list[str] = []
    for candidate in discover_feeds(result.body, result.final_url):
        try:
            found = fetcher.get(candidate)
            feed = parse_feed(found.body, found.final_url)
        except (FetchError, FeedParseError) as exc:
            tried.append(f"{candidate} ({_unprefixed(str(exc), candidate)})")
            continue
        if feed.entries or feed.title:
            return store.add_source(
                found.final_url,
                kind=feed.kind,
                title=feed.title,
                site_url=feed.site_url or result.final_url,
                now=now,
            )
        tried.append(f"{candidate} (a feed with no title and no entries)")
    listed = "; ".join(tried[:3]) + ("; ..." if len(tried) > 3 else "")
    raise FeedParseError(
        f"{url}: {reason}. Discovery found no feed or news sitemap there either "
        f"({len(tried)} addresses tried{': ' + listed if tried else ''})"
    )


def _unprefixed(message: str, *urls: str) -> str:
    """``message`` without a leading "URL: " (the caller names the URL once)."""
    for url in urls:
        if message.startswith(url + ": "):
            return message[len(url) + 2 :]
    return message


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
    tripped: set[str] | None = None,
) -> _Page:
    """Fetch and extract an entry's page. Never raises: every failure, an unexpected one
    included, comes back on the ``_Page``; a page whose host failed earlier in the pass is
    not requested (``deferred``: it stays pending)."""
    entry_id, source_id, entry = item
    if not entry.url:
        return _Page(entry_id, source_id, entry, None, ExtractionError("entry has no URL"))
    host = _host(entry.url)
    failed_hosts: set[str] = tripped if tripped is not None else set()
    if host in failed_hosts:
        abandoned = FetchAbandoned(f"{entry.url}: its host failed this pass")
        return _Page(entry_id, source_id, entry, None, abandoned)
    try:
        page = _fetch_page(
            fetcher, extractors, item, dedupe=dedupe, give_up=lambda: host in failed_hosts
        )
        if page.error is not None and page.error.kind in _TRIPPING:
            failed_hosts.add(host)  # the host's pages still queued are abandoned, unrequested
        return page
    except Exception as exc:  # a bulkhead: one page's surprise is recorded on its entry
        log.exception("unexpected error on source=%s url=%s", source_id, entry.url)
        return _Page(entry_id, source_id, entry, None, _internal(exc))


def _fetch_page(
    fetcher: Fetcher,
    extractors: ProcessPool | None,
    item: tuple[int, int, FeedEntry],
    *,
    dedupe: bool,
    give_up: Callable[[], bool] | None = None,
) -> _Page:
    entry_id, source_id, entry = item
    assert entry.url is not None
    try:
        result = fetcher.get(entry.url, page=True, give_up=give_up)
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
        if fallback is not None and (fallback.text or entry.title) and (entry.url or fallback.url):
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
                make_record(fallback),
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
    error: NewsdeskError | None = None
    page: int = 1  # a paged feed's later pages (or a sitemap index's children): 2, 3, ...
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
    a paged feed's later page ``page`` (fetched whole: the validators are the first's).
    Never raises: an unexpected error is returned as an ``internal`` one."""
    try:
        return _fetch_and_parse(fetcher, extractors, source, page_url, page)
    except Exception as exc:  # a bulkhead: one source's surprise is recorded on it
        log.exception("unexpected error checking source=%s url=%s", source.id, page_url)
        return _Checked(source, error=_internal(exc), page=page, url=page_url)


def _fetch_and_parse(
    fetcher: Fetcher,
    extractors: ProcessPool | None,
    source: Source,
    page_url: str | None,
    page: int,
) -> _Checked:
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
    except (FeedParseError, ExtractionError) as exc:
        return _Checked(source, result, error=exc, page=page, url=page_url)
    return _Checked(source, result, feed, page=page, url=page_url)


class InternalError(NewsdeskError):
    """An unexpected error (a bug, or input nobody foresaw), recorded on its source or entry
    with the traceback in the log, so that the pass goes on."""

    kind = "internal"


def _internal(exc: BaseException) -> InternalError:
    message = str(exc)
    if len(message) > 300:
        message = message[:300] + "..."
    return InternalError(f"unexpected {type(exc).__name__}: {message}")


def _record_page(run: _Run, checked: _Checked, now: datetime) -> list[tuple[str, int]]:
    """Write what a paged feed's later page gave: the fetch log, its new entries, the next
    page to read when every entry was new, and the page's removal from the queue — in the
    one transaction, so an interruption leaves either this page queued or its successor.
    A page that fails stays queued (for the next pass) up to a few times. The pages to read
    next: ``(url, page)``."""
    store, report, source = run.store, run.report, checked.source
    url = checked.url or source.url
    result, feed, exc = checked.result, checked.feed, checked.error
    if feed is None:
        kind = getattr(exc, "kind", "parse")
        store.log_fetch(
            url=url,
            now=now,
            source_id=source.id,
            status=result.status if result else None,
            outcome="error",
            error_kind=kind,
        )
        dropped = store.fail_feed_page(
            source.id, url, error=str(exc), give_up_after=FEED_PAGE_TRIES
        )
        report.count_error(kind)
        log.warning(
            "fetch source=%s url=%s page=%d kind=%s error=%s%s",
            source.id,
            url,
            checked.page,
            kind,
            exc,
            f" (given up after {FEED_PAGE_TRIES} tries)" if dropped else " (read again next pass)",
        )
        return []
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
    following = _queue_following(run, checked, feed, new, now)
    store.finish_feed_page(source.id, url)
    return following


def _queue_following(
    run: _Run, checked: _Checked, feed: ParsedFeed, new: int, now: datetime
) -> list[tuple[str, int]]:
    """Queue (durably, in the caller's transaction) the pages to read after this one: a
    paged feed's next, older page when every entry of this one was new (one already seen
    means the pages from there on are known); a sitemap index's child sitemaps."""
    following: list[tuple[str, int]] = []
    children = tuple(getattr(feed, "children", ()) or ())
    if children and checked.page == 1:
        following = [(child, 2) for child in children[: run.settings.feed_pages]]
    elif (
        feed.next_url
        and feed.entries
        and new == len(feed.entries)
        and checked.page < run.settings.feed_pages
    ):
        following = [(feed.next_url, checked.page + 1)]
    for url, page in following:
        run.store.queue_feed_page(checked.source.id, url, page, now=now)
    return following


FEED_PAGE_TRIES = 5  # a queued feed page that fails this many passes in a row is dropped


def _record_check(run: _Run, checked: _Checked, now: datetime) -> list[tuple[str, int]]:
    """Write what a source's check found: its state, the fetch log, its new entries, and
    the pages to read next (queued durably in the same transaction); return those."""
    if checked.page > 1:
        return _record_page(run, checked, now)
    store, settings, report = run.store, run.settings, run.report
    source, result, feed, exc = checked.source, checked.result, checked.feed, checked.error
    if result is None:
        assert exc is not None
        kind = getattr(exc, "kind", "internal")
        retry = getattr(exc, "retry_after", None)
        store.record_check(
            source.id,
            now=now,
            error_kind=kind,
            error=str(exc),
            next_check=next_check(
                now, settings, error_count=source.error_count + 1, retry_after=retry
            ),
        )
        store.log_fetch(
            url=source.url, now=now, source_id=source.id, outcome="error", error_kind=kind
        )
        report.failed_sources += 1
        report.count_error(kind)
        log.warning(
            "fetch source=%s url=%s outcome=error kind=%s error=%s",
            source.id,
            source.url,
            kind,
            exc,
        )
        return []
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
        return []
    if feed is None:
        assert exc is not None
        store.record_check(
            source.id,
            now=now,
            error_kind=exc.kind,
            error=str(exc),
            next_check=next_check(now, settings, error_count=source.error_count + 1),
        )
        report.failed_sources += 1
        report.count_error(exc.kind)
        return []
    new = store.record_entries(source.id, feed.entries, now=now)
    report.new_entries += new
    following = _queue_following(run, checked, feed, new, now)
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
        error_kind="parse" if feed.problems and not feed.entries and not following else None,
        error="; ".join(feed.problems) or None,
    )
    return following


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


_DEFERRED = FetchAbandoned.kind
SLOW_CHECK = 2.0  # seconds: a check slower than this holds no later finished one back
_TRIPPING = ("timeout", "network")  # kinds of failure that make a host wait for the next pass


def _host(url: str | None) -> str:
    """The host (and port) a page is requested from: the fetcher's unit of politeness."""
    try:
        return urlsplit(url or "").netloc.lower()
    except ValueError:
        return ""


class _Pass:
    """One pass of the relay (``run_once``). Fetching and parsing run in the workers; this
    object, on the calling thread, is the one writer. No transaction is open while anything
    waits on the network: results are awaited first, then written in one transaction a
    batch, each page in a savepoint of its own (one page's surprise never undoes another's).

    Pending entries are taken round-robin across sources, each source's oldest first, so no
    source's backlog delays another's first pages; a host gets at most ``host_pass_seconds``
    of its politeness delay a pass, and a host whose page timed out or refused gets no more
    requests this pass: its other pages wait, pending, for the next one."""

    def __init__(
        self,
        run: _Run,
        pool: ThreadPoolExecutor,
        *,
        extractors: ProcessPool | None,
        clock: Clock,
        stop: Callable[[], bool],
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self.run, self.pool, self.extractors = run, pool, extractors
        self.clock, self.stop, self.progress = clock, stop, progress
        settings = run.settings
        self.batch = max(1, settings.workers) * 4
        # Checks in the order they were asked for, with when: recorded in that order (so the
        # entries' order, and what a pass stores, does not depend on the network's timing),
        # except that a check slower than SLOW_CHECK holds no later one back.
        self.checks: dict[Future[_Checked], float] = {}
        # Pages in flight, in the order the entries were taken, with when each was asked for.
        self.window: dict[Future[_Page], float] = {}
        self.host_of: dict[Future[_Page], str] = {}
        # Per host: pages in flight, and pages taken but held back until the host has a free
        # slot (a page waiting for its host's politeness delay would hold a worker thread).
        self.in_flight: dict[str, int] = {}
        self.held: dict[str, deque[tuple[int, int, FeedEntry]]] = {}
        self.held_count = 0
        self.per_host = max(1, settings.per_host_concurrency)
        self.pending: deque[tuple[int, int, FeedEntry]] = deque()
        self.after: dict[int, int] = {}  # per source: the last entry id taken (-1: paused)
        self.by_host: dict[str, int] = {}  # pages taken this pass, per host
        self.tripped: set[str] = set()  # hosts that failed: no more requests this pass
        self.pages_submitted: set[tuple[int, str]] = set()
        self.allowance = (
            max(1, int(settings.host_pass_seconds / settings.per_host_delay))
            if settings.per_host_delay > 0
            else None
        )
        self.exhausted = False  # the store has no more pending entries to give
        self.done = 0
        self.leftovers = run.store.pending_count()

    # -- feeds ----------------------------------------------------------------------------

    def check(self, source: Source, url: str | None = None, page: int = 1) -> None:
        if url is not None:
            if (source.id, url) in self.pages_submitted:
                return
            self.pages_submitted.add((source.id, url))
        future = self.pool.submit(_fetch_feed, self.run.fetcher, self.extractors, source, url, page)
        self.checks[future] = time.monotonic()

    def record_check(self, future: Future[_Checked]) -> None:
        del self.checks[future]
        checked = future.result()  # never raises: _fetch_feed returns its errors
        store = self.run.store
        try:
            with store.batch(), store.savepoint():
                following = _record_check(self.run, checked, self.clock())
        except StoreUnavailableError:  # the database itself: the pass cannot go on
            raise
        except Exception as exc:  # a bulkhead: recorded on the source, the pass goes on
            log.exception("unexpected error recording source=%s", checked.source.id)
            failed = _Checked(checked.source, error=_internal(exc), page=checked.page)
            failed = replace(failed, url=checked.url)
            with store.batch():
                following = _record_check(self.run, failed, self.clock())
        self.exhausted = False  # new entries may wait now
        if not self.stop():
            for url, page in following:
                self.check(checked.source, url, page)

    # -- pages ----------------------------------------------------------------------------

    def refill(self) -> None:
        """Keep two batches of pages in flight, taken fairly from the store: no more of a
        host's pages in flight than it has slots, the rest held until one frees."""
        for host in [h for h, queue in self.held.items() if queue]:
            while self.held[host] and self.in_flight.get(host, 0) < self.per_host:
                self.held_count -= 1
                self.submit(host, self.held[host].popleft())
        while len(self.window) < 2 * self.batch and not self.stop():
            if self.held_count >= 4 * self.batch:
                return  # enough taken: the held pages go as their hosts free
            if not self.pending and not self.read_pending():
                return
            item = self.pending.popleft()
            source_id, entry = item[1], item[2]
            host = _host(entry.url)
            if self.after.get(source_id) == -1:
                continue  # its source was paused (its host's share of the pass is used)
            if self.allowance is not None and self.by_host.get(host, 0) >= self.allowance:
                self.after[source_id] = -1  # the rest of its backlog waits for the next pass
                continue
            self.by_host[host] = self.by_host.get(host, 0) + 1
            if self.in_flight.get(host, 0) >= self.per_host:
                self.held.setdefault(host, deque()).append(item)
                self.held_count += 1
                continue
            self.submit(host, item)

    def submit(self, host: str, item: tuple[int, int, FeedEntry]) -> None:
        future = self.pool.submit(
            _fetch_entry,
            self.run.fetcher,
            self.extractors,
            item,
            dedupe=self.run.settings.dedupe,
            tripped=self.tripped,
        )
        self.window[future] = time.monotonic()
        self.host_of[future] = host
        self.in_flight[host] = self.in_flight.get(host, 0) + 1

    def finished_pages(self) -> list[Future[_Page]]:
        """The finished pages to write now, in the order they were taken: those before the
        first unfinished one, and any finished one past a page slower than ``SLOW_CHECK``."""
        ready: list[Future[_Page]] = []
        now = time.monotonic()
        for future, asked in self.window.items():
            if future.done():
                ready.append(future)
                if len(ready) >= self.batch:
                    break
            elif now - asked <= SLOW_CHECK:
                break
        for future in ready:
            del self.window[future]
            host = self.host_of.pop(future)
            self.in_flight[host] -= 1
        return ready

    def read_pending(self) -> bool:
        if self.exhausted:
            return False
        more = self.run.store.next_pending(self.after, per_source=self.batch, limit=4 * self.batch)
        for entry_id, source_id, _ in more:
            if self.after.get(source_id) != -1:
                self.after[source_id] = max(self.after.get(source_id, 0), entry_id)
        self.pending.extend(item for item in more if self.after.get(item[1]) != -1)
        self.exhausted = not more
        return bool(self.pending)

    def write(self, futures: list[Future[_Page]]) -> None:
        """Write finished pages: one transaction, each page in a savepoint of its own."""
        store, report = self.run.store, self.run.report
        with store.batch():  # writes finish even when asked to stop
            for future in futures:
                page = future.result()  # never raises: _fetch_entry returns its errors
                if page.error is not None and getattr(page.error, "kind", "") == _DEFERRED:
                    continue  # stays pending for the next pass
                self.write_page(page)
                self.done += 1
                if self.progress is not None:
                    total = max(self.leftovers + report.new_entries, self.done + len(self.window))
                    self.progress(self.done, total)

    def write_page(self, page: _Page) -> None:
        store, report, settings = self.run.store, self.run.report, self.run.settings
        try:
            with store.savepoint():
                _store_page(store, page, report, self.clock(), settings)
        except StoreUnavailableError:  # the database itself: the pass cannot go on
            raise
        except Exception as exc:  # a bulkhead: recorded on the entry, the pass goes on
            log.exception(
                "unexpected error storing source=%s url=%s", page.source_id, page.entry.url
            )
            error = _internal(exc)
            store.fail_entry(page.entry_id, error_kind=error.kind, error=str(error))
            report.failed_entries += 1
            report.count_error(error.kind)

    def run_pass(self, sources: list[Source]) -> None:
        store = self.run.store
        for source in sources:
            if self.stop():
                return
            self.run.report.sources += 1
            self.check(source)
        # The pages of paged feeds that an earlier pass queued and did not read (stopped,
        # killed, or the page failed): read them, whatever the first page says now.
        checked = {source.id: source for source in sources}
        for queued in store.feed_pages(list(checked)):
            self.check(checked[queued.source_id], queued.url, queued.page)
        while not self.stop():
            self.refill()
            if not self.window and not self.checks:
                if self.held_count:
                    continue  # (cannot happen: a held page's host has nothing in flight)
                if self.exhausted or not self.read_pending():
                    return
                continue
            # Pages are written in the order they were taken (as a single writer would
            # meet them); checks in the order they were asked for (see recordable).
            waiting: set[Future[Any]] = {check for check in self.checks if not check.done()}
            waiting.update(page for page in self.window if not page.done())
            if waiting and not any(page.done() for page in self.window):
                wait(waiting, timeout=SLOW_CHECK, return_when=FIRST_COMPLETED)
            for check in self.recordable():
                self.record_check(check)
            pages = self.finished_pages()
            if pages:
                self.write(pages)
            elif not self.recordable() and waiting:
                wait(waiting, timeout=SLOW_CHECK / 4, return_when=FIRST_COMPLETED)

    def recordable(self) -> list[Future[_Checked]]:
        """The finished checks to record now: those before the first unfinished one, and
        any finished one once that has taken longer than ``SLOW_CHECK``."""
        ready: list[Future[_Checked]] = []
        for check, asked in self.checks.items():
            if check.done():
                ready.append(check)
            elif time.monotonic() - asked <= SLOW_CHECK:
                break  # later ones wait their turn behind a check that is not slow (yet)
        return ready

    def cancel(self) -> None:
        for page in list(self.window):
            page.cancel()
        for check in self.checks:
            check.cancel()


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
    """One pass: check the sources (all, or only those due), read the feed pages earlier
    passes left queued, and process pending entries (including ones a killed earlier run
    left behind).

    It streams: the feeds are fetched and parsed in the workers while the pages of the
    feeds already recorded are fetched, extracted and written, so one slow or large feed
    does not hold the others' pages back. A bounded window of pages (two batches) is in
    flight while finished ones are written, one transaction a batch, never open while
    anything waits on the network. Entries wait in the store and are read from it a few
    batches at a time, round-robin across sources, so memory stays flat however many wait.
    One source, page or entry can fail in any way: it is recorded on it (an unexpected
    error as ``internal``, with its traceback in the log) and the pass goes on."""
    report = RunReport()
    run = _Run(store, fetcher, settings, report)
    sources = store.due_sources(clock()) if due_only else store.sources()
    if due_only:  # a source with queued feed pages is due for those
        queued = {page.source_id for page in store.feed_pages()}
        known = {source.id for source in sources}
        sources += [s for s in store.sources() if s.id in queued and s.id not in known]
    extractors = _extractor_pool(settings)
    # The threads finish (and stop calling the extraction processes) before those shut down.
    with (
        extractors or nullcontext(),
        ThreadPoolExecutor(max_workers=max(1, settings.workers)) as pool,
    ):
        one = _Pass(run, pool, extractors=extractors, clock=clock, stop=stop, progress=progress)
        try:
            one.run_pass(sources)
        finally:  # stopped: what is not stored stays for the next run
            one.cancel()
    return report


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
        article_id = store.store_article(make_record(article, result.body), now=now)
        store.record_sighting(article_id, source_id=None, url=result.final_url, now=now)
        if prints is not None:
            link_article(store, article_id, article, prints)
    return article_id

"""One pass of the relay (``run_once``): checks, pages and the one writer."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from newsdesk.config import Settings
from newsdesk.errors import (
    ExtractionError,
    FeedParseError,
    FetchAbandoned,
    FetchError,
    InternalError,
    NewsdeskError,
    StoreUnavailableError,
)
from newsdesk.feeds import parse_feed
from newsdesk.fetch import Fetcher
from newsdesk.fetch.schedule import next_check
from newsdesk.model import FeedEntry, FetchResult, Outcome, ParsedFeed, Source
from newsdesk.pipeline.page import lower_priority, prepare_fallback, prepare_page
from newsdesk.pipeline.processes import ProcessPool
from newsdesk.pipeline.sources import find_feed
from newsdesk.pipeline.write import FAILED, RunReport, _Page, store_page
from newsdesk.store import Store

log = logging.getLogger(__name__)


Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


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
        return _failed(extractors, item, ExtractionError("entry has no URL"), dedupe)
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
        return _failed(extractors, item, _internal(exc), dedupe)


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
        return _failed(extractors, item, exc, dedupe)
    if not compress:
        record = replace(record, page=result.compressed)
    return _Page(entry_id, source_id, entry, record, None, prints)


def _failed(
    extractors: ProcessPool | None,
    item: tuple[int, int, FeedEntry],
    error: NewsdeskError,
    dedupe: bool,
) -> _Page:
    """A page that failed, with the feed's own content for its entry made ready to store in
    its place (extracted where pages are: the writer only writes)."""
    entry_id, source_id, entry = item
    fallback = None
    if entry.content:
        try:
            if extractors is None:
                fallback = prepare_fallback(entry, dedupe)
            else:
                fallback = extractors.call(prepare_fallback, entry, dedupe)
        except Exception:  # a bulkhead: the entry is failed with its page's own error
            log.exception("unexpected error on the feed content of url=%s", entry.url)
    return _Page(entry_id, source_id, entry, None, error, fallback=fallback)


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
    moved_to: str | None = None  # the feed discovered at a source never yet read as one


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
        if page_url is None and source.kind is None:  # never read as a feed: a site?
            return _discover(fetcher, source, result)
        return _Checked(source, result, error=exc, page=page, url=page_url)
    return _Checked(source, result, feed, page=page, url=page_url)


def _discover(fetcher: Fetcher, source: Source, result: FetchResult) -> _Checked:
    """A source recorded without being read (the API's "follow", an OPML outline) whose
    URL is a page, not a feed: the feed its page links to, as ``newsdesk add`` finds it."""
    try:
        found, feed = find_feed(fetcher, source.url, result)
    except FeedParseError as failed:  # says why the page is no feed, and what was tried
        return _Checked(source, result, error=failed)
    return _Checked(source, found, feed, moved_to=found.final_url)


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
        kind = exc.kind if exc is not None else "parse"
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


def _moved(run: _Run, source: Source, feed_url: str, now: datetime) -> bool:
    """Follow the feed discovered at ``source``'s page under the same source; false (and
    recorded as the source's error) when that feed is already another source."""
    other = run.store.move_source(source.id, feed_url)
    if other is None:
        log.info("source=%s url=%s: following its feed %s", source.id, source.url, feed_url)
        return True
    run.store.record_check(
        source.id,
        now=now,
        error_kind="duplicate_source",
        error=f"its feed {feed_url} is already followed (source {other})",
        next_check=next_check(now, run.settings, error_count=source.error_count + 1),
    )
    run.report.failed_sources += 1
    run.report.count_error("duplicate_source")
    return False


def _record_check(run: _Run, checked: _Checked, now: datetime) -> list[tuple[str, int]]:
    """Write what a source's check found: its state, the fetch log, its new entries, and
    the pages to read next (queued durably in the same transaction); return those."""
    if checked.page > 1:
        return _record_page(run, checked, now)
    store, settings, report = run.store, run.settings, run.report
    source, result, feed, exc = checked.source, checked.result, checked.feed, checked.error
    if result is None:
        assert exc is not None
        kind = exc.kind
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
    if (
        checked.moved_to
        and checked.moved_to != source.url
        and not _moved(run, source, checked.moved_to, now)
    ):
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


def _story_keys(pages: list[_Page]) -> set[int]:
    """What the dedupe's decisions on ``pages`` read and write: their LSH bucket and probe
    keys, and their text keys (hashed to the same 64-bit space). A writer of other keys
    cannot meet these pages' stories."""
    keys: set[int] = set()
    for page in pages:
        prints = page.prints if page.record is not None else (page.fallback or (None, None))[1]
        if prints is None:
            continue
        keys.update(prints.copy_keys)
        keys.update(prints.event_keys)
        if prints.text_key:
            digest = hashlib.blake2b(prints.text_key.encode(), digest_size=8).digest()
            keys.add(int.from_bytes(digest, "big", signed=True))
    return keys


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
OTHERS_POLL = 0.25  # seconds between looks for entries while another relay checks sources
_TRIPPING = ("timeout", "network")  # kinds of failure that make a host wait for the next pass


class _PageSurprise(Exception):
    """A page raised while its batch was written without savepoints: the batch is rolled
    back and written again, a savepoint a page (``_Pass.write``)."""


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
        # One transaction, run again whole if the database's connection was lost under it
        # (PostgreSQL): what it counts is counted once it committed.
        following, counted = self.run.store.retried_batch(lambda _: self.record(checked))
        self.run.report.add(counted)
        self.exhausted = False  # new entries may wait now
        if not self.stop():
            for url, page in following:
                self.check(checked.source, url, page)

    def record(self, checked: _Checked) -> tuple[list[tuple[str, int]], RunReport]:
        """Record a check in the caller's transaction; the pages to read next, and what the
        check counted."""
        store, counted = self.run.store, RunReport()
        store.writing_stories(())  # a check decides no story's links
        run = replace(self.run, report=counted)
        try:
            with store.savepoint():
                return _record_check(run, checked, self.clock()), counted
        except StoreUnavailableError:  # the database itself: the pass cannot go on
            raise
        except Exception as exc:  # a bulkhead: recorded on the source, the pass goes on
            log.exception("unexpected error recording source=%s", checked.source.id)
            failed = _Checked(checked.source, error=_internal(exc), page=checked.page)
            failed = replace(failed, url=checked.url)
            counted = RunReport()
            run = replace(self.run, report=counted)
            return _record_check(run, failed, self.clock()), counted

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
        """Write finished pages: one transaction, each page as if in a savepoint of its own
        (one page's surprise undoes nothing of another's). The pages are written first
        without savepoints (on PostgreSQL each is a round trip to the server: a page's
        queued writes go with the next page's first statement instead); a page that raises
        then rolls the batch back, and it is written again with a savepoint a page, where
        that page alone fails. The transaction runs again whole if the database's
        connection was lost under it (PostgreSQL), past the pages an earlier run did commit
        (its commit's answer lost); the outcomes are counted once it committed."""
        store, report = self.run.store, self.run.report
        # (a deferred page stays pending for the next pass)
        pages = [future.result() for future in futures]  # never raise: errors come on them
        pages = [p for p in pages if p.error is None or p.error.kind != _DEFERRED]
        careful = False

        def attempt(number: int) -> list[Outcome]:
            store.writing_stories(_story_keys(pages))  # (PostgreSQL: lets other writers on)
            # Past the entries done already: by an earlier run of this transaction whose
            # commit's answer was lost, or by another relay that took them when their lease
            # ended before this one wrote them (a page written twice would overwrite a
            # duplicate's outcome). Read under the batch's story locks: a relay writing the
            # same pages commits first.
            pending = store.still_pending([page.entry_id for page in pages])
            todo = [page for page in pages if page.entry_id in pending]
            if careful:
                return [self.write_page(page) for page in todo]
            return [self.write_page_at_once(page) for page in todo]

        try:
            outcomes = store.retried_batch(attempt)  # writes finish even when asked to stop
        except _PageSurprise:  # rolled back: again, each page in a savepoint
            careful = True
            outcomes = store.retried_batch(attempt)
        for outcome in outcomes:
            report.count(outcome)
        self.done += len(pages)
        if self.progress is not None and pages:
            total = max(self.leftovers + report.new_entries, self.done + len(self.window))
            self.progress(self.done, total)

    def write_page_at_once(self, page: _Page) -> Outcome:
        """``store_page`` without a savepoint: any surprise (this page's, or a write the
        previous page queued) ends the batch's attempt (``_PageSurprise``)."""
        try:
            return store_page(self.run.store, page, self.clock(), self.run.settings)
        except StoreUnavailableError:  # the database itself: the pass cannot go on
            raise
        except Exception as exc:
            raise _PageSurprise(page.entry_id) from exc

    def write_page(self, page: _Page) -> Outcome:
        store, settings = self.run.store, self.run.settings
        try:
            with store.savepoint():
                return store_page(store, page, self.clock(), settings)
        except StoreUnavailableError:  # the database itself: the pass cannot go on
            raise
        except Exception as exc:  # a bulkhead: recorded on the entry, the pass goes on
            log.exception(
                "unexpected error storing source=%s url=%s", page.source_id, page.entry.url
            )
            error = _internal(exc)
            store.fail_entry(page.entry_id, error_kind=error.kind, error=str(error))
            return Outcome(kind=FAILED, reason=error.kind)

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
                    if not self.run.store.others_checking(self.clock()):
                        return
                    # another relay's checks may record entries yet (PostgreSQL): wait
                    time.sleep(OTHERS_POLL)
                    self.exhausted = False
                continue
            # Pages are written in the order they were taken (as a single writer would
            # meet them), checks recorded in the order they were asked for, each past one
            # slower than SLOW_CHECK (see finished_pages, recordable). When nothing could be
            # done, wait for the next thing to finish (and look at the slow ones again).
            recorded = self.recordable()
            for check in recorded:
                self.record_check(check)
            pages = self.finished_pages()
            if pages:
                self.write(pages)
            elif not recorded:
                waiting: set[Future[Any]] = {f for f in self.checks if not f.done()}
                waiting.update(page for page in self.window if not page.done())
                if waiting:
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
    store.claim_lease = timedelta(seconds=settings.claim_lease)
    if due_only:
        sources = store.due_sources(clock())
        # a source with queued feed pages is due for those
        queued = {page.source_id for page in store.feed_pages()}
        known = {source.id for source in sources}
        sources += [s for s in store.sources() if s.id in queued and s.id not in known]
    else:  # (several relays on PostgreSQL: each checks the sources no other one is checking)
        sources = store.take_sources(store.sources(), clock())
    extractors = _extractor_pool(settings)
    # The threads finish (and stop calling the extraction processes) before those shut down.
    with (
        extractors or nullcontext(),
        ThreadPoolExecutor(max_workers=max(1, settings.workers)) as pool,
    ):
        one = _Pass(run, pool, extractors=extractors, clock=clock, stop=stop, progress=progress)
        try:
            one.run_pass(sources)
        finally:  # stopped: what is not stored stays for the next run (or another relay)
            one.cancel()
            try:
                store.release_claims()
            except StoreUnavailableError as exc:  # (the database went away: the leases end)
                log.warning("could not give back this pass's claims: %s", exc)
    return report

"""The relay: ``run``, ``fetch``, ``reextract`` and ``demo``."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import click
from rich.progress import Progress

from newsdesk.cli.common import (
    _now,
    _open,
    _settings,
    _settings_options,
    main,
)
from newsdesk.config import Settings
from newsdesk.demo.generator import Newsroom
from newsdesk.demo.server import serve_newsroom
from newsdesk.errors import NewsdeskError
from newsdesk.fetch import Fetcher
from newsdesk.pipeline import RunReport, fetch_one, reextract, run_once
from newsdesk.pipeline.fire import max_age
from newsdesk.rules.deliver import delivering
from newsdesk.store import Store


def _report_line(report: RunReport) -> str:
    errors = ", ".join(f"{k} {v}" for k, v in sorted(report.errors.items())) or "none"
    return (
        f"sources checked {report.sources} (not modified {report.not_modified}, failed "
        f"{report.failed_sources}); new entries {report.new_entries}; stored {report.stored}"
        f" ({report.syndicated} syndicated copies); duplicates {report.duplicates}"
        f"; from feed content {report.fallbacks}; failed {report.failed_entries}; "
        f"errors: {errors}"
    )


def _run_pass(
    store: Store, fetcher: Fetcher, settings: Settings, *, due_only: bool, stop: Callable[[], bool]
) -> RunReport:
    if not sys.stderr.isatty():
        return run_once(store, fetcher, settings, due_only=due_only, stop=stop)
    with Progress(transient=True) as bar:
        task = bar.add_task("articles", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return run_once(store, fetcher, settings, due_only=due_only, stop=stop, progress=advance)


@main.command("run")
@click.option("--once", is_flag=True, help="One pass over every source, then exit.")
@_settings_options
def run_command(
    once: bool, db: str | None, config_path: Path | None, allow_private: bool | None
) -> None:
    """Poll due sources until stopped (Ctrl-C stops after in-flight writes finish).

    With --once, check every source once, process new entries and exit. A structured log line
    per fetch goes to stderr (a progress bar instead, on a terminal). The rules' deliveries
    are sent as they fall due (`newsdesk deliver`); with --once, what is due at the end is
    sent before it exits."""
    settings = _settings(db, config_path, allow_private)
    logging.getLogger("newsdesk").setLevel(logging.INFO)
    store = _open(settings)
    stopping = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stopping.set())
    try:
        with (
            store.relay_lock(),
            Fetcher(settings) as fetcher,
            delivering(settings, drain=once),  # Ctrl-C: only what is in flight finishes
        ):
            while True:
                report = _run_pass(
                    store, fetcher, settings, due_only=not once, stop=stopping.is_set
                )
                click.echo(_report_line(report), err=True)
                if once or stopping.wait(timeout=30):
                    break
    finally:
        signal.signal(signal.SIGINT, previous)


@main.command("fetch")
@click.argument("url")
@_settings_options
def fetch_command(
    url: str, db: str | None, config_path: Path | None, allow_private: bool | None
) -> None:
    """Fetch one page, extract it and store it; print its article id."""
    settings = _settings(db, config_path, allow_private)
    store = _open(settings)
    try:
        with Fetcher(settings) as fetcher:
            article_id = fetch_one(
                store,
                fetcher,
                url,
                now=_now(),
                dedupe=settings.dedupe,
                max_age=max_age(settings),
            )
    except NewsdeskError as exc:
        raise click.ClickException(f"{url}: {exc}") from exc
    click.echo(str(article_id))


@main.command("reextract")
@_settings_options
def reextract_command(db: str | None, config_path: Path | None, allow_private: bool | None) -> None:
    """Run the current extractor again over every stored raw page, then link every article
    again (duplicates, syndicated copies, story clusters) as a fresh ingest would."""
    settings = _settings(db, config_path, allow_private)
    store = _open(settings, create=False)
    report = reextract(store, dedupe=settings.dedupe)
    for article_id, why in report.failed:
        click.echo(f"newsdesk reextract: article {article_id}: {why}", err=True)
    click.echo(f"re-extracted {report.done} articles ({len(report.failed)} failed)")


@main.command("demo")
@click.option(
    "--articles",
    type=click.IntRange(min=5),
    default=200,
    show_default=True,
    help="Articles in the whole newsroom.",
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--db", metavar="PATH", default="demo.db", show_default=True)
def demo_command(articles: int, seed: int, db: str) -> None:
    """Serve the bundled demo newsroom on 127.0.0.1, follow its five outlets and ingest them.

    Prints a summary and the database path. Loopback addresses are allowed for this run."""
    logging.getLogger("newsdesk").setLevel(logging.WARNING)
    settings = Settings(
        db=db,
        allow_private_networks=True,
        per_host_delay=0.0,
        per_host_concurrency=4,
        min_interval=60,
    )
    store = _open(settings)
    room = Newsroom(seed=seed, articles=articles)
    with serve_newsroom(room) as running, Fetcher(settings) as fetcher:
        for url in running.feed_urls():
            source = store.add_source(url, now=_now())
            click.echo(f"following {source.url}")
        report = _run_pass(store, fetcher, settings, due_only=False, stop=lambda: False)
    click.echo(_report_line(report))
    counts = store.counts()
    click.echo(
        f"database: {Path(db).resolve()} ({counts['articles']} articles from "
        f"{counts['sources']} sources)"
    )

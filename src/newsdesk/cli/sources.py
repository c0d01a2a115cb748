"""Following sources: ``add``, ``import``, ``export``, ``sources``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from newsdesk.cli.common import (
    _add_row,
    _now,
    _open,
    _settings,
    _settings_options,
    _when,
    main,
)
from newsdesk.errors import NewsdeskError
from newsdesk.feeds import outlines_from_sources, read_opml, render_opml
from newsdesk.fetch import Fetcher
from newsdesk.pipeline import add_source


@main.command("add")
@click.argument("url")
@_settings_options
def add_command(
    url: str, db: str | None, config_path: Path | None, allow_private: bool | None
) -> None:
    """Follow URL: a feed (RSS, Atom, JSON Feed, news sitemap), or a site or page whose feeds
    are discovered (<link rel=alternate>, then common paths)."""
    settings = _settings(db, config_path, allow_private)
    store = _open(settings)
    try:
        with Fetcher(settings) as fetcher:
            source = add_source(store, fetcher, url, now=_now())
    except NewsdeskError as exc:  # its message names the URL (once)
        message = str(exc)
        raise click.ClickException(message if url in message else f"{url}: {message}") from exc
    click.echo(f"following source {source.id}: {source.url} ({source.kind}, {source.title})")


@main.command("import")
@click.argument("opml", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_settings_options
def import_command(
    opml: Path, db: str | None, config_path: Path | None, allow_private: bool | None
) -> None:
    """Follow every feed listed in an OPML file (no request is made until the next run).

    Folders become each source's category. Outlines that are not feeds, whose xmlUrl is not
    http(s) or that are listed twice are skipped, and each is reported on stderr."""
    settings = _settings(db, config_path, allow_private)
    try:
        found = read_opml(opml.read_bytes())
    except NewsdeskError as exc:
        raise click.ClickException(f"{opml}: {exc}") from exc
    store = _open(settings)
    for outline in found.outlines:
        store.add_source(
            outline.xml_url,
            title=outline.title,
            site_url=outline.html_url,
            category=outline.category,
            now=_now(),
        )
    for problem in found.problems:
        click.echo(f"newsdesk import: {opml}: mended: {problem}", err=True)
    for skipped in found.skipped:
        click.echo(f"newsdesk import: skipped {skipped.text!r}: {skipped.reason}", err=True)
    line = f"imported {len(found.outlines)} sources from {opml}"
    if found.skipped:
        reasons = Counter(s.reason.split(":")[0] for s in found.skipped)
        why = ", ".join(f"{count} {reason}" for reason, count in reasons.most_common())
        line += f"; skipped {len(found.skipped)} outlines ({why})"
    click.echo(line)


@main.command("export")
@_settings_options
def export_command(db: str | None, config_path: Path | None, allow_private: bool | None) -> None:
    """Print the followed sources as OPML: what another reader can follow (news sitemaps are
    left out, and named on stderr), with folders from each source's category."""
    store = _open(_settings(db, config_path, allow_private), read_only=True)
    outlines, left = outlines_from_sources(store.sources())
    click.echo(render_opml(outlines), nl=False)
    for source in left:
        click.echo(
            f"newsdesk export: not listed: {source.url} ({source.kind}: other readers cannot "
            "follow it)",
            err=True,
        )


@main.command("sources")
@_settings_options
def sources_command(db: str | None, config_path: Path | None, allow_private: bool | None) -> None:
    """Each source with its last check, next check, last error kind and article count."""
    store = _open(_settings(db, config_path, allow_private), read_only=True)
    table = Table("id", "url", "kind", "last check", "next check", "error", "articles")
    for s in store.sources():
        error = f"{s.last_error_kind} ×{s.error_count}" if s.last_error_kind else ""
        _add_row(
            table,
            str(s.id),
            s.url,
            s.kind or "?",
            _when(s.last_check),
            _when(s.next_check),
            error,
            str(s.article_count),
        )
    Console().print(table)

"""Reading the store: ``articles``, ``clusters``, ``show``, ``search``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from newsdesk.cli.common import (
    _add_row,
    _open,
    _settings,
    _settings_options,
    _when,
    main,
)
from newsdesk.model import article_to_dict, article_to_json
from newsdesk.render import render_markdown, render_text


@main.command("articles")
@click.option("--source", "source_id", type=int, help="Only this source's articles.")
@click.option("--since", type=click.DateTime(), help="Only articles published since (UTC).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(("table", "jsonl")), default="table", show_default=True
)
@_settings_options
def articles_command(
    source_id: int | None,
    since: datetime | None,
    limit: int,
    fmt: str,
    db: str | None,
    config_path: Path | None,
    allow_private: bool | None,
) -> None:
    """List stored articles, newest first."""
    store = _open(_settings(db, config_path, allow_private), read_only=True)
    rows = store.articles(
        source_id=source_id, limit=limit, since=since.replace(tzinfo=UTC) if since else None
    )
    if fmt == "jsonl":
        for article_id, _, article in rows:
            click.echo(
                json.dumps({"id": article_id, **article_to_dict(article)}, ensure_ascii=False)
            )
        return
    table = Table("id", "source", "published", "title")
    for article_id, source, article in rows:
        _add_row(
            table,
            str(article_id),
            str(source or "–"),
            _when(article.published),
            article.title or "(untitled)",
        )
    Console().print(table)


@main.command("clusters")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option(
    "--min-size",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Only clusters with at least this many articles.",
)
@click.option(
    "--format", "fmt", type=click.Choice(("table", "jsonl")), default="table", show_default=True
)
@_settings_options
def clusters_command(
    limit: int,
    min_size: int,
    fmt: str,
    db: str | None,
    config_path: Path | None,
    allow_private: bool | None,
) -> None:
    """List story clusters (copies and coverage of one event), most recently active first.

    A cluster's id is its representative's article id (the earliest original)."""
    store = _open(_settings(db, config_path, allow_private), read_only=True)
    clusters = store.clusters(limit=limit, min_size=min_size)
    if fmt == "jsonl":
        for c in clusters:
            members = store.cluster_members(c.id)
            record = {
                "id": c.id,
                "size": c.size,
                "sources": c.sources,
                "title": c.representative.article.title,
                "articles": [
                    {"id": m.id, "original_id": m.original_id, "url": m.article.url}
                    for m in members
                ],
            }
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    table = Table("cluster", "articles", "sources", "newest", "representative")
    for c in clusters:
        _add_row(
            table,
            str(c.id),
            str(c.size),
            str(c.sources),
            c.newest[:16],
            c.representative.article.title or "(untitled)",
        )
    Console().print(table)


@main.command("show")
@click.argument("article_id", type=int)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("json", "text", "markdown")),
    default="text",
    show_default=True,
)
@_settings_options
def show_command(
    article_id: int, fmt: str, db: str | None, config_path: Path | None, allow_private: bool | None
) -> None:
    """Print one stored article."""
    store = _open(_settings(db, config_path, allow_private), read_only=True)
    article = store.article(article_id)
    if article is None:
        raise click.ClickException(f"no article {article_id}")
    if fmt == "json":
        click.echo(article_to_json(article, indent=2))
    else:
        click.echo((render_text if fmt == "text" else render_markdown)(article), nl=False)


@main.command("search")
@click.argument("query")
@click.option("--limit", type=click.IntRange(min=1, max=1000), default=20, show_default=True)
@_settings_options
def search_command(
    query: str, limit: int, db: str | None, config_path: Path | None, allow_private: bool | None
) -> None:
    """Full-text search over titles and text (best matches first)."""
    store = _open(_settings(db, config_path, allow_private), read_only=True)
    for hit in store.search(query, limit=limit):
        click.echo(f"{hit.article_id}\t{hit.title or '(untitled)'}\n\t{hit.snippet}")

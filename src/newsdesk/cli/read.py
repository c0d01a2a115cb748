"""Reading the store: ``articles``, ``clusters``, ``show``, ``search``."""

from __future__ import annotations

import json
from collections.abc import Iterator
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
from newsdesk.model import Article, article_to_dict, article_to_json
from newsdesk.render import render_markdown, render_text
from newsdesk.store import ArticleQuery, Store


@main.command("articles")
@click.option("--source", "source_id", type=int, help="Only this source's articles.")
@click.option("--since", type=click.DateTime(), help="Only articles published since (UTC).")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="At most this many (0: every article, read a page at a time).",
)
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
    rows = _articles(store, source_id, since.replace(tzinfo=UTC) if since else None, limit or None)
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


def _articles(
    store: Store, source_id: int | None, since: datetime | None, limit: int | None
) -> Iterator[tuple[int, int | None, Article]]:
    """Newest first, ``limit`` of them (None: all), read a page at a time."""
    after: tuple[str, int] | None = None
    left = limit
    while left is None or left > 0:
        page = min(500, left) if left is not None else 500
        query = ArticleQuery(source_id=source_id, since=since, limit=page, after=after)
        rows = store.list_articles(query)
        for row in rows:
            yield row.id, row.source_id, row.article
        if len(rows) < page:
            return
        after = (rows[-1].sort_at, rows[-1].id)
        if left is not None:
            left -= len(rows)


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

    A cluster's id is its representative's article id (the earliest original). Each shows
    its size, the outlets that carried it and when its first and last articles were
    published (else fetched)."""
    store = _open(_settings(db, config_path, allow_private), read_only=True)
    clusters = store.clusters(limit=limit, min_size=min_size)
    metas = {c.id: store.cluster_meta(c.id) for c in clusters}
    if fmt == "jsonl":
        for c in clusters:
            members = store.cluster_members(c.id)
            meta = metas[c.id]
            record = {
                "id": c.id,
                "size": c.size,
                "sources": c.sources,
                "outlets": meta.outlets if meta else [],
                "first": meta.first.isoformat() if meta and meta.first else None,
                "last": meta.last.isoformat() if meta and meta.last else None,
                "title": c.representative.article.title,
                "articles": [
                    {"id": m.id, "original_id": m.original_id, "url": m.article.url}
                    for m in members
                ],
            }
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    table = Table("cluster", "articles", "outlets", "first", "last", "representative")
    for c in clusters:
        meta = metas[c.id]
        outlets = meta.outlets if meta else []
        shown = ", ".join(outlets[:3]) + (f" +{len(outlets) - 3}" if len(outlets) > 3 else "")
        _add_row(
            table,
            str(c.id),
            str(c.size),
            f"{len(outlets)}: {shown}" if outlets else str(c.sources),
            _minute(meta.first if meta else None),
            _minute(meta.last if meta else None) or c.newest[:16],
            c.representative.article.title or "(untitled)",
        )
    Console().print(table)


def _minute(when: datetime | None) -> str:
    return when.isoformat(sep=" ")[:16] if when else ""


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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "table", "jsonl")),
    default="text",
    show_default=True,
    help="jsonl: one JSON object a hit (id, source_id, title, url, published, snippet, rank).",
)
@_settings_options
def search_command(
    query: str,
    limit: int,
    fmt: str,
    db: str | None,
    config_path: Path | None,
    allow_private: bool | None,
) -> None:
    """Full-text search over titles and text (best matches first), in the query syntax of
    docs/search.md: words, "phrases", -exclusion, OR, source:, lang:, author:, since:."""
    store = _open(_settings(db, config_path, allow_private), read_only=True)
    hits = store.search(query, limit=limit)
    if fmt == "jsonl":
        for hit in hits:
            record = {
                "id": hit.article_id,
                "source_id": hit.source_id,
                "title": hit.title,
                "url": hit.url,
                "published": hit.published.isoformat() if hit.published else None,
                "snippet": hit.snippet,
                "rank": hit.rank,
            }
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    if fmt == "table":
        table = Table("id", "source", "published", "title", "snippet")
        for hit in hits:
            _add_row(
                table,
                str(hit.article_id),
                str(hit.source_id or "–"),
                _when(hit.published),
                hit.title or "(untitled)",
                hit.snippet,
            )
        Console().print(table)
        return
    for hit in hits:
        click.echo(f"{hit.article_id}\t{hit.title or '(untitled)'}\n\t{hit.snippet}")

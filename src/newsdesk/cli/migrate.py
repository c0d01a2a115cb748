"""Moving a store between backends: ``migrate-db``."""

from __future__ import annotations

import click

from newsdesk.cli.common import main
from newsdesk.errors import StoreError
from newsdesk.store import open_store
from newsdesk.store.copy import copy_store


@main.command("migrate-db")
@click.option("--from", "source", required=True, metavar="PATH|URL", help="The store to copy.")
@click.option(
    "--to", "target", required=True, metavar="PATH|URL", help="The store to copy it into."
)
def migrate_db_command(source: str, target: str) -> None:
    """Copy a store into another: a SQLite file into PostgreSQL (or back, or any pair).

    Every table is copied with its ids (sources, entries, articles with their raw pages,
    links, clusters, sightings, the fetch log, rules and deliveries), and the search index is
    made anew on the target. Stopped at any point, the same command takes the copy up where
    the target ends. At the end each table's rows are counted on both sides: a difference
    is an error (exit 1)."""
    try:
        src = open_store(source, create=False)
        dst = open_store(target)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    copied = copy_store(src, dst)
    src.close()
    dst.close()
    short = [c for c in copied if not c.complete]
    for c in copied:
        mark = "ok" if c.complete else "DIFFERS"
        click.echo(f"{c.table:18} {c.source_rows:>10} → {c.target_rows:>10}  {mark}")
    if short:
        names = ", ".join(c.table for c in short)
        raise click.ClickException(
            f"the target's counts differ from the source's ({names}): it held other rows "
            "already, or the source changed during the copy; copy into an empty database"
        )
    click.echo("copied and verified: every table has as many rows on both sides")

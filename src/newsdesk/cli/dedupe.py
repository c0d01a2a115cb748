"""``newsdesk dedupe``: link a JSON Lines corpus's duplicates, copies and clusters."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsdesk.cli.common import (
    main,
)


@main.command("dedupe")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the records (default: standard output).",
)
@click.option("--text-field", default="text", show_default=True, help="The field with the text.")
@click.option("--id-field", default="id", show_default=True, help="The field with the id.")
@click.option("--url-field", default="url", show_default=True, help="The field with the URL.")
@click.option(
    "--time-field",
    default="published",
    show_default=True,
    help="The publication time (ISO 8601, RFC 2822 or epoch seconds).",
)
@click.option("--title-field", default="title", show_default=True, help="The headline field.")
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes fingerprinting records in the first pass.",
)
def dedupe_command(
    source: Path,
    out: Path | None,
    text_field: str,
    id_field: str,
    url_field: str,
    time_field: str,
    title_field: str,
    processes: int,
) -> None:
    """Link the duplicates, syndicated copies and story clusters of a JSON Lines corpus.

    Each record is written again with `duplicate_of` (the id of the record it repeats
    exactly: same canonical URL or same normalised text), `original_id` (for a copy
    syndicated from another record: that record's id), `cluster_id` (the id of its story
    cluster's representative) and `dedupe` (original, duplicate, syndicated or error).
    Records without an id or text, or with a text over 10 MB, are passed through marked
    with `dedupe_error`. Two streaming passes; memory holds ~250 bytes a record. The same
    records in any order get the same links. Counts of each outcome go to standard error."""
    from newsdesk.batch.dedupe import DedupeFields, dedupe_corpus  # noqa: PLC0415

    fields = DedupeFields(
        text=text_field, id=id_field, url=url_field, time=time_field, title=title_field
    )
    handle = out.open("w", encoding="utf-8") if out else sys.stdout
    try:
        report = dedupe_corpus(source, handle, fields=fields, processes=processes)
    finally:
        if out:
            handle.close()
    outcomes: dict[str, int] = dict(report.outcomes or {})
    summary = ", ".join(f"{count} {name}" for name, count in sorted(outcomes.items()))
    click.echo(
        f"newsdesk dedupe: {report.records} records: {summary or 'none'}; "
        f"{report.clusters} story clusters",
        err=True,
    )
    for reason, count in sorted((report.errors or {}).items()):
        click.echo(f"newsdesk dedupe: {count} × {reason}", err=True)

"""``newsdesk extract`` and ``newsdesk clean``: one page or text in, Articles out."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import click

from newsdesk.batch.clean import CorpusOptions, clean_corpus
from newsdesk.clean import clean_text
from newsdesk.cli.common import (
    main,
)
from newsdesk.compression import GzipError, gunzip_bounded
from newsdesk.errors import NewsdeskError
from newsdesk.extract import ExtractOptions, extract
from newsdesk.extract.decode import Decoded, decode_text_bytes
from newsdesk.fetch import get_page
from newsdesk.model import Article, article_to_dict, article_to_json
from newsdesk.render import render_markdown, render_text
from newsdesk.urls import is_http_url

FORMATS = ("json", "jsonl", "text", "markdown")
MAX_INPUT_BYTES = 200_000_000


def _read_local(source: str, what: str) -> bytes:
    """The bytes of a file (gzip-compressed when it ends in .gz) or of stdin for ``-``,
    at most MAX_INPUT_BYTES of them, decompressed. ``what`` says what else may be given."""
    if source == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        path = Path(source)
        if not path.is_file():
            raise NewsdeskError(f"no such file (give a path, '-' for stdin{what})")
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise NewsdeskError(f"file is larger than {MAX_INPUT_BYTES} bytes")
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = _gunzip(data)
    if len(data) > MAX_INPUT_BYTES:
        raise NewsdeskError(f"input is larger than {MAX_INPUT_BYTES} bytes")
    return data


def _gunzip(data: bytes) -> bytes:
    """Decompress, refusing to inflate past MAX_INPUT_BYTES (a gzip bomb stays small)."""
    try:
        return gunzip_bounded(data, MAX_INPUT_BYTES)
    except GzipError as exc:
        raise NewsdeskError(f"gzip file: {exc}") from exc


def _read_input(source: str) -> tuple[bytes, str | None, str | None]:
    """The page behind one input (file, ``-`` or http(s) URL): its bytes, the URL it came
    from and the charset its server declared (the Article records how it was decoded)."""
    if is_http_url(source):
        page = get_page(source)
        return page.body, page.url, page.charset
    return _read_local(source, ", or an http(s) URL"), None, None


def _emit(articles: list[Article], fmt: str) -> None:
    if fmt == "jsonl":
        return  # printed as each input finishes
    if fmt == "json":
        payload = (
            article_to_dict(articles[0])
            if len(articles) == 1
            else [article_to_dict(a) for a in articles]
        )
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    render = render_text if fmt == "text" else render_markdown
    click.echo("\n\n".join(render(a).rstrip("\n") for a in articles))


@main.command("extract")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "--url",
    "original_url",
    metavar="URL",
    help="The page's original URL (resolves relative links; the fallback canonical URL). "
    "Only with a single file or stdin input.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="json",
    show_default=True,
    help="json: one Article object (an array for several inputs); jsonl: one Article per line "
    "as each input finishes, with fetched_url set to the input; text or markdown: for reading.",
)
def extract_command(inputs: tuple[str, ...], original_url: str | None, fmt: str) -> None:
    """Extract the article from each INPUT and print it.

    INPUT is an HTML file (.html, .htm, or gzip-compressed .html.gz), '-' for standard
    input, or an http(s) URL (fetched with one plain GET).

    Exit status: 0 when every input was extracted, 1 when some failed (each failure is
    reported on stderr with its input and the reason; the other inputs are still
    processed), 2 for a usage error.
    """
    if original_url is not None:
        if len(inputs) > 1:
            raise click.UsageError("--url applies to a single input; give one INPUT with it")
        if not is_http_url(original_url):
            raise click.BadParameter("must be an absolute http(s) URL", param_hint="--url")

    def one(source: str) -> Article:
        page, fetched, charset = _read_input(source)
        article = extract(
            page, url=original_url or fetched, options=ExtractOptions(charset=charset)
        )
        return replace(article, fetched_url=fetched or source)

    _each("extract", inputs, fmt, one)


def _each(command: str, inputs: tuple[str, ...], fmt: str, make: Callable[[str], Article]) -> None:
    """Make an Article from each input and print them; a failure is reported on stderr with
    its input and the others still run; exit 1 if any failed."""
    articles: list[Article] = []
    failed = 0
    for name in inputs:
        try:
            article = make(name)
        except (NewsdeskError, OSError) as exc:
            failed += 1
            click.echo(f"newsdesk {command}: {name}: {exc}", err=True)
            continue
        if fmt == "jsonl":
            click.echo(article_to_json(article))
        else:
            articles.append(article)
    if articles:
        _emit(articles, fmt)
    if failed:
        sys.exit(1)


def _read_text(source: str) -> Decoded:
    """A text file decoded (a BOM, UTF-16, UTF-8 or a detected code page: decode_text_bytes)."""
    return decode_text_bytes(_read_local(source, ""))


def _clean_one(name: str, url: str | None, source: str | None) -> Article:
    decoded = _read_text(name)
    article = clean_text(decoded.text, url=url, source=source)
    return replace(article, decoding=decoded.decoding)


@main.command("clean")
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@click.option("--url", "original_url", metavar="URL", help="Where the text came from.")
@click.option("--source", metavar="NAME", help="The outlet or feed the text came from.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("json", "jsonl", "text")),
    default="json",
    show_default=True,
    help="json: one Article (an array for several inputs); jsonl: one per line; text.",
)
@click.option(
    "--corpus",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Clean a JSON Lines corpus instead: learn each source's boilerplate, then clean "
    "every record. Needs --by and --out.",
)
@click.option(
    "--by", "by_field", metavar="FIELD", help="With --corpus: the record field naming the source."
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="With --corpus: output JSONL."
)
@click.option(
    "--text-field",
    default="text",
    show_default=True,
    help="With --corpus: the field with the text.",
)
@click.option(
    "--min-count",
    type=click.IntRange(min=2),
    default=3,
    show_default=True,
    help="With --corpus: a line or sentence in at least this many of a source's records is "
    "that source's boilerplate.",
)
@click.option(
    "--week-field",
    metavar="FIELD",
    help="With --corpus: a date field; boilerplate is then learnt per source and ISO week.",
)
def clean_command(
    inputs: tuple[str, ...],
    original_url: str | None,
    source: str | None,
    fmt: str,
    corpus: Path | None,
    by_field: str | None,
    out: Path | None,
    text_field: str,
    min_count: int,
    week_field: str | None,
) -> None:
    """Repair plain text that a relay damaged, and print it as an Article.

    Removes teaser, promo, advertisement, share, comment, credit and cookie lines; cuts post
    URLs glued onto sentences out into embeds; turns relay footers and wire credits into
    provenance; finds quotes and their speakers. INPUT is a text file (or .gz) or '-' for
    standard input.

    With --corpus, streams a JSON Lines file twice: first to learn each source's boilerplate
    (lines and sentences recurring in at least --min-count of its records), then to write
    every record to --out with its text cleaned and the Article fields added. A bad record
    is reported on stderr and written through with a "clean_error" field.

    Exit status: 0 when every input was cleaned, 1 when some failed, 2 for a usage error.
    """
    if corpus is not None:
        if inputs:
            raise click.UsageError("give either INPUT files or --corpus, not both")
        if not by_field or out is None:
            raise click.UsageError("--corpus needs --by FIELD and --out FILE")
        options = CorpusOptions(
            by=by_field, text_field=text_field, min_count=min_count, week_field=week_field
        )
        try:
            counts = clean_corpus(corpus, out, options, report=_report_bad_record)
        except (OSError, NewsdeskError) as exc:
            raise click.ClickException(str(exc)) from exc
        summary = ", ".join(f"{name} {number}" for name, number in counts.items())
        click.echo(f"newsdesk clean: {summary}", err=True)
        if counts.get("failed"):
            sys.exit(1)
        return
    if not inputs:
        raise click.UsageError("give INPUT files, '-' for stdin, or --corpus")
    if original_url is not None and len(inputs) > 1:
        raise click.UsageError("--url applies to a single input; give one INPUT with it")
    _each(
        "clean",
        inputs,
        fmt,
        lambda name: _clean_one(name, original_url, source),
    )


def _report_bad_record(line_number: int, reason: str) -> None:
    click.echo(f"newsdesk clean: record {line_number}: {reason}", err=True)

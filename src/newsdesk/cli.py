"""The ``newsdesk`` command line: thin click commands over the library; the only place that
prints (DESIGN §2)."""

from __future__ import annotations

import json
import logging
import re
import signal
import sys
import threading
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from newsdesk import __version__
from newsdesk.batch.clean import CorpusOptions, clean_corpus
from newsdesk.clean import clean_text
from newsdesk.config import Settings, load_settings
from newsdesk.demo.generator import Newsroom
from newsdesk.demo.server import serve_newsroom
from newsdesk.errors import ConfigError, NewsdeskError, StoreError, StoreUnavailableError
from newsdesk.extract import ExtractOptions, extract
from newsdesk.extract.decode import Decoded, decode_text_bytes
from newsdesk.feeds import outlines_from_sources, read_opml, render_opml
from newsdesk.fetch import Fetcher, get_page
from newsdesk.model import Article, article_to_dict, article_to_json
from newsdesk.pipeline import RunReport, add_source, fetch_one, reextract, run_once
from newsdesk.render import render_markdown, render_text
from newsdesk.store import Store, open_reader, open_store
from newsdesk.urls import is_http_url

__all__ = ["main"]

FORMATS = ("json", "jsonl", "text", "markdown")
MAX_INPUT_BYTES = 200_000_000
# Control characters (ESC among them) that a terminal would act on, never printed from data.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class _Group(click.Group):
    """The command group: an error of ours that a command did not handle ends it with its
    message (``Error: ...``, exit 1), never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewsdeskError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="newsdesk")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
def main(verbose: int) -> None:
    """newsdesk: turn news pages into clean, structured Articles.

    Run `newsdesk COMMAND --help` for the options of each command.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


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
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, MAX_INPUT_BYTES + 1)
    except zlib.error as exc:
        raise NewsdeskError(f"not a valid gzip file: {exc}") from exc
    if len(out) > MAX_INPUT_BYTES:
        raise NewsdeskError(f"decompresses to more than {MAX_INPUT_BYTES} bytes")
    if not inflater.eof:
        raise NewsdeskError("not a valid gzip file: truncated")
    return out


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


# -- the relay --------------------------------------------------------------------------------


def _settings_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--db, --config and --allow-private-networks for every command that uses the store."""
    func = click.option(
        "--allow-private-networks",
        "allow_private",
        is_flag=True,
        default=None,
        help="Allow requests to private and loopback addresses "
        "(env NEWSDESK_ALLOW_PRIVATE_NETWORKS=1).",
    )(func)
    func = click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="A TOML settings file (see docs/settings.md).",
    )(func)
    return click.option(
        "--db", metavar="PATH", help="SQLite database (env NEWSDESK_DB; default ./newsdesk.db)."
    )(func)


def _settings(db: str | None, config_path: Path | None, allow_private: bool | None) -> Settings:
    try:
        return load_settings(
            toml_path=config_path,
            overrides={"db": db, "allow_private_networks": allow_private},
        )
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


def _open(settings: Settings, *, create: bool = True, read_only: bool = False) -> Store:
    """The store; for a ``read_only`` command, a read-only connection when the database
    cannot be written (a read-only file system, a full disk)."""
    try:
        return open_store(settings.db, create=create and not read_only)
    except StoreUnavailableError as exc:
        if read_only:
            try:
                return open_reader(settings.db)
            except StoreError:
                pass
        raise click.ClickException(str(exc)) from exc
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc


def _now() -> datetime:
    return datetime.now(UTC)


def _add_row(table: Table, *values: str) -> None:
    """A table row whose cells are plain text: a title from the web is never console
    markup (``[/bold]`` would end the table's output, ``[link=javascript:…]`` make a
    terminal hyperlink), and its control characters are dropped."""
    table.add_row(*(Text(_CONTROL_CHARS.sub("", value)) for value in values))


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


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "–"


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
    per fetch goes to stderr (a progress bar instead, on a terminal)."""
    settings = _settings(db, config_path, allow_private)
    logging.getLogger("newsdesk").setLevel(logging.INFO)
    store = _open(settings)
    stopping = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stopping.set())
    try:
        with store.relay_lock(), Fetcher(settings) as fetcher:
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
            article_id = fetch_one(store, fetcher, url, now=_now(), dedupe=settings.dedupe)
    except NewsdeskError as exc:
        raise click.ClickException(f"{url}: {exc}") from exc
    click.echo(str(article_id))


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


@main.command("serve")
@click.option("--host", help="Address to listen on (setting host; default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (setting port; default 8080).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Server processes (each reads the database; more use more cores).",
)
@click.option(
    "--server",
    type=click.Choice(["uvicorn", "granian"]),
    default="uvicorn",
    show_default=True,
    help="The ASGI server: uvicorn, or granian (Rust I/O: more requests/s on cached answers, "
    "a shorter tail; docs/serving.md).",
)
@_settings_options
def serve_command(
    host: str | None,
    port: int | None,
    workers: int,
    server: str,
    db: str | None,
    config_path: Path | None,
    allow_private: bool | None,
) -> None:
    """Serve the web reader, the JSON API (/api, OpenAPI at /api/openapi.json) and the
    full-text feeds (/feeds) over the database, until Ctrl-C.

    The database must exist (`newsdesk run` or `newsdesk demo` makes one). Writing through
    the API (adding and deleting sources) needs the api_token setting."""
    from newsdesk.serve.app import app_from_settings  # noqa: PLC0415 (loads only here)
    from newsdesk.serve.server import Server, run_server  # noqa: PLC0415

    try:
        settings = load_settings(
            toml_path=config_path,
            overrides={
                "db": db,
                "allow_private_networks": allow_private,
                "host": host,
                "port": port,
            },
        )
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    try:
        app = app_from_settings(settings)  # fails here, with a clear message, if it cannot
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"newsdesk reader: http://{settings.host}:{settings.port}/  (Ctrl-C stops)")
    run_server(settings, app, workers=workers, server=cast(Server, server))


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


if __name__ == "__main__":
    main()

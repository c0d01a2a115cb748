"""What every command shares: the command group, the settings options, opening the store
and printing a table of text from the web."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from newsdesk import __version__
from newsdesk.config import Settings, load_settings
from newsdesk.errors import ConfigError, NewsdeskError, StoreError, StoreUnavailableError
from newsdesk.store import Store, open_reader, open_store

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
        "--db",
        metavar="PATH|URL",
        help="SQLite file, or PostgreSQL URL (env NEWSDESK_DB; default ./newsdesk.db).",
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
        return _closed_with_command(open_store(settings.db, create=create and not read_only))
    except StoreUnavailableError as exc:
        if read_only:
            try:
                return _closed_with_command(open_reader(settings.db))
            except StoreError:
                pass
        raise click.ClickException(str(exc)) from exc
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc


def _closed_with_command(store: Store) -> Store:
    """The store, closed when the command ends (a PostgreSQL connection is given back)."""
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(store.close)
    return store


def _now() -> datetime:
    return datetime.now(UTC)


def _add_row(table: Table, *values: str) -> None:
    """A table row whose cells are plain text: a title from the web is never console
    markup (``[/bold]`` would end the table's output, ``[link=javascript:…]`` make a
    terminal hyperlink), and its control characters are dropped."""
    table.add_row(*(Text(_CONTROL_CHARS.sub("", value)) for value in values))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "–"

"""``newsdesk serve``: the reader, the API and the feeds."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from newsdesk.cli.common import (
    _settings_options,
    main,
)
from newsdesk.config import load_settings
from newsdesk.errors import ConfigError, StoreError


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

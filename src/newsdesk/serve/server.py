"""Running the app: `newsdesk serve` on uvicorn or granian, in one process or several.

Several processes (``workers`` > 1) each build their own app from ``NEWSDESK_*``
environment variables (``app.app_from_environment``), which this sets from ``settings``:
every process serves with exactly the settings the command was given.
"""

from __future__ import annotations

import os
from typing import Literal

from newsdesk.config import SETTINGS, Settings

__all__ = ["SERVERS", "Server", "run_server"]

Server = Literal["uvicorn", "granian"]
SERVERS: tuple[Server, ...] = ("uvicorn", "granian")
_FACTORY = "newsdesk.serve.app:app_from_environment"


def _export(settings: Settings) -> None:
    for setting in SETTINGS:
        value = getattr(settings, setting.name)
        os.environ[setting.env] = str(value).lower() if isinstance(value, bool) else str(value)


def run_server(settings: Settings, *, workers: int = 1, server: Server = "uvicorn") -> None:
    """Serve until interrupted. The database must exist and be readable: build the app
    once with ``create_app`` first to fail early with a clear message."""
    if server == "granian":
        from granian import Granian  # noqa: PLC0415 (only this server loads it)
        from granian.constants import Interfaces  # noqa: PLC0415
        from granian.log import LogLevels  # noqa: PLC0415

        _export(settings)
        Granian(
            _FACTORY,
            factory=True,
            address=settings.host,
            port=settings.port,
            interface=Interfaces.ASGI,
            workers=workers,
            log_level=LogLevels.warning,
        ).serve()
        return
    import uvicorn  # noqa: PLC0415

    if workers == 1:
        from newsdesk.serve.app import app_from_settings  # noqa: PLC0415

        uvicorn.run(
            app_from_settings(settings),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,
        )
        return
    _export(settings)
    uvicorn.run(
        _FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )

"""Running the app: `newsdesk serve` on uvicorn or granian, in one process or several.

Several processes (``workers`` > 1) each build their own app from ``NEWSDESK_*``
environment variables (``app.app_from_environment``), which this sets from ``settings``:
every process serves with exactly the settings the command was given.

Neither server reads forwarded headers itself (uvicorn would believe X-Forwarded-Proto from
127.0.0.1): the app does, from the ``trusted_proxies`` setting's addresses only.
"""

from __future__ import annotations

import os
from typing import Literal

from starlette.types import ASGIApp

from newsdesk.config import SETTINGS, Settings

__all__ = ["Server", "run_server", "settings_environment"]

Server = Literal["uvicorn", "granian"]
_FACTORY = "newsdesk.serve.app:app_from_environment"


def settings_environment(settings: Settings) -> dict[str, str]:
    """``settings`` as the ``NEWSDESK_*`` variables that ``load_settings`` reads back."""
    return {
        setting.env: str(value).lower() if isinstance(value, bool) else str(value)
        for setting in SETTINGS
        for value in (getattr(settings, setting.name),)
    }


def run_server(
    settings: Settings, app: ASGIApp, *, workers: int = 1, server: Server = "uvicorn"
) -> None:
    """Serve until interrupted. ``app`` (made by ``create_app`` over ``settings``, which
    fails early with a clear message) is served as it is by one uvicorn process; otherwise
    each server process builds its own from the environment."""
    if server == "granian":
        from granian import Granian  # noqa: PLC0415 (only this server loads it)
        from granian.constants import Interfaces  # noqa: PLC0415
        from granian.log import LogLevels  # noqa: PLC0415

        os.environ.update(settings_environment(settings))
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
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,
            proxy_headers=False,
        )
        return
    os.environ.update(settings_environment(settings))
    uvicorn.run(
        _FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )

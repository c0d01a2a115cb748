"""Settings, declared once: name, default, type, environment variable, help.

Loaded at the edge (the CLI) in this order: defaults, then a TOML file, then ``NEWSDESK_*``
environment variables, then command-line flags; passed down as one frozen ``Settings``.
``docs/settings.md`` is generated from ``SETTINGS``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from newsdesk.errors import ConfigError

__all__ = ["SETTINGS", "Setting", "Settings", "load_settings"]


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: Any
    kind: type
    help: str
    minimum: int = 0  # numbers below it are refused (-1 is a meaningful default for some)

    @property
    def env(self) -> str:
        return "NEWSDESK_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("db", "newsdesk.db", str, "SQLite database file."),
    Setting(
        "allow_private_networks",
        False,
        bool,
        "Allow requests to private, loopback, link-local and reserved addresses (local use).",
    ),
    Setting(
        "user_agent",
        "newsdesk/0.1 (+https://github.com/newsdesk/newsdesk; news relay)",
        str,
        "User-Agent sent with every request; also the agent robots.txt rules are matched to.",
    ),
    Setting("connect_timeout", 10.0, float, "Seconds to connect."),
    Setting("read_timeout", 20.0, float, "Seconds between bytes received."),
    Setting("total_timeout", 60.0, float, "Seconds for a whole request, body included."),
    Setting("max_body_bytes", 10_000_000, int, "Cap on a body, compressed and decompressed."),
    Setting("max_redirects", 5, int, "Redirects followed before giving up."),
    Setting("retries", 3, int, "Retries on 5xx, 429 and network errors (with backoff)."),
    Setting("per_host_concurrency", 2, int, "Requests in flight to one host at once."),
    Setting("per_host_delay", 1.0, float, "Seconds between the starts of requests to one host."),
    Setting("workers", 8, int, "Pages fetched at once across hosts."),
    Setting(
        "extract_processes",
        -1,
        int,
        "Processes that extract pages in parallel (-1: one more than the machine's cores; "
        "0: extract in the fetch threads).",
        minimum=-1,
    ),
    Setting("min_interval", 300, int, "Seconds: a source is never checked more often."),
    Setting("max_interval", 86_400, int, "Seconds: a source is checked at least this often."),
    Setting(
        "feed_pages",
        100,
        int,
        "Pages of a paged feed (RFC 5005, JSON Feed next_url) read in one check: the next, "
        "older page is read while every entry of a page is new (1: the first page only).",
    ),
    Setting("respect_robots", True, bool, "Honour robots.txt."),
    Setting(
        "dedupe",
        True,
        bool,
        "Link each new article to its duplicates, syndicated copies and story cluster.",
    ),
    Setting("host", "127.0.0.1", str, "Address `newsdesk serve` listens on."),
    Setting("port", 8080, int, "Port `newsdesk serve` listens on."),
    Setting(
        "api_token",
        "",
        str,
        "Bearer token the API's write endpoints require (empty: writing through the API is off).",
    ),
    Setting(
        "serve_cache_mb",
        64,
        int,
        "MiB of rendered answers each `newsdesk serve` process keeps until the database "
        "changes (0: no cache).",
    ),
    Setting(
        "api_public_read",
        True,
        bool,
        "Serve the API's read endpoints without the token (false: they need it too).",
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    db: str = "newsdesk.db"
    allow_private_networks: bool = False
    user_agent: str = "newsdesk/0.1 (+https://github.com/newsdesk/newsdesk; news relay)"
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_body_bytes: int = 10_000_000
    max_redirects: int = 5
    retries: int = 3
    per_host_concurrency: int = 2
    per_host_delay: float = 1.0
    workers: int = 8
    extract_processes: int = -1
    min_interval: int = 300
    max_interval: int = 86_400
    feed_pages: int = 100
    respect_robots: bool = True
    dedupe: bool = True
    host: str = "127.0.0.1"
    port: int = 8080
    api_token: str = ""
    serve_cache_mb: int = 64
    api_public_read: bool = True


_KIND_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


def _convert(setting: Setting, raw: Any, origin: str) -> Any:
    try:
        if setting.kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        value = setting.kind(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"{origin}: {setting.name} must be {_KIND_NAMES[setting.kind]}, got {raw!r}"
        ) from exc
    if isinstance(value, int | float) and not isinstance(value, bool) and value < setting.minimum:
        least = "negative" if setting.minimum == 0 else f"below {setting.minimum}"
        raise ConfigError(f"{origin}: {setting.name} must not be {least}, got {raw!r}")
    return value


def load_settings(
    *,
    toml_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Defaults, then the TOML file, then ``NEWSDESK_*`` variables, then ``overrides``."""
    values: dict[str, Any] = {}
    by_name = {s.name: s for s in SETTINGS}
    if toml_path is not None:
        try:
            data = tomllib.loads(toml_path.read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read settings file {toml_path}: {exc}") from exc
        for key, raw in data.items():
            if key not in by_name:
                raise ConfigError(f"{toml_path}: unknown setting {key!r}")
            values[key] = _convert(by_name[key], raw, str(toml_path))
    environment = os.environ if env is None else env
    for setting in SETTINGS:
        if setting.env in environment:
            values[setting.name] = _convert(setting, environment[setting.env], setting.env)
    for key, raw in (overrides or {}).items():
        if raw is not None:
            values[key] = _convert(by_name[key], raw, f"--{key.replace('_', '-')}")
    return replace(Settings(), **values)


def _check_declared_once() -> None:
    declared = [s.name for s in SETTINGS]
    assert declared == [f.name for f in fields(Settings)], "SETTINGS and Settings disagree"
    for setting in SETTINGS:
        assert getattr(Settings(), setting.name) == setting.default, setting.name


_check_declared_once()

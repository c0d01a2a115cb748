"""Settings, declared once: name, default, type, environment variable, help.

Loaded at the edge (the CLI) in this order: defaults, then a TOML file, then ``NEWSDESK_*``
environment variables, then command-line flags; passed down as one frozen ``Settings``.
``docs/settings.md`` is generated from ``SETTINGS``.
"""

from __future__ import annotations

import difflib
import math
import os
import re
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
    # numbers below it are refused (-1 is a meaningful default for some); for text, its
    # least length once stripped
    minimum: float = 0
    maximum: float | None = None  # numbers above it are refused
    # a number must be above ``minimum`` (not equal): for durations where 0 would mean "never"
    positive: bool = False

    @property
    def env(self) -> str:
        return "NEWSDESK_" + self.name.upper()


_DAY = 86_400
_YEAR = 366 * _DAY

SETTINGS: tuple[Setting, ...] = (
    Setting("db", "newsdesk.db", str, "SQLite database file.", minimum=1),
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
    Setting("connect_timeout", 10.0, float, "Seconds to connect.", maximum=_DAY, positive=True),
    Setting(
        "read_timeout", 20.0, float, "Seconds between bytes received.", maximum=_DAY, positive=True
    ),
    Setting(
        "total_timeout",
        30.0,
        float,
        "Seconds for a whole request, from connect to its last byte (redirects included): a "
        "wall-clock deadline, whatever the server sends.",
        maximum=_DAY,
        positive=True,
    ),
    Setting(
        "fetch_budget",
        60.0,
        float,
        "Seconds for a whole fetch, its retries and their backoff included: no check or page "
        "waits longer on one URL.",
        maximum=_DAY,
        positive=True,
    ),
    Setting(
        "max_body_bytes",
        10_000_000,
        int,
        "Cap on a body, compressed and decompressed.",
        minimum=1,
        maximum=2**31,
    ),
    Setting("max_redirects", 5, int, "Redirects followed before giving up.", maximum=100),
    Setting(
        "retries", 3, int, "Retries on 5xx, 429 and network errors (with backoff).", maximum=100
    ),
    Setting(
        "per_host_concurrency",
        2,
        int,
        "Requests in flight to one host at once.",
        minimum=1,
        maximum=1000,
    ),
    Setting(
        "per_host_delay",
        1.0,
        float,
        "Seconds between the starts of requests to one host.",
        maximum=_DAY,
    ),
    Setting("workers", 8, int, "Pages fetched at once across hosts.", minimum=1, maximum=1000),
    Setting(
        "host_pass_seconds",
        30.0,
        float,
        "Seconds of one host's politeness delay a pass may queue: with per_host_delay set, a "
        "pass takes at most this divided by the delay of a host's pages, round-robin across "
        "its sources; the rest of a backlog waits, in order, for the next passes.",
        maximum=_DAY,
        positive=True,
    ),
    Setting(
        "extract_processes",
        -1,
        int,
        "Processes that extract pages in parallel (-1: one more than the machine's cores; "
        "0: extract in the fetch threads).",
        minimum=-1,
        maximum=1024,
    ),
    Setting(
        "min_interval",
        300,
        int,
        "Seconds: a source is never checked more often (at most max_interval).",
        maximum=_YEAR,
    ),
    Setting(
        "max_interval",
        86_400,
        int,
        "Seconds: a source is checked at least this often.",
        minimum=1,
        maximum=_YEAR,
    ),
    Setting(
        "feed_pages",
        100,
        int,
        "Pages of a paged feed (RFC 5005, JSON Feed next_url) read in one check: the next, "
        "older page is read while every entry of a page is new (1: the first page only).",
        minimum=1,
        maximum=100_000,
    ),
    Setting("respect_robots", True, bool, "Honour robots.txt."),
    Setting(
        "dedupe",
        True,
        bool,
        "Link each new article to its duplicates, syndicated copies and story cluster.",
    ),
    Setting("host", "127.0.0.1", str, "Address `newsdesk serve` listens on.", minimum=1),
    Setting("port", 8080, int, "Port `newsdesk serve` listens on.", minimum=1, maximum=65_535),
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
        maximum=1_048_576,
    ),
    Setting(
        "api_public_read",
        True,
        bool,
        "Serve the API's read endpoints without the token (false: they need it too; the "
        "reader's pages and the feeds stay public: docs/serving.md).",
    ),
    Setting(
        "base_url",
        "",
        str,
        "The server's public URL (https://news.example.org): feed ids and links are made "
        "from it, never from a request's headers (empty: from the request's host).",
    ),
    Setting(
        "trusted_proxies",
        "",
        str,
        "Comma-separated addresses or networks of reverse proxies whose X-Forwarded-Proto "
        "and X-Forwarded-For are believed (empty: no request's are).",
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    db: str = "newsdesk.db"
    allow_private_networks: bool = False
    user_agent: str = "newsdesk/0.1 (+https://github.com/newsdesk/newsdesk; news relay)"
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 30.0
    fetch_budget: float = 60.0
    max_body_bytes: int = 10_000_000
    max_redirects: int = 5
    retries: int = 3
    per_host_concurrency: int = 2
    per_host_delay: float = 1.0
    workers: int = 8
    host_pass_seconds: float = 30.0
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
    base_url: str = ""
    trusted_proxies: str = ""


_KIND_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
_TRUE = ("1", "true", "yes", "on")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FALSE = ("0", "false", "no", "off", "")


def _allowed(setting: Setting) -> str:
    """What ``setting`` accepts, in words (for error messages)."""
    if setting.kind is bool:
        return "true or false"
    if setting.kind is str:
        text = "non-empty text" if setting.minimum >= 1 else "text"
        return text + " without control characters"
    low = f"above {setting.minimum:g}" if setting.positive else f"at least {setting.minimum:g}"
    high = f" and at most {setting.maximum:g}" if setting.maximum is not None else ""
    return f"{_KIND_NAMES[setting.kind]} {low}{high}"


def _refuse(setting: Setting, raw: Any, origin: str) -> ConfigError:
    shown = str(raw).lower() if isinstance(raw, bool) else repr(raw)  # as TOML writes it
    return ConfigError(
        f"{origin}: {setting.name} = {shown} is not allowed: it must be {_allowed(setting)}"
    )


def _typed(setting: Setting, raw: Any, *, text: bool) -> Any:
    """``raw`` as ``setting.kind``, or ValueError. TOML values must already have the type
    (``workers = 2.7`` or ``workers = true`` is refused, never rounded); text (environment,
    flags) is parsed strictly."""
    kind = setting.kind
    if text and isinstance(raw, str) and kind is not str:
        word = raw.strip().lower()
        if kind is bool:
            if word in _TRUE or word in _FALSE:
                return word in _TRUE
            raise ValueError(raw)
        return int(word, 10) if kind is int else float(word)
    if kind is bool:
        if isinstance(raw, bool):
            return raw
    elif kind is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
    elif kind is float:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
    elif isinstance(raw, str):
        return raw
    raise ValueError(raw)


def _convert(setting: Setting, raw: Any, origin: str, *, text: bool = False) -> Any:
    """``raw`` (from a TOML file or a flag; ``text``: an environment variable, parsed) checked
    by type and range."""
    try:
        value = _typed(setting, raw, text=text)
    except (TypeError, ValueError, OverflowError) as exc:
        raise _refuse(setting, raw, origin) from exc
    if isinstance(value, str):
        # a control character (a newline in user_agent or api_token) would split a header
        if len(value.strip()) < setting.minimum or _CONTROL.search(value):
            raise _refuse(setting, raw, origin)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        too_low = value <= setting.minimum if setting.positive else value < setting.minimum
        too_high = setting.maximum is not None and value > setting.maximum
        if not math.isfinite(value) or too_low or too_high:
            raise _refuse(setting, raw, origin)
    return value


def _read_toml(toml_path: Path) -> dict[str, Any]:
    try:
        text = toml_path.read_bytes().decode("utf-8")
        return tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(f"cannot read settings file {toml_path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{toml_path}: not UTF-8 text (the byte at offset {exc.start} is not); a settings "
            "file is TOML, which is always UTF-8"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{toml_path}: not valid TOML ({exc})") from exc


def _unknown(key: str, origin: str, names: list[str]) -> ConfigError:
    close = difflib.get_close_matches(key, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError(
        f"{origin}: unknown setting {key!r}{hint}; the settings are listed in docs/settings.md"
    )


def load_settings(
    *,
    toml_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Defaults, then the TOML file, then ``NEWSDESK_*`` variables, then ``overrides``.

    Every value is checked by type and range wherever it comes from; the first one that is
    not allowed raises :class:`ConfigError` naming where it came from, the key, the value
    and what is allowed (before anything starts)."""
    values: dict[str, Any] = {}
    by_name = {s.name: s for s in SETTINGS}
    if toml_path is not None:
        for key, raw in _read_toml(toml_path).items():
            if key not in by_name:
                raise _unknown(key, str(toml_path), list(by_name))
            values[key] = _convert(by_name[key], raw, str(toml_path))
    environment = os.environ if env is None else env
    for setting in SETTINGS:
        if setting.env in environment:
            values[setting.name] = _convert(
                setting, environment[setting.env], setting.env, text=True
            )
    for key, raw in (overrides or {}).items():
        if key not in by_name:
            raise _unknown(key, "overrides", list(by_name))
        if raw is not None:
            values[key] = _convert(by_name[key], raw, f"--{key.replace('_', '-')}")
    settings = replace(Settings(), **values)
    if settings.min_interval > settings.max_interval:
        raise ConfigError(
            f"min_interval = {settings.min_interval} is not allowed: it must be at most "
            f"max_interval ({settings.max_interval})"
        )
    return settings


def _check_declared_once() -> None:
    declared = [s.name for s in SETTINGS]
    assert declared == [f.name for f in fields(Settings)], "SETTINGS and Settings disagree"
    for setting in SETTINGS:
        assert getattr(Settings(), setting.name) == setting.default, setting.name


_check_declared_once()

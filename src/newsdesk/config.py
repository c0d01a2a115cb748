"""Settings, declared once, in the ``Settings`` dataclass: name, type, default, help, bounds.

Loaded at the edge (the CLI) in this order: defaults, then a TOML file, then ``NEWSDESK_*``
environment variables, then command-line flags; passed down as one frozen ``Settings``.
``SETTINGS`` is derived from its fields; ``docs/settings.md`` is generated from it.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
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


def _declare(
    default: Any,
    help: str,  # the setting's help, as docs/settings.md shows it
    *,
    minimum: float = 0,
    maximum: float | None = None,
    positive: bool = False,
) -> Any:
    """One setting of ``Settings``: its default, help and bounds (see ``Setting``)."""
    bounds = {"help": help, "minimum": minimum, "maximum": maximum, "positive": positive}
    return field(default=default, metadata=bounds)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Every setting, declared once: the dataclass is the registry. Each field's type, default,
    help and bounds make its ``Setting`` (``SETTINGS``): its environment variable, its check,
    its line in docs/settings.md."""

    db: str = _declare(
        "newsdesk.db",
        "The database: a SQLite file's path, or a PostgreSQL URL (postgresql://user@host/db, "
        "or libpq's key=value form; docs/postgres.md).",
        minimum=1,
    )
    allow_private_networks: bool = _declare(
        False,
        "Allow requests to private, loopback, link-local and reserved addresses (local use).",
    )
    user_agent: str = _declare(
        "newsdesk/0.1 (+https://github.com/newsdesk/newsdesk; news relay)",
        "User-Agent sent with every request; also the agent robots.txt rules are matched to.",
    )
    connect_timeout: float = _declare(
        10.0,
        "Seconds to connect.",
        maximum=_DAY,
        positive=True,
    )
    read_timeout: float = _declare(
        20.0,
        "Seconds between bytes received.",
        maximum=_DAY,
        positive=True,
    )
    total_timeout: float = _declare(
        30.0,
        "Seconds for a whole request, from connect to its last byte (redirects included): "
        "a wall-clock deadline, whatever the server sends.",
        maximum=_DAY,
        positive=True,
    )
    fetch_budget: float = _declare(
        60.0,
        "Seconds for a whole fetch, its retries and their backoff included: no check or "
        "page waits longer on one URL.",
        maximum=_DAY,
        positive=True,
    )
    max_body_bytes: int = _declare(
        10_000_000,
        "Cap on a body, compressed and decompressed.",
        minimum=1,
        maximum=2_147_483_648,
    )
    max_redirects: int = _declare(
        5,
        "Redirects followed before giving up.",
        maximum=100,
    )
    retries: int = _declare(
        3,
        "Retries on 5xx, 429 and network errors (with backoff).",
        maximum=100,
    )
    per_host_concurrency: int = _declare(
        2,
        "Requests in flight to one host at once.",
        minimum=1,
        maximum=1000,
    )
    per_host_delay: float = _declare(
        1.0,
        "Seconds between the starts of requests to one host.",
        maximum=_DAY,
    )
    workers: int = _declare(
        8,
        "Pages fetched at once across hosts.",
        minimum=1,
        maximum=1000,
    )
    host_pass_seconds: float = _declare(
        30.0,
        "Seconds of one host's politeness delay a pass may queue: with per_host_delay "
        "set, a pass takes at most this divided by the delay of a host's pages, "
        "round-robin across its sources; the rest of a backlog waits, in order, for the "
        "next passes.",
        maximum=_DAY,
        positive=True,
    )
    extract_processes: int = _declare(
        -1,
        "Processes that extract pages in parallel (-1: one more than the machine's cores; "
        "0: extract in the fetch threads).",
        minimum=-1,
        maximum=1024,
    )
    claim_lease: float = _declare(
        900.0,
        "Seconds a relay on PostgreSQL holds the pending entries and the sources it took: "
        "when it ends (a relay killed mid-pass), another relay takes them (docs/postgres.md). "
        "Longer than a page's fetch, extraction and write can take.",
        maximum=_DAY,
        positive=True,
    )
    min_interval: int = _declare(
        300,
        "Seconds: a source is never checked more often (at most max_interval).",
        maximum=_YEAR,
    )
    max_interval: int = _declare(
        86_400,
        "Seconds: a source is checked at least this often.",
        minimum=1,
        maximum=_YEAR,
    )
    feed_pages: int = _declare(
        100,
        "Pages of a paged feed (RFC 5005, JSON Feed next_url) read in one check: the "
        "next, older page is read while every entry of a page is new (1: the first page "
        "only).",
        minimum=1,
        maximum=100_000,
    )
    respect_robots: bool = _declare(
        True,
        "Honour robots.txt.",
    )
    dedupe: bool = _declare(
        True,
        "Link each new article to its duplicates, syndicated copies and story cluster.",
    )
    host: str = _declare(
        "127.0.0.1",
        "Address `newsdesk serve` listens on.",
        minimum=1,
    )
    port: int = _declare(
        8080,
        "Port `newsdesk serve` listens on.",
        minimum=1,
        maximum=65_535,
    )
    api_token: str = _declare(
        "",
        "Bearer token the API's write endpoints require (empty: writing through the API is off).",
    )
    serve_cache_mb: int = _declare(
        64,
        "MiB of rendered answers each `newsdesk serve` process keeps until the database "
        "changes (0: no cache).",
        maximum=1_048_576,
    )
    api_public_read: bool = _declare(
        True,
        "Serve the API's read endpoints without the token (false: they need it too; the "
        "reader's pages and the feeds stay public: docs/serving.md).",
    )
    base_url: str = _declare(
        "",
        "The server's public URL (https://news.example.org): feed ids and links are made "
        "from it, never from a request's headers (empty: from the request's host).",
    )
    trusted_proxies: str = _declare(
        "",
        "Comma-separated addresses or networks of reverse proxies whose X-Forwarded-Proto "
        "and X-Forwarded-For are believed (empty: no request's are).",
    )
    delivery_timeout: float = _declare(
        15.0,
        "Seconds a rule's delivery (a webhook, a WordPress call, an e-mail) may take, from "
        "connect to its answer's last byte: a target that never answers costs this much.",
        maximum=3600,
        positive=True,
    )
    delivery_retry_scale: float = _declare(
        1.0,
        "Multiplies the deliveries' retry schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, "
        "10 h: 27.6 hours over 8 attempts, each delay ±20 %); below 1 compresses it.",
        maximum=1000,
    )
    websub_hub: str = _declare(
        "",
        "A WebSub hub's URL: the rules' feeds name it (rel=\"hub\") and, with base_url set, "
        "it is pinged (hub.mode=publish) whenever a rule's feed gains a story.",
    )
    rules_max_age: float = _declare(
        48.0,
        "Hours: a story published more than this long before it is stored fires no rule "
        "(a new source's backlog; `rules add --backfill` still sends it); a story without "
        "a publication date fires. 0: no bound.",
        maximum=_YEAR // 3600 * 10,
    )
    delivery_workers: int = _declare(
        4,
        "Targets delivered to at once (each target's deliveries go one at a time).",
        minimum=1,
        maximum=256,
    )


_KINDS: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}
SETTINGS: tuple[Setting, ...] = tuple(
    Setting(
        f.name,
        f.default,
        _KINDS[str(f.type)],
        f.metadata["help"],
        minimum=f.metadata["minimum"],
        maximum=f.metadata["maximum"],
        positive=f.metadata["positive"],
    )
    for f in fields(Settings)
)


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

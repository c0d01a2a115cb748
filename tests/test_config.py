"""Settings are checked by type and range wherever they come from (file, environment, flags),
and a bad one stops everything with a ConfigError naming the key, the value and what is
allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.cli import main
from newsdesk.config import SETTINGS, Settings, load_settings
from newsdesk.errors import ConfigError


def _toml(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "newsdesk.toml"
    if isinstance(text, str):
        path.write_text(text, "utf-8")
    else:
        path.write_bytes(text)
    return path


def test_valid_file_is_read(tmp_path: Path) -> None:
    path = _toml(tmp_path, 'db = "x.db"\nworkers = 3\nread_timeout = 5\nrespect_robots = false\n')
    settings = load_settings(toml_path=path, env={})
    assert settings.db == "x.db"
    assert settings.workers == 3
    assert settings.read_timeout == 5.0
    assert isinstance(settings.read_timeout, float)
    assert settings.respect_robots is False


@pytest.mark.parametrize(
    ("line", "key", "allowed"),
    [
        ("read_timeout = nan", "read_timeout", "a number above 0"),
        ("total_timeout = inf", "total_timeout", "at most 86400"),
        ("connect_timeout = 0", "connect_timeout", "above 0"),
        ("workers = 2.7", "workers", "a whole number"),
        ("workers = true", "workers", "a whole number"),
        ("workers = 0", "workers", "at least 1"),
        ('workers = "8"', "workers", "a whole number"),
        ('db = ["a", "b"]', "db", "non-empty text"),
        ('db = ""', "db", "non-empty text"),
        ("port = 99999", "port", "at most 65535"),
        ("port = 0", "port", "at least 1"),
        ('respect_robots = "maybe"', "respect_robots", "true or false"),
        ("respect_robots = 1", "respect_robots", "true or false"),
        ("max_body_bytes = -5", "max_body_bytes", "at least 1"),
        ("per_host_delay = -inf", "per_host_delay", "a number at least 0"),
        ("extract_processes = -2", "extract_processes", "at least -1"),
        ('host = "  "', "host", "non-empty text"),
        ('user_agent = "bot\\r\\nX-Injected: 1"', "user_agent", "without control characters"),
        ('api_token = "abc\\n"', "api_token", "without control characters"),
        ("feed_pages = 0", "feed_pages", "at least 1"),
    ],
)
def test_bad_values_in_the_file_are_refused(
    tmp_path: Path, line: str, key: str, allowed: str
) -> None:
    path = _toml(tmp_path, line + "\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(toml_path=path, env={})
    message = str(caught.value)
    assert f"{key} = " in message
    assert allowed in message
    assert str(path) in message
    value = line.split(" = ", 1)[1].strip('"')
    assert value.split(",")[0].strip('["') in message


@pytest.mark.parametrize(
    ("variable", "raw", "allowed"),
    [
        ("NEWSDESK_READ_TIMEOUT", "nan", "a number above 0"),
        ("NEWSDESK_TOTAL_TIMEOUT", "inf", "at most 86400"),
        ("NEWSDESK_WORKERS", "2.7", "a whole number"),
        ("NEWSDESK_WORKERS", "true", "a whole number"),
        ("NEWSDESK_PORT", "99999", "at most 65535"),
        ("NEWSDESK_RESPECT_ROBOTS", "maybe", "true or false"),
        ("NEWSDESK_DB", "", "non-empty text"),
    ],
)
def test_bad_values_in_the_environment_are_refused(variable: str, raw: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env={variable: raw})
    message = str(caught.value)
    assert message.startswith(variable)
    assert repr(raw) in message
    assert allowed in message


def test_environment_text_is_parsed() -> None:
    settings = load_settings(
        env={"NEWSDESK_WORKERS": " 4 ", "NEWSDESK_DEDUPE": "off", "NEWSDESK_READ_TIMEOUT": "2.5"}
    )
    assert (settings.workers, settings.dedupe, settings.read_timeout) == (4, False, 2.5)


def test_bad_flag_values_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"--port: port = 99999 is not allowed"):
        load_settings(env={}, overrides={"port": 99999})
    with pytest.raises(ConfigError, match=r"unknown setting 'prot'.*'port'"):
        load_settings(env={}, overrides={"prot": 1})


def test_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    path = _toml(tmp_path, 'user_agent = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(toml_path=path, env={})


def test_invalid_toml_and_missing_file_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(toml_path=_toml(tmp_path, "workers = = 3\n"), env={})
    with pytest.raises(ConfigError, match="cannot read settings file"):
        load_settings(toml_path=tmp_path / "absent.toml", env={})


def test_unknown_keys_and_tables_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown setting 'worker'.*did you mean 'workers'"):
        load_settings(toml_path=_toml(tmp_path, "worker = 3\n"), env={})
    with pytest.raises(ConfigError, match=r"unknown setting 'serve'"):
        load_settings(toml_path=_toml(tmp_path, "[serve]\nport = 1\n"), env={})


def test_min_interval_above_max_interval_is_refused(tmp_path: Path) -> None:
    path = _toml(tmp_path, "min_interval = 7200\nmax_interval = 3600\n")
    with pytest.raises(ConfigError, match=r"min_interval = 7200 .* at most max_interval \(3600\)"):
        load_settings(toml_path=path, env={})
    # the environment can mend what the file set
    fixed = load_settings(toml_path=path, env={"NEWSDESK_MAX_INTERVAL": "9000"})
    assert fixed.min_interval == 7200


def test_every_default_is_allowed() -> None:
    assert load_settings(env={}) == Settings()
    for setting in SETTINGS:  # each default also passes through its own check as text
        raw = setting.default
        text = str(raw).lower() if isinstance(raw, bool) else str(raw)
        load_settings(env={setting.env: text})


def test_the_cli_stops_before_anything_starts(tmp_path: Path) -> None:
    path = _toml(tmp_path, "port = 99999\n")
    db = tmp_path / "never.db"
    result = CliRunner().invoke(main, ["serve", "--config", str(path), "--db", str(db)])
    assert result.exit_code == 2
    assert "port = 99999 is not allowed" in result.output
    assert not db.exists()

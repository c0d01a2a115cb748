"""A real PostgreSQL server for the tests: initdb on a temporary directory and pg_ctl on a
free loopback port, started once a test session (a process) and stopped at its end.

Debian's server refuses to run as root: then initdb and pg_ctl run as the ``postgres``
user (``runuser``) in a directory it owns. Without PostgreSQL's binaries the tests that need
it skip, saying so, unless NEWSDESK_REQUIRE_POSTGRES=1 (as .ci/run sets): then they fail.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("NEWSDESK_PG_BIN", "/usr/lib/postgresql/15/bin"))
_names = itertools.count(1)


@dataclass(frozen=True)
class PgServer:
    port: int
    sockets: Path
    data: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def socket_url(self, database: str = "postgres") -> str:
        """The same database through the server's Unix socket (no TCP)."""
        return f"postgresql://postgres@/{database}?host={self.sockets}&port={self.port}"

    def new_database(self) -> str:
        """A new, empty database on the server; its URL."""
        import psycopg  # noqa: PLC0415

        name = f"t{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def _unavailable(reason: str) -> None:
    if os.environ.get("NEWSDESK_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required here (NEWSDESK_REQUIRE_POSTGRES=1): {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


class ServerUnavailable(Exception):
    """PostgreSQL's binaries are missing, or the server would not start: why."""


def start_server(root: Path, settings: str = "") -> PgServer:
    """initdb a cluster under ``root`` (a new, empty directory) and start it on a free
    loopback port, its socket in ``root``; stop it with ``stop_server``. ``settings``: more
    of the server's ``-c name=value`` options (a benchmark's)."""
    initdb, pg_ctl = PG_BIN / "initdb", PG_BIN / "pg_ctl"
    if not initdb.exists() or not pg_ctl.exists():
        raise ServerUnavailable(f"no initdb/pg_ctl in {PG_BIN} (apt-get install postgresql)")
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    root.chmod(0o700)
    run = {"capture_output": True, "text": True, "timeout": 120}
    try:
        subprocess.run(
            _as_server_user(
                [str(initdb), "-D", str(data), "-U", "postgres", "--auth=trust",
                 "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]
            ),
            check=True,
            **run,
        )  # fmt: skip
        port = _free_port()
        options = f"{_options(port, sockets)} {settings}".strip()
        subprocess.run(
            _as_server_user(
                [str(pg_ctl), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w",
                 "start"]
            ),
            check=True,
            **run,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        log = root / "log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        detail = exc.stderr if isinstance(exc, subprocess.CalledProcessError) else exc
        raise ServerUnavailable(f"the server did not start: {detail}\n{tail}") from exc
    return PgServer(port=port, sockets=sockets, data=data)


def pg_ctl(server: PgServer, *arguments: str) -> None:
    """Run ``pg_ctl`` on the server's cluster (``restart -m fast``: every connection is cut,
    as by a real restart; ``start`` after ``stop_server``: the options it was started with)."""
    command = [
        str(PG_BIN / "pg_ctl"),
        "-D",
        str(server.data),
        "-l",
        str(server.data.parent / "log"),
    ]
    if arguments[0] == "start":
        command += ["-o", _options(server.port, server.sockets)]
    subprocess.run(
        _as_server_user([*command, "-w", *arguments]),
        check=True,
        capture_output=True,
        timeout=120,
    )


def _options(port: int, sockets: Path) -> str:
    return (
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
        "-c shared_buffers=32MB"
    )


def stop_server(server: PgServer) -> None:
    subprocess.run(
        _as_server_user(
            [str(PG_BIN / "pg_ctl"), "-D", str(server.data), "-m", "immediate", "-w", "stop"]
        ),
        check=False,
        capture_output=True,
        timeout=60,
    )


def running_server(prefix: str = "newsdesk-pg-") -> Iterator[PgServer]:
    """A server of its own in a new temporary directory, for a fixture to yield from: it
    is stopped and its files removed afterwards. Skips (or fails, where PostgreSQL is
    required) when psycopg or the server is unavailable."""
    try:
        import psycopg  # noqa: F401, PLC0415
    except ImportError:
        _unavailable("psycopg is not installed (pip install -e '.[dev]')")
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        server = start_server(root)
    except ServerUnavailable as exc:
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(str(exc))
    try:
        yield server
    finally:
        stop_server(server)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    yield from running_server()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A fresh database on the session's server."""
    return pg_server.new_database()

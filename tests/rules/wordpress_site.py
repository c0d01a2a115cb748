"""A real WordPress on 127.0.0.1 for the tests: Debian's ``wordpress`` package served by
``php -S`` over a private MariaDB (its own data directory and socket, no network), set up
from scratch: the site installed with WordPress's own ``wp_install``, an Application
Password made with ``WP_Application_Passwords``. Nothing outside a temporary directory is
written. ``.ci/run`` installs the packages; where they are absent the tests skip, unless
``NEWSDESK_REQUIRE_WORDPRESS=1`` (CI), where they fail."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

WORDPRESS = Path("/usr/share/wordpress")
NEEDED = ("php", "mariadbd", "mariadb-install-db", "mariadb")


@dataclass(frozen=True)
class Site:
    url: str
    user: str
    app_password: str
    root: Path


def missing() -> str | None:
    """Why a WordPress cannot be run here (None: it can)."""
    absent = [name for name in NEEDED if shutil.which(name) is None]
    if not (WORDPRESS / "wp-settings.php").exists():
        absent.append("the wordpress package (/usr/share/wordpress)")
    if absent:
        return (
            "not installed: "
            + ", ".join(absent)
            + " (apt-get install wordpress mariadb-server php-cli php-mysql)"
        )
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(check: object, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start within {seconds:g} s")


def _docroot(root: Path, socket_path: Path, url: str) -> Path:
    """WordPress's top-level scripts copied (so that ``wp-load.php`` finds our
    ``wp-config.php`` beside it), its directories linked."""
    docroot = root / "site"
    docroot.mkdir()
    for item in WORDPRESS.iterdir():
        if item.name == "wp-config.php":
            continue
        if item.is_dir():
            (docroot / item.name).symlink_to(item)
        else:
            shutil.copy(item, docroot / item.name)
    content = root / "wp-content"
    content.mkdir()
    for sub in ("themes", "plugins", "languages"):
        (content / sub).symlink_to(WORDPRESS / "wp-content" / sub)
    (content / "uploads").mkdir()
    (docroot / "wp-config.php").write_text(
        f"""<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:{socket_path}');
define('DB_CHARSET', 'utf8mb4');
define('WP_CONTENT_DIR', '{content}');
define('WP_HOME', '{url}');
define('WP_SITEURL', '{url}');
define('WP_ENVIRONMENT_TYPE', 'local');
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISABLE_WP_CRON', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
$table_prefix = 'wp_';
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
"""
    )
    return docroot


_SETUP = """<?php
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = '127.0.0.1';
require_once __DIR__ . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$result = wp_install(
    'newsdesk test blog', 'editor', 'editor@blog.test', true, '', 'correct horse battery staple'
);
wp_set_current_user($result['user_id']);
list($password, $item) = WP_Application_Passwords::create_new_application_password(
    $result['user_id'], array('name' => 'newsdesk')
);
echo $password;
"""


@contextmanager
def wordpress(root: Path) -> Iterator[Site]:
    """A WordPress installed from scratch under ``root``, served on 127.0.0.1."""
    data, socket_path = root / "mysql", root / "mysql.sock"
    user = getpass.getuser()
    subprocess.run(
        [
            "mariadb-install-db",
            f"--datadir={data}",
            f"--user={user}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        check=True,
        capture_output=True,
    )
    logs = [(root / "mysql.log").open("wb"), (root / "php.log").open("wb")]
    database = subprocess.Popen(
        [
            "mariadbd",
            "--no-defaults",
            f"--datadir={data}",
            f"--socket={socket_path}",
            "--skip-networking",
            f"--user={user}",
            f"--pid-file={root / 'mysql.pid'}",
            "--innodb-buffer-pool-size=16M",
            "--skip-log-bin",
        ],
        stdout=subprocess.DEVNULL,
        stderr=logs[0],
    )
    server: subprocess.Popen[bytes] | None = None
    try:
        client = ["mariadb", f"--socket={socket_path}", "-uroot"]
        _wait(
            lambda: (
                subprocess.run(
                    [*client, "-e", "SELECT 1"], check=False, capture_output=True
                ).returncode
                == 0
            ),
            "MariaDB",
        )
        subprocess.run(
            [*client, "-e", "CREATE DATABASE wordpress CHARACTER SET utf8mb4"], check=True
        )
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        docroot = _docroot(root, socket_path, url)
        (docroot / "newsdesk-setup.php").write_text(_SETUP)
        made = subprocess.run(
            ["php", str(docroot / "newsdesk-setup.php")],
            check=True,
            capture_output=True,
            text=True,
            cwd=docroot,
        )
        (docroot / "newsdesk-setup.php").unlink()
        app_password = made.stdout.strip().splitlines()[-1]
        env = dict(os.environ, PHP_CLI_SERVER_WORKERS="2")
        server = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{port}", "-t", str(docroot)],
            cwd=docroot,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=logs[1],
        )

        def up() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                return False

        _wait(up, "php -S")
        yield Site(url=url, user="editor", app_password=app_password, root=root)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        database.terminate()
        database.wait(30)
        for log in logs:
            log.close()

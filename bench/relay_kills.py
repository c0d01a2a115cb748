"""Two relays on one PostgreSQL database, one of them killed (SIGKILL) again and again.

The demo newsroom (``--articles`` stories) is served on 127.0.0.1; PostgreSQL is a cluster
this script starts (as tests/pgserver.py does) and stops. Two ``newsdesk run --once``
processes follow the newsroom's feeds on one database, their claims leased for
``--lease`` seconds. At random moments (``--gap`` seconds apart on average, uniform from
0.2 to twice that) one of the two, at random, is killed with SIGKILL and started again at
once; a relay that ends its pass is started again while there are kills to make. After
``--kills`` kills, the last relays finish their passes; the script waits for the dead
ones' leases to end and runs one more pass (what the dead left is anyone's then).

Then it checks the database against one relay's pass over the same newsroom on SQLite:

- every entry recorded once (entries by (source, guid), the same count) and none left new;
- every story stored once: the same articles, no URL twice;
- no lease stuck: no entry still claimed after its lease's end with nothing done;
- the live dedupe's decisions: as many copies linked to an original as on SQLite.

Reported: the kills, the time, and each check.

    .venv/bin/python bench/relay_kills.py --kills 20 --articles 3000
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.pgserver import ServerUnavailable, start_server, stop_server  # noqa: E402

from newsdesk.demo.generator import Newsroom  # noqa: E402
from newsdesk.demo.server import serve_newsroom  # noqa: E402
from newsdesk.store import open_store  # noqa: E402

CLAIMED = "SELECT COUNT(*) FROM entries WHERE status = 'new' AND claimed_by IS NOT NULL"


def relay(db: str, lease: float, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NEWSDESK_ALLOW_PRIVATE_NETWORKS": "1",
        "NEWSDESK_PER_HOST_DELAY": "0",
        "NEWSDESK_CLAIM_LEASE": str(lease),
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "newsdesk.cli", "run", "--once", "--db", db],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )


def finish(process: subprocess.Popen[bytes], log: Path) -> None:
    if process.wait(timeout=1800) != 0:
        raise SystemExit(f"a relay failed ({process.returncode}): {log.read_text()[-3000:]}")


def rows(db: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in db.execute(sql).fetchall()]


def one(db: Any, sql: str) -> int:
    return int(rows(db, sql)[0][0] or 0)


def connect(location: str) -> Any:
    """A plain DB-API connection (not a store: the relays, started from the working tree,
    may have migrated the database past what this process's code knows)."""
    if location.startswith("postgresql:"):
        import psycopg

        return psycopg.connect(location, autocommit=True)
    return sqlite3.connect(location)


def facts(store: Any) -> dict[str, Any]:
    """What the checks compare, read with SQL both backends speak."""
    return {
        "entries": one(store, "SELECT COUNT(*) FROM entries"),
        "entries by (source, guid)": one(
            store, "SELECT COUNT(*) FROM (SELECT DISTINCT source_id, guid FROM entries) AS k"
        ),
        "statuses": dict(rows(store, "SELECT status, COUNT(*) FROM entries GROUP BY status")),
        "articles": one(store, "SELECT COUNT(*) FROM articles"),
        "article URLs": one(store, "SELECT COUNT(DISTINCT url) FROM articles"),
        "linked to an original": one(store, "SELECT COUNT(original_id) FROM articles"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--gap", type=float, default=2.0, help="mean seconds between kills")
    parser.add_argument("--lease", type=float, default=5.0, help="NEWSDESK_CLAIM_LEASE")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cluster = Path(tempfile.mkdtemp(prefix="newsdesk-kills-pg-"))
    work = Path(tempfile.mkdtemp(prefix="newsdesk-kills-"))
    try:
        server = start_server(cluster)
    except ServerUnavailable as exc:
        print(f"PostgreSQL unavailable: {exc}", file=sys.stderr)
        return 1
    try:
        with serve_newsroom(Newsroom(seed=16, articles=args.articles)) as newsroom:
            feeds = newsroom.feed_urls()
            reference_db = str(work / "alone.db")
            db = server.socket_url(server.new_database().rsplit("/", 1)[1])
            for location in (reference_db, db):
                store = open_store(location)
                for url in feeds:
                    store.add_source(url, now=datetime.now(UTC))
                store.close()
            print("one relay on SQLite: the reference ...", file=sys.stderr)
            finish(relay(reference_db, args.lease, work / "alone.log"), work / "alone.log")

            logs = [work / "relay0.log", work / "relay1.log"]
            started = time.monotonic()
            relays = [relay(db, args.lease, log) for log in logs]
            kills, restarts = 0, 0
            while kills < args.kills:
                time.sleep(rng.uniform(0.2, 2 * args.gap - 0.2))
                for i, process in enumerate(relays):  # a relay done with its pass: again
                    if process.poll() is not None:
                        if process.returncode != 0:
                            finish(process, logs[i])
                        relays[i] = relay(db, args.lease, logs[i])
                        restarts += 1
                victim = rng.randrange(2)
                relays[victim].kill()
                relays[victim].wait()
                kills += 1
                relays[victim] = relay(db, args.lease, logs[victim])
                print(f"kill {kills}: relay {victim}", file=sys.stderr)
            for process, log in zip(relays, logs, strict=True):
                finish(process, log)
            watcher = connect(db)
            claimed = one(
                watcher,
                "SELECT COUNT(*) FROM entries WHERE status = 'new' AND claimed_by IS NOT NULL",
            )
            time.sleep(args.lease + 0.5)  # the dead relays' leases end
            finish(relay(db, args.lease, logs[0]), logs[0])
            elapsed = time.monotonic() - started
            got = facts(watcher)
            stuck = one(watcher, CLAIMED)
            watcher.close()
            reference = connect(reference_db)
            want = facts(reference)
            reference.close()
    finally:
        stop_server(server)
        shutil.rmtree(cluster, ignore_errors=True)
    checks = {
        "every entry recorded once": got["entries"] == got["entries by (source, guid)"]
        and got["entries"] == want["entries"],
        "no entry left new": "new" not in got["statuses"],
        "the same outcomes as one relay on SQLite": got["statuses"] == want["statuses"],
        "every story stored once": got["articles"] == got["article URLs"] == want["articles"],
        "no lease stuck after its end": stuck == 0,
        "the dedupe's links as on SQLite": got["linked to an original"]
        == want["linked to an original"],
    }
    shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"\n{args.articles} demo stories, two relays on one PostgreSQL database, "
          f"{kills} kills (SIGKILL) {args.gap:g} s apart on average, {restarts} restarts "
          f"after a pass ended, lease {args.lease:g} s; {elapsed:.0f} s; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")  # fmt: skip
    print("| | two relays, killed (PostgreSQL) | one relay (SQLite) |")
    print("| --- | ---: | ---: |")
    for key in got:
        print(f"| {key} | {got[key]} | {want[key]} |")
    print(f"| claimed, not done, after the last pass before the leases ended | {claimed} | |")
    print()
    for name, ok in checks.items():
        print(f"- {name}: {'yes' if ok else 'NO'}")
    return 0 if all(checks.values()) else 2


if __name__ == "__main__":
    raise SystemExit(main())

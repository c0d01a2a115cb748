"""Ingest of the demo newsroom on SQLite and on PostgreSQL, side by side in one run: one relay
on SQLite, one relay on PostgreSQL, two relays on one PostgreSQL database.

The newsroom is served on 127.0.0.1 from a process of its own; PostgreSQL is a cluster this
script starts (initdb + pg_ctl, as tests/pgserver.py does; fsync off, as for the tests) and
stops. Each run is ``newsdesk run --once`` processes on a fresh database following the
newsroom's feeds. Reported for each: the entries processed, the wall time from the first
relay's start to the last one's end, pages/s, each relay process's peak RSS (its own, not its
extraction processes'), and the ratio against SQLite. Rounds alternate the backends; the
medians are reported.

Where the CPU goes, per page: the relay processes (each with its extraction processes:
``wait4``'s usage covers the children it reaped), the PostgreSQL server (the postmaster's
own time and its exited backends', from /proc), and the newsroom serving the pages; their
sum over the wall time is how many of the machine's cores the run kept busy. To compare
two versions of newsdesk side by side, run the script with ``PYTHONPATH`` set to the other
version's ``src`` (the relays inherit it).

    .venv/bin/python bench/backends.py --sizes 2000 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.pgserver import ServerUnavailable, start_server, stop_server  # noqa: E402

from newsdesk.store import open_store  # noqa: E402


def serve(size: int) -> None:
    """Child: serve a newsroom of ``size`` stories; print its feed URLs, then wait."""
    from newsdesk.demo.generator import Newsroom
    from newsdesk.demo.server import serve_newsroom

    with serve_newsroom(Newsroom(seed=16, articles=size)) as running:
        print(" ".join(running.feed_urls()), flush=True)
        sys.stdin.read()


def relay(db: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NEWSDESK_ALLOW_PRIVATE_NETWORKS": "1",
        "NEWSDESK_PER_HOST_DELAY": "0",
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "newsdesk.cli", "run", "--once", "--db", db],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """A process's CPU time (user + system), with its exited children's when asked."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(f) for f in fields[11 : 15 if children else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def ingest(
    db: str, feeds: list[str], relays: int, work: Path, watched: dict[str, int]
) -> dict[str, float]:
    store = open_store(db)
    for url in feeds:
        store.add_source(url, now=datetime.now(UTC))
    store.close()
    before = {name: cpu_seconds(pid, children=True) for name, pid in watched.items()}
    started = time.perf_counter()
    processes = [relay(db, work / f"relay{i}.log") for i in range(relays)]
    peaks, relay_cpu = [], 0.0
    for process in processes:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise SystemExit(f"a relay failed: {(work / 'relay0.log').read_text()[-2000:]}")
        peaks.append(usage.ru_maxrss / 1024)
        relay_cpu += usage.ru_utime + usage.ru_stime
    wall = time.perf_counter() - started
    time.sleep(0.5)  # the relays' server backends exit and are reaped
    used = {n: cpu_seconds(pid, children=True) - before[n] for n, pid in watched.items()}
    store = open_store(db)
    row = store._db.execute("SELECT COUNT(*) FROM entries WHERE status != 'new'").fetchone()
    done = int(row[0])
    store.close()
    row = {"pages": done, "seconds": wall, "rate": done / wall, "rss": max(peaks)}
    row["cpu relays"] = relay_cpu * 1000 / done  # ms a page
    for name, seconds in used.items():
        row[f"cpu {name}"] = seconds * 1000 / done
    row["cores"] = (relay_cpu + sum(used.values())) / wall
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--tcp", action="store_true", help="PostgreSQL over TCP on 127.0.0.1 (default: its socket)"
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    cluster = Path(tempfile.mkdtemp(prefix="newsdesk-bench-pg-"))
    root = Path(tempfile.mkdtemp(prefix="newsdesk-bench-"))
    try:
        server = start_server(cluster)
    except ServerUnavailable as exc:
        print(f"PostgreSQL unavailable: {exc}", file=sys.stderr)
        return 1
    try:
        for size in args.sizes:
            newsroom = subprocess.Popen(
                [sys.executable, __file__, "--serve", str(size)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert newsroom.stdout is not None
            feeds = newsroom.stdout.readline().split()
            postmaster = int((server.data / "postmaster.pid").read_text().split()[0])
            watched = {"server": postmaster, "newsroom": newsroom.pid}
            results: dict[str, list[dict[str, float]]] = {}
            for round_ in range(args.rounds):
                for name, relays in (("sqlite", 1), ("postgres", 1), ("postgres x2", 2)):
                    work = root / f"{size}-{round_}-{name.replace(' ', '')}"
                    work.mkdir()
                    db = str(work / "n.db") if name == "sqlite" else server.new_database()
                    if name != "sqlite" and not args.tcp:
                        db = server.socket_url(db.rsplit("/", 1)[1])
                    if name == "sqlite":  # the server idles: its time is not this run's
                        row = ingest(db, feeds, relays, work, {"newsroom": newsroom.pid})
                        row["cpu server"] = 0.0
                    else:
                        row = ingest(db, feeds, relays, work, watched)
                    results.setdefault(name, []).append(row)
                    print(
                        f"size {size} round {round_ + 1} {name:12} {row['pages']:6.0f} pages "
                        f"{row['seconds']:7.1f} s {row['rate']:7.1f} pages/s "
                        f"relay peak RSS {row['rss']:6.1f} MB; CPU ms a page: relays "
                        f"{row['cpu relays']:.1f}, server {row['cpu server']:.1f}, newsroom "
                        f"{row['cpu newsroom']:.1f}; {row['cores']:.2f} cores busy; load "
                        f"{os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
            assert newsroom.stdin is not None
            newsroom.stdin.close()
            newsroom.wait()
            base = statistics.median(r["rate"] for r in results["sqlite"])
            print(f"\nsize {size}, medians of {args.rounds} rounds:")
            print(
                "| backend | pages/s | vs SQLite | relay peak RSS (MB) | CPU ms a page: "
                "relays | server | newsroom | cores busy |"
            )
            print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            for name, rows in results.items():
                rate = statistics.median(r["rate"] for r in rows)
                med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
                print(
                    f"| {name} | {rate:.1f} | {rate / base:.2f}× | {med['rss']:.0f} | "
                    f"{med['cpu relays']:.1f} | {med['cpu server']:.1f} | "
                    f"{med['cpu newsroom']:.1f} | {med['cores']:.2f} |"
                )
    finally:
        stop_server(server)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(cluster, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

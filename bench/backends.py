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
import json
import os
import shutil
import statistics
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

from newsdesk.store import open_store  # noqa: E402


def serve(size: int) -> None:
    """Child: serve a newsroom of ``size`` stories; print its feed URLs, then wait."""
    from newsdesk.demo.generator import Newsroom
    from newsdesk.demo.server import serve_newsroom

    with serve_newsroom(Newsroom(seed=16, articles=size)) as running:
        print(" ".join(running.feed_urls()), flush=True)
        sys.stdin.read()


def profiled_relay(stats: str, arguments: list[str]) -> None:
    """Child: ``newsdesk`` with ``arguments``, its pass's writer timed (wall and the writer
    thread's CPU in each part of the loop: writing batches, recording checks, claiming
    entries, waiting for pages); written to ``stats`` (JSON) at exit."""
    import atexit
    import json

    from newsdesk.cli import main as cli
    from newsdesk.pipeline import run

    spent: dict[str, list[float]] = {}
    started = time.perf_counter()

    def timed(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                row = spent.setdefault(name, [0.0, 0.0, 0])
                row[0] += time.perf_counter() - wall
                row[1] += time.thread_time() - cpu
                row[2] += 1

        return wrapper

    for name in ("write", "record_check", "read_pending", "refill"):
        setattr(run._Pass, name, timed(name, getattr(run._Pass, name)))
    run.wait = timed("wait", run.wait)  # type: ignore[attr-defined]

    def dump() -> None:
        total = {"wall": [time.perf_counter() - started, time.process_time(), 1]}
        Path(stats).write_text(json.dumps({**spent, **total}))

    atexit.register(dump)
    if os.environ.get("BENCH_SWITCH"):
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH"]))
    cli(arguments)


def relay(
    db: str, log: Path, stats: Path | None = None, source: str | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **({"PYTHONPATH": source} if source else {}),
        "NEWSDESK_ALLOW_PRIVATE_NETWORKS": "1",
        "NEWSDESK_PER_HOST_DELAY": "0",
    }
    with log.open("wb") as out:
        command = [sys.executable, "-m", "newsdesk.cli"]
        if stats is not None:
            command = [sys.executable, __file__, "--profiled", str(stats)]
        return subprocess.Popen(
            [*command, "run", "--once", "--db", db],
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


def statements(db: str, top: int = 10) -> list[tuple[float, int, int, float, str]]:
    """The statements that cost the server most time in database ``db`` (pg_stat_statements):
    total ms (planning and execution), calls, plans made, ms a call, the statement's start."""
    import psycopg

    with psycopg.connect(db, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT total_exec_time + total_plan_time, calls, plans, query FROM "
            "pg_stat_statements s "
            "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database() "
            "ORDER BY total_exec_time DESC LIMIT %s",
            (top,),
        ).fetchall()
    return [(t, c, p, t / max(c, 1), " ".join(q.split())[:100]) for t, c, p, q in rows]


def ingest(
    db: str,
    feeds: list[str],
    relays: int,
    work: Path,
    watched: dict[str, int],
    *,
    profile: bool = False,
    source: str | None = None,
) -> dict[str, float]:
    store = open_store(db)
    for url in feeds:
        store.add_source(url, now=datetime.now(UTC))
    store.close()
    before = {name: cpu_seconds(pid, children=True) for name, pid in watched.items()}
    started = time.perf_counter()
    stats = [work / f"relay{i}.json" if profile else None for i in range(relays)]
    processes = [relay(db, work / f"relay{i}.log", stats[i], source) for i in range(relays)]
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
    for path in stats:
        if path is not None:
            parts = json.loads(path.read_text())
            pass_wall = parts["wall"][0]
            print(
                f"  writer ({path.stem}): "
                + ", ".join(
                    f"{name} {w / pass_wall:.0%} of the wall, {c * 1000 / done:.1f} ms CPU a "
                    f"page, {n} calls"
                    for name, (w, c, n) in parts.items()
                    if name != "wall"
                )
                + f"; main thread's process CPU {parts['wall'][1] * 1000 / done:.1f} ms a page"
            )
    if profile and not db.endswith(".db"):
        for total, calls, plans, each, query in statements(db):
            print(f"  {total:8.0f} ms {calls:6d} calls {plans:6d} plans {each:6.3f} ms  {query}")
    return row


def cpu_a_page(rows: list[dict[str, float]]) -> float:
    """The median CPU ms a page of a run, every part counted (relays with their extraction
    processes, the server, the newsroom)."""
    return statistics.median(r["cpu relays"] + r["cpu server"] + r["cpu newsroom"] for r in rows)


def bound(results: dict[str, list[dict[str, float]]], base: float) -> None:
    """What the machine's cores allow, from the CPU a page measured: N cores give N × 1,000
    ms of CPU a second, so a run costing C ms a page makes at most N × 1,000 / C pages/s,
    however its work overlaps."""
    cores = os.cpu_count() or 1
    print(f"\nbound on {cores} cores (medians):")
    for name, rows in results.items():
        cost = cpu_a_page(rows)
        most = cores * 1000 / cost
        print(
            f"- {name}: {cost:.1f} ms of CPU a page; at most {most:.1f} pages/s "
            f"= {most / base:.2f}× SQLite's measured {base:.1f}"
        )
    if "sqlite" in results and "postgres x2" in results:
        one, two = cpu_a_page(results["sqlite"]), cpu_a_page(results["postgres x2"])
        busy = statistics.median(r["cores"] for r in results["sqlite"])
        print(
            f"- two relays at 1.6× SQLite's {base:.1f} pages/s = {1.6 * base:.1f} pages/s "
            f"x {two:.1f} ms = {1.6 * base * two / 1000:.2f} cores of CPU needed, of {cores}"
        )
        # the same without the load: SQLite's relay kept `busy` cores busy; 1.6× its pages
        # at two relays' CPU a page needs 1.6 × (two / one) × busy cores
        print(
            f"- that is 1.6 × ({two:.1f} / {one:.1f} ms a page) = {1.6 * two / one:.2f} × the "
            f"cores SQLite's relay kept busy ({busy:.2f} here): out of reach on {cores} "
            f"cores wherever it keeps more than {cores * one / (1.6 * two):.2f} busy"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--tcp", action="store_true", help="PostgreSQL over TCP on 127.0.0.1 (default: its socket)"
    )
    parser.add_argument(
        "--runs",
        default="sqlite,postgres,postgres x2",
        help="which runs, comma-separated (default: sqlite,postgres,postgres x2)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="time the relays' writer loop; the server's costliest statements (pg_stat_statements)",
    )
    parser.add_argument(
        "--other",
        metavar="SRC",
        help="another version's src directory: one PostgreSQL relay of it runs too "
        "('postgres other'), alternating with the rest",
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    if sys.argv[1:2] == ["--profiled"]:
        profiled_relay(sys.argv[2], sys.argv[3:])
        return 0
    args = parser.parse_args()
    runs = [r.strip() for r in args.runs.split(",")] + ["postgres other"]
    if args.serve:
        serve(args.serve)
        return 0
    cluster = Path(tempfile.mkdtemp(prefix="newsdesk-bench-pg-"))
    root = Path(tempfile.mkdtemp(prefix="newsdesk-bench-"))
    try:
        preload = (
            "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on"
            if args.profile
            else ""
        )
        server = start_server(cluster, preload)
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
                kinds = [("sqlite", 1), ("postgres", 1), ("postgres x2", 2)]
                if args.other:
                    kinds.append(("postgres other", 1))
                for name, relays in kinds:
                    if name not in runs:
                        continue
                    source = args.other if name == "postgres other" else None
                    work = root / f"{size}-{round_}-{name.replace(' ', '')}"
                    work.mkdir()
                    db = str(work / "n.db") if name == "sqlite" else server.new_database()
                    if name != "sqlite" and not args.tcp:
                        db = server.socket_url(db.rsplit("/", 1)[1])
                    if args.profile and name != "sqlite":
                        import psycopg

                        with psycopg.connect(db, autocommit=True) as connection:
                            connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
                    if name == "sqlite":  # the server idles: its time is not this run's
                        row = ingest(
                            db,
                            feeds,
                            relays,
                            work,
                            {"newsroom": newsroom.pid},
                            profile=args.profile,
                        )
                        row["cpu server"] = 0.0
                    else:
                        row = ingest(
                            db, feeds, relays, work, watched, profile=args.profile, source=source
                        )
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
            base = statistics.median(r["rate"] for r in results.get("sqlite", [{"rate": 1.0}]))
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
            bound(results, base)
    finally:
        stop_server(server)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(cluster, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

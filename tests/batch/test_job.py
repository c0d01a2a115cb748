"""``newsdesk batch`` on a real Dask cluster: a LocalCluster of 2 worker processes on
127.0.0.1, one for the whole module (the job reaches it as ``--scheduler`` does)."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from distributed import Client, LocalCluster
from rich.console import Console

from newsdesk.batch.inputs import plan_partitions
from newsdesk.batch.job import BatchError, JobOptions, run_job
from newsdesk.batch.output import SCHEMA
from newsdesk.batch.partition import PartitionOptions, run_partition
from newsdesk.cli import main
from newsdesk.cli.batch import _Display
from newsdesk.model import Article
from newsdesk.store import open_store
from tests.batch.warcs import corrupt, demo_pages, record, write_demo_warc, write_warc


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        worker_dashboard_address=None,
    ) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def pages() -> list[tuple[str, bytes]]:
    return demo_pages(60)


def _rows(path: Path) -> list[dict[str, Any]]:
    return list(pq.read_table(path).to_pylist())


def _job(out: Path, scheduler: str, **kw: Any) -> JobOptions:
    return JobOptions(out=out, scheduler=scheduler, time_limit=kw.pop("time_limit", 20.0), **kw)


def test_a_job_matches_newsdesk_extract_field_by_field(
    tmp_path: Path, cluster: str, pages: list[tuple[str, bytes]]
) -> None:
    first = (
        write_demo_warc(tmp_path / "in" / "one.warc.gz", pages[:30])
        if ((tmp_path / "in").mkdir() or True)
        else None
    )
    assert first is not None
    members = [record(*p) for p in pages[30:]]
    members.insert(3, corrupt(members[3]))  # a damaged copy of a page; the page itself follows
    members.insert(0, record("https://img.example/x.jpg", b"\xff\xd8\xff", "image/jpeg"))
    write_warc(tmp_path / "in" / "two.warc.gz", members)
    partitions, problems = plan_partitions([str(tmp_path / "in")])
    assert problems == [] and len(partitions) == 2
    report = run_job(partitions, _job(tmp_path / "out", cluster))
    totals = report.totals()
    assert totals["records"] == len(pages) + 2
    assert totals["articles"] == len(pages)
    assert totals["skipped"] == {"corrupt_archive": 1, "non_html": 1}
    assert totals["failed"] == {}
    assert report.workers == 2
    rows = _rows(tmp_path / "out" / f"{partitions[0].id}.parquet")
    assert pq.read_schema(tmp_path / "out" / f"{partitions[0].id}.parquet").names == SCHEMA.names
    assert set(Article.__dataclass_fields__) <= set(SCHEMA.names)
    runner = CliRunner()
    for (url, body), row in list(zip(pages[:30], rows, strict=True))[::7]:
        page = tmp_path / "page.html"
        page.write_bytes(body)
        result = runner.invoke(main, ["extract", str(page), "--url", url])
        assert result.exit_code == 0, result.output
        expected = json.loads(result.output)
        assert row["warc_record_id"].startswith("<urn:uuid:")
        assert row["fetched_url"] == url and row["source_file"].endswith("one.warc.gz")
        assert len(row["fingerprint"]) > 0 and row["text_key"]
        for name, value in expected.items():
            if name == "fetched_url":
                continue
            got = row[name]
            if name == "blocks":  # Parquet has every struct field; JSON leaves level out
                got = [{k: v for k, v in b.items() if v is not None} for b in got]
            assert got == value, name
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["totals"]["articles"] == len(pages)


def test_a_rerun_skips_finished_partitions(
    tmp_path: Path, cluster: str, pages: list[tuple[str, bytes]]
) -> None:
    for n in range(3):
        write_demo_warc(tmp_path / f"{n}.warc.gz", pages[n * 10 : n * 10 + 10])
    partitions, _ = plan_partitions([str(tmp_path / "*.warc.gz")])
    out = tmp_path / "out"
    run_job(partitions, _job(out, cluster, format="jsonl"))
    outputs = sorted(out.glob("*.jsonl"))
    assert len(outputs) == 3 and not list(out.glob(".*.tmp"))
    stamps = {p.name: p.stat().st_mtime_ns for p in outputs}
    (out / f"{partitions[1].id}.done.json").unlink()  # as if killed before its marker
    again = run_job(partitions, _job(out, cluster, format="jsonl"))
    assert again.reused == 2
    assert again.totals()["articles"] == 30
    changed = [p.name for p in outputs if p.stat().st_mtime_ns != stamps[p.name]]
    assert changed == [f"{partitions[1].id}.jsonl"]
    with pytest.raises(BatchError, match="another format"):
        run_job(partitions, _job(out, cluster, format="parquet"))


def test_a_pathological_page_costs_one_record(
    tmp_path: Path, cluster: str, pages: list[tuple[str, bytes]]
) -> None:
    slow = b"<html><body><article>" + b"<p>A sentence of the article.</p>" * 250_000
    members = [record(*p) for p in pages[:5]]
    members.insert(2, record("https://slow.example/", slow, "text/html; charset=utf-8"))
    members.append(record("https://x.example/logo.png", b"\x89PNG...", "image/png"))
    write_warc(tmp_path / "slow.warc.gz", members)
    partitions, _ = plan_partitions([str(tmp_path / "slow.warc.gz")])
    events: list[dict[str, Any]] = []
    display = _Display(Console(file=io.StringIO(), width=200))
    done = threading.Event()

    def progress(event: dict[str, Any]) -> None:
        events.append(event)
        display(event)
        if sum(e.get("records", 0) for e in events if "done" not in e) == len(members):
            done.set()

    report = run_job(partitions, _job(tmp_path / "out", cluster, time_limit=0.5), progress=progress)
    totals = report.totals()
    assert totals["failed"] == {"time_limit": 1}
    assert totals["skipped"] == {"non_html": 1}
    assert totals["articles"] == 5
    assert done.wait(10)  # the workers' reports arrive a moment after the task's result
    assert display.failed == Counter(time_limit=1) and display.skipped == Counter(non_html=1)
    assert display.problems() == "1 failed (time_limit 1) · 1 skipped (non_html 1)"
    marker = json.loads((tmp_path / "out" / f"{partitions[0].id}.done.json").read_text())
    assert marker["problems"][0].startswith("time_limit: https://slow.example/")


def test_one_engine_or_another_gives_the_same_rows(
    tmp_path: Path, cluster: str, pages: list[tuple[str, bytes]]
) -> None:
    write_demo_warc(tmp_path / "d.warc.gz", pages[:12])
    partitions, _ = plan_partitions([str(tmp_path / "d.warc.gz")])
    run_job(partitions, _job(tmp_path / "dask", cluster))
    (tmp_path / "local").mkdir()
    run_partition(partitions[0], PartitionOptions(out=str(tmp_path / "local")))
    name = f"{partitions[0].id}.parquet"
    assert _rows(tmp_path / "dask" / name) == _rows(tmp_path / "local" / name)


def _worker_running(client: Client, key_part: str) -> str | None:
    for address, keys in client.processing().items():
        if any(key_part in str(key) for key in keys):
            return str(address)
    return None


def test_a_worker_killed_mid_task(
    tmp_path: Path, cluster: str, pages: list[tuple[str, bytes]]
) -> None:
    write_demo_warc(tmp_path / "big.warc.gz", pages * 4)  # a task long enough to kill in
    write_demo_warc(tmp_path / "small.warc.gz", pages[:5])
    partitions, _ = plan_partitions(
        [str(tmp_path / "big.warc.gz"), str(tmp_path / "small.warc.gz")]
    )
    big = next(p for p in partitions if "big" in p.id)
    result: dict[str, Any] = {}
    job = threading.Thread(
        target=lambda: result.update(report=run_job(partitions, _job(tmp_path / "out", cluster)))
    )
    out = tmp_path / "out"
    with Client(cluster) as client:
        job.start()
        deadline = time.monotonic() + 60
        victim = None
        while victim is None and time.monotonic() < deadline:
            writing = list(out.glob(f".{big.id}.parquet.*.tmp"))  # the attempt has begun
            victim = _worker_running(client, big.id) if writing else None
            time.sleep(0.01)
        assert victim is not None
        pids = client.run(os.getpid, workers=[victim])
        os.kill(pids[victim], signal.SIGKILL)
        job.join(timeout=120)
    assert not job.is_alive()
    report = result["report"]
    assert report.errors == {}
    assert report.totals()["articles"] == len(pages) * 4 + 5
    assert len(_rows(tmp_path / "out" / f"{big.id}.parquet")) == len(pages) * 4
    marker = json.loads((tmp_path / "out" / f"{big.id}.done.json").read_text())
    assert marker["articles"] == len(pages) * 4  # the rerun's count, not the killed attempt's
    # the killed attempt's file was never renamed: proof it died mid-task, and harmless
    assert len(list(out.glob(f".{big.id}.parquet.*.tmp"))) == 1


def test_the_command_line(tmp_path: Path, cluster: str, pages: list[tuple[str, bytes]]) -> None:
    write_demo_warc(tmp_path / "a.warc.gz", pages)
    db = tmp_path / "news.db"
    args = ["batch", str(tmp_path / "a.warc.gz"), str(tmp_path / "nope.warc"), "--out"]
    args += [str(tmp_path / "out"), "--scheduler", cluster, "--format", "jsonl", "--into", str(db)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "nope.warc: no such file" in result.output
    assert f"{len(pages)} articles out" in result.output
    lines = next((tmp_path / "out").glob("*.jsonl")).read_text().splitlines()
    first = json.loads(lines[0])
    assert first["fetched_url"] == pages[0][0] and first["warc_record_id"]
    store = open_store(str(db))
    try:
        counts = store.counts()
    finally:
        store.close()
    loaded = re.search(r"(\d+) stored \((\d+) linked.*?(\d+) duplicates", result.output)
    assert loaded is not None, result.output
    stored, copies, duplicates = map(int, loaded.groups())
    assert stored + duplicates == len(pages) and copies > 0  # the wire copies linked
    assert counts["articles"] == stored
    resumed = CliRunner().invoke(
        main,
        [
            "batch",
            "--resume",
            "--out",
            str(tmp_path / "out"),
            "--scheduler",
            cluster,
            "--format",
            "jsonl",
        ],
    )
    assert resumed.exit_code == 0, resumed.output
    assert "1 finished by an earlier run" in resumed.output


def test_a_scheduler_that_refuses(tmp_path: Path, pages: list[tuple[str, bytes]]) -> None:
    write_demo_warc(tmp_path / "a.warc.gz", pages[:2])
    partitions, _ = plan_partitions([str(tmp_path / "a.warc.gz")])
    options = replace(_job(tmp_path / "out", "tcp://127.0.0.1:9"), connect_timeout=1.0)
    with pytest.raises(BatchError, match="cannot reach the Dask scheduler"):
        run_job(partitions, options)
    assert (tmp_path / "out" / "manifest.json").exists()


def test_a_killed_client_then_resume(
    tmp_path: Path, cluster: str, pages: list[tuple[str, bytes]]
) -> None:
    for n in range(4):
        write_demo_warc(tmp_path / f"{n}.warc.gz", pages[n * 15 : n * 15 + 15] * 3)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "newsdesk.cli", "batch", str(tmp_path / "*.warc.gz")]
    command += ["--out", str(out), "--scheduler", cluster]
    client = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not list(out.glob("*.done.json")) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        client.kill()
        client.wait()
    finished = len(list(out.glob("*.done.json")))
    assert finished >= 1
    resumed = CliRunner().invoke(
        main, ["batch", "--resume", "--out", str(out), "--scheduler", cluster]
    )
    assert resumed.exit_code == 0, resumed.output
    assert f"{len(pages) * 3} articles out" in resumed.output
    # the killed client's running tasks go on in the cluster: a partition they finish while
    # the resumed job waits is found finished (its marker), not run twice
    assert "finished by an earlier run" in resumed.output
    assert len(list(out.glob("*.done.json"))) == 4
    partitions, _ = plan_partitions([str(tmp_path / "*.warc.gz")])
    (tmp_path / "again").mkdir()
    for partition in partitions:  # the same rows as one uninterrupted run
        run_partition(partition, PartitionOptions(out=str(tmp_path / "again")))
        name = f"{partition.id}.parquet"
        assert _rows(out / name) == _rows(tmp_path / "again" / name)


def test_the_command_line_with_dedupe(
    tmp_path: Path, cluster: str, pages: list[tuple[str, bytes]]
) -> None:
    write_demo_warc(tmp_path / "a.warc.gz", pages[:30])
    write_demo_warc(tmp_path / "b.warc.gz", pages[30:] + pages[:2])  # two pages crawled twice
    out = tmp_path / "out"
    args = ["batch", str(tmp_path / "a.warc.gz"), str(tmp_path / "b.warc.gz"), "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--scheduler", cluster, "--dedupe"])
    assert result.exit_code == 0, result.output
    assert f"links of {len(pages) + 2} records" in result.output
    links = pq.read_table(out / "links.parquet").to_pylist()
    assert sum(row["dedupe"] == "duplicate" for row in links) >= 2
    summary = json.loads((out / "summary.json").read_text())
    assert summary["links"]["records"] == len(pages) + 2
    refused = CliRunner().invoke(main, [*args, "--dedupe", "--format", "jsonl"])
    assert refused.exit_code == 2 and "--dedupe reads the Parquet output" in refused.output


def test_the_command_line_on_its_own_local_cluster(
    tmp_path: Path, pages: list[tuple[str, bytes]]
) -> None:
    write_demo_warc(tmp_path / "a.warc.gz", pages[:8])
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["batch", str(tmp_path / "a.warc.gz"), "--out", str(out), "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "newsdesk batch: 1 workers" in result.output
    assert "8 articles out" in result.output
    assert len(_rows(next(out.glob("*.parquet")))) == 8

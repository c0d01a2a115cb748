"""A partition made in an extraction process that reads it itself (``chunks_in_process``):
the same file as in one process, and a record that stalls or crashes the process costs
that record only, however many there are and wherever they fall between two chunks."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from newsdesk.batch import partition as part
from newsdesk.batch.inputs import plan_partitions
from newsdesk.batch.partition import (
    PartitionOptions,
    chunks_in_process,
    page_row,
    run_partition,
    warm,
)
from newsdesk.batch.raw import RawPage
from newsdesk.pipeline.processes import CallTimeout, Channel, ProcessPool, WorkerDied
from tests.batch.warcs import demo_pages, record, write_demo_warc, write_warc


def _hard_page(page: RawPage) -> dict[str, Any]:
    """The page step, except on pages that stall it (``/stall``) or crash its process
    (``/crash``), as a pathological page or a native library's fault would."""
    if "/stall" in page.url:
        time.sleep(60)
    if "/crash" in page.url:
        os._exit(3)
    return page_row(page)


def _counting(count: int, stall_at: int, channel: Channel) -> Iterator[int]:
    for index in range(count):
        channel.mark(index)
        if index == stall_at:
            time.sleep(60)
        yield index


def _dying(channel: Channel) -> Iterator[int]:
    channel.mark(0)
    yield 0
    channel.mark(1)
    os._exit(3)


def _failing(channel: Channel) -> Iterator[int]:
    yield 1
    raise FileNotFoundError("an error of the function, not of its process")


def test_a_stream_names_the_index_it_stalled_or_died_on() -> None:
    with ProcessPool(1) as pool:
        assert list(pool.stream(_counting, 5, -1, timeout=5)) == [0, 1, 2, 3, 4]
        seen: list[int] = []
        with pytest.raises(CallTimeout) as stalled:
            seen.extend(pool.stream(_counting, 5, 3, timeout=0.5))
        assert seen == [0, 1, 2] and stalled.value.at == 3
        with pytest.raises(WorkerDied) as died:
            list(pool.stream(_dying))
        assert died.value.at == 1
        with pytest.raises(FileNotFoundError):  # raised by the function: the process lives on
            list(pool.stream(_failing))
        assert list(pool.stream(_counting, 2, -1)) == [0, 1]
        stream = pool.stream(_counting, 100, -1)  # left early: its process is not reused
        assert next(stream) == 0
        stream.close()
        assert list(pool.stream(_counting, 3, -1, timeout=5)) == [0, 1, 2]


def _rows(path: Path) -> list[dict[str, Any]]:
    return list(pq.read_table(path).to_pylist())


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_the_same_file_as_in_one_process(
    tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(part, "CHUNK_ROWS", 7)  # several chunks (here: the in-process run)
    pages = demo_pages(30)
    members = [record(*p) for p in pages]
    members.insert(5, record("https://x.example/logo.png", b"\x89PNG...", "image/png"))
    write_warc(tmp_path / "d.warc.gz", members)
    (partition,), _ = plan_partitions([str(tmp_path / "d.warc.gz")])
    outputs = []
    for name in ("here", "there"):
        options = PartitionOptions(out=str(tmp_path / name), format=fmt)
        (tmp_path / name).mkdir()
        if name == "here":
            summary = run_partition(partition, options)
        else:
            with ProcessPool(1) as pool:
                chunks = chunks_in_process(pool, partition, options, 20.0)
                summary = run_partition(partition, options, chunks=chunks)
        assert summary.articles == len(pages) and summary.skipped == {"non_html": 1}
        outputs.append((tmp_path / name / summary.output).read_bytes())
    if fmt == "jsonl":
        assert outputs[0] == outputs[1]
    else:
        assert _rows(tmp_path / "here" / f"{partition.id}.parquet") == _rows(
            tmp_path / "there" / f"{partition.id}.parquet"
        )


def test_stalled_and_crashed_records_cost_themselves_only(tmp_path: Path) -> None:
    pages = demo_pages(30)[:12]
    hard = [
        (1, "https://bad.example/stall-1"),
        (2, "https://bad.example/crash-2"),  # right after the first: no chunk between them
        (9, "https://bad.example/crash-9"),
        (13, "https://bad.example/stall-13"),  # the last record
    ]
    listed = list(pages)
    for index, url in hard:
        listed.insert(index, (url, pages[0][1]))
    write_demo_warc(tmp_path / "h.warc.gz", listed)
    (partition,), _ = plan_partitions([str(tmp_path / "h.warc.gz")])
    options = PartitionOptions(out=str(tmp_path / "out"))
    (tmp_path / "out").mkdir()
    with ProcessPool(1) as pool:
        warm(pool)
        chunks = chunks_in_process(pool, partition, options, 1.0, _hard_page)
        summary = run_partition(partition, options, chunks=chunks)
    assert summary.records == len(listed)
    assert summary.failed == {"time_limit": 2, "crashed": 2}
    assert [p.split(":")[0] for p in summary.problems] == [
        "time_limit",
        "crashed",
        "crashed",
        "time_limit",
    ]
    assert [p.split(": ")[1] for p in summary.problems] == [url for _, url in hard]
    rows = _rows(tmp_path / "out" / f"{partition.id}.parquet")
    assert [r["url"] for r in rows] == [
        r["url"] for r in (page_row(RawPage(u, b, None)) for u, b in pages)
    ]

"""The links stage (``--dedupe``) over a job's Parquet partitions, without Dask: the
partitions are made in this process by the same code a Dask task runs."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from newsdesk.batch.inputs import plan_partitions
from newsdesk.batch.links import link_outputs
from newsdesk.batch.partition import PartitionOptions, run_partition
from tests.batch.warcs import demo_pages, write_demo_warc

Relations = set[tuple[str, str, str | None, str | None, str | None]]


def _job(folder: Path, splits: list[list[tuple[str, bytes]]]) -> Relations:
    """Write ``splits`` as WARC files, run their partitions, link them; the links as URLs."""
    folder.mkdir()
    for n, pages in enumerate(splits):
        write_demo_warc(folder / f"{n}.warc.gz", pages)
    partitions, _ = plan_partitions([str(folder / "*.warc.gz")])
    out = folder / "out"
    out.mkdir()
    for partition in partitions:
        run_partition(partition, PartitionOptions(out=str(out)))
    report = link_outputs(sorted(out.glob("*.parquet")), out / "links.parquet")
    assert report.records == sum(len(s) for s in splits)
    rows = pq.read_table(out / "links.parquet").to_pylist()
    url_of = {row["id"]: row["url"] for row in rows}
    return {
        (
            row["url"],
            row["dedupe"],
            url_of.get(row["duplicate_of"]),
            url_of.get(row["original_id"]),
            url_of.get(row["cluster_id"]),
        )
        for row in rows
    }


def test_links_do_not_depend_on_order_or_partitioning(tmp_path: Path) -> None:
    pages = demo_pages(100)
    one = _job(tmp_path / "one", [pages])
    other = _job(tmp_path / "other", [pages[1::2][::-1], pages[::2][::-1], []])
    assert one == other
    outcomes = {relation[1] for relation in one}
    assert "syndicated" in outcomes or "duplicate" in outcomes  # the demo's wire and relay copies


def test_a_record_crawled_twice_is_a_duplicate(tmp_path: Path) -> None:
    pages = demo_pages(20)
    relations = _job(tmp_path / "twice", [pages, [pages[0]]])
    first = [r for r in relations if r[0] == pages[0][0] or r[2] == pages[0][0]]
    assert any(r[1] == "duplicate" for r in first)

"""The links stage on Dask (``batch.linkstages``) against the corpus deduper in one process
(``batch.links.link_outputs``): the same links on a LocalCluster of 1 and of 2 worker
processes, whatever the number of shards; the cap on a copy group's growth."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster

from newsdesk.batch import linkstages
from newsdesk.batch.inputs import plan_partitions
from newsdesk.batch.links import link_outputs
from newsdesk.batch.partition import PartitionOptions, run_partition
from tests.batch.warcs import demo_pages, write_demo_warc


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A job's partitions: 500 demo pages (wire and relay copies, story clusters) in three
    WARC files, one of them crawled twice, and a file of pages without a body."""
    folder = tmp_path_factory.mktemp("linkstages")
    pages = demo_pages(100)
    write_demo_warc(folder / "a.warc.gz", pages[::3])
    write_demo_warc(folder / "b.warc.gz", pages[1::3][::-1])
    write_demo_warc(folder / "c.warc.gz", pages[2::3])
    write_demo_warc(folder / "d.warc.gz", pages[:40])  # the same pages again
    write_demo_warc(folder / "e.warc.gz", [("https://x.example/empty", b"<html></html>")])
    partitions, _ = plan_partitions([str(folder / "*.warc.gz")])
    out = folder / "out"
    out.mkdir()
    for partition in partitions:
        run_partition(partition, PartitionOptions(out=str(out)))
    return sorted(out.glob("*.parquet"))


def _table(path: Path) -> list[dict[str, Any]]:
    return pq.read_table(path).to_pylist()


def _on_dask(outputs: list[Path], target: Path, workers: int, shards: int | None = None) -> Any:
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        return linkstages.link_on_dask(outputs, target, client, shards=shards)


@pytest.fixture(scope="module")
def reference(outputs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    target = tmp_path_factory.mktemp("reference") / "links.parquet"
    link_outputs(outputs, target)
    yield target


def test_the_same_links_as_the_corpus_deduper_on_one_and_two_workers(
    outputs: list[Path], reference: Path, tmp_path: Path
) -> None:
    expected = _table(reference)
    outcomes = Counter(row["dedupe"] for row in expected)
    assert outcomes["duplicate"] >= 40 and outcomes["syndicated"] > 0 and outcomes["none"] == 1
    assert any(row["cluster_id"] != row["id"] for row in expected if row["dedupe"] == "original")
    two = _on_dask(outputs, tmp_path / "two.parquet", workers=2)
    assert _table(tmp_path / "two.parquet") == expected
    assert two.outcomes == outcomes and two.refused == 0
    assert set(two.stages) == {"prints", "exact", "pairs", "groups", "clusters", "write"}
    assert set(two.stages_cpu) == set(two.stages) and two.stages_cpu["prints"] > 0
    _on_dask(outputs, tmp_path / "one.parquet", workers=1, shards=3)
    assert _table(tmp_path / "one.parquet") == expected
    # a job with no record with a body (here: none at all) gets an empty table
    empty = _on_dask([], tmp_path / "empty.parquet", workers=1)
    assert empty.records == 0 and _table(tmp_path / "empty.parquet") == []
    assert not list(tmp_path.glob(".links-*"))  # the stages' files are gone


def test_a_copy_group_stops_growing_at_the_cap(
    outputs: list[Path], reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linkstages, "MAX_COPY_GROUP", 2)
    report = _on_dask(outputs, tmp_path / "capped.parquet", workers=2)
    assert report.refused > 0
    rows = _table(tmp_path / "capped.parquet")
    groups = Counter(row["original_id"] for row in rows if row["dedupe"] == "syndicated")
    assert max(groups.values()) == 1  # an original and one copy: two records at most
    assert len(rows) == len(_table(reference))

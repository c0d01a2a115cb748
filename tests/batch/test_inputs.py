"""Batch inputs without Dask: WARC records as pages or counted skips, damage survived, input
planning, JSON Lines and HTML folders, and the page step's time limit."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastwarc import Lz4Writer, ZstdWriter

from newsdesk import extract
from newsdesk.batch.inputs import InputOptions, plan_partitions, read_partition
from newsdesk.batch.partition import PartitionOptions, page_step, run_partition
from newsdesk.batch.raw import RawPage, Skipped
from newsdesk.batch.warc import read_warc
from newsdesk.pipeline.processes import CallTimeout, ProcessPool
from tests.batch.warcs import corrupt, demo_pages, raw_record, record, write_warc
from tests.conftest import BENCHMARK

LIMIT = 10_000_000


def _kinds(items: list[RawPage | Skipped]) -> list[str]:
    return [item.kind if isinstance(item, Skipped) else "page" for item in items]


@pytest.fixture(scope="module")
def pages() -> list[tuple[str, bytes]]:
    return demo_pages(20)


def test_warc_pages_and_what_is_skipped(tmp_path: Path, pages: list[tuple[str, bytes]]) -> None:
    latin = "<html><head><title>Café</title></head><body><p>Crème brûlée à la carte.</p></body>"
    members = [
        record(*pages[0]),
        raw_record("https://bare.example/x", b"<html><p>no HTTP headers</p></html>"),
        record("https://img.example/a.png", b"\x89PNG\r\n", "image/png"),
        record("https://gone.example/", b"<html></html>", status="404 Not Found"),
        record("https://latin.example/", latin.encode("latin-1"), "text/html; charset=ISO-8859-1"),
        record("https://big.example/", b"<p>" + b"x" * 50_000_000, "text/html"),
        record(*pages[1]),
    ]
    items = list(read_warc(str(write_warc(tmp_path / "a.warc.gz", members)), max_page_bytes=LIMIT))
    assert _kinds(items) == [
        "page",
        "no_http_headers",
        "non_html",
        "http_status",
        "page",
        "too_large",
        "page",
    ]
    first = items[0]
    assert isinstance(first, RawPage)
    assert first.url == pages[0][0] and first.body == pages[0][1]
    assert first.record_id and first.record_id.startswith("<urn:uuid:")
    latin_page = items[4]
    assert isinstance(latin_page, RawPage) and latin_page.charset == "iso-8859-1"
    record_, _ = page_step(latin_page)  # the HTTP charset honoured
    assert "Crème brûlée" in record_.article.text


def test_a_lying_charset(tmp_path: Path) -> None:
    html = "<html><head><title>Café</title></head><body><article><p>Crème brûlée à la carte."
    html += " A naïve façade, and words enough to make a paragraph of the story.</p></article>"
    lying = record("https://lie.example/", html.encode("latin-1"), "text/html; charset=utf-8")
    (page,) = read_warc(str(write_warc(tmp_path / "l.warc.gz", [lying])), max_page_bytes=LIMIT)
    assert isinstance(page, RawPage) and page.charset == "utf-8"
    record_, _ = page_step(page)
    assert "Crème brûlée à la carte" in record_.article.text
    assert record_.article.decoding is not None
    assert record_.article.decoding.declared == "utf-8"
    assert record_.article.decoding.source == "detected"


def test_a_corrupt_member_costs_only_itself(tmp_path: Path, pages: list[tuple[str, bytes]]) -> None:
    members = [record(*p) for p in pages[:6]]
    members[2] = corrupt(members[2])
    path = write_warc(tmp_path / "c.warc.gz", members)
    items = list(read_warc(str(path), max_page_bytes=LIMIT))
    assert _kinds(items) == ["page", "page", "corrupt_archive", "page", "page", "page"]
    got = [item.url for item in items if isinstance(item, RawPage)]
    assert got == [pages[i][0] for i in (0, 1, 3, 4, 5)]


def test_truncated_empty_and_garbage_files(tmp_path: Path, pages: list[tuple[str, bytes]]) -> None:
    whole = b"".join(record(*p) for p in pages[:3])
    truncated = tmp_path / "t.warc.gz"
    truncated.write_bytes(whole[:-200])
    assert _kinds(list(read_warc(str(truncated), max_page_bytes=LIMIT)))[:2] == ["page", "page"]
    assert _kinds(list(read_warc(str(truncated), max_page_bytes=LIMIT)))[-1] in (
        "truncated",
        "corrupt_archive",
    )
    empty = tmp_path / "e.warc"
    empty.write_bytes(b"")
    assert _kinds(list(read_warc(str(empty), max_page_bytes=LIMIT))) == ["empty_input"]
    garbage = tmp_path / "g.warc.bz2.warc"
    garbage.write_bytes(b"BZh91AY&SY" + bytes(range(256)) * 10)  # an unknown compression
    items = list(read_warc(str(garbage), max_page_bytes=LIMIT))
    assert _kinds(items) == ["corrupt_archive"]
    assert isinstance(items[0], Skipped) and "g.warc.bz2.warc" in items[0].message


def test_an_uncompressed_warc_resyncs_too(tmp_path: Path, pages: list[tuple[str, bytes]]) -> None:
    plain = [gzip.decompress(record(*p)) for p in pages[:4]]
    plain[1] = plain[1].replace(b"WARC/1.", b"WARQ/1.", 1)  # a damaged record header
    path = tmp_path / "p.warc"
    path.write_bytes(b"".join(plain))
    kinds = _kinds(list(read_warc(str(path), max_page_bytes=LIMIT)))
    assert kinds == ["page", "corrupt_archive", "page", "page"]


def test_planning_inputs(tmp_path: Path, pages: list[tuple[str, bytes]]) -> None:
    for name in ("b.warc.gz", "a.warc.gz"):
        write_warc(tmp_path / name, [record(*pages[0])])
    folder = tmp_path / "site"
    folder.mkdir()
    for n in range(5):
        (folder / f"{n}.html").write_bytes(pages[n][1])
    (folder / "5.html.gz").write_bytes(gzip.compress(pages[5][1]))
    (tmp_path / "notes.txt").write_text("not an input")
    listing = tmp_path / "list.txt"
    listing.write_text(f"# inputs\n{folder}\n{tmp_path / 'missing.warc'}\n")
    options = InputOptions(html_files_per_partition=4)
    inputs = [str(tmp_path / "*.warc.gz"), str(tmp_path / "notes.txt")]
    partitions, problems = plan_partitions(inputs, options, listing=listing)
    assert [p.kind for p in partitions] == ["warc", "warc", "html", "html"]
    assert partitions[0].paths[0].endswith("a.warc.gz")
    assert [len(p.paths) for p in partitions[2:]] == [4, 2]
    assert len(problems) == 2
    assert "notes.txt" in problems[0] and "missing.warc" in problems[1]
    again, _ = plan_partitions(inputs, options, listing=listing)
    assert [p.id for p in again] == [p.id for p in partitions]  # stable ids
    items = list(read_partition(partitions[3], options))
    assert all(isinstance(i, RawPage) for i in items)
    assert items[1].body == pages[5][1] and items[1].url.startswith("file://")


def test_json_lines(tmp_path: Path, pages: list[tuple[str, bytes]]) -> None:
    path = tmp_path / "pages.jsonl"
    lines = [
        json.dumps({"link": pages[0][0], "content": pages[0][1].decode()}),
        "not json",
        json.dumps({"content": "<p>no url</p>"}),
        json.dumps({"link": "https://x.example/", "body": "no html field"}),
    ]
    path.write_text("\n".join(lines) + "\n")
    options = InputOptions(url_field="link", html_field="content")
    partitions, _ = plan_partitions([str(path)], options)
    items = list(read_partition(partitions[0], options))
    assert _kinds(items) == ["page", "bad_line", "no_url", "no_html"]


def test_the_time_limit_kills_only_the_call() -> None:
    slow = RawPage(
        "https://slow.example/", b"<html><body><article>" + b"<p>A sentence.</p>" * 400_000, "utf-8"
    )
    with ProcessPool(1) as pool:
        pool.call(page_step, RawPage("https://w.example/", b"<p>warm</p>", "utf-8"))
        started = time.monotonic()
        with pytest.raises(CallTimeout) as caught:
            pool.call(page_step, slow, timeout=0.3)
        assert time.monotonic() - started < 5
        assert caught.value.kind == "time_limit"
        record_, _ = pool.call(page_step, RawPage("https://ok.example/", b"<p>fine</p>", None))
        assert record_.article.fetched_url == "https://ok.example/"


def test_the_benchmark_pages_as_a_warc(tmp_path: Path) -> None:
    """Real pages (the extraction benchmark's, when ../shared/data is there) through a WARC
    and the partition: each row's text is what ``newsdesk.extract`` gives for the page."""
    folder = BENCHMARK / "html"
    if not folder.is_dir():
        pytest.skip("the extraction benchmark's pages are not in ../shared/data")
    truth = json.loads((BENCHMARK / "ground-truth.json").read_text(encoding="utf-8"))
    chosen = sorted(truth)[::12]
    pages = [
        (
            truth[k].get("url") or f"https://b.example/{k}",
            gzip.decompress((folder / f"{k}.html.gz").read_bytes()),
        )
        for k in chosen
    ]
    write_warc(tmp_path / "bench.warc.gz", [record(url, body) for url, body in pages])
    partitions, _ = plan_partitions([str(tmp_path / "bench.warc.gz")])
    (tmp_path / "out").mkdir()
    summary = run_partition(partitions[0], PartitionOptions(out=str(tmp_path / "out")))
    assert summary.articles == len(pages) and not summary.failed
    rows = pq.read_table(tmp_path / "out" / f"{partitions[0].id}.parquet").to_pylist()
    for (url, body), row in zip(pages, rows, strict=True):
        assert row["text"] == extract(body, url=url).text


@pytest.mark.parametrize("suffix", ["zst", "lz4"])
def test_zstd_and_lz4_warcs(tmp_path: Path, pages: list[tuple[str, bytes]], suffix: str) -> None:
    plain = b"".join(gzip.decompress(record(*p)) for p in pages[:4])
    path = tmp_path / f"a.warc.{suffix}"
    # compressed with FastWARC's own writers (warcio writes gzip only)
    writer = ZstdWriter(str(path)) if suffix == "zst" else Lz4Writer(str(path))
    writer.write(plain)
    writer.close()
    partitions, problems = plan_partitions([str(path)])
    assert problems == [] and partitions[0].kind == "warc"
    items = list(read_partition(partitions[0], InputOptions()))
    assert [i.url for i in items if isinstance(i, RawPage)] == [p[0] for p in pages[:4]]

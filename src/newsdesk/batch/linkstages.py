"""``newsdesk batch --dedupe`` on Dask: the links stage as stages that pass files.

The rules are the corpus deduper's (``dedupe.batch``), split where the work can be shared:

1. **prints** (one task a partition): the partition's fingerprints and evidence into a
   compact Parquet file (keys, time, signatures, story terms), and each usable record's LSH
   band keys (text and lead bands: ``sketch.BANDS``) into ``SHARDS`` files by a hash of the
   band and its value — so one bucket is always whole in one shard;
2. **exact duplicates** (the client, over the records' 64-bit keys only): the same canonical
   URL or the same text; the order every choice is made in (``rank``: evidence, time, URL,
   id); the signatures the next stage compares, in one file each worker maps;
3. **candidate pairs** (one task a shard): each bucket's pairs — neighbours by rank, every
   pair of a small bucket, the first ``_RUN_ALL_PAIRS`` against the rest of a big one, as the
   corpus deduper forms them — verified by the copy rule (``links.copy_verdicts``): only
   verified pairs leave the shard;
4. **groups, originals, story clusters** (the client): the verified pairs joined, in the
   order of their ranks, into copy groups that may grow to ``MAX_COPY_GROUP`` records (a
   pair that would grow one past it is refused, and counted: never a blind transitive
   closure); the original of each group chosen by the evidence rules, story clusters by
   the event rule (``stories.StoryIndex`` over the originals in publication order: one
   stream, as in the corpus deduper).

The links are those ``links.link_outputs`` (the corpus deduper in one process) makes from
the same records, whatever the order of the records, the number of workers or of shards
(a test holds them together on a LocalCluster of 1 and 2 processes); they differ only if a
copy group reaches the cap, which the report says.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from newsdesk.batch.links import Linked, LinkReport, read_records, write_links
from newsdesk.dedupe import BatchDeduper
from newsdesk.dedupe.batch import (
    _RUN_ALL_PAIRS,
    _best_of_groups,
    _Blobs,
    _Ids,
    _link_stories,
    _originals,
    _union_equal,
    _UnionFind,
)
from newsdesk.dedupe.links import MIN_SHINGLES, copy_verdicts
from newsdesk.dedupe.sketch import BANDS, TEXT_PERM

__all__ = ["MAX_COPY_GROUP", "link_on_dask"]

MAX_COPY_GROUP = 5_000  # records one copy group may hold (its exact duplicates not counted)
_KINDS = ("text", "lead")
_MIX = np.uint64(0x9E3779B97F4A7C15)
_INTS = ("url", "fetched", "tkey", "target", "idkey", "size", "relay", "site", "credit")
_BAND_ROW = np.dtype([("band", "<i2"), ("value", "<u8"), ("part", "<i4"), ("row", "<i4")])
_VERIFY_CHUNK = 1 << 16


def _save(path: Path, array: np.ndarray) -> None:
    """``array`` to ``path`` whole or not at all (a rerun task writes it again)."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with temporary.open("wb") as handle:
        np.save(handle, array)
    os.replace(temporary, path)


# -- stage 1: prints, one task a partition --------------------------------------------------


def _prints_task(source: str, work: str, number: int, shards: int) -> dict[str, float]:
    """One partition's records into ``r<number>.parquet`` (every record), its evidence into
    ``p<number>.parquet`` (one row a record with a body: the corpus deduper's own keys for
    it) and its usable records' band keys into ``b<shard>-<number>.npy``; its counts and
    the CPU seconds it took."""
    cpu = time.thread_time()
    folder = Path(work)
    index = BatchDeduper()
    records = read_records(Path(source), index)
    count = len(index)
    # the deduper's own rows for them (its keys, exactly as ``BatchDeduper.add`` makes them)
    ints = index._ints.join(count)
    times = index._times.join(count)[:, 0]
    text = np.ascontiguousarray(index._text.join(count))
    lead = index._lead.join(count)
    evidence = pa.table(
        {
            **{name: ints[:, i] for i, name in enumerate(_INTS)},
            "time": times,
            "text": pa.FixedSizeBinaryArray.from_buffers(
                pa.binary(2 * TEXT_PERM), count, [None, pa.py_buffer(text.tobytes())]
            ),
            "story": pa.array([index._stories.bytes_at(i) for i in range(count)], pa.binary()),
            "id": pa.array([index.ids[i] for i in range(count)], pa.string()),
        }
    )
    _write_table(folder / f"r{number:06d}.parquet", records)
    _write_table(folder / f"p{number:06d}.parquet", evidence)
    usable = np.flatnonzero(ints[:, _INTS.index("size")] >= MIN_SHINGLES)
    signatures = {"text": text, "lead": lead}
    for shard, rows in enumerate(_band_rows(signatures, usable, number, shards)):
        _save(folder / f"b{shard:04d}-{number:06d}.npy", rows)
    return {"records": records.num_rows, "bodied": count, "cpu": time.thread_time() - cpu}


def _write_table(path: Path, table: pa.Table) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    pq.write_table(table, temporary, compression="zstd")
    os.replace(temporary, path)


def _band_rows(
    signatures: dict[str, np.ndarray], usable: np.ndarray, number: int, shards: int
) -> list[np.ndarray]:
    """Each shard's band rows (band number, packed value, partition, row) of ``usable``."""
    pieces: list[list[np.ndarray]] = [[] for _ in range(shards)]
    band_number = 0
    for kind in _KINDS:
        bands, rows = BANDS[kind]
        for band in range(bands):
            chunk = signatures[kind][usable, band * rows : (band + 1) * rows]
            packed = np.zeros(len(usable), dtype=np.uint64)
            for r in range(rows):
                packed = (packed << np.uint64(16)) | chunk[:, r].astype(np.uint64)
            with np.errstate(over="ignore"):
                mixed = (packed ^ np.uint64(band_number + 1)) * _MIX
            shard_of = (mixed >> np.uint64(33)) % np.uint64(shards)
            out = np.empty(len(usable), dtype=_BAND_ROW)
            out["band"], out["value"], out["part"], out["row"] = band_number, packed, number, usable
            for shard in range(shards):
                pieces[shard].append(out[shard_of == shard])
            band_number += 1
    return [np.concatenate(p) if p else np.empty(0, dtype=_BAND_ROW) for p in pieces]


# -- stage 3: candidate pairs, one task a shard ---------------------------------------------


def _pairs_task(work: str, shard: int) -> tuple[int, float]:
    """The verified copy pairs of one shard's buckets into ``v<shard>.npy``; how many, and
    the CPU seconds it took."""
    cpu = time.thread_time()
    folder = Path(work)
    files = sorted(folder.glob(f"b{shard:04d}-*.npy"))
    rows = np.concatenate([np.load(f) for f in files]) if files else np.empty(0, dtype=_BAND_ROW)
    first = np.load(folder / "first.npy")
    rank = np.load(folder / "rank.npy", mmap_mode="r")
    kept = np.load(folder / "kept.npy", mmap_mode="r")
    slot = first[rows["part"]] + rows["row"].astype(np.int64)
    use = kept[slot]
    slot, band, value = slot[use], rows["band"][use], rows["value"][use]
    verified = np.empty((0, 2), dtype=np.int64)
    if len(slot):
        ranks = np.asarray(rank[slot])
        order = np.lexsort((ranks, value, band))
        pairs = _bucket_pairs(slot[order], band[order], value[order])
        if len(pairs):
            pairs = np.unique(np.sort(pairs, axis=1), axis=0)
            text = np.load(folder / "text.npy", mmap_mode="r")
            size = np.load(folder / "size.npy", mmap_mode="r")
            keep = np.empty(len(pairs), dtype=bool)
            for start in range(0, len(pairs), _VERIFY_CHUNK):
                p = pairs[start : start + _VERIFY_CHUNK]
                a, b = np.asarray(p[:, 0]), np.asarray(p[:, 1])
                keep[start : start + _VERIFY_CHUNK] = copy_verdicts(
                    np.asarray(size[a]), np.asarray(text[a]), np.asarray(size[b]), text[b]
                )
            verified = pairs[keep]
    _save(folder / f"v{shard:04d}.npy", verified)
    return len(verified), time.thread_time() - cpu


def _bucket_pairs(slots: np.ndarray, band: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The candidate pairs of buckets (runs of equal band and value, each in rank order), as
    ``dedupe.batch`` forms them in one band: neighbours, every pair of a bucket of up to
    ``_RUN_ALL_PAIRS``, and in a bigger one its first ``_RUN_ALL_PAIRS`` against all."""
    same = (band[1:] == band[:-1]) & (value[1:] == value[:-1])
    chain = np.flatnonzero(same)
    pairs = [np.column_stack((slots[chain], slots[chain + 1]))]
    starts = np.flatnonzero(np.r_[True, ~same])
    ends = np.r_[starts[1:], len(slots)]
    sizes = ends - starts
    for start, end in zip(starts[sizes > 2], ends[sizes > 2], strict=True):
        members = slots[start:end]
        if len(members) <= _RUN_ALL_PAIRS:
            a, b = np.triu_indices(len(members), k=1)
            pairs.append(np.column_stack((members[a], members[b])))
        else:
            head = members[:_RUN_ALL_PAIRS]
            pairs.append(
                np.column_stack((np.repeat(head, len(members)), np.tile(members, len(head))))
            )
    both = np.vstack(pairs).astype(np.int64)
    out: np.ndarray = both[both[:, 0] != both[:, 1]]
    return out


# -- the client's stages --------------------------------------------------------------------


def _column(tables: list[pa.Table], name: str, dtype: type) -> np.ndarray:
    if not tables:
        return np.zeros(0, dtype=dtype)
    return np.concatenate([t.column(name).to_numpy() for t in tables]).astype(dtype)


def _signatures(tables: list[pa.Table]) -> np.ndarray:
    chunks = [
        np.frombuffer(chunk.buffers()[1], dtype=np.uint16)[
            chunk.offset * TEXT_PERM : (chunk.offset + len(chunk)) * TEXT_PERM
        ]
        for t in tables
        for chunk in t.column("text").chunks
    ]
    flat = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.uint16)
    return flat.reshape(-1, TEXT_PERM)


def _stories(tables: list[pa.Table]) -> Iterator[bytes]:
    for table in tables:
        for chunk in table.column("story").chunks:
            for value in chunk:
                yield value.as_py() or b""


def link_on_dask(
    outputs: list[Path], target: Path, client: Any, *, shards: int | None = None
) -> LinkReport:
    """Link the records of a job's Parquet ``outputs`` on the Dask ``client``'s workers and
    write the links table to ``target``: the links ``link_outputs`` makes in one process."""
    started = time.perf_counter()
    stages: dict[str, float] = {}  # wall seconds of each stage
    cpu: dict[str, float] = {}  # its CPU seconds: its tasks' on the workers, or the client's
    workers = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
    shards = shards or 4 * workers
    ordered = sorted(outputs)
    work = target.parent / f".links-{uuid.uuid4().hex[:12]}"
    work.mkdir()
    try:
        run = uuid.uuid4().hex[:8]
        futures = [
            client.submit(
                _prints_task, str(path), str(work), n, shards, key=f"links-prints-{n}-{run}"
            )
            for n, path in enumerate(ordered)
        ]
        counts = client.gather(futures)
        stages["prints"] = time.perf_counter() - started
        cpu["prints"] = sum(c["cpu"] for c in counts)
        client_cpu = time.process_time()

        mark = time.perf_counter()
        tables = [pq.read_table(work / f"p{n:06d}.parquet") for n in range(len(ordered))]
        first = np.cumsum([0] + [int(c["bodied"]) for c in counts])[:-1].astype(np.int64)
        ints = {name: _column(tables, name, np.int64) for name in _INTS}
        times = _column(tables, "time", np.float64)
        n = len(times)
        published = np.where(np.isnan(times), np.inf, times)
        rank = np.empty(n, dtype=np.int64)
        rank[np.lexsort((ints["idkey"], ints["url"], published, ints["relay"]))] = np.arange(n)
        exact = _UnionFind(n)
        for name in ("url", "tkey"):
            _union_equal(exact, ints[name], rank)
        kept_of = _best_of_groups(exact.roots(), rank) if n else np.zeros(0, dtype=np.int64)
        kept = np.zeros(n, dtype=bool)
        kept[np.unique(kept_of)] = True
        _save(work / "first.npy", first)
        _save(work / "rank.npy", rank)
        _save(work / "kept.npy", kept)
        _save(work / "size.npy", ints["size"])
        _save(work / "text.npy", _signatures(tables))
        stages["exact"] = time.perf_counter() - mark
        cpu["exact"] = time.process_time() - client_cpu

        mark = time.perf_counter()
        verified = client.gather(
            [
                client.submit(_pairs_task, str(work), s, key=f"links-pairs-{s}-{run}")
                for s in range(shards)
            ]
        )
        pairs = [np.load(work / f"v{s:04d}.npy") for s in range(shards)]
        stages["pairs"] = time.perf_counter() - mark
        cpu["pairs"] = sum(c for _, c in verified)
        client_cpu = time.process_time()

        mark = time.perf_counter()
        linked = _resolve(tables, ints, times, rank, kept_of, pairs)
        stages["groups"] = time.perf_counter() - mark - linked.stories_seconds
        stages["clusters"] = linked.stories_seconds
        cpu["groups"] = time.process_time() - client_cpu - linked.stories_cpu
        cpu["clusters"] = linked.stories_cpu
        client_cpu = time.process_time()
        records = [pq.read_table(work / f"r{k:06d}.parquet") for k in range(len(ordered))]
        mark = time.perf_counter()
        report = write_links(ordered, records, linked, target)
        stages["write"] = time.perf_counter() - mark
        cpu["write"] = time.process_time() - client_cpu
        report.candidates_verified = sum(count for count, _ in verified)
        report.stages = {k: round(v, 3) for k, v in stages.items()}
        report.stages_cpu = {k: round(v, 3) for k, v in cpu.items()}
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _resolve(  # noqa: PLR0917
    tables: list[pa.Table],
    ints: dict[str, np.ndarray],
    times: np.ndarray,
    rank: np.ndarray,
    kept_of: np.ndarray,
    pairs: list[np.ndarray],
) -> Linked:
    """Groups from the exact duplicates and the verified pairs (capped), their originals,
    the story clusters: ``BatchDeduper.resolve``'s last steps."""
    n = len(times)
    if n == 0:  # no record with a body: nothing to link
        empty = np.zeros(0, dtype=np.int64)
        return Linked(ids=_Ids(), duplicate_of=empty, original_of=empty, cluster_of=empty)
    groups = _UnionFind(n)
    for i in np.flatnonzero(kept_of != np.arange(n)):
        groups.union(int(i), int(kept_of[i]))
    refused = 0
    if pairs:
        every = np.vstack(pairs)
        swap = rank[every[:, 0]] > rank[every[:, 1]]
        every[swap] = every[swap][:, ::-1]
        every = np.unique(every, axis=0)  # a pair found in several shards' bands, once
        every = every[np.lexsort((rank[every[:, 1]], rank[every[:, 0]]))]
        for a, b in every.tolist():
            if not groups.union(a, b, MAX_COPY_GROUP):
                refused += 1
    roots = groups.roots()
    original_of = _originals(
        roots,
        rank,
        (ints["url"], ints["fetched"], ints["target"]),
        (ints["site"], ints["credit"]),
    )
    ids = _Ids()
    stories = _Blobs()
    for table in tables:
        for chunk in table.column("id").chunks:
            for value in chunk.to_pylist():
                ids.append(value)
    for story in _stories(tables):
        stories.append_bytes(story)
    mark, mark_cpu = time.perf_counter(), time.process_time()
    clusters = _link_stories(stories, original_of, times, ids)
    stories_seconds = time.perf_counter() - mark
    stories_cpu = time.process_time() - mark_cpu
    cluster_of = _best_of_groups(clusters, rank)
    sizes = np.bincount(roots, minlength=n)
    return Linked(
        ids=ids,
        duplicate_of=np.where(kept_of != np.arange(n), kept_of, -1),
        original_of=np.where(original_of != kept_of, original_of, -1),
        cluster_of=cluster_of,
        refused=refused,
        largest_group=int(sizes.max()),
        stories_seconds=stories_seconds,
        stories_cpu=stories_cpu,
    )

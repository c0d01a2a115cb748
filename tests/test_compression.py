"""Bounded gunzip: the shared helper the feed parser and `newsdesk extract` use."""

from __future__ import annotations

import gzip

import pytest

from newsdesk.compression import GzipError, gunzip_bounded


def test_round_trip_up_to_the_limit() -> None:
    data = b"<p>harbour</p>" * 100
    assert gunzip_bounded(gzip.compress(data), len(data)) == data


def test_a_bomb_stops_at_the_limit() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    with pytest.raises(GzipError, match="decompresses to more than 1000 bytes"):
        gunzip_bounded(bomb, 1000)


def test_truncated_and_garbage_are_refused() -> None:
    packed = gzip.compress(b"x" * 10_000 + bytes(range(256)) * 50)
    with pytest.raises(GzipError, match="truncated gzip"):
        gunzip_bounded(packed[: len(packed) // 2], 1_000_000)
    with pytest.raises(GzipError, match="not valid gzip"):
        gunzip_bounded(b"not gzip at all", 1_000_000)

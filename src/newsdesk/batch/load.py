"""``newsdesk batch --into DB``: a finished job's articles into a store, linked as the relay
links them.

Through the store's front door only (``open_store`` by the caller, then its public methods)
and the pipeline's own dedupe: each article is stored as ``newsdesk fetch`` stores one page
(no source): an exact duplicate of a stored article's text is a sighting of it; anything else
is stored and linked to its copies and story cluster (``pipeline.link``). Loading the same
job again stores nothing twice (the store's natural key is the canonical URL).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from newsdesk.model import Article, article_from_dict
from newsdesk.pipeline.link import article_prints, find_duplicate, link_article
from newsdesk.pipeline.page import make_record
from newsdesk.store import Store

__all__ = ["LoadReport", "load_output"]

_ARTICLE_FIELDS = frozenset(Article.__dataclass_fields__)
_BATCH = 200  # articles a transaction


@dataclass(slots=True)
class LoadReport:
    stored: int = 0
    duplicates: int = 0  # the same text as a stored article: a sighting of it
    copies: int = 0  # stored, and linked to an original elsewhere
    failed: int = 0  # rows that are not an Article (the job's output was changed by hand)


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    if path.suffix == ".parquet":
        for batch in pq.ParquetFile(path).iter_batches(batch_size=_BATCH):
            yield from batch.to_pylist()
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _article(row: dict[str, Any]) -> Article:
    data = {k: v for k, v in row.items() if k in _ARTICLE_FIELDS}
    data["blocks"] = [
        {k: v for k, v in block.items() if not (k == "level" and v is None)}
        for block in data.get("blocks") or ()
    ]
    return article_from_dict(data)


def load_output(store: Store, outputs: list[Path], *, now: datetime) -> LoadReport:
    """Store and link the articles of each output file in ``outputs``, in order."""
    report = LoadReport()
    for path in outputs:
        rows = _rows(path)
        while True:
            chunk = [row for _, row in zip(range(_BATCH), rows, strict=False)]
            if not chunk:
                break
            with store.batch():
                for row in chunk:
                    _load_one(store, row, now, report)
    return report


def _load_one(store: Store, row: dict[str, Any], now: datetime, report: LoadReport) -> None:
    try:
        article = _article(row)
    except (ValueError, TypeError, KeyError):
        report.failed += 1
        return
    seen_at = article.fetched_url or article.url or ""
    prints = article_prints(article)
    if not (article.url or article.fetched_url):
        report.failed += 1
        return
    duplicate = find_duplicate(store, article, prints.text_key)
    if duplicate is not None:
        store.record_sighting(duplicate, source_id=None, url=seen_at, now=now)
        report.duplicates += 1
        return
    article_id = store.store_article(make_record(article), now=now)
    store.record_sighting(article_id, source_id=None, url=seen_at, now=now)
    report.stored += 1
    if article.text and link_article(store, article_id, article, prints).original_id:
        report.copies += 1

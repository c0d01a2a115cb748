"""What the store reads and writes: the stored form of an Article (``Record``), the values
its reads return, and how a row becomes one. No SQL runs here.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from newsdesk.errors import StoreError
from newsdesk.model import (
    Article,
    Provenance,
    Source,
    article_from_json,
    article_to_json,
    pickled_by_fields,
    provenance_from_dict,
)
from newsdesk.urls import canonicalize_url

_WHEN = "COALESCE(published, fetched_at)"
MAX_QUERY_CHARS = 500
READER_CACHE_KIB = 65536  # each read connection's page cache (SQLite's default: 2 MiB)
READER_MMAP_BYTES = 1 << 30  # how much of the file a read connection maps
# The writer's page cache. Its lookups (LSH buckets, text and URL keys, the dedupe's rows)
# and each commit's pages stay in memory instead of being read back from the OS: on 10,000
# demo pages the writer's CPU a page fell ~15 % against the default 2 MiB. Bounded, so the
# writer's memory stays flat as the archive grows.
WRITER_CACHE_KIB = 32768
# Each LSH bucket key contributes its newest members only: templated text (the demo's
# stock sentences, a site's boilerplate) puts thousands of articles in one bucket. A true
# copy shares many bands and is found through its rarer ones. Measured on 10,000 demo
# pages against the generator's truth: copy links of pairwise precision 0.987 at 64 and
# 0.988 at 16, recall 1.0 at both; the writer's CPU a page ~15 % less at 16.
LSH_PER_KEY = 16


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def url_key(url: str) -> str:
    return hashlib.sha256(canonicalize_url(url).encode()).hexdigest()


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Record:
    """An Article in the form the store writes it: its JSON and its raw page compressed.
    Making one is CPU work with no database (``prepare_record``): the pipeline does it
    where extraction runs, so the one writer only writes. The store renders nothing: the
    HTML forms come made (``pages.make_record``), or are None and rendered when shown."""

    article: Article
    article_json: str
    body_html: str | None  # the body as safe HTML (``render.article_body_html``)
    story_html: str | None  # the article page's story (``render.story_html``)
    # the raw page compressed: by zlib here, or as the server sent it when that was one
    # gzip or zlib stream (``zlib.decompress(page, wbits=47)`` reads both)
    page: bytes | None
    url_key: str  # the natural key: a hash of the canonical URL


def prepare_record(
    article: Article | Record,
    raw_page: bytes | None = None,
    *,
    html: tuple[str, str] | None = None,
) -> Record:
    """The stored form of ``article`` and its raw page (a Record is returned as it is), with
    its HTML forms (``html``: the body and the page's story) when the caller made them.
    Raises ``StoreError`` for an Article with neither a url nor a fetched_url."""
    if isinstance(article, Record):
        if raw_page is not None:
            raise ValueError("a Record carries its page already")
        return article
    key_url = article.url or article.fetched_url
    if not key_url:
        raise StoreError("an Article needs a url or fetched_url to be stored")
    page = zlib.compress(raw_page, 1) if raw_page is not None else None
    body, story = html if html is not None else (None, None)
    return Record(article, article_to_json(article), body, story, page, url_key(key_url))


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchHit:
    article_id: int
    title: str | None
    url: str | None
    snippet: str
    rank: float
    source_id: int | None = None
    published: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleQuery:
    """Filters and a page of an article list (newest first). ``after`` is the position of
    the last article of the previous page: (its sort time, its id), as a cursor gives it."""

    source_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    language: str | None = None
    q: str | None = None
    after: tuple[str, int] | None = None
    limit: int = 50
    collapse: bool = False  # one article per story cluster: its representative
    bodies: bool = False  # read each article's stored body HTML too (the feeds show it)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredArticle:
    id: int
    source_id: int | None
    sort_at: str  # the sort time, ISO 8601: the cursor's first half
    fetched_at: datetime
    problem: str | None
    article: Article
    original_id: int | None = None
    cluster_id: int | None = None
    # the body as safe HTML, as stored with the record (None: not read, or stored without
    # it); ``render.stored_body_html`` gives it either way
    body_html: str | None = None


class Sighting(NamedTuple):
    """One time an article was seen: where, under which URL, when."""

    source_id: int | None
    source_name: str | None  # the source's title, else its URL
    url: str
    seen_at: datetime


class CopyLink(NamedTuple):
    """Another member of an article's copy group, as a page links to it."""

    id: int
    title: str | None
    site_name: str | None
    original_id: int | None  # None: the group's original


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleView:
    """What an article page shows, read in three statements and without decoding the record
    (``Store.article_view``). ``story_html`` is None when the row has no current story (stored
    before it was kept, or without it, or under another version of the renderer than the
    caller's ``story_mark``): render it from the record."""

    id: int
    source_id: int | None
    source_name: str | None
    title: str | None
    language: str | None
    problem: str | None
    original_id: int | None
    cluster_id: int | None
    cluster_size: int
    story_html: str | None
    sightings: tuple[Sighting, ...]
    copies: tuple[CopyLink, ...]  # the rest of its copy group, oldest first


@dataclass(frozen=True, slots=True, kw_only=True)
class DedupeRow:
    """What the live dedupe needs of a stored article: its links, and the fields of its
    record an original is chosen by (read without rebuilding the whole Article)."""

    id: int
    original_id: int | None
    cluster_id: int | None
    url: str | None
    fetched_url: str | None
    published: datetime | None
    site_name: str | None
    provenance: Provenance | None


class LshMatch(NamedTuple):
    """A stored article sharing an LSH bucket: enough to verify it, no record decoded. (A
    tuple: a lookup makes up to a hundred of these for every article stored.)"""

    id: int
    fingerprint: bytes
    original_id: int | None
    cluster_id: int | None
    published: str | None  # ISO 8601, parsed only by the lookups that compare times


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterMeta:
    id: int  # the representative article's id
    size: int
    outlets: list[str]
    first: datetime | None
    last: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Cluster:
    id: int  # the representative article's id
    size: int
    sources: int
    newest: str
    representative: StoredArticle


_STORED = f"id, source_id, {_WHEN}, fetched_at, problem, article_json, original_id, cluster_id"
_STORED_BODY = f"{_STORED}, body_html"


def _stored(r: Sequence[Any]) -> StoredArticle:
    return StoredArticle(
        id=r[0],
        source_id=r[1],
        sort_at=r[2],
        fetched_at=datetime.fromisoformat(r[3]),
        problem=r[4],
        article=article_from_json(r[5]),
        original_id=r[6],
        cluster_id=r[7],
        body_html=r[8] if len(r) > 8 else None,
    )


def _record_values(record: Record, source_id: int | None) -> tuple[Any, ...]:
    """url, source_id, title, published, language, article_json, raw_url."""
    article = record.article
    return (
        article.url,
        source_id,
        article.title,
        _iso(article.published),
        article.language,
        record.article_json,
        article.fetched_url,
    )


def _dedupe_row(r: Sequence[Any]) -> DedupeRow:
    data = json.loads(r[3])
    return DedupeRow(
        id=r[0],
        original_id=r[1],
        cluster_id=r[2],
        url=data.get("url"),
        fetched_url=data.get("fetched_url"),
        published=_dt(data.get("published")),
        site_name=data.get("site_name"),
        provenance=provenance_from_dict(data.get("provenance")),
    )


def _source(row: Sequence[Any]) -> Source:
    return Source(
        id=row[0],
        url=row[1],
        kind=row[2],
        title=row[3],
        site_url=row[4],
        etag=row[5],
        last_modified=row[6],
        content_hash=row[7],
        last_check=_dt(row[8]),
        next_check=_dt(row[9]),
        last_error_kind=row[10],
        last_error=row[11],
        error_count=row[12],
        article_count=row[-2],  # the last two are named after s.*, which migrations extend
        category=row[-1],
    )


_PG_SCHEMES = ("postgresql://", "postgres://")
_PG_KEYS = ("host=", "dbname=", "user=", "port=", "service=", "hostaddr=")


def is_postgres(location: str) -> bool:
    """Whether a ``db`` setting names a PostgreSQL database: a ``postgresql://`` or
    ``postgres://`` URL, or libpq's ``key=value`` form (``host=/run/postgresql
    dbname=news``); anything else is a SQLite file's path."""
    text = location.strip()
    if text.lower().startswith(_PG_SCHEMES):
        return True
    return "=" in text and any(part.startswith(_PG_KEYS) for part in text.split())

"""The SQLite store: WAL, one writer, ordered and recorded migrations, idempotent upserts.

Natural keys make every write idempotent: a source by its URL, an entry by (source, GUID),
an article by the hash of its canonical URL. An entry is processed once: it is marked done
in the same transaction that stores its article, so a process killed at any instant either
committed both or neither, and a restart finishes what was left without duplicating.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import zlib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple

from newsdesk.clean.story import STORY_MARK, article_body_html, story_html
from newsdesk.errors import StoreError
from newsdesk.model import (
    Article,
    FeedEntry,
    Provenance,
    Source,
    article_from_json,
    article_to_json,
    pickled_by_fields,
    provenance_from_dict,
)
from newsdesk.store.relay import RELAY_MIGRATION, RelayState, store_error
from newsdesk.urls import canonicalize_url

__all__ = [
    "MAX_QUERY_CHARS",
    "ArticleQuery",
    "ArticleView",
    "Cluster",
    "ClusterMeta",
    "CopyLink",
    "DedupeRow",
    "LshMatch",
    "Record",
    "SearchHit",
    "Sighting",
    "Store",
    "StoredArticle",
    "match_expression",
    "open_reader",
    "open_store",
    "prepare_record",
]

MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0001_initial",
        """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            kind TEXT,
            title TEXT,
            site_url TEXT,
            etag TEXT,
            last_modified TEXT,
            content_hash TEXT,
            last_check TEXT,
            next_check TEXT,
            last_error_kind TEXT,
            last_error TEXT,
            error_count INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE entries (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            guid TEXT NOT NULL,
            url TEXT,
            title TEXT,
            published TEXT,
            content TEXT,
            seen_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'new',
            error_kind TEXT,
            error TEXT,
            article_id INTEGER REFERENCES articles(id),
            UNIQUE (source_id, guid)
        );
        CREATE INDEX entries_status ON entries(status);
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url_key TEXT NOT NULL UNIQUE,
            url TEXT,
            source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL,
            title TEXT,
            published TEXT,
            language TEXT,
            article_json TEXT NOT NULL,
            raw_page BLOB,
            raw_url TEXT,
            fetched_at TEXT NOT NULL,
            problem TEXT
        );
        CREATE INDEX articles_source ON articles(source_id, published);
        CREATE INDEX articles_published ON articles(published);
        CREATE VIRTUAL TABLE articles_fts USING fts5(
            title, text, tokenize='unicode61 remove_diacritics 2'
        );
        CREATE TABLE fetch_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            url TEXT NOT NULL,
            source_id INTEGER,
            status INTEGER,
            outcome TEXT NOT NULL,
            error_kind TEXT,
            elapsed_ms INTEGER,
            bytes INTEGER
        );
        """,
    ),
    (
        "0002_article_order",
        """
        CREATE INDEX articles_when ON articles(COALESCE(published, fetched_at), id);
        CREATE INDEX articles_source_when
            ON articles(source_id, COALESCE(published, fetched_at), id);
        """,
    ),
    (
        "0003_dedupe",
        """
        ALTER TABLE articles ADD COLUMN text_key TEXT;
        ALTER TABLE articles ADD COLUMN fingerprint BLOB;
        ALTER TABLE articles ADD COLUMN original_id INTEGER;
        ALTER TABLE articles ADD COLUMN cluster_id INTEGER;
        CREATE INDEX articles_text_key ON articles(text_key);
        CREATE INDEX articles_original ON articles(original_id);
        CREATE INDEX articles_cluster ON articles(cluster_id);
        CREATE TABLE lsh (
            key INTEGER NOT NULL,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE
        );
        CREATE INDEX lsh_key ON lsh(key, article_id);
        CREATE INDEX lsh_article ON lsh(article_id);
        CREATE TABLE sightings (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL,
            url TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            UNIQUE (article_id, url)
        );
        """,
    ),
    (
        # The raw pages move to a table of their own, and the articles table is rebuilt with
        # its small columns first and the record last: SQLite stores a row's columns in
        # order, so reading a column placed after a large value walks that value's overflow
        # pages. The dedupe's lookups and every list read only the small columns. The LSH
        # keys become a clustered (WITHOUT ROWID) table: one b-tree fewer to write.
        "0004_pages_apart",
        """
        CREATE TABLE pages (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            body BLOB NOT NULL
        );
        INSERT INTO pages (article_id, body)
            SELECT id, raw_page FROM articles WHERE raw_page IS NOT NULL;
        CREATE TABLE articles_rebuilt (
            id INTEGER PRIMARY KEY,
            url_key TEXT NOT NULL UNIQUE,
            url TEXT,
            source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL,
            title TEXT,
            published TEXT,
            fetched_at TEXT NOT NULL,
            language TEXT,
            problem TEXT,
            raw_url TEXT,
            text_key TEXT,
            original_id INTEGER,
            cluster_id INTEGER,
            fingerprint BLOB,
            article_json TEXT NOT NULL
        );
        INSERT INTO articles_rebuilt (id, url_key, url, source_id, title, published, fetched_at,
                language, problem, raw_url, text_key, original_id, cluster_id, fingerprint,
                article_json)
            SELECT id, url_key, url, source_id, title, published, fetched_at, language, problem,
                raw_url, text_key, original_id, cluster_id, fingerprint, article_json
            FROM articles;
        DROP TABLE articles;
        ALTER TABLE articles_rebuilt RENAME TO articles;
        CREATE INDEX articles_source ON articles(source_id, published);
        CREATE INDEX articles_published ON articles(published);
        CREATE INDEX articles_when ON articles(COALESCE(published, fetched_at), id);
        CREATE INDEX articles_source_when
            ON articles(source_id, COALESCE(published, fetched_at), id);
        CREATE INDEX articles_text_key ON articles(text_key);
        CREATE INDEX articles_original ON articles(original_id);
        CREATE INDEX articles_cluster ON articles(cluster_id);
        CREATE TABLE lsh_rebuilt (
            key INTEGER NOT NULL,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            PRIMARY KEY (key, article_id)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO lsh_rebuilt (key, article_id) SELECT key, article_id FROM lsh;
        DROP TABLE lsh;
        ALTER TABLE lsh_rebuilt RENAME TO lsh;
        CREATE INDEX lsh_article ON lsh(article_id);
        """,
    ),
    (
        # The article's body as safe HTML, rendered when the record is made (where extraction
        # runs) rather than at every page view. Last in the row, after the record: only the
        # article page and the feeds read it. Rows stored before it have none and are
        # rendered when shown.
        "0005_body_html",
        """
        ALTER TABLE articles ADD COLUMN body_html TEXT;
        """,
    ),
    (
        # A counter bumped whenever an article's record is written again, in a table of its
        # own (a small column appended to articles would sit after the record). A feed's
        # ETag digests its articles' ids and revisions: a conditional GET reads no record.
        # No row: revision 0 (never rewritten since this migration).
        "0006_article_revisions",
        """
        CREATE TABLE article_revisions (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            revision INTEGER NOT NULL
        );
        """,
    ),
    (
        # The article page's story (``clean.story.story_html``: header, body, quotes, what
        # cleaning removed), rendered when the record is made, like the body. Rows stored
        # before it, or with an older STORY_MARK, are rendered when shown.
        "0007_story_html",
        """
        ALTER TABLE articles ADD COLUMN story_html TEXT;
        """,
    ),
    RELAY_MIGRATION,  # the feed pages still to read; pending entries by source
    # A source's category: the folder an imported OPML file kept it in (written back on export).
    ("0010_source_category", "ALTER TABLE sources ADD COLUMN category TEXT;"),
    # Story clusters: the rolling document frequencies of story terms (key 0: the number of
    # stories counted), halved as the count passes twice the window (newsdesk.dedupe.stories).
    (
        "0011_cluster_meta",
        "CREATE TABLE story_df (key INTEGER PRIMARY KEY, docs REAL NOT NULL) WITHOUT ROWID;",
    ),
)

# The one order of every article list: newest first (published, else fetched), then id.
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

# One pass over the matches: the window's most recent by rowid, ranked outside it.
RANKED_SEARCH = (
    "SELECT rowid, score FROM (SELECT rowid, bm25(articles_fts, 4.0, 1.0) AS score "
    "FROM articles_fts WHERE {where} ORDER BY rowid DESC LIMIT ?) "
    "ORDER BY score, rowid DESC LIMIT ? OFFSET ?"
)
SEARCH_WINDOW = 1000  # matches ranked by bm25 per search: the most recently stored
_UNSAFE = re.compile(r'["\x00-\x1f\x7f]')  # quotes and control characters end FTS5 strings


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
    where extraction runs, so the one writer only writes."""

    article: Article
    article_json: str
    body_html: str  # the body as safe HTML (``clean.story.article_body_html``)
    story_html: str  # the article page's story (``clean.story.story_html``)
    # the raw page compressed: by zlib here, or as the server sent it when that was one
    # gzip or zlib stream (``zlib.decompress(page, wbits=47)`` reads both)
    page: bytes | None
    url_key: str  # the natural key: a hash of the canonical URL


def prepare_record(article: Article | Record, raw_page: bytes | None = None) -> Record:
    """The stored form of ``article`` and its raw page (a Record is returned as it is).
    Raises ``StoreError`` for an Article with neither a url nor a fetched_url."""
    if isinstance(article, Record):
        if raw_page is not None:
            raise ValueError("a Record carries its page already")
        return article
    key_url = article.url or article.fetched_url
    if not key_url:
        raise StoreError("an Article needs a url or fetched_url to be stored")
    page = zlib.compress(raw_page, 1) if raw_page is not None else None
    return Record(article, article_to_json(article), *_html_forms(article), page, url_key(key_url))


def _html_forms(article: Article) -> tuple[str, str]:
    """The article's body and its page's story, as the store keeps them with the record."""
    body = article_body_html(article)
    return body, story_html(article, body)


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
    # the body as safe HTML, as stored with the record (None: not read, or stored before
    # the store kept it); ``body()`` gives it either way
    body_html: str | None = None

    def body(self) -> str:
        """The article's body as safe HTML."""
        if self.body_html is not None:
            return self.body_html
        return article_body_html(self.article)


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
    before it was kept, or under an older ``STORY_MARK``): render it from the record."""

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


def match_expression(query: str) -> str | None:
    """An FTS5 MATCH for ``query`` taken as words (all must occur), never as FTS syntax."""
    terms = [t for t in _UNSAFE.sub(" ", query).split() if t]
    return " ".join(f'"{t}"' for t in terms) if terms else None


_WORD_RUN = re.compile(r"[^\W_]+")  # the tokenizer's words: runs of letters and digits
SNIPPET_WORDS = 16


class Terms(NamedTuple):
    """A query's words, for finding and marking them in a text."""

    pattern: re.Pattern[str]  # the words, whole, in any case
    words: tuple[str, ...]  # case-folded, the longest first


def _term_pattern(match: str) -> Terms | None:
    """The words of a MATCH expression, and a regular expression finding them (whole
    words, any case)."""
    words = sorted({w.casefold() for w in _WORD_RUN.findall(match)}, key=len, reverse=True)
    if not words:
        return None
    either = "|".join(re.escape(w) for w in words)
    pattern = re.compile(rf"(?<![^\W_])(?:{either})(?![^\W_])", re.IGNORECASE)
    return Terms(pattern, tuple(words))


def _hits(text: str, terms: Terms, limit: int = 32) -> list[tuple[int, int]]:
    """The (start, end) of the first ``limit`` whole-word occurrences of the terms' words.

    By ``str.find`` in the case-folded text where folding keeps every character's place
    (the words then are whole runs of letters and digits, which cannot overlap): 15 against
    53 µs a 900-character text for the regular expression, which the other texts take. The
    two differ only for the odd letter the expression folds and ``str.casefold`` does not
    (the dotless i)."""
    low = text.casefold()
    if len(low) != len(text):
        return [(m.start(), m.end()) for m in islice(terms.pattern.finditer(text), limit)]
    found: list[tuple[int, int]] = []
    size = len(text)
    for word in terms.words:
        width = len(word)
        i = low.find(word)
        while i >= 0:
            j = i + width
            if (i == 0 or not text[i - 1].isalnum()) and (j == size or not text[j].isalnum()):
                found.append((i, j))
            i = low.find(word, j)
    found.sort()
    return found[:limit]


def _densest(text: str, hits: list[tuple[int, int]], span: int) -> int:
    """Where the window of ``span`` characters holding the most distinct words begins:
    a sliding window over the hits, by position."""
    best, anchor, j = 0, hits[0][0], 0
    seen: dict[str, int] = {}
    found = [text[a:b].casefold() for a, b in hits]
    for k, (start, _) in enumerate(hits):
        while j < len(hits) and hits[j][0] < start + span:
            seen[found[j]] = seen.get(found[j], 0) + 1
            j += 1
        if len(seen) > best:
            best, anchor = len(seen), start
        left = seen[found[k]] - 1
        if left:
            seen[found[k]] = left
        else:
            del seen[found[k]]
    return anchor


def make_snippet(
    text: str,
    terms: Terms | None,
    marks: tuple[str, str] = ("[", "]"),
    words: int = SNIPPET_WORDS,
) -> str:
    """About ``words`` words of ``text`` around the densest run of the query's words, each
    found word between ``marks``; '…' where the text goes on. (FTS5's snippet() would read
    every candidate's doclist again; this reads only the text.) Matching ignores case but
    not diacritics: a word FTS5 found by folding them ("cafe" for "café") is not marked."""
    hits = _hits(text, terms) if terms is not None else []
    anchor = 0
    if hits and terms is not None:
        anchor = hits[0][0] if len(terms.words) == 1 else _densest(text, hits, 6 * words)
        before = [m.start() for m in _WORD_RUN.finditer(text, max(0, anchor - 60), anchor)]
        if anchor > 60:
            before = before[1:]  # the first may be the tail of a cut word
        anchor = before[-2] if len(before) >= 2 else (before[0] if before else anchor)
    ends = [m.end() for m in islice(_WORD_RUN.finditer(text, anchor), words)]
    end = ends[-1] if ends else len(text)
    while end < len(text) and not text[end].isspace():  # the last word's punctuation
        end += 1
    window = " ".join(text[anchor:end].split())
    if terms is not None:
        window = terms.pattern.sub(lambda m: f"{marks[0]}{m.group()}{marks[1]}", window)
    head = "…" if _WORD_RUN.search(text, 0, anchor) else ""
    tail = "…" if _WORD_RUN.search(text, end) else ""
    return f"{head}{window}{tail}"


class Store(RelayState):
    """One SQLite database. Use from one thread (the writer); readers open their own."""

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        self._db = connection
        self.path = path
        self._depth = 0

    # -- set-up ---------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; return their names."""
        db = self._db
        db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        done = {row[0] for row in db.execute("SELECT name FROM schema_migrations")}
        applied = []
        # A migration may rebuild a table that others refer to (SQLite's documented way:
        # foreign keys off around the rebuild, then checked before it commits).
        enforced = db.execute("PRAGMA foreign_keys").fetchone()[0]
        db.execute("PRAGMA foreign_keys=OFF")
        try:
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                with self._tx():
                    if not db.in_transaction:  # DDL too: all of a migration or none of it
                        db.execute("BEGIN")
                    for statement in _statements(sql):
                        db.execute(statement)
                    broken = db.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(f"migration {name} broke foreign keys: {broken[:3]}")
                    db.execute(
                        "INSERT INTO schema_migrations VALUES (?, ?)",
                        (name, datetime.now(UTC).isoformat()),
                    )
                applied.append(name)
        finally:
            db.execute(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")
        return applied

    def close(self) -> None:
        self._db.close()

    def data_version(self) -> int:
        """SQLite's ``PRAGMA data_version``: it changes when another connection commits (a
        cache of what this connection read is stale then)."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    @contextmanager
    def _tx(self) -> Iterator[None]:
        """A transaction; inside ``batch()`` it joins the batch's transaction."""
        if self._depth:
            yield
            return
        self._depth += 1
        try:
            with self._db:  # commits, or rolls back on an exception
                yield
        except sqlite3.OperationalError as exc:  # full, busy, read-only: say what it means
            raise store_error(exc, self.path) from exc
        finally:
            self._depth -= 1

    def batch(self) -> AbstractContextManager[None]:
        """Group writes into one transaction (all or nothing): fewer commits, same safety —
        each entry's article and its done mark still commit together."""
        return self._tx()

    # -- sources --------------------------------------------------------------------------

    def add_source(
        self,
        url: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        site_url: str | None = None,
        category: str | None = None,
        now: datetime,
    ) -> Source:
        with self._tx():
            self._db.execute(
                "INSERT INTO sources (url, kind, title, site_url, category, next_check, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET "
                "kind = COALESCE(excluded.kind, kind), title = COALESCE(excluded.title, title), "
                "site_url = COALESCE(excluded.site_url, site_url), "
                "category = COALESCE(excluded.category, category)",
                (url, kind, title, site_url, category, _iso(now), _iso(now)),
            )
        source = self.source_by_url(url)
        assert source is not None
        return source

    def delete_source(self, source_id: int) -> bool:
        with self._tx():
            cursor = self._db.execute("DELETE FROM sources WHERE id = ?", (source_id,))
        return cursor.rowcount > 0

    def _sources(self, where: str = "", params: Sequence[Any] = ()) -> list[Source]:
        rows = self._db.execute(
            "SELECT s.*, (SELECT COUNT(*) FROM articles a WHERE a.source_id = s.id), "
            f"s.category FROM sources s {where} ORDER BY s.id",
            params,
        ).fetchall()
        return [_source(row) for row in rows]

    def sources(self) -> list[Source]:
        return self._sources()

    def source_by_url(self, url: str) -> Source | None:
        found = self._sources("WHERE s.url = ?", (url,))
        return found[0] if found else None

    def source(self, source_id: int) -> Source | None:
        found = self._sources("WHERE s.id = ?", (source_id,))
        return found[0] if found else None

    def source_names(self) -> dict[int, str]:
        """Each source's title (else its URL), by id: cheap, without article counts."""
        rows = self._db.execute("SELECT id, COALESCE(title, url) FROM sources")
        return {int(r[0]): str(r[1]) for r in rows}

    def due_sources(self, now: datetime) -> list[Source]:
        return self._sources("WHERE s.next_check IS NULL OR s.next_check <= ?", (_iso(now),))

    def record_check(
        self,
        source_id: int,
        *,
        now: datetime,
        next_check: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
        content_hash: str | None = None,
        kind: str | None = None,
        title: str | None = None,
        site_url: str | None = None,
        error_kind: str | None = None,
        error: str | None = None,
    ) -> None:
        """After a check: validators and schedule; an error increments the error count, a
        success resets it."""
        with self._tx():
            if error_kind is None:
                self._db.execute(
                    "UPDATE sources SET last_check = ?, next_check = ?, "
                    "etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified), "
                    "content_hash = COALESCE(?, content_hash), kind = COALESCE(?, kind), "
                    "title = COALESCE(?, title), site_url = COALESCE(?, site_url), "
                    "last_error_kind = NULL, last_error = NULL, error_count = 0 WHERE id = ?",
                    (
                        _iso(now),
                        _iso(next_check),
                        etag,
                        last_modified,
                        content_hash,
                        kind,
                        title,
                        site_url,
                        source_id,
                    ),
                )
            else:
                self._db.execute(
                    "UPDATE sources SET last_check = ?, next_check = ?, last_error_kind = ?, "
                    "last_error = ?, error_count = error_count + 1 WHERE id = ?",
                    (_iso(now), _iso(next_check), error_kind, error, source_id),
                )

    # -- entries --------------------------------------------------------------------------

    def record_entries(self, source_id: int, entries: Sequence[FeedEntry], *, now: datetime) -> int:
        """Remember the entries a feed listed; return how many were new."""
        with self._tx():
            before = self._db.total_changes
            self._db.executemany(
                "INSERT INTO entries (source_id, guid, url, title, published, content, seen_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(source_id, guid) DO NOTHING",
                [
                    (source_id, e.guid, e.url, e.title, _iso(e.published), e.content, _iso(now))
                    for e in entries
                ],
            )
            return self._db.total_changes - before

    def pending_entries(
        self, *, after: int = 0, limit: int = -1
    ) -> list[tuple[int, int, FeedEntry]]:
        """Entries not processed yet: (entry id, source id, entry), oldest first; with
        ``after``, only those with a greater id, and at most ``limit`` of them (-1: all).
        Entry ids grow as entries are recorded, so a caller can page through them."""
        rows = self._db.execute(
            "SELECT id, source_id, guid, url, title, published, content FROM entries "
            "WHERE status = 'new' AND id > ? ORDER BY id LIMIT ?",
            (after, limit),
        ).fetchall()
        return [
            (
                row[0],
                row[1],
                FeedEntry(
                    guid=row[2], url=row[3], title=row[4], published=_dt(row[5]), content=row[6]
                ),
            )
            for row in rows
        ]

    def pending_count(self) -> int:
        """How many entries are not processed yet."""
        row = self._db.execute("SELECT COUNT(*) FROM entries WHERE status = 'new'").fetchone()
        return int(row[0])

    def store_entry_article(
        self,
        entry_id: int,
        source_id: int,
        article: Article | Record,
        *,
        raw_page: bytes | None = None,
        now: datetime,
        problem: str | None = None,
        error_kind: str | None = None,
    ) -> int:
        """Store an entry's Article (upsert by canonical URL) and mark the entry done, in one
        transaction. Returns the article id."""
        with self._tx():
            article_id = self._upsert_article(
                prepare_record(article, raw_page), source_id, now, problem
            )
            self._db.execute(
                "UPDATE entries SET status = ?, article_id = ?, error_kind = ?, error = ? "
                "WHERE id = ?",
                (
                    "done" if problem is None else "fallback",
                    article_id,
                    error_kind,
                    problem,
                    entry_id,
                ),
            )
        return article_id

    def fail_entry(self, entry_id: int, *, error_kind: str, error: str) -> None:
        with self._tx():
            self._db.execute(
                "UPDATE entries SET status = 'failed', error_kind = ?, error = ? WHERE id = ?",
                (error_kind, error, entry_id),
            )

    # -- articles -------------------------------------------------------------------------

    def store_article(
        self,
        article: Article | Record,
        *,
        source_id: int | None = None,
        raw_page: bytes | None = None,
        now: datetime,
    ) -> int:
        with self._tx():
            return self._upsert_article(prepare_record(article, raw_page), source_id, now, None)

    def _upsert_article(
        self, record: Record, source_id: int | None, now: datetime, problem: str | None
    ) -> int:
        row = self._db.execute(
            "INSERT INTO articles (url_key, url, source_id, title, published, language, "
            "article_json, raw_url, fetched_at, problem, body_html, story_html) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(url_key) DO UPDATE SET article_json = excluded.article_json, "
            "title = excluded.title, published = excluded.published, "
            "language = excluded.language, problem = excluded.problem, "
            "body_html = excluded.body_html, story_html = excluded.story_html RETURNING id",
            (
                record.url_key,
                *_record_values(record, source_id),
                _iso(now),
                problem,
                record.body_html,
                record.story_html,
            ),
        ).fetchone()
        article_id = int(row[0])
        self._save_page(article_id, record)
        self._index_text(article_id, record.article)
        self._revised(article_id)  # an upsert may have rewritten an existing record
        return article_id

    def _revised(self, article_id: int) -> None:
        """Count a rewrite of the article's record (what feed_digest sees)."""
        self._db.execute(
            "INSERT INTO article_revisions (article_id, revision) VALUES (?, 1) "
            "ON CONFLICT(article_id) DO UPDATE SET revision = revision + 1",
            (article_id,),
        )

    def _save_page(self, article_id: int, record: Record) -> None:
        """Keep the record's raw page (a record without one leaves the stored page alone)."""
        if record.page is not None:
            self._db.execute(
                "INSERT INTO pages (article_id, body) VALUES (?, ?) "
                "ON CONFLICT(article_id) DO UPDATE SET body = excluded.body",
                (article_id, record.page),
            )

    def _index_text(self, article_id: int, article: Article) -> None:
        """(Re)index the article's title and text for full-text search."""
        self._db.execute("DELETE FROM articles_fts WHERE rowid = ?", (article_id,))
        self._db.execute(
            "INSERT INTO articles_fts (rowid, title, text) VALUES (?, ?, ?)",
            (article_id, article.title or "", article.text),
        )

    def article(self, article_id: int) -> Article | None:
        row = self._db.execute(
            "SELECT article_json FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        return article_from_json(row[0]) if row else None

    def raw_page(self, article_id: int) -> tuple[bytes, str | None] | None:
        row = self._db.execute(
            "SELECT p.body, a.raw_url FROM pages p JOIN articles a ON a.id = p.article_id "
            "WHERE p.article_id = ?",
            (article_id,),
        ).fetchone()
        if not row:
            return None
        return zlib.decompress(row[0], wbits=47), row[1]  # zlib or gzip

    def replace_article(self, article_id: int, article: Article) -> None:
        body, story = _html_forms(article)
        with self._tx():
            self._db.execute(
                "UPDATE articles SET article_json = ?, title = ?, published = ?, language = ?, "
                "body_html = ?, story_html = ? WHERE id = ?",
                (
                    article_to_json(article),
                    article.title,
                    _iso(article.published),
                    article.language,
                    body,
                    story,
                    article_id,
                ),
            )
            self._index_text(article_id, article)
            self._revised(article_id)

    def articles(
        self, *, source_id: int | None = None, since: datetime | None = None, limit: int = 100
    ) -> list[tuple[int, int | None, Article]]:
        """Newest first: (article id, source id, Article) — ``list_articles`` in short."""
        query = ArticleQuery(source_id=source_id, since=since, limit=limit)
        return [(r.id, r.source_id, r.article) for r in self.list_articles(query)]

    def article_ids(self) -> Iterator[int]:
        for row in self._db.execute("SELECT id FROM articles ORDER BY id"):
            yield int(row[0])

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        offset: int = 0,
        marks: tuple[str, str] = ("[", "]"),
        source_id: int | None = None,
        window: int = SEARCH_WINDOW,
    ) -> list[SearchHit]:
        """Full-text search (FTS5, bm25 ranking, title weighted 4×). The query is taken as
        words, not syntax; ``marks`` surround the matched words in the snippet.

        Ranking considers the ``window`` most recently stored matches (all of them when
        fewer match): a word found in half the archive would otherwise cost a bm25 score
        for every one of its articles, and a news search favours the recent anyway."""
        match = match_expression(query)
        if match is None:
            return []
        where, params = "articles_fts MATCH ?", [match]
        if source_id is not None:
            where += " AND rowid IN (SELECT id FROM articles WHERE source_id = ?)"
            params.append(str(source_id))
        ranked = self._db.execute(
            RANKED_SEARCH.format(where=where), (*params, window, limit, offset)
        ).fetchall()
        if not ranked:
            return []
        ids = [r[0] for r in ranked]
        marks_in = ", ".join("?" * len(ids))
        details = {  # fetched by id: a second MATCH would walk the doclists again
            r[0]: r[1:]
            for r in self._db.execute(
                "SELECT a.id, f.text, a.title, a.url, a.source_id, a.published "
                "FROM articles a JOIN articles_fts f ON f.rowid = a.id "
                f"WHERE a.id IN ({marks_in})",
                ids,
            )
        }
        terms = _term_pattern(match)
        hits = []
        for article_id, rank in ranked:
            text, title, url, source, published = details[article_id]
            hits.append(
                SearchHit(
                    article_id=article_id,
                    title=title,
                    url=url,
                    snippet=make_snippet(text, terms, marks),
                    rank=rank,
                    source_id=source,
                    published=_dt(published),
                )
            )
        return hits

    def feed_digest(self, query: ArticleQuery) -> tuple[str, str | None]:
        """A digest of exactly what ``list_articles(query)`` would return (its articles' ids
        and the revisions of their records), without reading a record, and the newest fetch
        time among them: the validators a feed can answer a conditional GET with before
        building anything."""
        where, params = self._article_filters(query)
        if where is None:
            return hashlib.sha256(b"none").hexdigest(), None
        rows = self._db.execute(
            "SELECT id, fetched_at, COALESCE((SELECT revision FROM article_revisions "
            f"WHERE article_id = articles.id), 0) FROM articles {where} "
            f"ORDER BY {_WHEN} DESC, id DESC LIMIT ?",
            (*params, query.limit),
        ).fetchall()
        digest = hashlib.sha256(repr(rows).encode())
        newest = max((r[1] for r in rows), default=None)
        return digest.hexdigest(), newest

    def _article_filters(self, query: ArticleQuery) -> tuple[str | None, list[Any]]:
        """The WHERE clause and its parameters for ``query`` (None: nothing can match)."""
        clauses: list[str] = []
        params: list[Any] = []
        if query.source_id is not None:
            clauses.append("source_id = ?")
            params.append(query.source_id)
        if query.since is not None:
            clauses.append(f"{_WHEN} >= ?")
            params.append(_iso(query.since))
        if query.until is not None:
            clauses.append(f"{_WHEN} < ?")
            params.append(_iso(query.until))
        if query.language:
            clauses.append("(language = ? OR language LIKE ?)")
            params += [query.language, query.language + "-%"]
        if query.q:
            match = match_expression(query.q)
            if match is None:
                return None, []
            clauses.append("id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
            params.append(match)
        if query.collapse:
            clauses.append("(cluster_id IS NULL OR cluster_id = id)")
        if query.after is not None:  # spelled so that the index's range scan serves it
            clauses.append(f"{_WHEN} <= ? AND ({_WHEN} < ? OR id < ?)")
            params += [query.after[0], query.after[0], query.after[1]]
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params

    def list_articles(self, query: ArticleQuery) -> list[StoredArticle]:
        """A page of articles, newest first, filtered; keyset-paginated by ``query.after``."""
        where, params = self._article_filters(query)
        if where is None:
            return []
        columns = _STORED_BODY if query.bodies else _STORED
        rows = self._db.execute(
            f"SELECT {columns} FROM articles {where} ORDER BY {_WHEN} DESC, id DESC LIMIT ?",
            (*params, query.limit),
        ).fetchall()
        return [_stored(r) for r in rows]

    def stored_article(self, article_id: int) -> StoredArticle | None:
        """The article with its stored body HTML."""
        row = self._db.execute(
            f"SELECT {_STORED_BODY} FROM articles WHERE id = ?",
            (article_id,),
        ).fetchone()
        return _stored(row) if row is not None else None

    def article_view(self, article_id: int) -> ArticleView | None:
        """What the article page shows: the row with its source's name, the size of its
        story cluster and its stored story; its sightings; the rest of its copy group."""
        row = self._db.execute(
            "SELECT a.source_id, COALESCE(s.title, s.url), a.title, a.language, a.problem, "
            "a.original_id, a.cluster_id, CASE WHEN a.cluster_id IS NULL THEN 1 ELSE "
            "(SELECT COUNT(*) FROM articles c WHERE c.cluster_id = a.cluster_id) END, "
            "a.story_html FROM articles a LEFT JOIN sources s ON s.id = a.source_id "
            "WHERE a.id = ?",
            (article_id,),
        ).fetchone()
        if row is None:
            return None
        source_id, source_name, title, language, problem, original_id, cluster_id = row[:7]
        story: str | None = row[8]
        sightings = tuple(
            Sighting(r[0], r[1], r[2], datetime.fromisoformat(r[3]))
            for r in self._db.execute(
                "SELECT g.source_id, COALESCE(s.title, s.url), g.url, g.seen_at "
                "FROM sightings g LEFT JOIN sources s ON s.id = g.source_id "
                "WHERE g.article_id = ? ORDER BY g.seen_at",
                (article_id,),
            )
        )
        group = original_id or article_id
        copies = tuple(
            CopyLink(*r)
            for r in self._db.execute(
                "SELECT id, title, json_extract(article_json, '$.site_name'), original_id "
                f"FROM articles WHERE (id = ? OR original_id = ?) AND id != ? ORDER BY {_WHEN}, id",
                (group, group, article_id),
            )
        )
        return ArticleView(
            id=article_id,
            source_id=source_id,
            source_name=source_name,
            title=title,
            language=language,
            problem=problem,
            original_id=original_id,
            cluster_id=cluster_id,
            cluster_size=int(row[7]),
            story_html=story if story is not None and story.startswith(STORY_MARK) else None,
            sightings=sightings,
            copies=copies,
        )

    def stats(self) -> dict[str, Any]:
        """Counts for the API's stats: tables, entries by status, fetches by outcome,
        sources in error, the newest article's fetch time."""
        db = self._db
        newest = db.execute("SELECT MAX(fetched_at) FROM articles").fetchone()[0]
        return {
            **self.counts(),
            "entries_by_status": {
                r[0]: int(r[1])
                for r in db.execute("SELECT status, COUNT(*) FROM entries GROUP BY status")
            },
            "fetches_by_outcome": self.fetch_outcomes(),
            "sources_failing": int(
                db.execute("SELECT COUNT(*) FROM sources WHERE error_count > 0").fetchone()[0]
            ),
            "newest_fetched_at": newest,
        }

    # -- dedupe ---------------------------------------------------------------------------

    def replace_identity(
        self,
        article_id: int,
        article: Article | Record,
        *,
        source_id: int | None,
        raw_page: bytes | None = None,
    ) -> None:
        """Make ``article`` (an exact duplicate found to be more original) the stored one under
        ``article_id``: its URL, record and raw page; the id, links and sightings stay."""
        record = prepare_record(article, raw_page)
        with self._tx():
            self._db.execute(
                "UPDATE articles SET url_key = ?, url = ?, source_id = ?, title = ?, "
                "published = ?, language = ?, article_json = ?, raw_url = ?, body_html = ?, "
                "story_html = ? WHERE id = ?",
                (
                    record.url_key,
                    *_record_values(record, source_id),
                    record.body_html,
                    record.story_html,
                    article_id,
                ),
            )
            self._save_page(article_id, record)
            self._index_text(article_id, record.article)
            self._revised(article_id)

    def article_by_text_key(self, key: str) -> int | None:
        row = self._db.execute(
            "SELECT id FROM articles WHERE text_key = ? ORDER BY id LIMIT 1", (key,)
        ).fetchone()
        return int(row[0]) if row else None

    def article_id_for_url(self, url: str) -> int | None:
        row = self._db.execute(
            "SELECT id FROM articles WHERE url_key = ?", (url_key(url),)
        ).fetchone()
        return int(row[0]) if row else None

    def lsh_matches(
        self,
        keys: Sequence[int],
        *,
        exclude: int,
        around: tuple[datetime, datetime] | None = None,
        limit: int = 64,
        per_key: int = LSH_PER_KEY,
        min_shared: int = 1,
    ) -> list[LshMatch]:
        """Stored articles sharing bucket keys with ``keys``: the ``limit`` sharing the most
        (a true copy shares most bands; a look-alike one or two), newest first on a tie.
        Each key contributes its ``per_key`` newest articles only, so a bucket that half the
        archive falls in costs no more than a rare one. With ``around``, only articles
        published in that span; with ``min_shared``, only those sharing that many keys."""
        unique = list(dict.fromkeys(keys))
        if not unique:
            return []
        per = (
            "SELECT article_id FROM "
            "(SELECT article_id FROM lsh WHERE key = ? ORDER BY article_id DESC LIMIT ?)"
        )
        every = " UNION ALL ".join([per] * len(unique))
        params: list[Any] = [v for key in unique for v in (key, per_key)]
        # Counted and ranked in SQL, and only the best joined with their rows (twice as
        # many when a time span may still drop some): only the ``limit`` best reach Python.
        params += [exclude, min_shared, limit * 2 if around else limit]
        span = ""
        if around is not None:
            span = f" AND {_WHEN} BETWEEN ? AND ?"  # hits has no column of these names
            params += [_iso(around[0]), _iso(around[1])]
        rows = self._db.execute(
            "SELECT a.id, a.fingerprint, a.original_id, a.cluster_id, a.published FROM "
            f"(SELECT article_id, COUNT(*) AS shared FROM ({every}) WHERE article_id != ? "
            "GROUP BY article_id HAVING shared >= ? ORDER BY shared DESC, article_id DESC LIMIT ?) "
            "AS hits "
            "JOIN articles a ON a.id = hits.article_id "
            f"WHERE a.fingerprint IS NOT NULL{span} "
            "ORDER BY hits.shared DESC, a.id DESC LIMIT ?",
            [*params, limit],
        ).fetchall()
        return [LshMatch(*r) for r in rows]

    def merge_clusters(self, cluster_ids: Sequence[int], into: int) -> None:
        """Every article of the clusters ``cluster_ids`` joins the cluster ``into``."""
        if not cluster_ids:
            return
        marks = ", ".join("?" * len(cluster_ids))
        with self._tx():
            self._db.execute(
                f"UPDATE articles SET cluster_id = ? WHERE cluster_id IN ({marks})",
                (into, *cluster_ids),
            )

    def dedupe_rows(self, where: str, ids: Sequence[int]) -> list[DedupeRow]:
        """Articles whose ``where`` column (id, original_id or cluster_id) is in ``ids``."""
        if where not in ("id", "original_id", "cluster_id") or not ids:
            return []
        marks = ", ".join("?" * len(ids))
        rows = self._db.execute(
            "SELECT id, original_id, cluster_id, article_json FROM articles "
            f"WHERE {where} IN ({marks})",
            tuple(ids),
        ).fetchall()
        return [_dedupe_row(r) for r in rows]

    def save_fingerprint(
        self, article_id: int, *, text_key: str | None, fingerprint: bytes, keys: Sequence[int]
    ) -> None:
        with self._tx():
            self._db.execute(
                "UPDATE articles SET text_key = ?, fingerprint = ? WHERE id = ?",
                (text_key, fingerprint, article_id),
            )
            self._db.execute("DELETE FROM lsh WHERE article_id = ?", (article_id,))
            self._db.executemany(
                "INSERT OR IGNORE INTO lsh (key, article_id) VALUES (?, ?)",
                [(key, article_id) for key in keys],
            )

    def set_links(self, links: dict[int, tuple[int | None, int | None]]) -> None:
        """Set (original_id, cluster_id) for each article id."""
        with self._tx():
            self._db.executemany(
                "UPDATE articles SET original_id = ?, cluster_id = ? WHERE id = ?",
                [(orig, cluster, article_id) for article_id, (orig, cluster) in links.items()],
            )

    def record_sighting(
        self, article_id: int, *, source_id: int | None, url: str, now: datetime
    ) -> None:
        """One more place the article was seen (idempotent per article and URL)."""
        with self._tx():
            self._db.execute(
                "INSERT INTO sightings (article_id, source_id, url, seen_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(article_id, url) DO NOTHING",
                (article_id, source_id, url, _iso(now)),
            )

    def link_entry(self, entry_id: int, article_id: int) -> None:
        """Mark an entry done as a sighting of an article already stored."""
        with self._tx():
            self._db.execute(
                "UPDATE entries SET status = 'duplicate', article_id = ? WHERE id = ?",
                (article_id, entry_id),
            )

    def sightings(self, article_id: int) -> list[tuple[int | None, str, datetime]]:
        """(source id, URL, when) of each time the article was seen, first first."""
        rows = self._db.execute(
            "SELECT source_id, url, seen_at FROM sightings WHERE article_id = ? ORDER BY seen_at",
            (article_id,),
        ).fetchall()
        return [(r[0], r[1], datetime.fromisoformat(r[2])) for r in rows]

    def copies(self, article_id: int, *, group_id: int | None = None) -> list[StoredArticle]:
        """The other members of the article's copy group (its original and copies).
        ``group_id``, when the caller has the article: its original's id, else its own."""
        if group_id is None:
            row = self._db.execute(
                "SELECT COALESCE(original_id, id) FROM articles WHERE id = ?", (article_id,)
            ).fetchone()
            if row is None:
                return []
            group_id = int(row[0])
        rows = self._db.execute(
            f"SELECT {_STORED} FROM articles WHERE (id = ? OR original_id = ?) AND id != ? "
            f"ORDER BY {_WHEN}, id",
            (group_id, group_id, article_id),
        ).fetchall()
        return [_stored(r) for r in rows]

    def cluster_sizes(self, cluster_ids: Sequence[int]) -> dict[int, int]:
        if not cluster_ids:
            return {}
        marks = ", ".join("?" * len(cluster_ids))
        rows = self._db.execute(
            f"SELECT cluster_id, COUNT(*) FROM articles WHERE cluster_id IN ({marks}) "
            "GROUP BY cluster_id",
            tuple(cluster_ids),
        )
        return {int(r[0]): int(r[1]) for r in rows}

    def clusters(self, *, limit: int = 50, min_size: int = 2) -> list[Cluster]:
        """Story clusters, the most recently active first."""
        rows = self._db.execute(
            f"SELECT cluster_id, COUNT(*), COUNT(DISTINCT source_id), MAX({_WHEN}) AS newest "
            "FROM articles WHERE cluster_id IS NOT NULL GROUP BY cluster_id "
            "HAVING COUNT(*) >= ? ORDER BY newest DESC, cluster_id DESC LIMIT ?",
            (min_size, limit),
        ).fetchall()
        out = []
        for cluster_id, size, sources, newest in rows:
            representative = self.stored_article(int(cluster_id))
            if representative is not None:
                out.append(
                    Cluster(
                        id=int(cluster_id),
                        size=int(size),
                        sources=int(sources),
                        newest=newest,
                        representative=representative,
                    )
                )
        return out

    def cluster_members(self, cluster_id: int) -> list[StoredArticle]:
        rows = self._db.execute(
            f"SELECT {_STORED} FROM articles WHERE cluster_id = ? OR id = ? ORDER BY {_WHEN}, id",
            (cluster_id, cluster_id),
        ).fetchall()
        return [_stored(r) for r in rows]

    def story_frequencies(self, keys: Sequence[int]) -> tuple[dict[int, float], float]:
        """The rolling document frequencies of story terms ``keys``, and the stories counted."""
        found: dict[int, float] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            part = unique[start : start + 500]
            marks = ", ".join("?" * len(part))
            rows = self._db.execute(
                f"SELECT key, docs FROM story_df WHERE key IN ({marks})", tuple(part)
            )
            found.update((int(k), float(d)) for k, d in rows)
        total = self._db.execute("SELECT docs FROM story_df WHERE key = 0").fetchone()
        return found, float(total[0]) if total else 0.0

    def count_story_terms(self, keys: Sequence[int], *, window: int) -> None:
        """One more story with terms ``keys``; every count is halved when the stories counted
        pass twice ``window`` (a rolling window that needs no per-day rows)."""
        with self._tx():
            self._db.executemany(
                "INSERT INTO story_df (key, docs) VALUES (?, 1) "
                "ON CONFLICT(key) DO UPDATE SET docs = docs + 1",
                [(key,) for key in {0, *keys}],
            )
            total = self._db.execute("SELECT docs FROM story_df WHERE key = 0").fetchone()
            if total and total[0] > 2 * window:
                self._db.execute("UPDATE story_df SET docs = docs / 2")
                self._db.execute("DELETE FROM story_df WHERE docs < 0.5 AND key != 0")

    def cluster_meta(self, cluster_id: int) -> ClusterMeta | None:
        """A story cluster's size, outlets (site names, else source ids' titles) and the
        first and last time one of its articles was published (else fetched)."""
        row = self._db.execute(
            f"SELECT COUNT(*), MIN({_WHEN}), MAX({_WHEN}) FROM articles "
            "WHERE cluster_id = ? OR id = ?",
            (cluster_id, cluster_id),
        ).fetchone()
        if not row or not row[0]:
            return None
        outlets = self._db.execute(
            "SELECT DISTINCT COALESCE(json_extract(a.article_json, '$.site_name'), s.title) "
            "FROM articles a LEFT JOIN sources s ON s.id = a.source_id "
            "WHERE a.cluster_id = ? OR a.id = ?",
            (cluster_id, cluster_id),
        ).fetchall()
        names = sorted({str(o[0]) for o in outlets if o[0]})
        return ClusterMeta(
            id=cluster_id, size=int(row[0]), outlets=names, first=_dt(row[1]), last=_dt(row[2])
        )

    # -- fetch log and counts -------------------------------------------------------------

    def log_fetch(
        self,
        *,
        url: str,
        now: datetime,
        outcome: str,
        source_id: int | None = None,
        status: int | None = None,
        error_kind: str | None = None,
        elapsed: float | None = None,
        size: int | None = None,
    ) -> None:
        with self._tx():
            self._db.execute(
                "INSERT INTO fetch_log (at, url, source_id, status, outcome, error_kind, "
                "elapsed_ms, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _iso(now),
                    url,
                    source_id,
                    status,
                    outcome,
                    error_kind,
                    int(elapsed * 1000) if elapsed is not None else None,
                    size,
                ),
            )

    def counts(self) -> dict[str, int]:
        out = {}
        for table in ("sources", "entries", "articles", "fetch_log"):
            out[table] = int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        return out

    def fetch_outcomes(self) -> dict[str, int]:
        rows = self._db.execute("SELECT outcome, COUNT(*) FROM fetch_log GROUP BY outcome")
        return {row[0]: int(row[1]) for row in rows}


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


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]


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


def open_reader(path: str | Path) -> Store:
    """A read-only connection to an existing, migrated database (for the web server's
    threads: SQLite in WAL mode lets them read while the one writer writes)."""
    location = str(path)
    if not Path(location).is_file():
        raise StoreError(f"no database at {location} (run `newsdesk run` or `newsdesk demo` first)")
    try:
        connection = _connect_read_only(location)
        connection.execute("PRAGMA busy_timeout=30000")
        # A reader serves random articles: a larger page cache, and the file mapped into
        # memory so a page read is a memory access rather than a system call.
        connection.execute(f"PRAGMA cache_size=-{READER_CACHE_KIB}")
        connection.execute(f"PRAGMA mmap_size={READER_MMAP_BYTES}")
        names = {r[0] for r in connection.execute("SELECT name FROM schema_migrations")}
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read database {location}: {exc}") from exc
    missing = [name for name, _ in MIGRATIONS if name not in names]
    if missing:
        connection.close()
        raise StoreError(
            f"database {location} is not up to date (missing {', '.join(missing)}): "
            "open it once with a writing command, e.g. `newsdesk sources --db ...`"
        )
    return Store(connection, location)


def _connect_read_only(location: str) -> sqlite3.Connection:
    """A read-only connection; on a read-only file system, where SQLite cannot make the
    WAL's shared-memory file, an immutable one (the file is not being written then)."""
    uri = Path(location).resolve().as_uri()
    connection = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=30.0, check_same_thread=False)
    try:
        connection.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.OperationalError:
        connection.close()
        connection = sqlite3.connect(
            uri + "?immutable=1", uri=True, timeout=30.0, check_same_thread=False
        )
    return connection


def open_store(path: str | Path, *, create: bool = True) -> Store:
    """Open (and migrate) the database at ``path``: WAL mode, foreign keys on."""
    location = str(path)
    if not create and location != ":memory:" and not Path(location).exists():
        raise StoreError(f"no database at {location} (run a command that creates it first)")
    try:
        connection = sqlite3.connect(location, timeout=30.0)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA busy_timeout=30000")
        connection.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
        store = Store(connection, location)
        store.migrate()
    except sqlite3.OperationalError as exc:  # full, busy, read-only: say what it means
        raise store_error(exc, location) from exc
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open database {location}: {exc}") from exc
    return store

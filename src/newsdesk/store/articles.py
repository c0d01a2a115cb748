"""The articles table with its raw pages, revisions and the full-text index's rows."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from newsdesk.model import Article, article_from_json, article_to_json
from newsdesk.store.base import StoreBase
from newsdesk.store.records import (
    _STORED,
    _STORED_BODY,
    _WHEN,
    ArticleQuery,
    ArticleView,
    CopyLink,
    Record,
    Sighting,
    StoredArticle,
    _iso,
    _record_values,
    _stored,
    prepare_record,
)


class ArticlesTable(StoreBase):
    """Mixed into ``Store``: the articles table, with raw pages, revisions and the rows of
    the full-text index."""

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
            "ON CONFLICT(article_id) DO UPDATE SET revision = article_revisions.revision + 1",
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

    def replace_article(self, article_id: int, article: Article | Record) -> None:
        """A new record for a stored article (its HTML forms with it when it is a Record;
        None otherwise, rendered when shown)."""
        body, story = (
            (article.body_html, article.story_html) if isinstance(article, Record) else (None, None)
        )
        article = article.article if isinstance(article, Record) else article
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
            found = self._match_clause(query.q)
            if found is None:
                return None, []
            clauses.append(found[0])
            params += found[1]
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

    def article_view(self, article_id: int, *, story_mark: str = "") -> ArticleView | None:
        """What the article page shows: the row with its source's name, the size of its
        story cluster and its stored story (None unless it starts with ``story_mark``, the
        renderer's current version); its sightings; the rest of its copy group."""
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
                f"SELECT id, title, {self._json_text('article_json', 'site_name')}, original_id "
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
            story_html=story if story is not None and story.startswith(story_mark) else None,
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

"""Dedupe links: fingerprints, LSH keys, copies, sightings and story clusters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from newsdesk.model import Article
from newsdesk.store.base import StoreBase
from newsdesk.store.records import (
    _STORED,
    _WHEN,
    LSH_PER_KEY,
    Cluster,
    ClusterMeta,
    DedupeRow,
    LshMatch,
    Record,
    StoredArticle,
    _dedupe_row,
    _dt,
    _iso,
    _record_values,
    _stored,
    prepare_record,
    url_key,
)


class LinksTable(StoreBase):
    """Mixed into ``Store``: dedupe links (fingerprints, LSH keys, copies, sightings, story
    clusters)."""

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
        every = " UNION ALL ".join(
            "SELECT article_id FROM "
            f"(SELECT article_id FROM lsh WHERE key = ? ORDER BY article_id DESC LIMIT ?) AS k{i}"
            for i in range(len(unique))
        )
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
            f"(SELECT article_id, COUNT(*) AS shared FROM ({every}) AS keyed WHERE article_id != ? "
            "GROUP BY article_id HAVING COUNT(*) >= ? ORDER BY shared DESC, article_id DESC "
            "LIMIT ?) "
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
            # the articles already in ``into`` are left alone: rewriting a story's every
            # member at each merge made a merge cost the cluster's size (PostgreSQL writes a
            # new row version, and its index entries, for each: 52 ms a merge at 1,500 pages)
            self._db.execute(
                f"UPDATE articles SET cluster_id = ? WHERE cluster_id IN ({marks}) "
                "AND cluster_id != ?",
                (into, *cluster_ids, into),
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
                "INSERT INTO lsh (key, article_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
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
                "ON CONFLICT(key) DO UPDATE SET docs = story_df.docs + 1",
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
            f"SELECT DISTINCT COALESCE({self._json_text('a.article_json', 'site_name')}, "
            "s.title) "
            "FROM articles a LEFT JOIN sources s ON s.id = a.source_id "
            "WHERE a.cluster_id = ? OR a.id = ?",
            (cluster_id, cluster_id),
        ).fetchall()
        names = sorted({str(o[0]) for o in outlets if o[0]})
        return ClusterMeta(
            id=cluster_id, size=int(row[0]), outlets=names, first=_dt(row[1]), last=_dt(row[2])
        )

"""Search on PostgreSQL: the query syntax (``newsdesk.query``) as a ``tsquery``, the search
documents (``tsvector``: title A, text B, the bigram words of unspaced scripts C), ranking
a bounded window of recent matches by ``ts_rank_cd``, and ``ts_headline`` snippets.

A document is indexed twice over, in its language's configuration (stems: "strikes" finds
"striking") and in 'simple' (every word as written: stop words in phrases, names); a word of
a query is looked up in each configuration the documents may be stemmed in
(``newsdesk_words``). The unspaced scripts' bigrams are built here, not by PostgreSQL's
parser, so they do not depend on the database's locale.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from newsdesk import query
from newsdesk.errors import QueryError
from newsdesk.model import Article
from newsdesk.store.base import StoreBase
from newsdesk.store.records import SearchHit, _dt
from newsdesk.store.search import (
    _WORD_RUN,
    _segments,
    _term_pattern,
    cjk_grams,
    make_snippet,
    query_words,
    search_conditions,
)

CONFIGS = {
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nb": "norwegian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "tr": "turkish",
}
# The matches ranked a search: the most recently stored. Smaller than SQLite's (1,000):
# ts_rank_cd costs some 20-75 µs a document where bm25 costs about 1 (measured over 10,000
# demo articles), so a common word's search stays near 20 ms.
PG_SEARCH_WINDOW = 250
# How a search finds its window of recent matches: by walking the newest search documents
# back, checking each against the query (some 9 µs a document: a common word fills the
# window soon, whatever the archive's size), or through the GIN index (all the matches, a
# table page read for each where they are sparse, some 12 µs: cheap for a rare word). It
# walks a first stretch, then takes the way its matches there say is cheaper, stretch by
# stretch. (The planner, left to choose, walked 100,000 documents for two words it took
# for common together and found in none: 0.9 s; the index's bitmap for a word in every
# document cost 0.25 s.)
WALK_FIRST = 500
WALK_COST = 1.0  # a document walked, against a match read through the index
INDEXED_CHARS = 200_000  # of an article's text (a tsvector holds at most 1 MB)
MAX_POSITION = 16383  # PostgreSQL's largest word position
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def config_for(language: str | None) -> str:
    """The text search configuration of a language tag ('simple' when there is none)."""
    return CONFIGS.get((language or "").split("-")[0].lower(), "simple")


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def grams_vector(text: str) -> str:
    """The bigram words of ``text``'s unspaced scripts as a ``tsvector`` literal, with
    their positions (phrases of bigrams need them); empty when there are none."""
    positions: dict[str, list[int]] = {}
    for position, gram in enumerate(cjk_grams(text).split(), start=1):
        if position > MAX_POSITION:
            break
        places = positions.setdefault(gram, [])
        if len(places) < 256:  # PostgreSQL keeps at most 256 positions a lexeme
            places.append(position)
    return " ".join(f"{_quoted(g)}:{','.join(map(str, p))}" for g, p in positions.items())


def _grams_query(run: str) -> str:
    """A tsquery literal finding an unspaced run: the phrase of its bigrams, or (one
    letter) any bigram it begins."""
    if len(run) == 1:
        return f"{_quoted(run)}:*"
    return " <-> ".join(_quoted(run[i : i + 2]) for i in range(len(run) - 1))


# Reads a query's words or phrase in every configuration the documents may be stemmed in
# (the configurations of newsdesk_words and newsdesk_phrase, migration 0002_search): the
# tsquery's text, the same alternatives written once ("council" is 'council' in all five).
Lexemes = Callable[[str, bool], str]
QUERY_CONFIGS = ("simple", "english", "german", "french", "spanish")


def query_configs(tree: query.And) -> tuple[str, ...]:
    """The configurations a query's words are read in: with a ``lang:`` filter, 'simple' and
    that language's only (its articles are stemmed in it: another language's stemmer would
    find false hits, as Spanish's "pasta" → 'past' finding "past" in English text, or miss
    a language none of ``QUERY_CONFIGS`` stems); otherwise all of ``QUERY_CONFIGS``."""
    languages = {i.value for i in tree.items if isinstance(i, query.Filter) and i.name == "lang"}
    if len(languages) != 1:
        return QUERY_CONFIGS
    config = config_for(languages.pop())
    return ("simple",) if config == "simple" else ("simple", config)


def _text_query(
    text: str, *, prefix: bool, phrase: bool, lexemes: Lexemes | None = None
) -> tuple[str, list[Any]] | None:
    """SQL for a tsquery finding ``text`` (a word, or a phrase), with its parameters: each
    run of words read by ``lexemes`` into a literal when given, else by newsdesk_words or
    newsdesk_phrase in the statement."""
    parts: list[str] = []
    params: list[Any] = []
    for unspaced, part in _segments(_CONTROL.sub(" ", text)):
        if unspaced:
            parts.append("?::tsquery")
            params.append(_grams_query(part))
            continue
        words = _WORD_RUN.findall(part)
        if not words:
            continue
        if prefix:
            quoted = [_quoted(w.lower()) for w in words]
            quoted[-1] += ":*"
            parts.append("to_tsquery('simple', ?)")
            params.append(" <-> ".join(quoted))
        elif lexemes is not None:
            parts.append("?::tsquery")
            params.append(lexemes(" ".join(words), phrase or len(words) > 1))
        else:
            parts.append("newsdesk_phrase(?)" if phrase or len(words) > 1 else "newsdesk_words(?)")
            params.append(" ".join(words))
    if not parts:
        return None
    return "(" + " && ".join(parts) + ")", params


def tsquery_sql(node: query.Node, lexemes: Lexemes | None = None) -> tuple[str, list[Any]] | None:
    """SQL for a ``tsquery`` finding what ``node`` asks (None: it has no word to find); its
    words read by ``lexemes`` into literals when given (``_text_query``)."""
    if isinstance(node, query.Term):
        return _text_query(node.text, prefix=node.prefix, phrase=False, lexemes=lexemes)
    if isinstance(node, query.Phrase):
        return _text_query(node.text, prefix=False, phrase=True, lexemes=lexemes)
    if isinstance(node, query.Or):
        sql: list[str] = []
        params: list[Any] = []
        for item in node.items:
            if isinstance(item, query.Not):
                raise QueryError(f"'{item}': an exclusion cannot be one of the alternatives")
            found = tsquery_sql(item, lexemes)
            if found is None:
                return None
            sql.append(found[0])
            params += found[1]
        return "(" + " || ".join(sql) + ")", params
    if isinstance(node, query.And):
        found_in: list[str] = []
        left_out: list[str] = []
        params_in: list[Any] = []
        params_out: list[Any] = []
        for item in node.items:
            if isinstance(item, query.Filter):
                continue
            if isinstance(item, query.Not):
                excluded = tsquery_sql(item.node, lexemes)
                if excluded is not None:
                    left_out.append(f"!!{excluded[0]}")
                    params_out += excluded[1]
                continue
            found = tsquery_sql(item, lexemes)
            if found is not None:
                found_in.append(found[0])
                params_in += found[1]
        if not found_in:
            if left_out:
                raise QueryError(
                    f"'{node}': an exclusion needs a word to find first (as in: port -strike)"
                )
            return None
        return "(" + " && ".join(found_in + left_out) + ")", params_in + params_out
    raise QueryError(f"'{node}': search has no such condition")


UPSERT_SEARCH = (
    "ON CONFLICT (article_id) DO UPDATE SET config = excluded.config, "
    "title = excluded.title, body = excluded.body, tsv = excluded.tsv"
)


def search_document(article: Article) -> tuple[str, list[Any]]:
    """SQL for an article's search row after its id (config, title, body, tsv), and its
    parameters: the title weight A and the text B, each in its language's configuration
    and in 'simple'; the bigram words of unspaced scripts C."""
    title = _CONTROL.sub(" ", article.title or "")
    body = _CONTROL.sub(" ", article.text[:INDEXED_CHARS])
    config = config_for(article.language)
    sql = "?::regconfig, ?, ?, " + document_vector("?::regconfig", "?", "?", "?::tsvector")
    grams = grams_vector(f"{title}\n{body}")
    return sql, [config, title, body, config, title, title, config, body, body, grams]


def document_vector(config: str, title: str, body: str, grams: str) -> str:
    """The SQL expression of a search document's ``tsvector`` from the SQL expressions of
    its configuration, title, text and bigram vector (column names, or ``?``: the
    expression reads config, title, title, config, body, body, grams in that order)."""
    return (
        f"setweight(to_tsvector({config}, {title}) || to_tsvector('simple', {title}), 'A') || "
        f"setweight(to_tsvector({config}, {body}) || to_tsvector('simple', {body}), 'B') || "
        f"setweight({grams}, 'C')"
    )


class PgSearch(StoreBase):
    """Mixed into ``PostgresStore`` before ``Store``: search on PostgreSQL."""

    def _index_text(self, article_id: int, article: Article) -> None:
        values, params = search_document(article)
        self._db.execute(
            f"INSERT INTO article_search (article_id, config, title, body, tsv) "
            f"SELECT ?, {values} {UPSERT_SEARCH}",
            (article_id, *params),
        )

    def _parse(self, text: str) -> tuple[query.And, tuple[str, list[Any]] | None]:
        tree = query.parse(text)
        query.search_filters(tree)
        configs = query_configs(tree)
        return tree, tsquery_sql(tree, lambda words, phrase: self._lexemes(words, phrase, configs))

    def _lexemes(self, words: str, phrase: bool, configs: tuple[str, ...] = QUERY_CONFIGS) -> str:
        """``words`` as a tsquery's text (a phrase when ``phrase``): its alternatives in the
        configurations of ``QUERY_CONFIGS``, each written once. A literal, unlike a call of
        newsdesk_words, is a constant the planner weighs by the index's statistics: it
        walks the newest articles for a common word and the GIN index for a rare one (the
        five copies of 'council' newsdesk_words makes looked five times as common)."""
        reader = "phraseto_tsquery" if phrase else "plainto_tsquery"
        rows = self._db.execute(
            f"SELECT DISTINCT {reader}(c::regconfig, ?)::text FROM unnest(?::text[]) AS c",
            (words, list(configs)),
        ).fetchall()
        found = sorted(str(r[0]) for r in rows if r[0])
        return " | ".join(f"({q})" for q in found)

    def _match_clause(self, text: str) -> tuple[str, list[Any]] | None:
        tree, found = self._parse(text)
        clauses, params = search_conditions(tree, self._json_text, datetime.now(UTC), "ILIKE")
        if found is not None:
            clauses.insert(
                0, f"id IN (SELECT article_id FROM article_search WHERE tsv @@ {found[0]})"
            )
            params = found[1] + params
        elif not clauses:
            return None
        return " AND ".join(clauses), params

    def _recent_matches(
        self, found: tuple[str, list[Any]], clauses: list[str], params: list[Any], window: int
    ) -> list[int]:
        """The ids of the ``window`` most recently stored articles the tsquery ``found``
        and the filters' ``clauses`` keep, newest first (see ``WALK_FIRST``)."""
        tsquery, words = found
        kept = " AND ".join(clauses)
        exists = f" AND EXISTS (SELECT 1 FROM articles WHERE id = newest.article_id AND {kept})"
        walk = (
            "SELECT array_agg(article_id ORDER BY article_id DESC) "
            f"FILTER (WHERE tsv @@ {tsquery}{exists if clauses else ''}), "
            "MIN(article_id), COUNT(*) FROM (SELECT article_id, tsv FROM article_search "
            "WHERE article_id < ? ORDER BY article_id DESC LIMIT ?) AS newest"
        )
        ids: list[int] = []
        before, walked, stretch = 2**62, 0, WALK_FIRST
        while True:
            matched, least, count = self._db.execute(
                walk, (*words, *params, before, stretch)
            ).fetchone()
            ids += [int(i) for i in matched or ()]
            walked += int(count)
            if len(ids) >= window or count < stretch:
                return ids[:window]
            before = int(least)
            share = len(ids) / walked  # of the documents walked, those that match
            wanted = window - len(ids)
            if share * before < WALK_COST * (wanted / share if share else float("inf")):
                break  # fewer matches left than the walk would read, weighted: the index
            stretch = min(int(1.2 * wanted / share) + 1, 4 * stretch)
        # Through the index: bitmap scans of the matches older than the walk's, a span of
        # ids at a time, the one the walk's share says holds the rest of the window, then
        # four times as many ids (the planner ANDs the GIN index's bitmap with the key's
        # range, so only the span's matches are read from the table: 29 against 191 ms for
        # a word in 1 % of 1,000,000). Index and sequential scans are off for these
        # statements: the planner, trusting the words' statistics over their being found
        # together, might walk the table instead.
        statement = (
            f"SELECT s.article_id FROM article_search s WHERE s.tsv @@ {tsquery} "
            "AND s.article_id < ? AND s.article_id >= ?"
            + (f" AND s.article_id IN (SELECT id FROM articles WHERE {kept})" if clauses else "")
            + " ORDER BY s.article_id DESC LIMIT ?"
        )
        # (none matched in the walk: all the rest at once, the few matches the index has;
        # a range's bitmap of most of the table would cost more than they do)
        span = int(1.5 * (window - len(ids)) / share) + 1 if share else before
        self._db.execute(
            "SELECT set_config('enable_indexscan', 'off', false), "
            "set_config('enable_seqscan', 'off', false)"
        ).fetchall()
        try:
            while before > 0 and len(ids) < window:
                least = max(0, before - span)
                rows = self._db.execute(
                    statement, (*words, before, least, *params, window - len(ids))
                ).fetchall()
                ids += [int(r[0]) for r in rows]
                before, span = least, 4 * span
        finally:
            self._db.execute(
                "SELECT set_config(name, reset_val, false) FROM pg_settings "
                "WHERE name IN ('enable_indexscan', 'enable_seqscan')"
            ).fetchall()
        return ids

    def search(
        self,
        text: str,
        *,
        limit: int = 20,
        offset: int = 0,
        marks: tuple[str, str] = ("[", "]"),
        source_id: int | None = None,
        window: int = PG_SEARCH_WINDOW,
    ) -> list[SearchHit]:
        """As ``SearchIndex.search`` (the same syntax and filters), ranked by ``ts_rank_cd``
        over the ``window`` most recent matches (rank: its negation, lower first, as bm25 on
        SQLite)."""
        tree, found = self._parse(text)
        clauses, params = search_conditions(tree, self._json_text, datetime.now(UTC), "ILIKE")
        if source_id is not None:
            clauses.append("source_id = ?")
            params.append(source_id)
        if found is not None:
            recent = self._recent_matches(found, clauses, params, window)
            if not recent:
                return []
            ranked = self._db.execute(
                f"SELECT article_id, -ts_rank_cd(tsv, {found[0]}) AS score "
                "FROM article_search WHERE article_id = ANY(?::bigint[]) "
                "ORDER BY score, article_id DESC LIMIT ? OFFSET ?",
                (*found[1], recent, limit, offset),
            ).fetchall()
        elif clauses:
            ranked = self._db.execute(
                f"SELECT id, 0.0 FROM articles WHERE {' AND '.join(clauses)} "
                "ORDER BY id DESC LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        else:
            return []
        if not ranked:
            return []
        ids = [int(r[0]) for r in ranked]
        unspaced = any(u for w in query_words(tree) for u, _ in _segments(w))
        headline = "s.body"
        head_params: list[Any] = []
        if found is not None and not unspaced:  # PostgreSQL marks stems too ("strikes")
            options = (
                f'StartSel="{marks[0]}", StopSel="{marks[1]}", MaxWords=18, MinWords=8, '
                'ShortWord=2, MaxFragments=1, FragmentDelimiter=" … "'
            )
            headline = f"ts_headline(s.config, s.body, {found[0]}, ?)"
            head_params = [*found[1], options]
        details = {
            int(r[0]): r[1:]
            for r in self._db.execute(
                f"SELECT a.id, {headline}, a.title, a.url, a.source_id, a.published "
                "FROM articles a JOIN article_search s ON s.article_id = a.id "
                f"WHERE a.id IN ({', '.join('?' * len(ids))})",
                (*head_params, *ids),
            )
        }
        terms = _term_pattern(query_words(tree)) if head_params == [] else None
        hits = []
        for article_id, rank in ranked:
            snippet, title, url, source, published = details[int(article_id)]
            if terms is not None or found is None:
                snippet = make_snippet(snippet, terms, marks)
            hits.append(
                SearchHit(
                    article_id=int(article_id),
                    title=title,
                    url=url,
                    snippet=snippet,
                    rank=float(rank),
                    source_id=source,
                    published=_dt(published),
                )
            )
        return hits

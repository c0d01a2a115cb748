"""Full-text search: the query syntax (``newsdesk.query``) as FTS5's MATCH, its filters
as SQL, the ranked window, snippets (SQLite's dialect: FTS5 and bm25), bigram words for
the scripts written without spaces (both dialects), and the store's ``search``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import Any, NamedTuple

from newsdesk import query
from newsdesk.errors import QueryError
from newsdesk.model import Article
from newsdesk.store.base import StoreBase
from newsdesk.store.records import _WHEN, SearchHit, _dt, _iso

# One pass over the matches: the window's most recent by rowid, ranked outside it.
RANKED_SEARCH = (
    "SELECT rowid, score FROM (SELECT rowid, bm25(articles_fts, 4.0, 1.0, 1.0) AS score "
    "FROM articles_fts WHERE {where} ORDER BY rowid DESC LIMIT ?) AS recent "
    "ORDER BY score, rowid DESC LIMIT ? OFFSET ?"
)
# With filters: the matches walked in the index, each joined with its row (CROSS JOIN keeps
# that order; a "rowid IN (filtered articles)" made FTS5 probe the index once for every
# article the filters kept: 830 ms for `council lang:en` over 10,000 articles).
RANKED_FILTERED = (
    "SELECT rowid, score FROM (SELECT articles_fts.rowid AS rowid, "
    "bm25(articles_fts, 4.0, 1.0, 1.0) AS score FROM articles_fts CROSS JOIN articles "
    "ON articles.id = articles_fts.rowid WHERE articles_fts MATCH ? AND {conditions} "
    "ORDER BY articles_fts.rowid DESC LIMIT ?) AS recent ORDER BY score, rowid DESC LIMIT ? "
    "OFFSET ?"
)
SEARCH_WINDOW = 1000  # matches ranked by bm25 per search: the most recently stored
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")  # control characters have no place in a query

# Scripts written without spaces between words (Thai, Lao, Myanmar, Khmer, Hangul, kana,
# CJK ideographs): a tokenizer that splits on spaces and punctuation takes a whole run of
# them for one word, so "港口" is not found inside "港口工人罢工". Such runs are indexed as
# overlapping pairs of letters (bigrams) in a column of their own, and a query's run is
# looked up as the phrase of its pairs: on both backends, the same grams.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff\u3040-\u30ff"
    "\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\U00020000-\U0002ffff]"
)


# The combining marks of the unspaced scripts (Thai, Lao, Myanmar, Khmer vowel and tone
# marks), which ``_segments`` leaves out of a run: a query's run, found without them, is
# marked in a snippet with them ("ท่าเรือ" is looked up as ทาเรอ and marked as written).
_RUN_MARKS = "".join(
    chr(c)
    for c in (*range(0x0E00, 0x0F00), *range(0x1000, 0x10A0), *range(0x1780, 0x1800))
    if unicodedata.category(chr(c)).startswith("M")
)
_MARKED = re.compile(f"[{_RUN_MARKS}]")


def _segments(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into (unspaced, part): the runs of letters of the unspaced scripts and
    what lies between them. A run's combining marks (Thai vowel and tone marks) are left
    out, so that index and query agree on them."""
    out: list[tuple[bool, str]] = []
    kind: bool | None = None
    part: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if kind and category.startswith("M"):
            continue  # a mark on a letter of the run: skipped, the run goes on
        this = category.startswith("L") and _UNSPACED.match(char) is not None
        if this != kind and part:
            out.append((bool(kind), "".join(part)))
            part = []
        kind = this
        part.append(char)
    if part:
        out.append((bool(kind), "".join(part)))
    return out


def cjk_grams(text: str) -> str:
    """The bigram words of ``text``'s unspaced runs, space-separated: "港口工人" gives
    "港口 口工 工人 人" (each run's last letter alone too, so a one-letter query, looked up
    as a prefix, finds every place of its letter). Empty for text without such runs."""
    if not _UNSPACED.search(text):
        return ""
    grams: list[str] = []
    for run in (part for unspaced, part in _segments(text) if unspaced):
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
        grams.append(run[-1])
    return " ".join(grams)


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fts_text(text: str, prefix: bool) -> str | None:
    """FTS5 for the words of ``text`` in order (a phrase), None when it has none."""
    parts: list[str] = []
    for unspaced, part in _segments(_UNSAFE.sub(" ", text)):
        if unspaced:
            if len(part) == 1:
                parts.append(f"grams : {_fts_string(part)} *")
            else:
                pairs = " ".join(part[i : i + 2] for i in range(len(part) - 1))
                parts.append(f"grams : {_fts_string(pairs)}")
        elif _WORD_RUN.search(part):
            parts.append(_fts_string(" ".join(part.split())) + (" *" if prefix else ""))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


def _fts(node: query.Node) -> str | None:
    """FTS5 MATCH syntax for ``node`` (None: it finds everything: no words in it)."""
    if isinstance(node, query.Term):
        return _fts_text(node.text, node.prefix)
    if isinstance(node, query.Phrase):
        return _fts_text(node.text, False)
    if isinstance(node, query.Or):
        items = []
        for item in node.items:
            if isinstance(item, query.Not):
                raise QueryError(f"'{item}': an exclusion cannot be one of the alternatives")
            found = _fts(item)
            if found is None:
                return None
            items.append(found)
        return "(" + " OR ".join(items) + ")"
    if isinstance(node, query.And):
        found_in, left_out = [], []
        for item in node.items:
            if isinstance(item, query.Filter):
                continue  # a condition on the articles' columns (search_conditions)
            if isinstance(item, query.Not):
                excluded = _fts(item.node)
                if excluded is not None:
                    left_out.append(excluded)
                continue
            found = _fts(item)
            if found is not None:
                found_in.append(found)
        if not found_in:
            if left_out:
                raise QueryError(
                    f"'{node}': an exclusion needs a word to find first (as in: port -strike)"
                )
            return None
        expression = "(" + " AND ".join(found_in) + ")"
        for excluded in left_out:
            expression += f" NOT {excluded}"
        return expression
    raise QueryError(f"'{node}': search has no such condition")


def match_expression(text: str | query.And) -> str | None:
    """The FTS5 MATCH for a search query (its words, phrases, exclusions, alternatives);
    None when it has no word to find. Malformed queries raise ``QueryError``."""
    tree = query.parse(text) if isinstance(text, str) else text
    query.search_filters(tree)
    return _fts(tree)


def search_conditions(
    tree: query.And, json_text: Callable[[str, str], str], now: datetime, like: str = "LIKE"
) -> tuple[list[str], list[Any]]:
    """The query's filters as SQL conditions on ``articles`` (either dialect): ``source:``
    (an id, or words of the source's title or URL), ``lang:``, ``author:``, ``since:``,
    ``until:``. ``like`` is the dialect's LIKE that ignores case (SQLite's LIKE does for
    ASCII; PostgreSQL's ILIKE): ``lang:`` compares the column itself with it, so that
    PostgreSQL's planner weighs the condition by the column's statistics (LOWER(language)
    has none: it took every language for rare, and walked all the articles first)."""
    clauses: list[str] = []
    params: list[Any] = []
    for item in tree.items:
        if not isinstance(item, query.Filter):
            continue
        value = item.value
        if item.name == "source" and value.isdigit():
            clauses.append("source_id = ?")
            params.append(int(value))
        elif item.name == "source":
            clauses.append(
                "source_id IN (SELECT id FROM sources WHERE LOWER(COALESCE(title, '')) "
                f"LIKE ? {_ESCAPE} OR LOWER(url) LIKE ? {_ESCAPE})"
            )
            params += [f"%{_literal(value)}%"] * 2
        elif item.name == "lang":
            clauses.append(f"(language {like} ? {_ESCAPE} OR language {like} ? {_ESCAPE})")
            params += [_literal(value), _literal(value) + "-%"]
        elif item.name == "author":
            clauses.append(f"LOWER({json_text('article_json', 'authors')}) LIKE ? {_ESCAPE}")
            params.append(f"%{_literal(value)}%")
        elif item.name in ("since", "until"):
            clauses.append(f"{_WHEN} {'>=' if item.name == 'since' else '<'} ?")
            params.append(_iso(query.parse_when(value, now)))
    return clauses, params


_ESCAPE = "ESCAPE '\\'"  # a filter's value is text, never a LIKE pattern (both dialects)


def _literal(value: str) -> str:
    """``value`` case-folded, with LIKE's wildcards and the escape character escaped."""
    return re.sub(r"([\\%_])", r"\\\1", value.lower())


_WORD_RUN = re.compile(r"[^\W_]+")  # the tokenizer's words: runs of letters and digits
SNIPPET_WORDS = 16


class Terms(NamedTuple):
    """A query's words, for finding and marking them in a text."""

    pattern: re.Pattern[str]  # the words, whole, in any case (unspaced runs: anywhere)
    words: tuple[str, ...]  # case-folded, the longest first
    inside: frozenset[str] = frozenset()  # the unspaced runs among them (no word bounds)


def query_words(tree: query.Node) -> list[str]:
    """The words a query looks for (not those it excludes, nor its filters)."""
    words: list[str] = []
    for leaf, negated in query.leaves(tree):
        if not negated and isinstance(leaf, query.Term | query.Phrase):
            for unspaced, part in _segments(leaf.text):
                words.extend([part] if unspaced else _WORD_RUN.findall(part))
    return words


def _term_pattern(match: str | Sequence[str]) -> Terms | None:
    """The words of a query (a list of them, or a text taken as words) and a regular
    expression finding them: whole words in any case; an unspaced run wherever it is."""
    found = _WORD_RUN.findall(match) if isinstance(match, str) else match
    words = sorted({w.casefold() for w in found}, key=len, reverse=True)
    if not words:
        return None
    inside = frozenset(w for w in words if _UNSPACED.match(w))
    either = "|".join(
        f"[{_RUN_MARKS}]*".join(map(re.escape, w)) + f"[{_RUN_MARKS}]*"
        if w in inside
        else rf"(?<![^\W_]){re.escape(w)}(?![^\W_])"
        for w in words
    )
    return Terms(re.compile(either, re.IGNORECASE), tuple(words), inside)


def _hits(text: str, terms: Terms, limit: int = 32) -> list[tuple[int, int]]:
    """The (start, end) of the first ``limit`` whole-word occurrences of the terms' words.

    By ``str.find`` in the case-folded text where folding keeps every character's place
    (the words then are whole runs of letters and digits, which cannot overlap): 15 against
    53 µs a 900-character text for the regular expression, which the other texts take. The
    two differ only for the odd letter the expression folds and ``str.casefold`` does not
    (the dotless i)."""
    low = text.casefold()
    if len(low) != len(text) or (terms.inside and _MARKED.search(text)):
        return [(m.start(), m.end()) for m in islice(terms.pattern.finditer(text), limit)]
    found: list[tuple[int, int]] = []
    size = len(text)
    for word in terms.words:
        width = len(word)
        anywhere = word in terms.inside
        i = low.find(word)
        while i >= 0:
            j = i + width
            if anywhere or (
                (i == 0 or not text[i - 1].isalnum()) and (j == size or not text[j].isalnum())
            ):
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


class SearchIndex(StoreBase):
    """Mixed into ``Store``: search over titles and text (SQLite: FTS5 and bm25)."""

    def _index_text(self, article_id: int, article: Article) -> None:
        """(Re)index the article's title and text for full-text search."""
        title = article.title or ""
        self._db.execute("DELETE FROM articles_fts WHERE rowid = ?", (article_id,))
        self._db.execute(
            "INSERT INTO articles_fts (rowid, title, text, grams) VALUES (?, ?, ?, ?)",
            (article_id, title, article.text, cjk_grams(f"{title}\n{article.text}")),
        )

    def _match_clause(self, text: str) -> tuple[str, list[Any]] | None:
        tree = query.parse(text)
        match = match_expression(tree)
        clauses, params = search_conditions(tree, self._json_text, datetime.now(UTC))
        if match is not None:
            clauses.insert(0, "id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
            params.insert(0, match)
        elif not clauses:
            return None
        return " AND ".join(clauses), params

    def search(
        self,
        text: str,
        *,
        limit: int = 20,
        offset: int = 0,
        marks: tuple[str, str] = ("[", "]"),
        source_id: int | None = None,
        window: int = SEARCH_WINDOW,
    ) -> list[SearchHit]:
        """Full-text search (FTS5, bm25 ranking, title weighted 4×) in the query syntax of
        ``newsdesk.query`` (docs/search.md); ``marks`` surround the matched words in the
        snippet. A malformed query raises ``QueryError``.

        Ranking considers the ``window`` most recently stored matches (all of them when
        fewer match): a word found in half the archive would otherwise cost a bm25 score
        for every one of its articles, and a news search favours the recent anyway. A query
        of filters alone lists what they keep, newest first."""
        tree = query.parse(text)
        match = match_expression(tree)
        clauses, params = search_conditions(tree, self._json_text, datetime.now(UTC))
        if source_id is not None:
            clauses.append("source_id = ?")
            params.append(source_id)
        if match is not None:
            statement = (
                RANKED_FILTERED.format(conditions=" AND ".join(clauses))
                if clauses
                else RANKED_SEARCH.format(where="articles_fts MATCH ?")
            )
            ranked = self._db.execute(statement, (match, *params, window, limit, offset)).fetchall()
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
        terms = _term_pattern(query_words(tree))
        hits = []
        for article_id, rank in ranked:
            body, title, url, source, published = details[article_id]
            hits.append(
                SearchHit(
                    article_id=article_id,
                    title=title,
                    url=url,
                    snippet=make_snippet(body, terms, marks),
                    rank=rank,
                    source_id=source,
                    published=_dt(published),
                )
            )
        return hits

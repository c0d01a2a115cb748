"""Full-text search: FTS5's query syntax made safe, the ranked window, snippets (SQLite's
dialect: FTS5 and bm25), and the store's ``search``.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import NamedTuple

from newsdesk.store.base import StoreBase
from newsdesk.store.records import SearchHit, _dt

# One pass over the matches: the window's most recent by rowid, ranked outside it.
RANKED_SEARCH = (
    "SELECT rowid, score FROM (SELECT rowid, bm25(articles_fts, 4.0, 1.0) AS score "
    "FROM articles_fts WHERE {where} ORDER BY rowid DESC LIMIT ?) "
    "ORDER BY score, rowid DESC LIMIT ? OFFSET ?"
)
SEARCH_WINDOW = 1000  # matches ranked by bm25 per search: the most recently stored
_UNSAFE = re.compile(r'["\x00-\x1f\x7f]')  # quotes and control characters end FTS5 strings


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


class SearchIndex(StoreBase):
    """Mixed into ``Store``: search over titles and text."""

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

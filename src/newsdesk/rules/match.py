"""Whether a rule's query matches an Article and the facts of its story. Pure: no I/O, no
clock. The query syntax is search's (``newsdesk.query``, one parser, docs/search.md), with
the story-level conditions only newsdesk can offer:

- ``copies>=3``: carried by at least three outlets (any comparison: ``copies:1``, ``copies<2``)
- ``original``: the original of its copy group, not a syndicated copy
- ``credit:AP``: a wire credit (``provenance.credits``)
- ``speaker:"Ned Price"``: a quoted speaker
- ``embed:twitter``: an embedded post of that platform
- ``lang:de``: the language (``de`` matches ``de-AT``)
- ``source:bbc``: the source it came from (its title, feed URL or site), or the outlet's name
- ``author:smith``: a byline

Words and phrases are looked for in the title and the text, case-insensitively: a word
matches a whole word (``strike*`` any word it begins), a phrase its words in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Protocol

from newsdesk.errors import QueryError
from newsdesk.model import Article
from newsdesk.query import And, Filter, Flag, Node, Not, Or, Phrase, Term, compare, leaves, parse

__all__ = [
    "RULE_FILTERS",
    "RULE_FLAGS",
    "Story",
    "StoryView",
    "Words",
    "article_words",
    "matcher",
    "matches",
    "parse_rule",
]

RULE_FILTERS = ("copies", "credit", "speaker", "embed", "lang", "source", "author")
RULE_FLAGS = ("original",)
_TEXT_FILTERS = frozenset(RULE_FILTERS) - {"copies"}
_WORDS = re.compile(r"\w+", re.UNICODE)
_WORD_CHAR = re.compile(r"\w", re.UNICODE)
# Scripts written without spaces between words: a term is looked for as a substring.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


@dataclass(frozen=True, slots=True, kw_only=True)
class Story:
    """What the store knows of the article's story, beyond the Article itself."""

    copies: int = 1  # the outlets carrying it
    original: bool = True  # the original of its copy group
    sources: tuple[str, ...] = ()  # the names its source goes by (title, feed URL, site)


@lru_cache(maxsize=256)
def parse_rule(text: str) -> And:
    """A rule's query as a tree; a ``QueryError`` (with the position) for one that does not
    parse or uses a filter rules do not know."""
    tree = parse(text, flags=RULE_FLAGS)
    if not tree.items:
        raise QueryError("a rule needs a query (a word, a phrase or a condition)")
    for leaf, _ in leaves(tree):
        if isinstance(leaf, Filter):
            if leaf.name not in RULE_FILTERS:
                raise QueryError(
                    f"unknown condition '{leaf}': rules know "
                    f"{', '.join(f + ':' for f in RULE_FILTERS)} and 'original'"
                )
            if leaf.name == "copies":
                leaf.number()  # a QueryError now rather than at the first story
            elif leaf.op != ":":
                raise QueryError(f"'{leaf}': write {leaf.name}:value")
    return tree


class StoryView(Protocol):
    """What matching reads of a story: a ``Story``, or a view that reads it from the store
    only when a condition asks (the writer's)."""

    @property
    def copies(self) -> int: ...
    @property
    def original(self) -> bool: ...
    @property
    def sources(self) -> tuple[str, ...]: ...


class Words:
    """An article's title and text as matching reads them, made once for all rules, each
    form when a rule first asks for it (a page no word rule reads costs nothing)."""

    def __init__(self, title: str | None, text: str) -> None:
        self._title, self._text = title, text

    @cached_property
    def text(self) -> str:  # casefolded
        return f"{self._title or ''}\n{self._text}".casefold()

    @cached_property
    def words(self) -> list[str]:
        return _WORDS.findall(self.text)

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self.words)

    @cached_property
    def joined(self) -> str:  # the words, space-separated, with a space at each end
        return " " + " ".join(self.words) + " "

    def has_prefix(self, prefix: str) -> bool:
        """Whether a word begins with ``prefix`` (a word begins after a space in ``joined``)."""
        return f" {prefix}" in self.joined


def article_words(article: Article) -> Words:
    return Words(article.title, article.text)


def matches(tree: And, article: Article, story: StoryView, words: Words | None = None) -> bool:
    """Whether the query ``tree`` (``parse_rule``) holds for ``article`` in ``story``
    (``words``: ``article_words(article)``, when the caller matches several rules)."""
    return compile_tree(tree)(words or article_words(article), article, story)


Matcher = Callable[[Words, Article, StoryView], bool]


@lru_cache(maxsize=1024)
def matcher(query: str) -> Matcher:
    """A rule's query as one function, by its text (the writer's per-page lookup: a string's
    hash is kept, a tree's is computed); a ``QueryError`` as ``parse_rule``'s."""
    return compile_tree(parse_rule(query))


@lru_cache(maxsize=256)
def compile_tree(tree: Node) -> Matcher:
    """The tree as one function (made once per query: the writer matches every rule
    against every page it stores). Words and phrases are folded and split here, once."""
    if isinstance(tree, And):
        # the story's conditions last: a page whose words fail reads nothing of its story
        ordered = sorted(tree.items, key=_reads_story)
        items = tuple(compile_tree(item) for item in ordered)
        return lambda w, a, s: all(item(w, a, s) for item in items)
    if isinstance(tree, Or):
        options = tuple(compile_tree(item) for item in tree.items)
        return lambda w, a, s: any(option(w, a, s) for option in options)
    if isinstance(tree, Not):
        inner = compile_tree(tree.node)
        return lambda w, a, s: not inner(w, a, s)
    if isinstance(tree, Term | Phrase):
        return _words_matcher(tree)
    if isinstance(tree, Flag):
        return lambda w, a, s: tree.name == "original" and s.original
    return _condition_matcher(tree)


def _condition_matcher(leaf: Filter) -> Matcher:
    """A condition as a function of its own (its value folded once)."""
    wanted = leaf.value.casefold()
    if leaf.name == "lang":

        def lang(w: Words, a: Article, s: StoryView) -> bool:
            language = (a.language or "").casefold()
            return language == wanted or language.startswith(wanted + "-")

        return lang
    if leaf.name == "credit":

        def credit(w: Words, a: Article, s: StoryView) -> bool:
            credits = a.provenance.credits if a.provenance else ()
            return any(_names_match(wanted, credit) for credit in credits)

        return credit
    if leaf.name == "speaker":
        return lambda w, a, s: any(q.speaker and _names_match(wanted, q.speaker) for q in a.quotes)
    if leaf.name == "embed":
        return lambda w, a, s: any(embed.platform.casefold() == wanted for embed in a.embeds)
    if leaf.name == "author":
        return lambda w, a, s: any(_names_match(wanted, author) for author in a.authors)
    return lambda w, a, s: _condition(leaf, a, s)  # copies, source: the story's


def _words_matcher(leaf: Term | Phrase) -> Matcher:
    """A word or a phrase, looked for in the folded text without splitting it into words:
    a substring search, then (when the substring is there) a search for it bounded by
    non-word characters — what "a whole word" and "these words in a row" mean over the
    words ``\\w+`` makes. Forms that could differ keep the word list (``Words.vocabulary``)."""
    folded = leaf.text.casefold()
    if _UNSPACED.search(folded):  # a script without spaces: a substring
        return lambda w, a, s: folded in w.text
    if isinstance(leaf, Term) and leaf.prefix:
        if not _WORDS.fullmatch(folded):
            return lambda w, a, s: w.has_prefix(folded)
        starts = _at_word_start(re.compile(re.escape(folded)))
        return lambda w, a, s: folded in w.text and starts(w.text)
    parts = _WORDS.findall(folded)
    if not parts:
        return lambda w, a, s: False
    # a word, a phrase, or a term of several words ("covid-19"): its words in a row
    run = _at_word_start(re.compile(r"\W+".join(re.escape(p) for p in parts) + r"(?!\w)"))
    first = parts[0]
    return lambda w, a, s: first in w.text and run(w.text)


def _at_word_start(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    """Whether ``pattern`` occurs where a word begins (not after a word character). The
    pattern begins with a literal, which the regex engine finds fast; a look-behind
    before it would make the engine try every position."""

    def found(text: str) -> bool:
        at = 0
        while (match := pattern.search(text, at)) is not None:
            start = match.start()
            if start == 0 or _WORD_CHAR.match(text, start - 1) is None:
                return True
            at = start + 1
        return False

    return found


def _reads_story(node: Node) -> bool:
    """Whether matching ``node`` may read the story (its copies, original or source)."""
    return any(
        isinstance(leaf, Flag) or (isinstance(leaf, Filter) and leaf.name in ("copies", "source"))
        for leaf, _ in leaves(node)
    )


def _condition(leaf: Filter, article: Article, story: StoryView) -> bool:
    if leaf.name == "copies":
        return compare(leaf, story.copies)
    wanted = leaf.value.casefold()
    if leaf.name == "lang":
        language = (article.language or "").casefold()
        return language == wanted or language.startswith(wanted + "-")
    if leaf.name == "credit":
        credits = article.provenance.credits if article.provenance else ()
        return any(_names_match(wanted, credit) for credit in credits)
    if leaf.name == "speaker":
        return any(q.speaker and _names_match(wanted, q.speaker) for q in article.quotes)
    if leaf.name == "embed":
        return any(embed.platform.casefold() == wanted for embed in article.embeds)
    if leaf.name == "author":
        return any(_names_match(wanted, author) for author in article.authors)
    if leaf.name == "source":
        if article.site_name and wanted in article.site_name.casefold():
            return True
        return any(wanted in name.casefold() for name in story.sources if name)
    return False  # parse_rule refuses any other filter


def _names_match(wanted: str, name: str) -> bool:
    """A name condition holds for the name itself or a whole-word part of it: ``AP`` for
    ``AP`` and ``The AP``, ``price`` for ``Ned Price``; not ``ap`` inside ``Apple``."""
    folded = name.casefold()
    return folded == wanted or f" {wanted} " in f" {' '.join(_WORDS.findall(folded))} "

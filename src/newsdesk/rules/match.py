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
from functools import lru_cache

from newsdesk.errors import QueryError
from newsdesk.model import Article
from newsdesk.query import And, Filter, Flag, Node, Not, Or, Phrase, Term, compare, leaves, parse

__all__ = ["RULE_FILTERS", "RULE_FLAGS", "Story", "Words", "article_words", "matches", "parse_rule"]

RULE_FILTERS = ("copies", "credit", "speaker", "embed", "lang", "source", "author")
RULE_FLAGS = ("original",)
_TEXT_FILTERS = frozenset(RULE_FILTERS) - {"copies"}
_WORDS = re.compile(r"\w+", re.UNICODE)
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


@dataclass(frozen=True, slots=True)
class Words:
    """An article's title and text as matching reads them, made once for all rules."""

    text: str  # casefolded
    vocabulary: frozenset[str]
    joined: str  # the words, space-separated, with a space at each end


def article_words(article: Article) -> Words:
    text = f"{article.title or ''}\n{article.text}".casefold()
    words = _WORDS.findall(text)
    return Words(text, frozenset(words), " " + " ".join(words) + " ")


def matches(tree: And, article: Article, story: Story, words: Words | None = None) -> bool:
    """Whether the query ``tree`` (``parse_rule``) holds for ``article`` in ``story``
    (``words``: ``article_words(article)``, when the caller matches several rules)."""
    return compile_tree(tree)(words or article_words(article), article, story)


Matcher = Callable[[Words, Article, Story], bool]


@lru_cache(maxsize=256)
def compile_tree(tree: Node) -> Matcher:
    """The tree as one function (made once per query: the writer matches every rule
    against every page it stores). Words and phrases are folded and split here, once."""
    if isinstance(tree, And):
        items = tuple(compile_tree(item) for item in tree.items)
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
    return lambda w, a, s: _condition(tree, a, s)


def _words_matcher(leaf: Term | Phrase) -> Matcher:
    folded = leaf.text.casefold()
    if _UNSPACED.search(folded):  # a script without spaces: a substring
        return lambda w, a, s: folded in w.text
    if isinstance(leaf, Term) and leaf.prefix:
        return lambda w, a, s: any(word.startswith(folded) for word in w.vocabulary)
    parts = _WORDS.findall(folded)
    if len(parts) == 1 and isinstance(leaf, Term):
        word = parts[0]
        return lambda w, a, s: word in w.vocabulary
    if not parts:
        return lambda w, a, s: False
    run = f" {' '.join(parts)} "  # a phrase, or a term of several words ("covid-19")
    return lambda w, a, s: run in w.joined


def _condition(leaf: Filter, article: Article, story: Story) -> bool:
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
        names = (*story.sources, article.site_name or "")
        return any(wanted in name.casefold() for name in names if name)
    return False  # parse_rule refuses any other filter


def _names_match(wanted: str, name: str) -> bool:
    """A name condition holds for the name itself or a whole-word part of it: ``AP`` for
    ``AP`` and ``The AP``, ``price`` for ``Ned Price``; not ``ap`` inside ``Apple``."""
    folded = name.casefold()
    return folded == wanted or f" {wanted} " in f" {' '.join(_WORDS.findall(folded))} "

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
from dataclasses import dataclass
from functools import lru_cache

from newsdesk.errors import QueryError
from newsdesk.model import Article
from newsdesk.query import And, Filter, Flag, Leaf, Phrase, Term, compare, evaluate, leaves, parse

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
    prepared = words or article_words(article)
    text, vocabulary, joined = prepared.text, prepared.vocabulary, prepared.joined

    def test(leaf: Leaf) -> bool:
        if isinstance(leaf, Term):
            term = leaf.text.casefold()
            if _UNSPACED.search(term):
                return term in text
            if leaf.prefix:
                return any(word.startswith(term) for word in vocabulary)
            parts = _WORDS.findall(term)
            if len(parts) > 1:  # "covid-19": its words in order
                return f" {' '.join(parts)} " in joined
            return bool(parts) and parts[0] in vocabulary
        if isinstance(leaf, Phrase):
            phrase = leaf.text.casefold()
            if _UNSPACED.search(phrase):
                return phrase in text
            return f" {' '.join(_WORDS.findall(phrase))} " in joined
        if isinstance(leaf, Flag):
            return leaf.name == "original" and story.original
        return _condition(leaf, article, story)

    return evaluate(tree, test)


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

"""The one query syntax: search (on either backend) and rule conditions read it. Pure: a
string in, a small typed tree out (or a ``QueryError`` naming the problem and where).

::

    query    := group+                       every group must hold (AND)
    group    := unary ("OR" unary)*          any one of them (OR binds tighter than AND)
    unary    := "-" unary | primary          "-" excludes (NOT)
    primary  := '"' words '"'                a phrase: the words in this order
              | name op value                a filter: source:bbc, lang:de, since:2026-11-01,
                                             copies>=3, speaker:"Ned Price"
              | word ["*"]                   a word (``word*``: any word it begins)
              | "(" query ")"                a group
    op       := ":" | "=" | ">=" | "<=" | ">" | "<"

So ``港口 "port strike" -rumour (rotterdam OR antwerp) source:reuters since:7d`` is
``AND(Term 港口, Phrase "port strike", NOT Term rumour, OR(rotterdam, antwerp),
Filter source:reuters, Filter since:7d)``. ``OR`` is an operator in capitals only (``or`` is a
word); ``AND`` may be written and changes nothing. A name in ``flags`` standing alone is a
``Flag`` (rules: ``original``), else it is a word. What a filter's name means, and which are
allowed, is the reader's business (``search_filters`` for search); the parser takes any
``name:value``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from newsdesk.errors import QueryError

__all__ = [
    "MAX_DEPTH",
    "MAX_QUERY_CHARS",
    "SEARCH_FILTERS",
    "And",
    "Filter",
    "Flag",
    "Leaf",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "Term",
    "compare",
    "evaluate",
    "leaves",
    "parse",
    "parse_when",
    "search_filters",
]

MAX_QUERY_CHARS = 500
MAX_DEPTH = 16  # nested groups and exclusions
OPERATORS = (">=", "<=", ":", "=", ">", "<")  # the two-character ones first
SEARCH_FILTERS = ("source", "lang", "author", "since", "until")


@dataclass(frozen=True, slots=True)
class Term:
    """A word as written (case kept); ``prefix``: written ``word*``."""

    text: str
    prefix: bool = False

    def __str__(self) -> str:
        return self.text + ("*" if self.prefix else "")


@dataclass(frozen=True, slots=True)
class Phrase:
    """Quoted words, which must occur in this order."""

    text: str

    def __str__(self) -> str:
        return f'"{self.text}"'


@dataclass(frozen=True, slots=True)
class Filter:
    """``name op value``: ``name`` lower-cased, ``op`` one of ``OPERATORS``."""

    name: str
    op: str
    value: str

    def number(self) -> float:
        """The value as a number (``copies>=3``), or a QueryError naming the filter."""
        try:
            return float(self.value)
        except ValueError:
            raise QueryError(f"{self}: {self.value!r} is not a number") from None

    def __str__(self) -> str:
        value = (
            f'"{self.value}"' if not self.value or _NEEDS_QUOTES.search(self.value) else self.value
        )
        return f"{self.name}{self.op}{value}"


@dataclass(frozen=True, slots=True)
class Flag:
    """A bare name the caller declared a flag (a rule's ``original``)."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Not:
    node: Node

    def __str__(self) -> str:
        return f"-{_grouped(self.node)}"


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]

    def __str__(self) -> str:
        return " OR ".join(_grouped(n) if isinstance(n, Or) else str(n) for n in self.items)


@dataclass(frozen=True, slots=True)
class And:
    """Every item must hold; the empty And (an empty query) holds always."""

    items: tuple[Node, ...] = ()

    def __str__(self) -> str:
        return " ".join(_grouped(n) if isinstance(n, And) else str(n) for n in self.items)


Leaf = Term | Phrase | Filter | Flag
Node = Term | Phrase | Filter | Flag | Not | Or | And

_NEEDS_QUOTES = re.compile(r'[\s()"]')
_FILTER = re.compile(r"([A-Za-z][A-Za-z0-9_]*)(>=|<=|:|=|>|<)(.*)", re.DOTALL)
_WORD_END = re.compile(r'[\s()"]')


def _grouped(node: Node) -> str:
    return f"({node})" if isinstance(node, And | Or) and len(node.items) > 1 else str(node)


# -- reading ------------------------------------------------------------------------------

_Token = tuple[str, str, int]  # (kind, text, position): kind word|phrase|or|open|close|not


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, size = 0, len(text)
    while i < size:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(("open" if char == "(" else "close", char, i))
            i += 1
        elif char == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError(f"unclosed quote at character {i + 1}: end the phrase with '\"'")
            tokens.append(("phrase", text[i + 1 : end], i))
            i = end + 1
        elif char == "-" and (i + 1 == size or text[i + 1].isspace()):
            i += 1  # a lone dash ("Biden - Trump") excludes nothing: a dash, read as space
        elif char == "-" and (i == 0 or text[i - 1].isspace() or text[i - 1] == "("):
            tokens.append(("not", char, i))
            i += 1
        else:
            match = _WORD_END.search(text, i)
            end = match.start() if match else size
            word = text[i:end]
            filter_match = _FILTER.fullmatch(word)
            if filter_match and not filter_match.group(3) and end < size and text[end] == '"':
                close = text.find('"', end + 1)  # name:"quoted value"
                if close < 0:
                    raise QueryError(
                        f"unclosed quote at character {end + 1}: end the value with '\"'"
                    )
                word, end = text[i : close + 1], close + 1
            if word == "OR":
                tokens.append(("or", word, i))
            elif word != "AND":
                tokens.append(("word", word, i))
            i = end
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token], flags: Collection[str]) -> None:
        self.tokens = tokens
        self.at = 0
        self.flags = {f.lower() for f in flags}

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def query(self, depth: int) -> And:
        items: list[Node] = []
        while (token := self.peek()) is not None and token[0] != "close":
            items.append(self.group(depth))
        return And(tuple(items))

    def group(self, depth: int) -> Node:
        token = self.peek()
        if token is not None and token[0] == "or":
            raise QueryError(f"'OR' at character {token[2] + 1} has nothing before it")
        items = [self.unary(depth)]
        while (token := self.peek()) is not None and token[0] == "or":
            self.at += 1
            after = self.peek()
            if after is None or after[0] in ("or", "close"):
                raise QueryError(f"'OR' at character {token[2] + 1} has nothing after it")
            items.append(self.unary(depth))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def unary(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise QueryError(f"the query nests groups and exclusions deeper than {MAX_DEPTH}")
        token = self.tokens[self.at]
        kind, text, position = token
        self.at += 1
        if kind == "not":
            following = self.peek()
            if following is None or following[0] in ("or", "close"):
                raise QueryError(f"'-' at character {position + 1} excludes nothing")
            return Not(self.unary(depth + 1))
        if kind == "phrase":
            return Phrase(" ".join(text.split()))
        if kind == "open":
            inner = self.query(depth + 1)
            close = self.peek()
            if close is None:
                raise QueryError(f"'(' at character {position + 1} is never closed")
            self.at += 1
            if not inner.items:
                raise QueryError(f"the group at character {position + 1} is empty")
            return inner.items[0] if len(inner.items) == 1 else inner
        if kind == "close":
            raise QueryError(f"')' at character {position + 1} closes nothing")
        return self.word(text, position)

    def word(self, text: str, position: int) -> Node:
        match = _FILTER.fullmatch(text)
        if match and not text.startswith(("http:", "https:")):
            name, op, value = match.group(1).lower(), match.group(2), match.group(3)
            if value.startswith('"') and value.endswith('"') and len(value) >= 2:
                value = " ".join(value[1:-1].split())
            if not value:
                raise QueryError(
                    f"the filter '{name}{op}' at character {position + 1} has no value"
                )
            return Filter(name, op, value)
        if text.lower() in self.flags:
            return Flag(text.lower())
        if text.endswith("*") and len(text) > 1:
            return Term(text.rstrip("*"), prefix=True)
        return Term(text)


def parse(text: str, *, flags: Collection[str] = (), max_chars: int = MAX_QUERY_CHARS) -> And:
    """Read ``text`` as a query (module docstring). ``flags``: bare names read as ``Flag``.
    Raises ``QueryError`` naming the problem (and the character where it is)."""
    if len(text) > max_chars:
        raise QueryError(f"the query is {len(text)} characters long; at most {max_chars}")
    parser = _Parser(_tokens(text), flags)
    tree = parser.query(0)
    stray = parser.peek()
    if stray is not None:
        raise QueryError(f"')' at character {stray[2] + 1} closes nothing")
    return tree


# -- using a tree -------------------------------------------------------------------------


def leaves(node: Node) -> Iterator[tuple[Leaf, bool]]:
    """Every leaf of ``node`` with whether it stands under an odd number of exclusions."""
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        current, negated = stack.pop()
        if isinstance(current, Not):
            stack.append((current.node, not negated))
        elif isinstance(current, And | Or):
            stack.extend((item, negated) for item in reversed(current.items))
        else:
            yield current, negated


def evaluate(node: Node, test: Callable[[Leaf], bool]) -> bool:
    """Whether ``node`` holds, given whether each leaf does (``test``): for conditions
    checked in Python against one article (a rule's ``copies>=3 original credit:AP``)."""
    if isinstance(node, And):
        return all(evaluate(item, test) for item in node.items)
    if isinstance(node, Or):
        return any(evaluate(item, test) for item in node.items)
    if isinstance(node, Not):
        return not evaluate(node.node, test)
    return test(node)


def compare(condition: Filter, actual: float) -> bool:
    """Whether ``actual`` satisfies a comparison filter (``copies>=3``; ``:`` and ``=`` mean
    equal)."""
    wanted = condition.number()
    match condition.op:
        case ">=":
            return actual >= wanted
        case "<=":
            return actual <= wanted
        case ">":
            return actual > wanted
        case "<":
            return actual < wanted
        case _:
            return actual == wanted


def search_filters(tree: And, allowed: Collection[str] = SEARCH_FILTERS) -> None:
    """Raise a QueryError for a filter search does not know, or one search cannot apply
    (under ``-`` or ``OR``; a comparison): filters narrow the whole search."""
    for item in tree.items:
        for leaf, negated in leaves(item):
            if not isinstance(leaf, Filter):
                continue
            if leaf.name not in allowed:
                raise QueryError(
                    f"unknown filter '{leaf.name}{leaf.op}': search knows "
                    f"{', '.join(f + ':' for f in allowed)} (quote it to find the text)"
                )
            if leaf.op != ":":
                raise QueryError(f"'{leaf}': search filters are written {leaf.name}:value")
            if negated or not isinstance(item, Filter):
                raise QueryError(f"'{leaf}': a filter cannot be excluded or an alternative")


_RELATIVE = re.compile(r"(\d{1,5})([hdwmy])")
_UNITS = {"h": 1 / 24, "d": 1.0, "w": 7.0, "m": 30.0, "y": 365.0}


def parse_when(value: str, now: datetime) -> datetime:
    """A ``since:``/``until:`` value as an instant: ``2026``, ``2026-11``, ``2026-11-07``,
    an ISO date-time, or a span back from ``now`` (``24h``, ``7d``, ``2w``, ``3m``, ``1y``)."""
    text = value.strip().lower()
    relative = _RELATIVE.fullmatch(text)
    if relative:
        return now - timedelta(days=int(relative.group(1)) * _UNITS[relative.group(2)])
    for layout in ("%Y", "%Y-%m", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise QueryError(
            f"{value!r} is not a date: write 2026-11-07, 2026-11, 2026, or 24h, 7d, 2w, 3m, 1y"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)

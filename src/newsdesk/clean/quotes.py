"""Direct quotations and their speakers. Pure.

A quotation is text between quote marks (“…”, "…", «…», „…“ or „…”, 「…」) of at least two
words. Its speaker comes from the same sentence — "“…,” said Ann Lee", "“…,” Ann Lee said",
"Ann Lee said: “…”", "Ann Lee, who runs the bakery, said she had “…”" — or, for a pronoun
("“…,” he tweeted"), from the last person named as speaking. Speech verbs (several languages)
and honorifics come from ``data/speech.tsv`` and ``data/titles.txt``.
"""

from __future__ import annotations

import re
from importlib.resources import files

from newsdesk.model import Quote

__all__ = ["find_quotes"]


def _data(name: str) -> str:
    return files("newsdesk.clean").joinpath(f"data/{name}").read_text(encoding="utf-8")


def _verbs() -> str:
    verbs: set[str] = set()
    for line in _data("speech.tsv").splitlines():
        if line.strip() and not line.startswith("#"):
            verbs.update(v.strip() for v in line.split("\t", 1)[1].split("|") if v.strip())
    return "(?:" + "|".join(re.escape(v) for v in sorted(verbs, key=len, reverse=True)) + ")"


def _titles() -> tuple[str, ...]:
    names = [line.strip() for line in _data("titles.txt").splitlines()]
    return tuple(sorted({n for n in names if n and not n.startswith("#")}, key=len, reverse=True))


_VERB = _verbs()
_TITLES = _titles()
_TITLE = "(?:" + "|".join(re.escape(t) for t in _TITLES) + r")\s+"
_CAP = r"[A-ZÀ-ÝĀ-Ž][\w'’.-]*"
_PARTICLE = r"(?:de|da|do|dos|das|del|della|di|van|von|der|den|la|le|al|el|bin|ibn|ter)"
_NAME = rf"(?:{_TITLE})*{_CAP}(?:\s+(?:{_PARTICLE}\s+)?{_CAP}){{0,3}}"
_PRONOUN = (
    r"(?:he|she|they|He|She|They|er|sie|Sie|Er|il|elle|Il|Elle|ele|ela|Ele|Ela|él|ella|Él|Ella"
    r"|lui|lei|Lui|Lei)"
)
_QUOTE = re.compile(
    r"“(?P<a>[^“”\n]{2,1500})”|\"(?P<b>[^\"\n]{2,1500})\"|«\s?(?P<c>[^«»\n]{2,1500}?)\s?»"
    r"|„(?P<d>[^„“”\n]{2,1500})[“”]|「(?P<e>[^「」\n]{1,1500})」"
)
# After the quote: ', said Ann Lee' / ', Ann Lee said' / ', he tweeted'.
_AFTER_VERB_NAME = re.compile(
    rf"^[\s,.!?]*(?:{_VERB})\s+(?P<name>{_NAME}\b|{_PRONOUN}(?=\s*[,.;:!?]|\s*$))"
)
_AFTER_NAME_VERB = re.compile(rf"^[\s,.!?]*(?P<name>{_NAME}|{_PRONOUN})\s+(?:{_VERB})\b")
# Speakers described rather than named: ', officials said' / ', a déclaré la vice-présidente'.
_AFTER_DESC_VERB = re.compile(
    rf"^[\s,.!?]*(?P<name>(?:[^\W\d][\w'’-]*\s+){{0,3}}?[^\W\d][\w'’-]*)\s+(?:{_VERB})\b"
)
_AFTER_VERB_DESC = re.compile(
    rf"^[\s,.!?]*(?:{_VERB})\s+(?P<name>(?:the|a|an|la|le|el|los|las|o|os|der|die|das|il|lo|gli"
    rf"|les|un|une|uno|una|um|uma)\s+[^,.;!?“”\"«»]{{2,60}}?)(?=[,.;!?]|$)"
)
# "…,” according to city manager Maria Lopez' / 'segundo o ministro' / 'selon le maire'.
_AFTER_ACCORDING = re.compile(
    r"^[\s,.!?]*(?:according to|segundo|según|selon|secondo|laut)\s+"
    r"(?P<name>[^,.;!?“”\"«»]{2,60}?)(?=[,.;!?]|$)"
)
_APPOSITIVE = re.compile(rf"^,\s*(?P<name>{_NAME})(?=\s*[,.;!?]|\s*$)")
_TRAILING_NAME = re.compile(rf"(?P<name>{_CAP}(?:\s+(?:{_PARTICLE}\s+)?{_CAP}){{1,3}})$")
# Before the quote, in the same sentence: 'Ann Lee said:' / 'Ann Lee, who ..., said she had'.
_BEFORE = re.compile(
    rf"(?P<name>{_NAME}|{_PRONOUN}|(?:the|The|a|A|an|An)\s+[a-z][\w-]*(?:\s+[a-z][\w-]*)?)"
    rf"(?:,[^,“”\"«»]{{1,120}},)?\s+(?:{_VERB})\b[^.!?“”\"«»]{{0,120}}$"
)
# The lookahead lets the engine skip every position that cannot start a name cheaply.
_NAMED_SPEECH = re.compile(rf"(?=[A-ZÀ-ÝĀ-Ž])(?P<name>{_NAME})\s+(?:{_VERB})\b")
# A person named with a title ("President Donald Trump", "Gov. Kristi Noem"): a later "he"
# or "she" most likely means them.
_TITLED = re.compile(
    rf"(?=[A-ZÀ-ÝĀ-Ž])(?:{_TITLE})+(?P<name>{_CAP}(?:\s+(?:{_PARTICLE}\s+)?{_CAP}){{0,2}})"
)
_MARKS = re.compile(r"[“\"«„「]")
_SENTENCE_START = re.compile(r"[.!?…]\s+(?=[A-ZÀ-Ý“\"«„])")
_PRONOUNS = frozenset(re.findall(r"\w+", _PRONOUN))
_TITLE_PREFIX = re.compile(rf"^(?:{_TITLE})+")


def _speaker(name: str) -> str | None:
    """The speaker's name without honorifics ("Councillor Priya Nandakumar" -> "Priya ...")."""
    cleaned = _TITLE_PREFIX.sub("", name).strip()
    if cleaned.endswith(".") and len(cleaned.rsplit(" ", 1)[-1]) > 2:  # a full stop, not "Jr."
        cleaned = cleaned[:-1]
    return cleaned or None


def _sentence_before(paragraph: str, start: int) -> str:
    window = paragraph[max(0, start - 300) : start]
    cut = None
    for match in _SENTENCE_START.finditer(window):
        cut = match.end()
    return window[cut:] if cut is not None else window


def _named(phrase: str, rest: str) -> str | None:
    """The name in a speaker phrase: "the mayor, Ann Lee" and "il sindaco Matteo Lepore"
    give the name; a phrase with no name ("officials") is kept as it is."""
    appositive = _APPOSITIVE.match(rest)
    if appositive and phrase[:1].islower():
        return _speaker(appositive.group("name"))
    trailing = _TRAILING_NAME.search(phrase)
    if trailing and phrase[:1].islower():
        return trailing.group("name")
    return _speaker(phrase)


def _last_mention(text: str) -> str | None:
    """The last person ``text`` names as speaking or by title."""
    best: tuple[int, str] | None = None
    for pattern in (_NAMED_SPEECH, _TITLED):
        for match in pattern.finditer(text):
            name = match.group("name")
            if name not in _PRONOUNS and (best is None or match.start() >= best[0]):
                best = (match.start(), _speaker(name) or name)
    return best[1] if best else None


class _Context:
    """What was said before, in order, for resolving "he" and "she" lazily.

    Scanning every paragraph for names costs more than the rest of cleaning; most stories
    need it for a handful of pronouns, so the text is kept and searched backwards on demand.
    """

    def __init__(self) -> None:
        self._items: list[tuple[str, str]] = []  # ("text", segment) or ("speaker", name)

    def text(self, segment: str) -> None:
        if segment.strip():
            self._items.append(("text", segment))

    def speaker(self, name: str) -> None:
        self._items.append(("speaker", name))

    def last_person(self) -> str | None:
        for kind, value in reversed(self._items):
            name = value if kind == "speaker" else _last_mention(value)
            if name:
                return name
        return None


def find_quotes(paragraphs: list[str]) -> list[Quote]:
    """Every direct quotation in ``paragraphs`` (in order) with its speaker when known.

    A quotation without attribution takes the speaker of the quotation before it in the same
    paragraph, or, when its paragraph opens with it, the last speaker (a continuing quote).
    """
    quotes: list[Quote] = []
    context = _Context()
    for paragraph in paragraphs:
        if not any(mark in paragraph for mark in '“"«„「'):
            context.text(paragraph)
            continue
        position = 0
        previous: str | None = None
        for match in _QUOTE.finditer(paragraph):
            text = next(g for g in match.groups() if g is not None).strip(" ,")
            if len(text.split()) < 2 and not re.search(r"[\u3040-\u9fff]", text):
                continue
            context.text(paragraph[position : match.start()])
            after = paragraph[match.end() : match.end() + 160]
            found = (
                _AFTER_VERB_NAME.match(after)
                or _AFTER_NAME_VERB.match(after)
                or _AFTER_VERB_DESC.match(after)
                or _AFTER_DESC_VERB.match(after)
                or _AFTER_ACCORDING.match(after)
            )
            if found is None:
                found = _BEFORE.search(_sentence_before(paragraph, match.start()))
            if found is not None and found.group("name") not in _PRONOUNS:
                speaker = _named(found.group("name"), after[found.end() :])
                if speaker:
                    context.speaker(speaker)
            elif found is not None:  # a pronoun
                speaker = context.last_person()
            elif previous is not None:
                speaker = previous
            else:
                speaker = context.last_person() if match.start() == 0 else None
            quotes.append(Quote(text=text, speaker=speaker))
            previous = speaker
            position = match.end()
        context.text(paragraph[position:])
    return quotes

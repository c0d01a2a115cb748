"""Clean a JSON Lines corpus: learn each source's boilerplate, then clean every record.

Streams the file twice (first counting, then cleaning) so memory holds the per-source
boilerplate counts, never the corpus. A record that cannot be cleaned (not JSON, no text,
empty or binary text) is written through with a ``clean_error`` field and counted.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsdesk.clean import Boilerplate, BoilerplateCounter, clean_text
from newsdesk.dates import parse_date
from newsdesk.errors import NewsdeskError
from newsdesk.model import Article, article_to_dict

__all__ = ["CorpusOptions", "clean_corpus"]

Report = Callable[[int, str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class CorpusOptions:
    by: str
    text_field: str = "text"
    min_count: int = 3
    week_field: str | None = None


class _BadRecord(Exception):
    pass


def _records(path: Path) -> Iterator[tuple[int, str]]:
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield number, line


def _parse(line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError) as exc:  # not JSON, or nested past any real record
        raise _BadRecord(f"not valid JSON ({exc})") from exc
    if not isinstance(record, dict):
        raise _BadRecord("not a JSON object")
    return record


def _key(record: dict[str, Any], options: CorpusOptions) -> str:
    source = record.get(options.by)
    if source is None or isinstance(source, dict | list):
        raise _BadRecord(f"no usable {options.by!r} field")
    key = str(source)
    if options.week_field:
        parsed = parse_date(str(record.get(options.week_field) or ""))
        if parsed is not None:
            year, week, _ = parsed.value.isocalendar()
            key = f"{key}\t{year}-W{week:02d}"
    return key


def _text(record: dict[str, Any], options: CorpusOptions) -> str:
    text = record.get(options.text_field)
    if not isinstance(text, str):
        raise _BadRecord(f"no text in field {options.text_field!r}")
    return text


def learn_boilerplate(path: Path, options: CorpusOptions) -> dict[str, Boilerplate]:
    """First pass: each source's (or source-week's) boilerplate."""
    counter = BoilerplateCounter(min_count=options.min_count)
    for _, line in _records(path):
        try:
            record = _parse(line)
            counter.add(_key(record, options), _text(record, options))
        except _BadRecord:
            continue
    return counter.build()


def _cleaned_record(
    record: dict[str, Any], article: Article, options: CorpusOptions
) -> dict[str, Any]:
    """The record with its text cleaned and the Article's repair fields added."""
    data = article_to_dict(article)
    cleaned = dict(record)
    cleaned[options.text_field] = data["text"]
    for name in ("embeds", "quotes", "provenance", "removed"):
        cleaned[name] = data[name]
    return cleaned


def clean_corpus(
    source: Path, target: Path, options: CorpusOptions, *, report: Report | None = None
) -> dict[str, int]:
    """Clean every record of ``source`` into ``target``; return the count of each outcome."""
    learnt = learn_boilerplate(source, options)
    counts: Counter[str] = Counter()
    with target.open("w", encoding="utf-8") as out:
        for number, line in _records(source):
            counts["records"] += 1
            record: dict[str, Any] | None = None
            try:
                record = _parse(line)
                article = clean_text(
                    _text(record, options),
                    url=record.get("url") if isinstance(record.get("url"), str) else None,
                    source=str(record.get(options.by)),
                    boilerplate=learnt.get(_key(record, options)),
                )
            except (_BadRecord, NewsdeskError) as exc:
                counts["failed"] += 1
                if report is not None:
                    report(number, str(exc))
                passthrough = dict(record) if record else {"line": number, "raw": line[:1000]}
                passthrough["clean_error"] = str(exc)
                out.write(json.dumps(passthrough, ensure_ascii=False) + "\n")
                continue
            out.write(json.dumps(_cleaned_record(record, article, options), ensure_ascii=False))
            out.write("\n")
            counts["cleaned"] += 1
            counts["lines_removed"] += len(article.removed)
            counts["boilerplate_removed"] += sum(r.reason == "boilerplate" for r in article.removed)
    counts["sources"] = len({k.split("\t")[0] for k in learnt})
    return dict(counts)

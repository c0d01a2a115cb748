"""`newsdesk search` and `newsdesk articles --limit 0` on both backends."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.cli import main
from newsdesk.model import Article
from newsdesk.store import open_store

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "cli.db")
    return str(request.getfixturevalue("pg_url"))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_search_formats_and_every_article(db: str) -> None:
    store = open_store(db)
    with store.batch():
        for i in range(520):  # more than one page of the listing
            store.store_article(
                Article(
                    url=f"https://news.example/{i}",
                    title=f"Harbour report {i}" if i % 100 else f"港口 report {i}",
                    text="The harbour council met." if i % 2 else "Dockers went on strike.",
                    published=NOW - timedelta(minutes=i),
                ),
                now=NOW,
            )
    store.close()

    code, out, _ = run("search", "港口", "--db", db, "--format", "jsonl")
    hits = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and {h["title"] for h in hits} == {
        f"港口 report {i}" for i in range(0, 520, 100)
    }

    code, out, _ = run("search", "council -dockers", "--db", db, "--format", "table")
    assert code == 0 and "Harbour report" in out

    code, _, err = run("search", '"unclosed', "--db", db)
    assert code == 1 and "unclosed quote at character 1" in err

    code, out, _ = run("articles", "--db", db, "--limit", "0", "--format", "jsonl")
    ids = [json.loads(line)["id"] for line in out.splitlines()]
    assert code == 0 and len(ids) == 520 == len(set(ids))
    code, out, _ = run("articles", "--db", db, "--limit", "7", "--format", "jsonl")
    assert code == 0 and len(out.splitlines()) == 7


def test_thai_words_are_marked_in_snippets_as_written(db: str) -> None:
    """A Thai query is looked up without its vowel and tone marks; its snippet marks the
    word with them, as the text has it (on both backends)."""
    store = open_store(db)
    store.store_article(
        Article(
            url="https://th.example/1",
            title="ข่าวเศรษฐกิจ",
            text="คนงานท่าเรือแหลมฉบังประท้วงหยุดงานเพื่อเรียกร้องค่าจ้างที่สูงขึ้น",
            language="th",
        ),
        now=NOW,
    )
    store.close()
    code, out, _ = run("search", "ท่าเรือ", "--db", db, "--format", "jsonl")
    hits = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(hits) == 1
    marked = re.findall(r"\[([^\]]*)\]", hits[0]["snippet"])
    assert marked == ["ท่าเรือ"], hits[0]["snippet"]


def test_a_lang_filter_reads_the_query_in_that_language_only(db: str) -> None:
    """With lang:, the query's words are stemmed in that language only: Spanish's stemmer
    makes "pasta" 'past', which must not find "past" in an English article."""
    store = open_store(db)
    for n, (language, text) in enumerate(
        [("en", "In the past week the council met twice."), ("es", "La pasta fresca del puerto.")]
    ):
        store.store_article(
            Article(url=f"https://x.example/{n}", title=f"t{n}", text=text, language=language),
            now=NOW,
        )
    store.close()

    def titles(q: str) -> set[str]:
        code, out, _ = run("search", q, "--db", db, "--format", "jsonl")
        assert code == 0
        return {json.loads(line)["title"] for line in out.splitlines()}

    assert titles("pasta lang:en") == set()
    assert titles("pasta lang:es") == {"t1"}
    assert titles("past lang:en") == {"t0"}

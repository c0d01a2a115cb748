"""Golden cleaning cases: one synthetic story per file under tests/data/clean/, holding the
input and the expected Article fields. ``pytest --update-golden`` rewrites the expected part
from the current output; review the diff before committing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from newsdesk import article_to_dict, clean_text

DATA = Path(__file__).resolve().parent.parent / "data" / "clean"
CASES = sorted(p.stem for p in DATA.glob("*.case"))
FIELDS = ("text", "embeds", "quotes", "provenance", "removed")
INPUT, EXPECTED = "=== input\n", "=== expected\n"


def read_case(path: Path) -> tuple[str, dict[str, Any] | None]:
    raw = path.read_text("utf-8")
    assert raw.startswith(INPUT), f"{path.name} must start with {INPUT!r}"
    body, _, expected = raw[len(INPUT) :].partition(EXPECTED)
    return body, json.loads(expected) if expected.strip() else None


@pytest.mark.parametrize("name", CASES)
def test_clean_golden(name: str, update_golden: bool) -> None:
    path = DATA / f"{name}.case"
    text, expected = read_case(path)
    data = article_to_dict(clean_text(text))
    got = {field: data[field] for field in FIELDS}
    if update_golden or expected is None:
        dumped = json.dumps(got, ensure_ascii=False, indent=2)
        path.write_text(f"{INPUT}{text.rstrip()}\n{EXPECTED}{dumped}\n", "utf-8")
        if not update_golden:
            pytest.fail(f"{path.name} had no expected part; it has been written: review it")
        return
    assert got == expected

"""Golden extraction cases: one synthetic page per file under tests/data/extract/, its expected
Article beside it as NAME.json. Run ``pytest --update-golden`` to rewrite them, then review
the diff before committing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import newsdesk.demo
from newsdesk import article_to_dict, extract

DATA = Path(__file__).resolve().parent.parent / "data" / "extract"
CASES = sorted(p.stem for p in DATA.glob("*.html"))


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str, update_golden: bool) -> None:
    page = (DATA / f"{name}.html").read_bytes()
    got = article_to_dict(extract(page, url=f"https://golden.example/{name}"))
    expected_path = DATA / f"{name}.json"
    if update_golden or not expected_path.exists():
        expected_path.write_text(json.dumps(got, ensure_ascii=False, indent=2) + "\n", "utf-8")
        if not update_golden:
            pytest.fail(f"{expected_path.name} was missing and has been written: review it")
    expected = json.loads(expected_path.read_text("utf-8"))
    assert got == expected


def test_demo_page_is_a_golden_case_too() -> None:
    page = Path(newsdesk.demo.__file__).parent / "pages" / "harbour-bridge.html"
    article = extract(page.read_bytes())
    assert article.title == "Harbour bridge reopens after six-month repair"
    assert article.authors == ("Mara Ellison", "Tomás Reyes")
    assert article.url == "https://courier.example/news/2026/11/harbour-bridge-reopens"
    assert article.blocks[0].text.startswith("The Eastgate swing bridge reopened")
    assert article.blocks[-1].text.startswith("The bridge will still swing open")
    # Split by an ad slot and a newsletter box, the body still comes out whole.
    assert "The repair cost £4.2 million" in article.text
    for junk in ("READ MORE", "Sign up", "Advertisement", "Comments", "cookies", "Share on"):
        assert junk not in article.text
    assert [r.reason for r in article.removed] == ["teaser"]
    assert {e.platform for e in article.embeds} == {"twitter", "youtube"}
    assert ("heading", "What was repaired") in [(b.kind, b.text) for b in article.blocks]

"""Print extracted title, authors and published date beside the page's own evidence, for a
fixed 30-page sample of the extraction benchmark, to be checked by hand.

    .venv/bin/python bench/metadata_sample.py

The sample is every 6th page id in sorted order (30 pages). For each page it prints what
newsdesk extracted, the page's <h1> texts, byline-like elements and <time datetime> values,
so a reader can judge each field against what the page states.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

import newsdesk

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("NEWSDESK_SHARED", REPO.parent / "shared")) / "data"
BENCH = DATA / "article-extraction-benchmark"


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def main() -> None:
    truth = json.loads((BENCH / "ground-truth.json").read_text("utf-8"))
    for item_id in sorted(truth)[::6][:30]:
        raw = gzip.decompress((BENCH / "html" / f"{item_id}.html.gz").read_bytes())
        article = newsdesk.extract(raw, url=truth[item_id]["url"])
        tree = LexborHTMLParser(raw)
        h1 = [squash(h.text())[:90] for h in tree.css("h1")][:2]
        bylines = [
            squash(n.text())[:70]
            for n in tree.css('[class*="byline"], [class*="author"], [rel="author"]')
        ][:3]
        times = [n.attributes.get("datetime") for n in tree.css("time[datetime]")][:2]
        print(item_id[:8], truth[item_id]["url"][:90])
        print("   title:    ", article.title, "| h1:", h1)
        print("   authors:  ", list(article.authors), "| page:", bylines)
        published = article.published.isoformat() if article.published else None
        print("   published:", published, "| <time>:", times)


if __name__ == "__main__":
    main()

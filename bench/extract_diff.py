"""Did a change of the extractor change its output? Snapshot, then compare.

Every page of every dev set present under ``../shared/data`` (the four extraction sets and
``htmldate-eval``) goes through ``newsdesk.extract``; what a reader or the store sees of each
Article (text, title, published, updated, authors, links, the extraction record) is written,
one JSON object per page, to a snapshot file. Two snapshots are compared page by page: a speed
change must leave them equal; a quality change lists the pages it changed, to read them.

    python bench/extract_diff.py snapshot /tmp/before.jsonl      # on the old code
    python bench/extract_diff.py snapshot /tmp/after.jsonl       # on the new code
    python bench/extract_diff.py compare /tmp/before.jsonl /tmp/after.jsonl
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import newsdesk
from extraction import DATA, SETS

ALL_SETS = (*SETS, "htmldate-eval")
FIELDS = ("text", "title", "published", "updated", "authors", "links", "extraction")


def _record(article: newsdesk.Article) -> dict[str, object]:
    extraction = article.extraction
    return {
        "text": article.text,
        "title": article.title,
        "published": article.published.isoformat() if article.published else None,
        "updated": article.updated.isoformat() if article.updated else None,
        "authors": list(article.authors),
        "links": [[link.url, link.text] for link in article.links],
        "extraction": None
        if extraction is None
        else [extraction.method, [[r.method, r.why] for r in extraction.refused], extraction.cut],
    }


def snapshot(path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for name in ALL_SETS:
            truth_file = DATA / name / "ground-truth.json"
            if not truth_file.exists():
                continue
            truth = json.loads(truth_file.read_text("utf-8"))
            for item_id, item in sorted(truth.items()):
                page = gzip.decompress((DATA / name / "html" / f"{item_id}.html.gz").read_bytes())
                article = newsdesk.extract(page, url=item.get("url") or None)
                row = {"page": f"{name}/{item_id}", **_record(article)}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
    print(f"{count} pages written to {path}")
    return 0


def _load(path: Path) -> dict[str, dict[str, object]]:
    rows = (json.loads(line) for line in path.read_text("utf-8").splitlines() if line)
    return {row.pop("page"): row for row in rows}


def compare(before_path: Path, after_path: Path, show: int) -> int:
    before, after = _load(before_path), _load(after_path)
    changed: dict[str, list[str]] = {}
    for page in sorted(before.keys() | after.keys()):
        old, new = before.get(page), after.get(page)
        if old is None or new is None:
            changed[page] = ["missing in one snapshot"]
            continue
        fields = [f for f in FIELDS if old.get(f) != new.get(f)]
        if fields:
            changed[page] = fields
    for page, fields in list(changed.items())[:show]:
        print(f"{page}: {', '.join(fields)}")
    print(f"{len(changed)} of {len(before.keys() | after.keys())} pages differ")
    return 1 if changed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot", help="extract every page, write the snapshot")
    snap.add_argument("path", type=Path)
    comp = sub.add_parser("compare", help="list the pages whose output differs")
    comp.add_argument("before", type=Path)
    comp.add_argument("after", type=Path)
    comp.add_argument("--show", type=int, default=50, help="pages listed at most")
    args = parser.parse_args()
    if args.command == "snapshot":
        return snapshot(args.path)
    return compare(args.before, args.after, args.show)


if __name__ == "__main__":
    sys.exit(main())

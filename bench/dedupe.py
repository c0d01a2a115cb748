"""Dedupe quality and cost: `newsdesk dedupe` on sets with known answers, and at scale.

Quality, on one corpus (so a false link across the two halves counts too):

- **demo**: the demo newsroom's pages (5 outlets, 400 stories each), rendered and extracted
  as the relay would: wire stories carried by several outlets under their own headlines,
  and the relay outlet's copies with relay footers. The generator knows which stories are
  copies of which, and its many same-topic stories from one set of templates are hard
  negatives (different stories on the same topic: same place, same kind of story).
- **benchmark**: each gold text of the extraction benchmark (../shared/data) and five
  perturbed copies on other outlets, published later: teasers inserted, truncated to the
  lead, re-headlined, paragraphs reordered, a relay footer and comment counter added.

Reported: pairwise precision and recall of copy links (duplicates and syndicated copies:
two records linked iff they are in one predicted copy group), how often the original is the
right one, and the purity of the story clusters.

Scale: synthetic stories (Zipf-distributed words, one in ten a perturbed copy of an
earlier one) through the whole CLI path (`newsdesk dedupe --processes 2`), in a fresh
process per size: docs/s and peak RSS at each size.

    .venv/bin/python bench/dedupe.py                     # quality, then 100k and 1M
    .venv/bin/python bench/dedupe.py --sizes 100000      # quality, then 100k only
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from newsdesk import article_to_dict, extract
from newsdesk.demo.generator import Newsroom
from newsdesk.demo.site import render_story

BENCHMARK = Path(__file__).resolve().parents[2] / "shared" / "data" / "article-extraction-benchmark"


def demo_records() -> tuple[list[dict[str, object]], dict[str, str], dict[str, str]]:
    """Records, their truth group, and each group's true original."""
    room = Newsroom(seed=13, articles=2000)
    records, group, published = [], {}, {}
    for outlet in room.outlets:
        base = f"https://{outlet.slug}.example"
        for story in room.stories(outlet.slug):
            article = extract(render_story(room, outlet, story, base), url=base + story.path)
            record = article_to_dict(article)
            rid = f"demo-{outlet.slug}-{story.number}"
            record["id"] = rid
            record["fetched_url"] = base + story.path
            records.append(record)
            if story.origin is not None:
                n = story.origin_number
                assert n is not None
                group[rid] = f"wire-{n}" if n % 5 == 3 else f"{story.origin}-{n}"
            else:
                group[rid] = (
                    f"wire-{story.number}" if story.wire else f"{outlet.slug}-{story.number}"
                )
            published[rid] = story.published.isoformat()
    originals: dict[str, str] = {}
    for rid in sorted(group, key=lambda r: (("relay" in r), published[r], r)):
        originals.setdefault(group[rid], rid)
    return records, group, originals


TEASERS = ["READ MORE: {}", "Read more: {}", "RELATED: {}"]


def benchmark_records() -> tuple[list[dict[str, object]], dict[str, str], dict[str, str]]:
    truth = json.loads((BENCHMARK / "ground-truth.json").read_text())
    texts = [v["articleBody"] for _, v in sorted(truth.items()) if v.get("articleBody")]
    rng = random.Random(4)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    records: list[dict[str, object]] = []
    group: dict[str, str] = {}
    originals: dict[str, str] = {}
    for i, text in enumerate(texts):
        paragraphs = [p for p in text.split("\n") if p.strip()]
        title = " ".join(text.split()[:9])
        when = start + timedelta(hours=7 * i)

        def add(
            kind: str,
            body: list[str],
            hours: int,
            *,
            headline: str = title,
            i: int = i,
            when: datetime = when,
        ) -> None:
            rid = f"bench-{i}-{kind}"
            records.append(
                {
                    "id": rid,
                    "url": f"https://{kind}.example/story/{i}",
                    "title": headline,
                    "text": "\n\n".join(body),
                    "published": (when + timedelta(hours=hours)).isoformat(),
                }
            )
            group[rid] = f"bench-{i}"

        add("original", paragraphs, 0)
        originals[f"bench-{i}"] = f"bench-{i}-original"
        teased = list(paragraphs)
        for _ in range(2):
            other = " ".join(texts[rng.randrange(len(texts))].split()[:10])
            teased.insert(rng.randrange(1, len(teased) + 1), rng.choice(TEASERS).format(other))
        add("teasers", teased, 2)
        lead, words = [], 0
        for p in paragraphs:
            lead.append(p)
            words += len(p.split())
            if words >= 40:
                break
        add("lead", lead, 3)
        add("reheadlined", paragraphs, 1, headline="Exclusive: " + " ".join(title.split()[::-1]))
        shuffled = list(paragraphs)
        rng.shuffle(shuffled)
        add("reordered", shuffled, 5)
        add(
            "footer",
            [*paragraphs, f"from Origin News https://ift.tt/{i:05x} via IFTTT", "0 Comments"],
            4,
        )
    return records, group, originals


def pairs(labels: dict[str, str]) -> set[tuple[str, str]]:
    by: dict[str, list[str]] = defaultdict(list)
    for rid, label in labels.items():
        by[label].append(rid)
    return {tuple(sorted(p)) for members in by.values() for p in itertools.combinations(members, 2)}  # type: ignore[misc]


def quality(processes: int) -> None:
    demo, demo_group, demo_orig = demo_records()
    bench, bench_group, bench_orig = [], {}, {}
    if BENCHMARK.exists():
        bench, bench_group, bench_orig = benchmark_records()
    else:
        print(f"(no benchmark data at {BENCHMARK}: the demo set only)")
    records = demo + bench
    truth = {**demo_group, **bench_group}
    true_original = {**demo_orig, **bench_orig}
    random.Random(9).shuffle(records)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.jsonl"
        source.write_text("".join(json.dumps(r) + "\n" for r in records))
        results = {}
        for order in ("shuffled", "reversed"):
            if order == "reversed":
                source.write_text("".join(json.dumps(r) + "\n" for r in reversed(records)))
            out = Path(tmp) / f"out-{order}.jsonl"
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "newsdesk.cli", "dedupe", str(source), "--out", str(out),
                 "--processes", str(processes)],
                check=True, capture_output=True,
            )  # fmt: skip
            seconds = time.perf_counter() - started
            results[order] = [json.loads(line) for line in out.open()]
    rows = {r["id"]: r for r in results["shuffled"]}
    again = {
        r["id"]: (r["duplicate_of"], r["original_id"], r["cluster_id"]) for r in results["reversed"]
    }
    same = sum(
        again[i] == (r["duplicate_of"], r["original_id"], r["cluster_id"]) for i, r in rows.items()
    )

    def copy_group(rid: str) -> str:
        r = rows[rid]
        kept = r["duplicate_of"] or rid
        return rows[kept]["original_id"] or kept

    predicted = {rid: copy_group(rid) for rid in rows}
    for name, subset in (("demo", demo_group), ("benchmark", bench_group), ("both", truth)):
        if not subset:
            continue
        p_pairs = pairs({r: predicted[r] for r in subset})
        t_pairs = pairs({r: truth[r] for r in subset})
        hit = len(p_pairs & t_pairs)
        groups = {truth[r] for r in subset if sum(1 for x in subset if truth[x] == truth[r]) > 1}
        right = sum(
            1 for g in groups if predicted[true_original[g]] == true_original[g]
            and all(predicted[r] == true_original[g] for r in subset if truth[r] == g)
        )  # fmt: skip
        clusters: dict[str, list[str]] = defaultdict(list)
        for r in subset:
            clusters[rows[r]["cluster_id"]].append(truth[r])
        purity = sum(Counter(v).most_common(1)[0][1] for v in clusters.values()) / len(subset)
        print(
            f"| {name} | {len(subset)} | {len(t_pairs)} | {hit / max(1, len(p_pairs)):.4f} "
            f"| {hit / max(1, len(t_pairs)):.4f} | {right}/{len(groups)} | {purity:.4f} |"
        )
    print(f"\nsame links with the input reversed: {same}/{len(rows)}", end="; ")
    print(f"{len(rows) / seconds:.0f} docs/s")
    wrong = [(a, b) for a, b in pairs(predicted) - pairs(truth)][:5]
    for a, b in wrong:
        print("  false link:", a, b)


# -- scale --------------------------------------------------------------------------------


def synthetic(path: Path, size: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(30_000)]
    weights = 1.0 / (np.arange(len(vocab)) + 10.0)  # Zipf-like, with a head no heavier than "the"
    weights /= weights.sum()
    start = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    kept: list[str] = []
    with path.open("w") as out:
        for n in range(size):
            if kept and n % 10 == 9:  # a copy of a recent story: a footer, or its lead
                text = kept[int(rng.integers(len(kept)))]
                text = text + "\n\nvia Relay https://ift.tt/x" if n % 20 == 9 else text[:400]
            else:
                words = [vocab[w] for w in rng.choice(len(vocab), size=160, p=weights)]
                for slot in rng.choice(np.arange(1, 160, 16), size=4, replace=False):
                    words[slot] = f"Name{int(rng.integers(5000))}"  # people and places
                sentences = [" ".join(words[i : i + 16]) + "." for i in range(0, 160, 16)]
                text = "\n\n".join(" ".join(sentences[i : i + 2]) for i in range(0, 10, 2))
                kept.append(text)
                if len(kept) > 2000:
                    kept.pop(0)
            when = start + n * 30
            out.write(
                json.dumps(
                    {
                        "id": f"s{n}",
                        "url": f"https://x{n % 97}.example/{n}",
                        "text": text,
                        "published": when,
                    }
                )
                + "\n"
            )


def scale_child(size: int, processes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.jsonl"
        synthetic(source, size)
        out = Path(tmp) / "out.jsonl"
        from newsdesk.batch.dedupe import dedupe_corpus

        started = time.perf_counter()
        with out.open("w") as handle:
            report = dedupe_corpus(source, handle, processes=processes)
        seconds = time.perf_counter() - started
    with open("/proc/self/status") as fh:
        peak = next(int(line.split()[1]) / 1024 for line in fh if line.startswith("VmHWM:"))
    print(
        json.dumps(
            {
                "size": size,
                "seconds": seconds,
                "peak": peak,
                # the largest worker process (each fingerprints records in pass 1)
                "worker": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                "outcomes": dict(report.outcomes or {}),
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-quality", action="store_true")
    args = parser.parse_args()
    if args.child:
        scale_child(args.child, args.processes)
        return 0
    if not args.no_quality:
        print(
            "| set | records | true pairs | precision | recall | original right | cluster purity |"
        )
        print("|---|---|---|---|---|---|---|")
        quality(args.processes)
    if args.sizes:
        print("\n| documents | seconds | docs/s | peak RSS (MB) | each worker (MB) | outcomes |")
        print("|---|---|---|---|---|---|")
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size), "--processes", str(args.processes)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"| {size} | {row['seconds']:.0f} | {size / row['seconds']:.0f} | {row['peak']:.0f} "
            f"| {row['worker']:.0f} | {row['outcomes']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Story clusters on real coverage: newsdesk beside a TF-IDF average-link baseline.

For every set present in ../shared/data/story-clusters/ (JSON Lines with ``id``, ``cluster``,
``title``, ``text``, ``published``), each method runs in a fresh process:

- **newsdesk**: `newsdesk dedupe` (the whole CLI path: fingerprints, copies, story clusters),
  one process (one core);
- **baseline**: scikit-learn's TfidfVectorizer (sublinear TF) over headline and text, cosine
  distances, average-link agglomerative clustering (scipy's ``linkage``), cut at each
  similarity threshold of a grid; its best B-cubed F1 is reported (a threshold tuned on the
  answers, which newsdesk does not get).

Scored with ../shared/bench/score_clusters.py (B-cubed precision, recall, F1; ARI). Reported:
records/s (wall time), records per CPU second (less swayed by a busy machine) and the peak RSS
of each process. ``--shuffled-ids`` renames every record by a hash
first, so the order of undated records (by id) carries no hint of the answer.

    .venv/bin/python bench/clusters.py
    .venv/bin/python bench/clusters.py --shuffled-ids
    .venv/bin/python bench/clusters.py --demo --no-baseline   # and the demo newsroom
    .venv/bin/python bench/clusters.py --no-baseline --param JOIN=0.25   # a trial
    .venv/bin/python bench/clusters.py --story-step --repeat 5   # the story step alone

``--story-step`` times the story step alone, in this process, on every set: ``story_terms``
over every record, then a ``StoryIndex`` over them in ``newsdesk dedupe``'s order (publication
time, then id; copies are not set apart here), CPU time, the median of ``--repeat`` runs, and
a digest of the clusters. Run it with ``PYTHONPATH=<an older src>`` beside it for a before and
after: the same digest means the same clusters.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = SHARED / "data" / "story-clusters"
SCORER = SHARED / "bench" / "score_clusters.py"
THRESHOLDS = [round(0.05 * i, 2) for i in range(2, 13)]


def _peak_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) / 1024 for line in fh if line.startswith("VmHWM:"))


def _score(gold: Path, pred: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, str(SCORER), str(gold), str(pred), "--json"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    scored: dict[str, float] = json.loads(out.stdout)
    return scored


def run_newsdesk(gold: Path, out: Path, params: list[str]) -> None:
    from newsdesk.batch.dedupe import dedupe_corpus
    from newsdesk.dedupe import stories

    for param in params:  # --param NAME=VALUE: a constant of dedupe/stories.py, for a trial
        name, value = param.split("=", 1)
        if not isinstance(getattr(stories, name, None), int | float):
            raise SystemExit(f"--param: {name} is no number of newsdesk.dedupe.stories")
        setattr(stories, name, type(getattr(stories, name))(float(value)))

    started, cpu = time.perf_counter(), time.process_time()
    with out.open("w") as handle:
        report = dedupe_corpus(gold, handle)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    row = {"seconds": seconds, "cpu": cpu, "records": report.records, "peak": _peak_mb()}
    print(json.dumps(row))


def story_step(gold: Path, repeat: int) -> None:
    """The story step alone: terms, then the index (see the module's docstring)."""
    import statistics

    from newsdesk.batch.dedupe import _time
    from newsdesk.dedupe import stories

    records = [json.loads(line) for line in gold.open() if line.strip()]
    records = [r for r in records if isinstance(r.get("text"), str) and r["text"].strip()]
    records.sort(key=lambda r: (_time(r.get("published")) or float("inf"), str(r["id"])))
    terms_cpu, index_cpu = [], []
    digest = ""
    for _ in range(repeat):
        for memo in ("_term_key", "_word_of"):  # cold caches each run (an older src may lack one)
            cached = getattr(stories, memo, None)
            if cached is not None:
                cached.cache_clear()
        cpu = time.process_time()
        terms = [
            stories.story_terms(
                r["text"],
                title=r.get("title") if isinstance(r.get("title"), str) else None,
                description=r.get("description") if isinstance(r.get("description"), str) else None,
                published=_time(r.get("published")),
            )
            for r in records
        ]
        terms_cpu.append(time.process_time() - cpu)
        cpu = time.process_time()
        index = stories.StoryIndex()
        placed = [index.add(i, t).cluster for i, t in enumerate(terms)]
        labels = [index.final(c) for c in placed]
        index_cpu.append(time.process_time() - cpu)
        digest = hashlib.sha1(json.dumps(labels).encode()).hexdigest()[:12]
    n = len(records)
    t, i = statistics.median(terms_cpu), statistics.median(index_cpu)
    print(f"| {gold.stem} | {n} | {n / t:.0f} | {n / i:.0f} | {n / (t + i):.0f} | {digest} |")


def run_baseline(gold: Path, out: Path) -> None:
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_distances

    records = [json.loads(line) for line in gold.open() if line.strip()]
    records = [r for r in records if (r.get("text") or "").strip()]
    started, cpu = time.perf_counter(), time.process_time()
    docs = [(r.get("title") or "") + "\n" + r["text"] for r in records]
    matrix = TfidfVectorizer(sublinear_tf=True).fit_transform(docs)
    distances = np.clip(cosine_distances(matrix), 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    tree = linkage(squareform(distances, checks=False), method="average")
    del distances
    labels = {t: fcluster(tree, 1.0 - t, criterion="distance") for t in THRESHOLDS}
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    with out.open("w") as handle:
        for i, r in enumerate(records):
            row = {"id": r["id"], **{f"t{t}": int(labels[t][i]) for t in THRESHOLDS}}
            handle.write(json.dumps(row) + "\n")
    row = {"seconds": seconds, "cpu": cpu, "records": len(records), "peak": _peak_mb()}
    print(json.dumps(row))


def _child(method: str, gold: Path, out: Path, params: list[str]) -> dict[str, float]:
    extra = [f"--param={p}" for p in params]
    result = subprocess.run(
        [sys.executable, __file__, "--child", method, str(gold), str(out), *extra],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    row: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return row


def _renamed(source: Path, target: Path) -> None:
    with source.open() as fh, target.open("w") as out:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                r["id"] = hashlib.sha256(str(r["id"]).encode()).hexdigest()[:16]
                out.write(json.dumps(r) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--shuffled-ids", action="store_true")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="run newsdesk with a constant of dedupe/stories.py changed (JOIN=0.25): a trial",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="also the demo newsroom (bench/dedupe.py's 2,000 pages; a story's gold cluster is "
        "its copy group: every story is an event of its own)",
    )
    parser.add_argument(
        "--story-step",
        action="store_true",
        help="time the story step alone (terms, then the index), records per CPU second",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of --story-step (median)")
    args = parser.parse_args()
    if args.story_step:
        print(
            "| set | records | terms /CPU s | index /CPU s | story step /CPU s | clusters digest |"
        )
        print("|---|---|---|---|---|---|")
        for given in sorted(DATA.glob("*.jsonl")) if DATA.exists() else []:
            story_step(given, args.repeat)
        return 0
    if args.child:
        method, gold, out = args.child
        if method == "newsdesk":
            run_newsdesk(Path(gold), Path(out), args.param)
        else:
            run_baseline(Path(gold), Path(out))
        return 0
    sets = sorted(DATA.glob("*.jsonl")) if DATA.exists() else []
    demo_dir = tempfile.TemporaryDirectory()
    if args.demo:
        sets.append(_demo_set(Path(demo_dir.name) / "demo-newsroom.jsonl"))
    if not sets:
        print(f"no sets in {DATA}")
        return 0
    print(
        "| set | method | threshold | B³ P | B³ R | B³ F1 | ARI | records/s "
        "| records/CPU s | peak RSS (MB) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for given in sets:
        with tempfile.TemporaryDirectory() as tmp:
            gold = given
            if args.shuffled_ids:
                gold = Path(tmp) / given.name
                _renamed(given, gold)
            out = Path(tmp) / "newsdesk.jsonl"
            row = _child("newsdesk", gold, out, args.param)
            s = _score(gold, out)
            print(
                f"| {gold.stem} | newsdesk | - | {s['bcubed_p']:.3f} | {s['bcubed_r']:.3f} "
                f"| {s['bcubed_f1']:.3f} | {s['ari']:.3f} | {row['records'] / row['seconds']:.0f} "
                f"| {row['records'] / row['cpu']:.0f} | {row['peak']:.0f} |"
            )
            if args.no_baseline:
                continue
            out = Path(tmp) / "baseline.jsonl"
            row = _child("baseline", gold, out, [])
            best = max(
                ((t, _score(gold, out.with_name(f"b{t}.jsonl"))) for t in _split(out)),
                key=lambda ts: ts[1]["bcubed_f1"],
            )
            t, s = best
            print(
                f"| {gold.stem} | TF-IDF average link | {t} | {s['bcubed_p']:.3f} "
                f"| {s['bcubed_r']:.3f} | {s['bcubed_f1']:.3f} | {s['ari']:.3f} "
                f"| {row['records'] / row['seconds']:.0f} | {row['records'] / row['cpu']:.0f} "
                f"| {row['peak']:.0f} |"
            )
    return 0


def _demo_set(path: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).parent))
    from dedupe import demo_records  # bench/dedupe.py

    records, group, _ = demo_records()
    with path.open("w") as fh:
        for r in records:
            fh.write(json.dumps({**r, "cluster": group[str(r["id"])]}) + "\n")
    return path


def _split(out: Path) -> list[float]:
    """One prediction file per threshold (``cluster_id``), from the baseline's output."""
    rows = [json.loads(line) for line in out.open()]
    for t in THRESHOLDS:
        with out.with_name(f"b{t}.jsonl").open("w") as fh:
            for r in rows:
                fh.write(json.dumps({"id": r["id"], "cluster_id": r[f"t{t}"]}) + "\n")
    return THRESHOLDS


if __name__ == "__main__":
    sys.exit(main())

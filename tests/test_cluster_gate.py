"""Quality gate for story clusters: each set of ../shared/data/story-clusters present is run
through `newsdesk dedupe`'s code and scored by ../shared/bench/score_clusters.py (B-cubed
precision and F1) against pinned floors; an absent set is skipped, and no data is copied
into the repository.

The floors pin today's figures less a small margin (see docs/dedupe.md, "Measured"): a
change that lowers them is caught. They are below the issue's targets (F1 0.90 / 0.80,
precision 0.95), which the method does not reach yet.
"""

from __future__ import annotations

import importlib.util
import json
from io import StringIO
from pathlib import Path
from types import ModuleType

import pytest

from newsdesk.batch.dedupe import dedupe_corpus

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = SHARED / "data" / "story-clusters"
SCORER = SHARED / "bench" / "score_clusters.py"

# set: (B-cubed precision floor, B-cubed F1 floor); measured 0.971 / 0.727 and 0.882 / 0.721
# (a lower join threshold for dated coverage within a day, and clusters merged on close
# centroids: F1 up from 0.678 and 0.713; ecbplus-dev's precision down from 0.990)
FLOORS = {"ecbplus-dev": (0.96, 0.71), "allsides": (0.87, 0.71)}


def _scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("score_clusters", SCORER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_story_clusters_stay_above_their_floors(name: str) -> None:
    gold_path = DATA / f"{name}.jsonl"
    if not gold_path.exists() or not SCORER.exists():
        pytest.skip(f"{gold_path} or the scorer is absent")
    out = StringIO()
    dedupe_corpus(gold_path, out)
    lines = gold_path.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    gold = {r["id"]: r["cluster"] for r in records if (r.get("text") or "").strip()}
    pred: dict[str, object] = {i: ("single", i) for i in gold}
    for line in out.getvalue().splitlines():
        row = json.loads(line)
        if row.get("id") in gold and row.get("cluster_id") is not None:
            pred[row["id"]] = row["cluster_id"]
    precision, _, f1 = _scorer().bcubed(gold, pred)
    floor_p, floor_f1 = FLOORS[name]
    assert precision >= floor_p, f"{name}: B-cubed precision {precision:.3f} < {floor_p}"
    assert f1 >= floor_f1, f"{name}: B-cubed F1 {f1:.3f} < {floor_f1}"

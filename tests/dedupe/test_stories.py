"""Story clusters (dedupe.stories and the batch's use of it): the hard cases."""

from __future__ import annotations

import json
import random
from collections import Counter
from io import StringIO
from pathlib import Path

from newsdesk.batch.dedupe import dedupe_corpus
from newsdesk.dedupe.stories import (
    BRIDGE,
    JOIN,
    JOIN_NEAR,
    MIN_STORIES,
    NEAR,
    DocFreq,
    KnownFreq,
    StoryIndex,
    StoryTerms,
    decide,
    make_candidate,
    make_query,
    probe_keys,
    score,
    story_terms,
)

DAY = 86400.0

# Background stories: other news, so the document frequencies mean something (the index
# joins nothing before it has counted ``MIN_STORIES``).
_TOPICS = ["finance", "transport", "health", "schools", "housing", "culture", "parks", "water"]
_TOWNS = ["Leeds", "Bristol", "Cardiff", "Norwich", "Exeter", "York", "Bath", "Derby"]
_THINGS = ["library", "tram", "clinic", "playground", "estate", "museum", "garden", "reservoir"]
BACKGROUND = [
    f"The {topic} committee met on Tuesday in {town} to discuss the {thing} budget for "
    f"next year, and members said a decision on the {thing} would follow in the spring."
    for topic in _TOPICS
    for town, thing in zip(_TOWNS, _THINGS, strict=True)
][: MIN_STORIES + 4]

QUAKE_A = [
    "A magnitude 6.1 earthquake struck near Kaikoura on Monday, damaging roads and "
    "homes, New Zealand officials said.",
    "Kaikoura residents cleared debris after Monday's 6.1 earthquake cut the coastal road, "
    "with officials in New Zealand counting the damage to homes.",
    "Officials said the 6.1 quake near Kaikoura damaged dozens of homes and blocked the "
    "coastal road north of Christchurch.",
]
QUAKE_B = [
    "A magnitude 7.4 earthquake struck off Sumatra on Friday, shaking buildings in Padang, "
    "Indonesian officials said.",
    "Padang residents fled buildings after Friday's 7.4 earthquake off Sumatra, and "
    "Indonesian officials said a tsunami warning was lifted.",
]


def _index_with_background() -> tuple[StoryIndex, int]:
    index = StoryIndex()
    for i, text in enumerate(BACKGROUND):
        index.add(i, story_terms(text))
    return index, len(BACKGROUND)


def test_coverage_of_one_event_joins_one_cluster() -> None:
    index, n = _index_with_background()
    placed = [index.add(n + i, story_terms(t)).cluster for i, t in enumerate(QUAKE_A)]
    assert len(set(placed)) == 1


def test_two_similar_events_stay_apart() -> None:
    """Two earthquakes share a topic's words; their places and numbers tell them apart."""
    index, n = _index_with_background()
    a = [index.add(n + i, story_terms(t)).cluster for i, t in enumerate(QUAKE_A)]
    b = [index.add(n + 10 + i, story_terms(t)).cluster for i, t in enumerate(QUAKE_B)]
    assert len(set(a)) == 1 and len(set(b)) == 1
    assert set(a).isdisjoint(b)


def test_time_keeps_dated_coverage_of_distant_events_apart() -> None:
    index, n = _index_with_background()
    first = index.add(n, story_terms(QUAKE_A[0], published=0.0)).cluster
    later = index.add(n + 1, story_terms(QUAKE_A[1], published=60 * DAY)).cluster
    assert first != later


def test_an_undated_story_joins_by_its_words() -> None:
    index, n = _index_with_background()
    first = index.add(n, story_terms(QUAKE_A[0], published=5 * DAY)).cluster
    undated = index.add(n + 1, story_terms(QUAKE_A[1])).cluster
    assert first == undated


def test_a_bridge_story_merges_two_clusters() -> None:
    """Two clusters that one later story fits both become one."""
    a = StoryTerms({1: 3.0, 3: 3.0})
    b = StoryTerms({2: 3.0, 5: 3.0})
    bridge = StoryTerms({1: 3.0, 3: 3.0, 2: 3.0, 5: 3.0})
    df = KnownFreq(dict.fromkeys(range(1, 7), 1.0), 100.0)
    candidates = [
        make_candidate(10, [a], df),
        make_candidate(20, [b], df),
    ]
    placed = decide(make_query(bridge, df), candidates)
    assert placed is not None
    assert placed.cluster == 10 and placed.merged == (20,)


def test_coverage_close_in_time_joins_at_a_lower_cosine() -> None:
    """A dated story within ``NEAR`` of a dated cluster joins it at ``JOIN_NEAR``; the same
    pair of texts undated, or days apart, needs ``JOIN``."""
    df = KnownFreq(dict.fromkeys(range(1, 9), 1.0), 100.0)
    member = {1: 1.0, 5: 1.0, 6: 1.0, 7: 1.0}
    story = {1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0}  # cosine 0.25 with the member
    assert JOIN_NEAR <= 0.25 < JOIN
    when = 10 * DAY

    def placed(story_time: float | None, member_time: float | None) -> bool:
        cluster = make_candidate(7, [StoryTerms(member, member_time)], df)
        return decide(make_query(StoryTerms(story, story_time), df), [cluster]) is not None

    assert placed(when, when + NEAR / 2)
    assert not placed(None, when)
    assert not placed(when, None)
    assert not placed(when, when + 3 * NEAR)


def test_a_story_merges_a_cluster_whose_centroid_is_close_to_the_one_it_joins() -> None:
    """Two clusters of one event (their summed centroids close) become one when a story
    joins either and passes the other's gates, though it fits the other under ``BRIDGE``."""
    df = KnownFreq(dict.fromkeys(range(1, 13), 1.0), 100.0)
    lead, follow = {1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0}, {5: 1.0, 6: 1.0, 7: 1.0, 8: 1.0}
    joined = make_candidate(10, [StoryTerms(lead), StoryTerms(follow), StoryTerms(follow)], df)
    other = make_candidate(20, [StoryTerms({**follow, 1: 0.5})], df)
    query = make_query(StoryTerms(lead), df)
    placed = decide(query, [joined, other])
    assert placed is not None and placed.cluster == 10 and placed.merged == (20,)
    assert score(query, other) < BRIDGE  # not a bridge: the centroids decide
    elsewhere = make_candidate(20, [StoryTerms({1: 0.5, 9: 1.0, 10: 1.0, 11: 1.0})], df)
    alone = decide(query, [joined, elsewhere])
    assert score(query, elsewhere) > 0  # the story passes its gates, but its centroid is far
    assert alone is not None and alone.cluster == 10 and alone.merged == ()


def test_the_index_follows_a_bridge() -> None:
    index = StoryIndex()
    for i in range(MIN_STORIES + 1):
        index.df.add([1000 + i])
    placed = []
    for i, counts in enumerate(
        [{1: 3.0, 3: 3.0}, {2: 3.0, 5: 3.0}, {1: 3.0, 3: 3.0}, {2: 3.0, 5: 3.0}]
    ):
        index.df.add(range(100 + 10 * i, 110 + 10 * i))  # other stories: 1, 2, 3, 5 are rare
        placed.append(index.add(i, StoryTerms(counts)).cluster)
    assert placed == [0, 1, 0, 1]  # two clusters
    bridge = index.add(9, StoryTerms({1: 3.0, 3: 3.0, 2: 3.0, 5: 3.0}))
    assert bridge.cluster == 0 and bridge.merged == (1,)
    assert {index.final(c) for c in placed} == {0}


def test_terms_survive_their_bytes() -> None:
    terms = story_terms("Kaikoura was struck by a 6.1 earthquake", title="Quake hits Kaikoura")
    again = StoryTerms.from_bytes(terms.to_bytes())
    assert again.counts == terms.counts
    assert len(probe_keys(terms)) <= 12


def test_a_title_case_headline_names_only_what_its_text_names() -> None:
    text = "The president on Monday criticised John Kerry over talks with Iran."
    plain = story_terms(text, title="Trump slams John Kerry over Iran talks")
    title_case = story_terms(text, title="Trump Slams John Kerry Over Iran Talks")
    # "Slams" and "Talks" are words there as in the sentence-case headline; "Kerry" and
    # "Iran", names in the text, stay names
    assert title_case.counts == plain.counts
    named = story_terms("Officials said so.", title="Trump Slams John Kerry Over Iran Talks")
    assert not named.names()  # nothing in its text says which capitals are names


def test_document_frequencies_roll() -> None:
    df = DocFreq(window=2)
    df.add([1, 2])
    df.add([1])
    df.add([3])
    assert df.counts == {1: 1, 3: 1}


def _records(tmp: Path, rows: list[dict[str, object]]) -> Path:
    path = tmp / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_a_copy_group_lies_inside_one_story_cluster(tmp_path: Path) -> None:
    """A syndicated copy (and an exact duplicate) take their original's cluster; the
    other event stays apart."""
    body = " ".join([QUAKE_A[0]] * 3)
    rows: list[dict[str, object]] = [
        {"id": f"bg{i}", "text": t, "published": "2026-01-01"} for i, t in enumerate(BACKGROUND)
    ]
    rows += [
        {"id": "orig", "text": body, "url": "https://a.example/1", "published": "2026-02-02"},
        {"id": "copy", "text": body + "\nRead more at A", "url": "https://b.example/1"},
        {"id": "same", "text": body, "url": "https://c.example/1", "published": "2026-02-02"},
        {"id": "own", "text": QUAKE_A[1], "url": "https://d.example/1", "published": "2026-02-02"},
        {"id": "other", "text": QUAKE_B[0], "url": "https://e.example/", "published": "2026-02-02"},
    ]
    out = StringIO()
    dedupe_corpus(_records(tmp_path, rows), out)
    linked = {r["id"]: r for r in map(json.loads, out.getvalue().splitlines())}
    assert linked["copy"]["original_id"] == "orig"
    assert linked["same"]["duplicate_of"] == "orig"
    clusters = {k: linked[k]["cluster_id"] for k in ("orig", "copy", "same", "own", "other")}
    assert clusters["orig"] == clusters["copy"] == clusters["same"]
    assert clusters["other"] != clusters["orig"]


def test_the_same_records_in_the_same_order_give_the_same_clusters(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {"id": f"s{i}", "text": t} for i, t in enumerate(BACKGROUND + QUAKE_A + QUAKE_B)
    ]
    source = _records(tmp_path, rows)
    first, second = StringIO(), StringIO()
    dedupe_corpus(source, first)
    dedupe_corpus(source, second)
    assert first.getvalue() == second.getvalue()


def _templated(n: int) -> list[StoryTerms]:
    """``n`` different stories told from one template, with small pools of towns, topics,
    people and figures (as a newsroom's generated or rewritten briefs are)."""
    rng = random.Random(5)
    towns = ["Port Ardent", "Saltmarsh", "North Fennick", "Ashford Vale", "Eastgate", "Larkspur"]
    things = ["hospital", "tram", "library", "ferry"]
    people = [f"{a} {b}" for a in ("Rosa", "Hugo", "Farid", "Ada") for b in ("Ibsen", "Okafor")]
    out = []
    for i in range(n):
        town, thing, person = rng.choice(towns), rng.choice(things), rng.choice(people)
        verb = rng.choice(["approved", "delayed", "funded", "suspended"])
        text = (
            f"The council {verb} plans for the {thing} in {town} on Monday, ending months of "
            f"uncertainty. The decision covers work worth about {rng.randrange(2, 90)} million. "
            f"We listened at every stage, said Councillor {person}, who has led the work "
            f"since {2020 + rng.randrange(6)}."
        )
        title = f"{town} {thing} plans {verb} after debate"
        out.append(story_terms(text, title=title, published=i * 3600.0))
    return out


def test_stories_of_one_template_do_not_chain() -> None:
    """Different stories that share a template, a town or a topic are not one event: they
    must not chain into one large cluster (as a summed centroid once made them: every
    story it took brought it closer to the next)."""
    index = StoryIndex()
    placed = [index.add(i, story).cluster for i, story in enumerate(_templated(300))]
    sizes = Counter(index.final(c) for c in placed)
    assert max(sizes.values()) <= 3
    assert sum(1 for s in sizes.values() if s == 1) >= 0.9 * len(sizes)


def test_a_story_naming_nothing_specific_joins_nothing() -> None:
    """Shared words and common names are not enough: a story joins a cluster only through
    a name (or number) few recent stories carry."""
    index, n = _index_with_background()
    index.add(n, story_terms(QUAKE_A[0]))
    vague = "Officials said the earthquake damaged homes and roads on Monday, New Zealand said."
    for i in range(40):  # "New Zealand" becomes common news
        index.add(n + 1 + i, story_terms(f"New Zealand officials met on item {i} of the budget."))
    assert index.add(n + 100, story_terms(vague)).cluster == n + 100


def test_a_recurring_story_with_other_figures_stays_apart() -> None:
    """This week's jobless claims are not last week's: the same words and names, but none
    of the figures agree."""
    index, n = _index_with_background()
    week = (
        "The Labor Department in Washington said {0} Americans filed jobless claims with "
        "the Labor Department last week, against {1} the week before, as Covid layoffs eased."
    )
    first = index.add(n, story_terms(week.format("853,000", "901,000"))).cluster
    same = index.add(n + 1, story_terms(week.format("853,000", "900,000"))).cluster
    later = index.add(n + 2, story_terms(week.format("744,000", "719,000"))).cluster
    assert first == same
    assert later != first

"""Fingerprints, copy detection and the choice of the original (pure)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np

from newsdesk.dedupe import (
    Evidence,
    Fingerprint,
    are_copies,
    choose_original,
    fingerprint,
    same_event,
    text_key,
)
from newsdesk.demo.generator import Newsroom

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
STORY = [
    "The harbour authority approved a plan on Monday to rebuild the north pier, ending two "
    "years of uncertainty for the fishing fleet that depends on it.",
    "The work will cost about 40 million and start in spring, the authority's chair, Ines "
    "Okafor, told reporters after a four-hour meeting at the town hall.",
    "“We listened to every skipper in the port before we decided,” Okafor said, adding that "
    "the old pier would stay open until the new one was ready.",
    "Critics on the council said the timetable was too ambitious and that the cost could "
    "rise once engineers surveyed the seabed under the existing structure.",
    "A similar project in Westhaven took three years and ran a third over budget, according "
    "to figures published by the regional transport office last month.",
]
TEXT = "\n\n".join(STORY)


def test_fingerprints_are_deterministic_and_round_trip() -> None:
    a, b = fingerprint(TEXT, title="Pier plan"), fingerprint(TEXT, title="Pier plan")
    assert np.array_equal(a.text, b.text) and np.array_equal(a.terms, b.terms)
    back = Fingerprint.from_bytes(a.to_bytes())
    assert np.array_equal(back.text, a.text) and np.array_equal(back.lead, a.lead)
    assert (back.size, back.lead_size) == (a.size, a.lead_size)


def test_text_key_ignores_case_spacing_and_punctuation() -> None:
    assert text_key(TEXT) == text_key(TEXT.upper().replace(",", " ,  "))
    assert text_key(TEXT) != text_key(TEXT + " More.")
    assert text_key("  ... ") is None


def test_perturbed_copies_are_copies() -> None:
    original = fingerprint(TEXT)
    variants = {
        "reordered": "\n\n".join(reversed(STORY)),
        "teasers": "\n\n".join([STORY[0], "READ MORE: Council votes on budget", *STORY[1:]]),
        "lead only": STORY[0] + "\n\n" + STORY[1],
        "footer": TEXT + "\n\nfrom Coast News https://ift.tt/3xYz via IFTTT\n\n0 Comments",
    }
    for name, text in variants.items():
        assert are_copies(original, fingerprint(text)), name
        assert are_copies(fingerprint(text), original), name


def test_different_stories_on_the_same_topic_stay_apart() -> None:
    room = Newsroom(seed=3, articles=500)
    stories = [s for s in room.stories("courier") if not s.wire]
    prints = [fingerprint("\n\n".join(s.paragraphs)) for s in stories]
    false = [
        (a, b)
        for a, b in itertools.combinations(range(len(prints)), 2)
        if are_copies(prints[a], prints[b])
    ]
    # the generator occasionally writes two stories that differ only in a name and a number
    assert len(false) <= len(prints) // 100


def test_same_event_needs_shared_names_and_time() -> None:
    a = fingerprint(TEXT, title="Harbour pier rebuilt")
    other = "Ines Okafor chaired the harbour authority meeting on the north pier in Westhaven."
    b = fingerprint(other + "\n\n" + STORY[1], title="Okafor's harbour authority backs pier")
    assert same_event(a, a, T0, T0 + timedelta(hours=1))
    assert not same_event(a, a, T0, T0 + timedelta(days=5))
    unrelated = fingerprint("A football club signed a striker from Lisbon for a record fee.")
    assert not same_event(a, unrelated, T0, T0)
    # coverage in other words that names the same people and places is one event
    assert same_event(a, b, T0, T0 + timedelta(hours=3)) and same_event(a, b, None, None)


def evidence(i: str, **kw: object) -> Evidence:
    base: dict[str, object] = {
        "id": i,
        "url": f"https://{i}.example/s",
        "fetched_url": f"https://{i}.example/s",
        "published": T0,
    }
    base.update(kw)
    return Evidence(**base)  # type: ignore[arg-type]


def test_the_original_is_chosen_from_evidence_in_any_order() -> None:
    cases = [
        # the earliest wins
        ([evidence("a", published=T0 + timedelta(hours=2)), evidence("b")], "b"),
        # a relay is not the original, even when earlier
        ([evidence("r", via="IFTTT", published=T0 - timedelta(hours=3)), evidence("o")], "o"),
        # a canonical link pointing at another member names it
        (
            [
                evidence("x", url="https://o.example/s", published=T0 - timedelta(hours=1)),
                evidence("o", published=T0 + timedelta(hours=5)),
                evidence("y", published=T0 + timedelta(hours=1)),
            ],
            "o",
        ),
        # a relay footer naming the original's URL
        (
            [
                evidence("r", via="IFTTT", original_url="https://late.example/s"),
                evidence("late", published=T0 + timedelta(hours=9)),
                evidence("early", published=T0 - timedelta(hours=9)),
            ],
            "late",
        ),
        # wire copies point at the agency's own copy
        (
            [
                evidence("paper", credits=("Wire Co",), published=T0 - timedelta(hours=1)),
                evidence("wire", site_name="Wire Co", published=T0 + timedelta(hours=1)),
            ],
            "wire",
        ),
    ]
    for members, expected in cases:
        for order in itertools.permutations(members):
            assert choose_original(list(order)).id == expected


def test_vectorised_verdicts_match_the_pairwise_rules() -> None:
    from newsdesk.dedupe import copies_among, events_among  # noqa: PLC0415

    room = Newsroom(seed=8, articles=300)
    stories = [s for o in room.outlets for s in room.stories(o.slug)]
    prints = [fingerprint("\n\n".join(s.paragraphs), title=s.headline) for s in stories]
    prints.append(fingerprint(STORY[0]))  # a lead-only copy
    prints.append(fingerprint("tiny"))
    times = [s.published for s in stories] + [T0, None]
    for i in range(0, len(prints), 7):
        serialised = [p.to_bytes() for p in prints]
        assert copies_among(prints[i], serialised) == [are_copies(prints[i], p) for p in prints]
        assert events_among(prints[i], serialised, times[i], times) == [
            same_event(prints[i], p, times[i], t) for p, t in zip(prints, times, strict=True)
        ]

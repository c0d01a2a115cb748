"""Unit tests of the cleaning steps, beyond the golden cases."""

from __future__ import annotations

import pytest

from newsdesk import Boilerplate, BoilerplateCounter, CleanError, clean_text
from newsdesk.clean.boilerplate import unit_key
from newsdesk.clean.embeds import repair_embeds
from newsdesk.clean.provenance import repair_provenance
from newsdesk.clean.quotes import find_quotes
from newsdesk.clean.text import decode_text, join_lines, normalize_text


def test_glued_url_variants() -> None:
    fixed = repair_embeds(
        [
            "Text before.https://x.com/someone/status/123456789?s=20And the story goes on.",
            "See https://youtu.be/dQw4w9WgXcQ",
            "https://bsky.app/profile/alice.bsky.social/post/3kabcdefghijk",
        ]
    )
    assert fixed.lines == ["Text before.", "And the story goes on.", "See"]
    assert [e.platform for e in fixed.embeds] == ["twitter", "youtube", "bluesky"]
    assert fixed.embeds[0].url == "https://x.com/someone/status/123456789"


def test_other_urls_stay() -> None:
    line = "Details are at https://example.com/report?id=7 for anyone interested."
    assert repair_embeds([line]).lines == [line]


def test_html_mode_keeps_tweet_text() -> None:
    line = "Great day — Ann (@ann) May 1, 2026"
    assert repair_embeds([line], keep_remnants=True).lines == [line]
    assert repair_embeds([line]).lines == []


def test_provenance_only_in_the_tail() -> None:
    paragraphs = ["Source: a survey of 2,000 adults.", "Body.", "More.", "More.", "More.", "End."]
    assert repair_provenance(paragraphs).drop == set()


def test_credit_inside_a_sentence_is_not_a_credit() -> None:
    found = repair_provenance(["Health officials told CNN and AP that the risk was low."])
    assert found.provenance is None


def test_quote_marks_of_several_languages() -> None:
    quotes = find_quotes(
        [
            "„Wir sind bereit“, sagte Jonas Weber.",
            "«Estamos preparados», dijo Lucía Torres.",
            "「準備はできています」と語った。",
            "“Two words” appear here.",
        ]
    )
    assert [q.text for q in quotes] == [
        "Wir sind bereit",
        "Estamos preparados",
        "準備はできています",
        "Two words",
    ]
    assert [q.speaker for q in quotes[:2]] == ["Jonas Weber", "Lucía Torres"]


def test_pronoun_resolves_to_the_last_named_person() -> None:
    quotes = find_quotes(
        [
            "President Ada Moreno visited the flooded towns on Friday.",
            "The damage was severe.",
            '"We will rebuild every home," she said.',
        ]
    )
    assert quotes[0].speaker == "Ada Moreno"


def test_paragraphs_are_rejoined() -> None:
    lines = ["The first line of a paragraph that was wrapped", "by a relay at a fixed width."]
    assert join_lines(lines) == [" ".join(lines)]
    assert join_lines(["A heading", "A sentence."]) == ["A heading", "A sentence."]
    assert join_lines(["- one", "- two"]) == ["- one", "- two"]


def test_normalisation() -> None:
    assert normalize_text("a&amp;b\r\nc\u200bd\x07e\u00a0\u00a0f") == "a&b\ncde f"


def test_mixed_encodings_decode_line_by_line() -> None:
    data = "café\n".encode() + "naïve\n".encode("cp1252")
    assert decode_text(data) == "café\nnaïve\n"


def test_boilerplate_is_learnt_per_source() -> None:
    footer = "Thanks for reading our independent coverage of the valley and its people."
    counter = BoilerplateCounter(min_count=3)
    for number in range(3):
        counter.add("valley", f"Story number {number} happened today in town.\n{footer}")
    counter.add("other", f"Another outlet's story.\n{footer}")
    learnt = counter.build()
    assert footer in learnt["valley"]
    assert footer not in learnt["other"]
    article = clean_text(f"A new story, about a bridge.\n{footer}", boilerplate=learnt["valley"])
    assert article.text == "A new story, about a bridge."
    assert [(r.reason, r.text) for r in article.removed] == [("boilerplate", footer)]


def test_boilerplate_sentence_inside_a_paragraph() -> None:
    sentence = "Follow the Valley Times for more updates on this developing story."
    learnt = Boilerplate(frozenset({unit_key(sentence)}))
    article = clean_text(f"The road reopened at noon. {sentence}", boilerplate=learnt)
    assert article.text == "The road reopened at noon."


@pytest.mark.parametrize("bad", ["", "   \n  ", "\x00" * 100])
def test_empty_or_binary_text_is_a_clear_error(bad: str) -> None:
    with pytest.raises(CleanError):
        clean_text(bad)


def test_wrong_type() -> None:
    with pytest.raises(CleanError, match="takes str"):
        clean_text(b"bytes")  # type: ignore[arg-type]


def test_single_ten_megabyte_line_is_survived() -> None:
    line = "word, another word and “a quote here” said Someone Name. " * 180_000
    assert len(line) > 10_000_000
    article = clean_text(line)
    assert len(article.text) > 9_000_000


@pytest.mark.parametrize(
    ("paragraph", "speaker"),
    [
        ('"We will not back down," said Sen. Chuck Schumer, D-N.Y.', "Chuck Schumer"),
        (
            'It is "on track and under budget," according to city manager Maria Lopez.',
            "Maria Lopez",
        ),
        ('Smith told reporters: "The numbers speak for themselves."', "Smith"),
        (
            'In a statement, the company said it was "deeply sorry for the disruption".',
            "the company",
        ),
        ('Police Chief Tom Brown said the suspect "fled on foot toward the river."', "Tom Brown"),
        ('"Es un paso decisivo", según la ministra.', "la ministra"),
        ('"Residents should read more," officials said.', "officials"),
    ],
)
def test_attribution_forms(paragraph: str, speaker: str) -> None:
    (quote,) = find_quotes([paragraph])
    assert quote.speaker == speaker

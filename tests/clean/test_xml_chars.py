"""Characters XML 1.0 forbids are removed where text enters newsdesk, so stored text is clean
(issue 22: a page's ``&#1;`` had made every feed holding the article ill-formed)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from newsdesk import clean_text, extract
from newsdesk.clean import strip_xml_invalid

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def test_what_xml_forbids_goes_and_nothing_else() -> None:
    assert strip_xml_invalid("a\x00b\x01c\x08d\x0be\x0cf\x1fg") == "abcdefg"
    assert strip_xml_invalid("x\ufffey\uffffz\ud800w\udfff") == "xyzw"
    kept = "tab\there\nline\rcr é 港 فاطمة \U0001f600 \ufffd \ue000 \x7f \x85"
    assert strip_xml_invalid(kept) == kept


@given(st.text())
def test_the_result_is_always_xml_text(text: str) -> None:
    out = strip_xml_invalid(text)
    assert not FORBIDDEN.search(out)
    assert strip_xml_invalid(out) == out


def test_extraction_stores_no_forbidden_character() -> None:
    filler = "The harbour council voted on the deal after a long debate. " * 4
    page = (
        "<html><body><article><h1>Harbour vote</h1>"
        f"<p>{filler}A control &#1; here &#x1F; and &#xFFFF; there.</p>"
        f"<p>{filler}Second&#11; paragraph &#xFFFE;ends.</p></article></body></html>"
    )
    article = extract(page, "https://news.example/a")
    assert re.search(r"A control +here +and +there\.", article.text)
    for text in (article.text, *(b.text for b in article.blocks)):
        assert not FORBIDDEN.search(text)


def test_plain_text_cleaning_stores_no_forbidden_character() -> None:
    article = clean_text("Harbour \x01vote \ufffftoday.\n\nSecond \x0b paragraph.")
    assert not FORBIDDEN.search(article.text)
    assert article.text.startswith("Harbour vote today.")

"""Bad input gets a clear ExtractionError or a best-effort Article: never a crash or a hang."""

import gzip
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdesk import Article, ExtractionError, extract
from newsdesk.extract.cascade import MAX_BODY_CHARS

PNG = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + bytes(17)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF"),
        (PNG, "PNG"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG"),
        (gzip.compress(b"<html><body>hi</body></html>", mtime=0), "gzip"),
        (b"PK\x03\x04" + bytes(40), "ZIP"),
        (bytes(range(256)) * 20, "binary"),
    ],
)
def test_non_html_bytes_raise_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(ExtractionError, match=message):
        extract(data)


def test_empty_string_raises() -> None:
    with pytest.raises(ExtractionError, match="empty"):
        extract("")


def test_plain_text_gives_a_best_effort_article() -> None:
    article = extract("Just a sentence, with no markup at all, about the weather today.")
    assert "weather" in article.text


def test_broken_markup() -> None:
    html = "<html><body><div><p>Unclosed paragraph, with commas, and more text here<div><span>" * 3
    html += "<p>Another <b>bold <i>nested</p> tangle</b></i> text, with commas, really</table></td>"
    article = extract(html)
    assert "Unclosed paragraph" in article.text


def test_deep_nesting_does_not_crash() -> None:
    depth = 100_000
    html = (
        "<div>" * depth
        + "<p>Deep text, with a comma, in the middle of nowhere.</p>"
        + ("</div>" * depth)
    )
    article = extract(html)
    assert isinstance(article, Article)


def test_fifty_megabyte_page() -> None:
    """A best-effort Article whose body is bounded (issue 24: bounded memory), and the
    Article says what was cut."""
    paragraph = "<p>" + "Words of a long story, with commas, go on and on. " * 20 + "</p>\n"
    html = "<html><body><article>" + paragraph * (50_000_000 // len(paragraph)) + "</article>"
    assert len(html) > 49_000_000
    article = extract(html.encode())
    kept = sum(len(block.text) for block in article.blocks)
    assert MAX_BODY_CHARS - len(paragraph) < kept <= MAX_BODY_CHARS
    assert article.extraction is not None and article.extraction.method == "dom"
    assert article.extraction.cut is not None and "body cut after" in article.extraction.cut


def test_script_and_style_never_leak() -> None:
    html = (
        "<html><body><script>var secret = 'x';</script><style>.a{color:red}</style>"
        "<article><p>The real text of the story, with a comma, is here and long enough.</p>"
        "<noscript>Enable JavaScript</noscript></article></body></html>"
    )
    text = extract(html).text
    assert "secret" not in text and "color" not in text and "Enable JavaScript" not in text


def test_zlib_noise_in_html_is_survived() -> None:
    noise = zlib.compress(b"x" * 1000).decode("latin-1")
    article = extract(f"<html><body><p>{noise}</p><p>Text, with comma, here.</p></body></html>")
    assert isinstance(article, Article)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    try:
        article = extract(data)
    except ExtractionError:
        return
    assert isinstance(article.text, str)


TAGS = st.sampled_from(
    [
        "p",
        "div",
        "article",
        "li",
        "ul",
        "h2",
        "blockquote",
        "a",
        "span",
        "table",
        "td",
        "br",
        "script",
        "nav",
        "pre",
        "iframe",
        "time",
        "meta",
        "figure",
        "section",
    ]
)


@st.composite
def markup(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.integers(0, 3))
        tag = draw(TAGS)
        if kind == 0:
            parts.append(f"<{tag}>")
        elif kind == 1:
            parts.append(f"</{tag}>")
        elif kind == 2:
            parts.append(draw(st.text(max_size=60)))
        else:
            attr = draw(st.sampled_from(["class", "id", "href", "style", "datetime", "src"]))
            parts.append(f'<{tag} {attr}="{draw(st.text(max_size=20))}">')
    return "".join(parts)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markup())
def test_arbitrary_markup_never_crashes(html: str) -> None:
    try:
        article = extract(html, url="https://example.com/a")
    except ExtractionError:
        return
    assert "<script" not in article.text.lower() or "<script" in html.lower()

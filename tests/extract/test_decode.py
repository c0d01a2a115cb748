import codecs

import pytest

from newsdesk import ExtractionError, extract
from newsdesk.extract.decode import decode_html

TEXT = "Café Zürich: señora, naïve — “quoted” 10 €"
PAGE = "<html><head>{meta}</head><body><p>{text}</p></body></html>"


def page(meta: str) -> str:
    return PAGE.format(meta=meta, text=TEXT)


def test_declared_charset_is_used() -> None:
    data = page('<meta charset="windows-1252">').encode("cp1252")
    assert TEXT in decode_html(data)


def test_http_equiv_declaration() -> None:
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-15">'
    text = "Café Zürich: señora, naïve, 10 €"
    data = PAGE.format(meta=meta, text=text).encode("iso-8859-15")
    assert text in decode_html(data)


def test_a_lying_declaration_does_not_garble_utf8() -> None:
    data = page('<meta charset="iso-8859-1">').encode("utf-8")
    assert TEXT in decode_html(data)


def test_a_lying_utf8_declaration_falls_back() -> None:
    data = page('<meta charset="utf-8">').encode("cp1252")
    text = decode_html(data)
    assert "Café" in text and "\ufffd" not in text


def test_undeclared_legacy_charset_is_detected() -> None:
    russian = "Москва — столица России, крупнейший город страны. " * 8
    data = f"<html><body><p>{russian}</p></body></html>".encode("cp1251")
    assert russian in decode_html(data)


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
def test_bom_wins(bom: bytes, codec: str) -> None:
    data = bom + page('<meta charset="iso-8859-1">').encode(codec)
    text = decode_html(data)
    assert TEXT in text and not text.startswith("\ufeff")


def test_unknown_declared_label_is_ignored() -> None:
    data = page('<meta charset="no-such-charset">').encode("utf-8")
    assert TEXT in decode_html(data)


def test_extract_decodes_bytes() -> None:
    html = f"<html><body><article><p>{TEXT} " * 5 + "</p></article></body></html>"
    article = extract(html.encode("cp1252"))
    assert "Café Zürich" in article.text


def test_wrong_type_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError, match="str or bytes"):
        extract(12345)  # type: ignore[arg-type]

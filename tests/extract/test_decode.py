import codecs
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk import ExtractionError, extract
from newsdesk.cli import main
from newsdesk.extract import ExtractOptions
from newsdesk.extract.decode import decode_html, decode_page, decode_text_bytes
from newsdesk.model import Decoding, article_from_dict, article_to_dict
from newsdesk.store import open_store

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


# -- a test set of pages in common encodings ------------------------------------------------

FRENCH = "Le café était naïve, très élégant, déjà vu à Noël, dit-il."
GERMAN = "Grüße aus München: Straße, Übermut und Öl für 10 €."
POLISH = "Zażółć gęślą jaźń: wiadomości z Łodzi i Gdańska."
RUSSIAN = "Москва, столица России: крупнейший город страны и её центр."
GREEK = "Καλημέρα κόσμε, ειδήσεις από την Αθήνα σήμερα το πρωί."
JAPANESE = "東京で新しいニュースが発表されました。今日は晴れです。"
CHINESE = "北京今天发布了新的新闻。天气晴朗，气温适中。"
KOREAN = "서울에서 새로운 뉴스가 발표되었습니다. 오늘은 맑습니다."
TRADITIONAL = "台北今天發布了新的新聞。天氣晴朗，氣溫適中。"


def _html(text: str, meta: str = "") -> str:
    return f"<html><head>{meta}<title>t</title></head><body><p>{text}</p></body></html>"


# (text, Python codec, the label declared in <meta> or None, expected encoding, source)
META_CASES = [
    (FRENCH, "utf-8", "utf-8", "utf-8", "meta"),
    (FRENCH, "cp1252", "windows-1252", "windows-1252", "meta"),
    (FRENCH, "latin-1", "ISO-8859-1", "windows-1252", "meta"),
    (GERMAN, "iso-8859-15", "iso-8859-15", "iso-8859-15", "meta"),
    (POLISH, "cp1250", "windows-1250", "windows-1250", "meta"),
    (POLISH, "iso-8859-2", "latin2", "iso-8859-2", "meta"),
    (RUSSIAN, "cp1251", "windows-1251", "windows-1251", "meta"),
    (RUSSIAN, "koi8-r", "koi8-r", "koi8-r", "meta"),
    (GREEK, "iso-8859-7", "iso-8859-7", "iso-8859-7", "meta"),
    (JAPANESE, "shift_jis", "Shift_JIS", "shift_jis", "meta"),
    (JAPANESE, "euc-jp", "euc-jp", "euc-jp", "meta"),
    (CHINESE, "gbk", "gb2312", "gbk", "meta"),
    (KOREAN, "euc-kr", "euc-kr", "euc-kr", "meta"),
    (TRADITIONAL, "big5", "big5", "big5", "meta"),
]


@pytest.mark.parametrize(("text", "codec", "label", "encoding", "source"), META_CASES)
def test_declared_pages_decode(
    text: str, codec: str, label: str, encoding: str, source: str
) -> None:
    data = _html(text, f'<meta charset="{label}">').encode(codec)
    decoded = decode_page(data)
    assert text in decoded.text
    assert (decoded.decoding.encoding, decoded.decoding.source) == (encoding, source)
    assert decoded.decoding.replaced == 0


@pytest.mark.parametrize(("text", "codec", "label", "encoding", "source"), META_CASES)
def test_the_http_header_decides_before_meta(
    text: str, codec: str, label: str, encoding: str, source: str
) -> None:
    # the page claims something else in <meta>; WHATWG: the header wins
    data = _html(text, '<meta charset="x-mac-cyrillic">').encode(codec)
    decoded = decode_page(data, label)
    assert text in decoded.text
    assert decoded.decoding.encoding == encoding
    assert decoded.decoding.source in ("http", "utf-8")


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        (FRENCH, "utf-8"),
        (RUSSIAN, "utf-8"),
        (FRENCH, "cp1252"),
        (GERMAN, "cp1252"),
        (RUSSIAN * 3, "cp1251"),
        (JAPANESE * 3, "shift_jis"),
        (CHINESE * 3, "gb18030"),
        (KOREAN * 3, "euc-kr"),
        (GREEK * 3, "cp1253"),
        (POLISH * 3, "cp1250"),
    ],
)
def test_undeclared_pages_are_detected(text: str, codec: str) -> None:
    decoded = decode_page(_html(text).encode(codec))
    assert text in decoded.text
    assert decoded.decoding.source in ("utf-8", "detected")
    assert decoded.decoding.declared is None


def test_one_stray_byte_keeps_a_declared_utf8_page_utf8() -> None:
    data = _html(FRENCH + " \xff " + FRENCH, '<meta charset="utf-8">').encode("utf-8")
    data = data.replace("\xff".encode(), b"\xff")
    decoded = decode_page(data)
    assert FRENCH in decoded.text  # not "cafÃ©"
    assert decoded.decoding == Decoding(
        encoding="utf-8", source="meta", declared="utf-8", replaced=1
    )


def test_a_stray_byte_in_a_utf8_page_declared_in_the_header() -> None:
    data = _html(f"{FRENCH} \x96 {GERMAN}").encode("utf-8").replace("\x96".encode(), b"\x96")
    decoded = decode_page(data, "UTF-8")
    assert FRENCH in decoded.text and GERMAN in decoded.text
    assert (decoded.decoding.source, decoded.decoding.replaced) == ("http", 1)


def test_surrogate_bytes_do_not_send_a_page_to_a_legacy_code_page() -> None:
    data = _html(FRENCH + " @ " + RUSSIAN).encode("utf-8").replace(b"@", b"\xed\xa0\x80")
    decoded = decode_page(data)
    assert FRENCH in decoded.text and RUSSIAN in decoded.text
    assert decoded.decoding.encoding == "utf-8"
    assert decoded.decoding.replaced == 3


def test_a_latin1_page_declared_utf8_is_detected() -> None:
    data = _html(FRENCH, '<meta charset="utf-8">').encode("latin-1")
    decoded = decode_page(data)
    assert FRENCH in decoded.text  # "naïve", not "naďve" (cp1250) nor "na\ufffdve"
    assert decoded.decoding == Decoding(
        encoding="windows-1252", source="detected", declared="utf-8", replaced=0
    )


def test_a_cp1251_page_declared_utf8_in_the_header_is_detected() -> None:
    decoded = decode_page(_html(RUSSIAN * 3).encode("cp1251"), "utf-8")
    assert RUSSIAN in decoded.text
    assert (decoded.decoding.encoding, decoded.decoding.declared) == ("windows-1251", "utf-8")


def test_utf8_declared_as_a_legacy_charset_stays_utf8() -> None:
    decoded = decode_page(_html(JAPANESE, '<meta charset="iso-8859-1">').encode("utf-8"))
    assert JAPANESE in decoded.text
    assert decoded.decoding == Decoding(encoding="utf-8", source="utf-8", declared="windows-1252")


def test_xml_declaration_and_meta_utf16_label() -> None:
    xhtml = '<?xml version="1.0" encoding="windows-1251"?>' + _html(RUSSIAN)
    assert RUSSIAN in decode_page(xhtml.encode("cp1251")).text
    # a page cannot declare UTF-16 in ASCII bytes: WHATWG reads it as UTF-8
    decoded = decode_page(_html(FRENCH, '<meta charset="utf-16">').encode("utf-8"))
    assert FRENCH in decoded.text
    assert decoded.decoding.encoding == "utf-8"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_wide_boms(codec: str) -> None:
    data = ("\ufeff" + _html(RUSSIAN, '<meta charset="windows-1252">')).encode(codec)
    decoded = decode_page(data)
    assert RUSSIAN in decoded.text and not decoded.text.startswith("\ufeff")
    assert decoded.decoding.source == "bom"


def test_cp1252_punctuation_declared_utf8() -> None:
    text = "It\u2019s a \u201cquote\u201d \u2014 and more\u2026 for 10\u20ac. " * 3
    decoded = decode_page(_html(text, '<meta charset="utf-8">').encode("cp1252"))
    assert text in decoded.text
    assert decoded.decoding.encoding == "windows-1252"


def test_extract_records_the_decoding() -> None:
    body = f"<article><p>{FRENCH} {GERMAN}</p><p>{FRENCH}</p></article>"
    page_bytes = f"<html><body>{body}</body></html>".encode("cp1252")
    article = extract(page_bytes, options=ExtractOptions(charset="utf-8"))
    assert "naïve" in article.text
    assert article.decoding == Decoding(
        encoding="windows-1252", source="detected", declared="utf-8", replaced=0
    )
    assert article_from_dict(article_to_dict(article)) == article
    assert article_to_dict(article)["decoding"]["source"] == "detected"
    assert extract(f"<html><body>{body}</body></html>").decoding is None


# -- plain text files (newsdesk clean) -------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_text_files_with_a_bom(codec: str) -> None:
    text = f"{FRENCH}\n\n{RUSSIAN}\n"
    data = text.encode(codec)
    if codec in ("utf-16-le", "utf-16-be"):
        data = codecs.BOM_UTF16_LE + data if codec.endswith("le") else codecs.BOM_UTF16_BE + data
    decoded = decode_text_bytes(data)
    assert decoded.text == text
    assert decoded.decoding.source == "bom"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_text_without_a_bom(codec: str) -> None:
    text = f"{FRENCH}\n\n{GERMAN}\n"
    assert decode_text_bytes(text.encode(codec)).text == text


def test_text_with_a_stray_byte_stays_utf8() -> None:
    data = f"{FRENCH} @ {GERMAN}\n{RUSSIAN}\n".encode().replace(b"@", b"\xff")
    decoded = decode_text_bytes(data)
    assert FRENCH in decoded.text and GERMAN in decoded.text and RUSSIAN in decoded.text
    assert (decoded.decoding.encoding, decoded.decoding.replaced) == ("utf-8", 1)


def test_text_mixing_utf8_and_cp1252_lines() -> None:
    data = FRENCH.encode("utf-8") + b"\n" + GERMAN.encode("cp1252") + b"\n"
    decoded = decode_text_bytes(data)
    assert decoded.text == f"{FRENCH}\n{GERMAN}\n"
    assert decoded.decoding.encoding == "windows-1252"


def test_binary_is_not_text() -> None:
    with pytest.raises(ExtractionError, match="binary"):
        decode_text_bytes(b"\x00\x01\x02\x03abc\x00\x00\x9f" * 10)


# -- the commands ---------------------------------------------------------------------------


def test_newsdesk_clean_reads_utf16_with_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "story.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + f"{FRENCH}\n\n{GERMAN}\n".encode("utf-16-le"))
    result = CliRunner().invoke(main, ["clean", str(path)])
    assert result.exit_code == 0, result.output
    article = json.loads(result.stdout)
    assert FRENCH in article["text"] and GERMAN in article["text"]
    assert article["decoding"]["encoding"] == "utf-16le"
    assert article["decoding"]["source"] == "bom"


def test_newsdesk_clean_keeps_utf8_with_a_stray_byte(tmp_path: Path) -> None:
    path = tmp_path / "story.txt"
    path.write_bytes(f"{FRENCH} @\n\n{GERMAN}\n".encode().replace(b"@", b"\x81"))
    result = CliRunner().invoke(main, ["clean", str(path)])
    article = json.loads(result.stdout)
    assert FRENCH in article["text"] and GERMAN in article["text"]
    assert article["decoding"]["replaced"] == 1


def test_reextract_repairs_an_article_stored_with_a_bad_decoding(tmp_path: Path) -> None:
    """Raw pages are stored, so `newsdesk reextract` mends what an older decoder garbled."""
    body = "".join(f"<p>{FRENCH} {GERMAN} {n}</p>" for n in range(4))
    raw = f'<html><head><meta charset="utf-8"><title>Café</title></head><body><article>{body}'
    raw_bytes = (raw + "<p>stray @</p></article></body></html>").encode().replace(b"@", b"\xff")
    garbled = extract(raw_bytes.decode("cp1252", "replace"), url="https://news.example/a")
    assert "cafÃ©" in garbled.text  # what the old decoder stored
    db = tmp_path / "n.db"
    store = open_store(db)
    article_id = store.store_article(
        garbled, raw_page=raw_bytes, now=datetime(2026, 12, 7, tzinfo=UTC)
    )
    store.close()
    result = CliRunner().invoke(main, ["reextract", "--db", str(db)])
    assert result.exit_code == 0 and "re-extracted 1 articles (0 failed)" in result.stdout
    store = open_store(db)
    repaired = store.article(article_id)
    store.close()
    assert repaired is not None
    assert FRENCH in repaired.text and "Ã" not in repaired.text
    assert repaired.decoding == Decoding(
        encoding="utf-8", source="meta", declared="utf-8", replaced=1
    )

from datetime import UTC, datetime, timedelta, timezone

from newsdesk import extract
from newsdesk.dates import DATE_ONLY, NAIVE_TIME, WITH_OFFSET, parse_date

BODY = (
    "<article><p>"
    + "A sentence of the story, with a comma, to make a body. " * 6
    + "</p></article>"
)


def page(head: str, body: str = BODY) -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


def test_jsonld_graph_article() -> None:
    head = """<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
      {"@type":"WebSite","name":"Site"},
      {"@type":["NewsArticle"],"headline":"Graph headline","datePublished":"2026-01-02T03:04:05Z",
       "author":[{"@type":"Person","name":"By Ann Lee"},{"@type":"Person","name":"Bo Chen"}],
       "publisher":{"@type":"Organization","name":"Graph Times"},"articleSection":["World"],
       "image":{"@type":"ImageObject","url":"/img/a.jpg"},"inLanguage":"en-US"}]}</script>"""
    article = extract(page(head), url="https://graph.example/story")
    assert article.title == "Graph headline"
    assert article.authors == ("Ann Lee", "Bo Chen")
    assert article.published == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert article.section == "World"
    assert article.image == "https://graph.example/img/a.jpg"
    assert article.language == "en-US"


def test_broken_jsonld_is_ignored_not_fatal() -> None:
    head = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
    head += '<meta property="og:title" content="OG title">'
    assert extract(page(head)).title == "OG title"


def test_title_loses_its_site_name_suffix() -> None:
    head = (
        "<title>Storm closes bridge | Daily Planet</title>"
        '<meta property="og:site_name" content="Daily Planet">'
    )
    assert extract(page(head)).title == "Storm closes bridge"
    head = "<title>Daily Planet - Storm closes the old bridge again</title>"
    body = "<h1>Storm closes the old bridge again</h1>" + BODY
    assert extract(page(head, body)).title == "Storm closes the old bridge again"


def test_opengraph_and_meta() -> None:
    head = (
        '<meta property="og:title" content="OG">'
        '<meta property="og:description" content="Standfirst">'
        '<meta property="og:image" content="https://cdn.example/i.png">'
        '<meta property="og:url" content="https://example.com/x?utm_medium=social">'
        '<meta property="og:locale" content="pt_BR">'
        '<meta property="article:published_time" content="2026-05-06T07:08:09-03:00">'
        '<meta property="article:modified_time" content="2026-05-07">'
        '<meta property="article:tag" content="a"><meta property="article:tag" content="b">'
        '<meta name="author" content="https://example.com/staff/someone">'
    )
    article = extract(page(head))
    assert article.url == "https://example.com/x"
    assert article.description == "Standfirst"
    assert article.language == "pt-BR"
    assert article.published == datetime(2026, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=-3)))
    assert article.updated == datetime(2026, 5, 7, tzinfo=UTC)
    assert article.tags == ("a", "b")
    assert article.authors == ()  # an author URL is not a name


def test_more_specific_date_on_the_same_day_wins() -> None:
    head = '<meta name="date" content="2026-04-01">'
    body = '<time datetime="2026-04-01T09:30:00+01:00">1 April</time>' + BODY
    published = extract(page(head, body)).published
    assert published == datetime(2026, 4, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))


def test_byline_pattern_gives_authors() -> None:
    body = '<div class="byline">By Maria Souza and Tom Price</div>' + BODY
    assert extract(page("", body)).authors == ("Maria Souza", "Tom Price")


def test_microdata_author_and_date() -> None:
    body = (
        '<div itemprop="author" itemscope><span itemprop="name">Ida Berg</span></div>'
        '<span itemprop="datePublished" content="2025-12-24T18:00:00+01:00"></span>' + BODY
    )
    article = extract(page("", body))
    assert article.authors == ("Ida Berg",)
    assert article.published is not None and article.published.year == 2025


def test_parse_date_precision() -> None:
    full = parse_date("2026-01-02T03:04:05+02:00")
    assert full is not None and full.precision == WITH_OFFSET
    naive = parse_date("2026-01-02 03:04")
    assert naive is not None and naive.precision == NAIVE_TIME
    assert naive.value.tzinfo is UTC
    day = parse_date("January 2, 2026")
    assert day is not None and day.precision == DATE_ONLY
    written = parse_date("Nov. 19, 2019 10:30 PM EST")
    assert written is not None
    assert written.value == datetime(2019, 11, 19, 22, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert parse_date("19 de noviembre de 2019") is not None
    assert parse_date("Tue, 19 Nov 2019 10:00:00 GMT") is not None
    assert parse_date("1574168580") is not None
    assert parse_date("not a date") is None
    assert parse_date("3000-01-01") is None

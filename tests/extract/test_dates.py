"""Publication dates from every signal, in the page's own offset (issue 19)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from newsdesk import extract
from newsdesk.dates import (
    DATE_ONLY,
    NAIVE_TIME,
    WITH_OFFSET,
    ParsedDate,
    date_from_url,
    in_local_time,
    parse_date,
)

BODY = "<p>" + "The council met on Monday, and the mill will become a library. " * 8 + "</p>"


def _page(head: str = "", body: str = "") -> str:
    return f"<html><head>{head}</head><body>{body or BODY}</body></html>"


def test_day_first_numeric_dates_are_read() -> None:
    for text, day in [
        ("06.10.2017 11:15", (2017, 10, 6)),
        ("am 20.06.2018", (2018, 6, 20)),
        ("17/03/2020", (2020, 3, 17)),
        ("08/23/2017", (2017, 8, 23)),  # month first: 23 cannot be a month
    ]:
        parsed = parse_date(text)
        assert parsed is not None, text
        assert (parsed.value.year, parsed.value.month, parsed.value.day) == day, text


def test_a_version_number_is_not_a_date() -> None:
    assert parse_date("version 1.2.2019.4") is None
    assert parse_date("1.2.3") is None
    assert parse_date("call 12.34.5678") is None


def test_a_url_path_states_a_day() -> None:
    assert date_from_url("https://x.example/2023/11/08/story-name/") == ParsedDate(
        datetime(2023, 11, 8, tzinfo=UTC), DATE_ONLY
    )
    assert date_from_url("https://x.example/news/20200413/story") is not None
    assert date_from_url("https://x.example/2020-08-24-story") is not None
    assert date_from_url("https://x.example/2018/08/story.html") is None  # no day
    assert date_from_url("https://x.example/p?id=20200413") is None  # not the path
    assert date_from_url("https://x.example/2020/13/40/x") is None


def test_a_utc_instant_takes_the_offset_of_the_same_instant_elsewhere() -> None:
    utc = ParsedDate(datetime(2023, 11, 9, 1, 9, 55, tzinfo=UTC), WITH_OFFSET)
    local = ParsedDate(
        datetime(2023, 11, 8, 18, 9, 55, tzinfo=timezone(timedelta(hours=-7))), WITH_OFFSET
    )
    value = in_local_time(utc, [utc, local])
    assert value == utc.value and value.date().day == 8
    assert value.utcoffset() == timedelta(hours=-7)


def test_a_naive_wall_clock_gives_the_offset_exactly() -> None:
    utc = ParsedDate(datetime(2023, 11, 9, 1, 9, 55, tzinfo=UTC), WITH_OFFSET)
    naive = ParsedDate(datetime(2023, 11, 8, 17, 9, 55, tzinfo=UTC), NAIVE_TIME)
    value = in_local_time(utc, [utc, naive])
    assert value == utc.value
    assert value.utcoffset() == timedelta(hours=-8)
    assert value.date().isoformat() == "2023-11-08"


def test_a_local_day_one_day_before_a_utc_instant_gives_the_day() -> None:
    utc = ParsedDate(datetime(2023, 11, 9, 1, 9, tzinfo=UTC), WITH_OFFSET)
    url_day = ParsedDate(datetime(2023, 11, 8, tzinfo=UTC), DATE_ONLY)
    assert in_local_time(utc, [utc, url_day]).date().isoformat() == "2023-11-08"
    # A day that no real offset reaches is not taken.
    noon = ParsedDate(datetime(2023, 11, 9, 13, 0, tzinfo=UTC), WITH_OFFSET)
    assert in_local_time(noon, [noon, url_day]) == noon.value


def test_the_page_keeps_its_own_offset_and_day() -> None:
    page = _page(
        '<meta property="article:published_time" content="2023-11-09T01:09:55Z">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Mill",'
        ' "datePublished": "2023-11-08 17:09:55"}</script>'
    )
    article = extract(page, url="https://x.example/news/mill")
    assert article.published is not None
    assert article.published.date().isoformat() == "2023-11-08"


def test_the_url_day_decides_a_utc_evening_story() -> None:
    page = _page('<meta property="article:published_time" content="2023-11-09T02:28:00Z">')
    article = extract(page, url="https://x.example/2023/11/08/news/mill/")
    assert article.published is not None
    assert article.published.date().isoformat() == "2023-11-08"


def test_a_visible_date_beside_the_headline() -> None:
    body = f'<div class="head"><h1>Mill</h1><h3>Datum: 22.12.2012, Rubrik: USA</h3></div>{BODY}'
    article = extract(_page(body=body))
    assert article.published is not None
    assert article.published.date().isoformat() == "2012-12-22"


def test_a_script_states_the_date_when_metadata_does_not() -> None:
    script = '<script>var publication_date = "2020-02-17 21:18:11"; var x = 1;</script>'
    article = extract(_page(head=script))
    assert article.published is not None
    assert article.published.date().isoformat() == "2020-02-17"


def test_a_teaser_time_far_from_the_headline_loses_to_the_article_s_date() -> None:
    body = (
        '<ul class="rail"><li><time datetime="2018-03-12T19:30:12+00:00">x</time></li></ul>'
        '<div class="story"><div class="top"><h1>Mill</h1>'
        '<p class="byline-date">Dienstag, 29. Januar 2019</p></div>'
        f"{BODY}</div>"
    )
    article = extract(_page(body=body))
    assert article.published is not None
    assert article.published.date().isoformat() == "2019-01-29"


def test_the_url_day_is_the_last_resort() -> None:
    article = extract(_page(), url="https://x.example/2012/05/11/parken-in-paris/")
    assert article.published == datetime(2012, 5, 11, tzinfo=UTC)


def test_published_and_updated_stay_apart() -> None:
    page = _page(
        '<meta property="article:published_time" content="2017-10-06T09:00:00+02:00">'
        '<meta property="article:modified_time" content="2017-10-08T10:00:00+02:00">'
    )
    article = extract(page)
    assert article.published is not None and article.updated is not None
    assert (article.published.day, article.updated.day) == (6, 8)
    assert article.published.utcoffset() == timedelta(hours=2)


def test_a_relative_time_s_tooltip_gives_the_date() -> None:
    body = f'<div class="post-date" title="2020-09-20T14:20:02Z">3 hours ago</div>{BODY}'
    article = extract(_page(body=body))
    assert article.published == datetime(2020, 9, 20, 14, 20, 2, tzinfo=UTC)


def test_the_headline_is_the_h1_that_reads_as_the_title() -> None:
    body = (
        '<div class="logo"><h1>Daily Bugle</h1><time datetime="2019-07-30">x</time></div>'
        '<div class="story"><div class="head"><h1>Mill to become a library</h1>'
        '<span><time datetime="2019-06-27">27 June</time></span></div>'
        f"{BODY}</div>"
    )
    page = _page(head="<title>Mill to become a library - Daily Bugle</title>", body=body)
    article = extract(page)
    assert article.published is not None
    assert article.published.date().isoformat() == "2019-06-27"


def test_an_rdf_block_in_a_comment_states_the_date() -> None:
    head = '<!-- <rdf:RDF><rdf:Description dc:date="2020-07-12T22:00:00+09:00"/></rdf:RDF> -->'
    article = extract(_page(head=head))
    assert article.published is not None
    assert article.published.isoformat() == "2020-07-12T22:00:00+09:00"


def test_month_names_in_more_languages_and_two_at_once() -> None:
    for text, day in [
        ("duminică, 20 septembrie 2020", (2020, 9, 20)),
        ("12 октября 2019", (2019, 10, 12)),
        ("3 maart 2021", (2021, 3, 3)),
        ("15 Mayıs 2020", (2020, 5, 15)),
        ("الجمعة 24 نيسان / أبريل 2020", (2020, 4, 24)),
        ("25 كانون الأول 2019", (2019, 12, 25)),
        ("the 3rd of March 2020", (2020, 3, 3)),
    ]:
        parsed = parse_date(text)
        assert parsed is not None, text
        assert (parsed.value.year, parsed.value.month, parsed.value.day) == day, text


def test_a_two_digit_year_with_dots_is_read_but_not_a_version() -> None:
    for text, day in [("Party, 30.10.23", (2023, 10, 30)), ("Ann Lee, 8.5.12", (2012, 5, 8))]:
        parsed = parse_date(text)
        assert parsed is not None, text
        assert (parsed.value.year, parsed.value.month, parsed.value.day) == day, text
    for text in ("v1.2.23", "1.2.23.4", "Tel 22.33.44", "release 10.2.31a"):
        assert parse_date(text) is None, text


def test_a_time_element_s_visible_day_beats_its_attribute() -> None:
    body = (
        '<header><h1>Mill</h1><div class="time">'
        '<time datetime="2019-07-03T10:18:46Z">Publié le 29 juin 2019</time></div></header>'
        f"{BODY}"
    )
    article = extract(_page(body=body))
    assert article.published is not None
    assert article.published.date().isoformat() == "2019-06-29"


def test_a_comment_s_date_is_not_the_story_s() -> None:
    body = (
        f'<div class="post"><h1>Mill</h1>{BODY}'
        '<div class="post-footer">Dieser Artikel wurde am 14. Dezember 2015 geschrieben</div></div>'
        '<ol class="commentlist"><li class="comment" id="comment-1">'
        '<div class="comment-meta commentmetadata"><a href="#c1">15. Dezember 2015 at 11:21</a>'
        "</div><p>Nice.</p></li></ol>"
    )
    article = extract(_page(body=body))
    assert article.published is not None
    assert article.published.date().isoformat() == "2015-12-14"


def test_a_date_in_a_script_comment_is_no_one_s() -> None:
    body = f"<script>/* banner 728x90, created 02.06.10 */</script><h1>Mill</h1>{BODY}"
    assert extract(_page(body=body)).published is None


def test_gmt_with_an_offset_is_that_offset() -> None:
    parsed = parse_date("13 Jan 2020, 22:11 GMT+10")
    assert parsed is not None and parsed.precision == WITH_OFFSET
    assert parsed.value.utcoffset() == timedelta(hours=10)
    assert parsed.value.date().isoformat() == "2020-01-13"


def test_a_script_s_publication_day_gives_a_utc_instant_its_local_day() -> None:
    page = _page(
        '<meta property="article:published_time" content="2020-08-25T00:23:33Z">'
        '<script>var page = {"publishDate": "2020-08-24", "section": "ottawa"};</script>'
    )
    article = extract(page, url="https://x.example/news/1728875/bus")
    assert article.published is not None
    assert article.published.date().isoformat() == "2020-08-24"


def test_a_headline_in_an_h2_finds_its_date() -> None:
    body = (
        '<h1>The Gazette</h1><div class="rail"><span class="post-date">09/09/2019</span></div>'
        '<div class="post"><div class="post-head"><h3>The mill becomes a library at last</h3></div>'
        f'<div class="post-detail">27 Sep 2016</div></div>{BODY}'
    )
    head = "<title>The mill becomes a library at last ‹ The Gazette</title>"
    article = extract(_page(head=head, body=body))
    assert article.published is not None
    assert article.published.date().isoformat() == "2016-09-27"


def test_a_date_that_reads_both_ways_takes_the_url_s_month() -> None:
    body = f'<div class="story"><h1>Mill</h1><p class="date">8/09/2012 12:13 PM</p>{BODY}</div>'
    article = extract(_page(body=body), url="https://x.example/2012/08/mill.html")
    assert article.published is not None
    assert article.published.date().isoformat() == "2012-08-09"
    european = extract(_page(body=body), url="https://x.example/news/mill.html")
    assert european.published is not None
    assert european.published.date().isoformat() == "2012-09-08"  # day first by default
    american = extract(
        f'<html lang="en-US"><body>{body}</body></html>', url="https://x.example/news/mill"
    )
    assert american.published is not None
    assert american.published.date().isoformat() == "2012-08-09"


def test_a_time_whose_text_agrees_in_either_reading_keeps_its_attribute() -> None:
    body = f'<article><h1>Mill</h1><time datetime="2012-08-09">8/9/2012</time>{BODY}</article>'
    article = extract(_page(body=body))
    assert article.published is not None
    assert article.published.date().isoformat() == "2012-08-09"

"""The body-finding cascade: a later method when the first finds little, and the Article says
which method produced the body and why the others were refused (issue 19)."""

from __future__ import annotations

import json

from newsdesk import article_from_json, article_to_json, extract

PARAGRAPH = (
    "<p>The council met on Monday to discuss the future of the old mill, which has stood "
    "empty for a decade, and residents asked, again, for a library in it.</p>"
)


def _page(body: str, head: str = "") -> str:
    return f"<html><head><title>Mill</title>{head}</head><body>{body}</body></html>"


def test_a_story_in_a_furniture_named_wrapper_is_found_by_the_second_look() -> None:
    # A recommendation widget's "read more" wrapper around the whole story: the first look
    # removes it as furniture, the whole-page look finds the prose.
    page = _page(
        '<nav><a href="/">Home</a></nav>'
        f'<div id="outbrain_readmore"><h1>Mill</h1>{PARAGRAPH * 6}</div>'
        "<footer>Copyright</footer>"
    )
    article = extract(page)
    assert article.text.count("The council met") == 6
    assert article.extraction is not None
    assert article.extraction.method == "density"
    assert [r.method for r in article.extraction.refused] == ["dom"]
    assert "furniture removal" in article.extraction.refused[0].why


def test_a_layout_class_naming_a_sidebar_does_not_hide_the_story() -> None:
    page = _page(f'<div class="l-sidebar-fixed"><h2>Mill</h2>{PARAGRAPH * 5}</div>')
    article = extract(page)
    assert article.text.count("The council met") == 5
    assert article.extraction is not None and article.extraction.method in ("dom", "density")


def test_a_comment_thread_is_never_the_second_look_s_body() -> None:
    comments = "".join(
        f"<li><p>Reader {i} says: I agree with the council, and with the residents, that "
        "the mill should become a library before it falls down.</p></li>"
        for i in range(20)
    )
    page = _page(
        f'<article><h1>Mill</h1><p>Short news.</p></article><ol class="commentlist">{comments}</ol>'
    )
    article = extract(page)
    assert "Reader" not in article.text


def test_a_bem_modifier_does_not_make_an_opinion_piece_a_comment_section() -> None:
    page = _page(
        f'<div class="content__main tonal__main--tone-comment"><h1>Mill</h1>{PARAGRAPH * 5}</div>'
    )
    article = extract(page)
    assert article.text.count("The council met") == 5
    assert article.extraction is not None and article.extraction.method == "dom"


def test_jsonld_article_body_shown_on_the_page_is_taken_and_recorded() -> None:
    text = " ".join(["The mill will become a library, the council said on Monday."] * 12)
    ld = {"@type": "NewsArticle", "headline": "Mill", "articleBody": text}
    page = _page(
        f'<div class="comments"><p>{text}</p></div>',
        head=f'<script type="application/ld+json">{json.dumps(ld)}</script>',
    )
    article = extract(page)
    assert article.extraction is not None
    assert article.extraction.method == "jsonld"
    assert article.extraction.refused[0].method == "dom"
    assert "articleBody" in article.extraction.refused[0].why


def test_a_page_without_an_article_has_an_empty_body_with_its_reason() -> None:
    links = "".join(f'<li><a href="/s/{i}">Story number {i}</a></li>' for i in range(30))
    article = extract(_page(f"<h1>Latest</h1><ul>{links}</ul>"))
    assert article.text == ""
    assert article.extraction is not None
    assert article.extraction.method == "none"
    assert [r.method for r in article.extraction.refused] == ["dom", "density"]
    assert all(r.why for r in article.extraction.refused)


def test_a_well_marked_article_is_the_first_method_with_nothing_refused() -> None:
    article = extract(_page(f"<article><h1>Mill</h1>{PARAGRAPH * 8}</article>"))
    assert article.extraction is not None
    assert (article.extraction.method, article.extraction.refused) == ("dom", ())
    assert article.extraction.cut is None


def test_the_extraction_record_survives_the_json_round_trip() -> None:
    article = extract(_page(f'<div id="outbrain_readmore">{PARAGRAPH * 6}</div>'))
    again = article_from_json(article_to_json(article))
    assert again.extraction == article.extraction
    assert json.loads(article_to_json(article))["extraction"]["method"] == "density"


def test_a_body_that_cleaning_empties_says_so() -> None:
    page = _page("<article><p>Advertisement</p><p>Share this article</p></article>")
    article = extract(page)
    assert article.text == ""
    assert article.extraction is not None and article.extraction.method == "none"
    assert article.extraction.refused
    assert all(r.why for r in article.extraction.refused)


PROFILE = (
    "<p>I am an advertising copywriter in New York, I have written about ads, brands, "
    "agencies, clients, billboards, magazines and television for nineteen years.</p>"
)
SHORT_POST = (
    "<p>The council met on Monday about the old mill, and residents asked for a library.</p>"
)


def test_a_blog_sidebar_with_the_blog_s_name_in_h1_is_not_the_short_post() -> None:
    # A short post; the sidebar beside it holds the blog's name as its h1 and a long
    # "about me": the h1 is not the headline (the title names the post), so the sidebar is
    # furniture on both looks, however much prose it holds.
    page = (
        "<html><head><title>millblog: Council and the mill</title></head><body>"
        '<div id="content"><div id="main"><h3>Council and the mill</h3>'
        f'<div class="post-body">{SHORT_POST}</div></div>'
        f'<div id="sidebar"><h1>millblog</h1><h2>About me</h2>{PROFILE * 4}</div>'
        "</div></body></html>"
    )
    article = extract(page)
    assert "The council met" in article.text
    assert "copywriter" not in article.text


def test_a_sidebar_that_holds_the_headline_is_kept_when_it_carries_the_story() -> None:
    page = (
        "<html><head><title>Council and the mill</title></head><body>"
        f'<div id="sidebar"><h1>Council and the mill</h1>{PARAGRAPH * 5}</div>'
        "</body></html>"
    )
    assert extract(page).text.count("The council met") == 5


def test_a_copyright_notice_is_furniture_whatever_its_size() -> None:
    notice = (
        "<p>All names, logos and marks on this site, including the league's shield, the "
        "cup's image and every team's emblem, are registered trademarks of their owners.</p>"
    )
    page = _page(
        f"<div class='article'>{PARAGRAPH * 4}</div><div id='copyright'>{notice * 6}</div>"
    )
    article = extract(page)
    assert article.text.count("The council met") == 4
    assert "trademarks" not in article.text


def test_a_first_look_that_keeps_nothing_gives_way_to_a_short_body() -> None:
    # A photo post: one line of prose in a "gallery" box the first look removes; the second
    # look's short body is taken rather than an empty one.
    page = _page(
        '<div class="gallery"><img src="a.jpg"><p>Leelee looks like she walked out of the '
        "pages of a vintage magazine in her bright red dress.</p></div>"
    )
    article = extract(page)
    assert "vintage magazine" in article.text
    assert article.extraction is not None and article.extraction.method == "density"


TEASER = (
    "Elsewhere today: a bakery on the high street changes hands after forty years and "
    "the new owners promise the same bread, the same prices."
)


def test_a_first_look_on_teasers_gives_way_to_the_story_the_second_look_finds() -> None:
    # The story sits in a recommendation wrapper the first look removes; the first look
    # keeps 700 characters of teasers (a story's length, but another text): the second
    # look's story, clearly more and none of it the teasers, is taken.
    teasers = "".join(f"<li>{TEASER}</li>" for _ in range(5))
    page = _page(
        f'<div class="list"><ul>{teasers}</ul></div>'
        f'<div id="outbrain_readmore"><h1>Mill</h1>{PARAGRAPH * 12}</div>'
    )
    article = extract(page)
    assert article.text.count("The council met") == 12
    assert "bakery" not in article.text
    assert article.extraction is not None and article.extraction.method == "density"


def test_a_short_story_is_not_replaced_by_itself_with_what_surrounds_it() -> None:
    # The first look's 600 characters are the story; the second look, which keeps the
    # recommendation feed the first removed, holds the same story and more: the first stays.
    feed = "".join(f"<p>{TEASER}</p>" for _ in range(16))
    page = _page(
        f'<div class="story"><h1>Mill</h1>{PARAGRAPH * 4}</div>'
        f'<div class="taboola-feed">{feed}</div>'
    )
    article = extract(page)
    assert article.text.count("The council met") == 4
    assert "bakery" not in article.text
    assert article.extraction is not None and article.extraction.method == "dom"

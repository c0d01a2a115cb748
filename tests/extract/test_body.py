from newsdesk import extract

P = "<p>{}</p>"
PROSE = [
    "The first paragraph of the story explains what happened, where, and to whom it happened.",
    "A second paragraph adds detail, quotes a witness, and gives the time of the incident.",
    "The third paragraph says what happens next, and when the authorities will report back.",
]


def test_boilerplate_containers_are_left_out() -> None:
    html = (
        "<html><body><nav><a href='/'>Home</a><a href='/w'>World</a></nav>"
        "<div class='content'>" + "".join(P.format(t) for t in PROSE) + "</div>"
        "<div class='related-stories'><p>Another story, with commas, about something else.</p>"
        "</div><div id='comments'><p>I disagree with this article, and here is why.</p></div>"
        "<footer><p>Copyright, all rights reserved, by the publisher of this site.</p></footer>"
        "</body></html>"
    )
    article = extract(html)
    assert [b.text for b in article.blocks] == PROSE


def test_structure_is_kept() -> None:
    html = (
        "<article><h1>Title</h1><p>"
        + PROSE[0]
        + "</p><h2>Background</h2><ul><li>One point, made.</li><li>Another point, made.</li>"
        "</ul><blockquote><p>A quoted passage, set apart.</p></blockquote>"
        "<pre>code = 1</pre><p>" + PROSE[1] + "</p></article>"
    )
    article = extract(html)
    kinds = [(b.kind, b.level) for b in article.blocks]
    assert kinds == [
        ("paragraph", None),
        ("heading", 2),
        ("list_item", None),
        ("list_item", None),
        ("quote", None),
        ("code", None),
        ("paragraph", None),
    ]
    assert article.text.count("\n\n") == len(article.blocks) - 1


def test_links_in_the_body_are_absolute_and_untracked() -> None:
    html = (
        "<article><p>" + PROSE[0] + " See <a href='/report?utm_source=x'>the report</a>.</p>"
        "<p>" + PROSE[1] + "</p></article>"
    )
    article = extract(html, url="https://news.example/2026/story")
    assert [(link.url, link.text) for link in article.links] == [
        ("https://news.example/report", "the report")
    ]


def test_jsonld_article_body_is_used_only_when_the_page_agrees() -> None:
    body_text = "The full text of the story, long enough to matter, is here in JSON-LD only. " * 5
    agreeing = (
        '<html><head><script type="application/ld+json">{"@type":"NewsArticle",'
        f'"articleBody":"{body_text}"}}</script></head>'
        f"<body><div style='display:none'><p>{body_text}</p></div><p>Short.</p></body></html>"
    )
    assert "JSON-LD only" in extract(agreeing).text
    disagreeing = agreeing.replace(f"<p>{body_text}</p>", "<p>Something else.</p>")
    assert "JSON-LD only" not in extract(disagreeing).text


def _section(ident: str, heading: str) -> str:
    return (
        f'<div class="section" id="{ident}"><h2>{heading}</h2>'
        + "".join(P.format(t) for t in PROSE)
        + "<ul><li>A first step to take, with care.</li><li>A second step, also short.</li></ul>"
        + "<pre>hg pull --rebase</pre></div>"
    )


def test_sections_named_by_their_heading_slugs_stay() -> None:
    # Documentation and explainers give each section the slug of its heading as its id: the
    # words of a heading ("sharing", "comments") say nothing about page furniture.
    html = (
        "<html><body><nav><a href='/'>Home</a></nav><div class='document'>"
        + _section("sharing-with-a-single-developer", "Sharing with a single developer")
        + _section("reading-the-comments-of-a-changeset", "Reading the comments")
        + _section("setting-up", "Setting up")
        + "</div><div id='comments'><p>I disagree with this page, and here is why.</p></div>"
        "</body></html>"
    )
    article = extract(html)
    headings = [b.text for b in article.blocks if b.kind == "heading"]
    assert headings == ["Sharing with a single developer", "Reading the comments", "Setting up"]
    assert sum(b.kind == "list_item" for b in article.blocks) == 6
    assert sum(b.kind == "code" for b in article.blocks) == 3
    assert "I disagree" not in article.text


def test_a_sectioned_article_across_sibling_containers_comes_out_whole() -> None:
    part = (
        "<section><h2>{}</h2>"
        + "".join(P.format(t) for t in PROSE[:2])
        + "<ul><li>Price: 40 pounds</li><li>Weight: 2 kilograms</li></ul></section>"
    )
    html = (
        "<html><body><main><h1>Ten best kettles</h1>"
        + "".join(part.format(f"Kettle number {i}") for i in range(1, 6))
        + "<div class='newsletter-signup'><p>Sign up for our newsletter, it is free.</p></div>"
        + "".join(part.format(f"Kettle number {i}") for i in range(6, 11))
        + "</main><aside class='related'><p>Related: the best toasters, reviewed.</p></aside>"
        "</body></html>"
    )
    article = extract(html)
    headings = [b.text for b in article.blocks if b.kind == "heading"]
    assert headings == [f"Kettle number {i}" for i in range(1, 11)]
    assert sum(b.kind == "list_item" for b in article.blocks) == 20
    assert "newsletter" not in article.text and "toasters" not in article.text


def test_microdata_values_for_machines_and_the_headline_again_stay_out() -> None:
    html = (
        "<html><head><title>Kettles reviewed</title></head><body><article>"
        "<h1>Kettles reviewed</h1>"
        '<div class="sr" itemprop="image" itemscope><div itemprop="url">https://x.example/k.jpg'
        '</div><div itemprop="width">500</div><div itemprop="height">250</div></div>'
        '<div itemprop="keywords">kettles,reviews,kitchen</div><p>Kettles reviewed</p>'
        + "".join(P.format(t) for t in PROSE)
        + "</article></body></html>"
    )
    article = extract(html)
    assert [b.text for b in article.blocks] == PROSE


def test_a_list_of_excerpts_trailing_off_is_not_the_article() -> None:
    # A short post beside a "more posts" list of longer excerpts, each cut with an ellipsis:
    # the excerpts belong to other pages, whatever their length and commas.
    excerpt = (
        "<div class='more'><h3><a href='/p{n}'>Another post</a></h3><p>Life asks of us "
        "courage, patience, hope and work, and the will to rise again after a fall, to learn "
        "from it, to keep going, to smile, to plan, to wait for the best […]</p></div>"
    )
    page = (
        "<html><head><title>On love</title></head><body><div class='post'><h1>On love</h1>"
        "<p>To love another, one has to love oneself first: nobody else can fill that gap.</p>"
        "<p>Each of us answers for our own needs, and only then can we share a life.</p></div>"
        f"<div class='others'>{''.join(excerpt.format(n=n) for n in range(5))}</div>"
        "</body></html>"
    )
    text = extract(page).text
    assert "nobody else can fill that gap" in text
    assert "courage, patience" not in text


def test_one_paragraph_trailing_off_is_still_prose() -> None:
    paragraph = (
        "<p>The council met on Monday to discuss the future of the old mill, which has stood "
        "empty for a decade, and residents asked, again, for a library in it, and here is "
        "why…</p>"
    )
    other = (
        "<p>It was built in 1850 and closed in 1990; since then the roof has fallen in, and "
        "the town has argued over it ever since, at every election.</p>"
    )
    page = f"<html><body><div class='story'>{paragraph}{other * 3}</div></body></html>"
    assert "here is why" in extract(page).text


def test_a_short_label_between_two_parts_does_not_cut_the_article() -> None:
    # The story's text in two boxes; the first sits with a short label ("Continued") in a
    # wrapper: the label adds a few characters of no prose and no link, so the climb from
    # the first box goes on to the wrapper that holds both parts.
    first = (
        "<p>General Motors is recalling police sedans from five model years to replace the "
        "front lower control arms, which can fracture, and the repair is free.</p>"
    )
    second = (
        "<p>Owners will be told by mail, dealers will replace the parts, and the company "
        "says it knows of no crash or injury caused by the fault so far.</p>"
    )
    page = (
        "<html><body><div class='entry'>"
        f"<div class='box'><div class='text'>{first * 5}</div><b>Continued</b></div>"
        f"<div class='more'>{second * 3}</div>"
        "</div></body></html>"
    )
    text = extract(page).text
    assert text.count("General Motors is recalling") == 5
    assert text.count("Owners will be told") == 3


def test_a_label_the_climb_ends_on_stays_out() -> None:
    # The blog's name beside the post, in the wrapper above it: a short label with no link,
    # and nothing above it adds prose, so it is not taken in.
    story = (
        "<p>The council met on Monday to discuss the future of the old mill, which has stood "
        "empty for a decade, and residents asked, again, for a library in it.</p>"
    )
    page = (
        "<html><body><div class='wrap'><div class='site'>The Mill Blog</div>"
        f"<div class='post'>{story * 5}</div></div></body></html>"
    )
    text = extract(page).text
    assert text.count("The council met") == 5
    assert "The Mill Blog" not in text


STORY = [
    "Retiring early takes time, discipline and a plan that starts with knowing what you spend.",
    "Most early retirees aim to save twenty-five to thirty times their yearly expenses first.",
    "They live below their means, raise their income, and max out their retirement accounts.",
    "Paying off high-interest debt, and often the mortgage, comes before leaving the job.",
    "And a backup plan, for the market or for health, is what lets the plan survive a bad year.",
]


def test_a_second_copy_of_the_story_as_one_paragraph_goes() -> None:
    # A "full text" element repeats the whole story as one long paragraph below it.
    copy = " ".join(STORY)
    page = (
        "<html><body><div class='story'>"
        + "".join(P.format(t) for t in STORY)
        + P.format(copy)
        + P.format(copy)
        + "</div></body></html>"
    )
    article = extract(page)
    assert [b.text for b in article.blocks] == STORY
    assert [r.reason for r in article.removed if r.text == copy] == ["boilerplate"] * 2


def test_a_paragraph_said_twice_or_a_code_listing_grown_stays() -> None:
    # One paragraph repeated (a summary, then the lead) is not a copy of the story; nor is a
    # code listing that repeats the previous one with a line more.
    lead = " ".join(STORY)
    listing = "\n".join(
        f"SELECT step_{n}, value FROM table_{n} WHERE value > {n};" for n in range(9)
    )
    page = (
        "<html><body><div class='story'>"
        + P.format(lead)
        + P.format(lead)
        + "".join(P.format(t) for t in STORY)
        + f"<pre>{listing}</pre><p>{STORY[0]}</p><pre>{listing}\nSELECT 1;</pre>"
        + "</div></body></html>"
    )
    texts = [b.text for b in extract(page).blocks]
    assert texts.count(lead) == 2
    assert sum(1 for t in texts if t.startswith("SELECT step_0")) == 2


def test_a_rail_of_headlines_after_the_story_goes_an_introduced_list_stays() -> None:
    rail = "".join(
        f"<p><a href='/story/{n}'>Another story's headline, number {n}</a></p>" for n in range(4)
    )
    story = "<div class='story'>" + "".join(P.format(t) for t in STORY) + "{}</div>"
    text = extract(f"<html><body>{story.format(rail)}</body></html>").text
    assert text == "\n\n".join(STORY)
    # The writer's own list, introduced by a line ending with a colon, is the story's.
    introduced = "<p>Earlier interviews in this series:</p>" + rail
    text = extract(f"<html><body>{story.format(introduced)}</body></html>").text
    assert "Another story's headline, number 3" in text


def test_a_tag_list_goes() -> None:
    # Links the page marks as tags (rel="tag"), with a label and commas between them.
    tags = "<strong>Tags<br>" + ", ".join(
        f"<a href='/tag/{t}' rel='tag'>{t} news</a>" for t in ("racing", "calendar", "cars")
    )
    page = (
        "<html><body><div class='story'>"
        + "".join(P.format(t) for t in STORY)
        + tags
        + "</strong></div></body></html>"
    )
    article = extract(page)
    assert article.text == "\n\n".join(STORY)
    assert "racing news" not in {link.text for link in article.links}

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

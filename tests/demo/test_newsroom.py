from newsdesk import extract
from newsdesk.demo.generator import OUTLETS, Newsroom
from newsdesk.demo.site import relay_lines, render_feed, render_story
from newsdesk.feeds import parse_feed


def test_deterministic_from_the_seed() -> None:
    one, two, other = (
        Newsroom(seed=1, articles=50),
        Newsroom(seed=1, articles=50),
        Newsroom(seed=2, articles=50),
    )
    for outlet in OUTLETS:
        assert render_story(one, outlet, one.story(outlet.slug, 4), "http://h") == render_story(
            two, outlet, two.story(outlet.slug, 4), "http://h"
        )
    assert one.story("courier", 0).headline != other.story("courier", 0).headline


def test_scales_without_writing_everything_up_front() -> None:
    room = Newsroom(articles=20_000)
    assert room.per_outlet == 4_000
    assert room.story("herald", 3_999).number == 3_999


def test_every_format_and_template_extracts() -> None:
    room = Newsroom(seed=4, articles=25)
    kinds = set()
    for outlet in OUTLETS:
        body = render_feed(room, outlet, "http://h")
        assert body is not None
        feed = parse_feed(body, "http://h" + outlet.feed_path)
        kinds.add(feed.kind)
        assert len(feed.entries) == room.per_outlet and not feed.problems
        story = room.story(outlet.slug, 1)
        article = extract(
            render_story(room, outlet, story, "http://h"), url="http://h" + story.path
        )
        assert article.title and story.paragraphs[-1][:40] in article.text
        assert "More stories" not in article.text and "Advertisement" not in article.text
    assert kinds == {"rss", "atom", "jsonfeed", "sitemap"}


def test_wire_stories_are_carried_by_several_outlets_and_relayed_with_footers() -> None:
    room = Newsroom(seed=4, articles=50)
    wire = [room.story(o.slug, 3) for o in OUTLETS if not o.relay]
    assert all(s.wire for s in wire) and len({s.paragraphs for s in wire}) == 1
    relayed = room.story("relay", 2)
    assert relayed.origin is not None
    lines = relay_lines(room, relayed)
    assert lines[-2:] == ["via IFTTT", "0 Comments"] and lines[1].startswith("READ MORE:")


def test_paged_feeds_link_each_page_to_the_next_in_every_format() -> None:
    """RSS (atom:link), Atom (link rel=next) and JSON Feed (next_url) pages, as the relay
    parses them: every story once over the pages, the last page without a next one."""
    room = Newsroom(seed=4, articles=25)
    for outlet in OUTLETS:
        if outlet.feed == "sitemap":
            continue
        url, guids, pages = "http://h" + outlet.feed_path, [], 0
        while url:
            page = int(url.rpartition("page=")[2]) if "page=" in url else 1
            body = render_feed(room, outlet, "http://h", page=page, per_page=2)
            assert body is not None
            feed = parse_feed(body, url)
            guids += [e.guid for e in feed.entries]
            pages += 1
            url = feed.next_url or ""
        assert len(guids) == len(set(guids)) == room.per_outlet
        assert pages == -(-room.per_outlet // 2)
        assert render_feed(room, outlet, "http://h", page=pages + 1, per_page=2) is None

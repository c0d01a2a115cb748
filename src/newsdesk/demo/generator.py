"""The demo newsroom's content: synthetic outlets and stories, written by this generator
from small word lists (no copied text). Deterministic from a seed; stories are made on demand
by number, so a newsroom of 10,000+ articles costs nothing until it is read. Pure."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

from newsdesk.model import Article, Block, Provenance

__all__ = ["OUTLETS", "Newsroom", "Outlet", "Story", "story_article"]

FIRST = (
    "Amara",
    "Bjorn",
    "Chiara",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonah",
    "Keiko",
    "Liam",
    "Mei",
    "Nadia",
    "Oscar",
    "Priya",
    "Quentin",
    "Rosa",
    "Samir",
    "Tess",
    "Umar",
    "Vera",
    "Wes",
    "Ximena",
    "Yusuf",
    "Zora",
)
LAST = (
    "Abbott",
    "Brennan",
    "Castillo",
    "Dlamini",
    "Eriksen",
    "Fujita",
    "Garvey",
    "Haddad",
    "Ibsen",
    "Jovanovic",
    "Kowalski",
    "Lindqvist",
    "Mbeki",
    "Novak",
    "Okafor",
    "Petrov",
    "Quinlan",
    "Rahman",
    "Sandoval",
    "Takahashi",
    "Ueda",
    "Varga",
    "Whitlock",
    "Yilmaz",
)
PLACES = (
    "Eastgate",
    "Millbrook",
    "Port Ardent",
    "Coldwater",
    "Ashford Vale",
    "Kestrel Bay",
    "North Fennick",
    "Larkspur",
    "Drummond Heights",
    "Saltmarsh",
    "Brackenridge",
)
ROLES = (
    "Mayor",
    "Councillor",
    "Superintendent",
    "Professor",
    "Chief Inspector",
    "Director",
    "Minister",
    "Dr.",
)
BODIES = (
    "the city council",
    "the harbour authority",
    "the regional health board",
    "the school district",
    "the transport agency",
    "the water utility",
    "the fire service",
    "the county planning committee",
    "the university",
)
TOPICS = (
    ("bridge", "repairs", "traffic"),
    ("ferry", "timetable", "passengers"),
    ("library", "budget", "readers"),
    ("flood", "defences", "residents"),
    ("hospital", "waiting lists", "patients"),
    ("school", "enrolment", "parents"),
    ("tram", "extension", "commuters"),
    ("park", "renovation", "visitors"),
    ("market", "licences", "traders"),
    ("water", "pipes", "households"),
    ("housing", "permits", "tenants"),
    ("festival", "funding", "artists"),
)
VERBS = (
    "approved",
    "delayed",
    "announced",
    "rejected",
    "expanded",
    "reviewed",
    "funded",
    "suspended",
    "proposed",
    "completed",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SECTIONS = ("Local", "Politics", "Transport", "Health", "Education", "Environment")


@dataclass(frozen=True, slots=True)
class Outlet:
    slug: str
    name: str
    feed: str  # rss, atom, jsonfeed, sitemap
    template: str
    relay: bool = False

    @property
    def feed_path(self) -> str:
        return {
            "rss": "/feed.xml",
            "atom": "/atom.xml",
            "jsonfeed": "/feed.json",
            "sitemap": "/news-sitemap.xml",
        }[self.feed]


OUTLETS = (
    Outlet("courier", "The Portside Courier", "rss", "courier"),
    Outlet("herald", "Hillside Herald", "atom", "herald"),
    Outlet("ledger", "Valley Ledger", "jsonfeed", "ledger"),
    Outlet("dispatch", "Metro Dispatch", "sitemap", "dispatch"),
    Outlet("relay", "The Relay Blog", "rss", "relay", relay=True),
)
WIRE = "Loopback Press"


@dataclass(frozen=True, slots=True)
class Story:
    number: int
    outlet: str
    slug: str
    headline: str
    dek: str
    author: str
    published: datetime
    section: str
    tags: tuple[str, ...]
    paragraphs: tuple[str, ...]
    wire: bool
    origin: str | None  # for relayed copies: the outlet slug of the original
    origin_number: int | None
    tweet: tuple[str, str, str] | None  # (handle, status id, text)

    @property
    def path(self) -> str:
        return f"/{self.published:%Y/%m/%d}/{self.slug}.html"


class Newsroom:
    """Every outlet's stories, numbered 0..n-1 per outlet, the same for the same seed."""

    def __init__(self, *, seed: int = 7, articles: int = 200, start: datetime | None = None):
        self.seed = seed
        self.per_outlet = max(1, articles // len(OUTLETS))
        self.start = start or datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
        self.outlets = OUTLETS
        self._stories: dict[tuple[str, int], Story] = {}  # written once, read many times

    def outlet(self, slug: str) -> Outlet:
        return next(o for o in self.outlets if o.slug == slug)

    def _rng(self, *parts: object) -> random.Random:
        digest = hashlib.sha256(repr((self.seed, *parts)).encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    def story(self, outlet: str, number: int) -> Story:
        key = (outlet, number)
        story = self._stories.get(key)
        if story is None:
            story = self._stories[key] = self._make(outlet, number)
        return story

    def _make(self, outlet: str, number: int) -> Story:
        rng = self._rng(outlet, number)
        published = self.start + timedelta(minutes=37 * number + rng.randrange(30))
        if self.outlet(outlet).relay:
            origin = rng.choice([o.slug for o in self.outlets if not o.relay])
            origin_number = min(number, self.per_outlet - 1)
            base = self._original(origin, origin_number)
            return Story(
                number,
                outlet,
                base.slug,
                base.headline,
                base.dek,
                "Relay Bot",
                published + timedelta(minutes=5),
                base.section,
                base.tags,
                base.paragraphs,
                base.wire,
                origin,
                origin_number,
                base.tweet,
            )
        if number % 5 == 3:  # a wire story, carried by several outlets
            return self._wire_copy(outlet, number, published)
        return self._original(outlet, number)

    def _original(self, outlet: str, number: int) -> Story:
        if number % 5 == 3:
            return self._wire_copy(outlet, number, self.start + timedelta(minutes=37 * number))
        rng = self._rng(outlet, number)
        published = self.start + timedelta(minutes=37 * number + rng.randrange(30))
        return self._write(rng, outlet, number, published, wire=False)

    def _wire_copy(self, outlet: str, number: int, published: datetime) -> Story:
        # The same wire story (same number across outlets), each outlet its own headline.
        rng = self._rng("wire", number)
        story = self._write(rng, outlet, number, published, wire=True)
        local = self._rng(outlet, "headline", number)
        prefix = local.choice(("", "", "Update: ", "Wire: "))
        return Story(
            story.number,
            outlet,
            story.slug,
            prefix + story.headline,
            story.dek,
            f"{WIRE} staff",
            published,
            story.section,
            story.tags,
            story.paragraphs,
            True,
            None,
            None,
            story.tweet,
        )

    def _write(
        self, rng: random.Random, outlet: str, number: int, published: datetime, *, wire: bool
    ) -> Story:
        place = rng.choice(PLACES)
        thing, matter, people = rng.choice(TOPICS)
        body = rng.choice(BODIES)
        verb = rng.choice(VERBS)
        speaker = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        role = rng.choice(ROLES)
        second = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        day = WEEKDAYS[published.weekday()]
        amount = rng.randrange(2, 90)
        mood = rng.choice(("long", "heated", "brief", "public"))
        headline = f"{place} {thing} {matter} {verb} after {mood} debate"
        headline = headline[0].upper() + headline[1:]
        lead = (
            f"{body[0].upper()}{body[1:]} {verb} plans for the {thing} in {place} on {day}, "
            f"ending months of uncertainty for {people} who rely on it."
        )
        if wire:
            lead = f"{place.upper()} ({WIRE}) — {lead}"
        paragraphs = [
            lead,
            f"The decision covers {matter} worth about {amount} million, a figure that "
            f"{rng.choice(('surprised', 'reassured', 'worried'))} several members of {body}.",
            f"“We listened to {people} at every stage, and this is the result,” said {role} "
            f"{speaker}, who has led the work since {2020 + rng.randrange(6)}.",
            f"Critics said the timetable was too {rng.choice(('slow', 'ambitious', 'vague'))}. "
            f"{second}, who represents a group of {people}, said the plan left "
            f"“too many questions unanswered”.",
            f"Work is expected to start in {rng.choice(('spring', 'summer', 'autumn', 'winter'))}"
            f", and {body} will publish progress reports every {rng.randrange(2, 9)} weeks.",
        ]
        for extra in range(rng.randrange(1, 4)):
            paragraphs.append(
                f"In {rng.choice(PLACES)}, a similar {thing} project took "
                f"{rng.randrange(2, 30)} months, and {people} there said the "
                f"{rng.choice(('result', 'process', 'cost'))} was "
                f"{rng.choice(('worth it', 'hard to judge', 'higher than promised'))} "
                f"(note {extra + 1})."
            )
        tweet = None
        if rng.random() < 0.4:
            handle = f"{place.replace(' ', '')}{rng.choice(('Hall', 'Info', 'News'))}"[:15]
            tweet = (
                handle,
                str(1_800_000_000_000_000_000 + number * 7919),
                f"Update on the {thing}: {matter} {verb}. Details to follow.",
            )
        slug = f"{place.lower().replace(' ', '-')}-{thing}-{matter.replace(' ', '-')}-{number}"
        return Story(
            number=number,
            outlet=outlet,
            slug=slug,
            headline=headline,
            dek=f"{body[0].upper()}{body[1:]} has {verb} the {thing} {matter} in {place}.",
            author=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            published=published,
            section=rng.choice(SECTIONS),
            tags=(place, thing.title()),
            paragraphs=tuple(paragraphs),
            wire=wire,
            origin=None,
            origin_number=None,
            tweet=tweet,
        )

    def stories(self, outlet: str) -> list[Story]:
        return [self.story(outlet, n) for n in range(self.per_outlet)]

    @cached_property
    def total(self) -> int:
        return self.per_outlet * len(self.outlets)


def story_article(outlet: Outlet, story: Story) -> Article:
    """The Article a story stands for, made directly from the story (no page, no
    extraction): for benchmarks that fill a store with many articles quickly. Its URL is
    the outlet's at ``https://<slug>.example``."""
    url = f"https://{outlet.slug}.example{story.path}"
    return Article(
        url=url,
        fetched_url=url,
        title=story.headline,
        authors=(story.author,),
        published=story.published,
        site_name=outlet.name,
        language="en",
        description=story.dek,
        section=story.section,
        tags=story.tags,
        text="\n\n".join(story.paragraphs),
        blocks=tuple(Block(kind="paragraph", text=p) for p in story.paragraphs),
        provenance=Provenance(credits=("Wire",)) if story.wire else None,
    )

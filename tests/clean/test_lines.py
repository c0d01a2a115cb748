import pytest

from newsdesk.clean import classify_line

JUNK = [
    ("READ MORE: Man arrested after crash on ring road", "teaser"),
    ("Read more: Council tax to rise by 5%", "teaser"),
    ("RELATED: Storm warnings issued for the coast", "teaser"),
    ("Also read: The ten best beaches", "teaser"),
    ("WATCH: Firefighters rescue cat from tree", "teaser"),
    ("LISTEN: Our weekly politics podcast", "teaser"),
    ("Click here to see the full gallery", "teaser"),
    ("LEA TAMBIÉN: El gobierno anuncia nuevas medidas", "teaser"),
    ("Mehr zum Thema", "teaser"),
    ("Weiterlesen", "teaser"),
    ("LIRE AUSSI - Le président en visite", "teaser"),
    ("LEIA TAMBÉM: Governo anuncia pacote", "teaser"),
    ("LEGGI ANCHE: Il governo approva la manovra", "teaser"),
    ("Sign up for our daily newsletter", "promo"),
    ("Download the app for breaking news alerts", "promo"),
    ("Advertisement", "ad"),
    ("ADVERTISEMENT", "ad"),
    ("Story continues below advertisement", "ad"),
    ("Anzeige", "ad"),
    ("Publicidad", "ad"),
    ("Share this:", "share"),
    ("Click to share on Twitter (Opens in new window)", "share"),
    ("Like this: Like Loading...", "share"),
    ("0 Comments", "comments"),
    ("12 comments", "comments"),
    ("Leave a Reply", "comments"),
    ("Your email address will not be published. Required fields are marked *", "comments"),
    ("Photo: Getty Images", "credit"),
    ("Image credit: Jane Doe/Reuters", "credit"),
    ("© 2026 The Portside Courier. All rights reserved.", "credit"),
    ("This website uses cookies to improve your experience.", "cookie"),
    ("We use cookies to personalise content and ads.", "cookie"),
    ("MORE: How the storm unfolded", "teaser"),
    ("Related Articles", "teaser"),
    ("You may also like", "teaser"),
    ("Don’t miss: The ten best beaches", "teaser"),
    ("Ver también: otra nota", "teaser"),
    ("(Photo by John Doe/Getty Images)", "credit"),
    ("Copyright 2026 The Associated Press. All rights reserved.", "credit"),
    ("Advertisement - Continue Reading Below", "ad"),
    ("Listen to this article", "promo"),
    ("Share", "share"),
    ("Comments", "comments"),
    ("Loading...", "boilerplate"),
]

KEEP = [
    "Residents were urged to read more about the evacuation routes on the council website.",
    '"Share this information with your neighbours," she said.',
    "The advertisement was pulled after complaints from viewers.",
    "Comments made by the minister on Tuesday drew criticism from the opposition.",
    "He said the photo was taken by a passer-by on the bridge at dawn.",
    "Related research published last year found no such effect in adults.",
    "Sign language interpreters will be present at every briefing this week.",
    "Cookies and cakes were sold at the fair to raise money for the school.",
    "Watch the skies tonight: the meteor shower peaks after midnight, astronomers say.",
    "Weiterhin gilt die Warnung vor Sturmböen an der Küste, teilte der Wetterdienst mit.",
    "Le président a lu aussi une lettre des familles des victimes devant l'assemblée.",
    "Copyright law changed this year, and publishers are worried about what it means.",
    "More than 200 people attended the meeting on Tuesday evening.",
    "Read the full report on the council website, officials said.",
    "See you next year, she said.",
    "Print editions will be delivered a day late because of the storm.",
]


@pytest.mark.parametrize(("line", "reason"), JUNK)
def test_junk_is_recognised(line: str, reason: str) -> None:
    assert classify_line(line) == reason


@pytest.mark.parametrize("line", KEEP)
def test_story_text_is_kept(line: str) -> None:
    assert classify_line(line) is None


def test_long_lines_are_never_junk() -> None:
    assert classify_line("Read more: " + "a very long headline " * 40) is None

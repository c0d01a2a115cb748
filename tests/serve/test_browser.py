"""The reader in a real browser: Playwright driving Debian's chromium, headless, against a
uvicorn server this test starts on 127.0.0.1. Loads the river, opens an article, runs a
search, and saves a screenshot of each step under ``artifacts/`` (or $NEWSDESK_ARTIFACTS).

Skips when no chromium is installed, unless NEWSDESK_REQUIRE_BROWSER=1 (as .ci/run sets,
after installing it), where a missing browser fails the test.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn

from newsdesk.config import Settings
from newsdesk.serve import create_app
from tests.conftest import REPO
from tests.serve.conftest import Served, free_port


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture
def live_url(served: Served) -> Iterator[str]:
    port = free_port()
    app = create_app(Settings(db=served.store.path), served.store)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_river_article_and_search_in_chromium(live_url: str) -> None:
    executable = chromium()
    if executable is None:
        if os.environ.get("NEWSDESK_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    artifacts = Path(os.environ.get("NEWSDESK_ARTIFACTS", REPO / "artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True)
        page = browser.new_page(java_script_enabled=False, viewport={"width": 1000, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(live_url + "/")
        assert page.title() == "Latest stories · newsdesk"
        cards = page.locator("ol.river h2 a")
        assert cards.count() == 30
        page.screenshot(path=str(artifacts / "reader-river.png"), full_page=False)

        page.get_by_role("link", name="Minister quits over harbour deal").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Minister quits over harbour deal"
        assert "Relayed by IFTTT" in page.locator(".provenance").inner_text()
        page.locator("details.removed summary").click()
        assert page.locator("details.removed").get_attribute("open") is not None
        page.screenshot(path=str(artifacts / "reader-article.png"), full_page=True)

        page.get_by_label("Search stories").fill("minister")
        page.get_by_role("button", name="Search").click()
        page.wait_for_load_state()
        assert "/search?q=minister" in page.url
        assert page.locator(".snippet mark").first.inner_text().lower() == "minister"
        page.screenshot(path=str(artifacts / "reader-search.png"), full_page=True)

        page.set_viewport_size({"width": 375, "height": 800})  # narrow: still usable
        page.goto(live_url + "/")
        assert page.locator("ol.river h2 a").first.is_visible()
        page.screenshot(path=str(artifacts / "reader-narrow.png"))
        browser.close()
    assert errors == []  # no CSP violations or other console errors
    assert (artifacts / "reader-search.png").stat().st_size > 5000


def test_the_sources_table_fits_a_phone(served: Served, live_url: str) -> None:
    """At 390 px wide (a phone) the sources' health fits: no column off screen."""
    executable = chromium()
    if executable is None:
        if os.environ.get("NEWSDESK_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    long_url = "https://feeds.example-news-network.example/world/europe/politics/rss.xml?x=1"
    served.store.add_source(long_url, now=datetime(2026, 11, 1, tzinfo=UTC))
    served.store.add_source(
        "https://b.example/feed",
        title="The Very Long Name of a Regional Newspaper Group",
        now=datetime(2026, 11, 1, tzinfo=UTC),
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True)
        page = browser.new_page(java_script_enabled=False, viewport={"width": 390, "height": 844})
        page.goto(live_url + "/sources")
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth,"
            " document.querySelector('table.sources').getBoundingClientRect().right]"
        )
        assert widths[0] <= 390 and widths[1] <= 390, widths
        health = page.locator("table.sources td[data-label=Health]").first
        assert health.is_visible() and health.bounding_box()["x"] >= 0  # type: ignore[index]
        browser.close()

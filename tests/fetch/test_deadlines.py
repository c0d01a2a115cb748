"""Every request has a wall-clock deadline, and a whole fetch a budget, whatever the server
does: trickled headers or body, silence after accepting, resets, lies, malformed URLs."""

from __future__ import annotations

import pytest

from newsdesk.config import Settings
from newsdesk.errors import FetchError, FetchTimeout, InvalidURLError, NetworkError
from newsdesk.fetch import Fetcher
from tests.faults import (
    Timer,
    answer,
    lying_length,
    raw_server,
    reset,
    silence,
    trickled_body,
    trickled_headers,
)

SETTINGS = Settings(
    allow_private_networks=True,
    respect_robots=False,
    per_host_delay=0.0,
    retries=0,
    connect_timeout=2.0,
    read_timeout=2.0,  # longer than the trickle's gap: only the deadline can stop it
    total_timeout=1.5,
    fetch_budget=3.0,
)


@pytest.mark.parametrize("behaviour", [trickled_headers(0.2), trickled_body(0.2), silence])
def test_a_request_ends_at_its_deadline(behaviour: object) -> None:
    with (
        raw_server(behaviour) as url,  # type: ignore[arg-type]
        Fetcher(SETTINGS) as fetcher,
        Timer() as timer,
        pytest.raises(FetchTimeout),
    ):
        fetcher.get(url + "/feed")
    assert timer.seconds < 1.5 + 2.5  # the deadline, and a loaded machine's slack


def test_retries_stay_within_the_fetch_budget() -> None:
    settings = Settings(**{**_fields(SETTINGS), "retries": 10})
    with (
        raw_server(trickled_headers(0.2)) as url,
        Fetcher(settings) as fetcher,
        Timer() as timer,
        pytest.raises(FetchTimeout),
    ):
        fetcher.get(url + "/feed")
    assert timer.seconds < settings.fetch_budget + 2.5


@pytest.mark.parametrize("behaviour", [reset, lying_length])
def test_resets_and_lies_are_network_errors(behaviour: object) -> None:
    with (
        raw_server(behaviour) as url,  # type: ignore[arg-type]
        Fetcher(SETTINGS) as fetcher,
        pytest.raises(NetworkError),
    ):
        fetcher.get(url + "/page")


@pytest.mark.parametrize(
    "location", ["http://[zz/x", "http://[::1/x", "http://exa mple.com:99999/"]
)
def test_a_malformed_location_is_a_fetch_error(location: str) -> None:
    with (
        raw_server(answer("302 Found", {"Location": location})) as url,
        Fetcher(SETTINGS) as fetcher,
        pytest.raises(FetchError) as caught,
    ):
        fetcher.get(url + "/r")
    assert caught.value.kind in ("invalid_url", "blocked", "network")


@pytest.mark.parametrize(
    "url",
    ["http://[zz/x", "http://example.com:99999/", "http://example.com/" + "a" * 200_000],
)
def test_malformed_and_huge_urls_are_refused_before_any_request(url: str) -> None:
    with Fetcher(SETTINGS) as fetcher, pytest.raises(InvalidURLError):
        fetcher.get(url)


def _fields(settings: Settings) -> dict[str, object]:
    return {name: getattr(settings, name) for name in settings.__dataclass_fields__}

"""Every outbound HTTP request goes through here (DESIGN §2).

For now a single bounded GET for ``newsdesk extract URL``; the polite fetcher (robots.txt,
per-host limits, conditional GET, private-address refusal) arrives with the relay.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from newsdesk.errors import FetchError

__all__ = ["Page", "get_page"]

USER_AGENT = "newsdesk/0.1 (+https://github.com/newsdesk/newsdesk)"


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    url: str
    body: bytes
    charset: str | None
    status: int


def get_page(url: str, *, timeout: float = 20.0, max_bytes: int = 10_000_000) -> Page:
    """GET ``url`` (following up to 5 redirects), reading at most ``max_bytes`` of body."""
    try:
        with (
            httpx.Client(
                follow_redirects=True,
                max_redirects=5,
                timeout=timeout,
                headers={"User-Agent": USER_AGENT},
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise FetchError(f"GET {url} answered HTTP {response.status_code}")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"GET {url}: body larger than {max_bytes} bytes")
                chunks.append(chunk)
            return Page(
                url=str(response.url),
                body=b"".join(chunks),
                charset=response.charset_encoding,
                status=response.status_code,
            )
    except httpx.HTTPError as exc:
        raise FetchError(f"GET {url} failed: {exc}") from exc

"""Outbound requests that deliver (issue 17): a webhook's POST, a WordPress site's REST calls.

Under the fetcher's guard (``fetch/http.py``): the host is resolved once and every address
checked, so a target that is, or resolves to, or redirects to a private, loopback or
link-local address is refused unless ``allow_private_networks`` is set (a webhook URL is a
classic SSRF hole); every socket read and write is bounded by one wall-clock deadline, so a
target that drips bytes or never answers costs at most ``timeout`` seconds; the answer's
body is read up to a cap. Redirects are not followed: a delivery goes where it was told to,
and a 3xx is an answer like any other (recorded on the delivery). No retries here: the
outbox retries on its own schedule.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx

from newsdesk.config import Settings
from newsdesk.errors import (
    BlockedError,
    FetchTimeout,
    InvalidURLError,
    NetworkError,
)
from newsdesk.fetch.http import (
    MAX_URL_LENGTH,
    Resolver,
    _blocked_message,
    _guarded_transport,
    _GuardedBackend,
    is_public_address,
    resolve_host,
)

__all__ = ["Reply", "Sender"]

MAX_REPLY_BYTES = 1 << 20  # what is read of an answer's body (a huge one is cut here)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """A target's answer: its status, headers and (at most ``MAX_REPLY_BYTES`` of) body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed: float

    def text(self, limit: int = 300) -> str:
        """The body as text for an error message: decoded leniently, cut to ``limit``."""
        return self.body[: limit * 4].decode("utf-8", "replace")[:limit]


class Sender:
    """Sends deliveries: one guarded request at a time per call, thread-safe."""

    def __init__(
        self,
        settings: Settings,
        *,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
        resolver: Resolver = resolve_host,
        clock: Callable[[], float] = time.monotonic,
        network: httpcore.NetworkBackend | None = None,
    ) -> None:
        """``timeout``: the wall-clock deadline of one request, connect to last byte.
        ``transport`` replaces the network (an ``httpx.MockTransport`` in tests);
        ``network`` only the socket layer under the guard."""
        self.settings = settings
        self.timeout = timeout
        self._resolve = resolver
        self._clock = clock
        self._backend = _GuardedBackend(settings, resolver, clock, network)
        self._client = httpx.Client(
            transport=transport or _guarded_transport(self._backend),
            follow_redirects=False,
            # an answer is read as it comes (raw, capped): no compression asked for
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "identity"},
            timeout=httpx.Timeout(timeout),
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> Reply:
        """One request; raises a ``FetchError`` (blocked, timeout, network, invalid URL)
        when no answer came, else returns the answer whatever its status."""
        self._check(url)
        started = self._clock()
        deadline = started + self.timeout
        outer = self._backend.deadline.at
        self._backend.deadline.at = deadline
        try:
            with self._client.stream(
                method, url, content=body, headers=dict(headers or {}), auth=auth
            ) as response:
                data = self._read(response, deadline)
                return Reply(
                    status=response.status_code,
                    headers=dict(response.headers),
                    body=data,
                    elapsed=self._clock() - started,
                )
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"{url}: no answer within {self.timeout:g} s") from exc
        except httpx.InvalidURL as exc:
            raise InvalidURLError(f"{url}: not a valid URL ({exc})") from exc
        except httpx.HTTPError as exc:
            raise NetworkError(f"{url}: {type(exc).__name__}: {exc}") from exc
        finally:
            self._backend.deadline.at = outer

    def _read(self, response: httpx.Response, deadline: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_raw():
            if self._clock() > deadline:
                raise FetchTimeout(f"{response.url}: the answer took over {self.timeout:g} s")
            chunks.append(chunk[: MAX_REPLY_BYTES - size])
            size += len(chunk)
            if size >= MAX_REPLY_BYTES:  # enough to report; the rest is not read
                break
        return b"".join(chunks)

    def _check(self, url: str) -> None:
        """Refuse a malformed or overlong URL, a scheme other than http(s), and a host that
        resolves to an address that is not globally reachable (unless allowed). The
        connection itself is checked again, at connect time, by the guarded backend."""
        if len(url) > MAX_URL_LENGTH:
            raise InvalidURLError(f"{url[:80]}...: a URL of {len(url)} characters")
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            httpx.URL(url)
        except (ValueError, httpx.InvalidURL) as exc:
            raise InvalidURLError(f"{url}: not a valid URL ({exc})") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BlockedError(f"{url}: only http(s) URLs with a host are sent to")
        if not self.settings.allow_private_networks:
            for address in self._resolve(parts.hostname, port):
                if not is_public_address(address):
                    raise BlockedError(f"{url}: {_blocked_message(parts.hostname, address)}")

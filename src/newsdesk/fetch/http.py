"""The polite, bounded HTTP client.

- Conditional GET: ETag and Last-Modified sent back; a 304 — or an unchanged content hash,
  for servers whose validators are stale — is ``not_modified``.
- Politeness: per-host concurrency and delay, robots.txt honoured and cached, a User-Agent
  that says who we are.
- Limits: redirects followed by hand (each hop is checked), connect/read/total timeouts, a
  cap on both the compressed and the decompressed body (gzip, deflate, br decoded here, under
  the cap, so a compression bomb stays small).
- Failures: retries with exponential backoff and jitter on 5xx, 429 and network errors,
  honouring Retry-After; every failure is a ``FetchError`` whose ``kind`` is one of a fixed
  set.
- Safety: requests to private, loopback, link-local and reserved addresses are refused
  unless ``allow_private_networks`` is set. The check runs on the resolved addresses, so a
  hostname that resolves to 127.0.0.1 is refused too. (httpx resolves again when it
  connects; a DNS answer that changes between the two lookups is not caught.)
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import brotli
import httpx

from newsdesk.config import Settings
from newsdesk.dates import parse_http_date
from newsdesk.errors import (
    BlockedError,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    NetworkError,
    RobotsDisallowed,
    TooLargeError,
    TooManyRedirects,
)
from newsdesk.model import FetchResult

__all__ = ["Fetcher", "Page", "get_page", "resolve_host"]

Resolver = Callable[[str, int], list[str]]
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ROBOTS_TTL = 24 * 3600.0
_MAX_BACKOFF = 60.0


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise NetworkError(f"cannot resolve {host}: {exc}") from exc
    return [str(info[4][0]) for info in infos]


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


class _Decoder:
    """Content-Encoding decoder with a cap on what it may produce."""

    def __init__(self, encoding: str, limit: int, *, keep: bool = False) -> None:
        self.limit = limit
        self.size = 0
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1:
            raise NetworkError(f"unsupported stacked content-encoding {encoding!r}")
        self.coding = codings[0] if codings else None
        if self.coding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(wbits=47)  # gzip or zlib header
        elif self.coding == "deflate":
            self._zlib = zlib.decompressobj(wbits=15)
            self._raw_deflate_tried = False
        elif self.coding == "br":
            self._brotli = brotli.Decompressor()
        elif self.coding is not None:
            raise NetworkError(f"unsupported content-encoding {encoding!r}")
        # only a gzip or zlib stream is kept as it came
        zlib_family = self.coding in ("gzip", "x-gzip", "deflate")
        self._kept: list[bytes] | None = [] if keep and zlib_family else None

    def _count(self, out: bytes) -> bytes:
        self.size += len(out)
        if self.size > self.limit:
            raise TooLargeError(f"decompressed body larger than {self.limit} bytes")
        return out

    def feed(self, data: bytes) -> bytes:
        if self.coding is None:
            return self._count(data)
        room = self.limit - self.size + 1
        if self._kept is not None:
            self._kept.append(data)
        try:
            if self.coding == "br":
                return self._count(self._brotli.process(data, output_buffer_limit=room))
            if self.coding == "deflate" and not self._raw_deflate_tried:
                self._raw_deflate_tried = True
                try:
                    return self._count(self._zlib.decompress(data, room))
                except zlib.error:
                    self._zlib = zlib.decompressobj(wbits=-15)  # raw deflate, no header
                    self._kept = None
            return self._count(self._zlib.decompress(data, room))
        except (zlib.error, brotli.error) as exc:
            raise NetworkError(f"corrupt {self.coding} body: {exc}") from exc

    def drain(self) -> bytes:
        """What the decoder still holds back (bounded by the cap)."""
        if self.coding in ("gzip", "x-gzip", "deflate"):
            out = self._zlib.decompress(b"", self.limit - self.size + 1)
            if self._zlib.unconsumed_tail:
                raise TooLargeError(f"decompressed body larger than {self.limit} bytes")
            return self._count(out)
        if self.coding == "br":
            chunks = []
            while not self._brotli.can_accept_more_data():
                chunks.append(self._count(self._brotli.process(b"", output_buffer_limit=65536)))
            return b"".join(chunks)
        return b""

    def compressed(self) -> bytes | None:
        """After ``drain``: the body as it came, when it was kept and is one complete gzip
        or zlib stream (``zlib.decompress(it, wbits=47)`` gives the decoded body back)."""
        if self._kept is None or not self._zlib.eof or self._zlib.unused_data:
            return None
        return b"".join(self._kept)


@dataclass(slots=True)
class _Host:
    slots: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0


class Fetcher:
    """A polite, bounded HTTP client. Thread-safe: share one per process."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        resolver: Resolver = resolve_host,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self._resolve = resolver
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._client = httpx.Client(
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate, br"},
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=settings.total_timeout,
            ),
        )
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self._robots: dict[str, tuple[RobotFileParser | None, float]] = {}
        self._robots_lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ---------------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        previous_hash: str | None = None,
        page: bool = False,
    ) -> FetchResult:
        """GET ``url`` politely, with retries. Raises a ``FetchError`` subclass on failure.

        ``page``: an article page, not a feed. Nothing compares a page with an earlier
        fetch, so it gets no content hash (unless ``previous_hash`` is given); and a body
        the server sent as one gzip or zlib stream is kept as it came as well
        (``FetchResult.compressed``), so that storing the raw page needs no compressing."""
        attempt = 0
        while True:
            try:
                return self._get_once(
                    url, etag, last_modified, previous_hash, robots=True, page=page
                )
            except (HTTPStatusError, NetworkError, FetchTimeout) as exc:
                retryable = not isinstance(exc, HTTPStatusError) or (
                    exc.status == 429 or exc.status >= 500
                )
                if not retryable or attempt >= self.settings.retries:
                    raise
                delay = self._backoff(attempt, exc)
                attempt += 1
                self._sleep(delay)

    # -- internals ------------------------------------------------------------------------

    def _backoff(self, attempt: int, exc: FetchError) -> float:
        if isinstance(exc, HTTPStatusError) and exc.retry_after is not None:
            return float(min(exc.retry_after, _MAX_BACKOFF))
        base = min(_MAX_BACKOFF, 0.5 * 2**attempt)
        return float(base / 2 + self._rng() * base / 2)  # "equal jitter"

    def _guard(self, url: str) -> tuple[str, int]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BlockedError(f"{url}: only http(s) URLs with a host are fetched")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise BlockedError(f"{url}: invalid port") from exc
        host = parts.hostname
        if not self.settings.allow_private_networks:
            for address in self._resolve(host, port):
                if not _is_public(address):
                    raise BlockedError(
                        f"{url}: {host} resolves to {address}, a private or reserved address "
                        "(set allow_private_networks to fetch local addresses)"
                    )
        return host, port

    @contextmanager
    def _host_slot(self, host: str) -> Iterator[None]:
        with self._hosts_lock:
            state = self._hosts.get(host)
            if state is None:
                slots = threading.BoundedSemaphore(max(1, self.settings.per_host_concurrency))
                state = self._hosts[host] = _Host(slots=slots)
        with state.slots:
            with state.lock:
                now = self._clock()
                start = max(now, state.next_start)
                state.next_start = start + self.settings.per_host_delay
            if start > now:
                self._sleep(start - now)
            yield

    def _robots_allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        now = self._clock()
        with self._robots_lock:
            cached = self._robots.get(origin)
        if cached is None or cached[1] < now:
            parser: RobotFileParser | None
            try:
                result = self._get_once(origin + "/robots.txt", None, None, None, robots=False)
                parser = RobotFileParser()
                parser.parse(result.body.decode("utf-8", "replace").splitlines())
            except HTTPStatusError as exc:
                if exc.status >= 500:
                    raise RobotsDisallowed(f"{origin}/robots.txt answered {exc.status}") from exc
                parser = None  # 4xx: no rules, everything allowed
            cached = (parser, now + _ROBOTS_TTL)
            with self._robots_lock:
                self._robots[origin] = cached
        parser = cached[0]
        return parser is None or parser.can_fetch(self.settings.user_agent, url)

    def _get_once(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        previous_hash: str | None,
        *,
        robots: bool,
        page: bool = False,
    ) -> FetchResult:
        started = self._clock()
        current = url
        for _ in range(self.settings.max_redirects + 1):
            self._guard(current)
            if robots and self.settings.respect_robots and not self._robots_allowed(current):
                raise RobotsDisallowed(f"{current}: disallowed by robots.txt")
            host = urlsplit(current).netloc  # politeness is per origin host and port
            headers = {}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            with self._host_slot(host):
                result = self._exchange(url, current, headers, previous_hash, started, page=page)
            if isinstance(result, FetchResult):
                return result
            current = result
        raise TooManyRedirects(f"{url}: more than {self.settings.max_redirects} redirects")

    def _exchange(
        self,
        url: str,
        current: str,
        headers: dict[str, str],
        previous_hash: str | None,
        started: float,
        *,
        page: bool = False,
    ) -> FetchResult | str:
        """One request: a FetchResult, or the next URL of a redirect."""
        try:
            with self._client.stream("GET", current, headers=headers) as response:
                status = response.status_code
                if status in _REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise HTTPStatusError(f"{current}: redirect without Location", status)
                    return str(urljoin(current, location))
                common = {
                    "url": url,
                    "final_url": str(response.url),
                    "status": status,
                    "etag": response.headers.get("etag"),
                    "last_modified": response.headers.get("last-modified"),
                    "cache_control": response.headers.get("cache-control"),
                    "expires": response.headers.get("expires"),
                    "retry_after": response.headers.get("retry-after"),
                }
                if status == 304:
                    return FetchResult(
                        **common,
                        not_modified=True,
                        content_hash=previous_hash,
                        elapsed=self._clock() - started,
                    )
                if status >= 400:
                    raise HTTPStatusError(
                        f"{current}: HTTP {status}",
                        status,
                        _retry_after(response.headers.get("retry-after")),
                    )
                body, compressed = self._read(response, started, keep=page)
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"{current}: timed out ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise NetworkError(f"{current}: {type(exc).__name__}: {exc}") from exc
        digest = hashlib.sha256(body).hexdigest() if previous_hash or not page else None
        return FetchResult(
            **common,
            body=body,
            compressed=compressed,
            content_type=response.headers.get("content-type"),
            charset=response.charset_encoding,
            content_hash=digest,
            not_modified=previous_hash is not None and digest == previous_hash,
            elapsed=self._clock() - started,
        )

    def _read(
        self, response: httpx.Response, started: float, *, keep: bool = False
    ) -> tuple[bytes, bytes | None]:
        """The decoded body, and with ``keep`` the body as it came when that is one
        complete gzip or zlib stream."""
        limit = self.settings.max_body_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise TooLargeError(f"{response.url}: Content-Length {declared} over {limit} bytes")
        decoder = _Decoder(response.headers.get("content-encoding", ""), limit, keep=keep)
        chunks: list[bytes] = []
        received = 0
        for raw in response.iter_raw():
            received += len(raw)
            if received > limit:
                raise TooLargeError(f"{response.url}: body larger than {limit} bytes")
            if self._clock() - started > self.settings.total_timeout:
                raise FetchTimeout(
                    f"{response.url}: took longer than {self.settings.total_timeout} s"
                )
            chunks.append(decoder.feed(raw))
        chunks.append(decoder.drain())
        return b"".join(chunks), decoder.compressed()


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date; 'now' is not known here, so a
    date is measured against the wall clock)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = parse_http_date(value)
    return max(0.0, float(when.timestamp() - time.time())) if when else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    url: str
    body: bytes
    charset: str | None
    status: int


def get_page(url: str, *, timeout: float = 20.0, max_bytes: int = 10_000_000) -> Page:
    """One GET, for ``newsdesk extract URL``: bounded, no robots.txt or politeness state.

    Local addresses are allowed here: the user named the URL on their own command line.
    """
    settings = Settings(
        allow_private_networks=True,
        respect_robots=False,
        retries=0,
        read_timeout=timeout,
        total_timeout=timeout * 3,
        max_body_bytes=max_bytes,
        per_host_delay=0.0,
    )
    with Fetcher(settings) as fetcher:
        result = fetcher.get(url)
    return Page(
        url=result.final_url, body=result.body, charset=result.charset, status=result.status
    )

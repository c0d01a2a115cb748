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
- Deadlines: every request has a wall-clock deadline from connect to its last byte
  (``total_timeout``), enforced at every socket read and write whatever arrives, so a server
  that trickles its headers or body a byte at a time is cut off; a whole ``get`` (retries
  and their backoff included) has a budget (``fetch_budget``).
- Safety: requests to addresses that are not globally reachable (private, loopback,
  link-local, carrier-grade NAT, documentation, benchmarking, reserved, multicast, and IPv6
  forms wrapping one of them: IPv4-mapped, -compatible, 6to4, Teredo, NAT64) are refused
  unless ``allow_private_networks`` is set. The check runs on the resolved addresses, and the
  connection is made to the address that was checked (the name is resolved once, when
  connecting; the Host header and the TLS server name stay the URL's), so a DNS answer that
  changes between a check and the connection (rebinding) cannot slip through.
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import brotli
import httpcore
import httpx

from newsdesk.config import Settings
from newsdesk.dates import parse_http_date
from newsdesk.errors import (
    BlockedError,
    FetchAbandoned,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    InvalidURLError,
    NetworkError,
    RobotsDisallowed,
    TooLargeError,
    TooManyRedirects,
)
from newsdesk.model import FetchResult

__all__ = [
    "Fetcher",
    "Page",
    "get_page",
    "is_public_address",
    "refuse_unfetchable",
    "resolve_host",
]

Resolver = Callable[[str, int], list[str]]
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ROBOTS_TTL = 24 * 3600.0
_MAX_BACKOFF = 60.0
MAX_URL_LENGTH = 8192  # longer URLs are refused before any request (servers refuse them too)


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise NetworkError(f"cannot resolve {host}: {exc}") from exc
    return [str(info[4][0]) for info in infos]


# Special-purpose ranges (IANA's IPv4 and IPv6 Special-Purpose Address Registries, and
# multicast): (network, globally reachable). The most specific entry that holds an address
# decides; an address in none of them is judged by Python's ``is_global``. Ranges that wrap
# an IPv4 address (IPv4-mapped, -compatible, 6to4, Teredo, NAT64) are judged by what they wrap.
_SPECIAL: tuple[tuple[str, bool], ...] = (
    ("0.0.0.0/8", False),  # "this network"
    ("10.0.0.0/8", False),  # private
    ("100.64.0.0/10", False),  # shared address space (carrier-grade NAT; cloud metadata)
    ("127.0.0.0/8", False),  # loopback
    ("169.254.0.0/16", False),  # link-local (cloud metadata)
    ("172.16.0.0/12", False),  # private
    ("192.0.0.0/24", False),  # IETF protocol assignments
    ("192.0.0.9/32", True),  # port control protocol anycast
    ("192.0.0.10/32", True),  # traversal using relays around NAT anycast
    ("192.0.2.0/24", False),  # documentation (TEST-NET-1)
    ("192.31.196.0/24", True),  # AS112-v4
    ("192.52.193.0/24", True),  # automatic multicast tunneling
    ("192.88.99.0/24", False),  # deprecated 6to4 relay anycast
    ("192.168.0.0/16", False),  # private
    ("192.175.48.0/24", True),  # direct delegation AS112 service
    ("198.18.0.0/15", False),  # benchmarking
    ("198.51.100.0/24", False),  # documentation (TEST-NET-2)
    ("203.0.113.0/24", False),  # documentation (TEST-NET-3)
    ("224.0.0.0/4", False),  # multicast
    ("240.0.0.0/4", False),  # reserved
    ("255.255.255.255/32", False),  # limited broadcast
    ("::/128", False),  # unspecified
    ("::1/128", False),  # loopback
    ("64:ff9b:1::/48", False),  # local-use IPv4/IPv6 translation
    ("100::/64", False),  # discard-only
    ("100:0:0:1::/64", False),  # dummy IPv6 prefix
    ("2001::/23", False),  # IETF protocol assignments
    ("2001:1::1/128", True),  # port control protocol anycast
    ("2001:1::2/128", True),  # traversal using relays around NAT anycast
    ("2001:1::3/128", True),  # DNS-SD service registration protocol anycast
    ("2001:2::/48", False),  # benchmarking
    ("2001:3::/32", True),  # automatic multicast tunneling
    ("2001:4:112::/48", True),  # AS112-v6
    ("2001:10::/28", False),  # deprecated ORCHID
    ("2001:20::/28", True),  # ORCHIDv2
    ("2001:30::/28", True),  # drone remote ID protocol entity tags
    ("2001:db8::/32", False),  # documentation
    ("2620:4f:8000::/48", True),  # direct delegation AS112 service
    ("3fff::/20", False),  # documentation
    ("5f00::/16", False),  # segment routing SIDs
    ("fc00::/7", False),  # unique-local
    ("fe80::/10", False),  # link-local
    ("fec0::/10", False),  # deprecated site-local
    ("ff00::/8", False),  # multicast
)
_SPECIAL_NETS = sorted(
    ((ipaddress.ip_network(net), reachable) for net, reachable in _SPECIAL),
    key=lambda pair: -pair[0].prefixlen,  # most specific first
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPATIBLE = ipaddress.ip_network("::/96")


def _wrapped_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address
    if ip in _NAT64 or (ip in _COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: str) -> bool:
    """Whether ``address`` (an IP literal, with an optional ``%zone``) is globally
    reachable: the only addresses fetched unless ``allow_private_networks`` is set."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        wrapped = _wrapped_ipv4(ip)
        if wrapped is not None:
            return is_public_address(str(wrapped))
    for network, reachable in _SPECIAL_NETS:
        if network.version == ip.version and ip in network:
            return reachable
    return ip.is_global


def refuse_unfetchable(url: str, *, allow_private: bool) -> tuple[str, int]:
    """The host and port of ``url``, or the ``FetchError`` the fetcher would raise for what
    can be refused without contacting anything (no DNS lookup either): a malformed or
    overlong URL, a scheme other than http(s), and unless ``allow_private``, an address
    literal or a ``localhost`` name that is not globally reachable."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidURLError(
            f"{url[:80]}...: a URL of {len(url)} characters (at most {MAX_URL_LENGTH})"
        )
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as exc:
        raise InvalidURLError(f"{url}: not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedError(f"{url}: only http(s) URLs with a host are fetched")
    host = parts.hostname
    if not allow_private:
        if host == "localhost" or host.endswith(".localhost"):  # RFC 6761: always loopback
            raise BlockedError(f"{url}: {_blocked_message(host, '127.0.0.1')}")
        try:
            literal = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            literal = None
        if literal is not None and not is_public_address(host):
            raise BlockedError(f"{url}: {_blocked_message(host, host)}")
    return host, port


class _Deadline(threading.local):
    """The wall-clock deadline of the request the current thread is making (None: none)."""

    at: float | None = None


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write is bounded by the request's deadline: a server
    that sends a byte at a time restarts no timer."""

    def __init__(self, inner: httpcore.NetworkStream, backend: _GuardedBackend) -> None:
        self._inner = inner
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._backend.bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._backend.bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = self._backend.bound(timeout, httpcore.ConnectTimeout)
        inner = self._inner.start_tls(ssl_context, server_hostname, bounded)
        return _DeadlineStream(inner, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend, guarded: the host is resolved once, every address it
    resolves to is checked, and the connection is made to a checked address (so the Host
    header and TLS server name stay the URL's while DNS rebinding has nothing to rebind);
    every socket operation is bounded by the current request's deadline."""

    def __init__(
        self,
        settings: Settings,
        resolver: Resolver,
        clock: Callable[[], float],
        inner: httpcore.NetworkBackend | None = None,
    ) -> None:
        self._settings = settings
        self._resolve = resolver
        self._clock = clock
        self._inner = inner or httpcore.SyncBackend()
        self.deadline = _Deadline()

    def bound(self, timeout: float | None, error: type[Exception]) -> float | None:
        at = self.deadline.at
        if at is None:
            return timeout
        left = at - self._clock()
        if left <= 0:
            raise error("the request's deadline passed")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._resolve(host, port)
        if not addresses:
            raise NetworkError(f"cannot resolve {host}: no address")
        if not self._settings.allow_private_networks:
            for address in addresses:
                if not is_public_address(address):
                    raise BlockedError(_blocked_message(host, address))
        failure: Exception | None = None
        for address in addresses:  # each in turn, as a resolver's answer is meant
            try:
                stream = self._inner.connect_tcp(
                    address.split("%", 1)[0] if "%" in address else address,
                    port,
                    self.bound(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            return _DeadlineStream(stream, self)
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise BlockedError(f"{path}: Unix sockets are never connected to")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _blocked_message(host: str, address: str) -> str:
    what = f"{host} is" if host == address else f"{host} resolves to {address},"
    return (
        f"{what} a private or reserved address that is not globally reachable "
        "(set allow_private_networks to fetch local addresses)"
    )


def _guarded_transport(backend: _GuardedBackend) -> httpx.HTTPTransport:
    """httpx's own transport, with its connection pool on the guarded backend."""
    transport = httpx.HTTPTransport(trust_env=False)
    transport._pool = httpcore.ConnectionPool(  # the pool httpx builds, on our backend
        ssl_context=httpx.create_ssl_context(trust_env=False),
        network_backend=backend,
    )
    return transport


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
        network: httpcore.NetworkBackend | None = None,
    ) -> None:
        """``transport`` replaces the network altogether (an ``httpx.MockTransport`` in
        tests); ``network`` replaces only the socket layer under the guard (tests give one
        that refuses anything but loopback)."""
        self.settings = settings
        self._resolve = resolver
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._backend = _GuardedBackend(settings, resolver, clock, network)
        self._client = httpx.Client(
            transport=transport or _guarded_transport(self._backend),
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
        give_up: Callable[[], bool] | None = None,
    ) -> FetchResult:
        """GET ``url`` politely, with retries. Raises a ``FetchError`` subclass on failure.

        ``give_up`` is asked each time the request's turn at its host comes (after the
        politeness wait): True abandons it (``FetchAbandoned``), unmade.

        ``page``: an article page, not a feed. Nothing compares a page with an earlier
        fetch, so it gets no content hash (unless ``previous_hash`` is given); and a body
        the server sent as one gzip or zlib stream is kept as it came as well
        (``FetchResult.compressed``), so that storing the raw page needs no compressing."""
        budget_end = self._clock() + self.settings.fetch_budget
        attempt = 0
        while True:
            try:
                return self._get_once(
                    url,
                    etag,
                    last_modified,
                    previous_hash,
                    robots=True,
                    page=page,
                    budget_end=budget_end,
                    give_up=give_up,
                )
            except (HTTPStatusError, NetworkError, FetchTimeout) as exc:
                retryable = not isinstance(exc, HTTPStatusError) or (
                    exc.status == 429 or exc.status >= 500
                )
                if not retryable or attempt >= self.settings.retries:
                    raise
                delay = self._backoff(attempt, exc)
                if self._clock() + delay >= budget_end:  # no time left for another try
                    raise
                attempt += 1
                self._sleep(delay)

    # -- internals ------------------------------------------------------------------------

    def _backoff(self, attempt: int, exc: FetchError) -> float:
        if isinstance(exc, HTTPStatusError) and exc.retry_after is not None:
            return float(min(exc.retry_after, _MAX_BACKOFF))
        base = min(_MAX_BACKOFF, 0.5 * 2**attempt)
        return float(base / 2 + self._rng() * base / 2)  # "equal jitter"

    def _guard(self, url: str) -> tuple[str, int]:
        """Refuse what must not be requested: what ``refuse_unfetchable`` refuses, and a
        host that resolves to an address that is not globally reachable."""
        host, port = refuse_unfetchable(url, allow_private=self.settings.allow_private_networks)
        if not self.settings.allow_private_networks:
            for address in self._resolve(host, port):
                if not is_public_address(address):
                    raise BlockedError(f"{url}: {_blocked_message(host, address)}")
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
                result = self._get_once(
                    origin + "/robots.txt", None, None, None, robots=False, budget_end=None
                )
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
        budget_end: float | None,
        give_up: Callable[[], bool] | None = None,
    ) -> FetchResult:
        """One attempt: the request and its redirects, under one wall-clock deadline (the
        sooner of ``total_timeout`` from now and the end of the whole fetch's budget)."""
        started = self._clock()
        deadline = started + self.settings.total_timeout
        if budget_end is not None:
            deadline = min(deadline, budget_end)
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
                if give_up is not None and give_up():
                    raise FetchAbandoned(f"{current}: given up before it was requested")
                outer = self._backend.deadline.at
                self._backend.deadline.at = deadline
                try:
                    result = self._exchange(
                        url, current, headers, previous_hash, started, page=page, deadline=deadline
                    )
                finally:
                    self._backend.deadline.at = outer
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
        deadline: float,
    ) -> FetchResult | str:
        """One request: a FetchResult, or the next URL of a redirect."""
        if self._clock() >= deadline:
            raise FetchTimeout(f"{current}: no time left in the fetch's budget")
        try:
            with self._client.stream("GET", current, headers=headers) as response:
                status = response.status_code
                if status in _REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise HTTPStatusError(f"{current}: redirect without Location", status)
                    try:
                        return str(urljoin(current, location))
                    except ValueError as exc:
                        raise InvalidURLError(
                            f"{current}: redirect to a malformed Location {location[:200]!r}"
                        ) from exc
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
                body, compressed = self._read(response, deadline, keep=page)
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"{current}: timed out ({_timeout_reason(exc)})") from exc
        except httpx.InvalidURL as exc:
            raise InvalidURLError(f"{current}: not a valid URL ({exc})") from exc
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
        self, response: httpx.Response, deadline: float, *, keep: bool = False
    ) -> tuple[bytes, bytes | None]:
        """The decoded body, and with ``keep`` the body as it came when that is one
        complete gzip or zlib stream."""
        limit = self.settings.max_body_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise TooLargeError(f"{response.url}: Content-Length {declared} over {limit} bytes")
        raws: Iterable[bytes]
        if response.is_stream_consumed:  # an in-memory answer (httpx.MockTransport): decoded
            decoder = _Decoder("", limit)
            raws = [response.content]
        else:
            decoder = _Decoder(response.headers.get("content-encoding", ""), limit, keep=keep)
            raws = response.iter_raw()
        chunks: list[bytes] = []
        received = 0
        try:
            for raw in raws:
                received += len(raw)
                if received > limit:
                    raise TooLargeError(f"body larger than {limit} bytes")
                if self._clock() > deadline:
                    raise FetchTimeout(f"took longer than {self.settings.total_timeout} s")
                chunks.append(decoder.feed(raw))
            chunks.append(decoder.drain())
        except (TooLargeError, FetchTimeout, NetworkError) as exc:  # named by its URL, once
            raise type(exc)(f"{response.url}: {exc}") from exc
        return b"".join(chunks), decoder.compressed()


def _timeout_reason(exc: httpx.TimeoutException) -> str:
    if "deadline" in str(exc):
        return "its wall-clock deadline passed"
    return type(exc).__name__


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
        fetch_budget=timeout * 3,
        max_body_bytes=max_bytes,
        per_host_delay=0.0,
    )
    with Fetcher(settings) as fetcher:
        result = fetcher.get(url)
    return Page(
        url=result.final_url, body=result.body, charset=result.charset, status=result.status
    )

"""The SSRF guard: every special-purpose range of IANA's IPv4 and IPv6 registries, one row
each; IPv4 wrapped in IPv6 judged by what it wraps; DNS rebinding.

No test here can reach another machine, even with the guard broken: the resolver is a stub,
and the socket layer under the guard is one that refuses every non-loopback address."""

from __future__ import annotations

import ipaddress
import socket
import threading
from typing import Any

import httpcore
import httpx
import pytest

from newsdesk.config import Settings
from newsdesk.errors import BlockedError
from newsdesk.fetch import Fetcher
from newsdesk.fetch.http import is_public_address
from tests.faults import answer, raw_server

# (range, an address in it, globally reachable?)
IANA_ROWS = [
    ("0.0.0.0/8", "0.1.2.3", False),
    ("10.0.0.0/8", "10.1.2.3", False),
    ("100.64.0.0/10", "100.100.100.200", False),
    ("127.0.0.0/8", "127.9.9.9", False),
    ("169.254.0.0/16", "169.254.169.254", False),
    ("172.16.0.0/12", "172.31.0.1", False),
    ("192.0.0.0/24", "192.0.0.100", False),
    ("192.0.0.0/29", "192.0.0.1", False),
    ("192.0.0.8/32", "192.0.0.8", False),
    ("192.0.0.9/32", "192.0.0.9", True),
    ("192.0.0.10/32", "192.0.0.10", True),
    ("192.0.0.170/32", "192.0.0.170", False),
    ("192.0.0.171/32", "192.0.0.171", False),
    ("192.0.2.0/24", "192.0.2.1", False),
    ("192.31.196.0/24", "192.31.196.1", True),
    ("192.52.193.0/24", "192.52.193.1", True),
    ("192.88.99.0/24", "192.88.99.1", False),
    ("192.168.0.0/16", "192.168.1.1", False),
    ("192.175.48.0/24", "192.175.48.1", True),
    ("198.18.0.0/15", "198.19.0.1", False),
    ("198.51.100.0/24", "198.51.100.1", False),
    ("203.0.113.0/24", "203.0.113.1", False),
    ("224.0.0.0/4", "239.1.1.1", False),
    ("240.0.0.0/4", "250.1.1.1", False),
    ("255.255.255.255/32", "255.255.255.255", False),
    ("::1/128", "::1", False),
    ("::/128", "::", False),
    ("::ffff:0:0/96 (wraps loopback)", "::ffff:127.0.0.1", False),
    ("::ffff:0:0/96 (wraps public)", "::ffff:8.8.8.8", True),
    ("::/96 IPv4-compatible (wraps private)", "::10.0.0.1", False),
    ("64:ff9b::/96 (wraps loopback)", "64:ff9b::7f00:1", False),
    ("64:ff9b::/96 (wraps public)", "64:ff9b::808:808", True),
    ("64:ff9b:1::/48", "64:ff9b:1::1", False),
    ("100::/64", "100::1", False),
    ("100:0:0:1::/64", "100:0:0:1::1", False),
    ("2001::/23", "2001:100::1", False),
    ("2001::/32 Teredo (wraps documentation)", "2001:0:4136:e378:8000:63bf:3fff:fdd2", False),
    ("2001:1::1/128", "2001:1::1", True),
    ("2001:1::2/128", "2001:1::2", True),
    ("2001:1::3/128", "2001:1::3", True),
    ("2001:2::/48", "2001:2::1", False),
    ("2001:3::/32", "2001:3::1", True),
    ("2001:4:112::/48", "2001:4:112::1", True),
    ("2001:10::/28", "2001:10::1", False),
    ("2001:20::/28", "2001:20::1", True),
    ("2001:30::/28", "2001:30::1", True),
    ("2001:db8::/32", "2001:db8::1", False),
    ("2002::/16 6to4 (wraps loopback)", "2002:7f00:1::", False),
    ("2002::/16 6to4 (wraps public)", "2002:808:808::1", True),
    ("2620:4f:8000::/48", "2620:4f:8000::1", True),
    ("3fff::/20", "3fff::1", False),
    ("5f00::/16", "5f00::1", False),
    ("fc00::/7", "fd00::1", False),
    ("fe80::/10", "fe80::1%eth0", False),
    ("ff00::/8", "ff02::1", False),
    ("a public IPv4 address", "93.184.216.34", True),
    ("a public IPv6 address", "2606:2800:220:1:248:1893:25c8:1946", True),
]


@pytest.mark.parametrize(("name", "address", "reachable"), IANA_ROWS, ids=[r[0] for r in IANA_ROWS])
def test_special_purpose_ranges(name: str, address: str, reachable: bool) -> None:
    assert is_public_address(address) is reachable


class LoopbackOnly(httpcore.NetworkBackend):
    """The socket layer for these tests: connects to loopback, refuses anything else (and
    records what it was asked for)."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self._real = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        self.asked.append(host)
        if not ipaddress.ip_address(host).is_loopback:
            raise httpcore.ConnectError(f"test network: {host} is not loopback")
        return self._real.connect_tcp(host, port, *args, **kwargs)

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> Any:
        raise httpcore.ConnectError("test network: no Unix sockets")

    def sleep(self, seconds: float) -> None:
        self._real.sleep(seconds)


SETTINGS = Settings(respect_robots=False, per_host_delay=0.0, retries=0, total_timeout=5.0)


def test_dns_rebinding_connects_only_to_the_checked_address() -> None:
    """The resolver answers a public address to the first lookup, loopback to the next:
    the guard checks and connects with one lookup, so loopback is never reached."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"], ["127.0.0.1"]])
    network = LoopbackOnly()

    def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    with (
        raw_server(answer("200 OK", {"Content-Type": "text/plain"}, b"secret")) as url,
        Fetcher(SETTINGS, resolver=rebinding, network=network) as fetcher,
    ):
        port = url.rsplit(":", 1)[1]
        with pytest.raises(BlockedError):
            fetcher.get(f"http://rebind.test:{port}/")
    assert "127.0.0.1" not in network.asked


def test_the_connection_goes_to_the_checked_address_with_the_url_host() -> None:
    seen: list[bytes] = []

    def behave(conn: socket.socket, request: bytes, stopping: threading.Event) -> None:
        seen.append(request)
        answer("200 OK", {"Content-Type": "text/plain"}, b"hello")(conn, request, stopping)

    settings = Settings(**{**_fields(SETTINGS), "allow_private_networks": True})
    network = LoopbackOnly()
    with (
        raw_server(behave) as url,
        Fetcher(settings, resolver=lambda h, p: ["127.0.0.1"], network=network) as fetcher,
    ):
        port = url.rsplit(":", 1)[1]
        result = fetcher.get(f"http://news.test:{port}/story")
    assert result.body == b"hello"
    assert network.asked == ["127.0.0.1"]
    assert f"host: news.test:{port}".encode() in seen[0].lower()


def test_a_redirect_to_a_metadata_address_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "allowed.test":
            return httpx.Response(302, headers={"Location": "http://100.100.100.200/latest"})
        raise AssertionError(f"requested {request.url}")

    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34"] if host == "allowed.test" else [host]

    with (
        Fetcher(SETTINGS, transport=httpx.MockTransport(handler), resolver=resolver) as fetcher,
        pytest.raises(BlockedError),
    ):
        fetcher.get("http://allowed.test/")


def test_unix_sockets_are_never_connected() -> None:
    settings = Settings(**{**_fields(SETTINGS), "allow_private_networks": True})
    with Fetcher(settings, network=LoopbackOnly()) as fetcher:
        backend = fetcher._backend
        with pytest.raises(BlockedError):
            backend.connect_unix_socket("/var/run/docker.sock")


def _fields(settings: Settings) -> dict[str, object]:
    return {name: getattr(settings, name) for name in settings.__dataclass_fields__}

"""Where a webhook may go (SSRF): an `https://` URL (or `http://` to loopback when allowed)
whose every resolved address is public. The delivery connects to an address checked here, never
resolving the name a second time (DNS rebinding)."""

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# socket.getaddrinfo's shape: (host, port, ...) -> [(family, type, proto, canonname, sockaddr)]
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

# Cloud metadata services (AWS, GCP, Azure: 169.254.169.254; AWS over IPv6: fd00:ec2::254;
# Alibaba: 100.100.100.200), refused whatever else is allowed.
_METADATA = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}
# Carrier-grade NAT (RFC 6598): not private to `ipaddress`, not public either.
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(ValueError):
    """The URL may not be called: `reason` says why (kept in the delivery's last_error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """A checked URL: connect to one of `addresses` on `port`, speaking to `host`."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def _embedded(address: IPAddress) -> IPAddress | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress, allow_loopback: bool) -> str | None:
    """Why this address may not be called, or None when it is public (or an allowed loopback)."""
    inner = _embedded(address)
    if inner is not None:
        why = refusal(inner, allow_loopback)
        return f"{why} (inside {address})" if why else None
    if address in _METADATA:
        return f"{address} is a cloud metadata address"
    if address.is_loopback:
        return None if allow_loopback else f"{address} is a loopback address"
    checks = (
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("site-local", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
        ("shared (carrier-grade NAT)", address in _SHARED),
        ("private", address.is_private),
        ("not globally routable", not address.is_global),
    )
    for name, hit in checks:
        if hit:
            return f"{address} is a {name} address"
    return None


def parse(url: str) -> tuple[str, str, int, str]:
    """scheme, host, port, path-with-query of an acceptable URL (before any resolution); an
    international name in its ASCII (IDNA) form, as it goes into DNS, SNI and `Host`."""
    if not url.isprintable() or any(c.isspace() for c in url):
        raise AddressRefused("the URL may not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused(f"not a valid URL: {error}") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in ("https", "http"):
        raise AddressRefused("the URL must start with https://")
    if not host:
        raise AddressRefused("the URL has no host")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise AddressRefused(f"{host!r} is not a valid host name") from None
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("the URL may not carry a user name or password")
    if parts.fragment:
        raise AddressRefused("the URL may not have a #fragment")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, host, port or (443 if scheme == "https" else 80), path


def check_url(url: str, allow_loopback: bool, resolve: Resolver = socket.getaddrinfo) -> Target:
    """Resolve the URL's host and check every address it has: all must be public (loopback
    only when allowed, and then plain http only to loopback). Raises AddressRefused."""
    scheme, host, port, path = parse(url)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        found: list[IPAddress] = [literal]
    else:
        try:
            infos = resolve(host, port, 0, socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            raise AddressRefused(f"{host} does not resolve: {error}") from None
        found = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if address not in found:
                found.append(address)
        if not found:
            raise AddressRefused(f"{host} resolves to no address")
    for address in found:
        why = refusal(address, allow_loopback)
        if why:
            raise AddressRefused(f"{host}: {why}")
    if scheme == "http" and not all(_loopback(address) for address in found):
        raise AddressRefused("the URL must start with https:// (http only to loopback, in dev)")
    return Target(scheme, host, port, path, tuple(str(address) for address in found))


def _loopback(address: IPAddress) -> bool:
    inner = _embedded(address)
    return (inner or address).is_loopback


# Name lookups block a thread until the resolver gives up: they get threads of their own, so a
# name whose DNS never answers holds one of these, never one the database calls need.
# As many as a worker has attempts at once (activities/webhooks.py: MAX_IN_FLIGHT).
_RESOLVERS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="webhook-dns")


class ResolveTimeout(Exception):
    """The name did not resolve in time (retry later; not a refusal)."""


async def check_url_within(
    url: str, allow_loopback: bool, seconds: float, resolve: Resolver = socket.getaddrinfo
) -> Target:
    """`check_url` on the resolvers' own threads, given up after `seconds`; an address
    literal needs no lookup, and no thread."""
    if _is_literal(parse(url)[1]):
        return check_url(url, allow_loopback, resolve)
    loop = asyncio.get_running_loop()
    checking = loop.run_in_executor(_RESOLVERS, check_url, url, allow_loopback, resolve)
    try:
        return await asyncio.wait_for(checking, seconds)
    except TimeoutError:
        raise ResolveTimeout(f"the host did not resolve within {seconds:.0f} s") from None


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True

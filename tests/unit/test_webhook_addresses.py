"""The SSRF checker: every resolved address must be public; names resolve through an injected
resolver (no DNS, no connection)."""

import socket
from collections.abc import Sequence
from typing import Any

import pytest

from services.webhook_addresses import AddressRefused, check_url


def resolver(*addresses: str) -> Any:
    def resolve(host: str, port: int, *_args: Any) -> Sequence[tuple[Any, ...]]:
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    return resolve


def no_dns(*_args: Any) -> Sequence[tuple[Any, ...]]:
    raise AssertionError("a literal address is not resolved")


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "[fd00::1]",
        "[::ffff:10.0.0.1]",
        "127.0.0.1",
        "[::1]",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "240.0.0.1",
        "[fe80::1]",
        "[fd00:ec2::254]",
        "[::ffff:169.254.169.254]",
        "[2002:a00:1::]",  # 6to4 of 10.0.0.1
        "[64:ff9b::a00:1]",  # NAT64 of 10.0.0.1
        "[ff02::1]",
        "[::]",
    ],
)
def test_private_and_special_literals_are_refused(host: str) -> None:
    with pytest.raises(AddressRefused):
        check_url(f"https://{host}/hook", allow_loopback=False, resolve=no_dns)


def test_a_name_resolving_to_loopback_is_refused_without_the_setting() -> None:
    with pytest.raises(AddressRefused, match=r"127\.0\.0\.1 is a loopback address"):
        check_url("https://hooks.example.com/x", False, resolve=resolver("127.0.0.1"))


def test_every_address_of_a_name_is_checked() -> None:
    with pytest.raises(AddressRefused, match=r"10\.0\.0\.1"):
        check_url(
            "https://hooks.example.com/x", False, resolve=resolver("93.184.215.14", "10.0.0.1")
        )


def test_the_metadata_address_is_refused_even_with_loopback_allowed() -> None:
    with pytest.raises(AddressRefused, match="metadata"):
        check_url("http://169.254.169.254/latest/meta-data/", True, resolve=no_dns)


def test_a_public_name_gives_the_addresses_to_connect_to() -> None:
    target = check_url(
        "https://hooks.example.com:8443/in?x=1",
        False,
        resolve=resolver("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
    )
    assert target.host == "hooks.example.com"
    assert target.port == 8443
    assert target.path == "/in?x=1"
    assert target.addresses == ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")


def test_loopback_over_http_only_when_allowed() -> None:
    target = check_url("http://127.0.0.1:9000/hook", True, resolve=no_dns)
    assert target.addresses == ("127.0.0.1",)
    assert target.scheme == "http"
    with pytest.raises(AddressRefused):
        check_url("http://127.0.0.1:9000/hook", False, resolve=no_dns)
    named = check_url("http://localhost:9000/", True, resolve=resolver("127.0.0.1", "::1"))
    assert named.addresses == ("127.0.0.1", "::1")


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",  # plain http to a public host
        "ftp://hooks.example.com/x",
        "file:///etc/passwd",
        "https://user:pw@hooks.example.com/",
        "https:///nohost",
        "https://hooks.example.com:99999/",
        "not a url",
    ],
)
def test_malformed_or_insecure_urls_are_refused(url: str) -> None:
    with pytest.raises(AddressRefused):
        check_url(url, True, resolve=resolver("93.184.215.14"))


def test_a_name_that_does_not_resolve_is_refused() -> None:
    def fails(*_args: Any) -> Sequence[tuple[Any, ...]]:
        raise socket.gaierror(-2, "Name or service not known")

    with pytest.raises(AddressRefused, match="does not resolve"):
        check_url("https://nowhere.invalid/", False, resolve=fails)


@pytest.mark.parametrize(
    "host",
    ["2130706433", "0x7f000001", "127.1", "017700000001", "[::ffff:127.0.0.1]", "[fe80::1%25eth0]"],
)
def test_other_spellings_of_loopback_and_link_local_are_refused(host: str) -> None:
    """Numeric forms the C resolver reads as IPv4 (no DNS query is made for them)."""
    with pytest.raises(AddressRefused):
        check_url(f"https://{host}/hook", allow_loopback=False)

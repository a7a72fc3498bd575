"""client_address: X-Forwarded-For is believed only as far as trusted proxies wrote it."""

from ipaddress import IPv4Network, IPv6Network, ip_network

import pytest

from swiftpaste.presentation.http.rate_limit import client_address

PROXIES: tuple[IPv4Network | IPv6Network, ...] = (
    ip_network("10.0.0.0/8"),
    ip_network("192.0.2.10/32"),
    ip_network("fd00::/8"),
)
CLIENT = "203.0.113.7"
ATTACKER = "198.51.100.66"


def test_no_header_is_the_peer() -> None:
    assert client_address(CLIENT, None, PROXIES) == CLIENT
    assert client_address("10.0.0.2", None, PROXIES) == "10.0.0.2"
    assert client_address("10.0.0.2", "", PROXIES) == "10.0.0.2"


def test_header_from_an_untrusted_peer_is_ignored() -> None:
    # A client talking to the API directly cannot choose its own address.
    assert client_address(ATTACKER, "1.2.3.4", PROXIES) == ATTACKER
    assert client_address(ATTACKER, "10.0.0.5", PROXIES) == ATTACKER


def test_header_is_ignored_when_no_proxy_is_trusted() -> None:
    assert client_address("10.0.0.2", CLIENT, ()) == "10.0.0.2"


def test_trusted_peer_gives_the_right_most_untrusted_address() -> None:
    assert client_address("10.0.0.2", CLIENT, PROXIES) == CLIENT
    # The client prepended a forged entry; the proxy appended the real address after it.
    assert client_address("10.0.0.2", f"6.6.6.6, {CLIENT}", PROXIES) == CLIENT
    # Two proxies: the inner one appended the outer one's address.
    assert client_address("10.0.0.2", f"6.6.6.6, {CLIENT}, 192.0.2.10", PROXIES) == CLIENT


def test_forged_trusted_addresses_left_of_the_client_do_not_help() -> None:
    assert client_address("10.0.0.2", f"10.9.9.9, {ATTACKER}", PROXIES) == ATTACKER


def test_every_address_trusted_gives_the_left_most() -> None:
    assert client_address("10.0.0.2", "10.1.1.1, 10.2.2.2", PROXIES) == "10.1.1.1"


@pytest.mark.parametrize(
    ("forwarded_for", "expected"),
    [
        # Garbage left of the client's real address, as a client would send it.
        (f"not-an-ip, {CLIENT}", CLIENT),
        (f"<script>, , {CLIENT}", CLIENT),
        # Garbage where a trusted proxy should have written: stop at the last trusted hop.
        (f"{CLIENT}, unknown", "10.0.0.2"),
        (f"{CLIENT}, unknown, 10.3.3.3", "10.3.3.3"),
        (f"{CLIENT}, 999.1.1.1", "10.0.0.2"),
        (f"{CLIENT}, [::1", "10.0.0.2"),
        # Empty entries are skipped.
        (f" , {CLIENT} ,,", CLIENT),
        (",,,", "10.0.0.2"),
        ("\x00\xff", "10.0.0.2"),
        ("," * 10_000, "10.0.0.2"),
    ],
)
def test_malformed_entries_never_raise(forwarded_for: str, expected: str) -> None:
    assert client_address("10.0.0.2", forwarded_for, PROXIES) == expected


def test_ports_written_by_proxies_are_dropped() -> None:
    assert client_address("10.0.0.2", f"{CLIENT}:51234", PROXIES) == CLIENT
    assert client_address("10.0.0.2", "[2001:db8::5]:443", PROXIES) == "2001:db8::5"


def test_ipv6_peer_and_entries() -> None:
    assert client_address("2001:db8::1", "2001:db8::2", PROXIES) == "2001:db8::1"
    assert client_address("fd00::1", "2001:db8::2, fd12::3", PROXIES) == "2001:db8::2"
    assert client_address("fd00::1", "[2001:db8::2]", PROXIES) == "2001:db8::2"
    # Addresses come back in one canonical form, so one client is one key.
    assert client_address("fd00::1", "2001:DB8:0:0::2", PROXIES) == "2001:db8::2"


def test_ipv4_mapped_ipv6_counts_as_ipv4() -> None:
    # What a dual-stack socket reports for an IPv4 peer.
    assert client_address("::ffff:10.0.0.2", CLIENT, PROXIES) == CLIENT
    assert client_address("::ffff:203.0.113.7", None, PROXIES) == CLIENT


def test_peer_that_is_not_an_ip_address() -> None:
    assert client_address(None, CLIENT, PROXIES) == "unknown"
    assert client_address("testclient", CLIENT, PROXIES) == "testclient"

"""Records already in canonical form skip dnslib; the result must be what dnslib gives."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from acns_dns.world import zonefile

LABEL = st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True)
FQDN = st.lists(LABEL, min_size=1, max_size=5).map(lambda labels: ".".join(labels) + ".")
IPV4 = st.ip_addresses(v=4).map(str)
IPV6 = st.ip_addresses(v=6).map(str)
CONTENT = st.one_of(
    st.tuples(st.just("A"), st.one_of(IPV4, st.text(max_size=20))),
    st.tuples(st.just("AAAA"), st.one_of(IPV6, IPV6.map(str.upper), st.text(max_size=20))),
    st.tuples(st.sampled_from(["NS", "CNAME", "PTR"]), st.one_of(FQDN, FQDN.map(lambda n: n[:-1]))),
    st.tuples(st.just("MX"), st.tuples(st.integers(0, 70000), FQDN).map(lambda p: f"{p[0]} {p[1]}")),
)


@given(CONTENT)
def test_fast_path_agrees_with_dnslib(case: tuple[str, str]) -> None:
    rtype, content = case
    fast = zonefile._already_canonical(rtype, content)
    if fast is None:
        return
    assert zonefile.through_dnslib("x.example.com", rtype, content).content == fast


def test_fast_path_takes_the_common_forms() -> None:
    """The forms a large world is written in do not go through dnslib."""
    assert zonefile._already_canonical("A", "192.0.2.1") == "192.0.2.1"
    assert zonefile._already_canonical("AAAA", str(ipaddress.IPv6Address("2001:db8::1"))) == "2001:db8::1"
    assert zonefile._already_canonical("NS", "ns1.example.com.") == "ns1.example.com."
    assert zonefile._already_canonical("MX", "10 mail.example.com.") == "10 mail.example.com."


def test_other_forms_still_go_through_dnslib() -> None:
    """Forms dnslib would rewrite (leading zeros, upper-case IPv6, relative names) are not taken."""
    assert zonefile._already_canonical("A", "\x00") is None  # a NUL: dnslib says what is wrong
    assert zonefile._already_canonical("AAAA", "::\x00") is None
    for rtype, content, stored in [("A", "192.000.2.1", "192.0.2.1"), ("AAAA", "2001:DB8::1", "2001:db8::1"),
                                   ("NS", "ns1.example.com", "ns1.example.com."),
                                   ("MX", "010 mail.example.com.", "10 mail.example.com.")]:
        assert zonefile._already_canonical(rtype, content) is None
        assert zonefile.canonical("x.example.com", rtype, content).content == stored

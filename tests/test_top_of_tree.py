"""A realistic top of the tree: the root on several letters, every TLD on two servers with
glue, SOA values as the root and registries publish them, RNAME mail domains that resolve,
and ``check`` failing a zone with fewer than two name servers (RFC 1034 §4.1).

The stable names and addresses stay where they were (a.root-servers.net on the first address,
ns1.nic.<tld> on the TLD addresses); the new servers are added beside them.
"""

from __future__ import annotations

import dns.flags
import dns.message
import dns.rcode
from test_trace_check import findings

from acns_dns.lab.testing import RunningWorld, running_world
from acns_dns.world import addressing, infrastructure, scenario
from acns_dns.world.models import Network
from acns_dns.world.registry import Registry


def _rdata(reply: dns.message.Message, section: str = "answer") -> list[str]:
    return sorted(rr.to_text() for rrset in getattr(reply, section) for rr in rrset)


def test_existing_names_and_addresses_are_kept() -> None:
    world = scenario.load("default", Network())
    assert world.root_ipv4 == "127.53.0.1" and world.root_ipv6 == "fd53:53:53::1"
    assert [(t.name, t.server_name, t.ipv4) for t in world.tlds.values()] == [
        ("com", "ns1.nic.com", "127.53.0.10"), ("net", "ns1.nic.net", "127.53.0.11"),
        ("org", "ns1.nic.org", "127.53.0.12")]
    assert [(s.name, s.ipv4) for s in world.tlds["com"].extra_servers] == [("ns2.nic.com", "127.53.127.10")]
    assert [s.name for s in world.other_root_servers] == ["b.root-servers.net", "c.root-servers.net",
                                                          "d.root-servers.net"]
    first_host = addressing.pair(world.network, addressing.HOST_OFFSETS[0])
    assert first_host == ("127.53.2.1", "fd53:53:53::201")


def test_root_is_served_by_several_letters_each_on_its_own_address(dns_world: RunningWorld) -> None:
    reply = dns_world.query(".", "NS", at="root")
    letters = [rr.target.to_text() for rrset in reply.answer for rr in rrset]
    assert sorted(letters) == [f"{x}.root-servers.net." for x in "abcd"]
    addresses = {rr.to_text() for rrset in reply.additional for rr in rrset if rrset.rdtype == 1}
    assert len(addresses) == 4
    for address in addresses:
        soa = dns_world.query(".", "SOA", at=address)
        assert soa.flags & dns.flags.AA
        # the root's real SOA: a.root-servers.net. nstld.verisign-grs.com. serial 1800 900 604800 86400
        fields = soa.answer[0][0].to_text().split()
        assert fields[:2] == ["a.root-servers.net.", "nstld.verisign-grs.com."]
        assert fields[3:] == ["1800", "900", "604800", "86400"] and soa.answer[0].ttl == 86400


def test_every_tld_has_two_servers_with_glue_and_both_answer(dns_world: RunningWorld) -> None:
    for tld in ("com", "net", "org"):
        referral = dns_world.query(f"example.{tld}", "NS", at="root")
        ns = sorted(rr.target.to_text() for rrset in referral.authority for rr in rrset)
        assert ns == [f"ns1.nic.{tld}.", f"ns2.nic.{tld}."]
        glue = {rrset.name.to_text(): [rr.to_text() for rr in rrset] for rrset in referral.additional}
        assert set(glue) == set(ns)
        v4 = [a for rrset in referral.additional if rrset.rdtype == 1 for a in (rr.to_text() for rr in rrset)]
        assert len(set(v4)) == 2  # each on its own address
        for address in v4:
            soa = dns_world.query(tld, "SOA", at=address)
            assert soa.flags & dns.flags.AA and soa.rcode() == dns.rcode.NOERROR
            fields = soa.answer[0][0].to_text().split()
            assert fields[1] == f"hostmaster.nic.{tld}." and fields[3:] == ["1800", "900", "604800", "86400"]


def test_soa_rname_mail_domains_resolve(dns_world: RunningWorld) -> None:
    # hostmaster@nic.com, nstld@verisign-grs.com, dns@cloudflare.com (Zonemaster SYNTAX06)
    for name, at in (("nic.com", "com"), ("nic.org", "org"), ("verisign-grs.com", "com"),
                     ("cloudflare.com", "edge")):
        reply = dns_world.query(name, "AAAA", at=at)
        assert reply.rcode() == dns.rcode.NOERROR and reply.answer, name
        assert _rdata(dns_world.query(name, "A", at=at)), name


def test_check_fails_a_single_name_server_and_passes_a_tld() -> None:
    world = scenario.load("default", Network(prefix4="127.58.0.0/16", prefix6="fd53:53:3a::/48"))
    world.tlds["com"].domains["example.com"].nameservers = ["ns1.example.com"]
    levels = findings(Registry(world), "example.com")
    assert levels["ns-count"] == {"FAIL"}
    assert findings("default", "com")["ns-count"] == {"PASS"}
    assert findings("default", "example.com")["ns-count"] == {"PASS"}


def test_net_delegates_root_servers_net_to_the_root_letters_with_glue(dns_world: RunningWorld) -> None:
    # as on the Internet: a resolver (or dig +trace) looking up a.root-servers.net is referred
    # by net to the root letters, which serve root-servers.net themselves
    referral = dns_world.query("a.root-servers.net", "A", at="net")
    assert referral.rcode() == dns.rcode.NOERROR and not referral.answer
    assert not referral.flags & dns.flags.AA
    assert _rdata(referral, "authority") == [f"{x}.root-servers.net." for x in "abcd"]
    glue = {rrset.name.to_text(): rrset for rrset in referral.additional if rrset.rdtype == 1}
    assert [rr.to_text() for rr in glue["a.root-servers.net."]] == [dns_world.root]
    answer = dns_world.query("a.root-servers.net", "A", at=dns_world.root)
    assert answer.flags & dns.flags.AA and _rdata(answer) == [dns_world.root]


def test_the_root_servers_delegation_survives_a_change_to_net() -> None:
    with running_world("default") as world:
        world.registry.apply(infrastructure.register_domain, "example-registrar", "newcomer.net",
                             ["ns1.example.com", "ns2.example.com"])
        assert _rdata(world.query("newcomer.net", "NS", at="net"), "authority") == [
            "ns1.example.com.", "ns2.example.com."]
        referral = world.query("root-servers.net", "NS", at="net")
        assert _rdata(referral, "authority") == [f"{x}.root-servers.net." for x in "abcd"]

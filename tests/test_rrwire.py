"""rrwire: records encoded once give the same octets as dnslib's zone parser and packer."""

from __future__ import annotations

import dns.message
import pytest
from dnslib import RR as DnsRR
from dnslib.label import DNSBuffer

from acns_dns.dns import rrwire
from acns_dns.dns.view import RR, compile_view
from acns_dns.world import scenario

HEADER = bytes(12)


def _dnslib_packed(question: bytes, records: list[RR]) -> bytes:
    """What the packer did before records were kept in wire form: dnslib, record by record."""
    buf = DNSBuffer()
    buf.append(HEADER + question)
    labels, pos = [], 0
    while question[pos]:
        labels.append((pos, question[pos + 1:pos + 1 + question[pos]]))
        pos += 1 + question[pos]
    for index, (offset, _) in enumerate(labels):
        buf.names[tuple(label for _, label in labels[index:])] = len(HEADER) + offset
    for rr in records:
        owner = rr.name + "." if rr.name else "."
        DnsRR.fromZone(f"{owner} {rr.ttl} IN {rr.rtype} {rr.rdata}")[0].pack(buf)
    return bytes(buf.data)


def _packed(question: bytes, records: list[RR]) -> bytes:
    packer = rrwire.Packer(HEADER, question, 65535)
    for rr in records:
        assert packer.add(0, [rr.encoded()])
    return bytes(packer.buf)


def _question(name: str) -> bytes:
    return dns.message.make_query(name, "A").question[0].name.to_wire() + b"\x00\x01\x00\x01"


def _scenario_records() -> list[RR]:
    found: dict[RR, None] = {}
    for name, _ in scenario.packaged():
        view = compile_view(scenario.load(name), 1, ("127.0.0.1",))
        for server in view.listing:
            for zone in server.zones.values():
                for group in (zone.rrsets.values(), zone.cuts.values(), zone.addresses.values()):
                    for rrset in group:
                        found.update(dict.fromkeys(rrset))
    return list(found)


EXTRA = [
    RR("x.test", "MX", 300, "10 mail.x.test."),
    RR("x.test", "TXT", 300, '"hello world" "two"'),
    RR("x.test", "CAA", 300, '0 issue "letsencrypt.org"'),
    RR("_sip._tcp.x.test", "SRV", 300, "1 2 5060 sip.x.test."),
    RR("x.test", "NS", 300, "NS1.X.Test."),
    RR("x.test", "A", 300, "1.2.3.4."),
    RR("*.x.test", "AAAA", 300, "2001:db8::1"),
    RR("x.test", "SOA", 300, "ns.x.test. hostmaster.x.test. 1 7200 900 604800 300"),
    RR("x.test", "PTR", 300, "host.x.test."),
    RR("x.test", "CNAME", 300, "."),
]


def test_every_scenario_record_packs_as_dnslib_packed_it() -> None:
    records = _scenario_records() + EXTRA
    assert len(records) > 100
    for question in (_question("www.example.com"), _question("x.test"), _question(".")):
        assert _packed(question, records) == _dnslib_packed(question, records)


def test_each_record_alone_packs_as_dnslib_packed_it() -> None:
    for rr in _scenario_records() + EXTRA:
        question = _question(rr.name + "." if rr.name else ".")
        assert _packed(question, [rr]) == _dnslib_packed(question, [rr]), rr


def test_a_record_that_cannot_be_encoded_fails_when_packed() -> None:
    bad = RR("x.test", "A", 300, "not-an-ip")
    assert bad.encoded().error is not None
    with pytest.raises(ValueError, match="cannot be encoded"):
        rrwire.Packer(HEADER, _question("x.test"), 512).add(0, [bad.encoded()])


def test_roll_back_forgets_names_of_an_rrset_that_did_not_fit() -> None:
    question = _question("a.test")
    packer = rrwire.Packer(HEADER, question, len(HEADER) + len(question) + 20)
    big = [RR("long-name-that-does-not-fit.a.test", "A", 300, "192.0.2.1").encoded()]
    assert not packer.add(0, big)
    assert bytes(packer.buf) == HEADER + question and packer.counts == [0, 0, 0]
    assert len(packer.names) == 2  # only the question's suffixes remain

"""TXT content (RFC 1035 §5.1) and content that cannot be encoded, where it enters and on the wire.

Quoted strings with ``\\"`` and ``\\DDD`` escapes are served as written; unquoted API content is
one text (semicolons and spaces kept); what cannot be encoded is refused by the API (400), the
scenario loader and the zone-file reader with a line naming the field. A record that reaches
the wire anyway (an old snapshot) is answered SERVFAIL and logged once, not once per query.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Iterator
from pathlib import Path

import cloudflare
import dns.rcode
import dns.rdatatype
import pytest
from api_support import TOKEN
from cloudflare import Cloudflare
from hypothesis import given
from hypothesis import strategies as st

from acns_dns.lab.testing import RunningWorld, running_world
from acns_dns.world import scenario, txt, zonefile
from acns_dns.world.errors import ScenarioError
from acns_dns.world.models import DnsRecord

ZONE = "example.com"


@given(st.lists(st.binary(max_size=255), min_size=1, max_size=5))
def test_format_reads_back(strings: list[bytes]) -> None:
    assert txt.parse(txt.format(strings)) == strings


@pytest.mark.parametrize(("content", "strings"), [
    ('"a\\"b"', [b'a"b']),
    ('"a;b"', [b"a;b"]),
    ("a;b", [b"a;b"]),
    ("v=DKIM1; k=rsa; p=abc", [b"v=DKIM1; k=rsa; p=abc"]),
    ("v=spf1 mx -all", [b"v=spf1 mx -all"]),
    ('"part one" "part two"', [b"part one", b"part two"]),
    ('"\\065\\\\"', [b"A\\"]),
    ("x" * 300, [b"x" * 255, b"x" * 45]),
])
def test_parse(content: str, strings: list[bytes]) -> None:
    assert txt.parse(content) == strings


@pytest.mark.parametrize(("content", "reason"), [
    ('"open', "not closed"),
    ('"' + "x" * 256 + '"', "256 octets"),
    ('"a" b"c', "quote inside"),
    ('"\\300"', "not an octet"),
    ("", "empty"),
])
def test_parse_refuses(content: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        zonefile.canonical("t.example.com", "TXT", content)


@pytest.fixture(scope="module")
def served() -> Iterator[RunningWorld]:
    with running_world("default", api=True) as world:
        yield world


@pytest.fixture
def sdk(served: RunningWorld) -> Iterator[Cloudflare]:
    served.registry.replace(scenario.load("default", served.registry.world.network))
    client = Cloudflare(api_token=TOKEN, base_url=f"{served.api_url}/client/v4", max_retries=0)
    yield client
    client.close()


def _zone_id(world: RunningWorld) -> str:
    return next(z.id for z in world.registry.world.zones.values() if z.name == ZONE)


def _txt(world: RunningWorld, name: str, at: str) -> tuple[str, list[list[bytes]]]:
    reply = world.query(name, "TXT", at=at)
    found = [list(rr.strings) for rrset in reply.answer if rrset.rdtype == dns.rdatatype.TXT for rr in rrset]
    return dns.rcode.to_text(reply.rcode()), found


@pytest.mark.parametrize(("content", "stored", "strings"), [
    ('"a\\"b"', '"a\\"b"', [b'a"b']),
    ("a;b", '"a;b"', [b"a;b"]),
    ("v=DKIM1; k=rsa; p=MIGf", '"v=DKIM1; k=rsa; p=MIGf"', [b"v=DKIM1; k=rsa; p=MIGf"]),
])
def test_api_txt_is_served_as_written(served: RunningWorld, sdk: Cloudflare, content: str, stored: str,
                                      strings: list[bytes]) -> None:
    record = sdk.dns.records.create(zone_id=_zone_id(served), name="q.example.com", type="TXT",
                                    content=content, ttl=300)
    assert record.content == stored
    for at in ("edge", "ns1.example.com"):  # the edge and an ACNS address
        assert _txt(served, "q.example.com", at) == ("NOERROR", [strings])


def test_api_refuses_txt_that_cannot_be_encoded(served: RunningWorld, sdk: Cloudflare) -> None:
    before = served.registry.world.model_dump()
    with pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.dns.records.create(zone_id=_zone_id(served), name="q.example.com", type="TXT",
                               content='"open', ttl=300)
    assert "not closed" in str(caught.value) and "content" in str(caught.value)
    assert served.registry.world.model_dump() == before
    assert _txt(served, "q.example.com", "edge")[0] == "NXDOMAIN"


def test_scenario_names_the_field(tmp_path: Path) -> None:
    text = scenario.resolve("default").read_text().replace(
        """'"v=spf1 mx -all"'""", """'"v=spf1 mx -all'""")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        scenario.load(str(path))
    message = str(caught.value)
    assert "\n" not in message and "accounts[0].zones[0].records[4]" in message and "not closed" in message


def test_zone_file_quotes_and_comments(tmp_path: Path) -> None:
    rows = zonefile.parse(textwrap.dedent('''\
        $TTL 300
        @ IN SOA ns1.other.test. host.other.test. 1 2 3 4 5
        q IN TXT "a\\"b" ; a comment
        r IN TXT a;b
        '''), "other.test", "other.zone")
    by_name = {row.name: row.content for row in rows if row.type == "TXT"}
    assert by_name == {"q.other.test": '"a\\"b"', "r.other.test": '"a"'}  # ';' starts a comment there


def test_unencodable_record_is_servfail_logged_once(served: RunningWorld,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """A record that bypassed the checks (say, from an old snapshot) fails its own question only."""
    world = scenario.load("default", served.registry.world.network)
    zone = next(z for z in world.zones.values() if z.name == ZONE)
    zone.records.append(DnsRecord(id="f" * 32, name="bad.example.com", type="TXT", ttl=300, content='"a"b"'))
    served.registry.replace(world)
    with caplog.at_level(logging.DEBUG, logger="acns_dns"):
        for round_ in range(4):  # each change is a new view, its answers computed afresh
            for qname in ("bad.example.com", "BAD.example.com", "bAd.example.com"):
                assert served.query(qname, "TXT").rcode() == dns.rcode.SERVFAIL
            served.registry.add_record(zone.id, f"other{round_}", "A", "192.0.2.1")
        assert served.query("www.example.com", "A").answer  # the rest of the zone answers
    logged = [r for r in caplog.records
              if r.levelno >= logging.ERROR and "bad.example.com" in r.getMessage().lower()]
    assert len(logged) == 1 and "\n" not in logged[0].getMessage()

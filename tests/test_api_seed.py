"""The seed end to end, once per registrar path, each step checked over real DNS.

The world starts before the seed: example.com (external registrar) and example.net
(Cloudflare Registrar) are Cloudflare zones on their branded pairs, with no ACNS yet. Every
change goes through the HTTP API (the official SDK for Cloudflare's paths, ``/sim`` for the
registrar side); every check asks the simulated servers with dnspython, and "resolvable"
means an iterative walk from the simulated root reaches an answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import httpx
import pytest
from api_support import ACCOUNT, TOKEN
from cloudflare import Cloudflare

from acns_dns.lab.testing import RunningWorld, running_world

BEFORE = f"""
description: Before the seed - two zones on their Cloudflare-branded pairs, no ACNS yet.
tlds: [{{name: com}}, {{name: net}}]
registrars: [{{id: example-registrar, name: Example Registrar, kind: external}}]
accounts:
  - id: {ACCOUNT}
    name: Example Corp
    tokens: [{TOKEN}]
    zones:
      - name: example.com
        records: [{{name: www, type: A, content: 192.0.2.10}}]
      - name: example.net
        records: [{{name: www, type: A, content: 192.0.2.20}}]
domains:
  - {{name: example.com, registrar: example-registrar, nameservers_from_cloudflare: true}}
  - {{name: example.net, registrar: cloudflare, nameservers_from_cloudflare: true}}
"""
TIMEOUT = 0.5
# The seed uses the deprecated zone custom_ns PUT (spec-acns §2 #7); the SDK warns about it.
pytestmark = pytest.mark.filterwarnings("ignore:Use \\[DNS settings API\\]:DeprecationWarning")
MAX_REFERRALS = 8
MAX_DEPTH = 3


def _ask(world: RunningWorld, servers: list[str], qname: str) -> dns.message.Message | None:
    """The first usable reply from ``servers`` (a timeout or REFUSED/SERVFAIL moves on)."""
    for address in servers:
        try:
            reply = world.query(qname, "A", at=address, timeout=TIMEOUT)
        except dns.exception.Timeout:
            continue
        if reply.rcode() == dns.rcode.NOERROR:
            return reply
    return None


def resolve(world: RunningWorld, qname: str, depth: int = 0) -> list[str]:
    """Iterative resolution from the simulated root, as a resolver does it; the A addresses."""
    servers = [world.root]
    for _ in range(MAX_REFERRALS):
        reply = _ask(world, servers, qname)
        if reply is None:
            return []
        if reply.answer:
            return [str(r) for rrset in reply.answer if rrset.rdtype == dns.rdatatype.A for r in rrset]
        targets = [
            str(r.target).rstrip(".")
            for rrset in reply.authority
            if rrset.rdtype == dns.rdatatype.NS
            for r in rrset
        ]
        glue = {
            str(rrset.name).rstrip("."): [str(r) for r in rrset]
            for rrset in reply.additional
            if rrset.rdtype == dns.rdatatype.A
        }
        servers = []
        for target in targets:
            found = glue.get(target)
            if found is None and depth < MAX_DEPTH and not qname.endswith(target.partition(".")[2]):
                found = resolve(world, target, depth + 1)  # out-of-zone name server, no glue
            servers += found or []
        if not servers:
            return []
    return []


class Seed:
    """One running world and the clients a user has."""

    def __init__(self, world: RunningWorld) -> None:
        assert world.api_url is not None
        self.world = world
        self.sdk = Cloudflare(api_token=TOKEN, base_url=f"{world.api_url}/client/v4", max_retries=0)
        self.sim = httpx.Client(
            base_url=world.api_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )

    def zone_id(self, name: str) -> str:
        return next(z.id for z in self.sdk.zones.list(name=name))

    def create_names(self, *names: str) -> dict[str, tuple[str, str]]:
        """Seed step 1: the names and their (IPv4, IPv6)."""
        made = {}
        for name in names:
            ns = self.sdk.custom_nameservers.create(account_id=ACCOUNT, ns_name=name, ns_set=1)
            assert ns is not None
            records = {r.type: r.value for r in ns.dns_records}
            made[name] = (records["A"], records["AAAA"])
        return made

    def sim_ok(self, method: str, path: str, body: object = None) -> dict[str, object]:
        answer = self.sim.request(method, path, json=body)
        assert answer.status_code == 200, answer.text
        result: dict[str, object] = answer.json()["result"]
        return result

    def publish_glue(self, made: dict[str, tuple[str, str]]) -> None:
        """Seed step 2 at an external registrar: glue for each name, set directly."""
        for name, (v4, v6) in made.items():
            self.sim_ok("PUT", f"/sim/registrars/example-registrar/glue/{name}", {"ipv4": [v4], "ipv6": [v6]})

    def delegate(self, domain: str, nameservers: list[str]) -> None:
        """Change the NS the external registrar publishes for ``domain``."""
        path = f"/sim/registrars/example-registrar/domains/{domain}/nameservers"
        self.sim_ok("PUT", path, {"nameservers": nameservers})

    def referral(self, qname: str, tld: str) -> tuple[list[str], dict[str, set[str]]]:
        """What the TLD server refers to for ``qname``: NS names and the glue addresses."""
        reply = self.world.query(qname, "A", at=tld, timeout=2)
        targets = sorted(
            str(r.target).rstrip(".")
            for rrset in reply.authority
            if rrset.rdtype == dns.rdatatype.NS
            for r in rrset
        )
        glue: dict[str, set[str]] = {}
        for rrset in reply.additional:
            glue.setdefault(str(rrset.name).rstrip("."), set()).update(str(r) for r in rrset)
        return targets, glue

    def apex_ns(self, zone: str, at: str = "edge") -> list[str]:
        reply = self.world.query(zone, "NS", at=at, timeout=2)
        return sorted(str(r.target).rstrip(".") for rrset in reply.answer for r in rrset)

    def address_of(self, name: str, at: str = "edge") -> list[str]:
        reply = self.world.query(name, "A", at=at, timeout=2)
        assert reply.flags & dns.flags.AA
        return [str(r) for rrset in reply.answer for r in rrset]

    def resolves(self, qname: str) -> bool:
        return bool(resolve(self.world, qname))

    def answers_at(self, address: str, qname: str) -> bool:
        try:
            reply = self.world.query(qname, "A", at=address, timeout=TIMEOUT)
        except dns.exception.Timeout:
            return False
        return bool(reply.answer) and bool(reply.flags & dns.flags.AA)

    def close(self) -> None:
        self.sdk.close()
        self.sim.close()


@pytest.fixture
def seed(tmp_path: Path) -> Iterator[Seed]:
    source = tmp_path / "before.yaml"
    source.write_text(BEFORE)
    with running_world(str(source), api=True) as world:
        user = Seed(world)
        yield user
        user.close()


NAMES_COM = ("ns1.example.com", "ns2.example.com")


def set_up_external(seed: Seed) -> tuple[str, list[str], dict[str, tuple[str, str]]]:
    """The seed's non-Cloudflare-Registrar flow for example.com, checked after every step."""
    zone = seed.zone_id("example.com")
    branded = sorted(seed.sdk.zones.get(zone_id=zone).name_servers)
    assert seed.resolves("www.example.com") and seed.apex_ns("example.com") == branded

    # Step 1: the names get addresses, and the providing zone serves them at once.
    made = seed.create_names(*NAMES_COM)
    for name, (v4, _) in made.items():
        assert seed.address_of(name) == [v4]
        assert seed.answers_at(v4, "www.example.com")  # the address is a Cloudflare server now
    assert seed.referral("www.example.com", "com")[1] == {}  # no glue yet

    # Step 2: glue at the external registrar, set directly.
    seed.publish_glue(made)
    glue = seed.sim.get("/sim/domains/example.com").json()["result"]["glue"]
    assert {g["name"]: g["ipv4"] for g in glue} == {name: [v4] for name, (v4, _) in made.items()}
    assert seed.referral("www.example.com", "com")[1] == {}  # NS still branded: nothing to glue yet
    assert seed.resolves("www.example.com")

    # Step 3: enable on the zone (the edge serves the ACNS names), then move the registrar.
    seed.sdk.zones.custom_nameservers.update(zone_id=zone, enabled=True, ns_set=1)
    assert seed.apex_ns("example.com") == list(NAMES_COM)
    assert seed.resolves("www.example.com")
    seed.delegate("example.com", list(NAMES_COM))
    targets, glue_rrs = seed.referral("www.example.com", "com")
    assert targets == list(NAMES_COM)
    assert {name: glue_rrs[name] for name in NAMES_COM} == {n: set(made[n]) for n in NAMES_COM}
    assert seed.resolves("www.example.com")
    return zone, branded, made


def test_external_registrar_path(seed: Seed) -> None:
    zone, branded, made = set_up_external(seed)

    # Removal, documented order: registrar back to the branded pair, then the zone, then names.
    seed.delegate("example.com", branded)
    assert seed.resolves("www.example.com")
    seed.sdk.dns.settings.zone.edit(zone_id=zone, nameservers={"type": "cloudflare.standard"})
    assert seed.apex_ns("example.com") == branded and seed.resolves("www.example.com")
    for name in NAMES_COM:
        seed.sdk.custom_nameservers.delete(name, account_id=ACCOUNT)
        assert seed.resolves("www.example.com")
    assert not seed.answers_at(made[NAMES_COM[0]][0], "www.example.com")  # released: nobody there


def test_wrong_removal_order_goes_lame(seed: Seed) -> None:
    zone, _, made = set_up_external(seed)

    # Wrong: the zone and the names go first while the registrar still delegates to them.
    seed.sdk.dns.settings.zone.edit(zone_id=zone, nameservers={"type": "cloudflare.standard"})
    for name in NAMES_COM:
        seed.sdk.custom_nameservers.delete(name, account_id=ACCOUNT)
    assert seed.referral("www.example.com", "com")[0] == list(NAMES_COM)  # still delegated there
    for v4, _ in made.values():
        assert not seed.answers_at(v4, "www.example.com")  # the released addresses are silent
    assert not seed.resolves("www.example.com")  # lame delegation


def open_tickets(seed: Seed, made: dict[str, tuple[str, str]]) -> tuple[str, list[str]]:
    """Seed step 2 at Cloudflare Registrar: one NS ticket and one glue ticket per name."""
    names = list(made)
    body = {"domain": "example.net", "action": "set_ns", "nameservers": names}
    ns_ticket = str(seed.sim_ok("POST", "/sim/tickets", body)["id"])
    glue_tickets = []
    for name, (v4, v6) in made.items():
        body = {"domain": "example.net", "action": "set_glue", "host": name, "ipv4": [v4], "ipv6": [v6]}
        glue_tickets.append(str(seed.sim_ok("POST", "/sim/tickets", body)["id"]))
    return ns_ticket, glue_tickets


def test_cloudflare_registrar_path(seed: Seed) -> None:
    names = ["ns1.example.net", "ns2.example.net"]
    zone = seed.zone_id("example.net")
    made = seed.create_names(*names)
    for name, (v4, _) in made.items():
        assert seed.address_of(name) == [v4]

    # Step 2: Support changes NS and glue; nothing happens before a ticket is resolved.
    direct = seed.sim.put(
        "/sim/registrars/cloudflare/domains/example.net/nameservers", json={"nameservers": names}
    )
    assert direct.status_code == 400 and direct.json()["errors"][0]["code"] == 1101
    ns_ticket, glue_tickets = open_tickets(seed, made)
    assert seed.referral("www.example.net", "net")[0] != names
    seed.sim_ok("POST", f"/sim/tickets/{ns_ticket}/resolve")
    targets, glue = seed.referral("www.example.net", "net")
    assert targets == names and not glue  # before glue: the referral carries none
    assert not seed.resolves("www.example.net")  # in-domain names without glue: unreachable
    for ticket in glue_tickets:
        seed.sim_ok("POST", f"/sim/tickets/{ticket}/resolve")
    targets, glue = seed.referral("www.example.net", "net")
    assert {name: glue[name] for name in names} == {n: set(made[n]) for n in names}
    assert seed.resolves("www.example.net")

    # Step 3: enable on the zone; the edge now serves the ACNS names as the zone's NS.
    seed.sdk.dns.settings.zone.edit(zone_id=zone, nameservers={"type": "custom.account", "ns_set": 1})
    assert seed.apex_ns("example.net") == names
    assert seed.apex_ns("example.net", at=made[names[0]][0]) == names
    assert seed.resolves("www.example.net")

"""The delegation as a picture sees it: root -> TLDs -> domains -> name server names and glue.

``delegation(world, findings)`` reads the world and the compiled view and returns plain data
(JSON-ready) for the page and for ``acns-dns diagram``: per TLD, each registered domain with its
registrar, who serves it, and per name server name its glue at the registry, its kind (in-domain,
sibling, unrelated; RFC 9471 §2), the addresses the TLD's referral really carries (the answer
function's own ``referral``) and the addresses the name really has. Whether a link is broken is
not decided here: ``findings`` are the delegation checks (``acns-dns check``) run from outside,
attached to the domain and to the name server each one names. Cloudflare's accounts, zones and
ACNS sets come beside it. Imports: names, models, view, authority.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from acns_dns.dns import authority
from acns_dns.dns.view import tld_zone
from acns_dns.world import names
from acns_dns.world.models import Domain, Tld, World

Finding = Mapping[str, str]  # {"level": PASS|WARN|FAIL, "check": ..., "text": ...}


def delegation(world: World, findings: Mapping[str, Sequence[Finding]] | None = None,
               resolvers: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The whole picture; ``findings`` and ``resolvers`` are keyed by domain name."""
    findings = findings or {}
    resolvers = resolvers or {}
    actual = _real_addresses(world)
    tlds = []
    for tld in sorted(world.tlds.values(), key=lambda t: t.name):
        zone = tld_zone(world, tld.name)
        domains = [_domain(world, tld, domain, zone, actual, list(findings.get(domain.name, ())),
                           dict(resolvers.get(domain.name, {})))
                   for domain in sorted(tld.domains.values(), key=lambda d: d.name)
                   if domain.name != world.cloudflare.zone]
        tlds.append({"name": tld.name, "server": tld.server_name, "ipv4": tld.ipv4, "ipv6": tld.ipv6,
                     "glue_policy": tld.glue_policy, "domains": domains})
    return {"root": {"server": "a.root-servers.net", "ipv4": world.root_ipv4, "ipv6": world.root_ipv6},
            "description": world.description, "tlds": tlds, "accounts": _accounts(world),
            "tickets": [t.model_dump() for t in world.tickets]}


def _domain(world: World, tld: Tld, domain: Domain, zone: Any, actual: Mapping[str, list[str]],
            found: list[Finding], resolver: dict[str, Any]) -> dict[str, Any]:
    carried: dict[str, list[str]] = {}
    if domain.name in zone.cuts:
        answer = authority.referral(zone, domain.name)
        for rr in (*answer.glue, *answer.extra):
            carried.setdefault(rr.name, []).append(rr.rdata)
    registrar = world.registrars.get(domain.registrar)
    servers = []
    for ns in domain.nameservers:
        host = tld.hosts.get(ns)
        mine = [f for f in found if _names(f["text"], ns)]
        servers.append({
            "name": ns,
            "kind": names.glue_kind(ns, domain.name, tld.name).value,
            "glue": (host.ipv4 + host.ipv6) if host else [],
            "carried": carried.get(ns, []),
            "actual": actual.get(ns, []),
            "findings": mine,
            "status": _status(mine),
        })
    return {"name": domain.name, "tld": tld.name, "registrar": domain.registrar,
            "registrar_name": registrar.name if registrar else domain.registrar,
            "registrar_kind": registrar.kind if registrar else "external",
            "served_by": _served_by(world, domain.name), "nameservers": servers,
            "findings": found, "status": _status(found) if found else "unknown",
            "resolver": resolver}


def _names(text: str, ns: str) -> bool:
    """Whether a finding's text is about ``ns`` (it starts with the name, as check writes them)."""
    return text.startswith(f"{ns} ") or text.startswith(f"{ns}:") or text.startswith(f"{ns},")


def _status(found: Sequence[Finding]) -> str:
    levels = {f["level"] for f in found}
    return "fail" if "FAIL" in levels else "warn" if "WARN" in levels else "ok"


def _real_addresses(world: World) -> dict[str, list[str]]:
    """What each name server name's own zone says its addresses are."""
    found: dict[str, list[str]] = {}
    for ns in world.custom_ns:
        found.setdefault(ns.ns_name, [ns.ipv4, ns.ipv6])
    for host in world.hosts.values():
        for server in host.nameservers:
            found.setdefault(server.name, [server.ipv4, server.ipv6])
    for server in world.cloudflare.nameservers:
        found.setdefault(server.name, [server.ipv4, server.ipv6])
    return found


def _served_by(world: World, name: str) -> str:
    zone = next((z for z in world.zones.values() if z.name == name), None)
    if zone is not None:
        setting = zone.nameservers
        how = f"ACNS set {setting.ns_set}" if setting.type == "custom.account" else setting.type
        return f"Cloudflare ({how})"
    for host in world.hosts.values():
        if any(z.name == name for z in host.zones):
            return host.name
    return "nobody"


def _accounts(world: World) -> list[dict[str, Any]]:
    out = []
    for account in world.accounts.values():
        sets: dict[int, list[dict[str, str]]] = {}
        for ns in world.custom_ns:
            if ns.account_id == account.id and ns.kind == "account":
                sets.setdefault(ns.ns_set, []).append({"name": ns.ns_name, "ipv4": ns.ipv4, "ipv6": ns.ipv6})
        zones = [{"id": z.id, "name": z.name, "status": z.status, "type": z.nameservers.type,
                  "ns_set": z.nameservers.ns_set, "branded": z.branded_ns}
                 for z in sorted(world.zones.values(), key=lambda z: z.name) if z.account_id == account.id]
        out.append({"id": account.id, "name": account.name, "entitled": account.acns_entitled,
                    "default_nameservers": account.default_nameservers,
                    "sets": [{"ns_set": n, "names": sets[n]} for n in sorted(sets)], "zones": zones})
    return out

"""The delegation as a picture sees it: root -> TLDs -> domains -> name server names and glue.

``delegation(world, findings)`` reads the world and the compiled view and returns plain data
(JSON-ready) for the page and for ``acns-dns diagram``: per TLD, each registered domain with its
registrar, who serves it, and per name server name its glue at the registry, its kind (in-domain,
sibling, unrelated; RFC 9471 §2), the addresses the TLD's referral really carries (the answer
function's own ``referral``) and the addresses the name really has. Whether a link is broken is
not decided here: ``findings`` are the delegation checks (``acns-dns check``) run from outside,
attached to the domain and to the name server each one names. Cloudflare's accounts, zones and
ACNS sets come beside it. A large world is shown in part (``shown_domains``), at a cost that
does not grow with it. Imports: names, models, indexes, view, authority.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from acns_dns.dns import authority
from acns_dns.dns.view import tld_zone
from acns_dns.world import indexes, names
from acns_dns.world.models import Domain, Tld, World

Finding = Mapping[str, str]  # {"level": PASS|WARN|FAIL, "check": ..., "text": ...}
# A picture is for a class: a world of many domains shows its first ones (each shown domain is
# checked over DNS whenever the world changes, and drawn), and says how many it leaves out.
SHOWN_DOMAINS = 40
SHOWN_ACCOUNTS = 12


def shown_domains(world: World, limit: int = SHOWN_DOMAINS) -> list[str]:
    """The registered domains a picture shows: every one, or the first ``limit`` by TLD and name."""
    found = []
    for tld in sorted(world.tlds.values(), key=lambda t: t.name):
        for name in sorted(tld.domains):
            if name != world.cloudflare.zone:
                found.append(name)
                if len(found) == limit:
                    return found
    return found


def delegation(world: World, findings: Mapping[str, Sequence[Finding]] | None = None,
               resolvers: Mapping[str, Mapping[str, Any]] | None = None,
               domains: Collection[str] | None = None) -> dict[str, Any]:
    """The picture of ``domains`` (default: ``shown_domains``); ``findings`` and ``resolvers``
    are keyed by domain name. ``hidden`` counts the registered domains left out."""
    findings = findings or {}
    resolvers = resolvers or {}
    wanted = set(shown_domains(world) if domains is None else domains)
    actual = _real_addresses(world)
    tlds, total = [], 0
    for tld in sorted(world.tlds.values(), key=lambda t: t.name):
        total += sum(1 for name in tld.domains if name != world.cloudflare.zone)
        mine = sorted(name for name in wanted if name in tld.domains)
        zone = tld_zone(world, tld.name, only=mine)
        shown = [_domain(world, tld, tld.domains[name], zone, actual, list(findings.get(name, ())),
                         dict(resolvers.get(name, {}))) for name in mine]
        tlds.append({"name": tld.name, "server": tld.server_name, "ipv4": tld.ipv4, "ipv6": tld.ipv6,
                     "glue_policy": tld.glue_policy, "domains": shown})
    shown_count = sum(len(t["domains"]) for t in tlds)
    return {"root": {"server": "a.root-servers.net", "ipv4": world.root_ipv4, "ipv6": world.root_ipv6},
            "description": world.description, "tlds": tlds, "hidden": total - shown_count,
            "accounts": _accounts(world, wanted), "tickets": [t.model_dump() for t in world.tickets]}


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
    zone = indexes.of(world).zone_named(name)
    if zone is not None:
        setting = zone.nameservers
        how = f"ACNS set {setting.ns_set}" if setting.type == "custom.account" else setting.type
        return f"Cloudflare ({how})"
    for host in world.hosts.values():
        if any(z.name == name for z in host.zones):
            return host.name
    return "nobody"


def _accounts(world: World, domains: Collection[str]) -> list[dict[str, Any]]:
    """The accounts holding a zone among ``domains`` (every account when there are few)."""
    index = indexes.of(world)
    chosen = list(world.accounts.values())
    if len(chosen) > SHOWN_ACCOUNTS:
        holding = {zone.account_id for zone in (index.zone_named(d) for d in domains) if zone is not None}
        chosen = [a for a in chosen if a.id in holding][:SHOWN_ACCOUNTS]
    out = []
    for account in chosen:
        sets: dict[int, list[dict[str, str]]] = {}
        for ns in index.owned("account", account.id):
            sets.setdefault(ns.ns_set, []).append({"name": ns.ns_name, "ipv4": ns.ipv4, "ipv6": ns.ipv6})
        zones = [{"id": z.id, "name": z.name, "status": z.status, "type": z.nameservers.type,
                  "ns_set": z.nameservers.ns_set, "branded": z.branded_ns}
                 for z in sorted(index.zones_of(account.id), key=lambda z: z.name)]
        out.append({"id": account.id, "name": account.name, "entitled": account.acns_entitled,
                    "default_nameservers": account.default_nameservers,
                    "sets": [{"ns_set": n, "names": sets[n]} for n in sorted(sets)], "zones": zones})
    return out

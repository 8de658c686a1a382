"""The world as RFC 1035 zone files and NSD, Knot or BIND configurations, to serve it at scale.

Owns turning a compiled ``View`` into files under one directory, and the zone-file form of a
zone (``zone_records``), which is also what a zone transfer carries (``transfer``), so a
secondary holds exactly what an export writes (DESIGN "Scale and what comes after one machine").

Approach: one server instance per *server group*. A group is a set of simulated servers that
serve exactly the same zones: the root, each TLD registry, the Cloudflare edge (every branded
and ACNS address plus the edge aliases), each other DNS host. NSD and Knot serve every zone
they load on every address they listen on, so one instance for the whole world would let the
root answer for ``com`` itself instead of referring to it, and a TLD server answer for the
Cloudflare zone instead of referring to it. One instance per group, listening on exactly the
group's addresses, keeps the roles apart; all groups share one port, as acns-dns does.
Without ``primary_port`` the export is a snapshot of one view; with it every instance is a
secondary of the running acns-dns and follows each change through NOTIFY and IXFR
(``server_conf``). Addresses that appear later (a new ACNS name) are not listened on until
the export is written and the instances started again. The directory gets::

    DIR/zones/<group>/<zone>.zone   one zone file per zone per group (root zone: root.zone)
    DIR/<format>/<group>.conf       one nsd.conf, knot.conf or named.conf per group
    DIR/run/                        pid, log, state of every instance
    DIR/<format>-run                starts every group in the foreground, stops them together

What a zone file cannot say, and is therefore left out or approximated:
- Host objects (glue) are written only below a delegation of their zone: glue is occluded
  data (RFC 1034 §4.2.1). A host object outside every delegation would become authoritative
  data that the registry does not answer, so it is dropped; acns-dns could still hand it out
  as sibling glue, NSD cannot.
- NSD keeps all zones of one instance in one name tree: where a server serves a zone that its
  other zone does not delegate (root-servers.net without a net TLD), the names between them
  (net.) exist for NSD (NODATA, RFC 8020 §2) and not for acns-dns (NXDOMAIN).
- A registry whose glue policy is ``in-domain`` gets only glue that some delegation uses
  in-domain; NSD still adds such glue as sibling glue to other delegations that name it
  (NSD has no in-domain-only switch; RFC 9471 §3.2 leaves sibling glue to the server).
Imports: names, view, server_conf.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from acns_dns.dns import server_conf
from acns_dns.dns.view import RR, Role, View, ZoneData
from acns_dns.world import names

LAUNCHER = "nsd-run"  # the launcher of the default format


@dataclass(frozen=True)
class Group:
    """One NSD instance: the servers that serve the same zones, by address."""

    name: str
    role: Role
    label: str
    addresses: tuple[str, ...]
    zones: Mapping[str, ZoneData]

    def zone_path(self, apex: str) -> str:
        """The zone file's path relative to ``DIR/zones``."""
        return f"{self.name}/{apex or 'root'}.zone"


@dataclass(frozen=True)
class Export:
    """What ``export`` wrote."""

    directory: Path
    port: int
    groups: tuple[Group, ...]
    fmt: str = "nsd"
    primary_port: int | None = None

    def conf(self, group: Group) -> Path:
        """The configuration of ``group`` (``nsd/<group>.conf``, ``knot/...``, ``bind/...``)."""
        return self.directory / self.fmt / f"{group.name}.conf"

    @property
    def launcher(self) -> Path:
        """The script that starts every group."""
        return self.directory / f"{self.fmt}-run"


# --- zone files ---------------------------------------------------------------------------

def _below_cut(zone: ZoneData, owner: str) -> bool:
    """Whether ``owner`` lies at or below a delegation of ``zone`` (occluded data)."""
    return any(candidate in zone.cuts for candidate in names.parents(owner)
               if candidate != zone.apex and names.is_subdomain(candidate, zone.apex))


def _kept_addresses(zone: ZoneData, alongside: Collection[str]) -> set[str]:
    """The owners of given addresses (glue, a server's own) that belong in the zone file."""
    return {owner for owner in zone.addresses if keeps_address(zone, owner, alongside)}


def keeps_address(zone: ZoneData, owner: str, alongside: Collection[str]) -> bool:
    """Whether the zone file holds the given addresses of ``owner``.

    Kept at or below a cut (glue is occluded data: RFC 1034 §4.2.1) - only where a delegation
    uses it in-domain when the zone gives no sibling glue (RFC 9471 §2) - and inside another
    zone the same server serves (the root's own a.root-servers.net when no net delegation
    exists): the other zone answers for it; here it only feeds additional data, as in acns-dns
    (RFC 8109 §3.3).
    """
    if not names.is_subdomain(owner, zone.apex):
        return False
    # inside another zone served alongside: a name between the owner and the apex is one
    # (asked per owner, not per zone served: the edge serves very many)
    if any(above in alongside for above in names.parents(owner)
           if above != zone.apex and names.is_subdomain(above, zone.apex)):
        return True
    return _below_cut(zone, owner) and (zone.sibling_glue or _named_in_domain(zone, owner))


def _named_in_domain(zone: ZoneData, owner: str) -> bool:
    """Whether a delegation at or above ``owner`` names it as a name server (in-domain)."""
    for cut in names.parents(owner):
        if cut == zone.apex:
            return False
        if any(ns.rdata.lower().rstrip(".") == owner for ns in zone.cuts.get(cut, ())):
            return True
    return False


def zone_records(zone: ZoneData, alongside: Collection[str] = ()) -> list[RR]:
    """Every record a zone file for ``zone`` holds: SOA first, apex NS, then by owner and type.

    Delegations given apart from the zone's own records (a registry's) become NS RRsets at the
    cut; addresses given apart (host objects) are kept where ``_kept_addresses`` says.
    ``alongside``: the apexes of every zone the same server serves.
    """
    found: dict[tuple[str, str, str], RR] = {}
    for rrset in [*zone.rrsets.values(), *zone.cuts.values()]:
        found.update(((rr.name, rr.rtype, rr.rdata), rr) for rr in rrset)
    for owner in _kept_addresses(zone, alongside):
        for rr in zone.addresses[owner]:
            found.setdefault((rr.name, rr.rtype, rr.rdata), rr)
    order = {"SOA": 0, "NS": 1}

    def key(rr: RR) -> tuple[int, tuple[str, ...], int, str, str]:
        at_apex = 0 if rr.name == zone.apex else 1
        return (at_apex, tuple(reversed(rr.name.split("."))), order.get(rr.rtype, 2), rr.rtype, rr.rdata)

    return sorted(found.values(), key=key)


def zone_text(zone: ZoneData, alongside: Collection[str] = (), note: str = "") -> str:
    """``zone`` as an RFC 1035 §5 master file, every owner absolute."""
    lines = [f"; {names.fqdn(zone.apex)}{' ' + note if note else ''}", "$ORIGIN .", ""]
    lines += [f"{names.fqdn(rr.name)}\t{rr.ttl}\tIN\t{rr.rtype}\t{rr.rdata}"
              for rr in zone_records(zone, alongside)]
    return "\n".join(lines) + "\n"


# --- server groups ------------------------------------------------------------------------

def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "host"


def _group_name(role: Role, zones: Mapping[str, ZoneData], label: str) -> str:
    if role is Role.ROOT:
        return "root"
    if role is Role.TLD:
        return "tld-" + _slug(" ".join(sorted(zones)))
    if role is Role.CLOUDFLARE:
        return "cloudflare"
    return "host-" + _slug(label)


def server_groups(view: View, ipv6: bool = True) -> list[Group]:
    """The view's servers grouped by role and identical zone contents, in listing order."""
    found: dict[tuple[object, ...], tuple[Role, str, list[str], Mapping[str, ZoneData]]] = {}
    for server in view.listing:
        contents = tuple((apex, zone_text(zone, server.zones)) for apex, zone in sorted(server.zones.items()))
        key = (server.role, contents)
        label = "Cloudflare edge" if server.role is Role.CLOUDFLARE else server.label
        role, label, addresses, zones = found.setdefault(key, (server.role, label, [], server.zones))
        for address in (server.ipv4, server.ipv6 if ipv6 else ""):
            if address and address not in addresses:
                addresses.append(address)
    groups: list[Group] = []
    taken: set[str] = set()
    for role, label, addresses, zones in found.values():
        name = base = _group_name(role, zones, label)
        suffix = 2
        while name in taken:
            name, suffix = f"{base}-{suffix}", suffix + 1
        taken.add(name)
        groups.append(Group(name, role, label, tuple(addresses), zones))
    return groups


# --- configurations -----------------------------------------------------------------------

def nsd_conf(group: Group, directory: Path, port: int, ipv6: bool = True,
             primary_port: int | None = None) -> str:
    """The nsd.conf of ``group`` (``server_conf.nsd_conf``)."""
    return server_conf.nsd_conf(group, directory, port, ipv6, primary_port)


def launcher_text(export: Export) -> str:
    """A bash script that runs one instance per group and stops them all on exit."""
    confs = [str(export.conf(group).relative_to(export.directory)) for group in export.groups]
    return server_conf.launcher_text(export.fmt, confs, export.port)


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def export(view: View, directory: str | Path, port: int = 5300, ipv6: bool = True, fmt: str = "nsd",
           primary_port: int | None = None) -> Export:
    """Write zone files, one server configuration per server group and the launcher under ``directory``.

    Args:
        view: the compiled world (``compile_view(world, edge_aliases=...)``).
        directory: where everything goes; created if needed. Paths in the configuration are
            absolute, so the servers may be started from anywhere.
        port: the port every group listens on.
        ipv6: also listen on the servers' IPv6 addresses.
        fmt: ``nsd``, ``knot`` or ``bind``.
        primary_port: make every instance a secondary of acns-dns serving this world on this
            port (``serve --allow-transfer ... --notify-port PORT``); None serves the zone
            files as they are.
    """
    if fmt not in server_conf.FORMATS:
        raise ValueError(f"export format {fmt!r}: expected one of {', '.join(server_conf.FORMATS)}")
    root = Path(directory).resolve()
    groups = tuple(server_groups(view, ipv6))
    result = Export(root, port, groups, fmt, primary_port)
    (root / "run").mkdir(parents=True, exist_ok=True)
    for group in groups:
        if fmt != "nsd":
            (root / "run" / f"{fmt}-{group.name}").mkdir(parents=True, exist_ok=True)
    for group in groups:
        count = len(group.addresses)
        shown = ", ".join(group.addresses) if count <= 4 else f"{count} addresses"
        note = f"as served by {group.label} ({shown})"
        for apex, zone in group.zones.items():
            _write(root / "zones" / group.zone_path(apex), zone_text(zone, group.zones, note))
        _write(result.conf(group), server_conf.CONFS[fmt](group, root, port, ipv6, primary_port))
    _write(result.launcher, launcher_text(result), 0o755)
    return result


def summary(result: Export) -> Iterable[str]:
    """One line per group: name, addresses, zones; for ``acns-dns export``."""
    for group in result.groups:
        zones = ", ".join(names.fqdn(apex) for apex in sorted(group.zones))
        more = len(group.addresses) - 3
        shown = " ".join(group.addresses[:3]) + (f" (+{more})" if more > 0 else "")
        yield f"{group.name:<16} {shown:<44} {zones}"

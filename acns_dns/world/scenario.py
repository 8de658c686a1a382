"""Scenarios: a whole world declared in YAML, and the packaged ones.

A scenario lists TLDs, registrars, accounts (tokens, ACNS names, zones with records or zone
files), other DNS hosts, registered domains with their delegation and glue, then ``steps``:
operations applied in order, to tell what happened next (a removal done in the wrong order,
say), and last ``faults`` (servers that misbehave) and ``unheld`` (what addresses nobody holds
do: ``refused`` or ``timeout``; see ``fault_ops``). Building goes through the same operations
as the API, so a scenario can only declare a world the rules allow. Addresses are written for
the default prefixes (127.53.0.0/16 and fd53:53:53::/48) and are moved to the same offsets
when another network is asked for.
Errors name the file, the field path and what was expected — never a traceback.
Imports: errors, models, scenario_spec, addressing, infrastructure, indexes, the operations
modules (fault_ops among them), zonefile.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from acns_dns.world import (
    addressing,
    cloudflare_ops,
    fault_ops,
    indexes,
    infrastructure,
    registrar_ops,
    tenant_ops,
    zone_ops,
    zonefile,
)
from acns_dns.world.errors import AcnsError, ScenarioError
from acns_dns.world.models import AddressPool, HostedZone, Network, Record, World
from acns_dns.world.scenario_spec import (
    AccountSpec,
    DomainSpec,
    GlueSpec,
    HostSpec,
    HostZoneSpec,
    RecordSpec,
    ScenarioSpec,
    StepSpec,
    TenantSpec,
)

PACKAGED_DIR = Path(__file__).parent.parent / "scenarios"
# the zone files the packaged scenarios load: the top-level zonefiles/ folder, which the
# package links to (acns_dns/zonefiles) so that the wheel carries it as package data
ZONEFILE_DIR = Path(__file__).parent.parent / "zonefiles"


# --- finding and reading ------------------------------------------------------------------

def packaged() -> list[tuple[str, str]]:
    """(name, description) of every packaged scenario, ``default`` first."""
    found = []
    for path in sorted(PACKAGED_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text()) or {}
        found.append((path.stem, " ".join(str(data.get("description", "")).split())))
    return sorted(found, key=lambda item: (item[0] != "default", item[0]))


def is_path(source: str) -> bool:
    """True when ``source`` is written as a file path, not as a packaged scenario's name."""
    return "/" in source or source.endswith((".yaml", ".yml", ".json"))


def packaged_file(name: str) -> Path | None:
    """The file of the packaged scenario called ``name``, if there is one."""
    candidate = PACKAGED_DIR / f"{name}.yaml"
    return candidate if not is_path(name) and candidate.exists() else None


def resolve(source: str, *, files: bool = True) -> Path:
    """The file for a packaged scenario name or (``files``) a path."""
    found = packaged_file(source)
    if found is not None:
        return found
    path = Path(source)
    if not files or not path.exists():
        known = ", ".join(name for name, _ in packaged())
        what = "scenario file or packaged scenario" if files else "packaged scenario"
        raise ScenarioError(f"{source}: no such {what} (packaged: {known})")
    return path


def read_spec(path: Path) -> ScenarioSpec:
    """Parse and validate a scenario file.

    Raises:
        ScenarioError: one line naming the file, the field path and what was expected.
    """
    try:
        data = _load_text(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"{path}:{where} not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not text (UTF-8): {exc.reason} at byte {exc.start}") from None
    except RecursionError:
        raise ScenarioError(f"{path}: nested too deeply to be a scenario") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping with 'description' and the world's parts")
    try:
        return ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_invalid(path, exc)) from None


def _invalid(path: Path, exc: ValidationError) -> str:
    """The first problem of a scenario's fields, in one line."""
    first = exc.errors()[0]
    field = _field_path(first["loc"])
    got = "" if first["type"] == "missing" else f" (got {first.get('input')!r})"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{path}: {field}: {first['msg']}{got}{more}"


# libyaml's parser when it is there (the pure-Python one is several times slower)
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_text(text: str) -> Any:
    """The data of a scenario file. JSON is YAML's flow style, so a scenario written as JSON
    is read by the json module, many times faster for a large world (the same data either way;
    pydantic's own JSON parsing was no faster here and left a third more memory resident)."""
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            pass  # YAML flow style that is not strict JSON: YAML reads it (or says where it fails)
    return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader


def _field_path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def load(source: str, network: Network | None = None) -> World:
    """Build the world a scenario declares (``source``: packaged name or file path)."""
    path = resolve(source)
    return build(read_spec(path), path, network or Network())


# --- building -----------------------------------------------------------------------------

class _Builder:
    """Applies a spec to a new world, keeping the field path for error messages."""

    def __init__(self, spec: ScenarioSpec, path: Path, network: Network) -> None:
        self.spec, self.path, self.network = spec, path, network
        self.world = infrastructure.new_world(network, " ".join(spec.description.split()))
        self.accounts: dict[str, str] = {}  # account name or id -> id
        self.tenants: dict[str, str] = {}  # tenant name or tag -> tag

    def at(self, field: str, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except (AcnsError, ValueError) as exc:
            message = exc.message if isinstance(exc, AcnsError) else _one_line(exc)
            raise ScenarioError(f"{self.path}: {field}: {message}") from None

    def address(self, value: str) -> str:
        return addressing.rebase(value, Network(), self.network)

    def record_text(self, spec: RecordSpec, zone: str) -> tuple[str, str]:
        """The owner and the content a record spec stands for (addresses moved to this network)."""
        if spec.address_of is not None:
            v4, v6 = _server_addresses(self.world, spec.address_of)
            content = v4 if spec.type.upper() == "A" else v6
        elif spec.content is None:
            raise ValueError("a record needs content (or address_of for A/AAAA)")
        else:
            content = self.address(spec.content) if spec.type.upper() in ("A", "AAAA") else spec.content
        owner = zone if spec.name in ("@", "") else (
            spec.name.rstrip(".") if spec.name.endswith(".") else f"{spec.name}.{zone}")
        return owner, content

    def record(self, spec: RecordSpec, zone: str) -> Record:
        """The record a spec stands for, in canonical form (another host's zone)."""
        owner, content = self.record_text(spec, zone)
        return zonefile.canonical(owner, spec.type, content, spec.ttl)


def _one_line(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{_field_path(first['loc'])}: {first['msg']}"
    return str(exc)


def build(spec: ScenarioSpec, path: Path, network: Network) -> World:
    """Apply ``spec`` through the world's operations; errors name the field path."""
    b = _Builder(spec, path, network)
    for i, tld in enumerate(spec.tlds):
        b.at(f"tlds[{i}]", partial(infrastructure.add_tld, b.world, tld.name, tld.glue_policy))
    for i, reg in enumerate(spec.registrars):
        b.at(f"registrars[{i}]", partial(infrastructure.add_registrar, b.world, reg.id, reg.name, reg.kind))
    b.world.zcns_plans = list(spec.zone_custom_ns_plans)
    for i, tenant in enumerate(spec.tenants):
        _build_tenant(b, f"tenants[{i}]", tenant)
    for i, account in enumerate(spec.accounts):
        _build_account(b, f"accounts[{i}]", account)
    for i, host in enumerate(spec.hosts):
        _build_host(b, f"hosts[{i}]", host)
    for i, domain in enumerate(spec.domains):
        _build_domain(b, f"domains[{i}]", domain)
    for i, step in enumerate(spec.steps):
        b.at(f"steps[{i}] ({step.op})", partial(_apply_step, b, step))
    for i, fault in enumerate(spec.faults):
        b.at(f"faults[{i}]", partial(fault_ops.set_fault, b.world, _server_target(b, fault.server),
                                     fault.kind, fault.delay_ms))
    b.at("unheld", partial(fault_ops.set_unheld, b.world, spec.unheld))
    return b.world


def _server_target(b: _Builder, server: str) -> str:
    """A fault's server: a name as written, an address moved to the scenario's network."""
    try:
        return b.address(server)
    except ValueError:  # not an address: a server name
        return server


def _build_tenant(b: _Builder, field: str, spec: TenantSpec) -> None:
    world = b.world
    tenant = b.at(field, lambda: tenant_ops.add_tenant(world, spec.name, spec.id, spec.tcns_entitled))
    b.tenants[spec.name] = b.tenants[tenant.id] = tenant.id
    for i, token in enumerate(spec.tokens):
        b.at(f"{field}.tokens[{i}]", partial(tenant_ops.add_owner_credential, world, tenant.id, token))
    for i, ns in enumerate(spec.custom_nameservers):
        b.at(f"{field}.custom_nameservers[{i}]",
             partial(tenant_ops.add_nameserver, world, tenant.id, ns.ns_name, ns.ns_set))


def _build_account(b: _Builder, field: str, spec: AccountSpec) -> None:
    world = b.world
    account = b.at(field, lambda: cloudflare_ops.add_account(world, spec.name, spec.id, spec.acns_entitled))
    b.accounts[spec.name] = b.accounts[account.id] = account.id
    if spec.tenant is not None:
        tenant_id = b.tenants.get(spec.tenant, spec.tenant)
        b.at(f"{field}.tenant", partial(tenant_ops.join_tenant, world, account.id, tenant_id))
    if spec.byoip is not None:
        pool = spec.byoip
        account.byoip = b.at(f"{field}.byoip", partial(AddressPool, prefix4=pool.prefix4,
                                                      prefix6=pool.prefix6))
    for i, token in enumerate(spec.tokens):
        b.at(f"{field}.tokens[{i}]", partial(cloudflare_ops.add_credential, world, account.id, token=token))
    for i, token in enumerate(spec.registrant_tokens):
        b.at(f"{field}.registrant_tokens[{i}]", partial(cloudflare_ops.add_credential, world, account.id,
                                                        token=token, scope="registrant"))
    for i, key in enumerate(spec.api_keys):
        b.at(f"{field}.api_keys[{i}]", partial(cloudflare_ops.add_credential, world, account.id,
                                               email=key.email, key=key.key))
    for i, ns in enumerate(spec.custom_nameservers):
        b.at(f"{field}.custom_nameservers[{i}]",
             partial(cloudflare_ops.add_nameserver, world, account.id, ns.ns_name, ns.ns_set))
    for i, zone_spec in enumerate(spec.zones):
        zfield = f"{field}.zones[{i}]"
        zone = b.at(zfield, partial(cloudflare_ops.create_zone, world, account.id, zone_spec.name,
                                    zone_type=zone_spec.type))
        zone.plan = zone_spec.plan
        for j, rec in enumerate(zone_spec.records):
            def add(rec: RecordSpec = rec, zone_id: str = zone.id, apex: str = zone.name) -> None:
                owner, content = b.record_text(rec, apex)  # add_record checks and canonicalises
                cloudflare_ops.add_record(world, zone_id, owner, rec.type, content, rec.ttl)
            b.at(f"{zfield}.records[{j}]", add)
        if zone_spec.vanity_name_servers:
            b.at(f"{zfield}.vanity_name_servers", partial(zone_ops.set_vanity_names, world, zone.id,
                                                          zone_spec.vanity_name_servers))
        setting = zone_spec.nameservers
        if setting is not None:
            b.at(f"{zfield}.nameservers", partial(cloudflare_ops.set_zone_nameservers, world, zone.id,
                                                  setting.type, setting.ns_set))
    if spec.default_nameservers != "cloudflare.standard":
        b.at(f"{field}.default_nameservers", lambda: cloudflare_ops.set_default_nameservers(
            world, account.id, spec.default_nameservers))


def _build_host(b: _Builder, field: str, spec: HostSpec) -> None:
    zones = []
    for i, zone_spec in enumerate(spec.zones):
        zones.append(b.at(f"{field}.zones[{i}]", partial(_hosted_zone, b, zone_spec)))
    servers = [{"name": ns.name, "ipv4": b.address(ns.ipv4) if ns.ipv4 else "",
                "ipv6": b.address(ns.ipv6) if ns.ipv6 else ""} for ns in spec.nameservers]
    b.at(f"{field}.nameservers", lambda: infrastructure.add_host(b.world, spec.id, spec.name, servers, zones))


def _hosted_zone(b: _Builder, spec: HostZoneSpec) -> HostedZone:
    rows = [b.record(r, spec.name) for r in spec.records]
    source = None
    if spec.zonefile:
        path = _zonefile_path(b.path, spec.zonefile)
        source = str(spec.zonefile)
        for row in zonefile.parse(path.read_text(), spec.name, str(path)):
            if row.type in ("A", "AAAA"):
                row = row.model_copy(update={"content": b.address(row.content)})
            rows.append(row)
    if not any(r.type == "SOA" and r.name == spec.name for r in rows):
        raise ValueError(f"zone {spec.name} has no SOA record at its apex")
    return HostedZone(name=spec.name, source=source, records=rows)


def _zonefile_path(scenario: Path, name: str) -> Path:
    for base in (scenario.parent, ZONEFILE_DIR, Path.cwd()):
        if (base / name).is_file():
            return base / name
    raise ValueError(f"zone file {name!r} not found next to {scenario} or in {ZONEFILE_DIR}")


def _build_domain(b: _Builder, field: str, spec: DomainSpec) -> None:
    world = b.world
    nameservers = list(spec.nameservers)
    if spec.nameservers_from_cloudflare:
        zone_id = b.at(f"{field}.nameservers_from_cloudflare", lambda: _zone_id(world, spec.name))
        nameservers = cloudflare_ops.zone_nameserver_names(world, world.zones[zone_id])
    registrant = b.at(f"{field}.registrant", lambda: _registrant(b, spec))
    b.at(field, lambda: infrastructure.register_domain(world, spec.registrar, spec.name, nameservers,
                                                       registrant))
    for i, glue in enumerate(spec.glue):
        def publish(g: GlueSpec = glue) -> None:
            v4, v6 = _glue_addresses(b, g)
            registrar_ops.set_glue(world, spec.registrar, g.host, v4, v6, by_support=True)
        b.at(f"{field}.glue[{i}]", publish)


def _registrant(b: _Builder, spec: DomainSpec) -> str | None:
    """The account holding the domain: as declared, else the account of its Cloudflare zone."""
    if spec.registrant is not None:
        if spec.registrant not in b.accounts:
            raise ValueError(f"no account called {spec.registrant!r} in this scenario")
        return b.accounts[spec.registrant]
    zone = cloudflare_ops.zone_by_name(b.world, spec.name.lower().rstrip("."))
    return zone.account_id if zone is not None else None


def _glue_addresses(b: _Builder, glue: GlueSpec) -> tuple[list[str], list[str]]:
    """Explicit addresses, or those the world gives the name (as a user copies them)."""
    if glue.ipv4 is not None or glue.ipv6 is not None:
        return [b.address(a) for a in glue.ipv4 or []], [b.address(a) for a in glue.ipv6 or []]
    v4, v6 = _server_addresses(b.world, glue.host)
    return [v4], [v6]


def _server_addresses(world: World, name: str) -> tuple[str, str]:
    """The IPv4 and IPv6 address of an ACNS name or another host's name server."""
    wanted = name.lower().rstrip(".")
    for ns in indexes.of(world).ns_named.get(wanted, ()):
        return ns.ipv4, ns.ipv6
    for host in world.hosts.values():
        for server in host.nameservers:
            if server.name == wanted:
                return server.ipv4, server.ipv6
    raise ValueError(f"no ACNS name or name server called {wanted} exists to take addresses from")


def _apply_step(b: _Builder, step: StepSpec) -> object:
    world = b.world
    zone_id = _zone_id(world, step.zone) if step.zone else ""
    account_id = b.accounts.get(step.account or "", step.account or "")
    actions: dict[str, Callable[[], object]] = {
        "add_nameserver": lambda: cloudflare_ops.add_nameserver(world, account_id, step.ns_name or "",
                                                                step.ns_set),
        "delete_nameserver": lambda: cloudflare_ops.delete_nameserver(world, account_id, step.ns_name or ""),
        "use_custom_nameservers": lambda: cloudflare_ops.set_zone_nameservers(
            world, zone_id, "custom.account", step.ns_set),
        "use_standard_nameservers": lambda: cloudflare_ops.set_zone_nameservers(
            world, zone_id, "cloudflare.standard"),
        "set_default_nameservers": lambda: cloudflare_ops.set_default_nameservers(
            world, account_id, step.type or ""),
        "set_registrar_nameservers": lambda: registrar_ops.set_nameservers(
            world, step.registrar or "", step.domain or "", step.nameservers or []),
        "set_glue": lambda: registrar_ops.set_glue(
            world, step.registrar or "", step.host or "", *_glue_addresses(
                b, GlueSpec(host=step.host or "", ipv4=step.ipv4, ipv6=step.ipv6))),
        "open_ticket": lambda: registrar_ops.open_ticket(
            world, step.domain or "", step.action or "", step.nameservers, step.host,
            *(_glue_addresses(b, GlueSpec(host=step.host or "", ipv4=step.ipv4, ipv6=step.ipv6))
              if step.action == "set_glue" else (None, None))),
        "resolve_ticket": lambda: registrar_ops.resolve_ticket(world, step.ticket or ""),
    }
    return actions[step.op]()


def _zone_id(world: World, name: str) -> str:
    zone = cloudflare_ops.zone_by_name(world, name.lower().rstrip("."))
    if zone is None:
        raise ValueError(f"no Cloudflare zone named {name!r}")
    return zone.id

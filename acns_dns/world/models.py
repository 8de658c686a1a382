"""The world's data: plain pydantic models, one class per concept, no behaviour.

Owns the shape of everything the simulator knows — Cloudflare accounts, zones, account custom
nameservers (ACNS), registrars, TLD registries with their delegations and host objects (glue),
other DNS hosts, support tickets, credentials — and its JSON form (snapshots). Rules live in
the operations modules; these models only check types and name syntax.
Imports: names only.
"""

from __future__ import annotations

import ipaddress
import threading
import types
import weakref
from functools import cache
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from acns_dns.world import names, undo

NsType = Literal["cloudflare.standard", "custom.account", "custom.tenant", "custom.zone"]
NsKind = Literal["account", "tenant", "zone"]  # who owns a custom nameserver name
ZoneType = Literal["full", "partial"]
Plan = Literal["free", "pro", "business", "enterprise"]
RegistrarKind = Literal["cloudflare", "external"]
GluePolicy = Literal["in-domain", "sibling"]
SNAPSHOT_FORMAT: Literal["acns-dns/world/1"] = "acns-dns/world/1"


@cache
def _containers(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``cls`` that hold a list or a dict (possibly optional)."""
    found = []
    for name, field in cls.model_fields.items():
        kinds = [field.annotation]
        if get_origin(field.annotation) in (Union, types.UnionType):
            kinds = list(get_args(field.annotation))
        if any(get_origin(kind) in (list, dict) or kind in (list, dict) for kind in kinds):
            found.append(name)
    return tuple(found)


class _Model(BaseModel):
    """A world model: its lists and dicts are tracked and its assignments noted, so a change
    made in place can be rolled back (``undo``) and indexes hear of it."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    @model_validator(mode="after")
    def _track_containers(self) -> Any:
        values = self.__dict__
        for name in _containers(type(self)):
            values[name] = undo.track(values[name], self, name)
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            super().__setattr__(name, value)
            return
        undo.note_attr(self, name)
        super().__setattr__(name, undo.track(value, self, name))
        self._attr_changed(name)

    def _attr_changed(self, name: str) -> None:
        """``name`` was assigned (or restored by a rollback)."""

    def _container_changed(self, field: str, key: Any, old: Any, new: Any) -> None:
        """The list or dict in ``field`` changed: at ``key`` (dicts) from ``old`` to ``new``
        (``undo.MISSING`` when absent or unknown)."""


class Record(_Model):
    """One resource record in presentation form (RFC 1035 §5.1)."""

    name: str
    type: str
    ttl: int = Field(default=300, ge=0, le=2**31 - 1)  # RFC 2181 §8
    content: str

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return names.normalize(value, hostname=False)

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        return value.upper()


class DnsRecord(Record):
    """A record of a Cloudflare zone, as ``dns_records`` lists it."""

    id: str
    managed: bool = False  # created by Cloudflare for an ACNS name: read-only


class _Value(_Model):
    """A small value that is replaced whole, never changed in place (frozen): zones with the
    same values share one instance (``shared``), so a world of many zones holds few of them."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_ValueT = TypeVar("_ValueT", bound=_Value)
_SHARED: weakref.WeakValueDictionary[tuple[object, ...], _Value] = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()


def shared(value: _ValueT) -> _ValueT:
    """The one instance equal to ``value`` that zones and accounts hold."""
    key = (type(value), *value.__dict__.values())
    with _SHARED_LOCK:
        found = _SHARED.setdefault(key, value)
    return found  # type: ignore[return-value]


class NameserverSetting(_Value):
    """Which nameservers a zone uses: the branded pair, one of the account's (ACNS) or the
    tenant's (TCNS) sets, or the zone's own names (ZCNS, ``custom.zone``)."""

    type: NsType = "cloudflare.standard"
    ns_set: int | None = None


class SoaSettings(_Value):
    """The SOA values a Cloudflare zone publishes (spec-acns §3.10: the ranges are Cloudflare's).

    ``mname`` None means automatic: the first of the zone's served name server names, sorted.
    """

    expire: int = Field(default=604800, ge=86400, le=2419200)
    min_ttl: int = Field(default=1800, ge=60, le=86400)
    mname: str | None = None
    refresh: int = Field(default=10000, ge=600, le=86400)
    retry: int = Field(default=2400, ge=600, le=86400)
    rname: str = "dns.cloudflare.com"
    ttl: int = Field(default=3600, ge=300, le=86400)


STANDARD_NAMESERVERS = shared(NameserverSetting())
DEFAULT_SOA = shared(SoaSettings())


class _SharesValues(_Model):
    """A model whose ``nameservers`` and ``soa`` hold shared values (``shared``)."""

    @field_validator("nameservers", "soa", mode="after", check_fields=False)
    @classmethod
    def _shared(cls, value: _Value) -> _Value:
        return shared(value)


class ZoneDefaults(_SharesValues):
    """What an account's new zones start with besides their nameservers (spec-acns §3.11)."""

    ns_ttl: int = Field(default=86400, ge=30, le=86400)
    soa: SoaSettings = Field(default_factory=lambda: DEFAULT_SOA)
    multi_provider: bool = False
    secondary_overrides: bool = False


class Zone(_SharesValues):
    """A zone on Cloudflare."""

    id: str
    account_id: str
    name: str
    status: Literal["active", "pending"] = "active"
    type: ZoneType = "full"  # partial: a CNAME setup, DNS served elsewhere (no custom nameservers)
    plan: Plan = "enterprise"
    branded_ns: list[str]
    nameservers: NameserverSetting = Field(default_factory=lambda: STANDARD_NAMESERVERS)
    ns_ttl: int = Field(default=86400, ge=30, le=86400)
    soa: SoaSettings = Field(default_factory=lambda: DEFAULT_SOA)
    multi_provider: bool = False
    secondary_overrides: bool = False
    records: list[DnsRecord] = []
    created_on: str = "2026-01-01T00:00:00Z"


class CustomNameserver(_Model):
    """One custom nameserver name with the two addresses Cloudflare assigned to it.

    ``kind`` says who owns it: an account (ACNS, ``account_id``), a tenant (TCNS,
    ``tenant_id``; ``account_id`` is empty) or a zone (ZCNS, ``zone_id``; ``account_id`` is
    the zone's account, ``ns_set`` is 1).
    """

    account_id: str
    ns_name: str
    ns_set: int = Field(ge=1, le=5)
    ipv4: str
    ipv6: str
    kind: NsKind = "account"
    tenant_id: str | None = None
    zone_id: str | None = None


class Tenant(_Model):
    """A tenant: an owner of accounts (a reseller, say) whose custom nameservers (TCNS) every
    zone of every account in the tenant may use (spec-acns §1.3, §1.5)."""

    id: str  # the tenant tag
    name: str
    tcns_entitled: bool = True


class AddressPool(_Model):
    """An IPv4 and an IPv6 prefix that addresses are drawn from in step (BYOIP)."""

    prefix4: str
    prefix6: str

    @field_validator("prefix4", "prefix6")
    @classmethod
    def _prefix(cls, value: str, info: ValidationInfo) -> str:
        network = ipaddress.ip_network(value, strict=True)
        if network.version != (4 if info.field_name == "prefix4" else 6):
            raise ValueError(f"{value} is not an IPv{4 if info.field_name == 'prefix4' else 6} prefix")
        return str(network)


class Account(_Model):
    """A Cloudflare account."""

    id: str
    name: str
    acns_entitled: bool = True
    default_nameservers: NsType = "cloudflare.standard"
    zone_defaults: ZoneDefaults = Field(default_factory=ZoneDefaults)
    type: Literal["standard", "enterprise"] | None = None  # as last sent by PUT /accounts
    byoip: AddressPool | None = None
    tenant_id: str | None = None  # the tenant owning the account, if any


class Credential(_Model):
    """An API token (or e-mail + global key) and the accounts it may act on.

    ``scope`` "account" acts on the accounts through the Cloudflare API and, as their
    registrant, on the registrations they hold; "registrant" only on those registrations
    (a login at the registrar: the /sim registrar and ticket routes).
    """

    token: str | None = None
    email: str | None = None
    key: str | None = None
    accounts: list[str] = []
    admin: bool = False
    scope: Literal["account", "registrant"] = "account"
    tenants: list[str] = []  # tenants this credential acts for as tenant owner


class Registrar(_Model):
    """A registrar: Cloudflare Registrar (changes by support ticket) or an external one."""

    id: str
    name: str
    kind: RegistrarKind = "external"


class Domain(_Model):
    """A registered domain as its TLD registry holds it: sponsor and delegation."""

    name: str
    registrar: str
    nameservers: list[str] = []
    registrant: str | None = None  # the account holding the domain; None: only the admin acts on it


class HostObject(_Model):
    """A host object at a registry: the glue addresses published for a name server name."""

    name: str
    ipv4: list[str] = []
    ipv6: list[str] = []


class HostNameserver(_Model):
    """A name server run by a DNS host other than Cloudflare."""

    name: str
    ipv4: str
    ipv6: str


class Tld(_Model):
    """A TLD registry and the name servers that serve its zone: the first (``server_name``,
    ``ipv4``, ``ipv6``) and the others, each on its own address (RFC 1034 §4.1: at least two)."""

    name: str
    server_name: str
    ipv4: str
    ipv6: str
    extra_servers: list[HostNameserver] = []
    glue_policy: GluePolicy = "sibling"  # RFC 9471 §3.2: sibling glue when it fits
    domains: dict[str, Domain] = {}
    hosts: dict[str, HostObject] = {}


class HostedZone(_Model):
    """A zone served by another DNS host, usually loaded from a zone file."""

    name: str
    source: str | None = None
    records: list[Record] = []


class DnsHost(_Model):
    """A DNS provider other than Cloudflare: its name servers serve all its zones."""

    id: str
    name: str
    nameservers: list[HostNameserver]
    zones: list[HostedZone] = []


class Ticket(_Model):
    """A support ticket at Cloudflare Registrar, asking Support to change NS or glue."""

    id: str
    domain: str
    action: Literal["set_ns", "set_glue", "delete_glue"]
    nameservers: list[str] = []
    host: str | None = None
    ipv4: list[str] = []
    ipv6: list[str] = []
    status: Literal["open", "resolved"] = "open"


class Network(AddressPool):
    """The simulated address space: every server address lies in these two prefixes."""

    prefix4: str = "127.53.0.0/16"
    prefix6: str = "fd53:53:53::/48"


class CloudflareEdge(_Model):
    """Cloudflare's own infrastructure: the branded name servers and the zone naming them."""

    zone: str = "cloudflare.com"
    nameservers: list[HostNameserver] = []


FaultKind = Literal["drop", "delay", "servfail", "refused", "lame", "tc", "strip-glue", "other-source"]


class Faults(_Model):
    """Fault injection (pebble's ``/set-servfail``: a fault is world state). ``servers`` maps a
    target — a simulated server's name or one of its addresses; the fault covers all of that
    server's addresses — to its faults, each with a parameter (``delay``: milliseconds; the
    others: 0). ``unheld``: what an address nobody holds does — ``refused`` (no socket: ICMP
    port unreachable, TCP reset) or ``timeout`` (silence, as on the Internet). Rules and
    meanings: ``fault_ops``."""

    unheld: Literal["refused", "timeout"] = "refused"
    servers: dict[str, dict[FaultKind, int]] = {}


class World(_Model):
    """Everything the simulator knows; the single source of truth."""

    format: Literal["acns-dns/world/1"] = SNAPSHOT_FORMAT
    description: str = ""
    network: Network = Network()
    root_ipv4: str = ""  # a.root-servers.net
    root_ipv6: str = ""
    other_root_servers: list[HostNameserver] = []  # the other letters (b, c, d.root-servers.net)
    cloudflare: CloudflareEdge = CloudflareEdge()
    accounts: dict[str, Account] = {}
    tenants: dict[str, Tenant] = {}
    zcns_plans: list[Plan] = ["business", "enterprise"]  # plans on which zones may use ZCNS (§1.3)
    credentials: list[Credential] = []
    zones: dict[str, Zone] = {}
    custom_ns: list[CustomNameserver] = []
    registrars: dict[str, Registrar] = {}
    tlds: dict[str, Tld] = {}
    hosts: dict[str, DnsHost] = {}
    tickets: list[Ticket] = []
    released: dict[str, str] = {}  # freed IPv4 address -> "account/ns_name" that held it, oldest first
    faults: Faults = Faults()  # fault injection (fault_ops)
    _index: Any = PrivateAttr(default=None)  # indexes.WorldIndex, built on first use

    def __eq__(self, other: object) -> bool:
        """Equal when every field is (whether an index was built does not matter)."""
        if not isinstance(other, World):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def _attr_changed(self, name: str) -> None:
        if self._index is not None:
            self._index.attr_changed(name)

    def _container_changed(self, field: str, key: Any, old: Any, new: Any) -> None:
        if self._index is not None:
            self._index.container_changed(field, key, old, new)

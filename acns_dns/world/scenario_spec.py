"""The shape of a scenario file: the YAML a scenario is written in, checked field by field.

Loose enough for people to write by hand (relative record names, glue without addresses,
steps), strict about unknown fields so a typo is an error naming its path. The meaning of each
field is in ``scenario``, which builds a world from a validated spec.
Imports: models (the fault kinds), pydantic.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from acns_dns.world.models import FaultKind


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecordSpec(_Spec):
    name: str = "@"
    type: str
    content: str | None = None
    address_of: str | None = None  # A/AAAA: the address the world gives that server name
    ttl: int = 300


NsType = Literal["cloudflare.standard", "custom.account", "custom.tenant", "custom.zone"]


class NameserverSetting(_Spec):
    type: NsType
    ns_set: int | None = None


class ZoneSpec(_Spec):
    name: str
    type: Literal["full", "partial"] = "full"  # partial: a CNAME setup (no custom nameservers)
    plan: Literal["free", "pro", "business", "enterprise"] = "enterprise"
    vanity_name_servers: list[str] = []  # zone custom nameservers (ZCNS), below the zone
    nameservers: NameserverSetting | None = None
    records: list[RecordSpec] = []


class NsSpec(_Spec):
    ns_name: str
    ns_set: int = 1


class KeySpec(_Spec):
    email: str
    key: str


class PoolSpec(_Spec):
    prefix4: str
    prefix6: str


class AccountSpec(_Spec):
    name: str
    id: str | None = None
    acns_entitled: bool = True
    default_nameservers: Literal["cloudflare.standard", "custom.account", "custom.tenant"] = \
        "cloudflare.standard"
    tenant: str | None = None  # name or tag of the tenant owning the account
    tokens: list[str] = []
    registrant_tokens: list[str] = []  # act only as registrant of the account's domains (/sim)
    api_keys: list[KeySpec] = []
    byoip: PoolSpec | None = None
    custom_nameservers: list[NsSpec] = []
    zones: list[ZoneSpec] = []


class TenantSpec(_Spec):
    name: str
    id: str | None = None  # the tenant tag
    tcns_entitled: bool = True
    tokens: list[str] = []  # the tenant owner's: the tenant and every account it owns
    custom_nameservers: list[NsSpec] = []  # tenant custom nameservers (TCNS)


class HostNsSpec(_Spec):
    name: str
    ipv4: str | None = None
    ipv6: str | None = None


class HostZoneSpec(_Spec):
    name: str
    zonefile: str | None = None
    records: list[RecordSpec] = []


class HostSpec(_Spec):
    id: str
    name: str
    nameservers: list[HostNsSpec]
    zones: list[HostZoneSpec] = []


class GlueSpec(_Spec):
    host: str
    ipv4: list[str] | None = None  # omitted: the addresses the world gives this name
    ipv6: list[str] | None = None


class DomainSpec(_Spec):
    name: str
    registrar: str
    nameservers: list[str] = []
    nameservers_from_cloudflare: bool = False  # the NS Cloudflare shows for the zone of this name
    registrant: str | None = None  # account name or id; omitted: the account of the zone so named
    glue: list[GlueSpec] = []


class TldSpec(_Spec):
    name: str
    glue_policy: Literal["in-domain", "sibling"] = "sibling"


class RegistrarSpec(_Spec):
    id: str
    name: str
    kind: Literal["cloudflare", "external"] = "external"


class StepSpec(_Spec):
    op: Literal["add_nameserver", "delete_nameserver", "use_custom_nameservers",
                "use_standard_nameservers", "set_registrar_nameservers", "set_glue",
                "open_ticket", "resolve_ticket", "set_default_nameservers"]
    account: str | None = None
    zone: str | None = None
    ns_name: str | None = None
    ns_set: int | None = None
    registrar: str | None = None
    domain: str | None = None
    nameservers: list[str] | None = None
    host: str | None = None
    ipv4: list[str] | None = None
    ipv6: list[str] | None = None
    action: str | None = None
    ticket: str | None = None
    type: str | None = None


class FaultSpec(_Spec):
    server: str  # a simulated server's name or one of its addresses
    kind: FaultKind
    delay_ms: int | None = None  # delay only: 1..30000


class ScenarioSpec(_Spec):
    description: str
    tlds: list[TldSpec] = []
    registrars: list[RegistrarSpec] = []
    zone_custom_ns_plans: list[Literal["free", "pro", "business", "enterprise"]] = ["business", "enterprise"]
    tenants: list[TenantSpec] = []
    accounts: list[AccountSpec] = []
    hosts: list[HostSpec] = []
    domains: list[DomainSpec] = []
    steps: list[StepSpec] = []
    faults: list[FaultSpec] = []  # fault injection, applied after the steps (fault_ops)
    unheld: Literal["refused", "timeout"] = "refused"  # what addresses nobody holds do

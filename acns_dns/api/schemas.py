"""The Cloudflare-shaped request and response bodies of the HTTP API, kept apart from the world.

Request models are loose, as Cloudflare's API is (spec-acns §6.19): unknown fields are
ignored, ``ns_set`` may be ``2``, ``2.0`` or the legacy string ``"2"``. They only check types;
the operations check values and answer with Cloudflare's codes. Response models describe the
``result`` of each route for OpenAPI. Converting world objects into these shapes is
``shapes.py``'s job; the ``/sim`` bodies are in ``sim_schemas.py``. Imports: pydantic only.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from acns_dns.api.envelope import Success


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("ns_set must be a number from 1 to 5, not a boolean")
    return value


NsSet = Annotated[float, BeforeValidator(_not_bool), Field(allow_inf_nan=False)]
NS_SET_DOC: dict[str, Any] = {"minimum": 1, "maximum": 5}


class Loose(BaseModel):
    """Base of request bodies: unknown fields are ignored (spec-acns §6.19)."""

    model_config = ConfigDict(extra="ignore")


# --- requests: Cloudflare paths -----------------------------------------------------------


class CustomNSIn(Loose):
    """POST /accounts/{account_id}/custom_ns (spec-acns §3.3)."""

    ns_name: str = Field(description="The FQDN of the name server", max_length=1000)
    ns_set: NsSet | None = Field(None, description="Set 1..5; omitted means 1", json_schema_extra=NS_SET_DOC)


class ZoneCustomNSIn(Loose):
    """PUT /zones/{zone_id}/custom_ns (deprecated; spec-acns §3.8)."""

    enabled: bool = Field(description="Whether the zone uses account custom nameservers")
    ns_set: NsSet | None = Field(None, json_schema_extra=NS_SET_DOC)
    ns_type: str | None = Field(None, description="account (default) or tenant")


class NameserversIn(Loose):
    """``nameservers`` of the zone DNS settings (spec-acns §3.10)."""

    type: str
    ns_set: NsSet | None = Field(None, json_schema_extra=NS_SET_DOC)
    nameserver_set_id: str | None = None


class DefaultNameserversIn(Loose):
    """``zone_defaults.nameservers`` of the account DNS settings (no ``ns_set``, §3.11)."""

    type: str


class SoaIn(Loose):
    """SOA components; each is checked against Cloudflare's range (spec-acns §3.10)."""

    expire: float | None = None
    min_ttl: float | None = None
    mname: str | None = None
    refresh: float | None = None
    retry: float | None = None
    rname: str | None = None
    ttl: float | None = None


class InternalDnsIn(Loose):
    reference_zone_id: str | None = None


class SettingsIn(Loose):
    """DNS settings fields other than ``nameservers``: ``ns_ttl``, ``soa``, ``multi_provider`` and
    ``secondary_overrides`` are stored; the others are accepted only at their current value."""

    flatten_all_cnames: bool | None = None
    foundation_dns: bool | None = None
    internal_dns: InternalDnsIn | None = None
    multi_provider: bool | None = None
    ns_ttl: float | None = Field(None, allow_inf_nan=False)
    secondary_overrides: bool | None = None
    soa: SoaIn | None = None
    zone_mode: str | None = None


class ZoneDnsSettingsIn(SettingsIn):
    """PATCH /zones/{zone_id}/dns_settings."""

    nameservers: NameserversIn | None = None


class ZoneDefaultsIn(SettingsIn):
    nameservers: DefaultNameserversIn | None = None


class AccountDnsSettingsIn(Loose):
    """PATCH /accounts/{account_id}/dns_settings."""

    zone_defaults: ZoneDefaultsIn | None = None
    enforce_dns_only: bool | None = None


class AccountSettingsIn(Loose):
    default_nameservers: str | None = None
    use_account_custom_ns_by_default: bool | None = None
    enforce_twofactor: bool | None = None
    abuse_contact_email: str | None = None


class AccountUpdateIn(Loose):
    """PUT /accounts/{account_id} (spec-acns §3.9)."""

    id: str | None = None
    name: str | None = Field(None, min_length=1, max_length=100)
    type: str | None = None
    settings: AccountSettingsIn | None = None


class AccountRef(Loose):
    id: str


class ZoneCreateIn(Loose):
    """POST /zones."""

    name: str = Field(max_length=253)
    account: AccountRef
    type: str = "full"


class ZoneEditIn(Loose):
    """PATCH /zones/{zone_id}: one property at a time (SDK ``zones.edit``)."""

    paused: bool | None = None
    type: str | None = Field(None, max_length=20)
    vanity_name_servers: list[Annotated[str, Field(max_length=253)]] | None = Field(None, max_length=16)


class RecordCreateIn(Loose):
    """POST /zones/{zone_id}/dns_records."""

    type: str = Field(max_length=10)
    name: str = Field(max_length=253)
    content: str = Field(max_length=4096)
    ttl: int = Field(1, ge=1, le=86400, description="1 means automatic (300)")


class RecordEditIn(Loose):
    """PATCH /zones/{zone_id}/dns_records/{dns_record_id}: only the parts that change."""

    type: str | None = Field(None, max_length=10)
    name: str | None = Field(None, max_length=253)
    content: str | None = Field(None, max_length=4096)
    ttl: int | None = Field(None, ge=1, le=86400, description="1 means automatic (300)")


# --- responses ----------------------------------------------------------------------------


class DnsRecordRef(BaseModel):
    type: Literal["A", "AAAA"]
    value: str


class CustomNSOut(BaseModel):
    """spec-acns §3.2."""

    dns_records: list[DnsRecordRef]
    ns_name: str
    ns_set: int
    status: Literal["moved", "pending", "verified"]
    zone_tag: str


class ZoneNsMeta(BaseModel):
    enabled: bool
    ns_set: int
    type: Literal["account"] = "account"


class ZoneCustomNSEnvelope(Success[ZoneNsMeta]):
    """GET /zones/{zone_id}/custom_ns: top-level fields for SDK 5.9, ``result`` for legacy."""

    enabled: bool
    ns_set: int


class NameserversOut(BaseModel):
    type: str
    ns_set: int | None = None


class SoaOut(BaseModel):
    expire: int
    min_ttl: int
    mname: str | None
    refresh: int
    retry: int
    rname: str
    ttl: int


class InternalDnsOut(BaseModel):
    reference_zone_id: str | None = None


class SettingsOut(BaseModel):
    flatten_all_cnames: bool
    foundation_dns: bool
    internal_dns: InternalDnsOut
    multi_provider: bool
    nameservers: NameserversOut
    ns_ttl: int
    secondary_overrides: bool
    soa: SoaOut
    zone_mode: Literal["standard", "cdn_only", "dns_only"]


class AccountDnsSettingsOut(BaseModel):
    zone_defaults: SettingsOut
    enforce_dns_only: bool


class AccountSettingsOut(BaseModel):
    default_nameservers: str
    use_account_custom_ns_by_default: bool
    enforce_twofactor: bool
    abuse_contact_email: str | None = None


class AccountOut(BaseModel):
    id: str
    name: str
    type: Literal["standard", "enterprise"]
    created_on: str
    settings: AccountSettingsOut


class IdName(BaseModel):
    id: str
    name: str


class ZoneOut(BaseModel):
    id: str
    name: str
    status: str
    type: str
    account: IdName
    owner: dict[str, Any]
    plan: dict[str, Any]
    meta: dict[str, Any]
    name_servers: list[str]
    original_name_servers: list[str] | None
    original_registrar: str | None
    original_dnshost: str | None
    vanity_name_servers: list[str]
    vanity_name_servers_ips: dict[str, Any] | None
    development_mode: int
    paused: bool
    permissions: list[str]
    created_on: str
    modified_on: str
    activated_on: str | None


class IdOnly(BaseModel):
    id: str


class RecordOut(BaseModel):
    id: str
    zone_id: str
    zone_name: str
    name: str
    type: str
    content: str
    ttl: int
    proxied: bool
    proxiable: bool
    comment: str | None
    tags: list[str]
    settings: dict[str, Any]
    meta: dict[str, Any]
    created_on: str
    modified_on: str

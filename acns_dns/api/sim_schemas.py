"""Request and response bodies of the simulator's own ``/sim`` routes.

Loose like the Cloudflare-shaped bodies in ``schemas.py`` (unknown fields are ignored); the
operations check the values. Imports: pydantic only.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from acns_dns.api.schemas import Loose

# --- requests: /sim -----------------------------------------------------------------------


class NameserverListIn(Loose):
    nameservers: list[str] = Field(max_length=64)


class GlueIn(Loose):
    ipv4: list[str] = Field([], max_length=16)
    ipv6: list[str] = Field([], max_length=16)


class TicketIn(Loose):
    domain: str
    action: Literal["set_ns", "set_glue", "delete_glue"]
    nameservers: list[str] | None = Field(None, max_length=64)
    host: str | None = None
    ipv4: list[str] | None = Field(None, max_length=16)
    ipv6: list[str] | None = Field(None, max_length=16)


class ScenarioIn(Loose):
    source: str = Field("default", description="A packaged scenario name or a YAML file path")


class SnapshotIn(Loose):
    path: str | None = Field(
        None, min_length=1, max_length=4096, description="Where to write; omitted: return the JSON"
    )


class RestoreIn(Loose):
    path: str = Field(min_length=1, max_length=4096, description="A snapshot file to load")


class SimAccountIn(Loose):
    name: str = Field(min_length=1, max_length=100)
    id: str | None = Field(None, min_length=1, max_length=64)
    acns_entitled: bool = True
    token: str | None = Field(
        None, min_length=1, max_length=200, description="A token that may act on the new account"
    )


# --- responses: /sim ----------------------------------------------------------------------


class GlueOut(BaseModel):
    name: str
    ipv4: list[str]
    ipv6: list[str]


class DomainOut(BaseModel):
    """A registration as its TLD registry holds it: sponsor, delegation and glue below it."""

    name: str
    registrar: str
    nameservers: list[str]
    glue: list[GlueOut]


class RegistrarOut(BaseModel):
    id: str
    name: str
    kind: Literal["cloudflare", "external"]
    domains: list[str]


class TicketOut(BaseModel):
    id: str
    domain: str
    action: Literal["set_ns", "set_glue", "delete_glue"]
    nameservers: list[str]
    host: str | None
    ipv4: list[str]
    ipv6: list[str]
    status: Literal["open", "resolved"]


class ServerOut(BaseModel):
    role: str
    name: str
    label: str
    ipv4: str
    ipv6: str
    zones: list[str]


class JournalOut(BaseModel):
    time: float
    server: str
    client: str
    transport: str
    qname: str
    qtype: str
    rcode: str
    flags: str
    size: int


class ScenarioOut(BaseModel):
    name: str
    description: str


class WorldOut(BaseModel):
    """What a scenario load or reset left: the world's description and its counts."""

    description: str
    accounts: int
    zones: int
    custom_ns: int
    version: int


class SnapshotOut(BaseModel):
    """Where the snapshot was written, or (without a path) the world itself."""

    path: str | None
    world: dict[str, Any] | None


class SimAccountOut(BaseModel):
    id: str
    name: str
    acns_entitled: bool
    token: str | None

"""A small world shared by the rule tests and the state machine.

Two accounts (``acme`` has the ACNS entitlement, ``plain`` has not), a parent zone
``example.com`` and its child ``sub.example.com`` in ``acme``, a zone in ``plain``, a few TLD
registries, Cloudflare Registrar and two external registrars.
"""

from __future__ import annotations

from dataclasses import dataclass

from acns_dns.world import infrastructure
from acns_dns.world.errors import AcnsError
from acns_dns.world.models import Network, World
from acns_dns.world.registry import Registry

ACME = "a" * 32
PLAIN = "b" * 32
EXTERNAL = "gandi"
OTHER_EXTERNAL = "namecheap"
CLOUDFLARE = infrastructure.CLOUDFLARE_REGISTRAR


@dataclass(frozen=True)
class Ids:
    """Identifiers of the objects the shared world holds."""

    parent_zone: str
    child_zone: str
    plain_zone: str


def build(network: Network | None = None) -> tuple[Registry, Ids]:
    """A registry holding the shared world, and the ids of its zones."""
    registry = Registry(infrastructure.new_world(network))
    for tld in ("net", "org", "test"):
        registry.apply(infrastructure.add_tld, tld)
    registry.apply(infrastructure.add_registrar, EXTERNAL, "Gandi")
    registry.apply(infrastructure.add_registrar, OTHER_EXTERNAL, "Namecheap")
    registry.add_account("acme", ACME)
    registry.add_account("plain", PLAIN, acns_entitled=False)
    parent = registry.create_zone(ACME, "example.com")
    child = registry.create_zone(ACME, "sub.example.com")
    plain = registry.create_zone(PLAIN, "plain.org")
    registry.apply(infrastructure.register_domain, CLOUDFLARE, "example.com", parent.branded_ns)
    registry.apply(infrastructure.register_domain, EXTERNAL, "vanity.net", ["ns1.host.test", "ns2.host.test"])
    registry.apply(infrastructure.register_domain, OTHER_EXTERNAL, "plain.org", plain.branded_ns)
    return registry, Ids(parent_zone=parent.id, child_zone=child.id, plain_zone=plain.id)


def fails(registry: Registry, error: type[AcnsError], operation: str, *args: object,
          **kwargs: object) -> AcnsError:
    """Run ``registry.<operation>``; check it raises ``error`` and changes nothing."""
    before = registry.world.model_dump()
    version = registry.version
    method = getattr(registry, operation)
    try:
        method(*args, **kwargs)
    except AcnsError as exc:
        assert type(exc) is error, f"{operation}{args} raised {type(exc).__name__}: {exc}"
        assert registry.world.model_dump() == before, f"refused {operation} changed the world"
        assert registry.version == version
        return exc
    raise AssertionError(f"{operation}{args} did not raise {error.__name__}")


def server_addresses(world: World) -> list[str]:
    """Every address a server holds, duplicates kept (counted independently of the code)."""
    found = [world.root_ipv4, world.root_ipv6]
    found += [a for tld in world.tlds.values() for a in (tld.ipv4, tld.ipv6)]
    found += [a for ns in world.cloudflare.nameservers for a in (ns.ipv4, ns.ipv6)]
    found += [a for host in world.hosts.values() for ns in host.nameservers for a in (ns.ipv4, ns.ipv6)]
    found += [a for ns in world.custom_ns for a in (ns.ipv4, ns.ipv6)]
    return found

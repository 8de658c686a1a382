"""The registrar side: delegations and glue at the TLD registries, and support tickets.

An external registrar lets its customer set a domain's NS and its host objects (glue)
directly (the seed's non-Cloudflare flow). Cloudflare Registrar changes them only when a
support ticket is resolved (the seed's "open a ticket" step). Only the sponsoring registrar
of ``example.com`` may create host objects below ``example.com``. Imports: names, errors,
models, infrastructure.
"""

from __future__ import annotations

import ipaddress

from acns_dns.world import names
from acns_dns.world.errors import (
    InvalidInput,
    InvalidName,
    NeedsSupportTicket,
    NotFound,
    NotSponsor,
    RegistrarRefused,
    TicketState,
)
from acns_dns.world.infrastructure import tld_of
from acns_dns.world.models import Domain, HostObject, Registrar, Ticket, World

MAX_NAMESERVERS = 13  # what fits a classic referral; registries cap NS counts similarly


def find_registrar(world: World, registrar_id: str) -> Registrar:
    """The registrar, or NotFound."""
    registrar = world.registrars.get(registrar_id)
    if registrar is None:
        raise NotFound(f"registrar {registrar_id!r} not found")
    return registrar


def find_domain(world: World, domain: str) -> Domain:
    """The registration of ``domain`` at its TLD registry, or NotFound."""
    name = _host(domain, "domain")
    registration = tld_of(world, name).domains.get(name)
    if registration is None:
        raise NotFound(f"domain {name!r} is not registered")
    return registration


def _sponsored(world: World, registrar_id: str, domain: str, *, direct: bool) -> Domain:
    registrar = find_registrar(world, registrar_id)
    registration = find_domain(world, domain)
    if registration.registrar != registrar.id:
        raise NotSponsor(f"{registration.name} is sponsored by {registration.registrar!r}, "
                         f"not by {registrar.id!r}")
    if direct and registrar.kind == "cloudflare":
        raise NeedsSupportTicket(f"{registration.name} is on Cloudflare Registrar: open a support "
                                 "ticket to change its nameservers or glue")
    return registration


def superordinate(world: World, host: str) -> Domain:
    """The registered domain a host name lies under (RFC 5732 §1: its superordinate domain)."""
    tld = tld_of(world, host)
    labels = host.split(".")
    domain = ".".join(labels[-2:]) if len(labels) >= 2 else host
    registration = tld.domains.get(domain)
    if registration is None:
        raise NotFound(f"no registered domain above host {host!r} at the {tld.name} registry")
    return registration


def registrant_of(world: World, *, domain: str | None = None, host: str | None = None,
                  ticket: str | None = None) -> str | None:
    """The account holding the registration a request acts on: the domain itself, the domain
    a glue host lies under, or a ticket's domain (None: nobody but the admin).

    Raises:
        NotFound: the domain, host's domain or ticket does not exist.
        InvalidName: the name is malformed.
    """
    if ticket is not None:
        return find_domain(world, find_ticket(world, ticket).domain).registrant
    if host is not None:
        return superordinate(world, _host(host, "host")).registrant
    return find_domain(world, domain or "").registrant


def _check_nameservers(nameservers: list[str]) -> list[str]:
    checked = [_host(ns, "nameserver") for ns in nameservers]
    if len(set(checked)) != len(checked):
        raise InvalidInput(f"nameservers {checked} list a name twice")
    if len(checked) > MAX_NAMESERVERS:
        raise InvalidInput(f"at most {MAX_NAMESERVERS} nameservers, got {len(checked)}")
    return checked


def _check_addresses(host: str, ipv4: list[str], ipv6: list[str]) -> tuple[list[str], list[str]]:
    try:
        v4 = [str(ipaddress.IPv4Address(a)) for a in ipv4]
        v6 = [str(ipaddress.IPv6Address(a)) for a in ipv6]
    except ValueError as exc:
        raise InvalidInput(f"glue for {host}: {exc}") from exc
    return v4, v6


def set_nameservers(world: World, registrar_id: str, domain: str, nameservers: list[str],
                    *, by_support: bool = False) -> Domain:
    """Replace the delegation (NS names) the registry publishes for ``domain``."""
    registration = _sponsored(world, registrar_id, domain, direct=not by_support)
    registration.nameservers = _check_nameservers(nameservers)
    return registration


def set_glue(world: World, registrar_id: str, host: str, ipv4: list[str], ipv6: list[str],
             *, by_support: bool = False) -> HostObject | None:
    """Create or replace the host object (glue) for ``host``; no addresses deletes it."""
    name = _host(host, "host")
    registration = superordinate(world, name)
    _sponsored(world, registrar_id, registration.name, direct=not by_support)
    v4, v6 = _check_addresses(name, ipv4, ipv6)
    tld = tld_of(world, name)
    if not v4 and not v6:
        tld.hosts.pop(name, None)
        return None
    tld.hosts[name] = HostObject(name=name, ipv4=v4, ipv6=v6)
    return tld.hosts[name]


def glue_of(world: World, host: str) -> HostObject | None:
    """The host object the registry holds for ``host``, if any."""
    name = _host(host, "host")
    try:
        return tld_of(world, name).hosts.get(name)
    except NotFound:
        return None


def open_ticket(world: World, domain: str, action: str, nameservers: list[str] | None = None,
                host: str | None = None, ipv4: list[str] | None = None,
                ipv6: list[str] | None = None) -> Ticket:
    """Ask Cloudflare Support to change a Cloudflare Registrar domain's NS or glue."""
    registration = find_domain(world, domain)
    if world.registrars[registration.registrar].kind != "cloudflare":
        raise RegistrarRefused(f"{registration.name} is not on Cloudflare Registrar; change it at "
                               f"{registration.registrar!r} directly")
    ticket = Ticket(id=f"T{len(world.tickets) + 1:04d}", domain=registration.name, action="set_ns")
    if action == "set_ns":
        ticket.nameservers = _check_nameservers(nameservers or [])
    elif action in ("set_glue", "delete_glue"):
        if not host:
            raise InvalidInput(f"a {action} ticket needs the host name")
        ticket.host = _host(host, "host")
        if superordinate(world, ticket.host).name != registration.name:
            raise InvalidInput(f"host {ticket.host} is not under {registration.name}")
        if action == "set_glue":
            ticket.ipv4, ticket.ipv6 = _check_addresses(ticket.host, ipv4 or [], ipv6 or [])
            if not ticket.ipv4 and not ticket.ipv6:
                raise InvalidInput(f"a set_glue ticket for {ticket.host} needs ipv4 or ipv6 addresses")
    else:
        raise InvalidInput(f"ticket action {action!r} must be set_ns, set_glue or delete_glue")
    ticket.action = action  # type: ignore[assignment]
    world.tickets.append(ticket)
    return ticket


def find_ticket(world: World, ticket_id: str) -> Ticket:
    """The ticket, or NotFound."""
    for ticket in world.tickets:
        if ticket.id == ticket_id:
            return ticket
    raise NotFound(f"support ticket {ticket_id!r} not found")


def resolve_ticket(world: World, ticket_id: str) -> Ticket:
    """Support carries out the ticket: the registry changes now, not before."""
    ticket = find_ticket(world, ticket_id)
    if ticket.status != "open":
        raise TicketState(f"ticket {ticket.id} is already {ticket.status}")
    registrar = find_domain(world, ticket.domain).registrar
    if ticket.action == "set_ns":
        set_nameservers(world, registrar, ticket.domain, ticket.nameservers, by_support=True)
    else:
        set_glue(world, registrar, ticket.host or "", ticket.ipv4, ticket.ipv6, by_support=True)
    ticket.status = "resolved"
    return ticket


def _host(value: str, what: str) -> str:
    try:
        return names.normalize(value, min_labels=2)
    except names.NameError_ as exc:
        raise InvalidName(f"invalid {what} name: {exc}") from exc

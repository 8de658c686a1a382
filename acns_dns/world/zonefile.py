"""RFC 1035 zone files and record text, through dnslib.

Owns turning zone-file text into the world's ``Record`` rows (with the file and line of any
error), checking that one record's content parses for its type and is served as given (its
canonical form reads back to the same octets, so the wire layer never meets content it cannot
encode), and turning a ``Record`` into a dnslib RR. TXT is read and written by ``txt`` (RFC 1035
§5.1 quoting and escapes). Imports: names, models, txt, dnslib.
"""

from __future__ import annotations

import re
import socket

from dnslib import QTYPE, RR, DNSBuffer, DNSLabel

from acns_dns.world import names, txt
from acns_dns.world.models import Record

# Types a zone or a Cloudflare record may hold; anything else is refused with a clear message.
SUPPORTED_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA", "SRV", "CAA", "PTR", "DS", "HINFO")


# A name dnslib reads and writes back unchanged: labels of letters, digits, '-', '_' or '*'
# (no escapes), each of 1-63 octets, with the trailing dot; 254 characters at most (RFC 1035 §3.1).
_PLAIN_FQDN = re.compile(r"(?=.{1,254}\Z)(?:[A-Za-z0-9_*-]{1,63}\.)+\Z")


class ZoneFileError(ValueError):
    """Zone file text that does not parse; the message names where."""


def to_rr(record: Record) -> RR:
    """The dnslib RR for one record (content in presentation form)."""
    text = f"{names.fqdn(record.name)} {record.ttl} IN {record.type} {record.content}"
    parsed = RR.fromZone(text)
    if len(parsed) != 1:
        raise ValueError(f"{text!r} is not one record")
    return parsed[0]


def from_rr(rr: RR) -> Record:
    """The world's record row for a dnslib RR."""
    rtype = QTYPE.get(rr.rtype)
    content = txt.format(list(rr.rdata.data)) if rtype == "TXT" else rr.rdata.toZone()
    return Record(name=str(rr.rname), type=rtype, ttl=rr.ttl, content=content)


def canonical(name: str, rtype: str, content: str, ttl: int = 300) -> Record:
    """Check ``content`` for ``rtype`` and return the record in canonical form.

    Raises:
        ValueError: naming the type and the content when they do not parse.
    """
    rtype = rtype.upper()
    if rtype not in SUPPORTED_TYPES:
        raise ValueError(f"record type {rtype!r} is not supported (use one of {', '.join(SUPPORTED_TYPES)})")
    if rtype == "TXT":
        try:
            content = txt.format(txt.parse(content))
        except ValueError as exc:
            shown = content if len(content) <= 60 else content[:57] + "..."
            raise ValueError(f"TXT content {shown!r} for {name!r}: {exc}") from exc
    fast = _already_canonical(rtype, content)
    if fast is not None:
        return Record(name=name, type=rtype, ttl=ttl, content=fast)
    return through_dnslib(name, rtype, content, ttl)


def through_dnslib(name: str, rtype: str, content: str, ttl: int = 300) -> Record:
    """``canonical`` by parsing with dnslib and checking the stored form reads back the same."""
    try:
        rr = to_rr(Record(name=name, type=rtype, ttl=ttl, content=content))
    except Exception as exc:  # dnslib raises many kinds for bad rdata
        raise ValueError(f"{rtype} content {content!r} for {name!r} does not parse: {exc}") from exc
    row = from_rr(rr)
    _check_served_as_given(rr, row, content)
    return row


def _already_canonical(rtype: str, content: str) -> str | None:
    """The canonical content of the common types when ``content`` is already in the form
    dnslib would give back (so parsing it with dnslib twice would change nothing), else None:
    the rest goes through dnslib. A world of many zones loads without a zone-text parse per
    record (tests/test_zonefile_fast.py keeps both paths equal)."""
    if rtype == "A":
        try:
            return content if socket.inet_ntoa(socket.inet_pton(socket.AF_INET, content)) == content else None
        except (OSError, ValueError):  # ValueError: a NUL in the text
            return None
    if rtype == "AAAA":
        if "." in content:  # an embedded IPv4 form: dnslib writes it differently
            return None
        try:
            octets = socket.inet_pton(socket.AF_INET6, content)
        except (OSError, ValueError):
            return None
        return content if socket.inet_ntop(socket.AF_INET6, octets) == content else None
    if rtype in ("NS", "CNAME", "PTR"):
        return content if _PLAIN_FQDN.match(content) else None
    if rtype == "MX":
        preference, _, exchange = content.partition(" ")
        if (preference.isdigit() and preference == str(int(preference)) and int(preference) < 65536
                and _PLAIN_FQDN.match(exchange)):
            return content
    return None


def _rdata_octets(rr: RR) -> bytes:
    buffer = DNSBuffer()
    rr.rdata.pack(buffer)
    return bytes(buffer.data)


def _check_served_as_given(rr: RR, row: Record, content: str) -> None:
    """The stored form must read back to the same RDATA, or answers would differ (or fail)."""
    try:
        again = to_rr(row)
    except Exception as exc:
        raise ValueError(f"{row.type} content {content!r} for {row.name!r} cannot be served: "
                         f"its stored form {row.content!r} does not parse ({exc})") from exc
    if _rdata_octets(again) != _rdata_octets(rr):
        raise ValueError(f"{row.type} content {content!r} for {row.name!r} cannot be served as given: "
                         f"it reads back as {row.content!r}")


def parse(text: str, origin: str, source: str = "<zone>") -> list[Record]:
    """Parse zone-file text (``$ORIGIN``, ``$TTL``, parentheses) into records.

    Raises:
        ZoneFileError: naming ``source`` and, where it can be found, the line.
    """
    try:
        rows = [from_rr(rr) for rr in RR.fromZone(text, origin=names.fqdn(origin), ttl=3600)]
    except Exception as exc:
        raise ZoneFileError(f"{source}{_bad_line(text, origin)}: {exc}") from exc
    for row in rows:
        if row.type == "TXT":
            try:
                txt.parse(row.content)
            except ValueError as exc:
                raise ZoneFileError(f"{source}: TXT of {row.name}: {exc}") from exc
        if row.type not in SUPPORTED_TYPES:
            raise ZoneFileError(f"{source}: record type {row.type} of {row.name} is not supported")
        if not names.is_subdomain(row.name, names.normalize(origin, min_labels=0)):
            raise ZoneFileError(f"{source}: {row.name} lies outside the zone {origin}")
    return rows


def _bad_line(text: str, origin: str) -> str:
    """Find the first line that fails on its own, to point the user at it."""
    label = DNSLabel(names.fqdn(origin))
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.split(";", 1)[0].strip()
        if not stripped or stripped.startswith("$") or "(" in stripped or ")" in stripped:
            continue
        if line[:1].isspace():
            continue
        try:
            RR.fromZone(line, origin=label, ttl=3600)
        except Exception:
            return f", line {number}"
    return ""

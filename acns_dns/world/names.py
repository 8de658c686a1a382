"""Domain names as the simulator keeps them: lower case, no trailing dot, "" for the root.

Owns normalisation and validation (spec-acns §6.4), the parent walk used for zone choice and
for the parent/child set rule, and the RFC 9471 §2 relation between a name server name and a
delegation (in-domain, sibling, unrelated). Imports nothing from the package.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum

_LDH_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Zone files and records may hold labels such as "_dmarc" or "*"; host names may not.
_RECORD_LABEL = re.compile(r"^[a-z0-9_*-]{1,63}$")
# Whole names that pass every check below, matched at once (a world of many zones normalises
# hundreds of thousands of names; the label loop stays for the names that need a message).
_LDH_NAME = re.compile(r"(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)*(?!-)[a-z0-9-]{1,63}(?<!-)\.?")
_RECORD_NAME = re.compile(r"(?:[a-z0-9_*-]{1,63}\.)*[a-z0-9_*-]{1,63}\.?")


class NameError_(ValueError):
    """A string that is not a valid domain name for its purpose."""


def normalize(name: str, *, hostname: bool = True, min_labels: int = 1) -> str:
    """Return ``name`` lower-cased without its trailing dot, after checking its syntax.

    Args:
        name: the name as the user wrote it.
        hostname: require LDH labels (RFC 952/1123); otherwise allow ``_`` and ``*``.
        min_labels: the fewest labels accepted (2 for nameserver names).

    Raises:
        NameError_: with a message that says what is wrong with the name.
    """
    if not isinstance(name, str):
        raise NameError_(f"expected a domain name as a string, got {type(name).__name__}")
    if not name.isascii():
        # str.lower() maps some non-ASCII letters to ASCII (KELVIN SIGN -> "k"): refuse them first.
        raise NameError_(f"{name!r} holds non-ASCII characters; use the A-label (xn--) form")
    text = name.strip().lower()
    if len(text) <= 254 and (_LDH_NAME if hostname else _RECORD_NAME).fullmatch(text):
        text = text.rstrip(".")
        if len(text) <= 253 and text.count(".") + 1 >= min_labels:
            return text
    return _checked(name, text, hostname, min_labels)


def _checked(name: str, text: str, hostname: bool, min_labels: int) -> str:
    """``normalize`` label by label, raising with what is wrong."""
    if text.endswith("."):
        text = text[:-1]
    if text == "":
        if min_labels == 0:
            return ""
        raise NameError_(f"{name!r} is an empty name")
    if len(text) > 253:
        raise NameError_(f"{name!r} is {len(text)} characters long; at most 253 are allowed")
    labels = text.split(".")
    if len(labels) < min_labels:
        raise NameError_(f"{name!r} needs at least {min_labels} labels")
    pattern = _LDH_LABEL if hostname else _RECORD_LABEL
    for label in labels:
        if label == "":
            raise NameError_(f"{name!r} has an empty label")
        if len(label) > 63:
            raise NameError_(f"label {label[:20]!r}... of {name!r} is longer than 63 characters")
        if not pattern.fullmatch(label):  # not match(): "$" also matches before "\n"
            kind = "letters, digits and inner hyphens" if hostname else "letters, digits, - _ *"
            raise NameError_(f"label {label!r} of {name!r} may only hold {kind}")
    return text


def lenient(value: str, *, hostname: bool = True) -> str:
    """``value`` normalised when it is a valid name, else as given: a look-up key that a
    malformed name cannot match (deleting or filtering by it then finds nothing)."""
    try:
        return normalize(value, hostname=hostname)
    except NameError_:
        return value


def parents(name: str) -> Iterator[str]:
    """Yield ``name`` and each enclosing name up to and including the root ("")."""
    while name:
        yield name
        _, _, name = name.partition(".")
    yield ""


def is_subdomain(name: str, ancestor: str) -> bool:
    """True when ``name`` equals ``ancestor`` or lies below it."""
    return ancestor == "" or name == ancestor or name.endswith("." + ancestor)


def parent(name: str) -> str:
    """The name one label up ("" above a top-level name)."""
    return name.partition(".")[2]


def fqdn(name: str) -> str:
    """Presentation form with the trailing dot ("." for the root)."""
    return name + "." if name else "."


class GlueKind(Enum):
    """How a name server name relates to the delegation it serves (RFC 9471 §2)."""

    IN_DOMAIN = "in-domain"
    SIBLING = "sibling"
    UNRELATED = "unrelated"


def glue_kind(ns_name: str, delegated: str, parent_zone: str) -> GlueKind:
    """Classify ``ns_name`` for a referral to ``delegated`` made by ``parent_zone``.

    In-domain glue is mandatory in a referral (RFC 9471 §3.1); sibling glue (a name in
    another zone delegated from the same parent) should be included when it fits (§3.2);
    anything else is never glue (RFC 1034 §4.2.1).
    """
    if is_subdomain(ns_name, delegated):
        return GlueKind.IN_DOMAIN
    if is_subdomain(ns_name, parent_zone):
        return GlueKind.SIBLING
    return GlueKind.UNRELATED

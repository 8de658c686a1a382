"""Name normalisation and the name relations (spec-acns §6.4; RFC 9471 §2)."""

from __future__ import annotations

import pytest
from acns_world import ACME, build, fails
from hypothesis import given
from hypothesis import strategies as st

from acns_dns.world import names
from acns_dns.world.errors import InvalidName
from acns_dns.world.registry import Registry

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", fullmatch=True)
HOSTNAME = st.lists(LABEL, min_size=2, max_size=6).map(".".join).filter(lambda n: len(n) <= 253)


@pytest.mark.parametrize(("raw", "expected"), [
    ("NS1.Example.COM", "ns1.example.com"),
    ("ns1.example.com.", "ns1.example.com"),
    ("Ns-1.Vanity.TEST.", "ns-1.vanity.test"),
    ("123.example.com", "123.example.com"),
])
def test_normalize_lowercases_and_strips_the_trailing_dot(raw: str, expected: str) -> None:
    assert names.normalize(raw, min_labels=2) == expected


def test_label_of_63_and_name_of_253_characters_are_accepted() -> None:
    assert names.normalize("a" * 63 + ".com") == "a" * 63 + ".com"
    longest = ".".join(["b" * 63, "c" * 63, "d" * 63, "e" * 61])
    assert len(longest) == 253
    assert names.normalize(longest + ".") == longest


@pytest.mark.parametrize(("raw", "why"), [
    ("", "empty"),
    (".", "empty"),
    ("com", "labels"),
    ("a" * 64 + ".com", "longer than 63"),
    (".".join(["b" * 63, "c" * 63, "d" * 63, "e" * 62]), "253"),
    ("ns1..example.com", "empty label"),
    ("-ns1.example.com", "may only hold"),
    ("ns1-.example.com", "may only hold"),
    ("ns_1.example.com", "may only hold"),
    ("ns 1.example.com", "may only hold"),
    ("ns1\n.example.com", "may only hold"),
    ("ns1.example.com\n.org", "may only hold"),
    ("*.example.com", "may only hold"),
    ("ns1.exampl\u212a.com", "non-ASCII"),
    ("ns1.bücher.de", "non-ASCII"),
])
def test_normalize_refuses_bad_host_names(raw: str, why: str) -> None:
    with pytest.raises(names.NameError_) as caught:
        names.normalize(raw, min_labels=2)
    assert why in str(caught.value)
    assert repr(raw) in str(caught.value) or repr(raw.lower()) in str(caught.value)


def test_record_names_may_hold_underscore_and_star() -> None:
    assert names.normalize("_DMARC.example.com", hostname=False) == "_dmarc.example.com"
    assert names.normalize("*.example.com", hostname=False) == "*.example.com"
    with pytest.raises(names.NameError_):
        names.normalize("a b.example.com", hostname=False)


def test_root_only_where_allowed() -> None:
    assert names.normalize(".", min_labels=0) == ""
    with pytest.raises(names.NameError_):
        names.normalize(".")


def test_normalize_refuses_non_strings() -> None:
    with pytest.raises(names.NameError_, match="int"):
        names.normalize(5)  # type: ignore[arg-type]


@given(HOSTNAME, st.booleans())
def test_normalize_is_idempotent_and_case_blind(name: str, dot: bool) -> None:
    shouted = name.upper() + ("." if dot else "")
    once = names.normalize(shouted, min_labels=2)
    assert once == name
    assert names.normalize(once, min_labels=2) == once


def test_parents_walk_up_to_the_root() -> None:
    assert list(names.parents("ns1.sub.example.com")) == [
        "ns1.sub.example.com", "sub.example.com", "example.com", "com", ""]
    assert list(names.parents("")) == [""]


def test_is_subdomain_matches_whole_labels() -> None:
    assert names.is_subdomain("sub.example.com", "example.com")
    assert names.is_subdomain("example.com", "example.com")
    assert names.is_subdomain("example.com", "")
    assert not names.is_subdomain("notexample.com", "example.com")
    assert not names.is_subdomain("example.com", "sub.example.com")


def test_parent_and_fqdn() -> None:
    assert names.parent("sub.example.com") == "example.com"
    assert names.parent("com") == ""
    assert names.fqdn("example.com") == "example.com."
    assert names.fqdn("") == "."


def test_glue_kind_follows_rfc_9471() -> None:
    assert names.glue_kind("ns1.example.com", "example.com", "com") is names.GlueKind.IN_DOMAIN
    assert names.glue_kind("ns1.vanity.com", "example.com", "com") is names.GlueKind.SIBLING
    assert names.glue_kind("ns1.vanity.net", "example.com", "com") is names.GlueKind.UNRELATED


@pytest.fixture()
def registry() -> Registry:
    return build()[0]


@pytest.mark.parametrize("raw", ["ns1", "ns1..example.com", "-x.example.com", "a" * 64 + ".com",
                                 "ns1.example.com\n.org", "ns1.bücher.de", "", "x" * 254 + ".com"])
def test_add_nameserver_refuses_bad_names_with_1006_naming_the_value(registry: Registry, raw: str) -> None:
    error = fails(registry, InvalidName, "add_nameserver", ACME, raw)
    assert error.code == 1006
    assert error.http_status == 400
    assert repr(raw) in error.message


def test_add_nameserver_stores_the_normalised_name(registry: Registry) -> None:
    created = registry.add_nameserver(ACME, "NS1.Vanity.NET.")
    assert created.ns_name == "ns1.vanity.net"
    assert [ns.ns_name for ns in registry.list_nameservers(ACME)] == ["ns1.vanity.net"]


@given(st.from_regex(r"[A-Za-z0-9_*.-]{0,80}", fullmatch=True), st.booleans(), st.integers(0, 3))
def test_whole_name_match_agrees_with_the_label_checks(name: str, hostname: bool, min_labels: int) -> None:
    """The one-regex path for common names gives what the label-by-label checks give."""
    try:
        expected: str | None = names._checked(name, name.strip().lower(), hostname, min_labels)
    except names.NameError_:
        expected = None
    try:
        got: str | None = names.normalize(name, hostname=hostname, min_labels=min_labels)
    except names.NameError_:
        got = None
    assert got == expected

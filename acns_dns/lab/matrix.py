"""The recorded matrix: what each real resolver did on each packaged scenario.

Beside every packaged scenario, ``scenarios/lab/NAME.yaml`` records the question asked, the
documented fix (glue to publish through the API) and, per case (a case may change a TLD's glue
policy, set the world's faults or choose what unheld addresses do), each resolver's outcome:
the rcode, the answer, and the log line that explains a failure, as that resolver printed it.
``compare`` says how a run differs from the record; every resolver log line the project quotes
comes from these files. Imports: scenario, fault_ops, models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from acns_dns.world import fault_ops, scenario
from acns_dns.world.models import World

MATRIX_DIR = scenario.PACKAGED_DIR / "lab"


@dataclass(frozen=True)
class FixStep:
    """One API call of a fix: glue for ``host`` (given addresses, or the assigned ones), or
    ``domain``'s nameservers set back to its zone's Cloudflare-branded pair."""

    registrar: str
    host: str = ""
    domain: str = ""
    ipv4: list[str] | None = None
    ipv6: list[str] | None = None

    def request(self, world: World) -> tuple[str, dict[str, list[str]]]:
        """The API path to PUT and its body."""
        if self.domain:
            zone = next((z for z in world.zones.values() if z.name == self.domain), None)
            if zone is None:
                raise KeyError(f"{self.domain}: no Cloudflare zone of that name")
            return (f"/sim/registrars/{self.registrar}/domains/{self.domain}/nameservers",
                    {"nameservers": list(zone.branded_ns)})
        ipv4, ipv6 = self.addresses(world)
        return f"/sim/registrars/{self.registrar}/glue/{self.host}", {"ipv4": ipv4, "ipv6": ipv6}

    def addresses(self, world: World) -> tuple[list[str], list[str]]:
        """The glue to publish: as written, else the addresses assigned to the ACNS name."""
        if self.ipv4 is not None or self.ipv6 is not None:
            return list(self.ipv4 or []), list(self.ipv6 or [])
        for ns in world.custom_ns:
            if ns.ns_name == self.host:
                return [ns.ipv4], [ns.ipv6]
        raise KeyError(f"{self.host}: no ACNS name of that name, so no assigned addresses")


@dataclass(frozen=True)
class Expect:
    """One resolver's recorded outcome."""

    rcode: str
    answer: list[str] = field(default_factory=list)
    reason: list[str] = field(default_factory=list)  # substrings of its own log lines (naming the zone)
    seconds: float = 0.0  # as measured when recorded (informative, not compared)
    recovery: str = ""  # what --fix measured, in words (informative)
    says: str = ""  # the outcome in a few words, where the log line alone does not say it


@dataclass(frozen=True)
class FaultSetting:
    """One fault a case sets (``fault_ops``): a server, a kind, a delay for ``delay``."""

    server: str
    kind: str
    delay_ms: int | None = None


@dataclass(frozen=True)
class Case:
    """One question on one scenario (optionally with a TLD's glue policy changed, its faults
    replaced — ``faults`` None keeps the scenario's — or its unheld mode chosen)."""

    name: str
    qname: str
    qtype: str
    glue_policy: dict[str, str]
    expect: dict[str, Expect]
    note: str = ""
    faults: list[FaultSetting] | None = None
    unheld: str | None = None

    def apply(self, world: World) -> None:
        """Change ``world`` as the case says (its faults and unheld mode; checked as the API does)."""
        if self.faults is not None:
            fault_ops.clear_faults(world)
            for fault in self.faults:
                fault_ops.set_fault(world, fault.server, fault.kind, fault.delay_ms)
        if self.unheld is not None:
            fault_ops.set_unheld(world, self.unheld)


@dataclass(frozen=True)
class Matrix:
    scenario: str
    cases: list[Case]
    fix: list[FixStep]
    fix_note: str = ""

    def case(self, name: str | None) -> Case:
        """The named case, or the first."""
        if name is None:
            return self.cases[0]
        for case in self.cases:
            if case.name == name:
                return case
        raise KeyError(f"{self.scenario}: no case {name!r} (have {', '.join(c.name for c in self.cases)})")


def path_for(name: str) -> Path:
    return MATRIX_DIR / f"{name}.yaml"


def find(name: str) -> Matrix | None:
    """The recorded matrix of a packaged scenario, or None."""
    path = path_for(name)
    return load(path) if "/" not in name and path.exists() else None


def load(path: Path) -> Matrix:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    cases = [Case(c["name"], c["qname"], c.get("qtype", "A"), dict(c.get("glue_policy") or {}),
                  {kind: _expect(e) for kind, e in (c.get("expect") or {}).items()}, c.get("note", ""),
                  None if c.get("faults") is None else [FaultSetting(**f) for f in c["faults"]],
                  c.get("unheld"))
             for c in data["cases"]]
    fix = [FixStep(**step) for step in data.get("fix") or []]
    return Matrix(path.stem, cases, fix, data.get("fix_note", ""))


def _expect(data: dict[str, Any]) -> Expect:
    reason = data.get("reason", [])
    return Expect(**{**data, "reason": [reason] if isinstance(reason, str) else list(reason)})


def all_matrices() -> list[Matrix]:
    return [load(path) for path in sorted(MATRIX_DIR.glob("*.yaml"))]


def compare(expect: Expect, row: dict[str, Any]) -> list[str]:
    """How a run's row differs from the recorded outcome (empty: it matches)."""
    problems = []
    if row.get("rcode") != expect.rcode:
        problems.append(f"rcode {row.get('rcode')} (recorded {expect.rcode})")
    if expect.answer and sorted(row.get("answer") or []) != sorted(expect.answer):
        problems.append(f"answer {row.get('answer')} (recorded {expect.answer})")
    lines = [row.get("reason", ""), *row.get("log", [])]
    for wanted in expect.reason:
        if not any(wanted in line for line in lines):
            problems.append(f"no log line with {wanted!r} (its reason: {row.get('reason')!r})")
    return problems

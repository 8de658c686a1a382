"""The world ``scripts/bench-scale`` serves: many zones, written out in the scenario format.

``scale_world(zones)`` declares, for every 50 zones, one account with two ACNS names in set 1
(``ns1``/``ns2.acct<N>.com``), its zones on that set each with a ``www`` A record, and each
zone's domain registered at one external registrar delegating to the account's names, with
glue for them under the account's first domain (in-domain there, sibling glue for the rest).
The file is JSON, which is YAML's flow style (``acns-dns serve --scenario`` reads it like any
scenario); ``yaml_text`` gives the same world in block-style YAML, to time the YAML reader.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

PER_ACCOUNT = 50
REGISTRAR = "scale-registrar"


def account_domain(account: int) -> str:
    """The account's first domain: its ACNS names live below it."""
    return f"acct{account}.com"


def zone_name(account: int, index: int) -> str:
    """Zone ``index`` (0-49) of ``account``."""
    return account_domain(account) if index == 0 else f"d{account}-{index}.com"


def token(account: int) -> str:
    """The API token of ``account``."""
    return f"scale-token-{account}"


def account_id(account: int) -> str:
    """The id of ``account`` (32 hex digits, as Cloudflare's)."""
    return f"{account:032x}"


def scale_world(zones: int, names_per_account: int = 2) -> dict[str, Any]:
    """The scenario data of a world of ``zones`` zones (a multiple of 50)."""
    accounts, domains = [], []
    for account in range(zones // PER_ACCOUNT):
        base = account_domain(account)
        ns = [f"ns{i}.{base}" for i in range(1, names_per_account + 1)]
        account_zones = []
        for index in range(PER_ACCOUNT):
            name = zone_name(account, index)
            account_zones.append({"name": name, "nameservers": {"type": "custom.account", "ns_set": 1},
                                  "records": [{"name": "www", "type": "A",
                                               "content": f"192.0.2.{index % 250 + 1}"}]})
            domain: dict[str, Any] = {"name": name, "registrar": REGISTRAR, "nameservers": ns}
            if index == 0:
                domain["glue"] = [{"host": host} for host in ns]  # the addresses Cloudflare assigned
            domains.append(domain)
        accounts.append({"id": account_id(account), "name": f"Scale account {account}",
                         "tokens": [token(account)],
                         "custom_nameservers": [{"ns_name": host, "ns_set": 1} for host in ns],
                         "zones": account_zones})
    return {"description": f"A world of {zones:,} zones in {len(accounts):,} accounts (scripts/bench-scale).",
            "tlds": [{"name": "com"}, {"name": "net"}],
            "registrars": [{"id": REGISTRAR, "name": "Scale Registrar", "kind": "external"}],
            "accounts": accounts, "domains": domains}


def write(path: Path, data: dict[str, Any]) -> Path:
    """Write the world as JSON (YAML flow style)."""
    path.write_text(json.dumps(data, separators=(",", ":")))
    return path


def yaml_text(data: dict[str, Any]) -> str:
    """The same world as block-style YAML."""
    return yaml.safe_dump(data, sort_keys=False, width=200)

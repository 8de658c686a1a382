"""Configurations for NSD, Knot DNS and BIND: one instance per server group of an export.

Each configuration makes one instance listen on exactly its group's addresses and serve its
group's zones, either from the exported zone files alone (a snapshot) or as a secondary of a
running acns-dns (``primary_port``): every zone is transferred from the group's first address
on that port (AXFR/IXFR, RFC 5936 / RFC 1995) and refreshed on NOTIFY (RFC 1996). NOTIFY is
accepted from any address: it only makes the secondary ask the one primary it is configured
with (RFC 1996 §3.11), so it cannot bring in other data. Nothing is written back to the zone
files, so they stay the export's. Settings common to all three: no rate limiting, no
recursion, version and identity hidden (acns-dns refuses class CH), state under ``DIR/run``.
Imports: names (the groups come from ``export``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from acns_dns.world import names

if TYPE_CHECKING:
    from acns_dns.dns.export import Group

FORMATS = ("nsd", "knot", "bind")
RCVBUF = 4 * 1024 * 1024  # as acns-dns: bursts of queries are not dropped (spec benchmarking)
COMMANDS = {  # how the launcher starts one instance in the foreground
    "nsd": ('nsd="${NSD:-nsd}"', '"$nsd" -d -c "$conf"'),
    "knot": ('knotd="${KNOTD:-knotd}"', '"$knotd" -c "$conf"'),
    "bind": ('named="${NAMED:-named}"', '"$named" -g -c "$conf"'),
}


def nsd_conf(group: Group, directory: Path, port: int, ipv6: bool = True,
             primary_port: int | None = None) -> str:
    """The nsd.conf that serves ``group``'s zones on its addresses, writing only under ``directory``.

    Settings from spec/benchmarking.md: RRL off (Debian enables it: a loopback benchmark would
    measure the limiter), one server process, minimal responses (additional data only where
    needed, like acns-dns), no database and no zone file writes.
    """
    run = directory / "run"
    server = [f"ip-address: {address}" for address in group.addresses] + [
        f"port: {port}",
        f"do-ip6: {'yes' if ipv6 else 'no'}",
        "ip-freebind: yes",  # IPv6 addresses this host lacks bind anyway; acns-dns skips them
        "server-count: 1",
        'username: ""',  # no privilege drop: the files under DIR belong to whoever exported
        'chroot: ""',
        f'zonesdir: "{directory / "zones"}"',
        'database: ""',
        "zonefiles-write: 0",
        f'zonelistfile: "{run / group.name}.zonelist"',
        f'xfrdfile: "{run / group.name}.xfrd.state"',
        f'xfrdir: "{run}"',
        f'pidfile: "{run / group.name}.pid"',
        f'logfile: "{run / group.name}.log"',
        "verbosity: 0",
        "rrl-ratelimit: 0",
        "rrl-whitelist-ratelimit: 0",
        "minimal-responses: yes",
        "refuse-any: no",
        "hide-version: yes",  # acns-dns serves class IN only: CH version.bind is REFUSED
        "hide-identity: yes",
        f"receive-buffer-size: {RCVBUF}",
    ]
    secondary = []
    if primary_port is not None:
        secondary = [f"\trequest-xfr: {group.addresses[0]}@{primary_port} NOKEY",
                     "\tallow-notify: 0.0.0.0/0 NOKEY", "\tallow-notify: ::/0 NOKEY"]
    zones = ["\n".join([f'zone:\n\tname: "{names.fqdn(apex)}"', f'\tzonefile: "{group.zone_path(apex)}"',
                        *secondary]) for apex in sorted(group.zones)]
    body = "\n".join(f"\t{line}" for line in server)
    return "\n".join([_header(group, primary_port, "#"), f"server:\n{body}",
                      "remote-control:\n\tcontrol-enable: no", *zones]) + "\n"


def knot_conf(group: Group, directory: Path, port: int, ipv6: bool = True,
              primary_port: int | None = None) -> str:
    """The knot.conf that serves ``group``'s zones on its addresses (Knot DNS 3.x)."""
    state = directory / "run" / f"knot-{group.name}"
    listen = ", ".join(f'"{address}@{port}"' for address in group.addresses if ipv6 or ":" not in address)
    lines = [_header(group, primary_port, "#"),
             "server:",
             f'    rundir: "{state}"',
             f'    pidfile: "{state}/knot.pid"',
             f"    listen: [ {listen} ]",
             "    udp-workers: 1",
             "    tcp-workers: 1",
             "    background-workers: 1",
             '    identity: ""',
             '    version: ""',
             "    udp-max-payload: 1232",  # as acns-dns (RFC 9471 §3.1, DNS Flag Day 2020)
             "database:",
             f'    storage: "{state}"',
             "log:",
             f'  - target: "{directory / "run" / group.name}.knot.log"',
             "    any: info"]
    template = ["template:",
                "  - id: default",
                f'    storage: "{directory / "zones"}"',
                "    semantic-checks: off",  # the export holds what acns-dns serves, faults included
                "    zonefile-sync: -1",  # never write the export's zone files
                "    zonefile-load: whole",
                "    journal-content: none"]
    if primary_port is not None:
        lines += ["remote:",
                  "  - id: acns-dns",
                  f'    address: "{group.addresses[0]}@{primary_port}"',
                  "acl:",
                  "  - id: notify-from-acns-dns",
                  '    address: [ "0.0.0.0/0", "::/0" ]',
                  "    action: notify"]
        template += ["    master: acns-dns", "    acl: notify-from-acns-dns"]
    lines += template + ["zone:"]
    lines += [f'  - domain: "{names.fqdn(apex)}"\n    file: "{group.zone_path(apex)}"'
              for apex in sorted(group.zones)]
    return "\n".join(lines) + "\n"


def bind_conf(group: Group, directory: Path, port: int, ipv6: bool = True,
              primary_port: int | None = None) -> str:
    """The named.conf that serves ``group``'s zones on its addresses (BIND 9.16+)."""
    state = directory / "run" / f"bind-{group.name}"
    v4 = " ".join(f"{address};" for address in group.addresses if ":" not in address) or "none;"
    v6 = " ".join(f"{address};" for address in group.addresses if ":" in address) if ipv6 else ""
    lines = [_header(group, primary_port, "//"),
             "options {",
             f'    directory "{state}";',
             f'    pid-file "{state}/named.pid";',
             f'    session-keyfile "{state}/session.key";',
             f'    managed-keys-directory "{state}";',
             f"    listen-on port {port} {{ {v4} }};",
             f"    listen-on-v6 port {port} {{ {v6 or 'none;'} }};",
             "    recursion no;",
             "    allow-transfer { none; };",
             "    notify no;",
             "    minimal-responses yes;",
             "    dnssec-validation no;",
             "    version none;",
             "    hostname none;",
             "    server-id none;",
             "    edns-udp-size 1232;",
             "    max-udp-size 1232;",
             "};",
             "controls { };",
             'logging { channel out { stderr; severity info; }; category default { out; }; };']
    for apex in sorted(group.zones):
        zone_file = directory / "zones" / group.zone_path(apex)
        name = names.fqdn(apex)
        if primary_port is None:
            lines.append(f'zone "{name}" {{ type primary; file "{zone_file}"; check-names ignore; }};')
            continue
        lines.append(f'zone "{name}" {{ type secondary; '
                     f'primaries port {primary_port} {{ {group.addresses[0]}; }}; '
                     f'file "{state}/{apex or "root"}.db"; masterfile-format text; '
                     "allow-notify { any; }; check-names ignore; };")
    return "\n".join(lines) + "\n"


CONFS = {"nsd": nsd_conf, "knot": knot_conf, "bind": bind_conf}


def _header(group: Group, primary_port: int | None, comment: str) -> str:
    zones = ", ".join(names.fqdn(apex) for apex in sorted(group.zones))
    how = (f"secondary of acns-dns at {group.addresses[0]} port {primary_port}" if primary_port is not None
           else "from the exported zone files")
    return f"{comment} {group.label}: {zones}\n{comment} {how}"


def launcher_text(fmt: str, confs: list[str], port: int) -> str:
    """A bash script that runs one instance per group in the foreground and stops them all."""
    variable, command = COMMANDS[fmt]
    listed = " ".join(f'"$here/{conf}"' for conf in confs)
    override = variable.split("=")[0].upper()
    return f"""#!/usr/bin/env bash
# Serve the exported world with {fmt}: one instance per server group, all on port {port}.
# Stops every instance when one exits or on Ctrl-C / SIGTERM. {override}=/path/to/binary to override.
set -u
here="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
PATH="$PATH:/usr/sbin:/sbin"  # where Debian installs {fmt}'s daemon: not on a user's PATH
{variable}
pids=()
stop() {{ for pid in "${{pids[@]}}"; do kill "$pid" 2>/dev/null; done; wait; }}
trap stop EXIT
trap 'exit 130' INT TERM
for conf in {listed}; do
    {command} & pids+=("$!")
done
echo "{fmt} serving {len(confs)} server groups on port {port}" >&2
wait -n
"""

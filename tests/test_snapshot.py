"""Snapshots: atomic writes, faithful round trips, clear errors for damaged or foreign files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from acns_dns.world import scenario, snapshot
from acns_dns.world.errors import SnapshotError
from acns_dns.world.registry import Registry


def test_save_then_load_gives_the_same_world(tmp_path: Path) -> None:
    world = scenario.load("default")
    path = snapshot.save(world, tmp_path / "world.json")
    assert snapshot.load(path) == world
    assert not [p for p in tmp_path.iterdir() if p.name != "world.json"]  # no temp file left


def test_a_changed_world_survives_the_round_trip(tmp_path: Path) -> None:
    registry = Registry(scenario.load("default"))
    account = next(iter(registry.world.accounts))
    registry.add_nameserver(account, "ns3.example.com", 2)
    snapshot.save(registry.world, tmp_path / "w.json")
    assert snapshot.load(tmp_path / "w.json") == registry.world


def test_failed_write_keeps_the_previous_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "world.json"
    snapshot.save(scenario.load("default"), path)
    before = path.read_bytes()

    def crash(fd: int) -> None:
        raise OSError("disk went away")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError):
        snapshot.save(scenario.load("missing-glue"), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["world.json"]


@pytest.mark.parametrize(("content", "detail"), [
    ('{"format": "acns-dns/world/1", "accounts": ', "damaged JSON"),
    ('{"format": "something-else"}', "not an acns-dns snapshot"),
    ("[1, 2, 3]", "not an acns-dns snapshot"),
    ('{"format": "acns-dns/world/1", "zones": {"x": {"id": 5}}}', "damaged snapshot: zones.x"),
])
def test_damaged_or_foreign_files_are_refused_clearly(tmp_path: Path, content: str, detail: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(SnapshotError) as caught:
        snapshot.load(path)
    assert str(path) in caught.value.message and detail in caught.value.message


def test_truncated_snapshot_is_refused(tmp_path: Path) -> None:
    text = snapshot.dumps(scenario.load("default"))
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(SnapshotError):
        snapshot.load(path)
    assert json.loads(text)["format"] == "acns-dns/world/1"

"""The package's layers import one way: world <- dns <- api <- lab <- cli."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "acns_dns"
LAYERS = ("world", "dns", "api", "lab", "cli")
LOOSE_LIMIT = 8


def imported_layers(path: Path) -> set[tuple[int, str]]:
    """Every (line, layer) that a module imports, function-level imports included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[tuple[int, str]] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "acns_dns" and len(parts) > 1 and parts[1] in LAYERS:
                found.add((node.lineno, parts[1]))
    return found


def upward_imports() -> list[str]:
    problems = []
    for layer in LAYERS:
        rank = LAYERS.index(layer)
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            for line, target in sorted(imported_layers(path)):
                if LAYERS.index(target) > rank:
                    where = path.relative_to(PACKAGE.parent)
                    problems.append(f"{where}:{line}: {layer} imports {target}")
    return problems


def test_every_layer_is_a_folder() -> None:
    for layer in LAYERS:
        assert (PACKAGE / layer / "__init__.py").is_file(), layer


def test_imports_point_one_way() -> None:
    assert upward_imports() == []


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from acns_dns.cli import main\n", encoding="utf-8")
    assert imported_layers(module) == {(2, "cli")}


def test_package_root_stays_small() -> None:
    loose = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert len(loose) <= LOOSE_LIMIT, loose


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_docstring_says_what_it_owns(layer: str) -> None:
    tree = ast.parse((PACKAGE / layer / "__init__.py").read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), layer

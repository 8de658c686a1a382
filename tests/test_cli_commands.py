"""Each command is found in the module that registers it, so running it imports only that one."""

from __future__ import annotations

import argparse
import importlib

import pytest

cli = importlib.import_module("acns_dns.cli.main")  # the module (the package exports its main())


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(sub.choices)


def test_every_command_is_mapped_to_the_module_that_registers_it() -> None:
    assert _commands(cli.build_parser()) == set(cli.MODULE_OF)
    for command, module in cli.MODULE_OF.items():
        assert command in _commands(cli.build_parser((module,))), (command, module)


def test_a_command_runs_with_its_module_alone_and_help_lists_them_all(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["scenarios"]) == 0
    assert "missing-glue" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    for command in cli.MODULE_OF:
        assert command in out

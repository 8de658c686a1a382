"""The code blocks of one README.md section, so tests run them exactly as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def blocks(section: str, language: str) -> list[str]:
    """The ```language blocks under ``## section``, in order."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    body = text[start:] if end == -1 else text[start:end]
    return re.findall(rf"```{language}\n(.*?)```", body, re.S)


def resolver_test() -> tuple[str, str, list[str]]:
    """The ten-line resolver test of "In resolver tests": its file name, its text, and the
    pytest command line the README runs it with."""
    section = "In resolver tests"
    name = re.search(r"`(test_\w+\.py)`:\n", README.read_text(encoding="utf-8"))
    assert name is not None, "README: the resolver test's file name is not given"
    command = next(line for line in blocks(section, "sh")[0].splitlines() if line.startswith("pytest "))
    return name.group(1), blocks(section, "python")[0], command.split()[1:]

"""The code blocks of README.md, so tests run them exactly as written.

``blocks`` gives one section's blocks of one language; ``snippets`` gives every fenced block
with the heading it sits under; ``commands`` cuts a shell block into the commands a reader
pastes one at a time (a command may span lines: a backslash, an open quote, a ``for`` loop).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
FENCE = re.compile(r"^```(\S*)\s*$")
HEADING = re.compile(r"^(#{2,3}) (.+?)\s*$")


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
    return name.group(1), blocks(section, "python")[0], without_comment(command).split()[1:]


@dataclass(frozen=True)
class Snippet:
    """One fenced block: its language ("" for a plain block, shown output), its text, the
    ``##``/``###`` heading it sits under, the text between that heading and the block, and the
    README line its text starts on."""

    language: str
    text: str
    heading: str
    prose: str
    line: int


def snippets(text: str | None = None) -> list[Snippet]:
    """Every fenced block of the README (or of ``text``), in order."""
    lines = (README.read_text(encoding="utf-8") if text is None else text).splitlines()
    found: list[Snippet] = []
    heading, prose = "", list[str]()
    index = 0
    while index < len(lines):
        fence = FENCE.match(lines[index])
        title = HEADING.match(lines[index])
        if fence is None:
            if title is not None:
                heading, prose = title.group(2), []
            else:
                prose.append(lines[index])
            index += 1
            continue
        end = next((n for n in range(index + 1, len(lines)) if lines[n].rstrip() == "```"), None)
        assert end is not None, f"README.md line {index + 1}: a code block is never closed"
        body = "\n".join(lines[index + 1:end]) + "\n"
        found.append(Snippet(fence.group(1), body, heading, "\n".join(prose), index + 2))
        prose.append(body)
        index = end + 1
    return found


def _complete(text: str) -> bool:
    """True when bash can parse ``text`` as it stands (no open quote, loop or continuation)."""
    if text.rstrip("\n").endswith("\\"):
        return False
    done = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True, timeout=10)
    return done.returncode == 0


def commands(block: str) -> list[str]:
    """The commands of a shell block as a reader pastes them, in order: lines joined while
    bash would wait for more (continuation, open quote, unfinished loop); blank lines and
    comment-only lines dropped."""
    found: list[str] = []
    pending: list[str] = []
    for line in block.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending.append(line)
        if _complete("\n".join(pending) + "\n"):
            found.append("\n".join(pending))
            pending = []
    assert not pending, f"README: an unfinished shell command: {pending}"
    return found


def without_comment(command: str) -> str:
    """A command with its ``# comments`` gone and its spaces collapsed: how tests name it (a
    ``#`` inside quotes, or inside a word, stays)."""
    kept: list[str] = []
    quote = ""
    for line in command.splitlines():
        for position, char in enumerate(line):
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char == "#" and (position == 0 or line[position - 1].isspace()):
                break
            kept.append(char)
        kept.append("\n")
    return " ".join("".join(kept).replace("\\\n", " ").split())


def transcript(block: str) -> tuple[str, list[str]] | None:
    """A block shown as a terminal session (``$ command`` then what it prints): the command
    and the lines shown for its output; None for a block of commands."""
    first, *shown = block.rstrip("\n").splitlines()
    if not first.startswith("$ "):
        return None
    return first[2:], shown

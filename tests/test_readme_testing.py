"""README's "In resolver tests" section: its snippets run as written.

The ten-line pytest test runs from a separate project against a non-editable install in
``test_wheel.py``; here, the ``running_world`` snippet runs in this process, and the test is
held to its promise of about ten lines.
"""

from __future__ import annotations

from readme_snippets import blocks, resolver_test


def test_the_resolver_test_takes_about_ten_lines() -> None:
    name, text, command = resolver_test()
    code = [line for line in text.splitlines() if line.strip()]
    assert len(code) <= 11, text
    assert name in command and "--acns-netns" in command and command[:2] == ["-n", "4"]


def test_the_running_world_snippet_runs_as_written() -> None:
    snippet = blocks("In resolver tests", "python")[1]
    assert "running_world" in snippet
    exec(compile(snippet, "README.md", "exec"), {})

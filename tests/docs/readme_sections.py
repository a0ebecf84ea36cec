"""What the README-example tests share: a section of the README, its fenced blocks, and the
`sweep` CLI run in-process with its stdout captured."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from serverless_sweep.entrypoints.cli import main

ROOT = Path(__file__).resolve().parents[2]


def readme_section(title: str) -> str:
    """The README from the heading `title` to the next level-2 heading."""
    text = (ROOT / "README.md").read_text()
    start = text.index(title)
    return text[start : text.index("\n## ", start + 1)]


def fenced_blocks(text: str, kind: str) -> list[str]:
    """The fenced blocks of `text` whose info string is `kind` ("" for plain fences)."""
    out: list[str] = []
    current: list[str] | None = None
    info = ""
    for line in text.splitlines(keepends=True):
        if line.startswith("```") and current is None:
            current, info = [], line[3:].strip()
        elif line.startswith("```"):
            if info == kind:
                out.append("".join(current or []))
            current = None
        elif current is not None:
            current.append(line)
    return out


def run_sweep(*argv: str) -> tuple[int, str]:
    """`sweep ARGV...` in this process: (exit code, what it printed on stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(argv))
    return code, out.getvalue()

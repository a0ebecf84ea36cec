"""The `sweep` command. Each subcommand lives in its own module under `entrypoints/commands/`.

`sweep run` from the command line gets a head start (issue 13): before the CLI is imported
(its modules, the parser, the entry-point scan of the model plug-ins: about 0.1-0.2 s), the
words are read for the two options that decide the workers' fork server (`--start-method`,
`--model`), and the server is started (`_preload_server.start_fork_server`), so its preload of
the child's stack runs on another core from the command's first milliseconds. Only plain,
unabbreviated spellings are read; anything else (an abbreviation, `--help`, another command)
gets no head start, and `sweep run` then starts the server after parsing as usual. A head start
from words the parser later rejects costs only the server's CPU: it exits with this process.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

_SERVER_OPTIONS = ("--start-method", "--model")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `sweep` command (`argv`, default: this process's command line); its status."""
    if argv is None:
        head_start(sys.argv[1:])
    from serverless_sweep.entrypoints.cli import main as run_command

    return run_command(argv)


def server_options(words: Sequence[str]) -> dict[str, str | None] | None:
    """The fork-server options of a `sweep run` command line (`{"--start-method": ...,
    "--model": ...}`, None where absent), or None when these words get no head start: not
    `run`, help asked, or an option spelled in a way this reading does not follow."""
    if not words or words[0] != "run":
        return None
    found: dict[str, str | None] = dict.fromkeys(_SERVER_OPTIONS)
    rest = list(words[1:])
    while rest:
        word = rest.pop(0)
        if word == "--":
            break
        if word in ("-h", "--help"):
            return None
        name, equals, value = word.partition("=")
        if name in _SERVER_OPTIONS:
            if not equals:
                if not rest:
                    return None
                value = rest.pop(0)
            found[name] = value
        elif len(name) > 2 and any(o.startswith(name) for o in _SERVER_OPTIONS):
            return None  # an abbreviation (argparse allows them): leave it to the parser
    return found


def head_start(words: Sequence[str]) -> bool:
    """Start the fork server of `sweep run` now, when `words` say how (see the module docs)."""
    options = server_options(words)
    if options is None:
        return False
    try:
        from serverless_sweep.adapters.local._preload_server import start_fork_server

        return start_fork_server(options["--model"], options["--start-method"])
    except Exception:  # only a head start: `sweep run` starts the server again and reports
        return False

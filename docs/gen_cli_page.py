"""mkdocs-gen-files script: the CLI reference page (``reference/cli.md``), generated from the CLI.

Every command and sub-command of ``orbitcert`` is asked for its ``--help`` through typer's test
runner, at a fixed width and without colour, so the page shows exactly what the installed
command prints and never goes out of date.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import mkdocs_gen_files
import typer.main
from typer.testing import CliRunner

from orbitcert.conformance.cli import app

PROG = "orbitcert"
WIDTH = 100


def commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of ``command`` and of every command below it, in the order ``--help`` lists them.

    (typer ships its own copy of click, so groups are recognised by their ``commands`` mapping.)
    """
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        if not getattr(sub, "hidden", False):
            yield from commands(sub, (*path, name))


def help_text(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(
        app,
        [*path, "--help"],
        env={"COLUMNS": str(WIDTH), "NO_COLOR": "1", "TERM": "dumb"},
        prog_name=PROG,
        terminal_width=WIDTH,
    )
    if result.exit_code != 0:
        raise RuntimeError(f"`{PROG} {' '.join(path)} --help` exited {result.exit_code}: {result.output}")
    return result.output.rstrip()


out = [
    "# Command-line reference",
    "",
    "Generated from the `orbitcert` command itself when the site is built (`docs/gen_cli_page.py`):",
    "each section is the output of `--help` for one command.",
    "",
    "Exit codes, for every command: 0 success (certified, clean, verified); 1 a negative result",
    "(not certified, lint findings, a failed verification, a regression); 2 bad input (an unreadable",
    "or invalid file, an unknown spec, an unimportable factory, a product lacking an operation),",
    "printed as one message naming the file, line and field, never a traceback. `orbitcert certify`",
    "exits 3 when the run was interrupted (the report it writes is marked incomplete).",
    "",
]
for path in commands(typer.main.get_command(app)):
    title = " ".join((PROG, *path))
    out += [f"## `{title}`", "", "```text", help_text(path), "```", ""]

with mkdocs_gen_files.open("reference/cli.md", "w") as fh:
    fh.write("\n".join(out))

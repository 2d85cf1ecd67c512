"""The ``orbitcert`` command line (typer + rich): one module per command group, each a thin layer
over library calls (docs/reference/cli.md).

Exit codes everywhere: 0 success / certified / clean; 1 not certified / lint findings / verify
failed / regression; 2 bad input (unreadable or invalid file, unknown spec, unimportable factory,
a product lacking an operation). Bad input never produces a Python traceback: every
:class:`~orbitcert.specs.errors.OrbitcertError` is printed as one message naming the file, line
and field.
"""

from __future__ import annotations

import sys

from orbitcert.specs.errors import OrbitcertError

from . import adapter, certify, ics, keys, report, serve, specs
from . import campaign, golden
from ._common import app, err, say_error

__all__ = ["app", "main"]

app.add_typer(specs.app, name="specs")
app.add_typer(ics.app, name="ics")
app.add_typer(report.app, name="report")
app.add_typer(campaign.app, name="campaign")
app.add_typer(golden.app, name="golden")
certify.register(app)
keys.register(app)
serve.register(app)
adapter.register(app)


def main() -> None:
    """Console-script entry point: typed errors become one line on stderr and their exit status."""
    try:
        app(prog_name="orbitcert")
    except OrbitcertError as exc:
        say_error(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)

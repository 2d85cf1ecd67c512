"""``orbitcert report``: verify and compare certification reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import CatalogOpt, console, say

app = typer.Typer(help="Verify and compare certification reports.", no_args_is_help=True, rich_markup_mode=None)


@app.command("verify")
def report_verify(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The report's JSON file.")],
    public_key: Annotated[
        Optional[Path], typer.Option("--public-key", metavar="PATH", help="Trusted Ed25519 public key (PEM).")
    ] = None,
    catalog_dirs: CatalogOpt = None,
) -> None:
    """Check a report offline: schema, signature, spec digest against the catalog, verdict roll-up.
    Exit 0 verified, 1 a check failed, 2 unreadable input.

    Example: orbitcert report verify reports/net-optical-isl-1.0.0.json --public-key vendor.pem.pub
    """
    from ..verify import verify_report

    problems, notes = verify_report(path, public_key, catalog_dirs or [])
    for n in notes:
        say(f"ok: {n}")
    for p in problems:
        say(f"FAIL: {p}")
    raise typer.Exit(1 if problems else 0)


@app.command("diff")
def report_diff(
    baseline: Annotated[Path, typer.Argument(metavar="BASELINE", help="The accepted report (e.g. from main).")],
    current: Annotated[Path, typer.Argument(metavar="CURRENT", help="The report of the change under review.")],
) -> None:
    """CI regression gate: exit 1 when a requirement verdict got worse or a class lost certification.

    Example: orbitcert report diff baseline/net-optical-isl-1.0.0.json reports/net-optical-isl-1.0.0.json
    """
    from ..diff import diff_reports
    from ..writers import load_report

    result = diff_reports(load_report(baseline), load_report(current))
    for line in result.regressions:
        say(f"REGRESSION {line}")
    for line in result.improvements:
        say(f"improved {line}")
    for line in result.changes:
        say(f"changed {line}")
    console.print(
        f"{len(result.regressions)} regression(s), {len(result.improvements)} improvement(s), "
        f"{len(result.changes)} other change(s)",
        markup=False,
    )
    raise typer.Exit(1 if result.regressions else 0)

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
    since: Annotated[
        Optional[Path],
        typer.Option("--since", metavar="REPORT", help="For a delta report: the report its verdicts were carried from."),
    ] = None,
    catalog_dirs: CatalogOpt = None,
) -> None:
    """Check a report offline: schema, signature, spec digest against the catalog, verdict roll-up
    (and, with --since, a delta report's carried verdicts against the report they came from).
    Exit 0 verified, 1 a check failed, 2 unreadable input.

    Example: orbitcert report verify reports/net-optical-isl-1.0.0.json --public-key vendor.pem.pub
    """
    from ..verify import verify_report

    problems, notes = verify_report(path, public_key, catalog_dirs or [], since)
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


@app.command("recheck")
def report_recheck(
    path: Annotated[Path, typer.Argument(metavar="REPORT", help="The earlier report's JSON file.")],
    to: Annotated[str, typer.Option("--to", metavar="REF", help="The new spec version, ID@VERSION.")],
    ics: Annotated[
        Optional[Path],
        typer.Option("--ics", metavar="PATH", help="The product's ICS for the new version (default: the report's, or the reference's)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="table or json.")] = "table",
    catalog_dirs: CatalogOpt = None,
) -> None:
    """Which requirements of the new version need testing again (new, changed, or whose tests
    changed) and which verdicts carry over from REPORT; `certify --spec REF --since REPORT` runs
    exactly that. Exit 0, or 2 when REPORT does not verify or the input is bad.

    Example: orbitcert report recheck reports/sec-link-security-1.0.0.json --to sec-link-security@1.1.0
    """
    import json

    from orbitcert.specs.errors import OptionError
    from rich.table import Table

    from ..delta import load_since, plan_recheck, recheck_target
    from ..options import RunOptions
    from ..run import identity_before_run, selected_tests

    if fmt not in ("table", "json"):
        raise OptionError(f"unknown format {fmt!r}; choose from table, json", field="format")
    since = load_since(path, catalog_dirs or [])
    old = since.report
    target = recheck_target(since, to, ics, catalog_dirs or [])
    options = RunOptions.create(catalogs=catalog_dirs or [])
    selected = selected_tests(target, options)
    plan = plan_recheck(
        old, since.spec, target.loaded, target.ics, selected, target.suite,
        identity=identity_before_run(target), examples=old.thoroughness.examples, timeout=old.thoroughness.timeout,
        origin=target.suite_origin, call_timeout=old.thoroughness.call_timeout,
    )
    req_ids = [r.id for r in target.loaded.spec.requirements]
    if fmt == "json":
        typer.echo(json.dumps(plan.to_json(selected, req_ids), indent=2))
        raise typer.Exit(0)
    for reason in plan.global_reasons:
        say(f"every test runs again: {reason}")
    table = Table("requirement", "re-test?", title=f"{plan.old} -> {plan.new}")
    for rid, what in plan.requirements(selected, req_ids).items():
        table.add_row(rid, what)
    console.print(table, markup=False)
    say(
        f"{len(plan.run)} of {len(selected)} test(s) to run, {len(plan.carried)} verdict(s) carried over, "
        f"{len(plan.dropped)} old test(s) no longer selected; run: orbitcert certify --spec {plan.new} --since {path}"
    )


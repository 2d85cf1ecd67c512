"""``orbitcert report diff``: the CI regression gate between two signed reports."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from orbitcert.specs.safetext import printable

from ._common import CatalogOpt, err, say, say_warning

if TYPE_CHECKING:
    from ..diff import ReportDiff
    from ..report import Report
    from ..signing import Keyring

__all__ = ["register"]

FORMATS = ("table", "md", "json")


def _verified(label: str, path: Path, keyrings: list[Keyring], catalogs: list[Path], enforce_trust: bool) -> Report:
    """The report at ``path`` after ``verify_report``; :class:`ReportError` (exit 2) naming the first
    failed check when it is not intact, or, with ``enforce_trust``, when no keyring trusts its signer."""
    from orbitcert.specs.errors import ReportError

    from ..verify import CERTIFICATION_CHECKS, verify_report

    v = verify_report(path, keyrings=keyrings, catalogs=catalogs)
    if not v.intact or v.report is None:
        broken = [c for c in v.failed if c.name not in CERTIFICATION_CHECKS]
        first = v.first_problem(CERTIFICATION_CHECKS) or "a check was skipped"
        more = f" (and {len(broken) - 1} more failed check(s))" if len(broken) > 1 else ""
        raise ReportError(f"{label} {path} does not verify: {first}{more}")
    if enforce_trust and not v.trusted:
        vendor = v.signatures[0].describe() if v.signatures else "no signature"
        raise ReportError(f"{label} {path} is not signed by a trusted key: {vendor}")
    if not v.trusted:
        vendor = v.signatures[0].describe() if v.signatures else "no signature"
        err.print(
            printable(f"note: {label} {path}: {vendor} (give --trusted-keys to require a trusted signer)"),
            markup=False, highlight=False, emoji=False,
        )
    return v.report


def register(app: typer.Typer) -> None:
    """Add the ``diff`` command to the ``report`` app."""

    @app.command("diff")
    def report_diff(
        baseline: Annotated[Path, typer.Argument(metavar="OLD", help="The accepted report (e.g. from main).")],
        current: Annotated[Path, typer.Argument(metavar="NEW", help="The report of the change under review.")],
        known_failing: Annotated[
            Optional[Path],
            typer.Option(
                "--known-failing", metavar="FILE",
                help="Requirement ids or test node-id patterns (one a line, # comments) whose regressions are "
                "tolerated; an entry that passes now fails the run as stale.",
            ),
        ] = None,
        fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="table, md or json.")] = "table",
        trusted_keys: Annotated[
            Optional[list[Path]],
            typer.Option(
                "--trusted-keys", metavar="DIR",
                help="Keyring of trusted public keys (repeatable; also ORBITCERT_TRUSTED_KEYS): both reports "
                "must then be signed by a trusted key.",
            ),
        ] = None,
        catalog_dirs: CatalogOpt = None,
    ) -> None:
        """CI regression gate: verify both reports, then list requirements that got worse or better,
        appeared or disappeared, classes lost or gained, thoroughness and decision changes. Exit 0
        no regression; 1 a regression (or a stale --known-failing entry); 2 an input that does not
        verify (tampered, unsigned, forged verdicts; with --trusted-keys an untrusted signer) or
        other bad input.

        Example: orbitcert report diff main/net-optical-isl-1.0.0.json reports/net-optical-isl-1.0.0.json --format md
        """
        from orbitcert.specs.errors import OptionError

        from ..diff import diff_json, diff_markdown, diff_reports
        from ..known_failing import load_known_failing
        from ..signing import load_keyrings

        if fmt not in FORMATS:
            raise OptionError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}", field="format")
        known = load_known_failing(known_failing) if known_failing is not None else None
        keyrings = load_keyrings(trusted_keys or [])
        catalogs = list(catalog_dirs or [])
        old = _verified("OLD", baseline, keyrings, catalogs, enforce_trust=bool(keyrings))
        new = _verified("NEW", current, keyrings, catalogs, enforce_trust=bool(keyrings))
        result = diff_reports(old, new, known)
        for s in result.unmatched:
            say_warning(f"{known_failing}:{s.entry.line}: known-failing entry {s.entry.value} matches nothing: {s.detail}")
        if fmt == "json":
            typer.echo(diff_json(result))
        elif fmt == "md":
            typer.echo(diff_markdown(result), nl=False)
        else:
            _print_table(result)
        raise typer.Exit(result.exit_code)


def _print_table(result: ReportDiff) -> None:
    """One line per finding, worst first, then test changes grouped by requirement and a count."""
    from ..diff import group_tests

    for f in result.of("regression"):
        if f.tolerated:
            say(f"known failing  {f.text} [{', '.join(f.known_failing)}]")
        else:
            say(f"REGRESSION     {f.text}")
    for s in result.stale:
        say(f"STALE          known-failing line {s.entry.line} {s.entry.value}: {s.detail}")
    for f in result.of("improvement"):
        say(f"improved       {f.text}")
    for f in result.of("change"):
        say(f"changed        {f.text}")
    for g in group_tests(result.tests):
        who = ", ".join(g.requirements) or "no requirement"
        parts = "; ".join(f"{n} x {b} -> {a}" + (f": {m}" if m else "") for b, a, m, n in g.kinds)
        say(f"tests          {g.count} test(s) of {who} changed: {parts}")
    before = result.decision_before.value if result.decision_before else "?"
    after = result.decision_after.value if result.decision_after else "?"
    say(
        f"{len(result.regressions)} regression(s), {len(result.tolerated)} known failing, {len(result.stale)} stale, "
        f"{len(result.improvements)} improvement(s), {len(result.changes)} other change(s); decision {before} -> {after}"
    )

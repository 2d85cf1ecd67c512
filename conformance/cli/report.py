"""``orbitcert report``: verify, countersign, render, bundle, compare and re-check certification reports."""

from __future__ import annotations

from pathlib import Path
import json
from typing import Annotated, Any, Optional

import typer

from ._common import CatalogOpt, TrustedKeysOpt, console, say

SinceOpt = Annotated[
    Optional[list[Path]],
    typer.Option(
        "--since", metavar="REPORT",
        help="For a delta report (certify --since): the report its verdicts were carried from; repeat for the "
        "report before that one when it is a delta report too.",
    ),
]

app = typer.Typer(help="Verify, countersign, render, bundle, compare and re-check certification reports.", no_args_is_help=True, rich_markup_mode=None)


@app.command("verify")
def report_verify(
    path: Annotated[Path, typer.Argument(metavar="REPORT", help="The report's JSON file, or a submission bundle (.zip).")],
    trusted_keys: TrustedKeysOpt = None,
    since: SinceOpt = None,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="table or json.")] = "table",
    catalog_dirs: CatalogOpt = None,
) -> None:
    """Check a report offline, as numbered checks: canonical JSON, schema, signatures, trust,
    spec, suite, ICS, coverage, verdicts, thoroughness, delta (docs/concepts/trust.md).

    Exit codes: 0 verified (every check passed and the vendor's key is in a trusted keyring);
    1 a check failed; 2 unreadable input; 3 intact, but signed by a key no given keyring
    trusts: never a verified certification.

    Example: orbitcert report verify reports/net-optical-isl-1.1.0.json --trusted-keys keys/vendors --trusted-keys keys/body
    """
    from ..signing import load_keyrings

    keyrings = load_keyrings(trusted_keys or [])
    checked, bundle_lines = _verify_path(path, keyrings, catalog_dirs or [], since)
    if fmt == "json":
        typer.echo(json.dumps(_verification_json(checked, bundle_lines), indent=2))
        raise typer.Exit(checked.exit_code if all(ok for _, ok, _ in bundle_lines) else 1)
    if fmt != "table":
        from orbitcert.specs.errors import OptionError

        raise OptionError(f"unknown format {fmt!r}; choose from table, json", field="format")
    bundle_ok = all(ok for _, ok, _ in bundle_lines)
    if bundle_lines:
        say(f" 0 bundle        {'pass' if bundle_ok else 'FAIL'}")
        for name, ok, message in bundle_lines:
            say(f"                  {'ok' if ok else 'FAIL'}: {name}: {message}")
    for c in checked.checks:
        status = {"pass": "pass", "fail": "FAIL", "skip": "skip"}[c.status]
        say(f"{c.number:>2} {c.name:<13} {status:<4}  {c.title}")
        for m in c.messages:
            say(f"                  {m}")
    code = checked.exit_code if bundle_ok else 1
    if code == 0:
        r = checked.report
        assert r is not None
        say(
            f"VERIFIED: {path} is intact and signed by a trusted key: {r.decision.value} for "
            f"{r.spec.id}@{r.spec.version}, claimed classes {', '.join(r.ics.classes) or '(none)'}"
            + (f"; not claimed: {', '.join(sorted(r.ics.not_claimed))}" if r.ics.not_claimed else "")
        )
    elif code == 3:
        say(f"NOT VERIFIED: {path} is intact, but no given keyring trusts its signer (exit 3)")
    else:
        failed = [f"{c.number} {c.name}" for c in checked.failed if c.name != "trust"] or ["bundle"]
        say(f"NOT VERIFIED: check(s) failed: {', '.join(failed)}")
    raise typer.Exit(code)


def _verify_path(
    path: Path, keyrings: list[Any], catalogs: list[Path], since: list[Path] | None
) -> tuple[Any, list[tuple[str, bool, str]]]:
    """``verify_report`` of a report file, or of the report inside a submission bundle (the
    bundle's own checks first). The spec comes from the verifier's catalogs, never from the
    bundle: a bundle could otherwise bring a version of its own making; the bundle's check only
    says its spec file is the one the report binds."""
    import tempfile

    from ..bundle import is_bundle, open_bundle
    from ..verify import verify_report

    if not is_bundle(path):
        return verify_report(path, keyrings=keyrings, catalogs=catalogs, since=since), []
    with tempfile.TemporaryDirectory(prefix="orbitcert-bundle-") as tmp:
        bundle = open_bundle(path, Path(tmp))
        checked = verify_report(bundle.report, keyrings=keyrings, catalogs=catalogs, since=since)
        checked.path = path
        return checked, list(bundle.checks)


def _verification_json(checked: Any, bundle_lines: list[tuple[str, bool, str]]) -> dict[str, Any]:
    return {
        "report": str(checked.path),
        "exit_code": checked.exit_code,
        "intact": checked.intact,
        "trusted": checked.trusted,
        "bundle": [{"check": n, "ok": ok, "message": m} for n, ok, m in bundle_lines],
        "checks": [
            {"number": c.number, "name": c.name, "title": c.title, "status": c.status, "messages": c.messages}
            for c in checked.checks
        ],
        "signatures": [
            {
                "role": t.role, "key_id": t.key_id, "signer": t.signer, "signed_at": t.signed_at, "ephemeral": t.ephemeral,
                "valid": t.valid, "problem": t.problem, "trusted_by": list(t.trusted_by),
            }
            for t in checked.signatures
        ],
    }


@app.command("countersign")
def report_countersign(
    path: Annotated[Path, typer.Argument(metavar="REPORT", help="The vendor's signed report (JSON).")],
    key: Annotated[Path, typer.Option("--key", metavar="PATH", help="The standards body's Ed25519 private key (PEM).")],
    trusted_keys: TrustedKeysOpt = None,
    signer: Annotated[str, typer.Option("--signer", metavar="NAME", help="The body's name, written into the signature.")] = "",
    out: Annotated[
        Optional[Path], typer.Option("-o", "--out", metavar="PATH", help="Where to write the countersigned report (default: REPORT, replaced atomically).")
    ] = None,
    since: SinceOpt = None,
    catalog_dirs: CatalogOpt = None,
) -> None:
    """A standards body's acceptance of a vendor's self-certification: verify REPORT (every check,
    and the vendor's key must be in one of the body's --trusted-keys keyrings), then add the
    body's signature, which covers the report and the vendor's signature.

    Exit 0 countersigned; 1 the report does not verify (nothing is written); 2 bad input; 3 the
    vendor's key is not in a given keyring (nothing is written).

    Example: orbitcert report countersign reports/net-optical-isl-1.1.0.json --key body.pem --trusted-keys keys/vendors
    """
    from orbitcert.specs.fsutil import atomic_write

    from ..signing import load_keyrings, load_private_key, sign_report
    from ..verify import verify_report
    from ..writers import report_json

    body_key = load_private_key(key)
    checked = verify_report(path, keyrings=load_keyrings(trusted_keys or []), catalogs=catalog_dirs or [], since=since)
    if checked.exit_code != 0:
        problem = checked.first_problem(ignore=())
        say(f"not countersigned: {path} does not verify: {problem}")
        raise typer.Exit(checked.exit_code)
    assert checked.report is not None
    signed = sign_report(checked.report, body_key, role="countersignature", signer=signer)
    target = out or path
    atomic_write(target, report_json(signed))
    n = len(signed.signatures)
    say(f"countersigned: {target} now carries {n} signatures; check with: orbitcert report verify {target} --trusted-keys DIR")


@app.command("render")
def report_render(
    path: Annotated[Path, typer.Argument(metavar="REPORT", help="The report's JSON file.")],
    out: Annotated[Optional[Path], typer.Option("-o", "--out", metavar="DIR", help="Directory (default: the report's).")] = None,
    formats: Annotated[
        str, typer.Option("--format", metavar="LIST", help="Comma-separated: html,junit,md,oscal.")
    ] = "html,junit,md",
    trusted_keys: TrustedKeysOpt = None,
    catalog_dirs: CatalogOpt = None,
) -> None:
    """Write the HTML, JUnit, Markdown or OSCAL renderings of a report again (after a
    countersignature, or to show trust in other keyrings). The report must be intact.

    Example: orbitcert report render reports/net-optical-isl-1.1.0.json --format html,oscal --trusted-keys keys/body
    """
    from orbitcert.specs.errors import OptionError

    from ..options import FORMATS
    from ..signing import load_keyrings
    from ..verify import CERTIFICATION_CHECKS, verify_report
    from ..writers import write_renderings

    chosen = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS or f == "json"]
    if unknown or not chosen:
        raise OptionError(f"unknown format(s) {', '.join(unknown) or '(none)'}; choose from html, junit, md, oscal", field="format")
    keyrings = load_keyrings(trusted_keys or [])
    checked = verify_report(path, keyrings=keyrings, catalogs=catalog_dirs or [])
    if not checked.intact:
        say(f"not rendered: {path} does not verify: {checked.first_problem(CERTIFICATION_CHECKS)}")
        raise typer.Exit(1)
    assert checked.report is not None
    from orbitcert.specs.loader import Catalog

    r = checked.report
    loaded = Catalog.discover(catalog_dirs or []).load(f"{r.spec.id}@{r.spec.version}")
    for p in write_renderings(r, out or path.parent, chosen, keyrings=keyrings, spec=loaded):
        say(f"wrote {p}")


@app.command("bundle")
def report_bundle(
    path: Annotated[Path, typer.Argument(metavar="REPORT", help="The signed report (JSON).")],
    out: Annotated[Path, typer.Option("-o", "--out", metavar="PATH", help="The bundle to write (.zip).")],
    log: Annotated[
        Optional[Path], typer.Option("--log", metavar="PATH", help="The run's log (default: the .log beside the report).")
    ] = None,
    extra: Annotated[
        Optional[list[Path]], typer.Option("--extra", metavar="PATH", help="Another file to include (repeatable).")
    ] = None,
    catalog_dirs: CatalogOpt = None,
) -> None:
    """Pack a submission: the signed report, its ICS, the spec file, the suite's digests, the run's
    log and a manifest of sha256 hashes, in one zip archive that `report verify` accepts.
    The report must be intact.

    Example: orbitcert report bundle reports/net-optical-isl-1.1.0.json -o acme-oisl-1.1.0.zip
    """
    from ..bundle import make_bundle
    from ..verify import CERTIFICATION_CHECKS, verify_report

    checked = verify_report(path, catalogs=catalog_dirs or [])
    if not checked.intact:
        say(f"not bundled: {path} does not verify: {checked.first_problem(CERTIFICATION_CHECKS)}")
        raise typer.Exit(1)
    written = make_bundle(path, out, log=log, extra=extra or [], catalogs=catalog_dirs or [])
    say(f"wrote {written}")


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
    from orbitcert.specs.errors import OptionError
    from rich.table import Table

    from ..delta import load_since, plan_recheck, recheck_target
    from ..options import RunOptions
    from ..run import identity_before_run, selected_tests

    if fmt not in ("table", "json"):
        raise OptionError(f"unknown format {fmt!r}; choose from table, json", field="format")
    since = load_since(path, catalog_dirs or [], require_trust=False)
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


def _register_diff() -> None:
    from .report_diff import register

    register(app)


_register_diff()

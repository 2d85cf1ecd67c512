"""The ``orbitcert`` command line (typer + rich).

Exit codes everywhere: 0 success / certified / clean, 1 not certified / lint findings / verify
failed, 2 bad input (unreadable or invalid file, unknown spec, unimportable factory). Bad input
never produces a Python traceback: every :class:`~orbitcert.specs.errors.OrbitcertError` is printed
as one message naming the file, line and field.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orbitcert.specs.loader import SUITES_FOLDER, Catalog, load_spec_document, load_spec_file
from orbitcert.specs.errors import OrbitcertError
from orbitcert.specs.ics import ics_template, validate_ics_document
from orbitcert.specs.lint import Finding, lint_spec, schema_findings
from orbitcert.specs.yamlio import load_yaml_file

from .fsutil import atomic_write

app = typer.Typer(
    name="orbitcert",
    help="Certify space-computing products against machine-readable standards.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
specs_app = typer.Typer(help="List, show, lint, freeze and export specs.", no_args_is_help=True)
ics_app = typer.Typer(help="Implementation conformance statements: template and validate.", no_args_is_help=True)
report_app = typer.Typer(help="Verify and compare certification reports.", no_args_is_help=True)
app.add_typer(specs_app, name="specs")
app.add_typer(ics_app, name="ics")
app.add_typer(report_app, name="report")

MAX_TIMEOUT = 86_400.0
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

CatalogOpt = Annotated[
    Optional[list[Path]], typer.Option("--catalog", help="Extra catalog directory (repeatable; also ORBITCERT_CATALOG).")
]


def _catalog(extra: list[Path] | None) -> Catalog:
    return Catalog.discover(extra or [])


# --- specs ------------------------------------------------------------------------------------


@specs_app.command("list")
def specs_list(catalog: CatalogOpt = None) -> None:
    """Every spec version in the catalog: id, version, status, title, digest prefix."""
    cat = _catalog(catalog)
    table = Table("id", "version", "status", "title", "digest")
    for loaded in cat.all_loaded():
        s = loaded.spec
        table.add_row(s.id, s.version, s.status.value, s.title, loaded.digest[7:19])
    console.print(table)


@specs_app.command("show")
def specs_show(ref: Annotated[str, typer.Argument(help="ID@VERSION or ID@latest")], catalog: CatalogOpt = None) -> None:
    """Classes and the requirements table of one spec version."""
    loaded = _catalog(catalog).load(ref)
    s = loaded.spec
    console.print(f"[bold]{s.ref}[/bold] ({s.status.value}) {s.title}\ndigest {loaded.digest}")
    classes = Table("class", "kind", "depends on", "title", title="Conformance classes")
    for c in s.classes:
        classes.add_row(c.id, c.kind, ", ".join(c.depends_on) or "-", c.title)
    console.print(classes)
    reqs = Table(title="Requirements")
    for name in ("id", "level", "class"):
        reqs.add_column(name, no_wrap=True)
    for name in ("verification", "applies if", "clause", "text"):
        reqs.add_column(name)
    for r in s.requirements:
        reqs.add_row(r.id, r.level.value, r.class_, r.verification.value, r.applies_if or "", r.clause or "", r.text)
    console.print(reqs)


@specs_app.command("lint")
def specs_lint(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Spec files (default: the whole catalog).")] = None,
    catalog: CatalogOpt = None,
    no_suite: Annotated[bool, typer.Option("--no-suite", help="Skip traceability against the suite.")] = False,
) -> None:
    """Schema, consistency and traceability findings. Exit 0 clean, 1 findings, 2 unreadable input."""
    from .session import suite_dir
    from .traceability import traceability_findings

    findings: list[Finding] = []
    if paths:
        files = list(paths)
    else:
        cat = _catalog(catalog)
        files = list(cat.entries.values())
        findings += [
            Finding(str(f), None, "OC110", "not found as a spec: a catalog file must be <spec-id>/<semver>.yaml")
            for f in cat.misplaced
        ]
    for f in files:
        doc = load_yaml_file(f)  # unreadable / malformed YAML -> exit 2
        schema = schema_findings(doc)
        if schema:
            findings += schema
            continue
        loaded = load_spec_document(doc)
        findings += lint_spec(loaded)
        if not no_suite:
            try:
                suite = suite_dir(loaded.spec.id, [Path(c) / SUITES_FOLDER for c in catalog or []])
            except OrbitcertError:
                findings.append(Finding(str(f), None, "OC204", f"no conformance suite for {loaded.spec.id}"))
                continue
            # The file's own catalog root, so a spec outside the configured catalogs can be linted.
            roots = [str(c) for c in catalog or []] + [str(Path(f).resolve().parent.parent)]
            findings += traceability_findings(loaded, suite, roots)
    for finding in findings:
        console.print(str(finding), markup=False, highlight=False)
    console.print(f"{len(files)} file(s), {len(findings)} finding(s)", style="bold red" if findings else "bold green")
    raise typer.Exit(1 if findings else 0)


@specs_app.command("freeze")
def specs_freeze(path: Path) -> None:
    """Record the content digest of a spec file (before publishing it). Rewrites only the digest line."""
    loaded = load_spec_file(path)
    text = path.read_text(encoding="utf-8")
    line = f"digest: {loaded.digest}"
    lines = text.splitlines()
    idx = [i for i, ln in enumerate(lines) if ln.startswith("digest:")]
    if idx:
        lines[idx[0]] = line
    else:
        at = next((i for i, ln in enumerate(lines) if ln.startswith("status:")), 0)
        lines.insert(at + 1, line)
    atomic_write(path, "\n".join(lines) + "\n")
    console.print(f"{path}: {line}")


@specs_app.command("schema")
def specs_schema(
    out: Annotated[Optional[Path], typer.Option(help="Directory (default: the package's specs/schema).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if the committed files differ.")] = False,
) -> None:
    """Write (or check) the JSON Schemas generated from the models: spec, ICS, report."""
    from .schemas import generated_schemas, schema_dir

    target = out or schema_dir()
    stale = []
    for name, text in generated_schemas().items():
        p = target / name
        current = p.read_text(encoding="utf-8") if p.exists() else None
        if current != text:
            stale.append(name)
            if not check:
                atomic_write(p, text)
    verb = "differ" if check else "written"
    console.print(f"{', '.join(stale) or 'no schema'} {verb}")
    raise typer.Exit(1 if (check and stale) else 0)


# --- ics --------------------------------------------------------------------------------------


@ics_app.command("template")
def ics_template_cmd(
    ref: Annotated[str, typer.Argument(help="ID@VERSION")],
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Write here instead of stdout.")] = None,
    catalog: CatalogOpt = None,
) -> None:
    """A YAML proforma with every ICS item, its status, allowed values and the requirements it gates."""
    text = ics_template(_catalog(catalog).load(ref).spec)
    if output:
        atomic_write(output, text)
        err.print(f"wrote {output}")
    else:
        sys.stdout.write(text)


@ics_app.command("validate")
def ics_validate(
    path: Path,
    spec_ref: Annotated[Optional[str], typer.Option("--spec", help="Spec (default: the one the ICS names).")] = None,
    catalog: CatalogOpt = None,
) -> None:
    """Validate a filled ICS against its spec (exit 2 naming the offending item)."""
    doc = load_yaml_file(path)
    ref = spec_ref or (doc.data.get("spec") if isinstance(doc.data, dict) else None)
    if not isinstance(ref, str):
        raise OrbitcertError("the ICS names no spec; give --spec ID@VERSION", path=path, line=1, field="spec")
    loaded = _catalog(catalog).load(ref)
    ics = validate_ics_document(doc, loaded.spec)
    console.print(f"{path}: valid ICS for {loaded.spec.ref}; claims {', '.join(ics.classes)}")


# --- certify ----------------------------------------------------------------------------------


class _Progress:
    """pytest plugin feeding a rich progress bar (works in the xdist controller too)."""

    def __init__(self, progress: Progress, task: Any) -> None:
        self.progress, self.task = progress, task

    def pytest_collection_finish(self, session: Any) -> None:
        if session.items:
            self.progress.update(self.task, total=len(session.items))

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.progress.update(self.task, total=len(ids))

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "teardown":
            self.progress.advance(self.task)


def _import_from_cwd() -> None:
    """Make modules in the current directory importable as ``--impl`` factories, here and in
    pytest-xdist workers (like ``python -m`` does)."""
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (cwd, os.environ.get("PYTHONPATH", "")) if p)


def _default_refs(catalog: Catalog) -> list[str]:
    from orbitcert.reference_impl import REFERENCES

    refs = []
    for spec_id in catalog.ids():
        if spec_id in REFERENCES:
            refs.append(catalog.load(f"{spec_id}@latest").spec.ref)
    return refs


@app.command()
def certify(
    spec: Annotated[Optional[list[str]], typer.Option("--spec", help="ID@VERSION (repeatable; default: every bundled spec's latest published version).")] = None,
    impl: Annotated[Optional[str], typer.Option("--impl", help="module:factory of the product (default: the reference).")] = None,
    ics: Annotated[Optional[Path], typer.Option("--ics", help="Filled ICS (default: the reference's, or claim everything).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Report directory.")] = Path("reports"),
    workers: Annotated[int, typer.Option("-n", "--workers", help="Parallel pytest-xdist workers (0 = serial).")] = 0,
    sign_key: Annotated[Optional[Path], typer.Option("--sign-key", help="Ed25519 private key (PEM); default: ephemeral.")] = None,
    formats: Annotated[str, typer.Option("--format", help="Comma-separated: json,html,junit,md.")] = "json,html,junit,md",
    examples: Annotated[int, typer.Option("--examples", help="Hypothesis examples per property test.")] = 50,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per test before an error verdict (0 = none).")] = 300.0,
    catalog: CatalogOpt = None,
) -> None:
    """Run the conformance suites against a product and write signed reports."""
    import pytest

    from .report import now_utc
    from .session import CertificationTarget
    from .writers import load_report_json

    _import_from_cwd()
    cat = _catalog(catalog)
    refs = list(spec) if spec else _default_refs(cat)
    if not refs:
        raise OrbitcertError("no spec to certify: give --spec ID@VERSION")
    if len(refs) > 1 and ics is not None:
        raise OrbitcertError("--ics applies to one spec: give exactly one --spec with it")
    targets = [CertificationTarget.resolve(r, impl=impl, ics_path=ics, catalogs=catalog or []) for r in refs]
    from .writers import FORMATS

    chosen = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise OrbitcertError(f"unknown report format(s) {unknown}; choose from {', '.join(FORMATS)}")
    if "json" not in chosen:
        chosen.append("json")  # the signed record is always written; the others are renderings of it
    formats = ",".join(chosen)
    if not 0 <= timeout <= MAX_TIMEOUT:
        raise OrbitcertError(f"--timeout must be between 0 (no limit) and {MAX_TIMEOUT:g} seconds, not {timeout:g}")
    if sign_key is not None:
        from .signing import load_private_key

        load_private_key(sign_key)
    results = []
    for target in targets:
        s = target.loaded.spec
        args = [
            str(target.suite),
            "-p", "no:cacheprovider",
            "--import-mode=importlib",
            "-q",
            "--orbitcert-spec", s.ref,
            "--orbitcert-impl", target.factory_ref,
            "--orbitcert-report-dir", str(out),
            "--orbitcert-formats", formats,
            "--orbitcert-examples", str(examples),
            "--orbitcert-timeout", str(timeout),
        ]
        if ics is not None:
            args += ["--orbitcert-ics", str(ics)]
        elif target.ics.source and target.is_reference:
            args += ["--orbitcert-ics", target.ics.source]
        for c in catalog or []:
            args += ["--orbitcert-catalog", str(c)]
        if sign_key is not None:
            args += ["--orbitcert-sign-key", str(sign_key)]
        if workers > 0:
            args += ["-n", str(workers)]
        run_started = now_utc()
        log = io.StringIO()
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=False,
        ) as progress:
            task = progress.add_task(s.ref, total=None)
            with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                code = pytest.main(args, plugins=[_Progress(progress, task)])
        log_path = atomic_write(out / f"{s.id}-{s.version}.log", log.getvalue())
        json_path = out / f"{s.id}-{s.version}.json"
        fresh = load_report_json(json_path) if json_path.exists() else None
        if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or fresh is None or fresh.environment.started < run_started:
            raise OrbitcertError(f"the conformance run did not complete (pytest exit {int(code)}); see {log_path}")
        results.append(fresh)
    table = Table("spec", "class", "decision", "pass", "fail", "n/a", "advisories", title="Certification")
    for r in results:
        for cls in r.classes:
            style = {"certified": "green", "not-certified": "red"}.get(cls.decision.value, "dim")
            table.add_row(
                f"{r.spec.id}@{r.spec.version}", cls.id, f"[{style}]{cls.decision.value}[/{style}]",
                str(len(cls.passed)), str(len(cls.failed)), str(len(cls.not_applicable)), ", ".join(cls.advisories) or "-",
            )
    console.print(table)
    for r in results:
        failing = [q.id for q in r.requirements if q.verdict.value in ("fail", "error", "inconclusive")]
        if failing:
            console.print(f"{r.spec.id}@{r.spec.version}: requirements not passed: {', '.join(failing)}")
        console.print(f"{r.spec.id}@{r.spec.version}: [bold]{r.decision.value}[/bold]; report {out / (r.spec.id + '-' + r.spec.version)}.html", soft_wrap=True)
    raise typer.Exit(0 if all(r.decision.value == "certified" for r in results) else 1)


# --- reports ----------------------------------------------------------------------------------


@report_app.command("verify")
def report_verify(
    path: Path,
    public_key: Annotated[Optional[Path], typer.Option("--public-key", help="Trusted Ed25519 public key (PEM).")] = None,
    catalog: CatalogOpt = None,
) -> None:
    """Check a report offline: schema, signature, spec digest against the catalog, verdict roll-up."""
    from .verify import verify_report

    problems, notes = verify_report(path, public_key, catalog or [])
    for n in notes:
        console.print(f"ok: {n}")
    for p in problems:
        console.print(f"[red]FAIL[/red]: {p}")
    raise typer.Exit(1 if problems else 0)


@report_app.command("diff")
def report_diff(
    baseline: Annotated[Path, typer.Argument(help="The accepted report (e.g. from the main branch).")],
    current: Annotated[Path, typer.Argument(help="The report of the change under review.")],
) -> None:
    """CI regression gate: exit 1 when a requirement verdict got worse or a class lost certification."""
    from .diff import diff_reports
    from .writers import load_report_json

    result = diff_reports(load_report_json(baseline), load_report_json(current))
    for line in result.regressions:
        console.print(f"[red]REGRESSION[/red] {escape(line)}")
    for line in result.improvements:
        console.print(f"[green]improved[/green] {escape(line)}")
    for line in result.changes:
        console.print(f"changed {escape(line)}")
    console.print(f"{len(result.regressions)} regression(s), {len(result.improvements)} improvement(s), {len(result.changes)} other change(s)")
    raise typer.Exit(1 if result.regressions else 0)


@app.command()
def keygen(
    private: Annotated[Path, typer.Argument(help="Where to write the private key (PEM, mode 0600).")],
    public: Annotated[Optional[Path], typer.Option("--public", help="Public key file (default: PRIVATE.pub).")] = None,
) -> None:
    """Create an Ed25519 key pair for signing reports."""
    from .signing import generate_key, private_key_pem, public_key_pem

    if private.exists():
        raise OrbitcertError("refusing to overwrite an existing key", path=private)
    key = generate_key()
    atomic_write(private, private_key_pem(key))
    os.chmod(private, 0o600)
    pub = public or private.with_name(private.name + ".pub")
    atomic_write(pub, public_key_pem(key.public_key()))
    console.print(f"wrote {private} and {pub}")


def main() -> None:
    """Console-script entry point: typed errors become one line on stderr and exit status 2."""
    try:
        app()
    except OrbitcertError as exc:
        err.print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":  # python -m orbitcert.conformance.cli
    main()

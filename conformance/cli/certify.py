"""``orbitcert certify``: run conformance suites against a product and write signed reports."""

from __future__ import annotations

from pathlib import Path
from collections.abc import Callable
from typing import Annotated, Any, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orbitcert.specs.errors import OptionError
from orbitcert.specs.ics import ics_spec_ref
from orbitcert.specs.loader import Catalog

from ._common import CatalogOpt, TrustedKeysOpt, catalog, console, say, say_warning

HELP = """Run the conformance suites against a product and write signed reports.

With no --spec, the spec the --ics names; with neither, every bundled spec's latest published
version (of the reference; a product must name its spec when the catalog holds more than one).
With no --impl, --impl-cmd or --impl-connect, the reference implementation is the product. A --impl factory runs
in a process of its own behind the product protocol, unless --no-isolate. Reports land in --out as SPEC-VERSION.json (signed),
.html, .junit.xml and .md, with the run's .log.

Exit codes: 0 every claimed class certified (with --waivers: possibly certified with waivers); 1 not certified; 2 bad input (unknown spec,
unimportable factory, invalid ICS, a product lacking an operation); 3 interrupted (the report
written is marked incomplete and never certifies).

Example: orbitcert certify --spec net-optical-isl@1.0.0 --impl acme_adapter:create --ics ics.yaml -n 2
"""


def _progress_bar(progress: Progress, task: Any) -> Callable[[str, Any], None]:
    """Feeds a rich progress bar from the run's events."""

    def update(event: str, data: Any) -> None:
        if event == "selected":
            progress.update(task, total=data)
        elif event == "result":
            progress.advance(task)

    return update


def default_refs(cat: Catalog) -> list[str]:
    """The latest published version of every spec that has a reference implementation."""
    from orbitcert.reference_impl import REFERENCES

    return [cat.load(f"{spec_id}@latest").spec.ref for spec_id in cat.ids() if spec_id in REFERENCES]


def certify(
    spec: Annotated[
        Optional[list[str]],
        typer.Option("--spec", metavar="REF", help="ID@VERSION (repeatable; default: every bundled spec's latest)."),
    ] = None,
    impl: Annotated[
        Optional[str], typer.Option("--impl", metavar="MODULE:FACTORY", help="The product's factory (default: the reference).")
    ] = None,
    impl_cmd: Annotated[
        Optional[str],
        typer.Option("--impl-cmd", metavar="COMMAND", help="Start the product as this command (JSON-lines product protocol)."),
    ] = None,
    impl_connect: Annotated[
        Optional[str], typer.Option("--impl-connect", metavar="HOST:PORT", help="Reach the product over TCP.")
    ] = None,
    ics: Annotated[
        Optional[Path], typer.Option("--ics", metavar="PATH", help="Filled ICS (default: the reference's, or claim everything).")
    ] = None,
    out: Annotated[Path, typer.Option("-o", "--out", metavar="DIR", help="Report directory.")] = Path("reports"),
    workers: Annotated[int, typer.Option("-n", "--workers", metavar="N", help="Parallel pytest-xdist workers (0 = serial).")] = 0,
    sign_key: Annotated[
        Optional[Path],
        typer.Option(
            "--sign-key", metavar="PATH", envvar="ORBITCERT_SIGN_KEY",
            help="Ed25519 private key (PEM, orbitcert keygen) that signs the report; also ORBITCERT_SIGN_KEY. Without it "
            "the report is signed with a one-time key that no keyring can trust.",
        ),
    ] = None,
    signer: Annotated[
        str, typer.Option("--signer", metavar="NAME", help="Who signs, written into the signature (e.g. the vendor's name).")
    ] = "",
    trusted_keys: TrustedKeysOpt = None,
    waivers_file: Annotated[
        Optional[Path],
        typer.Option("--waivers", metavar="PATH", help="Waivers (YAML): requirements accepted as not passing, until a date."),
    ] = None,
    formats: Annotated[
        str, typer.Option("--format", metavar="LIST", help="Comma-separated: json,html,junit,md,oscal (json always).")
    ] = "json,html,junit,md",
    examples: Annotated[int, typer.Option("--examples", metavar="N", help="Hypothesis examples per property test.")] = 50,
    timeout: Annotated[
        float, typer.Option("--timeout", metavar="SECONDS", help="Seconds per test before an error verdict (0 = none).")
    ] = 300.0,
    catalog_dirs: CatalogOpt = None,
    suite: Annotated[
        Optional[Path],
        typer.Option("--suite", metavar="DIR", help="Run this suite instead of the spec's own (the report says so)."),
    ] = None,
    no_isolate: Annotated[
        bool,
        typer.Option("--no-isolate", help="Run a MODULE:FACTORY product inside the test process (debugging only)."),
    ] = False,
    call_timeout: Annotated[
        Optional[float], typer.Option("--call-timeout", metavar="SECONDS", help="Limit of one product call.")
    ] = None,
    max_message: Annotated[
        int, typer.Option("--max-message", metavar="BYTES", help="Longest reply accepted from a product.")
    ] = 16 * 1024 * 1024,
    memory_limit: Annotated[
        int, typer.Option("--memory-limit", metavar="BYTES", help="Address-space limit of an isolated product.")
    ] = 8 * 1024**3,
    since: Annotated[
        Optional[list[Path]],
        typer.Option(
            "--since", metavar="REPORT",
            help="Delta re-certification: run only what changed since this earlier report of the product "
            "(see `orbitcert report recheck`); its other verdicts are carried over and the report says so. "
            "When that report is a delta report too, repeat --since with the report before it.",
        ),
    ] = None,
    allow_draft: Annotated[
        bool,
        typer.Option(
            "--allow-draft",
            help="Test against a draft or candidate spec version; such a report says so and never certifies.",
        ),
    ] = False,
    seed: Annotated[
        str | None,
        typer.Option(
            "--seed", metavar="N",
            help="Seed of the suites' random trials (default: $ORBITCERT_SEED, else drawn fresh). "
            "The report records it: --seed with a report's seed replays that run.",
        ),
    ] = None,
) -> None:
    from ..delta import load_since
    from ..options import RunOptions
    from ..run import run_certification
    from ..session import CertificationTarget, importable_from_cwd
    from ..signing import load_private_key

    waivers = []
    if waivers_file is not None:
        from ..waivers import load_waivers

        waivers = load_waivers(waivers_file)
    options = RunOptions.create(
        out=out, formats=formats, examples=examples, timeout=timeout, workers=workers,
        sign_key=sign_key, signer=signer, trusted_keys=trusted_keys or [], waivers=waivers,
        catalogs=catalog_dirs or [], isolate=not no_isolate, call_timeout=call_timeout,
        max_message=max_message, memory_limit=memory_limit, seed=seed,
    )
    options.keyrings()  # a bad keyring is exit 2 before anything runs
    importable_from_cwd()
    cat = catalog(catalog_dirs)
    product_given = impl is not None or impl_cmd is not None or impl_connect is not None
    if spec:
        refs = list(spec)
    elif ics is not None:
        refs = [ics_spec_ref(ics)]  # the ICS says which spec it answers
    elif product_given and len(cat.ids()) > 1:
        raise OptionError(
            f"which spec does the product implement? give --spec ID@VERSION (or an --ics naming it); the catalog has "
            f"{', '.join(cat.ids())}",
            field="spec",
        )
    else:
        refs = default_refs(cat)
    if not refs:
        raise OptionError("no spec to certify: give --spec ID@VERSION", field="spec")
    if len(refs) > 1 and ics is not None:
        raise OptionError("--ics applies to one spec: give exactly one --spec with it", field="ics")
    if len(refs) > 1 and since:
        raise OptionError("--since applies to one spec: give exactly one --spec with it", field="since")
    if len(refs) > 1 and suite is not None:
        raise OptionError("--suite applies to one spec: give exactly one --spec with it", field="suite")
    targets = [
        CertificationTarget.resolve(
            r, impl=impl, ics_path=ics, catalog=cat, suite=suite, command=impl_cmd, connect=impl_connect,
            allow_draft=allow_draft,
        )
        for r in refs
    ]
    for target in targets:
        if target.warning:
            say_warning(target.warning)
    if sign_key is not None:
        load_private_key(sign_key)
    else:
        say_warning(
            "no --sign-key: the report is signed with a one-time key, so it is tamper-evident but no keyring can "
            "trust it (make a key once with: orbitcert keygen vendor.pem)"
        )
    earlier = None
    if since:
        from ..signing import key_id

        signing = key_id(load_private_key(sign_key).public_key()) if sign_key is not None else None
        earlier = load_since(
            since[0], catalog_dirs or [], keyrings=options.keyrings(), signing_key_id=signing, chain=since[1:]
        )
    reports = []
    for target in targets:
        ref = target.loaded.spec.ref
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=False,
        ) as progress:
            task = progress.add_task(ref, total=None)
            try:
                run = run_certification(target, options, _progress_bar(progress, task), earlier)
            finally:
                progress.stop()
        reports.append(run.report)
        if not run.complete:
            break
    table = Table("spec", "class", "decision", "pass", "fail", "n/a", "advisories", title="Certification")
    for r in reports:
        for cls in r.classes:
            style = {"certified": "green", "certified-with-waivers": "yellow", "not-certified": "red"}.get(cls.decision.value, "dim")
            table.add_row(
                f"{r.spec.id}@{r.spec.version}", cls.id, f"[{style}]{cls.decision.value}[/{style}]",
                str(len(cls.passed)), str(len(cls.failed)), str(len(cls.not_applicable)), ", ".join(cls.advisories) or "-",
            )
    console.print(table)
    for r in reports:
        ref = f"{r.spec.id}@{r.spec.version}"
        failing = [q.id for q in r.not_passed()]
        if failing:
            say(f"{ref}: requirements not passed: {', '.join(failing)}")
        for blocker in r.blockers:
            say(f"{ref}: cannot certify: {blocker}")
        if r.delta is not None:
            say(
                f"{ref}: {len(r.delta.rerun)} test(s) run, {len(r.delta.carried)} verdict(s) carried over from "
                f"{r.delta.since_spec} (report {r.delta.since_report[:19]}...)"
            )
        shown = "html" if "html" in options.formats else "json"
        say(f"{ref}: {r.decision.value}; report {options.out / (r.spec.id + '-' + r.spec.version)}.{shown}")
    if not all(r.complete for r in reports):
        say("interrupted: the report written is marked incomplete")
        raise typer.Exit(3)
    raise typer.Exit(0 if all(r.decision.value in ("certified", "certified-with-waivers") for r in reports) else 1)


def register(app: typer.Typer) -> None:
    app.command("certify", help=HELP)(certify)

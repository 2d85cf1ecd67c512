"""Offline verification of a certification report (``orbitcert report verify``).

Checks, without running anything: the JSON validates against ``report.schema.json``; the Ed25519
signature covers the content (and, with ``--public-key``, was made by the trusted key); the spec
digest equals that of the spec version in the catalog; and the requirement verdicts, class
decisions and overall decision follow from the recorded test outcomes by the verdict rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from jsonschema import Draft202012Validator

from orbitcert.specs.loader import Catalog
from orbitcert.specs.errors import OrbitcertError, SignatureError

from .report import Report
from .schemas import load_schema
from .signing import load_public_key, verify_signature
from .verdicts import certification_blockers, decide_classes, misdeclarations, overall_decision, roll_up_requirements
from .writers import read_report_data, report_from_data


def verify_report(
    path: str | Path,
    public_key: str | Path | None = None,
    catalogs: Sequence[str | Path] = (),
    since: str | Path | None = None,
) -> tuple[list[str], list[str]]:
    """(problems, notes) for the report at ``path``; no problems means it verifies. ``since`` is
    the earlier report a delta report (``certify --since``) carried verdicts from: its file
    digest and every carried test result are checked against it."""
    problems: list[str] = []
    notes: list[str] = []
    raw = read_report_data(path)  # typed errors for unreadable or invalid files
    report: Report = report_from_data(raw, path)
    errors = sorted(Draft202012Validator(load_schema("report.schema.json")).iter_errors(raw), key=lambda e: list(e.path))
    if errors:
        problems += [f"schema: {'.'.join(map(str, e.path))}: {e.message}" for e in errors[:10]]
    else:
        notes.append("matches report.schema.json")
    trusted = load_public_key(public_key) if public_key else None
    try:
        kid = verify_signature(report, trusted)
        notes.append(f"Ed25519 signature valid, key {kid}" + ("" if trusted else " (no trusted key given: integrity only)"))
    except SignatureError as exc:
        problems.append(f"signature: {exc.message}")
    ref = f"{report.spec.id}@{report.spec.version}"
    try:
        loaded = Catalog.discover(catalogs).load(ref)
    except OrbitcertError as exc:
        problems.append(f"spec {ref}: cannot check digest: {exc}")
        return problems, notes
    if loaded.digest != report.spec.digest:
        problems.append(f"spec digest {report.spec.digest[:19]}... differs from the catalog's {loaded.digest[:19]}...")
    else:
        notes.append(f"spec digest matches {ref} in the catalog")
    problems += _status_problems(report.spec.status, loaded.spec.status.value, ref, notes)
    ics = report.ics
    reqs = roll_up_requirements(loaded.spec, ics, report.tests)
    expected = {r.id: r.verdict for r in reqs}
    for r in report.requirements:
        if expected.get(r.id) is not r.verdict:
            problems.append(f"requirement {r.id}: report says {r.verdict.value}, tests give {expected.get(r.id)}")
    wrong = misdeclarations(loaded.spec, report.tests)
    if wrong != report.misdeclared:
        problems.append("misdeclared: the report's findings do not follow from its probe tests")
    classes = decide_classes(loaded.spec, ics, reqs, wrong)
    for c, rc in zip(classes, report.classes, strict=False):
        if c.id != rc.id or c.decision is not rc.decision:
            problems.append(f"class {rc.id}: report says {rc.decision.value}, verdicts give {c.decision.value}")
    blockers = certification_blockers(
        complete=report.complete, selected=report.selected, tests=len(report.tests),
        examples=report.thoroughness.examples, minimum_examples=report.thoroughness.minimum_examples,
        status=report.spec.status,
    )
    if blockers != report.blockers:
        problems.append(f"blockers: report says {report.blockers}, the run's record gives {blockers}")
    decision = overall_decision(classes, blockers)
    if decision is not report.decision:
        problems.append(f"decision: report says {report.decision.value}, classes give {decision.value}")
    if not report.complete:
        problems.append("the run was interrupted: an incomplete report is never a certification")
    if report.delta is not None:
        d = report.delta
        recorded = {t.nodeid for t in report.tests}
        if set(d.carried) | set(d.rerun) != recorded or set(d.carried) & set(d.rerun):
            problems.append("delta: the carried-over and re-run tests do not partition the report's tests")
        notes.append(
            f"{len(d.carried)} verdict(s) carried over from the report {d.since_report[:19]}... of {d.since_spec} "
            f"(not re-run here), {len(d.rerun)} test(s) run"
        )
        if since is not None:
            problems += _carried_problems(report, since)
    elif since is not None:
        problems.append("delta: --since given, but the report carries no verdict over (no 'delta')")
    stat_problems = statistical_problems(report)
    problems += stat_problems
    if any(e.kind in ("binomial", "poisson") for t in report.tests for e in t.evidence) and not stat_problems:
        notes.append("statistical verdicts: every bound recomputes and agrees with its test's verdict")
    if not any(p.startswith(("requirement", "class", "decision", "blockers", "the run", "statistical")) for p in problems):
        notes.append("verdicts, class decisions and decision follow from the test outcomes")
    return problems, notes


def _carried_problems(report: Report, since: str | Path) -> list[str]:
    """A delta report's carried results against the report they came from (given by the user)."""
    from .delta import report_file_digest
    from .writers import load_report

    assert report.delta is not None
    if report_file_digest(since) != report.delta.since_report:
        return [f"delta: {since} is not the report the verdicts were carried from (its digest differs)"]
    old = {t.nodeid: t for t in load_report(since).tests}
    mine = {t.nodeid: t for t in report.tests}
    out = []
    for nodeid in report.delta.carried:
        before = old.get(nodeid)
        if before is None:
            out.append(f"delta: carried test {nodeid} is not in {since}")
        elif before.model_dump(exclude={"requirements"}) != mine[nodeid].model_dump(exclude={"requirements"}):
            out.append(f"delta: carried test {nodeid} differs from its result in {since}")
    return out


def _status_problems(recorded: str, current: str, ref: str, notes: list[str]) -> list[str]:
    """The recorded spec status against the catalog's: a report may not claim a version was
    published when the catalog still has it as a draft or candidate. A version deprecated or
    withdrawn since the run is a note (the report stays what it was, a record of that day)."""
    pre_release = ("draft", "candidate")
    if current in pre_release and recorded not in pre_release:
        return [f"spec status: the report says {ref} is {recorded}, the catalog has it as a {current}"]
    if current in ("deprecated", "withdrawn") and current != recorded:
        notes.append(f"warning: {ref} is {current} since this report was made")
    return []


def statistical_problems(report: Report) -> list[str]:
    """Each statistical verdict recomputed from its counts: the Clopper-Pearson bound (binomial) or
    the Garwood bound and interval (Poisson rate), whether it meets the required fraction or rate, the failures its samples show, and that a failed verdict never
    sits in a passing test (a report edited to turn a failing bound into a pass is caught even
    when re-signed)."""
    from .results import BinomialEvidence, PoissonEvidence, Verdict
    from .statistics import clopper_pearson_upper, poisson_interval, poisson_upper, samples_beyond

    out: list[str] = []
    for t in report.tests:
        for e in t.evidence:
            where = f"statistical: {t.nodeid}"
            if isinstance(e, PoissonEvidence):
                rate_bound = poisson_upper(e.events, e.exposure, e.confidence)
                if abs(rate_bound - e.bound) > 1e-9 * max(1.0, rate_bound):
                    out.append(f"{where}: bound {e.bound} recomputes to {rate_bound}")
                low, high = poisson_interval(e.events, e.exposure, e.confidence)
                if abs(low - e.ci_low) > 1e-9 * max(1.0, low) or abs(high - e.ci_high) > 1e-9 * max(1.0, high):
                    out.append(f"{where}: interval [{e.ci_low}, {e.ci_high}] recomputes to [{low}, {high}]")
                if e.passed != (rate_bound <= e.max_rate):
                    out.append(f"{where}: says {'pass' if e.passed else 'fail'} but the bound {rate_bound:.6g} vs {e.max_rate}")
                if not e.passed and t.verdict is Verdict.passed:
                    out.append(f"{where}: a failed statistical verdict in a passing test")
                continue
            if not isinstance(e, BinomialEvidence):
                continue
            if e.failures > e.trials:
                out.append(f"{where}: {e.failures} failures in {e.trials} trials")
                continue
            bound = clopper_pearson_upper(e.failures, e.trials, e.confidence)
            if abs(bound - e.bound) > 1e-9:
                out.append(f"{where}: bound {e.bound} recomputes to {bound}")
            if e.passed != (bound <= e.max_fraction):
                out.append(f"{where}: says {'pass' if e.passed else 'fail'} but the bound {bound:.6f} vs {e.max_fraction}")
            if e.samples is not None and e.limit is not None and len(e.samples) == e.trials:
                over = samples_beyond(e.samples, e.limit)
                if over != e.failures:
                    out.append(f"{where}: {over} samples exceed the limit but {e.failures} failures are recorded")
            if not e.passed and t.verdict is Verdict.passed:
                out.append(f"{where}: a failed statistical verdict in a passing test")
    return out

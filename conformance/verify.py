"""Offline verification of a certification report (``orbitcert report verify``), as numbered checks.

A report is a promise to a third party, so verification assumes it was written by an attacker.
Each check has a number, a name and a precise message, and runs without the product:

1. ``json``: the file is strict UTF-8 JSON in RFC 8785 canonical form (as orbitcert writes it),
   no duplicate keys, no NaN, integers within 2^53-1. A reader that takes the first of two
   duplicate keys would see another report than the signature covers.
2. ``schema``: it validates against ``report.schema.json`` and the :class:`~.report.Report` model.
3. ``signatures``: every signature verifies over its :func:`~.signing.signed_message`, its key id
   is its key's fingerprint, the vendor's comes first.
4. ``trust``: the vendor's key is in a trusted keyring (``--trusted-keys``, ``ORBITCERT_TRUSTED_KEYS``);
   the key inside the report is never trusted for being there. Countersignatures are listed with
   the keyrings that trust them.
5. ``spec``: spec id, version, title and digest match the catalog; the recorded status is not
   ahead of the catalog's.
6. ``suite``: the report was made with the suite that belongs to that spec (not ``--suite``), and
   its digest and per-file digests match that suite's files; the support digest too when the
   report was made by this orbitcert version.
7. ``ics``: the recorded ICS validates against the spec and is recorded as the ICS loader resolves it.
8. ``coverage``: every test the suite selects is recorded exactly once, no other test is,
   each names the requirements the suite says it verifies, verdicts are test verdicts, and a
   not-applicable verdict is given exactly where the ICS excludes the test (probes aside).
9. ``verdicts``: every requirement verdict, waiver, class decision, summary count, blocker and the
   decision recompute from the recorded tests by the published rules (:mod:`.verdicts`), and every
   statistical bound recomputes.
10. ``thoroughness``: the run was complete, examples at or above the certification minimum the
    spec and harness set (recomputed, not read from the report), derandomized.
11. ``delta``: for a report of ``certify --since``, carried and re-run tests partition its tests
    (and, given the earlier report, every carried result equals it).

Exit codes (:attr:`Verification.exit_code`): 0 every check passed and the vendor's key is trusted;
1 a check failed; 3 the report is intact but its signer is not trusted (never "verified").
Checks 3 onwards need a parsed report; when check 1 or 2 fails, the rest are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator

from orbitcert.specs.digest import canonical_json
from orbitcert.specs.errors import InputFileError, OrbitcertError, ReportError
from orbitcert.specs.fsutil import read_bounded
from orbitcert.specs.loader import Catalog, LoadedSpec

from .report import Report
from .results import RequirementResult, WaiverRecord
from .schemas import load_schema
from .signing import Keyring, SignerTrust, short_id, signature_trust
from .writers import MAX_REPORT_BYTES, parse_report_bytes, report_from_data

__all__ = ["CERTIFICATION_CHECKS", "CHECKS", "Check", "Verification", "statistical_problems", "verify_report"]

#: The checks, in order: (name, title).
CHECKS: tuple[tuple[str, str], ...] = (
    ("json", "canonical JSON, no duplicate keys"),
    ("schema", "report schema"),
    ("signatures", "signatures valid"),
    ("trust", "signer trusted"),
    ("spec", "spec id, version and digest match the catalog"),
    ("suite", "suite digest matches the spec's own suite"),
    ("ics", "ICS valid against the spec"),
    ("coverage", "every selected test present with a verdict"),
    ("verdicts", "verdicts, classes, summary and decision recompute"),
    ("thoroughness", "thoroughness at or above the certification minimum"),
    ("delta", "carried-over verdicts"),
)

#: The checks that say whether a report is a trusted certification rather than whether it is what
#: it says: an honest record of a thin or interrupted run fails only these (:attr:`Verification.intact`).
CERTIFICATION_CHECKS = ("trust", "thoroughness")

#: Verdicts a test may have (``waived`` is a requirement's, given by a waiver; ``none`` is no result).
TEST_VERDICTS = frozenset({"pass", "fail", "inconclusive", "error", "not-applicable"})


@dataclass
class Check:
    """One numbered check of ``report verify`` and what it found."""

    number: int
    name: str
    title: str
    status: Literal["pass", "fail", "skip"] = "pass"
    messages: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.status = "fail"
        self.messages.append(message)
        self.failures.append(message)

    def note(self, message: str) -> None:
        self.messages.append(message)


@dataclass
class Verification:
    """What ``report verify`` found: the checks in order, each signature's trust, the report."""

    path: Path
    checks: list[Check]
    signatures: list[SignerTrust] = field(default_factory=list)
    report: Report | None = None

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def intact(self) -> bool:
        """The report is what it says it is: every check passed except, possibly, trust and
        thoroughness (an honest report of a thin or interrupted run is intact, but no
        certification; ``report diff`` compares such reports)."""
        return all(c.status == "pass" for c in self.checks if c.name not in CERTIFICATION_CHECKS)

    @property
    def trusted(self) -> bool:
        """The vendor's signature is valid and its key is in a trusted keyring."""
        return bool(self.signatures) and self.signatures[0].role == "vendor" and self.signatures[0].trusted

    @property
    def exit_code(self) -> int:
        """0 verified (every check passed, the signer trusted), 1 a check other than trust failed,
        3 every other check passed but the signer is untrusted."""
        if any(c.status != "pass" for c in self.checks if c.name != "trust"):
            return 1
        return 0 if self.trusted else 3

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    @property
    def problems(self) -> list[str]:
        """Every failure as ``name: message`` (trust failures included)."""
        return [f"{c.name}: {m}" for c in self.failed for m in c.failures]

    def first_problem(self, ignore: Collection[str] = ("trust",)) -> str | None:
        """``check N name: message`` of the first failed check not named in ``ignore`` (default:
        any but trust; :data:`CERTIFICATION_CHECKS`: what makes the report not intact)."""
        return next((f"check {c.number} {c.name}: {c.failures[0]}" for c in self.failed if c.name not in ignore), None)


def verify_report(
    path: str | Path,
    *,
    keyrings: Sequence[Keyring] = (),
    catalogs: Sequence[str | Path] = (),
    since: str | Path | Sequence[str | Path] | None = None,
    fail_fast: bool = False,
    collect: bool = True,
) -> Verification:
    """Run every check on the report at ``path`` (module docstring). Raises
    :class:`InputFileError` only when the file cannot be read at all (missing, not a regular file,
    larger than :data:`~.writers.MAX_REPORT_BYTES`); everything about its content is a check.
    ``fail_fast`` skips the checks after the first failure; ``collect=False`` skips collecting the
    suite (check 8 then only checks what needs no collection). ``since``: for a delta report, the
    report its verdicts were carried from, then (when that one is a delta report too) the report
    before it, and so on: each is verified in turn."""
    p = Path(path)
    chain = [] if since is None else [since] if isinstance(since, (str, Path)) else list(since)
    raw = read_bounded(p, MAX_REPORT_BYTES, "report")
    checks = [Check(i + 1, name, title) for i, (name, title) in enumerate(CHECKS)]
    result = Verification(p, checks)
    state = _State(p, raw, keyrings, catalogs, chain, collect, result)
    for c in checks:
        if any(x.status == "fail" for x in checks[: c.number - 1] if x.name in ("json", "schema")) or (
            fail_fast and any(x.status == "fail" for x in checks[: c.number - 1])
        ):
            c.status = "skip"
            c.messages.append("not checked: an earlier check failed")
            continue
        try:
            _RUNNERS[c.name](state, c)
        except OrbitcertError as exc:
            c.fail(exc.message)
        except Exception as exc:  # a report is adversarial input: whatever it makes a check trip on fails it
            c.fail(f"the report cannot be checked: {type(exc).__name__}: {exc}")
    return result


@dataclass
class _State:
    path: Path
    raw: bytes
    keyrings: Sequence[Keyring]
    catalogs: Sequence[str | Path]
    since: list[str | Path]
    collect: bool
    result: Verification
    data: Any = None
    report: Report | None = None
    loaded: LoadedSpec | None = None
    suite: Path | None = None
    ics_ok: bool = False

    def need(self) -> Report:
        assert self.report is not None
        return self.report


def _check_json(s: _State, c: Check) -> None:
    try:
        s.data = parse_report_bytes(s.raw, s.path)
    except InputFileError as exc:
        c.fail(exc.message)
        return
    if canonical_json(s.data) != s.raw:
        canon = canonical_json(s.data)
        at = next((i for i, (a, b) in enumerate(zip(s.raw, canon, strict=False)) if a != b), min(len(s.raw), len(canon)))
        c.fail(
            f"not in RFC 8785 canonical form (first difference at byte {at}): orbitcert writes reports canonically, "
            "so this file was re-serialised or edited"
        )
    else:
        c.note(f"{len(s.raw)} bytes of canonical JSON")


def _check_schema(s: _State, c: Check) -> None:
    errors = sorted(Draft202012Validator(load_schema("report.schema.json")).iter_errors(s.data), key=lambda e: list(e.path))
    for e in errors[:10]:
        c.fail(f"{'.'.join(map(str, e.path)) or '(top level)'}: {e.message[:300]}")
    if len(errors) > 10:
        c.fail(f"... and {len(errors) - 10} more schema errors")
    try:
        s.report = report_from_data(s.data, s.path)
        s.result.report = s.report
    except ReportError as exc:
        c.fail(exc.message)
        return
    from .writers import report_json

    if report_json(s.report) != s.raw:
        c.fail(
            "the file is not byte for byte the report orbitcert writes for this content (a member left out for "
            "its default value, or added): a report's sha256 must identify it"
        )
    env = s.report.environment
    if _time(env.started) > _time(env.finished):
        c.fail(f"the run finished ({env.finished}) before it started ({env.started})")
    if c.status == "pass":
        c.note(f"matches report.schema.json ({s.data.get('format')})")


def _time(text: str) -> datetime:
    """An RFC 3339 time of a report (the schema checked its form) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _check_signatures(s: _State, c: Check) -> None:
    report = s.need()
    s.result.signatures = trust = signature_trust(report, s.keyrings)
    if not trust:
        c.fail("the report is not signed")
        return
    before, what = _time(report.environment.finished), "the run finished"
    for i, sig in enumerate(report.signatures):
        if _time(sig.signed_at) < before:
            c.fail(f"signature {i + 1} is dated {sig.signed_at}, before {what}")
        before, what = _time(sig.signed_at), f"signature {i + 1}"
    for t in trust:
        if t.problem:
            c.fail(t.problem)
        else:
            c.note(f"signature {t.index + 1}: {t.role}{f' ({t.signer})' if t.signer else ''}, key {short_id(t.key_id)}, valid")


def _check_trust(s: _State, c: Check) -> None:
    trust = s.result.signatures
    if not trust:
        c.fail("no signature to trust")
        return
    if not s.keyrings:
        c.note("no keyring given (--trusted-keys DIR or ORBITCERT_TRUSTED_KEYS)")
    for t in trust:
        (c.note if t.trusted or t.index > 0 else c.fail)(t.describe())
    if trust[0].valid and not trust[0].trusted:
        c.note("the report is intact but its signer is not trusted: it is not a verified certification")


def _check_spec(s: _State, c: Check) -> None:
    report = s.need()
    ref = f"{report.spec.id}@{report.spec.version}"
    try:
        s.loaded = loaded = Catalog.discover(s.catalogs).load(ref)
    except OrbitcertError as exc:
        c.fail(f"{ref} is not in the catalog: {exc.message}")
        return
    if (loaded.spec.id, loaded.spec.version) != (report.spec.id, report.spec.version):
        c.fail(f"the report names {ref}, which is not a version but the catalog's {loaded.spec.ref}")
        s.loaded = None
        return
    if loaded.digest != report.spec.digest:
        c.fail(f"spec digest {report.spec.digest[:19]}... differs from the catalog's {loaded.digest[:19]}... for {ref}")
    if loaded.spec.title != report.spec.title:
        c.fail(f"spec title {report.spec.title!r} differs from the catalog's {loaded.spec.title!r}")
    notes: list[str] = []
    for problem in _status_problems(report.spec.status, loaded.spec.status.value, ref, notes):
        c.fail(problem)
    for n in notes:
        c.note(n)
    if c.status == "pass":
        c.note(f"{ref} ({loaded.spec.status.value}), digest {loaded.digest[:19]}... matches")


def _check_suite(s: _State, c: Check) -> None:
    from .delta import suite_file_digests, support_digest
    from .report import orbitcert_version, suite_digest
    from .session import suite_dir

    report = s.need()
    if s.loaded is None:
        c.fail("cannot locate the spec's suite: the spec is not in the catalog")
        return
    folder, origin = suite_dir(s.loaded)
    s.suite = folder
    if report.suite.origin == "override":
        c.fail("the report was made with another suite than the spec's own (--suite): it cannot certify")
        return
    if report.suite.origin != origin:
        c.fail(f"suite origin {report.suite.origin!r}, but the spec's suite is {origin}")
    expected = suite_digest(folder)
    if report.suite.digest != expected:
        c.fail(f"suite digest {report.suite.digest[:19]}... is not that of the suite of {s.loaded.spec.ref} ({expected[:19]}...)")
    files = suite_file_digests(folder)
    changed = sorted(f for f in files.keys() | report.suite.files.keys() if files.get(f) != report.suite.files.get(f))
    if changed:
        c.fail(f"{len(changed)} suite file(s) differ: {', '.join(changed[:5])}{' ...' if len(changed) > 5 else ''}")
    support = support_digest(folder)
    if report.suite.support != support:
        if report.environment.orbitcert == orbitcert_version():
            c.fail("the orbitcert code the suite runs (support digest) differs from this installation of the same version")
        else:
            c.note(f"made by orbitcert {report.environment.orbitcert}; the support code of {orbitcert_version()} differs")
    if c.status == "pass":
        c.note(f"{report.suite.path} ({origin}), {len(files)} files, digest {expected[:19]}... matches")


def _check_ics(s: _State, c: Check) -> None:
    from orbitcert.specs.ics import ics_file_text, load_ics_text

    report = s.need()
    if s.loaded is None:
        c.fail("cannot validate the ICS: the spec is not in the catalog")
        return
    ics = report.ics
    if ics.spec != s.loaded.spec.ref:
        c.fail(f"the ICS answers {ics.spec}, the report is of {s.loaded.spec.ref}")
        return
    try:
        again = load_ics_text(ics_file_text(ics, s.loaded.spec), s.loaded.spec, path="<the report's ICS>")
    except OrbitcertError as exc:
        c.fail(f"the recorded ICS does not validate against {s.loaded.spec.ref}: {exc.message}")
        return
    if again.items != ics.items or list(again.classes) != list(ics.classes):
        c.fail("the recorded ICS is not as the ICS loader resolves it (items or classes differ)")
        return
    s.ics_ok = True
    c.note(f"classes {', '.join(ics.classes) or '(none)'}; {len(ics.items)} item(s) answered")


def _check_coverage(s: _State, c: Check) -> None:
    from collections import Counter

    from .run import suite_selection
    from .verdicts import exclusion_reason

    report = s.need()
    counts = Counter(t.nodeid for t in report.tests)
    dup = sorted(n for n, k in counts.items() if k > 1)
    if dup:
        c.fail(f"{len(dup)} test(s) recorded more than once: {dup[0]}")
    bad = [t for t in report.tests if t.verdict.value not in TEST_VERDICTS]
    for t in bad[:3]:
        what = "a requirement verdict given by a waiver" if t.verdict.value == "waived" else "not a result"
        c.fail(f"test {t.nodeid} has verdict {t.verdict.value!r}: {what}, not a test verdict")
    if s.loaded is not None:
        known = {r.id for r in s.loaded.spec.requirements}
        unknown = sorted({(t.nodeid, r) for t in report.tests for r in t.requirements if r not in known})
        for nodeid, rid in unknown[:3]:
            c.fail(f"test {nodeid} names {rid}, which is not a requirement of {s.loaded.spec.ref}")
    if report.selected != len(report.tests) and report.complete:
        c.fail(f"{report.selected} test(s) selected but {len(report.tests)} recorded")
    if not s.collect or s.loaded is None or s.suite is None or report.suite.origin == "override":
        if s.collect:
            c.fail("cannot collect the spec's own suite to compare: see checks 5 and 6")
        return
    selected, predicates = suite_selection(s.loaded, s.suite, s.catalogs)  # RunIncompleteError: this check fails
    recorded = {t.nodeid: t for t in report.tests}
    missing = sorted(selected.keys() - recorded.keys())
    extra = sorted(recorded.keys() - selected.keys())
    if missing and not report.complete:
        c.note(f"{len(missing)} selected test(s) have no result: the run was interrupted (check 10)")
    elif missing:
        c.fail(f"{len(missing)} selected test(s) have no result, e.g. {missing[0]}")
    if extra:
        c.fail(f"{len(extra)} recorded test(s) are not in the suite, e.g. {extra[0]}")
    wrong_reqs = sorted(n for n in selected.keys() & recorded.keys() if list(selected[n]) != list(recorded[n].requirements))
    if wrong_reqs:
        n = wrong_reqs[0]
        c.fail(f"{len(wrong_reqs)} test(s) name other requirements than the suite says, e.g. {n}: {recorded[n].requirements} vs {list(selected[n])}")
    if s.ics_ok:
        for n in sorted(selected.keys() & recorded.keys()):
            t = recorded[n]
            why = exclusion_reason(s.loaded.spec, report.ics, selected[n], predicates.get(n, ()))
            excluded = t.verdict.value == "not-applicable"
            if why is None and (excluded or t.probe):
                c.fail(f"test {n} applies to this ICS but is recorded as {'not-applicable' if excluded else 'a probe'}")
                break
            if why is not None and not excluded and not t.probe:
                c.fail(f"test {n} is excluded by the ICS ({why}) but recorded as {t.verdict.value}")
                break
    if c.status == "pass" and report.complete:
        c.note(f"all {len(selected)} selected test(s) recorded once, with the suite's requirement ids")


def _check_verdicts(s: _State, c: Check) -> None:
    from .report import _count
    from .verdicts import decide_classes, misdeclarations, overall_decision, roll_up_requirements

    report = s.need()
    if s.loaded is None:
        c.fail("cannot recompute verdicts: the spec is not in the catalog")
        return
    spec = s.loaded.spec
    reqs = roll_up_requirements(spec, report.ics, report.tests)
    reqs, records = _apply_recorded_waivers(report, reqs)
    if [w.model_dump(mode="json") for w in report.waivers] != [w.model_dump(mode="json") for w in records]:
        c.fail("waivers: the recorded waiver statuses do not follow from the waivers and the test results")
    mine = {r.id: r for r in report.requirements}
    ids = [r.id for r in report.requirements]
    if len(set(ids)) != len(ids):
        c.fail("a requirement is recorded more than once")
    for r in reqs:
        got_r = mine.get(r.id)
        if got_r is None:
            c.fail(f"requirement {r.id}: missing from the report")
        elif got_r.verdict is not r.verdict:
            c.fail(f"requirement {r.id}: report says {got_r.verdict.value}, its tests give {r.verdict.value}")
        elif got_r.model_dump() != r.model_dump():
            c.fail(f"requirement {r.id}: its record (text, level, class, tests, reason or waiver) differs from the spec and tests")
    extra = sorted(set(mine) - {r.id for r in reqs})
    if extra:
        c.fail(f"requirement(s) not in {spec.ref}: {', '.join(extra[:5])}")
    if [r.id for r in report.requirements] != [r.id for r in reqs] and not extra:
        c.fail("requirements are not in the spec's order")
    wrong = misdeclarations(spec, report.tests)
    if [m.model_dump() for m in wrong] != [m.model_dump() for m in report.misdeclared]:
        c.fail("misdeclared: the report's findings do not follow from its probe tests")
    classes = decide_classes(spec, report.ics, reqs, wrong)
    mine_c = {k.id: k for k in report.classes}
    for k in classes:
        got_k = mine_c.get(k.id)
        if got_k is None:
            c.fail(f"class {k.id}: missing from the report")
        elif got_k.decision is not k.decision:
            c.fail(f"class {k.id}: report says {got_k.decision.value}, its requirements give {k.decision.value}")
        elif got_k.model_dump() != k.model_dump():
            c.fail(f"class {k.id}: its passed/failed/waived lists or reason differ from what the verdicts give")
    if len(report.classes) != len(classes) or [k.id for k in report.classes] != [k.id for k in classes]:
        c.fail(f"classes recorded {[k.id for k in report.classes]}, the spec has {[k.id for k in classes]}")
    tests_count = _count([t.verdict.value for t in report.tests])
    req_count = _count([r.verdict.value for r in reqs])
    if report.summary.tests != tests_count:
        c.fail(f"summary: tests {report.summary.tests}, but the recorded tests count {tests_count}")
    if report.summary.requirements != req_count:
        c.fail(f"summary: requirements {report.summary.requirements}, but the verdicts count {req_count}")
    blockers = _blockers(report)
    if blockers != report.blockers:
        c.fail(f"blockers: report says {report.blockers}, the run's record gives {blockers}")
    decision = overall_decision(classes, blockers)
    if decision is not report.decision:
        c.fail(f"decision: report says {report.decision.value}, the classes give {decision.value}")
    for problem in statistical_problems(report):
        c.fail(problem)
    if c.status == "pass":
        stats = sum(1 for t in report.tests for e in t.evidence if e.kind in ("binomial", "poisson"))
        c.note(
            f"{len(reqs)} requirement verdicts, {len(classes)} class decisions, the summary and the decision "
            f"({report.decision.value}) recompute" + (f"; {stats} statistical bound(s) recompute" if stats else "")
        )


def _blockers(report: Report) -> list[str]:
    from .verdicts import certification_blockers

    return certification_blockers(
        complete=report.complete, selected=report.selected, tests=len(report.tests),
        examples=report.thoroughness.examples, minimum_examples=report.thoroughness.minimum_examples,
        status=report.spec.status, shared_process=report.implementation.shared_process,
        suite_origin=report.suite.origin,
    )


def _apply_recorded_waivers(report: Report, reqs: list[RequirementResult]) -> tuple[list[RequirementResult], list[WaiverRecord]]:
    """The roll-up with the report's own waivers applied again, on the day the run finished."""
    from .waivers import apply_waivers, utc_day, waivers_of

    return apply_waivers(
        reqs, waivers_of(report.waivers), spec_id=report.spec.id, version=report.spec.version,
        product=report.implementation.name, on=utc_day(report.environment.finished),
    )


def _check_thoroughness(s: _State, c: Check) -> None:
    from .options import minimum_examples

    report = s.need()
    t = report.thoroughness
    if not report.complete:
        c.fail("the run was interrupted: an incomplete report is never a certification")
    if s.loaded is not None:
        need = minimum_examples(s.loaded.spec)
        if t.minimum_examples != need:
            c.fail(f"the report says a certification needs {t.minimum_examples} examples; {s.loaded.spec.ref} and the harness need {need}")
        if t.examples < need:
            c.fail(f"{t.examples} hypothesis example(s) per property test; a certification of {s.loaded.spec.ref} needs at least {need}")
    if not t.derandomized:
        c.fail("property tests were not derandomized: the run cannot be reproduced")
    if report.implementation.shared_process:
        c.fail("the product ran in the harness's own process (--no-isolate): it could have changed the verdicts")
    if c.status == "pass":
        c.note(
            f"{t.examples} examples per property test (minimum {t.minimum_examples}), derandomized, "
            f"time limit {t.timeout:g} s per test, product isolated"
        )


def _check_delta(s: _State, c: Check) -> None:
    report = s.need()
    if report.delta is None:
        if s.since:
            c.fail("--since given, but the report carries no verdict over (no 'delta')")
        else:
            c.note("no verdict carried over: every test ran")
        return
    d = report.delta
    recorded = {t.nodeid for t in report.tests}
    if set(d.carried) | set(d.rerun) != recorded or set(d.carried) & set(d.rerun):
        c.fail("the carried-over and re-run tests do not partition the report's tests")
    c.note(
        f"{len(d.carried)} verdict(s) carried over from the report {d.since_report[:19]}... of {d.since_spec} "
        f"(not re-run here), {len(d.rerun)} test(s) run"
    )
    if not s.since:
        c.fail(
            f"{len(d.carried)} verdict(s) were carried over from another report: give it with --since "
            "(and, when it is a delta report too, the report before it) so that they can be checked"
        )
        return
    for problem in _carried_problems(report, s.since, s.keyrings, s.catalogs, s.collect):
        c.fail(problem)


_RUNNERS: dict[str, Callable[[_State, Check], None]] = {
    "json": _check_json,
    "schema": _check_schema,
    "signatures": _check_signatures,
    "trust": _check_trust,
    "spec": _check_spec,
    "suite": _check_suite,
    "ics": _check_ics,
    "coverage": _check_coverage,
    "verdicts": _check_verdicts,
    "thoroughness": _check_thoroughness,
    "delta": _check_delta,
}


def _carried_problems(
    report: Report, chain: Sequence[str | Path], keyrings: Sequence[Keyring], catalogs: Sequence[str | Path], collect: bool
) -> list[str]:
    """A delta report's carried results against the report they came from (``chain[0]``, itself
    verified with the rest of ``chain``): that report is the one recorded (file digest), is intact,
    is signed by the key the delta records, which is trusted or the delta report's own signer, is of
    the same product, and holds every carried result unchanged."""
    from .delta import report_file_digest

    assert report.delta is not None
    since = chain[0]
    if report_file_digest(since) != report.delta.since_report:
        return [f"{since} is not the report the verdicts were carried from (its digest differs)"]
    earlier = verify_report(since, keyrings=keyrings, catalogs=catalogs, since=chain[1:] or None, collect=collect)
    problem = earlier.first_problem()
    if problem or earlier.report is None:
        return [f"the report the verdicts were carried from does not verify: {problem}"]
    old = earlier.report
    old_key = old.signatures[0].key_id
    if report.delta.since_key_id != old_key:
        return [f"the delta records the earlier report's key as {report.delta.since_key_id}, it is signed by {old_key}"]
    mine_key = report.signatures[0].key_id if report.signatures else None
    if not (earlier.trusted or old_key == mine_key):
        return [f"the earlier report is signed by key {short_id(old_key)}, neither trusted nor this report's signer"]
    for key in ("name", "version", "supplier", "factory", "command"):
        if getattr(old.implementation, key) != getattr(report.implementation, key):
            return [f"the earlier report is of another product ({key} {getattr(old.implementation, key)!r})"]
    before = {t.nodeid: t for t in old.tests}
    mine = {t.nodeid: t for t in report.tests}
    out = []
    for nodeid in report.delta.carried:
        t = before.get(nodeid)
        if t is None:
            out.append(f"carried test {nodeid} is not in {since}")
        elif t.model_dump(exclude={"requirements"}) != mine[nodeid].model_dump(exclude={"requirements"}):
            out.append(f"carried test {nodeid} differs from its result in {since}")
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

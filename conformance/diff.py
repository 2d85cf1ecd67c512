"""Comparing two certification reports: the CI regression gate (``orbitcert report diff``).

A regression is a requirement whose verdict got worse (none < pass < inconclusive < fail < error),
a requirement that passed and is no longer verified (now not-applicable, waived or untested), a
claimed class that lost its certification, or a test that disappeared while its requirement still
applies. Improvements and other changes are listed but do not fail the gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orbitcert.specs.errors import ReportError

from .report import Report
from .results import SEVERITY, Verdict


@dataclass
class ReportDiff:
    """What ``orbitcert report diff`` found between a baseline report and the current one: lines
    describing regressions (exit 1), improvements and other changes."""

    regressions: list[str] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)


def _worse(before: Verdict, after: Verdict) -> bool:
    if before is Verdict.passed and after not in SEVERITY:
        return True  # passed before, not verified now
    return before in SEVERITY and after in SEVERITY and SEVERITY[after] > SEVERITY[before]


def _diff_thoroughness(baseline: Report, current: Report, out: ReportDiff) -> None:
    """Less thorough testing is a regression (fewer examples, a looser time limit, an incomplete
    run, another suite); more thorough testing is an improvement."""
    b, c = baseline.thoroughness, current.thoroughness
    if c.examples < b.examples:
        out.regressions.append(f"thoroughness: hypothesis examples {b.examples} -> {c.examples}")
    elif c.examples > b.examples:
        out.improvements.append(f"thoroughness: hypothesis examples {b.examples} -> {c.examples}")
    if b.timeout != c.timeout:
        out.changes.append(f"thoroughness: time limit per test {b.timeout:g} s -> {c.timeout:g} s")
    if baseline.complete and not current.complete:
        out.regressions.append("run: complete -> incomplete (interrupted)")
    if baseline.selected != current.selected:
        line = f"tests selected: {baseline.selected} -> {current.selected}"
        (out.regressions if current.selected < baseline.selected else out.changes).append(line)
    if (baseline.suite.origin, baseline.suite.digest) != (current.suite.origin, current.suite.digest):
        line = f"suite: {baseline.suite.origin} {baseline.suite.digest[7:19]} -> {current.suite.origin} {current.suite.digest[7:19]}"
        (out.regressions if current.suite.origin == "override" else out.changes).append(line)


def diff_reports(baseline: Report, current: Report) -> ReportDiff:
    """What changed from ``baseline`` to ``current`` (same spec id; versions may differ)."""
    if baseline.spec.id != current.spec.id:
        raise ReportError(f"reports are of different specs: {baseline.spec.id} and {current.spec.id}")
    out = ReportDiff()
    if baseline.spec.version != current.spec.version or baseline.spec.digest != current.spec.digest:
        out.changes.append(f"spec {baseline.spec.version} ({baseline.spec.digest[7:19]}) -> {current.spec.version} ({current.spec.digest[7:19]})")
    if baseline.implementation.version != current.implementation.version:
        out.changes.append(f"product version {baseline.implementation.version} -> {current.implementation.version}")
    _diff_thoroughness(baseline, current, out)
    before = {r.id: r.verdict for r in baseline.requirements}
    after = {r.id: r.verdict for r in current.requirements}
    for rid in sorted(before.keys() | after.keys()):
        b, a = before.get(rid), after.get(rid)
        if b is None or a is None:
            out.changes.append(f"requirement {rid}: {'added' if b is None else 'removed'}")
        elif _worse(b, a):
            out.regressions.append(f"requirement {rid}: {b.value} -> {a.value}")
        elif _worse(a, b):
            out.improvements.append(f"requirement {rid}: {b.value} -> {a.value}")
        elif a is not b:
            out.changes.append(f"requirement {rid}: {b.value} -> {a.value}")
    classes_before = {c.id: c for c in baseline.classes}
    for c in current.classes:
        old = classes_before.get(c.id)
        if old is None or old.decision is c.decision:
            continue
        line = f"class {c.id}: {old.decision.value} -> {c.decision.value}"
        if old.decision.value == "certified":
            out.regressions.append(line)
        elif c.decision.value == "certified":
            out.improvements.append(line)
        else:
            out.changes.append(line)
    tests_now = {t.nodeid for t in current.tests}
    applicable_now = {r.id for r in current.requirements if r.verdict is not Verdict.not_applicable}
    for t in baseline.tests:
        if t.nodeid not in tests_now and t.verdict is Verdict.passed and set(t.requirements) & applicable_now:
            out.regressions.append(f"test {t.nodeid}: passed before, missing now")
    if baseline.decision is not current.decision:
        line = f"decision: {baseline.decision.value} -> {current.decision.value}"
        (out.regressions if baseline.decision.value == "certified" else out.improvements).append(line)
    return out

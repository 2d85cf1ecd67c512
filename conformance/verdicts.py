"""Verdicts and the certification decision (DESIGN.md "Verdicts and the certification decision").

* Per test: pass, fail, inconclusive, error, not-applicable (excluded by class claim or ICS
  predicate), waived.
* Per requirement: the worst of its applicable tests, in the order
  none < pass < inconclusive < fail < error; a verdict never improves.
* Per class: certified when every applicable SHALL requirement passes and every class it depends
  on is certified; failing SHOULD requirements are advisories. A SHALL verified by analysis,
  inspection or demonstration cannot pass in a suite: it is listed as evidence required and keeps
  the class from being certified (no evidence mechanism exists yet).
* Overall: certified when every claimed class is certified.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from orbitcert.specs.ics import Ics
from orbitcert.specs.model import Level, Spec, Verification
from orbitcert.specs.predicate import parse_predicate


class Verdict(str, Enum):
    """Verdict of a test or a requirement."""

    none = "none"
    passed = "pass"
    inconclusive = "inconclusive"
    failed = "fail"
    error = "error"
    not_applicable = "not-applicable"
    waived = "waived"


SEVERITY = {
    Verdict.none: 0,
    Verdict.passed: 1,
    Verdict.inconclusive: 2,
    Verdict.failed: 3,
    Verdict.error: 4,
}


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    """The worst verdict by :data:`SEVERITY`; not-applicable and waived are ignored."""
    result = Verdict.none
    for v in verdicts:
        if v in SEVERITY and SEVERITY[v] > SEVERITY[result]:
            result = v
    return result


class Decision(str, Enum):
    """Decision for a conformance class or for the whole report."""

    certified = "certified"
    not_certified = "not-certified"
    not_claimed = "not-claimed"


def requirement_applicability(spec: Spec, ics: Ics, req_id: str) -> str | None:
    """None when requirement ``req_id`` applies to the product, else why it does not."""
    req = spec.requirement(req_id)
    if req.class_ not in ics.classes:
        return f"class {req.class_!r} is not claimed in the ICS"
    if req.applies_if and not parse_predicate(req.applies_if).evaluate(ics.values):
        items = ", ".join(sorted(parse_predicate(req.applies_if).names))
        return f"ICS predicate {req.applies_if!r} is false (item {items})"
    return None


@dataclass(frozen=True)
class TestOutcome:
    """One executed (or excluded) test of the suite."""

    __test__ = False  # not a pytest test class

    nodeid: str
    requirements: tuple[str, ...]
    verdict: Verdict
    duration: float = 0.0
    message: str = ""


@dataclass
class RequirementResult:
    """Rolled-up verdict of one requirement."""

    id: str
    level: Level
    class_id: str
    verification: Verification
    verdict: Verdict
    tests: list[str] = field(default_factory=list)
    reason: str = ""


@dataclass
class ClassResult:
    """Decision for one conformance class."""

    id: str
    claimed: bool
    decision: Decision
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    not_applicable: list[str] = field(default_factory=list)
    advisories: list[str] = field(default_factory=list)
    evidence_required: list[str] = field(default_factory=list)
    reason: str = ""


def roll_up_requirements(spec: Spec, ics: Ics, tests: Sequence[TestOutcome]) -> list[RequirementResult]:
    """Per-requirement verdicts from per-test outcomes."""
    by_req: dict[str, list[TestOutcome]] = {r.id: [] for r in spec.requirements}
    for t in tests:
        for rid in t.requirements:
            if rid in by_req:
                by_req[rid].append(t)
    results = []
    for req in spec.requirements:
        outcomes = by_req[req.id]
        reason = requirement_applicability(spec, ics, req.id)
        if reason is not None:
            verdict, why = Verdict.not_applicable, reason
        elif outcomes and all(t.verdict is Verdict.not_applicable for t in outcomes):
            # The requirement applies but the ICS excluded every test of it: nothing verified it.
            verdict, why = Verdict.none, f"applies, but the ICS excluded all its tests ({outcomes[0].message})"
        elif outcomes and all(t.verdict in (Verdict.waived, Verdict.not_applicable) for t in outcomes):
            verdict, why = Verdict.waived, "waived"
        else:
            verdict = worst(t.verdict for t in outcomes)
            if verdict is Verdict.none:
                why = (
                    "no test covers this requirement"
                    if req.verification is Verification.test
                    else f"verified by {req.verification.value}: evidence required"
                )
            else:
                bad = [t.nodeid for t in outcomes if t.verdict is verdict and verdict is not Verdict.passed]
                why = f"{len(bad)} test(s) {verdict.value}: {bad[0]}" if bad else ""
        results.append(
            RequirementResult(
                id=req.id,
                level=req.level,
                class_id=req.class_,
                verification=req.verification,
                verdict=verdict,
                tests=sorted(t.nodeid for t in outcomes),
                reason=why,
            )
        )
    return results


def decide_classes(spec: Spec, ics: Ics, requirements: Sequence[RequirementResult]) -> list[ClassResult]:
    """Per-class decisions, honouring class dependencies (spec order is dependency-safe after sorting)."""
    decided: dict[str, ClassResult] = {}
    by_class: Mapping[str, list[RequirementResult]] = {
        c.id: [r for r in requirements if r.class_id == c.id] for c in spec.classes
    }

    def decide(class_id: str, stack: tuple[str, ...] = ()) -> ClassResult:
        if class_id in decided:
            return decided[class_id]
        cls = spec.class_by_id(class_id)
        res = ClassResult(id=class_id, claimed=class_id in ics.classes, decision=Decision.not_claimed)
        for r in by_class[class_id]:
            if r.verdict is Verdict.not_applicable:
                res.not_applicable.append(r.id)
            elif r.verdict in (Verdict.passed, Verdict.waived):
                res.passed.append(r.id)
            elif r.verdict is Verdict.none and r.verification is not Verification.test:
                res.evidence_required.append(r.id)
            elif r.level is Level.SHALL:
                res.failed.append(r.id)
            else:
                res.advisories.append(r.id)
        if res.claimed:
            blocked = [d for d in cls.depends_on if d not in stack and decide(d, stack + (class_id,)).decision is not Decision.certified]
            if res.failed:
                res.decision = Decision.not_certified
                res.reason = f"SHALL requirement(s) not passed: {', '.join(res.failed)}"
            elif blocked:
                res.decision = Decision.not_certified
                res.reason = f"depends on class(es) not certified: {', '.join(blocked)}"
            elif shall_without_evidence := [
                rid for rid in res.evidence_required if spec.requirement(rid).level is Level.SHALL
            ]:
                # DESIGN: every applicable SHALL must pass. A suite cannot pass an analysis or
                # inspection requirement, so the class waits for that evidence.
                res.decision = Decision.not_certified
                res.reason = f"SHALL requirement(s) need {', '.join(shall_without_evidence)} evidence outside the suite"
            else:
                res.decision = Decision.certified
        else:
            res.reason = "not claimed in the ICS"
        decided[class_id] = res
        return res

    return [decide(c.id) for c in spec.classes]


def overall_decision(classes: Sequence[ClassResult]) -> Decision:
    """Certified when at least one class is claimed and every claimed class is certified."""
    claimed = [c for c in classes if c.claimed]
    if claimed and all(c.decision is Decision.certified for c in claimed):
        return Decision.certified
    return Decision.not_certified

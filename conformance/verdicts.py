"""The verdict rules (docs/concepts/verdicts.md), as pure functions.

* Per phase of a test (setup, call, teardown): :func:`phase_verdict`. An assertion failure in the
  test body is ``fail``; :class:`Inconclusive` is ``inconclusive``; a skip by the suite is
  ``inconclusive`` (it decided nothing); any other exception, in any phase, is ``error``; a test
  the ICS excludes is ``not-applicable``.
* Per test: :func:`combine_phases`, the worst of its phases; a test whose body never reported
  (its process died) is ``error``, never ``pass``.
* Per requirement: the worst of its applicable tests, in the order
  none < pass < inconclusive < fail < error; a verdict never improves.
* Waivers (:mod:`.waivers`) then turn the non-passing verdicts of the requirements they cover
  into ``waived``; a waived requirement never counts as passed.
* Per class: certified when every applicable SHALL requirement passes and every class it depends
  on is certified; failing SHOULD requirements are advisories. A SHALL verified by analysis,
  inspection or demonstration cannot pass in a suite: it is listed as evidence required and keeps
  the class from being certified. A class whose only obstacles are waived requirements (SHALL or
  SHOULD; listed in ``waived``), or that depends on a class certified with waivers, is at best
  certified with waivers.
* Overall: certified when every claimed class is certified; certified with waivers when every
  claimed class is certified or certified with waivers, and at least one is the latter.

Nothing here imports pytest: the plugin translates pytest's reports into these functions' inputs.
"""

from __future__ import annotations

from typing import NoReturn

from collections.abc import Iterable, Mapping, Sequence
from enum import Enum

from orbitcert.specs.ics import Ics
from orbitcert.specs.model import Level, Spec, Verification
from orbitcert.specs.predicate import parse_predicate

from .results import ClassResult, Decision, Misdeclaration, RequirementResult, TestResult, Verdict, worst

__all__ = [
    "Inconclusive",
    "PhaseOutcome",
    "certification_blockers",
    "combine_phases",
    "exclusion_reason",
    "decide_classes",
    "inconclusive",
    "misdeclarations",
    "overall_decision",
    "probe_unsupported",
    "phase_verdict",
    "requirement_applicability",
    "roll_up_requirements",
]


class Inconclusive(Exception):
    """Raise (or call :func:`inconclusive`) when a test cannot decide pass or fail."""


def inconclusive(message: str) -> NoReturn:
    """End the current test with an inconclusive verdict and ``message`` as its reason."""
    raise Inconclusive(message)


class PhaseOutcome(str, Enum):
    """What pytest says of one phase of a test."""

    passed = "passed"
    skipped = "skipped"
    failed = "failed"


def phase_verdict(
    when: str,
    outcome: PhaseOutcome,
    *,
    exception: type[BaseException] | None = None,
    message: str = "",
    not_applicable: str | None = None,
) -> tuple[Verdict, str]:
    """Verdict and message of one phase (``setup``, ``call`` or ``teardown``) of a test.

    ``exception`` is the type of what the phase raised (None when it passed or was skipped);
    ``not_applicable`` is the reason the ICS excludes the test, if it does.
    """
    if not_applicable is not None:
        return Verdict.not_applicable, not_applicable
    if outcome is PhaseOutcome.passed:
        return (Verdict.passed if when == "call" else Verdict.none), ""
    if outcome is PhaseOutcome.skipped:
        return Verdict.inconclusive, message
    if exception is not None and issubclass(exception, Inconclusive):
        return Verdict.inconclusive, message
    if when == "call" and exception is not None and issubclass(exception, AssertionError):
        return Verdict.failed, message
    if exception is not None:
        return Verdict.error, f"{exception.__name__}: {message}"
    return Verdict.error, message


def combine_phases(phases: Sequence[tuple[str, Verdict, str]]) -> tuple[Verdict, str]:
    """One verdict per test from its phases' ``(when, verdict, message)``.

    Not-applicable wins (the test was excluded before it ran); otherwise the worst phase; a test
    with no failing phase passes only if its ``call`` phase reported.
    """
    verdicts = [v for _, v, _ in phases]
    if Verdict.not_applicable in verdicts:
        verdict = Verdict.not_applicable
    else:
        verdict = worst(verdicts)
        if verdict is Verdict.none:
            verdict = Verdict.passed if any(w == "call" for w, _, _ in phases) else Verdict.error
    message = next((m for _, v, m in phases if v is verdict and m), "")
    if verdict is Verdict.error and not message:
        message = "the test did not complete (its process ended before the test body reported)"
    return verdict, message


def requirement_applicability(spec: Spec, ics: Ics, req_id: str) -> str | None:
    """None when requirement ``req_id`` applies to the product, else why it does not."""
    req = spec.requirement(req_id)
    if req.class_ not in ics.classes:
        why = ics.not_claimed.get(req.class_)
        return f"class {req.class_!r} is not claimed in the ICS" + (f": {why}" if why else "")
    if req.applies_if:
        pred = parse_predicate(req.applies_if)
        if not pred.evaluate(ics.items):
            return f"ICS predicate {req.applies_if!r} is false (item {', '.join(sorted(pred.names))})"
    return None


def exclusion_reason(spec: Spec, ics: Ics, requirements: Iterable[str], predicates: Iterable[str]) -> str | None:
    """Why a test naming ``requirements`` and carrying ``applies_if`` ``predicates`` does not
    apply to the product, or None when it applies."""
    for rid in requirements:
        try:
            why = requirement_applicability(spec, ics, rid)
        except KeyError:
            continue  # an unknown requirement is reported by the plugin, not excluded
        if why:
            return f"{rid}: {why}"
    for source in predicates:
        pred = parse_predicate(source)
        if not pred.evaluate(ics.items):
            return f"ICS predicate {pred.source!r} is false (item {', '.join(sorted(pred.names))})"
    return None



def probe_unsupported(ics: Ics, item: str, value: object = None) -> bool:
    """Whether the ICS declares the capability a probe tests unsupported: a boolean item that is
    false or unanswered, or a set item without ``value``."""
    answer = ics.items.get(item)
    if value is None:
        return answer is not True
    return not isinstance(answer, list) or value not in answer


def misdeclarations(spec: Spec, tests: Sequence[TestResult]) -> list[Misdeclaration]:
    """Declared versus observed: every ICS answer that a passing probe test contradicts."""
    found: dict[str, Misdeclaration] = {}
    for t in tests:
        if not (t.probe and t.observed):
            continue
        item, _, value = t.probe.partition("=")
        classes = sorted({spec.requirement(r).class_ for r in t.requirements if _known(spec, r)})
        entry = found.get(t.probe)
        if entry is None:
            what = f"does not list {value}" if value else "says it is not supported"
            entry = found[t.probe] = Misdeclaration(
                item=item, value=value or None, classes=classes, evidence=[],
                message=f"ICS item {item!r} {what}, but the product implements it",
            )
        entry.evidence.append(t.nodeid)
        entry.classes = sorted(set(entry.classes) | set(classes))
    return [found[k] for k in sorted(found)]


def _known(spec: Spec, rid: str) -> bool:
    try:
        spec.requirement(rid)
    except KeyError:
        return False
    return True


def roll_up_requirements(spec: Spec, ics: Ics, tests: Sequence[TestResult]) -> list[RequirementResult]:
    """Per-requirement verdicts from per-test results, in spec order.

    A test verdict ``waived`` counts for nothing (:func:`~.results.worst` ignores it): waivers
    apply to requirements, after the roll-up (:func:`orbitcert.conformance.waivers.apply_waivers`),
    and never to tests."""
    by_req: dict[str, list[TestResult]] = {r.id: [] for r in spec.requirements}
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
            RequirementResult.model_validate(
                {
                    "id": req.id,
                    "text": req.text,
                    "clause": req.clause,
                    "level": req.level,
                    "class": req.class_,
                    "verification": req.verification,
                    "verdict": verdict,
                    "tests": sorted(t.nodeid for t in outcomes),
                    "reason": why,
                }
            )
        )
    return results


def decide_classes(
    spec: Spec, ics: Ics, requirements: Sequence[RequirementResult], misdeclared: Sequence[Misdeclaration] = ()
) -> list[ClassResult]:
    """Per-class decisions, in spec order, honouring class dependencies; a class a
    misdeclaration affects is not certified."""
    decided: dict[str, ClassResult] = {}
    by_class: Mapping[str, list[RequirementResult]] = {
        c.id: [r for r in requirements if r.class_ == c.id] for c in spec.classes
    }

    def decide(class_id: str, stack: tuple[str, ...] = ()) -> ClassResult:
        if class_id in decided:
            return decided[class_id]
        cls = spec.class_by_id(class_id)
        res = ClassResult(id=class_id, claimed=class_id in ics.classes, decision=Decision.not_claimed)
        for r in by_class[class_id]:
            if r.verdict is Verdict.not_applicable:
                res.not_applicable.append(r.id)
            elif r.verdict is Verdict.passed:
                res.passed.append(r.id)
            elif r.verdict is Verdict.waived:
                res.waived.append(r.id)  # never a pass, never an advisory
            elif r.verdict is Verdict.none and r.verification is not Verification.test:
                res.evidence_required.append(r.id)
            elif r.level is Level.SHALL:
                res.failed.append(r.id)
            else:
                res.advisories.append(r.id)
        if res.claimed:
            deps = {d: decide(d, stack + (class_id,)).decision for d in cls.depends_on if d not in stack}
            blocked = [d for d, dec in deps.items() if dec not in (Decision.certified, Decision.certified_with_waivers)]
            with_waivers = [d for d, dec in deps.items() if dec is Decision.certified_with_waivers]
            shall_without_evidence = [
                rid for rid in res.evidence_required if spec.requirement(rid).level is Level.SHALL
            ]
            wrong = [m for m in misdeclared if class_id in m.classes]
            if res.failed:
                res.decision = Decision.not_certified
                res.reason = f"SHALL requirement(s) not passed: {', '.join(res.failed)}"
            elif wrong:
                res.decision = Decision.not_certified
                res.reason = "misdeclared: " + "; ".join(m.message for m in wrong)
            elif blocked:
                res.decision = Decision.not_certified
                res.reason = f"depends on class(es) not certified: {', '.join(blocked)}"
            elif shall_without_evidence:
                # Every applicable SHALL must pass; a suite cannot pass an analysis or inspection
                # requirement, so the class waits for that evidence.
                res.decision = Decision.not_certified
                res.reason = f"SHALL requirement(s) need {', '.join(shall_without_evidence)} evidence outside the suite"
            elif res.waived or with_waivers:
                res.decision = Decision.certified_with_waivers
                parts = []
                if res.waived:
                    waived = {r.id: r for r in by_class[class_id]}
                    parts.append(", ".join(
                        f"{waived[rid].level.value} {rid} waived by {waived[rid].waiver or '(no waiver recorded)'}"
                        for rid in res.waived
                    ))
                if with_waivers:
                    parts.append(f"depends on class(es) certified with waivers: {', '.join(with_waivers)}")
                res.reason = "certified with waivers: " + "; ".join(parts)
            else:
                res.decision = Decision.certified
        else:
            res.reason = "not claimed in the ICS"
        decided[class_id] = res
        return res

    return [decide(c.id) for c in spec.classes]


def certification_blockers(
    *,
    complete: bool,
    selected: int,
    tests: int,
    examples: int,
    minimum_examples: int,
    status: str = "published",
    shared_process: bool = False,
    suite_origin: str = "bundled",
) -> list[str]:
    """Why a report cannot certify, whatever its classes say: a spec version that is not
    published (``status``: draft, candidate, withdrawn), an interrupted run, tests without a
    result, property tests run with fewer examples than a certification needs, or a product that
    ran inside the harness's own process (``--no-isolate``: it could have changed the verdicts), or
    a suite other than the spec's own (``suite_origin`` ``override``, ``--suite``)."""
    from orbitcert.specs.lifecycle import status_blocker

    blockers = [b for b in [status_blocker(status)] if b]
    if not complete:
        blockers.append("the run was interrupted: the report is incomplete")
    if tests != selected:
        blockers.append(f"{selected} test(s) selected but {tests} result(s) recorded")
    if examples < minimum_examples:
        blockers.append(f"{examples} hypothesis example(s) per property test; a certification needs at least {minimum_examples}")
    if shared_process:
        blockers.append(
            "the product ran in the harness's own process (--no-isolate, for debugging): it could have changed the "
            "verdicts; certify it isolated"
        )
    if suite_origin == "override":
        blockers.append("the suite is not the spec's own (--suite): only the spec's own suite certifies")
    return blockers


def overall_decision(classes: Sequence[ClassResult], blockers: Sequence[str] = ()) -> Decision:
    """Certified when nothing blocks certification, at least one class is claimed and every
    claimed class is certified; certified with waivers when every claimed class is certified or
    certified with waivers and at least one is the latter; otherwise not certified."""
    claimed = [c for c in classes if c.claimed]
    if blockers or not claimed:
        return Decision.not_certified
    if all(c.decision is Decision.certified for c in claimed):
        return Decision.certified
    if all(c.decision in (Decision.certified, Decision.certified_with_waivers) for c in claimed):
        return Decision.certified_with_waivers
    return Decision.not_certified

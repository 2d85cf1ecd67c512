"""Verdict roll-up and certification decisions (docs/concepts/verdicts.md)."""

from __future__ import annotations

from typing import Any

import pytest

from orbitcert.conformance.results import Decision, TestResult, Verdict, worst
from orbitcert.conformance.verdicts import decide_classes, overall_decision, roll_up_requirements
from orbitcert.specs.ics import Ics
from orbitcert.specs.model import Spec

SPEC = Spec.model_validate(
    {
        "id": "demo",
        "version": "1.0.0",
        "status": "draft",
        "title": "Demo",
        "classes": [{"id": "base", "title": "Base"}, {"id": "ext", "title": "Ext", "kind": "extended", "depends_on": ["base"]}],
        "ics": [{"id": "fancy", "question": "Fancy?", "status": "O", "type": "boolean"}],
        "requirements": [
            {"id": "D-1", "level": "SHALL", "class": "base", "text": "one"},
            {"id": "D-2", "level": "SHOULD", "class": "base", "text": "two"},
            {"id": "D-3", "level": "SHALL", "class": "base", "text": "three", "applies_if": "fancy"},
            {"id": "D-4", "level": "SHALL", "class": "ext", "text": "four"},
            {"id": "D-5", "level": "SHALL", "class": "base", "text": "five", "verification": "inspection"},
        ],
    }
)


def _ics(classes: tuple[str, ...] = ("base", "ext"), **values: Any) -> Ics:
    return Ics(spec="demo@1.0.0", classes=list(classes), items=values)


def _t(name: str, verdict: Verdict, *reqs: str) -> TestResult:
    return TestResult(nodeid=f"t::{name}", requirements=list(reqs), verdict=verdict)


def test_order_none_pass_inconclusive_fail_error() -> None:
    order = [Verdict.none, Verdict.passed, Verdict.inconclusive, Verdict.failed, Verdict.error]
    for i, low in enumerate(order):
        for high in order[i:]:
            assert worst([low, high]) is high and worst([high, low]) is high
    assert worst([Verdict.not_applicable, Verdict.waived]) is Verdict.none


@pytest.mark.parametrize("bad", [Verdict.inconclusive, Verdict.failed, Verdict.error])
def test_a_requirement_verdict_never_improves(bad: Verdict) -> None:
    tests = [_t("a", Verdict.passed, "D-1"), _t("b", bad, "D-1"), _t("c", Verdict.passed, "D-1")]
    (d1,) = [r for r in roll_up_requirements(SPEC, _ics(), tests) if r.id == "D-1"]
    assert d1.verdict is bad and d1.tests == ["t::a", "t::b", "t::c"]
    assert "t::b" in d1.reason


def _decide(tests: list[TestResult], ics: Ics) -> dict[str, Any]:
    reqs = roll_up_requirements(SPEC, ics, tests)
    classes = decide_classes(SPEC, ics, reqs)
    return {"reqs": {r.id: r for r in reqs}, "classes": {c.id: c for c in classes}, "overall": overall_decision(classes)}


ALL_PASS = [_t("1", Verdict.passed, "D-1"), _t("2", Verdict.passed, "D-2"), _t("3", Verdict.passed, "D-3"), _t("4", Verdict.passed, "D-4")]


def test_shall_verified_by_inspection_blocks_until_evidence() -> None:
    out = _decide(ALL_PASS, _ics(fancy=True))
    assert out["classes"]["base"].evidence_required == ["D-5"]
    assert out["classes"]["base"].decision is Decision.not_certified and "D-5" in out["classes"]["base"].reason
    assert out["overall"] is Decision.not_certified


def test_everything_passing_is_certified() -> None:
    spec = SPEC.model_copy(update={"requirements": [r for r in SPEC.requirements if r.id != "D-5"]})
    reqs = roll_up_requirements(spec, _ics(fancy=True), ALL_PASS)
    assert overall_decision(decide_classes(spec, _ics(fancy=True), reqs)) is Decision.certified


def test_should_failure_is_an_advisory_not_a_blocker() -> None:
    tests = [*ALL_PASS[:1], _t("2", Verdict.failed, "D-2"), *ALL_PASS[2:]]
    out = _decide(tests, _ics(fancy=True))
    assert out["classes"]["base"].advisories == ["D-2"]
    assert "D-2" not in out["classes"]["base"].failed and "D-2" not in out["classes"]["base"].reason


def test_shall_failure_blocks_its_class_and_dependants() -> None:
    tests = [_t("1", Verdict.failed, "D-1"), *ALL_PASS[1:]]
    out = _decide(tests, _ics(fancy=True))
    assert out["classes"]["base"].decision is Decision.not_certified and out["classes"]["base"].failed == ["D-1"]
    assert out["classes"]["ext"].decision is Decision.not_certified
    assert "base" in out["classes"]["ext"].reason
    assert out["overall"] is Decision.not_certified


def test_ics_predicate_and_unclaimed_class_make_requirements_not_applicable() -> None:
    out = _decide([_t("1", Verdict.passed, "D-1"), _t("2", Verdict.passed, "D-2")], _ics(classes=("base",), fancy=False))
    assert out["reqs"]["D-3"].verdict is Verdict.not_applicable and "fancy" in out["reqs"]["D-3"].reason
    assert out["reqs"]["D-4"].verdict is Verdict.not_applicable and "'ext' is not claimed" in out["reqs"]["D-4"].reason
    assert out["classes"]["ext"].decision is Decision.not_claimed


def test_untested_shall_is_not_passed() -> None:
    out = _decide(ALL_PASS[1:], _ics(fancy=True))
    assert out["reqs"]["D-1"].verdict is Verdict.none and "no test" in out["reqs"]["D-1"].reason
    assert out["classes"]["base"].decision is Decision.not_certified


def test_nothing_claimed_is_not_certified() -> None:
    assert _decide([], _ics(classes=()))["overall"] is Decision.not_certified


def test_applicable_requirement_whose_tests_were_all_excluded_is_not_passed() -> None:
    """An ICS cannot certify a product by excluding every test of an applicable requirement."""
    excluded = TestResult(nodeid="t::only", requirements=["D-1"], verdict=Verdict.not_applicable, message="ICS predicate '8 in x' is false")
    out = _decide([excluded, *ALL_PASS[1:]], _ics(fancy=True))
    assert out["reqs"]["D-1"].verdict is Verdict.none and "excluded all its tests" in out["reqs"]["D-1"].reason
    assert out["classes"]["base"].decision is Decision.not_certified

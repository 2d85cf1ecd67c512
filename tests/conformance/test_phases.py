"""The per-phase and per-test verdict rules, as pure functions (no pytest run)."""

from __future__ import annotations

import pytest

from orbitcert.conformance.results import Verdict
from orbitcert.conformance.timeouts import TestTimeout
from orbitcert.conformance.verdicts import Inconclusive, PhaseOutcome, combine_phases, phase_verdict

P, S, F = PhaseOutcome.passed, PhaseOutcome.skipped, PhaseOutcome.failed


@pytest.mark.parametrize(
    ("when", "outcome", "exception", "expected"),
    [
        ("call", P, None, Verdict.passed),
        ("setup", P, None, Verdict.none),
        ("teardown", P, None, Verdict.none),
        ("call", F, AssertionError, Verdict.failed),
        ("setup", F, AssertionError, Verdict.error),  # a fixture's assert is not the product failing
        ("call", F, ValueError, Verdict.error),
        ("call", F, TestTimeout, Verdict.error),
        ("teardown", F, RuntimeError, Verdict.error),
        ("call", F, Inconclusive, Verdict.inconclusive),
        ("setup", F, Inconclusive, Verdict.inconclusive),
        ("call", S, None, Verdict.inconclusive),  # a suite's own skip decided nothing
        ("call", F, None, Verdict.error),
    ],
)
def test_phase_verdict(when: str, outcome: PhaseOutcome, exception: type[BaseException] | None, expected: Verdict) -> None:
    verdict, _ = phase_verdict(when, outcome, exception=exception, message="m")
    assert verdict is expected


def test_not_applicable_wins_and_keeps_its_reason() -> None:
    assert phase_verdict("setup", S, not_applicable="class 'x' is not claimed") == (
        Verdict.not_applicable, "class 'x' is not claimed",
    )


def test_error_message_names_the_exception() -> None:
    assert phase_verdict("call", F, exception=ValueError, message="product crashed") == (
        Verdict.error, "ValueError: product crashed",
    )


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        ([("setup", Verdict.none, ""), ("call", Verdict.passed, ""), ("teardown", Verdict.none, "")], Verdict.passed),
        ([("setup", Verdict.none, ""), ("call", Verdict.passed, ""), ("teardown", Verdict.error, "t")], Verdict.error),
        ([("setup", Verdict.none, "")], Verdict.error),  # the body never reported: its process died
        ([("setup", Verdict.not_applicable, "why"), ("teardown", Verdict.none, "")], Verdict.not_applicable),
        ([("setup", Verdict.none, ""), ("call", Verdict.failed, "f"), ("teardown", Verdict.error, "e")], Verdict.error),
        ([("setup", Verdict.none, ""), ("call", Verdict.inconclusive, "i")], Verdict.inconclusive),
    ],
)
def test_combine_phases(phases: list[tuple[str, Verdict, str]], expected: Verdict) -> None:
    verdict, message = combine_phases(phases)
    assert verdict is expected
    if verdict is Verdict.error:
        assert message, "an error always says why"


def test_a_test_that_never_reported_says_so() -> None:
    assert "did not complete" in combine_phases([("setup", Verdict.none, "")])[1]

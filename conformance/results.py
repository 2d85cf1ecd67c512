"""The results of a certification, one model each: test, requirement, class (docs/concepts/verdicts.md).

These pydantic models are what the verdict rules (:mod:`.verdicts`) produce and what the report
(:mod:`.report`) records; there is no second set of result types and no conversion between them.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from orbitcert.specs.model import Level, Verification

__all__ = [
    "ClassResult",
    "Decision",
    "Misdeclaration",
    "RequirementResult",
    "SEVERITY",
    "TestResult",
    "Verdict",
    "worst",
]


class Verdict(str, Enum):
    """Verdict of a test or a requirement."""

    none = "none"
    passed = "pass"
    inconclusive = "inconclusive"
    failed = "fail"
    error = "error"
    not_applicable = "not-applicable"
    waived = "waived"


#: The order of :func:`worst`: none < pass < inconclusive < fail < error. Not-applicable and
#: waived are outside it (they say a test did not count, not how it went).
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


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TestResult(_Result):
    """One test of the suite, with the verdict of its phases combined."""

    __test__ = False  # not a pytest test class

    nodeid: str
    requirements: list[str]
    verdict: Verdict
    duration: float = Field(default=0.0, ge=0)
    message: str = ""
    probe: str | None = Field(
        default=None,
        description="The ICS answer this test probed (e.g. 'randomizer', 'rs_interleaving_depths=8'): run although "
        "the ICS declares the capability unsupported, to compare what the product does with what it declares.",
    )
    observed: bool | None = Field(default=None, description="For a probe: whether the product showed the capability.")


class RequirementResult(_Result):
    """The rolled-up verdict of one requirement, with what the spec says of it."""

    id: str
    text: str
    clause: str | None = None
    level: Level
    class_: str = Field(alias="class")
    verification: Verification
    verdict: Verdict
    tests: list[str] = Field(default_factory=list)
    reason: str = ""


class Misdeclaration(_Result):
    """An ICS answer the product contradicts (declared versus observed)."""

    item: str = Field(description="The ICS item.")
    value: str | None = Field(default=None, description="The value of a set item, or None for a boolean item.")
    classes: list[str] = Field(description="Conformance classes whose certification it fails.")
    evidence: list[str] = Field(description="Tests that showed the product implements what the ICS says it does not.")
    message: str


class ClassResult(_Result):
    """The decision for one conformance class."""

    id: str
    claimed: bool
    decision: Decision
    passed: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)
    not_applicable: list[str] = Field(default_factory=list)
    advisories: list[str] = Field(default_factory=list)
    evidence_required: list[str] = Field(default_factory=list)
    reason: str = ""

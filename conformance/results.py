"""The results of a certification, one model each: test, requirement, class (docs/concepts/verdicts.md).

These pydantic models are what the verdict rules (:mod:`.verdicts`) produce and what the report
(:mod:`.report`) records; there is no second set of result types and no conversion between them.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Annotated, Literal

import math

from pydantic import BaseModel, ConfigDict, Field, field_validator

from orbitcert.specs.model import Level, Verification

__all__ = [
    "AnalysisEvidence",
    "BinomialEvidence",
    "PoissonEvidence",
    "ClassResult",
    "Evidence",
    "Quantity",
    "Decision",
    "Misdeclaration",
    "RequirementResult",
    "SEVERITY",
    "TestResult",
    "Verdict",
    "Waiver",
    "WaiverRecord",
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
    #: Every claimed class certified, but at least one only because a waiver covers a requirement
    #: that did not pass (a waived SHALL never counts as a pass).
    certified_with_waivers = "certified-with-waivers"
    not_certified = "not-certified"
    not_claimed = "not-claimed"


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


#: Largest integer a report may hold: canonical JSON (RFC 8785) numbers are IEEE doubles.
JSON_SAFE_INTEGER = (1 << 53) - 1


def _finite(v: float) -> float:
    if not math.isfinite(v):
        raise ValueError("must be a finite number")
    return v


class BinomialEvidence(_Result):
    """A statistical verdict (:meth:`orbitcert.conformance.statistics.EvidenceRecorder.binomial`):
    ``failures`` in ``trials`` fixed in advance; passed when the one-sided Clopper-Pearson upper
    bound on the failure probability at ``confidence`` is at most ``max_fraction``."""

    kind: Literal["binomial"] = "binomial"
    quantity: str = Field(description="What counts as a failure, e.g. 'acquisitions not complete within 100 s'.")
    method: Literal["clopper-pearson"] = "clopper-pearson"
    trials: int = Field(ge=1, le=JSON_SAFE_INTEGER)
    failures: int = Field(ge=0, le=JSON_SAFE_INTEGER)
    confidence: float = Field(ge=0.5, lt=1)
    bound: float = Field(ge=0, le=1, description="One-sided upper confidence bound on the failure probability.")
    max_fraction: float = Field(gt=0, lt=1, description="The largest failure probability the requirement allows.")
    passed: bool
    samples: list[float | None] | None = Field(
        default=None, description="One value per trial (null: no event within the trial), for the report's chart."
    )
    limit: float | None = Field(default=None, description="The sample value above which a trial is a failure.")
    unit: str = ""
    sample_label: str = ""

    _finite_bound = field_validator("bound", "confidence", "max_fraction")(_finite)

    @field_validator("samples")
    @classmethod
    def _finite_samples(cls, v: list[float | None] | None) -> list[float | None] | None:
        if v is not None and any(x is not None and not math.isfinite(x) for x in v):
            raise ValueError("samples are finite numbers or null")
        return v

    def summary(self) -> str:
        """One line: counts, bound, requirement and verdict."""
        verdict = "meets" if self.passed else "does not meet"
        return (
            f"{self.quantity}: {self.failures} of {self.trials} trials; {self.confidence:.0%} upper bound "
            f"{self.bound:.4f} {verdict} the required <= {self.max_fraction:g} (Clopper-Pearson)"
        )


class PoissonEvidence(_Result):
    """A statistical verdict on an event rate (:meth:`orbitcert.conformance.statistics.EvidenceRecorder.poisson`):
    ``events`` counted in ``exposure`` units fixed in advance (e.g. device-days of a Monte Carlo
    campaign); passed when the one-sided exact Poisson upper bound (Garwood 1936) on the rate at
    ``confidence`` is at most ``max_rate``. ``ci_low``/``ci_high`` are the two-sided interval at the
    same confidence, ``predicted`` a closed-form prediction of the rate (for the chart)."""

    kind: Literal["poisson"] = "poisson"
    quantity: str = Field(description="What is counted, e.g. 'uncorrectable memory words'.")
    method: Literal["garwood"] = "garwood"
    events: int = Field(ge=0, le=JSON_SAFE_INTEGER)
    exposure: float = Field(gt=0)
    exposure_unit: str = Field(description="Unit of the exposure, e.g. 'device-days'.")
    confidence: float = Field(ge=0.5, lt=1)
    bound: float = Field(ge=0, description="One-sided upper confidence bound on the rate, per exposure unit.")
    max_rate: float = Field(gt=0, description="The largest rate the requirement allows, per exposure unit.")
    ci_low: float = Field(ge=0)
    ci_high: float = Field(ge=0)
    predicted: float | None = Field(default=None, ge=0, description="Closed-form prediction of the rate, if any.")
    passed: bool

    _finite_values = field_validator("bound", "confidence", "max_rate", "exposure", "ci_low", "ci_high")(_finite)

    @property
    def rate(self) -> float:
        """The observed rate: events per exposure unit."""
        return self.events / self.exposure

    def summary(self) -> str:
        """One line: counts, bound, requirement and verdict."""
        verdict = "meets" if self.passed else "does not meet"
        return (
            f"{self.quantity}: {self.events} in {self.exposure:g} {self.exposure_unit}; {self.confidence:.0%} upper "
            f"bound {self.bound:.4g} per {self.exposure_unit.rstrip('s')} {verdict} the required <= {self.max_rate:g} (Poisson, Garwood)"
        )


class Quantity(_Result):
    """One named value of an analysis, with its unit."""

    name: str
    value: float | int | str
    unit: str = ""

    @field_validator("value")
    @classmethod
    def _finite_value(cls, v: float | int | str) -> float | int | str:
        if isinstance(v, float):
            _finite(v)
        elif isinstance(v, int) and abs(v) > JSON_SAFE_INTEGER:
            raise ValueError(f"integer {v} is beyond the exact range of JSON numbers (2^53 - 1): give it as a string")
        return v


class AnalysisEvidence(_Result):
    """A verification by analysis (:meth:`~orbitcert.conformance.statistics.EvidenceRecorder.analysis`):
    the inputs, each step of the computation, and the conclusion."""

    kind: Literal["analysis"] = "analysis"
    title: str
    inputs: list[Quantity] = Field(default_factory=list)
    steps: list[Quantity] = Field(default_factory=list)
    conclusion: str = ""


Evidence = Annotated[BinomialEvidence | PoissonEvidence | AnalysisEvidence, Field(discriminator="kind")]


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
    evidence: list[Evidence] = Field(
        default_factory=list, description="What the test computed: statistical verdicts and analyses, in order."
    )


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
    waiver: str | None = Field(
        default=None, description="Id of the waiver (in the report's 'waivers') that turned a non-passing verdict into 'waived'."
    )


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
    waived: list[str] = Field(
        default_factory=list, description="Requirements that did not pass but a waiver covers (never counted as passed)."
    )
    reason: str = ""


#: A waiver's id: letters, digits, '.', '_' and '-'.
WAIVER_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class Waiver(_Result):
    """A standards body's or a product owner's acceptance that a requirement need not pass, for a
    while: its scope (spec id, version range, requirement ids, product), who approved it, why, the
    linked issue and its expiry date. Loaded from a waivers YAML file (:mod:`.waivers`)."""

    id: str = Field(pattern=WAIVER_ID, description="The waiver's own id, e.g. 'W-2026-014'.")
    spec: str = Field(description="Spec id the waiver applies to.")
    versions: str = Field(default="*", description="Spec versions: '*', '1.0.0', or '>=1.0.0,<2.0.0'.")
    requirements: list[str] = Field(min_length=1, description="Requirement ids the waiver covers.")
    product: str = Field(default="*", description="Product name the waiver covers (shell-style pattern; '*' any).")
    approver: str = Field(min_length=1, description="Who approved the waiver.")
    reason: str = Field(min_length=1)
    issue: str = Field(min_length=1, description="The linked issue (URL or tracker id).")
    expires: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="Last day (UTC, YYYY-MM-DD) the waiver applies.")


class WaiverRecord(Waiver):
    """A waiver as a report records it, with what it did in this run."""

    status: Literal["applied", "expired", "not-needed", "unmatched"] = Field(
        description="applied: it waived at least one requirement; expired: past its date when the run finished; "
        "not-needed: every requirement it names passed (remove it); unmatched: it names no requirement that "
        "applies to this spec version and product."
    )
    note: str = ""

"""Statistical verdicts: the harness's one way to decide a stochastic requirement (DESIGN.md
"Verdicts and the certification decision"; docs/concepts/verdicts.md).

A stochastic requirement ("acquisition completes within 100 s in at least 95 % of attempts",
"fewer than 1e-6 uncorrectable errors per device-day") cannot be decided by one run. The suite
fixes the sample size **before** it looks at any outcome, from the spec's confidence and bound,
with :func:`binomial_sample_size`; it then runs exactly that many seeded trials and hands the
count of failures to the ``evidence`` fixture (:class:`EvidenceRecorder`), which computes an
exact one-sided upper confidence bound on the failure probability and passes the test only when
that bound meets the requirement. The report records the sample size, the failures, the bound,
the confidence and the verdict (and, in HTML, a chart of the samples against the limit).

Bounds (both exact, never normal approximations, which are wrong exactly where certification
lives: few failures in many trials):

* :func:`clopper_pearson_upper` - binomial proportion, Clopper and Pearson (1934), "The use of
  confidence or fiducial limits illustrated in the case of the binomial", Biometrika 26(4): the
  upper limit is the ``confidence`` quantile of Beta(k + 1, n - k);
* :func:`poisson_upper` - event rate per unit of exposure (e.g. upsets per device-day), Garwood
  (1936): half the ``confidence`` quantile of chi-square with 2(k + 1) degrees of freedom, divided
  by the exposure; :func:`poisson_interval` the two-sided interval for the report's chart.

Quantiles come from scipy.stats, the maintained reference for these distributions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .results import AnalysisEvidence, BinomialEvidence, PoissonEvidence, Quantity

__all__ = [
    "EvidenceRecorder",
    "binomial_sample_size",
    "clopper_pearson_upper",
    "poisson_interval",
    "poisson_upper",
    "samples_beyond",
]

#: Most samples kept in a report for its chart (the counts and the bound always use them all).
MAX_SAMPLES = 5_000


def _check_confidence(confidence: float) -> None:
    if not (isinstance(confidence, int | float) and 0.5 <= confidence < 1):
        raise ValueError(f"confidence must be in [0.5, 1), got {confidence!r}")


def clopper_pearson_upper(failures: int, trials: int, confidence: float) -> float:
    """One-sided exact upper confidence bound on a binomial probability after ``failures`` in
    ``trials``: the smallest p whose chance of showing ``failures`` or fewer is 1 - confidence."""
    _check_confidence(confidence)
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ValueError(f"trials must be a positive integer, got {trials!r}")
    if isinstance(failures, bool) or not isinstance(failures, int) or not 0 <= failures <= trials:
        raise ValueError(f"failures must be an integer in 0..{trials}, got {failures!r}")
    if failures == trials:
        return 1.0
    from scipy import stats  # imported on first use: scipy.stats costs 0.6 s, and collection needs none

    return float(stats.beta.ppf(confidence, failures + 1, trials - failures))


def binomial_sample_size(max_fraction: float, confidence: float, allowed_failures: int = 0) -> int:
    """The smallest number of trials n such that ``allowed_failures`` failures in n trials still
    demonstrate a failure probability of at most ``max_fraction`` at ``confidence``
    (Clopper-Pearson). With no allowed failure this is the "rule of three" family:
    n = ceil(ln(1 - confidence) / ln(1 - max_fraction)), 59 for 5 % at 95 %.

    Fix n with this before running any trial: choosing it after seeing outcomes invalidates the
    confidence statement.
    """
    _check_confidence(confidence)
    if not (isinstance(max_fraction, int | float) and 0 < max_fraction < 1):
        raise ValueError(f"max_fraction must be in (0, 1), got {max_fraction!r}")
    if isinstance(allowed_failures, bool) or not isinstance(allowed_failures, int) or allowed_failures < 0:
        raise ValueError(f"allowed_failures must be a non-negative integer, got {allowed_failures!r}")
    k = allowed_failures
    lo, hi = k + 1, max(k + 2, 2 * (k + 1))
    while clopper_pearson_upper(k, hi, confidence) > max_fraction:
        lo, hi = hi, hi * 2
        if hi > 1 << 40:
            raise ValueError("no practical sample size demonstrates that bound")
    while lo < hi:  # the bound falls as n grows: bisect for the first n that meets it
        mid = (lo + hi) // 2
        if clopper_pearson_upper(k, mid, confidence) <= max_fraction:
            hi = mid
        else:
            lo = mid + 1
    return lo


def poisson_upper(events: int, exposure: float, confidence: float) -> float:
    """One-sided exact upper confidence bound on a Poisson rate after ``events`` in ``exposure``
    units (e.g. device-days): chi2.ppf(confidence, 2(k + 1)) / (2 exposure)."""
    _check_confidence(confidence)
    if isinstance(events, bool) or not isinstance(events, int) or events < 0:
        raise ValueError(f"events must be a non-negative integer, got {events!r}")
    if not (isinstance(exposure, int | float) and exposure > 0 and math.isfinite(exposure)):
        raise ValueError(f"exposure must be a positive number, got {exposure!r}")
    from scipy import stats  # imported on first use: scipy.stats costs 0.6 s, and collection needs none

    return float(stats.chi2.ppf(confidence, 2 * (events + 1))) / (2.0 * exposure)


def poisson_interval(events: int, exposure: float, confidence: float) -> tuple[float, float]:
    """Two-sided exact (Garwood) confidence interval on a Poisson rate after ``events`` in
    ``exposure``: chi2 quantiles at (1 - confidence) / 2 with 2k and at (1 + confidence) / 2 with
    2(k + 1) degrees of freedom, halved and divided by the exposure (lower limit 0 when k = 0)."""
    upper = poisson_upper(events, exposure, (1.0 + confidence) / 2.0)
    from scipy import stats  # imported on first use: scipy.stats costs 0.6 s, and collection needs none

    lower = 0.0 if events == 0 else float(stats.chi2.ppf((1.0 - confidence) / 2.0, 2 * events)) / (2.0 * exposure)
    return lower, upper


def samples_beyond(samples: Sequence[float | None], limit: float) -> int:
    """How many samples are failures against ``limit``: above it, or no event in the trial
    (None, infinite or NaN). The one rule the recorder and ``report verify`` both count by."""
    return sum(1 for v in samples if v is None or not float(v) <= limit)


def _sample(value: Any) -> float | None:
    """A chart sample: a finite float, or None for "no event within the trial" (infinite, NaN)."""
    x = float(value)
    return x if math.isfinite(x) else None


class EvidenceRecorder:
    """The ``evidence`` fixture: what a test computed, kept for its report entry.

    :meth:`binomial` decides a stochastic requirement (and fails the test when the bound is not
    met); :meth:`analysis` records a verification by analysis (inputs, steps, conclusion). Both
    travel with the test's result into every report format.
    """

    def __init__(self) -> None:
        self.items: list[BinomialEvidence | PoissonEvidence | AnalysisEvidence] = []

    def binomial(
        self,
        quantity: str,
        trials: int,
        failures: int,
        max_fraction: float,
        confidence: float,
        samples: Sequence[float] | None = None,
        limit: float | None = None,
        unit: str = "",
        sample_label: str = "",
    ) -> BinomialEvidence:
        """Decide "the probability of ``quantity`` is at most ``max_fraction``" from ``failures``
        in ``trials`` (a number fixed in advance, see :func:`binomial_sample_size`): pass when the
        Clopper-Pearson upper bound at ``confidence`` is at most ``max_fraction``. ``samples`` (one
        per trial; infinite for a trial with no event) and ``limit`` draw the report's chart.
        Records the evidence, then raises AssertionError naming the bound when it is not met."""
        bound = clopper_pearson_upper(failures, trials, confidence)
        if not 0 < max_fraction < 1:
            raise ValueError(f"max_fraction must be in (0, 1), got {max_fraction!r}")
        kept = [_sample(v) for v in samples][:MAX_SAMPLES] if samples is not None else None
        if samples is not None and len(samples) != trials:
            raise ValueError(f"{len(samples)} samples for {trials} trials")
        if samples is not None and limit is not None:
            over = samples_beyond(samples, limit)
            if over != failures:
                raise ValueError(f"{failures} failures declared but {over} samples exceed the limit {limit}")
        ev = BinomialEvidence(
            quantity=quantity,
            trials=trials,
            failures=failures,
            confidence=confidence,
            bound=bound,
            max_fraction=max_fraction,
            passed=bound <= max_fraction,
            samples=kept,
            limit=limit,
            unit=unit,
            sample_label=sample_label,
        )
        self.items.append(ev)
        if not ev.passed:
            raise AssertionError(ev.summary())
        return ev

    def poisson(
        self,
        quantity: str,
        events: int,
        exposure: float,
        max_rate: float,
        confidence: float,
        exposure_unit: str = "device-days",
        predicted: float | None = None,
    ) -> PoissonEvidence:
        """Decide "the rate of ``quantity`` is at most ``max_rate`` per exposure unit" from
        ``events`` counted in ``exposure`` (fixed in advance): pass when the one-sided exact Poisson
        upper bound at ``confidence`` is at most ``max_rate``. ``predicted`` (a closed-form rate) is
        drawn beside the result in the report's chart. Records the evidence, then raises
        AssertionError naming the bound when it is not met."""
        if not (isinstance(max_rate, int | float) and max_rate > 0 and math.isfinite(max_rate)):
            raise ValueError(f"max_rate must be a positive number, got {max_rate!r}")
        bound = poisson_upper(events, exposure, confidence)
        low, high = poisson_interval(events, exposure, confidence)
        ev = PoissonEvidence(
            quantity=quantity,
            events=events,
            exposure=float(exposure),
            exposure_unit=exposure_unit,
            confidence=confidence,
            bound=bound,
            max_rate=float(max_rate),
            ci_low=low,
            ci_high=high,
            predicted=None if predicted is None else float(predicted),
            passed=bound <= max_rate,
        )
        self.items.append(ev)
        if not ev.passed:
            raise AssertionError(ev.summary())
        return ev

    def analysis(
        self,
        title: str,
        inputs: dict[str, tuple[float | int | str, str]],
        steps: Sequence[tuple[str, float | int | str, str]],
        conclusion: str,
    ) -> AnalysisEvidence:
        """Record a verification by analysis: its inputs ``{name: (value, unit)}``, its steps
        ``[(name, value, unit)]`` in order, and the conclusion drawn. Deciding is the test's own
        assertion; this only makes the computation part of the report."""
        ev = AnalysisEvidence(
            title=title,
            inputs=[Quantity(name=k, value=v, unit=u) for k, (v, u) in inputs.items()],
            steps=[Quantity(name=k, value=v, unit=u) for k, v, u in steps],
            conclusion=conclusion,
        )
        self.items.append(ev)
        return ev

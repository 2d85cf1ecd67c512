"""The statistical verdict helper (orbitcert.conformance.statistics) against published values
and the defining identities, and its evidence in every report format."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from orbitcert.conformance import (
    binomial_sample_size,
    clopper_pearson_upper,
    poisson_interval,
    poisson_upper,
    verify_report,
    write_reports,
)
from orbitcert.conformance.charts import distribution_svg
from orbitcert.conformance.results import AnalysisEvidence, BinomialEvidence, PoissonEvidence, TestResult, Verdict
from orbitcert.conformance.statistics import EvidenceRecorder
from orbitcert.conformance.verify import Check
from orbitcert.conformance.writers import report_html, report_json, report_markdown

from helpers import synthetic_report


# --- bounds against published values ---------------------------------------------------------


@pytest.mark.parametrize(("n", "expected"), [(10, 0.2589), (30, 0.0950), (59, 0.0495), (300, 0.00994)])
def test_zero_failure_upper_bound_is_the_closed_form(n: int, expected: float) -> None:
    """With no failure the one-sided Clopper-Pearson bound is 1 - (1 - c)^(1/n) exactly."""
    assert clopper_pearson_upper(0, n, 0.95) == pytest.approx(1 - 0.05 ** (1 / n), rel=1e-9)
    assert clopper_pearson_upper(0, n, 0.95) == pytest.approx(expected, abs=5e-5)


def test_two_sided_table_value() -> None:
    """Clopper-Pearson 95 % two-sided interval for 0 of 10 has upper limit 0.3085 (the usual
    published table value); the one-sided bound at 97.5 % is that limit."""
    assert clopper_pearson_upper(0, 10, 0.975) == pytest.approx(0.3085, abs=5e-5)


@pytest.mark.parametrize(("k", "n", "c"), [(1, 20, 0.95), (3, 124, 0.95), (7, 1000, 0.99), (50, 60, 0.9)])
def test_upper_bound_is_where_the_binomial_tail_equals_one_minus_confidence(k: int, n: int, c: float) -> None:
    """The defining identity: P(X <= k; n, p_upper) = 1 - c (binomial CDF, a different scipy routine)."""
    p = clopper_pearson_upper(k, n, c)
    assert stats.binom.cdf(k, n, p) == pytest.approx(1 - c, rel=1e-7)


def test_the_bound_is_conservative_by_simulation() -> None:
    """Coverage: over many seeded experiments at a true p, the bound is below p at most 5 % of the time."""
    rng = np.random.default_rng(7)
    p, n = 0.03, 150
    failures = rng.binomial(n, p, size=4000)
    below = sum(clopper_pearson_upper(int(k), n, 0.95) < p for k in failures)
    assert below / len(failures) <= 0.05


@pytest.mark.parametrize(("k", "expected"), [(0, 2.996), (1, 4.744), (2, 6.296), (10, 16.962)])
def test_poisson_upper_bound_table(k: int, expected: float) -> None:
    """One-sided 95 % upper limits of a Poisson mean (Garwood; published tables, e.g. Gehrels 1986 ApJ 303: 3.00, 4.74, 6.30, 16.96)."""
    assert poisson_upper(k, 1.0, 0.95) == pytest.approx(expected, abs=0.01)
    assert poisson_upper(k, 10.0, 0.95) == pytest.approx(expected / 10, abs=0.001)


# --- sample sizes ------------------------------------------------------------------------------


def test_rule_of_three_sample_size() -> None:
    assert binomial_sample_size(0.05, 0.95) == 59 == math.ceil(math.log(0.05) / math.log(0.95))
    assert binomial_sample_size(0.01, 0.95) == 299


@pytest.mark.parametrize(("p", "c", "k"), [(0.05, 0.95, 0), (0.05, 0.95, 2), (0.1, 0.9, 5), (0.001, 0.99, 1)])
def test_sample_size_is_the_smallest_that_meets_the_bound(p: float, c: float, k: int) -> None:
    n = binomial_sample_size(p, c, k)
    assert clopper_pearson_upper(k, n, c) <= p < clopper_pearson_upper(k, n - 1, c)


@pytest.mark.parametrize(
    "bad", [dict(max_fraction=0.0, confidence=0.95), dict(max_fraction=0.05, confidence=1.0), dict(max_fraction=0.05, confidence=0.95, allowed_failures=-1)]
)
def test_bad_plans_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        binomial_sample_size(**bad)  # type: ignore[arg-type]


def test_bad_counts_are_refused() -> None:
    for args in [(3, 2, 0.95), (-1, 5, 0.95), (0, 0, 0.95), (True, 5, 0.95)]:
        with pytest.raises(ValueError):
            clopper_pearson_upper(*args)  # type: ignore[arg-type]


# --- the evidence fixture's recorder -------------------------------------------------------------


def test_binomial_verdict_passes_and_fails_on_the_bound() -> None:
    r = EvidenceRecorder()
    ok = r.binomial("late", trials=124, failures=2, max_fraction=0.05, confidence=0.95)
    assert ok.passed and ok.bound <= 0.05
    with pytest.raises(AssertionError, match=r"3 of 124 trials; 95% upper bound 0\.06"):
        r.binomial("late", trials=124, failures=3, max_fraction=0.05, confidence=0.95)
    assert [e.passed for e in r.items] == [True, False], "a failed verdict is still recorded"


def test_samples_must_agree_with_the_failure_count() -> None:
    r = EvidenceRecorder()
    with pytest.raises(ValueError, match="exceed the limit"):
        r.binomial("late", trials=3, failures=0, max_fraction=0.5, confidence=0.9, samples=[1.0, 200.0, 3.0], limit=100.0)
    ev = r.binomial("late", trials=3, failures=1, max_fraction=0.9, confidence=0.9, samples=[1.0, math.inf, 3.0], limit=100.0)
    assert ev.samples == [1.0, None, 3.0]


# --- in the reports ------------------------------------------------------------------------------


def _report_with_evidence() -> object:
    r = EvidenceRecorder()
    rng = np.random.default_rng(3)
    times = [*rng.gamma(4.0, 9.0, size=120).tolist(), 130.0, math.inf]
    with pytest.raises(AssertionError):
        r.binomial("acquisitions not complete within 100 s", 122, sum(1 for t in times if t > 100), 0.01, 0.95,
                   samples=times, limit=100.0, unit="s", sample_label="acquisition time")
    r.analysis("link budget", {"transmit power": (1.0, "W")}, [("margin", 4.2, "dB")], "margin 4.2 dB >= 3 dB")
    report = synthetic_report()
    first = report.tests[0]
    report.tests[0] = TestResult(**{**first.model_dump(), "verdict": Verdict.failed, "evidence": r.items})
    return report


def test_evidence_is_in_the_json_markdown_and_html() -> None:
    report = _report_with_evidence()
    data = report_json(report).decode()  # type: ignore[arg-type]
    assert '"bound":' in data and '"method":"clopper-pearson"' in data and '"kind":"analysis"' in data
    md = report_markdown(report)  # type: ignore[arg-type]
    assert "Statistical verdicts" in md and "upper bound" in md
    html = report_html(report)  # type: ignore[arg-type]
    assert "Clopper-Pearson" in html or "clopper-pearson" in html
    assert "<svg" in html and "limit 100 s" in html, "the chart of the samples against the limit"
    assert "link budget" in html and "margin 4.2 dB" in html


def test_chart_is_valid_deterministic_svg() -> None:
    ev = BinomialEvidence(quantity="late", trials=4, failures=1, confidence=0.95, bound=0.9, max_fraction=0.5,
                          passed=False, samples=[10.0, 20.0, None, 30.0], limit=25.0, unit="s")
    a, b = distribution_svg(ev), distribution_svg(ev)
    assert a is not None and a == b
    ET.fromstring(a)  # well-formed XML
    assert distribution_svg(ev.model_copy(update={"samples": None})) is None


def test_evidence_models_refuse_non_finite_values() -> None:
    with pytest.raises(ValueError):
        BinomialEvidence(quantity="x", trials=1, failures=0, confidence=0.95, bound=float("nan"), max_fraction=0.5, passed=True)
    with pytest.raises(ValueError):
        AnalysisEvidence(title="x", inputs=[{"name": "p", "value": float("inf")}])  # type: ignore[list-item]


def _report_with_verdict(failures: int, passed: bool, test_verdict: Verdict) -> object:
    ev = BinomialEvidence(quantity="late", trials=124, failures=failures, confidence=0.95,
                          bound=clopper_pearson_upper(failures, 124, 0.95), max_fraction=0.05, passed=passed)
    report = synthetic_report()
    first = report.tests[0]
    report.tests[0] = TestResult(**{**first.model_dump(), "verdict": test_verdict, "evidence": [ev]})
    return report


def _verdicts_check(folder: Path) -> Check:
    """``report verify``'s verdicts check (9) of the report written in ``folder``; the signature
    (check 3) holds: write_reports signs what it writes. A synthetic report has no real suite, so
    the suite is not collected (``collect=False``)."""
    v = verify_report(folder / "net-optical-isl-1.0.0.json", collect=False)
    assert v.check("signatures").status == "pass", v.check("signatures").messages
    return v.check("verdicts")


def test_verify_recomputes_statistical_verdicts(tmp_path: Path) -> None:
    """A report whose statistical verdict was edited to pass (and re-signed, so the signature
    holds) does not verify: the bound is recomputed from the counts."""
    write_reports(_report_with_verdict(2, True, Verdict.passed), tmp_path / "good", ("json",))  # type: ignore[arg-type]
    good = _verdicts_check(tmp_path / "good")
    assert good.status == "pass" and "1 statistical bound(s) recompute" in good.messages[0], good.messages
    # 5 failures in 124: bound 0.083 > 0.05, yet marked passed in a passing test.
    write_reports(_report_with_verdict(5, True, Verdict.passed), tmp_path / "forged", ("json",))  # type: ignore[arg-type]
    forged = _verdicts_check(tmp_path / "forged")
    assert any(m.startswith("statistical: ") and "says pass" in m for m in forged.failures), forged.messages
    write_reports(_report_with_verdict(5, False, Verdict.passed), tmp_path / "forged2", ("json",))  # type: ignore[arg-type]
    forged2 = _verdicts_check(tmp_path / "forged2")
    assert any("failed statistical verdict in a passing test" in m for m in forged2.failures), forged2.messages


# --- the run's seed ----------------------------------------------------------------------------


def test_run_seed_from_option_environment_or_fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    from orbitcert.conformance.options import RunOptions, run_seed
    from orbitcert.specs.errors import OptionError

    assert run_seed(7) == 7 and run_seed("12") == 12
    monkeypatch.setenv("ORBITCERT_SEED", "99")
    assert run_seed() == 99 and RunOptions.create().seed == 99
    monkeypatch.delenv("ORBITCERT_SEED")
    fresh = {run_seed() for _ in range(4)}
    assert len(fresh) == 4, "drawn fresh for every run"
    for bad in ("x", -1, 2**53, "1.5"):
        with pytest.raises(OptionError):
            run_seed(bad)  # type: ignore[arg-type]


# --- Poisson rate verdicts ---------------------------------------------------------------------


@pytest.mark.parametrize(("k", "low", "high"), [(0, 0.0, 3.689), (1, 0.0253, 5.572), (5, 1.623, 11.668), (10, 4.795, 18.390)])
def test_poisson_interval_table(k: int, low: float, high: float) -> None:
    """Two-sided 95 % exact limits of a Poisson mean (Garwood; published tables, e.g. Ulm 1990 /
    the tables of exact Poisson limits: k=1 -> 0.0253..5.572, k=5 -> 1.623..11.668, k=10 -> 4.795..18.390)."""
    lo, hi = poisson_interval(k, 1.0, 0.95)
    assert lo == pytest.approx(low, abs=2e-3) and hi == pytest.approx(high, abs=2e-3)
    lo10, hi10 = poisson_interval(k, 10.0, 0.95)
    assert lo10 == pytest.approx(lo / 10) and hi10 == pytest.approx(hi / 10)


def test_poisson_interval_covers_by_simulation() -> None:
    """The two-sided 90 % interval covers the true rate in at least 90 % of seeded experiments."""
    rng = np.random.default_rng(11)
    rate, exposure = 0.7, 5.0
    counts = rng.poisson(rate * exposure, size=3000)
    covered = sum(lo <= rate <= hi for lo, hi in (poisson_interval(int(k), exposure, 0.90) for k in counts))
    assert covered / len(counts) >= 0.90


def test_poisson_verdict_passes_and_fails_on_the_bound() -> None:
    r = EvidenceRecorder()
    ev = r.poisson("uncorrectable words", events=4, exposure=10_000.0, max_rate=1e-3, confidence=0.95, predicted=2e-4)
    assert ev.passed and ev.bound == pytest.approx(poisson_upper(4, 10_000.0, 0.95)) and ev.rate == 4e-4
    with pytest.raises(AssertionError, match="does not meet"):
        r.poisson("uncorrectable words", events=5, exposure=10_000.0, max_rate=1e-3, confidence=0.95)
    assert [e.passed for e in r.items] == [True, False]
    with pytest.raises(ValueError):
        r.poisson("x", events=-1, exposure=1.0, max_rate=1.0, confidence=0.95)
    with pytest.raises(ValueError):
        r.poisson("x", events=1, exposure=0.0, max_rate=1.0, confidence=0.95)


def test_poisson_evidence_in_reports_and_verify(tmp_path: Path) -> None:
    """The rate verdict reaches JSON, Markdown and HTML (with its chart), and a report whose
    failing rate verdict was edited to pass (re-signed) does not verify."""
    good = PoissonEvidence(quantity="uncorrectable words", events=2, exposure=1e4, exposure_unit="device-days",
                           confidence=0.95, bound=poisson_upper(2, 1e4, 0.95), max_rate=1e-3,
                           ci_low=poisson_interval(2, 1e4, 0.95)[0], ci_high=poisson_interval(2, 1e4, 0.95)[1],
                           predicted=1.5e-4, passed=True)
    report = synthetic_report()
    first = report.tests[0]
    report.tests[0] = TestResult(**{**first.model_dump(), "verdict": Verdict.passed, "evidence": [good]})
    html = report_html(report)
    assert "uncorrectable words" in html and "<svg" in html and "predicted" in html and "garwood" in html
    assert "Poisson" in report_markdown(report)
    write_reports(report, tmp_path / "good", ("json",))
    checked = _verdicts_check(tmp_path / "good")
    assert checked.status == "pass" and "1 statistical bound(s) recompute" in checked.messages[0], checked.messages
    forged = good.model_copy(update={"events": 9})  # bound 0.0016 > 0.001, still marked passed
    report.tests[0] = TestResult(**{**first.model_dump(), "verdict": Verdict.passed, "evidence": [forged]})
    write_reports(report, tmp_path / "forged", ("json",))
    checked = _verdicts_check(tmp_path / "forged")
    assert any("recomputes" in m for m in checked.failures) and any("says pass" in m for m in checked.failures), checked.messages


def test_the_campaign_engine_and_the_harness_agree_on_poisson_intervals() -> None:
    """The reference's campaign (reference_impl may not import the harness) computes its own
    Garwood interval; the two implementations agree."""
    from orbitcert.reference_impl.hardware.campaign import garwood_interval

    for k in (0, 1, 3, 25, 400):
        for conf in (0.9, 0.95, 0.99):
            assert garwood_interval(k, 182.6, conf) == pytest.approx(poisson_interval(k, 182.6, conf), rel=1e-12, abs=1e-15)

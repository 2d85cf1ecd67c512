"""The radiation campaign engine against reliability theory, a brute-force simulator and itself.

Oracles:
* closed forms: ``M C(n,2) lambda^2 T`` (scrubbed, lambda T << 1) and the exact per-interval
  probability ``1 - (1-p)^n - n p (1-p)^(n-1)``, ``p = (1 - exp(-2 lambda t)) / 2`` (scrubbed with
  lambda T not small, and unscrubbed word failures), each test saying which one it checks;
* scipy: ``scipy.stats.binomtest`` (Clopper-Pearson interval of the failed-word fraction),
  ``scipy.stats.poisson`` (Garwood interval cross-check);
* an independent brute-force simulator written here (Python loops over bits and exponential
  inter-arrival times, scrub visits walked one by one);
* determinism: the same seed through serial, process-pool and reordered executors.

Every statistical check uses the campaign's own two-sided interval at 99 % and a fixed seed.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy import stats

from orbitcert.reference_impl.hardware import campaign as cm
from orbitcert.reference_impl.hardware.campaign import (
    CampaignConfig,
    CampaignError,
    RateEstimate,
    expected_failures_per_trial,
    garwood_interval,
    plan_chunks,
    predicted_mttf_days,
    predicted_uncorrectable_rate,
    run_campaign,
    word_failure_probability,
)
from orbitcert.reference_impl.hardware.edac import OUTCOME_CORRECTED, OUTCOME_DETECTED, OUTCOME_SILENT, code

N = 72
CONF = 0.99


def _config(**kw: Any) -> CampaignConfig:
    base: dict[str, Any] = dict(
        words=256, upset_rate_per_bit_day=2e-4, scrub_period_s=86_400.0, mission_days=1000.0, trials=40,
        seed=20261126, confidence=CONF,
    )
    base.update(kw)
    return CampaignConfig(**base)


# --- closed forms against independent computations ---------------------------------------------


def test_word_failure_probability_matches_binomial_and_poisson_parity() -> None:
    """Exact form against scipy's binomial survival function with p from the Poisson parity sum."""
    lam, n = 3e-3, N
    for t in (1e-3, 0.5, 10.0, 200.0):
        k = np.arange(0, 400)
        p_odd = float(stats.poisson.pmf(k[k % 2 == 1], lam * t).sum())  # P(odd number of hits), brute
        expected = float(stats.binom.sf(1, n, p_odd))
        got = float(word_failure_probability(n, lam, t))
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-300)
    # the approximation converges to the exact form as lambda t -> 0
    tiny = float(word_failure_probability(n, 1e-9, 1.0))
    assert tiny == pytest.approx(float(word_failure_probability(n, 1e-9, 1.0, exact=False)), rel=1e-6)


def test_predicted_rate_and_mttf_closed_forms() -> None:
    m, lam, t_s = 1 << 27, 1e-7, 3600.0
    t = t_s / 86_400
    rate = predicted_uncorrectable_rate(m, N, lam, t_s)
    assert rate == pytest.approx(m * N * (N - 1) / 2 * lam**2 * t, rel=1e-12)
    assert predicted_mttf_days(m, N, lam, t_s) == pytest.approx(2 / (m * N * (N - 1) * lam**2 * t), rel=1e-12)


def test_expected_failures_by_brute_force_sum_over_intervals() -> None:
    """The edge-exact expectation against an explicit walk over every word's visits."""
    cfg = _config(words=7, upset_rate_per_bit_day=1e-2, scrub_period_s=3 * 86_400.0, mission_days=10.0)
    t, d = 3.0, 10.0
    total = 0.0
    for w in range(7):
        visits = [w / 7 * t + k * t for k in range(10) if w / 7 * t + k * t < d]
        edges = [0.0, *visits, d]
        for a, b in zip(edges[:-1], edges[1:]):
            if b > a:
                total += float(word_failure_probability(N, 1e-2, b - a))
    assert expected_failures_per_trial(cfg) == pytest.approx(total, rel=1e-12)


def test_garwood_interval_against_poisson_quantile_definition() -> None:
    """The chi-square form against its definition: P(X >= k | low) = a/2, P(X <= k | high) = a/2."""
    for k in (0, 1, 7, 250):
        low, high = garwood_interval(k, 1.0, 0.95)
        if k:
            assert stats.poisson.sf(k - 1, low) == pytest.approx(0.025, rel=1e-6)
        else:
            assert low == 0.0
        assert stats.poisson.cdf(k, high) == pytest.approx(0.025, rel=1e-6)
    est = RateEstimate.of(0, 10.0, 0.95)
    assert est.mttf_days == math.inf and est.mttf_ci_high == math.inf and est.mttf_ci_low > 0


# --- the engine against theory -------------------------------------------------------------------

SMALL_LT = [
    # (words, lambda /bit/day, T s, days, trials): lambda*T << 1, 1,300 to 5,000 events (CI +-3..6 %)
    (256, 2e-4, 86_400.0, 1000.0, 200),
    (1024, 1e-5, 864_000.0, 2000.0, 400),
    (64, 1e-3, 3600.0, 500.0, 400),
]


@pytest.mark.parametrize(("words", "lam", "period", "days", "trials"), SMALL_LT)
def test_scrubbed_rate_matches_m_c_n2_lambda2_t(words: int, lam: float, period: float, days: float, trials: int) -> None:
    """Checks the lambda*T << 1 approximation M*C(n,2)*lambda^2*T against the DETECTED count."""
    cfg = _config(words=words, upset_rate_per_bit_day=lam, scrub_period_s=period, mission_days=days, trials=trials)
    r = run_campaign(cfg)
    predicted = predicted_uncorrectable_rate(words, N, lam, period)
    assert r.uncorrectable_events >= 1000
    assert r.uncorrectable.ci_low <= predicted <= r.uncorrectable.ci_high, (r.uncorrectable, predicted)
    assert r.prediction.uncorrectable_rate_per_device_day == pytest.approx(predicted)
    assert r.upsets == pytest.approx(words * N * lam * days * trials, rel=0.05)
    assert r.corrected_events + 2 * (r.uncorrectable_events + r.silent_events) <= r.upsets


def test_scrubbed_rate_with_large_lambda_t_matches_exact_interval_probability() -> None:
    """lambda*T = 0.005 (n*lambda*T = 0.36): the approximation is ~25 % high, so this checks the exact
    per-interval form 1-(1-p)^n-n p(1-p)^(n-1) (edges included) against DETECTED + SILENT."""
    cfg = _config(words=128, upset_rate_per_bit_day=5e-3, scrub_period_s=86_400.0, mission_days=150.0, trials=20)
    r = run_campaign(cfg)
    failures = r.uncorrectable_events + r.silent_events
    est = RateEstimate.of(failures, r.device_days, CONF)
    exact = expected_failures_per_trial(cfg) / cfg.mission_days
    assert est.ci_low <= exact <= est.ci_high, (est, exact)
    approx = predicted_uncorrectable_rate(128, N, 5e-3, 86_400.0)
    assert not est.ci_low <= approx <= est.ci_high  # the test can tell the two forms apart
    assert r.silent_events > 0  # triple hits miscorrect at this rate


def test_unscrubbed_failed_word_fraction_matches_word_failure_probability() -> None:
    """No scrubbing: fraction of failed words (DETECTED + SILENT) against the exact word-failure
    probability, Clopper-Pearson interval (scipy.stats.binomtest)."""
    words, trials, lam, days = 1000, 200, 1e-3, 2.0
    cfg = _config(words=words, upset_rate_per_bit_day=lam, scrub_period_s=None, mission_days=days, trials=trials)
    r = run_campaign(cfg)
    failed = r.uncorrectable_events + r.silent_events
    ci = stats.binomtest(failed, words * trials).proportion_ci(confidence_level=CONF, method="exact")
    p = float(word_failure_probability(N, lam, days))
    assert failed > 1000
    assert ci.low <= p <= ci.high, (failed / (words * trials), p)


# --- brute force ---------------------------------------------------------------------------------


def _brute_force(words: int, lam: float, period_days: float | None, days: float, trials: int, seed: int) -> np.ndarray:
    """Per-trial (corrected, detected, silent) counts by direct simulation: each bit's upset times
    from exponential gaps, the scrubber's visits walked in time order for each word."""
    rng = np.random.default_rng(seed)
    c = code("hsiao-72-64")
    out = np.zeros((trials, 3), dtype=np.int64)
    for trial in range(trials):
        for w in range(words):
            hits: list[tuple[float, int]] = []
            for b in range(N):
                t = rng.exponential(1 / lam)
                while t < days:
                    hits.append((t, b))
                    t += rng.exponential(1 / lam)
            hits.sort()
            if period_days is None:
                visits = [days]
            else:
                visits = []
                v = w / words * period_days
                while v < days:
                    visits.append(v)
                    v += period_days
                visits.append(days)  # the mission's last read
            i = 0
            for v in visits:
                pattern: set[int] = set()
                while i < len(hits) and hits[i][0] < v:
                    pattern ^= {hits[i][1]}
                    i += 1
                if not pattern:
                    continue
                data = sum(1 << b for b in pattern if b < 64)
                check = sum(1 << (b - 64) for b in pattern if b >= 64)
                outcome = int(c.classify(np.array([data], dtype=np.uint64), np.array([check], dtype=np.uint8))[0])
                col = {OUTCOME_CORRECTED: 0, OUTCOME_DETECTED: 1, OUTCOME_SILENT: 2}.get(outcome)
                if col is not None:
                    out[trial, col] += 1
    return out


@pytest.mark.parametrize("period_days", [1.0, None])
def test_engine_agrees_with_brute_force_simulator(period_days: float | None) -> None:
    words, lam, days = 4, 0.05 if period_days else 0.01, 20.0
    brute = _brute_force(words, lam, period_days, days, 150, seed=7)
    cfg = _config(
        words=words, upset_rate_per_bit_day=lam, scrub_period_s=None if period_days is None else period_days * 86_400,
        mission_days=days, trials=3000,
    )
    r = run_campaign(cfg)
    engine = {
        "corrected": r.corrected_events / r.trials,
        "detected": np.mean(r.per_trial_uncorrectable),
        "silent": np.mean(r.per_trial_silent),
    }
    engine_var = {"detected": np.var(r.per_trial_uncorrectable), "silent": np.var(r.per_trial_silent)}
    for col, name in enumerate(("corrected", "detected", "silent")):
        b = brute[:, col]
        var_e = engine_var.get(name, b.var())  # corrected per trial: use the brute-force variance
        se = math.sqrt(b.var(ddof=1) / len(b) + var_e / r.trials) or 1e-9
        assert abs(b.mean() - engine[name]) < 4 * se, (name, b.mean(), engine[name], se)
    assert brute[:, 1].sum() > 50  # the comparison has events to compare


# --- determinism and chunking --------------------------------------------------------------------


class _ReversedExecutor(concurrent.futures.Executor):
    """Runs submitted calls in reverse order of submission (deferred until the first result is asked)."""

    def __init__(self) -> None:
        self._pending: list[tuple[concurrent.futures.Future[Any], Callable[..., Any], tuple[Any, ...]]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._pending.append((fut, fn, args))
        if len(self._pending) == len(_EXPECTED_CHUNKS):
            for f, g, a in reversed(self._pending):
                f.set_result(g(*a))
        return fut


_EXPECTED_CHUNKS: list[int] = []


def test_same_seed_same_result_serial_pool_and_reordered() -> None:
    cfg = _config(words=512, upset_rate_per_bit_day=1e-3, scrub_period_s=3600.0, mission_days=200.0, trials=24)
    serial = run_campaign(cfg)
    assert serial.chunks >= 2
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        pooled = run_campaign(cfg, pool)
    _EXPECTED_CHUNKS[:] = list(range(serial.chunks))
    reordered = run_campaign(cfg, _ReversedExecutor())
    assert pooled == serial and reordered == serial
    assert pooled.to_dict() == serial.to_dict()
    other = run_campaign(dataclasses.replace(cfg, seed=cfg.seed + 1))
    assert other.per_trial_uncorrectable != serial.per_trial_uncorrectable
    assert other.upsets != serial.upsets


def test_progress_reports_every_chunk() -> None:
    cfg = _config(trials=32, mission_days=10.0)
    seen: list[tuple[int, int]] = []
    r = run_campaign(cfg, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, r.chunks) and seen[-1] == (r.chunks, r.chunks) and len(seen) == r.chunks + 1


def test_chunk_plan_bounds_memory_and_depends_only_on_config() -> None:
    big = CampaignConfig(words=1 << 27, upset_rate_per_bit_day=1e-7, scrub_period_s=10.0, mission_days=1826.25,
                         trials=100, seed=1)
    plan = plan_chunks(big)
    assert plan == plan_chunks(big)
    per_word = big.n * big.upset_rate_per_bit_day * big.mission_days
    for ch in plan:
        expected = (ch.trial_stop - ch.trial_start) * (ch.word_stop - ch.word_start) * per_word
        assert expected <= cm.TARGET_UPSETS_PER_CHUNK
    # every (trial, word) is covered exactly once
    covered = sum((ch.trial_stop - ch.trial_start) * (ch.word_stop - ch.word_start) for ch in plan)
    assert covered == big.trials * big.words
    assert [ch.index for ch in plan] == list(range(len(plan)))


def test_word_range_chunks_give_consistent_statistics() -> None:
    """Forcing many small word-range chunks (memory bound) changes the draws, not the physics."""
    cfg = _config(words=256, upset_rate_per_bit_day=2e-4, scrub_period_s=86_400.0, mission_days=1000.0, trials=40)
    small = plan_chunks(cfg, target=2000)
    assert any(ch.word_stop - ch.word_start < cfg.words for ch in small)
    r = run_campaign(cfg, chunks=small)
    predicted = predicted_uncorrectable_rate(256, N, 2e-4, 86_400.0)
    assert r.uncorrectable.ci_low <= predicted <= r.uncorrectable.ci_high


def test_lexsort_fallback_gives_identical_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """The path for key spaces too large to pack (tiny scrub periods) sees the same draws and must
    count exactly the same events as the packed-key path."""
    cfg = _config(words=64, upset_rate_per_bit_day=5e-3, scrub_period_s=43_200.0, mission_days=100.0, trials=16)
    packed = run_campaign(cfg)
    monkeypatch.setattr(cm, "_MAX_KEY", 1 << 8)
    fallback = run_campaign(cfg)
    assert fallback == packed
    assert packed.uncorrectable_events > 0


def test_to_dict_is_json_and_has_the_reported_fields() -> None:
    import json

    r = run_campaign(_config(upset_rate_per_bit_day=1e-9, trials=2, mission_days=10.0))
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert d["uncorrectable_events"] == 0 and d["mttf_days"]["value"] is None and d["mttf_days"]["ci_low"] > 0
    assert d["device_days"] == 20.0 and d["inputs"]["code"] == "hsiao-72-64"
    assert set(d["uncorrectable_rate_per_device_day"]) >= {"rate", "ci_low", "ci_high"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("words", 0), ("words", -3), ("words", 2.5), ("upset_rate_per_bit_day", -1.0),
        ("upset_rate_per_bit_day", math.nan), ("scrub_period_s", 0.0), ("scrub_period_s", math.inf),
        ("mission_days", 0.0), ("trials", 0), ("seed", -1), ("confidence", 1.0), ("code", "hamming-7-4"),
    ],
)
def test_config_validation_names_the_field(field: str, value: Any) -> None:
    with pytest.raises(CampaignError, match=f"^{field}:"):
        _config(**{field: value})


@pytest.mark.parametrize(
    "processes", [False, pytest.param(True, marks=pytest.mark.slow, id="worker-processes")], ids=["threads", None]
)
def test_dask_executor_gives_the_serial_result(processes: bool) -> None:
    """A dask LocalCluster (worker threads; and, in the slow run, worker processes, so chunks and
    results cross pickling as on a real cluster) gives exactly the serial result."""
    distributed = pytest.importorskip("distributed")
    cfg = _config(words=512, upset_rate_per_bit_day=1e-3, scrub_period_s=3600.0, mission_days=200.0, trials=24)
    serial = run_campaign(cfg)
    with distributed.LocalCluster(n_workers=2, processes=processes, threads_per_worker=1, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            dasked = run_campaign(cfg, client.get_executor())
    assert dasked == serial

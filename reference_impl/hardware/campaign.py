"""Radiation fault-injection campaigns: Monte Carlo of single-event upsets in SEC-DED-protected,
scrubbed memory, and the reliability theory it must agree with.

Model
-----
``M`` words of ``n``-bit codewords (an :mod:`~orbitcert.reference_impl.hardware.edac` code). Upsets
hit every bit as an independent Poisson process of rate ``lambda`` (upsets/bit/day). A sweeping
scrubber visits word ``w`` at ``phase_w + k T`` (``phase_w = w T / M``, ``T`` the scrub period),
reads it, and classifies the error pattern accumulated since its previous visit (the XOR of the
flipped bits: a bit hit twice is clean again) with the code's decoder: NONE, CORRECTED, DETECTED
(an uncorrectable event; the word is then rewritten, error-free) or SILENT (miscorrection or an
undetected pattern). Every visit leaves the word consistent again, so intervals are independent.
The interval still open at the end of the mission is classified then (the mission's last read).
Without scrubbing every word has one interval, the whole mission.

Engine (cost grows with the number of upsets, never with word-days)
--------------------------------------------------------------------
Per chunk (a fixed range of trials x a fixed range of words): draw the Poisson number of upsets
per trial, then each upset's word, bit and time (uniform); its interval index follows from the
time and the word's phase. A key ``(trial, word, interval, bit)`` packed into one int64 is sorted
(``np.sort``, no argsort); runs of equal ``(trial, word, interval)`` are the error patterns. A
singleton (the vast majority) is a single-bit error: CORRECTED without decoding. The rare runs of
two or more have their bit masks XOR-reduced (``np.bitwise_xor.reduceat``) and go through
``code.classify``. Chunks hold about :data:`TARGET_UPSETS_PER_CHUNK` upsets, so memory stays bounded
whatever the memory size or mission length.

Reproducibility: the chunk list depends only on the :class:`CampaignConfig`, and chunk ``i`` draws
from ``numpy.random.SeedSequence(seed, spawn_key=(i,))`` (the i-th child of ``SeedSequence(seed)``),
so a seed gives the same result serially, on a process pool or on a dask cluster, whatever the
number of workers or the order the chunks finish in.

Theory (:func:`predicted_uncorrectable_rate`, :func:`word_failure_probability`,
:func:`expected_failures_per_trial`)
-----------------------------------------------------------------------------------------------
A bit is wrong at the end of an interval of length ``t`` if it flipped an odd number of times:
``p = P(Poisson(lambda t) odd) = (1 - exp(-2 lambda t)) / 2``. A SEC-DED word fails (DETECTED or
SILENT, i.e. not NONE/CORRECTED) when two or more bits are wrong (less the tiny share of weight >= 4
patterns that are codewords): ``P_fail(t) = 1 - (1-p)^n - n p (1-p)^(n-1)`` (exact for the bit
model), ``~ C(n,2) (lambda t)^2`` when ``lambda t << 1`` (then weight-2 patterns dominate, and
every one of those is DETECTED by a SEC-DED code). With scrubbing, each word sees ``1/T``
intervals per unit time, hence the classic uncorrectable rate ``M C(n,2) lambda^2 T`` and
``MTTF = 2 / (M n (n-1) lambda^2 T)`` (e.g. A. M. Saleh, J. J. Serrano, J. H. Patel, "Reliability
of scrubbing recovery-techniques for memory systems", IEEE Trans. Reliability 39(1) 1990, the
``lambda T << 1`` limit of their single-error-correcting memory model).
"""

from __future__ import annotations

import concurrent.futures
import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .edac import OUTCOME_CORRECTED, OUTCOME_DETECTED, OUTCOME_SILENT, EdacError, SecDedCode
from .edac import code as edac_code

__all__ = [
    "CampaignConfig",
    "CampaignError",
    "CampaignResult",
    "Chunk",
    "ChunkResult",
    "Prediction",
    "RateEstimate",
    "SECONDS_PER_DAY",
    "TARGET_UPSETS_PER_CHUNK",
    "expected_failures_per_trial",
    "garwood_interval",
    "plan_chunks",
    "predicted_mttf_days",
    "predicted_uncorrectable_rate",
    "run_campaign",
    "run_chunk",
    "word_failure_probability",
]

SECONDS_PER_DAY = 86_400.0
#: Expected number of upsets drawn per chunk (memory ~ 40 bytes per upset at the peak).
TARGET_UPSETS_PER_CHUNK = 1 << 22
#: Trials are spread over at least this many chunks (when there are that many trials), so that
#: small campaigns still use every worker.
MIN_CHUNKS = 16
_BIT_BITS = 7  # the bit index (< 128) packed in the low bits of the sort key
_MAX_KEY = (1 << 62) - 1

IntArray = npt.NDArray[np.int64]


class CampaignError(ValueError):
    """An invalid campaign configuration (the message names the field)."""


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True, kw_only=True)
class CampaignConfig:
    """One campaign: ``trials`` independent missions of ``mission_days`` of a memory of ``words``
    codewords of ``code`` at ``upset_rate_per_bit_day``, scrubbed every ``scrub_period_s`` seconds
    (None: never), seeded with ``seed``; intervals at ``confidence`` (two-sided)."""

    words: int
    code: str = "hsiao-72-64"
    upset_rate_per_bit_day: float
    scrub_period_s: float | None
    mission_days: float
    trials: int
    seed: int
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if isinstance(self.words, bool) or not isinstance(self.words, (int, np.integer)) or self.words < 1:
            raise CampaignError(f"words: must be an integer >= 1, got {self.words!r}")
        if self.words >= 1 << 40:
            raise CampaignError(f"words: at most 2^40, got {self.words}")
        if not _finite(self.upset_rate_per_bit_day) or self.upset_rate_per_bit_day < 0:
            raise CampaignError(
                f"upset_rate_per_bit_day: must be a finite number >= 0, got {self.upset_rate_per_bit_day!r}"
            )
        if self.scrub_period_s is not None and (not _finite(self.scrub_period_s) or self.scrub_period_s <= 0):
            raise CampaignError(f"scrub_period_s: must be a finite number > 0 or None, got {self.scrub_period_s!r}")
        if not _finite(self.mission_days) or self.mission_days <= 0:
            raise CampaignError(f"mission_days: must be a finite number > 0, got {self.mission_days!r}")
        if isinstance(self.trials, bool) or not isinstance(self.trials, (int, np.integer)) or self.trials < 1:
            raise CampaignError(f"trials: must be an integer >= 1, got {self.trials!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise CampaignError(f"seed: must be an integer >= 0, got {self.seed!r}")
        if not _finite(self.confidence) or not 0 < self.confidence < 1:
            raise CampaignError(f"confidence: must be in (0, 1), got {self.confidence!r}")
        if not isinstance(self.code, str):
            raise CampaignError(f"code: must be a code name, got {self.code!r}")
        try:
            c = _load_code(self.code)
        except EdacError as exc:
            raise CampaignError(f"code: {exc}") from None
        if c.n >= 1 << _BIT_BITS:
            raise CampaignError(f"code: codewords of at most {(1 << _BIT_BITS) - 1} bits, {self.code} has {c.n}")
        if self.scrub_period_s is not None and self.mission_days / self.scrub_days > 1e15:
            raise CampaignError("scrub_period_s: more than 1e15 scrub intervals per mission")

    @property
    def n(self) -> int:
        """Codeword length of :attr:`code` (bits)."""
        return _load_code(self.code).n

    @property
    def scrub_days(self) -> float:
        """Scrub period in days (inf without scrubbing)."""
        return math.inf if self.scrub_period_s is None else self.scrub_period_s / SECONDS_PER_DAY

    @property
    def expected_upsets_per_trial(self) -> float:
        return self.words * self.n * self.upset_rate_per_bit_day * self.mission_days

    def to_dict(self) -> dict[str, Any]:
        return {
            "words": int(self.words),
            "code": self.code,
            "codeword_bits": self.n,
            "upset_rate_per_bit_day": self.upset_rate_per_bit_day,
            "scrub_period_s": self.scrub_period_s,
            "mission_days": self.mission_days,
            "trials": int(self.trials),
            "seed": int(self.seed),
            "confidence": self.confidence,
        }


@functools.cache
def _load_code(name: str) -> SecDedCode:
    return edac_code(name)


# --- statistics ----------------------------------------------------------------------------------


def garwood_interval(events: int, exposure: float, confidence: float) -> tuple[float, float]:
    """Exact two-sided Poisson interval (Garwood 1936) of a rate from ``events`` in ``exposure``:
    ``[chi2.ppf(a/2, 2k) / 2, chi2.ppf(1 - a/2, 2k + 2) / 2] / exposure``, ``a = 1 - confidence``;
    the lower end is 0 when ``k = 0``."""
    from scipy.stats import chi2

    if events < 0 or exposure <= 0 or not 0 < confidence < 1:
        raise CampaignError(f"garwood_interval: bad arguments events={events}, exposure={exposure}")
    alpha = 1.0 - confidence
    low = 0.0 if events == 0 else float(chi2.ppf(alpha / 2, 2 * events)) / 2.0
    high = float(chi2.ppf(1 - alpha / 2, 2 * events + 2)) / 2.0
    return low / exposure, high / exposure


def _inverse(x: float) -> float:
    return math.inf if x == 0 else 1.0 / x


@dataclass(frozen=True)
class RateEstimate:
    """``events`` in ``exposure_days`` device-days: the rate per device-day with its exact
    interval, and the MTTF (days) with its interval (the inverse of the rate interval; inf when the
    rate or its lower bound is 0)."""

    events: int
    exposure_days: float
    confidence: float
    rate_per_device_day: float
    ci_low: float
    ci_high: float
    mttf_days: float
    mttf_ci_low: float
    mttf_ci_high: float

    @classmethod
    def of(cls, events: int, exposure_days: float, confidence: float) -> RateEstimate:
        low, high = garwood_interval(events, exposure_days, confidence)
        rate = events / exposure_days
        return cls(events, exposure_days, confidence, rate, low, high, _inverse(rate), _inverse(high), _inverse(low))

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "rate_per_device_day": self.rate_per_device_day,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "mttf_days": _json_float(self.mttf_days),
            "mttf_ci_low": _json_float(self.mttf_ci_low),
            "mttf_ci_high": _json_float(self.mttf_ci_high),
        }


def _json_float(x: float) -> float | None:
    """JSON has no infinity: an unbounded MTTF is written as null."""
    return None if math.isinf(x) else x


# --- theory --------------------------------------------------------------------------------------


def _check_theory_args(n: int, rate: float, t: Any) -> None:
    if n < 2:
        raise CampaignError(f"n: codeword length must be >= 2, got {n}")
    if not _finite(rate) or rate < 0:
        raise CampaignError(f"upset rate must be a finite number >= 0, got {rate!r}")


def word_failure_probability(
    n: int, rate_per_bit_day: float, days: npt.ArrayLike, *, exact: bool = True
) -> npt.NDArray[np.float64]:
    """Probability that a word of ``n`` bits holds an error pattern of weight >= 2 after ``days``
    without a scrub (vectorized over ``days``).

    ``exact=True``: ``1 - (1-p)^n - n p (1-p)^(n-1)`` with ``p = (1 - exp(-2 lambda t)) / 2`` the
    probability that a bit flipped an odd number of times (Poisson parity). ``exact=False``: the
    ``lambda t << 1`` approximation ``C(n,2) (lambda t)^2``. For a SEC-DED code this is the
    probability of DETECTED or SILENT, up to weight >= 4 patterns that are codewords (NONE)."""
    _check_theory_args(n, rate_per_bit_day, days)
    t = np.asarray(days, dtype=np.float64)
    lt = rate_per_bit_day * t
    if not exact:
        return np.asarray(math.comb(n, 2) * lt**2, dtype=np.float64)
    p = -np.expm1(-2.0 * lt) / 2.0
    # 1 - (1-p)^n - n p (1-p)^(n-1), computed without cancellation for small p.
    log_q = np.log1p(-p)
    none = np.exp(n * log_q)
    one = n * p * np.exp((n - 1) * log_q)
    direct = 1.0 - none - one
    # Series for small p: sum_{k>=2} C(n,k) p^k q^(n-k); the first three terms suffice below 1e-4.
    q = 1.0 - p
    series = (
        math.comb(n, 2) * p**2 * q ** (n - 2)
        + math.comb(n, 3) * p**3 * q ** (n - 3)
        + math.comb(n, 4) * p**4 * q ** (n - 4)
    )
    return np.asarray(np.where(p < 1e-4, series, direct), dtype=np.float64)


def predicted_uncorrectable_rate(words: int, n: int, rate_per_bit_day: float, scrub_period_s: float) -> float:
    """Uncorrectable events per day of a scrubbed SEC-DED memory, ``M C(n,2) lambda^2 T``
    (``lambda`` per day, ``T`` in days). Derivation: a word fails in one scrub interval when two of
    its bits are hit, probability ``~ C(n,2) (lambda T)^2``; ``M / T`` word-intervals per day.
    Valid for ``n lambda T << 1`` (it neglects triple hits and double hits of the same bit, both
    O((n lambda T)^3))."""
    _check_theory_args(n, rate_per_bit_day, scrub_period_s)
    if not _finite(scrub_period_s) or scrub_period_s <= 0:
        raise CampaignError(f"scrub_period_s: must be a finite number > 0, got {scrub_period_s!r}")
    t_days = scrub_period_s / SECONDS_PER_DAY
    return words * math.comb(n, 2) * rate_per_bit_day**2 * t_days


def predicted_mttf_days(words: int, n: int, rate_per_bit_day: float, scrub_period_s: float) -> float:
    """``2 / (M n (n-1) lambda^2 T)`` days: the inverse of :func:`predicted_uncorrectable_rate`."""
    return _inverse(predicted_uncorrectable_rate(words, n, rate_per_bit_day, scrub_period_s))


_PHASE_SAMPLES = 1 << 20


def expected_failures_per_trial(config: CampaignConfig) -> float:
    """Expected number of word-intervals ending with an error pattern of weight >= 2 (DETECTED or
    SILENT, less codeword patterns) in one mission, *exact* for the bit model and the sweeping
    scrubber, edges included: word ``w`` has a first interval of length ``phase_w``, then
    ``floor((D - phase_w) / T)`` full intervals and a last partial one, each failing with
    :func:`word_failure_probability` (exact form) of its length. Sums over every word for
    ``M <= 2^20``; beyond, over 2^20 evenly spaced phases scaled to ``M`` (relative error ~1e-6)."""
    n, lam, d = config.n, config.upset_rate_per_bit_day, float(config.mission_days)
    if config.scrub_period_s is None:
        return config.words * float(word_failure_probability(n, lam, d))
    t = config.scrub_days
    m = config.words
    count = min(m, _PHASE_SAMPLES)
    w = np.floor(np.arange(count, dtype=np.float64) * (m / count))
    phase = np.minimum(w / m * t, d)
    full = np.floor((d - phase) / t)
    last = (d - phase) - full * t
    p_first = word_failure_probability(n, lam, phase)
    p_full = float(word_failure_probability(n, lam, t))
    p_last = word_failure_probability(n, lam, last)
    per_word = p_first + full * p_full + p_last
    return float(per_word.sum()) * (m / count)


@dataclass(frozen=True)
class Prediction:
    """What theory predicts for a configuration (rates per device-day)."""

    approximation: str
    uncorrectable_rate_per_device_day: float
    mttf_days: float
    failure_rate_exact_per_device_day: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "approximation": self.approximation,
            "uncorrectable_rate_per_device_day": self.uncorrectable_rate_per_device_day,
            "mttf_days": _json_float(self.mttf_days),
            "failure_rate_exact_per_device_day": self.failure_rate_exact_per_device_day,
        }


def predict(config: CampaignConfig) -> Prediction:
    """The closed-form prediction for ``config``: with scrubbing ``M C(n,2) lambda^2 T``; without,
    ``M C(n,2) (lambda D)^2`` per mission of ``D`` days (both the ``lambda t << 1`` forms), and the
    exact expectation of weight >= 2 patterns (:func:`expected_failures_per_trial`) per device-day."""
    n, lam, m, d = config.n, config.upset_rate_per_bit_day, config.words, float(config.mission_days)
    if config.scrub_period_s is not None:
        approx = predicted_uncorrectable_rate(m, n, lam, config.scrub_period_s)
        label = "M*C(n,2)*lambda^2*T (lambda*T << 1)"
    else:
        approx = m * float(word_failure_probability(n, lam, d, exact=False)) / d
        label = "M*C(n,2)*(lambda*D)^2 per mission of D days (lambda*D << 1)"
    exact = expected_failures_per_trial(config) / d
    return Prediction(label, approx, _inverse(approx), exact)


# --- chunks --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    """Trials ``[trial_start, trial_stop)`` x words ``[word_start, word_stop)``, seeded with
    ``SeedSequence(seed, spawn_key=(index,))``."""

    index: int
    trial_start: int
    trial_stop: int
    word_start: int
    word_stop: int


@dataclass(frozen=True)
class ChunkResult:
    """Per-trial counts of one chunk (arrays of length ``trial_stop - trial_start``)."""

    index: int
    trial_start: int
    upsets: IntArray
    corrected: IntArray
    uncorrectable: IntArray
    silent: IntArray


def plan_chunks(config: CampaignConfig, target: int = TARGET_UPSETS_PER_CHUNK) -> list[Chunk]:
    """The fixed chunk list of ``config``: about ``target`` expected upsets each. A trial with more
    expected upsets than ``target`` is cut into equal word ranges; otherwise several trials share a
    chunk (at most ``ceil(trials / MIN_CHUNKS)``)."""
    if target < 1:
        raise CampaignError(f"target: must be >= 1, got {target}")
    mu = config.expected_upsets_per_trial
    m, trials = int(config.words), int(config.trials)
    if mu > target:
        blocks = min(m, math.ceil(mu / target))
        per_trial_trials = 1
    else:
        blocks = 1
        per_trial_trials = max(1, min(int(target // max(mu, 1.0)), math.ceil(trials / MIN_CHUNKS)))
    bounds = [m * i // blocks for i in range(blocks + 1)]
    chunks: list[Chunk] = []
    for t0 in range(0, trials, per_trial_trials):
        t1 = min(trials, t0 + per_trial_trials)
        for b in range(blocks):
            chunks.append(Chunk(len(chunks), t0, t1, bounds[b], bounds[b + 1]))
    return chunks


def run_chunk(config: CampaignConfig, chunk: Chunk) -> ChunkResult:
    """Simulate one chunk (top level: picklable for process pools and dask)."""
    rng = np.random.default_rng(np.random.SeedSequence(int(config.seed), spawn_key=(chunk.index,)))
    c = _load_code(config.code)
    n = c.n
    ntr = chunk.trial_stop - chunk.trial_start
    nw = chunk.word_stop - chunk.word_start
    mu = nw * n * config.upset_rate_per_bit_day * float(config.mission_days)
    counts = rng.poisson(mu, size=ntr).astype(np.int64)
    total = int(counts.sum())
    zeros = np.zeros(ntr, dtype=np.int64)
    if total == 0:
        return ChunkResult(chunk.index, chunk.trial_start, counts, zeros, zeros.copy(), zeros.copy())

    trial = np.repeat(np.arange(ntr, dtype=np.int64), counts)
    word = rng.integers(0, nw, size=total, dtype=np.int64)  # relative to word_start
    bit = rng.integers(0, n, size=total, dtype=np.int64)
    d = float(config.mission_days)
    if config.scrub_period_s is None:
        n_int = 1
        interval = None
    else:
        t = config.scrub_days
        when = rng.random(total) * d
        phase = (word + chunk.word_start).astype(np.float64) * (t / config.words)
        # Visits of word w at phase_w + k T (k >= 0); interval j holds times in
        # [phase + (j-1) T, phase + j T), j = 0 for times before the first visit.
        interval = np.floor((when - phase) / t).astype(np.int64) + 1
        n_int = int(math.floor(d / t)) + 2
    wkey = trial * nw + word
    del word
    if ntr * nw * n_int <= _MAX_KEY >> _BIT_BITS:
        key = wkey if interval is None else wkey * n_int + interval
        del wkey, interval
        packed = np.sort((key << _BIT_BITS) | bit)
        del key, bit
        key = packed >> _BIT_BITS
        bit = packed & ((1 << _BIT_BITS) - 1)
        del packed
        starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
        group_trial = (key[starts] // n_int) // nw
    else:  # key space too large to pack in 63 bits: sort the columns lexicographically instead
        assert interval is not None  # without intervals the key is < trials * words < 2^55
        order = np.lexsort((bit, interval, wkey))
        bit, wk, iv = bit[order], wkey[order], interval[order]
        del order, wkey, interval
        new = np.concatenate(([True], (wk[1:] != wk[:-1]) | (iv[1:] != iv[:-1])))
        starts = np.flatnonzero(new)
        group_trial = wk[starts] // nw
    sizes = np.diff(np.append(starts, total))
    multi = sizes >= 2
    corrected = np.bincount(group_trial[~multi], minlength=ntr).astype(np.int64)
    uncorrectable = zeros.copy()
    silent = zeros.copy()
    if multi.any():
        members = np.repeat(multi, sizes)
        mb = bit[members]
        data_mask = np.where(mb < 64, np.left_shift(np.uint64(1), np.minimum(mb, 63).astype(np.uint64)), np.uint64(0))
        check_mask = np.where(mb >= 64, np.left_shift(1, np.maximum(mb - 64, 0)), 0).astype(np.uint8)
        msizes = sizes[multi]
        mstarts = np.concatenate(([0], np.cumsum(msizes)[:-1]))
        dpat = np.bitwise_xor.reduceat(data_mask.astype(np.uint64), mstarts)
        cpat = np.bitwise_xor.reduceat(check_mask, mstarts)
        outcome = c.classify(dpat, cpat)
        mtrial = group_trial[multi]
        corrected += np.bincount(mtrial[outcome == OUTCOME_CORRECTED], minlength=ntr)
        uncorrectable += np.bincount(mtrial[outcome == OUTCOME_DETECTED], minlength=ntr)
        silent += np.bincount(mtrial[outcome == OUTCOME_SILENT], minlength=ntr)
    return ChunkResult(chunk.index, chunk.trial_start, counts, corrected, uncorrectable, silent)


# --- campaign ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignResult:
    """The outcome of :func:`run_campaign` (``to_dict`` is JSON-able; inf MTTFs become null)."""

    config: CampaignConfig
    trials: int
    upsets: int
    corrected_events: int
    uncorrectable_events: int
    silent_events: int
    device_days: float
    uncorrectable: RateEstimate
    silent: RateEstimate
    per_trial_uncorrectable: tuple[int, ...]
    per_trial_silent: tuple[int, ...]
    prediction: Prediction
    chunks: int
    cpu_seconds: float = field(default=0.0, compare=False)

    @property
    def uncorrectable_rate_per_device_day(self) -> float:
        return self.uncorrectable.rate_per_device_day

    @property
    def mttf_days(self) -> float:
        return self.uncorrectable.mttf_days

    def to_dict(self) -> dict[str, Any]:
        u, s = self.uncorrectable, self.silent
        return {
            "inputs": self.config.to_dict(),
            "trials": self.trials,
            "upsets": self.upsets,
            "corrected_events": self.corrected_events,
            "uncorrectable_events": self.uncorrectable_events,
            "silent_events": self.silent_events,
            "device_days": self.device_days,
            "uncorrectable_rate_per_device_day": {
                "rate": u.rate_per_device_day, "ci_low": u.ci_low, "ci_high": u.ci_high, "confidence": u.confidence,
            },
            "mttf_days": {
                "value": _json_float(u.mttf_days), "ci_low": _json_float(u.mttf_ci_low),
                "ci_high": _json_float(u.mttf_ci_high),
            },
            "silent_rate_per_device_day": {
                "rate": s.rate_per_device_day, "ci_low": s.ci_low, "ci_high": s.ci_high, "confidence": s.confidence,
            },
            "silent_mttf_days": {
                "value": _json_float(s.mttf_days), "ci_low": _json_float(s.mttf_ci_low),
                "ci_high": _json_float(s.mttf_ci_high),
            },
            "per_trial_uncorrectable": list(self.per_trial_uncorrectable),
            "per_trial_silent": list(self.per_trial_silent),
            "prediction": self.prediction.to_dict(),
            "chunks": self.chunks,
        }


def run_campaign(
    config: CampaignConfig,
    executor: concurrent.futures.Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    chunks: Sequence[Chunk] | None = None,
) -> CampaignResult:
    """Run ``config``: serially in this process (``executor=None``) or on ``executor`` (a
    ``ProcessPoolExecutor``, a dask ``Client.get_executor()``...). ``progress(done, total)`` is
    called after each chunk. ``chunks`` overrides :func:`plan_chunks` (tests of memory bounds);
    the result is a function of the config and the chunk list only."""
    plan = list(plan_chunks(config) if chunks is None else chunks)
    total = len(plan)
    start = time.process_time()
    results: list[ChunkResult | None] = [None] * total
    if progress is not None:
        progress(0, total)
    if executor is None:
        for i, ch in enumerate(plan):
            results[i] = run_chunk(config, ch)
            if progress is not None:
                progress(i + 1, total)
    else:
        futures = {executor.submit(run_chunk, config, ch): i for i, ch in enumerate(plan)}
        done = 0
        try:
            for fut in concurrent.futures.as_completed(futures):
                results[futures[fut]] = fut.result()
                done += 1
                if progress is not None:
                    progress(done, total)
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
    trials = int(config.trials)
    upsets = np.zeros(trials, dtype=np.int64)
    corrected = np.zeros(trials, dtype=np.int64)
    uncorrectable = np.zeros(trials, dtype=np.int64)
    silent = np.zeros(trials, dtype=np.int64)
    for r in results:
        assert r is not None
        sl = slice(r.trial_start, r.trial_start + len(r.upsets))
        upsets[sl] += r.upsets
        corrected[sl] += r.corrected
        uncorrectable[sl] += r.uncorrectable
        silent[sl] += r.silent
    device_days = trials * float(config.mission_days)
    u_events, s_events = int(uncorrectable.sum()), int(silent.sum())
    return CampaignResult(
        config=config,
        trials=trials,
        upsets=int(upsets.sum()),
        corrected_events=int(corrected.sum()),
        uncorrectable_events=u_events,
        silent_events=s_events,
        device_days=device_days,
        uncorrectable=RateEstimate.of(u_events, device_days, config.confidence),
        silent=RateEstimate.of(s_events, device_days, config.confidence),
        per_trial_uncorrectable=tuple(int(x) for x in uncorrectable),
        per_trial_silent=tuple(int(x) for x in silent),
        prediction=predict(config),
        chunks=total,
        cpu_seconds=time.process_time() - start,
    )

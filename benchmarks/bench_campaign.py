"""Cost of the radiation campaign engine: event-driven Monte Carlo against a per-interval simulation.

Run: ``python benchmarks/bench_campaign.py [--repeat 1] [--skip-target] [--trials 100]``.

The issue's target: 1 GiB of (72,64)-protected memory (2^27 words) over a 5-year mission, 100 trials,
in under a minute on one core. Every row runs ``run_campaign`` serially in this process (single
thread: the BLAS/OpenMP variables are set before numpy is imported) and reports CPU seconds
(``time.process_time``, median of ``--repeat``), the upsets simulated and upsets per CPU second.

* target rows: 2^27 words, 1826.25 days, hourly scrub, 1e-7 upsets/bit/day (rate of a rad-tolerant
  SRAM in GEO; about 1.8e8 upsets in all) and 1e-6 with 10 trials;
* scaling rows: the same expected number of upsets (7.5e6) with 1x, 100x (more words) and 100x
  (longer mission) word-days: the engine's cost follows the upsets, not the word-days;
* peer: a straightforward per-interval simulation (``numpy.random.Generator.binomial`` of the bits
  that flipped an odd number of times, per word per scrub interval, weight >= 2 counted as a
  failure -- less work than the engine, no decoder) on a small case, the engine on the same case,
  and the ratio; the peer's time per word-interval extrapolates it to the target.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"  # single thread, set before numpy is imported

import argparse  # noqa: E402
import math  # noqa: E402

import numpy as np  # noqa: E402

from _common import cpu_median, print_table  # noqa: E402
from orbitcert.reference_impl.hardware.campaign import (  # noqa: E402
    SECONDS_PER_DAY,
    CampaignConfig,
    CampaignResult,
    run_campaign,
    word_failure_probability,
)

FIVE_YEARS = 5 * 365.25
GIB_WORDS = 1 << 27
HOUR = 3600.0


def _engine(cfg: CampaignConfig, repeat: int) -> tuple[float, CampaignResult]:
    return cpu_median(lambda: run_campaign(cfg), repeat)


def _per_interval(words: int, rate: float, period_s: float, days: float, trials: int, seed: int) -> int:
    """Failures (weight >= 2 word-intervals) by drawing, for every word and every scrub interval,
    the number of bits that flipped an odd number of times: Binomial(n, p), p = (1 - e^(-2 lambda T))/2.
    Edge intervals are treated as full ones (the peer's simplification)."""
    rng = np.random.default_rng(seed)
    n = 72
    t = period_s / SECONDS_PER_DAY
    p = -math.expm1(-2 * rate * t) / 2
    intervals = int(round(days / t))
    failures = 0
    rows = max(1, (1 << 22) // words)  # interval rows per draw: ~4M word-intervals in memory
    for _ in range(trials):
        for start in range(0, intervals, rows):
            k = rng.binomial(n, p, size=(min(rows, intervals - start), words))
            failures += int(np.count_nonzero(k >= 2))
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per row, median CPU time (default 1)")
    parser.add_argument("--trials", type=int, default=100, help="trials of the 1e-7 target row (default 100)")
    parser.add_argument("--skip-target", action="store_true", help="leave out the two 1 GiB rows")
    args = parser.parse_args(argv)

    header = ["case", "words", "rate /bit/day", "days", "trials", "word-days", "upsets", "uncorr.", "CPU s",
              "upsets/s"]
    rows: list[list[str]] = [header]

    def add(name: str, cfg: CampaignConfig) -> tuple[float, CampaignResult]:
        cpu, r = _engine(cfg, args.repeat)
        rows.append([
            name, f"{cfg.words:,}", f"{cfg.upset_rate_per_bit_day:g}", f"{cfg.mission_days:g}", str(cfg.trials),
            f"{cfg.words * cfg.mission_days * cfg.trials:.3g}", f"{r.upsets:,}", f"{r.uncorrectable_events:,}",
            f"{cpu:.2f}", f"{r.upsets / cpu:,.0f}" if cpu > 0 else "-",
        ])
        return cpu, r

    run_campaign(CampaignConfig(words=64, upset_rate_per_bit_day=1e-3, scrub_period_s=HOUR, mission_days=10.0,
                                trials=2, seed=0))  # warm-up: imports (scipy.stats) and the code's tables
    if not args.skip_target:
        add("target 1 GiB, 5 y", CampaignConfig(words=GIB_WORDS, upset_rate_per_bit_day=1e-7, scrub_period_s=HOUR,
                                                mission_days=FIVE_YEARS, trials=args.trials, seed=1))
        add("1 GiB, 5 y, 10x rate", CampaignConfig(words=GIB_WORDS, upset_rate_per_bit_day=1e-6, scrub_period_s=HOUR,
                                                   mission_days=FIVE_YEARS, trials=10, seed=2))
    base_words = 1 << 20
    add("scaling: base", CampaignConfig(words=base_words, upset_rate_per_bit_day=1e-6, scrub_period_s=HOUR,
                                        mission_days=1000.0, trials=100, seed=3))
    add("scaling: 100x words", CampaignConfig(words=100 * base_words, upset_rate_per_bit_day=1e-8,
                                              scrub_period_s=HOUR, mission_days=1000.0, trials=100, seed=4))
    add("scaling: 100x days", CampaignConfig(words=base_words, upset_rate_per_bit_day=1e-8, scrub_period_s=HOUR,
                                             mission_days=100_000.0, trials=100, seed=5))
    print("Engine (serial, one core):")
    print_table(rows)

    # Peer: per-interval simulation on a small case, against the engine on the same case.
    words, days, trials = 1 << 14, 30.0, 4
    word_intervals = words * int(round(days * SECONDS_PER_DAY / HOUR)) * trials
    peer_rows = [["rate /bit/day", "word-intervals", "failures: peer / engine / expected", "peer CPU s",
                  "engine CPU s", "ratio"]]
    per_wi = 0.0
    for k, rate in enumerate((1e-3, 1e-5)):
        peer_cpu, peer_failures = cpu_median(
            lambda: _per_interval(words, rate, HOUR, days, trials, seed=6 + k), args.repeat
        )
        cfg = CampaignConfig(words=words, upset_rate_per_bit_day=rate, scrub_period_s=HOUR, mission_days=days,
                             trials=trials, seed=8 + k)
        eng_cpu, eng = cpu_median(lambda: run_campaign(cfg), max(args.repeat, 5))
        expected = word_intervals * float(word_failure_probability(72, rate, HOUR / SECONDS_PER_DAY))
        peer_rows.append([
            f"{rate:g}", f"{word_intervals:,}",
            f"{peer_failures} / {eng.uncorrectable_events + eng.silent_events} / {expected:.1f}",
            f"{peer_cpu:.3f}", f"{eng_cpu:.4f}", f"{peer_cpu / eng_cpu:,.0f}x" if eng_cpu > 0 else "-",
        ])
        per_wi = max(per_wi, peer_cpu / word_intervals)
    target_wi = GIB_WORDS * FIVE_YEARS * SECONDS_PER_DAY / HOUR * 100
    print(f"\nPeer (per-interval binomial) and engine on {words:,} words, hourly scrub, {days:g} days, {trials} trials:")
    print_table(peer_rows)
    print(f"\nPeer cost {per_wi * 1e9:.1f} ns per word-interval whatever the rate; the 1 GiB / 5 y / 100-trial "
          f"target has {target_wi:.3g} word-intervals: ~{per_wi * target_wi / 86400:,.0f} CPU days for the peer.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The channel model (:mod:`orbitcert.reference_impl.optical.channel`) against its closed forms:
stationary loss rate, geometric burst lengths, the pointing-fade law P(h < T) = T^beta, and
determinism given a seed. Tolerances are statistical (about 5 standard errors), seeds fixed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from orbitcert.reference_impl.optical.channel import (
    ChannelError,
    GilbertElliott,
    LossyLink,
    loss_runs,
    pointing_fade_probability,
    pointing_fades,
)

N = 400_000


@pytest.mark.parametrize(
    ("p_gb", "p_bg", "loss_good", "loss_bad"),
    [(0.02, 0.2, 0.02, 1.0), (0.001, 0.05, 0.0, 0.7), (0.3, 0.6, 0.1, 0.5), (1.0, 1.0, 0.0, 1.0)],
)
def test_stationary_loss_rate_matches_simulation(p_gb: float, p_bg: float, loss_good: float, loss_bad: float) -> None:
    ch = GilbertElliott(p_gb, p_bg, loss_good, loss_bad)
    lost, states = ch.losses_and_states(N, np.random.default_rng(7))
    # Standard error of a Markov-correlated mean: variance inflated by (1 + lambda) / (1 - lambda),
    # lambda = 1 - p_gb - p_bg the chain's second eigenvalue (bounded to keep the bound finite).
    lam = 1.0 - p_gb - p_bg
    inflation = (1 + abs(lam)) / max(1e-9, 1 - abs(lam))
    p = ch.stationary_loss_rate
    se = math.sqrt(max(p * (1 - p), 1e-12) * inflation / N)
    assert abs(lost.mean() - p) < 5 * se + 1e-4, (lost.mean(), p, se)
    assert abs(states.mean() - ch.stationary_bad) < 5 * math.sqrt(ch.stationary_bad * (1 - ch.stationary_bad) * inflation / N) + 1e-4


def test_bad_runs_are_geometric() -> None:
    """With loss 0 in good and 1 in bad, the loss bursts are the bad runs: P(L = k) = (1-p)^(k-1) p."""
    ch = GilbertElliott(0.05, 0.25, 0.0, 1.0)
    runs = loss_runs(ch.losses(N, np.random.default_rng(3)))[1:-1]  # drop the censored end runs
    assert abs(runs.mean() - ch.mean_bad_run) < 5 * math.sqrt((1 - ch.p_bg) / ch.p_bg**2 / runs.size)
    kmax = 15
    observed = np.bincount(np.minimum(runs, kmax), minlength=kmax + 1)[1:]
    pmf = [(1 - ch.p_bg) ** (k - 1) * ch.p_bg for k in range(1, kmax)]
    expected = np.array(pmf + [1 - sum(pmf)]) * runs.size
    chi2, pvalue = stats.chisquare(observed, expected)
    assert pvalue > 1e-4, (chi2, pvalue)
    good = loss_runs(~ch.losses(N, np.random.default_rng(4)))[1:-1]
    assert abs(good.mean() - 1 / ch.p_gb) < 5 * math.sqrt((1 - ch.p_gb) / ch.p_gb**2 / good.size)


def test_continuation_keeps_the_chain() -> None:
    """States drawn in chunks (previous state given) have the transition frequencies of the chain."""
    ch = GilbertElliott(0.1, 0.3)
    rng = np.random.default_rng(11)
    chunks, prev = [], None
    for _ in range(2000):
        s = ch.states(50, rng, prev)
        prev = bool(s[-1])
        chunks.append(s)
    seq = np.concatenate(chunks)
    good_to_bad = np.mean(seq[1:][~seq[:-1]])
    bad_to_good = np.mean(~seq[1:][seq[:-1]])
    assert abs(good_to_bad - 0.1) < 0.01 and abs(bad_to_good - 0.3) < 0.015


def test_bit_error_parametrisation() -> None:
    ch = GilbertElliott.from_bit_errors(0.01, 0.1, 1e-7, 1e-3, 8000)
    assert ch.loss_good == pytest.approx(1 - (1 - 1e-7) ** 8000, rel=1e-9)
    assert ch.loss_bad == pytest.approx(1 - (1 - 1e-3) ** 8000, rel=1e-9)


def test_pointing_fades_match_the_closed_form() -> None:
    sigma, w = 2e-6, 5e-6
    for threshold in (0.1, 0.5, 0.9):
        p = pointing_fade_probability(sigma, w, threshold)
        assert p == pytest.approx(threshold ** (w * w / (4 * sigma * sigma)))
        fade, lost = pointing_fades(N, sigma, w, threshold, np.random.default_rng(5))
        assert np.all((fade > 0) & (fade <= 1)) and np.array_equal(lost, fade < threshold)
        assert abs(lost.mean() - p) < 5 * math.sqrt(p * (1 - p) / N) + 1e-5, (threshold, lost.mean(), p)


def test_determinism_given_a_seed() -> None:
    ch = GilbertElliott(0.02, 0.2, 0.02, 1.0)
    a = ch.losses(10_000, np.random.default_rng(42))
    b = ch.losses(10_000, np.random.default_rng(42))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, ch.losses(10_000, np.random.default_rng(43)))


def test_lossy_link_is_independent_of_batching() -> None:
    """The same seed gives the same loss decisions whether frames come one by one or in batches."""
    ch = GilbertElliott(0.02, 0.2, 0.02, 1.0)
    one = LossyLink(ch, np.random.default_rng(9), jitter_rad=1e-6, divergence_rad=5e-6, fade_threshold=0.2)
    many = LossyLink(ch, np.random.default_rng(9), jitter_rad=1e-6, divergence_rad=5e-6, fade_threshold=0.2)
    frames = list(range(20_000))
    kept_one = [f for f in frames if one.transmit([f])]
    rng = np.random.default_rng(0)
    kept_many, i = [], 0
    while i < len(frames):
        n = int(rng.integers(1, 300))
        kept_many += many.transmit(frames[i : i + n])
        i += n
    assert kept_one == kept_many
    assert one.lost == len(frames) - len(kept_one) and one.offered == len(frames)
    assert abs(one.lost / one.offered - one.loss_rate) < 0.03


def test_bad_arguments_raise_channel_error() -> None:
    for args in ((0.0, 0.5), (0.5, 1.5), (0.5, 0.5, -0.1), (float("nan"), 0.5), (True, 0.5)):
        with pytest.raises(ChannelError):
            GilbertElliott(*args)  # type: ignore[arg-type]
    with pytest.raises(ChannelError):
        GilbertElliott(0.1, 0.1).losses(-1, np.random.default_rng(0))
    with pytest.raises(ChannelError):
        pointing_fades(10, 0.0, 1e-6, 0.5, np.random.default_rng(0))
    with pytest.raises(ChannelError):
        pointing_fade_probability(1e-6, 1e-6, 1.0)
    assert GilbertElliott(0.1, 0.1).losses(0, np.random.default_rng(0)).size == 0
    assert loss_runs(np.zeros(0, dtype=bool)).size == 0

"""Channel model of the optical inter-satellite link: bursty frame losses and pointing fades.

Two impairments, vectorized with numpy and driven by a seeded :class:`numpy.random.Generator`:

**Gilbert-Elliott channel** (E. N. Gilbert, "Capacity of a burst-noise channel", Bell Syst. Tech.
J. 39, 1960; E. O. Elliott, "Estimates of error rates for codes on burst-noise channels", Bell
Syst. Tech. J. 42, 1963). A two-state Markov chain, one step per frame: from *good* the chain
moves to *bad* with probability ``p_gb``, from *bad* to *good* with probability ``p_bg``. A frame
is lost with probability ``loss_good`` in the good state and ``loss_bad`` in the bad state
(:meth:`GilbertElliott.from_bit_errors` derives these from per-state bit error rates and the frame
length: 1 - (1 - BER)^bits). The stationary distribution is pi_bad = p_gb / (p_gb + p_bg), so the
long-run frame loss rate is ``pi_good * loss_good + pi_bad * loss_bad``
(:attr:`GilbertElliott.stationary_loss_rate`). The sojourn in a state is geometric: a bad run
lasts k frames with probability (1 - p_bg)^(k-1) p_bg (mean 1/p_bg). The whole state sequence of
``n`` frames is generated at once from those run lengths (numpy geometric draws, ``np.repeat``),
not by a per-frame loop.

**Pointing-jitter fades.** With Gaussian pointing jitter of standard deviation ``sigma`` per axis
(radians), the radial pointing error theta is Rayleigh distributed; a Gaussian beam of divergence
(1/e^2 half-angle) ``w`` delivers the fraction ``exp(-2 theta^2 / w^2)`` of its on-axis power
(H. Hemmati (ed.), *Near-Earth Laser Communications*, CRC Press 2009, ch. 4 "pointing,
acquisition and tracking"; S. Arnon, "Effects of atmospheric turbulence and building sway on
optical wireless-communication systems", Opt. Lett. 28(2), 2003; M. Toyoshima, T. Jono,
K. Nakagawa, A. Yamamoto, "Optimum divergence angle of a Gaussian beam wave in the presence of
random jitter in free-space laser communication systems", JOSA A 19(3), 2002). The fade
h = exp(-2 theta^2 / w^2) then has the distribution P(h < T) = T^beta with beta = w^2 / (4 sigma^2)
(:func:`pointing_fade_probability`); a frame is lost when its fade is below ``threshold``.

:class:`LossyLink` applies both to lists of frames, keeping the Markov state across calls.
Bad arguments raise :class:`ChannelError` (a ``ValueError``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import numpy.typing as npt

__all__ = [
    "ChannelError",
    "GilbertElliott",
    "LossyLink",
    "loss_runs",
    "pointing_fade_probability",
    "pointing_fades",
]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
T = TypeVar("T")


class ChannelError(ValueError):
    """A channel parameter outside its range (the message names it)."""


def _probability(name: str, value: float, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ChannelError(f"{name}: expected a probability in [0, 1], got {value!r}")
    if positive and value == 0.0:
        raise ChannelError(f"{name}: must be > 0 (a state the chain never leaves has no stationary mix)")
    return float(value)


def _count(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ChannelError(f"n: expected a non-negative integer, got {n!r}")
    return int(n)


@dataclass(frozen=True)
class GilbertElliott:
    """Gilbert-Elliott frame-loss channel (module docstring). ``p_gb``, ``p_bg`` in (0, 1]."""

    p_gb: float
    p_bg: float
    loss_good: float = 0.0
    loss_bad: float = 1.0

    def __post_init__(self) -> None:
        _probability("p_gb", self.p_gb, positive=True)
        _probability("p_bg", self.p_bg, positive=True)
        _probability("loss_good", self.loss_good)
        _probability("loss_bad", self.loss_bad)

    @classmethod
    def from_bit_errors(
        cls, p_gb: float, p_bg: float, ber_good: float, ber_bad: float, frame_bits: int
    ) -> GilbertElliott:
        """The channel whose per-state frame loss is 1 - (1 - BER)^frame_bits (a frame is lost
        when any of its bits is in error: the FECF rejects it)."""
        _probability("ber_good", ber_good)
        _probability("ber_bad", ber_bad)
        if isinstance(frame_bits, bool) or not isinstance(frame_bits, int) or frame_bits < 1:
            raise ChannelError(f"frame_bits: expected a positive integer, got {frame_bits!r}")
        return cls(p_gb, p_bg, -math.expm1(frame_bits * math.log1p(-ber_good)) if ber_good < 1 else 1.0,
                   -math.expm1(frame_bits * math.log1p(-ber_bad)) if ber_bad < 1 else 1.0)

    @property
    def stationary_bad(self) -> float:
        """pi_bad = p_gb / (p_gb + p_bg), the long-run fraction of frames in the bad state."""
        return self.p_gb / (self.p_gb + self.p_bg)

    @property
    def stationary_loss_rate(self) -> float:
        """Long-run frame loss probability: pi_good * loss_good + pi_bad * loss_bad."""
        bad = self.stationary_bad
        return (1.0 - bad) * self.loss_good + bad * self.loss_bad

    @property
    def mean_bad_run(self) -> float:
        """Mean number of consecutive frames in the bad state, 1 / p_bg."""
        return 1.0 / self.p_bg

    def states(self, n: int, rng: np.random.Generator, previous: bool | None = None) -> BoolArray:
        """The states (True = bad) of the next ``n`` frames. ``previous`` is the state of the frame
        before them (None: the first frame's state is drawn from the stationary distribution).
        Run lengths are drawn in bulk from the geometric distributions and expanded."""
        n = _count(n)
        if n == 0:
            return np.zeros(0, dtype=bool)
        if previous is None:
            first_bad = bool(rng.random() < self.stationary_bad)
        else:
            leave = self.p_bg if previous else self.p_gb
            first_bad = bool(previous) != bool(rng.random() < leave)
        p_leave_first = self.p_bg if first_bad else self.p_gb
        p_leave_other = self.p_gb if first_bad else self.p_bg
        mean_pair = 1.0 / self.p_gb + 1.0 / self.p_bg
        pairs = int(n / mean_pair * 1.2) + 8
        chunks: list[npt.NDArray[np.int64]] = []
        total = 0
        while total < n:
            runs = np.empty(2 * pairs, dtype=np.int64)
            runs[0::2] = rng.geometric(p_leave_first, pairs)
            runs[1::2] = rng.geometric(p_leave_other, pairs)
            chunks.append(runs)
            total += int(runs.sum())
        runs = np.concatenate(chunks)
        ends = np.cumsum(runs)
        used = int(np.searchsorted(ends, n)) + 1
        values = np.zeros(used, dtype=bool)
        values[(0 if first_bad else 1)::2] = True
        return np.repeat(values, runs[:used])[:n]

    def losses(self, n: int, rng: np.random.Generator, previous: bool | None = None) -> BoolArray:
        """Which of the next ``n`` frames are lost (True = lost)."""
        return self.losses_and_states(n, rng, previous)[0]

    def losses_and_states(
        self, n: int, rng: np.random.Generator, previous: bool | None = None
    ) -> tuple[BoolArray, BoolArray]:
        """(lost, bad state) of the next ``n`` frames."""
        states = self.states(n, rng, previous)
        p = np.where(states, self.loss_bad, self.loss_good)
        return rng.random(states.size) < p, states


def loss_runs(losses: BoolArray) -> npt.NDArray[np.int64]:
    """Lengths of the runs of consecutive True values in ``losses`` (the loss bursts)."""
    x = np.asarray(losses, dtype=np.int8)
    if x.size == 0:
        return np.zeros(0, dtype=np.int64)
    edges = np.diff(np.concatenate(([0], x, [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return (ends - starts).astype(np.int64)


def _angles(jitter_rad: float, divergence_rad: float, threshold: float) -> None:
    for name, value in (("jitter_rad", jitter_rad), ("divergence_rad", divergence_rad)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or not math.isfinite(value):
            raise ChannelError(f"{name}: expected a finite angle > 0 (radians), got {value!r}")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 < threshold < 1.0:
        raise ChannelError(f"threshold: expected a power fraction in (0, 1), got {threshold!r}")


def pointing_fades(
    n: int, jitter_rad: float, divergence_rad: float, threshold: float, rng: np.random.Generator
) -> tuple[FloatArray, BoolArray]:
    """(fade, lost) for ``n`` frames: per frame a Gaussian pointing error (standard deviation
    ``jitter_rad`` on each axis), the Gaussian-beam fade exp(-2 theta^2 / w^2) with w =
    ``divergence_rad``, and lost = fade < ``threshold`` (module docstring)."""
    n = _count(n)
    _angles(jitter_rad, divergence_rad, threshold)
    xy = rng.normal(0.0, jitter_rad, size=(n, 2))
    theta2 = np.einsum("ij,ij->i", xy, xy)
    fade = np.exp(-2.0 * theta2 / (divergence_rad * divergence_rad))
    return fade, fade < threshold


def pointing_fade_probability(jitter_rad: float, divergence_rad: float, threshold: float) -> float:
    """P(fade < threshold) = threshold^beta, beta = w^2 / (4 sigma^2): theta^2 is exponential with
    mean 2 sigma^2, and fade < T exactly when theta^2 > (w^2 / 2) ln(1/T)."""
    _angles(jitter_rad, divergence_rad, threshold)
    beta = divergence_rad * divergence_rad / (4.0 * jitter_rad * jitter_rad)
    return float(threshold**beta)


@dataclass
class LossyLink:
    """A one-way link: applies the Gilbert-Elliott losses (and, if ``jitter_rad`` is set, pointing
    fades) to lists of frames, in order, continuing the Markov chain from call to call.

    Loss decisions are drawn in blocks of ``block`` frames and consumed in order, so the sequence of
    decisions depends only on the seed, not on how the frames are batched into calls.
    """

    channel: GilbertElliott
    rng: np.random.Generator
    jitter_rad: float | None = None
    divergence_rad: float = 1.0
    fade_threshold: float = 0.5
    block: int = 4096
    offered: int = field(init=False, default=0)
    lost: int = field(init=False, default=0)
    _pending: BoolArray = field(init=False, default_factory=lambda: np.zeros(0, dtype=bool))
    _state: bool | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.jitter_rad is not None:
            _angles(self.jitter_rad, self.divergence_rad, self.fade_threshold)
        if isinstance(self.block, bool) or not isinstance(self.block, int) or self.block < 1:
            raise ChannelError(f"block: expected a positive integer, got {self.block!r}")

    @property
    def loss_rate(self) -> float:
        """Long-run loss probability of this link (Markov losses and fades are independent)."""
        p = self.channel.stationary_loss_rate
        if self.jitter_rad is not None:
            q = pointing_fade_probability(self.jitter_rad, self.divergence_rad, self.fade_threshold)
            p = 1.0 - (1.0 - p) * (1.0 - q)
        return p

    def _refill(self, need: int) -> None:
        chunks = [self._pending]
        have = self._pending.size
        while have < need:
            lost, states = self.channel.losses_and_states(self.block, self.rng, self._state)
            self._state = bool(states[-1])
            if self.jitter_rad is not None:
                lost |= pointing_fades(self.block, self.jitter_rad, self.divergence_rad, self.fade_threshold, self.rng)[1]
            chunks.append(lost)
            have += self.block
        self._pending = np.concatenate(chunks)

    def decisions(self, n: int) -> BoolArray:
        """The next ``n`` loss decisions (True = lost)."""
        n = _count(n)
        if self._pending.size < n:
            self._refill(n)
        out, self._pending = self._pending[:n], self._pending[n:]
        self.offered += n
        self.lost += int(out.sum())
        return out

    def transmit(self, frames: Sequence[T]) -> list[T]:
        """The frames that survive, in order."""
        lost = self.decisions(len(frames))
        return [f for f, gone in zip(frames, lost.tolist()) if not gone]

"""Conformance suite of hw-compute-module, class ``scrubbing`` (HWC-SCR-001..003).

The scrubber of the GR740 memory controller (GR740 UM, memory scrubber) sweeps memory, writes back
corrected single errors and leaves uncorrectable words flagged. What is checked, and against what:

* **Repair** (HWC-SCR-001): single errors injected at the first and last word of every bank, at
  random words of every bank and in a block covering all 72 codeword bits, at a random phase of
  the sweep, must all be repaired in memory (the raw codeword equals (data, H_d data), computed
  here from the spec's ``edac_codes``) after ``scrub_period_s`` plus ``timing_tolerance``, with
  SCRUB_CE_COUNT counting each word exactly once.
* **Uncorrectable words** (HWC-SCR-002): double errors are left exactly as stored (raw codewords
  before and after compared), still read as uncorrectable, and counted once per visit; error-free
  neighbours are not changed. The number of visits of each word in an interval follows from the
  nominal sweep of HWC-SCR-003 (word a visited at t_s + (k + a / M) T, k = 0, 1, ...): the count
  must lie between the visits certain and the visits possible within the position tolerance.
* **Position and passes** (HWC-SCR-003): SCRUB_POSITION against (t - t_s) M / T mod M at random
  times over many passes, within ``scrub_position_tolerance`` of M; SCRUB_PASSES against
  floor((t - t_s) / T) within one. The position is also checked as what it claims to be, the word
  the scrubber visits next: errors just ahead of it are repaired after a quarter period, errors
  just behind it and far ahead are not.

t_s is when the sweep starts at word 0: the ``port`` fixture's power_cycle (registers at reset
values). A reset would restart the scrubber and clear its counters (parameter registers); the
fixture freezes the watchdog (DBG_FREEZE) outside the watchdog's tests, so none happens here.
Addresses, bits and data come from the per-test ``rng``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from orbitcert.conformance import inconclusive
from orbitcert.conformance.interfaces.hw_compute_module import bit_masks, check_bits, memory_fault

U64 = np.uint64


# --------------------------------------------------------------------------------------------------
# Oracle of the declared code (from the spec's parameter edac_codes only) and fault descriptors


def random_words(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, np.iinfo(np.uint64).max, size=n, dtype=U64, endpoint=True)


def where(address: int, geometry: Any) -> str:
    return f"word {address:#x} (bank {address // geometry.bank_words})"


@pytest.fixture
def period(ics: Any) -> float:
    value = ics.items.get("scrub_period_s")
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        inconclusive(f"the ICS does not declare scrub_period_s as a positive number ({value!r}), which this class needs")
    return float(value)


@pytest.fixture
def start(port: Any) -> float:
    """t_s, the time the sweep starts at word 0: the ``port`` fixture's power_cycle (the watchdog is
    frozen there, so no reset restarts the scrubber during the test)."""
    return float(port.now)


def advance_to(port: Any, t: float) -> None:
    """Advance simulated time to ``t`` (in steps the interface accepts)."""
    while port.now < t - 1e-9:
        port.advance(min(1e8, t - port.now))


class Words:
    """Words of known content spread over memory (addresses need not be consecutive): what was
    written, the error pattern injected, and raw reads of them."""

    def __init__(self, addresses: Sequence[int], data: np.ndarray, patterns: Sequence[Sequence[int]]) -> None:
        self.addresses = [int(a) for a in addresses]
        self.data = np.asarray(data, dtype=U64)
        self.patterns = [list(p) for p in patterns]

    def write(self, port: Any) -> None:
        runs = _runs(self.addresses)
        for start, i, n in runs:
            port.write(start, self.data[i : i + n])

    def inject(self, port: Any) -> None:
        port.inject([memory_fault(a, p) for a, p in zip(self.addresses, self.patterns, strict=True) if p])

    def raw(self, port: Any) -> tuple[np.ndarray, np.ndarray]:
        d = np.zeros(len(self.addresses), dtype=U64)
        c = np.zeros(len(self.addresses), dtype=np.uint8)
        for start, i, n in _runs(self.addresses):
            d[i : i + n], c[i : i + n] = port.read_raw(start, n)
        return d, c

    def clean(self, columns: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        return self.data, check_bits(self.data, columns)

    def faulty(self, columns: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        dm, cm = bit_masks(self.patterns)
        return self.data ^ dm, check_bits(self.data, columns) ^ cm


def _runs(addresses: Sequence[int]) -> list[tuple[int, int, int]]:
    """(start address, first index, length) of the runs of consecutive addresses (sorted input)."""
    out: list[tuple[int, int, int]] = []
    i = 0
    while i < len(addresses):
        j = i
        while j + 1 < len(addresses) and addresses[j + 1] == addresses[j] + 1 and j + 1 - i < 65536:
            j += 1
        out.append((addresses[i], i, j - i + 1))
        i = j + 1
    return out


def expect_stored(
    words: Words, got: tuple[np.ndarray, np.ndarray], want: tuple[np.ndarray, np.ndarray], geometry: Any, what: str
) -> None:
    bad = np.flatnonzero((got[0] != want[0]) | (got[1] != want[1]))
    if bad.size:
        i = int(bad[0])
        banks = sorted({words.addresses[int(k)] // geometry.bank_words for k in bad})
        raise AssertionError(
            f"{what}: {bad.size} of {len(words.addresses)} words differ, in banks {banks}; e.g. "
            f"{where(words.addresses[i], geometry)} (error bits {words.patterns[i]}) holds data {int(got[0][i]):#018x} "
            f"check {int(got[1][i]):#04x}, expected data {int(want[0][i]):#018x} check {int(want[1][i]):#04x}"
        )


def random_pattern(rng: np.random.Generator, weight: int) -> list[int]:
    return [int(b) for b in rng.choice(72, weight, replace=False)]


# --------------------------------------------------------------------------------------------------
# HWC-SCR-001: single errors repaired within a period


def single_error_words(geometry: Any, rng: np.random.Generator) -> Words:
    """Single errors at the edges and random words of every bank, and a block of 72 words with each
    codeword bit flipped once (random order)."""
    first = int(rng.integers(0, geometry.words - 72 + 1))
    block = list(range(first, first + 72))
    ordered = sorted(set(geometry.spread(rng, 6)) | set(block))
    bits = {a: [int(b)] for a, b in zip(block, rng.permutation(72), strict=True)}
    patterns = [bits.get(a, [int(rng.integers(0, 72))]) for a in ordered]
    return Words(ordered, random_words(rng, len(ordered)), patterns)


@pytest.mark.requirement("HWC-SCR-001")
def test_single_errors_repaired_within_a_period(
    port: Any, code: Any, hw: Any, geometry: Any, period: float, rng: np.random.Generator
) -> None:
    """Two rounds, each starting at a random phase of the sweep: single errors everywhere (every
    bank's edges, random words, all 72 bits) are repaired in memory after scrub_period_s +
    timing_tolerance, and SCRUB_CE_COUNT grows by exactly the number of words repaired."""
    columns = code.data_columns
    tolerance = hw.tolerance(period)
    for rnd in range(2):
        advance_to(port, port.now + float(rng.uniform(0.0, 1.0)) * period)
        words = single_error_words(geometry, rng)
        words.write(port)
        words.inject(port)
        expect_stored(words, words.raw(port), words.faulty(columns), geometry, f"round {rnd + 1}: right after inject")
        ce0 = port.reg("SCRUB_CE_COUNT")
        t_inject = port.now
        advance_to(port, t_inject + period + tolerance)
        expect_stored(
            words, words.raw(port), words.clean(columns), geometry,
            f"round {rnd + 1}: {period + tolerance:g} s (scrub_period_s + tolerance) after single errors were injected at "
            f"t = {t_inject:.3f} s, the corrected codewords are not all written back",
        )
        ce = port.reg("SCRUB_CE_COUNT")
        want = min(hw.counter_max, ce0 + len(words.addresses))
        assert ce == want, (
            f"round {rnd + 1}: SCRUB_CE_COUNT = {ce} after the scrubber repaired {len(words.addresses)} single errors, "
            f"expected {want} (was {ce0})"
        )


@pytest.mark.requirement("HWC-SCR-001")
def test_many_single_errors_in_one_block(
    port: Any, code: Any, hw: Any, geometry: Any, period: float, rng: np.random.Generator
) -> None:
    """4096 consecutive words (half the memory if smaller) with single errors (random bits)
    straddling a bank boundary (or in the middle of memory with one bank): all repaired within a period, counted once each; a word
    repaired is not counted again in the next period."""
    columns = code.data_columns
    n = min(4096, geometry.words // 2)
    edge = geometry.bank_words * int(rng.integers(1, geometry.banks)) if geometry.banks > 1 else geometry.words // 2
    first = min(max(0, edge - n // 2), geometry.words - n)
    addresses = list(range(first, first + n))
    words = Words(addresses, random_words(rng, n), [[int(rng.integers(0, 72))] for _ in range(n)])
    words.write(port)
    words.inject(port)
    ce0 = port.reg("SCRUB_CE_COUNT")
    advance_to(port, port.now + period + hw.tolerance(period))
    expect_stored(words, words.raw(port), words.clean(columns), geometry, f"one period + tolerance after {n} single errors")
    ce = port.reg("SCRUB_CE_COUNT")
    assert ce == ce0 + n, f"SCRUB_CE_COUNT = {ce} after repairing {n} words, expected {ce0 + n}"
    advance_to(port, port.now + period)
    again = port.reg("SCRUB_CE_COUNT")
    assert again == ce0 + n, f"SCRUB_CE_COUNT = {again} one more period later, with no new error: expected {ce0 + n}"


# --------------------------------------------------------------------------------------------------
# HWC-SCR-002: uncorrectable words left alone, counted per visit


def visits(address: int, t_s: float, t1: float, t2: float, period: float, words: int, slack: float) -> tuple[int, int]:
    """(certain, possible) numbers of scrubber visits of ``address`` in (t1, t2]: nominal visits at
    t_s + (k + address / words) period, k >= 0, each uncertain by ``slack`` seconds."""
    phase = address / words

    def count(lo: float, hi: float) -> int:
        if hi < lo:
            return 0
        k_lo = max(0, math.ceil((lo - t_s) / period - phase))
        k_hi = math.floor((hi - t_s) / period - phase)
        return max(0, k_hi - k_lo + 1)

    return count(t1 + slack, t2 - slack), count(t1 - slack, t2 + slack)


def away_from(rng: np.random.Generator, lo: int, hi: int, avoid: Sequence[float], band: float, n: int) -> list[int]:
    """``n`` random addresses in [lo, hi) at least ``band`` words (circularly) from every ``avoid``
    position (best effort: addresses that cannot avoid them are still returned)."""
    out: list[int] = []
    for _ in range(n):
        a = int(rng.integers(lo, hi))
        for _ in range(50):
            if all(abs(a - p) >= band for p in avoid):
                break
            a = int(rng.integers(lo, hi))
        out.append(a)
    return out


@pytest.mark.requirement("HWC-SCR-002")
def test_uncorrectable_words_left_and_counted_per_visit(
    port: Any, start: float, code: Any, hw: Any, geometry: Any, period: float, rng: np.random.Generator
) -> None:
    """Double errors (random bit pairs) at every bank's edges and random words, with error-free
    random words on both sides, over 1 + (banks // 2) / banks periods starting mid-bank: every
    stored codeword is exactly as before (the uncorrectable ones still read uncorrectable),
    and SCRUB_UE_COUNT grows by the number of visits, between the visits certain and possible."""
    columns = code.data_columns
    m = geometry.words
    t_s = start
    jitter = float(rng.uniform(-0.1, 0.1)) / geometry.banks
    phase1 = (0.5 / geometry.banks + jitter) % 1.0
    span = 1.0 + (geometry.banks // 2) / geometry.banks
    phase2 = (phase1 + span) % 1.0
    slack = (hw.position_tolerance + 2.0 / m) * period + hw.tolerance(period)
    band = 2 * slack / period * m
    avoid = [phase1 * m, phase2 * m, phase1 * m + m, phase2 * m + m, phase1 * m - m, phase2 * m - m]
    centres = set(geometry.bank_edges())
    for b in range(geometry.banks):
        lo = b * geometry.bank_words
        centres.update(away_from(rng, lo, lo + geometry.bank_words, avoid, band, 4))
    ordered = sorted(centres)
    addresses = sorted({a + d for a in ordered for d in range(-4, 5) if 0 <= a + d < m})
    faulty = set(ordered)
    patterns = [random_pattern(rng, 2) if a in faulty else [] for a in addresses]
    words = Words(addresses, random_words(rng, len(addresses)), patterns)
    advance_to(port, t_s + (max(0, math.ceil((port.now - t_s) / period - phase1)) + phase1) * period)
    words.write(port)
    words.inject(port)
    before = words.raw(port)
    expect_stored(words, before, words.faulty(columns), geometry, "right after injecting double errors")
    ue0 = port.reg("SCRUB_UE_COUNT")
    t1 = port.now
    advance_to(port, t1 + span * period)
    t2 = port.now
    expect_stored(
        words, words.raw(port), before, geometry,
        f"{span:g} scrub periods later (double errors must not be rewritten, error-free words not changed)",
    )
    for a in ordered:
        r = port.read(a, 1)
        assert r.uncorrectable == frozenset({0}), f"{where(a, geometry)} with a double error no longer reads as uncorrectable after scrubbing"
    certain = possible = 0
    for a in ordered:
        lo, hi = visits(a, t_s, t1, t2, period, m, slack)
        certain += lo
        possible += hi
    ue = port.reg("SCRUB_UE_COUNT") - ue0
    assert certain <= ue <= possible, (
        f"SCRUB_UE_COUNT grew by {ue} over {span:g} periods (t = {t1:.3f} .. {t2:.3f} s) with {len(ordered)} uncorrectable "
        f"words: the sweep visits them {certain} times for certain and at most {possible} times (once per visit)"
    )


# --------------------------------------------------------------------------------------------------
# HWC-SCR-003: position and passes


@pytest.mark.requirement("HWC-SCR-003")
def test_position_and_passes_follow_time(
    port: Any, start: float, hw: Any, geometry: Any, period: float, rng: np.random.Generator
) -> None:
    """At power-on and at random times over about 40 passes (including just before and after pass
    boundaries), SCRUB_POSITION is (t - t_s) M / T mod M within scrub_position_tolerance of M, and
    SCRUB_PASSES is floor((t - t_s) / T) within one."""
    m = geometry.words
    t_s = start
    tol = hw.position_tolerance * m + 1
    fractions = sorted(
        [0.0, 0.001, float(rng.uniform(0.02, 0.98)), 0.995, 1.005, 1.5, float(rng.uniform(2, 3)), 4.999, 5.001]
        + [float(x) for x in rng.uniform(5, 40, 6)]
    )
    for f in fractions:
        advance_to(port, t_s + f * period)
        elapsed = (port.now - t_s) / period
        pos, passes = port.reg("SCRUB_POSITION"), port.reg("SCRUB_PASSES")
        nominal = (elapsed % 1.0) * m
        off = abs(pos - nominal)
        off = min(off, m - off)
        assert pos < m, f"SCRUB_POSITION = {pos} at {elapsed:.4f} periods after the scrubber's start: not a word address (memory_words {m})"
        assert off <= tol, (
            f"SCRUB_POSITION = {pos} at {elapsed:.4f} periods after the scrubber's start, expected {nominal:.0f} "
            f"+- {tol:.0f} words ({hw.position_tolerance:g} of memory_words)"
        )
        assert abs(passes - math.floor(elapsed)) <= 1, (
            f"SCRUB_PASSES = {passes} at {elapsed:.4f} periods after the scrubber's start, expected {math.floor(elapsed)} within one"
        )


@pytest.mark.requirement("HWC-SCR-003")
def test_position_is_where_the_scrubber_goes_next(
    port: Any, code: Any, geometry: Any, period: float, hw: Any, rng: np.random.Generator
) -> None:
    """SCRUB_POSITION p is the word visited next: after a quarter period, single errors 5 %..20 % of
    memory ahead of p are repaired, while errors 5 % behind p (just visited) and 40 % ahead (not
    reached yet) are still there."""
    columns = code.data_columns
    m = geometry.words
    advance_to(port, port.now + float(rng.uniform(0.0, 1.0)) * period)
    p = port.reg("SCRUB_POSITION")
    if p >= m:
        raise AssertionError(f"SCRUB_POSITION = {p} is not a word address (memory_words {m})")
    ahead = [0.05, 0.10, 0.15, 0.20]
    later = [-0.05, 0.40]
    addresses = [int((p + f * m + int(rng.integers(0, 64))) % m) for f in ahead + later]
    order = np.argsort(addresses)
    sorted_addr = [addresses[i] for i in order]
    words = Words(sorted_addr, random_words(rng, len(addresses)), [[int(rng.integers(0, 72))] for _ in addresses])
    words.write(port)
    words.inject(port)
    expect_stored(words, words.raw(port), words.faulty(columns), geometry, "right after inject")
    advance_to(port, port.now + 0.25 * period)
    got = words.raw(port)
    clean, faulty = words.clean(columns), words.faulty(columns)
    for k, i in enumerate(order):
        f = (ahead + later)[int(i)]
        a = sorted_addr[k]
        if f in ahead:
            ok = got[0][k] == clean[0][k] and got[1][k] == clean[1][k]
            assert ok, (
                f"SCRUB_POSITION was {p}: {where(a, geometry)}, {f:.0%} of memory ahead, still holds its single error "
                f"a quarter period later (the scrubber has not visited it)"
            )
        else:
            ok = got[0][k] == faulty[0][k] and got[1][k] == faulty[1][k]
            assert ok, (
                f"SCRUB_POSITION was {p}: {where(a, geometry)}, {f:+.0%} of memory from it, was repaired within a quarter "
                f"period: the scrubber does not visit next the word SCRUB_POSITION names"
            )

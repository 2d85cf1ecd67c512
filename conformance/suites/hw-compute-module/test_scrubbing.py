"""Conformance suite of hw-compute-module, class ``scrubbing`` (HWC-SCR-001..003, 005; HWC-SCR-004 is in
test_memory_edac.py, with the read counters).

The scrubber of the GR740 memory controller (GR740 UM, memory scrubber) sweeps memory, writes back
corrected single errors and leaves uncorrectable words flagged. What is checked, and against what:

* **Repair** (HWC-SCR-001): single errors injected at the first and last word of every bank, at
  random words of every bank and in a block covering all 72 codeword bits, at a random phase of
  the sweep, must all be repaired in memory (the raw codeword equals (data, H_d data), computed
  here from the spec's ``edac_codes``) after ``scrub_period_s`` plus ``timing_tolerance``, with
  SCRUB_CE_COUNT counting each word exactly once; so must single errors in words never written
  (the zero codeword of power-on memory). No EDAC_* register changes while the scrubber runs.
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
* **Read-only sweep registers** (HWC-SCR-005): writes to SCRUB_POSITION and SCRUB_PASSES change
  neither, and clearing SCRUB_CE_COUNT / SCRUB_UE_COUNT mid-sweep leaves the position and the
  scrubber's actual path (repairs just ahead of the nominal position) as they were.

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

from orbitcert.conformance.interfaces.hw_compute_module import bit_masks, check_bits, memory_fault, random_words

U64 = np.uint64


# --------------------------------------------------------------------------------------------------
# Oracle of the declared code (from the spec's parameter edac_codes only) and fault descriptors





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
            f"{geometry.where(words.addresses[i])} (error bits {words.patterns[i]}) holds data {int(got[0][i]):#018x} "
            f"check {int(got[1][i]):#04x}, expected data {int(want[0][i]):#018x} check {int(want[1][i]):#04x}"
        )


def random_pattern(rng: np.random.Generator, weight: int) -> list[int]:
    return [int(b) for b in rng.choice(72, weight, replace=False)]


def edac_registers(port: Any, hw: Any) -> dict[str, int]:
    """The processor's EDAC registers (parameter registers, names EDAC_*): the scrubber changes none."""
    return {name: port.reg(name) for name in hw.registers if name.startswith("EDAC_")}


def expect_edac_unchanged(before: dict[str, int], after: dict[str, int], what: str) -> None:
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert not changed, (
        f"{what}: EDAC registers changed while only the scrubber ran (before, after): {changed}; they count the "
        f"processor's reads, the scrubber has its own SCRUB_* counters"
    )


def never_written(geometry: Any, rng: np.random.Generator, used: set[int], per_bank: int) -> list[int]:
    """``per_bank`` random addresses in every bank outside ``used`` (words never written since power_cycle)."""
    out: set[int] = set()
    for b in range(geometry.banks):
        lo = b * geometry.bank_words
        for a in (int(x) for x in rng.integers(lo, lo + geometry.bank_words, 4 * per_bank)):
            if len(out) >= (b + 1) * per_bank:
                break
            if a not in used and a not in out:
                out.add(a)
    return sorted(out)


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
    bank's edges, random words, all 72 bits), and in words never written since power_cycle (the
    zero codeword), are repaired in memory after scrub_period_s + timing_tolerance, SCRUB_CE_COUNT
    grows by exactly the number of words repaired, and no EDAC_* register changes."""
    columns = code.data_columns
    tolerance = hw.tolerance(period)
    used: set[int] = set()
    for rnd in range(2):
        advance_to(port, port.now + float(rng.uniform(0.0, 1.0)) * period)
        words = single_error_words(geometry, rng)
        used.update(words.addresses)
        blank = never_written(geometry, rng, used, 2)
        used.update(blank)
        zeros = Words(blank, np.zeros(len(blank), dtype=U64), [[int(rng.integers(0, 72))] for _ in blank])
        words.write(port)
        words.inject(port)
        zeros.inject(port)
        expect_stored(words, words.raw(port), words.faulty(columns), geometry, f"round {rnd + 1}: right after inject")
        expect_stored(zeros, zeros.raw(port), zeros.faulty(columns), geometry, f"round {rnd + 1}: never-written words right after inject")
        ce0 = port.reg("SCRUB_CE_COUNT")
        edac0 = edac_registers(port, hw)
        t_inject = port.now
        advance_to(port, t_inject + period + tolerance)
        late = f"{period + tolerance:g} s (scrub_period_s + tolerance) after single errors were injected at t = {t_inject:.3f} s"
        expect_stored(words, words.raw(port), words.clean(columns), geometry, f"round {rnd + 1}: {late}, the corrected codewords are not all written back")
        expect_stored(
            zeros, zeros.raw(port), zeros.clean(columns), geometry,
            f"round {rnd + 1}: {late}, single errors in words never written (the zero codeword) are not all repaired",
        )
        expect_edac_unchanged(edac0, edac_registers(port, hw), f"round {rnd + 1}")
        ce = port.reg("SCRUB_CE_COUNT")
        n = len(words.addresses) + len(zeros.addresses)
        want = min(hw.counter_max, ce0 + n)
        assert ce == want, (
            f"round {rnd + 1}: SCRUB_CE_COUNT = {ce} after the scrubber repaired {n} single errors, expected {want} (was {ce0})"
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
    edac0 = edac_registers(port, hw)
    t1 = port.now
    advance_to(port, t1 + span * period)
    t2 = port.now
    expect_edac_unchanged(edac0, edac_registers(port, hw), f"{span:g} scrub periods with {len(ordered)} uncorrectable words")
    expect_stored(
        words, words.raw(port), before, geometry,
        f"{span:g} scrub periods later (double errors must not be rewritten, error-free words not changed)",
    )
    for a in ordered:
        r = port.read(a, 1)
        assert r.uncorrectable == frozenset({0}), f"{geometry.where(a)} with a double error no longer reads as uncorrectable after scrubbing"
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


def expect_sweep_from(port: Any, p: int, columns: Sequence[int], geometry: Any, period: float, rng: np.random.Generator, what: str) -> None:
    """The scrubber visits next the word ``p``: single errors injected now 5 %..20 % of memory ahead
    of p are repaired a quarter period later, errors 5 % behind p (just visited) and 40 % ahead (not
    reached yet) are still there."""
    m = geometry.words
    ahead = [0.05, 0.10, 0.15, 0.20]
    later = [-0.05, 0.40]
    jitter = max(1, min(64, m // 200))  # a few words, well inside the 5 % gaps in a small memory
    addresses = [int((p + f * m + int(rng.integers(0, jitter))) % m) for f in ahead + later]
    order = np.argsort(addresses)
    sorted_addr = [addresses[i] for i in order]
    words = Words(sorted_addr, random_words(rng, len(addresses)), [[int(rng.integers(0, 72))] for _ in addresses])
    words.write(port)
    words.inject(port)
    expect_stored(words, words.raw(port), words.faulty(columns), geometry, f"{what}: right after inject")
    advance_to(port, port.now + 0.25 * period)
    got = words.raw(port)
    clean, faulty = words.clean(columns), words.faulty(columns)
    for k, i in enumerate(order):
        f = (ahead + later)[int(i)]
        a = sorted_addr[k]
        if f in ahead:
            ok = got[0][k] == clean[0][k] and got[1][k] == clean[1][k]
            assert ok, (
                f"{what}: scrubber expected at word {p}: {geometry.where(a)}, {f:.0%} of memory ahead, still holds its "
                f"single error a quarter period later (the scrubber has not visited it)"
            )
        else:
            ok = got[0][k] == faulty[0][k] and got[1][k] == faulty[1][k]
            assert ok, (
                f"{what}: scrubber expected at word {p}: {geometry.where(a)}, {f:+.0%} of memory from it, was repaired "
                f"within a quarter period: the scrubber does not visit next the word expected"
            )


@pytest.mark.requirement("HWC-SCR-003")
def test_position_is_where_the_scrubber_goes_next(
    port: Any, code: Any, geometry: Any, period: float, hw: Any, rng: np.random.Generator
) -> None:
    """SCRUB_POSITION p is the word visited next: after a quarter period, single errors 5 %..20 % of
    memory ahead of p are repaired, while errors 5 % behind p (just visited) and 40 % ahead (not
    reached yet) are still there."""
    m = geometry.words
    advance_to(port, port.now + float(rng.uniform(0.0, 1.0)) * period)
    p = port.reg("SCRUB_POSITION")
    if p >= m:
        raise AssertionError(f"SCRUB_POSITION = {p} is not a word address (memory_words {m})")
    expect_sweep_from(port, p, code.data_columns, geometry, period, rng, f"SCRUB_POSITION was {p}")


# --------------------------------------------------------------------------------------------------
# HWC-SCR-005: position and passes not writable, counter clears leave the sweep alone


def expect_unmoved(port: Any, before: tuple[int, int], hw: Any, geometry: Any, what: str) -> None:
    """SCRUB_POSITION and SCRUB_PASSES as they were (no simulated time has passed): the position
    within scrub_position_tolerance, the passes within one (HWC-SCR-003's margins). Compared with
    the product's own earlier values, so that only the write is judged here, not HWC-SCR-003."""
    m = geometry.words
    pos, passes = port.reg("SCRUB_POSITION"), port.reg("SCRUB_PASSES")
    off = abs(pos - before[0])
    off = min(off, m - off)
    tol = hw.position_tolerance * m + 1
    assert off <= tol, f"{what}: SCRUB_POSITION = {pos}, was {before[0]} before (no time passed; +- {tol:.0f} words)"
    assert abs(passes - before[1]) <= 1, f"{what}: SCRUB_PASSES = {passes}, was {before[1]} before (no time passed)"


@pytest.mark.requirement("HWC-SCR-005")
def test_position_and_passes_ignore_writes(
    port: Any, start: float, hw: Any, geometry: Any, period: float, rng: np.random.Generator
) -> None:
    """At random times over a few passes, writes of 0, all ones and a value half a memory away to
    SCRUB_POSITION, and of 0 and far-off values to SCRUB_PASSES, change neither (both read as they
    did before the writes)."""
    m = geometry.words
    for f in sorted(float(x) for x in rng.uniform(0.1, 4.0, 3)):
        advance_to(port, start + f * period)
        before = (port.reg("SCRUB_POSITION"), port.reg("SCRUB_PASSES"))
        for value in (0, 0xFFFFFFFF, (before[0] + m // 2) % m):
            port.set_reg("SCRUB_POSITION", value)
            expect_unmoved(port, before, hw, geometry, f"{value:#x} written to SCRUB_POSITION (read-only)")
        for value in (0, before[1] + 1000, 0xFFFFFFFF):
            port.set_reg("SCRUB_PASSES", value)
            expect_unmoved(port, before, hw, geometry, f"{value:#x} written to SCRUB_PASSES (read-only)")


@pytest.mark.requirement("HWC-SCR-005")
def test_counter_clears_leave_the_sweep_alone(
    port: Any, start: float, code: Any, hw: Any, geometry: Any, period: float, rng: np.random.Generator
) -> None:
    """Mid-sweep (30 %..70 % into the second pass), SCRUB_CE_COUNT and SCRUB_UE_COUNT are cleared
    (a nonzero and a zero write): SCRUB_POSITION and SCRUB_PASSES read as before, and the scrubber
    goes on from where it was: single errors injected 5 %..20 % of memory ahead of the nominal
    position of HWC-SCR-003 are repaired a quarter period later, errors behind it and 40 % ahead are
    not (the sweep did not restart)."""
    m = geometry.words
    advance_to(port, start + float(rng.uniform(1.3, 1.7)) * period)  # mid-memory: a restart at word 0 is far away
    before = (port.reg("SCRUB_POSITION"), port.reg("SCRUB_PASSES"))
    port.set_reg("SCRUB_CE_COUNT", int(rng.integers(1, 1 << 16)))
    port.set_reg("SCRUB_UE_COUNT", 0)
    expect_unmoved(port, before, hw, geometry, "right after clearing SCRUB_CE_COUNT and SCRUB_UE_COUNT")
    nominal = ((port.now - start) / period % 1.0) * m
    expect_sweep_from(
        port, int(nominal) % m, code.data_columns, geometry, period, rng,
        "after SCRUB_CE_COUNT and SCRUB_UE_COUNT were cleared mid-sweep",
    )

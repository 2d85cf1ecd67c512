"""Conformance suite of hw-compute-module, class ``compute-integrity`` (HWC-ABFT-001..004):
algorithm-based fault tolerance of matrix multiplication (K.-H. Huang, J. A. Abraham,
"Algorithm-based fault tolerance for matrix operations", IEEE Trans. Computers C-33(6), 1984:
row and column checksums of the full checksum matrix detect, locate and correct one erroneous
element of C = A B), in IEEE 754-2019 binary64.

Oracles, all on the suite's side and independent of the product:

* the exact product: every element as an exact rational sum of exact products
  (:class:`fractions.Fraction`, each binary64 operand converted exactly), rounded once;
  HWC-ABFT-001 and -003 compare the product's C with it, element by element, within
  abft_accuracy times (|A||B|)_ij;
* significance (HWC-ABFT-002/004): a flip of bit b of C_ij is significant when the change
  |flip(C_ij) - C_ij| exceeds abft_significance times max(sum_j (|A||B|)_ij, sum_i (|A||B|)_ij),
  or the flipped value is not finite. The suite evaluates it on its own product of A and B
  (numpy), and only uses flips that are significant for every value within abft_accuracy times
  (|A||B|)_ij of it (the product's own C may differ from the suite's by that much, which can move
  C_ij across a power of two); the significance level is 2^10 above that accuracy, so this
  excludes only flips at the very edge of significance.

Matrices are drawn from the run's seed: entries uniform in [-1, 1], and "wide" matrices whose
entries are uniform in [-1, 1] times 2^k with k uniform in [-30, 30], so row and column scales
differ by up to 2^60. The statistical requirement HWC-ABFT-004 fixes its number of trials before
any trial from the declared coverage and abft_confidence (zero allowed failures) and draws each
fault uniformly over the elements and the significant bits by rejection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from orbitcert.conformance import binomial_sample_size, inconclusive
from orbitcert.specs import Ics, Spec

F64 = npt.NDArray[np.float64]


#: Matrix pairs of HWC-ABFT-001 (fault-free products), per kind.
FAULT_FREE_PAIRS = 12
#: Dimension of the HWC-ABFT-004 trials (smaller than abft_test_dimension, for speed; every trial
#: draws its own matrices).
STATISTICAL_DIMENSION = 8
#: Exponent range of the "wide" matrices.
WIDE_EXPONENT = 30
#: Stream ids of the run-seeded generators (one per purpose).
STREAM_FAULT_FREE, STREAM_EVERY_ELEMENT, STREAM_CORRECTION, STREAM_STATISTICAL = 1, 2, 3, 4
KINDS = ("uniform", "wide")


# --------------------------------------------------------------------------------------------------
# Constants and the port


@dataclass(frozen=True)
class Abft:
    """The spec's ABFT constants and the ICS declaration."""

    accuracy: float
    significance: float
    confidence: float
    dimension: int
    coverage: float
    correction: bool


@pytest.fixture(scope="module")
def abft(spec: Spec, ics: Ics) -> Abft:
    dim = int(spec.parameter("abft_test_dimension"))
    declared_max = ics.items.get("abft_max_dimension")
    if not isinstance(declared_max, int) or isinstance(declared_max, bool):
        inconclusive("the ICS does not declare abft_max_dimension, which the compute-integrity class needs")
    if declared_max < dim:
        inconclusive(f"ICS abft_max_dimension {declared_max} is below the suite's abft_test_dimension {dim}")
    coverage = ics.items.get("abft_detection_coverage")
    if not isinstance(coverage, int | float) or isinstance(coverage, bool) or not 0 < coverage < 1:
        inconclusive(f"ICS abft_detection_coverage {coverage!r} is not a fraction in (0, 1)")
    return Abft(
        accuracy=float(spec.parameter("abft_accuracy")),
        significance=float(spec.parameter("abft_significance")),
        confidence=float(spec.parameter("abft_confidence")),
        dimension=dim,
        coverage=float(coverage),
        correction=bool(ics.items.get("abft_correction", False)),
    )


def _rng(run_seed: int, stream: int, *more: int) -> np.random.Generator:
    return np.random.default_rng(
        np.random.SeedSequence([int(run_seed) & 0xFFFFFFFF, int(run_seed) >> 32, stream, *more])
    )


def _encode(m: F64) -> bytes:
    return np.ascontiguousarray(m, dtype=">f8").tobytes()


@dataclass(frozen=True)
class Outcome:
    c: F64
    detected: bool
    row: int | None
    col: int | None
    corrected: bool


def _index(value: Any, what: str, size: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < size:
        raise AssertionError(f"abft_matmul {what}: expected null or an index in 0..{size - 1}, got {value!r:.60}")
    return value


def matmul(iut: Any, a: F64, b: F64, fault: tuple[int, int, int] | None) -> Outcome:
    """abft_matmul of the product, its answer checked for shape (AssertionError when malformed)."""
    rows, inner = a.shape
    cols = b.shape[1]
    arg = None if fault is None else {"row": int(fault[0]), "col": int(fault[1]), "bit": int(fault[2])}
    r = iut.abft_matmul(_encode(a), _encode(b), rows, inner, cols, arg)
    if not isinstance(r, dict) or set(r) != {"c", "detected", "row", "col", "corrected"}:
        raise AssertionError(f"abft_matmul result: expected c, detected, row, col, corrected; got {r!r:.120}")
    c = r["c"]
    if not isinstance(c, bytes | bytearray) or len(c) != 8 * rows * cols:
        raise AssertionError(
            f"abft_matmul c: expected {8 * rows * cols} octets, got {type(c).__name__} of {len(c) if isinstance(c, bytes | bytearray) else '?'}"
        )
    for key in ("detected", "corrected"):
        if not isinstance(r[key], bool):
            raise AssertionError(f"abft_matmul {key}: expected a boolean, got {r[key]!r:.60}")
    matrix = np.frombuffer(bytes(c), dtype=">f8").astype(np.float64).reshape(rows, cols)
    return Outcome(matrix, r["detected"], _index(r["row"], "row", rows), _index(r["col"], "col", cols), r["corrected"])


# --------------------------------------------------------------------------------------------------
# Oracles


def draw(rng: np.random.Generator, kind: str, rows: int, inner: int, cols: int) -> tuple[F64, F64]:
    """A and B with entries uniform in [-1, 1] (``uniform``), or also scaled by 2^k, k uniform
    in [-WIDE_EXPONENT, WIDE_EXPONENT] per entry (``wide``)."""
    a = rng.uniform(-1.0, 1.0, (rows, inner))
    b = rng.uniform(-1.0, 1.0, (inner, cols))
    if kind == "wide":
        a = np.ldexp(a, rng.integers(-WIDE_EXPONENT, WIDE_EXPONENT + 1, a.shape))
        b = np.ldexp(b, rng.integers(-WIDE_EXPONENT, WIDE_EXPONENT + 1, b.shape))
    return a, b


def exact_product(a: F64, b: F64) -> F64:
    """C = A B with every element the exact rational sum of exact products, rounded once to
    binary64 (the independent oracle of HWC-ABFT-001/003)."""
    fa = [[Fraction(float(x)) for x in row] for row in a]
    fb = [[Fraction(float(x)) for x in col] for col in b.T]
    return np.array([[float(sum((x * y for x, y in zip(ra, cb, strict=True)), Fraction(0))) for cb in fb] for ra in fa])


def accuracy_violations(c: F64, a: F64, b: F64, accuracy: float) -> list[str]:
    """Elements of ``c`` farther than accuracy * (|A||B|)_ij from the exact product."""
    exact = exact_product(a, b)
    allowed = accuracy * (np.abs(a) @ np.abs(b))
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(c - exact)
        bad = ~(err <= allowed)
    return [
        f"C[{i}][{j}] = {float(c[i, j])!r}, exact {float(exact[i, j])!r}, error {err[i, j]:.3e} > allowed {allowed[i, j]:.3e}"
        for i, j in zip(*np.nonzero(bad), strict=True)
    ]


def flip(values: F64, bits: npt.NDArray[np.int64]) -> F64:
    """Each value with bit ``bits`` of its binary64 encoding inverted (0 = LSB, 63 = sign)."""
    u = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64) ^ (np.uint64(1) << bits.astype(np.uint64))
    return u.view(np.float64)


@dataclass(frozen=True)
class Significance:
    """The suite's view of C = A B: its own product, the scale of every element's significance
    (abft_significance * max(row sum, column sum) of |A||B|) and the uncertainty of the product's
    C_ij (abft_accuracy * (|A||B|)_ij)."""

    c: F64
    threshold: F64
    uncertainty: F64

    @classmethod
    def of(cls, a: F64, b: F64, abft: Abft) -> Significance:
        ab = np.abs(a) @ np.abs(b)
        scale = np.maximum(ab.sum(axis=-1, keepdims=True), ab.sum(axis=-2, keepdims=True))
        return cls(np.asarray(a @ b), abft.significance * scale, abft.accuracy * ab)

    def significant(self, index: tuple[Any, ...], bits: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Whether flipping ``bits`` of the elements at ``index`` is significant for every value
        of the element within its uncertainty (checked at the value and at both ends)."""
        x, thr, unc = self.c[index], self.threshold[index], self.uncertainty[index]
        ok = np.ones(np.shape(bits), dtype=bool)
        with np.errstate(invalid="ignore", over="ignore"):
            for v in (x, x - unc, x + unc, np.nextafter(x - unc, -np.inf), np.nextafter(x + unc, np.inf)):
                flipped = flip(np.asarray(v), bits)
                change = np.abs(flipped - v)
                ok &= ~np.isfinite(flipped) | (change > thr)
        return ok


def choose_bits(sig: Significance, rng: np.random.Generator) -> tuple[npt.NDArray[np.int64], list[str]]:
    """One significant bit per element of C, cycling through the categories exponent bit, sign
    bit, a flip to infinity/NaN (an exponent of all ones) and a random mantissa bit; an element
    where its category has no significant bit takes any significant bit. Returns the bits and the
    category names used."""
    rows, cols = sig.c.shape
    bits = np.full((rows, cols), -1, dtype=np.int64)
    used: list[str] = []
    all_bits = np.arange(64, dtype=np.int64)
    for n, (i, j) in enumerate(np.ndindex(rows, cols)):
        ok = sig.significant((np.full(64, i), np.full(64, j)), all_bits)
        if not ok.any():
            continue
        flipped = flip(np.full(64, sig.c[i, j]), all_bits)
        to_nonfinite = ok & ~np.isfinite(flipped)
        categories = {
            "exponent": ok & (all_bits >= 52) & (all_bits <= 62) & np.isfinite(flipped),
            "sign": ok & (all_bits == 63),
            "inf/nan": to_nonfinite,
            "mantissa": ok & (all_bits < 52),
        }
        name = list(categories)[n % len(categories)]
        pool = np.flatnonzero(categories[name])
        if not pool.size:
            name, pool = "any", np.flatnonzero(ok)
        bits[i, j] = int(rng.choice(pool))
        used.append(name)
    return bits, used


def _pairs(run_seed: int, stream: int, dim: int) -> list[tuple[str, F64, F64]]:
    return [(kind, *draw(_rng(run_seed, stream, k), kind, dim, dim, dim)) for k, kind in enumerate(KINDS)]


# --------------------------------------------------------------------------------------------------
# HWC-ABFT-001


@pytest.mark.requirement("HWC-ABFT-001")
def test_fault_free_product_accurate_and_quiet(iut: Any, abft: Abft, run_seed: int) -> None:
    """HWC-ABFT-001: for random A, B of dimension abft_test_dimension (uniform entries and wide
    dynamic range), C is within abft_accuracy (|A||B|)_ij of the exact product and no error is
    reported (detected false, row and col null, corrected false)."""
    d = abft.dimension
    for k in range(FAULT_FREE_PAIRS):
        for kind in KINDS:
            a, b = draw(_rng(run_seed, STREAM_FAULT_FREE, k, KINDS.index(kind)), kind, d, d, d)
            out = matmul(iut, a, b, None)
            what = f"fault-free {kind} {d}x{d} product #{k}"
            assert not out.detected and out.row is None and out.col is None and not out.corrected, (
                f"{what}: expected no error reported, got detected={out.detected} row={out.row} col={out.col} corrected={out.corrected}"
            )
            bad = accuracy_violations(out.c, a, b, abft.accuracy)
            assert not bad, (
                f"{what}: {len(bad)} element(s) outside abft_accuracy {abft.accuracy:.3e} (|A||B|)_ij: {bad[:5]}"
            )


# --------------------------------------------------------------------------------------------------
# HWC-ABFT-002 / 003


@pytest.mark.requirement("HWC-ABFT-002")
def test_every_element_detected_and_located(iut: Any, abft: Abft, run_seed: int) -> None:
    """HWC-ABFT-002: for a uniform and a wide pair of matrices, one significant flip of every
    element (i, j) of the result (exponent, sign, to-infinity/NaN and mantissa bits in turn) is
    reported detected with row i and col j."""
    for kind, a, b in _pairs(run_seed, STREAM_EVERY_ELEMENT, abft.dimension):
        sig = Significance.of(a, b, abft)
        bits, _ = choose_bits(sig, _rng(run_seed, STREAM_EVERY_ELEMENT, 99, KINDS.index(kind)))
        misses = []
        for i, j in zip(*np.nonzero(bits >= 0), strict=True):
            bit = int(bits[i, j])
            out = matmul(iut, a, b, (int(i), int(j), bit))
            if not (out.detected and out.row == i and out.col == j):
                flipped = flip(np.array([sig.c[i, j]]), np.array([bit]))[0]
                misses.append(
                    f"C[{i}][{j}] = {float(sig.c[i, j])!r} bit {bit} (-> {float(flipped)!r}, threshold {sig.threshold[i, j]:.3e}): "
                    f"detected={out.detected} row={out.row} col={out.col}"
                )
        assert not misses, (
            f"{kind} {abft.dimension}x{abft.dimension} product: {len(misses)} of {int((bits >= 0).sum())} significant "
            f"single-bit errors not detected and located: {misses[:6]}"
        )


@pytest.mark.requirement("HWC-ABFT-003")
def test_located_error_corrected(iut: Any, abft: Abft, run_seed: int) -> None:
    """HWC-ABFT-003 (abft_correction): for every element of a uniform and a wide product, a
    significant flip that the product detects and locates is reported corrected, and the C
    returned is within abft_accuracy (|A||B|)_ij of the exact product everywhere."""
    located = 0
    for kind, a, b in _pairs(run_seed, STREAM_CORRECTION, abft.dimension):
        sig = Significance.of(a, b, abft)
        bits, _ = choose_bits(sig, _rng(run_seed, STREAM_CORRECTION, 99, KINDS.index(kind)))
        exact = exact_product(a, b)
        allowed = abft.accuracy * (np.abs(a) @ np.abs(b))
        for i, j in zip(*np.nonzero(bits >= 0), strict=True):
            bit = int(bits[i, j])
            out = matmul(iut, a, b, (int(i), int(j), bit))
            if not (out.detected and out.row == i and out.col == j):
                continue
            located += 1
            what = f"{kind} product, C[{i}][{j}] = {float(sig.c[i, j])!r} bit {bit} flipped, detected and located"
            assert out.corrected, f"{what}: expected corrected true, got false"
            with np.errstate(invalid="ignore", over="ignore"):
                bad = ~(np.abs(out.c - exact) <= allowed)
            if bad.any():
                p, q = (int(v[0]) for v in np.nonzero(bad))
                raise AssertionError(
                    f"{what} and reported corrected: {int(bad.sum())} element(s) outside abft_accuracy of the exact "
                    f"product, e.g. C[{p}][{q}] = {float(out.c[p, q])!r}, exact {float(exact[p, q])!r}, allowed error {allowed[p, q]:.3e}"
                )
    if not located:
        inconclusive("no significant error was detected and located (HWC-ABFT-002), so no correction could be checked")


# --------------------------------------------------------------------------------------------------
# HWC-ABFT-004


def draw_significant_faults(
    rng: np.random.Generator, sig: Significance, max_rounds: int = 10_000
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """One fault per trial (the first axis of ``sig``), uniform over the trial's elements and
    the bits whose flip is significant: draw (i, j, bit) uniformly, keep the significant ones,
    redraw the others (rejection sampling: uniform over the significant set)."""
    n, rows, cols = sig.c.shape
    ii = np.zeros(n, dtype=np.int64)
    jj = np.zeros(n, dtype=np.int64)
    bb = np.zeros(n, dtype=np.int64)
    todo = np.arange(n)
    for _ in range(max_rounds):
        if not todo.size:
            return ii, jj, bb
        i = rng.integers(0, rows, todo.size)
        j = rng.integers(0, cols, todo.size)
        bit = rng.integers(0, 64, todo.size)
        ok = sig.significant((todo, i, j), bit)
        ii[todo[ok]], jj[todo[ok]], bb[todo[ok]] = i[ok], j[ok], bit[ok]
        todo = todo[~ok]
    raise AssertionError(f"no significant flip found for {todo.size} trial(s) in {max_rounds} draws")


@pytest.mark.requirement("HWC-ABFT-004")
def test_detection_coverage_statistical(iut: Any, abft: Abft, run_seed: int, evidence: Any) -> None:
    """HWC-ABFT-004: n = binomial_sample_size(1 - abft_detection_coverage, abft_confidence)
    trials (fixed before any trial, zero allowed failures), each a fresh 8x8 pair of matrices
    (uniform and wide in turn) with one fault drawn uniformly over the elements and the
    significant bits; a trial fails unless the error is detected and located at its element.
    The Clopper-Pearson upper bound on the miss fraction must meet 1 - coverage."""
    max_fraction = 1.0 - abft.coverage
    n = binomial_sample_size(max_fraction, abft.confidence)
    d = STATISTICAL_DIMENSION
    rng = _rng(run_seed, STREAM_STATISTICAL)
    a = rng.uniform(-1.0, 1.0, (n, d, d))
    b = rng.uniform(-1.0, 1.0, (n, d, d))
    wide = np.arange(n) % 2 == 1
    a[wide] = np.ldexp(a[wide], rng.integers(-WIDE_EXPONENT, WIDE_EXPONENT + 1, a[wide].shape))
    b[wide] = np.ldexp(b[wide], rng.integers(-WIDE_EXPONENT, WIDE_EXPONENT + 1, b[wide].shape))
    sig = Significance.of(a, b, abft)
    ii, jj, bb = draw_significant_faults(rng, sig)
    samples: list[float | None] = []
    misses: list[str] = []
    for t in range(n):
        out = matmul(iut, a[t], b[t], (int(ii[t]), int(jj[t]), int(bb[t])))
        if out.detected and out.row is not None and out.col is not None:
            samples.append(float(abs(out.row - ii[t]) + abs(out.col - jj[t])))
        else:
            samples.append(None)
        if samples[-1] != 0.0 and len(misses) < 5:
            misses.append(
                f"trial {t} ({'wide' if wide[t] else 'uniform'}): C[{ii[t]}][{jj[t]}] = {float(sig.c[t, ii[t], jj[t]])!r} bit {bb[t]}: "
                f"detected={out.detected} row={out.row} col={out.col}"
            )
    failures = sum(1 for s in samples if s != 0.0)
    try:
        evidence.binomial(
            quantity="significant single-bit result error not detected and located",
            trials=n,
            failures=failures,
            max_fraction=max_fraction,
            confidence=abft.confidence,
            samples=[math.inf if s is None else s for s in samples],
            limit=0.0,
            unit="elements",
            sample_label="location error (|row - i| + |col - j|; none: not detected or not located)",
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}; first misses: {misses}") from None

"""Conformance suite of hw-compute-module, class ``compute-integrity`` (HWC-ABFT-001..004):
algorithm-based fault tolerance of matrix multiplication (K.-H. Huang, J. A. Abraham,
"Algorithm-based fault tolerance for matrix operations", IEEE Trans. Computers C-33(6), 1984:
row and column checksums of the full checksum matrix detect, locate and correct one erroneous
element of C = A B), in IEEE 754-2019 binary64.

Blind checking: ``abft_matmul(a, b, rows, inner, cols)`` is only asked for fault-free products
(HWC-ABFT-001). Errors go through ``abft_verify(a, b, c, rows, inner, cols)``: the suite computes
its own product of A and B, flips one significant bit of one element itself and hands that C to
the product, which can only find the error from checksums it computes from A and B. (An earlier
form of the interface passed the fault's position to abft_matmul, so a product could report that
position and return the fault-free C with no checksum at all; that is no longer possible.)

Oracles, all on the suite's side and independent of the product:

* the exact product: every element as an exact rational sum of exact products
  (:class:`fractions.Fraction`, each binary64 operand converted exactly), rounded once;
  HWC-ABFT-001 and -003 compare the product's C with it, element by element, within
  abft_accuracy times (|A||B|)_ij, and it is the C that HWC-ABFT-001 gives to abft_verify and that
  HWC-ABFT-002/003 corrupt;
* significance (HWC-ABFT-002/004): a flip of bit b of C_ij is significant when the change
  |flip(C_ij) - C_ij| exceeds abft_significance times max(sum_j (|A||B|)_ij, sum_i (|A||B|)_ij),
  or the flipped value is not finite. The suite only uses flips that are significant for every
  value within abft_accuracy times (|A||B|)_ij of its C_ij (the exact product may differ from the
  binary64 value by up to that much, which can move C_ij across a power of two); the significance
  level is 2^10 above that accuracy, so this excludes only flips at the very edge of significance.

Shapes: square ones of abft_test_dimension (at most the declared abft_max_dimension) and
rectangular ones (rows, inner and cols all different, single rows, thin inner dimensions), and for
HWC-ABFT-001 a 4 x abft_max_dimension x 3 product (the declared maximum inner dimension).
Matrices are drawn from the run's seed: entries uniform in [-1, 1] (``uniform``), times 2^k with
k uniform in [-30, 30] per entry (``wide``: row and column scales differ by up to 2^60), or times
2^k with k uniform in [-200, 0] and scaled so that the largest magnitude is just below
abft_max_magnitude (``extreme``, HWC-ABFT-001 only). The statistical requirement HWC-ABFT-004
fixes its number of trials before any trial from the declared coverage and abft_confidence (zero
allowed failures), cycles through the shapes and draws each fault uniformly over the elements and
the significant bits by rejection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from orbitcert.conformance import binomial_sample_size, inconclusive, refusal
from orbitcert.specs import Ics, Spec

F64 = npt.NDArray[np.float64]


#: Repetitions of every (shape, kind) of HWC-ABFT-001.
FAULT_FREE_REPEATS = 2
#: Exponent range of the "wide" matrices.
WIDE_EXPONENT = 30
#: Exponent range below the largest magnitude of the "extreme" matrices.
EXTREME_RANGE = 200
#: Stream ids of the run-seeded generators (one per purpose).
STREAM_FAULT_FREE, STREAM_EVERY_ELEMENT, STREAM_CORRECTION, STREAM_STATISTICAL = 1, 2, 3, 4
KINDS = ("uniform", "wide")
FAULT_FREE_KINDS = ("uniform", "wide", "extreme")


# --------------------------------------------------------------------------------------------------
# Constants and the port


@dataclass(frozen=True)
class Abft:
    """The spec's ABFT constants and the ICS declaration."""

    accuracy: float
    max_magnitude: float
    significance: float
    confidence: float
    dimension: int
    max_dimension: int
    coverage: float
    correction: bool

    def shapes(self) -> list[tuple[int, int, int]]:
        """(rows, inner, cols) of HWC-ABFT-002..004: square and rectangular, no side above
        ``dimension`` (min(abft_test_dimension, declared abft_max_dimension))."""
        d = self.dimension
        raw = [(d, d, d), (5, 7, 11), (d, 3, 2), (1, d, 9), (9, 2, d)]
        return list(dict.fromkeys((min(r, d), min(k, d), min(c, d)) for r, k, c in raw))

    def fault_free_shapes(self) -> list[tuple[int, int, int]]:
        """The shapes of HWC-ABFT-001: those of :meth:`shapes` and 4 x abft_max_dimension x 3."""
        return [*self.shapes(), (4, self.max_dimension, 3)]


@pytest.fixture(scope="module")
def abft(spec: Spec, ics: Ics) -> Abft:
    declared_max = ics.items.get("abft_max_dimension")
    if not isinstance(declared_max, int) or isinstance(declared_max, bool) or declared_max < 1:
        inconclusive("the ICS does not declare abft_max_dimension, which the compute-integrity class needs")
    coverage = ics.items.get("abft_detection_coverage")
    if not isinstance(coverage, int | float) or isinstance(coverage, bool) or not 0 < coverage < 1:
        inconclusive(f"ICS abft_detection_coverage {coverage!r} is not a fraction in (0, 1)")
    return Abft(
        accuracy=float(spec.parameter("abft_accuracy")),
        max_magnitude=float(spec.parameter("abft_max_magnitude")),
        significance=float(spec.parameter("abft_significance")),
        confidence=float(spec.parameter("abft_confidence")),
        dimension=min(int(spec.parameter("abft_test_dimension")), declared_max),
        max_dimension=declared_max,
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
    """An answer of abft_matmul / abft_verify; ``refused`` holds the product's error reply when it
    refused the call (then C is empty and nothing is reported)."""

    c: F64
    detected: bool
    row: int | None
    col: int | None
    corrected: bool
    refused: str | None = None

    @property
    def quiet(self) -> bool:
        """No error reported: detected false, row and col null, corrected false."""
        return self.refused is None and not (self.detected or self.corrected) and self.row is None and self.col is None

    def located(self, i: int, j: int) -> bool:
        """Detected true with row i and col j."""
        return self.refused is None and self.detected and self.row == i and self.col == j

    def describe(self) -> str:
        if self.refused is not None:
            return f"refused the call: {self.refused:.200}"
        return f"detected={self.detected} row={self.row} col={self.col} corrected={self.corrected}"


def _index(op: str, value: Any, what: str) -> int | None:
    """A reported row / col: null or an integer >= 0 (the result schema; an index beyond C is a
    wrong location, judged by the requirement, not a malformed answer)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise AssertionError(f"{op} {what}: expected null or an integer >= 0, got {value!r:.60}")
    return value


def _outcome(op: str, operation: Any, args: tuple[Any, ...], rows: int, cols: int) -> Outcome:
    """The answer of abft_matmul / abft_verify, checked for shape (AssertionError when malformed);
    an error reply (:func:`~orbitcert.conformance.refusal`) is returned as a refused Outcome, for
    the requirement to judge."""
    answer: list[Any] = []
    refused = refusal(lambda: answer.append(operation(*args)))
    if refused is not None:
        return Outcome(np.zeros((0, 0)), False, None, None, False, f"{type(refused).__name__}: {refused}")
    r = answer[0]
    if not isinstance(r, dict) or set(r) != {"c", "detected", "row", "col", "corrected"}:
        raise AssertionError(f"{op} result: expected c, detected, row, col, corrected; got {r!r:.120}")
    c = r["c"]
    if not isinstance(c, bytes | bytearray) or len(c) != 8 * rows * cols:
        raise AssertionError(
            f"{op} c: expected {8 * rows * cols} octets, got {type(c).__name__} of {len(c) if isinstance(c, bytes | bytearray) else '?'}"
        )
    for key in ("detected", "corrected"):
        if not isinstance(r[key], bool):
            raise AssertionError(f"{op} {key}: expected a boolean, got {r[key]!r:.60}")
    matrix = np.frombuffer(bytes(c), dtype=">f8").astype(np.float64).reshape(rows, cols)
    return Outcome(matrix, r["detected"], _index(op, r["row"], "row"), _index(op, r["col"], "col"), r["corrected"])


def matmul(iut: Any, a: F64, b: F64) -> Outcome:
    """abft_matmul of the product (fault-free)."""
    rows, inner = a.shape
    cols = b.shape[1]
    return _outcome("abft_matmul", iut.abft_matmul, (_encode(a), _encode(b), rows, inner, cols), rows, cols)


def verify(iut: Any, a: F64, b: F64, c: F64) -> Outcome:
    """abft_verify of the product on the suite's C."""
    rows, inner = a.shape
    cols = b.shape[1]
    return _outcome("abft_verify", iut.abft_verify, (_encode(a), _encode(b), _encode(c), rows, inner, cols), rows, cols)


# --------------------------------------------------------------------------------------------------
# Oracles


def draw(
    rng: np.random.Generator, kind: str, rows: int, inner: int, cols: int, max_magnitude: float = 0.0
) -> tuple[F64, F64]:
    """A and B with entries uniform in [-1, 1] (``uniform``), also scaled by 2^k, k uniform in
    [-WIDE_EXPONENT, WIDE_EXPONENT] per entry (``wide``), or by 2^k, k uniform in
    [-EXTREME_RANGE, 0], times the largest power of two below ``max_magnitude`` (``extreme``)."""
    a = rng.uniform(-1.0, 1.0, (rows, inner))
    b = rng.uniform(-1.0, 1.0, (inner, cols))
    if kind == "wide":
        a = np.ldexp(a, rng.integers(-WIDE_EXPONENT, WIDE_EXPONENT + 1, a.shape))
        b = np.ldexp(b, rng.integers(-WIDE_EXPONENT, WIDE_EXPONENT + 1, b.shape))
    elif kind == "extreme":
        top = math.frexp(max_magnitude)[1] - 1  # 2^top <= max_magnitude; |uniform| < 1
        a = np.ldexp(a, rng.integers(top - EXTREME_RANGE, top + 1, a.shape))
        b = np.ldexp(b, rng.integers(top - EXTREME_RANGE, top + 1, b.shape))
    return a, b


#: Inner dimension above which :func:`exact_product` uses error-free transformations instead of
#: :class:`fractions.Fraction` (same result, about 100 times faster).
EFT_INNER = 1024
#: Veltkamp's splitting constant 2^27 + 1 for binary64.
_SPLIT = 134217729.0


def _two_product(x: F64, y: F64) -> tuple[F64, F64]:
    """p, e with x y = p + e exactly (Dekker 1971, "A floating-point technique for extending the
    available precision", Numer. Math. 18; Veltkamp's split), valid when no step over- or
    underflows: |x|, |y| < 2^995 and every nonzero |x y| >= 2^-969 (checked by the caller)."""
    cx, cy = _SPLIT * x, _SPLIT * y
    xh = cx - (cx - x)
    yh = cy - (cy - y)
    xl, yl = x - xh, y - yh
    p = x * y
    e = xl * yl - (((p - xh * yh) - xl * yh) - xh * yl)
    return p, e


def _eft_applies(a: F64, b: F64) -> bool:
    big = 2.0**995
    with np.errstate(over="ignore", under="ignore"):
        small = np.abs(a).min(where=a != 0, initial=big) * np.abs(b).min(where=b != 0, initial=big)
    return bool(np.abs(a).max() < big and np.abs(b).max() < big and small >= 2.0**-969)


def exact_product(a: F64, b: F64) -> F64:
    """C = A B with every element the exact sum of exact products, rounded once to binary64 (the
    independent oracle of HWC-ABFT-001/003): as :class:`fractions.Fraction` sums, or, for long
    inner dimensions, every product split exactly into two binary64 values (:func:`_two_product`)
    and all of them summed with :func:`math.fsum`, which returns the correctly rounded sum of its
    inputs (Shewchuk 1997, "Adaptive precision floating-point arithmetic", DCG 18)."""
    rows, cols = a.shape[0], b.shape[1]
    if a.shape[1] > EFT_INNER and _eft_applies(a, b):
        out = np.empty((rows, cols))
        for i in range(rows):
            p, e = _two_product(a[i, :, None], b)
            for j in range(cols):
                out[i, j] = math.fsum(np.concatenate([p[:, j], e[:, j]]).tolist())
        return out
    fa = [[Fraction(float(x)) for x in row] for row in a]
    fb = [[Fraction(float(x)) for x in col] for col in b.T]
    return np.array(
        [[float(sum((x * y for x, y in zip(ra, cb, strict=True)), Fraction(0))) for cb in fb] for ra in fa],
        dtype=np.float64,
    ).reshape(rows, cols)


def accuracy_violations(c: F64, exact: F64, a: F64, b: F64, accuracy: float) -> list[str]:
    """Elements of ``c`` farther than accuracy * (|A||B|)_ij from the (rounded) exact product."""
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
    (abft_significance * max(row sum, column sum) of |A||B|) and the uncertainty of C_ij with
    respect to the exact product (abft_accuracy * (|A||B|)_ij)."""

    c: F64
    threshold: F64
    uncertainty: F64

    @classmethod
    def of(cls, a: F64, b: F64, abft: Abft, c: F64) -> Significance:
        """The significance of flips of ``c``, the suite's product of A and B (also batched)."""
        ab = np.abs(a) @ np.abs(b)
        scale = np.maximum(ab.sum(axis=-1, keepdims=True), ab.sum(axis=-2, keepdims=True))
        return cls(np.asarray(c, dtype=np.float64), abft.significance * scale, abft.accuracy * ab)

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


# --------------------------------------------------------------------------------------------------
# HWC-ABFT-001


@pytest.mark.requirement("HWC-ABFT-001")
def test_fault_free_product_accurate_and_quiet(iut: Any, abft: Abft, run_seed: int) -> None:
    """HWC-ABFT-001: for random A, B of square and rectangular shapes, one with the declared
    maximum inner dimension, with uniform entries, a wide dynamic range (2^-30..2^30) and
    magnitudes up to abft_max_magnitude: abft_matmul's C is within abft_accuracy (|A||B|)_ij of the
    exact product and no error is reported; abft_verify of A, B and the (rounded) exact product, and
    of A, B and the product's own C, reports no error and returns C as given."""
    for s, (rows, inner, cols) in enumerate(abft.fault_free_shapes()):
        for k in range(FAULT_FREE_REPEATS):
            for kind in FAULT_FREE_KINDS:
                rng = _rng(run_seed, STREAM_FAULT_FREE, s, k, FAULT_FREE_KINDS.index(kind))
                a, b = draw(rng, kind, rows, inner, cols, abft.max_magnitude)
                what = f"fault-free {kind} {rows}x{inner} by {inner}x{cols} product #{k}"
                out = matmul(iut, a, b)
                assert out.quiet, f"{what}: abft_matmul, expected C with no error reported, got {out.describe()}"
                exact = exact_product(a, b)
                bad = accuracy_violations(out.c, exact, a, b, abft.accuracy)
                assert not bad, (
                    f"{what}: abft_matmul, {len(bad)} element(s) outside abft_accuracy {abft.accuracy:.3e} (|A||B|)_ij: {bad[:5]}"
                )
                for name, c in (("the exact product", exact), ("its own abft_matmul result", out.c)):
                    checked = verify(iut, a, b, c)
                    assert checked.quiet, (
                        f"{what}: abft_verify of {name}, expected no error reported, got {checked.describe()}"
                    )
                    assert np.array_equal(checked.c, c), f"{what}: abft_verify of {name} reported nothing but changed C"


# --------------------------------------------------------------------------------------------------
# HWC-ABFT-002 / 003


def _cases(run_seed: int, stream: int, abft: Abft) -> list[tuple[str, F64, F64, F64]]:
    """(what, A, B, exact C) for every shape of :meth:`Abft.shapes` and kind uniform / wide."""
    out = []
    for s, (rows, inner, cols) in enumerate(abft.shapes()):
        for k, kind in enumerate(KINDS):
            a, b = draw(_rng(run_seed, stream, s, k), kind, rows, inner, cols)
            out.append((f"{kind} {rows}x{inner} by {inner}x{cols} product", a, b, exact_product(a, b)))
    return out


def corrupted(c: F64, i: int, j: int, bit: int) -> F64:
    """A copy of ``c`` with bit ``bit`` of C_ij inverted (the suite's own fault injection)."""
    out = np.array(c, dtype=np.float64)
    out[i, j] = flip(out[i : i + 1, j], np.array([bit], dtype=np.int64))[0]
    return out


@pytest.mark.requirement("HWC-ABFT-002")
def test_every_element_detected_and_located(iut: Any, abft: Abft, run_seed: int) -> None:
    """HWC-ABFT-002: for a uniform and a wide pair of matrices of every shape (square and
    rectangular), the suite flips one significant bit of every element (i, j) of the exact product
    in turn (exponent, sign, to-infinity/NaN and mantissa bits in turn) and gives that C to
    abft_verify, which must report detected true with row i and col j."""
    for n, (what, a, b, exact) in enumerate(_cases(run_seed, STREAM_EVERY_ELEMENT, abft)):
        sig = Significance.of(a, b, abft, exact)
        bits, _ = choose_bits(sig, _rng(run_seed, STREAM_EVERY_ELEMENT, 99, n))
        misses = []
        for i, j in zip(*np.nonzero(bits >= 0), strict=True):
            bit = int(bits[i, j])
            c = corrupted(exact, int(i), int(j), bit)
            out = verify(iut, a, b, c)
            if not out.located(int(i), int(j)):
                misses.append(
                    f"C[{i}][{j}] = {float(exact[i, j])!r} bit {bit} (-> {float(c[i, j])!r}, threshold {sig.threshold[i, j]:.3e}): "
                    f"{out.describe()}"
                )
        assert not misses, (
            f"{what}: {len(misses)} of {int((bits >= 0).sum())} significant single-bit errors given to abft_verify "
            f"not detected and located: {misses[:6]}"
        )


@pytest.mark.requirement("HWC-ABFT-003")
def test_located_error_corrected(iut: Any, abft: Abft, run_seed: int) -> None:
    """HWC-ABFT-003 (abft_correction): for every element of a uniform and a wide product of every
    shape, a significant flip that abft_verify detects and locates is reported corrected, and the
    C returned is within abft_accuracy (|A||B|)_ij of the exact product everywhere."""
    located = 0
    for n, (what, a, b, exact) in enumerate(_cases(run_seed, STREAM_CORRECTION, abft)):
        sig = Significance.of(a, b, abft, exact)
        bits, _ = choose_bits(sig, _rng(run_seed, STREAM_CORRECTION, 99, n))
        allowed = abft.accuracy * (np.abs(a) @ np.abs(b))
        for i, j in zip(*np.nonzero(bits >= 0), strict=True):
            bit = int(bits[i, j])
            out = verify(iut, a, b, corrupted(exact, int(i), int(j), bit))
            if not out.located(int(i), int(j)):
                continue
            located += 1
            where = f"{what}, C[{i}][{j}] = {float(exact[i, j])!r} bit {bit} flipped, detected and located"
            assert out.corrected, f"{where}: expected corrected true, got false"
            with np.errstate(invalid="ignore", over="ignore"):
                bad = ~(np.abs(out.c - exact) <= allowed)
            if bad.any():
                p, q = (int(v[0]) for v in np.nonzero(bad))
                raise AssertionError(
                    f"{where} and reported corrected: {int(bad.sum())} element(s) outside abft_accuracy of the exact "
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
    trials (fixed before any trial, zero allowed failures), each a fresh pair of matrices (the
    shapes of HWC-ABFT-002 in turn, uniform and wide in turn) whose binary64 product (numpy; for
    these inner dimensions within 2^-48 (|A||B|)_ij of the exact one, far inside abft_accuracy)
    the suite corrupts with one fault drawn uniformly over the elements and the significant bits,
    and gives to abft_verify; a trial fails unless the error is detected and located at its
    element. The Clopper-Pearson upper bound on the miss fraction must meet 1 - coverage."""
    max_fraction = 1.0 - abft.coverage
    n = binomial_sample_size(max_fraction, abft.confidence)
    shapes = abft.shapes()
    rng = _rng(run_seed, STREAM_STATISTICAL)
    samples: list[float | None] = [None] * n
    misses: list[str] = []
    for s, (rows, inner, cols) in enumerate(shapes):
        trials = np.arange(s, n, len(shapes))
        m = trials.size
        a = rng.uniform(-1.0, 1.0, (m, rows, inner))
        b = rng.uniform(-1.0, 1.0, (m, inner, cols))
        wide = (trials // len(shapes)) % 2 == 1
        a[wide] = np.ldexp(a[wide], rng.integers(-WIDE_EXPONENT, WIDE_EXPONENT + 1, a[wide].shape))
        b[wide] = np.ldexp(b[wide], rng.integers(-WIDE_EXPONENT, WIDE_EXPONENT + 1, b[wide].shape))
        c = np.matmul(a, b)
        sig = Significance.of(a, b, abft, c)
        ii, jj, bb = draw_significant_faults(rng, sig)
        for u, t in enumerate(trials):
            i, j, bit = int(ii[u]), int(jj[u]), int(bb[u])
            out = verify(iut, a[u], b[u], corrupted(c[u], i, j, bit))
            if out.refused is None and out.detected and out.row is not None and out.col is not None:
                samples[t] = float(abs(out.row - i) + abs(out.col - j))
            if samples[t] != 0.0 and len(misses) < 5:
                misses.append(
                    f"trial {t} ({'wide' if wide[u] else 'uniform'} {rows}x{inner} by {inner}x{cols}): "
                    f"C[{i}][{j}] = {float(c[u, i, j])!r} bit {bit}: {out.describe()}"
                )
    failures = sum(1 for v in samples if v != 0.0)
    try:
        evidence.binomial(
            quantity="significant single-bit result error not detected and located",
            trials=n,
            failures=failures,
            max_fraction=max_fraction,
            confidence=abft.confidence,
            samples=[math.inf if v is None else v for v in samples],
            limit=0.0,
            unit="elements",
            sample_label="location error (|row - i| + |col - j|; none: not detected or not located)",
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}; first misses: {misses}") from None

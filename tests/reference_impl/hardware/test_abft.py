"""Huang-Abraham ABFT matrix multiplication (reference_impl.hardware.abft) against HWC-ABFT-001..004.

Oracles: exact products with fractions.Fraction; residuals recomputed with math.fsum; the
significance of a flip computed as the spec defines it (abft_significance times the larger of the
row and column sums of |A||B|, or a non-finite value); the Clopper-Pearson bound from scipy.
Errors are injected here, into this test's own copy of C, and handed to ``abft_verify``: the
engine learns where they are only from its checksums.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import scipy.stats

from orbitcert.reference_impl.hardware.abft import (
    RESIDUAL_FACTOR,
    AbftEngine,
    AbftError,
    Scaled,
    decode_matrix,
    encode_matrix,
)
from orbitcert.reference_impl.hardware.iut import create

SPEC_FILE = "specs/catalog/hw-compute-module/1.0.0.yaml"
RECTANGULAR = [(5, 7, 11), (11, 3, 2), (1, 16, 9), (4, 1024, 3)]


@pytest.fixture(scope="module")
def spec() -> Any:
    from orbitcert.specs.loader import load_spec_file

    return load_spec_file(SPEC_FILE).spec


@contextmanager
def no_warnings() -> Iterator[None]:
    """Any RuntimeWarning (overflow, invalid value) raised inside is an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def random_matrix(rng: np.random.Generator, rows: int, cols: int, kind: str = "normal") -> np.ndarray:
    if kind == "normal":
        return rng.standard_normal((rows, cols))
    if kind == "wide":  # mixed signs over many orders of magnitude
        return rng.choice([-1.0, 1.0], (rows, cols)) * np.exp(rng.uniform(-20, 20, (rows, cols)))
    if kind == "huge":  # up to abft_max_magnitude = 2^100, down to 2^-100
        return np.ldexp(rng.uniform(-1.0, 1.0, (rows, cols)), rng.integers(-100, 101, (rows, cols)))
    if kind == "positive":
        return rng.uniform(0.0, 1000.0, (rows, cols))
    return np.round(rng.uniform(-100, 100, (rows, cols)))  # integers: exact products


def flip(value: float, bit: int) -> float:
    return float(np.array([value]).view(np.uint64).__xor__(np.uint64(1) << np.uint64(bit)).view(np.float64)[0])


def significant(a: np.ndarray, b: np.ndarray, c: np.ndarray, i: int, j: int, bit: int, significance: float) -> bool:
    """The spec's definition (HWC-ABFT-002): |change| > significance * max(row sum, col sum) of |A||B|, or not finite."""
    abs_ab = np.abs(a) @ np.abs(b)
    new = flip(float(c[i, j]), bit)
    if not math.isfinite(new):
        return True
    return abs(new - float(c[i, j])) > significance * max(abs_ab[i, :].sum(), abs_ab[:, j].sum())


def matmul(engine: AbftEngine, a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    out = engine.matmul(encode_matrix(a), encode_matrix(b), a.shape[0], a.shape[1], b.shape[1]).as_dict()
    out["C"] = decode_matrix(out["c"], a.shape[0], b.shape[1], "c")
    return out


def verify(engine: AbftEngine, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> dict[str, Any]:
    out = engine.verify(encode_matrix(a), encode_matrix(b), encode_matrix(c), a.shape[0], a.shape[1], b.shape[1])
    out = out.as_dict()
    out["C"] = decode_matrix(out["c"], a.shape[0], b.shape[1], "c")
    return out


def exact_product(a: np.ndarray, b: np.ndarray) -> list[list[Fraction]]:
    fa = [[Fraction(float(x)) for x in row] for row in a]
    fb = [[Fraction(float(x)) for x in col] for col in b.T]
    return [[sum((x * y for x, y in zip(ra, cb, strict=True)), Fraction(0)) for cb in fb] for ra in fa]


def rounded(exact: list[list[Fraction]]) -> np.ndarray:
    return np.array([[float(x) for x in row] for row in exact])


def within_accuracy(c: np.ndarray, a: np.ndarray, b: np.ndarray, exact: list[list[Fraction]], accuracy: float) -> bool:
    """Every |C_ij - exact_ij| <= accuracy (|A||B|)_ij, the bound's right side also exact."""
    fa = [[abs(Fraction(float(x))) for x in row] for row in a]
    fb = [[abs(Fraction(float(x))) for x in col] for col in b.T]
    acc = Fraction(accuracy)
    for i, ra in enumerate(fa):
        for j, cb in enumerate(fb):
            bound = acc * sum((x * y for x, y in zip(ra, cb, strict=True)), Fraction(0))
            if not math.isfinite(c[i, j]) or abs(Fraction(float(c[i, j])) - exact[i][j]) > bound:
                return False
    return True


QUIET = (False, None, None, False)


def report(out: dict[str, Any]) -> tuple[Any, ...]:
    return out["detected"], out["row"], out["col"], out["corrected"]


# -- HWC-ABFT-001 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "inner", "cols", "kind"),
    [(1, 1, 1, "normal"), (16, 16, 16, "normal"), (8, 33, 4, "positive"), (12, 12, 12, "wide")]
    + [(*shape, kind) for shape in RECTANGULAR for kind in ("wide", "huge")],
)
def test_abft_001_accurate_and_quiet_against_exact_fractions(
    spec: Any, rows: int, inner: int, cols: int, kind: str
) -> None:
    """abft_matmul's C within abft_accuracy of the exact product, nothing reported; abft_verify of
    that C and of the correctly rounded exact product reports nothing and returns C unchanged."""
    accuracy = spec.parameter("abft_accuracy")
    assert accuracy == 2.0**-40 and spec.parameter("abft_max_magnitude") == 2.0**100
    rng = np.random.default_rng(np.random.SeedSequence([4001, rows, inner, cols, len(kind)]))
    engine = AbftEngine()
    a, b = random_matrix(rng, rows, inner, kind), random_matrix(rng, inner, cols, kind)
    exact = exact_product(a, b)
    with no_warnings():
        out = matmul(engine, a, b)
        assert report(out) == QUIET
        assert within_accuracy(out["C"], a, b, exact, accuracy)
        for c in (out["C"], rounded(exact)):
            checked = verify(engine, a, b, c)
            assert report(checked) == QUIET
            assert np.array_equal(checked["C"], c)


def test_abft_001_no_false_alarm_over_many_products() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(4002))
    engine = AbftEngine()
    kinds = ["normal", "wide", "positive", "integer", "huge"]
    with no_warnings():
        for trial in range(1000):
            rows, inner, cols = (int(x) for x in rng.integers(1, 40, 3))
            kind = kinds[trial % len(kinds)]
            a, b = random_matrix(rng, rows, inner, kind), random_matrix(rng, inner, cols, kind)
            out = matmul(engine, a, b)
            assert not out["detected"], (trial, rows, inner, cols, kind)
            assert not verify(engine, a, b, a @ b)["detected"], (trial, rows, inner, cols, kind)
        for n in (256, 1024):  # the largest declared dimension, where rounding noise is largest
            a, b = random_matrix(rng, n, n, "wide"), random_matrix(rng, n, n, "wide")
            out = matmul(engine, a, b)
            assert not out["detected"], n
            assert not verify(engine, a, b, a @ b)["detected"], n
            # HWC-ABFT-001 at this size, on sampled elements: math.fsum of the binary64 products is within
            # u (|A||B|)_ij of the exact product, so the bound is checked with that margin removed
            for i, j in rng.integers(0, n, (20, 2)):
                oracle = math.fsum((a[i, :] * b[:, j]).tolist())
                bound = (2.0**-40 - 2.0**-52) * float(np.abs(a[i, :]) @ np.abs(b[:, j]))
                assert abs(out["C"][i, j] - oracle) <= bound, (n, i, j)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # the review's case: checksums of 2^1018 x ones(16, 16) overflow unless scaled (inf - inf = NaN)
        (np.full((16, 16), 2.0**1018), np.ones((16, 16)), np.full((16, 16), 2.0**1022)),
        # partial sums overflow in plain binary64 (2^1023 + 2^1023), the result does not
        (np.array([[2.0**1023, 2.0**1023, -(2.0**1023)]]), np.ones((3, 2)), np.full((1, 2), 2.0**1023)),
        # tiny operands: products near the subnormal range, exact after scaling
        (np.full((3, 4), 2.0**-520), np.full((4, 5), 2.0**-500), np.full((3, 5), 2.0**-1018)),
        (np.zeros((2, 3)), np.ones((3, 2)), np.zeros((2, 2))),
    ],
)
def test_near_overflow_and_underflow_no_false_alarm_no_warning(
    a: np.ndarray, b: np.ndarray, expected: np.ndarray
) -> None:
    engine = AbftEngine()
    with no_warnings():
        out = matmul(engine, a, b)
        assert report(out) == QUIET and np.array_equal(out["C"], expected)
        assert report(verify(engine, a, b, expected)) == QUIET
        bad = expected.copy()
        bad[-1, -1] = flip(float(bad[-1, -1]), 62) if expected[-1, -1] else 1.0
        out = verify(engine, a, b, bad)
        assert report(out) == (True, a.shape[0] - 1, b.shape[1] - 1, True) and np.array_equal(out["C"], expected)


def test_residuals_against_a_math_fsum_oracle() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(4003))
    engine = AbftEngine()
    a, b = random_matrix(rng, 16, 9, "wide"), random_matrix(rng, 9, 13, "wide")
    s = Scaled.of(a, b)
    c = a @ b
    row_r, row_scale, col_r, col_scale = engine.residuals(s, c)
    abs_ab = np.abs(a) @ np.abs(b)
    for i in range(16):
        # the checksum column is (A B e)_i = sum_k A_ik (sum_j B_kj); row i is scaled by 2^-(p_i + g_B)
        scale = 2.0 ** -(int(s.p[i]) + s.g_b)
        exact_checksum = math.fsum(float(a[i, k]) * math.fsum(b[k, :].tolist()) for k in range(9))
        oracle = (math.fsum(c[i, :].tolist()) - exact_checksum) * scale
        assert row_scale[i] == pytest.approx(abs_ab[i, :].sum() * scale, rel=1e-13)
        assert abs(row_r[i] - oracle) <= 64 * 2.0**-53 * row_scale[i]
        assert abs(row_r[i]) <= RESIDUAL_FACTOR * row_scale[i] / 8  # well below the threshold
    for j in range(13):
        scale = 2.0 ** -(s.g_a + int(s.q[j]))
        exact_checksum = math.fsum(math.fsum(a[:, k].tolist()) * float(b[k, j]) for k in range(9))
        oracle = (math.fsum(c[:, j].tolist()) - exact_checksum) * scale
        assert col_scale[j] == pytest.approx(abs_ab[:, j].sum() * scale, rel=1e-13)
        assert abs(col_r[j] - oracle) <= 64 * 2.0**-53 * col_scale[j]


# -- HWC-ABFT-002 / 003 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "inner", "cols", "kind"),
    [(5, 7, 11, "wide"), (11, 3, 2, "huge"), (1, 16, 9, "normal"), (16, 16, 16, "normal")],
)
def test_abft_002_003_every_element_and_significant_bit_through_verify(
    spec: Any, rows: int, inner: int, cols: int, kind: str
) -> None:
    significance = spec.parameter("abft_significance")
    accuracy = spec.parameter("abft_accuracy")
    rng = np.random.default_rng(np.random.SeedSequence([4004, rows, inner, cols]))
    engine = AbftEngine(1024, True)
    a, b = random_matrix(rng, rows, inner, kind), random_matrix(rng, inner, cols, kind)
    exact = exact_product(a, b)
    clean = rounded(exact)
    abs_ab = np.abs(a) @ np.abs(b)
    checked = 0
    with no_warnings():
        for i in range(rows):
            for j in range(cols):
                for bit in range(64):
                    if not significant(a, b, clean, i, j, bit, significance):
                        continue
                    checked += 1
                    last = (i, j, bit)
                    c = clean.copy()
                    c[i, j] = flip(float(c[i, j]), bit)
                    out = verify(engine, a, b, c)
                    assert report(out) == (True, i, j, True), (i, j, bit)
                    # corrected C within abft_accuracy (checked against the rounded exact product
                    # with one more rounding's margin, the full Fraction check is too slow here)
                    assert np.all(np.abs(out["C"] - clean) <= accuracy * abs_ab), (i, j, bit)
                    assert np.array_equal(
                        np.delete(out["C"].ravel(), i * cols + j), np.delete(clean.ravel(), i * cols + j)
                    )
    # at least the exponent bits but the lowest and the sign; with magnitudes 2^-100..2^100 many
    # elements are negligible against their row and column sums: only their high exponent bits count
    assert checked >= rows * cols * (12 if kind != "huge" else 1)
    i, j, bit = last  # the corrected C of one of them against the exact product, every element
    c = clean.copy()
    c[i, j] = flip(float(c[i, j]), bit)
    assert within_accuracy(verify(engine, a, b, c)["C"], a, b, exact, accuracy)


def test_abft_002_random_bits_and_detection_without_correction(spec: Any) -> None:
    significance = spec.parameter("abft_significance")
    rng = np.random.default_rng(np.random.SeedSequence(4005))
    detecting = AbftEngine(64, correction=False)
    located = 0
    with no_warnings():
        for _ in range(400):
            rows, inner, cols = (int(x) for x in rng.integers(1, 20, 3))
            a, b = random_matrix(rng, rows, inner, "wide"), random_matrix(rng, inner, cols, "wide")
            c = a @ b
            i, j, bit = int(rng.integers(rows)), int(rng.integers(cols)), int(rng.integers(64))
            bad = c.copy()
            bad[i, j] = flip(float(c[i, j]), bit)
            out = verify(detecting, a, b, bad)
            if significant(a, b, c, i, j, bit, significance):
                located += 1
                assert report(out) == (True, i, j, False)
                assert np.array_equal(out["C"], bad, equal_nan=True)  # not corrected: C as given
            elif not out["detected"]:
                assert out["row"] is None and out["corrected"] is False
    assert located > 100


@pytest.mark.filterwarnings("error")
def test_nonfinite_flip_is_corrected() -> None:
    engine = AbftEngine()
    a = np.full((4, 3), 1.5)
    b = np.eye(3, 5) * 1.0e300  # C = 1.5e300 where nonzero
    c = a @ b
    bad = c.copy()
    bad[2, 1] = flip(float(c[2, 1]), 62)  # 1.5e300 -> tiny
    out = verify(engine, a, b, bad)
    assert report(out) == (True, 2, 1, True) and out["C"][2, 1] == 1.5e300
    one = np.array([[1.0]])
    for value in (np.inf, -np.inf, np.nan):
        out = verify(engine, one, one, np.array([[value]]))
        assert report(out) == (True, 0, 0, True) and out["C"][0, 0] == 1.0


# -- HWC-ABFT-004 ------------------------------------------------------------------------------


def test_abft_004_detection_coverage_clopper_pearson(spec: Any) -> None:
    """Zero failures in n trials, n fixed in advance so that the 95 % upper bound meets 1 - coverage;
    faults uniform over (element, significant bit) of several shapes, through the reference's port."""
    coverage = 0.999
    confidence = spec.parameter("abft_confidence")
    significance = spec.parameter("abft_significance")
    trials = math.ceil(math.log(1 - confidence) / math.log(coverage))  # (1 - p)^n <= 1 - confidence
    assert scipy.stats.beta.ppf(confidence, 1, trials) <= 1 - coverage  # one-sided Clopper-Pearson, 0 failures
    m = create()
    rng = np.random.default_rng(np.random.SeedSequence(4006))
    shapes = [(16, 16, 16), (5, 7, 11), (11, 3, 2), (1, 16, 9)]
    failures = 0
    for t, (rows, inner, cols) in enumerate(shapes):
        a, b = random_matrix(rng, rows, inner, "wide"), random_matrix(rng, inner, cols, "wide")
        blob_a, blob_b = encode_matrix(a), encode_matrix(b)
        clean = a @ b
        abs_ab = np.abs(a) @ np.abs(b)
        # the significant (element, bit) pairs, by the spec's definition
        bits = np.arange(64, dtype=np.uint64)
        flipped = (clean.view(np.uint64)[:, :, None] ^ (np.uint64(1) << bits)).view(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            change = np.abs(flipped - clean[:, :, None])
        scale = significance * np.maximum(abs_ab.sum(axis=1)[:, None], abs_ab.sum(axis=0)[None, :])
        candidates = np.argwhere(~np.isfinite(flipped) | (change > scale[:, :, None]))
        share = trials // len(shapes) + (t < trials % len(shapes))
        for i, j, bit in candidates[rng.integers(0, len(candidates), share)]:
            c = clean.copy()
            c[i, j] = flipped[i, j, bit]
            out = m.abft_verify(blob_a, blob_b, encode_matrix(c), rows, inner, cols)
            failures += not (out["detected"] and out["row"] == i and out["col"] == j)
    assert failures == 0


# -- arguments, the interface, broken engines --------------------------------------------------


def test_the_operations_take_the_spec_arguments_only(spec: Any) -> None:
    """abft_matmul no longer takes a fault (HWC-ABFT review: the fault told the product where the
    error was); the positional order of both operations is the spec's."""
    import yaml

    doc = yaml.safe_load(open(SPEC_FILE, encoding="utf-8"))
    operations = {o["name"]: o for o in doc["interface"]["operations"]}
    m = create()
    for op, expected in (
        ("abft_matmul", ["a", "b", "rows", "inner", "cols"]),
        ("abft_verify", ["a", "b", "c", "rows", "inner", "cols"]),
    ):
        assert list(inspect.signature(getattr(m, op)).parameters) == expected, op
        assert operations[op]["arguments"]["required"] == expected, op


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((b"\x00" * 8, b"\x00" * 8, 1, 1, 2), "b has 8 octets"),
        ((b"\x00" * 7, b"\x00" * 8, 1, 1, 1), "a has 7 octets"),
        ((b"\x00" * 8 * 1025, b"\x00" * 8 * 1025, 1, 1025, 1), "abft_max_dimension"),
        ((b"\x00" * 8, b"\x00" * 8, 0, 1, 1), "rows"),
        ((b"\x00" * 8, b"\x00" * 8, 1, True, 1), "inner must be an integer"),
        ((encode_matrix(np.array([[np.inf]])), b"\x00" * 8, 1, 1, 1), "finite"),
        ((encode_matrix(np.array([[1.0]])), encode_matrix(np.array([[np.nan]])), 1, 1, 1), "finite"),
        (("text", b"\x00" * 8, 1, 1, 1), "bytes"),
    ],
)
def test_bad_arguments(args: tuple[Any, ...], match: str) -> None:
    m = create()
    assert issubclass(AbftError, ValueError)
    with pytest.raises(AbftError, match=match):
        m.abft_matmul(*args)
    a, b, rows, inner, cols = args
    c = b"\x00" * 8 * (rows * cols if isinstance(rows, int) and isinstance(cols, int) else 1)
    with pytest.raises(AbftError, match=match):
        m.abft_verify(a, b, c, rows, inner, cols)


@pytest.mark.parametrize(("c", "match"), [(b"\x00" * 16, "c has 16 octets"), (None, "c must be bytes")])
def test_bad_c(c: Any, match: str) -> None:
    with pytest.raises(AbftError, match=match):
        create().abft_verify(b"\x00" * 8, b"\x00" * 8, c, 1, 1, 1)


def test_a_broken_engine_is_a_small_subclass() -> None:
    """The shape of a broken product the suite must fail (errors of the last row not located)."""

    class MissesLastRow(AbftEngine):
        def flagged(self, residual: np.ndarray, scale: np.ndarray, axis: str) -> np.ndarray:
            out = super().flagged(residual, scale, axis)
            if axis == "row":
                out[-1] = False
            return out

    rng = np.random.default_rng(np.random.SeedSequence(4007))
    a, b = random_matrix(rng, 8, 8), random_matrix(rng, 8, 9)
    c = a @ b
    c[7, 3] = flip(float(c[7, 3]), 62)
    assert verify(MissesLastRow(), a, b, c)["row"] is None  # HWC-ABFT-002 demands row 7 here
    assert verify(AbftEngine(), a, b, c)["row"] == 7

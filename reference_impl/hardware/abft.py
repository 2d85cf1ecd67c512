"""Algorithm-based fault tolerance of matrix multiplication (Huang and Abraham 1984).

K.-H. Huang, J. A. Abraham, "Algorithm-based fault tolerance for matrix operations", IEEE Trans.
Computers C-33(6):518-528, 1984. The *full checksum matrix* of C = A B is obtained by multiplying
the column-checksum matrix ``A_c = [A; e^T A]`` by the row-checksum matrix ``B_r = [B, B e]``:

    C_f = A_c B_r = [[A B, A B e], [e^T A B, e^T A B e]]

so the last row holds the column sums of C and the last column its row sums, computed from the
operands. A single erroneous element C_ij shows as a nonzero residual in row i
(``sum_j C_ij - (A (B e))_i``) and in column j (``sum_i C_ij - ((e^T A) B)_j``): the intersection
locates it, and it is corrected by recomputing the dot product ``A[i, :] @ B[:, j]`` (which also
repairs an element turned into an infinity or a NaN, where the checksum difference would not).

The spec (hw-compute-module 1.0.0) splits the scheme into two operations: ``abft_matmul``
(:meth:`AbftEngine.matmul`: the product, then the check of that product) and ``abft_verify``
(:meth:`AbftEngine.verify`: the check of a C the caller supplies, so the engine learns where an
error is only from its checksums).

**Scaling by powers of two.** Multiplying a row of A, or all of B, by a power of two is exact in
binary64 (IEEE 754-2019 clause 5.3.3, scaleB) unless the result over- or underflows, and it
scales the row sums of C, the checksums and the thresholds of that row alike. Every check is
therefore made on scaled operands whose entries are at most 1 in magnitude:

* row i: ``A'_i = 2^-p_i A_i`` (p_i the exponent of the largest |A_ik|) and ``B_g = 2^-g_B B``
  (one exponent for all of B, so that the row sum stays an *unweighted* sum over j, the quantity
  the spec's significance level is relative to);
* column j: ``A_g = 2^-g_A A`` and ``B'_j = 2^-q_j B_j`` (q_j of the largest |B_kj|);
* the product itself is ``C_ij = 2^(p_i + q_j) (A' B')_ij``.

Checksums are then at most inner x cols (inner x rows) in magnitude and cannot overflow, whatever
the operands' magnitudes (A = 2^1018 times a 16 x 16 matrix of ones gives no false alarm), and a
corrupted C_ij whose scaled value overflows is flagged as non-finite. No scaled quantity
underflows while every nonzero entry lies within a factor 2^450 of the largest entry of its
matrix (in particular for all operands of HWC-ABFT-001, whose magnitudes are at most 2^100, as
long as nonzero entries are at least 2^-350).

**Thresholds.** In binary64 (u = 2^-53) the residuals of a fault-free product are rounding noise,
not zero. Each computed C_ij is within gamma_inner (|A||B|)_ij of the exact value and the checksum
``A' (B_g e)`` within gamma_(inner+cols) of its own (Higham, *Accuracy and Stability of Numerical
Algorithms*, 2nd ed., sections 3.1 and 3.5: gamma_n = n u / (1 - n u)), so a row residual is
bounded by about 2 (inner + cols) u times the row sum of |A||B| (columns alike, with rows); a C
supplied to :meth:`~AbftEngine.verify` may in addition be off by abft_accuracy = 2^-40 times
(|A||B|)_ij per element (HWC-ABFT-001), i.e. 2^-40 of the row sum. A residual is flagged when
``|r| > RESIDUAL_FACTOR * sum (|A||B|)`` over its row (column), or when it is not finite.
``RESIDUAL_FACTOR`` = 2^-36 sits above that noise (at most 2^-38 + 2^-40 for dimensions up to
:data:`MAX_SUPPORTED_DIMENSION` = 2^13) and below the spec's significance level
abft_significance = 2^-30: a significant change (above 2^-30 times the larger of the row and
column sums) leaves residuals above (2^-30 - 2^-37) of both sums, so it is always detected and
located, and a product within abft_accuracy never raises an alarm.

:class:`AbftEngine` holds the steps as methods so that a broken product overrides one of them
(:meth:`AbftEngine.flagged` decides which residuals are errors, :meth:`AbftEngine.residuals`
computes them, :meth:`AbftEngine.check` turns them into a report).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .module import HardwareError

__all__ = [
    "MAX_SUPPORTED_DIMENSION",
    "RESIDUAL_FACTOR",
    "AbftEngine",
    "AbftError",
    "AbftResult",
    "Scaled",
    "decode_matrix",
    "encode_matrix",
]

F64Array = npt.NDArray[np.float64]
I64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Residual threshold, as a fraction of the row / column sums of |A||B| (see the module docstring).
RESIDUAL_FACTOR = 2.0**-36

#: Largest dimension for which RESIDUAL_FACTOR stays above the rounding bound (4 n u <= 2^-38).
MAX_SUPPORTED_DIMENSION = 2**13


class AbftError(HardwareError):
    """A bad argument to abft_matmul or abft_verify (sizes, byte lengths, non-finite operands)."""


@dataclass(frozen=True)
class AbftResult:
    """Result of :meth:`AbftEngine.matmul` / :meth:`AbftEngine.verify`: C, whether an error was
    detected, its located row and col (None when not located), whether it was corrected."""

    c: F64Array
    detected: bool
    row: int | None
    col: int | None
    corrected: bool

    def as_dict(self) -> dict[str, Any]:
        """The spec's result object (C as big-endian binary64 octets)."""
        return {
            "c": encode_matrix(self.c),
            "detected": self.detected,
            "row": self.row,
            "col": self.col,
            "corrected": self.corrected,
        }


def decode_matrix(blob: Any, rows: int, cols: int, name: str) -> F64Array:
    """A rows x cols matrix from row-major big-endian binary64 octets (AbftError on a length mismatch)."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise AbftError(f"{name} must be bytes, got {type(blob).__name__}")
    if len(blob) != rows * cols * 8:
        raise AbftError(f"{name} has {len(blob)} octets; a {rows} x {cols} binary64 matrix needs {rows * cols * 8}")
    return np.frombuffer(bytes(blob), dtype=">f8").astype(np.float64).reshape(rows, cols)


def encode_matrix(matrix: F64Array) -> bytes:
    """Row-major big-endian binary64 octets of a matrix."""
    return np.ascontiguousarray(matrix, dtype=">f8").tobytes()


def _dim(value: Any, name: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise AbftError(f"{name} must be an integer, got {type(value).__name__}")
    v = int(value)
    if not 1 <= v <= maximum:
        raise AbftError(f"{name} = {v} is out of range 1..{maximum} (abft_max_dimension)")
    return v


def _exponent(magnitudes: F64Array) -> I64Array:
    """frexp exponents of the (non-negative, finite) ``magnitudes``: 2^-e x is in [0.5, 1); 0 for 0."""
    return np.frexp(magnitudes)[1].astype(np.int64)


@dataclass(frozen=True)
class Scaled:
    """The operands scaled by powers of two (module docstring): ``a_rows`` = 2^-p_i A_i,
    ``b_cols`` = 2^-q_j B_j, ``a_all`` = 2^-g_A A, ``b_all`` = 2^-g_B B."""

    a: F64Array
    b: F64Array
    p: I64Array
    q: I64Array
    g_a: int
    g_b: int
    a_rows: F64Array
    b_cols: F64Array
    a_all: F64Array
    b_all: F64Array

    @classmethod
    def of(cls, a: F64Array, b: F64Array) -> Scaled:
        abs_a, abs_b = np.abs(a), np.abs(b)
        p = _exponent(abs_a.max(axis=1))
        q = _exponent(abs_b.max(axis=0))
        g_a = int(_exponent(np.asarray([abs_a.max()]))[0])
        g_b = int(_exponent(np.asarray([abs_b.max()]))[0])
        with np.errstate(under="ignore"):
            return cls(
                a,
                b,
                p,
                q,
                g_a,
                g_b,
                np.ldexp(a, -p[:, None]),
                np.ldexp(b, -q[None, :]),
                np.ldexp(a, -g_a),
                np.ldexp(b, -g_b),
            )

    def product(self) -> F64Array:
        """C = A B, computed as 2^(p_i + q_j) (A' B')_ij (no intermediate overflow)."""
        with np.errstate(over="ignore", under="ignore"):
            return np.asarray(np.ldexp(self.a_rows @ self.b_cols, self.p[:, None] + self.q[None, :]), dtype=np.float64)

    def element(self, i: int, j: int) -> float:
        """C_ij recomputed as 2^(p_i + q_j) (A'_i . B'_j)."""
        with np.errstate(over="ignore", under="ignore"):
            return float(np.ldexp(self.a_rows[i, :] @ self.b_cols[:, j], self.p[i] + self.q[j]))


class AbftEngine:
    """Huang-Abraham checksum matrix multiplication with single-error location and correction.

    ``max_dimension`` is the ICS abft_max_dimension, ``correction`` the ICS abft_correction.
    """

    def __init__(self, max_dimension: int = 1024, correction: bool = True) -> None:
        if (
            isinstance(max_dimension, bool)
            or not isinstance(max_dimension, int)
            or not 1 <= max_dimension <= MAX_SUPPORTED_DIMENSION
        ):
            raise AbftError(f"max_dimension must be an integer in 1..{MAX_SUPPORTED_DIMENSION}, got {max_dimension!r}")
        self.max_dimension = max_dimension
        self.correction = bool(correction)

    # -- the spec's operations -----------------------------------------------------------------

    def matmul(self, a_blob: Any, b_blob: Any, rows: Any, inner: Any, cols: Any) -> AbftResult:
        """The spec operation abft_matmul: C = A B, then checked against the checksums (a fault-free
        run reports no error; a transient fault during the product would be detected)."""
        s = self.operands(a_blob, b_blob, rows, inner, cols)
        return self.check(s, self.product(s))

    def verify(self, a_blob: Any, b_blob: Any, c_blob: Any, rows: Any, inner: Any, cols: Any) -> AbftResult:
        """The spec operation abft_verify: the checksums of A and B checked against the supplied C
        (which may hold infinities and NaNs), the error located and corrected where possible."""
        s = self.operands(a_blob, b_blob, rows, inner, cols)
        c = decode_matrix(c_blob, s.a.shape[0], s.b.shape[1], "c")
        return self.check(s, np.array(c))

    # -- steps (hooks of the broken products) --------------------------------------------------

    def operands(self, a_blob: Any, b_blob: Any, rows: Any, inner: Any, cols: Any) -> Scaled:
        """The decoded, validated and scaled operands."""
        r = _dim(rows, "rows", self.max_dimension)
        k = _dim(inner, "inner", self.max_dimension)
        n = _dim(cols, "cols", self.max_dimension)
        a = decode_matrix(a_blob, r, k, "a")
        b = decode_matrix(b_blob, k, n, "b")
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            raise AbftError("a and b must hold finite binary64 values (checksums of infinities cannot be verified)")
        return Scaled.of(a, b)

    def product(self, s: Scaled) -> F64Array:
        """The fault-free C = A B."""
        return s.product()

    def residuals(self, s: Scaled, c: F64Array) -> tuple[F64Array, F64Array, F64Array, F64Array]:
        """Row residuals, their scales, column residuals, their scales, all scaled as in the module
        docstring: row i by 2^-(p_i + g_B), column j by 2^-(g_A + q_j).

        Row residual ``sum_j C_ij 2^-(p_i+g_B) - (A' (B_g e))_i`` with scale ``(|A'| (|B_g| e))_i``
        (the row sum of |A||B|, scaled alike); columns alike."""
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            c_rows = np.ldexp(c, -(s.p[:, None] + s.g_b))
            c_cols = np.ldexp(c, -(s.g_a + s.q[None, :]))
            row_r = c_rows.sum(axis=1) - s.a_rows @ s.b_all.sum(axis=1)
            col_r = c_cols.sum(axis=0) - s.a_all.sum(axis=0) @ s.b_cols
        row_scale = np.abs(s.a_rows) @ np.abs(s.b_all).sum(axis=1)
        col_scale = np.abs(s.a_all).sum(axis=0) @ np.abs(s.b_cols)
        return row_r, row_scale, col_r, col_scale

    def flagged(self, residual: F64Array, scale: F64Array, axis: str) -> BoolArray:
        """Which residuals are errors: |r| > RESIDUAL_FACTOR * scale, or r not finite.

        ``axis`` is ``"row"`` (residuals of the rows of C) or ``"col"`` (of its columns).
        """
        with np.errstate(invalid="ignore"):
            return np.asarray(~np.isfinite(residual) | (np.abs(residual) > RESIDUAL_FACTOR * scale))

    def locate(self, bad_rows: I64Array, bad_cols: I64Array, rows: int, cols: int) -> tuple[int, int] | None:
        """The single erroneous element (row, col), or None when the flags do not single one out."""
        if bad_rows.size == 1 and bad_cols.size == 1:
            return int(bad_rows[0]), int(bad_cols[0])
        return None

    def check(self, s: Scaled, c: F64Array) -> AbftResult:
        """Check ``c`` against the checksums of ``s``; locate and (if declared) correct one error."""
        row_r, row_scale, col_r, col_scale = self.residuals(s, c)
        bad_rows = np.flatnonzero(self.flagged(row_r, row_scale, "row"))
        bad_cols = np.flatnonzero(self.flagged(col_r, col_scale, "col"))
        detected = bool(bad_rows.size or bad_cols.size)
        where = self.locate(bad_rows, bad_cols, c.shape[0], c.shape[1])
        if where is None:
            return AbftResult(c, detected, None, None, False)
        i, j = where
        if not self.correction:
            return AbftResult(c, detected, i, j, False)
        fixed = np.array(c)
        fixed[i, j] = s.element(i, j)
        return AbftResult(fixed, detected, i, j, True)

"""Algorithm-based fault tolerance of matrix multiplication (Huang and Abraham 1984).

K.-H. Huang, J. A. Abraham, "Algorithm-based fault tolerance for matrix operations", IEEE Trans.
Computers C-33(6):518-528, 1984. The *full checksum matrix* of C = A B is obtained by multiplying
the column-checksum matrix ``A_c = [A; e^T A]`` by the row-checksum matrix ``B_r = [B, B e]``:

    C_f = A_c B_r = [[A B, A B e], [e^T A B, e^T A B e]]

so the last row holds the column sums of C and the last column its row sums, computed from the
operands. After the product, a single erroneous element C_ij shows as a nonzero residual in row i
(``sum_j C_ij - (A B e)_i``) and in column j (``sum_i C_ij - (e^T A B)_j``): the intersection
locates it, and it is corrected by recomputing the dot product ``A[i, :] @ B[:, j]`` (which also
repairs an element turned into an infinity or a NaN, where the checksum difference would not).

**Thresholds.** In IEEE 754 binary64 (u = 2^-53) the residuals of a fault-free product are not
zero but rounding noise. Each computed C_ij is within gamma_inner (|A||B|)_ij of the exact value
and the checksum column A (B e) within gamma_(inner+cols) of its own (Higham, *Accuracy and
Stability of Numerical Algorithms*, 2nd ed., section 3.1 and 3.5: gamma_n = n u / (1 - n u)), so a
row residual is bounded by about 2 (inner + cols) u times the row sum of |A||B| (columns alike,
with rows). A residual is flagged when ``|r| > RESIDUAL_FACTOR * sum (|A||B|)`` over its row
(column), or when it is not finite. ``RESIDUAL_FACTOR`` = 2^-36 sits between that noise (at most
2^-38 for dimensions up to :data:`MAX_SUPPORTED_DIMENSION` = 2^13, and far smaller in practice)
and the spec's significance level abft_significance = 2^-30: a significant change (above 2^-30
times the larger of the row and column sums) leaves residuals above 2^-30 - 2^-38 of both sums,
so it is always detected and located, and a fault-free product never raises an alarm.

:class:`AbftEngine` holds the steps as methods so that a broken product overrides one of them
(:meth:`AbftEngine.flagged` decides which residuals are errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .module import HardwareError

__all__ = ["RESIDUAL_FACTOR", "AbftEngine", "AbftError", "AbftResult", "decode_matrix", "encode_matrix"]

F64Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Residual threshold, as a fraction of the row / column sums of |A||B| (see the module docstring).
RESIDUAL_FACTOR = 2.0**-36

#: Largest dimension for which RESIDUAL_FACTOR stays 4-fold above the rounding bound (4 n u <= 2^-38).
MAX_SUPPORTED_DIMENSION = 2**13


class AbftError(HardwareError):
    """A bad argument to abft_matmul (sizes, byte lengths, fault position)."""


@dataclass(frozen=True)
class AbftResult:
    """Result of :meth:`AbftEngine.matmul`: C, whether an error was detected, located row/col, corrected."""

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

    def checksum_product(self, a: F64Array, b: F64Array) -> F64Array:
        """The full checksum matrix C_f = [A; e^T A] [B, B e] ((rows + 1) x (cols + 1))."""
        a_c = np.vstack([a, a.sum(axis=0, keepdims=True)])
        b_r = np.hstack([b, b.sum(axis=1, keepdims=True)])
        return np.asarray(a_c @ b_r, dtype=np.float64)

    def residuals(self, c: F64Array, row_checksum: F64Array, col_checksum: F64Array) -> tuple[F64Array, F64Array]:
        """Row residuals sum_j C_ij - (A B e)_i and column residuals sum_i C_ij - (e^T A B)_j."""
        with np.errstate(invalid="ignore", over="ignore"):
            return c.sum(axis=1) - row_checksum, c.sum(axis=0) - col_checksum

    def flagged(self, residual: F64Array, scale: F64Array, axis: str) -> BoolArray:
        """Which residuals are errors: |r| > RESIDUAL_FACTOR * scale, or r not finite.

        ``axis`` is ``"row"`` (residuals of the rows of C) or ``"col"`` (of its columns).
        """
        with np.errstate(invalid="ignore"):
            return np.asarray(~np.isfinite(residual) | (np.abs(residual) > RESIDUAL_FACTOR * scale))

    def matmul(self, a_blob: Any, b_blob: Any, rows: Any, inner: Any, cols: Any, fault: Any) -> AbftResult:
        """The spec operation abft_matmul: C = A B, the fault injected, checked, located, corrected."""
        r = _dim(rows, "rows", self.max_dimension)
        k = _dim(inner, "inner", self.max_dimension)
        n = _dim(cols, "cols", self.max_dimension)
        a = decode_matrix(a_blob, r, k, "a")
        b = decode_matrix(b_blob, k, n, "b")
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            raise AbftError("a and b must hold finite binary64 values (checksums of infinities cannot be verified)")
        position = self._fault(fault, r, n)
        full = self.checksum_product(a, b)
        c = np.array(full[:r, :n])
        if position is not None:
            i, j, bit = position
            c[i : i + 1, j : j + 1].view(np.uint64)[...] ^= np.uint64(1) << np.uint64(bit)
        abs_ab = np.abs(a) @ np.abs(b)
        row_r, col_r = self.residuals(c, full[:r, n], full[r, :n])
        bad_rows = np.flatnonzero(self.flagged(row_r, abs_ab.sum(axis=1), "row"))
        bad_cols = np.flatnonzero(self.flagged(col_r, abs_ab.sum(axis=0), "col"))
        detected = bool(bad_rows.size or bad_cols.size)
        if bad_rows.size == 1 and bad_cols.size == 1:
            i, j = int(bad_rows[0]), int(bad_cols[0])
            corrected = False
            if self.correction:
                c[i, j] = float(a[i, :] @ b[:, j])
                corrected = True
            return AbftResult(c, detected, i, j, corrected)
        return AbftResult(c, detected, None, None, False)

    @staticmethod
    def _fault(fault: Any, rows: int, cols: int) -> tuple[int, int, int] | None:
        if fault is None:
            return None
        if not isinstance(fault, dict) or set(fault) != {"row", "col", "bit"}:
            raise AbftError(f"fault must be null or an object with row, col and bit, got {fault!r}")
        values = []
        for key, top in (("row", rows - 1), ("col", cols - 1), ("bit", 63)):
            v = fault[key]
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= int(v) <= top:
                raise AbftError(f"fault.{key} = {v!r} is out of range 0..{top}")
            values.append(int(v))
        return values[0], values[1], values[2]

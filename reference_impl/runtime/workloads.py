"""Workloads and protection modes of the ``sw-compute-runtime`` reference.

Spec parameters ``job_input``, ``workloads``, ``protection_modes`` and ``fault_injection``:

* a job's input is the first ``input_size`` octets of SHAKE128 (FIPS 202) of its 8-octet
  big-endian ``input_seed``;
* ``sha256``: SHA-256 (FIPS 180-4) of the input; ``shake256-expand``: the first ``input_size``
  octets of SHAKE256 of the input; ``matmul-u32``: the input is A then B, ``n x n`` row-major
  big-endian u32 each (``input_size = 8 n^2``), the result C = A B modulo 2^32, row-major
  big-endian u32;
* a workload is named by the SHA-256 of ``"orbitcert-workload:" + name``;
* protection: ``none`` and ``abft`` run one replica, ``dmr`` two (a mismatch fails the job),
  ``tmr`` three (octet-wise majority); ``abft`` (matmul-u32 only) checks C with the column
  checksums of A and the row checksums of B modulo 2^32 (Huang and Abraham 1984, the full checksum
  matrix: a single erroneous element lies where a failing row meets a failing column, and the
  row's checksum difference is its error) and corrects one erroneous element.

An armed fault XORs one octet of one replica's result with a mask, once (the test hook of the
resilience class). :func:`run_job` computes the replicas, applies the faults, and returns the
protected outcome.

Matrix products use numpy ``uint64`` on 16-bit halves so that every partial product and sum is
exact before the final reduction modulo 2^32 (numpy's integer matmul does not use BLAS and wraps
modulo 2^64, which is a multiple of 2^32, so the reduction is exact; splitting bounds nothing
here but keeps the computation independent of integer overflow semantics).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "PROTECTION_CODES",
    "REPLICAS",
    "WORKLOADS",
    "JobOutcome",
    "Workload",
    "job_input",
    "matmul_u32",
    "result_size",
    "run_job",
    "workload_digest",
]

Protection = Literal["none", "abft", "dmr", "tmr"]
#: Spec parameter protection_modes: codes and replicas.
PROTECTION_CODES: Final[dict[int, Protection]] = {0: "none", 1: "abft", 2: "dmr", 3: "tmr"}
REPLICAS: Final[dict[Protection, int]] = {"none": 1, "abft": 1, "dmr": 2, "tmr": 3}
_MAX_MATMUL_N: Final = 256


def workload_digest(name: str) -> bytes:
    """SHA-256 of ``"orbitcert-workload:" + name`` (spec parameter ``workloads``)."""
    return hashlib.sha256(("orbitcert-workload:" + name).encode()).digest()


def job_input(seed: int, size: int) -> bytes:
    """The first ``size`` octets of SHAKE128 of the seed as 8 octets big-endian (``job_input``)."""
    return hashlib.shake_128(seed.to_bytes(8, "big")).digest(size)


def _matrix_n(input_size: int) -> int | None:
    """n such that input_size = 8 n^2 with 1 <= n <= 256, else None."""
    n = int(round((input_size / 8) ** 0.5))
    return n if 1 <= n <= _MAX_MATMUL_N and 8 * n * n == input_size else None


def matmul_u32(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """A B modulo 2^32 of two uint64 arrays holding u32 values (exact)."""
    lo = b & np.uint64(0xFFFF)
    hi = b >> np.uint64(16)
    mask = np.uint64(0xFFFFFFFF)
    part_lo = (a @ lo) & mask
    part_hi = ((a @ hi) & mask) << np.uint64(16)
    return (part_lo + part_hi) & mask


def _matrices(data: bytes, n: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    words = np.frombuffer(data, dtype=">u4").astype(np.uint64)
    return words[: n * n].reshape(n, n), words[n * n :].reshape(n, n)


def _to_bytes(c: npt.NDArray[np.uint64]) -> bytes:
    return c.astype(">u4").tobytes()


@dataclass(frozen=True)
class Workload:
    """One workload of the spec's ``workloads`` table."""

    name: str
    protections: frozenset[Protection]

    @property
    def digest(self) -> bytes:
        return workload_digest(self.name)

    def allows_size(self, input_size: int) -> bool:
        return input_size >= 1 and (self.name != "matmul-u32" or _matrix_n(input_size) is not None)

    def result_size(self, input_size: int) -> int:
        if self.name == "sha256":
            return 32
        if self.name == "shake256-expand":
            return input_size
        return input_size // 2

    def compute(self, data: bytes) -> bytes:
        if self.name == "sha256":
            return hashlib.sha256(data).digest()
        if self.name == "shake256-expand":
            return hashlib.shake_256(data).digest(len(data))
        n = _matrix_n(len(data))
        if n is None:  # pragma: no cover - refused at acceptance
            raise ValueError(f"matmul-u32 input of {len(data)} octets is not 8 n^2")
        a, b = _matrices(data, n)
        return _to_bytes(matmul_u32(a, b))


#: The workloads of the spec, by digest.
WORKLOADS: Final[dict[bytes, Workload]] = {
    w.digest: w
    for w in (
        Workload("sha256", frozenset({"none", "dmr", "tmr"})),
        Workload("shake256-expand", frozenset({"none", "dmr", "tmr"})),
        Workload("matmul-u32", frozenset({"none", "abft", "dmr", "tmr"})),
    )
}


def result_size(digest: bytes, input_size: int) -> int:
    """Size of the result of a job of that workload and input size."""
    return WORKLOADS[digest].result_size(input_size)


@dataclass(frozen=True)
class JobOutcome:
    """What a job's computation produced: the result, or a detected mismatch (``result`` None)."""

    result: bytes | None
    mismatch: Literal["none", "detected", "corrected"]


def _apply_fault(result: bytes, fault: tuple[int, int] | None) -> bytes:
    if fault is None:
        return result
    offset, mask = fault
    out = bytearray(result)
    out[offset] ^= mask
    return bytes(out)


def _abft(data: bytes, c_bytes: bytes) -> tuple[bytes, bool]:
    """Huang-Abraham check of C = A B modulo 2^32; returns the (corrected) product and whether an
    element was corrected. Column checksums e^T A B and row checksums A B e are compared with those
    of C; one failing row and one failing column locate the element, the row difference corrects it.
    More than one failing row or column (not a single-element error) is recomputed."""
    n = _matrix_n(len(data))
    assert n is not None
    a, b = _matrices(data, n)
    c = np.frombuffer(c_bytes, dtype=">u4").astype(np.uint64).reshape(n, n)
    mask = np.uint64(0xFFFFFFFF)
    col_expected = matmul_u32((a.sum(axis=0, dtype=np.uint64) & mask).reshape(1, n), b)[0]
    row_expected = matmul_u32(a, (b.sum(axis=1, dtype=np.uint64) & mask).reshape(n, 1))[:, 0]
    col_actual = c.sum(axis=0, dtype=np.uint64) & mask
    row_actual = c.sum(axis=1, dtype=np.uint64) & mask
    bad_rows = np.flatnonzero(row_actual != row_expected)
    bad_cols = np.flatnonzero(col_actual != col_expected)
    if bad_rows.size == 0 and bad_cols.size == 0:
        return c_bytes, False
    if bad_rows.size == 1 and bad_cols.size == 1:
        i, j = int(bad_rows[0]), int(bad_cols[0])
        fixed = c.copy()
        fixed[i, j] = (int(c[i, j]) + int(row_expected[i]) - int(row_actual[i])) % (1 << 32)
        return _to_bytes(fixed), True
    return _to_bytes(matmul_u32(a, b)), True


def run_job(
    workload: Workload, data: bytes, protection: Protection, faults: Mapping[int, tuple[int, int]]
) -> JobOutcome:
    """Compute the job's replicas with the armed ``faults`` (replica -> (offset, mask)) and apply its
    protection mode."""
    replicas = [_apply_fault(workload.compute(data), faults.get(r)) for r in range(REPLICAS[protection])]
    if protection == "none":
        return JobOutcome(replicas[0], "none")
    if protection == "abft":
        fixed, corrected = _abft(data, replicas[0])
        return JobOutcome(fixed, "corrected" if corrected else "none")
    if protection == "dmr":
        return JobOutcome(replicas[0], "none") if replicas[0] == replicas[1] else JobOutcome(None, "detected")
    a, b, c = (np.frombuffer(r, dtype=np.uint8) for r in replicas)
    if bytes(a) == bytes(b) == bytes(c):
        return JobOutcome(replicas[0], "none")
    voted = np.where(a == b, a, np.where(a == c, a, np.where(b == c, b, a)))
    no_majority = bool(np.any((a != b) & (a != c) & (b != c)))
    return JobOutcome(None, "detected") if no_majority else JobOutcome(voted.tobytes(), "corrected")

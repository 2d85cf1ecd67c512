"""Throughput of the CCSDS 131.0-B-3 Reed-Solomon golden model against galois and reedsolo.

Run: ``python benchmarks/bench_coding.py [--mb 4] [--peer-mb 1] [--repeat 3]``.

One seeded batch of 1115-octet frames (interleaving depth I = 5, RS(255,223) E = 16, dual basis)
is encoded and decoded by every implementation on a single thread: the reference's batch API,
galois.ReedSolomon (numba-compiled) and reedsolo.RSCodec (pure Python). Decoding is measured on
the clean codeblocks and on a copy where 1% of the codewords carry 16 symbol errors each. Every
peer's output is checked against the reference's before its numbers are printed. Throughput is
in MB/s (10^6 octets) of frame data, the same unit in every column.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"  # single thread, set before numpy (and numba) are imported

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from orbitcert.reference_impl.optical import coding  # noqa: E402
from _common import print_table  # noqa: E402

FRAME_LENGTH = 1115
DEPTH = 5
MESSAGE = FRAME_LENGTH // DEPTH  # 223
CHECK = 32
SEED = 20240131


@dataclass
class Row:
    name: str
    frames: int
    encode: float
    decode_clean: float
    decode_errors: float


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def _make_batch(megabytes: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frames, their codeblocks, and the codeblocks with 16 errors in 1% of the codewords."""
    rng = np.random.default_rng(SEED)
    count = max(1, int(np.ceil(megabytes * 1e6 / FRAME_LENGTH)))
    frames = rng.integers(0, 256, size=(count, FRAME_LENGTH), dtype=np.uint8)
    blocks = coding.rs_encode_batch(frames, DEPTH)
    damaged = blocks.copy()
    codewords = count * DEPTH
    chosen = rng.choice(codewords, max(1, codewords // 100), replace=False)
    length = MESSAGE + CHECK
    for index in chosen:  # set-up only, not timed
        row, column = divmod(int(index), DEPTH)
        positions = rng.choice(length, 16, replace=False)
        damaged[row, positions * DEPTH + column] ^= rng.integers(1, 256, 16, dtype=np.uint8)
    return frames, blocks, damaged


def _dual_basis_tables() -> tuple[np.ndarray, np.ndarray]:
    """Conventional <-> dual tables (131.0-B-3 Annex F) derived here with galois' field trace."""
    import galois

    field = galois.GF(2**8, irreducible_poly=0x187)
    beta = field(2) ** 117
    elements = field(np.arange(256))
    to_dual = np.zeros(256, dtype=np.int64)
    for j in range(8):
        to_dual |= np.asarray((elements * beta**j).field_trace(), dtype=np.int64) << (7 - j)
    to_dual_u8 = to_dual.astype(np.uint8)
    to_conv = np.zeros(256, dtype=np.uint8)
    to_conv[to_dual_u8] = np.arange(256, dtype=np.uint8)
    return to_dual_u8, to_conv


def _codewords(blocks: np.ndarray) -> np.ndarray:
    """(N, 255*I) interleaved codeblocks -> (N*I, 255) codewords."""
    count = blocks.shape[0]
    return blocks.reshape(count, -1, DEPTH).transpose(0, 2, 1).reshape(count * DEPTH, -1)


def _interleave(codewords: np.ndarray) -> np.ndarray:
    """(N*I, 255) codewords -> (N, 255*I) codeblocks."""
    return codewords.reshape(-1, DEPTH, codewords.shape[1]).transpose(0, 2, 1).reshape(-1, DEPTH * codewords.shape[1])


def _mbps(frames: int, seconds: float) -> float:
    return frames * FRAME_LENGTH / seconds / 1e6


def bench_reference(frames: np.ndarray, blocks: np.ndarray, damaged: np.ndarray, repeat: int) -> tuple[Row, Any]:
    coding.rs_encode_batch(frames[:2], DEPTH)  # build tables outside the timing
    t_enc, encoded = _best(lambda: coding.rs_encode_batch(frames, DEPTH), repeat)
    t_clean, clean = _best(lambda: coding.rs_decode_batch(blocks, DEPTH), repeat)
    t_err, fixed = _best(lambda: coding.rs_decode_batch(damaged, DEPTH), repeat)
    assert np.array_equal(encoded, blocks)
    assert np.array_equal(clean.data, frames) and not clean.corrected.any()
    assert np.array_equal(fixed.data, frames) and not fixed.uncorrectable.any()
    count = frames.shape[0]
    row = Row("orbitcert reference (numpy batch)", count, _mbps(count, t_enc), _mbps(count, t_clean), _mbps(count, t_err))
    return row, fixed.corrected


def bench_galois(frames: np.ndarray, blocks: np.ndarray, damaged: np.ndarray, ref_counts: np.ndarray) -> Row:
    import galois

    to_dual, to_conv = _dual_basis_tables()
    field = galois.GF(2**8, irreducible_poly=0x187)
    code = galois.ReedSolomon(255, 223, field=field, alpha=field(2) ** 11, c=112)
    warm = field(np.zeros((2, 223), dtype=np.uint8))
    code.decode(code.encode(warm), errors=True)  # numba compilation outside the timing

    def encode() -> np.ndarray:
        messages = to_conv[frames.reshape(-1, MESSAGE, DEPTH).transpose(0, 2, 1).reshape(-1, MESSAGE)]
        return _interleave(to_dual[np.asarray(code.encode(field(messages)))])

    def decode(received: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        messages, n_errors = code.decode(field(to_conv[_codewords(received)]), errors=True)
        data = to_dual[np.asarray(messages)].reshape(-1, DEPTH, MESSAGE).transpose(0, 2, 1).reshape(-1, FRAME_LENGTH)
        return data, np.asarray(n_errors).reshape(-1, DEPTH)

    count = frames.shape[0]
    t_enc, encoded = _best(encode, 1)
    t_clean, (clean, clean_n) = _best(lambda: decode(blocks), 1)
    t_err, (fixed, fixed_n) = _best(lambda: decode(damaged), 1)
    _check("galois", encoded, blocks, clean, clean_n, fixed, fixed_n, frames, ref_counts)
    return Row("galois.ReedSolomon", count, _mbps(count, t_enc), _mbps(count, t_clean), _mbps(count, t_err))


def bench_reedsolo(frames: np.ndarray, blocks: np.ndarray, damaged: np.ndarray, ref_counts: np.ndarray) -> Row:
    import reedsolo

    to_dual, to_conv = _dual_basis_tables()
    codec = reedsolo.RSCodec(32, nsize=255, fcr=112, prim=0x187, generator=173)

    def encode() -> np.ndarray:
        messages = to_conv[frames.reshape(-1, MESSAGE, DEPTH).transpose(0, 2, 1).reshape(-1, MESSAGE)]
        out = np.empty((messages.shape[0], 255), dtype=np.uint8)
        for i, message in enumerate(messages):
            out[i] = np.frombuffer(bytes(codec.encode(bytearray(message.tobytes()))), dtype=np.uint8)
        return _interleave(to_dual[out])

    def decode(received: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        codewords = to_conv[_codewords(received)]
        out = np.empty((codewords.shape[0], MESSAGE), dtype=np.uint8)
        n_errors = np.empty(codewords.shape[0], dtype=np.int64)
        for i, codeword in enumerate(codewords):
            try:
                message, _, errata = codec.decode(bytearray(codeword.tobytes()))
            except reedsolo.ReedSolomonError:
                out[i], n_errors[i] = codeword[:MESSAGE], -1
                continue
            out[i] = np.frombuffer(bytes(message), dtype=np.uint8)
            n_errors[i] = len(errata)
        data = to_dual[out].reshape(-1, DEPTH, MESSAGE).transpose(0, 2, 1).reshape(-1, FRAME_LENGTH)
        return data, n_errors.reshape(-1, DEPTH)

    count = frames.shape[0]
    t_enc, encoded = _best(encode, 1)
    t_clean, (clean, clean_n) = _best(lambda: decode(blocks), 1)
    t_err, (fixed, fixed_n) = _best(lambda: decode(damaged), 1)
    _check("reedsolo", encoded, blocks, clean, clean_n, fixed, fixed_n, frames, ref_counts)
    return Row("reedsolo.RSCodec (pure Python)", count, _mbps(count, t_enc), _mbps(count, t_clean), _mbps(count, t_err))


def _check(name: str, encoded: np.ndarray, blocks: np.ndarray, clean: np.ndarray, clean_n: np.ndarray,
           fixed: np.ndarray, fixed_n: np.ndarray, frames: np.ndarray, ref_counts: np.ndarray) -> None:
    """A peer's numbers count only if it did the same work: outputs must equal the reference's."""
    problems = []
    if not np.array_equal(encoded, blocks):
        problems.append("encoded codeblocks differ")
    if not np.array_equal(clean, frames) or clean_n.any():
        problems.append("clean decode differs")
    if not np.array_equal(fixed, frames):
        problems.append("decoded frames (with errors) differ")
    if not np.array_equal(fixed_n, ref_counts):
        problems.append("corrected-symbol counts differ")
    if problems:
        raise SystemExit(f"{name}: output does not match the reference: {'; '.join(problems)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=4.0, help="batch size in MB of frames (default 4)")
    parser.add_argument("--peer-mb", type=float, default=None,
                        help="cap the peers to the first MB of the same batch (default: the whole batch)")
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats for the reference (best of)")
    parser.add_argument("--no-reedsolo", action="store_true", help="skip reedsolo (slow: about a minute per 4 MB)")
    args = parser.parse_args(argv)

    frames, blocks, damaged = _make_batch(args.mb)
    count = frames.shape[0]
    print(f"batch: {count} frames x {FRAME_LENGTH} octets = {count * FRAME_LENGTH / 1e6:.2f} MB, I = {DEPTH}, "
          f"{count * DEPTH} codewords, {max(1, count * DEPTH // 100)} of them with 16 symbol errors; seed {SEED}; "
          f"single thread; numpy {np.__version__}", flush=True)
    reference, ref_counts = bench_reference(frames, blocks, damaged, args.repeat)
    rows = [reference]

    peer_count = count
    if args.peer_mb is not None:
        peer_count = min(count, max(1, int(np.ceil(args.peer_mb * 1e6 / FRAME_LENGTH))))
    subset = (frames[:peer_count], blocks[:peer_count], damaged[:peer_count], ref_counts[:peer_count])
    print("running galois ...", flush=True)
    rows.append(bench_galois(*subset))
    if not args.no_reedsolo:
        print("running reedsolo (pure Python, slow) ...", flush=True)
        rows.append(bench_reedsolo(*subset))

    header = ("implementation", "frames", "encode MB/s", "decode clean MB/s", "decode 1%x16-errors MB/s",
              "ratio vs reference (enc / clean / errors)")
    table = [header]
    for row in rows:
        name = row.name
        if row is not reference and peer_count < count:
            name += f" [capped: {peer_count * FRAME_LENGTH / 1e6:.2f} MB]"
        ratio = "1 / 1 / 1" if row is reference else " / ".join(
            f"{a / b:.3g}" for a, b in ((row.encode, reference.encode), (row.decode_clean, reference.decode_clean),
                                        (row.decode_errors, reference.decode_errors)))
        table.append((name, str(row.frames), f"{row.encode:.2f}", f"{row.decode_clean:.2f}",
                      f"{row.decode_errors:.2f}", ratio))
    print_table(table)
    print("\nAll peer outputs were checked equal to the reference's (codeblocks, frames, corrected counts).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The CCSDS 131.0-B-3 coding golden model at line rate: every kernel against crc32, libfec, galois, reedsolo.

Run: ``python benchmarks/bench_golden.py [--mb 64] [--repeat 5] [--capture-gib 1] [--no-reedsolo]``.

One seeded batch of frames (default I = 5, L = 1115: RS(255,223) E = 16, dual basis, randomized,
32-bit ASM; CCSDS 131.0-B-3 sections 4, 9, 10) is pushed, on one thread, through three operations:

* encode: frames -> CADU stream (ASM + randomized Reed-Solomon codeblock per frame);
* clean decode: CADU capture -> frames (synchronize, de-randomize, check, correct);
* dirty decode: the same capture with 1% of the codewords carrying 16 symbol errors each.

Rows: every compiled kernel variant of ``orbitcert.reference_impl.optical.kernels`` and its numpy
path, driven through the streaming API (``stream.CaduEncoder.encode_into``, ``stream.CaduDecoder.feed``
over the whole capture, then ``finish``); libfec (Debian libfec0, timed in C by
``benchmarks/libfec_bench.c``); galois and reedsolo (capped in size). Every figure is the median
of several repetitions of THREAD CPU time, in GB/s (10^9 octets) of the operation's INPUT (frames
for encode, the capture for decode), beside ``zlib.crc32`` timed over the same bytes in the same
run, and the ratio. Before anything is timed, every row's output is checked equal to the numpy
model's (``rs_encode_batch`` / ``rs_decode_batch`` with the section 9 synchronizer and section 10
randomizer, kernels forced to numpy); a mismatch stops the benchmark (exit 1) naming the kernel
and the operation. Last, the streaming decoder reads a capture of ``--capture-gib`` GiB written to
a temporary directory, chunk by chunk, in a fresh process: throughput, peak traced memory
(tracemalloc, which numpy reports its buffers to) and peak RSS growth. Targets (issue 14) are
checked against the kernel the library dispatches to by default.
"""

from __future__ import annotations

import os

# Single thread, set before numpy and numba are imported, when run as the benchmark. Imported as a
# module (by the test suite) it changes nothing: numba refuses a change of NUMBA_NUM_THREADS once
# its threads run, and a test's restored environment would be such a change.
if __name__ == "__main__":
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[_var] = "1"

import argparse  # noqa: E402
import ctypes  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import zlib  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import asdict, dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

from orbitcert.reference_impl.optical import frame_sync, reed_solomon  # noqa: E402
from orbitcert.reference_impl.optical.parameters import CodingParameters, default_parameters  # noqa: E402
from orbitcert.reference_impl.optical.randomizer import randomizer_for  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table  # noqa: E402


def _optional(name: str) -> ModuleType | None:
    """``orbitcert.reference_impl.optical.<name>``, or None while it does not exist yet."""
    import importlib

    try:
        return importlib.import_module(f"orbitcert.reference_impl.optical.{name}")
    except ImportError:
        return None


kernels = _optional("kernels")
stream = _optional("stream")

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

SEED = 20261126
HERE = Path(__file__).resolve().parent
LIBFEC_SOURCE = HERE / "libfec_bench.c"

#: Issue 14 targets: ratio to crc32 over the same bytes, for the default kernel.
TARGETS = {"encode": 0.3, "decode clean": 0.25, "decode 1%x16": 0.1}
#: Issue 14: peak memory while decoding a 1 GiB capture with the streaming decoder.
MEMORY_TARGET_MB = 200.0

OPERATIONS = ("encode", "decode clean", "decode 1%x16")


class Refused(SystemExit):
    """An implementation's output differs from the numpy model's: it is not timed (exit status 1)."""


# --------------------------------------------------------------------------------------------
# The workload and the numpy model's answers
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Decoded:
    """What a decoder delivered: frames (N, L), corrected symbols (N, I) (-1 = uncorrectable), flags (N,)."""

    frames: U8
    corrected: I64
    uncorrectable: Bool


@dataclass(eq=False)
class Workload:
    params: CodingParameters
    frame_length: int
    interleave: int
    frames: U8  # (N, L)
    clean: U8  # the CADU capture (numpy model), 1-D
    dirty: U8  # the same with 16 symbol errors in 1% of the codewords
    offsets: I64  # codeblock offsets (first octet after each marker)
    expected_clean: Decoded
    expected_dirty: Decoded
    dirty_codewords: int

    @property
    def marker(self) -> bytes:
        return self.params.attached_sync_marker

    @property
    def block(self) -> int:
        return self.frame_length + 2 * self.params.E * self.interleave

    @property
    def cadu(self) -> int:
        return len(self.marker) + self.block

    @property
    def count(self) -> int:
        return int(self.frames.shape[0])

    def capped(self, frames: int) -> Workload:
        """The first ``frames`` frames, their CADUs and the numpy model's answers for them."""
        n = min(frames, self.count)

        def cut(d: Decoded) -> Decoded:
            return Decoded(d.frames[:n], d.corrected[:n], d.uncorrectable[:n])

        dirty_rows = int(np.count_nonzero(self.expected_dirty.corrected[:n] != 0))
        return Workload(self.params, self.frame_length, self.interleave, self.frames[:n], self.clean[: n * self.cadu],
                        self.dirty[: n * self.cadu], self.offsets[:n], cut(self.expected_clean),
                        cut(self.expected_dirty), dirty_rows)


@contextmanager
def kernel(name: str | None) -> Iterator[None]:
    """Run the body with ``kernels.use(name)`` (nothing when the kernels module is absent), then restore."""
    if kernels is None or name is None:
        yield
        return
    before = kernels.active()
    kernels.use(name)
    try:
        yield
    finally:
        kernels.use(before)


def model_encode(frames: U8, interleave: int, p: CodingParameters) -> U8:
    """The numpy model's CADUs (131.0-B-3 sections 4, 9, 10): marker + randomized rs_encode_batch."""
    marker = np.frombuffer(p.attached_sync_marker, dtype=np.uint8)
    length = frames.shape[1]
    block = length + 2 * p.E * interleave
    out = np.empty((frames.shape[0], marker.size + block), dtype=np.uint8)
    sequence = randomizer_for(block, p)
    with kernel("numpy"):
        for lo in range(0, frames.shape[0], 8192):
            rows = out[lo : lo + 8192]
            rows[:, : marker.size] = marker
            np.bitwise_xor(reed_solomon.rs_encode_batch(frames[lo : lo + 8192], interleave, params=p), sequence,
                           out=rows[:, marker.size :])
    return out.reshape(-1)


def model_decode(capture: U8, frame_length: int, interleave: int, p: CodingParameters) -> tuple[I64, Decoded]:
    """The numpy model's decoding of a capture: section 9 synchronizer, section 10, rs_decode_batch."""
    block = frame_length + 2 * p.E * interleave
    sequence = randomizer_for(block, p)
    with kernel("numpy"):
        offsets, _ = frame_sync.locate_codeblocks(capture, block, p.attached_sync_marker)
        n = offsets.size
        frames = np.empty((n, frame_length), dtype=np.uint8)
        corrected = np.empty((n, interleave), dtype=np.int64)
        flags = np.empty(n, dtype=bool)
        windows = np.lib.stride_tricks.sliding_window_view(capture, block)
        for lo in range(0, n, 8192):
            blocks = windows[offsets[lo : lo + 8192]] ^ sequence
            result = reed_solomon.rs_decode_batch(blocks, interleave, params=p)
            frames[lo : lo + 8192] = result.data
            corrected[lo : lo + 8192] = result.corrected
            flags[lo : lo + 8192] = result.uncorrectable
    return offsets, Decoded(frames, corrected, flags)


def damage(capture: U8, first_offset: int, count: int, cadu: int, kp: int, interleave: int, nroots: int,
           rng: np.random.Generator, percent: float = 1.0, errors: int = 16) -> tuple[U8, int]:
    """A copy of ``capture`` where ``percent`` % of the codewords carry ``errors`` symbol errors.

    The codewords are stratified (one chosen at random in every run of 100/percent codewords) so
    that any prefix of the capture holds its share. Errors are XORed into the randomized stream,
    which is an error pattern of the same weight in the codeword (section 10 is an XOR).
    """
    out = capture.copy()
    codewords = count * interleave
    stride = max(1, round(100.0 / percent)) if percent > 0 else 0
    if not stride or codewords == 0:
        return out, 0
    starts = np.arange(0, codewords, stride)
    chosen = starts + rng.integers(0, stride, size=starts.size)
    chosen = chosen[chosen < codewords]
    length = kp + nroots
    for index in chosen.tolist():  # set-up only, not timed
        row, column = divmod(index, interleave)
        positions = rng.choice(length, errors, replace=False)
        where = first_offset + row * cadu + positions * interleave + column
        out[where] ^= rng.integers(1, 256, errors, dtype=np.uint8)
    return out, int(chosen.size)


def make_workload(megabytes: float, frame_length: int, interleave: int, seed: int) -> Workload:
    p = default_parameters()
    rng = np.random.default_rng(seed)
    count = max(1, math.ceil(megabytes * 1e6 / frame_length))
    frames = np.frombuffer(rng.bytes(count * frame_length), dtype=np.uint8).reshape(count, frame_length)
    clean = model_encode(frames, interleave, p)
    marker = len(p.attached_sync_marker)
    cadu = marker + frame_length + 2 * p.E * interleave
    dirty, chosen = damage(clean, marker, count, cadu, frame_length // interleave, interleave, 2 * p.E, rng)
    offsets, expected_clean = model_decode(clean, frame_length, interleave, p)
    dirty_offsets, expected_dirty = model_decode(dirty, frame_length, interleave, p)
    if offsets.size != count or not np.array_equal(offsets, dirty_offsets):
        raise SystemExit(f"bench_golden: the numpy model located {offsets.size} codeblocks in a capture of {count}")
    return Workload(p, frame_length, interleave, frames, clean, dirty, offsets, expected_clean, expected_dirty,
                    chosen)


# --------------------------------------------------------------------------------------------
# Implementations: each op returns (thread CPU seconds of the operation itself, its output)
# --------------------------------------------------------------------------------------------


class Implementation:
    name = ""
    capped = False

    def dispatch(self) -> str:
        """What the row ran on (the kernel it dispatched to)."""
        raise NotImplementedError

    def activate(self) -> None:
        """Select this row's kernel before its checks and timings."""

    def encode(self, w: Workload, out: U8) -> float:
        """Write the CADUs of ``w.frames`` into ``out`` (1-D, N * cadu octets); thread CPU seconds."""
        raise NotImplementedError

    def decode(self, w: Workload, capture: U8) -> tuple[float, Decoded]:
        raise NotImplementedError

    def includes(self) -> str:
        """What the row's timing includes, for the notes under the table."""
        raise NotImplementedError


class KernelPath(Implementation):
    """A kernel variant of orbitcert (or its numpy path), through the streaming API when present."""

    def __init__(self, variant: str) -> None:
        self.variant = variant
        if stream is not None:
            self.name = f"orbitcert stream [{variant}]"
        elif kernels is not None:
            self.name = f"orbitcert kernels.* [{variant}]"
        else:
            self.name = "orbitcert numpy model (no kernels module)"

    def activate(self) -> None:
        if kernels is not None:
            kernels.use(self.variant)

    def dispatch(self) -> str:
        return kernels.active() if kernels is not None else "numpy"

    def includes(self) -> str:
        if stream is not None:
            return ("stream.CaduEncoder.encode_into (caller's buffer) / stream.CaduDecoder.feed(whole capture) + "
                    "finish: marker search and lock, de-randomize, RS check and correction, result arrays")
        if kernels is not None:
            return ("kernels.encode_cadus_into / frame_sync.locate_codeblocks (numpy) + kernels.decode_codeblocks "
                    "(stream.py not present yet)")
        return "rs_encode_batch / locate_codeblocks + rs_decode_batch (no kernels module)"

    def encode(self, w: Workload, out: U8) -> float:
        p = w.params
        if stream is not None:
            encoder = stream.CaduEncoder(w.frame_length, w.interleave, params=p)
            start = time.thread_time()
            written = encoder.encode_into(w.frames, out)
            seconds = time.thread_time() - start
            if written != w.count * w.cadu:
                raise Refused(f"bench_golden: REFUSED: kernel {self.dispatch()!r} encode wrote {written} octets, "
                              f"expected {w.count * w.cadu}")
            return seconds
        if kernels is not None:
            code = reed_solomon.code_for(p)
            sequence = randomizer_for(w.block, p)
            start = time.thread_time()
            kernels.encode_cadus_into(code, w.frames, w.interleave, w.marker, sequence, out.reshape(w.count, w.cadu))
            return time.thread_time() - start
        start = time.thread_time()
        out[:] = model_encode(w.frames, w.interleave, p)
        return time.thread_time() - start

    def decode(self, w: Workload, capture: U8) -> tuple[float, Decoded]:
        p = w.params
        if stream is not None:
            decoder = stream.CaduDecoder(w.frame_length, w.interleave, params=p)
            start = time.thread_time()
            first = decoder.feed(capture)
            last = decoder.finish()
            seconds = time.thread_time() - start
            parts = [first, last]
            return seconds, Decoded(np.concatenate([c.frames for c in parts]),
                                    np.concatenate([c.corrected for c in parts]),
                                    np.concatenate([c.uncorrectable for c in parts]))
        if kernels is not None:
            code = reed_solomon.code_for(p)
            sequence = randomizer_for(w.block, p)
            start = time.thread_time()
            offsets, _ = frame_sync.locate_codeblocks(capture, w.block, w.marker)
            n = offsets.size
            frames = np.empty((n, w.frame_length), dtype=np.uint8)
            corrected = np.empty((n, w.interleave), dtype=np.int64)
            flags = np.empty(n, dtype=bool)
            kernels.decode_codeblocks(code, capture, offsets, w.frame_length, w.interleave, sequence, frames,
                                      corrected, flags)
            return time.thread_time() - start, Decoded(frames, corrected, flags)
        start = time.thread_time()
        _, decoded = model_decode(capture, w.frame_length, w.interleave, p)
        return time.thread_time() - start, decoded


class Libfec(Implementation):
    """Debian libfec0 (encode_rs_ccsds / decode_rs_ccsds), the loop in C (benchmarks/libfec_bench.c)."""

    name = "libfec (C, Debian libfec0)"

    def __init__(self, library: ctypes.CDLL) -> None:
        self.lib = library
        p, u8, i64 = ctypes.c_void_p, ctypes.c_int, ctypes.c_int64
        self.lib.libfec_encode_cadus.restype = ctypes.c_double
        self.lib.libfec_encode_cadus.argtypes = [p, i64, u8, u8, p, u8, p, p]
        self.lib.libfec_decode_codeblocks.restype = ctypes.c_double
        self.lib.libfec_decode_codeblocks.argtypes = [p, i64, p, i64, u8, u8, p, p, p, p]

    def dispatch(self) -> str:
        return "libfec (scalar C)"

    def includes(self) -> str:
        return ("per codeword encode_rs_ccsds / decode_rs_ccsds, plus (de)interleave, marker, randomizer XOR, in C; "
                "decode is given the codeblock offsets (no marker search)")

    def encode(self, w: Workload, out: U8) -> float:
        frames = np.ascontiguousarray(w.frames)
        sequence = randomizer_for(w.block, w.params)
        marker = np.frombuffer(w.marker, dtype=np.uint8)
        seconds = float(self.lib.libfec_encode_cadus(frames.ctypes.data, w.count, w.frame_length, w.interleave,
                                                     marker.ctypes.data, marker.size, sequence.ctypes.data,
                                                     out.ctypes.data))
        if seconds < 0:
            raise SystemExit("bench_golden: libfec_encode_cadus refused its arguments")
        return seconds

    def decode(self, w: Workload, capture: U8) -> tuple[float, Decoded]:
        capture = np.ascontiguousarray(capture)
        offsets = np.ascontiguousarray(w.offsets, dtype=np.int64)
        sequence = randomizer_for(w.block, w.params)
        n = offsets.size
        frames = np.empty((n, w.frame_length), dtype=np.uint8)
        corrected = np.empty((n, w.interleave), dtype=np.int64)
        flags = np.empty(n, dtype=np.uint8)
        seconds = float(self.lib.libfec_decode_codeblocks(capture.ctypes.data, capture.size, offsets.ctypes.data, n,
                                                          w.frame_length, w.interleave, sequence.ctypes.data,
                                                          frames.ctypes.data, corrected.ctypes.data,
                                                          flags.ctypes.data))
        if seconds < 0:
            raise SystemExit("bench_golden: libfec_decode_codeblocks refused its arguments")
        return seconds, Decoded(frames, corrected, flags.astype(bool))


def build_libfec(workdir: Path) -> ctypes.CDLL | str:
    """Compile benchmarks/libfec_bench.c against libfec; the library, or why it is not available."""
    compiler = shutil.which(os.environ.get("CC", "gcc")) or shutil.which("cc")
    if compiler is None:
        return "no C compiler"
    target = workdir / "libfec_bench.so"
    for link in (["-lfec"], ["-l:libfec.so.0"]):
        proc = subprocess.run([compiler, "-O2", "-shared", "-fPIC", str(LIBFEC_SOURCE), "-o", str(target), *link],
                              capture_output=True, text=True)
        if proc.returncode == 0:
            try:
                return ctypes.CDLL(str(target))
            except OSError as exc:
                return f"cannot load the shim: {exc}"
    return "libfec not found (Debian: apt-get install libfec-dev): " + proc.stderr.strip().splitlines()[-1]


def _dual_basis_tables() -> tuple[U8, U8]:
    """Conventional <-> dual tables (131.0-B-3 Annex F) derived here with galois' field trace."""
    import galois

    gf = galois.GF(2**8, irreducible_poly=0x187)
    beta = gf(2) ** 117
    elements = gf(np.arange(256))
    to_dual = np.zeros(256, dtype=np.int64)
    for j in range(8):
        to_dual |= np.asarray((elements * beta**j).field_trace(), dtype=np.int64) << (7 - j)
    to_dual_u8 = to_dual.astype(np.uint8)
    to_conv = np.zeros(256, dtype=np.uint8)
    to_conv[to_dual_u8] = np.arange(256, dtype=np.uint8)
    return to_dual_u8, to_conv


class PeerCodec(Implementation):
    """A peer Reed-Solomon codec on codewords (conventional basis); numpy does the CCSDS glue around it."""

    capped = True

    def __init__(self) -> None:
        self.to_dual, self.to_conv = _dual_basis_tables()

    def includes(self) -> str:
        return ("RS encode/decode per codeword; numpy does the dual-basis conversion, (de)interleave, "
                "marker and randomizer; decode is given the codeblock offsets (no marker search)")

    def encode_codewords(self, messages: U8) -> U8:
        raise NotImplementedError

    def decode_codewords(self, codewords: U8) -> tuple[U8, I64]:
        raise NotImplementedError

    def encode(self, w: Workload, out: U8) -> float:
        n, length, depth = w.count, w.frame_length, w.interleave
        kp = length // depth
        sequence = randomizer_for(w.block, w.params)
        marker = np.frombuffer(w.marker, dtype=np.uint8)
        start = time.thread_time()
        messages = self.to_conv[w.frames.reshape(n, kp, depth).transpose(0, 2, 1).reshape(n * depth, kp)]
        codewords = self.to_dual[self.encode_codewords(messages)]
        blocks = codewords.reshape(n, depth, -1).transpose(0, 2, 1).reshape(n, -1)
        rows = out.reshape(n, w.cadu)
        rows[:, : marker.size] = marker
        np.bitwise_xor(blocks, sequence, out=rows[:, marker.size :])
        return time.thread_time() - start

    def decode(self, w: Workload, capture: U8) -> tuple[float, Decoded]:
        n, length, depth = w.offsets.size, w.frame_length, w.interleave
        kp = length // depth
        sequence = randomizer_for(w.block, w.params)
        start = time.thread_time()
        blocks = np.lib.stride_tricks.sliding_window_view(capture, w.block)[w.offsets] ^ sequence
        codewords = self.to_conv[blocks.reshape(n, -1, depth).transpose(0, 2, 1).reshape(n * depth, -1)]
        messages, counts = self.decode_codewords(codewords)
        data = self.to_dual[messages].reshape(n, depth, kp).transpose(0, 2, 1).reshape(n, length)
        counts = counts.reshape(n, depth)
        flags = np.any(counts < 0, axis=1)
        data[flags] = blocks[flags, :length]  # an uncorrectable codeblock keeps its received information part
        return time.thread_time() - start, Decoded(data, counts, flags)


class Galois(PeerCodec):
    name = "galois.ReedSolomon"

    def __init__(self) -> None:
        import galois

        super().__init__()
        self.gf = galois.GF(2**8, irreducible_poly=0x187)
        self.code = galois.ReedSolomon(255, 223, field=self.gf, alpha=self.gf(2) ** 11, c=112)
        self.code.decode(self.code.encode(self.gf(np.zeros((2, 223), dtype=np.uint8))), errors=True)  # numba jit

    def dispatch(self) -> str:
        return "galois (numba)"

    def encode_codewords(self, messages: U8) -> U8:
        return np.asarray(self.code.encode(self.gf(messages)), dtype=np.uint8)

    def decode_codewords(self, codewords: U8) -> tuple[U8, I64]:
        messages, counts = self.code.decode(self.gf(codewords), errors=True)
        return np.asarray(messages, dtype=np.uint8), np.asarray(counts, dtype=np.int64)


class Reedsolo(PeerCodec):
    name = "reedsolo.RSCodec"

    def __init__(self) -> None:
        import reedsolo

        super().__init__()
        self.error = reedsolo.ReedSolomonError
        self.codec = reedsolo.RSCodec(32, nsize=255, fcr=112, prim=0x187, generator=173)  # 173 = alpha^11

    def dispatch(self) -> str:
        return "reedsolo (pure Python)"

    def encode_codewords(self, messages: U8) -> U8:
        out = np.empty((messages.shape[0], messages.shape[1] + 32), dtype=np.uint8)
        for i, message in enumerate(messages):
            out[i] = np.frombuffer(bytes(self.codec.encode(bytearray(message.tobytes()))), dtype=np.uint8)
        return out

    def decode_codewords(self, codewords: U8) -> tuple[U8, I64]:
        kp = codewords.shape[1] - 32
        out = np.empty((codewords.shape[0], kp), dtype=np.uint8)
        counts = np.empty(codewords.shape[0], dtype=np.int64)
        for i, codeword in enumerate(codewords):
            try:
                message, _, errata = self.codec.decode(bytearray(codeword.tobytes()))
            except self.error:
                out[i], counts[i] = codeword[:kp], -1
                continue
            out[i] = np.frombuffer(bytes(message), dtype=np.uint8)
            counts[i] = len(errata)
        return out, counts


# --------------------------------------------------------------------------------------------
# Checks, then timings
# --------------------------------------------------------------------------------------------


def _first_difference(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> str:
    if a.shape != b.shape:
        return f"shape {a.shape} instead of {b.shape}"
    index = np.flatnonzero((a != b).reshape(-1))
    return f"{index.size} elements differ, the first at flat index {int(index[0])}"


def _inputs(w: Workload, operation: str) -> U8:
    return w.frames.reshape(-1) if operation == "encode" else (w.clean if operation == "decode clean" else w.dirty)


def run_operation(impl: Implementation, w: Workload, operation: str, out: U8) -> float:
    """Run ``operation`` once; raise Refused when its output differs from the numpy model's."""
    if operation == "encode":
        seconds = impl.encode(w, out)
        if not np.array_equal(out, w.clean):
            raise Refused(f"bench_golden: REFUSED to time {impl.name} (kernel {impl.dispatch()!r}), operation "
                          f"'encode': its CADUs differ from the numpy model's ({_first_difference(out, w.clean)})")
        return seconds
    capture, expected = (w.clean, w.expected_clean) if operation == "decode clean" else (w.dirty, w.expected_dirty)
    seconds, got = impl.decode(w, capture)
    problems = [f"{what}: {_first_difference(np.asarray(a), b)}"
                for what, a, b in (("frames", got.frames, expected.frames),
                                   ("corrected counts", got.corrected, expected.corrected),
                                   ("uncorrectable flags", got.uncorrectable, expected.uncorrectable))
                if np.asarray(a).shape != b.shape or not np.array_equal(a, b)]
    if problems:
        raise Refused(f"bench_golden: REFUSED to time {impl.name} (kernel {impl.dispatch()!r}), operation "
                      f"{operation!r}: its output differs from the numpy model's ({'; '.join(problems)})")
    return seconds


def crc32_seconds(data: U8) -> float:
    """Thread CPU seconds of one zlib.crc32 over ``data`` (looped so each sample lasts >= ~10 ms)."""
    view = data.data.cast("B")
    loops = max(1, math.ceil(40e6 / max(1, data.nbytes)))
    start = time.thread_time()
    for _ in range(loops):
        zlib.crc32(view)
    return (time.thread_time() - start) / loops


@dataclass
class Row:
    implementation: str
    dispatch: str
    operation: str
    input_octets: int
    seconds: float
    crc32_seconds: float
    capped: bool = False
    samples: list[float] = field(default_factory=list)

    @property
    def gbps(self) -> float:
        return self.input_octets / self.seconds / 1e9 if self.seconds > 0 else math.inf

    @property
    def crc32_gbps(self) -> float:
        return self.input_octets / self.crc32_seconds / 1e9 if self.crc32_seconds > 0 else math.inf

    @property
    def ratio(self) -> float:
        return self.crc32_seconds / self.seconds if self.seconds > 0 else math.inf

    def verdict(self) -> str:
        target = TARGETS[self.operation]
        return f">= {target}x: {'PASS' if self.ratio >= target else 'FAIL'}"


def measure(impls: list[tuple[Implementation, Workload]], repeat: int, peer_repeat: int) -> list[Row]:
    """Check every implementation on every operation first, then time them (median thread CPU)."""
    buffers: dict[int, U8] = {}
    for impl, w in impls:  # checks first: nothing is timed until every output is the model's
        impl.activate()
        out = buffers.setdefault(id(impl), np.empty(w.count * w.cadu, dtype=np.uint8))
        for operation in OPERATIONS:
            run_operation(impl, w, operation, out)
    rows: list[Row] = []
    for impl, w in impls:
        impl.activate()
        reps = peer_repeat if impl.capped else repeat
        out = buffers[id(impl)]
        for operation in OPERATIONS:
            data = _inputs(w, operation)
            samples: list[float] = []
            crc: list[float] = []
            for _ in range(reps):  # crc32 alternates with the operation: both see the same machine load
                samples.append(run_operation(impl, w, operation, out))
                crc.append(crc32_seconds(data))
            rows.append(Row(impl.name, impl.dispatch(), operation, data.nbytes, statistics.median(samples),
                            statistics.median(crc), impl.capped, samples))
            print(f"  {impl.name:<34} {operation:<13} {_sig(rows[-1].gbps):>8} GB/s  ({_sig(rows[-1].ratio)}x crc32)",
                  flush=True)
    return rows


# --------------------------------------------------------------------------------------------
# The streaming decoder on a capture on disk, in a fresh process (peak memory is per process)
# --------------------------------------------------------------------------------------------


def write_capture(path: Path, gib: float, frame_length: int, interleave: int, seed: int,
                  errors_percent: float) -> dict[str, Any]:
    """Write a capture of about ``gib`` GiB (whole CADUs) to ``path``; its frames' crc32 and counts."""
    p = default_parameters()
    rng = np.random.default_rng(seed + 1)
    marker = len(p.attached_sync_marker)
    cadu = marker + frame_length + 2 * p.E * interleave
    total = max(1, int(gib * 2**30) // cadu)
    batch = 8192
    crc = 0
    written = 0
    dirty = 0
    encoder = stream.CaduEncoder(frame_length, interleave, params=p) if stream is not None else None
    out = np.empty(batch * cadu, dtype=np.uint8)
    with open(path, "wb") as handle:
        while written < total:
            n = min(batch, total - written)
            frames = np.frombuffer(rng.bytes(n * frame_length), dtype=np.uint8).reshape(n, frame_length)
            crc = zlib.crc32(frames.data, crc)
            if encoder is not None:
                encoder.encode_into(frames, out[: n * cadu])
                capture = out[: n * cadu]
            else:
                capture = model_encode(frames, interleave, p)
            if errors_percent > 0:
                capture, chosen = damage(capture, marker, n, cadu, frame_length // interleave, interleave,
                                         2 * p.E, rng, errors_percent)
                dirty += chosen
            handle.write(capture.data)
            written += n
    return {"path": str(path), "codeblocks": total, "octets": total * cadu, "frames_crc32": crc,
            "dirty_codewords": dirty}


def _vm_kib(field_name: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def stream_child(config: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: decode the capture file chunk by chunk, twice (RSS pass, then tracemalloc pass)."""
    if kernels is not None and config.get("kernel"):
        kernels.use(config["kernel"])
    if stream is None:
        raise SystemExit("bench_golden: reference_impl/optical/stream.py is not there yet")
    p = default_parameters()
    length, depth, chunk = config["frame_length"], config["interleave"], config["chunk_octets"]
    with open(config["path"], "rb") as handle:  # warm-up: code tables, randomizer, imports of lazy modules
        warm = stream.CaduDecoder(length, depth, params=p)
        warm.feed(handle.read(64 * 1024))
        warm.finish()
        del warm
    baseline_rss = _vm_kib("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as refs:  # resets VmHWM to the current RSS (Linux >= 4.0)
            refs.write("5")
        hwm_reset = True
    except OSError:
        hwm_reset = False
    baseline_hwm = _vm_kib("VmHWM")

    def run_pass() -> dict[str, Any]:
        decoder = stream.CaduDecoder(length, depth, params=p)
        buffer = bytearray(chunk)
        view = memoryview(buffer)
        seconds = 0.0
        crc_seconds = 0.0
        crc = 0
        codeblocks = uncorrectable = corrected = 0
        wall = time.perf_counter()
        with open(config["path"], "rb", buffering=0) as handle:
            while True:
                n = handle.readinto(buffer)
                if not n:
                    break
                start = time.thread_time()
                result = decoder.feed(view[:n])
                seconds += time.thread_time() - start
                start = time.thread_time()
                zlib.crc32(view[:n])  # the yardstick over the same capture octets
                crc_seconds += time.thread_time() - start
                crc = zlib.crc32(np.ascontiguousarray(result.frames).data, crc)
                codeblocks += result.frames.shape[0]
                uncorrectable += int(np.count_nonzero(result.uncorrectable))
                corrected += int(result.corrected[result.corrected > 0].sum())
                del result
            start = time.thread_time()
            result = decoder.finish()
            seconds += time.thread_time() - start
            crc = zlib.crc32(np.ascontiguousarray(result.frames).data, crc)
            codeblocks += result.frames.shape[0]
            uncorrectable += int(np.count_nonzero(result.uncorrectable))
            corrected += int(result.corrected[result.corrected > 0].sum())
        return {"seconds": seconds, "crc32_seconds": crc_seconds, "wall_seconds": time.perf_counter() - wall, "frames_crc32": crc,
                "codeblocks": codeblocks, "uncorrectable": uncorrectable, "corrected_symbols": corrected}

    first = run_pass()
    peak_hwm = _vm_kib("VmHWM")
    rss_growth_kib = peak_hwm - (baseline_rss if hwm_reset else baseline_hwm)
    tracemalloc.start()
    second = run_pass()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"kernel": kernels.active() if kernels is not None else "numpy", "rss_pass": first, "traced_pass": second,
            "baseline_rss_mb": baseline_rss * 1024 / 1e6, "rss_growth_mb": rss_growth_kib * 1024 / 1e6,
            "hwm_reset": hwm_reset, "tracemalloc_peak_mb": traced_peak / 1e6, "chunk_octets": chunk}


def run_stream(gib: float, frame_length: int, interleave: int, kernel_name: str | None, chunk_mb: float,
               errors_percent: float, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench_golden_") as tmp:
        path = Path(tmp) / "capture.bin"
        start = time.perf_counter()
        info = write_capture(path, gib, frame_length, interleave, seed, errors_percent)
        info["write_seconds"] = time.perf_counter() - start
        config = {"path": str(path), "frame_length": frame_length, "interleave": interleave, "kernel": kernel_name,
                  "chunk_octets": max(1, int(chunk_mb * 2**20))}
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--stream-child", json.dumps(config)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"bench_golden: the streaming decoder failed:\n{proc.stderr.strip()}")
        child: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    child["capture"] = info
    for name in ("rss_pass", "traced_pass"):
        got = child[name]
        if got["codeblocks"] != info["codeblocks"] or got["frames_crc32"] != info["frames_crc32"]:
            raise SystemExit(f"bench_golden: the streaming decoder delivered {got['codeblocks']} codeblocks "
                             f"(crc32 {got['frames_crc32']:#x}), the capture holds {info['codeblocks']} "
                             f"(crc32 {info['frames_crc32']:#x})")
    return child


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------


def _sig(value: float) -> str:
    """Three significant digits, without switching to exponents for the slow pure-Python rows."""
    if not math.isfinite(value) or value == 0:
        return str(value)
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    return f"{value:.{digits}f}"


def cpu_model() -> str:
    model = platform.processor() or platform.machine()
    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and model in ("", platform.machine(), platform.processor()):
                    model = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    wanted = ("avx2", "avx512f", "avx512bw", "avx512vl", "avx512vbmi", "gfni", "vpclmulqdq")
    return f"{model} ({', '.join(f for f in wanted if f in flags) or 'no x86 SIMD flags'}), {os.cpu_count()} CPUs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=64.0, help="batch size in MB (10^6 octets) of frames (default 64)")
    parser.add_argument("--repeat", type=int, default=5, help="timing repetitions, median reported (default 5)")
    parser.add_argument("--capture-gib", type=float, default=1.0,
                        help="size of the capture the streaming decoder reads from disk (default 1; 0 skips it)")
    parser.add_argument("--chunk-mb", type=float, default=4.0, help="streaming read size in MiB (default 4)")
    parser.add_argument("--capture-errors", type=float, default=0.0,
                        help="percent of the capture's codewords carrying 16 symbol errors (default 0)")
    parser.add_argument("--interleave", type=int, default=5, help="interleaving depth I (default 5)")
    parser.add_argument("--frame-length", type=int, default=None, help="frame length L (default 223 * I)")
    parser.add_argument("--kernels", default=None,
                        help="comma-separated kernel variants to run (default: all available, numpy included)")
    parser.add_argument("--galois-mb", type=float, default=2.0, help="cap of the galois rows in MB (default 2)")
    parser.add_argument("--reedsolo-mb", type=float, default=0.1, help="cap of the reedsolo rows in MB (default 0.1)")
    parser.add_argument("--peer-repeat", type=int, default=3, help="repetitions of the capped rows (default 3)")
    parser.add_argument("--no-galois", action="store_true", help="skip galois")
    parser.add_argument("--no-reedsolo", action="store_true", help="skip reedsolo (pure Python, slow)")
    parser.add_argument("--no-libfec", action="store_true", help="skip libfec")
    parser.add_argument("--seed", type=int, default=SEED, help=f"seed of the batch (default {SEED})")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON to this file")
    parser.add_argument("--strict", action="store_true", help="exit 3 when a target fails")
    parser.add_argument("--stream-child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.stream_child is not None:
        print(json.dumps(stream_child(json.loads(args.stream_child))))
        return 0

    wall = time.perf_counter()
    depth = args.interleave
    length = args.frame_length if args.frame_length is not None else 223 * depth
    if args.repeat < 1 or args.peer_repeat < 1 or args.mb <= 0:
        parser.error("--repeat, --peer-repeat and --mb must be positive")
    default_kernel = kernels.active() if kernels is not None else None
    available = [v for v in kernels.variants()] if kernels is not None else ["numpy"]
    if args.kernels:
        chosen = [v.strip() for v in args.kernels.split(",") if v.strip()]
        unknown = [v for v in chosen if v not in available]
        if unknown:
            parser.error(f"--kernels: not available here: {', '.join(unknown)} (available: {', '.join(available)})")
        available = chosen

    print(f"CPU: {cpu_model()}")
    print(f"Python {platform.python_version()}, numpy {np.__version__}; "
          + (kernels.describe() if kernels is not None else "kernels module not present (numpy model only)")
          + ("" if stream is not None else "; stream.py not present"))
    w = make_workload(args.mb, length, depth, args.seed)
    print(f"batch: {w.count} frames x {length} octets = {w.frames.nbytes / 1e6:.1f} MB, I = {depth}, capture "
          f"{w.clean.nbytes / 1e6:.1f} MB ({w.cadu}-octet CADUs), {w.dirty_codewords} of {w.count * depth} codewords "
          f"with 16 symbol errors in the dirty capture; seed {args.seed}; single thread, thread CPU time, median of "
          f"{args.repeat}", flush=True)

    impls: list[tuple[Implementation, Workload]] = [(KernelPath(v), w) for v in available]
    notes: dict[str, str] = {impls[0][0].name.split(" [")[0]: impls[0][0].includes()} if impls else {}
    with tempfile.TemporaryDirectory(prefix="bench_golden_libfec_") as tmp:
        if not args.no_libfec:
            built = build_libfec(Path(tmp))
            if isinstance(built, str):
                print(f"libfec: skipped ({built})")
            else:
                impls.append((Libfec(built), w))
        for flag, cls, cap in ((args.no_galois, Galois, args.galois_mb), (args.no_reedsolo, Reedsolo, args.reedsolo_mb)):
            if flag:
                continue
            try:
                peer = cls()
            except ImportError as exc:
                print(f"{cls.name}: skipped ({exc})")
                continue
            subset = w.capped(max(1, math.ceil(cap * 1e6 / length)))
            peer.capped = subset.count < w.count
            impls.append((peer, subset))
        for impl, _ in impls[len(available):]:
            notes[impl.name] = impl.includes()
        print("checking every output against the numpy model, then timing:", flush=True)
        try:
            rows = measure(impls, args.repeat, args.peer_repeat)
        finally:  # leave the library on the kernel it had
            if kernels is not None and default_kernel is not None:
                kernels.use(default_kernel)

    streamed: dict[str, Any] | None = None
    if args.capture_gib > 0:
        if stream is None:
            print("streaming decoder: skipped (reference_impl/optical/stream.py is not there yet)")
        else:
            print(f"streaming decoder: writing a {args.capture_gib:g} GiB capture, decoding it in a fresh process ...",
                  flush=True)
            streamed = run_stream(args.capture_gib, length, depth, default_kernel, args.chunk_mb,
                                  args.capture_errors, args.seed)

    header = ("implementation", "dispatched to", "operation", "input MB", "CPU s", "GB/s", "crc32 GB/s", "x crc32",
              "target")
    table: list[tuple[str, ...]] = [header]
    for row in rows:
        name = row.implementation + (f" [capped: {row.input_octets / 1e6:.2f} MB]" if row.capped else "")
        target = row.verdict() if row.dispatch == default_kernel and not row.capped else ""
        table.append((name, row.dispatch, row.operation, f"{row.input_octets / 1e6:.1f}", f"{row.seconds:.4f}",
                      _sig(row.gbps), f"{row.crc32_gbps:.2f}", _sig(row.ratio), target))
    if streamed is not None:
        rss, traced = streamed["rss_pass"], streamed["traced_pass"]
        octets = streamed["capture"]["octets"]
        crc_gbps = octets / rss["crc32_seconds"] / 1e9 if rss["crc32_seconds"] > 0 else math.inf
        table.append((f"stream.CaduDecoder.feed, {octets / 2**30:.2f} GiB file in {streamed['chunk_octets'] >> 20} "
                      "MiB chunks", streamed["kernel"], "decode stream", f"{octets / 1e6:.0f}",
                      f"{rss['seconds']:.3f}", _sig(octets / rss["seconds"] / 1e9), f"{crc_gbps:.2f}",
                      _sig(octets / rss["seconds"] / 1e9 / crc_gbps), ""))
    print_table(table)

    print("\nWhat each row times:")
    for name, text in notes.items():
        print(f"- {name}: {text}")
    print("- crc32: zlib.crc32 over the same input octets (frames for encode, the capture for decode), same run.")
    print("All outputs were checked equal to the numpy model's (CADUs; frames, per-codeword corrected counts and "
          "uncorrectable flags) before any timing.")

    targets: list[dict[str, Any]] = []
    for operation, minimum in TARGETS.items():
        match = [r for r in rows if r.operation == operation and r.dispatch == default_kernel and not r.capped]
        if match:
            targets.append({"target": f"{operation} >= {minimum}x crc32", "measured": f"{match[0].ratio:.3f}x",
                            "pass": match[0].ratio >= minimum})
    if streamed is not None:
        peak = max(streamed["tracemalloc_peak_mb"], streamed["rss_growth_mb"])
        targets.append({"target": f"peak memory decoding a {streamed['capture']['octets'] / 2**30:.2f} GiB capture "
                                  f"<= {MEMORY_TARGET_MB:g} MB",
                        "measured": f"tracemalloc peak {streamed['tracemalloc_peak_mb']:.1f} MB, RSS growth "
                                    f"{streamed['rss_growth_mb']:.1f} MB",
                        "pass": peak <= MEMORY_TARGET_MB})
        print(f"\nstreaming decoder: {streamed['capture']['codeblocks']} codeblocks, "
              f"{rss['corrected_symbols']} symbols corrected, {rss['uncorrectable']} uncorrectable, frames crc32 equal "
              f"to the source's; {rss['seconds']:.2f} CPU s ({rss['wall_seconds']:.2f} s wall incl. reads), "
              f"{traced['seconds']:.2f} CPU s under tracemalloc; RSS baseline {streamed['baseline_rss_mb']:.0f} MB "
              f"(after imports and warm-up){'' if streamed['hwm_reset'] else ', VmHWM could not be reset'}")
    if targets:
        print_table([("target (issue 14)", "kernel", "measured", "verdict")]
                    + [(t["target"], str(default_kernel), t["measured"], "PASS" if t["pass"] else "FAIL")
                       for t in targets])
    elapsed = time.perf_counter() - wall
    print(f"\nwall time of the whole benchmark: {elapsed:.1f} s")

    if args.json is not None:
        document = {"cpu": cpu_model(), "default_kernel": default_kernel,
                    "describe": kernels.describe() if kernels is not None else None,
                    "frame_length": length, "interleave": depth, "frames": w.count, "seed": args.seed,
                    "repeat": args.repeat,
                    "rows": [dict(asdict(r), gbps=r.gbps, crc32_gbps=r.crc32_gbps, ratio=r.ratio) for r in rows],
                    "stream": streamed, "targets": targets, "notes": notes, "wall_seconds": elapsed}
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    if args.strict and not all(t["pass"] for t in targets):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())

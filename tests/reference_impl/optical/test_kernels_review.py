"""Adversarial review of the compiled coding kernels (issue 14; ``reference_impl/optical/_kernels.c``
through :mod:`orbitcert.reference_impl.optical.kernels`).

Findings (test_findingN_...) were fixed; their tests are now regression tests. The other tests are
probes that held, kept as cheap regression tests.

Oracles: the numpy model (``kernels.use("numpy")``, i.e. ``reed_solomon.decode_numpy`` and
``ReedSolomonCode.parity``), codewords built by construction (a weight-(2E+1) codeword of the MDS
code CCSDS 131.0-B-3 section 4 defines, so the exact decoding-sphere boundary is known without any
decoder), PROT_NONE guard pages (an out-of-bounds read or write of the SIMD code faults, even for the
masked AVX-512 loads that AddressSanitizer does not instrument), and ``objdump`` of the built extension.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import mmap
import re
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from coding_oracles import kernel
from orbitcert.reference_impl.optical import kernels
from orbitcert.reference_impl.optical.parameters import CodingError, CodingParameters, default_parameters
from orbitcert.reference_impl.optical.reed_solomon import ReedSolomonCode, code_for

ALL_DEPTHS = tuple(range(1, 256))
PARAMS = dataclasses.replace(default_parameters(), interleaving_depths=ALL_DEPTHS)
CODE = code_for(PARAMS)
MARKER = PARAMS.attached_sync_marker
COMPILED = [v for v in kernels.variants() if v != "numpy"]
needs_compiled = pytest.mark.skipif(not COMPILED, reason="compiled kernels not built")


def other_params(E: int, fcr: int, gexp: int, representation: str) -> CodingParameters:  # noqa: N803
    return dataclasses.replace(
        PARAMS,
        error_correction_capability=E,
        message_length=255 - 2 * E,
        first_consecutive_root=fcr,
        generator_exponent=gexp,
        symbol_representation=representation,  # type: ignore[arg-type]
    )


PARAMETER_SETS = {
    "ccsds": PARAMS,
    "E8-fcr0-g1-conv": other_params(8, 0, 1, "conventional"),
    "E1-fcr254-g7": other_params(1, 254, 7, "dual-basis"),
    "E15-fcr3-g13-conv": other_params(15, 3, 13, "conventional"),
}


@pytest.fixture(params=COMPILED or [pytest.param("none", marks=pytest.mark.skip(reason="compiled kernels not built"))])
def compiled(request: pytest.FixtureRequest) -> Iterator[str]:
    with kernel(request.param):
        yield request.param


def model_parity(code: ReedSolomonCode, info: np.ndarray, depth: int) -> np.ndarray:
    with kernel("numpy"):
        return kernels.parity(code, info, depth)


def run_decode(
    code: ReedSolomonCode, buf: np.ndarray, offsets: np.ndarray, length: int, depth: int, seq: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    count = offsets.size
    frames = np.empty((count, length), dtype=np.uint8)
    corrected = np.empty((count, depth), dtype=np.int64)
    bad = np.empty(count, dtype=bool)
    kernels.decode_codeblocks(code, buf, offsets, length, depth, seq, frames, corrected, bad)
    return frames, corrected, bad


def decode_blocks(code: ReedSolomonCode, blocks: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    count, width = blocks.shape
    length = width - code.nroots * depth
    offsets = np.arange(count, dtype=np.int64) * width
    return run_decode(code, np.ascontiguousarray(blocks).reshape(-1), offsets, length, depth)


def assert_same(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> None:
    for x, y, name in zip(a, b, ("frames", "corrected", "uncorrectable")):
        assert np.array_equal(x, y), name


# ---- guard pages -----------------------------------------------------------------------------------------

PAGE = mmap.PAGESIZE


def guarded(nbytes: int, *, at_end: bool) -> np.ndarray:
    """A writable uint8 array of ``nbytes`` whose last octet (``at_end``) or first octet touches a
    PROT_NONE page: any access past it faults (masked AVX-512 loads included)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    pages = (nbytes + PAGE - 1) // PAGE + 2
    region = mmap.mmap(-1, pages * PAGE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(region))
    if libc.mprotect(base, PAGE, 0) or libc.mprotect(base + (pages - 1) * PAGE, PAGE, 0):
        pytest.skip("mprotect unavailable")
    start = (pages - 1) * PAGE - nbytes if at_end else PAGE
    return np.frombuffer(region, dtype=np.uint8, count=nbytes, offset=start)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="guard pages via mprotect (Linux)")
@pytest.mark.parametrize("at_end", [True, False], ids=["end-at-guard", "start-at-guard"])
def test_exact_size_buffers_next_to_guard_pages(compiled: str, at_end: bool) -> None:
    """Held: every kernel reads and writes only inside exact-size inputs and outputs placed against
    an inaccessible page (parity, decode incl. the error path, encode, marker search). The arrays
    keep their mapping alive (np.frombuffer holds it)."""
    rng = np.random.default_rng(101)
    for depth in (1, 2, 3, 5, 7, 8, 9):
        for kp in (1, 3, 8, 9, 17, 222, 223):
            count = 3 if kp < 200 else 2
            length, block = kp * depth, (kp + 32) * depth
            info = guarded(count * length, at_end=at_end).reshape(count, length)
            info[...] = rng.integers(0, 256, info.shape, dtype=np.uint8)
            info.setflags(write=False)
            check = kernels.parity(CODE, info, depth)
            assert np.array_equal(check, model_parity(CODE, info, depth)), (depth, kp)
            buf = guarded(count * block, at_end=at_end)
            blocks = buf.reshape(count, block)
            blocks[:, :length], blocks[:, length:] = info, check
            blocks[0, 0] ^= 0x5A  # one dirty codeword: the error path runs too
            blocks[-1, -1] ^= 0x01  # the very last octet of the buffer
            offsets = guarded(8 * count, at_end=at_end).view(np.int64)
            offsets[:] = np.arange(count) * block
            frames = guarded(count * length, at_end=at_end).reshape(count, length)
            corrected = guarded(8 * count * depth, at_end=at_end).view(np.int64).reshape(count, depth)
            flags = guarded(count, at_end=at_end).view(np.bool_)
            seq = guarded(block, at_end=at_end)
            seq[...] = 0
            kernels.decode_codeblocks(CODE, buf, offsets, length, depth, seq, frames, corrected, flags)
            assert np.array_equal(frames, info) and not flags.any(), (depth, kp)
            out = guarded(count * (len(MARKER) + block), at_end=at_end).reshape(count, -1)
            kernels.encode_cadus_into(CODE, info, depth, MARKER, seq, out)
            assert np.array_equal(out[:, len(MARKER) + length :], check)
    hay = guarded(64, at_end=at_end)
    hay[...] = 7
    hay[-4:] = np.frombuffer(MARKER, np.uint8)
    assert kernels.find_marker(hay, 0, 64, MARKER) == 60
    assert kernels.find_marker(hay, 0, 63, MARKER) == -1
    positions = guarded(16, at_end=at_end).view(np.int64)
    positions[:] = [60, 0]
    assert kernels.marker_distances(hay, positions, MARKER)[0] == 0


# ---- the decoding-sphere boundary, by construction ----------------------------------------------------------


def boundary_case(
    code: ReedSolomonCode, rng: np.random.Generator, kp: int, case: str
) -> tuple[np.ndarray, np.ndarray | None, int]:
    """One received codeword (kp + 2E symbols, codeword order) at the exact boundary of the
    decoding sphere, and the truth: (received, expected codeword or None if uncorrectable, count).

    C1 = (unit info symbol at full-length position j, its 2E check symbols) has weight 2E+1 (MDS:
    all its check symbols are nonzero). With B a random codeword of the shortened code:
    * "E": B + E symbols of C1's support -> decodes to B, E corrections;
    * "E+1": B + E+1 symbols of C1's support (j transmitted) -> decodes to B + C1, E corrections;
    * "fill-E+1": j in the virtual fill, B + E+1 of C1's check symbols: at distance E from the
      full-length codeword B + C1 whose nonzero fill symbol is never transmitted -> uncorrectable
      (a degree-E locator with a root outside the transmitted range).
    """
    E, nroots, k = code.E, code.nroots, code.k
    fill = k - kp
    if case == "fill-E+1":
        j = int(rng.integers(0, fill))
    else:
        j = int(rng.integers(fill, k))
    unit = np.zeros((1, k), dtype=np.uint8)
    unit[0, j] = int(rng.integers(1, 256))
    c1_check = model_parity(code, unit, 1)[0]
    c1 = np.concatenate([unit[0, fill:], c1_check])  # transmitted part of C1
    support = np.flatnonzero(c1)
    assert support.size == (nroots if j < fill else nroots + 1)
    base_info = rng.integers(0, 256, (1, kp), dtype=np.uint8)
    base = np.concatenate([base_info[0], model_parity(code, base_info, 1)[0]])
    pattern = np.zeros_like(c1)
    take = rng.choice(support, E if case == "E" else E + 1, replace=False)
    pattern[take] = c1[take]
    received = base ^ pattern
    if case == "E":
        return received, base, E
    if case == "E+1":
        return received, base ^ c1, E
    return received, None, -1


def interleave(codewords: np.ndarray, kp: int, depth: int) -> np.ndarray:
    """(N, I, kp + 2E) codewords -> (N, (kp + 2E) * I) codeblocks (symbol j of codeword c at j*I + c)."""
    count = codewords.shape[0]
    info = codewords[:, :, :kp].transpose(0, 2, 1).reshape(count, -1)
    check = codewords[:, :, kp:].transpose(0, 2, 1).reshape(count, -1)
    return np.concatenate([info, check], axis=1)


def boundary_blocks(
    code: ReedSolomonCode, rng: np.random.Generator, kp: int, depth: int, count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    cases = ["E", "E+1"] + (["fill-E+1"] if kp < code.k else [])
    words = np.empty((count, depth, kp + code.nroots), dtype=np.uint8)
    truth = np.empty_like(words)
    counts = np.empty((count, depth), dtype=np.int64)
    for r in range(count):
        for w in range(depth):
            received, expected, fixed = boundary_case(code, rng, kp, cases[int(rng.integers(len(cases)))])
            words[r, w] = received
            truth[r, w] = received if expected is None else expected
            counts[r, w] = fixed
    bad = (counts < 0).any(axis=1)
    frames = np.where(bad[:, None], interleave(words, kp, depth), interleave(truth, kp, depth))[:, : kp * depth]
    return interleave(words, kp, depth), frames, counts, bad


@pytest.mark.parametrize("name", list(PARAMETER_SETS))
def test_decoding_sphere_boundary_every_depth(compiled: str, name: str) -> None:
    """Held: codewords at distance exactly E and E+1 from a codeword, and degree-E locators with a
    root in the virtual fill, decode as the construction says and exactly as the numpy model does,
    at depths 1..8 (GFNI/AVX2 paths) and 9, 16 (portable fallback), full length and shortened."""
    params = PARAMETER_SETS[name]
    code = code_for(params)
    rng = np.random.default_rng(202)
    for depth in (1, 2, 3, 4, 5, 6, 7, 8, 9, 16):
        for kp in (code.k, 9):
            blocks, frames, counts, bad = boundary_blocks(code, rng, kp, depth, 2)
            ours = decode_blocks(code, blocks, depth)
            assert_same(ours, (frames, counts, bad))
            with kernel("numpy"):
                assert_same(decode_blocks(code, blocks, depth), ours)


def test_degenerate_codeblocks_equal_numpy_model(compiled: str) -> None:
    """Held: all-zero, all-0xFF, alternating and every-symbol-wrong codeblocks (clean, dirty beyond
    E, every codeword uncorrectable) give the numpy model's results, at every depth 1..8, 9, 255."""
    rng = np.random.default_rng(303)
    for depth in (1, 2, 3, 4, 5, 6, 7, 8, 9, 255):
        kp = CODE.k if depth <= 9 else 1
        block = (kp + 32) * depth
        rows = [np.zeros(block, np.uint8), np.full(block, 0xFF, np.uint8), np.resize(np.array([0x55, 0xAA], np.uint8), block)]
        info = rng.integers(0, 256, (1, kp * depth), dtype=np.uint8)
        good = np.concatenate([info[0], model_parity(CODE, info, depth)[0]])
        rows += [good, good ^ 0xFF, good ^ rng.integers(1, 256, block, dtype=np.uint8)]
        blocks = np.stack(rows)
        ours = decode_blocks(CODE, blocks, depth)
        with kernel("numpy"):
            assert_same(decode_blocks(CODE, blocks, depth), ours)
        assert not ours[2][0]  # all-zero is a codeword


# ---- argument extremes ------------------------------------------------------------------------------------


def test_offset_and_position_extremes_are_coding_errors(compiled: str) -> None:
    """Held: offsets/positions near 2**63, negative, uint64 beyond int63, one past the last fit,
    and other dtypes are refused (CodingError) before anything is written, or converted."""
    depth, length = 1, 223
    block = length + 32
    buf = np.zeros(2 * block, np.uint8)
    for bad in ([2**63 - 1], [-(2**63)], [-1], [block + 1], [0, block + 1]):
        frames = np.full((len(bad), length), 0xEE, np.uint8)
        with pytest.raises(CodingError, match="offsets"):
            kernels.decode_codeblocks(
                CODE, buf, np.array(bad, np.int64), length, depth, None, frames,
                np.empty((len(bad), depth), np.int64), np.empty(len(bad), bool),
            )
        assert (frames == 0xEE).all()
    with pytest.raises(CodingError):
        run_decode(CODE, buf, np.array([2**64 - 1], np.uint64), length, depth)
    with pytest.raises(CodingError):
        run_decode(CODE, buf, np.array([0.0]), length, depth)  # type: ignore[arg-type]
    with pytest.raises(CodingError):
        run_decode(CODE, buf, np.array([True]), length, depth)  # type: ignore[arg-type]
    for dtype in (np.int16, np.uint16, np.int32, np.uint64):
        assert run_decode(CODE, buf, np.array([0, block], dtype), length, depth)[2].tolist() == [False, False]
    assert run_decode(CODE, buf[:0], np.zeros(0, np.int64), length, depth)[0].shape == (0, length)
    hay = np.zeros(10, np.uint8)
    for bad in ([2**63 - 1], [-(2**63)], [7], [2**64 - 1]):
        with pytest.raises(CodingError, match="positions"):
            kernels.marker_distances(hay, np.array(bad, np.uint64 if bad[0] >= 2**63 else np.int64), MARKER)
    assert kernels.marker_distances(hay, np.array([6], np.int8), MARKER).tolist() == [sum(bin(b).count("1") for b in MARKER)]
    for start, stop in ((2**62, -(2**62)), (-(2**62), 2**62), (11, 10**18), (-5, 3)):
        assert kernels.find_marker(hay, start, stop, MARKER) == -1


def test_zero_length_strided_and_readonly_arguments(compiled: str) -> None:
    """Held: zero rows everywhere, strided (non-contiguous) and read-only inputs give the numpy
    model's results; read-only or non-C-contiguous outputs are refused with CodingError."""
    rng = np.random.default_rng(606)
    depth, kp = 3, 50
    length, block = kp * depth, (kp + 32) * depth
    assert kernels.parity(CODE, np.zeros((0, length), np.uint8), depth).shape == (0, 32 * depth)
    kernels.encode_cadus_into(CODE, np.zeros((0, length), np.uint8), depth, MARKER, None, np.zeros((0, 4 + block), np.uint8))
    assert kernels.find_marker(np.zeros(0, np.uint8), 0, 0, MARKER) == -1
    assert kernels.marker_distances(np.zeros(0, np.uint8), np.zeros(0, np.int64), MARKER).size == 0
    info = rng.integers(0, 256, (6, 2 * length), dtype=np.uint8)[:, ::2]  # strided rows
    blocks = np.concatenate([info, model_parity(CODE, info, depth)], axis=1)
    blocks[1, 7] ^= 3
    wide = np.zeros(2 * blocks.size, np.uint8)
    wide[::2] = blocks.reshape(-1)
    buf, offsets = wide[::2], np.repeat(np.arange(6, dtype=np.int64) * block, 2)[::2]  # strided buffer and offsets
    buf.setflags(write=False)
    offsets.setflags(write=False)
    ours = run_decode(CODE, buf, offsets, length, depth)
    with kernel("numpy"):
        assert_same(run_decode(CODE, buf, offsets, length, depth), ours)
    assert np.array_equal(ours[0], info) and ours[1][1].tolist() == [0, 1, 0] and not ours[1][[0, 2, 3, 4, 5]].any()
    for bad_out in (np.empty((6, length), np.uint8, order="F"), np.empty((6, length), np.uint8)):
        bad_out.setflags(write=bad_out.flags.f_contiguous)
        with pytest.raises(CodingError, match="frames_out"):
            kernels.decode_codeblocks(
                CODE, buf, offsets, length, depth, None, bad_out, np.empty((6, depth), np.int64), np.empty(6, bool)
            )


# ---- threads and dispatch ---------------------------------------------------------------------------------


@needs_compiled
def test_use_while_other_threads_decode() -> None:
    """Held: switching kernels (use(), process-wide) while other threads decode with the GIL
    released never changes any result (each call reads the variant once, under the GIL)."""
    rng = np.random.default_rng(404)
    depth, count = 5, 64
    info = rng.integers(0, 256, (count, CODE.k * depth), dtype=np.uint8)
    blocks = np.concatenate([info, model_parity(CODE, info, depth)], axis=1)
    noisy = blocks.copy()
    noisy[::3, rng.integers(0, blocks.shape[1], 40)] ^= 0x21
    with kernel("numpy"):
        expected = decode_blocks(CODE, noisy, depth)
    failures: list[str] = []
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            got = decode_blocks(CODE, noisy, depth)
            if not all(np.array_equal(a, b) for a, b in zip(got, expected)):
                failures.append(kernels.active())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    with kernel(kernels.active()):
        for t in threads:
            t.start()
        try:
            for i in range(60):
                kernels.use(kernels.variants()[i % len(kernels.variants())])
        finally:
            stop.set()
            for t in threads:
                t.join()
    assert not failures


_OBJDUMP = shutil.which("objdump")


@needs_compiled
@pytest.mark.skipif(_OBJDUMP is None or not sys.platform.startswith("linux"), reason="objdump (binutils) missing")
def test_each_variant_uses_only_the_instructions_it_checks() -> None:
    """Held: in the built extension, the portable code (and the glue, the error path) has no VEX
    instruction; parity_avx2 no EVEX (AVX-512); parity_gfni only AVX-512 F/BW/VL, VBMI (vpermb) and
    GFNI, the features PyInit__kernels checks (no DQ, no VPOPCNT, no BMI/POPCNT)."""
    so = kernels._ext.__file__
    dis = subprocess.run([_OBJDUMP, "-d", "--no-show-raw-insn", so], capture_output=True, text=True, check=True).stdout
    funcs: dict[str, list[str]] = {}
    current = None
    for line in dis.splitlines():
        head = re.match(r"^[0-9a-f]+ <(.+)>:", line)
        if head:
            current = head.group(1)
            funcs[current] = []
        elif current and "\t" in line:
            funcs[current].append(line.split("\t")[-1].strip())
    if "parity_gfni" not in funcs:
        pytest.skip("extension stripped of local symbols")
    bmi = {"andn", "shlx", "shrx", "sarx", "rorx", "blsr", "blsi", "blsmsk", "bzhi", "pdep", "pext", "mulx"}
    unchecked = {"popcnt", "lzcnt", "tzcnt", *bmi}
    for name, ins in funcs.items():
        ops = [i.split()[0] for i in ins if i]
        assert not unchecked & set(ops), (name, unchecked & set(ops))
        if name.startswith(("parity_portable", "py_", "get_code", "correct_codeword", "PyInit")):
            assert not [i for i in ins if i.startswith("v") or "ymm" in i or "zmm" in i], name
    avx2 = funcs["parity_avx2"]
    assert not [i for i in avx2 if "zmm" in i or re.search(r"%k[0-7]|\{", i)]
    gfni_ops = {i.split()[0] for i in funcs["parity_gfni"] if i}
    assert not {op for op in gfni_ops if re.match(r"v(pmovm2|pmov[bwdq]2m|.*64x2|pmullq|fpclass|range|reduce|popcnt|pshld|pshrd|compress|expand|pdpb|dpw)", op)}
    assert "vgf2p8affineqb" in gfni_ops and "vpermb" in gfni_ops


# ---- findings -------------------------------------------------------------------------------------------


@needs_compiled
def test_finding1_offsets_rewritten_during_decode_do_not_crash() -> None:
    script = textwrap.dedent(
        """
        import sys, threading, time
        import numpy as np
        from orbitcert.reference_impl.optical import kernels
        from orbitcert.reference_impl.optical.parameters import CodingError, default_parameters
        from orbitcert.reference_impl.optical.reed_solomon import code_for
        code = code_for(default_parameters())
        buf = np.zeros(33, np.uint8)            # one codeblock: L = 1, I = 1
        m = 400_000
        offsets = np.zeros(m, np.int64)         # int64 C-contiguous: kernels passes this very array to C
        out = np.empty((m, 1), np.uint8), np.empty((m, 1), np.int64), np.empty(m, bool)
        go = threading.Event()
        def mutate():
            go.wait()
            while True:
                offsets[-1] = 1 << 40           # only runs while decode has released the GIL
        sys.setswitchinterval(1e-6)
        threading.Thread(target=mutate, daemon=True).start()
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            offsets[-1] = 0
            go.set()
            try:
                kernels.decode_codeblocks(code, buf, offsets, 1, 1, None, *out)
            except CodingError:
                pass                            # the rewrite came before validation: fine
        print("survived")
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "survived" in proc.stdout, (proc.returncode, proc.stderr[-500:])


@needs_compiled
def test_finding2_overlapping_outputs_are_refused_or_handled(compiled: str) -> None:
    rng = np.random.default_rng(505)
    count, length = 50, CODE.k
    block = length + 32
    frames = rng.integers(0, 256, (count, length), dtype=np.uint8)
    capture = np.concatenate([frames, model_parity(CODE, frames, 1)], axis=1).reshape(-1)
    offsets = np.arange(count, dtype=np.int64) * block
    outcomes = []
    for name in ("numpy", compiled):
        with kernel(name):
            buf = capture.copy()
            out = buf[: count * length].reshape(count, length)  # decode in place over the capture
            try:
                corrected, bad = np.empty((count, 1), np.int64), np.empty(count, bool)
                kernels.decode_codeblocks(CODE, buf, offsets, length, 1, None, out, corrected, bad)
                outcomes.append(("ok", out.tobytes(), bad.tobytes()))
            except CodingError:
                outcomes.append(("refused", b"", b""))
    assert outcomes[0][0] == "refused" or outcomes[1] == outcomes[0]  # the numpy model decodes it correctly
    seq = rng.integers(0, 256, block, dtype=np.uint8)
    encoded = []
    for name in ("numpy", compiled):
        with kernel(name):
            cadu = np.zeros((1, len(MARKER) + block), np.uint8)
            cadu[0, len(MARKER) : len(MARKER) + length] = frames[0]
            try:  # frames given as a view of the output row (in place, N = 1: C-contiguous)
                kernels.encode_cadus_into(CODE, cadu[:, len(MARKER) : len(MARKER) + length], 1, MARKER, seq, cadu)
                encoded.append(cadu.tobytes())
            except CodingError:
                encoded.append(b"refused")
    assert encoded[1] in (b"refused", encoded[0])


class _Spy:
    """Stands in for kernels._ext: records whether every int64 array handed to C is aligned."""

    def __init__(self, ext: Any) -> None:
        self.ext, self.misaligned = ext, []

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.ext, name)

        def call(*args: Any) -> Any:
            for i, a in enumerate(args):
                if isinstance(a, np.ndarray) and a.dtype.itemsize > 1 and not a.flags.aligned:
                    self.misaligned.append((name, i))
            return target(*args)

        return call


@needs_compiled
def test_finding3_only_aligned_int64_arrays_reach_c(compiled: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _Spy(kernels._ext)
    monkeypatch.setattr(kernels, "_ext", spy)

    def misaligned(count: int) -> np.ndarray:
        return np.frombuffer(bytearray(8 * count + 1), dtype=np.int64, count=count, offset=1)

    count, length = 3, CODE.k
    buf = np.zeros(count * (length + 32), np.uint8)
    offsets = misaligned(count)
    offsets[:] = np.arange(count) * (length + 32)
    corrected = misaligned(count).reshape(count, 1)
    with contextlib.suppress(CodingError):  # refusing a misaligned output is a fix too
        kernels.decode_codeblocks(
            CODE, buf, offsets, length, 1, None, np.empty((count, length), np.uint8), corrected, np.empty(count, bool)
        )
    positions = misaligned(2)
    positions[:] = [0, 1]
    kernels.marker_distances(buf, positions, MARKER)
    assert not spy.misaligned


@needs_compiled
def test_finding4_find_marker_extreme_bounds_stay_in_the_buffer() -> None:
    # A bytes object's buffer is followed by its terminating NUL: finding b"\0" at 6 proves the read
    # went past the 6 octets (further markers would read on, up to a fault).
    assert kernels._ext.find_marker(b"abcdef", 1, -(2**63), b"\0") == -1

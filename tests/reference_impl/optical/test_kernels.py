"""Coding kernels (:mod:`orbitcert.reference_impl.optical.kernels`, CCSDS 131.0-B-3 sections 4, 9, 10).

Every available kernel (the compiled variants this CPU runs and numpy) is checked against independent
oracles:

* the numpy model (``rs_encode_batch``, ``rs_decode_batch``, ``encode_cadus``) for the compiled
  variants (block-level semantics: uncorrectable codeblocks, per-codeword counts);
* galois' ``ReedSolomon`` (conventional basis, the Annex F dual basis derived here from the field
  trace) and Debian's libfec (``encode_rs_ccsds`` / ``decode_rs_ccsds`` through ctypes, pad = virtual
  fill), codeword by codeword, for every variant;
* brute-force Python loops for the marker search.
"""

from __future__ import annotations

import contextlib

import dataclasses
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coding_oracles import kernel
from orbitcert.reference_impl.optical import cadu, kernels
from orbitcert.reference_impl.optical.parameters import CodingError, default_parameters
from orbitcert.reference_impl.optical.randomizer import randomizer_for
from orbitcert.reference_impl.optical.reed_solomon import code_for
from orbitcert.reference_impl.optical.reed_solomon import rs_decode_batch as _rs_decode_batch
from orbitcert.reference_impl.optical.reed_solomon import rs_encode_batch as _rs_encode_batch

import libfec  # noqa: E402 - the sibling ctypes wrapper (tests/reference_impl/optical/libfec.py)

PARAMS = dataclasses.replace(default_parameters(), interleaving_depths=tuple(range(1, 9)))
CODE = code_for(PARAMS)
NROOTS = 32
MARKER = PARAMS.attached_sync_marker


def numpy_model() -> contextlib.AbstractContextManager[None]:
    """Run the public batch functions on the numpy model whatever kernel a test selected: they
    dispatch to the active kernel, and the oracle must not be the code under test."""
    return kernel("numpy")


def model_encode(frames: np.ndarray, depth: int, **kwargs: Any) -> np.ndarray:
    with numpy_model():
        return _rs_encode_batch(frames, depth, **kwargs)


def model_decode(blocks: np.ndarray, depth: int, **kwargs: Any) -> Any:
    with numpy_model():
        return _rs_decode_batch(blocks, depth, **kwargs)


def model_encode_cadus(frames: Any, depth: int, randomize: bool = True, **kwargs: Any) -> bytes:
    with numpy_model():
        return cadu.encode_cadus(frames, depth, randomize, **kwargs)

VARIANTS = kernels.variants()
COMPILED = [v for v in VARIANTS if v != "numpy"]


@pytest.fixture(params=VARIANTS)
def variant(request: pytest.FixtureRequest) -> Iterator[str]:
    before = kernels.active()
    kernels.use(request.param)
    yield request.param
    kernels.use(before)


@pytest.fixture(params=COMPILED or [pytest.param("none", marks=pytest.mark.skip(reason="compiled kernels not built"))])
def compiled(request: pytest.FixtureRequest) -> Iterator[str]:
    before = kernels.active()
    kernels.use(request.param)
    yield request.param
    kernels.use(before)


@pytest.fixture()
def fec() -> Any:
    if not libfec.available():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs libfec (.ci/run installs libfec0): {libfec.why_unavailable()}")
        pytest.skip(f"libfec oracle unavailable: {libfec.why_unavailable()}")
    return libfec


# ---- helpers ----------------------------------------------------------------------------------------


def codewords_of(blocks: np.ndarray, depth: int) -> np.ndarray:
    """(N, n'*I) interleaved codeblocks (or information parts) -> (N*I, n') codewords."""
    count, width = blocks.shape
    return blocks.reshape(count, width // depth, depth).transpose(0, 2, 1).reshape(count * depth, width // depth)


def interleave(codewords: np.ndarray, depth: int) -> np.ndarray:
    """(N*I, n') codewords -> (N, n'*I) codeblocks."""
    total, width = codewords.shape
    return codewords.reshape(total // depth, depth, width).transpose(0, 2, 1).reshape(total // depth, depth * width)


class Galois:
    """galois.ReedSolomon of 131.0-B-3 section 4 in the conventional basis, with Annex F conversion."""

    def __init__(self) -> None:
        import galois

        self.field = galois.GF(2**8, irreducible_poly=0x187)
        self.code = galois.ReedSolomon(255, 223, field=self.field, alpha=self.field(2) ** 11, c=112)
        beta = self.field(2) ** 117
        elements = self.field(np.arange(256))
        to_dual = np.zeros(256, dtype=np.int64)
        for j in range(8):
            to_dual |= np.asarray((elements * beta**j).field_trace(), dtype=np.int64) << (7 - j)
        self.to_dual = to_dual.astype(np.uint8)
        self.to_conv = np.zeros(256, dtype=np.uint8)
        self.to_conv[self.to_dual] = np.arange(256, dtype=np.uint8)

    def parity(self, messages: np.ndarray) -> np.ndarray:
        coded = np.asarray(self.code.encode(self.field(self.to_conv[messages])))
        return self.to_dual[coded[:, messages.shape[1] :]]

    def decode(self, codewords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out, counts = self.code.decode(self.field(self.to_conv[codewords]), output="codeword", errors=True)
        return self.to_dual[np.asarray(out)], np.asarray(counts, dtype=np.int64)


@pytest.fixture(scope="module")
def gal() -> Galois:
    pytest.importorskip("galois", reason="galois oracle not installed (pip install -e '.[test]')")
    return Galois()


def damage(
    rng: np.random.Generator, codewords: np.ndarray, counts: np.ndarray, *, parity_only: bool = False
) -> np.ndarray:
    """Codewords with counts[i] symbol errors (distinct positions, nonzero values) in row i."""
    out = codewords.copy()
    width = out.shape[1]
    for row, count in enumerate(counts.tolist()):
        if count:
            lo = width - NROOTS if parity_only else 0
            pos = lo + rng.choice(width - lo, min(count, width - lo), replace=False)
            out[row, pos] ^= rng.integers(1, 256, pos.size, dtype=np.uint8)
    return out


def decode_with_kernels(
    blocks: np.ndarray, length: int, depth: int, sequence: np.ndarray | None, *, shift: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run decode_codeblocks on codeblocks laid out in one capture buffer, the buffer itself starting
    at an address offset ``shift`` and the codeblocks separated by 4-octet gaps."""
    count, block = blocks.shape
    gap = 4
    backing = np.zeros(shift + count * (block + gap) + gap, dtype=np.uint8)
    buf = backing[shift:]
    offsets = gap + np.arange(count, dtype=np.int64) * (block + gap)
    sent = blocks ^ sequence if sequence is not None else blocks
    for i in range(count):
        buf[offsets[i] : offsets[i] + block] = sent[i]
    frames = np.empty((count, length), dtype=np.uint8)
    corrected = np.empty((count, depth), dtype=np.int64)
    bad = np.empty(count, dtype=bool)
    kernels.decode_codeblocks(CODE, buf, offsets, length, depth, sequence, frames, corrected, bad)
    return frames, corrected, bad


def check_against_oracle(
    oracle_out: np.ndarray, oracle_counts: np.ndarray, received: np.ndarray, ours: np.ndarray, counts: np.ndarray, fec: Any = None
) -> None:
    """Codeword-level agreement of our decoding with an independent decoder.

    Where we correct, the oracle corrects the same symbols to the same codeword. Where we refuse
    (-1), the oracle refuses too or returns a word that is not a codeword (libfec and galois do not
    re-check; libfec ignores a root in the virtual fill)."""
    kp = received.shape[1] - NROOTS
    for i in range(received.shape[0]):
        if counts[i] >= 0:
            assert oracle_counts[i] == counts[i], (i, oracle_counts[i], counts[i])
            assert np.array_equal(oracle_out[i], ours[i]), i
        elif oracle_counts[i] >= 0:
            word = oracle_out[i]
            assert not np.array_equal(model_encode(word[None, :kp], 1, params=PARAMS)[0, kp:], word[kp:]), i


# ---- parity -------------------------------------------------------------------------------------------


KP_CASES = (1, 2, 7, 8, 9, 15, 17, 63, 64, 111, 200, 222, 223)


@pytest.mark.parametrize("depth", range(1, 9))
def test_parity_equals_numpy_model(compiled: str, depth: int) -> None:
    rng = np.random.default_rng(1000 + depth)
    for kp in KP_CASES:
        for count in (0, 1, 2, 3, 5, 9, 25):
            frames = rng.integers(0, 256, (count, kp * depth), dtype=np.uint8)
            expected = model_encode(frames, depth, params=PARAMS)[:, kp * depth :]
            got = kernels.parity(CODE, frames, depth)
            assert got.shape == (count, NROOTS * depth)
            assert np.array_equal(got, expected), (compiled, depth, kp, count)


@pytest.mark.slow  # galois compiles with numba (about 10 s)
@pytest.mark.parametrize("depth", [1, 3, 5, 8])
def test_parity_equals_galois(variant: str, gal: Galois, depth: int) -> None:
    rng = np.random.default_rng(2000 + depth)
    for kp in (1, 9, 100, 223):
        frames = rng.integers(0, 256, (6, kp * depth), dtype=np.uint8)
        got = kernels.parity(CODE, frames, depth)
        expected = interleave(gal.parity(codewords_of(frames, depth)), depth)
        assert np.array_equal(got, expected), (variant, depth, kp)


@pytest.mark.parametrize("depth", range(1, 9))
def test_parity_equals_libfec(variant: str, fec: Any, depth: int) -> None:
    rng = np.random.default_rng(3000 + depth)
    for kp in (1, 2, 31, 64, 157, 222, 223):
        frames = rng.integers(0, 256, (3, kp * depth), dtype=np.uint8)
        got = kernels.parity(CODE, frames, depth)
        expected = interleave(fec.encode_rows(codewords_of(frames, depth)), depth)
        assert np.array_equal(got, expected), (variant, depth, kp)


def test_parity_at_odd_alignments(variant: str, fec: Any) -> None:
    rng = np.random.default_rng(4)
    depth, kp, count = 5, 223, 3
    backing = rng.integers(0, 256, 64 + count * kp * depth, dtype=np.uint8)
    for shift in range(1, 64, 3):
        frames = backing[shift : shift + count * kp * depth].reshape(count, kp * depth)
        expected = interleave(fec.encode_rows(codewords_of(frames, depth)), depth)
        assert np.array_equal(kernels.parity(CODE, frames, depth), expected), shift


def test_parity_of_non_contiguous_rows(variant: str) -> None:
    rng = np.random.default_rng(5)
    wide = rng.integers(0, 256, (7, 2 * 1115), dtype=np.uint8)
    frames = wide[:, 3 : 3 + 1115]  # rows not contiguous
    expected = model_encode(np.ascontiguousarray(frames), 5, params=PARAMS)[:, 1115:]
    assert np.array_equal(kernels.parity(CODE, frames, 5), expected)


# ---- fused CADU encoding ------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1, 2, 4, 5, 8])
@pytest.mark.parametrize("randomize", [True, False])
def test_encode_cadus_into_equals_encode_cadus(variant: str, depth: int, randomize: bool) -> None:
    rng = np.random.default_rng(6000 + depth)
    for kp in (1, 13, 223):
        length = kp * depth
        for count in (0, 1, 4, 70):
            frames = rng.integers(0, 256, (count, length), dtype=np.uint8)
            block = length + NROOTS * depth
            out = np.full((count, len(MARKER) + block), 0xA5, dtype=np.uint8)
            sequence = randomizer_for(block, PARAMS) if randomize else None
            kernels.encode_cadus_into(CODE, frames, depth, MARKER, sequence, out)
            # the numpy model: encode_cadus, and independently the section 9/10 layout over libfec-free parity
            expected = model_encode_cadus([bytes(f) for f in frames], depth, randomize, params=PARAMS)
            assert out.tobytes() == expected, (variant, depth, kp, count)


def test_encode_cadus_into_custom_marker_and_misaligned_frames(variant: str, fec: Any) -> None:
    rng = np.random.default_rng(7)
    depth, kp, count = 3, 40, 5
    length, block = kp * depth, kp * depth + NROOTS * depth
    backing = rng.integers(0, 256, 1 + count * length, dtype=np.uint8)
    frames = backing[1:].reshape(count, length)
    marker = bytes(range(1, 9))
    sequence = rng.integers(0, 256, block + 10, dtype=np.uint8)  # longer than a codeblock: its head is used
    out = np.empty((count, len(marker) + block), dtype=np.uint8)
    kernels.encode_cadus_into(CODE, frames, depth, marker, sequence, out)
    parity = interleave(fec.encode_rows(codewords_of(frames, depth)), depth)
    expected = np.concatenate(
        [np.tile(np.frombuffer(marker, np.uint8), (count, 1)), np.concatenate([frames, parity], axis=1) ^ sequence[:block]],
        axis=1,
    )
    assert np.array_equal(out, expected)


# ---- decoding -------------------------------------------------------------------------------------------------


def error_counts(rng: np.random.Generator, total: int) -> np.ndarray:
    """Per-codeword error counts: clean, 1..16 (correctable), 17..40 (beyond E)."""
    choice = rng.integers(0, 4, total)
    return np.where(
        choice == 0, 0, np.where(choice == 1, rng.integers(1, 9, total), np.where(choice == 2, rng.integers(9, 17, total), rng.integers(17, 41, total)))
    )


@pytest.mark.parametrize("depth", range(1, 9))
def test_decode_equals_numpy_model(compiled: str, depth: int) -> None:
    rng = np.random.default_rng(8000 + depth)
    for kp in (1, 5, 8, 33, 223):
        for count in (0, 1, 6, 40):
            length = kp * depth
            frames = rng.integers(0, 256, (count, length), dtype=np.uint8)
            blocks = model_encode(frames, depth, params=PARAMS)
            cws = damage(rng, codewords_of(blocks, depth), error_counts(rng, count * depth))
            received = interleave(cws, depth) if count else blocks
            expected = model_decode(received, depth, params=PARAMS)
            for sequence in (randomizer_for(received.shape[1], PARAMS), None):
                got, corrected, bad = decode_with_kernels(received, length, depth, sequence, shift=int(rng.integers(0, 64)))
                assert np.array_equal(corrected, expected.corrected), (compiled, depth, kp, count)
                assert np.array_equal(bad, expected.uncorrectable)
                assert np.array_equal(got, expected.data)


def fec_decode(fec: Any, received: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out = np.empty_like(received)
    counts = np.empty(received.shape[0], dtype=np.int64)
    for i, word in enumerate(received):
        fixed, counts[i] = fec.decode(word.tobytes())
        out[i] = np.frombuffer(fixed, dtype=np.uint8)
    return out, counts


def decode_against_oracles(depth: int, kps: tuple[int, ...], oracle: Any) -> None:
    """Every variant against a codeword-level oracle decoder (run once per batch)."""
    rng = np.random.default_rng(9000 + depth)
    for kp in kps:
        count = 12
        length = kp * depth
        frames = rng.integers(0, 256, (count, length), dtype=np.uint8)
        clean = codewords_of(model_encode(frames, depth, params=PARAMS), depth)
        received = damage(rng, clean, error_counts(rng, count * depth))
        oracle_out, oracle_counts = oracle(received)
        sequence = randomizer_for(length + NROOTS * depth, PARAMS)
        before = kernels.active()
        try:
            for name in VARIANTS:
                kernels.use(name)
                got, corrected, bad = decode_with_kernels(interleave(received, depth), length, depth, sequence)
                check_decoding(name, kp, depth, clean, received, got, corrected, bad, oracle_out, oracle_counts)
        finally:
            kernels.use(before)


@pytest.mark.parametrize("depth", range(1, 9))
def test_decode_equals_libfec(fec: Any, depth: int) -> None:
    decode_against_oracles(depth, (3, 77, 223), lambda received: fec_decode(fec, received))


@pytest.mark.slow  # galois compiles its decoder with numba: about 20 s before the first result
@pytest.mark.parametrize("depth", [1, 2, 5, 8])
def test_decode_equals_galois(gal: Galois, depth: int) -> None:
    decode_against_oracles(depth, (3, 77, 223), gal.decode)


def check_decoding(
    name: str,
    kp: int,
    depth: int,
    clean: np.ndarray,
    received: np.ndarray,
    got: np.ndarray,
    corrected: np.ndarray,
    bad: np.ndarray,
    oracle_out: np.ndarray,
    oracle_counts: np.ndarray,
) -> None:
    counts = corrected.reshape(-1)
    # our corrected codewords (information part from the kernel; check symbols: the sent ones
    # where the codeword was corrected, the received ones otherwise)
    ours = np.concatenate([codewords_of(got, depth), received[:, kp:]], axis=1)
    ours[counts >= 0, kp:] = clean[counts >= 0, kp:]
    # rows with an uncorrectable codeword keep received information symbols
    row_bad = np.repeat(bad, depth)
    assert np.array_equal(ours[row_bad, :kp], received[row_bad, :kp]), name
    fixed = ~row_bad & (counts >= 0)
    assert np.array_equal(ours[fixed], clean[fixed]), name  # all corrections here are true corrections
    ok = ~row_bad
    check_against_oracle(oracle_out[ok], oracle_counts[ok], received[ok], ours[ok], counts[ok])
    # in an uncorrectable row, each codeword's count still agrees with the oracle
    for i in np.flatnonzero(row_bad):
        if counts[i] >= 0:
            assert oracle_counts[i] == counts[i], (name, i)
        else:
            assert oracle_counts[i] < 0 or not np.array_equal(oracle_out[i], clean[i]), (name, i)


def test_decode_errors_in_check_symbols_only(variant: str, fec: Any) -> None:
    rng = np.random.default_rng(10)
    depth, kp, count = 4, 223, 8
    frames = rng.integers(0, 256, (count, kp * depth), dtype=np.uint8)
    clean = codewords_of(model_encode(frames, depth, params=PARAMS), depth)
    counts = np.arange(count * depth) % 17
    received = damage(rng, clean, counts, parity_only=True)
    got, corrected, bad = decode_with_kernels(interleave(received, depth), kp * depth, depth, None)
    assert np.array_equal(got, frames) and not bad.any()
    assert np.array_equal(corrected.reshape(-1), counts)
    assert [fec.decode(w.tobytes())[1] for w in received] == counts.tolist()


def fill_root_words() -> np.ndarray:
    """Shortened codewords (k' = 40) whose nearest full-length codeword has nonzero virtual fill."""
    rng = np.random.default_rng(11)
    kp = 40
    rows = []
    for fill_errors, errors in ((1, 0), (1, 3), (2, 10), (4, 12), (1, 15)):
        message = np.zeros((1, 223), dtype=np.uint8)
        message[0, 223 - kp :] = rng.integers(0, 256, kp, dtype=np.uint8)
        fill = rng.choice(223 - kp, fill_errors, replace=False)
        message[0, fill] = rng.integers(1, 256, fill_errors, dtype=np.uint8)
        full = model_encode(message, 1, params=PARAMS)[0]
        word = damage(rng, full[None, 223 - kp :], np.array([errors]))[0]
        rows.append(word)
    return np.array(rows)


def test_decode_root_in_virtual_fill_is_uncorrectable(variant: str, fec: Any) -> None:
    """The locator's roots in the virtual fill are not searched, so such a codeword is uncorrectable
    (131.0-B-3 section 4 virtual fill); libfec skips roots in its pad and returns a non-codeword."""
    received = fill_root_words()
    kp, depth = 40, 1
    got, corrected, bad = decode_with_kernels(received, kp, depth, None)
    assert bad.all() and (corrected == -1).all()
    assert np.array_equal(got, received[:, :kp])
    for word in received:  # libfec skips roots in the pad: it returns a word that is no codeword
        out, count = fec.decode(word.tobytes())
        fixed = np.frombuffer(out, dtype=np.uint8)
        assert count < 0 or not np.array_equal(fec.encode_rows(fixed[None, :kp])[0], fixed[kp:])


@pytest.mark.slow  # galois compiles with numba
def test_galois_refuses_roots_in_virtual_fill(gal: Galois) -> None:
    received, kp = fill_root_words(), 40
    gal_out, gal_counts = gal.decode(received)
    for out, count in zip(gal_out, gal_counts):
        assert count < 0 or not np.array_equal(gal.parity(out[None, :kp])[0], out[kp:])


def test_decode_uncorrectable_codeword_keeps_the_codeblock(variant: str) -> None:
    rng = np.random.default_rng(12)
    depth, kp = 5, 223
    frames = rng.integers(0, 256, (3, kp * depth), dtype=np.uint8)
    clean = codewords_of(model_encode(frames, depth, params=PARAMS), depth)
    counts = np.array([0, 3, 0, 0, 0, 2, 60, 16, 0, 1, 0, 0, 0, 0, 0])
    received = damage(rng, clean, counts)
    blocks = interleave(received, depth)
    got, corrected, bad = decode_with_kernels(blocks, kp * depth, depth, None)
    assert bad.tolist() == [False, True, False]
    assert corrected.tolist() == [[0, 3, 0, 0, 0], [2, -1, 16, 0, 1], [0, 0, 0, 0, 0]]
    assert np.array_equal(got[0], frames[0]) and np.array_equal(got[2], frames[2])
    assert np.array_equal(got[1], blocks[1, : kp * depth])  # received, no codeword of it corrected


def test_decode_offsets_are_validated(variant: str) -> None:
    depth, length = 2, 20
    block = length + NROOTS * depth
    buf = np.zeros(3 * block, dtype=np.uint8)
    frames = np.empty((3, length), dtype=np.uint8)
    corrected = np.empty((3, depth), dtype=np.int64)
    bad = np.empty(3, dtype=bool)
    for offsets, index in (([0, 2 * block + 1, 0], 1), ([-1, 0, 0], 0), ([0, 0, 3 * block], 2)):
        with pytest.raises(CodingError, match=rf"offsets\[{index}\]"):
            kernels.decode_codeblocks(CODE, buf, np.array(offsets, dtype=np.int64), length, depth, None, frames, corrected, bad)
    # overlapping and unordered offsets are fine
    kernels.decode_codeblocks(CODE, buf, np.array([2 * block, 1, 0], dtype=np.int64), length, depth, None, frames, corrected, bad)
    assert not frames.any() and not corrected.any() and not bad.any()


def test_bad_arguments_are_coding_errors(variant: str) -> None:
    frames = np.zeros((2, 10), dtype=np.uint8)
    with pytest.raises(CodingError, match="interleave"):
        kernels.parity(CODE, frames, 0)
    with pytest.raises(CodingError, match="multiple of the depth"):
        kernels.parity(CODE, frames, 3)
    with pytest.raises(CodingError, match="uint8"):
        kernels.parity(CODE, frames.astype(np.int64), 1)
    with pytest.raises(CodingError, match="out"):
        kernels.encode_cadus_into(CODE, frames, 1, MARKER, None, np.zeros((2, 10), np.uint8))
    with pytest.raises(CodingError, match="sequence"):
        kernels.encode_cadus_into(CODE, frames, 1, MARKER, np.zeros(5, np.uint8), np.zeros((2, 46), np.uint8))
    with pytest.raises(CodingError, match="code"):
        kernels.parity(None, frames, 1)  # type: ignore[arg-type]


@settings(max_examples=25)
@given(
    depth=st.integers(1, 8),
    kp=st.integers(1, 223),
    count=st.integers(0, 12),
    seed=st.integers(0, 2**32 - 1),
    randomized=st.booleans(),
)
def test_kernels_agree_with_numpy_model_property(depth: int, kp: int, count: int, seed: int, randomized: bool) -> None:
    rng = np.random.default_rng(seed)
    length = kp * depth
    frames = rng.integers(0, 256, (count, length), dtype=np.uint8)
    blocks = model_encode(frames, depth, params=PARAMS)
    received = interleave(damage(rng, codewords_of(blocks, depth), error_counts(rng, count * depth)), depth) if count else blocks
    expected = model_decode(received, depth, params=PARAMS)
    sequence = randomizer_for(received.shape[1], PARAMS) if randomized else None
    before = kernels.active()
    try:
        for name in COMPILED:
            kernels.use(name)
            assert np.array_equal(kernels.parity(CODE, frames, depth), blocks[:, length:])
            got, corrected, bad = decode_with_kernels(received, length, depth, sequence, shift=seed % 64)
            assert np.array_equal(corrected, expected.corrected) and np.array_equal(bad, expected.uncorrectable)
            assert np.array_equal(got, expected.data)
    finally:
        kernels.use(before)


@pytest.mark.parametrize(
    ("E", "fcr", "gexp"), [(8, 120, 11), (3, 5, 7), (16, 0, 1), (20, 112, 11)]  # 2E > 32: the numpy path serves it
)
def test_other_parameter_sets_equal_numpy_model(compiled: str, E: int, fcr: int, gexp: int) -> None:  # noqa: N803
    """The compiled kernels take every code of the spec's parameters (tables built from the model)."""
    params = dataclasses.replace(
        default_parameters(), error_correction_capability=E, message_length=255 - 2 * E,
        first_consecutive_root=fcr, generator_exponent=gexp, interleaving_depths=(1, 3, 5, 8),
    )
    code = code_for(params)
    rng = np.random.default_rng(E * 1000 + fcr)
    for depth in (1, 3, 5, 8):
        for kp in (1, 9, code.k):
            count = 9
            frames = rng.integers(0, 256, (count, kp * depth), dtype=np.uint8)
            blocks = model_encode(frames, depth, params=params)
            assert np.array_equal(kernels.parity(code, frames, depth), blocks[:, kp * depth :])
            damaged = blocks.copy()
            for row in range(count):
                errors = int(rng.integers(0, E + 3))
                pos = rng.choice(damaged.shape[1], errors, replace=False)
                damaged[row, pos] ^= rng.integers(1, 256, errors, dtype=np.uint8)
            expected = model_decode(damaged, depth, params=params)
            got = np.empty((count, kp * depth), np.uint8)
            corrected = np.empty((count, depth), np.int64)
            bad = np.empty(count, bool)
            offsets = np.arange(count, dtype=np.int64) * damaged.shape[1]
            kernels.decode_codeblocks(code, damaged.reshape(-1), offsets, kp * depth, depth, None, got, corrected, bad)
            assert np.array_equal(got, expected.data) and np.array_equal(corrected, expected.corrected)
            assert np.array_equal(bad, expected.uncorrectable)


# ---- marker search ----------------------------------------------------------------------------------------


def brute_find(buf: bytes, start: int, stop: int, marker: bytes) -> int:
    for o in range(max(0, start), min(len(buf), stop) - len(marker) + 1):
        if buf[o : o + len(marker)] == marker:
            return o
    return -1


def test_find_marker_equals_brute_force(variant: str) -> None:
    rng = np.random.default_rng(13)
    for trial in range(60):
        size = int(rng.integers(0, 300))
        data = rng.integers(0, 4, size, dtype=np.uint8)  # small alphabet: many partial matches
        marker = bytes(rng.integers(0, 4, int(rng.integers(1, 6)), dtype=np.uint8))
        shift = int(rng.integers(0, 64))
        backing = np.zeros(size + shift, dtype=np.uint8)
        buf = backing[shift:]
        buf[:] = data
        start, stop = int(rng.integers(-5, size + 5)), int(rng.integers(-5, size + 10))
        assert kernels.find_marker(buf, start, stop, marker) == brute_find(data.tobytes(), start, stop, marker), trial
    stream = np.frombuffer(model_encode_cadus([bytes(100)] * 3, 1, params=PARAMS), dtype=np.uint8)
    period = len(MARKER) + 100 + NROOTS
    assert kernels.find_marker(stream, 1, stream.size, MARKER) == period
    assert kernels.find_marker(stream, 0, len(MARKER) - 1, MARKER) == -1


def test_marker_distances_equal_brute_force(variant: str) -> None:
    rng = np.random.default_rng(14)
    data = rng.integers(0, 256, 500, dtype=np.uint8)
    for width in (1, 4, 8, 11):
        marker = bytes(rng.integers(0, 256, width, dtype=np.uint8))
        positions = rng.integers(0, data.size - width + 1, 50).astype(np.int64)
        expected = [sum(bin(data[p + j] ^ marker[j]).count("1") for j in range(width)) for p in positions.tolist()]
        assert kernels.marker_distances(data[1:], positions - (positions > 0), marker).tolist() == [
            sum(bin(data[1:][p + j] ^ marker[j]).count("1") for j in range(width))
            for p in (positions - (positions > 0)).tolist()
        ]
        assert kernels.marker_distances(data, positions, marker).tolist() == expected
    assert kernels.marker_distances(data, np.zeros(0, np.int64), b"\x1a").size == 0
    with pytest.raises(CodingError, match=r"positions\[1\]"):
        kernels.marker_distances(data, np.array([0, 497], dtype=np.int64), MARKER)
    with pytest.raises(CodingError, match=r"positions\[0\]"):
        kernels.marker_distances(data, np.array([-1], dtype=np.int64), MARKER)


# ---- selection -------------------------------------------------------------------------------------------------


def test_variants_and_use() -> None:
    before = kernels.active()
    try:
        assert VARIANTS[-1] == "numpy" and kernels.active() in VARIANTS
        kernels.use("numpy")
        assert kernels.active() == "numpy" and kernels.describe().startswith("coding kernel: numpy")
        kernels.use("auto")
        assert kernels.active() == VARIANTS[0]
        assert kernels.describe().startswith(f"coding kernel: {VARIANTS[0]}")
        with pytest.raises(CodingError, match="unknown kernel"):
            kernels.use("fastest")
        for name in ("gfni", "avx2", "portable"):
            if name not in VARIANTS:
                with pytest.raises(CodingError, match="not available"):
                    kernels.use(name)
    finally:
        kernels.use(before)


@pytest.mark.parametrize("value", ["numpy", "portable", "bogus"])
def test_environment_variable_picks_the_kernel(value: str) -> None:
    code = (
        "import warnings; warnings.simplefilter('always')\n"
        "from orbitcert.reference_impl.optical import kernels; print(kernels.active()); print(kernels.describe())"
    )
    env = dict(os.environ, ORBITCERT_KERNEL=value)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    chosen = proc.stdout.splitlines()[0]
    if value in VARIANTS:
        assert chosen == value and not proc.stderr
    else:
        assert chosen == VARIANTS[0]
        assert "ORBITCERT_KERNEL='bogus' ignored" in proc.stderr or value != "bogus"


@pytest.mark.slow  # a wheel build (pip, setuptools in an isolated environment): about 5-10 s
def test_install_without_a_compiler_runs_numpy(tmp_path: Any) -> None:
    """``pip install .`` succeeds where the C compiler is missing; the numpy kernels then run and
    ``describe()`` says why (setup.py: the extension is optional)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    source = tmp_path / "source"  # a clean copy: no extension built in place by an editable install
    shutil.copytree(
        root, source,
        ignore=shutil.ignore_patterns(".*", "build", "site", "reports", "*.egg-info", "__pycache__", "*.so", "*.pyd"),
    )
    target = tmp_path / "site"
    env = dict(os.environ, CC=str(tmp_path / "no-such-compiler"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(source)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert not list(target.rglob("_kernels*.so")) and not list(target.rglob("_kernels*.pyd"))
    code = (
        "import numpy as np\n"
        "from orbitcert.reference_impl.optical import kernels, reed_solomon as rs\n"
        "print(kernels.describe())\n"
        "frames = np.arange(2 * 223, dtype=np.uint8).reshape(2, 223)\n"
        "assert np.array_equal(kernels.parity(rs.code_for(rs.resolve_params(None)), frames, 1), rs.rs_encode_batch(frames, 1)[:, 223:])\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=str(target)), cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("coding kernel: numpy (compiled kernels not built:"), run.stdout


@pytest.mark.parametrize("at", [0, (1 << 16) - 3, (1 << 16) - 4, 3 << 16, (7 << 16) + 5, (1 << 20) - 4])
def test_find_marker_across_search_windows(variant: str, at: int) -> None:
    """The numpy search looks in windows that double from 64 KiB: a marker straddling a window's
    edge, or far from the start, is found at the same offset by every kernel as by bytes.find."""
    data = bytearray(1 << 20)
    data[at : at + 4] = MARKER
    buf = np.frombuffer(bytes(data), dtype=np.uint8)
    assert kernels.find_marker(buf, 0, buf.size, MARKER) == bytes(data).find(MARKER) == at
    assert kernels.find_marker(buf, at + 1, buf.size, MARKER) == -1
    assert kernels.find_marker(buf, 0, at + 3, MARKER) == -1

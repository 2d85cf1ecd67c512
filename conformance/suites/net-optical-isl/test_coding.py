"""Conformance suite of net-optical-isl, class ``coding`` (CCSDS 131.0-B-3 sections 4, 9, 10).

Known answers are computed by the orbitcert reference implementation with the parameters of the
spec version under test (fixture ``params``; the reference is itself checked against galois,
reedsolo and the published dariol83 vector in orbitcert's own tests) and by the published vector
shipped beside this file. Channel impairments come from the public strategies of
:mod:`orbitcert.conformance.strategies`; the plugin runs property tests derandomized.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given

from orbitcert.conformance import inconclusive
from orbitcert.conformance.strategies import (
    ErrorPattern,
    apply_symbol_errors,
    garbage_without_marker,
    symbol_error_patterns,
)
from orbitcert.reference_impl.optical import coding as ref
from orbitcert.reference_impl.optical.coding import CodingParameters

N_FRAMES = 3
#: (n, k, F(x), j0, generator exponent) of the CCSDS 131.0-B-3 section 4 code, for which the
#: published vector holds; (h(x), seed) of its section 10 randomizer, for the published sequence.
CCSDS_CODE = (255, 223, 0x187, 112, 11)
CCSDS_RANDOMIZER = (0x1A9, 0xFF)
# First octets of the pseudo-random sequence, published in CCSDS 131.0-B-3 section 10.
PUBLISHED_PN_START = bytes.fromhex("FF480EC09A0D70BC8E2C93ADA7B746CE5A977DCC32A2BF3E0A10F18894CDEAB1")


def _vector(name: str) -> bytes:
    for line in (Path(__file__).parent / "vectors_rs_i5.txt").read_text().splitlines():
        if line.startswith(name + "="):
            return bytes.fromhex(line.split("=", 1)[1])
    raise LookupError(name)


def _frames(params: CodingParameters, interleave: int, n: int = N_FRAMES, seed: int = 0, length: int | None = None) -> list[bytes]:
    rng = np.random.default_rng(1000 * interleave + seed)
    length = length or params.k * interleave
    return [rng.integers(0, 256, length, dtype=np.uint8).tobytes() for _ in range(n)]


def _cadu_length(params: CodingParameters, interleave: int) -> int:
    """Octets of one channel access data unit: the marker and a full codeblock."""
    return len(params.attached_sync_marker) + params.n * interleave


def _cadus(stream: bytes, cadu_len: int) -> list[bytes]:
    assert len(stream) % cadu_len == 0, f"stream length {len(stream)} is not a multiple of the CADU length {cadu_len}"
    return [stream[i : i + cadu_len] for i in range(0, len(stream), cadu_len)]


def _data(results: list[dict[str, Any]]) -> list[bytes | None]:
    return [None if r["data"] is None else bytes(r["data"]) for r in results]


# --- transmit side -----------------------------------------------------------------------------


@pytest.mark.requirement("OISL-COD-001")
def test_asm_precedes_every_codeblock(iut: Any, params: CodingParameters, asm: bytes, interleave: int, randomize: bool) -> None:
    frames = _frames(params, interleave)
    out = iut.encode(frames, interleave, randomize)
    cadus = _cadus(out, _cadu_length(params, interleave))
    assert len(cadus) == len(frames), f"{len(frames)} frames gave {len(cadus)} CADUs"
    for i, cadu in enumerate(cadus):
        head = cadu[: len(asm)]
        assert head == asm, f"CADU {i} starts with {head.hex()}, not the attached sync marker {asm.hex()}"


@pytest.mark.requirement("OISL-COD-002")
@pytest.mark.probe("randomizer")
def test_randomizer_sequence_on_all_zero_codeblock(iut: Any, params: CodingParameters, asm: bytes, interleave: int) -> None:
    """An all-zero frame has an all-zero codeblock, so its transmitted codeblock IS the sequence."""
    out = iut.encode([bytes(params.k * interleave)], interleave, True)
    codeblock = out[len(asm) :]
    assert out[: len(asm)] == asm, "the marker must not be randomized"
    if params.randomizer_polynomial == CCSDS_RANDOMIZER[0] and params.randomizer_seed == CCSDS_RANDOMIZER[1]:
        assert codeblock[: len(PUBLISHED_PN_START)] == PUBLISHED_PN_START, (
            f"sequence starts {codeblock[:8].hex()}, published start is {PUBLISHED_PN_START[:8].hex()}"
        )
    expected = ref.randomize(bytes(params.n * interleave), params=params)
    assert codeblock == expected, "sequence differs from that of the spec's randomizer polynomial and seed"


@pytest.mark.requirement("OISL-COD-002", "OISL-COD-005")
def test_randomizer_restarts_every_codeblock(iut: Any, params: CodingParameters, interleave: int) -> None:
    frames = _frames(params, interleave, seed=2)
    out = iut.encode(frames, interleave, True)
    for i, (frame, cadu) in enumerate(zip(frames, _cadus(out, _cadu_length(params, interleave)), strict=True)):
        expected = ref.randomize(ref.rs_encode(frame, interleave, params=params), params=params)
        assert cadu[len(params.attached_sync_marker) :] == expected, f"codeblock {i}: randomized codeblock differs (sequence not restarted?)"


@pytest.mark.requirement("OISL-COD-003", "OISL-COD-004", "OISL-COD-005")
@pytest.mark.probe("rs_interleaving_depths", param="interleave")
def test_check_symbols_known_answers(iut: Any, params: CodingParameters, interleave: int) -> None:
    """Random frames against the reference's dual-basis check symbols (a conventional-basis
    encoder fails here at every depth: the all-ones test alone cannot tell the bases apart)."""
    frames = _frames(params, interleave, seed=3)
    out = iut.encode(frames, interleave, False)
    for i, (frame, cadu) in enumerate(zip(frames, _cadus(out, _cadu_length(params, interleave)), strict=True)):
        expected = ref.rs_encode(frame, interleave, params=params)
        block = cadu[len(params.attached_sync_marker) :]
        assert block[: len(frame)] == frame, f"codeblock {i}: information symbols altered (not systematic)"
        checks = (params.n - params.k) * interleave
        bad = [j for j in range(checks) if block[len(frame) + j] != expected[len(frame) + j]]
        assert not bad, f"codeblock {i}: {len(bad)} of {checks} check symbols differ, first at {bad[0]}"


@pytest.mark.requirement("OISL-COD-003", "OISL-COD-004")
@pytest.mark.applies_if("5 in rs_interleaving_depths")
def test_published_vector_dual_basis_i5(iut: Any, params: CodingParameters) -> None:
    """The published CCSDS codeblock (valid for the code of 131.0-B-3 section 4 and Annex F)."""
    if (params.n, params.k, params.field_polynomial, params.first_consecutive_root, params.generator_exponent) != CCSDS_CODE:
        inconclusive("the spec under test defines another code than CCSDS 131.0-B-3: the published vector does not apply")
    frame, expected = _vector("testFrame"), _vector("encodedTestFrame")
    out = iut.encode([frame], 5, False)
    assert out[len(params.attached_sync_marker) :] == expected, "codeblock differs from the published CCSDS dual-basis vector"


@pytest.mark.requirement("OISL-COD-003", "OISL-COD-004")
def test_all_ones_frame_has_all_ones_check_symbols(iut: Any, params: CodingParameters, interleave: int) -> None:
    """The all-ones word is a codeword of the CCSDS code (a published property; it holds in either
    basis, so it checks the code, and the known-answer tests check the basis)."""
    out = iut.encode([b"\xff" * (params.k * interleave)], interleave, False)
    assert out[len(params.attached_sync_marker) :] == b"\xff" * (params.n * interleave), "all-0xFF frame must give all-0xFF check symbols"


@pytest.mark.requirement("OISL-COD-006")
@pytest.mark.probe("shortened_codeblocks")
def test_shortened_codeblocks(iut: Any, params: CodingParameters, ics: Any, interleave: int) -> None:
    k_min = ics.items.get("shortened_min_information_symbols", 1)
    marker = len(params.attached_sync_marker)
    for info in sorted({k_min, max(k_min, 100), params.k - 1}):
        frame = _frames(params, interleave, n=1, seed=info, length=info * interleave)[0]
        out = iut.encode([frame], interleave, False)
        expected = ref.rs_encode(frame, interleave, params=params)
        assert len(out) == marker + len(expected), (
            f"k-Q={info}: codeblock is {len(out) - marker} octets, expected {len(expected)} (virtual fill transmitted?)"
        )
        assert out[marker:] == expected, f"k-Q={info}: shortened codeblock differs"


# --- receive side -------------------------------------------------------------------------------


def _received(params: CodingParameters, frame: bytes, interleave: int, randomize: bool, patterns: ErrorPattern) -> bytes:
    """One CADU of ``frame`` (encoded by the reference) with symbol errors XORed into the
    channel: ``patterns[k]`` = (positions, values) of the errors in codeword k."""
    cadu = ref.encode_cadus([frame], interleave, randomize, params=params)
    marker = len(params.attached_sync_marker)
    return cadu[:marker] + apply_symbol_errors(cadu[marker:], interleave, patterns)


@pytest.mark.requirement("OISL-COD-007", "OISL-COD-008")
def test_corrects_up_to_e_errors_per_codeword(iut: Any, params: CodingParameters, interleave: int, randomize: bool) -> None:
    frame = _frames(params, interleave, n=1, seed=7)[0]

    e = params.E

    @given(patterns=symbol_error_patterns(interleave, 0, e, codeword_length=params.n))
    def check(patterns: ErrorPattern) -> None:
        results = iut.decode(_received(params, frame, interleave, randomize, patterns), len(frame), interleave, randomize)
        assert len(results) == 1, f"expected 1 codeblock, decoder returned {len(results)}"
        errors = sum(len(p) for p, _ in patterns)
        assert results[0]["data"] is not None, f"{errors} symbol errors (<={e} per codeword) flagged uncorrectable"
        assert bytes(results[0]["data"]) == frame, f"{errors} symbol errors: delivered frame is wrong"
        assert results[0]["corrected"] == errors, f"reported {results[0]['corrected']} corrected symbols, actual {errors}"

    check()


@pytest.mark.requirement("OISL-COD-009")
def test_flags_uncorrectable_codewords(iut: Any, params: CodingParameters, interleave: int, randomize: bool) -> None:
    """E+1 or more errors in a codeword: the decoder must flag what a bounded-distance decoder
    detects. Where the received word lies within E symbols of another codeword the error is undetectable
    by any decoder; then the decoder may deliver that codeword (as the reference does)."""
    frame = _frames(params, interleave, n=1, seed=9)[0]

    @given(patterns=symbol_error_patterns(interleave, params.E + 1, 40, codewords_hit=1, codeword_length=params.n))
    def check(patterns: ErrorPattern) -> None:
        stream = _received(params, frame, interleave, randomize, patterns)
        got = iut.decode(stream, len(frame), interleave, randomize)
        assert len(got) == 1, f"expected 1 codeblock, decoder returned {len(got)}"
        data = got[0]["data"]
        if data is None or bytes(data) == frame:
            return
        reference = ref.decode_cadus(stream, len(frame), interleave, randomize, params=params)[0]
        assert reference.data is not None and bytes(data) == reference.data, (
            "decoder delivered wrong data for a codeblock with detectable, uncorrectable errors "
            f"({len(patterns[0][0])} errors in codeword 0)"
        )

    check()


@pytest.mark.requirement("OISL-COD-010")
def test_acquires_sync_after_garbage_prefix(iut: Any, params: CodingParameters, asm: bytes, interleave: int, randomize: bool) -> None:
    frames = _frames(params, interleave, n=2, seed=10)
    cadus = ref.encode_cadus(frames, interleave, randomize, params=params)

    @given(garbage=garbage_without_marker(asm, max_size=2 * _cadu_length(params, interleave)))
    def check(garbage: bytes) -> None:
        results = iut.decode(garbage + cadus, len(frames[0]), interleave, randomize)
        delivered = [d for d in _data(results) if d is not None]
        assert delivered == frames, (
            f"after a {len(garbage)}-octet garbage prefix the decoder delivered {len(delivered)} of {len(frames)} frames"
        )

    check()


@pytest.mark.requirement("OISL-COD-011")
def test_reacquires_after_gap(iut: Any, params: CodingParameters, asm: bytes, interleave: int, randomize: bool) -> None:
    before, after = _frames(params, interleave, n=2, seed=11), _frames(params, interleave, n=2, seed=12)
    first = ref.encode_cadus(before, interleave, randomize, params=params)
    second = ref.encode_cadus(after, interleave, randomize, params=params)

    @given(gap=garbage_without_marker(asm, min_size=1, max_size=600, before=first))
    def check(gap: bytes) -> None:
        results = iut.decode(first + gap + second, len(before[0]), interleave, randomize)
        delivered = [d for d in _data(results) if d is not None]
        assert delivered == before + after, (
            f"with a {len(gap)}-octet gap the decoder delivered {len(delivered)} of {len(before + after)} frames"
        )

    check()


@pytest.mark.requirement("OISL-COD-011")
def test_reacquires_after_slip(iut: Any, params: CodingParameters, interleave: int, randomize: bool) -> None:
    """Octets lost inside one CADU: every later codeblock is still delivered."""
    frames = _frames(params, interleave, n=4, seed=13)
    stream = ref.encode_cadus(frames, interleave, randomize, params=params)
    cadu = _cadu_length(params, interleave)
    for slip in (1, 7, 100):
        cut = cadu + 50
        slipped = stream[:cut] + stream[cut + slip :]
        delivered = _data(iut.decode(slipped, len(frames[0]), interleave, randomize))
        good = [d for d in delivered if d is not None]
        assert good[:1] == frames[:1] and good[-2:] == frames[2:], (
            f"after a {slip}-octet slip in CADU 1 the decoder did not deliver CADUs 0, 2 and 3"
        )


@pytest.mark.requirement("OISL-COD-012")
def test_keeps_lock_through_single_bit_marker_error(iut: Any, params: CodingParameters, interleave: int, randomize: bool) -> None:
    frames = _frames(params, interleave, n=3, seed=14)
    stream = bytearray(ref.encode_cadus(frames, interleave, randomize, params=params))
    stream[_cadu_length(params, interleave) + 2] ^= 0x10  # one bit of the second marker
    delivered = _data(iut.decode(bytes(stream), len(frames[0]), interleave, randomize))
    assert [d for d in delivered if d is not None] == frames, "codeblock behind a 1-bit marker error was lost"


@pytest.mark.requirement("OISL-COD-007", "OISL-COD-010")
def test_decodes_unrandomized_stream(iut: Any, params: CodingParameters, interleave: int) -> None:
    frames = _frames(params, interleave, n=2, seed=15)
    results = iut.decode(ref.encode_cadus(frames, interleave, False, params=params), len(frames[0]), interleave, False)
    assert _data(results) == frames
    assert [r["corrected"] for r in results] == [0, 0]

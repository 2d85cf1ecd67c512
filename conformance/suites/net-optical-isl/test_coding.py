"""Conformance suite of net-optical-isl, class ``coding`` (CCSDS 131.0-B-3 sections 4, 9, 10).

Known answers are computed by the orbitcert reference implementation (itself checked against
galois, reedsolo and the published dariol83 vector in orbitcert's own tests) and by the published
vector shipped beside this file. Property tests use hypothesis; the plugin runs them derandomized.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from orbitcert.reference_impl.optical import coding as ref

N_FRAMES = 3
# First octets of the pseudo-random sequence, published in CCSDS 131.0-B-3 section 10.
PUBLISHED_PN_START = bytes.fromhex("FF480EC09A0D70BC8E2C93ADA7B746CE5A977DCC32A2BF3E0A10F18894CDEAB1")


def _vector(name: str) -> bytes:
    for line in (Path(__file__).parent / "vectors_rs_i5.txt").read_text().splitlines():
        if line.startswith(name + "="):
            return bytes.fromhex(line.split("=", 1)[1])
    raise LookupError(name)


def _frames(interleave: int, n: int = N_FRAMES, seed: int = 0, length: int | None = None) -> list[bytes]:
    rng = np.random.default_rng(1000 * interleave + seed)
    length = length or 223 * interleave
    return [rng.integers(0, 256, length, dtype=np.uint8).tobytes() for _ in range(n)]


def _cadus(stream: bytes, cadu_len: int) -> list[bytes]:
    assert len(stream) % cadu_len == 0, f"stream length {len(stream)} is not a multiple of the CADU length {cadu_len}"
    return [stream[i : i + cadu_len] for i in range(0, len(stream), cadu_len)]


def _data(results: list[dict[str, Any]]) -> list[bytes | None]:
    return [None if r["data"] is None else bytes(r["data"]) for r in results]


# --- transmit side -----------------------------------------------------------------------------


@pytest.mark.requirement("OISL-COD-001")
def test_asm_precedes_every_codeblock(iut: Any, asm: bytes, interleave: int, randomize: bool) -> None:
    frames = _frames(interleave)
    out = iut.encode(frames, interleave, randomize)
    cadus = _cadus(out, 4 + 255 * interleave)
    assert len(cadus) == len(frames), f"{len(frames)} frames gave {len(cadus)} CADUs"
    for i, cadu in enumerate(cadus):
        assert cadu[:4] == asm, f"CADU {i} starts with {cadu[:4].hex()}, not the attached sync marker {asm.hex()}"


@pytest.mark.requirement("OISL-COD-002")
def test_randomizer_sequence_on_all_zero_codeblock(iut: Any, asm: bytes, interleave: int) -> None:
    """An all-zero frame has an all-zero codeblock, so its transmitted codeblock IS the sequence."""
    out = iut.encode([bytes(223 * interleave)], interleave, True)
    codeblock = out[4:]
    assert out[:4] == asm, "the marker must not be randomized"
    assert codeblock[: len(PUBLISHED_PN_START)] == PUBLISHED_PN_START, (
        f"sequence starts {codeblock[:8].hex()}, published start is {PUBLISHED_PN_START[:8].hex()}"
    )
    assert codeblock == ref.randomize(bytes(255 * interleave)), "sequence differs from h(x) with all-ones seed"


@pytest.mark.requirement("OISL-COD-002", "OISL-COD-005")
def test_randomizer_restarts_every_codeblock(iut: Any, interleave: int) -> None:
    frames = _frames(interleave, seed=2)
    out = iut.encode(frames, interleave, True)
    for i, (frame, cadu) in enumerate(zip(frames, _cadus(out, 4 + 255 * interleave), strict=True)):
        expected = ref.randomize(ref.rs_encode(frame, interleave))
        assert cadu[4:] == expected, f"codeblock {i}: randomized codeblock differs (sequence not restarted?)"


@pytest.mark.requirement("OISL-COD-003", "OISL-COD-004", "OISL-COD-005")
def test_check_symbols_known_answers(iut: Any, interleave: int) -> None:
    """Random frames against the reference's dual-basis check symbols (a conventional-basis
    encoder fails here at every depth: the all-ones test alone cannot tell the bases apart)."""
    frames = _frames(interleave, seed=3)
    out = iut.encode(frames, interleave, False)
    for i, (frame, cadu) in enumerate(zip(frames, _cadus(out, 4 + 255 * interleave), strict=True)):
        expected = ref.rs_encode(frame, interleave)
        assert cadu[4 : 4 + len(frame)] == frame, f"codeblock {i}: information symbols altered (not systematic)"
        bad = [j for j in range(32 * interleave) if cadu[4 + len(frame) + j] != expected[len(frame) + j]]
        assert not bad, f"codeblock {i}: {len(bad)} of {32 * interleave} check symbols differ, first at {bad[0]}"


@pytest.mark.requirement("OISL-COD-003", "OISL-COD-004")
@pytest.mark.applies_if("5 in rs_interleaving_depths")
def test_published_vector_dual_basis_i5(iut: Any) -> None:
    frame, expected = _vector("testFrame"), _vector("encodedTestFrame")
    out = iut.encode([frame], 5, False)
    assert out[4:] == expected, "codeblock differs from the published CCSDS dual-basis vector"


@pytest.mark.requirement("OISL-COD-003", "OISL-COD-004")
def test_all_ones_frame_has_all_ones_check_symbols(iut: Any, interleave: int) -> None:
    """The all-ones word is a codeword of the CCSDS code (a published property; it holds in either
    basis, so it checks the code, and the known-answer tests check the basis)."""
    out = iut.encode([b"\xff" * (223 * interleave)], interleave, False)
    assert out[4:] == b"\xff" * (255 * interleave), "all-0xFF frame must give all-0xFF check symbols"


@pytest.mark.requirement("OISL-COD-006")
def test_shortened_codeblocks(iut: Any, ics: Any, interleave: int) -> None:
    k_min = ics.values.get("shortened_min_information_symbols", 1)
    for info in sorted({k_min, max(k_min, 100), 222}):
        frame = _frames(interleave, n=1, seed=info, length=info * interleave)[0]
        out = iut.encode([frame], interleave, False)
        expected = ref.rs_encode(frame, interleave)
        assert len(out) == 4 + len(expected), (
            f"k-Q={info}: codeblock is {len(out) - 4} octets, expected {len(expected)} (virtual fill transmitted?)"
        )
        assert out[4:] == expected, f"k-Q={info}: shortened codeblock differs"


# --- receive side -------------------------------------------------------------------------------


def _received(frame: bytes, interleave: int, randomize: bool, patterns: list[tuple[list[int], list[int]]]) -> bytes:
    """One CADU of ``frame`` (encoded by the reference) with symbol errors XORed into the
    channel: ``patterns[k]`` = (positions, values) of the errors in codeword k."""
    stream = bytearray(ref.encode_cadus([frame], interleave, randomize))
    for codeword, (positions, values) in enumerate(patterns):
        for pos, val in zip(positions, values, strict=True):
            stream[4 + pos * interleave + codeword] ^= val
    return bytes(stream)


@st.composite
def _error_patterns(draw: Any, interleave: int, low: int, high: int, n_cw: int | None = None) -> Any:
    """Per codeword: (distinct symbol positions, non-zero error values), with low..high errors."""
    patterns = []
    for cw in range(interleave):
        count = draw(st.integers(low, high)) if n_cw is None or cw < n_cw else 0
        pos = draw(st.lists(st.integers(0, 254), min_size=count, max_size=count, unique=True))
        val = draw(st.lists(st.integers(1, 255), min_size=count, max_size=count))
        patterns.append((pos, val))
    return patterns


@pytest.mark.requirement("OISL-COD-007", "OISL-COD-008")
def test_corrects_up_to_e_errors_per_codeword(iut: Any, interleave: int, randomize: bool) -> None:
    frame = _frames(interleave, n=1, seed=7)[0]

    @given(patterns=_error_patterns(interleave, 0, 16))
    def check(patterns: Any) -> None:
        results = iut.decode(_received(frame, interleave, randomize, patterns), len(frame), interleave, randomize)
        assert len(results) == 1, f"expected 1 codeblock, decoder returned {len(results)}"
        errors = sum(len(p) for p, _ in patterns)
        assert results[0]["data"] is not None, f"{errors} symbol errors (<=16 per codeword) flagged uncorrectable"
        assert bytes(results[0]["data"]) == frame, f"{errors} symbol errors: delivered frame is wrong"
        assert results[0]["corrected"] == errors, f"reported {results[0]['corrected']} corrected symbols, actual {errors}"

    check()


@pytest.mark.requirement("OISL-COD-009")
def test_flags_uncorrectable_codewords(iut: Any, interleave: int, randomize: bool) -> None:
    """17+ errors in a codeword: the decoder must flag what a bounded-distance decoder detects.
    Where the received word lies within 16 symbols of another codeword the error is undetectable
    by any decoder; then the decoder may deliver that codeword (as the reference does)."""
    frame = _frames(interleave, n=1, seed=9)[0]

    @given(patterns=_error_patterns(interleave, 17, 40, n_cw=1))
    def check(patterns: Any) -> None:
        stream = _received(frame, interleave, randomize, patterns)
        got = iut.decode(stream, len(frame), interleave, randomize)
        assert len(got) == 1, f"expected 1 codeblock, decoder returned {len(got)}"
        data = got[0]["data"]
        if data is None or bytes(data) == frame:
            return
        reference = ref.decode_cadus(stream, len(frame), interleave, randomize)[0]
        assert reference.data is not None and bytes(data) == reference.data, (
            "decoder delivered wrong data for a codeblock with detectable, uncorrectable errors "
            f"({len(patterns[0][0])} errors in codeword 0)"
        )

    check()


@pytest.mark.requirement("OISL-COD-010")
def test_acquires_sync_after_garbage_prefix(iut: Any, asm: bytes, interleave: int, randomize: bool) -> None:
    frames = _frames(interleave, n=2, seed=10)
    cadus = ref.encode_cadus(frames, interleave, randomize)

    @given(garbage=st.binary(min_size=0, max_size=2 * (4 + 255 * interleave)))
    def check(garbage: bytes) -> None:
        assume(asm not in (garbage + asm[:3]))
        results = iut.decode(garbage + cadus, len(frames[0]), interleave, randomize)
        delivered = [d for d in _data(results) if d is not None]
        assert delivered == frames, (
            f"after a {len(garbage)}-octet garbage prefix the decoder delivered {len(delivered)} of {len(frames)} frames"
        )

    check()


@pytest.mark.requirement("OISL-COD-011")
def test_reacquires_after_gap(iut: Any, asm: bytes, interleave: int, randomize: bool) -> None:
    before, after = _frames(interleave, n=2, seed=11), _frames(interleave, n=2, seed=12)
    first = ref.encode_cadus(before, interleave, randomize)
    second = ref.encode_cadus(after, interleave, randomize)

    @given(gap=st.binary(min_size=1, max_size=600))
    def check(gap: bytes) -> None:
        assume(asm not in (first[-3:] + gap + second[:3]))
        results = iut.decode(first + gap + second, len(before[0]), interleave, randomize)
        delivered = [d for d in _data(results) if d is not None]
        assert delivered == before + after, (
            f"with a {len(gap)}-octet gap the decoder delivered {len(delivered)} of {len(before + after)} frames"
        )

    check()


@pytest.mark.requirement("OISL-COD-011")
def test_reacquires_after_slip(iut: Any, interleave: int, randomize: bool) -> None:
    """Octets lost inside one CADU: every later codeblock is still delivered."""
    frames = _frames(interleave, n=4, seed=13)
    stream = ref.encode_cadus(frames, interleave, randomize)
    cadu = 4 + 255 * interleave
    for slip in (1, 7, 100):
        cut = cadu + 50
        slipped = stream[:cut] + stream[cut + slip :]
        delivered = _data(iut.decode(slipped, len(frames[0]), interleave, randomize))
        good = [d for d in delivered if d is not None]
        assert good[:1] == frames[:1] and good[-2:] == frames[2:], (
            f"after a {slip}-octet slip in CADU 1 the decoder did not deliver CADUs 0, 2 and 3"
        )


@pytest.mark.requirement("OISL-COD-012")
def test_keeps_lock_through_single_bit_marker_error(iut: Any, interleave: int, randomize: bool) -> None:
    frames = _frames(interleave, n=3, seed=14)
    stream = bytearray(ref.encode_cadus(frames, interleave, randomize))
    stream[4 + 255 * interleave + 2] ^= 0x10  # one bit of the second marker
    delivered = _data(iut.decode(bytes(stream), len(frames[0]), interleave, randomize))
    assert [d for d in delivered if d is not None] == frames, "codeblock behind a 1-bit marker error was lost"


@pytest.mark.requirement("OISL-COD-007", "OISL-COD-010")
def test_decodes_unrandomized_stream(iut: Any, interleave: int) -> None:
    frames = _frames(interleave, n=2, seed=15)
    results = iut.decode(ref.encode_cadus(frames, interleave, False), len(frames[0]), interleave, False)
    assert _data(results) == frames
    assert [r["corrected"] for r in results] == [0, 0]

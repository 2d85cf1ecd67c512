"""Tests of the CCSDS 131.0-B-3 coding golden model (orbitcert.reference_impl.optical.coding).

The reference is checked against evidence nobody here wrote: the published Reed-Solomon vector of
the dariol83/ccsds test suite (Apache-2.0), galois.ReedSolomon and reedsolo.RSCodec. The
conventional <-> dual basis conversion used to talk to those oracles is derived here, from the
trace definition of 131.0-B-3 Annex F with galois field arithmetic, not imported from the module.
"""

from __future__ import annotations

import binascii
from pathlib import Path

import galois
import numpy as np
import pytest
import reedsolo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orbitcert.reference_impl.optical import coding, crc16, reed_solomon

# Public vector from dariol83/ccsds (ReedSolomonTest): a 1115-octet frame and its 160 dual-basis
# check symbols for RS(255,223) at interleaving depth 5.
DARIO_TEST_FRAME = bytes.fromhex(
    "07B11A15185F0000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000C6AC03A012500000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000C6AC03B0125000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000C6AC0"
    "3C01250000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000C6AC03D01250000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000"
)
DARIO_CHECK_SYMBOLS = bytes.fromhex(
    "FAD47CE809B8EBA844984DFD7D37F544A7F62C75D0FF97937FFE5A5CD424B92D2ACCFF0AEFAB0977918FCBA0"
    "DBDD54E657DC0098CE8B95E0B6398D1AAA177FA134E866B4645EC4C9AD9365954549C85D6BD363F000DA9CC2"
    "6E48F067EEDD1A859967FA1120F27484FF3CA64012391C76AA7C38AA19F11C4CF54C9EA3AD5B83AB09895E6F"
    "9BBB416B329C15E3CB9F4019D637081154E182A8ACA395ED45A267CE"
)

SHARED_VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors" / "dario_rs.txt"

PARAMS = coding.default_parameters()
DEPTHS = (1, 2, 3, 4, 5, 8)
ASM = bytes.fromhex("1ACFFC1D")
HYPOTHESIS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---- independent field, dual basis and oracles --------------------------------------------

GF = galois.GF(2**8, irreducible_poly=0x187)
ALPHA = GF(2)  # x is primitive for F(x) = 0x187
GAMMA = ALPHA**11  # roots of g(x) are GAMMA^112 .. GAMMA^143 (131.0-B-3 4.3.4)
GALOIS_RS = galois.ReedSolomon(255, 223, field=GF, alpha=GAMMA, c=112)


def _derive_dual_basis() -> tuple[np.ndarray, np.ndarray]:
    """Conventional -> dual table from Annex F: z_j = Tr(x * beta^j), beta = alpha^117, z_0 = MSB."""
    beta = ALPHA**117
    elements = GF(np.arange(256))
    to_dual = np.zeros(256, dtype=np.int64)
    for j in range(8):
        to_dual |= np.asarray((elements * beta**j).field_trace(), dtype=np.int64) << (7 - j)
    to_dual = to_dual.astype(np.uint8)
    to_conv = np.zeros(256, dtype=np.uint8)
    to_conv[to_dual] = np.arange(256, dtype=np.uint8)
    return to_dual, to_conv


TO_DUAL, TO_CONV = _derive_dual_basis()


def _reedsolo_codec() -> reedsolo.RSCodec:
    return reedsolo.RSCodec(32, nsize=255, fcr=112, prim=0x187, generator=173)


def _deinterleave(codeblock: bytes, depth: int) -> list[np.ndarray]:
    """The I codewords of a codeblock (symbol j of codeword k at j*I + k, 131.0-B-3 4.3.8)."""
    arr = np.frombuffer(codeblock, dtype=np.uint8)
    return [arr[k::depth] for k in range(depth)]


def _corrupt(codeblock: bytes, depth: int, errors_per_codeword: int, rng: np.random.Generator) -> bytes:
    arr = np.frombuffer(codeblock, dtype=np.uint8).copy()
    length = arr.size // depth
    for k in range(depth):
        positions = rng.choice(length, errors_per_codeword, replace=False)
        arr[positions * depth + k] ^= rng.integers(1, 256, errors_per_codeword, dtype=np.uint8)
    return arr.tobytes()


def _random_frames(rng: np.random.Generator, count: int, length: int) -> np.ndarray:
    return rng.integers(0, 256, size=(count, length), dtype=np.uint8)


# ---- 1. the published vector -------------------------------------------------------------------


def test_published_vector_matches_shared_file() -> None:
    """The embedded dario vector is the one in ../shared/vectors (when that folder is present)."""
    if not SHARED_VECTORS.is_file():
        pytest.skip(f"{SHARED_VECTORS} not present")
    values = dict(
        line.strip().split("=", 1) for line in SHARED_VECTORS.read_text().splitlines() if "=" in line
    )
    assert bytes.fromhex(values["testFrame"]) == DARIO_TEST_FRAME
    assert bytes.fromhex(values["encodedTestFrame"]) == DARIO_TEST_FRAME + DARIO_CHECK_SYMBOLS


def test_rs_encode_reproduces_published_vector_depth_5() -> None:
    """rs_encode(testFrame, I=5) is exactly the published 1275-octet dual-basis codeblock."""
    assert len(DARIO_TEST_FRAME) == 1115
    assert coding.rs_encode(DARIO_TEST_FRAME, 5) == DARIO_TEST_FRAME + DARIO_CHECK_SYMBOLS


def test_rs_decode_published_vector_is_clean() -> None:
    """The published codeblock decodes to testFrame with zero corrections."""
    result = coding.rs_decode(DARIO_TEST_FRAME + DARIO_CHECK_SYMBOLS, 5)
    assert result == coding.RSResult(DARIO_TEST_FRAME, 0, False, (0, 0, 0, 0, 0))


def test_rs_decode_published_vector_corrects_16_errors_per_codeword() -> None:
    """16 symbol errors in each of the 5 codewords (E = 16) are all corrected and counted."""
    rng = np.random.default_rng(1311)
    received = _corrupt(DARIO_TEST_FRAME + DARIO_CHECK_SYMBOLS, 5, 16, rng)
    result = coding.rs_decode(received, 5)
    assert result.data == DARIO_TEST_FRAME
    assert result.corrected_per_codeword == (16,) * 5
    assert result.corrected == 80 and not result.uncorrectable


# ---- 2. galois as oracle --------------------------------------------------------------------------


def test_dual_basis_derived_from_trace_matches_published_tal_table() -> None:
    """Annex F dual basis (derived here from the trace) equals the public Tal constants."""
    tal = [0x8D, 0xEF, 0xEC, 0x86, 0xFA, 0x99, 0xAF, 0x7B]  # rows per conventional bit, MSB first
    assert [int(TO_DUAL[1 << (7 - i)]) for i in range(8)] == tal
    for value in range(256):  # linearity: the table is the matrix product with those rows
        expected = 0
        for i in range(8):
            if value & (1 << (7 - i)):
                expected ^= tal[i]
        assert TO_DUAL[value] == expected


def test_reedsolo_generator_173_is_alpha_to_the_11() -> None:
    """reedsolo's generator=173 is alpha^11 in GF(2^8)/0x187 (so both oracles build the same code)."""
    assert int(GAMMA) == 173


def _oracle_codeblock(frame: np.ndarray, depth: int, encode_conventional) -> bytes:
    """Encode a dual-basis frame with a conventional-basis oracle, converting and interleaving here."""
    kp = frame.size // depth
    out = np.zeros((kp + 32) * depth, dtype=np.uint8)
    for k in range(depth):
        message = TO_CONV[frame[k::depth]]
        codeword = np.asarray(encode_conventional(message), dtype=np.uint8)
        assert codeword.size == kp + 32 and np.array_equal(codeword[:kp], message)
        out[k::depth] = TO_DUAL[codeword]
    return out.tobytes()


def _galois_encode(message: np.ndarray) -> np.ndarray:
    return np.asarray(GALOIS_RS.encode(GF(message)))


@pytest.mark.parametrize("depth", DEPTHS)
def test_rs_encode_matches_galois_full_length(depth: int) -> None:
    """Check symbols equal galois.ReedSolomon's for random full-length frames at every depth."""
    rng = np.random.default_rng(100 + depth)
    for frame in _random_frames(rng, 4, 223 * depth):
        assert coding.rs_encode(frame.tobytes(), depth) == _oracle_codeblock(frame, depth, _galois_encode)


@pytest.mark.parametrize("depth", DEPTHS)
def test_rs_encode_matches_galois_shortened(depth: int) -> None:
    """Shortened (virtual fill) codeblocks equal galois' shortened code for assorted L/I."""
    rng = np.random.default_rng(200 + depth)
    for kp in (1, 2, 17, 100, 222):
        frame = _random_frames(rng, 1, kp * depth)[0]
        assert coding.rs_encode(frame.tobytes(), depth) == _oracle_codeblock(frame, depth, _galois_encode)


def test_generator_polynomial_matches_galois() -> None:
    """g(x) = prod_{j=112}^{143} (x - alpha^{11 j}) equals galois' generator polynomial."""
    code = reed_solomon.code_for(PARAMS)
    assert code.generator[::-1].tolist() == [int(c) for c in GALOIS_RS.generator_poly.coeffs]


def test_rs_decode_matches_galois_decode() -> None:
    """With 1..16 errors per codeword our decoded frame equals galois' decoded message."""
    rng = np.random.default_rng(7)
    depth = 4
    frame = _random_frames(rng, 1, 150 * depth)[0]
    received = np.frombuffer(_corrupt(coding.rs_encode(frame.tobytes(), depth), depth, 16, rng), np.uint8)
    ours = coding.rs_decode(received.tobytes(), depth)
    for k in range(depth):
        message, n_errors = GALOIS_RS.decode(GF(TO_CONV[received[k::depth]]), errors=True)
        assert int(n_errors) == ours.corrected_per_codeword[k] == 16
        assert np.array_equal(TO_DUAL[np.asarray(message)], frame[k::depth])
    assert ours.data == frame.tobytes()


# ---- 3. reedsolo as oracle ------------------------------------------------------------------------


def _reedsolo_encode(message: np.ndarray) -> np.ndarray:
    return np.frombuffer(bytes(_reedsolo_codec().encode(bytearray(message.tobytes()))), dtype=np.uint8)


@pytest.mark.parametrize("depth", DEPTHS)
def test_rs_encode_matches_reedsolo(depth: int) -> None:
    """Check symbols equal reedsolo.RSCodec(fcr=112, prim=0x187, generator=173), full and shortened."""
    rng = np.random.default_rng(300 + depth)
    for kp in (223, 1, 64, 200):
        frame = _random_frames(rng, 1, kp * depth)[0]
        assert coding.rs_encode(frame.tobytes(), depth) == _oracle_codeblock(frame, depth, _reedsolo_encode)


@pytest.mark.parametrize(("depth", "kp", "errors"), [(1, 223, 16), (2, 223, 9), (5, 40, 16), (8, 3, 16), (3, 223, 1)])
def test_rs_decode_matches_reedsolo_decode(depth: int, kp: int, errors: int) -> None:
    """Up to 16 symbol errors per codeword: our decode == reedsolo's decode == the original."""
    rng = np.random.default_rng(400 + depth * 7 + kp)
    codec = _reedsolo_codec()
    frame = _random_frames(rng, 1, kp * depth)[0]
    received = np.frombuffer(_corrupt(coding.rs_encode(frame.tobytes(), depth), depth, errors, rng), np.uint8)
    ours = coding.rs_decode(received.tobytes(), depth)
    assert ours.data == frame.tobytes()
    assert ours.corrected_per_codeword == (errors,) * depth
    for k in range(depth):
        message, _, errata = codec.decode(bytearray(TO_CONV[received[k::depth]].tobytes()))
        assert len(errata) == errors
        assert TO_DUAL[np.frombuffer(bytes(message), np.uint8)].tobytes() == frame[k::depth].tobytes()


# ---- 4. known properties ------------------------------------------------------------------------


@pytest.mark.parametrize("depth", DEPTHS)
def test_all_ones_frame_has_all_ones_check_symbols(depth: int) -> None:
    """131.0-B-3: an all-0xFF frame encodes to all-0xFF check symbols (dual basis property)."""
    assert coding.rs_encode(b"\xff" * (223 * depth), depth)[223 * depth :] == b"\xff" * (32 * depth)


def test_randomizer_sequence_begins_as_published() -> None:
    """131.0-B-3 10: the pseudo-random sequence begins FF 48 0E C0 9A 0D 70 BC."""
    assert coding.randomize(bytes(8)) == bytes.fromhex("FF480EC09A0D70BC")


def test_randomizer_is_an_involution() -> None:
    """randomize(randomize(x)) == x for random data of several lengths."""
    rng = np.random.default_rng(5)
    for length in (0, 1, 254, 255, 256, 1279, 2040):
        data = rng.integers(0, 256, length, dtype=np.uint8).tobytes()
        assert coding.randomize(coding.randomize(data)) == data


def test_randomizer_period_is_255_bits() -> None:
    """The sequence has a period of 255 bits: its octets repeat every 255 octets, and not sooner."""
    sequence = coding.randomize(bytes(255 * 3))
    assert sequence[:255] == sequence[255:510] == sequence[510:]
    bits = np.unpackbits(np.frombuffer(sequence, np.uint8))
    for period in (1, 3, 5, 15, 17, 51, 85):  # proper divisors of 255
        assert not np.array_equal(bits[:255], bits[period : period + 255])
    assert np.array_equal(bits[:255], bits[255:510])


def test_crc16_check_value() -> None:
    """CRC-16-CCITT (0x1021, preset 0xFFFF) of "123456789" is 0x29B1."""
    assert coding.crc16(b"123456789") == 0x29B1


def test_crc16_table_driven_matches_stdlib() -> None:
    """The table-driven CRC equals binascii.crc_hqx (the fast path) on random data."""
    rng = np.random.default_rng(6)
    for length in (0, 1, 2, 100, 1115):
        data = rng.integers(0, 256, length, dtype=np.uint8).tobytes()
        assert crc16.crc16_table_driven(data, 0x1021, 0xFFFF) == binascii.crc_hqx(data, 0xFFFF)
        assert coding.crc16(data) == binascii.crc_hqx(data, 0xFFFF)


# ---- parameters and argument errors -----------------------------------------------------------


def test_default_parameters_come_from_the_spec() -> None:
    """default_parameters() reads net-optical-isl 1.0.0: ASM, polynomials, n, k, E, depths."""
    p = coding.default_parameters()
    assert p.attached_sync_marker == ASM
    assert (p.field_polynomial, p.first_consecutive_root, p.generator_exponent) == (0x187, 112, 11)
    assert (p.n, p.k, p.E) == (255, 223, 16)
    assert p.interleaving_depths == DEPTHS
    assert (p.randomizer_polynomial, p.randomizer_seed) == (0x1A9, 0xFF)
    assert (p.crc16_polynomial, p.crc16_initial) == (0x1021, 0xFFFF)


def _spec_values() -> dict[str, object]:
    return {
        "attached_sync_marker": "1ACFFC1D",
        "rs_codeword_length": 255,
        "rs_message_length": 223,
        "rs_error_correction_capability": 16,
        "rs_field_polynomial": 0x187,
        "rs_first_consecutive_root": 112,
        "rs_generator_exponent": 11,
        "rs_symbol_representation": "dual-basis",
        "rs_interleaving_depths": [1, 2, 3, 4, 5, 8],
        "randomizer_polynomial": 0x1A9,
        "randomizer_seed": 0xFF,
        "randomizer_period_bits": 255,
        "crc16_polynomial": 0x1021,
        "crc16_initial": 0xFFFF,
    }


def test_from_spec_parameters_equals_default() -> None:
    """from_spec_parameters over the spec's values gives the default parameters."""
    assert coding.CodingParameters.from_spec_parameters(_spec_values()) == PARAMS


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("rs_message_length", None),
        ("rs_message_length", 220),
        ("rs_field_polynomial", "nonsense"),
        ("attached_sync_marker", "zz"),
        ("randomizer_period_bits", 254),
        ("rs_interleaving_depths", []),
    ],
)
def test_from_spec_parameters_names_the_bad_key(key: str, value: object) -> None:
    """A missing, mistyped or inconsistent spec parameter raises CodingError naming it."""
    values = _spec_values()
    if value is None:
        del values[key]
    else:
        values[key] = value
    with pytest.raises(coding.CodingError, match=key):
        coding.CodingParameters.from_spec_parameters(values)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: coding.rs_encode(bytes(10), 6), "interleave"),
        (lambda: coding.rs_encode(bytes(11), 5), "frame length"),
        (lambda: coding.rs_encode(bytes(224), 1), "frame length"),
        (lambda: coding.rs_encode(b"", 1), "frame length"),
        (lambda: coding.rs_decode(bytes(300), 1), "codeblock length"),
        (lambda: coding.rs_decode(bytes(1276), 5), "codeblock length"),
        (lambda: coding.rs_decode(bytes(32), 1), "codeblock length"),
        (lambda: coding.rs_decode(bytes(1275), True), "interleave"),
        (lambda: coding.rs_encode_batch(np.zeros(5, np.uint8), 5), "frames"),
        (lambda: coding.rs_decode_batch(np.zeros((2, 1275), np.float32), 5), "codeblocks"),
        (lambda: coding.encode_cadus([bytes(5), bytes(10)], 5), "frames"),
        (lambda: coding.decode_cadus(b"", 1116, 5), "frame_length"),
        (lambda: coding.find_codeblocks(b"", 0), "codeblock_length"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_invalid_arguments_raise_coding_error_naming_them(call, argument: str) -> None:
    """Invalid depth, frame length, codeblock length or array raise CodingError naming the argument."""
    with pytest.raises(coding.CodingError, match=argument):
        call()
    assert issubclass(coding.CodingError, ValueError)


# ---- 5. hypothesis: correction capability and robustness -------------------------------------------


@st.composite
def _codeblock_with_errors(draw: st.DrawFn, min_errors: int, max_errors: int):
    depth = draw(st.sampled_from(DEPTHS))
    kp = draw(st.integers(1, 223))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    frame = rng.integers(0, 256, kp * depth, dtype=np.uint8)
    clean = np.frombuffer(coding.rs_encode(frame.tobytes(), depth), np.uint8)
    received = clean.copy()
    length = kp + 32
    counts = []
    for k in range(depth):
        n_errors = draw(st.integers(min_errors, min(max_errors, length)))
        positions = draw(st.lists(st.integers(0, length - 1), min_size=n_errors, max_size=n_errors, unique=True))
        values = draw(st.lists(st.integers(1, 255), min_size=n_errors, max_size=n_errors))
        received[np.array(positions, dtype=np.int64) * depth + k] ^= np.array(values, dtype=np.uint8)
        counts.append(n_errors)
    return depth, frame.tobytes(), clean.tobytes(), received.tobytes(), tuple(counts)


@HYPOTHESIS
@given(_codeblock_with_errors(0, 16))
def test_up_to_16_errors_per_codeword_are_corrected_and_counted(case) -> None:
    """Every pattern of <= 16 symbol errors per codeword is corrected, with the exact count."""
    depth, frame, _, received, counts = case
    result = coding.rs_decode(received, depth)
    assert not result.uncorrectable
    assert result.data == frame
    assert result.corrected_per_codeword == counts
    assert result.corrected == sum(counts)


@HYPOTHESIS
@given(_codeblock_with_errors(17, 255))
def test_more_than_16_errors_are_flagged_or_consistently_miscorrected(case) -> None:
    """17+ errors per codeword: flagged (-1, data None) or a miscorrection to a valid codeword."""
    depth, _, _, received, _ = case
    result = coding.rs_decode(received, depth)
    assert all(c == -1 or 1 <= c <= 16 for c in result.corrected_per_codeword)
    assert result.uncorrectable == (-1 in result.corrected_per_codeword)
    if result.uncorrectable:
        assert result.data is None
    else:  # the decoder can't see a miscorrection, but its output must be a codeword at distance <= 16
        recoded = coding.rs_encode(result.data, depth)
        for k, (a, b) in enumerate(zip(_deinterleave(recoded, depth), _deinterleave(received, depth))):
            assert int(np.count_nonzero(a != b)) == result.corrected_per_codeword[k]


@HYPOTHESIS
@given(st.binary(max_size=4096), st.sampled_from(DEPTHS + (0, 6, 255)))
def test_rs_decode_of_arbitrary_bytes_raises_only_coding_error(data: bytes, depth: int) -> None:
    """rs_decode given any octets and depth returns an RSResult or raises CodingError, nothing else."""
    try:
        result = coding.rs_decode(data, depth)
    except coding.CodingError:
        return
    assert len(result.corrected_per_codeword) == depth
    assert result.uncorrectable == (result.data is None)


@HYPOTHESIS
@given(st.integers(0, 2**32 - 1), st.sampled_from(DEPTHS), st.integers(1, 223))
def test_rs_decode_of_random_codeblock_of_valid_length_never_raises(seed: int, depth: int, kp: int) -> None:
    """Random octets of a valid codeblock length decode without an exception (flagged or not)."""
    data = np.random.default_rng(seed).integers(0, 256, (kp + 32) * depth, dtype=np.uint8).tobytes()
    result = coding.rs_decode(data, depth)
    assert len(result.corrected_per_codeword) == depth


@HYPOTHESIS
@given(st.binary(max_size=6000), st.integers(-5, 2000), st.sampled_from(DEPTHS + (7,)), st.booleans())
def test_decode_cadus_of_arbitrary_bytes_raises_only_coding_error(
    stream: bytes, frame_length: int, depth: int, randomized: bool
) -> None:
    """decode_cadus given any stream and arguments returns results or raises CodingError only."""
    events: list[coding.SyncEvent] = []
    try:
        results = coding.decode_cadus(stream, frame_length, depth, randomized, events=events)
    except coding.CodingError:
        return
    assert all(isinstance(r, coding.RSResult) for r in results)


@HYPOTHESIS
@given(st.integers(0, 2**32 - 1), st.sampled_from(DEPTHS), st.integers(1, 30))
def test_decode_cadus_finds_markers_planted_in_noise(seed: int, depth: int, kp: int) -> None:
    """Noise sprinkled with sync markers never crashes the synchronizer or decoder."""
    rng = np.random.default_rng(seed)
    stream = rng.integers(0, 256, 3000, dtype=np.uint8)
    for offset in rng.integers(0, 2996, 40):
        stream[offset : offset + 4] = np.frombuffer(ASM, np.uint8)
    events: list[coding.SyncEvent] = []
    results = coding.decode_cadus(stream.tobytes(), kp * depth, depth, events=events)
    assert all(e.kind in ("acquired", "lost") for e in events)
    assert len(results) <= 3000 // (kp * depth + 32 * depth + 4) + 1


# ---- 6. batch == scalar --------------------------------------------------------------------------


@pytest.mark.parametrize(("depth", "kp"), [(1, 223), (5, 223), (8, 50), (3, 1)])
def test_rs_encode_batch_rows_equal_rs_encode(depth: int, kp: int) -> None:
    """Each row of rs_encode_batch equals rs_encode of that frame."""
    frames = _random_frames(np.random.default_rng(10 + depth), 7, kp * depth)
    batch = coding.rs_encode_batch(frames, depth)
    assert batch.shape == (7, (kp + 32) * depth) and batch.dtype == np.uint8
    for row, frame in zip(batch, frames):
        assert row.tobytes() == coding.rs_encode(frame.tobytes(), depth)


@pytest.mark.parametrize(("depth", "kp"), [(1, 223), (5, 223), (8, 50), (2, 20)])
def test_rs_decode_batch_rows_equal_rs_decode(depth: int, kp: int) -> None:
    """rs_decode_batch equals rs_decode per row: clean, correctable and uncorrectable rows mixed."""
    rng = np.random.default_rng(20 + depth)
    frames = _random_frames(rng, 12, kp * depth)
    blocks = coding.rs_encode_batch(frames, depth)
    received = []
    for i, block in enumerate(blocks):
        errors = (0, 1, 8, 16, 17, 40)[i % 6]
        received.append(_corrupt(block.tobytes(), depth, errors, rng) if errors else block.tobytes())
    batch = coding.rs_decode_batch(np.frombuffer(b"".join(received), np.uint8).reshape(12, -1), depth)
    for i, block in enumerate(received):
        scalar = coding.rs_decode(block, depth)
        assert tuple(batch.corrected[i].tolist()) == scalar.corrected_per_codeword
        assert bool(batch.uncorrectable[i]) == scalar.uncorrectable
        if scalar.uncorrectable:  # flagged rows hold the received information part unchanged
            assert batch.data[i].tobytes() == block[: kp * depth]
        else:
            assert batch.data[i].tobytes() == scalar.data == frames[i].tobytes()


def test_rs_decode_batch_accepts_empty_batch() -> None:
    """A batch of zero codeblocks decodes to empty arrays."""
    result = coding.rs_decode_batch(np.zeros((0, 1275), np.uint8), 5)
    assert result.data.shape == (0, 1115) and result.corrected.shape == (0, 5) and result.uncorrectable.shape == (0,)


# ---- 7. CADU streams ---------------------------------------------------------------------------


def _frames(seed: int, count: int, length: int) -> list[bytes]:
    return [f.tobytes() for f in _random_frames(np.random.default_rng(seed), count, length)]


def test_encode_cadus_is_asm_plus_randomized_codeblock() -> None:
    """Each CADU is the unrandomized ASM + randomize(rs_encode(frame)), restarting per codeblock."""
    frames = _frames(30, 3, 1115)
    stream = coding.encode_cadus(frames, 5)
    assert len(stream) == 3 * 1279
    for i, frame in enumerate(frames):
        cadu = stream[i * 1279 : (i + 1) * 1279]
        assert cadu[:4] == ASM
        assert cadu[4:] == coding.randomize(coding.rs_encode(frame, 5))


def test_decode_cadus_after_garbage_prefix_finds_every_frame() -> None:
    """A seeded garbage prefix, then CADUs: every frame is found and one 'acquired' event recorded."""
    rng = np.random.default_rng(31)
    frames = _frames(31, 10, 1115)
    prefix = rng.integers(0, 256, 777, dtype=np.uint8).tobytes()
    assert ASM not in prefix
    events: list[coding.SyncEvent] = []
    results = coding.decode_cadus(prefix + coding.encode_cadus(frames, 5), 1115, 5, events=events)
    assert [r.data for r in results] == frames
    assert events == [coding.SyncEvent(777, "acquired")]


def test_decode_cadus_garbage_between_cadus_loses_and_reacquires_lock() -> None:
    """Garbage between CADUs gives 'lost' then 'acquired', and the later frames are still found."""
    rng = np.random.default_rng(32)
    frames = _frames(32, 8, 1115)
    cadus = [coding.encode_cadus([f], 5) for f in frames]
    garbage = rng.integers(0, 256, 333, dtype=np.uint8).tobytes()
    assert ASM not in garbage
    stream = b"".join(cadus[:3]) + garbage + b"".join(cadus[3:])
    events: list[coding.SyncEvent] = []
    results = coding.decode_cadus(stream, 1115, 5, events=events)
    assert [r.data for r in results] == frames
    assert events == [
        coding.SyncEvent(0, "acquired"),
        coding.SyncEvent(3 * 1279, "lost"),
        coding.SyncEvent(3 * 1279 + 333, "acquired"),
    ]
    offsets, found = coding.find_codeblocks(stream, 1275)
    assert found == events
    assert offsets == [4 + 1279 * i for i in range(3)] + [3 * 1279 + 333 + 4 + 1279 * i for i in range(5)]


def test_decode_cadus_without_randomization() -> None:
    """randomize=False: CADUs carry rs_encode output as is and decode back to the frames."""
    frames = _frames(33, 4, 40 * 8)
    stream = coding.encode_cadus(frames, 8, randomize=False)
    assert stream[4 : 4 + 576] == coding.rs_encode(frames[0], 8)
    assert [r.data for r in coding.decode_cadus(stream, 320, 8, randomize=False)] == frames
    # Decoding with the wrong randomization setting cannot silently succeed.
    assert all(r.uncorrectable for r in coding.decode_cadus(stream, 320, 8, randomize=True))


def test_decode_cadus_corrects_channel_errors_and_ignores_trailing_partial_cadu() -> None:
    """Errors inside CADUs are corrected; a truncated last CADU is ignored."""
    rng = np.random.default_rng(34)
    frames = _frames(34, 5, 1115)
    stream = bytearray(coding.encode_cadus(frames, 5))
    for i in range(5):  # 10 errors per codeword, after randomization, inside codeblock i
        block = bytes(stream[i * 1279 + 4 : (i + 1) * 1279])
        stream[i * 1279 + 4 : (i + 1) * 1279] = _corrupt(block, 5, 10, rng)
    stream += coding.encode_cadus(frames[:1], 5)[:700]
    results = coding.decode_cadus(bytes(stream), 1115, 5)
    assert [r.data for r in results] == frames
    assert all(r.corrected_per_codeword == (10,) * 5 for r in results)


def test_decode_cadus_keeps_lock_through_marker_bit_errors() -> None:
    """Up to MARKER_LOCK_TOLERANCE bit errors in an expected marker keep lock (OISL-COD-012)."""
    frames = _frames(36, 4, 1115)
    stream = bytearray(coding.encode_cadus(frames, 5))
    stream[1 * 1279 + 1] ^= 0x01
    stream[2 * 1279 + 3] ^= 0x81  # two bit errors
    events: list[coding.SyncEvent] = []
    results = coding.decode_cadus(bytes(stream), 1115, 5, events=events)
    assert [r.data for r in results] == frames
    assert events == [coding.SyncEvent(0, "acquired")]


def test_decode_cadus_with_a_destroyed_marker_drops_only_that_cadu() -> None:
    """A marker with more bit errors than tolerated loses lock at its position; the synchronizer
    reacquires on the next CADU."""
    frames = _frames(35, 6, 1115)
    stream = bytearray(coding.encode_cadus(frames, 5))
    stream[2 * 1279 + 1] ^= 0xFF
    events: list[coding.SyncEvent] = []
    results = coding.decode_cadus(bytes(stream), 1115, 5, events=events)
    assert [r.data for r in results] == frames[:2] + frames[3:]
    assert [e.kind for e in events] == ["acquired", "lost", "acquired"]
    assert events[1].offset == 2 * 1279 and events[2].offset == 3 * 1279


def test_decode_cadus_resynchronizes_inside_a_slipped_codeblock() -> None:
    """Octets lost inside CADU 1: its codeblock is uncorrectable, the next marker (now earlier than
    expected) is found by resuming the search after the last accepted marker; nothing else is lost."""
    frames = _frames(37, 4, 1115)
    stream = coding.encode_cadus(frames, 5)
    slipped = stream[: 1279 + 300] + stream[1279 + 307 :]
    events: list[coding.SyncEvent] = []
    results = coding.decode_cadus(slipped, 1115, 5, events=events)
    assert [r.data for r in results] == [frames[0], None, frames[2], frames[3]]
    assert [e.kind for e in events] == ["acquired", "lost", "acquired"]
    assert events[1].offset == 2 * 1279 and events[2].offset == 2 * 1279 - 7


def test_find_codeblocks_with_no_marker_or_short_stream() -> None:
    """Streams without a marker, or shorter than one, give no codeblocks and no events."""
    assert coding.find_codeblocks(b"", 10) == ([], [])
    assert coding.find_codeblocks(b"\x1a\xcf", 10) == ([], [])
    assert coding.find_codeblocks(bytes(5000), 10) == ([], [])

"""Tests of the Hsiao (72,64) SEC-DED code (orbitcert.reference_impl.hardware.edac).

Oracles: the published matrix (Hsiao 1970, Fig. 6, rows as printed, transcribed independently of the
module's column constant), Hsiao's structural conditions, galois.GF2 linear algebra on H, exhaustive
enumeration of all 1-, 2- and 3-bit error patterns, and the decoder applied to real corrupted words.
"""

from __future__ import annotations

import itertools
import math

import galois
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbitcert.reference_impl.hardware import edac
from orbitcert.reference_impl.hardware.edac import (
    OUTCOME_CORRECTED,
    OUTCOME_DETECTED,
    OUTCOME_NONE,
    OUTCOME_SILENT,
    STATUS_CLEAN,
    STATUS_CORRECTED,
    STATUS_UNCORRECTABLE,
    EdacError,
    SecDedCode,
)

# Hsiao, IBM J. Res. Dev. 14(4), 1970, Fig. 6: the (72,64) parity-check matrix, rows top to bottom,
# columns left to right (64 data columns, then the identity of the 8 check bits), as reproduced in
# fpetrot/secded-codes paperhsiao.py. Mapping: column p = codeword bit p, row i = syndrome bit i.
PUBLISHED_ROWS = (
    "11111111 00001111 00001111 00001100 01101000 10001000 10001000 10000000 10000000",
    "11110000 11111111 00000000 11110011 01100100 01000100 01000100 01000000 01000000",
    "00110000 11110000 11111111 00001111 00000010 00100010 00100010 00100110 00100000",
    "11001111 00000000 11110000 11111111 00000001 00010001 00010001 00010110 00010000",
    "01101000 10001000 10001000 10000000 11111111 00001111 00000000 11110011 00001000",
    "01100100 01000100 01000100 01000000 11110000 11111111 00001111 00001100 00000100",
    "00000010 00100010 00100010 00100110 11001111 00000000 11111111 00001111 00000010",
    "00000001 00010001 00010001 00010110 00110000 11110000 11110000 11111111 00000001",
)

# Another valid (72,64) Hsiao code (block-circulant construction of the scalable-arch ECC exercises):
# first row of the data part; row i is it rotated right by 8 i. Used to exercise SecDedCode with a
# second, differently structured matrix.
CIRCULANT_ROW0 = "11111111 00100110 01001001 10010000 00010000 00010011 00011100 11100000"

N_WORDS = 256


def published_h() -> np.ndarray:
    return np.array([[int(ch) for ch in row.replace(" ", "")] for row in PUBLISHED_ROWS], dtype=np.uint8)


def circulant_code() -> SecDedCode:
    row0 = np.array([int(ch) for ch in CIRCULANT_ROW0.replace(" ", "")], dtype=np.uint8)
    part = np.stack([np.roll(row0, 8 * i) for i in range(8)])
    columns = tuple(int(sum(int(part[i, b]) << i for i in range(8))) for b in range(64))
    return SecDedCode(name="circulant", data_columns=columns)


@pytest.fixture(scope="module")
def code() -> SecDedCode:
    return edac.hsiao_72_64()


@pytest.fixture(scope="module")
def words() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(np.random.SeedSequence(0x72_64))
    data = rng.integers(0, 2**64, size=N_WORDS, dtype=np.uint64, endpoint=False)
    data[:2] = (0, 2**64 - 1)
    return data, edac.hsiao_72_64().encode(data)


def pattern_masks(patterns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(data_mask, check_mask) arrays for rows of codeword bit indices (independent of mask_from_bits)."""
    bits = np.asarray(patterns, dtype=np.int64)
    one = np.uint64(1)
    data_mask = np.zeros(bits.shape[0], dtype=np.uint64)
    check_mask = np.zeros(bits.shape[0], dtype=np.uint8)
    for col in bits.T:
        is_data = col < 64
        data_mask ^= np.where(is_data, one << np.where(is_data, col, 0).astype(np.uint64), np.uint64(0))
        check_mask ^= np.where(is_data, 0, 1 << np.where(is_data, 0, col - 64)).astype(np.uint8)
    return data_mask, check_mask


def bits_matrix(data: np.ndarray, check: np.ndarray) -> np.ndarray:
    """(72, N) 0/1 matrix of codeword bits in codeword bit order."""
    d = (data[np.newaxis, :] >> np.arange(64, dtype=np.uint64)[:, np.newaxis]) & np.uint64(1)
    c = (check[np.newaxis, :] >> np.arange(8, dtype=np.uint8)[:, np.newaxis]) & np.uint8(1)
    return np.vstack([d.astype(np.uint8), c.astype(np.uint8)])


# --- the matrix ---------------------------------------------------------------------------------

def test_h_equals_published_figure(code: SecDedCode) -> None:
    assert code.H.shape == (8, 72) and code.H.dtype == np.uint8
    np.testing.assert_array_equal(code.H, published_h())
    assert code.name == "hsiao-72-64" and (code.n, code.k, code.r) == (72, 64, 8)


@pytest.mark.parametrize("make", [edac.hsiao_72_64, circulant_code], ids=["fig6", "circulant"])
def test_hsiao_properties(make) -> None:
    h = make().H
    weights = h.sum(axis=0)
    assert np.all(weights % 2 == 1)
    assert len({tuple(col) for col in h.T}) == 72
    np.testing.assert_array_equal(h[:, 64:], np.eye(8, dtype=np.uint8))
    counts = np.bincount(weights[:64], minlength=6)
    assert (counts[3], counts[5]) == (math.comb(8, 3), 8) and counts.sum() == 64
    assert int(h.sum()) == 8 * 1 + 3 * 56 + 5 * 8 == 216
    rows = h.sum(axis=1)
    assert rows.max() - rows.min() <= 1
    # Fig. 6 is perfectly balanced: 216 / 8 = 27 ones per row.
    if make is edac.hsiao_72_64:
        assert set(rows.tolist()) == {27}


def test_data_columns_match_h(code: SecDedCode) -> None:
    h = code.H
    assert code.data_columns == tuple(int(sum(int(h[i, b]) << i for i in range(8))) for b in range(64))


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ((0x07,) * 63, "64"),
        ((0x03,) + edac.HSIAO_72_64_DATA_COLUMNS[1:], "even weight"),
        ((0x04,) + edac.HSIAO_72_64_DATA_COLUMNS[1:], "unit"),
        ((0x3B,) + edac.HSIAO_72_64_DATA_COLUMNS[1:], "repeats"),
        ((0x100,) + edac.HSIAO_72_64_DATA_COLUMNS[1:], "8-bit"),
        ((0,) + edac.HSIAO_72_64_DATA_COLUMNS[1:], "8-bit"),
        (("x",) + edac.HSIAO_72_64_DATA_COLUMNS[1:], "int"),
    ],
)
def test_bad_columns_rejected(columns: tuple[int, ...], message: str) -> None:
    with pytest.raises(EdacError, match=message):
        SecDedCode(name="bad", data_columns=columns)


def test_registry(code: SecDedCode) -> None:
    assert edac.code("hsiao-72-64") is code is edac.hsiao_72_64()
    assert edac.CODES["hsiao-72-64"]() is code
    with pytest.raises(EdacError, match="hsiao-72-64"):
        edac.code("hamming-72-64")


# --- encoding against GF(2) linear algebra --------------------------------------------------------

def test_encode_against_galois(code: SecDedCode, words: tuple[np.ndarray, np.ndarray]) -> None:
    data, check = words
    gf = galois.GF2
    h = gf(published_h())
    codewords = gf(bits_matrix(data, check))
    assert not np.any(h @ codewords)
    # check = D d over GF(2), D the published data part.
    d = gf(bits_matrix(data, np.zeros_like(check))[:64])
    expected = np.asarray(h[:, :64] @ d, dtype=np.uint8)
    np.testing.assert_array_equal(bits_matrix(data, check)[64:], expected)


def test_syndrome_against_galois(code: SecDedCode) -> None:
    rng = np.random.default_rng(np.random.SeedSequence(7))
    data = rng.integers(0, 2**64, size=500, dtype=np.uint64)
    check = rng.integers(0, 256, size=500, dtype=np.uint8)
    s = np.asarray(galois.GF2(published_h()) @ galois.GF2(bits_matrix(data, check)), dtype=np.int64)
    expected = (s << np.arange(8)[:, np.newaxis]).sum(axis=0)
    np.testing.assert_array_equal(code.syndrome(data, check), expected.astype(np.uint8))
    assert code.syndrome(data, check).dtype == np.uint8


def test_clean_words_decode_clean(code: SecDedCode, words: tuple[np.ndarray, np.ndarray]) -> None:
    data, check = words
    result = code.decode(data, check)
    assert np.all(result.status == STATUS_CLEAN) and np.all(result.bit == -1) and np.all(result.syndrome == 0)
    np.testing.assert_array_equal(result.data, data)
    np.testing.assert_array_equal(result.check, check)
    assert (result.data.dtype, result.check.dtype, result.status.dtype, result.syndrome.dtype, result.bit.dtype) == (
        np.uint64, np.uint8, np.uint8, np.uint8, np.int16)


def test_shapes_preserved(code: SecDedCode, words: tuple[np.ndarray, np.ndarray]) -> None:
    data, check = words
    grid = data[:240].reshape(4, 6, 10)
    assert code.encode(grid).shape == (4, 6, 10)
    np.testing.assert_array_equal(code.encode(grid).reshape(-1), check[:240])
    assert code.decode(data[0], check[0]).status.shape == ()
    # Big-endian uint64 input is accepted and means the same values.
    np.testing.assert_array_equal(code.encode(data.astype(">u8")), check)


# --- exhaustive error patterns --------------------------------------------------------------------

def test_all_single_errors_corrected(code: SecDedCode, words: tuple[np.ndarray, np.ndarray]) -> None:
    data, check = words
    dmask, cmask = pattern_masks(np.arange(72)[:, np.newaxis])
    rx_data = data[np.newaxis, :] ^ dmask[:, np.newaxis]
    rx_check = check[np.newaxis, :] ^ cmask[:, np.newaxis]
    result = code.decode(rx_data, rx_check)
    assert np.all(result.status == STATUS_CORRECTED)
    np.testing.assert_array_equal(result.bit, np.broadcast_to(np.arange(72)[:, np.newaxis], rx_data.shape))
    h_columns = (published_h().astype(np.int64) << np.arange(8)[:, np.newaxis]).sum(axis=0)
    np.testing.assert_array_equal(result.syndrome, np.broadcast_to(h_columns[:, np.newaxis], rx_data.shape))
    np.testing.assert_array_equal(result.data, np.broadcast_to(data, rx_data.shape))
    np.testing.assert_array_equal(result.check, np.broadcast_to(check, rx_data.shape))
    for b in range(72):
        assert code.error_bit(int(h_columns[b])) == b


def test_all_double_errors_detected(code: SecDedCode, words: tuple[np.ndarray, np.ndarray]) -> None:
    data, check = words[0][:200], words[1][:200]
    pairs = np.array(list(itertools.combinations(range(72), 2)))
    assert len(pairs) == math.comb(72, 2) == 2556
    dmask, cmask = pattern_masks(pairs)
    rx_data = data[np.newaxis, :] ^ dmask[:, np.newaxis]
    rx_check = check[np.newaxis, :] ^ cmask[:, np.newaxis]
    result = code.decode(rx_data, rx_check)
    assert np.all(result.status == STATUS_UNCORRECTABLE)
    assert np.all(result.bit == -1)
    assert np.all(result.syndrome != 0)
    np.testing.assert_array_equal(result.data, rx_data)
    np.testing.assert_array_equal(result.check, rx_check)
    assert np.all(code.classify(dmask, cmask) == OUTCOME_DETECTED)


def test_triple_errors_against_galois(code: SecDedCode, words: tuple[np.ndarray, np.ndarray]) -> None:
    triples = np.array(list(itertools.combinations(range(72), 3)))
    assert len(triples) == math.comb(72, 3) == 59640
    dmask, cmask = pattern_masks(triples)
    outcome = code.classify(dmask, cmask)
    counts = np.bincount(outcome, minlength=4)
    assert counts[OUTCOME_NONE] == 0 and counts[OUTCOME_CORRECTED] == 0
    assert counts[OUTCOME_DETECTED] + counts[OUTCOME_SILENT] == len(triples)

    # Brute force with galois: syndromes H e over GF(2); a weight-3 pattern is a silent miscorrection
    # exactly when its syndrome equals some column of H (the decoder then flips a fourth bit).
    e = np.zeros((72, len(triples)), dtype=np.uint8)
    e[triples.T, np.arange(len(triples))] = 1
    h = published_h()
    s = np.asarray(galois.GF2(h) @ galois.GF2(e), dtype=np.uint8)
    matches_column = (s.T[:, np.newaxis, :] == h.T[np.newaxis, :, :]).all(axis=2).any(axis=1)
    assert not np.any(s.any(axis=0) == 0)
    assert counts[OUTCOME_SILENT] == int(matches_column.sum())
    np.testing.assert_array_equal(outcome == OUTCOME_SILENT, matches_column)
    # Each weight-4 codeword {a,b,c,d} yields exactly 4 miscorrected triples.
    assert counts[OUTCOME_SILENT] % 4 == 0

    # The decoder on real corrupted words agrees with classify (a sample of triples x words).
    rng = np.random.default_rng(np.random.SeedSequence(3))
    pick = rng.choice(len(triples), size=4000, replace=False)
    data, check = words[0][:64], words[1][:64]
    rx = code.decode(data[np.newaxis, :] ^ dmask[pick, np.newaxis], check[np.newaxis, :] ^ cmask[pick, np.newaxis])
    restored = (rx.data == data) & (rx.check == check)
    assert not np.any(restored)
    silent = rx.status != STATUS_UNCORRECTABLE
    np.testing.assert_array_equal(silent, np.broadcast_to((outcome[pick] == OUTCOME_SILENT)[:, np.newaxis], silent.shape))


def test_classify_small_patterns(code: SecDedCode) -> None:
    z64, z8 = np.zeros(1, np.uint64), np.zeros(1, np.uint8)
    assert code.classify(z64, z8)[0] == OUTCOME_NONE
    for b in range(72):
        dm, cm = edac.mask_from_bits([b])
        assert code.classify(np.array([dm], np.uint64), np.array([cm], np.uint8))[0] == OUTCOME_CORRECTED
    # A weight-4 codeword (pattern with zero syndrome) is silent: data bits 0 (0x0B), 3 (0x07), check c2, c3.
    dm, cm = edac.mask_from_bits([0, 3, 66, 67])
    assert code.syndrome(np.array([dm], np.uint64), np.array([cm], np.uint8))[0] == 0
    assert code.classify(np.array([dm], np.uint64), np.array([cm], np.uint8))[0] == OUTCOME_SILENT


def test_circulant_code_is_secded() -> None:
    alt = circulant_code()
    pairs = np.array(list(itertools.combinations(range(72), 2)))
    singles = np.arange(72)[:, np.newaxis]
    assert np.all(alt.classify(*pattern_masks(singles)) == OUTCOME_CORRECTED)
    assert np.all(alt.classify(*pattern_masks(pairs)) == OUTCOME_DETECTED)
    data = np.arange(1000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    codewords = galois.GF2(bits_matrix(data, alt.encode(data)))
    assert not np.any(galois.GF2(alt.H) @ codewords)


def test_error_bit_all_syndromes(code: SecDedCode) -> None:
    h = published_h()
    for s in range(256):
        col = np.array([(s >> i) & 1 for i in range(8)], dtype=np.uint8)
        hits = np.flatnonzero((h == col[:, np.newaxis]).all(axis=0))
        assert code.error_bit(s) == (int(hits[0]) if len(hits) else None)
    for bad in (-1, 256, 1.0, True, "3"):
        with pytest.raises(EdacError, match="syndrome"):
            code.error_bit(bad)  # type: ignore[arg-type]


# --- serialization and masks ----------------------------------------------------------------------

def test_codeword_round_trip(code: SecDedCode, words: tuple[np.ndarray, np.ndarray]) -> None:
    data, check = words
    blob = edac.to_codewords(data, check)
    assert len(blob) == 9 * len(data)
    back_data, back_check = edac.from_codewords(blob)
    np.testing.assert_array_equal(back_data, data)
    np.testing.assert_array_equal(back_check, check)
    assert back_data.dtype == np.uint64 and back_check.dtype == np.uint8
    one = edac.to_codewords(np.array([0x0102030405060708], np.uint64), np.array([0xA5], np.uint8))
    assert one == bytes([1, 2, 3, 4, 5, 6, 7, 8, 0xA5])
    assert edac.from_codewords(b"") [0].shape == (0,)
    for bad in (b"\x00" * 8, b"\x00" * 10):
        with pytest.raises(EdacError, match="multiple of 9"):
            edac.from_codewords(bad)
    with pytest.raises(EdacError, match="bytes"):
        edac.from_codewords("abc")  # type: ignore[arg-type]


def test_mask_from_bits() -> None:
    assert edac.mask_from_bits([]) == (0, 0)
    assert edac.mask_from_bits([0, 63, 64, 71]) == ((1 << 63) | 1, 0x81)
    assert edac.mask_from_bits(range(72)) == (2**64 - 1, 0xFF)
    assert edac.mask_from_bits([5, 5]) == (0, 0)
    for bad in ([72], [-1], [1.5], [True]):
        with pytest.raises(EdacError, match="bit"):
            edac.mask_from_bits(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "check", "message"),
    [
        (np.zeros(3, np.int64), np.zeros(3, np.uint8), "uint64"),
        (np.zeros(3, np.uint32), np.zeros(3, np.uint8), "uint64"),
        ([1, 2, 3], np.zeros(3, np.uint8), "numpy uint64"),
        (np.zeros(3, np.uint64), np.zeros(3, np.int8), "uint8"),
        (np.zeros(3, np.uint64), np.zeros(4, np.uint8), "shape"),
        (np.zeros(3, np.uint64), [0, 0, 0], "numpy uint8"),
    ],
)
def test_bad_arguments(code: SecDedCode, data: object, check: object, message: str) -> None:
    with pytest.raises(EdacError, match=message):
        code.decode(data, check)  # type: ignore[arg-type]
    with pytest.raises(EdacError, match=message):
        code.syndrome(data, check)  # type: ignore[arg-type]
    with pytest.raises(EdacError, match=message):
        code.classify(data, check)  # type: ignore[arg-type]
    with pytest.raises(EdacError, match=message):
        edac.to_codewords(data, check)  # type: ignore[arg-type]
    assert issubclass(EdacError, ValueError)


# --- property-based -------------------------------------------------------------------------------

@given(
    st.lists(st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 255)), min_size=0, max_size=40),
)
def test_decode_total(pairs: list[tuple[int, int]]) -> None:
    code = edac.hsiao_72_64()
    data = np.array([p[0] for p in pairs], dtype=np.uint64)
    check = np.array([p[1] for p in pairs], dtype=np.uint8)
    result = code.decode(data, check)
    assert set(result.status.tolist()) <= {STATUS_CLEAN, STATUS_CORRECTED, STATUS_UNCORRECTABLE}
    ok = result.status != STATUS_UNCORRECTABLE
    assert np.all(code.syndrome(result.data[ok], result.check[ok]) == 0)
    np.testing.assert_array_equal(result.data[~ok], data[~ok])


@given(st.integers(0, 2**64 - 1), st.sets(st.integers(0, 71), min_size=1, max_size=2))
def test_one_or_two_flips(value: int, flips: set[int]) -> None:
    code = edac.hsiao_72_64()
    data = np.array([value], dtype=np.uint64)
    check = code.encode(data)
    dm, cm = edac.mask_from_bits(flips)
    result = code.decode(data ^ np.uint64(dm), check ^ np.uint8(cm))
    if len(flips) == 1:
        assert result.status[0] == STATUS_CORRECTED and result.bit[0] == next(iter(flips))
        assert result.data[0] == value and result.check[0] == check[0]
    else:
        assert result.status[0] == STATUS_UNCORRECTABLE

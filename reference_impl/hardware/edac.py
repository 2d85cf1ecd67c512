"""SEC-DED memory EDAC: the Hsiao (72,64) odd-weight-column code, vectorized with numpy.

**The code.** M. Y. Hsiao, "A class of optimal minimum odd-weight-column SEC-DED codes", IBM J. Res.
Dev. 14(4):395-401, 1970. A single-error-correcting, double-error-detecting (SEC-DED) code whose
parity-check matrix H has distinct odd-weight columns: a single error gives an odd-weight syndrome
equal to the column of the flipped bit, a double error gives a nonzero even-weight syndrome, so the
two are told apart without the extra overall parity bit of an extended Hamming code. Hsiao chooses
the columns of minimum total weight (all weight-1 and weight-3 columns first, then weight-5) and
balances the row weights, which minimises the XOR-tree size and depth of the encoder and decoder.
For (72,64) that is the 8 unit columns (check bits), all C(8,3) = 56 weight-3 columns and 8 of the
C(8,5) = 56 weight-5 columns, total weight 8 + 3*56 + 5*8 = 216, i.e. 27 ones in each of the 8 rows.
This is the code of the 72-bit-wide EDAC of rad-hard memory controllers (64 data + 8 check bits per
memory word).

**The matrix used** (:data:`HSIAO_72_64_DATA_COLUMNS`) is Fig. 6 of Hsiao's paper, the (72,64) H
matrix, as transcribed in the public repository ``fpetrot/secded-codes`` (file ``paperhsiao.py``,
"Parity check matrix (72, 64), Fig. 6 of Hsiao original '70 paper"): 8 rows of 72 columns, the 64
data columns first and the 8 x 8 identity (check bits) last; every row has weight 27 there.
*Mapping to the orbitcert bit order:* published column p (0-based, left to right) is codeword bit p
and published row i (0-based, top to bottom) is syndrome bit i. So the 64 data columns are, in
order, data bits 0..63 (LSB first) and the identity columns are check bits c_0..c_7, whose column is
``1 << j`` as required; :attr:`SecDedCode.H` reproduces the published figure element for element.
(The transcription's own demo script reads the columns MSB first, data bit 63 - p; a bit *labelling*
convention, not part of the code: both labellings give a code with the same weight distribution.)
A second public "Hsiao (72,64)" matrix exists (a block-circulant construction in the ECC exercises
of ``scalable-arch/ECC-exercise`` / J. Kim's ``hsiao.cc``, 26 ones per data row); it is a valid Hsiao
code too but is not the paper's figure, so Fig. 6 was chosen. Any other odd-weight-column code can be
built with :class:`SecDedCode` directly.

**Bit order (normative, used by the hw-compute-module spec).** Codeword bit b, 0 <= b < 64, is bit b
(LSB = 0) of the 64-bit data word; codeword bit 64 + j is check bit c_j, bit j of the 8-bit check
value. On the wire a codeword is 9 octets: the data word big-endian, then the check octet
(:func:`to_codewords`, :func:`from_codewords`). The syndrome is the 8-bit value whose bit j is row j
of H applied to the received codeword over GF(2); since H = [D | I_8], encoding is ``check = D d``
and the syndrome of a received (data, check) is ``D data XOR check``.

**Vectorization.** ``D data`` is computed with 8 lookup tables of 256 entries, one per data octet
(table o, entry v = XOR of the columns of the bits set in v, at positions 8o..8o+7), XORed together:
8 gathers per call whatever the number of words. Decoding uses 256-entry tables indexed by the
syndrome: corrected bit, status, data flip mask and check flip mask; no Python loop over words.

Bad arguments raise :class:`EdacError` (a ``ValueError``) with a message naming the argument.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "CODES",
    "HSIAO_72_64_DATA_COLUMNS",
    "OUTCOME_CORRECTED",
    "OUTCOME_DETECTED",
    "OUTCOME_NONE",
    "OUTCOME_SILENT",
    "STATUS_CLEAN",
    "STATUS_CORRECTED",
    "STATUS_UNCORRECTABLE",
    "DecodeResult",
    "EdacError",
    "SecDedCode",
    "code",
    "from_codewords",
    "hsiao_72_64",
    "mask_from_bits",
    "to_codewords",
]

U8Array = npt.NDArray[np.uint8]
U64Array = npt.NDArray[np.uint64]
I16Array = npt.NDArray[np.int16]

STATUS_CLEAN, STATUS_CORRECTED, STATUS_UNCORRECTABLE = 0, 1, 2
"""Decoder verdict per word: no error seen, single error corrected, error detected but not corrected."""

OUTCOME_NONE, OUTCOME_CORRECTED, OUTCOME_DETECTED, OUTCOME_SILENT = 0, 1, 2, 3
"""Fate of an error pattern: no error, corrected exactly, flagged uncorrectable, silent corruption."""

DATA_BITS = 64
CHECK_BITS = 8
CODEWORD_OCTETS = 9

#: Hsiao (1970) Fig. 6, the (72,64) parity-check matrix, data part: entry b is the column of data
#: bit b as an 8-bit syndrome (bit i = published row i). Transcription source and mapping: see the
#: module docstring. 56 weight-3 and 8 weight-5 columns; the weight-5 ones are data bits 1, 2, 29,
#: 30, 33, 34, 61, 62.
HSIAO_72_64_DATA_COLUMNS: tuple[int, ...] = (
    0x0B, 0x3B, 0x37, 0x07, 0x19, 0x29, 0x49, 0x89,  # data bits 0-7
    0x16, 0x26, 0x46, 0x86, 0x13, 0x23, 0x43, 0x83,  # data bits 8-15
    0x1C, 0x2C, 0x4C, 0x8C, 0x15, 0x25, 0x45, 0x85,  # data bits 16-23
    0x1A, 0x2A, 0x4A, 0x8A, 0x0D, 0xCD, 0xCE, 0x0E,  # data bits 24-31
    0x70, 0x73, 0xB3, 0xB0, 0x51, 0x52, 0x54, 0x58,  # data bits 32-39
    0xA1, 0xA2, 0xA4, 0xA8, 0x31, 0x32, 0x34, 0x38,  # data bits 40-47
    0xC1, 0xC2, 0xC4, 0xC8, 0x61, 0x62, 0x64, 0x68,  # data bits 48-55
    0x91, 0x92, 0x94, 0x98, 0xE0, 0xEC, 0xDC, 0xD0,  # data bits 56-63
)


class EdacError(ValueError):
    """A bad argument to the EDAC code (wrong dtype, shape, length or range); the message names it."""


@dataclass(frozen=True)
class DecodeResult:
    """Result of :meth:`SecDedCode.decode`, one entry per input word (same shape as the input).

    ``data``/``check`` are the corrected word (unchanged where clean or uncorrectable), ``status``
    one of the ``STATUS_*`` values, ``syndrome`` the 8-bit syndrome, ``bit`` the codeword bit that was
    corrected (0..71) or -1.
    """

    data: U64Array
    check: U8Array
    status: U8Array
    syndrome: U8Array
    bit: I16Array


@dataclass(frozen=True)
class _Tables:
    octet: U8Array  # (8, 256): syndrome contribution of data octet o having value v
    bit: I16Array  # (256,): codeword bit a single error at gives this syndrome, or -1
    status: U8Array  # (256,): decoder status for this syndrome
    data_flip: U64Array  # (256,): data correction mask for this syndrome
    check_flip: U8Array  # (256,): check correction mask for this syndrome
    columns: U8Array  # (72,): all columns, codeword bit order


@functools.lru_cache(maxsize=16)
def _tables(data_columns: tuple[int, ...]) -> _Tables:
    columns = np.array([*data_columns, *(1 << j for j in range(CHECK_BITS))], dtype=np.uint8)
    values = np.arange(256, dtype=np.uint16)
    octet = np.zeros((DATA_BITS // 8, 256), dtype=np.uint8)
    for o in range(DATA_BITS // 8):  # 8 octets x 8 bit positions: table construction, not per word
        for i in range(8):
            present = ((values >> i) & 1).astype(bool)
            octet[o, present] ^= columns[8 * o + i]
    bit = np.full(256, -1, dtype=np.int16)
    bit[columns] = np.arange(DATA_BITS + CHECK_BITS, dtype=np.int16)
    status = np.full(256, STATUS_UNCORRECTABLE, dtype=np.uint8)
    status[columns] = STATUS_CORRECTED
    status[0] = STATUS_CLEAN
    data_flip = np.zeros(256, dtype=np.uint64)
    data_flip[columns[:DATA_BITS]] = np.left_shift(np.uint64(1), np.arange(DATA_BITS, dtype=np.uint64))
    check_flip = np.zeros(256, dtype=np.uint8)
    check_flip[columns[DATA_BITS:]] = columns[DATA_BITS:]
    for array in (octet, bit, status, data_flip, check_flip, columns):
        array.flags.writeable = False
    return _Tables(octet, bit, status, data_flip, check_flip, columns)


def _as_words(data: object, name: str = "data") -> U64Array:
    if not isinstance(data, (np.ndarray, np.generic)):
        raise EdacError(f"{name} must be a numpy uint64 array, got {type(data).__name__}")
    array = np.asarray(data)
    if array.dtype.kind != "u" or array.dtype.itemsize != 8:
        raise EdacError(f"{name} must have dtype uint64, got {array.dtype}")
    return array.astype(np.uint64, copy=False)


def _as_checks(check: object, shape: tuple[int, ...], name: str = "check") -> U8Array:
    if not isinstance(check, (np.ndarray, np.generic)):
        raise EdacError(f"{name} must be a numpy uint8 array, got {type(check).__name__}")
    array = np.asarray(check)
    if array.dtype != np.uint8:
        raise EdacError(f"{name} must have dtype uint8, got {array.dtype}")
    if array.shape != shape:
        raise EdacError(f"{name} has shape {array.shape}, the data words have shape {shape}: they must match")
    return array.astype(np.uint8, copy=False)


def _popcount8(value: int) -> int:
    return bin(value).count("1")


@dataclass(frozen=True)
class SecDedCode:
    """A systematic (72,64) SEC-DED code H = [D | I_8] given by its 64 data columns.

    ``data_columns[b]`` is the 8-bit syndrome of a single error in data bit b; check bit j's column
    is ``1 << j``. Validation (:class:`EdacError`): 64 integers in 1..255, each of odd weight >= 3
    (weight 1 would collide with a check-bit column), all distinct: Hsiao's conditions for SEC-DED.
    """

    name: str
    data_columns: tuple[int, ...]
    n: int = 72
    k: int = 64
    r: int = 8

    def __post_init__(self) -> None:
        if (self.n, self.k, self.r) != (DATA_BITS + CHECK_BITS, DATA_BITS, CHECK_BITS):
            raise EdacError(f"only (n, k, r) = (72, 64, 8) is supported, got ({self.n}, {self.k}, {self.r})")
        columns = tuple(self.data_columns)
        if len(columns) != DATA_BITS:
            raise EdacError(f"data_columns must hold {DATA_BITS} syndromes, got {len(columns)}")
        for b, value in enumerate(columns):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise EdacError(f"data_columns[{b}] must be an int, got {type(value).__name__}")
            if not 0 < int(value) < 256:
                raise EdacError(f"data_columns[{b}] = {value} is not a nonzero 8-bit syndrome")
            weight = _popcount8(int(value))
            if weight % 2 == 0:
                raise EdacError(f"data_columns[{b}] = 0x{int(value):02X} has even weight {weight}: not SEC-DED")
            if weight == 1:
                raise EdacError(f"data_columns[{b}] = 0x{int(value):02X} equals a check-bit (unit) column")
        seen: dict[int, int] = {}
        for b, value in enumerate(columns):
            if int(value) in seen:
                raise EdacError(f"data_columns[{b}] = 0x{int(value):02X} repeats data_columns[{seen[int(value)]}]")
            seen[int(value)] = b
        object.__setattr__(self, "data_columns", tuple(int(v) for v in columns))

    @property
    def _t(self) -> _Tables:
        return _tables(self.data_columns)

    @property
    def H(self) -> U8Array:
        """The (8, 72) parity-check matrix over GF(2), column order = codeword bit order."""
        columns = self._t.columns
        return ((columns[np.newaxis, :] >> np.arange(CHECK_BITS, dtype=np.uint8)[:, np.newaxis]) & 1).astype(np.uint8)

    def _data_syndrome(self, words: U64Array) -> U8Array:
        octets = np.ascontiguousarray(words, dtype="<u8").reshape(-1).view(np.uint8).reshape(-1, 8)
        table = self._t.octet
        acc: U8Array = table[0][octets[:, 0]]
        for o in range(1, DATA_BITS // 8):  # 8 octet lookups, each over all words at once
            np.bitwise_xor(acc, table[o][octets[:, o]], out=acc)
        return acc.reshape(words.shape)

    def encode(self, data: npt.ArrayLike) -> U8Array:
        """Check octets of uint64 data words (same shape): ``check = D data`` over GF(2)."""
        return self._data_syndrome(_as_words(data))

    def syndrome(self, data: npt.ArrayLike, check: npt.ArrayLike) -> U8Array:
        """8-bit syndromes of received (data, check) pairs of the same shape; 0 for codewords."""
        words = _as_words(data)
        checks = _as_checks(check, words.shape)
        return np.asarray(self._data_syndrome(words) ^ checks)

    def decode(self, data: npt.ArrayLike, check: npt.ArrayLike) -> DecodeResult:
        """Correct single errors and flag others, per word (Hsiao's decoding rule).

        Syndrome 0: clean. Syndrome equal to the column of codeword bit b: bit b is flipped back,
        corrected. Any other syndrome (even weight, or odd weight matching no column): uncorrectable,
        the word is returned unchanged.
        """
        words = _as_words(data)
        checks = _as_checks(check, words.shape)
        t = self._t
        s = self._data_syndrome(words) ^ checks
        return DecodeResult(
            data=np.asarray(words ^ t.data_flip[s]),
            check=np.asarray(checks ^ t.check_flip[s]),
            status=np.asarray(t.status[s]),
            syndrome=np.asarray(s),
            bit=np.asarray(t.bit[s]),
        )

    def classify(self, data_mask: npt.ArrayLike, check_mask: npt.ArrayLike) -> U8Array:
        """Outcome (``OUTCOME_*``) of each error pattern (data_mask, check_mask) on any codeword.

        The code is linear, so the decoder's action depends on the pattern only: zero pattern ->
        NONE; the decoder flips exactly the pattern's single bit -> CORRECTED; the decoder flags it
        -> DETECTED; syndrome 0 with a nonzero pattern, or a "correction" that lands on another
        codeword (miscorrection) -> SILENT.
        """
        dmask = _as_words(data_mask, "data_mask")
        cmask = _as_checks(check_mask, dmask.shape, "check_mask")
        t = self._t
        s = self._data_syndrome(dmask) ^ cmask
        zero = (dmask == 0) & (cmask == 0)
        exact = (dmask == t.data_flip[s]) & (cmask == t.check_flip[s])
        status = t.status[s]
        outcome = np.full(dmask.shape, OUTCOME_SILENT, dtype=np.uint8)
        outcome[status == STATUS_UNCORRECTABLE] = OUTCOME_DETECTED
        outcome[(status == STATUS_CORRECTED) & exact] = OUTCOME_CORRECTED
        outcome[zero] = OUTCOME_NONE
        return outcome

    def error_bit(self, syndrome: int) -> int | None:
        """Codeword bit whose single error gives ``syndrome`` (0..255), or None if no bit does."""
        if isinstance(syndrome, bool) or not isinstance(syndrome, (int, np.integer)):
            raise EdacError(f"syndrome must be an int, got {type(syndrome).__name__}")
        if not 0 <= int(syndrome) < 256:
            raise EdacError(f"syndrome must be in 0..255, got {syndrome}")
        bit = int(self._t.bit[int(syndrome)])
        return None if bit < 0 else bit


@functools.cache
def hsiao_72_64() -> SecDedCode:
    """The Hsiao (1970, Fig. 6) (72,64) SEC-DED code (cached singleton)."""
    return SecDedCode(name="hsiao-72-64", data_columns=HSIAO_72_64_DATA_COLUMNS)


CODES: dict[str, Callable[[], SecDedCode]] = {"hsiao-72-64": hsiao_72_64}


def code(name: str) -> SecDedCode:
    """The SEC-DED code registered under ``name`` (see :data:`CODES`)."""
    try:
        factory = CODES[name]
    except (KeyError, TypeError):
        raise EdacError(f"unknown EDAC code {name!r}; known codes: {', '.join(sorted(CODES))}") from None
    return factory()


def to_codewords(data: npt.ArrayLike, check: npt.ArrayLike) -> bytes:
    """Serialize words (flattened in C order) as 9 octets each: data big-endian, then check octet."""
    words = _as_words(data)
    checks = _as_checks(check, words.shape)
    out = np.empty((words.size, CODEWORD_OCTETS), dtype=np.uint8)
    out[:, :8] = np.ascontiguousarray(words, dtype=">u8").reshape(-1).view(np.uint8).reshape(-1, 8)
    out[:, 8] = checks.reshape(-1)
    return out.tobytes()


def from_codewords(blob: bytes | bytearray | memoryview) -> tuple[U64Array, U8Array]:
    """Parse 9-octet codewords (layout of :func:`to_codewords`) into 1-D (data, check) arrays."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise EdacError(f"codewords must be bytes, got {type(blob).__name__}")
    raw = np.frombuffer(blob, dtype=np.uint8)
    if raw.size % CODEWORD_OCTETS:
        raise EdacError(f"codeword blob length {raw.size} is not a multiple of {CODEWORD_OCTETS} octets")
    rows = raw.reshape(-1, CODEWORD_OCTETS)
    data = np.ascontiguousarray(rows[:, :8]).view(">u8").reshape(-1).astype(np.uint64)
    return data, rows[:, 8].copy()


def mask_from_bits(bits: Iterable[int]) -> tuple[int, int]:
    """(data_mask, check_mask) of an error pattern flipping the given codeword bits (0..71).

    Bits 0..63 go to the data mask, 64 + j to bit j of the check mask. A bit listed twice is flipped
    twice, i.e. cancels (the pattern is the XOR of the flips).
    """
    data_mask = 0
    check_mask = 0
    for position in bits:
        if isinstance(position, bool) or not isinstance(position, (int, np.integer)):
            raise EdacError(f"codeword bit must be an int, got {type(position).__name__}")
        b = operator.index(position)
        if not 0 <= b < DATA_BITS + CHECK_BITS:
            raise EdacError(f"codeword bit {b} out of range 0..{DATA_BITS + CHECK_BITS - 1}")
        if b < DATA_BITS:
            data_mask ^= 1 << b
        else:
            check_mask ^= 1 << (b - DATA_BITS)
    return data_mask, check_mask

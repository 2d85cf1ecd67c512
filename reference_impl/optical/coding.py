"""TM synchronization and channel coding golden model (CCSDS 131.0-B-3).

This module is the reference implementation of the ``coding`` conformance class of
``net-optical-isl`` (and holds the CRC-16 its later ``framing`` class uses). It implements, from CCSDS 131.0-B-3 "TM Synchronization and
Channel Coding":

* section 4, Reed-Solomon coding: the (255,223) E=16 code over GF(2^8) with field polynomial
  F(x) = x^8+x^7+x^2+x+1, code generator g(x) = prod_{j=112}^{143} (x - alpha^{11 j}), systematic
  encoding, symbol interleaving of depth I (symbol j of codeword k sits at codeblock position
  j*I + k), virtual fill for shortened codeblocks (Q = 223 - L/I zero symbols are prepended to
  each codeword and never transmitted) and the Berlekamp dual-basis symbol representation
  (Annex F);
* section 9, frame synchronization: the 32-bit attached sync marker (ASM) preceding every
  codeblock (the channel access data unit, CADU) and a frame synchronizer that finds it;
* section 10, pseudo-randomization: XOR with the sequence of h(x) = x^8+x^7+x^5+x^3+1, restarted
  with the all-ones state at the first bit of every codeblock (the ASM itself is not randomized);

plus the CRC-16-CCITT frame error control field of CCSDS 132.0-B-3 4.1.6.

Citations name the section and the topic of 131.0-B-3; sub-clause numbers differ between issues
of the Blue Book, and the spec's ``clause`` fields are authoritative for them.

Normative constants (ASM, polynomials, n, k, E, interleaving depths, randomizer and CRC
parameters) are not written here: they are read from the spec (``CodingParameters`` /
``default_parameters()``). The only constant of the standard kept in this file is the
definition of the dual basis itself (the basis {1, beta, ..., beta^7} with beta = alpha^117,
131.0-B-3 Annex F), which the spec names only as ``rs_symbol_representation: dual-basis``.

Performance design (this is a golden model that vendors run over gigabytes):

* Encoding is GF(2)-linear. For every message position p a table ``T[p][v]`` holds the 2E check
  symbols contributed by symbol value v at p, built directly in the wire representation (dual
  basis in, dual basis out), so no per-symbol basis conversion is done. The parity of a batch is
  the XOR over positions of one table gather per position, vectorized over all codewords of the
  batch (the Python loop runs over <= 223 positions, never over bytes or codewords).
* Decoding re-encodes the received information symbols; the XOR of received and recomputed
  check symbols is r(x) mod g(x). A zero remainder (the common case) means a clean codeword and
  costs nothing more. Only the remaining codewords go through syndromes, Berlekamp-Massey,
  Chien search and Forney, each vectorized across all dirty codewords at once; the result is
  re-encoded and verified before it is accepted.
"""

from __future__ import annotations

import binascii
import functools
import importlib.resources
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "CodingError",
    "CodingParameters",
    "RSBatchResult",
    "RSResult",
    "SyncEvent",
    "crc16",
    "decode_cadus",
    "default_parameters",
    "encode_cadus",
    "find_codeblocks",
    "randomize",
    "rs_decode",
    "rs_decode_batch",
    "rs_encode",
    "rs_encode_batch",
]

#: 131.0-B-3 Annex F: the dual basis {l_0..l_7} is dual to {1, beta, ..., beta^7}, beta = alpha^117.
BERLEKAMP_BASIS_EXPONENT = 117

_SPEC_ID = "net-optical-isl"
_SPEC_VERSION = "1.0.0"

U8Array = npt.NDArray[np.uint8]


class CodingError(ValueError):
    """An argument or parameter is outside what CCSDS 131.0-B-3 allows (the message names it)."""


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise CodingError(f"spec parameter {name!r}: expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value, 0)
        except ValueError:
            pass
    raise CodingError(f"spec parameter {name!r}: expected an integer, got {value!r}")


def _as_marker(name: str, value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        marker = bytes(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.lower().startswith("0x"):
            text = text[2:]
        try:
            marker = bytes.fromhex(text)
        except ValueError:
            raise CodingError(f"spec parameter {name!r}: not a hex string: {value!r}") from None
    elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        marker = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    else:
        raise CodingError(f"spec parameter {name!r}: expected hex octets, got {value!r}")
    if not marker:
        raise CodingError(f"spec parameter {name!r}: the sync marker is empty")
    return marker


@dataclass(frozen=True)
class CodingParameters:
    """The normative constants of CCSDS 131.0-B-3 sections 4, 9 and 10 used by this module.

    Built from a spec's ``parameters`` with :meth:`from_spec_parameters`; the defaults of the
    bundled ``net-optical-isl`` spec come from :func:`default_parameters`.
    """

    attached_sync_marker: bytes  # section 9, ASM
    field_polynomial: int  # section 4, field generator F(x)
    first_consecutive_root: int  # section 4, code generator: first root j0
    generator_exponent: int  # section 4, roots (alpha^generator_exponent)^j
    codeword_length: int  # section 4, n
    message_length: int  # section 4, k
    error_correction_capability: int  # section 4, E
    interleaving_depths: tuple[int, ...]  # section 4, allowed interleaving depths I
    randomizer_polynomial: int  # section 10, h(x)
    randomizer_seed: int  # section 10, initial register (first output bits, MSB first)
    crc16_polynomial: int  # 132.0-B-3 4.1.6
    crc16_initial: int  # 132.0-B-3 4.1.6
    symbol_representation: Literal["dual-basis", "conventional"] = "dual-basis"  # section 4, Annex F

    @property
    def n(self) -> int:
        """Codeword length n (131.0-B-3 section 4)."""
        return self.codeword_length

    @property
    def k(self) -> int:
        """Message length k (131.0-B-3 section 4)."""
        return self.message_length

    @property
    def E(self) -> int:  # noqa: N802 - the standard's name
        """Correctable symbol errors per codeword E (131.0-B-3 section 4)."""
        return self.error_correction_capability

    @classmethod
    def from_spec_parameters(cls, values: Mapping[str, Any]) -> CodingParameters:
        """Build the parameters from a spec's ``parameters`` mapping (name -> unwrapped value).

        Keys are those of ``net-optical-isl`` (``attached_sync_marker``, ``rs_*``,
        ``randomizer_*``, ``crc16_*``). Raises :class:`CodingError` naming the offending key when
        one is missing, mistyped, or inconsistent with CCSDS 131.0-B-3 section 4 (n = 255, n - k = 2E).
        """

        def get(name: str) -> Any:
            try:
                return values[name]
            except KeyError:
                raise CodingError(f"spec parameter {name!r} is missing") from None

        depths_raw = get("rs_interleaving_depths")
        if not isinstance(depths_raw, (list, tuple)) or not depths_raw:
            raise CodingError(
                f"spec parameter 'rs_interleaving_depths': expected a non-empty list, got {depths_raw!r}"
            )
        depths = tuple(_as_int("rs_interleaving_depths", d) for d in depths_raw)
        representation = values.get("rs_symbol_representation", "dual-basis")
        if representation not in ("dual-basis", "conventional"):
            raise CodingError(
                "spec parameter 'rs_symbol_representation': expected 'dual-basis' or "
                f"'conventional', got {representation!r}"
            )
        params = cls(
            attached_sync_marker=_as_marker("attached_sync_marker", get("attached_sync_marker")),
            field_polynomial=_as_int("rs_field_polynomial", get("rs_field_polynomial")),
            first_consecutive_root=_as_int("rs_first_consecutive_root", get("rs_first_consecutive_root")),
            generator_exponent=_as_int("rs_generator_exponent", get("rs_generator_exponent")),
            codeword_length=_as_int("rs_codeword_length", get("rs_codeword_length")),
            message_length=_as_int("rs_message_length", get("rs_message_length")),
            error_correction_capability=_as_int(
                "rs_error_correction_capability", get("rs_error_correction_capability")
            ),
            interleaving_depths=depths,
            randomizer_polynomial=_as_int("randomizer_polynomial", get("randomizer_polynomial")),
            randomizer_seed=_as_int("randomizer_seed", get("randomizer_seed")),
            crc16_polynomial=_as_int("crc16_polynomial", get("crc16_polynomial")),
            crc16_initial=_as_int("crc16_initial", get("crc16_initial")),
            symbol_representation=representation,
        )
        params._validate()
        if "randomizer_period_bits" in values:
            period = _as_int("randomizer_period_bits", values["randomizer_period_bits"])
            actual = _randomizer_period(params.randomizer_polynomial, params.randomizer_seed)
            if period != actual:
                raise CodingError(
                    f"spec parameter 'randomizer_period_bits' is {period} but h(x) = "
                    f"{params.randomizer_polynomial:#x} with seed {params.randomizer_seed:#x} "
                    f"has period {actual}"
                )
        return params

    def _validate(self) -> None:
        if self.field_polynomial >> 8 != 1:
            raise CodingError(
                f"spec parameter 'rs_field_polynomial' {self.field_polynomial:#x} is not of degree 8"
            )
        if self.codeword_length != 255:
            raise CodingError(
                f"spec parameter 'rs_codeword_length' is {self.codeword_length}; only n = 255 is supported"
            )
        e = self.error_correction_capability
        if e < 1 or self.codeword_length - self.message_length != 2 * e:
            raise CodingError(
                "spec parameters 'rs_codeword_length', 'rs_message_length' and "
                f"'rs_error_correction_capability' are inconsistent: n - k = "
                f"{self.codeword_length - self.message_length}, 2E = {2 * e}"
            )
        if math.gcd(self.generator_exponent, 255) != 1:
            raise CodingError(
                f"spec parameter 'rs_generator_exponent' {self.generator_exponent} is not coprime to 255"
            )
        if any(d < 1 for d in self.interleaving_depths):
            raise CodingError(
                f"spec parameter 'rs_interleaving_depths' has a depth < 1: {self.interleaving_depths}"
            )
        if self.randomizer_polynomial >> 8 != 1 or not self.randomizer_polynomial & 1:
            raise CodingError(
                f"spec parameter 'randomizer_polynomial' {self.randomizer_polynomial:#x} is not a "
                "degree-8 polynomial with a constant term"
            )
        if not 0 < self.randomizer_seed < 256:
            raise CodingError(f"spec parameter 'randomizer_seed' {self.randomizer_seed:#x} is not 8 bits, non-zero")
        if not 0 <= self.crc16_polynomial < 1 << 16 or not 0 <= self.crc16_initial < 1 << 16:
            raise CodingError("spec parameters 'crc16_polynomial' / 'crc16_initial' must be 16-bit")


@functools.cache
def default_parameters() -> CodingParameters:
    """Coding parameters of the bundled spec ``net-optical-isl`` 1.0.0 (131.0-B-3 4, 9, 10),
    read through the spec loader from the bundled catalog (a parameter is written once)."""
    from orbitcert.specs.loader import load_spec_file

    path = importlib.resources.files("orbitcert.specs") / "catalog" / _SPEC_ID / f"{_SPEC_VERSION}.yaml"
    spec = load_spec_file(str(path)).spec
    return CodingParameters.from_spec_parameters({name: p.value for name, p in spec.parameters.items()})


def _params(params: CodingParameters | None) -> CodingParameters:
    if params is None:
        return default_parameters()
    if not isinstance(params, CodingParameters):
        raise CodingError(f"params: expected CodingParameters, got {type(params).__name__}")
    return params


# --------------------------------------------------------------------------------------------
# CRC-16 (132.0-B-3 4.1.6) and the pseudo-randomizer (131.0-B-3 section 10)
# --------------------------------------------------------------------------------------------


@functools.cache
def _crc16_table(polynomial: int) -> tuple[int, ...]:
    table = []
    for byte in range(256):
        reg = byte << 8
        for _ in range(8):
            reg = ((reg << 1) ^ polynomial) if reg & 0x8000 else (reg << 1)
        table.append(reg & 0xFFFF)
    return tuple(table)


def _crc16_table_driven(data: bytes, polynomial: int, initial: int) -> int:
    table = _crc16_table(polynomial)
    reg = initial
    for byte in data:
        reg = ((reg << 8) & 0xFFFF) ^ table[(reg >> 8) ^ byte]
    return reg


def crc16(data: bytes, *, params: CodingParameters | None = None) -> int:
    """Frame error control field of CCSDS 132.0-B-3 4.1.6 (CRC-16-CCITT, MSB first, no final XOR).

    Table-driven over the spec's polynomial and preset (0x1021, 0xFFFF): ``crc16(b"123456789")
    == 0x29B1``. For the CCITT polynomial the identical computation of the standard library
    (``binascii.crc_hqx``, C speed) is used; the tests check both agree.
    """
    p = _params(params)
    buf = bytes(data)
    if p.crc16_polynomial == 0x1021:
        return binascii.crc_hqx(buf, p.crc16_initial)
    return _crc16_table_driven(buf, p.crc16_polynomial, p.crc16_initial)


def _lfsr_bits(polynomial: int, seed: int, count: int) -> list[int]:
    # a_{t+8} = sum over set bits i < 8 of h(x) of a_{t+i}; a_0..a_7 are the seed bits MSB first.
    bits = [(seed >> (7 - i)) & 1 for i in range(8)]
    taps = [i for i in range(8) if (polynomial >> i) & 1]
    while len(bits) < count:
        t = len(bits) - 8
        bit = 0
        for i in taps:
            bit ^= bits[t + i]
        bits.append(bit)
    return bits[:count]


def _randomizer_period(polynomial: int, seed: int) -> int:
    bits = _lfsr_bits(polynomial, seed, 2 * 256 + 8)
    for period in range(1, 257):
        if bits[period : period + 256] == bits[:256]:
            return period
    return 0


@functools.cache
def _randomizer_sequence(polynomial: int, seed: int) -> U8Array:
    """One full period of the pseudo-random sequence, as octets (the octet period is the bit period)."""
    period = _randomizer_period(polynomial, seed)
    if period == 0:
        raise CodingError(f"randomizer polynomial {polynomial:#x} with seed {seed:#x} is not periodic")
    bits = np.array(_lfsr_bits(polynomial, seed, 8 * period), dtype=np.uint8)
    sequence = np.packbits(bits)
    sequence.setflags(write=False)
    return sequence


def _randomizer_for(length: int, p: CodingParameters) -> U8Array:
    return np.resize(_randomizer_sequence(p.randomizer_polynomial, p.randomizer_seed), length)


def randomize(data: bytes, *, params: CodingParameters | None = None) -> bytes:
    """Pseudo-randomize (or de-randomize: the operation is an involution) one codeblock.

    CCSDS 131.0-B-3 section 10: XOR with the sequence of h(x) = x^8+x^7+x^5+x^3+1 from
    the all-ones state, restarting at ``data[0]``. The sequence begins FF 48 0E C0 9A 0D 70 BC and
    has a period of 255 bits, so its octets repeat every 255 octets.
    """
    p = _params(params)
    arr = np.frombuffer(bytes(data), dtype=np.uint8)
    return (arr ^ _randomizer_for(arr.size, p)).tobytes()


# --------------------------------------------------------------------------------------------
# Reed-Solomon code tables (131.0-B-3 section 4)
# --------------------------------------------------------------------------------------------

_DIRTY_CHUNK = 1024  # dirty codewords decoded per vectorized step (memory ~35 kB each)
_CADU_CHUNK = 8192  # codeblocks per rs_decode_batch call in decode_cadus
_LOG_ZERO = 1024  # log of 0: any sum involving it indexes the zero tail of the antilog table


class _Code:
    """Precomputed tables of the RS code of one CodingParameters (built once, cached)."""

    def __init__(self, p: CodingParameters) -> None:
        self._field_polynomial = p.field_polynomial
        self.n = p.codeword_length
        self.k = p.message_length
        self.nroots = 2 * p.error_correction_capability
        self.E = p.error_correction_capability
        self.fcr = p.first_consecutive_root
        self.words = (self.nroots + 7) // 8  # uint64 words per parity vector

        # GF(2^8) with F(x); alpha = x.
        alpha_exp = np.zeros(255, dtype=np.int64)
        x = 1
        for i in range(255):
            alpha_exp[i] = x
            x <<= 1
            if x & 0x100:
                x ^= p.field_polynomial
        if len(set(alpha_exp.tolist())) != 255:
            raise CodingError(
                f"spec parameter 'rs_field_polynomial' {p.field_polynomial:#x} is not primitive"
            )
        # All decoding arithmetic uses logarithms to the base gamma = alpha^generator_exponent,
        # the primitive element whose consecutive powers are the roots of g(x).
        gamma_exp = alpha_exp[(p.generator_exponent * np.arange(255)) % 255]
        # Antilogarithms: cyclic below _LOG_ZERO, zero from there on (so log(0) absorbs).
        self.exp = np.zeros(3 * _LOG_ZERO, dtype=np.uint8)
        self.exp[:_LOG_ZERO] = gamma_exp[np.arange(_LOG_ZERO) % 255]
        self.log = np.full(256, _LOG_ZERO, dtype=np.int64)
        self.log[gamma_exp] = np.arange(255)

        # Basis conversion (section 4, Annex F): z_j = Tr(x * beta^j), z_0 the first (most
        # significant) transmitted bit, beta = alpha^117.
        values = np.arange(256)
        if p.symbol_representation == "dual-basis":
            trace = np.zeros(256, dtype=np.int64)
            power = values.copy()
            for _ in range(8):
                trace ^= power
                power = self._mul_arr(power, power)
            dual = np.zeros(256, dtype=np.int64)
            for j in range(8):
                beta_j = int(alpha_exp[(BERLEKAMP_BASIS_EXPONENT * j) % 255])
                dual |= trace[self._mul_arr(values, np.full(256, beta_j))] << (7 - j)
            self.to_dual = dual.astype(np.uint8)
        else:
            self.to_dual = values.astype(np.uint8)
        self.to_conv = np.zeros(256, dtype=np.uint8)
        self.to_conv[self.to_dual] = values.astype(np.uint8)

        # Code generator g(x) = prod_{j=fcr}^{fcr+2E-1} (x - gamma^j), coefficients low to high.
        gen = np.zeros(self.nroots + 1, dtype=np.int64)
        gen[0] = 1
        for j in range(self.fcr, self.fcr + self.nroots):
            gen_root = int(gamma_exp[j % 255])
            shifted = np.concatenate([[0], gen[:-1]])
            gen = shifted ^ self._mul_arr(gen, np.full(gen.size, gen_root))
        self.generator = gen.astype(np.uint8)

        # x^e mod g(x) for e = 2E .. n-1 (coefficients low to high), by x * r(x) mod g(x).
        residues = np.zeros((self.n, self.nroots), dtype=np.int64)
        r = gen[: self.nroots].copy()
        for e in range(self.nroots, self.n):
            residues[e] = r
            top = r[-1]
            r = np.concatenate([[0], r[:-1]])
            if top:
                r ^= self._mul_arr(gen[: self.nroots], np.full(self.nroots, top))

        # Encoding tables in the wire representation: T[p][v] = check symbols (transmitted
        # order, wire representation) of the wire symbol v at message position p.
        unit = self.to_conv[1 << np.arange(8)].astype(np.int64)  # conventional value of each wire bit
        powers = self.n - 1 - np.arange(self.k)  # position p carries x^(n-1-p)
        res = residues[powers][:, None, :]  # (k, 1, 2E)
        contrib_conv = self._mul_arr(res, unit[None, :, None])  # (k, 8, 2E) conventional
        contrib = self.to_dual[contrib_conv[:, :, ::-1]]  # transmitted order, wire representation
        table = np.zeros((self.k, 256, 8 * self.words), dtype=np.uint8)
        for bit in range(8):
            low = 1 << bit
            table[:, low : 2 * low, : self.nroots] = table[:, :low, : self.nroots] ^ contrib[:, bit][:, None, :]
        self.tables = table.view(np.uint64)  # (k, 256, words)

        # Syndrome j evaluates the remainder coefficient of x^i at gamma^{(fcr+j) i}: (2E: j, 2E: i).
        root = np.arange(self.nroots, dtype=np.int64)
        self.syndrome_exp = ((self.fcr + root[:, None]) * root[None, :]) % 255

    def _mul_arr(self, a: npt.NDArray[Any], b: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
        """Product in GF(2^8) by shift-and-add (used only while building tables)."""
        a, b = (x.copy() for x in np.broadcast_arrays(np.asarray(a, np.int64), np.asarray(b, np.int64)))
        out = np.zeros(b.shape, dtype=np.int64)
        poly = self._field_polynomial
        for _ in range(8):
            out ^= np.where(b & 1, a, 0)
            b >>= 1
            a <<= 1
            a = np.where(a & 0x100, a ^ poly, a)
        return out

    # ---- encoding -----------------------------------------------------------------------

    def parity(self, messages: U8Array) -> npt.NDArray[np.uint64]:
        """Check symbols of codewords whose message symbols are ``messages[..., p, ...]``.

        ``messages`` has shape (N, k', I) (frames reshaped, codeword c is column c) and the
        result (N, I, words) uint64 holds each codeword's 2E check symbols (wire representation,
        transmitted order) as octets, padded to whole words.
        """
        n_frames, kp, depth = messages.shape
        tables = self.tables[self.k - kp :]  # shortened: the last k' positions (virtual fill)
        acc = np.zeros((n_frames, depth, self.words), dtype=np.uint64)
        buf = np.empty_like(acc)
        for pos in range(kp):
            np.take(tables[pos], messages[:, pos, :], axis=0, out=buf, mode="clip")
            acc ^= buf
        return acc

    def parity_rows(self, messages: U8Array) -> U8Array:
        """Check symbols (K, 2E) of codewords given as rows (K, k') (wire representation)."""
        acc = self.parity(messages[:, :, None])
        return acc.reshape(messages.shape[0], -1).view(np.uint8)[:, : self.nroots]

    # ---- decoding of dirty codewords --------------------------------------------------------

    def correct(self, codewords: U8Array, remainders: U8Array) -> tuple[U8Array, npt.NDArray[np.int64]]:
        """Correct dirty codewords (K, n') given their nonzero remainders (K, 2E) (wire repr.).

        Returns the corrected codewords and the number of corrected symbols per codeword, -1
        where the codeword is uncorrectable (those rows are returned unchanged).
        """
        exp, log = self.exp, self.log
        count, length = codewords.shape
        nroots, E = self.nroots, self.E
        out = codewords.copy()
        counts = np.full(count, -1, dtype=np.int64)
        if count == 0:
            return out, counts

        # Syndromes S_j = r(gamma^{fcr+j}); r(x) = c(x) mod g(x) has the same syndromes as c(x).
        rem = self.to_conv[remainders[:, ::-1]]  # coefficient of x^i at column i, conventional
        rem_log = log[rem]  # (K, 2E)
        synd = np.bitwise_xor.reduce(
            exp[rem_log[:, None, :] + self.syndrome_exp[None, :, :]], axis=2
        )  # (K, 2E)
        synd_log = log[synd]

        # Berlekamp-Massey, vectorized over codewords.
        lam = np.zeros((count, nroots + 1), dtype=np.uint8)
        lam[:, 0] = 1
        prev = lam.copy()
        degree = np.zeros(count, dtype=np.int64)
        shift = np.ones(count, dtype=np.int64)
        prev_disc = np.ones(count, dtype=np.uint8)
        cols = np.arange(nroots + 1)
        for step in range(nroots):
            disc = np.bitwise_xor.reduce(
                exp[log[lam[:, : step + 1]] + synd_log[:, step::-1]], axis=1
            )
            nonzero = disc != 0
            # log(disc / prev_disc); prev_disc is never 0. _LOG_ZERO (product 0) where disc == 0.
            factor_log = np.where(nonzero, (log[disc] - log[prev_disc]) % 255, _LOG_ZERO)
            src = cols[None, :] - shift[:, None]
            shifted = np.where(src >= 0, np.take_along_axis(prev, np.clip(src, 0, None), axis=1), 0)
            updated = lam ^ exp[factor_log[:, None] + log[shifted]]
            grow = nonzero & (2 * degree <= step)
            prev = np.where(grow[:, None], lam, prev)
            prev_disc = np.where(grow, disc, prev_disc)
            degree = np.where(grow, step + 1 - degree, degree)
            shift = np.where(grow, 1, shift + 1)
            lam = np.where(nonzero[:, None], updated, lam)

        ok = (degree >= 1) & (degree <= E)
        # Chien search over the transmitted positions only: x^i, i = 0 .. n'-1. A root in the
        # virtual fill (i >= n') is not found, so the root count then differs from the degree.
        powers = np.arange(length)
        lam_log = log[lam[:, : E + 1]]  # (K, E+1)
        chien_exp = (-(powers[None, :] * np.arange(E + 1)[:, None])) % 255  # (E+1, n')
        candidates = np.flatnonzero(ok)
        values = np.bitwise_xor.reduce(
            exp[lam_log[candidates][:, :, None] + chien_exp[None, :, :]], axis=1
        )  # (K', n'): Lambda(X^-1) for X = gamma^i
        found = values == 0
        complete = found.sum(axis=1) == degree[candidates]
        idx = candidates[complete]
        is_root = found[complete]
        if idx.size:
            # Forney: e = X^{1-fcr} Omega(X^-1) / Lambda'(X^-1), Omega = S Lambda mod x^{2E}.
            lam_ok = lam[idx, : E + 1]
            omega = np.zeros((idx.size, nroots), dtype=np.uint8)
            s_log = synd_log[idx]
            l_log = log[lam_ok]
            for d in range(E + 1):
                omega[:, d:] ^= exp[l_log[:, d : d + 1] + s_log[:, : nroots - d]]
            deriv = np.zeros_like(lam_ok)
            deriv[:, 0 : E : 2] = lam_ok[:, 1 : E + 1 : 2]  # odd terms, shifted down by one
            rows, pos = np.nonzero(is_root)
            inv = (-pos) % 255  # log of X^-1
            om_val = np.bitwise_xor.reduce(
                exp[log[omega[rows]] + (inv[:, None] * np.arange(nroots)[None, :]) % 255], axis=1
            )
            de_val = np.bitwise_xor.reduce(
                exp[log[deriv[rows]] + (inv[:, None] * np.arange(E + 1)[None, :]) % 255], axis=1
            )
            good = (om_val != 0) & (de_val != 0)
            err_log = (pos * (1 - self.fcr) + log[om_val] - log[de_val]) % 255
            err = np.where(good, exp[np.where(good, err_log, 0)], 0).astype(np.uint8)
            bad_rows = np.zeros(idx.size, dtype=bool)
            np.logical_or.at(bad_rows, rows, ~good)
            symbol = length - 1 - pos  # x^i is transmitted at index n'-1-i
            fixed = out[idx].copy()
            fixed[rows, symbol] ^= self.to_dual[err]
            # Accept only codewords that re-encode to a zero remainder.
            recheck = self.parity_rows(np.ascontiguousarray(fixed[:, : length - nroots]))
            valid = ~bad_rows & np.all(recheck == fixed[:, length - nroots :], axis=1)
            out[idx[valid]] = fixed[valid]
            counts[idx[valid]] = degree[idx[valid]]
        return out, counts


@functools.cache
def _code_for(params: CodingParameters) -> _Code:
    return _Code(params)


# --------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------


def _check_depth(interleave: Any, p: CodingParameters) -> int:
    if isinstance(interleave, bool) or not isinstance(interleave, (int, np.integer)):
        raise CodingError(f"interleave: expected an integer interleaving depth, got {interleave!r}")
    depth = int(interleave)
    if depth not in p.interleaving_depths:
        raise CodingError(
            f"interleave={depth} is not an allowed interleaving depth (allowed: "
            f"{', '.join(map(str, p.interleaving_depths))}; CCSDS 131.0-B-3 section 4)"
        )
    return depth


def _check_frame_length(length: int, depth: int, p: CodingParameters, name: str = "frame length") -> int:
    """Return k' = L / I (131.0-B-3 section 4 virtual fill: L a multiple of I, 1 <= L/I <= k)."""
    if length % depth or not 1 <= length // depth <= p.k:
        raise CodingError(
            f"{name} {length} is invalid for interleave={depth}: it must be a multiple of the "
            f"depth with 1 <= L/I <= {p.k} (CCSDS 131.0-B-3 section 4, virtual fill), i.e. up to {p.k * depth} octets"
        )
    return length // depth


def _check_codeblock_length(length: int, depth: int, p: CodingParameters) -> int:
    """Return k' for a codeblock of ``length`` octets (L + 2E*I, 131.0-B-3 section 4)."""
    check = 2 * p.E * depth
    if length % depth or not 1 <= (length - check) // depth <= p.k or length <= check:
        raise CodingError(
            f"codeblock length {length} is invalid for interleave={depth}: it must be L + {check} "
            f"with L a multiple of {depth} and 1 <= L/I <= {p.k} (CCSDS 131.0-B-3 section 4)"
        )
    return (length - check) // depth


def _as_octets(data: Any, name: str) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        raise CodingError(f"{name}: expected bytes, got str")
    try:
        return bytes(memoryview(data))
    except TypeError:
        raise CodingError(f"{name}: expected bytes, got {type(data).__name__}") from None


def _as_batch(array: Any, name: str) -> U8Array:
    try:
        arr = np.asarray(array)
    except Exception as exc:  # noqa: BLE001 - any conversion failure is a bad argument
        raise CodingError(f"{name}: not convertible to an array ({exc})") from None
    if arr.ndim != 2:
        raise CodingError(f"{name}: expected a 2-D (N, length) uint8 array, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        if arr.dtype.kind not in "iu" or (arr.size and (arr.min() < 0 or arr.max() > 255)):
            raise CodingError(f"{name}: expected uint8 octets, got dtype {arr.dtype}")
        arr = arr.astype(np.uint8)
    return arr


# --------------------------------------------------------------------------------------------
# Reed-Solomon encoding and decoding (131.0-B-3 section 4)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RSResult:
    """Outcome of decoding one Reed-Solomon codeblock (131.0-B-3 section 4).

    ``data`` is the corrected frame (information part), or None when any codeword of the
    codeblock is uncorrectable; ``corrected`` is the total number of symbols corrected (in the
    correctable codewords); ``corrected_per_codeword`` has one entry per codeword of the
    interleave, -1 for an uncorrectable codeword.
    """

    data: bytes | None
    corrected: int
    uncorrectable: bool
    corrected_per_codeword: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class RSBatchResult:
    """Outcome of decoding N codeblocks (131.0-B-3 section 4).

    ``data`` (N, L) uint8 holds the corrected frames; a row that is uncorrectable holds the
    received information part unchanged (no codeword of it is modified). ``corrected`` (N, I)
    counts the symbols corrected per codeword, -1 for an uncorrectable codeword;
    ``uncorrectable`` (N,) flags rows with any uncorrectable codeword.
    """

    data: U8Array
    corrected: npt.NDArray[np.int64]
    uncorrectable: npt.NDArray[np.bool_]


def rs_encode_batch(
    frames: U8Array, interleave: int, *, params: CodingParameters | None = None
) -> U8Array:
    """Reed-Solomon encode N frames of L octets into (N, L + 2E*I) codeblocks.

    CCSDS 131.0-B-3 section 4 (systematic encoding; interleaving of depth I: symbol j of
    codeword k at codeblock position j*I + k; virtual fill when L < k*I; Annex F dual-basis
    symbols). ``frames`` is an (N, L) uint8 array, L a multiple of I with 1 <= L/I <= 223.
    """
    p = _params(params)
    depth = _check_depth(interleave, p)
    arr = _as_batch(frames, "frames")
    count, length = arr.shape
    kp = _check_frame_length(length, depth, p)
    code = _code_for(p)
    nroots = code.nroots
    acc = code.parity(arr.reshape(count, kp, depth))
    check = acc.view(np.uint8).reshape(count, depth, -1)[:, :, :nroots]
    out = np.empty((count, length + nroots * depth), dtype=np.uint8)
    out[:, :length] = arr
    out[:, length:] = check.transpose(0, 2, 1).reshape(count, nroots * depth)
    return out


def rs_encode(frame: bytes, interleave: int, *, params: CodingParameters | None = None) -> bytes:
    """Reed-Solomon encode one frame: the frame followed by 2E*I interleaved check symbols.

    CCSDS 131.0-B-3 section 4 (see :func:`rs_encode_batch`).
    """
    data = _as_octets(frame, "frame")
    arr = np.frombuffer(data, dtype=np.uint8).reshape(1, -1)
    return rs_encode_batch(arr, interleave, params=params).tobytes()


def rs_decode_batch(
    codeblocks: U8Array, interleave: int, *, params: CodingParameters | None = None
) -> RSBatchResult:
    """Reed-Solomon decode N codeblocks of L + 2E*I octets (131.0-B-3 section 4).

    Corrects up to E = 16 symbol errors per codeword. Clean codewords (received check symbols
    equal to the re-encoded ones) take no further work; the others are decoded (syndromes,
    Berlekamp-Massey, Chien search restricted to transmitted positions, Forney) and accepted only
    if the corrected codeword re-encodes consistently. Raises only :class:`CodingError`.
    """
    p = _params(params)
    depth = _check_depth(interleave, p)
    arr = _as_batch(codeblocks, "codeblocks")
    count, total = arr.shape
    kp = _check_codeblock_length(total, depth, p)
    code = _code_for(p)
    nroots = code.nroots
    length = kp * depth
    info3 = arr[:, :length].reshape(count, kp, depth)
    recomputed = code.parity(info3)  # (N, I, words)
    received = np.zeros((count, depth, 8 * code.words), dtype=np.uint8)
    received[:, :, :nroots] = arr[:, length:].reshape(count, nroots, depth).transpose(0, 2, 1)
    remainder = recomputed ^ received.view(np.uint64)
    dirty = np.bitwise_or.reduce(remainder, axis=2) != 0 if code.words > 1 else remainder[:, :, 0] != 0
    data = arr[:, :length].copy()
    corrected = np.zeros((count, depth), dtype=np.int64)
    uncorrectable = np.zeros(count, dtype=bool)
    if dirty.any():
        rows, cols = np.nonzero(dirty)
        codewords = np.empty((rows.size, kp + nroots), dtype=np.uint8)
        codewords[:, :kp] = info3[rows, :, cols]
        codewords[:, kp:] = received[rows, cols, :nroots]
        rem = remainder.view(np.uint8)[rows, cols, :nroots]
        fixed = np.empty_like(codewords)
        counts = np.empty(rows.size, dtype=np.int64)
        for lo in range(0, rows.size, _DIRTY_CHUNK):  # bounds the decoder's temporaries
            hi = lo + _DIRTY_CHUNK
            fixed[lo:hi], counts[lo:hi] = code.correct(codewords[lo:hi], rem[lo:hi])
        corrected[rows, cols] = counts
        uncorrectable = np.asarray(np.any(corrected < 0, axis=1))
        accept = (counts > 0) & ~uncorrectable[rows]
        data.reshape(count, kp, depth)[rows[accept], :, cols[accept]] = fixed[accept, :kp]
    return RSBatchResult(data=data, corrected=corrected, uncorrectable=uncorrectable)


def rs_decode(codeblock: bytes, interleave: int, *, params: CodingParameters | None = None) -> RSResult:
    """Reed-Solomon decode one codeblock of L + 2E*I octets (131.0-B-3 section 4).

    See :func:`rs_decode_batch`. Raises only :class:`CodingError` (bad depth or length), whatever
    the octets.
    """
    data = _as_octets(codeblock, "codeblock")
    arr = np.frombuffer(data, dtype=np.uint8).reshape(1, -1)
    result = rs_decode_batch(arr, interleave, params=params)
    return _result_rows(result)[0]


def _result_rows(result: RSBatchResult) -> list[RSResult]:
    """Split a batch result into one RSResult per codeblock (conversions done once per batch)."""
    per_codeword = [tuple(row) for row in result.corrected.tolist()]
    totals = np.where(result.corrected > 0, result.corrected, 0).sum(axis=1).tolist()
    flags = result.uncorrectable.tolist()
    octets = result.data.tobytes()
    width = result.data.shape[1]
    return [
        RSResult(
            data=None if bad else octets[row * width : (row + 1) * width],
            corrected=total,
            uncorrectable=bad,
            corrected_per_codeword=counts,
        )
        for row, (counts, total, bad) in enumerate(zip(per_codeword, totals, flags))
    ]


# --------------------------------------------------------------------------------------------
# Frame synchronization (131.0-B-3 section 9) and CADUs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncEvent:
    """A change of the frame synchronizer's lock state (131.0-B-3 section 9).

    ``offset`` is the stream offset of the attached sync marker that gave lock ("acquired") or
    where the expected marker was missing ("lost").
    """

    offset: int
    kind: Literal["acquired", "lost"]


#: Bit errors tolerated in a marker at the position where lock expects it (receiver design choice,
#: not normative; spec requirement OISL-COD-012 asks for at least one). The chance that random
#: data lies within 2 bits of the 32-bit marker is 529 / 2^32, about 1.2e-7 per codeblock.
MARKER_LOCK_TOLERANCE = 2

_POPCOUNT = np.array([bin(v).count("1") for v in range(256)], dtype=np.uint8)


def _marker_distance(stream: U8Array, positions: npt.NDArray[np.int64], marker: U8Array) -> npt.NDArray[np.int64]:
    """Hamming distance in bits between ``marker`` and the stream at each position."""
    window = stream[positions[:, None] + np.arange(marker.size)]
    distance: npt.NDArray[np.int64] = _POPCOUNT[window ^ marker].sum(axis=1, dtype=np.int64)
    return distance


def _find_codeblocks(
    stream: U8Array, codeblock_length: int, marker: bytes, tolerance: int = MARKER_LOCK_TOLERANCE
) -> tuple[npt.NDArray[np.int64], list[SyncEvent]]:
    size = stream.size
    width = len(marker)
    period = codeblock_length + width
    marker_arr = np.frombuffer(marker, dtype=np.uint8)
    events: list[SyncEvent] = []
    empty = np.zeros(0, dtype=np.int64)
    if size < width:
        return empty, events
    last = size - width  # last offset where a complete marker fits
    # Search: exact marker, vectorized, filtering candidate offsets octet by octet.
    cand = np.flatnonzero(stream[: last + 1] == marker[0])
    for j in range(1, width):
        cand = cand[stream[cand + j] == marker[j]]
    # Check: a candidate is confirmed by a marker (within tolerance) one period later, or by the
    # end of the stream coming before that marker could.
    following = cand + period
    inside = following <= last
    ok = ~inside
    ok[inside] = _marker_distance(stream, following[inside], marker_arr) <= tolerance
    confirmed = cand[ok]

    chunks: list[npt.NDArray[np.int64]] = []
    pos = 0
    while True:
        i = int(np.searchsorted(confirmed, pos))
        if i == confirmed.size:
            break
        start = int(confirmed[i])
        events.append(SyncEvent(start, "acquired"))
        # Lock: count consecutive markers (within tolerance) at start, start + period, ...;
        # windows double so a long lock costs O(run) and many short ones do not rescan.
        run, window = 1, 64
        while True:
            positions = start + period * np.arange(run, run + window, dtype=np.int64)
            positions = positions[positions <= last]
            if positions.size == 0:
                break
            good = _marker_distance(stream, positions, marker_arr) <= tolerance
            if not good.all():
                run += int(np.argmin(good))
                break
            run += positions.size
            window *= 2
        starts = start + period * np.arange(run, dtype=np.int64) + width
        chunks.append(starts[starts + codeblock_length <= size])
        expected = start + run * period
        if expected > last:
            break
        events.append(SyncEvent(expected, "lost"))
        # Resume the search just after the last marker accepted: after a slip (octets lost) the
        # next true marker lies before the expected position, inside the last codeblock.
        pos = start + (run - 1) * period + 1
    offsets = np.concatenate(chunks) if chunks else empty
    return offsets, events


def find_codeblocks(
    stream: bytes,
    codeblock_length: int,
    *,
    attached_sync_marker: bytes | None = None,
    params: CodingParameters | None = None,
) -> tuple[list[int], list[SyncEvent]]:
    """Frame synchronizer: offsets of the codeblocks in a CADU stream, and lock events.

    CCSDS 131.0-B-3 section 9: every codeblock is preceded by the attached sync marker (default
    the spec's 1ACFFC1D). Search is byte-aligned for the exact marker; a candidate is confirmed
    when a marker (within :data:`MARKER_LOCK_TOLERANCE` bit errors) also follows one codeblock
    later, or the stream ends before it could. Once locked, the next marker is expected exactly
    ``codeblock_length + 4`` octets later and accepted within the same tolerance; when it is
    missing a "lost" event is recorded and search resumes just after the last accepted marker,
    so a slip inside the last codeblock loses no later codeblock. Returned offsets are those of
    the first codeblock octet (after the marker); a trailing partial codeblock is ignored.
    """
    p = _params(params)
    if isinstance(codeblock_length, bool) or not isinstance(codeblock_length, (int, np.integer)):
        raise CodingError(f"codeblock_length: expected an integer, got {codeblock_length!r}")
    if codeblock_length < 1:
        raise CodingError(f"codeblock_length {codeblock_length} must be positive")
    marker = p.attached_sync_marker if attached_sync_marker is None else _as_octets(
        attached_sync_marker, "attached_sync_marker"
    )
    if not marker:
        raise CodingError("attached_sync_marker: must not be empty")
    arr = np.frombuffer(_as_octets(stream, "stream"), dtype=np.uint8)
    offsets, events = _find_codeblocks(arr, int(codeblock_length), marker)
    return offsets.tolist(), events


def encode_cadus(
    frames: Sequence[bytes],
    interleave: int,
    randomize: bool = True,
    *,
    params: CodingParameters | None = None,
) -> bytes:
    """Build a stream of CADUs: per frame ASM + randomize(rs_encode(frame)).

    CCSDS 131.0-B-3 section 9 (the ASM precedes each codeblock and is not randomized) and section 10
    (the randomizer restarts at the first octet of every codeblock). All frames must have the
    same length L (a multiple of I, L/I <= 223).
    """
    p = _params(params)
    depth = _check_depth(interleave, p)
    items = [_as_octets(f, "frames") for f in frames]
    if not items:
        return b""
    length = len(items[0])
    if any(len(f) != length for f in items):
        raise CodingError("frames: all frames of a CADU stream must have the same length")
    _check_frame_length(length, depth, p)
    arr = np.frombuffer(b"".join(items), dtype=np.uint8).reshape(len(items), length)
    blocks = rs_encode_batch(arr, depth, params=p)
    marker = np.frombuffer(p.attached_sync_marker, dtype=np.uint8)
    out = np.empty((blocks.shape[0], marker.size + blocks.shape[1]), dtype=np.uint8)
    out[:, : marker.size] = marker
    if randomize:
        np.bitwise_xor(blocks, _randomizer_for(blocks.shape[1], p), out=out[:, marker.size :])
    else:
        out[:, marker.size :] = blocks
    return out.tobytes()


def decode_cadus(
    stream: bytes,
    frame_length: int,
    interleave: int,
    randomize: bool = True,
    *,
    events: list[SyncEvent] | None = None,
    params: CodingParameters | None = None,
) -> list[RSResult]:
    """Synchronize, de-randomize and Reed-Solomon decode a CADU stream (131.0-B-3 9, 10, 4).

    Codeblocks are located with :func:`find_codeblocks` (lock events are appended to ``events``
    when given), de-randomized (unless ``randomize`` is False) and decoded in one batch. Returns
    one :class:`RSResult` per located codeblock; a trailing partial CADU is ignored. Raises only
    :class:`CodingError` (bad frame length or depth), whatever the stream holds.
    """
    p = _params(params)
    depth = _check_depth(interleave, p)
    if isinstance(frame_length, bool) or not isinstance(frame_length, (int, np.integer)):
        raise CodingError(f"frame_length: expected an integer, got {frame_length!r}")
    _check_frame_length(int(frame_length), depth, p, "frame_length")
    block = int(frame_length) + 2 * p.E * depth
    arr = np.frombuffer(_as_octets(stream, "stream"), dtype=np.uint8)
    offsets, found = _find_codeblocks(arr, block, p.attached_sync_marker)
    if events is not None:
        events.extend(found)
    if offsets.size == 0:
        return []
    windows = np.lib.stride_tricks.sliding_window_view(arr, block)
    sequence = _randomizer_for(block, p)
    results: list[RSResult] = []
    for lo in range(0, offsets.size, _CADU_CHUNK):
        blocks = windows[offsets[lo : lo + _CADU_CHUNK]]  # a copy, one row per codeblock
        if randomize:
            blocks ^= sequence
        batch = rs_decode_batch(blocks, depth, params=p)
        results.extend(_result_rows(batch))
    return results

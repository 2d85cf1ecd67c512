"""Reed-Solomon coding of CCSDS 131.0-B-3 section 4, with the Annex F dual-basis representation.

The (255,223) E=16 code over GF(2^8) with field polynomial F(x) = x^8+x^7+x^2+x+1, code generator
g(x) = prod_{j=112}^{143} (x - alpha^{11 j}), systematic encoding, symbol interleaving of depth I
(symbol j of codeword k sits at codeblock position j*I + k), virtual fill for shortened
codeblocks (Q = 223 - L/I zero symbols are prepended to each codeword and never transmitted) and
the Berlekamp dual-basis symbol representation (Annex F: z_j = Tr(x * beta^j), beta = alpha^117).
Every constant comes from :class:`~.parameters.CodingParameters` (the spec under test).

Citations name the section and the topic of 131.0-B-3; sub-clause numbers differ between issues
of the Blue Book, and the spec's ``clause`` fields are authoritative for them.

Performance design (this is a golden model that vendors run over gigabytes):

* Encoding is GF(2)-linear. For every message position p a table ``T[p][v]`` holds the 2E check
  symbols contributed by symbol value v at p, built directly in the wire representation (dual
  basis in, dual basis out), so no per-symbol basis conversion is done. The parity of a batch is
  the XOR over positions of one table gather per position, vectorized over all codewords of the
  batch (the Python loop runs over <= 223 positions, never over bytes or codewords).
* Decoding re-encodes the received information symbols; the XOR of received and recomputed
  check symbols is r(x) mod g(x). A zero remainder (the common case) means a clean codeword and
  costs nothing more. Only the remaining codewords go through the textbook steps
  (:meth:`ReedSolomonCode.syndromes`, :meth:`~ReedSolomonCode.berlekamp_massey`,
  :meth:`~ReedSolomonCode.chien_search`, :meth:`~ReedSolomonCode.forney`), each vectorized across
  all dirty codewords at once; the result is re-encoded and verified before it is accepted.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .parameters import (
    CodingError,
    CodingParameters,
    U8Array,
    as_batch,
    as_octets,
    check_codeblock_length,
    check_depth,
    check_frame_length,
    resolve_params,
)

__all__ = [
    "RSBatchResult",
    "RSResult",
    "ReedSolomonCode",
    "code_for",
    "result_rows",
    "rs_decode",
    "rs_decode_batch",
    "rs_encode",
    "rs_encode_batch",
]

I64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DIRTY_CHUNK = 1024  # dirty codewords decoded per vectorized step (memory ~35 kB each)
_LOG_ZERO = 1024  # log of 0: any sum involving it indexes the zero tail of the antilog table


class ReedSolomonCode:
    """Precomputed tables of one Reed-Solomon code of 131.0-B-3 section 4 (built once, cached).

    Get instances with :func:`code_for`. Field arithmetic uses logarithms to the base
    gamma = alpha^generator_exponent (the primitive element whose consecutive powers are the roots
    of g(x)); ``exp`` is the antilog table, ``log`` the log table (log 0 = a sentinel that makes
    every product with 0 index the zero tail of ``exp``).
    """

    def __init__(
        self,
        *,
        field_polynomial: int,
        first_consecutive_root: int,
        generator_exponent: int,
        n: int,
        k: int,
        E: int,  # noqa: N803 - the standard's name
        symbol_representation: str,
        dual_basis_exponent: int,
    ) -> None:
        self._field_polynomial = field_polynomial
        self.n = n
        self.k = k
        self.nroots = 2 * E
        self.E = E
        self.fcr = first_consecutive_root
        self.words = (self.nroots + 7) // 8  # uint64 words per parity vector

        # GF(2^8) with F(x); alpha = x.
        alpha_exp = np.zeros(255, dtype=np.int64)
        x = 1
        for i in range(255):
            alpha_exp[i] = x
            x <<= 1
            if x & 0x100:
                x ^= field_polynomial
        if len(set(alpha_exp.tolist())) != 255:
            raise CodingError(f"spec parameter 'rs_field_polynomial' {field_polynomial:#x} is not primitive")
        gamma_exp = alpha_exp[(generator_exponent * np.arange(255)) % 255]
        # Antilogarithms: cyclic below _LOG_ZERO, zero from there on (so log(0) absorbs).
        self.exp = np.zeros(3 * _LOG_ZERO, dtype=np.uint8)
        self.exp[:_LOG_ZERO] = gamma_exp[np.arange(_LOG_ZERO) % 255]
        self.log = np.full(256, _LOG_ZERO, dtype=np.int64)
        self.log[gamma_exp] = np.arange(255)

        # Basis conversion (section 4, Annex F): z_j = Tr(x * beta^j), z_0 the first (most
        # significant) transmitted bit, beta = alpha^dual_basis_exponent (117 in 131.0-B-3).
        values = np.arange(256)
        if symbol_representation == "dual-basis":
            trace = np.zeros(256, dtype=np.int64)
            power = values.copy()
            for _ in range(8):
                trace ^= power
                power = self._mul_arr(power, power)
            dual = np.zeros(256, dtype=np.int64)
            for j in range(8):
                beta_j = int(alpha_exp[(dual_basis_exponent * j) % 255])
                dual |= trace[self._mul_arr(values, np.full(256, beta_j))] << (7 - j)
            if np.unique(dual).size != 256:
                raise CodingError(
                    f"spec parameter 'rs_dual_basis_exponent' {dual_basis_exponent}: "
                    "{1, beta, ..., beta^7} is not a basis (CCSDS 131.0-B-3 Annex F)"
                )
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

    def _mul_arr(self, a: npt.NDArray[Any], b: npt.NDArray[Any]) -> I64Array:
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

    # ---- decoding of dirty codewords: the textbook steps, vectorized over codewords ------------

    def syndromes(self, remainders: U8Array) -> U8Array:
        """Syndromes S_j = r(gamma^{fcr+j}), j = 0 .. 2E-1, of codewords with remainders (K, 2E).

        ``remainders`` are r(x) = c(x) mod g(x) in the wire representation, transmitted order
        (highest power first); r(x) has the same syndromes as the received codeword c(x).
        Returns (K, 2E) syndromes in the conventional representation.
        """
        exp, log = self.exp, self.log
        rem = self.to_conv[remainders[:, ::-1]]  # coefficient of x^i at column i, conventional
        rem_log = log[rem]  # (K, 2E)
        synd: U8Array = np.bitwise_xor.reduce(exp[rem_log[:, None, :] + self.syndrome_exp[None, :, :]], axis=2)
        return synd

    def berlekamp_massey(self, synd_log: I64Array) -> tuple[U8Array, I64Array]:
        """Error locator polynomials Lambda(x) (K, 2E+1, low to high) and their degrees (K,).

        Berlekamp-Massey over the syndromes given as logarithms (K, 2E), one iteration per
        syndrome for all codewords at once.
        """
        exp, log = self.exp, self.log
        count = synd_log.shape[0]
        nroots = self.nroots
        lam = np.zeros((count, nroots + 1), dtype=np.uint8)
        lam[:, 0] = 1
        prev = lam.copy()
        degree = np.zeros(count, dtype=np.int64)
        shift = np.ones(count, dtype=np.int64)
        prev_disc = np.ones(count, dtype=np.uint8)
        cols = np.arange(nroots + 1)
        for step in range(nroots):
            disc = np.bitwise_xor.reduce(exp[log[lam[:, : step + 1]] + synd_log[:, step::-1]], axis=1)
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
        return lam, degree

    def chien_search(self, lam: U8Array, length: int) -> BoolArray:
        """Roots of Lambda(x) among the transmitted positions: (K, length) bool, True where
        Lambda(X^-1) = 0 for X = gamma^i, i = 0 .. length-1 (x^i is transmitted at index length-1-i).

        Only the ``length`` transmitted positions are searched: a root in the virtual fill
        (i >= length) is not found, so the root count then differs from the degree.
        """
        exp, log = self.exp, self.log
        E = self.E
        powers = np.arange(length)
        lam_log = log[lam[:, : E + 1]]  # (K, E+1)
        chien_exp = (-(powers[None, :] * np.arange(E + 1)[:, None])) % 255  # (E+1, n')
        values = np.bitwise_xor.reduce(exp[lam_log[:, :, None] + chien_exp[None, :, :]], axis=1)
        found: BoolArray = values == 0
        return found

    def forney(
        self, lam: U8Array, synd_log: I64Array, rows: I64Array, pos: I64Array
    ) -> tuple[U8Array, BoolArray]:
        """Error values at the located positions (Forney): e = X^{1-fcr} Omega(X^-1) / Lambda'(X^-1).

        ``lam`` (K, >= E+1) and ``synd_log`` (K, 2E) are per codeword; each error is codeword
        ``rows[m]`` at power ``pos[m]`` (X = gamma^pos). Omega = S Lambda mod x^{2E}. Returns the
        error values (conventional representation) and whether each could be evaluated (Omega and
        Lambda' nonzero there); an error that could not marks its codeword uncorrectable.
        """
        exp, log = self.exp, self.log
        E, nroots = self.E, self.nroots
        lam_ok = lam[:, : E + 1]
        omega = np.zeros((lam_ok.shape[0], nroots), dtype=np.uint8)
        l_log = log[lam_ok]
        for d in range(E + 1):
            omega[:, d:] ^= exp[l_log[:, d : d + 1] + synd_log[:, : nroots - d]]
        deriv = np.zeros_like(lam_ok)
        deriv[:, 0:E:2] = lam_ok[:, 1 : E + 1 : 2]  # odd terms, shifted down by one
        inv = (-pos) % 255  # log of X^-1
        om_val = np.bitwise_xor.reduce(exp[log[omega[rows]] + (inv[:, None] * np.arange(nroots)[None, :]) % 255], axis=1)
        de_val = np.bitwise_xor.reduce(exp[log[deriv[rows]] + (inv[:, None] * np.arange(E + 1)[None, :]) % 255], axis=1)
        good: BoolArray = (om_val != 0) & (de_val != 0)
        err_log = (pos * (1 - self.fcr) + log[om_val] - log[de_val]) % 255
        err: U8Array = np.where(good, exp[np.where(good, err_log, 0)], 0).astype(np.uint8)
        return err, good

    def correct(self, codewords: U8Array, remainders: U8Array) -> tuple[U8Array, I64Array]:
        """Correct dirty codewords (K, n') given their nonzero remainders (K, 2E) (wire repr.).

        Returns the corrected codewords and the number of corrected symbols per codeword, -1
        where the codeword is uncorrectable (those rows are returned unchanged).
        """
        count, length = codewords.shape
        out = codewords.copy()
        counts = np.full(count, -1, dtype=np.int64)
        if count == 0:
            return out, counts
        synd_log = self.log[self.syndromes(remainders)]
        lam, degree = self.berlekamp_massey(synd_log)
        candidates = np.flatnonzero((degree >= 1) & (degree <= self.E))
        found = self.chien_search(lam[candidates], length)
        complete = found.sum(axis=1) == degree[candidates]
        idx = candidates[complete]
        if idx.size == 0:
            return out, counts
        rows, pos = np.nonzero(found[complete])
        err, good = self.forney(lam[idx], synd_log[idx], rows, pos)
        bad_rows = np.zeros(idx.size, dtype=bool)
        np.logical_or.at(bad_rows, rows, ~good)
        symbol = length - 1 - pos  # x^i is transmitted at index n'-1-i
        fixed = out[idx].copy()
        fixed[rows, symbol] ^= self.to_dual[err]
        # Accept only codewords that re-encode to a zero remainder.
        nroots = self.nroots
        recheck = self.parity_rows(np.ascontiguousarray(fixed[:, : length - nroots]))
        valid = ~bad_rows & np.all(recheck == fixed[:, length - nroots :], axis=1)
        out[idx[valid]] = fixed[valid]
        counts[idx[valid]] = degree[idx[valid]]
        return out, counts


@functools.lru_cache(maxsize=16)
def _code(
    field_polynomial: int,
    first_consecutive_root: int,
    generator_exponent: int,
    n: int,
    k: int,
    E: int,  # noqa: N803
    symbol_representation: str,
    dual_basis_exponent: int,
) -> ReedSolomonCode:
    return ReedSolomonCode(
        field_polynomial=field_polynomial,
        first_consecutive_root=first_consecutive_root,
        generator_exponent=generator_exponent,
        n=n,
        k=k,
        E=E,
        symbol_representation=symbol_representation,
        dual_basis_exponent=dual_basis_exponent,
    )


def code_for(params: CodingParameters) -> ReedSolomonCode:
    """The (cached) code tables of ``params``; parameter sets that differ only outside section 4
    (marker, randomizer, CRC) share one set of tables."""
    return _code(
        params.field_polynomial,
        params.first_consecutive_root,
        params.generator_exponent,
        params.codeword_length,
        params.message_length,
        params.error_correction_capability,
        params.symbol_representation,
        params.dual_basis_exponent,
    )


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
    corrected: I64Array
    uncorrectable: BoolArray


def rs_encode_batch(frames: U8Array, interleave: int, *, params: CodingParameters | None = None) -> U8Array:
    """Reed-Solomon encode N frames of L octets into (N, L + 2E*I) codeblocks.

    CCSDS 131.0-B-3 section 4 (systematic encoding; interleaving of depth I: symbol j of
    codeword k at codeblock position j*I + k; virtual fill when L < k*I; Annex F dual-basis
    symbols). ``frames`` is an (N, L) uint8 array, L a multiple of I with 1 <= L/I <= 223;
    N may be 0 (the result is then an empty (0, L + 2E*I) array).
    """
    p = resolve_params(params)
    depth = check_depth(interleave, p)
    arr = as_batch(frames, "frames")
    count, length = arr.shape
    check_frame_length(length, depth, p)
    from . import kernels

    code = code_for(p)
    out = np.empty((count, length + code.nroots * depth), dtype=np.uint8)
    if count == 0:
        return out
    out[:, :length] = arr
    out[:, length:] = kernels.parity(code, np.ascontiguousarray(arr), depth)  # compiled C, or code.parity
    return out


def rs_encode(frame: bytes, interleave: int, *, params: CodingParameters | None = None) -> bytes:
    """Reed-Solomon encode one frame: the frame followed by 2E*I interleaved check symbols.

    CCSDS 131.0-B-3 section 4 (see :func:`rs_encode_batch`).
    """
    data = as_octets(frame, "frame")
    arr = np.frombuffer(data, dtype=np.uint8).reshape(1, -1)
    return rs_encode_batch(arr, interleave, params=params).tobytes()


def decode_numpy(
    code: ReedSolomonCode, info: U8Array, received: U8Array, depth: int
) -> tuple[U8Array, I64Array, BoolArray]:
    """The numpy model of Reed-Solomon decoding (131.0-B-3 section 4): the golden model of the
    compiled kernels (:mod:`.kernels` runs it as its ``numpy`` variant and tests the others against it).

    ``info`` (N, k'*I) are the information parts, ``received`` (N, 2E*I) the received check
    symbols (interleaved, wire representation). Returns (data, corrected, uncorrectable) as
    :class:`RSBatchResult` describes them.
    """
    count, length = info.shape
    kp = length // depth
    nroots = code.nroots
    info3 = info.reshape(count, kp, depth)
    recomputed = code.parity(info3)  # (N, I, words)
    rec = np.zeros((count, depth, 8 * code.words), dtype=np.uint8)
    rec[:, :, :nroots] = received.reshape(count, nroots, depth).transpose(0, 2, 1)
    remainder = recomputed ^ rec.view(np.uint64)
    dirty = np.bitwise_or.reduce(remainder, axis=2) != 0 if code.words > 1 else remainder[:, :, 0] != 0
    data = info.copy()
    corrected = np.zeros((count, depth), dtype=np.int64)
    uncorrectable = np.zeros(count, dtype=bool)
    if dirty.any():
        rows, cols = np.nonzero(dirty)
        codewords = np.empty((rows.size, kp + nroots), dtype=np.uint8)
        codewords[:, :kp] = info3[rows, :, cols]
        codewords[:, kp:] = rec[rows, cols, :nroots]
        rem = remainder.view(np.uint8)[rows, cols, :nroots]
        fixed = np.empty_like(codewords)
        counts = np.empty(rows.size, dtype=np.int64)
        for lo in range(0, rows.size, DIRTY_CHUNK):  # bounds the decoder's temporaries
            hi = lo + DIRTY_CHUNK
            fixed[lo:hi], counts[lo:hi] = code.correct(codewords[lo:hi], rem[lo:hi])
        corrected[rows, cols] = counts
        uncorrectable = np.asarray(np.any(corrected < 0, axis=1))
        accept = (counts > 0) & ~uncorrectable[rows]
        data.reshape(count, kp, depth)[rows[accept], :, cols[accept]] = fixed[accept, :kp]
    return data, corrected, uncorrectable


def rs_decode_batch(codeblocks: U8Array, interleave: int, *, params: CodingParameters | None = None) -> RSBatchResult:
    """Reed-Solomon decode N codeblocks of L + 2E*I octets (131.0-B-3 section 4).

    Corrects up to E = 16 symbol errors per codeword. Clean codewords (received check symbols
    equal to the re-encoded ones) take no further work; the others are decoded (syndromes,
    Berlekamp-Massey, Chien search restricted to transmitted positions, Forney) and accepted only
    if the corrected codeword re-encodes consistently. N may be 0. Raises only :class:`CodingError`.
    The work runs in the active kernel (:mod:`.kernels`: compiled C, or :func:`decode_numpy`).
    """
    from . import kernels

    p = resolve_params(params)
    depth = check_depth(interleave, p)
    arr = np.ascontiguousarray(as_batch(codeblocks, "codeblocks"))
    count, total = arr.shape
    kp = check_codeblock_length(total, depth, p)
    code = code_for(p)
    length = kp * depth
    data = np.empty((count, length), dtype=np.uint8)
    corrected = np.empty((count, depth), dtype=np.int64)
    uncorrectable = np.empty(count, dtype=bool)
    if count:
        offsets = np.arange(count, dtype=np.int64) * total
        kernels.decode_codeblocks(code, arr.reshape(-1), offsets, length, depth, None, data, corrected, uncorrectable)
    return RSBatchResult(data=data, corrected=corrected, uncorrectable=uncorrectable)


def rs_decode(codeblock: bytes, interleave: int, *, params: CodingParameters | None = None) -> RSResult:
    """Reed-Solomon decode one codeblock of L + 2E*I octets (131.0-B-3 section 4).

    See :func:`rs_decode_batch`. Raises only :class:`CodingError` (bad depth or length), whatever
    the octets.
    """
    data = as_octets(codeblock, "codeblock")
    arr = np.frombuffer(data, dtype=np.uint8).reshape(1, -1)
    result = rs_decode_batch(arr, interleave, params=params)
    return result_rows(result)[0]


def result_rows(result: RSBatchResult) -> list[RSResult]:
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

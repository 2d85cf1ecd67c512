"""Coding kernels of CCSDS 131.0-B-3 (sections 4, 9, 10) with runtime dispatch to compiled code.

The golden model's hot loops, array in and array out, in the wire representation (Annex F
dual-basis symbols as transmitted):

* :func:`parity`: Reed-Solomon check symbols of N codeblocks' information parts (section 4,
  interleaving depth I, virtual fill for shortened codeblocks);
* :func:`encode_cadus_into`: CADUs written into a caller's buffer: attached sync marker (section 9)
  then the codeblock XOR the pseudo-random sequence (section 10);
* :func:`decode_codeblocks`: de-randomization and decoding of located codeblocks of a capture;
* :func:`find_marker`, :func:`marker_distances`: the section 9 marker search primitives.

Kernels: the compiled extension ``_kernels`` (built from ``_kernels.c`` by ``pip install``; its
variants ``gfni`` (AVX-512 + GFNI), ``avx2`` and ``portable`` C are chosen by the CPU at run time)
and ``numpy``, the numpy model of :mod:`.reed_solomon` (always available, and the golden model of
the golden model: every compiled variant must give its results bit for bit). The environment
variable ``ORBITCERT_KERNEL`` (``auto``, ``gfni``, ``avx2``, ``portable`` or ``numpy``) picks the
kernel at import; :func:`use` changes it for the process.
"""

from __future__ import annotations

import importlib
import os
import warnings
import weakref
from typing import Any

import numpy as np
import numpy.typing as npt

from .parameters import CodingError, U8Array
from .reed_solomon import ReedSolomonCode, decode_numpy

__all__ = [
    "active",
    "decode_codeblocks",
    "describe",
    "encode_cadus_into",
    "find_marker",
    "marker_distances",
    "parity",
    "use",
    "variants",
]

I64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_ext: Any = None
_import_error = ""
#: Version of the table blob layout (below) shared with _kernels.c (OC_TABLE_LAYOUT there).
_TABLE_LAYOUT = 1
try:
    _ext = importlib.import_module(f"{__package__}._kernels")
except ImportError as exc:  # not built (no compiler at install time) or built for another Python
    _import_error = str(exc) or type(exc).__name__
else:
    if getattr(_ext, "TABLE_LAYOUT", None) != _TABLE_LAYOUT:  # a stale build of another layout
        _import_error = (
            f"the built module has table layout {getattr(_ext, 'TABLE_LAYOUT', 'unknown')}, this version needs "
            f"{_TABLE_LAYOUT}: reinstall orbitcert to rebuild it"
        )
        _ext = None

_DESCRIPTIONS = {
    "gfni": "compiled C, AVX-512 + GFNI",
    "avx2": "compiled C, AVX2",
    "portable": "compiled C, portable",
    "numpy": "numpy model",
}
_ENV = "ORBITCERT_KERNEL"
_active = "numpy"

# Table blob layout shared with _kernels.c (OFF_* there).
_OFF_EXP, _OFF_LOG, _OFF_TODUAL, _OFF_TOCONV, _OFF_GF = 0, 512, 768, 1024, 1280
_GFQ = 264
_OFF_NIB = _OFF_GF + 32 * _GFQ * 8
_MAX_ROOTS = 32


def variants() -> tuple[str, ...]:
    """The kernels available in this process, best first; always ends with ``"numpy"``."""
    compiled: tuple[str, ...] = tuple(_ext.variants()) if _ext is not None else ()
    return compiled + ("numpy",)


def active() -> str:
    """The kernel in use."""
    return _active


def use(name: str) -> None:
    """Use kernel ``name`` (``"auto"`` = the best available) in this process.

    Raises :class:`CodingError` for an unknown name or a kernel this build or CPU lacks.
    """
    global _active
    if not isinstance(name, str):
        raise CodingError(f"kernel: expected a kernel name, got {type(name).__name__}")
    available = variants()
    if name == "auto":
        name = available[0]
    if name not in available:
        known = "auto, " + ", ".join(_DESCRIPTIONS)
        if name in _DESCRIPTIONS:
            why = f"compiled kernels not built: {_import_error}" if _ext is None else "not supported by this CPU"
            raise CodingError(f"kernel {name!r} is not available here ({why}; available: {', '.join(available)})")
        raise CodingError(f"kernel: unknown kernel {name!r} (known: {known})")
    if name != "numpy":
        _ext.select(name)
    _active = name


def describe() -> str:
    """One line naming the active kernel and the available ones (for ``orbitcert --version``)."""
    if _ext is None:
        return f"coding kernel: {_active} (compiled kernels not built: {_import_error})"
    return f"coding kernel: {_active} ({_DESCRIPTIONS[_active]}; available: {', '.join(variants())})"


def _init_from_env() -> None:
    choice = os.environ.get(_ENV, "auto").strip() or "auto"
    try:
        use(choice)
    except CodingError as exc:
        warnings.warn(f"{_ENV}={choice!r} ignored: {exc}", RuntimeWarning, stacklevel=2)
        use("auto")


# ---- per-code tables for the compiled kernels ------------------------------------------------------

_TABLES: weakref.WeakKeyDictionary[ReedSolomonCode, U8Array] = weakref.WeakKeyDictionary()


def _compiled(code: ReedSolomonCode) -> bool:
    """Whether the compiled kernels serve this code (2E <= 32 check symbols)."""
    return _active != "numpy" and code.nroots <= _MAX_ROOTS


def _tables(code: ReedSolomonCode) -> U8Array:
    """The C kernels' table blob of ``code`` (built once per code, about 5 ms; layout in _kernels.c)."""
    blob = _TABLES.get(code)
    if blob is None:
        blob = _build_tables(code)
        _TABLES[code] = blob
    return blob


def _build_tables(code: ReedSolomonCode) -> U8Array:
    k, nroots = code.k, code.nroots
    size = _OFF_NIB + k * 1024
    raw = np.zeros(size + 64, dtype=np.uint8)
    start = (-raw.ctypes.data) % 64  # 64-octet aligned: the GF matrices are read as uint64
    blob = raw[start : start + size]
    # Field tables (conventional basis, logarithms to the base gamma) for the error path.
    blob[_OFF_EXP : _OFF_EXP + 512] = code.exp[np.arange(512) % 255]
    blob[_OFF_LOG : _OFF_LOG + 256] = np.where(code.log < 255, code.log, 0).astype(np.uint8)
    blob[_OFF_TODUAL : _OFF_TODUAL + 256] = code.to_dual
    blob[_OFF_TOCONV : _OFF_TOCONV + 256] = code.to_conv
    # Wire-representation contributions T[q][v][b] of symbol value v at table position q.
    contrib = code.tables.view(np.uint8).reshape(k, 256, -1)[:, :, :nroots]
    # GF2P8AFFINEQB matrices: byte 7-r of the qword holds, at bit i, bit r of T[q][1 << i][b].
    unit = contrib[:, 1 << np.arange(8), :].astype(np.uint64)  # (k, 8 input bits i, nroots)
    bits = (unit[..., None] >> np.arange(8, dtype=np.uint64)) & np.uint64(1)  # (k, i, b, r)
    rows = (bits << np.arange(8, dtype=np.uint64)[None, :, None, None]).sum(axis=1, dtype=np.uint64)  # (k, b, r)
    qwords = (rows << (np.uint64(8) * (7 - np.arange(8, dtype=np.uint64)))).sum(axis=2, dtype=np.uint64)  # (k, b)
    matrices = np.zeros((32, _GFQ), dtype=np.uint64)
    matrices[:nroots, :k] = qwords.T
    blob[_OFF_GF:_OFF_NIB] = matrices.view(np.uint8).reshape(-1)
    # Nibble tables: (k, 2, 16, 32): low nibble v -> T[q][v], high nibble v -> T[q][v << 4].
    nib = np.zeros((k, 2, 16, 32), dtype=np.uint8)
    nib[:, 0, :, :nroots] = contrib[:, :16, :]
    nib[:, 1, :, :nroots] = contrib[:, 0:256:16, :]
    blob[_OFF_NIB:] = nib.reshape(-1)
    blob.setflags(write=False)
    return blob


def _code_args(code: ReedSolomonCode) -> tuple[U8Array, int, int, int]:
    return _tables(code), code.k, code.nroots, code.fcr


# ---- argument checks ----------------------------------------------------------------------------------


def _check_code(code: Any) -> ReedSolomonCode:
    if not isinstance(code, ReedSolomonCode):
        raise CodingError(f"code: expected a ReedSolomonCode (reed_solomon.code_for), got {type(code).__name__}")
    return code


def _check_depth(interleave: Any) -> int:
    if isinstance(interleave, bool) or not isinstance(interleave, (int, np.integer)) or not 1 <= interleave <= 255:
        raise CodingError(f"interleave: expected an interleaving depth 1 .. 255, got {interleave!r}")
    return int(interleave)


def _check_u8(array: Any, name: str, ndim: int, *, writable: bool = False) -> U8Array:
    if not isinstance(array, np.ndarray) or array.dtype != np.uint8 or array.ndim != ndim:
        what = f"{type(array).__name__}" + (
            f" of dtype {array.dtype} and shape {array.shape}" if isinstance(array, np.ndarray) else ""
        )
        raise CodingError(f"{name}: expected a {ndim}-D uint8 numpy array, got {what}")
    if writable and not (array.flags.writeable and array.flags.c_contiguous):
        raise CodingError(f"{name}: expected a writable C-contiguous array")
    return array


def _check_out(array: Any, name: str, dtype: type, shape: tuple[int, ...]) -> Any:
    if not isinstance(array, np.ndarray) or array.dtype != dtype or array.shape != shape:
        got = f"{array.dtype} {array.shape}" if isinstance(array, np.ndarray) else type(array).__name__
        raise CodingError(f"{name}: expected a {np.dtype(dtype).name} array of shape {shape}, got {got}")
    if not (array.flags.writeable and array.flags.c_contiguous and array.flags.aligned):
        raise CodingError(f"{name}: expected a writable, aligned, C-contiguous array")
    return array


def _check_apart(output: np.ndarray, name: str, *inputs: tuple[Any, str]) -> None:
    """An output must not overlap an input: the compiled kernels read an input after writing
    outputs, so an overlap would give other results than the numpy model."""
    for array, what in inputs:
        if array is not None and np.may_share_memory(output, array):
            raise CodingError(f"{name}: overlaps {what} (decode or encode into a separate array)")


def _check_kp(code: ReedSolomonCode, length: int, depth: int, name: str) -> int:
    if length % depth or not 1 <= length // depth <= code.k:
        raise CodingError(
            f"{name} {length} is invalid for interleave={depth}: it must be a multiple of the depth with "
            f"1 <= L/I <= {code.k} (CCSDS 131.0-B-3 section 4, virtual fill)"
        )
    return length // depth


def _check_marker(marker: Any) -> bytes:
    if not isinstance(marker, (bytes, bytearray)) or not marker:
        raise CodingError(f"marker: expected non-empty bytes, got {marker!r}")
    return bytes(marker)


def _check_sequence(sequence: Any, block: int) -> U8Array | None:
    if sequence is None:
        return None
    seq = _check_u8(sequence, "sequence", 1)
    if seq.size < block:
        raise CodingError(f"sequence: the randomizer sequence has {seq.size} octets, a codeblock {block}")
    return np.ascontiguousarray(seq[:block])


# ---- the kernels ------------------------------------------------------------------------------------


def _numpy_parity(code: ReedSolomonCode, info: U8Array, depth: int) -> U8Array:
    count, length = info.shape
    nroots = code.nroots
    acc = code.parity(info.reshape(count, length // depth, depth))
    check = acc.view(np.uint8).reshape(count, depth, 8 * code.words)[:, :, :nroots]
    out: U8Array = np.ascontiguousarray(check.transpose(0, 2, 1)).reshape(count, nroots * depth)
    return out


def parity(code: ReedSolomonCode, info: U8Array, interleave: int) -> U8Array:
    """Check symbols (N, 2E*I) of N codeblocks' information parts ``info`` (N, k'*I) uint8.

    CCSDS 131.0-B-3 section 4: symbol j of codeword c at j*I + c; check symbol b of codeword c at
    b*I + c (as :func:`.reed_solomon.rs_encode_batch` places them); shortened codeblocks (k' < k)
    use virtual fill. Wire representation in and out.
    """
    code = _check_code(code)
    depth = _check_depth(interleave)
    arr = _check_u8(info, "info", 2)
    count, length = arr.shape
    kp = _check_kp(code, length, depth, "information length")
    if count == 0:
        return np.zeros((0, code.nroots * depth), dtype=np.uint8)
    if not _compiled(code):
        return _numpy_parity(code, arr, depth)
    out = np.empty((count, code.nroots * depth), dtype=np.uint8)
    _ext.parity(*_code_args(code), np.ascontiguousarray(arr), kp, depth, out)
    return out


def encode_cadus_into(
    code: ReedSolomonCode,
    frames: U8Array,
    interleave: int,
    marker: bytes,
    sequence: U8Array | None,
    out: U8Array,
) -> None:
    """Write the CADUs of ``frames`` (N, L) into ``out`` (N, W + L + 2E*I), W = len(marker).

    Each row: the attached sync marker (section 9, not randomized), then the Reed-Solomon codeblock
    (section 4) XOR ``sequence`` (section 10, restarting at the codeblock's first octet; at least
    L + 2E*I octets), or the codeblock as is when ``sequence`` is None. The same octets as
    :func:`.cadu.encode_cadus`.
    """
    code = _check_code(code)
    depth = _check_depth(interleave)
    arr = _check_u8(frames, "frames", 2)
    count, length = arr.shape
    _check_kp(code, length, depth, "frame length")
    mark = _check_marker(marker)
    block = length + code.nroots * depth
    seq = _check_sequence(sequence, block)
    dst = _check_out(out, "out", np.uint8, (count, len(mark) + block))
    _check_apart(dst, "out", (arr, "frames"), (seq, "sequence"))
    if count == 0:
        return
    if _compiled(code):
        _ext.encode(*_code_args(code), np.ascontiguousarray(arr), length, depth, mark, seq, dst)
        return
    width = len(mark)
    dst[:, :width] = np.frombuffer(mark, dtype=np.uint8)
    dst[:, width : width + length] = arr
    dst[:, width + length :] = _numpy_parity(code, arr, depth)
    if seq is not None:
        dst[:, width:] ^= seq


def decode_codeblocks(
    code: ReedSolomonCode,
    buf: U8Array,
    offsets: I64Array,
    frame_length: int,
    interleave: int,
    sequence: U8Array | None,
    frames_out: U8Array,
    corrected_out: I64Array,
    uncorrectable_out: BoolArray,
) -> None:
    """De-randomize and decode the codeblocks of ``buf`` starting at ``offsets`` (M,) int64.

    Each codeblock is L + 2E*I octets (after its marker), XORed with ``sequence`` (section 10)
    unless it is None, then Reed-Solomon decoded (section 4) with exactly the semantics of
    :func:`.reed_solomon.rs_decode_batch`: ``frames_out`` (M, L) receives the corrected frames (a
    codeblock with an uncorrectable codeword keeps its received information part),
    ``corrected_out`` (M, I) the symbols corrected per codeword (-1: uncorrectable),
    ``uncorrectable_out`` (M,) the flags. An offset outside the buffer raises :class:`CodingError`
    naming its index.
    """
    code = _check_code(code)
    depth = _check_depth(interleave)
    data = _check_u8(buf, "buf", 1)
    if isinstance(frame_length, bool) or not isinstance(frame_length, (int, np.integer)):
        raise CodingError(f"frame_length: expected an integer, got {frame_length!r}")
    length = int(frame_length)
    _check_kp(code, length, depth, "frame_length")
    if not isinstance(offsets, np.ndarray) or offsets.ndim != 1 or offsets.dtype.kind not in "iu":
        raise CodingError("offsets: expected a 1-D integer numpy array")
    # A private, aligned copy: the compiled kernel reads the offsets again after checking them
    # with the GIL released, so the caller's array must not be what it reads.
    offs = np.array(offsets, dtype=np.int64, copy=True, order="C")
    count = offs.size
    nroots = code.nroots
    block = length + nroots * depth
    seq = _check_sequence(sequence, block)
    _check_out(frames_out, "frames_out", np.uint8, (count, length))
    _check_out(corrected_out, "corrected_out", np.int64, (count, depth))
    _check_out(uncorrectable_out, "uncorrectable_out", np.bool_, (count,))
    for out_array, out_name in ((frames_out, "frames_out"), (corrected_out, "corrected_out"),
                                (uncorrectable_out, "uncorrectable_out")):
        _check_apart(out_array, out_name, (data, "buf"), (seq, "sequence"))
    _check_apart(frames_out, "frames_out", (corrected_out, "corrected_out"), (uncorrectable_out, "uncorrectable_out"))
    _check_apart(corrected_out, "corrected_out", (uncorrectable_out, "uncorrectable_out"))
    if count == 0:
        return
    if _compiled(code):
        try:  # the C kernel validates the offsets before it writes anything
            _ext.decode(
                *_code_args(code), np.ascontiguousarray(data), offs, length, depth, seq,
                frames_out, corrected_out, uncorrectable_out.view(np.uint8),
            )
        except ValueError as exc:
            raise CodingError(str(exc)) from None
        return
    bad = np.flatnonzero((offs < 0) | (offs > data.size - block))
    if bad.size:
        index = int(bad[0])
        raise CodingError(
            f"offsets[{index}] = {int(offs[index])}: a codeblock of {block} octets there does not fit "
            f"the buffer of {data.size} octets"
        )
    blocks = np.lib.stride_tricks.sliding_window_view(data, block)[offs]  # a copy
    if seq is not None:
        blocks ^= seq
    frames, corrected, uncorrectable = decode_numpy(code, blocks[:, :length], blocks[:, length:], depth)
    frames_out[...] = frames
    corrected_out[...] = corrected
    uncorrectable_out[...] = uncorrectable


_POPCOUNT = np.array([bin(v).count("1") for v in range(256)], dtype=np.uint8)


def find_marker(buf: U8Array, start: int, stop: int, marker: bytes) -> int:
    """The first offset o in [start, stop - len(marker)] where ``buf`` holds ``marker`` exactly, or -1
    (the section 9 marker search). ``start`` and ``stop`` are clipped to the buffer."""
    data = _check_u8(buf, "buf", 1)
    mark = _check_marker(marker)
    for name, value in (("start", start), ("stop", stop)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise CodingError(f"{name}: expected an integer, got {value!r}")
    lo, hi = max(0, int(start)), min(data.size, int(stop))
    if hi - lo < len(mark):
        return -1
    if _active != "numpy":
        found: int = _ext.find_marker(np.ascontiguousarray(data), lo, hi, mark)
        return found
    # Windows that double from 64 KiB: a marker found near ``lo`` (the usual case) costs no copy
    # of the rest of the buffer, and a search over all of it copies each octet at most twice.
    width, window = len(mark), 1 << 16
    while lo + width <= hi:
        end = min(hi, lo + window)
        hit = data[lo:end].tobytes().find(mark)
        if hit >= 0:
            return lo + hit
        lo, window = end - width + 1, window * 2
    return -1


def marker_distances(buf: U8Array, positions: I64Array, marker: bytes) -> I64Array:
    """Hamming distances in bits between ``marker`` and ``buf`` at each of ``positions`` (section 9
    lock tolerance). A position where the marker does not fit raises :class:`CodingError`."""
    data = _check_u8(buf, "buf", 1)
    mark = _check_marker(marker)
    if not isinstance(positions, np.ndarray) or positions.ndim != 1 or positions.dtype.kind not in "iu":
        raise CodingError("positions: expected a 1-D integer numpy array")
    pos = np.array(positions, dtype=np.int64, copy=True, order="C")  # private and aligned (see decode_codeblocks)
    bad = np.flatnonzero((pos < 0) | (pos > data.size - len(mark)))
    if bad.size:
        index = int(bad[0])
        raise CodingError(
            f"positions[{index}] = {int(pos[index])}: the {len(mark)}-octet marker does not fit the buffer "
            f"of {data.size} octets"
        )
    out = np.empty(pos.size, dtype=np.int64)
    if pos.size == 0:
        return out
    if _active != "numpy":
        _ext.marker_distances(np.ascontiguousarray(data), pos, mark, out)
        return out
    window = data[pos[:, None] + np.arange(len(mark))]
    out[:] = _POPCOUNT[window ^ np.frombuffer(mark, dtype=np.uint8)].sum(axis=1, dtype=np.int64)
    return out


_init_from_env()

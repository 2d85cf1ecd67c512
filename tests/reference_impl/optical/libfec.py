"""ctypes wrapper of Debian's libfec0 CCSDS Reed-Solomon codec (an independent test oracle).

libfec's ``encode_rs_ccsds(data, parity, pad)`` and ``decode_rs_ccsds(data, eras_pos, no_eras, pad)``
implement the (255,223) E = 16 code of CCSDS 131.0-B-3 section 4 with the Annex F dual-basis
representation, on one codeword at a time; ``pad`` is the number of virtual-fill symbols of a
shortened codeword (223 - k'). The library is found with ``ctypes.util.find_library("fec")`` or at
its Debian path; :func:`available` says whether it loaded and :func:`why_unavailable` why not.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

import numpy as np

_PATHS = ("/usr/lib/x86_64-linux-gnu/libfec.so.0", "/usr/lib/aarch64-linux-gnu/libfec.so.0", "libfec.so.0")
_lib: Any = None
_error = ""


def _load() -> None:
    global _lib, _error
    candidates = [name for name in (ctypes.util.find_library("fec"),) if name] + list(_PATHS)
    errors = []
    for name in candidates:
        try:
            lib = ctypes.CDLL(name)
            lib.encode_rs_ccsds.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
            lib.encode_rs_ccsds.restype = None
            lib.decode_rs_ccsds.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
            lib.decode_rs_ccsds.restype = ctypes.c_int
        except (OSError, AttributeError) as exc:
            errors.append(f"{name}: {exc}")
            continue
        _lib = lib
        return
    _error = "libfec0 (Debian package libfec0) not found: " + "; ".join(errors)


_load()


def available() -> bool:
    """Whether libfec loaded."""
    return _lib is not None


def why_unavailable() -> str:
    return _error


def encode(message: bytes) -> bytes:
    """The 32 check symbols (dual basis) of one message of k' <= 223 symbols (dual basis)."""
    if not 1 <= len(message) <= 223:
        raise ValueError(f"message of {len(message)} symbols: expected 1 .. 223")
    data = ctypes.create_string_buffer(bytes(message), len(message))
    parity = ctypes.create_string_buffer(32)
    _lib.encode_rs_ccsds(data, parity, 223 - len(message))
    return parity.raw


def decode(codeword: bytes) -> tuple[bytes, int]:
    """Decode one codeword of k' + 32 symbols: (the codeword after decoding, corrected count or -1)."""
    if not 33 <= len(codeword) <= 255:
        raise ValueError(f"codeword of {len(codeword)} symbols: expected 33 .. 255")
    data = ctypes.create_string_buffer(bytes(codeword), len(codeword))
    eras = (ctypes.c_int * 32)()
    count = int(_lib.decode_rs_ccsds(data, eras, 0, 255 - len(codeword)))
    return data.raw, count


def encode_rows(messages: np.ndarray) -> np.ndarray:
    """Check symbols (K, 32) of messages (K, k') uint8, one libfec call per row."""
    return np.array([np.frombuffer(encode(row.tobytes()), dtype=np.uint8) for row in messages], dtype=np.uint8).reshape(
        len(messages), 32
    )

"""Channel access data units of CCSDS 131.0-B-3: coding chain and its inverse (sections 4, 9, 10).

A CADU is the attached sync marker (section 9, not randomized, not encoded) followed by one
Reed-Solomon codeblock (section 4) that is pseudo-randomized (section 10, the sequence restarting
at the first octet of every codeblock). :func:`encode_cadus` builds a CADU stream from frames of
one length in one numpy batch; :func:`decode_cadus` synchronizes on a received stream,
de-randomizes and decodes every codeblock found, in batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .frame_sync import SyncEvent, locate_codeblocks
from .parameters import (
    CodingError,
    CodingParameters,
    as_octets,
    check_depth,
    check_flag,
    check_frame_length,
    check_integer,
    resolve_params,
)
from .randomizer import randomizer_for
from .reed_solomon import RSResult, result_rows, rs_decode_batch, rs_encode_batch

__all__ = ["decode_cadus", "encode_cadus"]

CADU_CHUNK = 8192  # codeblocks per rs_decode_batch call in decode_cadus


def _frame_list(frames: Any) -> list[bytes]:
    """``frames`` as a list of bytes; a single bytes-like object or a non-iterable is refused."""
    if isinstance(frames, (bytes, bytearray, memoryview, str)) or frames is None:
        raise CodingError(
            f"frames: expected a sequence of bytes-like frames, got {type(frames).__name__}"
        )
    try:
        iterator = iter(frames)
    except TypeError:
        raise CodingError(f"frames: expected a sequence of bytes-like frames, got {type(frames).__name__}") from None
    try:
        return [as_octets(frame, "frames") for frame in iterator]
    except TypeError:  # e.g. a 0-d array, iterable in type only
        raise CodingError(f"frames: expected a sequence of bytes-like frames, got {type(frames).__name__}") from None


def encode_cadus(
    frames: Sequence[bytes],
    interleave: int,
    randomize: bool = True,
    *,
    params: CodingParameters | None = None,
) -> bytes:
    """Build a stream of CADUs: per frame ASM + randomize(rs_encode(frame)).

    CCSDS 131.0-B-3 section 9 (the ASM precedes each codeblock and is not randomized) and section 10
    (the randomizer restarts at the first octet of every codeblock). ``frames`` is a sequence of
    bytes-like frames, all of the same length L (a multiple of I, L/I <= 223); ``randomize`` must
    be a bool. Bad arguments raise :class:`CodingError` naming them.
    """
    p = resolve_params(params)
    depth = check_depth(interleave, p)
    randomized = check_flag(randomize, "randomize")
    items = _frame_list(frames)
    if not items:
        return b""
    length = len(items[0])
    if any(len(f) != length for f in items):
        raise CodingError("frames: all frames of a CADU stream must have the same length")
    check_frame_length(length, depth, p)
    arr = np.frombuffer(b"".join(items), dtype=np.uint8).reshape(len(items), length)
    blocks = rs_encode_batch(arr, depth, params=p)
    marker = np.frombuffer(p.attached_sync_marker, dtype=np.uint8)
    out = np.empty((blocks.shape[0], marker.size + blocks.shape[1]), dtype=np.uint8)
    out[:, : marker.size] = marker
    if randomized:
        np.bitwise_xor(blocks, randomizer_for(blocks.shape[1], p), out=out[:, marker.size :])
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

    Codeblocks are located with the section 9 synchronizer (:func:`.frame_sync.find_codeblocks`),
    de-randomized (unless ``randomize`` is False; it must be a bool) and decoded in batches.
    ``events`` is an optional output: a list the synchronizer's lock events
    (:class:`SyncEvent`) are appended to. Returns one :class:`RSResult` per located codeblock; a
    trailing partial CADU is ignored. Raises only :class:`CodingError` (bad frame length, depth,
    flag or ``events``), whatever the stream holds.
    """
    p = resolve_params(params)
    depth = check_depth(interleave, p)
    length = check_integer(frame_length, "frame_length")
    check_frame_length(length, depth, p, "frame_length")
    randomized = check_flag(randomize, "randomize")
    if events is not None and not isinstance(events, list):
        raise CodingError(
            "events: expected a list to append the synchronizer's lock events to (or None), "
            f"got {type(events).__name__}"
        )
    block = length + 2 * p.E * depth
    arr = np.frombuffer(as_octets(stream, "stream"), dtype=np.uint8)
    offsets, found = locate_codeblocks(arr, block, p.attached_sync_marker)
    if events is not None:
        events.extend(found)
    if offsets.size == 0:
        return []
    windows = np.lib.stride_tricks.sliding_window_view(arr, block)
    sequence = randomizer_for(block, p)
    results: list[RSResult] = []
    for lo in range(0, offsets.size, CADU_CHUNK):
        blocks = windows[offsets[lo : lo + CADU_CHUNK]]  # a copy, one row per codeblock
        if randomized:
            blocks ^= sequence
        batch = rs_decode_batch(blocks, depth, params=p)
        results.extend(result_rows(batch))
    return results

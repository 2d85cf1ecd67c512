"""Channel access data units of CCSDS 131.0-B-3: coding chain and its inverse (sections 4, 9, 10).

A CADU is the attached sync marker (section 9, not randomized, not encoded) followed by one
Reed-Solomon codeblock (section 4) that is pseudo-randomized (section 10, the sequence restarting
at the first octet of every codeblock). :func:`encode_cadus` builds a CADU stream from a list of
frames of one length; :func:`decode_cadus` synchronizes on a received stream, de-randomizes and
decodes every codeblock found. Both are the list-of-bytes layer over the streaming, array-in
array-out model of :mod:`.stream` (one call = one piece, then the end of the stream).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .frame_sync import SyncEvent
from .parameters import CodingError, CodingParameters, as_octets, check_depth, check_flag, resolve_params
from .reed_solomon import RSBatchResult, RSResult, result_rows
from .stream import CaduDecoder, CaduEncoder

__all__ = ["decode_cadus", "encode_cadus"]


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
    be a bool. Bad arguments raise :class:`CodingError` naming them. See :class:`.stream.CaduEncoder`.
    """
    p = resolve_params(params)
    items = _frame_list(frames)
    if not items:
        check_depth(interleave, p)  # the arguments are still checked
        check_flag(randomize, "randomize")
        return b""
    length = len(items[0])
    if any(len(f) != length for f in items):
        raise CodingError("frames: all frames of a CADU stream must have the same length")
    encoder = CaduEncoder(length, interleave, randomize, params=p)
    return encoder.encode(b"".join(items)).tobytes()


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

    Codeblocks are located with the section 9 synchronizer (the decisions of
    :func:`.frame_sync.find_codeblocks`), de-randomized (unless ``randomize`` is False; it must be
    a bool) and decoded. ``events`` is an optional output: a list the synchronizer's lock events
    (:class:`SyncEvent`) are appended to. Returns one :class:`RSResult` per located codeblock; a
    trailing partial CADU is ignored. Raises only :class:`CodingError` (bad frame length, depth,
    flag or ``events``), whatever the stream holds. The streaming form is :class:`.stream.CaduDecoder`.
    """
    if events is not None and not isinstance(events, list):
        raise CodingError(
            "events: expected a list to append the synchronizer's lock events to (or None), "
            f"got {type(events).__name__}"
        )
    decoder = CaduDecoder(frame_length, interleave, randomize, params=params)
    data = as_octets(stream, "stream")
    parts = [decoder.feed(data), decoder.finish()]
    if events is not None:
        events.extend(e for part in parts for e in part.events)
    batch = RSBatchResult(
        data=np.concatenate([part.frames for part in parts]),
        corrected=np.concatenate([part.corrected for part in parts]),
        uncorrectable=np.concatenate([part.uncorrectable for part in parts]),
    )
    return result_rows(batch)

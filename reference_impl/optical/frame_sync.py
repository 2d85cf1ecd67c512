"""Frame synchronization of CCSDS 131.0-B-3 section 9: the attached sync marker and its search.

Every codeblock is preceded by the attached sync marker (ASM, spec parameter
``attached_sync_marker``, 1ACFFC1D for 131.0-B-3 9.3); marker and codeblock form the channel
access data unit (CADU). :func:`find_codeblocks` is a frame synchronizer for a received CADU
stream: search for the exact marker, confirmation by the next one, lock with a bit-error
tolerance, and recovery after a slip or a gap, all vectorized with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from .parameters import CodingError, CodingParameters, U8Array, as_octets, check_integer, resolve_params

__all__ = ["MARKER_LOCK_TOLERANCE", "MAX_CODEBLOCK_LENGTH", "SyncEvent", "find_codeblocks", "locate_codeblocks"]

I64Array = npt.NDArray[np.int64]


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

#: Upper bound of ``codeblock_length`` (octets) in :func:`find_codeblocks`: 1 MiB, far above any
#: codeblock of CCSDS 131.0-B (a Reed-Solomon codeblock at depth I = 8 is 2040 octets), and small
#: enough that the synchronizer's offset arithmetic can never overflow 64-bit integers.
MAX_CODEBLOCK_LENGTH = 1 << 20

_POPCOUNT = np.array([bin(v).count("1") for v in range(256)], dtype=np.uint8)


def _marker_distance(stream: U8Array, positions: I64Array, marker: U8Array) -> I64Array:
    """Hamming distance in bits between ``marker`` and the stream at each position."""
    window = stream[positions[:, None] + np.arange(marker.size)]
    distance: I64Array = _POPCOUNT[window ^ marker].sum(axis=1, dtype=np.int64)
    return distance


def locate_codeblocks(
    stream: U8Array, codeblock_length: int, marker: bytes, tolerance: int = MARKER_LOCK_TOLERANCE
) -> tuple[I64Array, list[SyncEvent]]:
    """The synchronizer itself, on checked arguments (see :func:`find_codeblocks`)."""
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

    chunks: list[I64Array] = []
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


def check_codeblock_length_range(codeblock_length: object) -> int:
    """``codeblock_length`` as an int in 1 .. :data:`MAX_CODEBLOCK_LENGTH`, else CodingError."""
    length = check_integer(codeblock_length, "codeblock_length")
    if not 1 <= length <= MAX_CODEBLOCK_LENGTH:
        raise CodingError(
            f"codeblock_length {length} is out of range: it must be between 1 and {MAX_CODEBLOCK_LENGTH} octets"
        )
    return length


def find_codeblocks(
    stream: bytes,
    codeblock_length: int,
    *,
    attached_sync_marker: bytes | None = None,
    params: CodingParameters | None = None,
) -> tuple[list[int], list[SyncEvent]]:
    """Frame synchronizer: offsets of the codeblocks in a CADU stream, and lock events.

    CCSDS 131.0-B-3 section 9: every codeblock is preceded by the attached sync marker (default
    the spec's, 1ACFFC1D). Search is byte-aligned for the exact marker; a candidate is confirmed
    when a marker (within :data:`MARKER_LOCK_TOLERANCE` bit errors) also follows one codeblock
    later, or the stream ends before it could. Once locked, the next marker is expected exactly
    ``codeblock_length + len(marker)`` octets later and accepted within the same tolerance; when
    it is missing a "lost" event is recorded and search resumes just after the last accepted
    marker, so a slip inside the last codeblock loses no later codeblock. Returned offsets are
    those of the first codeblock octet (after the marker); a trailing partial codeblock is
    ignored. ``codeblock_length`` must lie in 1 .. :data:`MAX_CODEBLOCK_LENGTH`; bad arguments
    raise :class:`CodingError` naming them.
    """
    p = resolve_params(params)
    length = check_codeblock_length_range(codeblock_length)
    if attached_sync_marker is None:
        marker = p.attached_sync_marker
    else:
        marker = as_octets(attached_sync_marker, "attached_sync_marker")
        if not marker:
            raise CodingError("attached_sync_marker: must not be empty")
    arr = np.frombuffer(as_octets(stream, "stream"), dtype=np.uint8)
    offsets, events = locate_codeblocks(arr, length, marker)
    offset_list: list[int] = offsets.tolist()
    return offset_list, events

"""The coding golden model at line rate: streaming CADU encoder and decoder (CCSDS 131.0-B-3 4, 9, 10).

A 10 Gbit/s optical terminal fills 1.25 GB a second and a capture is tens of gigabytes, so the golden
model must check a capture larger than memory. This module is the array-in, array-out form of
:mod:`.cadu`:

* :class:`CaduEncoder` writes CADUs (attached sync marker, then the pseudo-randomized Reed-Solomon
  codeblock) for a batch of frames into a caller's buffer.
* :class:`CaduDecoder` takes a capture in pieces of any size (:meth:`CaduDecoder.feed`) and returns,
  for every codeblock it could complete, the decoded frame, the symbols corrected per codeword, the
  uncorrectable flag and the codeblock's stream offset, plus the synchronizer's lock events. The
  lock state and the octets not yet decided on are carried from one piece to the next, so the
  results are the same however the capture is cut (tests/reference_impl/optical/test_stream.py
  checks this over random cuts), and memory is bounded by the piece size, not by the capture.

The synchronizer (:class:`StreamSynchronizer`) makes exactly the decisions of the batch
synchronizer :func:`.frame_sync.locate_codeblocks` (which stays as its executable specification):
byte-aligned search for the exact marker, confirmation by a marker within
:data:`~.frame_sync.MARKER_LOCK_TOLERANCE` bits one period later (or the end of the stream before
it), lock, a "lost" event where an expected marker is missing and a new search just after the last
accepted marker. A decision that depends on octets not yet received waits for the next piece;
only :meth:`CaduDecoder.finish` applies the end-of-stream rules.

The work per octet is done by :mod:`.kernels`: compiled C (GFNI, AVX2 or portable, picked at run
time) where it was built, else the numpy model of :mod:`.reed_solomon`; both give the same output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from . import kernels
from .frame_sync import MARKER_LOCK_TOLERANCE, SyncEvent, check_codeblock_length_range
from .parameters import (
    CodingError,
    CodingParameters,
    U8Array,
    as_octets,
    check_depth,
    check_flag,
    check_frame_length,
    check_integer,
    octet_view,
    resolve_params,
)
from .randomizer import randomizer_for
from .reed_solomon import ReedSolomonCode, code_for

__all__ = ["CaduDecoder", "CaduEncoder", "DecodeStats", "DecodedChunk", "StreamSynchronizer", "exact_matches"]

I64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Markers checked per vectorized step while locked (bounds the temporaries of one step).
LOCK_STEP = 1 << 16
#: Octets searched for exact markers per vectorized step while unlocked (at least two CADUs).
SEARCH_WINDOW = 1 << 16
#: Codeblocks per kernel call: keeps the numpy kernel's temporaries in cache (a 64 MB call is 3.5x
#: slower than the same work in slices); the compiled kernels do not care.
KERNEL_BATCH = 2048

class _Coding:
    """What encoder and decoder share: the checked arguments and the per-code tables."""

    def __init__(self, frame_length: Any, interleave: Any, randomize: Any, params: Any) -> None:
        p = resolve_params(params)
        self.params: CodingParameters = p
        self.interleave: int = check_depth(interleave, p)
        self.frame_length: int = check_integer(frame_length, "frame_length")
        check_frame_length(self.frame_length, self.interleave, p, "frame_length")
        self.randomize: bool = check_flag(randomize, "randomize")
        self.code: ReedSolomonCode = code_for(p)
        self.marker: bytes = p.attached_sync_marker
        #: Octets of one Reed-Solomon codeblock (L + 2E*I) and of one CADU (marker + codeblock).
        self.codeblock_length: int = self.frame_length + 2 * p.E * self.interleave
        self.cadu_length: int = len(self.marker) + self.codeblock_length
        self.sequence: U8Array | None = randomizer_for(self.codeblock_length, p) if self.randomize else None


class CaduEncoder(_Coding):
    """CADUs of fixed-length frames: per frame the attached sync marker and the (pseudo-randomized)
    Reed-Solomon codeblock of the frame (CCSDS 131.0-B-3 sections 9, 10 and 4).

    ``frame_length`` L must be a multiple of ``interleave`` I with L/I <= 223 (shortened codes use
    virtual fill); ``randomize`` must be a bool. Each CADU is :attr:`cadu_length` octets.
    """

    def __init__(
        self, frame_length: int, interleave: int, randomize: bool = True, *, params: CodingParameters | None = None
    ) -> None:
        super().__init__(frame_length, interleave, randomize, params)

    def frames_of(self, frames: Any) -> U8Array:
        """``frames`` as an (N, L) uint8 array: an (N, L) array, or bytes-like of N*L octets."""
        if isinstance(frames, np.ndarray) and frames.ndim == 2:
            if frames.dtype != np.uint8:
                raise CodingError(f"frames: expected uint8 octets, got dtype {frames.dtype}")
            if frames.shape[1] != self.frame_length:
                raise CodingError(
                    f"frames: rows of {frames.shape[1]} octets, expected frame_length {self.frame_length}"
                )
            return np.ascontiguousarray(frames)
        flat = octet_view(frames, "frames")
        whole, extra = divmod(flat.size, self.frame_length)
        if extra:
            raise CodingError(
                f"frames: {flat.size} octets is not a whole number of {self.frame_length}-octet frames "
                f"({whole} frames and {extra} octets left over)"
            )
        return flat.reshape(whole, self.frame_length)

    def encode_into(self, frames: Any, out: Any) -> int:
        """Write the CADUs of ``frames`` into the writable buffer ``out``; return the octets written.

        ``out`` must hold at least N * :attr:`cadu_length` octets (the rest is left untouched).
        """
        arr = self.frames_of(frames)
        count = int(arr.shape[0])
        need = count * self.cadu_length
        try:
            view = memoryview(out)
        except TypeError:
            raise CodingError(f"out: expected a writable buffer, got {type(out).__name__}") from None
        if view.readonly or view.itemsize != 1 or not view.c_contiguous:
            raise CodingError("out: expected a writable, contiguous buffer of octets")
        if view.nbytes < need:
            raise CodingError(f"out: {view.nbytes} octets is too small for {count} CADUs ({need} octets)")
        target = np.frombuffer(view, dtype=np.uint8, count=need).reshape(count, self.cadu_length)
        for lo in range(0, count, KERNEL_BATCH):
            hi = lo + KERNEL_BATCH
            kernels.encode_cadus_into(self.code, arr[lo:hi], self.interleave, self.marker, self.sequence, target[lo:hi])
        return need

    def encode(self, frames: Any) -> U8Array:
        """The CADU stream of ``frames`` as a new 1-D uint8 array."""
        arr = self.frames_of(frames)
        out = np.empty(arr.shape[0] * self.cadu_length, dtype=np.uint8)
        self.encode_into(arr, out)
        return out


@dataclass(frozen=True, eq=False)
class DecodedChunk:
    """What one :meth:`CaduDecoder.feed` (or :meth:`~CaduDecoder.finish`) delivers.

    Row i is the codeblock whose first octet (after its marker) is at stream offset ``offsets[i]``:
    ``frames[i]`` the decoded frame (the received information part, unchanged, when the codeblock
    is uncorrectable), ``corrected[i, k]`` the symbols corrected in codeword k (-1: uncorrectable),
    ``uncorrectable[i]`` whether any codeword of it is. ``events`` are the synchronizer's lock
    changes decided in this call, in stream order.
    """

    frames: U8Array
    corrected: I64Array
    uncorrectable: BoolArray
    offsets: I64Array
    events: list[SyncEvent] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.offsets.size)


@dataclass
class DecodeStats:
    """Running totals of a :class:`CaduDecoder` (the command-line golden model's summary)."""

    octets: int = 0
    codeblocks: int = 0
    corrected_symbols: int = 0
    corrected_codeblocks: int = 0
    uncorrectable_codeblocks: int = 0
    sync_acquisitions: int = 0
    sync_losses: int = 0


class StreamSynchronizer:
    """The section 9 frame synchronizer of :func:`.frame_sync.locate_codeblocks`, fed in pieces.

    :meth:`feed` appends octets and returns the codeblocks it could decide on; :meth:`finish`
    applies the end-of-stream rules (a candidate whose confirming marker would lie beyond the end is
    confirmed; a lock ends without a "lost" event; a trailing partial codeblock is dropped). The
    octets kept between calls are at most one CADU plus one marker beyond the last decision.
    """

    def __init__(self, codeblock_length: int, marker: bytes, tolerance: int = MARKER_LOCK_TOLERANCE) -> None:
        self.codeblock_length = check_codeblock_length_range(codeblock_length)
        self.marker = as_octets(marker, "attached_sync_marker")
        if not self.marker:
            raise CodingError("attached_sync_marker: must not be empty")
        self.width = len(self.marker)
        self._marker_arr = np.frombuffer(self.marker, dtype=np.uint8)
        tolerance = check_integer(tolerance, "tolerance")
        if not 0 <= tolerance <= 8 * self.width:
            raise CodingError(f"tolerance {tolerance}: must be between 0 and {8 * self.width} bit errors")
        self.period = self.codeblock_length + self.width
        self.tolerance = tolerance
        self._tail: U8Array = np.zeros(0, dtype=np.uint8)
        self._base = 0  # stream offset of self._tail[0]
        self._state: Literal["search", "locked", "done"] = "search"
        self._pos = 0  # search: the first stream offset not yet ruled out as a confirmed marker
        self._marker_at = 0  # locked: the last accepted marker, its codeblock not yet delivered
        self.octets = 0  # stream octets fed so far
        #: After :meth:`finish`: the octets of a CADU cut off by the end of the stream (its marker
        #: was accepted, its codeblock is incomplete and was not decoded), else 0.
        self.partial_tail = 0

    @property
    def finished(self) -> bool:
        return self._state == "done"

    def feed(self, chunk: Any) -> tuple[U8Array, int, I64Array, list[SyncEvent]]:
        """Append ``chunk``; return (buffer, stream offset of buffer[0], codeblock offsets, events).

        The codeblock offsets are stream offsets; every codeblock lies inside the returned buffer.
        """
        if self._state == "done":
            raise CodingError("the decoder has finished: feed() after finish() is not allowed")
        data = octet_view(chunk, "chunk")
        self.octets += data.size
        buf = data if self._tail.size == 0 else np.concatenate((self._tail, data))
        return self._run(buf, final=False)

    def finish(self) -> tuple[U8Array, int, I64Array, list[SyncEvent]]:
        """End of stream: decide everything still pending (see the class docstring)."""
        if self._state == "done":
            raise CodingError("the decoder has finished: finish() was already called")
        return self._run(self._tail, final=True)

    def _distances(self, buf: U8Array, base: int, positions: I64Array) -> I64Array:
        return kernels.marker_distances(buf, positions - base, self.marker)

    def _run(self, buf: U8Array, *, final: bool) -> tuple[U8Array, int, I64Array, list[SyncEvent]]:
        base = self._base
        end = base + buf.size  # stream offset just past the octets available
        width, period, tol = self.width, self.period, self.tolerance
        events: list[SyncEvent] = []
        found: list[I64Array] = []
        while self._state != "done":
            if self._state == "search":
                start = self._search(buf, base, end, final)
                if start is None:
                    break
                events.append(SyncEvent(start, "acquired"))
                self._state, self._marker_at = "locked", start
                continue
            # Locked: the markers expected at marker_at + k * period, k >= 1, that can be checked.
            first = self._marker_at
            checkable = max(0, (end - width - first) // period)
            count = min(checkable, LOCK_STEP)
            positions = first + period * np.arange(1, count + 1, dtype=np.int64)
            good = self._distances(buf, base, positions) <= tol if count else np.zeros(0, dtype=bool)
            bad = int(np.argmin(good)) if count and not good.all() else count
            accepted = np.concatenate(([first], positions[:bad]))
            if bad < count:  # a marker is missing: every accepted codeblock is complete
                found.append(accepted + width)
                lost = int(positions[bad])
                events.append(SyncEvent(lost, "lost"))
                self._state, self._pos = "search", lost - period + 1
                continue
            if count < checkable:  # more to check in this buffer: keep the last accepted pending
                found.append(accepted[:-1] + width)
                self._marker_at = int(accepted[-1])
                continue
            if final:  # the next marker lies beyond the end: the lock ends here
                complete = accepted[accepted + period <= end]
                found.append(complete + width)
                if complete.size < accepted.size:  # a marker, then less than a codeblock
                    self.partial_tail = end - int(accepted[-1])
                self._state = "done"
                break
            # Wait for the octets of the next marker; the last accepted codeblock stays pending.
            found.append(accepted[:-1] + width)
            self._marker_at = int(accepted[-1])
            break
        offsets = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        if final:
            self._state = "done"
            self._tail = np.zeros(0, dtype=np.uint8)
            self._base = end
        else:
            keep = self._marker_at if self._state == "locked" else self._pos
            keep = min(max(keep, base), end)
            self._tail = buf[keep - base :].copy()
            self._base = keep
        return buf, base, offsets.astype(np.int64, copy=False), events

    def _search(self, buf: U8Array, base: int, end: int, final: bool) -> int | None:
        """The first confirmed marker at or after ``self._pos``, or None (wait, or the end).

        The compiled marker search skips to the first exact marker; from there every exact marker
        of a window is found and its confirming marker checked in one vectorized step, so a capture
        full of unconfirmed markers costs no Python step per marker.
        """
        width, period = self.width, self.period
        while True:
            pos = max(self._pos, base)
            rel = kernels.find_marker(buf, pos - base, buf.size, self.marker) if end - pos >= width else -1
            if rel < 0:
                if final:
                    self._state = "done"
                else:
                    self._pos = max(pos, end - width + 1)
                return None
            first = base + rel
            hi = min(end, first + max(SEARCH_WINDOW, 2 * period))  # this step's window of starts
            cand = first + exact_matches(buf[first - base : hi - base], self._marker_arr)
            decidable = cand + period + width <= end  # the confirming marker has arrived
            decided = int(np.count_nonzero(decidable))  # candidates ascend: the undecided come last
            if decided:
                good = self._distances(buf, base, cand[:decided] + period) <= self.tolerance
                if good.any():
                    return int(cand[int(np.argmax(good))])
            if decided < cand.size:
                cand_at = int(cand[decided])
                if final:  # the confirming marker would lie beyond the end of the stream
                    return cand_at
                self._pos = cand_at  # wait for the octets of the confirming marker
                return None
            self._pos = hi - width + 1  # every start below this was ruled out


def exact_matches(window: U8Array, marker: U8Array) -> I64Array:
    """Offsets in ``window`` where the whole ``marker`` starts (vectorized, octet by octet).

    The batch synchronizer :func:`.frame_sync.locate_codeblocks` keeps its own search: it is the
    oracle this module is tested against."""
    width = marker.size
    if window.size < width:
        return np.zeros(0, dtype=np.int64)
    cand = np.flatnonzero(window[: window.size - width + 1] == marker[0])
    for j in range(1, width):
        cand = cand[window[cand + j] == marker[j]]
    return cand.astype(np.int64, copy=False)


class CaduDecoder(_Coding):
    """Synchronize, de-randomize and Reed-Solomon decode a CADU capture fed in pieces of any size
    (CCSDS 131.0-B-3 sections 9, 10 and 4).

    ``feed(chunk)`` returns a :class:`DecodedChunk` for the codeblocks decided on so far;
    ``finish()`` ends the stream and returns the rest. The concatenation of every chunk's rows is
    the same however the capture was cut, and equals :func:`.cadu.decode_cadus` on the whole
    capture. :attr:`stats` keeps running totals.
    """

    def __init__(
        self,
        frame_length: int,
        interleave: int,
        randomize: bool = True,
        *,
        params: CodingParameters | None = None,
    ) -> None:
        super().__init__(frame_length, interleave, randomize, params)
        self.stats = DecodeStats()
        self._sync = StreamSynchronizer(self.codeblock_length, self.marker)

    @property
    def partial_tail(self) -> int:
        """After :meth:`finish`: the octets of a CADU cut off by the end of the capture (not decoded)."""
        return self._sync.partial_tail

    def feed(self, chunk: Any) -> DecodedChunk:
        """Decode what ``chunk`` (bytes-like, any size) completes; see the class docstring."""
        result = self._decode(*self._sync.feed(chunk))
        self.stats.octets = self._sync.octets
        return result

    def finish(self) -> DecodedChunk:
        """End of stream: the codeblocks and events still pending."""
        return self._decode(*self._sync.finish())

    def _decode(self, buf: U8Array, base: int, offsets: I64Array, events: list[SyncEvent]) -> DecodedChunk:
        count = offsets.size
        frames = np.empty((count, self.frame_length), dtype=np.uint8)
        corrected = np.empty((count, self.interleave), dtype=np.int64)
        uncorrectable = np.empty(count, dtype=bool)
        relative = offsets - base
        for lo in range(0, count, KERNEL_BATCH):
            hi = lo + KERNEL_BATCH
            kernels.decode_codeblocks(
                self.code, buf, relative[lo:hi], self.frame_length, self.interleave,
                self.sequence, frames[lo:hi], corrected[lo:hi], uncorrectable[lo:hi],
            )
        stats = self.stats
        stats.codeblocks += count
        stats.uncorrectable_codeblocks += int(uncorrectable.sum())
        # Symbols corrected in the delivered frames (an uncorrectable codeblock is delivered as received).
        per_block = np.where(uncorrectable, 0, np.where(corrected > 0, corrected, 0).sum(axis=1))
        stats.corrected_symbols += int(per_block.sum())
        stats.corrected_codeblocks += int(np.count_nonzero(per_block))
        for event in events:
            if event.kind == "acquired":
                stats.sync_acquisitions += 1
            else:
                stats.sync_losses += 1
        return DecodedChunk(frames, corrected, uncorrectable, offsets.copy(), events)

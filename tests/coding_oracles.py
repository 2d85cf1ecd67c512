"""Oracles shared by the tests of the optical coding golden model (streaming API, kernels, CLI).

Everything here is the numpy model, never the code under test: CADUs are built from
:meth:`ReedSolomonCode.parity` (the numpy parity tables) and the section 10 sequence; decoding runs
the batch synchronizer :func:`frame_sync.locate_codeblocks` and :func:`reed_solomon.rs_decode_batch`
with the numpy kernel selected (the batch functions otherwise run on the active, compiled kernel).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from orbitcert.reference_impl.optical import kernels
from orbitcert.reference_impl.optical.frame_sync import SyncEvent, locate_codeblocks
from orbitcert.reference_impl.optical.parameters import CodingParameters, default_parameters
from orbitcert.reference_impl.optical.randomizer import randomizer_for
from orbitcert.reference_impl.optical.reed_solomon import RSBatchResult, code_for, rs_decode_batch

P = default_parameters()


@contextlib.contextmanager
def kernel(name: str) -> Iterator[None]:
    """Run the block with kernel ``name`` active, then restore the previous one."""
    before = kernels.active()
    kernels.use(name)
    try:
        yield
    finally:
        kernels.use(before)


def oracle_cadus(frames: np.ndarray, depth: int, randomize: bool = True, params: CodingParameters = P) -> np.ndarray:
    """(N, W + L + 2E*I) CADUs of ``frames`` (N, L): marker, then the codeblock (numpy parity) XOR the sequence."""
    count, length = frames.shape
    code = code_for(params)
    acc = code.parity(frames.reshape(count, length // depth, depth))
    check = acc.view(np.uint8).reshape(count, depth, -1)[:, :, : code.nroots].transpose(0, 2, 1).reshape(count, -1)
    blocks = np.concatenate([frames, check], axis=1)
    if randomize:
        blocks ^= randomizer_for(blocks.shape[1], params)
    marker = np.frombuffer(params.attached_sync_marker, dtype=np.uint8)
    return np.concatenate([np.broadcast_to(marker, (count, marker.size)), blocks], axis=1)


def numpy_decode(blocks: np.ndarray, depth: int, **kwargs: Any) -> RSBatchResult:
    """:func:`rs_decode_batch` on the numpy model, whatever kernel is active."""
    with kernel("numpy"):
        return rs_decode_batch(blocks, depth, **kwargs)


def oracle_decode(
    capture: np.ndarray, length: int, depth: int, randomize: bool = True, params: CodingParameters = P
) -> tuple[np.ndarray, list[SyncEvent], np.ndarray, np.ndarray, np.ndarray]:
    """(offsets, events, frames, corrected, uncorrectable) of a whole capture, by the batch models
    (codeblocks decoded 50,000 at a time, so a 1 GiB capture fits)."""
    block = length + 2 * params.E * depth
    offsets, events = locate_codeblocks(capture, block, params.attached_sync_marker)
    parts = []
    for lo in range(0, offsets.size, 50_000):
        blocks = capture[offsets[lo : lo + 50_000, None] + np.arange(block)]
        if randomize:
            blocks ^= randomizer_for(block, params)
        parts.append(numpy_decode(blocks, depth, params=params))
    if not parts:
        return offsets, events, np.zeros((0, length), np.uint8), np.zeros((0, depth), np.int64), np.zeros(0, bool)
    return (
        offsets,
        events,
        np.concatenate([p.data for p in parts]),
        np.concatenate([p.corrected for p in parts]),
        np.concatenate([p.uncorrectable for p in parts]),
    )

"""The streaming golden model (reference_impl/optical/stream.py) against the batch models.

Oracles: the batch synchronizer :func:`frame_sync.locate_codeblocks` (numpy, whole capture in
memory) for offsets and lock events, and the numpy Reed-Solomon model
(:meth:`ReedSolomonCode.parity`, :func:`rs_decode_batch` with the numpy kernel) for codeblocks and
decoding. Every available kernel is run; results must not depend on how the capture is cut.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coding_oracles import P, kernel, oracle_cadus
from coding_oracles import oracle_decode as batch_decode
from orbitcert.reference_impl.optical import coding, kernels
from orbitcert.reference_impl.optical.frame_sync import locate_codeblocks
from orbitcert.reference_impl.optical.parameters import CodingError
from orbitcert.reference_impl.optical.stream import CaduDecoder, CaduEncoder, StreamSynchronizer

MARKER = np.frombuffer(P.attached_sync_marker, dtype=np.uint8)
VARIANTS = kernels.variants()


@dataclass
class Capture:
    data: bytes
    frame_length: int
    depth: int
    randomize: bool


def impaired_capture(seed: int, *, frames: int = 60, length: int = 40, depth: int = 2, randomize: bool = True) -> Capture:
    """CADUs with the things a real capture has: symbol errors (correctable and not), marker bit
    errors (tolerated and not), slips, inserted garbage, a prefix and a cut end."""
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 256, size=(frames, length), dtype=np.uint8)
    cadus = oracle_cadus(arr, depth, randomize)
    width = MARKER.size
    pieces: list[bytes] = [rng.integers(0, 256, int(rng.integers(0, 50)), dtype=np.uint8).tobytes()]
    for row in cadus:
        row = row.copy()
        roll = rng.random()
        if roll < 0.15:  # symbol errors: a few (correctable) or many (not)
            symbols = (row.size - width) // depth  # of one codeword
            many = rng.random() < 0.3  # 17 or more in one codeword: beyond E = 16
            n = int(rng.integers(17, min(40, symbols) + 1)) if many else int(rng.integers(1, 8))
            pos = rng.choice(symbols, size=n, replace=False) * depth + int(rng.integers(depth)) + width
            row[pos] ^= rng.integers(1, 256, pos.size, dtype=np.uint8)
        elif roll < 0.22:  # marker bit errors: 1-2 tolerated, 3+ lose lock
            bits = rng.choice(32, size=int(rng.integers(1, 6)), replace=False)
            for b in bits:
                row[b // 8] ^= np.uint8(1 << (b % 8))
        elif roll < 0.27:  # a slip: octets lost
            cut = int(rng.integers(1, row.size))
            row = np.delete(row, rng.choice(row.size, size=min(cut, 30), replace=False))
        elif roll < 0.30:  # garbage inserted
            pieces.append(rng.integers(0, 256, int(rng.integers(1, 200)), dtype=np.uint8).tobytes())
        pieces.append(row.tobytes())
    data = b"".join(pieces)
    if rng.random() < 0.5:
        data = data[: len(data) - int(rng.integers(1, cadus.shape[1]))]
    return Capture(data, length, depth, randomize)


def oracle_decode(cap: Capture) -> dict[str, object]:
    offsets, events, frames, corrected, bad = batch_decode(
        np.frombuffer(cap.data, dtype=np.uint8), cap.frame_length, cap.depth, cap.randomize
    )
    return {"offsets": offsets, "events": events, "frames": frames, "corrected": corrected, "uncorrectable": bad}


def stream_decode(cap: Capture, cuts: list[int]) -> dict[str, object]:
    decoder = CaduDecoder(cap.frame_length, cap.depth, cap.randomize)
    bounds = [0, *sorted(c for c in cuts if 0 < c < len(cap.data)), len(cap.data)]
    chunks = [decoder.feed(memoryview(cap.data)[a:b]) for a, b in zip(bounds, bounds[1:])]
    chunks.append(decoder.finish())
    return {
        "offsets": np.concatenate([c.offsets for c in chunks]),
        "events": [e for c in chunks for e in c.events],
        "frames": np.concatenate([c.frames for c in chunks]),
        "corrected": np.concatenate([c.corrected for c in chunks]),
        "uncorrectable": np.concatenate([c.uncorrectable for c in chunks]),
    }


def assert_same(got: dict[str, object], want: dict[str, object]) -> None:
    assert got["events"] == want["events"]
    for key in ("offsets", "frames", "corrected", "uncorrectable"):
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("seed", range(6))
def test_whole_capture_equals_the_batch_models(variant: str, seed: int) -> None:
    cap = impaired_capture(seed, depth=1 + seed % 3 * 2, length=(1 + seed % 3 * 2) * 20, randomize=seed != 3)
    want = oracle_decode(cap)
    assert len(want["events"]) >= 2 and want["uncorrectable"].any() and (want["corrected"] > 0).any()  # type: ignore[attr-defined]
    with kernel(variant):
        assert_same(stream_decode(cap, []), want)


@settings(max_examples=60)
@given(seed=st.integers(0, 2**32 - 1), cuts=st.lists(st.integers(0, 20_000), max_size=40))
def test_any_cutting_gives_the_same_results(seed: int, cuts: list[int]) -> None:
    cap = impaired_capture(seed % 1000, frames=40)
    assert_same(stream_decode(cap, cuts), oracle_decode(cap))


@pytest.mark.parametrize("variant", VARIANTS)
def test_one_octet_at_a_time(variant: str) -> None:
    cap = impaired_capture(11, frames=25, length=12, depth=3)
    with kernel(variant):
        assert_same(stream_decode(cap, list(range(len(cap.data)))), oracle_decode(cap))


def test_synchronizer_alone_on_noise_and_marker_floods() -> None:
    """Pathological captures: pure noise, a capture made of markers only, markers every octet."""
    rng = np.random.default_rng(5)
    for data in (
        rng.integers(0, 256, 100_000, dtype=np.uint8).tobytes(),
        P.attached_sync_marker * 5000,
        bytes(range(256)) * 50 + P.attached_sync_marker,
        b"",
        P.attached_sync_marker[:3],
    ):
        arr = np.frombuffer(data, dtype=np.uint8)
        for block in (4, 10, 64):
            want_off, want_ev = locate_codeblocks(arr, block, P.attached_sync_marker)
            for step in (1, 7, 1000, max(1, len(data))):
                if step == 1 and len(data) > 3000:
                    continue
                sync = StreamSynchronizer(block, P.attached_sync_marker)
                offsets, events = [], []
                for lo in range(0, len(data), step):
                    _, _, off, ev = sync.feed(data[lo : lo + step])
                    offsets.append(off)
                    events.extend(ev)
                _, _, off, ev = sync.finish()
                offsets.append(off)
                events.extend(ev)
                np.testing.assert_array_equal(np.concatenate(offsets), want_off)
                assert events == want_ev


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5, 8])
def test_encoder_equals_the_numpy_model(variant: str, depth: int) -> None:
    rng = np.random.default_rng(depth)
    for length in (depth, depth * 17, depth * 223):
        frames = rng.integers(0, 256, size=(9, length), dtype=np.uint8)
        for randomize in (True, False):
            with kernel(variant):
                encoder = CaduEncoder(length, depth, randomize)
                got = encoder.encode(frames)
                out = bytearray(encoder.cadu_length * 9 + 5)
                assert encoder.encode_into(frames.tobytes(), out) == encoder.cadu_length * 9
            want = oracle_cadus(frames, depth, randomize).reshape(-1)
            np.testing.assert_array_equal(got, want)
            assert bytes(out[: want.size]) == want.tobytes() and out[want.size :] == bytes(5)
            assert coding.encode_cadus([f.tobytes() for f in frames], depth, randomize) == want.tobytes()


def test_list_api_is_a_thin_layer_with_the_same_results() -> None:
    cap = impaired_capture(3, frames=50, length=30, depth=3)
    want = oracle_decode(cap)
    events: list[coding.SyncEvent] = []
    results = coding.decode_cadus(cap.data, cap.frame_length, cap.depth, events=events)
    assert events == want["events"] and len(results) == len(want["offsets"])  # type: ignore[arg-type]
    for r, frame, counts, bad in zip(results, want["frames"], want["corrected"], want["uncorrectable"]):  # type: ignore[call-overload]
        assert r.uncorrectable == bool(bad) and r.corrected_per_codeword == tuple(counts.tolist())
        assert r.data == (None if bad else frame.tobytes())


def test_stats_count_what_was_delivered() -> None:
    cap = impaired_capture(4, frames=80)
    want = oracle_decode(cap)
    decoder = CaduDecoder(cap.frame_length, cap.depth)
    decoder.feed(cap.data)
    decoder.finish()
    s = decoder.stats
    bad = want["uncorrectable"]
    corrected = np.where(want["corrected"] > 0, want["corrected"], 0).sum(axis=1)  # type: ignore[operator]
    assert s.octets == len(cap.data) and s.codeblocks == len(want["offsets"])  # type: ignore[arg-type]
    assert s.uncorrectable_codeblocks == int(bad.sum())  # type: ignore[attr-defined]
    assert s.corrected_symbols == int(corrected[~bad].sum())  # type: ignore[operator]
    assert s.sync_losses == sum(e.kind == "lost" for e in want["events"])  # type: ignore[attr-defined]


def test_memory_is_bounded_by_the_chunk_not_the_capture() -> None:
    rng = np.random.default_rng(9)
    frames = rng.integers(0, 256, size=(20_000, 1115), dtype=np.uint8)  # 22 MB of frames, 25.6 MB of CADUs
    capture = CaduEncoder(1115, 5).encode(frames)
    capture.reshape(20_000, -1)[::7, 500] ^= 0x5A  # a symbol error in every seventh codeblock
    decoder = CaduDecoder(1115, 5)
    view = memoryview(capture)
    chunk = 1 << 20
    tracemalloc.start()
    try:
        total = 0
        for lo in range(0, capture.size, chunk):
            total += len(decoder.feed(view[lo : lo + chunk]))
        total += len(decoder.finish())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == 20_000 and decoder.stats.uncorrectable_codeblocks == 0
    assert decoder.stats.corrected_symbols == len(range(0, 20_000, 7))
    assert peak < 6 * chunk, f"peak {peak / 1e6:.1f} MB for 1 MiB chunks of a {capture.size / 1e6:.0f} MB capture"


def test_bad_arguments_are_coding_errors() -> None:
    with pytest.raises(CodingError, match="frame_length"):
        CaduDecoder(1116, 5)
    with pytest.raises(CodingError, match="interleave"):
        CaduEncoder(1115, 6)
    with pytest.raises(CodingError, match="randomize"):
        CaduEncoder(1115, 5, 1)  # type: ignore[arg-type]
    encoder = CaduEncoder(10, 2)
    with pytest.raises(CodingError, match="3 octets left over"):
        encoder.encode(bytes(23))
    with pytest.raises(CodingError, match="too small"):
        encoder.encode_into(bytes(20), bytearray(10))
    with pytest.raises(CodingError, match="writable"):
        encoder.encode_into(bytes(20), bytes(1000))
    with pytest.raises(CodingError, match="chunk"):
        CaduDecoder(10, 2).feed("text")  # type: ignore[arg-type]
    decoder = CaduDecoder(10, 2)
    decoder.finish()
    with pytest.raises(CodingError, match="finished"):
        decoder.feed(b"x")

"""Throughput of the USLP / space packet golden model (net-optical-isl class ``framing``) against
spacepackets.

Run: ``python benchmarks/bench_framing.py [--frames 20000] [--peer-frames 2000] [--repeat 5]``.

One seeded batch of 1024-octet USLP frames (VC frame count of 2 octets, construction rule 000 with
first header pointer, CRC-16 FECF; CCSDS 732.1-B-2) is built and parsed by the reference's batch
API and by spacepackets' ``TransferFrame.pack()`` / ``TransferFrame.unpack()`` (one frame at a time,
the only way it offers); space packet primary headers are packed and unpacked by the reference's
numpy batch functions and by ``spacepackets.ccsds.SpacePacketHeader``; and a seeded stream of space
packets is multiplexed into frames and extracted again by the reference (spacepackets has no
multiplexer, so that row has no peer). Every peer's output is checked equal to the reference's
before its numbers are printed. Times are CPU seconds (``time.process_time``), the median of
``--repeat`` runs for the reference and of 3 for the peer; throughput is Mbit/s of frame (or
packet) octets, the same unit in every column; the ratio is reference / peer.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"  # single thread, set before numpy is imported

import argparse  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from orbitcert.reference_impl.optical import packets as ref_packets  # noqa: E402
from orbitcert.reference_impl.optical import uslp  # noqa: E402
from _common import cpu_median, print_table  # noqa: E402

FRAME_LENGTH = 1024
VCF_COUNT_LENGTH = 2
SEED = 20261126



def _mbit(octets: int, seconds: float) -> float:
    return octets * 8 / seconds / 1e6 if seconds > 0 else float("inf")


def _template() -> uslp.UslpFrame:
    return uslp.UslpFrame(
        scid=0x2A5, vcid=12, map_id=3, vcf_count_length=VCF_COUNT_LENGTH, vcf_count=0, first_header_pointer=0
    )


def bench_uslp(count: int, peer_count: int, repeat: int) -> list[tuple[str, float, float, float, float]]:
    from spacepackets.uslp import PrimaryHeader, SourceOrDestField, TfdzConstructionRules, TransferFrame
    from spacepackets.uslp import TransferFrameDataField, UslpProtocolIdentifier
    from spacepackets.uslp.frame import FixedFrameProperties, FrameType

    rng = np.random.default_rng(SEED)
    template = _template()
    zone = FRAME_LENGTH - uslp.frame_overhead(VCF_COUNT_LENGTH, 0, False, "crc16")
    zones = rng.integers(0, 256, (count, zone), dtype=np.uint8)
    counts = np.arange(count) % (1 << 16)
    pointers = rng.integers(0, zone, count)

    t_build, frames = cpu_median(lambda: uslp.build_frames_batch(template, zones, counts, pointers), repeat)
    t_parse, parsed = cpu_median(lambda: uslp.parse_frames_batch(frames), repeat)
    assert (parsed.error < 0).all() and np.array_equal(parsed.pointer, pointers)
    t_build32, frames32 = cpu_median(lambda: uslp.build_frames_batch(template, zones, counts, pointers, "crc32"), repeat)
    t_parse32, parsed32 = cpu_median(lambda: uslp.parse_frames_batch(frames32, "crc32"), repeat)
    assert (parsed32.error < 0).all()

    def peer_build() -> list[bytes]:
        out = []
        for i in range(peer_count):
            header = PrimaryHeader(
                scid=0x2A5,
                src_dest=SourceOrDestField.SOURCE,
                vcid=12,
                map_id=3,
                frame_len=FRAME_LENGTH - 1,
                vcf_count_len=VCF_COUNT_LENGTH,
                vcf_count=int(counts[i]),
            )
            tfdf = TransferFrameDataField(
                TfdzConstructionRules.FpPacketSpanningMultipleFrames,
                UslpProtocolIdentifier.SPACE_PACKETS_ENCAPSULATION_PACKETS,
                zones[i].tobytes(),
                int(pointers[i]),
            )
            out.append(bytes(TransferFrame(header, tfdf, has_fecf=True).pack()))
        return out

    props = FixedFrameProperties(fixed_len=FRAME_LENGTH, has_insert_zone=False, has_fecf=True)
    raw = [frames[i].tobytes() for i in range(peer_count)]

    def peer_parse() -> list[Any]:
        return [TransferFrame.unpack(r, FrameType.FIXED, props) for r in raw]

    tp_build, peer_frames = cpu_median(peer_build, 3)
    tp_parse, peer_parsed = cpu_median(peer_parse, 3)
    if peer_frames != raw:
        raise SystemExit("spacepackets: built frames differ from the reference's")
    if any(
        p.tfdf.fhp_or_lvop != pointers[i] or bytes(p.tfdf.tfdz) != zones[i].tobytes() for i, p in enumerate(peer_parsed)
    ):
        raise SystemExit("spacepackets: parsed fields differ from the reference's")
    nan = float("nan")
    return [
        (
            "USLP build (1024-octet frames)",
            _mbit(count * FRAME_LENGTH, t_build),
            _mbit(peer_count * FRAME_LENGTH, tp_build),
            t_build / count * 1e6,
            tp_build / peer_count * 1e6,
        ),
        (
            "USLP parse + FECF check",
            _mbit(count * FRAME_LENGTH, t_parse),
            _mbit(peer_count * FRAME_LENGTH, tp_parse),
            t_parse / count * 1e6,
            tp_parse / peer_count * 1e6,
        ),
        (
            "USLP build, CRC-32 FECF (no peer)",
            _mbit(count * FRAME_LENGTH, t_build32),
            nan,
            t_build32 / count * 1e6,
            nan,
        ),
        (
            "USLP parse, CRC-32 FECF (no peer)",
            _mbit(count * FRAME_LENGTH, t_parse32),
            nan,
            t_parse32 / count * 1e6,
            nan,
        ),
    ]


def bench_headers(count: int, peer_count: int, repeat: int) -> list[tuple[str, float, float, float, float]]:
    from spacepackets.ccsds.spacepacket import PacketType, SequenceFlags, SpacePacketHeader

    rng = np.random.default_rng(SEED + 1)
    cols = [
        rng.integers(0, 2, count),
        rng.integers(0, 2, count),
        rng.integers(0, 0x800, count),
        rng.integers(0, 4, count),
        rng.integers(0, 0x4000, count),
        rng.integers(0, 0x10000, count),
    ]
    t_pack, packed = cpu_median(lambda: ref_packets.pack_headers(*cols), repeat)
    t_unpack, fields = cpu_median(lambda: ref_packets.unpack_headers(packed), repeat)
    assert np.array_equal(fields["apid"], cols[2])

    def peer_pack() -> list[bytes]:
        return [
            bytes(
                SpacePacketHeader(
                    PacketType(int(cols[0][i])),
                    int(cols[2][i]),
                    int(cols[4][i]),
                    int(cols[5][i]),
                    bool(cols[1][i]),
                    SequenceFlags(int(cols[3][i])),
                ).pack()
            )
            for i in range(peer_count)
        ]

    raw = [packed[i].tobytes() for i in range(peer_count)]

    def peer_unpack() -> list[Any]:
        return [SpacePacketHeader.unpack(r) for r in raw]

    tp_pack, peer_packed = cpu_median(peer_pack, 3)
    tp_unpack, peer_fields = cpu_median(peer_unpack, 3)
    if peer_packed != raw or any(h.apid != cols[2][i] or h.data_len != cols[5][i] for i, h in enumerate(peer_fields)):
        raise SystemExit("spacepackets: space packet headers differ from the reference's")
    return [
        (
            "space packet header pack (6 octets)",
            _mbit(count * 6, t_pack),
            _mbit(peer_count * 6, tp_pack),
            t_pack / count * 1e6,
            tp_pack / peer_count * 1e6,
        ),
        (
            "space packet header unpack",
            _mbit(count * 6, t_unpack),
            _mbit(peer_count * 6, tp_unpack),
            t_unpack / count * 1e6,
            tp_unpack / peer_count * 1e6,
        ),
    ]


def bench_multiplex(megabytes: float, repeat: int) -> list[tuple[str, float, float, float, float]]:
    rng = np.random.default_rng(SEED + 2)
    pk: list[bytes] = []
    total = 0
    while total < megabytes * 1e6:
        n = int(rng.integers(1, 2000))
        pk.append(
            ref_packets.build_packet(
                ref_packets.SpacePacket(
                    0, 0, int(rng.integers(0, 0x7FF)), 3, 0, rng.integers(0, 256, n, dtype=np.uint8).tobytes()
                )
            )
        )
        total += n + 6
    config = ref_packets.ChannelConfig(
        scid=0x2A5, vcid=12, map_id=3, frame_length=FRAME_LENGTH, vcf_count_length=VCF_COUNT_LENGTH
    )
    t_mux, frames = cpu_median(lambda: ref_packets.multiplex(pk, config), repeat)

    def extract() -> list[bytes]:
        extractor = ref_packets.PacketExtractor(config)
        extractor.feed_batch(frames)
        return extractor.packets

    t_ext, out = cpu_median(extract, repeat)
    assert out == pk
    n = frames.shape[0]
    return [
        (
            f"multiplex {len(pk)} packets into frames",
            _mbit(n * FRAME_LENGTH, t_mux),
            float("nan"),
            t_mux / n * 1e6,
            float("nan"),
        ),
        ("extract packets from frames", _mbit(n * FRAME_LENGTH, t_ext), float("nan"), t_ext / n * 1e6, float("nan")),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=20000, help="frames in the reference's batch (default 20000)")
    parser.add_argument("--peer-frames", type=int, default=2000, help="frames the peer handles (default 2000)")
    parser.add_argument("--mux-mb", type=float, default=8.0, help="MB of packets to multiplex (default 8)")
    parser.add_argument("--repeat", type=int, default=5, help="timing repeats for the reference (median)")
    args = parser.parse_args(argv)
    peer = min(args.peer_frames, args.frames)
    print(
        f"seed {SEED}; single thread; CPU time; numpy {np.__version__}; reference {args.frames} items, "
        f"spacepackets {peer} items",
        flush=True,
    )
    rows = bench_uslp(args.frames, peer, args.repeat)
    rows += bench_headers(args.frames * 10, peer * 10, args.repeat)
    rows += bench_multiplex(args.mux_mb, args.repeat)
    header = (
        "operation",
        "reference Mbit/s",
        "spacepackets Mbit/s",
        "reference us/item",
        "spacepackets us/item",
        "ratio",
    )
    table = [header]
    for name, ref_rate, peer_rate, ref_us, peer_us in rows:
        peer_cells = (
            ("-", "-", "-")
            if np.isnan(peer_rate)
            else (f"{peer_rate:.1f}", f"{peer_us:.2f}", f"{ref_rate / peer_rate:.0f}x")
        )
        table.append((name, f"{ref_rate:.1f}", peer_cells[0], f"{ref_us:.3f}", peer_cells[1], peer_cells[2]))
    print_table(table)
    print("\nAll peer outputs were checked equal to the reference's (frames, parsed fields, headers).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

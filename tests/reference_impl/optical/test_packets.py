"""Space packets and their transfer in fixed-length USLP frames
(:mod:`orbitcert.reference_impl.optical.packets`; CCSDS 133.0-B-2 4.1, 732.1-B-2 4.1.4.2).

Oracles: spacepackets' ``SpacePacketHeader`` / ``SpacePacket`` (headers both ways, delivered
packets), spacepackets' USLP ``TransferFrame.unpack`` (every multiplexed frame), and first header
pointers recomputed here from the packet lengths by walking the stream.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacepackets.ccsds.spacepacket import PacketType, SequenceFlags, SpacePacketHeader
from spacepackets.uslp import TransferFrame
from spacepackets.uslp.frame import FixedFrameProperties, FrameType

from orbitcert.reference_impl.optical import packets as P
from orbitcert.reference_impl.optical import uslp
from orbitcert.reference_impl.optical.packets import ChannelConfig, SpacePacket
from orbitcert.reference_impl.optical.uslp import FramingError

header_fields = st.tuples(
    st.integers(0, 1),
    st.integers(0, 1),
    st.integers(0, 0x7FF),
    st.integers(0, 3),
    st.integers(0, 0x3FFF),
    st.integers(1, 300),
)


# --- primary header ---------------------------------------------------------------------------------


def test_packet_header_known_answer() -> None:
    """133.0-B-2 4.1.3: version 000, type 1, sec header 1, APID 0x123, flags 11, count 0x2345,
    data length 4 (5 octets of data)."""
    octets = P.build_packet(SpacePacket(1, 1, 0x123, 3, 0x2345, b"abcde"))
    assert octets == bytes.fromhex("1923E3450004") + b"abcde"
    assert P.parse_packet(octets) == SpacePacket(1, 1, 0x123, 3, 0x2345, b"abcde")


@given(header_fields)
def test_header_round_trips_with_spacepackets(f: tuple[int, int, int, int, int, int]) -> None:
    ptype, sec, apid, flags, count, n = f
    ours = P.build_packet(SpacePacket(ptype, sec, apid, flags, count, bytes(n)))
    peer = SpacePacketHeader(PacketType(ptype), apid, count, n - 1, bool(sec), SequenceFlags(flags))
    assert ours[:6] == bytes(peer.pack())
    back = SpacePacketHeader.unpack(ours[:6])
    assert (int(back.packet_type), back.sec_header_flag, back.apid, int(back.seq_flags), back.seq_count) == (
        ptype,
        bool(sec),
        apid,
        flags,
        count,
    )
    assert back.packet_len == len(ours)


@given(st.lists(header_fields, min_size=1, max_size=20))
def test_batch_headers_equal_spacepackets(rows: list[tuple[int, int, int, int, int, int]]) -> None:
    cols = list(zip(*rows, strict=True))
    packed = P.pack_headers(*cols[:5], [n - 1 for n in cols[5]])
    for i, (ptype, sec, apid, flags, count, n) in enumerate(rows):
        peer = SpacePacketHeader(PacketType(ptype), apid, count, n - 1, bool(sec), SequenceFlags(flags))
        assert packed[i].tobytes() == bytes(peer.pack())
    fields = P.unpack_headers(packed)
    assert fields["apid"].tolist() == list(cols[2])
    assert fields["data_length"].tolist() == [n - 1 for n in cols[5]]
    assert not fields["version"].any()


def test_packet_length_limits() -> None:
    """133.0-B-2 4.1.4.1: 1 .. 65,536 octets of data, so 7 .. 65,542 octets in all."""
    assert len(P.build_packet(SpacePacket(data=b"x"))) == 7
    big = P.build_packet(SpacePacket(data=bytes(65536)))
    assert len(big) == 65542 and big[4:6] == b"\xff\xff"
    for n in (0, 65537):
        with pytest.raises(FramingError) as err:
            P.build_packet(SpacePacket(data=bytes(n)))
        assert err.value.code == "argument"


@given(st.binary(max_size=40))
def test_parse_packet_raises_only_framing_errors(data: bytes) -> None:
    try:
        P.parse_packet(data)
    except FramingError as exc:
        assert exc.code in ("truncated", "length", "version")


# --- multiplexing -----------------------------------------------------------------------------------


def _packets(rng: np.random.Generator, count: int, max_data: int = 400) -> list[bytes]:
    return [
        P.build_packet(
            SpacePacket(
                int(rng.integers(0, 2)),
                0,
                int(rng.integers(0, 0x7FF)),
                3,
                i % 0x4000,
                rng.integers(0, 256, int(rng.integers(1, max_data + 1)), dtype=np.uint8).tobytes(),
            )
        )
        for i in range(count)
    ]


def _expected_pointers(lengths: list[int], zone: int, frames: int) -> list[int]:
    """First header pointer of each zone, by walking the packet starts."""
    starts, pos = [], 0
    for n in lengths:
        starts.append(pos)
        pos += n
    out = []
    for j in range(frames):
        inside = [s - j * zone for s in starts if j * zone <= s < (j + 1) * zone]
        out.append(inside[0] if inside else 0xFFFF)
    return out


CONFIG = ChannelConfig(
    scid=0x1234, vcid=6, map_id=2, frame_length=128, vcf_count_length=1, vcf_count=250, ocf=b"CLCW", fecf="crc16"
)
Z0 = 7 + 1 + 3  # the TFDZ follows the 8-octet primary header and the 3-octet TFDF header


def test_multiplexed_frames_parse_with_spacepackets_and_have_the_right_pointers() -> None:
    rng = np.random.default_rng(3)
    pk = _packets(rng, 30)
    rows = P.multiplex(pk, CONFIG)
    t = CONFIG.zone_length
    stream = b"".join(pk)
    idle_len = rows.shape[0] * t - len(stream)
    assert idle_len == 0 or idle_len >= 7
    expected = _expected_pointers([len(p) for p in pk] + ([idle_len] if idle_len else []), t, rows.shape[0])
    for j, row in enumerate(rows):
        peer = TransferFrame.unpack(row.tobytes(), FrameType.FIXED, FixedFrameProperties(128, False, True))
        assert peer.tfdf.tfdz_contr_rules == 0 and peer.tfdf.uslp_ident == 0
        assert peer.tfdf.fhp_or_lvop == expected[j], j
        assert peer.header.vcf_count == (250 + j) % 256  # type: ignore[union-attr]
        assert bytes(peer.op_ctrl_field or b"") == b"CLCW"
        assert bytes(peer.tfdf.tfdz) == (stream + P.idle_packet(idle_len) if idle_len else stream)[j * t : (j + 1) * t]
    zones = rows[:, Z0 : Z0 + t].tobytes()
    assert zones[: len(stream)] == stream
    if idle_len:
        assert P.parse_packet(zones[len(stream) :]).apid == 0x7FF


@pytest.mark.parametrize("rest", [0, 1, 6, 7, 50])
def test_idle_fill_rule(rest: int) -> None:
    """uslp_idle_fill_rule: r = 0 no idle packet; r >= 7 one idle packet of r octets; 1 <= r <= 6
    one idle packet of r + T octets spanning one more frame (whose pointer is all ones)."""
    t = CONFIG.zone_length
    packet = P.build_packet(SpacePacket(data=bytes(2 * t - rest - 6)))
    rows = P.multiplex([packet], CONFIG)
    pointers = [uslp.parse_frame(r.tobytes()).first_header_pointer for r in rows]
    if rest == 0:
        assert pointers == [0, 0xFFFF]
    elif rest >= 7:
        assert pointers == [0, 0xFFFF if rest == t else t - rest] and rows.shape[0] == 2
        idle = P.parse_packet(rows[1, Z0 + t - rest : Z0 + t].tobytes())
        assert idle.apid == 0x7FF and len(idle.data) == rest - 6
    else:
        assert pointers == [0, t - rest, 0xFFFF]
        tail = rows[1, Z0 + t - rest : Z0 + t].tobytes() + rows[2, Z0 : Z0 + t].tobytes()
        assert P.parse_packet(tail).apid == 0x7FF
    assert P.demultiplex([r.tobytes() for r in rows], CONFIG) == ([packet], 0)


def test_no_packets_no_frames() -> None:
    assert P.multiplex([], CONFIG).shape == (0, 128)


def test_multiplex_refuses_malformed_packets() -> None:
    good = P.build_packet(SpacePacket(data=b"abc"))
    for bad in (good[:-1], good + b"x", b"\xe0" + good[1:], b"short"):
        with pytest.raises(FramingError):
            P.multiplex([bad], CONFIG)


# --- extraction ---------------------------------------------------------------------------------------


@given(
    seed=st.integers(0, 2**32 - 1),
    frame_length=st.integers(32, 300),
    count_length=st.integers(0, 7),
    fecf=st.sampled_from(["crc16", "crc32"]),
    ocf=st.booleans(),
)
@settings(max_examples=40)
def test_random_chunkings_round_trip(seed: int, frame_length: int, count_length: int, fecf: str, ocf: bool) -> None:
    rng = np.random.default_rng(seed)
    config = ChannelConfig(
        scid=1,
        vcid=2,
        map_id=3,
        frame_length=frame_length,
        vcf_count_length=count_length,
        vcf_count=int(rng.integers(0, 1 << (8 * count_length))),
        ocf=b"ABCD" if ocf else None,
        fecf=fecf,
    )
    pk = _packets(rng, int(rng.integers(1, 40)), max_data=int(rng.integers(1, 700)))
    rows = P.multiplex(pk, config)
    delivered, rejected = P.demultiplex([r.tobytes() for r in rows], config)
    assert rejected == 0
    assert delivered == pk
    for p in delivered:  # spacepackets reads the same header
        assert SpacePacketHeader.unpack(p).packet_len == len(p)


def test_maximum_packet_across_frames() -> None:
    """A 65,542-octet packet spans many 1024-octet frames and comes out whole."""
    config = ChannelConfig(frame_length=1024, vcf_count_length=2)
    pk = [
        P.build_packet(SpacePacket(apid=9, data=np.arange(65536, dtype=np.uint8).tobytes())),
        P.build_packet(SpacePacket(apid=10, data=b"after")),
    ]
    rows = P.multiplex(pk, config)
    assert P.demultiplex([r.tobytes() for r in rows], config) == (pk, 0)


@given(seed=st.integers(0, 2**32 - 1), lose=st.floats(0.02, 0.4), corrupt=st.booleans())
@settings(max_examples=30)
def test_lost_or_rejected_frames_never_give_partial_or_spliced_packets(seed: int, lose: float, corrupt: bool) -> None:
    """732.1-B-2 4.1.4.2.4: after a lost (count gap) or rejected frame the receiver resynchronizes at
    the next first header pointer. Whatever it delivers is a sent packet, each at most once, in
    order; and every packet whose frames all arrived good is delivered (its first frame's pointer
    is at or before its header, so the receiver is in step by then)."""
    rng = np.random.default_rng(seed)
    config = ChannelConfig(frame_length=96, vcf_count_length=1)
    t = config.zone_length
    pk = _packets(rng, 60, max_data=300)
    frames = [r.tobytes() for r in P.multiplex(pk, config)]
    good = [rng.random() >= lose for _ in frames]
    received = []
    for f, ok in zip(frames, good, strict=True):
        if not ok:
            if not corrupt:
                continue
            f = f[:1] + bytes([f[1] ^ 0xFF]) + f[2:]
        received.append(f)
    delivered, rejected = P.demultiplex(received, config)
    assert rejected == (good.count(False) if corrupt else 0)
    index = {p: i for i, p in enumerate(pk)}
    positions = [index[p] for p in delivered]  # KeyError = a partial or spliced packet
    assert positions == sorted(set(positions))
    starts = np.concatenate(([0], np.cumsum([len(p) for p in pk])[:-1]))
    for i, p in enumerate(pk):
        first, last = int(starts[i]) // t, (int(starts[i]) + len(p) - 1) // t
        if all(good[first : last + 1]):
            assert i in positions, (i, first, last)


def test_count_gap_discards_the_partial_packet() -> None:
    """A frame dropped silently in the middle of a packet: the VC frame count shows the gap."""
    config = ChannelConfig(frame_length=64, vcf_count_length=1)
    pk = [P.build_packet(SpacePacket(apid=1, data=bytes(200))), P.build_packet(SpacePacket(apid=2, data=b"x" * 30))]
    frames = [r.tobytes() for r in P.multiplex(pk, config)]
    delivered, rejected = P.demultiplex(frames[:2] + frames[3:], config)
    assert delivered == pk[1:] and rejected == 0


def test_idle_packets_are_not_delivered_and_foreign_frames_rejected() -> None:
    config = ChannelConfig(frame_length=64, vcf_count_length=1)
    idle = P.idle_packet(20)
    user = P.build_packet(SpacePacket(apid=3, data=b"payload"))
    frames = [r.tobytes() for r in P.multiplex([idle, user, idle], config)]
    other_vc = [r.tobytes() for r in P.multiplex([user], ChannelConfig(vcid=5, frame_length=64))]
    assert P.demultiplex(frames, config) == ([user], 0)
    assert P.demultiplex(other_vc + frames, config) == ([user], 1)
    extractor = P.PacketExtractor(config, deliver_idle=True)
    extractor.feed_all(frames)
    assert extractor.packets == [idle, user] + [p for p in extractor.packets[2:]]


def test_feed_accepts_anything_without_raising() -> None:
    config = ChannelConfig(frame_length=64, vcf_count_length=1)
    delivered, rejected = P.demultiplex([b"", b"x" * 64, 12, None, bytearray(70)], config)  # type: ignore[list-item]
    assert delivered == [] and rejected == 5


@given(
    st.lists(
        st.one_of(
            st.binary(min_size=64, max_size=64),
            st.binary(max_size=80),
            st.tuples(st.integers(0, 63), st.integers(1, 255)),
        ),
        max_size=12,
    )
)
def test_extractor_never_raises_on_arbitrary_frames(items: list[object]) -> None:
    """Random octets, wrong lengths and mutated good frames: the receiver only counts rejects."""
    config = ChannelConfig(frame_length=64, vcf_count_length=1)
    good = [r.tobytes() for r in P.multiplex(_packets(np.random.default_rng(1), 8, 40), config)]
    frames = []
    for k, item in enumerate(items):
        if isinstance(item, tuple):
            f = bytearray(good[k % len(good)])
            f[item[0]] ^= item[1]
            frames.append(bytes(f))
        else:
            frames.append(item)
    delivered, rejected = P.demultiplex(frames, config)
    assert 0 <= rejected <= len(frames)
    assert all(P.parse_packet(p) for p in delivered)


def test_framing_operations_of_the_reference_product() -> None:
    """The FramingOps mixin: interface dicts in and out, bad frames reported, bad arguments raised."""
    from orbitcert.reference_impl.optical.iut import ReferenceOpticalLink

    product = ReferenceOpticalLink()
    fields = uslp.UslpFrame(scid=3, vcf_count_length=1, vcf_count=9, first_header_pointer=0, data=b"ab").as_fields()
    (octets,) = product.uslp_build([fields], "crc32")
    parsed = product.uslp_parse([octets, octets[:-1], b""], "crc32")
    assert parsed == [{**fields, "error": None}, {"error": "truncated"}, {"error": "truncated"}]
    (packet,) = product.packets_build([SpacePacket(1, 0, 42, 3, 7, b"xyz").as_fields()])
    config = {
        "scid": 1,
        "vcid": 2,
        "map_id": 3,
        "frame_length": 48,
        "vcf_count_length": 2,
        "vcf_count": 65535,
        "ocf": b"\x00\x01\x02\x03",
        "fecf": "crc16",
    }
    frames = product.packets_to_frames([packet] * 9, config)
    assert product.frames_to_packets(frames, config) == {"packets": [packet] * 9, "rejected": 0}
    for bad in (
        lambda: product.packets_build([{"apid": 1}]),
        lambda: product.uslp_build([fields], "crc8"),
        lambda: product.packets_to_frames([packet], {**config, "frame_length": 12}),
        lambda: product.uslp_parse([octets, 5], "crc16"),
    ):  # type: ignore[list-item]
        with pytest.raises(FramingError):
            bad()

"""USLP transfer frames (:mod:`orbitcert.reference_impl.optical.uslp`, CCSDS 732.1-B-2 4.1).

Oracles: spacepackets' USLP classes (``spacepackets.uslp``, both directions, every option it
supports: CRC-16 FECF, OCF, VC frame count lengths 0..7, fixed and variable construction rules),
the published CRC-32 check values of two independent implementations, a bit-at-a-time CRC-32
written here from the generator polynomial, and hand-assembled octets for the header layout.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacepackets.uslp import (
    PrimaryHeader,
    SourceOrDestField,
    TfdzConstructionRules,
    TransferFrame,
    TransferFrameDataField,
    UslpProtocolIdentifier,
)
from spacepackets.uslp.frame import FixedFrameProperties, FrameType, VarFrameProperties

from orbitcert.reference_impl import frames as shared_frames
from orbitcert.reference_impl.optical import uslp
from orbitcert.reference_impl.optical.uslp import DECODE_ERROR_CODES, FramingError, UslpFrame


def _crc32_bitwise(data: bytes, poly: int = 0x00A00805, reg: int = 0) -> int:
    """CCSDS 211.2-B-3 annex C CRC-32, one bit at a time from the generator polynomial."""
    for byte in data:
        for bit in range(7, -1, -1):
            top = (reg >> 31) ^ ((byte >> bit) & 1)
            reg = (reg << 1) & 0xFFFFFFFF
            if top:
                reg ^= poly
    return reg


# --- CRC-32: the 32-bit FECF of 732.1-B-1 4.1.6 (not in issue 2), the Proximity-1 CRC-32 of 211.2-B-3 annex C ---


def test_crc32_published_check_values() -> None:
    """Check value 0x51693C0C over "123456789" (as published with an independent Go
    implementation of the Proximity-1 CRC-32) and 0x34D74CB3 over 12 34 56 78 (yamcs' test vector
    for its ProximityCrc32, used for USLP frames)."""
    assert uslp.crc32(b"123456789") == 0x51693C0C
    assert uslp.crc32(bytes.fromhex("12345678")) == 0x34D74CB3
    assert _crc32_bitwise(b"123456789") == 0x51693C0C


@given(st.binary(max_size=3000))
def test_crc32_equals_bitwise_definition(data: bytes) -> None:
    assert uslp.crc32(data) == _crc32_bitwise(data)


def test_crc32_rows_blocks_and_presets() -> None:
    """Rows longer than one 1024-octet block, short tails, and a non-zero preset."""
    rng = np.random.default_rng(7)
    for length in (1, 3, 4, 5, 1023, 1024, 1025, 2051):
        rows = rng.integers(0, 256, (3, length), dtype=np.uint8)
        got = uslp.crc32_rows(rows, initial=0x89ABCDEF)
        assert got.tolist() == [_crc32_bitwise(r.tobytes(), reg=0x89ABCDEF) for r in rows]


# --- layout: known octets ------------------------------------------------------------------------------


def test_frame_layout_known_answer() -> None:
    """732.1-B-2 4.1.2 / 4.1.4.2 / 4.1.5 / 4.1.6, assembled by hand: version 1100, SCID 0xABCD, source,
    VC 5, MAP 3, frame length 22 (23 octets), bypass 0, PCC 0, spares 00, OCF 1, c = 2, count 0x0102,
    rule 000 / protocol id 00000 / FHP 0, zone "hello", OCF "abcd", CRC-16 FECF."""
    frame = UslpFrame(
        scid=0xABCD,
        vcid=5,
        map_id=3,
        vcf_count_length=2,
        vcf_count=0x0102,
        first_header_pointer=0,
        data=b"hello",
        ocf=b"abcd",
    )
    octets = uslp.build_frame(frame)
    body = bytes.fromhex("CABCD0A600160A0102000000") + b"hello" + b"abcd"
    assert octets == body + shared_frames.fecf(body).to_bytes(2, "big")
    assert len(octets) == 23 and (octets[4] << 8 | octets[5]) == 22
    assert uslp.parse_frame(octets) == frame
    crc32_octets = uslp.build_frame(frame, "crc32")
    assert crc32_octets[:-4] == body[:5] + b"\x18" + body[6:]  # 4-octet FECF: 25 octets in all
    assert crc32_octets[-4:] == _crc32_bitwise(crc32_octets[:-4]).to_bytes(4, "big")


@pytest.mark.parametrize("rule", range(8))
def test_pointer_present_exactly_for_rules_000_001_010(rule: int) -> None:
    """4.1.4.2.4: the 16-bit pointer follows the TFDF octet only for construction rules 0..2."""
    pointer = 0x1234 if rule <= 2 else None
    frame = UslpFrame(construction_rule=rule, protocol_id=0b10101, first_header_pointer=pointer, data=b"z")
    octets = uslp.build_frame(frame)
    assert octets[7] == (rule << 5) | 0b10101
    assert len(octets) == 7 + (3 if rule <= 2 else 1) + 1 + 2
    if rule <= 2:
        assert octets[8:10] == b"\x12\x34"
    assert uslp.parse_frame(octets) == frame
    with pytest.raises(FramingError) as err:
        uslp.build_frame(UslpFrame(construction_rule=rule, first_header_pointer=None if rule <= 2 else 5))
    assert err.value.code == "argument"


def test_builder_refuses_out_of_range_fields() -> None:
    for bad in (
        {"scid": 1 << 16},
        {"vcid": 64},
        {"map_id": 16},
        {"vcf_count_length": 8},
        {"vcf_count_length": 1, "vcf_count": 256},
        {"protocol_id": 32},
        {"ocf": b"abc"},
        {"data": bytes(65536)},
    ):
        with pytest.raises(FramingError) as err:
            uslp.build_frame(UslpFrame(**bad))  # type: ignore[arg-type]
        assert err.value.code == "argument", bad
    with pytest.raises(FramingError):
        uslp.build_frame(UslpFrame(), "crc8")


def test_maximum_frame_length() -> None:
    """4.1.2.7: 65,536 octets is the longest frame (frame length field 0xFFFF)."""
    data = bytes(65536 - 7 - 3 - 2)
    octets = uslp.build_frame(UslpFrame(data=data))
    assert len(octets) == 65536 and octets[4:6] == b"\xff\xff"
    assert uslp.parse_frame(octets).data == data


# --- decode errors -------------------------------------------------------------------------------------


def _good(**kw: Any) -> bytes:
    base = dict(
        scid=77,
        vcid=9,
        map_id=2,
        vcf_count_length=3,
        vcf_count=0xABCDEF,
        first_header_pointer=4,
        data=bytes(range(40)),
        ocf=b"\x01\x02\x03\x04",
    )
    base.update(kw)
    return uslp.build_frame(UslpFrame(**base))  # type: ignore[arg-type]


def _refecf(body: bytes) -> bytes:
    return body + shared_frames.fecf(body).to_bytes(2, "big")


def _code(frame: bytes, fecf: str = "crc16") -> str:
    with pytest.raises(FramingError) as err:
        uslp.parse_frame(frame, fecf)
    return err.value.code


def test_decode_error_codes() -> None:
    """Each malformation gets its documented code (spec parameter ``uslp_decode_error_codes``)."""
    good = _good()
    assert _code(good[:6]) == "truncated"
    assert _code(good[:8]) == "truncated"  # shorter than 7 + c
    assert _code(good[:-1]) == "truncated"  # fewer than the frame length field announces
    assert _code(good + b"\x00") == "length"
    wrong_version = _refecf(bytes([(good[0] & 0x0F) | 0xD0]) + good[1:-2])
    assert _code(wrong_version) == "version"
    truncated_header = _refecf(good[:3] + bytes([good[3] | 1]) + good[4:-2])
    assert _code(truncated_header) == "header"
    spares = _refecf(good[:6] + bytes([good[6] | 0x30]) + good[7:-2])
    assert _code(spares) == "header"
    corrupted = bytearray(good)
    corrupted[20] ^= 0x40
    assert _code(bytes(corrupted)) == "fecf"
    # a frame length that leaves no room for its own TFDF header, OCF and FECF
    tiny = bytearray(good[:14])
    tiny[4:6] = (13).to_bytes(2, "big")
    assert _code(bytes(tiny)) == "length"
    assert _code(_good(), "crc32") == "fecf"


@given(st.binary(max_size=200))
def test_parse_raises_only_framing_errors_on_any_bytes(data: bytes) -> None:
    for fecf in ("crc16", "crc32"):
        try:
            uslp.parse_frame(data, fecf)
        except FramingError as exc:
            assert exc.code in DECODE_ERROR_CODES
        batch = uslp.parse_frames([data], fecf)[0]
        assert isinstance(batch, (UslpFrame, FramingError))


@given(cut=st.integers(0, 60), extra=st.binary(min_size=1, max_size=5), flip=st.integers(0, 8 * 62 - 1))
def test_truncated_overlong_and_corrupted_frames(cut: int, extra: bytes, flip: int) -> None:
    good = _good()
    assert _code(good[: min(cut, len(good) - 1)]) == "truncated"
    assert _code(good + extra) == "length"
    corrupted = bytearray(good)
    flip %= 8 * len(good)
    corrupted[flip // 8] ^= 0x80 >> (flip % 8)
    with pytest.raises(FramingError) as err:  # any single-bit error is caught (CRC-16 detects all)
        uslp.parse_frame(bytes(corrupted))
    assert err.value.code in DECODE_ERROR_CODES


# --- spacepackets as oracle ------------------------------------------------------------------------------


fields = st.fixed_dictionaries(
    {
        "scid": st.integers(0, 0xFFFF),
        "source_dest": st.integers(0, 1),
        "vcid": st.integers(0, 63),
        "map_id": st.integers(0, 15),
        "bypass": st.integers(0, 1),
        "protocol_command": st.integers(0, 1),
        "vcf_count_length": st.integers(0, 7),
        "construction_rule": st.integers(0, 7),
        "protocol_id": st.integers(0, 31),
        "data": st.binary(min_size=1, max_size=80),
        "ocf": st.none() | st.binary(min_size=4, max_size=4),
        "count_seed": st.integers(0, (1 << 56) - 1),
        "pointer": st.integers(0, 0xFFFF),
    }
)


def _frame_from(d: dict[str, Any]) -> UslpFrame:
    c = d["vcf_count_length"]
    return UslpFrame(
        scid=d["scid"],
        source_dest=d["source_dest"],
        vcid=d["vcid"],
        map_id=d["map_id"],
        bypass=d["bypass"],
        protocol_command=d["protocol_command"],
        vcf_count_length=c,
        vcf_count=d["count_seed"] % (1 << (8 * c)),
        construction_rule=d["construction_rule"],
        protocol_id=d["protocol_id"],
        first_header_pointer=d["pointer"] if d["construction_rule"] <= 2 else None,
        data=d["data"],
        ocf=d["ocf"],
    )


def _spacepackets_frame(f: UslpFrame) -> TransferFrame:
    header = PrimaryHeader(
        scid=f.scid,
        src_dest=SourceOrDestField(f.source_dest),
        vcid=f.vcid,
        map_id=f.map_id,
        frame_len=0,
        bypass_seq_ctrl_flag=f.bypass,
        prot_ctrl_cmd_flag=f.protocol_command,  # type: ignore[arg-type]
        op_ctrl_flag=f.ocf is not None,
        vcf_count_len=f.vcf_count_length,
        vcf_count=f.vcf_count,
    )
    tfdf = TransferFrameDataField(
        tfdz_cnstr_rules=TfdzConstructionRules(f.construction_rule),
        uslp_ident=f.protocol_id,  # type: ignore[arg-type]
        tfdz=f.data,
        fhp_or_lvop=f.first_header_pointer,
    )
    frame = TransferFrame(header=header, tfdf=tfdf, op_ctrl_field=f.ocf, has_fecf=True)
    frame.set_frame_len_in_header()
    return frame


def _frame_type(rule: int) -> FrameType:
    return FrameType.FIXED if rule <= 2 else FrameType.VARIABLE


@given(fields)
@settings(max_examples=80)
def test_reference_frames_parse_with_spacepackets(d: dict[str, Any]) -> None:
    f = _frame_from(d)
    octets = uslp.build_frame(f)
    props = (
        FixedFrameProperties(fixed_len=len(octets), has_insert_zone=False, has_fecf=True)
        if f.construction_rule <= 2
        else VarFrameProperties(has_insert_zone=False, has_fecf=True, truncated_frame_len=0)
    )
    peer = TransferFrame.unpack(octets, _frame_type(f.construction_rule), props)
    h = peer.header
    assert isinstance(h, PrimaryHeader)
    assert (h.scid, int(h.src_dest), h.vcid, h.map_id, h.frame_len) == (
        f.scid,
        f.source_dest,
        f.vcid,
        f.map_id,
        len(octets) - 1,
    )
    assert (int(h.bypass_seq_ctrl_flag), int(h.prot_ctrl_cmd_flag), bool(h.op_ctrl_flag), h.vcf_count_len) == (
        f.bypass,
        f.protocol_command,
        f.ocf is not None,
        f.vcf_count_length,
    )
    assert (h.vcf_count or 0) == f.vcf_count
    assert (peer.tfdf.tfdz_contr_rules, peer.tfdf.uslp_ident) == (f.construction_rule, f.protocol_id)
    assert peer.tfdf.fhp_or_lvop == f.first_header_pointer
    assert bytes(peer.tfdf.tfdz) == f.data
    assert (None if peer.op_ctrl_field is None else bytes(peer.op_ctrl_field)) == f.ocf


@given(fields)
@settings(max_examples=80)
def test_spacepackets_frames_parse_with_the_reference(d: dict[str, Any]) -> None:
    f = _frame_from(d)
    octets = bytes(_spacepackets_frame(f).pack(frame_type=_frame_type(f.construction_rule)))
    assert uslp.parse_frame(octets) == f
    assert octets == uslp.build_frame(f)


def test_spacepackets_accepts_non_zero_spares_the_reference_does_not() -> None:
    """Divergence, pinned to the standard: 732.1-B-2 4.1.2.9 sets the 2 reserve spares to 00 in this
    version of the protocol. spacepackets ignores them when unpacking; this profile's receiver
    rejects the frame as ``header`` (spec parameter ``uslp_decode_error_codes``)."""
    f = UslpFrame(construction_rule=7, first_header_pointer=None, data=b"abc")
    good = uslp.build_frame(f)
    bad = _refecf(good[:6] + bytes([good[6] | 0x20]) + good[7:-2])
    peer = TransferFrame.unpack(bad, FrameType.VARIABLE, VarFrameProperties(False, True, 0))
    assert bytes(peer.tfdf.tfdz) == b"abc"
    assert _code(bad) == "header"


def test_spacepackets_idle_protocol_id_agrees() -> None:
    """SANA USLP protocol identifiers: 00000 space packets, 11111 idle data."""
    assert UslpProtocolIdentifier.SPACE_PACKETS_ENCAPSULATION_PACKETS == 0
    assert UslpProtocolIdentifier.IDLE_DATA == 0b11111


# --- batches -----------------------------------------------------------------------------------------------


def test_batch_build_equals_single_builds() -> None:
    rng = np.random.default_rng(11)
    template = UslpFrame(
        scid=300, vcid=7, map_id=4, vcf_count_length=3, vcf_count=0, first_header_pointer=0, ocf=b"OCF1"
    )
    zones = rng.integers(0, 256, (20, 100), dtype=np.uint8)
    counts = rng.integers(0, 1 << 24, 20)
    pointers = rng.integers(0, 0x10000, 20)
    for fecf in ("crc16", "crc32"):
        rows = uslp.build_frames_batch(template, zones, counts, pointers, fecf)
        for i in range(20):
            single = UslpFrame(
                **{
                    **template.as_fields(),
                    "vcf_count": int(counts[i]),
                    "first_header_pointer": int(pointers[i]),
                    "data": zones[i].tobytes(),
                }
            )
            assert rows[i].tobytes() == uslp.build_frame(single, fecf)


@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 255), st.sampled_from(["cut", "flip", "set"])), max_size=6),
    st.sampled_from(["crc16", "crc32"]),
)
def test_batch_parse_equals_single_parse(edits: list[tuple[int, int, str]], fecf: str) -> None:
    """Rows with arbitrary edits: the vectorized parse gives each row the same result (fields or
    error code) as the one-frame parse."""
    template = UslpFrame(scid=5, vcid=1, map_id=1, vcf_count_length=1, first_header_pointer=3, data=bytes(24))
    rows = uslp.build_frames_batch(
        template, np.arange(24 * 8, dtype=np.uint8).reshape(8, 24) % 251, np.arange(8), np.arange(8), fecf
    )
    for k, (pos, value, how) in enumerate(edits):
        r = k % rows.shape[0]
        if how == "flip":
            rows[r, pos % rows.shape[1]] ^= value or 1
        elif how == "set":
            rows[r, pos % 7] = value
        else:
            rows[r, 4:6] = np.frombuffer((pos + 10).to_bytes(2, "big"), dtype=np.uint8)
    parsed = uslp.parse_frames_batch(rows, fecf)
    for i in range(rows.shape[0]):
        try:
            expected: UslpFrame | str = uslp.parse_frame(rows[i].tobytes(), fecf)
        except FramingError as exc:
            expected = exc.code
        try:
            got: UslpFrame | str = parsed.frame(i)
        except FramingError as exc:
            got = exc.code
        assert got == expected, i


def test_spacepackets_truncated_frames_are_outside_the_profile() -> None:
    """spacepackets also builds truncated frames (732.1-B-2 annex D: 4-octet header, end of frame
    primary header flag 1); this profile has only non-truncated headers, so the reference rejects
    them with code ``header`` (spec parameter ``uslp_decode_error_codes``)."""
    from spacepackets.uslp import TruncatedPrimaryHeader

    tfdf = TransferFrameDataField(
        TfdzConstructionRules.VpNoSegmentation, UslpProtocolIdentifier.USER_DEFINED_OCTET_STREAM, b"abcdefgh"
    )
    frame = TransferFrame(
        TruncatedPrimaryHeader(scid=5, src_dest=SourceOrDestField.SOURCE, vcid=1, map_id=0), tfdf, has_fecf=False
    )
    assert _code(bytes(frame.pack(truncated=True))) == "header"

"""The shared frame-header module (:mod:`orbitcert.reference_impl.frames`): construct layouts
against known octets, the fast paths against construct, the FECF, and decoder robustness."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbitcert.reference_impl import frames
from orbitcert.reference_impl.optical.crc16 import crc16_table_driven
from orbitcert.reference_impl.security.errors import FrameError


def test_tc_header_layout() -> None:
    """CCSDS 232.0-B-4 4.1.2: 2003002D00 = version 0, bypass 1, SCID 3, VC 0, length 45, FSN 0."""
    h = frames.parse_tc_primary_header(bytes.fromhex("2003002D00"))
    assert h == frames.TcPrimaryHeader(0, True, False, 0, 3, 0, 45, 0)
    assert frames.build_tc_primary_header(h) == bytes.fromhex("2003002D00")
    full = frames.TcPrimaryHeader(0, False, True, 3, 0x3FF, 0x3F, 0x3FF, 0xFF)
    assert frames.build_tc_primary_header(full) == bytes.fromhex("1FFFFFFFFF")
    assert frames.parse_tc_segment_header(b"\xc5") == frames.TcSegmentHeader(3, 5)
    assert frames.build_tc_segment_header(frames.TcSegmentHeader(3, 5)) == b"\xc5"


def test_tm_and_aos_header_layouts() -> None:
    """CCSDS 132.0-B-3 4.1.2 and 732.0-B-4 4.1.2 field positions."""
    tm = frames.TmPrimaryHeader(0, 0x2AB, 5, True, 0x12, 0x34, 0x1800)
    octets = frames.build_tm_primary_header(tm)
    assert octets == bytes([0x2A, 0xBB, 0x12, 0x34, 0x18, 0x00])
    assert frames.parse_tm_primary_header(octets) == tm
    aos = frames.AosPrimaryHeader(1, 0xAB, 0x2C, 0x123456, True, False, 0, 9)
    octets = frames.build_aos_primary_header(aos)
    assert octets == bytes([0x6A, 0xEC, 0x12, 0x34, 0x56, 0x89])
    assert frames.parse_aos_primary_header(octets) == aos


def test_uslp_header_layout() -> None:
    """CCSDS 732.1-B-2 4.1.2: 7 + c octets, VC frame count of c octets."""
    h = frames.UslpPrimaryHeader(
        0xC, 0xABCD, False, 5, 3, False, 0x0123, True, False, 0, True, 2, 0x0102
    )
    octets = frames.build_uslp_primary_header(h)
    assert octets == bytes.fromhex("CABCD0A6" "0123" "8A" "0102")
    assert frames.parse_uslp_primary_header(octets + b"rest") == h
    assert h.length == 9
    with pytest.raises(FrameError, match="truncated"):
        frames.parse_uslp_primary_header(bytes.fromhex("CABCD0A7012300"))


@given(st.binary(min_size=7, max_size=20))
def test_fast_paths_equal_construct(data: bytes) -> None:
    """The hot path's int.from_bytes reads equal the construct parse of the same octets."""
    tc = frames.TC_PRIMARY_HEADER.parse(data[:5])
    assert frames.tc_frame_length_fast(data) == tc.frame_length
    uslp = frames.USLP_PRIMARY_HEADER_FIXED.parse(data[:7])
    assert frames.uslp_frame_length_fast(data) == uslp.frame_length
    assert frames.uslp_header_length_fast(data) == 7 + uslp.vc_frame_count_length
    header = bytearray(data)
    frames.set_frame_length_fast(header, "tc", 300)
    assert frames.TC_PRIMARY_HEADER.parse(bytes(header[:5])).frame_length == 299
    assert bytes(header[4:]) == data[4:] and header[2] & 0xFC == data[2] & 0xFC
    frames.set_frame_length_fast(header, "uslp", 40000)
    assert frames.USLP_PRIMARY_HEADER_FIXED.parse(bytes(header[:7])).frame_length == 39999


def test_frame_length_limits() -> None:
    with pytest.raises(FrameError):
        frames.set_frame_length_fast(bytearray(5), "tc", 1025)
    with pytest.raises(FrameError):
        frames.set_frame_length_fast(bytearray(7), "uslp", 65537)


@given(st.binary(max_size=300))
def test_fecf_equals_table_driven_crc(data: bytes) -> None:
    """CCSDS 232.0-B-4 4.1.4.2: the C-speed FECF equals the optical table-driven CRC-16."""
    assert frames.fecf(data) == crc16_table_driven(data, 0x1021, 0xFFFF)
    assert frames.check_fecf(frames.with_fecf(data))


def test_fecf_check_value() -> None:
    assert frames.fecf(b"123456789") == 0x29B1
    assert frames.fecf(b"123456789", 0x8005, 0) == crc16_table_driven(b"123456789", 0x8005, 0)


def test_frame_type_by_version() -> None:
    """Spec parameter frame_type_by_version: 00 tc, 01 aos, 1100 uslp."""
    assert frames.frame_type_of(b"\x20") == "tc"
    assert frames.frame_type_of(b"\x40") == "aos"
    assert frames.frame_type_of(b"\xc0") == "uslp"
    assert frames.frame_type_of(b"\x80") is None and frames.frame_type_of(b"") is None
    assert isinstance(frames.parse_primary_header(bytes(6), version_00="tm"), frames.TmPrimaryHeader)


_PARSERS = [
    frames.parse_tc_primary_header,
    frames.parse_tc_segment_header,
    frames.parse_tm_primary_header,
    frames.parse_aos_primary_header,
    frames.parse_uslp_primary_header,
    frames.parse_primary_header,
]


@pytest.mark.parametrize("parse", _PARSERS, ids=lambda f: f.__name__)
@given(data=st.binary(max_size=24))
def test_decoders_raise_only_frame_error(parse: object, data: bytes) -> None:
    """Arbitrary octets: a decoder returns a header or raises FrameError, nothing else."""
    try:
        parse(data)  # type: ignore[operator]
    except FrameError:
        pass


@pytest.mark.parametrize("parse", _PARSERS, ids=lambda f: f.__name__)
def test_decoders_refuse_non_bytes(parse: object) -> None:
    with pytest.raises(FrameError, match="data|frame"):
        parse("2003")  # type: ignore[operator]


def test_builders_refuse_out_of_range_fields() -> None:
    with pytest.raises(FrameError, match="TC primary header"):
        frames.build_tc_primary_header(frames.TcPrimaryHeader(spacecraft_id=1024))
    with pytest.raises(FrameError, match="vc_frame_count"):
        frames.build_uslp_primary_header(frames.UslpPrimaryHeader(vc_frame_count_length=1, vc_frame_count=256))

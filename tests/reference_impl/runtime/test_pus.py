"""PUS-C packet layer (ECSS-E-ST-70-41C 7.4) against the independent oracle ``spacepackets``
(``spacepackets.ecss.tc.PusTc``, ``spacepackets.ecss.tm.PusTm``, ``CdsShortTimestamp``), the
standard's published ping example, closed-form calendar arithmetic (``datetime``) and hypothesis."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacepackets.ccsds.time import CdsShortTimestamp
from spacepackets.ecss.tc import PusTc as SpTc
from spacepackets.ecss.tm import MiscParams
from spacepackets.ecss.tm import PusTm as SpTm

from orbitcert.reference_impl.runtime.pus import (
    ACK_ACCEPTANCE,
    ACK_ALL,
    CCSDS_EPOCH,
    TC_MIN_LENGTH,
    TM_MIN_LENGTH,
    UNIX_EPOCH,
    CdsTime,
    PusError,
    PusTc,
    PusTm,
    parse_tc,
    parse_tm,
)

SEED = 20261126
CODES = {"truncated", "length", "crc", "version", "type", "header"}


def _rng(k: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([SEED, k]))


def _random_tc(rng: np.random.Generator) -> PusTc:
    n = int(rng.integers(0, 200))
    return PusTc(
        apid=int(rng.integers(0, 0x7FF)),  # 0x7FF is the idle APID
        sequence_count=int(rng.integers(0, 0x4000)),
        service=int(rng.integers(0, 256)),
        subtype=int(rng.integers(0, 256)),
        source_id=int(rng.integers(0, 0x10000)),
        ack_flags=int(rng.integers(0, 16)),
        app_data=rng.integers(0, 256, n, dtype=np.uint8).tobytes(),
    )


def _random_tm(rng: np.random.Generator) -> PusTm:
    n = int(rng.integers(0, 200))
    return PusTm(
        apid=int(rng.integers(0, 0x7FF)),
        sequence_count=int(rng.integers(0, 0x4000)),
        service=int(rng.integers(0, 256)),
        subtype=int(rng.integers(0, 256)),
        message_counter=int(rng.integers(0, 0x10000)),
        destination_id=int(rng.integers(0, 0x10000)),
        time=CdsTime(int(rng.integers(0, 0x10000)), int(rng.integers(0, 86_400_000))),
        source_data=rng.integers(0, 256, n, dtype=np.uint8).tobytes(),
        time_reference_status=int(rng.integers(0, 16)),
    )


# ------------------------------------------------------------------------------------------------
# TC against spacepackets
# ------------------------------------------------------------------------------------------------


def test_tc_ping_published_example() -> None:
    """spacepackets' documented TC[17,1] (apid 1, count 22): 18,01,c0,16,00,06,2f,11,01,00,00,ab,62."""
    raw = bytes.fromhex("1801c01600062f11010000ab62")
    assert PusTc(apid=1, sequence_count=22, service=17, subtype=1).build() == raw
    assert parse_tc(raw) == PusTc(1, 22, 17, 1, 0, ACK_ALL, b"")


def test_tc_spacepackets_to_ours() -> None:
    rng = _rng(1)
    for _ in range(200):
        ref = _random_tc(rng)
        sp = SpTc(
            service=ref.service,
            message_subtype=ref.subtype,
            apid=ref.apid,
            seq_count=ref.sequence_count,
            source_id=ref.source_id,
            ack_flags=ref.ack_flags,
            app_data=ref.app_data,
        )
        raw = bytes(sp.pack())
        assert parse_tc(raw) == ref
        assert raw[-2:] == sp.crc16


def test_tc_ours_to_spacepackets() -> None:
    rng = _rng(2)
    for _ in range(200):
        tc = _random_tc(rng)
        raw = tc.build()
        sp = SpTc.unpack(raw)
        assert (sp.apid, sp.seq_count, sp.service, sp.message_subtype) == (
            tc.apid,
            tc.sequence_count,
            tc.service,
            tc.subtype,
        )
        assert (sp.source_id, sp.pus_tc_sec_header.ack_flags, bytes(sp.app_data)) == (
            tc.source_id,
            tc.ack_flags,
            tc.app_data,
        )
        assert sp.sp_header.seq_flags == 0b11 and sp.sp_header.sec_header_flag
        assert bytes(sp.pack()) == raw  # same octets, CRC included


# ------------------------------------------------------------------------------------------------
# TM and CDS time against spacepackets
# ------------------------------------------------------------------------------------------------


def test_tm_spacepackets_to_ours() -> None:
    rng = _rng(3)
    for _ in range(200):
        ref = _random_tm(rng)
        stamp = CdsShortTimestamp(ref.time.days, ref.time.ms_of_day)
        sp = SpTm(
            service=ref.service,
            message_subtype=ref.subtype,
            timestamp=stamp.pack(),
            source_data=ref.source_data,
            apid=ref.apid,
            seq_count=ref.sequence_count,
            message_counter=ref.message_counter,
            destination_id=ref.destination_id,
            misc_params=MiscParams(spacecraft_time_ref=ref.time_reference_status),
        )
        raw = bytes(sp.pack())
        assert parse_tm(raw) == ref


def test_tm_ours_to_spacepackets() -> None:
    rng = _rng(4)
    for _ in range(200):
        tm = _random_tm(rng)
        raw = tm.build()
        sp = SpTm.unpack(raw, timestamp_len=CdsShortTimestamp.TIMESTAMP_SIZE)
        head = sp.pus_tm_sec_header
        assert (sp.apid, sp.seq_count, sp.service, sp.message_subtype) == (
            tm.apid,
            tm.sequence_count,
            tm.service,
            tm.subtype,
        )
        assert (head.message_counter, head.dest_id, head.spacecraft_time_ref) == (
            tm.message_counter,
            tm.destination_id,
            tm.time_reference_status,
        )
        stamp = CdsShortTimestamp.unpack(sp.timestamp)
        assert (stamp.ccsds_days, stamp.ms_of_day) == (tm.time.days, tm.time.ms_of_day)
        assert bytes(sp.source_data) == tm.source_data
        assert bytes(sp.pack()) == raw


def test_cds_time_against_spacepackets_and_calendar() -> None:
    """Epoch and layout: spacepackets' from_datetime/pack, and datetime arithmetic (CCSDS 301.0-B-4
    3.3: day 0 = 1958-01-01)."""
    rng = _rng(5)
    for _ in range(100):
        ms = int(rng.integers(0, 2**31)) * 1000 + int(rng.integers(0, 1000))
        when = UNIX_EPOCH + dt.timedelta(milliseconds=ms)
        ours = CdsTime.from_seconds(ms / 1000.0, epoch=UNIX_EPOCH)
        # spacepackets truncates the float fraction of the second (see the divergence test):
        # compare with it on whole seconds, and the milliseconds with exact calendar arithmetic.
        sp = CdsShortTimestamp.from_datetime(when.replace(microsecond=0))
        assert (ours.days, ours.ms_of_day // 1000) == (sp.ccsds_days, sp.ms_of_day // 1000)
        assert ours.pack()[:3] == sp.pack()[:3]
        assert ours.days == (when.date() - dt.date(1958, 1, 1)).days
        midnight = dt.datetime.combine(when.date(), dt.time(), tzinfo=dt.timezone.utc)
        assert ours.ms_of_day == (when - midnight) // dt.timedelta(milliseconds=1)
        assert ours.to_seconds(UNIX_EPOCH) == pytest.approx(ms / 1000.0, abs=1e-6)
        assert ours.to_seconds(UNIX_EPOCH) == pytest.approx(
            CdsShortTimestamp(ours.days, ours.ms_of_day).as_unix_seconds(), abs=1e-6
        )
        assert CdsTime.from_seconds(ours.to_seconds()) == ours
    assert CdsTime.from_seconds(0.0, epoch=UNIX_EPOCH) == CdsTime(4383, 0)
    assert CdsTime(0, 0).to_seconds(CCSDS_EPOCH) == 0.0
    assert CdsTime(0x0102, 0x03040506).pack() == bytes.fromhex("40010203040506")


# ------------------------------------------------------------------------------------------------
# Divergences: spacepackets 0.32 vs the standard (the standard is pinned)
# ------------------------------------------------------------------------------------------------


def _tm_with_stamp(stamp: bytes) -> bytes:
    return bytes(SpTm(service=3, message_subtype=25, timestamp=stamp, apid=5).pack())


def test_divergence_cds_pfield_epoch_and_submillisecond_bits() -> None:
    """spacepackets checks only the time code id and the day length of the P-field; 0x48 (agency
    epoch, 301.0-B-4 3.3.1.3) and 0x41 (16-bit us segment: a 9-octet code) pass its unpack. We reject."""
    for pfield in (0x48, 0x41, 0x42):
        stamp = bytes([pfield]) + bytes.fromhex("000100000001")
        sp = CdsShortTimestamp.unpack(stamp)
        assert (sp.ccsds_days, sp.ms_of_day) == (1, 1)
        with pytest.raises(PusError) as err:
            parse_tm(_tm_with_stamp(stamp))
        assert err.value.code == "header"


def test_divergence_from_datetime_truncates_float_milliseconds() -> None:
    """spacepackets' from_datetime truncates the float fraction of the POSIX timestamp, so some
    instants lose 1 ms (e.g. 50436.645 s of a day); from_seconds rounds to the nearest ms and
    matches exact timedelta arithmetic."""
    rng = _rng(8)
    lost = 0
    for _ in range(200):
        ms = int(rng.integers(0, 2**31)) * 1000 + int(rng.integers(0, 1000))
        when = UNIX_EPOCH + dt.timedelta(milliseconds=ms)
        ours = CdsTime.from_seconds(ms / 1000.0, epoch=UNIX_EPOCH)
        sp = CdsShortTimestamp.from_datetime(when)
        assert ours.ms_of_day - sp.ms_of_day in (0, 1)
        lost += ours.ms_of_day - sp.ms_of_day
        assert ours.days * 86_400_000 + ours.ms_of_day == ms + 4383 * 86_400_000
    assert lost > 0


def test_divergence_ms_of_day_range() -> None:
    """301.0-B-4 3.3.2: ms of day <= 86,400,999 (leap second); spacepackets takes any 32-bit value."""
    stamp = bytes.fromhex("40") + (1).to_bytes(2, "big") + (86_401_000).to_bytes(4, "big")
    assert CdsShortTimestamp.unpack(stamp).ms_of_day == 86_401_000
    with pytest.raises(PusError) as err:
        parse_tm(_tm_with_stamp(stamp))
    assert err.value.code == "header"
    leap = bytes.fromhex("40") + (1).to_bytes(2, "big") + (86_400_999).to_bytes(4, "big")
    assert parse_tm(_tm_with_stamp(leap)).time == CdsTime(1, 86_400_999)


def test_divergence_pre_1970_seconds() -> None:
    """spacepackets' as_unix_seconds subtracts the ms of day for days before 1970 (day 0 + 1 s
    comes out 2 s early); the calendar says 1958-01-01T00:00:01 is -378,691,199 s Unix."""
    truth = (dt.datetime(1958, 1, 1, 0, 0, 1, tzinfo=dt.timezone.utc) - UNIX_EPOCH).total_seconds()
    assert CdsTime(0, 1000).to_seconds(UNIX_EPOCH) == truth == -378_691_199.0
    assert CdsShortTimestamp(0, 1000).as_unix_seconds() == truth - 2.0


def test_divergence_tm_accepted_as_tc_and_trailing_octets() -> None:
    """spacepackets' PusTc.unpack checks neither the packet type nor surplus octets; a runtime must."""
    tm = PusTm(7, 1, 17, 2, 0, 0, CdsTime(1, 2)).build()
    assert SpTc.unpack(tm).sp_header.packet_type.value == 0  # a TM accepted as a TC
    with pytest.raises(PusError) as err:
        parse_tc(tm)
    assert err.value.code == "type"
    tc = PusTc(7, 1, 17, 1).build()
    with pytest.raises(PusError) as err:
        parse_tm(tc)
    assert err.value.code == "type"
    assert bytes(SpTc.unpack(tc + b"\x00").pack()) == tc
    with pytest.raises(PusError) as err:
        parse_tc(tc + b"\x00")
    assert err.value.code == "length"


def test_divergence_packet_version() -> None:
    """spacepackets parses any packet version number; CCSDS 133.0-B-2 4.1.3.2 allows only 000."""
    tc = bytearray(PusTc(7, 1, 17, 1).build())
    tc[0] |= 0b0010_0000
    assert SpTc.unpack_no_checksum(bytes(tc)).sp_header.ccsds_version == 1
    with pytest.raises(PusError) as err:
        parse_tc(bytes(tc))
    assert err.value.code == "version"


# ------------------------------------------------------------------------------------------------
# Rejections
# ------------------------------------------------------------------------------------------------


def _code(fn: Callable[[bytes], object], raw: bytes) -> str:
    try:
        fn(raw)
    except PusError as exc:
        return str(exc.code)
    return "ok"


def _expected_flip_code(bit: int, n: int) -> set[str]:
    octet, pos = divmod(bit, 8)
    if octet == 0 and pos < 3:
        return {"version"}
    if octet == 0 and pos == 3:
        return {"type"}
    if octet == 0 and pos == 4:
        return {"header"}
    if octet in (4, 5):
        return {"truncated", "length"}
    return {"crc"}


@pytest.mark.parametrize("kind", ["tc", "tm"])
def test_every_single_bit_flip_is_rejected(kind: str) -> None:
    rng = _rng(6)
    raw = _random_tc(rng).build() if kind == "tc" else _random_tm(rng).build()
    parse = parse_tc if kind == "tc" else parse_tm
    for bit in range(8 * len(raw)):
        bad = bytearray(raw)
        bad[bit // 8] ^= 0x80 >> (bit % 8)
        assert _code(parse, bytes(bad)) in _expected_flip_code(bit, len(raw)), bit


def test_secondary_header_checks_after_pec() -> None:
    """Wrong PUS version, segmented flags, a clear secondary header flag, a short length, with a good PEC."""
    from orbitcert.reference_impl.frames import with_fecf

    tc = bytearray(PusTc(7, 1, 17, 1).build()[:-2])
    tc[6] = (1 << 4) | (tc[6] & 0xF)  # PUS-A version 1
    assert _code(parse_tc, with_fecf(bytes(tc))) == "version"
    tm = bytearray(PusTm(7, 1, 17, 2, 0, 0, CdsTime(1, 2)).build()[:-2])
    tm[6] = tm[6] & 0xF
    assert _code(parse_tm, with_fecf(bytes(tm))) == "version"
    tc = bytearray(PusTc(7, 1, 17, 1).build()[:-2])
    tc[2] &= 0x3F  # continuation segment
    assert _code(parse_tc, with_fecf(bytes(tc))) == "header"
    tc[0] &= ~0x08 & 0xFF
    assert _code(parse_tc, with_fecf(bytes(tc))) == "header"
    short = bytes.fromhex("1801c0160000") + b"\x2f"
    assert _code(parse_tc, short) == "length"
    assert _code(parse_tc, b"\x18\x01") == "truncated"
    assert _code(parse_tc, PusTc(7, 1, 17, 1).build()[:-1]) == "truncated"
    assert len(PusTc(7, 1, 17, 1).build()) == TC_MIN_LENGTH
    assert len(PusTm(7, 1, 17, 2, 0, 0, CdsTime(0, 0)).build()) == TM_MIN_LENGTH


def test_builder_ranges() -> None:
    for kwargs in ({"apid": 0x800}, {"service": 256}, {"ack_flags": 16}, {"source_id": -1}):
        base = {"apid": 1, "sequence_count": 0, "service": 17, "subtype": 1}
        with pytest.raises(PusError) as err:
            PusTc(**(base | kwargs)).build()
        assert err.value.code == "header"
    with pytest.raises(PusError):
        CdsTime(0, 86_401_000)
    for bad in (-1.0, float("nan"), float("inf"), 65536 * 86400.0):
        with pytest.raises(PusError):
            CdsTime.from_seconds(bad)
    assert ACK_ACCEPTANCE == 0b0001


def test_roundtrip_seeded() -> None:
    rng = _rng(7)
    for _ in range(300):
        tc = _random_tc(rng)
        assert parse_tc(tc.build()) == tc
        tm = _random_tm(rng)
        assert parse_tm(tm.build()) == tm


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=64))
def test_decoders_raise_only_pus_error(data: bytes) -> None:
    for parse in (parse_tc, parse_tm):
        try:
            parse(data)
        except PusError as exc:
            assert exc.code in CODES


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=TC_MIN_LENGTH, max_size=40), st.integers(0, 0x3FF))
def test_decoders_on_plausible_headers(body: bytes, apid: int) -> None:
    """Random bodies behind a consistent TC/TM primary header, with and without a valid PEC."""
    from orbitcert.reference_impl.frames import with_fecf

    for first in (0x18, 0x08):
        head = bytes([first | apid >> 8, apid & 0xFF, 0xC0, 0x00]) + (len(body) + 1).to_bytes(2, "big")
        for raw in (head + body + b"\0\0", with_fecf(head + body)):
            for parse in (parse_tc, parse_tm):
                try:
                    parse(raw)
                except PusError as exc:
                    assert exc.code in CODES


@settings(max_examples=300)
@given(
    apid=st.integers(0, 0x7FF),
    seq=st.integers(0, 0x3FFF),
    service=st.integers(0, 255),
    subtype=st.integers(0, 255),
    counter=st.integers(0, 0xFFFF),
    destination=st.integers(0, 0xFFFF),
    days=st.integers(0, 0xFFFF),
    ms=st.integers(0, 86_400_999),
    data=st.binary(max_size=64),
    status=st.integers(0, 15),
)
def test_tm_fast_build_equals_the_construct_declaration(
    apid: int,
    seq: int,
    service: int,
    subtype: int,
    counter: int,
    destination: int,
    days: int,
    ms: int,
    data: bytes,
    status: int,
) -> None:
    """PusTm.build (struct fast path) equals the construct-declared layout octet for octet."""
    tm = PusTm(apid, seq, service, subtype, counter, destination, CdsTime(days, ms), data, status)
    assert tm.build() == tm.build_declared()
    assert parse_tm(tm.build()) == tm


@settings(max_examples=300)
@given(raw=st.binary(min_size=13, max_size=13))
def test_header_fast_paths_equal_the_construct_declarations(raw: bytes) -> None:
    """The struct unpackers of parse_tc/parse_tm give the fields the construct declarations parse."""
    from orbitcert.reference_impl.optical.packets import SPACE_PACKET_PRIMARY_HEADER
    from orbitcert.reference_impl.runtime import pus

    def fields(container: object) -> dict[str, int]:
        return {k: v for k, v in dict(container).items() if not k.startswith("_")}  # type: ignore[call-overload]

    assert pus.unpack_primary_header(raw)._asdict() == fields(SPACE_PACKET_PRIMARY_HEADER.parse(raw[:6]))
    assert pus.unpack_tc_secondary_header(raw)._asdict() == fields(pus.PUS_TC_SECONDARY_HEADER.parse(raw[6:11]))
    assert pus.unpack_tm_secondary_header(raw)._asdict() == fields(pus.PUS_TM_SECONDARY_HEADER.parse(raw[6:13]))
    cds = fields(pus.CDS_SHORT.parse(raw[6:13]))
    if cds["p_field"] == pus.CDS_PFIELD and cds["ms_of_day"] <= 86_400_999:
        assert pus.CdsTime.unpack(raw[6:13]) == pus.CdsTime(cds["days"], cds["ms_of_day"])
    else:
        with pytest.raises(PusError):
            pus.CdsTime.unpack(raw[6:13])


@settings(max_examples=300)
@given(
    apid=st.integers(0, 0x7FF),
    seq=st.integers(0, 0x3FFF),
    service=st.integers(0, 255),
    subtype=st.integers(0, 255),
    source=st.integers(0, 0xFFFF),
    ack=st.integers(0, 15),
    data=st.binary(max_size=64),
)
def test_tc_fast_build_equals_the_construct_declaration(
    apid: int, seq: int, service: int, subtype: int, source: int, ack: int, data: bytes
) -> None:
    """PusTc.build (struct fast path) equals the construct-declared layout octet for octet."""
    tc = PusTc(apid, seq, service, subtype, source, ack, data)
    assert tc.build() == tc.build_declared()
    assert parse_tc(tc.build()) == tc

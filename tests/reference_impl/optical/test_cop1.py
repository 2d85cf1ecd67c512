"""The COP-1 reference (:mod:`orbitcert.reference_impl.optical.cop1`): CLCW codec, frames of the
profile, FOP-1 table 5-1 and FARM-1 table 6-1 of CCSDS 232.1-B-2 row by row, and interoperation
with the independent ``ccsds-cop`` package (FOP-1 and FARM-1) and ``spacepackets`` (USLP frames).

Where ``ccsds-cop`` 0.1.2 disagrees with the standard, the standard is pinned and the divergence
has a test of its own naming the clause (``test_divergence_*``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcert.reference_impl.frames import parse_uslp_primary_header
from orbitcert.reference_impl.optical import cop1
from orbitcert.reference_impl.optical.channel import GilbertElliott, LossyLink
from orbitcert.reference_impl.optical.cop1 import Clcw, Cop1Error, Farm1, FarmState, Fop1, FopState

ccsds_cop = pytest.importorskip("ccsds_cop.cop_1")
spacepackets_uslp = pytest.importorskip("spacepackets.uslp")

from ccsds_cop.cop_1 import ControlWord, Gvcid  # noqa: E402
from ccsds_cop.cop_1.farm import Farm1 as PeerFarm  # noqa: E402
from ccsds_cop.cop_1.farm import ValidFrameArrivedIndication  # noqa: E402
from ccsds_cop.cop_1.fop import fop as peer_fop_module  # noqa: E402
from ccsds_cop.cop_1.fop.types import (  # noqa: E402
    DirectiveRequest,
    DirectiveType,
    RequestToTransferFdu,
    Response,
    ResponseType,
    ServiceType,
    TransmitRequestForFrame,
)
from spacepackets.uslp.frame import FrameType, VarFrameProperties  # noqa: E402
from spacepackets.uslp import (  # noqa: E402
    BypassSequenceControlFlag,
    PrimaryHeader,
    ProtocolCommandFlag,
    SourceOrDestField,
    TfdzConstructionRules,
    TransferFrame,
    TransferFrameDataField,
    UslpProtocolIdentifier,
)

SCID, VCID, MAP = 0x1F3, 5, 2
VAR = VarFrameProperties(has_insert_zone=False, has_fecf=True, truncated_frame_len=0)


def clcw(nr: int, *, lockout: bool = False, wait: bool = False, retransmit: bool = False, vcid: int = VCID, cop: int = 1) -> bytes:
    return cop1.encode_clcw(Clcw(virtual_channel_id=vcid, lockout=lockout, wait=wait, retransmit=retransmit, report_value=nr % 256, cop_in_effect=cop))


def ns_of(frames: list[bytes]) -> list[int | None]:
    return [cop1.parse_frame(f).ns for f in frames]


# ---------------------------------------------------------------------------------------------
# CLCW (CCSDS 232.0-B-4 4.2.1)
# ---------------------------------------------------------------------------------------------

clcws = st.builds(
    Clcw,
    virtual_channel_id=st.integers(0, 63),
    lockout=st.booleans(),
    wait=st.booleans(),
    retransmit=st.booleans(),
    farm_b_counter=st.integers(0, 3),
    report_value=st.integers(0, 255),
    no_rf_available=st.booleans(),
    no_bit_lock=st.booleans(),
    status_field=st.integers(0, 7),
    cop_in_effect=st.integers(0, 3),
    spare_1=st.integers(0, 3),
    spare_2=st.integers(0, 1),
)


@given(clcws)
def test_clcw_round_trip_against_ccsds_cop(word: Clcw) -> None:
    """Our construct codec and ccsds-cop's ControlWord (an independent bit-shift codec) agree."""
    raw = cop1.encode_clcw(word)
    peer = ControlWord.unpack(raw)
    assert (peer.vcid, peer.lockout, peer.wait, peer.retransmit, peer.farm_b_counter, peer.report_value) == (
        word.virtual_channel_id, word.lockout, word.wait, word.retransmit, word.farm_b_counter, word.report_value)
    assert (peer.no_rf_available, peer.no_bit_lock, peer.status_field, peer.cop_in_effect) == (
        word.no_rf_available, word.no_bit_lock, word.status_field, word.cop_in_effect)
    if not (word.spare_1 or word.spare_2):  # ccsds-cop does not model the spare bits
        assert peer.pack() == raw
    assert cop1.decode_clcw(raw) == word
    assert cop1.encode_clcw_construct(word) == raw, "the integer fast path differs from the construct declaration"
    assert cop1.decode_clcw_construct(raw) == word


def test_clcw_fast_path_checks_ranges() -> None:
    for bad in (Clcw(virtual_channel_id=64), Clcw(report_value=256), Clcw(farm_b_counter=4), Clcw(spare_2=-1)):
        with pytest.raises(Cop1Error):
            cop1.encode_clcw(bad)
        with pytest.raises(Cop1Error):
            cop1.encode_clcw_construct(bad)


def test_clcw_known_layout() -> None:
    """232.0-B-4 4.2.1 by hand: 0 00 000 01 | VCID 000101 00 | 0 0 1 0 1 10 0 | N(R) 0x7F."""
    raw = cop1.encode_clcw(Clcw(virtual_channel_id=5, lockout=True, retransmit=True, farm_b_counter=2, report_value=0x7F))
    assert raw == bytes([0b00000001, 0b00010100, 0b00101100, 0x7F])


@given(st.one_of(st.binary(max_size=8), st.integers(), st.none(), st.text(max_size=4)))
def test_decode_clcw_raises_only_cop1error(data: Any) -> None:
    try:
        cop1.decode_clcw(data)
    except Cop1Error:
        pass


# ---------------------------------------------------------------------------------------------
# Frames of the profile, against spacepackets and the construct header declaration
# ---------------------------------------------------------------------------------------------


@given(st.integers(0, 255), st.binary(max_size=300))
@settings(max_examples=60)
def test_ad_frame_against_spacepackets(ns: int, sdu: bytes) -> None:
    raw = cop1.build_ad_frame(SCID, VCID, MAP, ns, sdu)
    peer = TransferFrame.unpack(raw, FrameType.VARIABLE, VAR)
    h = peer.header
    assert (h.scid, h.vcid, h.map_id, h.vcf_count_len, h.vcf_count) == (SCID, VCID, MAP, 1, ns)
    assert h.bypass_seq_ctrl_flag == BypassSequenceControlFlag.SEQ_CTRLD_QOS
    assert h.prot_ctrl_cmd_flag == ProtocolCommandFlag.USER_DATA and not h.op_ctrl_flag
    assert peer.tfdf.tfdz_contr_rules == TfdzConstructionRules.VpNoSegmentation
    assert peer.tfdf.uslp_ident == UslpProtocolIdentifier.MISSION_SPECIFIC_INFO_1_MAPA_SDU
    assert peer.tfdf.tfdz == sdu
    repacked = TransferFrame(peer.header, peer.tfdf, has_fecf=True).pack(frame_type=FrameType.VARIABLE)
    assert bytes(repacked) == raw, "spacepackets re-packs other octets (FECF, length)"
    header = parse_uslp_primary_header(raw)
    assert header.frame_length == len(raw) - 1 and header.vc_frame_count == ns
    assert cop1.parse_frame(raw) == cop1.CopFrame("ad", SCID, VCID, MAP, ns, sdu)


def _peer_frame(bypass: bool, control: bool, count_len: int, ns: int | None, upid: UslpProtocolIdentifier, data: bytes) -> bytes:
    header = PrimaryHeader(
        scid=SCID, src_dest=SourceOrDestField.SOURCE, vcid=VCID, map_id=MAP, frame_len=0,
        bypass_seq_ctrl_flag=BypassSequenceControlFlag(int(bypass)), prot_ctrl_cmd_flag=ProtocolCommandFlag(int(control)),
        vcf_count_len=count_len, vcf_count=ns,
    )
    frame = TransferFrame(header, TransferFrameDataField(TfdzConstructionRules.VpNoSegmentation, upid, data))
    frame.set_frame_len_in_header()
    return bytes(frame.pack(frame_type=FrameType.VARIABLE))


def test_bc_frames_against_spacepackets() -> None:
    for command in (cop1.UNLOCK, cop1.set_vr_command(0), cop1.set_vr_command(255)):
        ours = cop1.build_bc_frame(SCID, VCID, MAP, command)
        assert ours == _peer_frame(True, True, 0, None, UslpProtocolIdentifier.COP_1_CTRL_COMMANDS, command)
        assert cop1.parse_frame(ours).kind == "bc"
    assert cop1.parse_control_command(b"\x82\x00\x2a") == ("set_vr", 42)
    for bad in (b"", b"\x01", b"\x82\x01\x00", b"\x82\x00", b"\x00\x00"):
        with pytest.raises(Cop1Error):
            cop1.parse_control_command(bad)


def test_bd_frames_against_spacepackets() -> None:
    """Type-BD (spec parameter uslp_bd_frame): bypass 1, control command flag 0, no VC frame
    count, MAPA_SDU; FARM-1 accepts, delivers and counts it in every state (table 6-1 E6)."""
    for sdu in (b"", b"expedited", bytes(range(256))):
        ours = cop1.build_bd_frame(SCID, VCID, MAP, sdu)
        assert ours == _peer_frame(True, False, 0, None, UslpProtocolIdentifier.MISSION_SPECIFIC_INFO_1_MAPA_SDU, sdu)
        parsed = cop1.parse_frame(ours)
        assert (parsed.kind, parsed.ns, parsed.data) == ("bd", None, sdu)
    with pytest.raises(Cop1Error, match="Type-BD"):
        cop1.parse_frame(_peer_frame(True, False, 0, None, UslpProtocolIdentifier.COP_1_CTRL_COMMANDS, b"\x00"))
    farm = Farm1(SCID, VCID, 10)
    bd = cop1.build_bd_frame(SCID, VCID, MAP, b"x")
    assert farm.receive([bd]) == [b"x"] and farm.clcw().farm_b_counter == 1 and farm.vr == 0
    farm.receive([cop1.build_ad_frame(SCID, VCID, MAP, 5, b"out")])
    assert farm.state is FarmState.LOCKOUT
    assert farm.receive([bd, bd, bd]) == [b"x"] * 3 and farm.clcw().farm_b_counter == 0 and farm.lockout


def test_parse_frame_rejects_what_is_not_the_profile() -> None:
    sdu = b"data"
    good = cop1.build_ad_frame(SCID, VCID, MAP, 7, sdu)
    bad_fecf = good[:-1] + bytes([good[-1] ^ 1])
    wrong_upid = _peer_frame(False, False, 1, 7, UslpProtocolIdentifier.SPACE_PACKETS_ENCAPSULATION_PACKETS, sdu)
    two_octet_count = _peer_frame(False, False, 2, 7, UslpProtocolIdentifier.MISSION_SPECIFIC_INFO_1_MAPA_SDU, sdu)
    type_ac = _peer_frame(False, True, 1, 7, UslpProtocolIdentifier.COP_1_CTRL_COMMANDS, b"\x00")
    bad_command = _peer_frame(True, True, 0, None, UslpProtocolIdentifier.COP_1_CTRL_COMMANDS, b"\x55")
    for frame in (bad_fecf, wrong_upid, two_octet_count, type_ac, bad_command, good[:-1], good + b"\x00", b"", good[:9]):
        with pytest.raises(Cop1Error):
            cop1.parse_frame(frame)
    peer_ad = _peer_frame(False, False, 1, 7, UslpProtocolIdentifier.MISSION_SPECIFIC_INFO_1_MAPA_SDU, sdu)
    assert peer_ad == good


@given(st.binary(max_size=64), st.integers(0, 400), st.integers(0, 255))
def test_parse_frame_raises_only_cop1error(junk: bytes, position: int, value: int) -> None:
    base = bytearray(cop1.build_ad_frame(SCID, VCID, MAP, 3, junk[:20]))
    base[position % len(base)] = value
    for candidate in (junk, bytes(base), bytes(base[: position % (len(base) + 1)])):
        try:
            cop1.parse_frame(candidate)
        except Cop1Error:
            pass


@given(st.one_of(st.binary(max_size=5), st.integers(), st.none(), st.text(max_size=3)))
def test_parse_control_command_raises_only_cop1error(data: Any) -> None:
    try:
        command, value = cop1.parse_control_command(data)
    except Cop1Error:
        return
    assert (command, value) in (("unlock", None), ("set_vr", data[2] if isinstance(data, bytes) and len(data) == 3 else -1))


def test_frame_builders_check_arguments() -> None:
    with pytest.raises(Cop1Error):
        cop1.build_ad_frame(SCID, 64, MAP, 0, b"")
    with pytest.raises(Cop1Error):
        cop1.build_ad_frame(SCID, VCID, MAP, 256, b"")
    with pytest.raises(Cop1Error):
        cop1.build_ad_frame(SCID, VCID, MAP, 0, "text")  # type: ignore[arg-type]
    with pytest.raises(Cop1Error):
        cop1.build_ad_frame(SCID, VCID, MAP, 0, bytes(cop1.MAX_SDU_LENGTH + 1))
    assert len(cop1.build_ad_frame(SCID, VCID, MAP, 0, bytes(cop1.MAX_SDU_LENGTH))) == 65536


# ---------------------------------------------------------------------------------------------
# FOP-1, table 5-1 row by row
# ---------------------------------------------------------------------------------------------


def fop_with(n: int, *, limit: int = 3, k: int = 10, t1: float = 10.0) -> Fop1:
    """S1 with N(S) 0..n-1 outstanding, sent at t = 0."""
    fop = Fop1(SCID, VCID, MAP, k, limit, t1)
    step = fop.step(0.0, [], [bytes([i]) for i in range(n)])
    assert step.accepted == n
    return fop


def in_s2(n: int = 5, **kw: Any) -> Fop1:
    fop = fop_with(n, **kw)
    assert fop.step(1.0, [clcw(0, retransmit=True)], []).state is FopState.RETRANSMIT_WITHOUT_WAIT
    return fop


def in_s3(n: int = 5, **kw: Any) -> Fop1:
    fop = fop_with(n, **kw)
    assert fop.step(1.0, [clcw(0, retransmit=True, wait=True)], []).state is FopState.RETRANSMIT_WITH_WAIT
    return fop


# (name, setup, CLCW, expected state, expected alert, expected frames N(S))
ROWS: list[tuple[str, Callable[[], Fop1], bytes, FopState, str | None, list[int | None]]] = [
    ("E1 S1 ignore", lambda: fop_with(0), clcw(0), FopState.ACTIVE, None, []),
    ("E2 S1 all acknowledged", lambda: fop_with(3), clcw(3), FopState.ACTIVE, None, []),
    ("E2 S2 -> S1", in_s2, clcw(5), FopState.ACTIVE, None, []),
    ("E3 wait without retransmit", lambda: fop_with(3), clcw(3, wait=True), FopState.INITIAL, "clcw", []),
    ("E4 retransmit with nothing outstanding", lambda: fop_with(3), clcw(3, retransmit=True), FopState.INITIAL, "synch", []),
    ("E5 S1 ignore", lambda: fop_with(3), clcw(0), FopState.ACTIVE, None, []),
    ("E5 S2 synch", in_s2, clcw(0), FopState.INITIAL, "synch", []),
    ("E6 S1 partial ack", lambda: fop_with(4), clcw(2), FopState.ACTIVE, None, []),
    ("E6 S3 -> S1", in_s3, clcw(2), FopState.ACTIVE, None, []),
    ("E7 wait without retransmit", lambda: fop_with(4), clcw(2, wait=True), FopState.INITIAL, "clcw", []),
    ("E8 S1 retransmit", lambda: fop_with(4), clcw(1, retransmit=True), FopState.RETRANSMIT_WITHOUT_WAIT, None, [1, 2, 3]),
    ("E8 S2 retransmit", in_s2, clcw(2, retransmit=True), FopState.RETRANSMIT_WITHOUT_WAIT, None, [2, 3, 4]),
    ("E9 S1 -> S3", lambda: fop_with(4), clcw(1, retransmit=True, wait=True), FopState.RETRANSMIT_WITH_WAIT, None, []),
    ("E10 S1 retransmit", lambda: fop_with(4), clcw(0, retransmit=True), FopState.RETRANSMIT_WITHOUT_WAIT, None, [0, 1, 2, 3]),
    ("E10 S2 ignore", in_s2, clcw(0, retransmit=True), FopState.RETRANSMIT_WITHOUT_WAIT, None, []),
    ("E10 S3 retransmit", in_s3, clcw(0, retransmit=True), FopState.RETRANSMIT_WITHOUT_WAIT, None, [0, 1, 2, 3, 4]),
    ("E11 S1 -> S3", lambda: fop_with(4), clcw(0, retransmit=True, wait=True), FopState.RETRANSMIT_WITH_WAIT, None, []),
    ("E11 S2 -> S3", in_s2, clcw(0, retransmit=True, wait=True), FopState.RETRANSMIT_WITH_WAIT, None, []),
    ("E101 limit 1", lambda: fop_with(4, limit=1), clcw(2, retransmit=True), FopState.INITIAL, "limit", []),
    ("E102 limit 1", lambda: fop_with(4, limit=1), clcw(0, retransmit=True), FopState.INITIAL, "limit", []),
    ("E13 N(R) ahead of V(S)", lambda: fop_with(4), clcw(9), FopState.INITIAL, "nn_r", []),
    ("E13 N(R) behind NN(R)", lambda: fop_with(4), clcw(255), FopState.INITIAL, "nn_r", []),
    ("E14 lockout", lambda: fop_with(4), clcw(0, lockout=True), FopState.INITIAL, "lockout", []),
    ("E15 COP in effect not COP-1", lambda: fop_with(4), clcw(0, cop=2), FopState.INITIAL, "clcw", []),
    ("other VC ignored", lambda: fop_with(4), clcw(9, lockout=True, vcid=VCID + 1), FopState.ACTIVE, None, []),
]


@pytest.mark.parametrize(("name", "setup", "word", "state", "alert", "frames"), ROWS, ids=[r[0] for r in ROWS])
def test_fop_state_table_clcw_rows(name: str, setup: Callable[[], Fop1], word: bytes, state: FopState,
                                   alert: str | None, frames: list[int | None]) -> None:
    fop = setup()
    step = fop.step(2.0, [word], [])
    assert (step.state, step.alert, ns_of(step.frames)) == (state, alert, frames)
    if alert is not None:
        assert not fop.sent_queue and fop.timer_deadline is None, "Alert purges the Sent_Queue and cancels T1 (5.2.15)"


def test_fop_e12_does_not_retransmit_at_the_limit() -> None:
    """T1 (E16, stays S1) brings Transmission_Count to the limit; then a retransmit report with
    N(R) = NN(R) is E12: state S2 and no retransmission."""
    fop = fop_with(4, limit=2, t1=10.0)
    assert ns_of(fop.step(10.0, [], []).frames) == [0, 1, 2, 3] and fop.transmission_count == 2
    step = fop.step(11.0, [clcw(0, retransmit=True)], [])
    assert step.frames == [] and step.state is FopState.RETRANSMIT_WITHOUT_WAIT


def test_fop_t1_rows() -> None:
    """E16 in S1 (retransmit, stay S1), S3 (ignore); E17 (alert t1) after the limit."""
    fop = fop_with(2, limit=3, t1=10.0)
    assert fop.step(9.99, [], []).frames == []
    step = fop.step(10.0, [], [])
    assert ns_of(step.frames) == [0, 1] and step.state is FopState.ACTIVE and fop.transmission_count == 2
    step = fop.step(20.0, [], [])
    assert ns_of(step.frames) == [0, 1] and fop.transmission_count == 3
    step = fop.step(30.0, [], [])
    assert step.alert == "t1" and step.state is FopState.INITIAL and step.frames == []
    s3 = in_s3(2, t1=10.0)
    step = s3.step(11.0, [], [])
    assert step.frames == [] and step.state is FopState.RETRANSMIT_WITH_WAIT


def test_fop_window_and_numbering_wrap() -> None:
    fop = Fop1(SCID, VCID, MAP, 7, 3, 100.0)
    sent = 0
    for t in range(100):
        step = fop.step(float(t), [clcw(sent)] if t else [], [bytes([t])] * 9)
        assert step.accepted == 7 and len(fop.sent_queue) == 7
        assert ns_of(step.frames) == [(sent + i) % 256 for i in range(7)]
        sent += 7
    assert fop.vs == 700 % 256


def test_fop_directives() -> None:
    fop = fop_with(3)
    assert fop.directive(1.0, "unlock") == [] and fop.state is FopState.ACTIVE, "E25 is rejected in S1"
    fop.step(1.0, [clcw(1, lockout=True)], [])
    frames = fop.directive(2.0, "set_vr", 100)
    assert [cop1.parse_frame(f).data for f in frames] == [b"\x82\x00\x64"] and fop.state is FopState.INITIALISING_WITH_BC
    assert fop.step(3.0, [clcw(1, lockout=True)], []).state is FopState.INITIALISING_WITH_BC, "E14 in S5 is ignored"
    step = fop.step(12.0, [], [])
    assert step.frames == frames, "E16 in S5 retransmits the BC frame"
    step = fop.step(13.0, [clcw(100)], [b"x"])
    assert step.state is FopState.ACTIVE and ns_of(step.frames) == [100]
    fop.step(14.0, [clcw(101, lockout=True)], [])
    unlock = fop.directive(15.0, "unlock")
    assert [cop1.parse_frame(f).data for f in unlock] == [b"\x00"]
    for t in (25.0, 35.0):
        assert fop.step(t, [], []).frames == unlock
    assert fop.step(45.0, [], []).alert == "t1", "E17 in S5 after Transmission_Limit BC transmissions"
    with pytest.raises(Cop1Error):
        fop.directive(46.0, "terminate")


def test_fop_arguments_are_checked() -> None:
    for kwargs in ({"window": 0}, {"window": 256}, {"transmission_limit": 0}, {"timeout": 0.0}, {"vcid": 64}):
        args = {"scid": SCID, "vcid": VCID, "map_id": MAP, "window": 4, "transmission_limit": 3, "timeout": 1.0} | kwargs
        with pytest.raises(Cop1Error):
            Fop1(**args)
    fop = fop_with(1)
    before = (fop.vs, fop.nnr, len(fop.sent_queue))
    with pytest.raises(Cop1Error):
        fop.step(1.0, [clcw(1), b"\x00"], [])
    assert (fop.vs, fop.nnr, len(fop.sent_queue)) == before, "a bad CLCW list changes nothing"


# ---------------------------------------------------------------------------------------------
# FARM-1, table 6-1
# ---------------------------------------------------------------------------------------------


def ad(ns: int, data: bytes = b"d") -> bytes:
    return cop1.build_ad_frame(SCID, VCID, MAP, ns % 256, data)


def test_farm_state_table() -> None:
    farm = Farm1(SCID, VCID, 10)
    assert farm.receive([ad(0, b"a"), ad(1, b"b")]) == [b"a", b"b"] and farm.vr == 2  # E1
    assert farm.receive([ad(4)]) == [] and farm.retransmit and farm.vr == 2  # E3 (PW = 5: 3..6)
    assert farm.receive([ad(6)]) == [] and farm.state is FarmState.OPEN  # PW - 1 ahead
    assert farm.receive([ad(2, b"c")]) == [b"c"] and not farm.retransmit  # E1 clears retransmit
    before = farm.clcw()
    assert farm.receive([ad(2), ad(3 - 5)]) == [] and farm.clcw() == before  # E4 (NW = 5: 254..2)
    assert farm.receive([ad(3)], buffer_available=False) == [] and farm.state is FarmState.WAIT  # E2
    assert farm.wait and farm.retransmit
    assert farm.receive([ad(3)], buffer_available=False) == [] and farm.state is FarmState.WAIT
    farm.buffer_release()  # E10
    assert farm.state is FarmState.OPEN and not farm.wait and farm.retransmit
    assert farm.receive([ad(3 + 5)]) == [] and farm.state is FarmState.LOCKOUT and farm.lockout  # E5
    assert farm.receive([ad(3)]) == [] and farm.vr == 3  # lockout discards in-sequence frames
    bc = cop1.build_bc_frame(SCID, VCID, MAP, cop1.set_vr_command(50))
    assert farm.receive([bc]) == [] and farm.vr == 3 and farm.farm_b_counter == 1  # E8 ignored in lockout
    unlock = cop1.build_bc_frame(SCID, VCID, MAP, cop1.UNLOCK)
    farm.receive([unlock])  # E7
    assert farm.state is FarmState.OPEN and not (farm.lockout or farm.wait or farm.retransmit) and farm.farm_b_counter == 2
    farm.receive([bc, bc, bc])  # E8 in open
    assert farm.vr == 50 and farm.farm_b_counter == 1  # modulo 4
    bd = _peer_frame(True, False, 0, None, UslpProtocolIdentifier.MISSION_SPECIFIC_INFO_1_MAPA_SDU, b"bd")
    assert farm.receive([bd]) == [b"bd"] and farm.farm_b_counter == 2  # E6
    other = cop1.build_ad_frame(SCID, VCID + 1, MAP, 50, b"x")
    assert farm.receive([other, b"\x00" * 12, ad(50)[:-1] + b"\x00"]) == [] and farm.vr == 50  # E9


def test_farm_window_edges() -> None:
    for w in (2, 10, 254):
        for vr in (0, 200):
            farm = Farm1(SCID, VCID, w)
            farm.vr = vr
            areas = []
            for ns in range(256):
                probe = Farm1(SCID, VCID, w)
                probe.vr = vr
                probe.receive([ad(ns)])
                areas.append("accept" if probe.vr != vr else "lockout" if probe.lockout else "positive" if probe.retransmit else "negative")
            assert areas.count("accept") == 1 and areas.count("positive") == w // 2 - 1
            assert areas.count("negative") == w // 2 and areas.count("lockout") == 256 - w


@given(st.lists(st.binary(max_size=40), max_size=6), st.booleans())
def test_farm_receive_raises_nothing_on_garbage(frames: list[bytes], buffer_ok: bool) -> None:
    farm = Farm1(SCID, VCID, 10)
    assert farm.receive(frames, buffer_ok) == []


# ---------------------------------------------------------------------------------------------
# Interoperation with ccsds-cop through the channel model
# ---------------------------------------------------------------------------------------------

CHANNEL = GilbertElliott(p_gb=0.02, p_bg=0.2, loss_good=0.02, loss_bad=1.0)


def _peer_farm_receive(peer: PeerFarm, frames: list[bytes], out: list[bytes]) -> bytes:
    """Feed frames to ccsds-cop's FARM-1 (spacepackets frames; FECF checked first, as 6.3.2 asks
    of the lower procedures) and return its CLCW built with ccsds-cop's ControlWord."""
    gvcid = Gvcid(0b1100, SCID, VCID)
    for raw in frames:
        frame = TransferFrame.unpack(raw, FrameType.VARIABLE, VAR)
        peer.lower_interface.buffer.append(frame)
        peer.lower_interface.signal.append(ValidFrameArrivedIndication(gvcid))
        peer.tick()
        while peer.higher_interface.buffer:
            out.append(bytes(peer.higher_interface.buffer.pop().tfdf.tfdz))
        peer.higher_interface.signal.clear()
    word = ControlWord(vcid=VCID, lockout=peer.lockout, wait=peer.wait, retransmit=peer.retransmit,
                       farm_b_counter=peer.b_counter, report_value=peer.v_r)
    return bytes(word.pack())


def test_reference_fop_to_ccsds_cop_farm_over_lossy_channel() -> None:
    fop = Fop1(SCID, VCID, MAP, 32, 10, 3.0)
    peer = PeerFarm(w=64)
    fwd, back = LossyLink(CHANNEL, np.random.default_rng(1)), LossyLink(CHANNEL, np.random.default_rng(2))
    sdus = [i.to_bytes(3, "big") for i in range(3000)]
    got: list[bytes] = []
    nxt, words, t = 0, [], 0.0
    while len(got) < len(sdus):
        assert t < 3000, "stuck"
        step = fop.step(t, words, sdus[nxt : nxt + 32])
        assert step.alert is None, step.alert
        nxt += step.accepted
        words = back.transmit([_peer_farm_receive(peer, fwd.transmit(step.frames), got)])
        assert got == sdus[: len(got)]
        t += 1.0
    assert fwd.lost / fwd.offered > 0.08 and fop.counters.get("event_E16", 0) > 0 and fop.counters.get("event_E8", 0) > 0


class _SimulatedTimerFop(peer_fop_module.Fop1):
    """ccsds-cop's FOP-1 with its wall-clock threading.Timer replaced by simulated time."""

    now = 0.0
    deadline: float | None = None

    def start_timer(self) -> None:
        self.deadline = self.now + self.timer_initial_value

    def cancel_timer(self) -> None:
        self.deadline = None


def _peer_fop(k: int) -> tuple[_SimulatedTimerFop, Gvcid]:
    gvcid = Gvcid(0b1100, SCID, VCID)
    fop = _SimulatedTimerFop(gvcid, k=k, timer_initial_value=5)
    fop.interface = peer_fop_module.FopInterface(size=4 * k + 8)
    fop.on_receive_directive(DirectiveRequest(gvcid, 1, DirectiveType.SET_TRANSMISSION_LIMIT, 5))
    fop.on_receive_directive(DirectiveRequest(gvcid, 2, DirectiveType.INITIATE_AD_NO_CLCW))
    fop.on_receive_response_from_lower_layer(Response(gvcid, ResponseType.AD_ACCEPTED))
    return fop, gvcid


def _peer_fop_frames(fop: _SimulatedTimerFop, gvcid: Gvcid) -> list[bytes]:
    """The frames ccsds-cop asks its lower layer to transmit, built with spacepackets; each
    transmission is acknowledged by the lower layer (AD_Out ready again)."""
    out = []
    while fop.interface.to_lower:
        req = fop.interface.to_lower.pop()
        if not isinstance(req, TransmitRequestForFrame):
            continue
        upid = (UslpProtocolIdentifier.COP_1_CTRL_COMMANDS if req.command_flag == ProtocolCommandFlag.PROTOCOL_INFORMATION
                else UslpProtocolIdentifier.MISSION_SPECIFIC_INFO_1_MAPA_SDU)
        ad_frame = req.bypass_flag == BypassSequenceControlFlag.SEQ_CTRLD_QOS
        out.append(_peer_frame(not ad_frame, req.command_flag == ProtocolCommandFlag.PROTOCOL_INFORMATION,
                               1 if ad_frame else 0, req.v_s if ad_frame else None, upid, req.tfdf))
        fop.on_receive_response_from_lower_layer(Response(gvcid, ResponseType.AD_ACCEPTED))
    return out


def test_ccsds_cop_fop_to_reference_farm() -> None:
    """Lossless (see the divergences below for why not lossy): 600 SDUs, one per request,
    through the wrap of N(S) at 256, CLCW after each frame."""
    fop, gvcid = _peer_fop(8)
    farm = Farm1(SCID, VCID, 16)
    sdus = [i.to_bytes(2, "big") for i in range(600)]
    got: list[bytes] = []
    for i, sdu in enumerate(sdus):
        fop.on_receive_request_to_transfer_fdu(RequestToTransferFdu(gvcid, 100 + i, sdu, ServiceType.AD))
        got += farm.receive(_peer_fop_frames(fop, gvcid))
        fop.on_clcw_arrived(ControlWord.unpack(cop1.encode_clcw(farm.clcw())))
        assert fop.state.name == "ACTIVE", fop.state
    assert got == sdus


def test_divergence_ccsds_cop_removes_unacknowledged_frames() -> None:
    """CCSDS 232.1-B-2 5.2.7: only the frames with N(S) before N(R) leave the Sent_Queue, and on
    a retransmit report (E8) the rest is retransmitted. ccsds-cop 0.1.2 empties the whole
    Sent_Queue on any acknowledgement, so the unacknowledged frames are never retransmitted."""
    fop, gvcid = _peer_fop(8)
    for i in range(4):
        fop.on_receive_request_to_transfer_fdu(RequestToTransferFdu(gvcid, i, bytes([i]), ServiceType.AD))
        _peer_fop_frames(fop, gvcid)
    fop.on_clcw_arrived(ControlWord(vcid=VCID, retransmit=True, report_value=2))
    peer_retransmitted = _peer_fop_frames(fop, gvcid)
    ours = fop_with(4, k=8)
    step = ours.step(1.0, [clcw(2, retransmit=True)], [])
    assert ns_of(step.frames) == [2, 3], "the standard: N(S) 2 and 3 retransmitted"
    assert peer_retransmitted == [] and len(fop._sent_queue) == 0, "ccsds-cop behaviour changed: revisit this divergence"


def test_divergence_ccsds_cop_wait_flag_events_swapped() -> None:
    """Table 5-1: E8 is retransmit with Wait = 0 (retransmit, S2); E9 is Wait = 1 (no
    retransmission, S3). ccsds-cop 0.1.2 classifies them the other way round (fop.py)."""
    fop, gvcid = _peer_fop(8)
    for i in range(4):
        fop.on_receive_request_to_transfer_fdu(RequestToTransferFdu(gvcid, i, bytes([i]), ServiceType.AD))
        _peer_fop_frames(fop, gvcid)
    fop.on_clcw_arrived(ControlWord(vcid=VCID, retransmit=True, wait=False, report_value=1))
    assert fop.state.name == "RETRANSMIT_WITH_WAIT", "ccsds-cop behaviour changed: revisit this divergence"
    ours = fop_with(4)
    assert ours.step(1.0, [clcw(1, retransmit=True)], []).state is FopState.RETRANSMIT_WITHOUT_WAIT


def test_divergence_ccsds_cop_farm_delivers_in_lockout() -> None:
    """Table 6-1 E1 in S3 (lockout): discard. ccsds-cop 0.1.2 puts the frame in the higher
    procedures' buffer before it looks at the state."""
    peer = PeerFarm(w=10)
    out: list[bytes] = []
    _peer_farm_receive(peer, [ad(100)], out)
    assert peer.lockout
    _peer_farm_receive(peer, [ad(0, b"in lockout")], out)
    farm = Farm1(SCID, VCID, 10)
    farm.receive([ad(100)])
    assert farm.receive([ad(0, b"in lockout")]) == []
    assert out == [b"in lockout"], "ccsds-cop behaviour changed: revisit this divergence"


def test_frames_agree_with_the_framing_class_codec() -> None:
    """The COP-1 profile frames are USLP frames the ``framing`` class codec (uslp.py) builds and
    parses identically (AD: count length 1, rule 111, UPID 00101; BC: bypass and control command
    flags, no count, UPID 00001)."""
    uslp = pytest.importorskip("orbitcert.reference_impl.optical.uslp")
    for ns, sdu in ((0, b""), (255, b"\x01\x02"), (17, bytes(range(200)))):
        ours = cop1.build_ad_frame(SCID, VCID, MAP, ns, sdu)
        fields = uslp.UslpFrame(scid=SCID, vcid=VCID, map_id=MAP, vcf_count_length=1, vcf_count=ns,
                                construction_rule=0b111, protocol_id=0b00101, first_header_pointer=None, data=sdu)
        assert uslp.build_frame(fields) == ours
        assert uslp.parse_frame(ours) == fields
    command = cop1.set_vr_command(9)
    bc = uslp.UslpFrame(scid=SCID, vcid=VCID, map_id=MAP, bypass=1, protocol_command=1, construction_rule=0b111,
                        protocol_id=0b00001, first_header_pointer=None, data=command)
    assert uslp.build_frame(bc) == cop1.build_bc_frame(SCID, VCID, MAP, command)


@given(st.lists(st.one_of(st.binary(max_size=6), st.integers(), st.none()), max_size=3),
       st.lists(st.one_of(st.binary(max_size=6), st.text(max_size=3)), max_size=3),
       st.one_of(st.floats(allow_nan=True), st.text(max_size=2), st.booleans()))
def test_product_operations_raise_only_cop1error(clcw_list: list[Any], sdu_list: list[Any], now: Any) -> None:
    """The ``reliable`` operations of the reference product, on garbage arguments: a result or a
    :class:`Cop1Error` (a CodingError), nothing else."""
    from orbitcert.reference_impl.optical.iut import create

    product = create()
    product.fop_start({"scid": SCID, "vcid": VCID, "map_id": MAP, "window": 4, "transmission_limit": 2, "timeout": 1.0})
    product.farm_start({"scid": SCID, "vcid": VCID, "window": 4})
    for call in (lambda: product.fop_step(now, clcw_list, sdu_list), lambda: product.fop_directive(now, "set_vr", 3),
                 lambda: product.farm_receive(sdu_list, True), lambda: product.farm_receive(clcw_list, now),
                 lambda: product.fop_start({"window": now}), lambda: product.farm_start(now)):
        try:
            call()
        except Cop1Error:
            pass

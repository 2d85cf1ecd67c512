"""The reference runtime (``orbitcert.reference_impl.runtime.iut``) against the independent PUS-C
implementation ``spacepackets`` 0.32 and against the spec ``sw-compute-runtime@1.0.0``.

Every telecommand here is built by ``spacepackets.ecss.tc.PusTc`` (its CRC, its secondary header),
its application data with :mod:`struct` from the spec's ``tc_layouts`` (no code of the reference
or of the conformance suite is used). Every TM the reference emits is unpacked by
``spacepackets.ecss.tm.PusTm.unpack`` with the 7-octet CDS short timestamp
(``CdsShortTimestamp``), service 1 reports by ``Service1Tm`` (16-bit failure codes and step ids,
see below) and tracked by ``PusVerificator``, TM[17,2] by ``Service17Tm``; each field spacepackets
decodes is compared with the packet's octets (sliced here by hand) and with what the spec says
(SWR-VER-001/002/003/008, the ``packet_conventions``, ``request_id``, ``tm_layouts``, ``events``,
``hk_parameters`` parameters). The packet error control is checked a second time with the
standard library's ``binascii.crc_hqx`` (CRC-16-CCITT, polynomial 0x1021) preset 0xFFFF, the CRC
of ECSS-E-ST-70-41C Annex B. Job results are checked against ``hashlib`` (FIPS 180-4, FIPS 202)
and a brute-force integer matrix product.

Divergences between spacepackets 0.32 and this profile (the profile is pinned):

* ``ManagedParamsVerification`` defaults to 1-octet failure codes and step ids; ECSS-E-ST-70-41C
  6.1 leaves their size to the mission, and this profile's ``tm_layouts`` makes both u16. Unpacked
  with the defaults, a failure code 1 reads as 0 and the rest as data (pinned in
  :func:`test_divergence_service1_field_widths`).
* ``PusTm.unpack`` does not look at the CDS P-field or at the range of the ms of day, and
  ``PusTc.unpack`` checks neither the packet type nor surplus octets (pinned in test_pus.py);
  here the P-field 0x40 and ms of day < 86,400,000 of every TM are checked from the octets.
"""

from __future__ import annotations

import binascii
import hashlib
import struct
from dataclasses import dataclass, field
from typing import Any

import pytest
from spacepackets.ccsds.spacepacket import SequenceFlags
from spacepackets.ccsds.time import CdsShortTimestamp
from spacepackets.ecss.pus_1_verification import ManagedParamsVerification, Service1Tm
from spacepackets.ecss.pus_17_test import Service17Tm
from spacepackets.ecss.pus_verificator import PusVerificator, StatusField
from spacepackets.ecss.req_id import RequestId
from spacepackets.ecss.tc import PusTc as SpTc
from spacepackets.ecss.tm import PusTm as SpTm

from orbitcert.reference_impl.runtime.iut import create

# ------------------------------------------------------------------------------------------------
# The spec's parameters and the reference ICS
# ------------------------------------------------------------------------------------------------

from runtime_oracles import (  # noqa: E402 - the spec's tables, shared with the state machine and soak
    APID,
    EVENT_ID,
    FMT,
    HEALTH,
    HEALTH_SID,
    HK_NAME,
    MAX_CHUNK,
    MS_PER_DAY,
    PARAM,
    PROTECTION,
    REASON,
    RESET_CAUSE,
    STATE_CODE,
    STATE_NAME,
    TC_LAYOUT,
    TERMINAL,
    TM_LAYOUT,
    TRANSITIONS,
    WORKLOAD,
    ERROR,
    decode_source,
    expected_result,
    u16list,
)

# Reference ICS (reference_impl/ics/sw-compute-runtime.yaml).
HK_PERIOD_S = 5.0
RATE_BPS = 1e6
IDLE_MW = 5000
JOB_MW = 20000
CHECKPOINT_S = 1.0
LATENCY_S: float = PARAM["job_latency_s"]

ACK_ACCEPT, ACK_START, ACK_PROGRESS, ACK_COMPLETE, ACK_ALL = 0b0001, 0b0010, 0b0100, 0b1000, 0b1111
CDS_LEN = CdsShortTimestamp.TIMESTAMP_SIZE  # 7 octets: P-field, 16-bit day, 32-bit ms of day

# ------------------------------------------------------------------------------------------------
# Application data (spec parameter tc_layouts), built with struct
# ------------------------------------------------------------------------------------------------


def digest_of(workload: str) -> bytes:
    return bytes.fromhex(WORKLOAD[workload]["digest"])


def app_submit(
    job_id: int,
    workload: str | bytes,
    seed: int,
    size: int,
    *,
    priority: int = 0,
    deadline_ms: int = 0,
    energy_mj: int = 0,
    protection: str = "none",
) -> bytes:
    digest = digest_of(workload) if isinstance(workload, str) else workload
    return struct.pack(
        ">I32sQIBIIB", job_id, digest, seed, size, priority, deadline_ms, energy_mj, PROTECTION[protection]
    )


def app_job(job_id: int) -> bytes:
    return struct.pack(">I", job_id)


def app_retrieve(job_id: int, offset: int, length: int) -> bytes:
    return struct.pack(">IIH", job_id, offset, length)


def app_arm(job_id: int, replica: int, offset: int, mask: int) -> bytes:
    return struct.pack(">IBIB", job_id, replica, offset, mask)


def app_create_hk(sid: int, interval_ms: int, params: list[int]) -> bytes:
    return struct.pack(">HI", sid, interval_ms) + u16list(params)


def app_modify_hk(sid: int, interval_ms: int) -> bytes:
    return struct.pack(">HI", sid, interval_ms)


# ------------------------------------------------------------------------------------------------
# Workload oracles (FIPS 180-4, FIPS 202, brute-force matrix product)
# ------------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------------
# TM decoding: spacepackets + the octets + the spec
# ------------------------------------------------------------------------------------------------


@dataclass
class Tm:
    """One TM as decoded and checked."""

    raw: bytes
    service: int
    subtype: int
    seq: int
    counter: int
    dest: int
    time_ms: int  # days * 86,400,000 + ms of day
    fields: dict[str, Any]
    sp: SpTm


def check_tm_packet(raw: bytes, structures: dict[int, list[int]]) -> Tm:
    """SWR-VER-001: unpack with spacepackets (CRC verified), compare its fields with the octets and
    the packet conventions, decode the source data by tm_layouts."""
    sp = SpTm.unpack(raw, timestamp_len=CDS_LEN)  # raises on a bad CRC or a short packet
    assert binascii.crc_hqx(raw[:-2], 0xFFFF) == int.from_bytes(raw[-2:], "big")
    assert sp.crc16 == raw[-2:]
    # primary header (CCSDS 133.0-B-2 4.1.3)
    head = sp.sp_header
    assert raw[0] >> 5 == head.ccsds_version == 0
    assert (raw[0] >> 4) & 1 == head.packet_type == 0
    assert (raw[0] >> 3) & 1 == int(head.sec_header_flag) == 1
    assert ((raw[0] & 7) << 8 | raw[1]) == head.apid == APID
    assert raw[2] >> 6 == head.seq_flags == SequenceFlags.UNSEGMENTED
    seq = (raw[2] & 0x3F) << 8 | raw[3]
    assert seq == head.seq_count
    assert int.from_bytes(raw[4:6], "big") == head.data_len == len(raw) - 7
    # PUS-C TM secondary header (ECSS-E-ST-70-41C 7.4.3.2)
    sec = sp.pus_tm_sec_header
    assert raw[6] >> 4 == sec.pus_version == 2
    assert raw[6] & 0xF == sec.spacecraft_time_ref
    assert (raw[7], raw[8]) == (sp.service, sp.message_subtype)
    counter, dest = struct.unpack_from(">HH", raw, 9)
    assert (counter, dest) == (sec.message_counter, sec.dest_id)
    # CDS time (CCSDS 301.0-B-4 3.3): P-field 0x40, day, ms of day
    assert raw[13:20] == bytes(sp.timestamp)
    stamp = CdsShortTimestamp.unpack(sp.timestamp)
    assert raw[13] == 0x40
    days, ms = struct.unpack_from(">HI", raw, 14)
    assert (days, ms) == (stamp.ccsds_days, stamp.ms_of_day)
    assert ms < MS_PER_DAY
    source = raw[20:-2]
    assert source == bytes(sp.source_data)
    fields = decode_source(sp.service, sp.message_subtype, source, structures)
    tm = Tm(raw, sp.service, sp.message_subtype, seq, counter, dest, days * MS_PER_DAY + ms, fields, sp)
    if tm.service == 1:
        s1 = Service1Tm.from_tm(sp, ManagedParamsVerification(bytes_step_id=2, bytes_err_code=2))
        assert s1.tc_req_id.pack() == fields["request_id"]
        if tm.subtype in (2, 8):
            assert s1.error_code is not None and s1.error_code.val == fields["code"]
            assert s1.failure_notice is not None and s1.failure_notice.data == fields["data"]
        if tm.subtype == 5:
            assert s1.step_id is not None and s1.step_id.val == fields["step"]
    if tm.service == 17:
        s17 = Service17Tm.unpack(raw, timestamp_len=CDS_LEN)
        assert (s17.service, s17.message_subtype, s17.source_data) == (17, 2, b"")
    return tm


# ------------------------------------------------------------------------------------------------
# A ground segment driving the reference
# ------------------------------------------------------------------------------------------------

REPLY_SUBTYPES = {(17, 2), (5, 8), (128, 4), (128, 6), (128, 10)}


@dataclass
class Ground:
    """Sends spacepackets TCs, advances the simulated clock, checks every TM it gets back
    (SWR-VER-001 packet conventions, SWR-VER-002 sequence counts, time fields and destination
    ids) and tracks service 1 with spacepackets' ``PusVerificator``."""

    rt: Any = field(default_factory=create)
    now_s: float = 0.0
    seq: int = 0
    source_of: dict[bytes, int] = field(default_factory=dict)
    verificator: PusVerificator = field(default_factory=PusVerificator)
    structures: dict[int, list[int]] = field(default_factory=lambda: {HEALTH_SID: list(HEALTH)})
    offset_ms: int | None = None
    last_seq: int | None = None
    last_time_ms: int | None = None
    last_source: int = 0
    pending_reset: str | None = None
    log: list[Tm] = field(default_factory=list)
    job_state: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.pending_reset = "power"  # create() is a power-on: power_on comes first (SWR-EVT-001)
        # The first TMs come at simulated time 0: the TM[17,2] of a ping sent at once fixes the
        # offset between the product's CDS epoch and the simulated clock.
        ping = self.send(17, 1, ack=0, source_id=0x0DD)
        tms = self.rt.advance(0.0)
        replies = [check_tm_packet(raw, self.structures) for raw in tms]
        alive = [t for t in replies if (t.service, t.subtype) == (17, 2)]
        assert len(alive) == 1, f"TC[17,1] at power-on: {[(t.service, t.subtype) for t in replies]}"
        self.offset_ms = alive[0].time_ms
        self._check_batch(replies, 0.0, 0.0)
        assert ping.source_id == alive[0].dest

    # -- TCs ------------------------------------------------------------------------------------
    def tc(
        self,
        service: int,
        subtype: int,
        app_data: bytes = b"",
        *,
        ack: int = ACK_ALL,
        source_id: int | None = None,
        apid: int = APID,
    ) -> SpTc:
        """A spacepackets TC with the next sequence count (request IDs stay unique)."""
        sp = SpTc(
            service=service,
            message_subtype=subtype,
            apid=apid,
            seq_count=self.seq,
            source_id=(0x100 + self.seq) & 0xFFFF if source_id is None else source_id,
            ack_flags=ack,
            app_data=app_data,
        )
        self.seq = (self.seq + 1) % 16384
        return sp

    def send_raw(self, raw: bytes, source_id: int = 0) -> None:
        self.source_of[(raw[:4] + bytes(4))[:4]] = source_id
        self.last_source = source_id
        self.rt.send_tc(raw)

    def send(self, service: int, subtype: int, app_data: bytes = b"", **kw: Any) -> SpTc:
        sp = self.tc(service, subtype, app_data, **kw)
        self.verificator.add_tc(sp)
        self.send_raw(bytes(sp.pack()), sp.source_id)
        return sp

    # -- time -----------------------------------------------------------------------------------
    def advance(self, seconds: float) -> list[Tm]:
        start = self.now_s
        raws = self.rt.advance(seconds)
        self.now_s += seconds
        tms = [check_tm_packet(raw, self.structures) for raw in raws]
        self._check_batch(tms, start, self.now_s)
        return tms

    def reset(self, kind: str) -> list[Tm]:
        """SWR-EVT-001: the reset's event comes first in the next advance."""
        self.rt.reset(kind)
        self.last_seq = None  # the sequence count may restart at a reset (SWR-VER-002 "between resets")
        self.pending_reset = kind
        tms = self.advance(0.0)
        return tms

    def _check_batch(self, tms: list[Tm], start_s: float, end_s: float) -> None:
        assert self.offset_ms is not None
        tol_ms = 1 + max(2.0, 0.001 * (end_s - start_s) * 1000)
        for i, tm in enumerate(tms):
            # SWR-VER-002: sequence count +1 modulo 16384 between resets
            if self.last_seq is not None:
                assert tm.seq == (self.last_seq + 1) % 16384, (self.last_seq, tm.seq)
            self.last_seq = tm.seq
            # time fields: never decrease, within the advance window (ms rounding + tolerance)
            rel = tm.time_ms - self.offset_ms
            assert start_s * 1000 - tol_ms <= rel <= end_s * 1000 + tol_ms, (rel, start_s, end_s, tm.service)
            if self.last_time_ms is not None:
                assert tm.time_ms >= self.last_time_ms
            self.last_time_ms = tm.time_ms
            # destination ids
            if tm.service == 1:
                request_id = tm.fields["request_id"]
                assert request_id in self.source_of, f"TM[1,{tm.subtype}] for an unknown request {request_id.hex()}"
                if tm.subtype != 2:
                    assert tm.dest == self.source_of[request_id]
                s1 = Service1Tm.from_tm(tm.sp, ManagedParamsVerification(bytes_step_id=2, bytes_err_code=2))
                self.verificator.add_tm(s1)
            elif (tm.service, tm.subtype) in REPLY_SUBTYPES:
                assert tm.dest == self.last_source, (tm.service, tm.subtype, tm.dest, self.last_source)
            if self.pending_reset is not None and i == 0:
                name = {"power": "power_on", "watchdog": "watchdog_reset", "latchup": "latchup_reset"}
                assert tm.service == 5 and tm.fields["event_id"] == EVENT_ID[name[self.pending_reset]], tm.fields
                assert tm.dest == 0
            if tm.service == 5 and tm.subtype in (1, 2, 3, 4) and "to_state" in tm.fields["aux"]:
                self._job_event(tm)
        self.pending_reset = None
        self.log.extend(tms)

    def _job_event(self, tm: Tm) -> None:
        """SWR-JOB-004: the event names the new state, the change follows parameter job_states."""
        aux = tm.fields["aux"]
        new = STATE_NAME[aux["to_state"]]
        assert tm.fields["event_id"] == EVENT_ID[f"job_{new}"]
        old = self.job_state.get(aux["job_id"])
        if aux["from_state"] == 255:
            assert new == "queued" and (old is None or old in TERMINAL), (aux, old)
        else:
            assert STATE_NAME[aux["from_state"]] == old, (aux, old)
            assert new in TRANSITIONS[old], (old, new)
        self.job_state[aux["job_id"]] = new

    # -- expectations ---------------------------------------------------------------------------
    def run(self, service: int, subtype: int, app_data: bytes = b"", **kw: Any) -> tuple[SpTc, list[Tm]]:
        sp = self.send(service, subtype, app_data, **kw)
        return sp, self.advance(0.0)

    def accepted(
        self,
        service: int,
        subtype: int,
        app_data: bytes = b"",
        *,
        ack: int = ACK_ALL,
        executes_now: bool = True,
        **kw: Any,
    ) -> list[Tm]:
        """SWR-VER-003/008: TM[1,1], TM[1,3], TM[1,7] as the flags ask, in that order, TM[1,1]
        before any other TM of the TC; returns the TMs that are not service 1 reports of it."""
        sp, tms = self.run(service, subtype, app_data, ack=ack, **kw)
        rid = RequestId.from_pus_tc(sp).pack()
        mine = [t for t in tms if t.service == 1 and t.fields["request_id"] == rid]
        kinds = [t.subtype for t in mine]
        assert 2 not in kinds, f"TC[{service},{subtype}] rejected: code {mine[kinds.index(2)].fields['code']}"
        want = [1] if ack & ACK_ACCEPT else []
        if executes_now:
            want += ([3] if ack & ACK_START else []) + ([7] if ack & ACK_COMPLETE else [])
            assert kinds == want, f"TC[{service},{subtype}] ack {ack:04b}: service 1 reports {kinds}"
        else:  # a job submission: its execution starts when the job runs (maybe at once), SWR-VER-008
            assert kinds[: len(want)] == want and set(kinds[len(want) :]) <= {3}, kinds
        if ack & ACK_ACCEPT:
            assert tms.index(mine[0]) <= min(
                (i for i, t in enumerate(tms) if t.dest == sp.source_id and t.service != 1), default=len(tms)
            )
        return [t for t in tms if t not in mine]

    def rejected(self, service: int, subtype: int, app_data: bytes = b"", *, code: str, **kw: Any) -> Tm:
        """SWR-VER-004..007: one TM[1,2] with the request ID and the failure code, nothing else."""
        sp, tms = self.run(service, subtype, app_data, **kw)
        assert [(t.service, t.subtype) for t in tms] == [(1, 2)], [(t.service, t.subtype, t.fields) for t in tms]
        assert tms[0].fields["request_id"] == RequestId.from_pus_tc(sp).pack() == bytes(sp.pack())[:4]
        assert tms[0].fields["code"] == ERROR[code], (tms[0].fields["code"], code)
        assert tms[0].dest == sp.source_id
        return tms[0]

    def status(self, sp: SpTc) -> Any:
        return self.verificator.verif_dict[RequestId.from_pus_tc(sp)]


def events_of(tms: list[Tm], name: str | None = None) -> list[dict[str, Any]]:
    out = []
    for t in tms:
        if t.service == 5 and t.subtype in (1, 2, 3, 4) and (name is None or t.fields["event_id"] == EVENT_ID[name]):
            out.append({"event_id": t.fields["event_id"], **t.fields["aux"]})
    return out


def only(tms: list[Tm], service: int, subtype: int) -> Tm:
    found = [t for t in tms if (t.service, t.subtype) == (service, subtype)]
    assert len(found) == 1, f"TM[{service},{subtype}]: {len(found)} in {[(t.service, t.subtype) for t in tms]}"
    return found[0]


def near(times_ms: list[int], want_s: list[float]) -> bool:
    """Times (ms) equal to the wanted ones (s) within parameter timing_tolerance (2 ms, 0.1 %)."""
    return len(times_ms) == len(want_s) and all(abs(t - 1000 * w) <= 1 + max(2.0, w) for t, w in zip(times_ms, want_s))


def retrieve_all(g: Ground, job_id: int, chunk: int = MAX_CHUNK) -> bytes:
    """TC[128,9] in chunks until the total size (SWR-JOB-002)."""
    data = b""
    total = None
    while total is None or len(data) < total:
        rep = only(g.accepted(128, 9, app_retrieve(job_id, len(data), chunk)), 128, 10)
        assert (rep.fields["job_id"], rep.fields["offset"]) == (job_id, len(data))
        total = rep.fields["total_size"] if total is None else total
        assert rep.fields["total_size"] == total
        assert len(rep.fields["data"]) == min(chunk, total - len(data))
        data += rep.fields["data"]
    return data


def run_until_terminal(g: Ground, job_ids: set[int], limit_s: float = 30.0, step: float = 0.25) -> list[Tm]:
    """Advance until every job in ``job_ids`` reached a terminal state (from its events)."""
    seen: list[Tm] = []
    waited = 0.0
    while waited < limit_s:
        if all(g.job_state.get(j) in TERMINAL for j in job_ids):
            return seen
        seen += g.advance(step)
        waited += step
    raise AssertionError(f"jobs not terminal after {limit_s} s: { {j: g.job_state.get(j) for j in job_ids} }")


# ------------------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------------------


def test_builders_follow_tc_layouts() -> None:
    """The struct builders above have the sizes the spec's tc_layouts give (u16list: count + N)."""
    sizes = {
        (128, 1): len(app_submit(1, "sha256", 0, 1)),
        (128, 3): len(app_job(1)),
        (128, 7): len(app_job(1)),
        (128, 11): len(app_job(1)),
        (128, 9): len(app_retrieve(1, 0, 1)),
        (128, 13): len(app_arm(1, 0, 0, 1)),
        (3, 1): len(app_create_hk(2, 1000, [])),
        (3, 31): len(app_modify_hk(2, 1000)),
        (3, 3): len(u16list([])),
        (3, 5): len(u16list([])),
        (3, 6): len(u16list([])),
        (3, 27): len(u16list([])),
        (5, 5): len(u16list([])),
        (5, 6): len(u16list([])),
        (5, 7): 0,
        (17, 1): 0,
        (128, 5): 0,
    }
    assert set(sizes) == set(TC_LAYOUT)
    for key, size in sizes.items():
        want = sum(2 if t == "u16list" else struct.calcsize(">" + FMT[t]) for _, t, _ in TC_LAYOUT[key]["fields"])
        assert size == want, (key, size, want)


def test_workload_digests_are_the_sha256_of_their_names() -> None:
    """Spec parameter workloads: digest = SHA-256("orbitcert-workload:" + name)."""
    for name, w in WORKLOAD.items():
        assert hashlib.sha256(f"orbitcert-workload:{name}".encode()).hexdigest() == w["digest"]


@pytest.mark.parametrize("ack", range(16))
def test_ping_with_every_ack_flag_combination(ack: int) -> None:
    """SWR-TST-001, SWR-VER-003/008: TC[17,1] built by spacepackets gets one TM[17,2] (no source
    data, destination = the TC's source id, stamped with the time of receipt) and TM[1,1]/[1,3]/[1,7]
    exactly as its acknowledgement flags ask; spacepackets' PusVerificator agrees."""
    g = Ground()
    g.advance(1.234)
    sp = g.tc(17, 1, ack=ack, source_id=0xBEEF)
    g.verificator.add_tc(sp)
    g.send_raw(bytes(sp.pack()), 0xBEEF)
    tms = g.advance(0.5)
    sub = [(t.service, t.subtype) for t in tms if t.service in (1, 17)]
    assert sub.count((17, 2)) == 1
    assert [s for s in sub if s[0] == 1] == [(1, k) for k, bit in ((1, 1), (3, 2), (7, 8)) if ack & bit]
    alive = only(tms, 17, 2)
    assert alive.dest == 0xBEEF and alive.fields == {}
    assert alive.time_ms - (g.offset_ms or 0) == 1234  # time of receipt
    status = g.status(sp)
    assert status.accepted == (StatusField.SUCCESS if ack & 1 else StatusField.UNSET)
    assert status.started == (StatusField.SUCCESS if ack & 2 else StatusField.UNSET)
    assert status.completed == (StatusField.SUCCESS if ack & 8 else StatusField.UNSET)
    assert status.step_list == []


def test_health_report_periodic_from_power_on() -> None:
    """SWR-HK-001/002: TM[3,25] structure 1 every 5 s (ICS hk_period_s), destination 0, the
    values of hk_parameters in order, truthful on an idle payload."""
    g = Ground()
    tms = g.advance(16.0)
    hk = [t for t in tms if (t.service, t.subtype) == (3, 25)]
    assert [t.time_ms - (g.offset_ms or 0) for t in hk] == [5000, 10000, 15000]
    for t in hk:
        assert t.dest == 0 and t.fields["sid"] == HEALTH_SID
        v = t.fields["values"]
        assert list(v) == HEALTH
        assert v[HK_NAME["cpu_load"]] == 0 and v[HK_NAME["jobs_tracked"]] == 0
        assert abs(v[HK_NAME["power_draw"]] - IDLE_MW) <= 10
        assert v[HK_NAME["power_budget"]] == 0xFFFFFFFF
        assert v[HK_NAME["last_reset_cause"]] == RESET_CAUSE["power"] and v[HK_NAME["reset_count"]] == 0


def test_varied_scenario_every_tm_parses_with_spacepackets() -> None:
    """Housekeeping, events, all service 1 reports (1..8 except the start/progress failures this
    profile never emits), job status, list and result chunks, power budget, faults and resets: every
    TM parses with spacepackets, its fields equal its octets and the spec, and the replies are right."""
    g = Ground()

    # ---- housekeeping (service 3) -------------------------------------------------------------
    params = [HK_NAME["cpu_load"], HK_NAME["power_draw"], HK_NAME["jobs_queued"], HK_NAME["jobs_tracked"]]
    assert g.accepted(3, 1, app_create_hk(7, 1000, params)) == []
    g.structures[7] = params
    shot = g.accepted(3, 27, u16list([HEALTH_SID, 7]))
    assert [(t.service, t.subtype, t.fields["sid"]) for t in shot] == [(3, 25, 1), (3, 25, 7)]
    assert list(shot[1].fields["values"]) == params
    assert [t for t in g.advance(2.5) if t.fields.get("sid") == 7] == []  # disabled at creation (SWR-HK-003)
    t0 = g.now_s
    g.accepted(3, 5, u16list([7]))
    tms = g.advance(2.05)
    assert near([t.time_ms - (g.offset_ms or 0) for t in tms if t.fields.get("sid") == 7], [t0 + 1, t0 + 2])
    g.accepted(3, 31, app_modify_hk(7, 3000))
    t1 = g.now_s
    tms = g.advance(3.05)
    assert near([t.time_ms - (g.offset_ms or 0) for t in tms if t.fields.get("sid") == 7], [t1 + 3])
    g.accepted(3, 6, u16list([7]))
    assert [t for t in g.advance(6.0) if t.fields.get("sid") == 7] == []
    g.rejected(3, 1, app_create_hk(7, 1000, params), code="sid_exists")
    g.rejected(3, 3, u16list([HEALTH_SID]), code="parameter")
    g.rejected(3, 1, app_create_hk(8, 50, params), code="parameter")  # interval below hk_limits
    g.accepted(3, 3, u16list([7]))
    del g.structures[7]
    g.rejected(3, 27, u16list([7]), code="unknown_sid")

    # ---- events (service 5) -------------------------------------------------------------------
    g.accepted(5, 6, u16list([EVENT_ID["power_budget_low"], EVENT_ID["watchdog_reset"]]))
    listed = only(g.accepted(5, 7), 5, 8)
    assert listed.fields["event_ids"] == sorted([EVENT_ID["power_budget_low"], EVENT_ID["watchdog_reset"]])
    g.rejected(5, 5, u16list([EVENT_ID["power_on"], 9999]), code="parameter")
    g.accepted(5, 5, u16list([EVENT_ID["power_budget_low"], EVENT_ID["watchdog_reset"]]))
    assert only(g.accepted(5, 7), 5, 8).fields["event_ids"] == []

    # ---- jobs (service 128) -------------------------------------------------------------------
    jobs = {
        1: ("sha256", 11, 1000, "none"),
        2: ("shake256-expand", 12, 5000, "none"),
        3: ("matmul-u32", 13, 8 * 3 * 3, "abft"),
        4: ("sha256", 14, 2000, "dmr"),
        5: ("shake256-expand", 15, 300, "tmr"),
        6: ("matmul-u32", 16, 8 * 2 * 2, "none"),
    }
    for job_id, (w, seed, size, prot) in jobs.items():
        rest = g.accepted(
            128, 1, app_submit(job_id, w, seed, size, priority=job_id, protection=prot), executes_now=False
        )
        queued = events_of(rest, "job_queued")
        assert queued and queued[0]["job_id"] == job_id and queued[0]["from_state"] == 255
    # armed faults: abft corrected, dmr detected, tmr outvoted, none visible (SWR-RES-004..007)
    g.accepted(128, 13, app_arm(3, 0, 5, 0x10))
    g.accepted(128, 13, app_arm(4, 1, 0, 0x01))
    g.accepted(128, 13, app_arm(5, 2, 7, 0xFF))
    g.accepted(128, 13, app_arm(6, 0, 3, 0x80))
    g.rejected(128, 13, app_arm(5, 3, 0, 1), code="parameter")  # replica 3 of tmr
    seen = run_until_terminal(g, set(jobs))
    final = {e["job_id"]: STATE_NAME[e["to_state"]] for e in events_of(seen) if "to_state" in e}
    assert final == {1: "completed", 2: "completed", 3: "completed", 4: "failed", 5: "completed", 6: "completed"}
    assert [e["job_id"] for e in events_of(seen, "protection_mismatch_detected")] == [4]
    assert sorted(e["job_id"] for e in events_of(seen, "protection_mismatch_corrected")) == [3, 5]
    failed = [e for e in events_of(seen, "job_failed")]
    assert failed[0]["reason"] == REASON["mismatch"]
    fail_reports = [t for t in seen if (t.service, t.subtype) == (1, 8)]
    assert [t.fields["code"] for t in fail_reports] == [256 + REASON["mismatch"]]
    assert len([t for t in seen if (t.service, t.subtype) == (1, 7)]) == 5
    for job_id, (w, seed, size, prot) in jobs.items():
        status = only(g.accepted(128, 3, app_job(job_id)), 128, 4).fields
        assert (status["job_id"], STATE_NAME[status["state"]]) == (job_id, final[job_id])
        assert (status["priority"], status["protection"]) == (job_id, PROTECTION[prot])
        if final[job_id] != "completed":
            assert status["result_size"] == 0
            g.rejected(128, 9, app_retrieve(job_id, 0, 16), code="job_state")
            continue
        want = expected_result(w, seed, size)
        if job_id == 6:  # protection none: exactly the armed octet XORed (SWR-RES-004)
            want = want[:3] + bytes([want[3] ^ 0x80]) + want[4:]
        assert status["progress_permille"] == 1000 and status["result_size"] == len(want)
        assert retrieve_all(g, job_id, chunk=1000 if job_id == 2 else MAX_CHUNK) == want
    # a chunk from an offset inside the result, and one running past its end
    rep = only(g.accepted(128, 9, app_retrieve(2, 4990, 100)), 128, 10)
    assert rep.fields["data"] == expected_result("shake256-expand", 12, 5000)[4990:]
    listing = only(g.accepted(128, 5), 128, 6).fields
    assert listing["jobs"] == [(j, STATE_CODE[final[j]]) for j in sorted(jobs)]
    assert listing["count"] == len(jobs)

    # cancel, deadline, energy (SWR-VER-008 TM[1,8] = 256 + reason, SWR-JOB-006/007/008)
    g.accepted(128, 1, app_submit(20, "sha256", 20, 1_000_000, priority=200), executes_now=False)
    g.advance(0.2)
    g.accepted(128, 7, app_job(20))
    g.accepted(128, 1, app_submit(21, "sha256", 21, 1_000_000, priority=200, deadline_ms=300), executes_now=False)
    g.accepted(128, 1, app_submit(22, "sha256", 22, 1_000_000, priority=200, energy_mj=2000), executes_now=False)
    seen = run_until_terminal(g, {20, 21, 22}, step=0.1)
    reasons = {e["job_id"]: (STATE_NAME[e["to_state"]], e["reason"]) for e in events_of(seen) if "to_state" in e}
    assert reasons[21] == ("expired", REASON["deadline"]) and reasons[22] == ("failed", REASON["energy"])
    codes = sorted(t.fields["code"] - 256 for t in g.log if (t.service, t.subtype) == (1, 8))
    assert codes == sorted([REASON["mismatch"], REASON["cancelled"], REASON["deadline"], REASON["energy"]])
    g.rejected(128, 7, app_job(20), code="job_state")
    for job_id in (1, 20, 21, 22):
        g.accepted(128, 11, app_job(job_id))
    g.rejected(128, 3, app_job(1), code="unknown_job")

    # progress reports (SWR-VER-009): a 3 s tmr job (3 x 1 MB at 1 MB/s), checkpoint every 1 s
    sp = g.send(128, 1, app_submit(30, "sha256", 30, 1_000_000, priority=9, protection="tmr"))
    g.advance(0.0)
    run_until_terminal(g, {30}, step=0.5)
    status = g.status(sp)
    assert status.accepted == status.started == status.completed == StatusField.SUCCESS
    assert len(status.step_list) >= 2 and status.step_list == list(range(1, len(status.step_list) + 1))
    assert retrieve_all(g, 30) == expected_result("sha256", 30, 1_000_000)

    # power budget (SWR-RES-003): two 1 s jobs, budget for one, then unlimited again
    for job_id in (40, 41):
        g.accepted(128, 1, app_submit(job_id, "sha256", job_id, 500_000, priority=job_id), executes_now=False)
    g.advance(0.1)
    g.rt.set_power(30.0)  # floor((30 - 5) / 20) = 1 job
    tms = g.advance(0.0)
    low = events_of(tms, "power_budget_low")
    assert low == [{"event_id": EVENT_ID["power_budget_low"], "budget_mw": 30000, "suspended": 1}]
    assert [e["job_id"] for e in events_of(tms, "job_suspended")] == [40]  # the lower priority
    g.rt.set_power(1000.0)
    run_until_terminal(g, {40, 41})
    for job_id in (40, 41):
        assert retrieve_all(g, job_id) == expected_result("sha256", job_id, 500_000)

    # resets (SWR-EVT-001, SWR-RES-001/008): the event first, the job back in queued, results kept
    g.accepted(128, 1, app_submit(50, "shake256-expand", 50, 800_000, priority=5), executes_now=False)
    g.advance(0.3)
    for kind, count in (("watchdog", 1), ("latchup", 2), ("power", 0)):
        tms = g.reset(kind)
        event = events_of(tms)[0]
        assert event["reset_count"] == count
        requeued = events_of(tms, "job_queued")
        if requeued:
            assert requeued[0]["job_id"] == 50 and requeued[0]["reason"] == REASON["reset"]
        g.advance(0.2)
        hk = only(g.accepted(3, 27, u16list([HEALTH_SID])), 3, 25).fields["values"]
        assert hk[HK_NAME["last_reset_cause"]] == RESET_CAUSE[kind] and hk[HK_NAME["reset_count"]] == count
        assert hk[HK_NAME["power_budget"]] == 1_000_000
    run_until_terminal(g, {50})
    assert retrieve_all(g, 50) == expected_result("shake256-expand", 50, 800_000)
    assert retrieve_all(g, 2) == expected_result("shake256-expand", 12, 5000)  # survived three resets
    g.advance(5.0)

    # ---- rejections (acceptance checks, SWR-VER-005/006/007, SWR-JOB-001) ----------------------
    g.rejected(17, 1, apid=APID + 1, code="apid")
    g.rejected(2, 1, code="service")
    g.rejected(1, 1, code="service")
    g.rejected(17, 3, code="subtype")
    g.rejected(128, 3, b"\x00\x00\x01", code="length")
    g.rejected(128, 1, app_submit(60, "sha256", 1, 10)[:-1], code="length")
    g.rejected(128, 1, app_submit(0, "sha256", 1, 10), code="parameter")
    g.rejected(128, 1, app_submit(60, "matmul-u32", 1, 10), code="parameter")  # not 8 n^2
    g.rejected(128, 1, app_submit(60, bytes(32), 1, 10), code="unknown_workload")
    g.rejected(128, 1, app_submit(60, "sha256", 1, 10, protection="abft"), code="protection")
    g.rejected(128, 1, app_submit(2, "sha256", 1, 10), code="job_exists")
    g.rejected(128, 9, app_retrieve(2, 0, MAX_CHUNK + 1), code="parameter")
    bad = g.tc(17, 1)
    bad.pus_tc_sec_header.pus_version = 1  # PUS-A, with a valid CRC from spacepackets
    raw = bytes(bad.pack())
    g.send_raw(raw, bad.source_id)
    only_reject = g.advance(0.0)
    assert [(t.service, t.subtype, t.fields["code"]) for t in only_reject] == [(1, 2, ERROR["header"])]
    seg = g.tc(17, 1)
    seg.sp_header.seq_flags = SequenceFlags.FIRST_SEGMENT
    g.send_raw(bytes(seg.pack()), seg.source_id)
    assert [(t.service, t.subtype, t.fields["code"]) for t in g.advance(0.0)] == [(1, 2, ERROR["header"])]

    # every service 1 subtype this profile uses occurred; every TM decoded above
    kinds = {(t.service, t.subtype) for t in g.log}
    assert {
        (1, 1),
        (1, 2),
        (1, 3),
        (1, 5),
        (1, 7),
        (1, 8),
        (3, 25),
        (5, 1),
        (5, 2),
        (5, 3),
        (5, 4),
        (5, 8),
        (17, 2),
        (128, 4),
        (128, 6),
        (128, 10),
    } <= kinds
    assert kinds <= set(TM_LAYOUT)


@pytest.mark.parametrize("where", ["app_data", "crc", "secondary_header", "sequence_count"])
@pytest.mark.parametrize("ack", [0, ACK_ALL])
def test_corrupted_packet_gets_tm_1_2_checksum(where: str, ack: int) -> None:
    """SWR-VER-004: a TC whose PEC (computed by spacepackets) no longer matches after the test
    corrupts one octet gets exactly one TM[1,2] with failure code checksum (1) and the request ID
    of the octets received, whatever its ack flags, and changes nothing (the job is not created)."""
    g = Ground()
    sp = g.tc(128, 1, app_submit(77, "sha256", 1, 100), ack=ack)
    raw = bytearray(sp.pack())
    assert binascii.crc_hqx(bytes(raw[:-2]), 0xFFFF) == int.from_bytes(sp.crc16 or b"", "big")
    index = {"app_data": 20, "crc": len(raw) - 1, "secondary_header": 7, "sequence_count": 3}[where]
    raw[index] ^= 0x5A
    g.send_raw(bytes(raw), sp.source_id)
    tms = g.advance(0.0)
    assert [(t.service, t.subtype) for t in tms] == [(1, 2)]
    assert tms[0].fields["request_id"] == bytes(raw[:4])
    assert tms[0].fields["code"] == ERROR["checksum"]
    g.rejected(128, 3, app_job(77), code="unknown_job")
    assert only(g.accepted(128, 5), 128, 6).fields == {"count": 0, "jobs": []}


def test_length_field_and_short_packets_get_tm_1_2_length() -> None:
    """SWR-VER-005 / acceptance check 1: a packet data length that disagrees with the octets
    received, or fewer than 13 octets, is failure code length (the request ID zero-padded)."""
    g = Ground()
    raw = bytearray(g.tc(17, 1).pack())
    raw[5] ^= 0x01
    g.send_raw(bytes(raw))
    tms = g.advance(0.0)
    assert [(t.service, t.subtype, t.fields["code"]) for t in tms] == [(1, 2, ERROR["length"])]
    for short in (b"", b"\x18", bytes(raw[:12])):
        g.send_raw(short)
        tms = g.advance(0.0)
        assert [(t.service, t.subtype, t.fields["code"]) for t in tms] == [(1, 2, ERROR["length"])]
        assert tms[0].fields["request_id"] == (short + bytes(4))[:4]


def test_divergence_service1_field_widths() -> None:
    """spacepackets' default ManagedParamsVerification reads 1-octet failure codes; this profile's
    tm_layouts has u16 codes (ECSS-E-ST-70-41C 6.1 leaves the width to the mission). With the
    defaults the reference's TM[1,2] code 1 (checksum) reads as 0; with 2 octets it reads 1."""
    g = Ground()
    raw = bytearray(g.tc(17, 1).pack())
    raw[-1] ^= 1
    g.send_raw(bytes(raw))
    tm = only(g.advance(0.0), 1, 2)
    default = Service1Tm.from_tm(tm.sp, ManagedParamsVerification())
    assert default.error_code is not None and default.error_code.val == 0
    profile = Service1Tm.from_tm(tm.sp, ManagedParamsVerification(bytes_step_id=2, bytes_err_code=2))
    assert profile.error_code is not None and profile.error_code.val == ERROR["checksum"]


@pytest.mark.parametrize(
    ("service", "subtype", "apid", "code"),
    [(17, 1, APID + 1, "apid"), (2, 1, APID, "service"), (17, 3, APID, "subtype")],
)
def test_header_rejection_destination(service: int, subtype: int, apid: int, code: str) -> None:
    """SWR-VER-002: a TM in reply to a telecommand carries its source identifier. A TC with a valid
    PEC and a PUS-C secondary header rejected for its APID, service or subtype has a readable source
    identifier, so its TM[1,2] carries it (an early reference sent destination 0 for these)."""
    g = Ground()
    g.rejected(service, subtype, apid=apid, code=code, source_id=0x1234)


REQUESTS = [
    (3, 27, u16list([HEALTH_SID]), (3, 25)),
    (3, 5, u16list([HEALTH_SID]), None),
    (5, 7, b"", (5, 8)),
    (5, 6, u16list([EVENT_ID["power_budget_low"]]), None),
    (17, 1, b"", (17, 2)),
    (128, 5, b"", (128, 6)),
    (128, 3, app_job(1), (128, 4)),
    (128, 9, app_retrieve(1, 0, 8), (128, 10)),
]


@pytest.mark.parametrize(("service", "subtype", "app", "reply"), REQUESTS, ids=lambda v: str(v)[:12])
def test_requests_of_every_service_honour_the_ack_flags(
    service: int, subtype: int, app: bytes, reply: tuple[int, int] | None
) -> None:
    """SWR-VER-003/008 for TCs of services 3, 5, 17 and 128 built by spacepackets, with each of the 16
    acknowledgement flag combinations: TM[1,1], TM[1,3], TM[1,7] exactly as asked, in that order,
    and one reply of the request's kind (to the TC's source id)."""
    g = Ground()
    g.accepted(128, 1, app_submit(1, "sha256", 1, 64), executes_now=False)
    run_until_terminal(g, {1})
    for ack in range(16):
        rest = g.accepted(service, subtype, app, ack=ack)
        if reply is not None:
            assert only(rest, *reply).dest == g.last_source


@pytest.mark.parametrize("ack", range(16))
def test_job_submission_ack_flags(ack: int) -> None:
    """SWR-VER-008/009: a TC[128,1] (dmr, 2 x 1 MB: 2 s of running time) gets TM[1,1] at acceptance,
    TM[1,3] when it first runs, TM[1,5] steps 1, 2 ... per checkpoint (at least one: the running
    time exceeds one checkpoint interval), TM[1,7] at completion -- each only when its flag is set --
    tracked by spacepackets' PusVerificator."""
    g = Ground()
    sp = g.send(128, 1, app_submit(9, "sha256", 9, 1_000_000, protection="dmr"), ack=ack)
    tms = g.advance(0.0)
    tms += run_until_terminal(g, {9}, step=0.5)
    mine = [t.subtype for t in tms if t.service == 1 and t.fields["request_id"] == bytes(sp.pack())[:4]]
    steps = [t.fields["step"] for t in tms if (t.service, t.subtype) == (1, 5)]
    assert [k for k in mine if k != 5] == [k for k, bit in ((1, 1), (3, 2), (7, 8)) if ack & bit]
    if ack & ACK_PROGRESS:
        assert len(steps) >= 1 and steps == list(range(1, len(steps) + 1))
        first5, last5 = mine.index(5), len(mine) - 1 - mine[::-1].index(5)
        assert all(mine.index(k) < first5 for k in (1, 3) if k in mine)
        assert all(mine.index(7) > last5 for _ in [0] if 7 in mine)
    else:
        assert steps == []
    status = g.status(sp)
    assert status.step_list == steps
    assert status.completed == (StatusField.SUCCESS if ack & ACK_COMPLETE else StatusField.UNSET)
    assert retrieve_all(g, 9) == expected_result("sha256", 9, 1_000_000)


def test_abft_correction_is_silent() -> None:
    """SWR-RES-007 with a fault that lowers C[0][0] (the top bit of its first octet cleared) on
    n = 2, seed 3: the product is corrected (checked here too) and the correction raises no
    warning. (The reference once computed ``c + row_expected - row_actual`` on numpy uint64 scalars,
    which underflowed before the mod-2^32 mask when ``row_actual`` wrapped below ``row_expected``;
    it now corrects in Python integers.)"""
    import warnings

    g = Ground()
    g.rt.set_power(0.0)
    g.advance(0.0)
    g.accepted(128, 1, app_submit(3, "matmul-u32", 3, 32, protection="abft"), executes_now=False)
    g.accepted(128, 13, app_arm(3, 0, 0, 0x80))
    g.rt.set_power(1000.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seen = run_until_terminal(g, {3})
    assert [e["job_id"] for e in events_of(seen, "protection_mismatch_corrected")] == [3]
    assert retrieve_all(g, 3) == expected_result("matmul-u32", 3, 32)
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []


@pytest.mark.parametrize("kind", ["watchdog", "latchup", "power"])
def test_housekeeping_survives_resets(kind: str) -> None:
    """SWR-HK-006, SWR-EVT-002: a created and enabled structure, its interval and the disabled
    events survive a reset; periodic generation restarts one interval after the reset (structure
    1 at hk_period_s, structure 9 at its 2 s)."""
    g = Ground()
    g.accepted(3, 1, app_create_hk(9, 2000, [HK_NAME["reset_count"], HK_NAME["last_reset_cause"]]))
    g.structures[9] = [HK_NAME["reset_count"], HK_NAME["last_reset_cause"]]
    g.accepted(3, 5, u16list([9]))
    g.accepted(5, 6, u16list([EVENT_ID["power_budget_low"]]))
    g.advance(3.3)
    t_reset = g.now_s
    g.reset(kind)
    tms = g.advance(5.5)
    rel = [(t.fields["sid"], t.time_ms - (g.offset_ms or 0)) for t in tms if (t.service, t.subtype) == (3, 25)]
    assert near([ms for sid, ms in rel if sid == 9], [t_reset + 2, t_reset + 4])
    assert near([ms for sid, ms in rel if sid == HEALTH_SID], [t_reset + HK_PERIOD_S])
    values = [t.fields["values"] for t in tms if t.fields.get("sid") == 9][0]
    assert values == {
        HK_NAME["reset_count"]: 0 if kind == "power" else 1,
        HK_NAME["last_reset_cause"]: RESET_CAUSE[kind],
    }
    assert only(g.accepted(5, 7), 5, 8).fields["event_ids"] == [EVENT_ID["power_budget_low"]]

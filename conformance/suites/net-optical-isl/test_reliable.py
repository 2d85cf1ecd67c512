"""Conformance suite of net-optical-isl, class ``reliable``: COP-1 (CCSDS 232.1-B-2) over USLP.

The product exposes a FOP-1 (``fop_start``, ``fop_step``, ``fop_directive``) and a FARM-1
(``farm_start``, ``farm_receive``). The suite is the harness between them and the far end: it
builds the CLCWs the product's FOP-1 receives and the frames the product's FARM-1 receives, reads
every frame and CLCW the product returns with the suite's own decoders, and, for the
interoperability requirements, runs the product against the orbitcert reference end (itself
checked against ``ccsds-cop`` and ``spacepackets`` in orbitcert's own tests) over the bursty
channel of :mod:`orbitcert.reference_impl.optical.channel`, its losses, the SDUs and the FARM
side's buffer refusals drawn from the run's seed (fixture ``run_seed``), which the product cannot
predict.

Constants come from the spec under test: the CLCW layout (``clcw_layout``), the USLP header values
of AD and BC frames (``uslp_ad_frame``, ``uslp_bc_frame``), the control commands, the sequence
modulus and the interoperability sizes. Window widths and transmission limits stay within what the
ICS declares. Time is simulated: every FOP-1 call passes ``now``.

The product is an adversary: nothing it returns is trusted. A frame that does not parse, a CLCW
that is not a CLCW, a count that does not add up, all fail the requirement concerned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from orbitcert.conformance import inconclusive
from orbitcert.reference_impl.frames import parse_uslp_primary_header
from orbitcert.reference_impl.optical import cop1 as ref
from orbitcert.reference_impl.optical.channel import GilbertElliott, LossyLink
from orbitcert.specs import Ics, Spec

SCID, VCID, MAP_ID = 0x2A5, 9, 3
#: The interoperability channel: Gilbert-Elliott, good->bad 0.02, bad->good 0.2 (mean burst 5
#: frames), loss 2 % in the good state and 100 % in the bad state: long-run loss 10.9 %.
CHANNEL = GilbertElliott(p_gb=0.02, p_bg=0.2, loss_good=0.02, loss_bad=1.0)
#: Simulated seconds per harness step, T1 in steps, SDUs offered per step at most.
STEP = 1.0
T1_STEPS = 3.0
#: Delivered-SDU marks at which the harness drains the link and injects a stray frame in the
#: FARM's lockout area (to exercise lockout, the alert and Unlock).
LOCKOUT_EVERY = 3000
FOP_STATES = ("active", "retransmit-without-wait", "retransmit-with-wait", "initialising-without-bc",
              "initialising-with-bc", "initial")
#: Steps and frames without a delivery after which the link is declared stuck.
STALL_STEPS = 60
STALL_FRAMES = 400


# ---------------------------------------------------------------------------------------------
# Spec constants and harness-side decoders
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rel:
    """Constants of the spec under test for this class."""

    modulus: int
    ad: dict[str, int]
    bc: dict[str, int]
    unlock: bytes
    set_vr_prefix: bytes
    clcw_layout: list[tuple[str, int, int | None]]
    farm_b_modulus: int
    sdu_count: int
    min_loss: float
    interop_window: int
    refusal_rate: float
    max_timer_alerts: int
    fop_max_window: int
    farm_max_window: int
    max_limit: int


@pytest.fixture(scope="module")
def rel(spec: Spec, ics: Ics) -> Rel:
    p = spec.parameter
    return Rel(
        modulus=int(p("cop1_sequence_modulus")),
        ad=dict(p("uslp_ad_frame")),
        bc=dict(p("uslp_bc_frame")),
        unlock=bytes.fromhex(p("control_command_unlock")),
        set_vr_prefix=bytes.fromhex(p("control_command_set_vr_prefix")),
        clcw_layout=[(str(n), int(w), None if v is None else int(v)) for n, w, v in p("clcw_layout")],
        farm_b_modulus=int(p("farm_b_counter_modulus")),
        sdu_count=int(p("interop_sdu_count")),
        min_loss=float(p("interop_min_loss_rate")),
        interop_window=int(p("interop_window")),
        refusal_rate=float(p("interop_refusal_rate")),
        max_timer_alerts=int(p("interop_max_timer_alerts")),
        fop_max_window=int(ics.items.get("cop1_fop_max_window", 255)),
        farm_max_window=int(ics.items.get("cop1_farm_max_window", 254)),
        max_limit=int(ics.items.get("cop1_max_transmission_limit", 255)),
    )


def clcw_fields(rel: Rel, word: Any) -> dict[str, int]:
    """The CLCW ``word`` decoded by the spec's ``clcw_layout`` alone; asserts its length and fixed fields."""
    assert isinstance(word, bytes), f"CLCW is {type(word).__name__}, not bytes"
    width = sum(w for _, w, _ in rel.clcw_layout)
    assert len(word) * 8 == width, f"CLCW is {len(word)} octets, not {width // 8}"
    value, shift, out = int.from_bytes(word, "big"), width, {}
    for name, w, fixed in rel.clcw_layout:
        shift -= w
        out[name] = (value >> shift) & ((1 << w) - 1)
        if fixed is not None:
            assert out[name] == fixed, f"CLCW field {name} is {out[name]}, the spec fixes it to {fixed} ({word.hex()})"
    return out


def make_clcw(rel: Rel, nr: int, *, lockout: bool = False, wait: bool = False, retransmit: bool = False,
              vcid: int = VCID, farm_b: int = 0) -> bytes:
    """A CLCW built from the spec's ``clcw_layout`` (fixed fields at their values)."""
    given = {"virtual_channel_id": vcid, "lockout": int(lockout), "wait": int(wait),
             "retransmit": int(retransmit), "farm_b_counter": farm_b, "report_value": nr % rel.modulus}
    value, width = 0, 0
    for name, w, fixed in rel.clcw_layout:
        value = (value << w) | ((fixed if fixed is not None else given.get(name, 0)) & ((1 << w) - 1))
        width += w
    return value.to_bytes(width // 8, "big")


@dataclass(frozen=True)
class Frame:
    kind: str
    ns: int | None
    data: bytes
    raw: bytes


def read_frame(rel: Rel, raw: Any, kind: str | None = None) -> Frame:
    """A frame the product transmitted, checked against the profile (spec ``uslp_ad_frame`` /
    ``uslp_bc_frame``) with the construct USLP header declaration and the reference parser."""
    assert isinstance(raw, bytes), f"frame is {type(raw).__name__}, not bytes"
    try:
        parsed = ref.parse_frame(raw)
    except ValueError as exc:
        raise AssertionError(f"frame {raw[:16].hex()}...: not a frame of the profile ({exc})") from None
    # The header fields other than the frame length and the VC frame count are the same in every
    # frame of a kind: parse (construct) and check each distinct one once.
    key = raw[:4] + raw[6:7] + (raw[7 + (raw[6] & 7) : 8 + (raw[6] & 7)] if len(raw) > 8 + (raw[6] & 7) else b"")
    if key in _CHECKED_HEADERS and kind is None:
        return Frame(parsed.kind, parsed.ns, parsed.data, raw)
    try:
        header = parse_uslp_primary_header(raw)
    except ValueError as exc:
        raise AssertionError(f"frame {raw[:16].hex()}...: not a frame of the profile ({exc})") from None
    assert (header.spacecraft_id, header.virtual_channel_id, header.map_id) == (SCID, VCID, MAP_ID), (
        f"frame for SCID {header.spacecraft_id} VCID {header.virtual_channel_id} MAP {header.map_id}, "
        f"configured {SCID}/{VCID}/{MAP_ID}"
    )
    profile = rel.ad if parsed.kind == "ad" else rel.bc
    for name in ("bypass_sequence_control_flag", "protocol_control_command_flag", "ocf_flag", "vc_frame_count_length"):
        assert int(getattr(header, name)) == int(profile[name]), f"{parsed.kind} frame: {name} is {int(getattr(header, name))}, not {profile[name]}"
    tfdf = raw[header.length]
    assert tfdf >> 5 == profile["tfdz_construction_rule"] and tfdf & 0x1F == profile["upid"], (
        f"{parsed.kind} frame: TFDF header {tfdf:08b}, expected rule {profile['tfdz_construction_rule']:03b} UPID {profile['upid']:05b}"
    )
    if kind is not None:
        assert parsed.kind == kind, f"expected a {kind.upper()} frame, got {parsed.kind.upper()}"
    _CHECKED_HEADERS.add(key)
    return Frame(parsed.kind, parsed.ns, parsed.data, raw)


_CHECKED_HEADERS: set[bytes] = set()


def sdus_for(n: int, seed: int, start: int = 0) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return [i.to_bytes(4, "big") + rng.integers(0, 256, int(rng.integers(0, 12)), dtype=np.uint8).tobytes() for i in range(start, start + n)]


def fop_config(window: int, limit: int, timeout: float) -> dict[str, Any]:
    return {"scid": SCID, "vcid": VCID, "map_id": MAP_ID, "window": window, "transmission_limit": limit, "timeout": timeout}


def step(iut: Any, rel: Rel, now: float, clcws: Sequence[bytes] = (), sdus: Sequence[bytes] = ()) -> dict[str, Any]:
    """One ``fop_step``, its result checked for shape and its frames parsed."""
    result = iut.fop_step(now, list(clcws), list(sdus))
    assert isinstance(result, dict), f"fop_step returned {type(result).__name__}"
    r = dict(result)  # the harness's own copy
    acc = r.get("accepted")
    assert isinstance(acc, int) and not isinstance(acc, bool) and 0 <= acc <= len(sdus), f"accepted {acc!r} of {len(sdus)} offered"
    frames = r.get("frames")
    assert isinstance(frames, list), "frames is not a list"
    r["parsed"] = [read_frame(rel, f) for f in frames]
    return r


def ad_ns(r: dict[str, Any]) -> list[int | None]:
    return [f.ns for f in r["parsed"] if f.kind == "ad"]


def farm_config(window: int) -> dict[str, Any]:
    return {"scid": SCID, "vcid": VCID, "window": window}


def ad(rel: Rel, ns: int, sdu: bytes, *, scid: int = SCID, vcid: int = VCID) -> bytes:
    """A Type-AD frame of the profile (the harness's transmitter)."""
    return ref.build_ad_frame(scid, vcid, MAP_ID, ns % rel.modulus, sdu)


def bc(rel: Rel, command: bytes) -> bytes:
    return ref.build_bc_frame(SCID, VCID, MAP_ID, command)


def receive(iut: Any, rel: Rel, frames: Sequence[bytes], buffer_available: bool = True) -> tuple[list[bytes], dict[str, int]]:
    r = iut.farm_receive(list(frames), buffer_available)
    assert isinstance(r, dict), f"farm_receive returned {type(r).__name__}"
    delivered = r.get("delivered")
    assert isinstance(delivered, list) and all(isinstance(d, bytes) for d in delivered), "delivered is not a list of bytes"
    return delivered, clcw_fields(rel, r.get("clcw"))


def farm_window(rel: Rel, wanted: int = 10) -> int:
    """The even FARM window closest to ``wanted`` within the ICS (at least 2)."""
    w = max(2, min(wanted, rel.farm_max_window))
    return w - w % 2


# ---------------------------------------------------------------------------------------------
# FOP-1
# ---------------------------------------------------------------------------------------------


@pytest.mark.requirement("OISL-REL-001")
def test_fop_sends_each_sdu_once_with_ns_equal_vs(iut: Any, rel: Rel) -> None:
    """600 SDUs in batches, each batch acknowledged: N(S) runs 0, 1, ... through the wrap at 256,
    each SDU exactly once, unaltered, in order, in a Type-AD frame of the profile."""
    window = min(16, rel.fop_max_window)
    iut.fop_start(fop_config(window, min(3, rel.max_limit), 1000.0))
    sdus = sdus_for(600, seed=1)
    sent: list[Frame] = []
    nxt, now = 0, 0.0
    clcws: list[bytes] = []
    while nxt < len(sdus):
        r = step(iut, rel, now, clcws, sdus[nxt : nxt + window])
        assert r["accepted"] == len([f for f in r["parsed"] if f.kind == "ad"]), (
            f"accepted {r['accepted']} SDUs but transmitted {len(r['parsed'])} frames"
        )
        assert r["accepted"] > 0, f"FOP-1 accepted nothing with the window empty (state {r['state']}, alert {r['alert']})"
        for f in r["parsed"]:
            assert f.kind == "ad", "a BC frame in normal AD service"
        sent += r["parsed"]
        nxt += r["accepted"]
        assert r["vs"] == nxt % rel.modulus, f"V(S) reported {r['vs']} after {nxt} frames"
        clcws = [make_clcw(rel, nxt)]
        now += 1.0
    assert [f.ns for f in sent] == [i % rel.modulus for i in range(len(sdus))], "N(S) is not V(S) incremented modulo 256"
    assert [f.data for f in sent] == sdus, "SDUs altered, repeated or reordered"


@pytest.mark.requirement("OISL-REL-002")
@pytest.mark.parametrize(
    "k", [pytest.param(k, id=f"K{k}", marks=pytest.mark.applies_if(f"cop1_fop_max_window >= {k}")) for k in (1, 7, 64, 255)]
)
def test_fop_sliding_window(iut: Any, rel: Rel, k: int) -> None:
    iut.fop_start(fop_config(k, min(5, rel.max_limit), 1000.0))
    sdus = sdus_for(3 * k + 5, seed=2)
    nxt, acked, now = 0, 0, 0.0
    for ack_by in [0, 0, max(1, k // 3), 0, k, 1, 0]:
        acked = min(acked + ack_by, nxt)
        r = step(iut, rel, now, [make_clcw(rel, acked)] if now else [], sdus[nxt : nxt + k + 3])
        nxt += r["accepted"]
        outstanding = nxt - acked
        assert outstanding <= k, f"{outstanding} frames outstanding with K = {k} (acknowledged up to {acked})"
        assert ad_ns(r) == [i % rel.modulus for i in range(nxt - r["accepted"], nxt)], "new frames are not the next N(S) values"
        now += 1.0
    assert nxt >= k, f"FOP-1 never filled its window of {k} (transmitted {nxt})"


@pytest.mark.requirement("OISL-REL-003")
@pytest.mark.applies_if("cop1_max_transmission_limit >= 2")
def test_fop_acknowledgement_and_retransmit_flag(iut: Any, rel: Rel) -> None:
    """n frames out; a CLCW acknowledging half without the retransmit flag (no frame); one with
    the flag (everything from N(R) retransmitted, E8/E10, state S2); the same again (E10 in S2:
    nothing); all acknowledged (S1); new frames; the flag again (E8/E10 in S1)."""
    k = min(20, rel.fop_max_window)
    n = min(10, k)
    iut.fop_start(fop_config(k, min(5, rel.max_limit), 1000.0))
    sdus = sdus_for(n + 2, seed=3)
    r = step(iut, rel, 0.0, [], sdus[:n])
    assert ad_ns(r) == list(range(n))
    a = n // 2
    r = step(iut, rel, 1.0, [make_clcw(rel, a)])
    assert r["parsed"] == [] and r["state"] == "active", f"a CLCW without retransmit flag caused {len(r['parsed'])} frames / state {r['state']}"
    b = min(a + 1, n - 1)
    r = step(iut, rel, 2.0, [make_clcw(rel, b, retransmit=True)])
    assert ad_ns(r) == list(range(b, n)), f"retransmit flag with N(R) = {b}: retransmitted {ad_ns(r)}, expected {b}..{n - 1}"
    assert [f.data for f in r["parsed"]] == sdus[b:n], "retransmitted frames carry other SDUs"
    assert r["state"] == "retransmit-without-wait", f"state {r['state']} after the retransmit report"
    r = step(iut, rel, 3.0, [make_clcw(rel, b, retransmit=True)])
    assert r["parsed"] == [], f"the same retransmit report again retransmitted {ad_ns(r)} (E10 in S2 is ignored)"
    r = step(iut, rel, 4.0, [make_clcw(rel, n)], sdus[n:])
    assert r["state"] == "active", f"state {r['state']} after all frames acknowledged"
    m = r["accepted"]
    assert m >= 1 and ad_ns(r) == list(range(n, n + m)), f"after the acknowledgement: new N(S) {ad_ns(r)}"
    r = step(iut, rel, 5.0, [make_clcw(rel, n, retransmit=True)])
    assert ad_ns(r) == list(range(n, n + m)), f"retransmit flag with N(R) = {n} in state active: retransmitted {ad_ns(r)}"


@pytest.mark.requirement("OISL-REL-004")
@pytest.mark.applies_if("cop1_max_transmission_limit >= 2")
def test_fop_t1_retransmission_and_limit(iut: Any, rel: Rel) -> None:
    limit = min(3, rel.max_limit)
    iut.fop_start(fop_config(min(8, rel.fop_max_window), limit, 10.0))
    sdus = sdus_for(min(2, rel.fop_max_window), seed=4)
    r = step(iut, rel, 0.0, [], sdus)
    first = [f.raw for f in r["parsed"]]
    assert len(first) == len(sdus), f"{len(first)} frames for {len(sdus)} SDUs within the window"
    r = step(iut, rel, 9.5)
    assert r["parsed"] == [], "retransmitted before T1 expired"
    transmissions = 1
    now = 10.5
    while transmissions < limit:
        r = step(iut, rel, now)
        assert [f.raw for f in r["parsed"]] == first, (
            f"T1 expiry {transmissions} at t={now}: expected all frames retransmitted, got N(S) {ad_ns(r)}"
        )
        assert r["alert"] is None, f"alert {r['alert']} after {transmissions} transmissions (limit {limit})"
        transmissions += 1
        r = step(iut, rel, now + 5.0)
        assert r["parsed"] == [], "retransmitted before T1 expired again (T1 restarted at the retransmission)"
        now += 10.5
    r = step(iut, rel, now)
    assert r["alert"] == "t1" and r["state"] == "initial", (
        f"after {limit} transmissions T1 expired: alert {r['alert']!r}, state {r['state']!r}; expected 't1', 'initial' (E17)"
    )
    assert r["parsed"] == [], "frames transmitted at the alert"
    r = step(iut, rel, now + 50.0, [], sdus_for(1, seed=5))
    assert r["parsed"] == [] and r["accepted"] == 0, "AD frames after the alert, in state initial"


@pytest.mark.requirement("OISL-REL-004")
def test_fop_limit_one_retransmit_flag_alerts_limit(iut: Any, rel: Rel) -> None:
    iut.fop_start(fop_config(min(8, rel.fop_max_window), 1, 10.0))
    step(iut, rel, 0.0, [], sdus_for(3, seed=6))
    r = step(iut, rel, 1.0, [make_clcw(rel, 0, retransmit=True)])
    assert r["alert"] == "limit" and r["state"] == "initial", f"alert {r['alert']!r}, state {r['state']!r}; expected 'limit', 'initial' (E102)"
    assert r["parsed"] == [], "retransmitted beyond Transmission_Limit 1"


@pytest.mark.requirement("OISL-REL-005")
def test_fop_lockout_alert(iut: Any, rel: Rel) -> None:
    iut.fop_start(fop_config(min(8, rel.fop_max_window), min(3, rel.max_limit), 5.0))
    step(iut, rel, 0.0, [], sdus_for(3, seed=7))
    r = step(iut, rel, 1.0, [make_clcw(rel, 1, lockout=True)], sdus_for(2, seed=8))
    assert r["alert"] == "lockout" and r["state"] == "initial", f"alert {r['alert']!r}, state {r['state']!r} on a lockout CLCW (E14)"
    assert r["parsed"] == [] and r["accepted"] == 0, "AD frames sent in the step of the lockout"
    for now in (2.0, 6.5, 20.0):
        r = step(iut, rel, now, [make_clcw(rel, 1, lockout=True)], sdus_for(2, seed=9))
        assert r["parsed"] == [] and r["accepted"] == 0, f"t={now}: AD frames sent while AD service is not initiated"


def _to_initial(iut: Any, rel: Rel, n: int, window: int = 8, limit: int = 3) -> int:
    """Start, send up to ``n`` frames, acknowledge them all (NN(R) = V(S), so that the CLCW
    confirming a later Unlock is event E1 of table 5-1), lock out; returns V(S)."""
    iut.fop_start(fop_config(min(window, rel.fop_max_window), min(limit, rel.max_limit), 5.0))
    sent = int(step(iut, rel, 0.0, [], sdus_for(n, seed=10))["accepted"]) if n else 0
    r = step(iut, rel, 0.25, [make_clcw(rel, sent)])
    assert r["state"] == "active" and r["alert"] is None, f"state {r['state']}, alert {r['alert']!r} after all frames acknowledged"
    r = step(iut, rel, 0.5, [make_clcw(rel, sent, lockout=True)])
    assert r["state"] == "initial", f"state {r['state']} after a lockout CLCW"
    return sent


@pytest.mark.requirement("OISL-REL-006")
def test_fop_unlock_directive(iut: Any, rel: Rel) -> None:
    vs = _to_initial(iut, rel, 4)
    d = iut.fop_directive(1.0, "unlock", 0)
    assert d["state"] == "initialising-with-bc", f"state {d['state']} after Initiate AD with Unlock (E25)"
    frames = [read_frame(rel, f, "bc") for f in d["frames"]]
    assert len(frames) == 1 and frames[0].data == rel.unlock, f"BC frames {[f.data.hex() for f in frames]}, expected one Unlock {rel.unlock.hex()}"
    if rel.max_limit >= 2:  # with Transmission_Limit 1 the T1 expiry is the alert (E17)
        r = step(iut, rel, 6.5)
        assert [f.raw for f in r["parsed"]] == [frames[0].raw], "the BC frame was not retransmitted on T1 expiry (E16 in S5)"
    r = step(iut, rel, 7.0, [make_clcw(rel, vs)], sdus_for(1, seed=11, start=4))
    assert r["state"] == "active", f"state {r['state']} after the CLCW confirming the Unlock (E1 in S5)"
    assert ad_ns(r) == [vs], f"AD service resumed with N(S) {ad_ns(r)}, expected [{vs}]"


@pytest.mark.requirement("OISL-REL-006")
def test_fop_set_vr_directive(iut: Any, rel: Rel) -> None:
    vs = _to_initial(iut, rel, 2)
    d = iut.fop_directive(1.0, "set_vr", 200)
    frames = [read_frame(rel, f, "bc") for f in d["frames"]]
    expected = rel.set_vr_prefix + bytes([200])
    assert len(frames) == 1 and frames[0].data == expected, f"BC frames {[f.data.hex() for f in frames]}, expected Set V(R) {expected.hex()}"
    assert d["state"] == "initialising-with-bc"
    r = step(iut, rel, 2.0, [make_clcw(rel, vs)])
    assert r["state"] == "initialising-with-bc" and r["parsed"] == [], "a CLCW with N(R) != V(S) confirmed the Set V(R)"
    if rel.max_limit >= 2:  # with Transmission_Limit 1 the T1 expiry is the alert (E17)
        r = step(iut, rel, 6.5)
        assert [f.raw for f in r["parsed"]] == [frames[0].raw], (
            f"T1 expiry in initialising-with-bc: transmitted {[f.data.hex() for f in r['parsed']]}, expected the same Set V(R) BC frame"
        )
    r = step(iut, rel, 7.0, [make_clcw(rel, 200, farm_b=1)], sdus_for(1, seed=12))
    assert r["state"] == "active", f"state {r['state']} after the CLCW confirming Set V(R) = 200"
    assert ad_ns(r) == [200] and r["vs"] == 201, f"N(S) {ad_ns(r)} after Set V(R) = 200"


@pytest.mark.requirement("OISL-REL-006")
def test_fop_directive_outside_initial_is_rejected(iut: Any, rel: Rel) -> None:
    iut.fop_start(fop_config(min(8, rel.fop_max_window), min(3, rel.max_limit), 5.0))
    n = step(iut, rel, 0.0, [], sdus_for(2, seed=13))["accepted"]
    d = iut.fop_directive(1.0, "set_vr", 77)
    assert d["frames"] == [] and d["state"] == "active", "Initiate AD service accepted in state active (E27 is rejected in S1)"
    r = step(iut, rel, 2.0, [make_clcw(rel, n)], sdus_for(1, seed=14))
    assert ad_ns(r) == [n], "a rejected directive changed V(S)"


@pytest.mark.requirement("OISL-REL-007")
@pytest.mark.parametrize("ahead", [True, False])
def test_fop_invalid_nr_alert(iut: Any, rel: Rel, ahead: bool) -> None:
    iut.fop_start(fop_config(min(8, rel.fop_max_window), min(3, rel.max_limit), 5.0))
    n = step(iut, rel, 0.0, [], sdus_for(5, seed=15))["accepted"]
    a = n // 2
    step(iut, rel, 0.5, [make_clcw(rel, a)])
    nr = n + 4 if ahead else 250
    r = step(iut, rel, 1.0, [make_clcw(rel, nr)])
    assert r["alert"] == "nn_r" and r["state"] == "initial", f"N(R) = {nr} outside [{a}, {n}]: alert {r['alert']!r}, state {r['state']!r} (E13)"
    assert r["parsed"] == [] and r["vs"] == n, f"frames {ad_ns(r)} / V(S) {r['vs']} changed by the invalid CLCW"


# -- targeted FOP-1 transitions of table 5-1 ----------------------------------------------------


def _send(iut: Any, rel: Rel, n: int, *, window: int = 20, limit: int = 5, timeout: float = 1000.0, seed: int = 50) -> list[bytes]:
    """Start FOP-1 and transmit ``n`` new frames N(S) = 0..n-1 at t = 0; returns their SDUs."""
    iut.fop_start(fop_config(min(window, rel.fop_max_window), min(limit, rel.max_limit), timeout))
    sdus = sdus_for(n, seed=seed)
    r = step(iut, rel, 0.0, [], sdus)
    assert ad_ns(r) == list(range(n)), f"{n} SDUs offered with the window empty: transmitted N(S) {ad_ns(r)}"
    return sdus


@pytest.mark.requirement("OISL-REL-003")
@pytest.mark.applies_if("cop1_max_transmission_limit >= 2")
@pytest.mark.applies_if("cop1_fop_max_window >= 4")
def test_fop_wait_flag(iut: Any, rel: Rel) -> None:
    """Retransmit and wait set (E9, then E11): no frame, state retransmit-with-wait, no new SDU
    accepted (E19 waits); wait cleared (E10 in S3): everything from N(R) retransmitted, S2."""
    n = min(10, rel.fop_max_window)
    sdus = _send(iut, rel, n)
    a = n // 2
    for now in (1.0, 2.0):
        r = step(iut, rel, now, [make_clcw(rel, a, retransmit=True, wait=True)], sdus_for(2, seed=51, start=n))
        assert r["parsed"] == [] and r["accepted"] == 0, (
            f"CLCW N(R) = {a} with retransmit and wait set: transmitted N(S) {ad_ns(r)}, accepted {r['accepted']} (E9/E11: wait)"
        )
        assert r["state"] == "retransmit-with-wait", f"state {r['state']} with the wait flag set (E9/E11)"
    r = step(iut, rel, 3.0, [make_clcw(rel, a, retransmit=True)])
    assert ad_ns(r) == list(range(a, n)) and [f.data for f in r["parsed"]] == sdus[a:], (
        f"wait cleared, retransmit set, N(R) = {a}: retransmitted {ad_ns(r)}, expected {a}..{n - 1} (E10 in S3)"
    )
    assert r["state"] == "retransmit-without-wait", f"state {r['state']} after the retransmission (E10 in S3)"


@pytest.mark.requirement("OISL-REL-003")
@pytest.mark.applies_if("cop1_max_transmission_limit >= 2")
@pytest.mark.applies_if("cop1_fop_max_window >= 4")
def test_fop_partial_ack_in_retransmit_state(iut: Any, rel: Rel) -> None:
    """In retransmit-without-wait, a CLCW acknowledging more without the flag returns to active
    (E6), where the flag with N(R) = NN(R) retransmits again (E10 in S1)."""
    n = min(10, rel.fop_max_window)
    _send(iut, rel, n)
    r = step(iut, rel, 1.0, [make_clcw(rel, 1, retransmit=True)])
    assert ad_ns(r) == list(range(1, n)) and r["state"] == "retransmit-without-wait", f"E8: {ad_ns(r)}, state {r['state']}"
    c = n // 2
    r = step(iut, rel, 2.0, [make_clcw(rel, c)])
    assert r["parsed"] == [] and r["state"] == "active", f"partial acknowledgement N(R) = {c} in S2: state {r['state']} (E6: active)"
    r = step(iut, rel, 3.0, [make_clcw(rel, c, retransmit=True)])
    assert ad_ns(r) == list(range(c, n)), f"retransmit flag with N(R) = NN(R) = {c} in state active: retransmitted {ad_ns(r)} (E10 in S1)"


@pytest.mark.requirement("OISL-REL-003")
@pytest.mark.applies_if("cop1_max_transmission_limit >= 2")
@pytest.mark.applies_if("cop1_fop_max_window >= 4")
def test_fop_retransmissions_before_new_frames(iut: Any, rel: Rel) -> None:
    """A retransmit-flag CLCW and new SDUs in one step: the retransmissions first, in N(S) order,
    then the new frames (5.2.6 Look for FDU serves To_Be_Retransmitted frames first)."""
    k = min(20, rel.fop_max_window)
    n = min(10, k - 3)
    _send(iut, rel, n, window=k)
    b = n // 2
    extra = min(3, k - (n - b))
    r = step(iut, rel, 1.0, [make_clcw(rel, b, retransmit=True)], sdus_for(extra, seed=52, start=n))
    assert r["accepted"] == extra, f"accepted {r['accepted']} of {extra} SDUs with {n - b} of K = {k} frames outstanding"
    assert ad_ns(r) == list(range(b, n)) + list(range(n, n + extra)), (
        f"frames of the step N(S) {ad_ns(r)}: expected the retransmissions {b}..{n - 1} then the new {n}..{n + extra - 1}"
    )


@pytest.mark.requirement("OISL-REL-004")
@pytest.mark.applies_if("cop1_max_transmission_limit >= 2")
def test_fop_retransmit_flag_at_the_limit(iut: Any, rel: Rel) -> None:
    """Transmission_Limit 2 reached by one T1 retransmission: a retransmit flag with N(R) = NN(R)
    retransmits nothing (E12)."""
    _send(iut, rel, min(3, rel.fop_max_window), limit=2, timeout=10.0)
    r = step(iut, rel, 10.5)
    assert ad_ns(r) == list(range(min(3, rel.fop_max_window))), f"T1 expiry: retransmitted {ad_ns(r)}"
    r = step(iut, rel, 11.0, [make_clcw(rel, 0, retransmit=True)])
    assert r["parsed"] == [], f"retransmit flag with Transmission_Count = Transmission_Limit = 2: retransmitted {ad_ns(r)} (E12)"


@pytest.mark.requirement("OISL-REL-004")
def test_fop_limit_one_partial_ack_with_flag_alerts_limit(iut: Any, rel: Rel) -> None:
    """Transmission_Limit 1, a retransmit flag with N(R) != NN(R): alert "limit" (E101)."""
    _send(iut, rel, min(3, rel.fop_max_window), limit=1, timeout=10.0)
    nr = min(1, min(3, rel.fop_max_window) - 1)
    r = step(iut, rel, 1.0, [make_clcw(rel, nr, retransmit=True)])
    assert r["alert"] == "limit" and r["state"] == "initial", f"alert {r['alert']!r}, state {r['state']!r}; expected 'limit', 'initial' (E101/E102)"
    assert r["parsed"] == [], "retransmitted beyond Transmission_Limit 1"


@pytest.mark.requirement("OISL-REL-004")
@pytest.mark.applies_if("cop1_max_transmission_limit >= 2")
@pytest.mark.applies_if("cop1_fop_max_window >= 3")
def test_fop_transmission_count_reset_on_ack(iut: Any, rel: Rel) -> None:
    """Limit 2: one T1 retransmission, then a partial acknowledgement resets Transmission_Count
    to 1 (5.2.7), so the next T1 expiry retransmits the rest instead of raising "t1"."""
    _send(iut, rel, 3, limit=2, timeout=10.0)
    assert ad_ns(step(iut, rel, 10.5)) == [0, 1, 2]
    r = step(iut, rel, 12.0, [make_clcw(rel, 1)])
    assert r["parsed"] == [] and r["alert"] is None
    r = step(iut, rel, 22.5)
    assert r["alert"] is None and ad_ns(r) == [1, 2], (
        f"T1 expiry after a partial acknowledgement: alert {r['alert']!r}, retransmitted {ad_ns(r)}; expected [1, 2] "
        "(Transmission_Count reset to 1 when frames are acknowledged, 5.2.7)"
    )


@pytest.mark.requirement("OISL-REL-004")
@pytest.mark.applies_if("cop1_fop_max_window >= 2")
@pytest.mark.applies_if("cop1_max_transmission_limit >= 2")
def test_fop_t1_restarted_by_new_frames(iut: Any, rel: Rel) -> None:
    """T1 = 10 s: a frame at t = 0 and another at t = 8: no expiry at 10.5, both retransmitted at 18.5."""
    sdus = _send(iut, rel, 1, timeout=10.0)
    more = sdus_for(1, seed=53, start=1)
    assert ad_ns(step(iut, rel, 8.0, [], more)) == [1]
    r = step(iut, rel, 10.5)
    assert r["parsed"] == [], f"T1 expired at 10.5 s although a frame was transmitted at 8 s: retransmitted {ad_ns(r)}"
    r = step(iut, rel, 18.5)
    assert [f.data for f in r["parsed"]] == sdus + more, f"T1 expiry at 18.5 s: retransmitted {ad_ns(r)}, expected [0, 1]"


@pytest.mark.requirement("OISL-REL-004")
def test_fop_t1_cancelled_when_all_acknowledged(iut: Any, rel: Rel) -> None:
    """All frames acknowledged (E2): Timer T1 is cancelled; nothing happens however long the link idles."""
    n = min(2, rel.fop_max_window)
    _send(iut, rel, n, limit=2, timeout=10.0)
    step(iut, rel, 1.0, [make_clcw(rel, n)])
    for now in (11.0, 22.0, 33.0, 100.0):
        r = step(iut, rel, now)
        assert r["parsed"] == [] and r["alert"] is None and r["state"] == "active", (
            f"idle link with everything acknowledged, t = {now}: frames {ad_ns(r)}, alert {r['alert']!r}, state {r['state']}"
        )


@pytest.mark.requirement("OISL-REL-005")
def test_fop_alert_purges_the_sent_queue(iut: Any, rel: Rel) -> None:
    """K frames unacknowledged, lockout (alert), Set V(R) = V(S) confirmed: the Sent_Queue is
    empty, so K new SDUs are accepted at once (5.2.15, 5.2.14)."""
    k = min(8, rel.fop_max_window)
    _send(iut, rel, k, window=k)
    r = step(iut, rel, 1.0, [make_clcw(rel, 0, lockout=True)])
    assert r["state"] == "initial"
    d = iut.fop_directive(2.0, "set_vr", k)
    assert d["state"] == "initialising-with-bc", f"state {d['state']} after Initiate AD with Set V(R)"
    r = step(iut, rel, 3.0, [make_clcw(rel, k)], sdus_for(k, seed=54, start=k))
    assert r["state"] == "active" and r["accepted"] == k and ad_ns(r) == [(k + i) % rel.modulus for i in range(k)], (
        f"after the alert and Set V(R) = {k}: state {r['state']}, accepted {r['accepted']} of K = {k} (N(S) {ad_ns(r)}): "
        "the alert did not purge the Sent_Queue"
    )


@pytest.mark.requirement("OISL-REL-006")
def test_fop_initialising_with_bc(iut: Any, rel: Rel) -> None:
    """In initialising-with-bc: no AD frame for offered SDUs (E19 waits), a CLCW with the lockout
    flag does not confirm the Unlock, a directive is rejected; T1 expiries retransmit the BC frame
    until Transmission_Limit transmissions, then alert "t1" (E17)."""
    limit = min(3, rel.max_limit)
    vs = _to_initial(iut, rel, 2, limit=limit)
    d = iut.fop_directive(1.0, "unlock", 0)
    unlock = [read_frame(rel, f, "bc") for f in d["frames"]]
    assert len(unlock) == 1
    r = step(iut, rel, 1.5, [make_clcw(rel, vs, lockout=True)], sdus_for(2, seed=55, start=vs))
    assert r["parsed"] == [] and r["accepted"] == 0, f"in initialising-with-bc: transmitted N(S) {ad_ns(r)}, accepted {r['accepted']}"
    assert r["state"] == "initialising-with-bc", f"a CLCW with the lockout flag set confirmed the Unlock (state {r['state']})"
    d = iut.fop_directive(2.0, "set_vr", 9)
    assert d["frames"] == [] and d["state"] == "initialising-with-bc", "Initiate AD service accepted in initialising-with-bc"
    now, transmissions = 6.5, 1
    while transmissions < limit:
        r = step(iut, rel, now)
        assert [f.raw for f in r["parsed"]] == [unlock[0].raw] and r["alert"] is None, (
            f"T1 expiry {transmissions}: transmitted {[f.kind for f in r['parsed']]}, alert {r['alert']!r}; expected the same Unlock"
        )
        transmissions += 1
        now += 5.5
    r = step(iut, rel, now)
    assert r["alert"] == "t1" and r["state"] == "initial" and r["parsed"] == [], (
        f"BC frame transmitted {limit} times, T1 expired: alert {r['alert']!r}, state {r['state']!r}, {len(r['parsed'])} frames (E17)"
    )


@pytest.mark.requirement("OISL-REL-006")
@pytest.mark.applies_if("cop1_max_transmission_limit >= 2")
def test_fop_directive_rejected_in_retransmit_state(iut: Any, rel: Rel) -> None:
    n = min(3, rel.fop_max_window)
    _send(iut, rel, n)
    r = step(iut, rel, 1.0, [make_clcw(rel, 0, retransmit=True)])
    assert r["state"] == "retransmit-without-wait"
    for directive in ("unlock", "set_vr"):
        d = iut.fop_directive(2.0, directive, 77)
        assert d["frames"] == [] and d["state"] == "retransmit-without-wait", (
            f"Initiate AD service ({directive}) accepted in retransmit-without-wait (E25/E27 rejected in S2)"
        )


@pytest.mark.requirement("OISL-REL-007")
@pytest.mark.applies_if("cop1_fop_max_window >= 10")
def test_fop_acknowledgement_across_the_wrap(iut: Any, rel: Rel) -> None:
    """NN(R) = 250, V(S) = 4: N(R) = 1 is in range modulo 256 (frees 250..0, no alert); N(R) = 5 is not."""
    k = min(64, rel.fop_max_window)
    iut.fop_start(fop_config(k, min(3, rel.max_limit), 1000.0))
    sent, now = 0, 0.0
    clcws: list[bytes] = []
    while sent < 250:
        r = step(iut, rel, now, clcws, sdus_for(min(k, 250 - sent), seed=56, start=sent))
        sent += r["accepted"]
        clcws, now = [make_clcw(rel, sent)], now + 1.0
    r = step(iut, rel, now, clcws, sdus_for(10, seed=57))
    assert ad_ns(r) == [250, 251, 252, 253, 254, 255, 0, 1, 2, 3], f"N(S) across the wrap: {ad_ns(r)}"
    r = step(iut, rel, now + 1.0, [make_clcw(rel, 1)])
    assert r["alert"] is None and r["state"] == "active", f"N(R) = 1 with NN(R) = 250, V(S) = 4: alert {r['alert']!r}"
    r = step(iut, rel, now + 2.0, [make_clcw(rel, 1, retransmit=True)])
    assert ad_ns(r) == [1, 2, 3], f"after N(R) = 1 acknowledged 250..0, the retransmit flag retransmitted {ad_ns(r)}"
    r = step(iut, rel, now + 3.0, [make_clcw(rel, 5)])
    assert r["alert"] == "nn_r" and r["state"] == "initial", f"N(R) = 5 with V(S) = 4: alert {r['alert']!r}, state {r['state']!r}"


@pytest.mark.requirement("OISL-REL-007")
@pytest.mark.parametrize(
    ("case", "alert"),
    [("E3", "clcw"), ("E7", "clcw"), ("E4", "synch"),
     pytest.param("E5-in-S2", "synch", marks=pytest.mark.applies_if("cop1_max_transmission_limit >= 2"))],
)
@pytest.mark.applies_if("cop1_fop_max_window >= 3")
def test_fop_inconsistent_clcw_alerts(iut: Any, rel: Rel, case: str, alert: str) -> None:
    """Wait set with retransmit clear (E3, E7): alert "clcw"; N(R) = V(S) with the retransmit flag
    (E4), or N(R) = NN(R) without flags in retransmit-without-wait (E5 in S2): alert "synch"."""
    _send(iut, rel, 3)
    if case == "E5-in-S2":
        assert step(iut, rel, 0.5, [make_clcw(rel, 1, retransmit=True)])["state"] == "retransmit-without-wait"
    word = {"E3": make_clcw(rel, 3, wait=True), "E7": make_clcw(rel, 1, wait=True),
            "E4": make_clcw(rel, 3, retransmit=True), "E5-in-S2": make_clcw(rel, 1)}[case]
    r = step(iut, rel, 1.0, [word], sdus_for(1, seed=58, start=3))
    assert r["alert"] == alert and r["state"] == "initial", f"CLCW {word.hex()} ({case}): alert {r['alert']!r}, state {r['state']!r}; expected {alert!r}, 'initial'"
    assert r["parsed"] == [] and r["accepted"] == 0, "frames transmitted at the alert"


@pytest.mark.requirement("OISL-REL-007")
def test_fop_ignores_clcw_of_other_virtual_channel(iut: Any, rel: Rel) -> None:
    """A CLCW reporting another virtual channel is not for this FOP-1: lockout, an out-of-range
    N(R) or the retransmit flag in it change nothing."""
    n = min(3, rel.fop_max_window)
    _send(iut, rel, n)
    other = (VCID + 1) % 64
    for word in (make_clcw(rel, 0, lockout=True, vcid=other), make_clcw(rel, 200, vcid=other),
                 make_clcw(rel, 0, retransmit=True, vcid=other)):
        r = step(iut, rel, 1.0, [word])
        assert r["alert"] is None and r["state"] == "active" and r["parsed"] == [], (
            f"CLCW {word.hex()} of VC {other}: alert {r['alert']!r}, state {r['state']}, frames {ad_ns(r)}"
        )


# ---------------------------------------------------------------------------------------------
# FARM-1
# ---------------------------------------------------------------------------------------------


@pytest.mark.requirement("OISL-REL-008")
def test_farm_accepts_in_sequence(iut: Any, rel: Rel) -> None:
    iut.farm_start(farm_config(farm_window(rel, 64)))
    sdus = sdus_for(600, seed=20)
    got: list[bytes] = []
    for i in range(0, 600, 50):
        delivered, c = receive(iut, rel, [ad(rel, n, sdus[n]) for n in range(i, i + 50)])
        got += delivered
        assert c["report_value"] == (i + 50) % rel.modulus, f"N(R) {c['report_value']} after {i + 50} frames"
        assert not c["retransmit"] and not c["lockout"] and not c["wait"]
    assert got == sdus, "in-sequence SDUs not delivered exactly once in order"


@pytest.mark.requirement("OISL-REL-008")
def test_farm_discards_invalid_frames(iut: Any, rel: Rel) -> None:
    iut.farm_start(farm_config(farm_window(rel)))
    good = ad(rel, 0, b"payload")
    corrupted = good[:-3] + bytes([good[-3] ^ 0x10]) + good[-2:]
    others = [corrupted, ad(rel, 0, b"x", vcid=(VCID + 1) % 64), ad(rel, 0, b"y", scid=SCID + 1), good[:5], b""]
    delivered, c = receive(iut, rel, others)
    assert delivered == [] and c["report_value"] == 0, "a frame with a bad FECF or for another SCID/VCID was accepted"
    assert not c["lockout"] and not c["retransmit"], "an invalid frame changed the FARM flags (E9: discard only)"
    delivered, c = receive(iut, rel, [good])
    assert delivered == [b"payload"] and c["report_value"] == 1


@pytest.mark.requirement("OISL-REL-009")
@pytest.mark.applies_if("cop1_farm_max_window >= 4")
def test_farm_positive_window(iut: Any, rel: Rel) -> None:
    w = farm_window(rel)
    iut.farm_start(farm_config(w))
    sdus = sdus_for(4, seed=21)
    delivered, c = receive(iut, rel, [ad(rel, 2, sdus[2])])
    assert delivered == [], "an out-of-sequence frame in the positive window was delivered"
    assert c["retransmit"] == 1 and c["report_value"] == 0 and not c["lockout"], f"CLCW {c} after N(S) = 2 with V(R) = 0"
    delivered, c = receive(iut, rel, [ad(rel, w // 2 - 1, sdus[3])])
    assert delivered == [] and not c["lockout"], f"N(S) = PW - 1 = {w // 2 - 1} is in the positive window"
    delivered, c = receive(iut, rel, [ad(rel, 0, sdus[0]), ad(rel, 1, sdus[1])])
    assert delivered == sdus[:2] and c["report_value"] == 2 and c["retransmit"] == 0, f"CLCW {c} after the gap was filled"


@pytest.mark.requirement("OISL-REL-010")
def test_farm_negative_window(iut: Any, rel: Rel) -> None:
    w = farm_window(rel)
    iut.farm_start(farm_config(w))
    sdus = sdus_for(6, seed=22)
    receive(iut, rel, [ad(rel, n, sdus[n]) for n in range(5)])
    before = iut.farm_receive([], True)["clcw"]
    for ns in (4, 5 - w // 2):
        delivered, c = receive(iut, rel, [ad(rel, ns, sdus[0])])
        after = iut.farm_receive([], True)["clcw"]
        assert delivered == [] and after == before, f"N(S) = {ns % rel.modulus} in the negative window changed the CLCW {before.hex()} -> {after.hex()} or was delivered"
    delivered, c = receive(iut, rel, [ad(rel, 5, sdus[5])])
    assert delivered == [sdus[5]] and c["report_value"] == 6


@pytest.mark.requirement("OISL-REL-011")
@pytest.mark.parametrize("offset", [None, -1])
def test_farm_lockout(iut: Any, rel: Rel, offset: int | None) -> None:
    """N(S) just past the positive window (PW), or just before the negative window (-NW-1)."""
    w = farm_window(rel)
    iut.farm_start(farm_config(w))
    sdus = sdus_for(3, seed=23)
    ns = w // 2 if offset is None else -(w // 2) - 1
    delivered, c = receive(iut, rel, [ad(rel, ns, sdus[1])])
    assert delivered == [] and c["lockout"] == 1, f"N(S) = {ns % rel.modulus} outside both windows (W = {w}): lockout {c['lockout']}, delivered {len(delivered)}"
    delivered, c = receive(iut, rel, [ad(rel, 0, sdus[0]), ad(rel, 1, sdus[1])])
    assert delivered == [] and c["report_value"] == 0 and c["lockout"] == 1, "AD frames accepted in state lockout"
    delivered, c = receive(iut, rel, [bc(rel, rel.unlock), ad(rel, 0, sdus[0])])
    assert delivered == [sdus[0]] and c["lockout"] == 0 and c["report_value"] == 1, "Unlock did not reopen FARM-1"


@pytest.mark.requirement("OISL-REL-012")
def test_farm_control_commands(iut: Any, rel: Rel) -> None:
    w = farm_window(rel)
    iut.farm_start(farm_config(w))
    counter = 0
    for _ in range(5):
        _, c = receive(iut, rel, [bc(rel, rel.unlock)])
        counter = (counter + 1) % rel.farm_b_modulus
        assert c["farm_b_counter"] == counter, f"FARM-B counter {c['farm_b_counter']}, expected {counter} (modulo {rel.farm_b_modulus})"
    if w >= 4:
        receive(iut, rel, [ad(rel, 1, b"gap")])  # positive window: Retransmit set, cleared by Set V(R)
    _, c = receive(iut, rel, [bc(rel, rel.set_vr_prefix + bytes([77]))])
    counter = (counter + 1) % rel.farm_b_modulus
    assert c["report_value"] == 77 and c["retransmit"] == 0 and c["farm_b_counter"] == counter, f"after Set V(R) = 77: {c}"
    delivered, _ = receive(iut, rel, [ad(rel, 77, b"seventy-seven")])
    assert delivered == [b"seventy-seven"], "the frame N(S) = V(R) = 77 was not accepted after Set V(R)"
    _, c = receive(iut, rel, [ad(rel, 78 + 128, b"stray")])
    assert c["lockout"] == 1
    _, c = receive(iut, rel, [bc(rel, rel.set_vr_prefix + bytes([10]))])
    counter = (counter + 1) % rel.farm_b_modulus
    assert c["lockout"] == 1 and c["report_value"] == 78, f"Set V(R) executed in state lockout: {c}"
    assert c["farm_b_counter"] == counter, "a BC frame accepted in lockout was not counted"


@pytest.mark.requirement("OISL-REL-013")
def test_farm_wait(iut: Any, rel: Rel) -> None:
    iut.farm_start(farm_config(farm_window(rel)))
    sdus = sdus_for(3, seed=24)
    delivered, c = receive(iut, rel, [ad(rel, 0, sdus[0])], buffer_available=False)
    assert delivered == [] and c["wait"] == 1 and c["retransmit"] == 1 and c["report_value"] == 0, f"no buffer space: {c}, delivered {len(delivered)}"
    delivered, c = receive(iut, rel, [ad(rel, 0, sdus[0]), ad(rel, 0, sdus[0])], buffer_available=False)
    assert delivered == [] and c["wait"] == 1 and c["report_value"] == 0, "AD frames accepted in state wait"
    delivered, c = receive(iut, rel, [], buffer_available=True)
    assert c["wait"] == 0 and c["retransmit"] == 1, f"after the buffer release: {c} (Wait clear, Retransmit still set)"
    delivered, c = receive(iut, rel, [ad(rel, 0, sdus[0]), ad(rel, 1, sdus[1])])
    assert delivered == sdus[:2] and c["retransmit"] == 0 and c["report_value"] == 2


@pytest.mark.requirement("OISL-REL-014")
@pytest.mark.parametrize("vcid", [0, VCID, 63])
def test_clcw_layout(iut: Any, rel: Rel, vcid: int) -> None:
    w = farm_window(rel)
    iut.farm_start({"scid": SCID, "vcid": vcid, "window": w})

    def frame(ns: int) -> bytes:
        return ref.build_ad_frame(SCID, vcid, MAP_ID, ns % rel.modulus, b"c")

    cases: list[tuple[list[bytes], bool, dict[str, int]]] = [
        ([], True, {"report_value": 0, "lockout": 0, "wait": 0, "retransmit": 0, "farm_b_counter": 0}),
        ([frame(0), frame(1), frame(2)], True, {"report_value": 3, "lockout": 0, "wait": 0, "retransmit": 0}),
        ([frame(4)] if w >= 4 else [frame(2)], True, {"report_value": 3, "retransmit": int(w >= 4), "lockout": 0}),
        ([frame(3)], False, {"report_value": 3, "wait": 1, "retransmit": 1}),
        ([frame(3 + 128)], True, {"report_value": 3, "lockout": 1, "wait": 0}),
        ([ref.build_bc_frame(SCID, vcid, MAP_ID, rel.unlock)], True, {"lockout": 0, "wait": 0, "retransmit": 0, "farm_b_counter": 1}),
    ]
    for frames, buffer_ok, expected in cases:
        r = iut.farm_receive(frames, buffer_ok)
        c = clcw_fields(rel, r["clcw"])
        assert c["virtual_channel_id"] == vcid, f"CLCW VCID {c['virtual_channel_id']}, FARM-1 runs VC {vcid}"
        wrong = {k: (c[k], v) for k, v in expected.items() if c[k] != v}
        assert not wrong, f"CLCW {r['clcw'].hex()}: fields (found, expected) {wrong}"


# -- targeted FARM-1 transitions of table 6-1 ----------------------------------------------------


def bc_for(rel: Rel, command: bytes, *, scid: int = SCID, vcid: int = VCID) -> bytes:
    return ref.build_bc_frame(scid, vcid, MAP_ID, command)


def _farm_in_wait(iut: Any, rel: Rel, w: int | None = None) -> None:
    iut.farm_start(farm_config(farm_window(rel) if w is None else w))
    delivered, c = receive(iut, rel, [ad(rel, 0, b"refused")], buffer_available=False)
    assert delivered == [] and c["wait"] == 1 and c["retransmit"] == 1, f"no buffer space: CLCW {c} (E2: wait)"


@pytest.mark.requirement("OISL-REL-009")
@pytest.mark.applies_if("cop1_farm_max_window >= 128")
def test_farm_window_128_edges(iut: Any, rel: Rel) -> None:
    """W = 128 (PW = NW = 64): N(S) = V(R) + 40 and V(R) + 63 are in the positive window, V(R) + 64 is not."""
    iut.farm_start(farm_config(128))
    for ns in (40, 63):
        delivered, c = receive(iut, rel, [ad(rel, ns, b"ahead")])
        assert delivered == [] and c["retransmit"] == 1 and c["lockout"] == 0, f"N(S) = {ns} with V(R) = 0, W = 128: CLCW {c}"
    _, c = receive(iut, rel, [ad(rel, 64, b"out")])
    assert c["lockout"] == 1, f"N(S) = 64 with V(R) = 0, W = 128 is outside both windows: CLCW {c}"


@pytest.mark.requirement("OISL-REL-011")
@pytest.mark.applies_if("cop1_farm_max_window >= 4")
def test_farm_lockout_keeps_retransmit_clear(iut: Any, rel: Rel) -> None:
    """In lockout a positive-window frame is discarded without setting the retransmit flag (E3 in S3)."""
    w = farm_window(rel)
    iut.farm_start(farm_config(w))
    _, c = receive(iut, rel, [ad(rel, w // 2, b"out")])
    assert c["lockout"] == 1
    delivered, c = receive(iut, rel, [ad(rel, 1, b"gap")])
    assert delivered == [] and c["retransmit"] == 0 and c["lockout"] == 1, f"positive-window frame in lockout: CLCW {c}"


@pytest.mark.requirement("OISL-REL-011")
def test_farm_lockout_from_wait(iut: Any, rel: Rel) -> None:
    """In wait, a frame outside both windows locks FARM-1 out (E5 in S2)."""
    w = farm_window(rel)
    _farm_in_wait(iut, rel, w)
    delivered, c = receive(iut, rel, [ad(rel, w // 2 + 1, b"out")], buffer_available=False)
    assert delivered == [] and c["lockout"] == 1, f"out-of-window frame in state wait: CLCW {c} (E5: lockout)"


@pytest.mark.requirement("OISL-REL-012")
def test_farm_control_commands_in_wait(iut: Any, rel: Rel) -> None:
    """Unlock in wait (E7 in S2): wait and retransmit cleared, state open; Set V(R) in wait (E8
    in S2): V(R) set, wait and retransmit cleared."""
    _farm_in_wait(iut, rel)
    _, c = receive(iut, rel, [bc(rel, rel.unlock)], buffer_available=False)
    assert c["wait"] == 0 and c["retransmit"] == 0 and c["lockout"] == 0 and c["farm_b_counter"] == 1, f"Unlock in wait: CLCW {c}"
    delivered, c = receive(iut, rel, [ad(rel, 0, b"after unlock")])
    assert delivered == [b"after unlock"], "FARM-1 not open after Unlock in wait"
    _farm_in_wait(iut, rel)
    _, c = receive(iut, rel, [bc(rel, rel.set_vr_prefix + bytes([9]))], buffer_available=False)
    assert c["report_value"] == 9 and c["wait"] == 0 and c["retransmit"] == 0 and c["farm_b_counter"] == 1, f"Set V(R) = 9 in wait: CLCW {c}"
    delivered, c = receive(iut, rel, [ad(rel, 9, b"nine")])
    assert delivered == [b"nine"] and c["report_value"] == 10


@pytest.mark.requirement("OISL-REL-012")
def test_farm_counts_bd_frames(iut: Any, rel: Rel) -> None:
    """A Type-BD frame (parameter uslp_bd_frame) is accepted in every state (E6): delivered,
    FARM-B counter + 1, V(R) and the flags unchanged."""
    w = farm_window(rel)
    iut.farm_start(farm_config(w))
    receive(iut, rel, [ad(rel, 0, b"a")])
    bd = ref.build_bd_frame(SCID, VCID, MAP_ID, b"expedited")
    delivered, c = receive(iut, rel, [bd])
    assert delivered == [b"expedited"] and c["farm_b_counter"] == 1 and c["report_value"] == 1, f"BD frame in open: delivered {delivered}, CLCW {c}"
    receive(iut, rel, [ad(rel, 1 + w // 2, b"out")])
    delivered, c = receive(iut, rel, [bd, bd])
    assert delivered == [b"expedited"] * 2 and c["farm_b_counter"] == 3 and c["lockout"] == 1, f"BD frames in lockout: delivered {len(delivered)}, CLCW {c}"


@pytest.mark.requirement("OISL-REL-013")
def test_farm_buffer_release_before_frames(iut: Any, rel: Rel) -> None:
    """In wait, a call with buffer space releases the buffer (E10) before its frames: N(S) = V(R) is delivered."""
    _farm_in_wait(iut, rel)
    delivered, c = receive(iut, rel, [ad(rel, 0, b"zero")], buffer_available=True)
    assert delivered == [b"zero"] and c["wait"] == 0 and c["retransmit"] == 0 and c["report_value"] == 1, (
        f"buffer released with the frame N(S) = V(R): delivered {delivered}, CLCW {c}"
    )


@pytest.mark.requirement("OISL-REL-008", "OISL-REL-012")
def test_farm_ignores_invalid_bc_frames(iut: Any, rel: Rel) -> None:
    """In lockout, Unlock frames for another VCID or SCID and one with a bad FECF are discarded
    (E9): lockout stays, the FARM-B counter does not count them; a valid Unlock then opens."""
    w = farm_window(rel)
    iut.farm_start(farm_config(w))
    _, c = receive(iut, rel, [ad(rel, w // 2, b"out")])
    assert c["lockout"] == 1
    good = bc(rel, rel.unlock)
    corrupted = good[:-1] + bytes([good[-1] ^ 0x01])
    for frame in (bc_for(rel, rel.unlock, vcid=(VCID + 1) % 64), bc_for(rel, rel.unlock, scid=SCID + 1), corrupted):
        _, c = receive(iut, rel, [frame])
        assert c["lockout"] == 1 and c["farm_b_counter"] == 0, f"an invalid Unlock frame ({frame.hex()}) was executed or counted: CLCW {c}"
    _, c = receive(iut, rel, [good])
    assert c["lockout"] == 0 and c["farm_b_counter"] == 1


# ---------------------------------------------------------------------------------------------
# Interoperability over the bursty channel
# ---------------------------------------------------------------------------------------------


@dataclass
class LinkStats:
    steps: int = 0
    frames: int = 0
    retransmitted_on_flag: int = 0
    retransmitted_on_t1: int = 0
    lockouts_injected: int = 0
    buffer_refusals: int = 0
    wait_reported: int = 0
    alerts: dict[str, int] = field(default_factory=dict)
    directives: dict[str, int] = field(default_factory=dict)
    forward_loss: float = 0.0
    clcw_loss: float = 0.0


#: Alerts a correct FOP-1 never raises on this harness's link: the harness never sends a CLCW
#: with N(R) outside NN(R)..V(S) ("nn_r"), with wait set and retransmit clear ("clcw": a FARM-1
#: sets Wait only together with Retransmit, table 6-1 E2), nor one contradicting the FOP's own
#: retransmission state ("synch"); a FARM-1 clears Retransmit only on accepting a new frame.
NEVER_ALERTS = ("nn_r", "synch", "clcw")


def run_link(
    rel: Rel,
    fop_step: Callable[[float, list[bytes], list[bytes]], dict[str, Any]],
    fop_directive: Callable[[float, str, int], dict[str, Any]],
    farm_receive: Callable[[list[bytes], bool], tuple[list[bytes], bytes]],
    sdus: list[bytes],
    window: int,
    limit: int,
    seed: Sequence[int],
) -> LinkStats:
    """Drive FOP-1 -> channel -> FARM-1 -> channel -> FOP-1 in steps of simulated time until every
    SDU is delivered; the delivered sequence must always be a prefix of ``sdus``. Losses and the
    FARM side's buffer refusals are drawn from ``seed`` (derived from the run's seed).

    On an alert the harness (the higher layer) re-initiates AD service: with Unlock when the
    FARM's last CLCW reported lockout, else with Set V(R) = V(S), and re-offers the SDUs not yet
    delivered. Lockout is injected only once FOP-1 has itself received a CLCW acknowledging every
    frame (so NN(R) = V(S) = V(R) and the Unlock is confirmed by event E1 of table 5-1). The run
    fails on any alert in :data:`NEVER_ALERTS`, on a "lockout" alert count other than the
    lockouts injected, and on more "t1"/"limit" alerts than the losses can explain (see
    :func:`_check_alerts`)."""
    fwd = LossyLink(CHANNEL, np.random.default_rng([*seed, 0]))
    back = LossyLink(CHANNEL, np.random.default_rng([*seed, 1]))
    refusals = np.random.default_rng([*seed, 2])
    assert CHANNEL.stationary_loss_rate >= rel.min_loss
    stats = LinkStats()
    got: list[bytes] = []
    nxt, now = 0, 0.0
    clcws: list[bytes] = []
    last_clcw: dict[str, int] = {"report_value": 0, "lockout": 0}
    draining, next_lockout, fop_saw_all_acked, injected = False, LOCKOUT_EVERY, False, False
    vs = 0
    max_steps = 10 * len(sdus) // window + 1000
    progress_at, progress, frames_at = 0, 0, 0
    while len(got) < len(sdus):
        stats.steps += 1
        assert stats.steps <= max_steps, f"no completion after {max_steps} steps: {len(got)} of {len(sdus)} delivered, stats {stats}"
        if len(got) > progress:
            progress_at, progress, frames_at = stats.steps, len(got), stats.frames
        idle_steps, idle_frames = stats.steps - progress_at, stats.frames - frames_at
        # Losses are drawn per frame, so a loss burst lasts longer in time when few frames flow:
        # stuck means many steps AND many frames without a delivery, or very many steps.
        assert (idle_steps <= STALL_STEPS or idle_frames <= STALL_FRAMES) and idle_steps <= 10 * STALL_STEPS, (
            f"no SDU delivered for {idle_steps} steps and {idle_frames} frames ({len(got)} of {len(sdus)} "
            f"delivered): the link is stuck, stats {stats}"
        )
        if not draining and len(got) >= next_lockout:
            draining, next_lockout, fop_saw_all_acked = True, next_lockout + LOCKOUT_EVERY, False
        # Nothing new is offered while draining and from the stray frame until FOP-1 has seen the
        # lockout, so that V(S) = V(R) when the Unlock goes out.
        offer = [] if draining or injected else sdus[nxt : nxt + window]
        decoded = [clcw_fields(rel, c) for c in clcws]
        had_flag = any(c["retransmit"] for c in decoded)
        if draining and any(c["report_value"] == vs and not (c["lockout"] or c["wait"] or c["retransmit"]) for c in decoded):
            fop_saw_all_acked = True
        r = fop_step(now, clcws, offer)
        acc = r.get("accepted")
        assert isinstance(acc, int) and not isinstance(acc, bool) and 0 <= acc <= len(offer), f"accepted {acc!r} of {len(offer)}"
        assert r.get("state") in FOP_STATES and isinstance(r.get("vs"), int), f"fop_step result malformed: state {r.get('state')!r}"
        frames = list(r["frames"])
        parsed = [read_frame(rel, f) for f in frames]
        fresh = {(vs + i) % rel.modulus for i in range(acc)}
        new = [f for f in parsed if f.kind == "ad" and f.ns in fresh]
        assert [f.ns for f in new] == [(vs + i) % rel.modulus for i in range(acc)], (
            f"accepted {acc} SDUs with V(S) = {vs}: new frames N(S) {[f.ns for f in new]}"
        )
        assert [f.data for f in new] == offer[:acc], "the new AD frames do not carry the accepted SDUs in order"
        old = len([f for f in parsed if f.kind == "ad"]) - acc
        if old:
            if had_flag:
                stats.retransmitted_on_flag += old
            else:
                stats.retransmitted_on_t1 += old
        nxt += acc
        vs = (vs + acc) % rel.modulus
        assert r["vs"] == vs, f"V(S) reported {r['vs']}, expected {vs} after {acc} new frames"
        resync = False
        alert = r.get("alert")
        if alert is not None:
            stats.alerts[str(alert)] = stats.alerts.get(str(alert), 0) + 1
            assert alert not in NEVER_ALERTS, (
                f"alert {alert!r} at step {stats.steps}: the harness sent no CLCW that justifies it (stats {stats})"
            )
            if alert == "lockout":
                injected = False
        if r["state"] == "initial":
            directive = "unlock" if last_clcw["lockout"] else "set_vr"
            stats.directives[directive] = stats.directives.get(directive, 0) + 1
            d = fop_directive(now, directive, vs)
            assert isinstance(d, dict) and isinstance(d.get("frames"), list), "fop_directive result malformed"
            frames += list(d["frames"])
            for f in d["frames"]:
                read_frame(rel, f, "bc")
            resync = True
        survivors = fwd.transmit(frames)
        if draining and fop_saw_all_acked and r["state"] == "active" and last_clcw["report_value"] == vs and not last_clcw["lockout"]:
            # Idle link, everything acknowledged (and FOP-1 knows it): a stray frame in the lockout area.
            survivors.append(ad(rel, last_clcw["report_value"] + rel.modulus // 2, b"stray"))
            stats.lockouts_injected += 1
            draining, injected = False, True
        buffer_ok = bool(refusals.random() >= rel.refusal_rate)
        stats.buffer_refusals += not buffer_ok
        delivered, clcw = farm_receive(survivors, buffer_ok)
        got += delivered
        assert got == sdus[: len(got)], (
            f"delivery is not exactly-once in order: {len(got)} delivered, first difference at "
            f"{next(i for i, (a, b) in enumerate(zip(got, sdus)) if a != b) if got != sdus[:len(got)] else '?'}"
        )
        last_clcw = clcw_fields(rel, clcw)
        stats.wait_reported += last_clcw["wait"]
        if resync:
            nxt = len(got)
        clcws = back.transmit([clcw])
        stats.frames += len(frames)
        now += STEP
    stats.forward_loss = fwd.lost / max(1, fwd.offered)
    stats.clcw_loss = back.lost / max(1, back.offered)
    _check_alerts(rel, stats, limit, calibrated=window >= rel.interop_window and limit >= INTEROP_LIMIT)
    return stats


def _check_alerts(rel: Rel, stats: LinkStats, limit: int, *, calibrated: bool) -> None:
    """The alerts of a run are those the harness caused: one "lockout" per injected lockout, and
    "t1"/"limit" only as rarely as the channel's loss bursts make them necessary (spec parameter
    ``interop_max_timer_alerts``: such an alert needs Transmission_Limit consecutive T1 expiries
    without an acknowledgement reaching FOP-1, a loss burst of 8 x T1_STEPS = 24 steps; a FOP-1
    that mishandles Transmission_Count or Timer T1 raises tens per run). The bound is calibrated
    for K = interop_window and Transmission_Limit :data:`INTEROP_LIMIT`: with the smaller window or
    limit an ICS may impose, bursts of the per-frame channel span more steps, and "t1"/"limit" are
    not bounded."""
    lockouts = stats.alerts.get("lockout", 0)
    assert lockouts == stats.lockouts_injected, (
        f"{lockouts} 'lockout' alerts for {stats.lockouts_injected} lockouts injected by the harness ({stats})"
    )
    timer = stats.alerts.get("t1", 0) + stats.alerts.get("limit", 0)
    assert timer <= rel.max_timer_alerts or not calibrated, (
        f"{timer} 't1'/'limit' alerts (Transmission_Limit {limit}): more than the channel's loss bursts explain ({stats})"
    )
    unknown = set(stats.alerts) - {"lockout", "t1", "limit"}
    assert not unknown, f"unexpected alerts {sorted(unknown)} ({stats})"


def _check_exercised(stats: LinkStats, flag_possible: bool, limit: int) -> None:
    """The run must have exercised the retransmit-flag path (when a positive window exists and
    K >= 2, so that the FARM can see a gap), T1 (when Transmission_Limit >= 2 allows any
    retransmission), the wait flag, and lockout with Unlock; else inconclusive."""
    paths = [("lockout / Unlock", stats.directives.get("unlock", 0)), ("FARM-1 wait", stats.wait_reported)]
    if limit >= 2:
        paths.append(("retransmission on T1", stats.retransmitted_on_t1))
    if flag_possible and limit >= 2:
        paths.append(("retransmission on the retransmit flag", stats.retransmitted_on_flag))
    missing = [name for name, n in paths if not n]
    if missing:
        inconclusive(f"delivery complete, but the run did not exercise: {', '.join(missing)} ({stats})")


#: Interoperability Transmission_Limit (capped by the ICS).
INTEROP_LIMIT = 8


@pytest.mark.requirement("OISL-REL-015")
def test_interop_product_fop_to_reference_farm(iut: Any, rel: Rel, run_seed: int) -> None:
    window = min(rel.interop_window, rel.fop_max_window)
    limit = min(INTEROP_LIMIT, rel.max_limit)
    iut.fop_start(fop_config(window, limit, T1_STEPS * STEP))
    farm = ref.Farm1(SCID, VCID, min(2 * rel.interop_window, 254))

    def fop_step(now: float, clcws: list[bytes], sdus: list[bytes]) -> dict[str, Any]:
        r = iut.fop_step(now, clcws, sdus)
        assert isinstance(r, dict) and isinstance(r.get("frames"), list), "fop_step result malformed"
        return r

    def farm_receive(frames: list[bytes], buffer_available: bool) -> tuple[list[bytes], bytes]:
        delivered = farm.receive(frames, buffer_available)
        return delivered, ref.encode_clcw(farm.clcw())

    sdus = sdus_for(rel.sdu_count, seed=run_seed % 2**32 + 30)
    stats = run_link(rel, fop_step, iut.fop_directive, farm_receive, sdus, window, limit, seed=(run_seed, 15))
    _check_exercised(stats, flag_possible=window >= 2, limit=limit)


@pytest.mark.requirement("OISL-REL-016")
def test_interop_reference_fop_to_product_farm(iut: Any, rel: Rel, run_seed: int) -> None:
    w = min(2 * rel.interop_window, rel.farm_max_window)
    w -= w % 2
    window = min(rel.interop_window, max(1, w // 2))
    iut.farm_start(farm_config(w))
    fop = ref.Fop1(SCID, VCID, MAP_ID, window, INTEROP_LIMIT, T1_STEPS * STEP)

    def fop_step(now: float, clcws: list[bytes], sdus: list[bytes]) -> dict[str, Any]:
        s = fop.step(now, clcws, sdus)
        return {"accepted": s.accepted, "frames": s.frames, "state": s.state.value, "alert": s.alert, "vs": s.vs}

    def fop_directive(now: float, directive: str, value: int) -> dict[str, Any]:
        return {"frames": fop.directive(now, directive, value), "state": fop.state.value}

    def farm_receive(frames: list[bytes], buffer_available: bool) -> tuple[list[bytes], bytes]:
        r = iut.farm_receive(frames, buffer_available)
        assert isinstance(r, dict) and isinstance(r.get("delivered"), list), "farm_receive result malformed"
        delivered = list(r["delivered"])
        assert all(isinstance(d, bytes) for d in delivered), "delivered is not a list of bytes"
        return delivered, r["clcw"]

    sdus = sdus_for(rel.sdu_count, seed=run_seed % 2**32 + 40)
    stats = run_link(rel, fop_step, fop_directive, farm_receive, sdus, window, INTEROP_LIMIT, seed=(run_seed, 16))
    _check_exercised(stats, flag_possible=window >= 2 and w >= 4, limit=INTEROP_LIMIT)

"""COP-1 (CCSDS 232.1-B-2) over USLP: the FOP-1 and FARM-1 state machines and the CLCW codec.

Golden model of the ``reliable`` class of ``net-optical-isl`` 1.1.0.

Profile over USLP (CCSDS 732.1-B-2; spec parameters ``uslp_ad_frame`` and ``uslp_bc_frame``):

* A **Type-AD** frame (sequence-controlled, "Type-A") is a USLP frame with bypass/sequence control
  flag 0, protocol control command flag 0, no OCF, a 1-octet VC frame count carrying N(S)
  (732.1-B-2 4.1.2.11, 4.1.2.12), a 1-octet transfer frame data field header with construction
  rule 0b111 (no segmentation) and protocol identifier 0b00101 (MAPA_SDU) (732.1-B-2 4.1.4.2),
  exactly one SDU as the transfer frame data zone, and the CRC-16 FECF (732.1-B-2 4.1.6).
* A **Type-BC** frame (control command) has bypass flag 1, protocol control command flag 1, no VC
  frame count, construction rule 0b111 and protocol identifier 0b00001 (COP-1 control commands);
  its data zone is one control command of CCSDS 232.0-B-4 4.1.3.3: Unlock = ``00``,
  Set V(R) = ``82 00 V*(R)``.
* A Type-BD frame (bypass 1, control command flag 0) is accepted by FARM-1 (event E6) but never
  produced by this FOP-1 (the profile carries no expedited user data).
* The **CLCW** (CCSDS 232.0-B-4 4.2.1) travels in the OCF of return-link frames; here it is its 4
  octets (:class:`Clcw`, declared bit by bit with ``construct`` in :data:`CLCW_STRUCT`).

The headers are declared once in :mod:`orbitcert.reference_impl.frames` (construct); the per-frame
hot path patches a header template built with it and reads the few fields it needs with integer
operations (the tests check both against the construct parse and against ``spacepackets``).

FOP-1 (232.1-B-2 section 5) and FARM-1 (section 6) follow the event numbering of state tables 5-1
and 6-1. Both are driven by **explicit simulated time**: every FOP-1 call passes ``now`` (seconds,
a float); there is no wall clock, no thread, and no randomness. The lower layer is always ready
(AD_Out, BC_Out flags "ready"): a frame FOP-1 decides to transmit is returned at once, so "Look for
FDU" transmits every frame marked To_Be_Retransmitted, then new frames while the Sent_Queue is
below K. The Wait_Queue of 232.1-B-2 5.1.5 (one FDU) is the caller's list of offered SDUs:
:meth:`Fop1.step` accepts the leading SDUs it can transmit now and the caller re-offers the rest.

Decoders (:func:`decode_clcw`, :func:`parse_frame`, :func:`parse_control_command`) raise only
:class:`Cop1Error` (a :class:`~orbitcert.reference_impl.optical.parameters.CodingError`), whatever
bytes they get.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from construct import BitsInteger, BitStruct, ConstructError, Flag

from ..frames import USLP_PRIMARY_HEADER_FIXED_LENGTH, UslpPrimaryHeader, build_uslp_primary_header, fecf
from ..security.errors import FrameError
from .parameters import CodingError

__all__ = [
    "CLCW_LENGTH",
    "CLCW_STRUCT",
    "MAX_SDU_LENGTH",
    "MODULUS",
    "UNLOCK",
    "Clcw",
    "Cop1Error",
    "CopFrame",
    "Farm1",
    "FarmState",
    "Fop1",
    "FopState",
    "FopStep",
    "build_ad_frame",
    "build_bc_frame",
    "build_bd_frame",
    "decode_clcw",
    "decode_clcw_construct",
    "encode_clcw",
    "encode_clcw_construct",
    "parse_control_command",
    "parse_frame",
    "set_vr_command",
]

#: 232.1-B-2 5.1.3, 6.1.3: sequence numbers are 8 bits, arithmetic modulo 256.
MODULUS: Final = 256
#: 232.0-B-4 4.2.1: the CLCW is 32 bits.
CLCW_LENGTH: Final = 4
#: 232.0-B-4 4.1.3.3: the Unlock control command.
UNLOCK: Final = b"\x00"
_SET_VR_PREFIX: Final = b"\x82\x00"
#: 732.1-B-2 4.1.4.2: construction rule 0b111 (no segmentation) and the protocol identifiers
#: (SANA UPID registry) 0b00101 MAPA_SDU, 0b00001 COP-1 control commands.
_RULE_NO_SEGMENTATION: Final = 0b111
_UPID_MAPA_SDU: Final = 0b00101
_UPID_COP1: Final = 0b00001
_TFDF_AD: Final = (_RULE_NO_SEGMENTATION << 5) | _UPID_MAPA_SDU
_TFDF_BC: Final = (_RULE_NO_SEGMENTATION << 5) | _UPID_COP1
_FECF_LENGTH: Final = 2
_OCF_LENGTH: Final = 4
#: Largest SDU in one frame: 65536 octets less the 8-octet header, the TFDF header and the FECF.
MAX_SDU_LENGTH: Final = 65536 - (USLP_PRIMARY_HEADER_FIXED_LENGTH + 1) - 1 - _FECF_LENGTH


class Cop1Error(CodingError):
    """Bytes that are not a CLCW, frame or control command of this profile, or an argument outside
    what CCSDS 232.1-B-2 allows (the message names it)."""


# ---------------------------------------------------------------------------------------------
# CLCW (CCSDS 232.0-B-4 4.2.1)
# ---------------------------------------------------------------------------------------------

#: CCSDS 232.0-B-4 4.2.1: the Communications Link Control Word, most significant bit first.
CLCW_STRUCT: Final = BitStruct(
    "control_word_type" / BitsInteger(1),
    "clcw_version" / BitsInteger(2),
    "status_field" / BitsInteger(3),
    "cop_in_effect" / BitsInteger(2),
    "virtual_channel_id" / BitsInteger(6),
    "spare_1" / BitsInteger(2),
    "no_rf_available" / Flag,
    "no_bit_lock" / Flag,
    "lockout" / Flag,
    "wait" / Flag,
    "retransmit" / Flag,
    "farm_b_counter" / BitsInteger(2),
    "spare_2" / BitsInteger(1),
    "report_value" / BitsInteger(8),
)


#: (field, width) of :data:`CLCW_STRUCT`, most significant first, for the integer fast path.
_CLCW_WIDTHS: Final = (
    ("control_word_type", 1), ("clcw_version", 2), ("status_field", 3), ("cop_in_effect", 2),
    ("virtual_channel_id", 6), ("spare_1", 2), ("no_rf_available", 1), ("no_bit_lock", 1),
    ("lockout", 1), ("wait", 1), ("retransmit", 1), ("farm_b_counter", 2), ("spare_2", 1),
    ("report_value", 8),
)


@dataclass(frozen=True, slots=True)
class Clcw:
    """One CLCW (232.0-B-4 4.2.1). ``report_value`` is N(R) = V(R) of FARM-1."""

    virtual_channel_id: int = 0
    lockout: bool = False
    wait: bool = False
    retransmit: bool = False
    farm_b_counter: int = 0
    report_value: int = 0
    no_rf_available: bool = False
    no_bit_lock: bool = False
    control_word_type: int = 0
    clcw_version: int = 0
    status_field: int = 0
    cop_in_effect: int = 1
    spare_1: int = 0
    spare_2: int = 0


def encode_clcw(clcw: Clcw) -> bytes:
    """The 4 octets of ``clcw`` (232.0-B-4 4.2.1); a field out of range raises :class:`Cop1Error`.

    Packed with integer shifts (the per-frame hot path); the tests check it equal to
    ``CLCW_STRUCT.build`` for every field combination hypothesis draws."""
    widths = _CLCW_WIDTHS
    word = 0
    for name, width in widths:
        value = getattr(clcw, name)
        if isinstance(value, bool):
            value = int(value)
        if not isinstance(value, int) or not 0 <= value < (1 << width):
            raise Cop1Error(f"CLCW: {name} = {value!r} does not fit in {width} bits")
        word = (word << width) | value
    return word.to_bytes(4, "big")


def encode_clcw_construct(clcw: Clcw) -> bytes:
    """:func:`encode_clcw` through the construct declaration :data:`CLCW_STRUCT` (the normative form)."""
    values = {name: getattr(clcw, name) for name in Clcw.__slots__}
    try:
        return bytes(CLCW_STRUCT.build(values))
    except (ConstructError, TypeError, ValueError, OverflowError) as exc:
        raise Cop1Error(f"CLCW: cannot build ({exc})") from None


def decode_clcw(data: Any) -> Clcw:
    """The CLCW in the 4 octets ``data`` (232.0-B-4 4.2.1). Raises :class:`Cop1Error` unless
    ``data`` is exactly 4 octets with control word type 0 and CLCW version 00 (the only CLCW
    format); the other fields are returned as found (FOP-1 judges COP in effect and VCID).
    Unpacked with integer shifts; the tests check it equal to ``CLCW_STRUCT.parse``."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise Cop1Error(f"CLCW: expected bytes, got {type(data).__name__}")
    if len(data) != CLCW_LENGTH:
        raise Cop1Error(f"CLCW: expected {CLCW_LENGTH} octets, got {len(data)}")
    if data[0] & 0x80:
        raise Cop1Error("CLCW: control word type 1 is not a CLCW (232.0-B-4 4.2.1.2)")
    if data[0] & 0x60:
        raise Cop1Error(f"CLCW: version {(data[0] >> 5) & 3:02b} is not 00 (232.0-B-4 4.2.1.3)")
    b0, b1, b2, b3 = data
    return Clcw(
        virtual_channel_id=b1 >> 2,
        lockout=bool(b2 & 0x20),
        wait=bool(b2 & 0x10),
        retransmit=bool(b2 & 0x08),
        farm_b_counter=(b2 >> 1) & 0x03,
        report_value=b3,
        no_rf_available=bool(b2 & 0x80),
        no_bit_lock=bool(b2 & 0x40),
        control_word_type=0,
        clcw_version=0,
        status_field=(b0 >> 2) & 0x07,
        cop_in_effect=b0 & 0x03,
        spare_1=b1 & 0x03,
        spare_2=b2 & 0x01,
    )


def decode_clcw_construct(data: bytes) -> Clcw:
    """:func:`decode_clcw` through :data:`CLCW_STRUCT` (no checks; for the tests)."""
    parsed = CLCW_STRUCT.parse(data)
    return Clcw(**{name: parsed[name] for name in Clcw.__slots__})


# ---------------------------------------------------------------------------------------------
# Frames of the profile
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CopFrame:
    """A received frame of the profile: ``kind`` "ad", "bc" or "bd"; ``ns`` is N(S) (AD only);
    ``data`` the transfer frame data zone (the SDU, or the control command)."""

    kind: str
    spacecraft_id: int
    virtual_channel_id: int
    map_id: int
    ns: int | None
    data: bytes


def _check_int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Cop1Error(f"{name}: expected an integer in {low}..{high}, got {value!r}")
    return value


def _octets(name: str, value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise Cop1Error(f"{name}: expected bytes, got {type(value).__name__}")


_TEMPLATES: dict[tuple[int, int, int, bool, bool], bytes] = {}


def _header_template(scid: int, vcid: int, map_id: int, ad: bool, control: bool | None = None) -> bytes:
    """The primary header of an AD (count length 1) or BC / BD (count length 0) frame, built once
    with the construct declaration of :mod:`orbitcert.reference_impl.frames` (732.1-B-2 4.1.2).
    ``control`` is the protocol control command flag (default: set for BC, clear for AD)."""
    control = (not ad) if control is None else control
    key = (scid, vcid, map_id, ad, control)
    template = _TEMPLATES.get(key)
    if template is None:
        header = UslpPrimaryHeader(
            spacecraft_id=_check_int("scid", scid, 0, 0xFFFF),
            virtual_channel_id=_check_int("vcid", vcid, 0, 63),
            map_id=_check_int("map_id", map_id, 0, 15),
            bypass_sequence_control_flag=not ad,
            protocol_control_command_flag=control,
            ocf_flag=False,
            vc_frame_count_length=1 if ad else 0,
        )
        try:
            template = build_uslp_primary_header(header)
        except FrameError as exc:  # pragma: no cover - fields were checked above
            raise Cop1Error(str(exc)) from None
        _TEMPLATES[key] = template
    return template


def _finish(header: bytearray, tfdf: int, data: bytes) -> bytes:
    total = len(header) + 1 + len(data) + _FECF_LENGTH
    if total > 65536:
        raise Cop1Error(f"SDU of {len(data)} octets does not fit in a USLP frame (at most {MAX_SDU_LENGTH})")
    value = total - 1
    header[4] = value >> 8
    header[5] = value & 0xFF
    header.append(tfdf)
    header += data
    body = bytes(header)
    return body + fecf(body).to_bytes(2, "big")


def build_ad_frame(scid: int, vcid: int, map_id: int, ns: int, sdu: bytes) -> bytes:
    """A Type-AD frame carrying ``sdu`` with N(S) = ``ns`` (profile above; 232.1-B-2 5.2.3)."""
    header = bytearray(_header_template(scid, vcid, map_id, True))
    header[USLP_PRIMARY_HEADER_FIXED_LENGTH] = _check_int("ns", ns, 0, MODULUS - 1)
    return _finish(header, _TFDF_AD, _octets("sdu", sdu))


def build_bc_frame(scid: int, vcid: int, map_id: int, command: bytes) -> bytes:
    """A Type-BC frame carrying the control command ``command`` (232.0-B-4 4.1.3.3)."""
    command = _octets("command", command)
    parse_control_command(command)
    return _finish(bytearray(_header_template(scid, vcid, map_id, False)), _TFDF_BC, command)


def build_bd_frame(scid: int, vcid: int, map_id: int, sdu: bytes) -> bytes:
    """A Type-BD frame (expedited user data, 232.1-B-2 2.2.2) carrying ``sdu``: bypass flag 1,
    protocol control command flag 0, no VC frame count, TFDF header construction rule 0b111 with
    protocol identifier 0b00101 (MAPA_SDU), CRC-16 FECF (spec parameter ``uslp_bd_frame``).
    FARM-1 accepts it in every state (table 6-1 E6); this FOP-1 never produces one."""
    header = bytearray(_header_template(scid, vcid, map_id, False, control=False))
    return _finish(header, _TFDF_AD, _octets("sdu", sdu))


def set_vr_command(value: int) -> bytes:
    """The Set V(R) control command ``82 00 V*(R)`` (232.0-B-4 4.1.3.3)."""
    return _SET_VR_PREFIX + bytes([_check_int("V*(R)", value, 0, MODULUS - 1)])


def parse_control_command(data: Any) -> tuple[str, int | None]:
    """``("unlock", None)`` or ``("set_vr", V*(R))`` for a control command (232.0-B-4 4.1.3.3);
    anything else raises :class:`Cop1Error`."""
    data = _octets("control command", data)
    if data == UNLOCK:
        return ("unlock", None)
    if len(data) == 3 and data[:2] == _SET_VR_PREFIX:
        return ("set_vr", data[2])
    raise Cop1Error(f"control command: {data[:8].hex()} is neither Unlock (00) nor Set V(R) (82 00 vv)")


def parse_frame(frame: Any) -> CopFrame:
    """The frame of the profile in ``frame``; raises :class:`Cop1Error` for anything else: not a
    full USLP primary header (732.1-B-2 4.1.2), frame length field not the frame's length, bad FECF
    (4.1.6), an AD frame whose VC frame count is not 1 octet, a TFDF header that is not
    construction rule 0b111 with the profile's protocol identifier, a BC frame that is not a
    control command. An OCF, if flagged, is skipped."""
    frame = _octets("frame", frame)
    n = len(frame)
    if n < USLP_PRIMARY_HEADER_FIXED_LENGTH + 1 + _FECF_LENGTH:
        raise Cop1Error(f"frame: {n} octets is too short for a USLP frame of this profile")
    if frame[0] >> 4 != 0b1100:
        raise Cop1Error(f"frame: version {frame[0] >> 4:04b} is not 1100 (732.1-B-2 4.1.2.2)")
    if frame[3] & 0x01:
        raise Cop1Error("frame: truncated primary header (end of frame primary header flag set)")
    if ((frame[4] << 8) | frame[5]) != n - 1:
        raise Cop1Error(f"frame: frame length field {(frame[4] << 8) | frame[5]} is not {n - 1}")
    if fecf(frame[:-_FECF_LENGTH]) != int.from_bytes(frame[-_FECF_LENGTH:], "big"):
        raise Cop1Error("frame: FECF mismatch (732.1-B-2 4.1.6)")
    scid = ((frame[0] & 0x0F) << 12) | (frame[1] << 4) | (frame[2] >> 4)
    vcid = ((frame[2] & 0x07) << 3) | (frame[3] >> 5)
    map_id = (frame[3] >> 1) & 0x0F
    bypass = bool(frame[6] & 0x80)
    control = bool(frame[6] & 0x40)
    ocf = bool(frame[6] & 0x08)
    count_length = frame[6] & 0x07
    start = USLP_PRIMARY_HEADER_FIXED_LENGTH + count_length
    end = n - _FECF_LENGTH - (_OCF_LENGTH if ocf else 0)
    if start + 1 > end:
        raise Cop1Error("frame: no transfer frame data field header")
    tfdf = frame[start]
    data = frame[start + 1 : end]
    if tfdf >> 5 != _RULE_NO_SEGMENTATION:
        raise Cop1Error(f"frame: construction rule {tfdf >> 5:03b} is not 111 (no segmentation)")
    if not bypass:
        if control:
            raise Cop1Error("frame: Type-AC frames do not exist (232.1-B-2 2.2.2)")
        if count_length != 1:
            raise Cop1Error(f"frame: a Type-AD frame of this profile has a 1-octet VC frame count, not {count_length}")
        if tfdf & 0x1F != _UPID_MAPA_SDU:
            raise Cop1Error(f"frame: protocol identifier {tfdf & 0x1F:05b} is not 00101 (MAPA_SDU)")
        return CopFrame("ad", scid, vcid, map_id, frame[USLP_PRIMARY_HEADER_FIXED_LENGTH], data)
    if control:
        if tfdf & 0x1F != _UPID_COP1:
            raise Cop1Error(f"frame: protocol identifier {tfdf & 0x1F:05b} is not 00001 (COP-1 control commands)")
        parse_control_command(data)
        return CopFrame("bc", scid, vcid, map_id, None, data)
    if tfdf & 0x1F != _UPID_MAPA_SDU:
        raise Cop1Error(f"frame: protocol identifier {tfdf & 0x1F:05b} of a Type-BD frame is not 00101 (MAPA_SDU)")
    return CopFrame("bd", scid, vcid, map_id, None, data)


# ---------------------------------------------------------------------------------------------
# FOP-1 (CCSDS 232.1-B-2 section 5)
# ---------------------------------------------------------------------------------------------


class FopState(enum.Enum):
    """FOP-1 states S1..S6 (232.1-B-2 5.1.2); the values are the test-interface names."""

    ACTIVE = "active"
    RETRANSMIT_WITHOUT_WAIT = "retransmit-without-wait"
    RETRANSMIT_WITH_WAIT = "retransmit-with-wait"
    INITIALISING_WITHOUT_BC = "initialising-without-bc"
    INITIALISING_WITH_BC = "initialising-with-bc"
    INITIAL = "initial"


_S1 = FopState.ACTIVE
_S2 = FopState.RETRANSMIT_WITHOUT_WAIT
_S3 = FopState.RETRANSMIT_WITH_WAIT
_S4 = FopState.INITIALISING_WITHOUT_BC
_S5 = FopState.INITIALISING_WITH_BC
_S6 = FopState.INITIAL


@dataclass(slots=True)
class FopStep:
    """What one :meth:`Fop1.step` did: the frames to transmit, SDUs accepted, state, alert."""

    accepted: int
    frames: list[bytes]
    state: FopState
    alert: str | None
    vs: int


@dataclass(slots=True)
class _Sent:
    ns: int
    frame: bytes


@dataclass
class Fop1:
    """FOP-1 for one virtual channel / MAP (232.1-B-2 section 5), in simulated time.

    ``window`` is FOP_Sliding_Window_Width K (5.1.6), ``transmission_limit`` Transmission_Limit
    (5.1.8), ``timeout`` the initial value of Timer T1 in seconds (5.1.7). Timeout_Type is 0 (an
    expiry at the limit raises the alert "t1"; suspension, Timeout_Type 1, is not used).
    Constructing it performs "Initiate AD service without CLCW check" (event E23): state S1,
    V(S) = NN(R) = 0, queues empty.

    Alerts (5.2.15: cancel the timer, purge the Sent_Queue) are recorded with their reason code
    ("limit", "t1", "lockout", "synch", "nn_r", "clcw"; "llif" and "term" belong to events of the
    lower layer and the Terminate directive, which this model does not produce).
    """

    scid: int
    vcid: int
    map_id: int
    window: int
    transmission_limit: int
    timeout: float
    state: FopState = field(init=False, default=_S1)
    vs: int = field(init=False, default=0)
    nnr: int = field(init=False, default=0)
    transmission_count: int = field(init=False, default=1)
    sent_queue: deque[_Sent] = field(init=False, default_factory=deque)
    timer_deadline: float | None = field(init=False, default=None)
    #: counters of what happened (for the suite and the benchmarks): frames by reason, alerts
    counters: dict[str, int] = field(init=False, default_factory=dict)
    _bc_frame: bytes | None = field(init=False, default=None)
    _retransmit_pending: bool = field(init=False, default=False)
    _alert: str | None = field(init=False, default=None)
    _now: float = field(init=False, default=0.0)
    _out: list[bytes] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        _check_int("scid", self.scid, 0, 0xFFFF)
        _check_int("vcid", self.vcid, 0, 63)
        _check_int("map_id", self.map_id, 0, 15)
        _check_int("window", self.window, 1, MODULUS - 1)
        _check_int("transmission_limit", self.transmission_limit, 1, 255)
        if (isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)) or not self.timeout > 0
                or not math.isfinite(self.timeout)):
            raise Cop1Error(f"timeout: expected a number of seconds > 0, got {self.timeout!r}")
        self.timeout = float(self.timeout)

    # -- the test-interface entry points ----------------------------------------------------

    def step(self, now: float, clcws: Iterable[bytes], sdus: Sequence[bytes]) -> FopStep:
        """Process ``clcws`` in order (a CLCW that is not 4 octets of a CLCW raises
        :class:`Cop1Error` before anything changes), then Timer T1 at ``now``, then accept the
        leading ``sdus`` that can be transmitted now as new Type-AD frames."""
        parsed = [decode_clcw(c) for c in clcws]
        sdus = [_octets("sdu", s) for s in sdus]
        for s in sdus:
            if len(s) > MAX_SDU_LENGTH:
                raise Cop1Error(f"sdu of {len(s)} octets exceeds {MAX_SDU_LENGTH}")
        self._begin(now)
        for clcw in parsed:
            self._on_clcw(clcw)
        self._on_timer()
        accepted = self._look_for_fdu(sdus)
        return FopStep(accepted, self._end(), self.state, self._alert, self.vs)

    def directive(self, now: float, directive: str, value: int = 0) -> list[bytes]:
        """Initiate AD service with Unlock (E25) or with Set V(R) = ``value`` (E27); accepted only
        in state S6 (E23-E28 are rejected in S1-S5: nothing happens). Returns the BC frame."""
        if directive not in ("unlock", "set_vr"):
            raise Cop1Error(f"directive: expected 'unlock' or 'set_vr', got {directive!r}")
        value = _check_int("value", value, 0, MODULUS - 1)
        self._begin(now)
        if self.state is _S6:
            self._initialize()
            if directive == "unlock":
                command = UNLOCK
            else:
                self.vs = self.nnr = value
                command = set_vr_command(value)
            self._bc_frame = build_bc_frame(self.scid, self.vcid, self.map_id, command)
            self._transmit(self._bc_frame, "bc")
            self._start_timer()
            self.state = _S5
        else:
            self._count("directive_rejected")
        return self._end()

    # -- internals ---------------------------------------------------------------------------

    def _count(self, key: str, n: int = 1) -> None:
        self.counters[key] = self.counters.get(key, 0) + n

    def _begin(self, now: float) -> None:
        if isinstance(now, bool) or not isinstance(now, (int, float)) or not math.isfinite(now):
            raise Cop1Error(f"now: expected seconds (a finite number), got {now!r}")
        self._now = float(now)
        self._alert = None
        self._out = []

    def _end(self) -> list[bytes]:
        out, self._out = self._out, []
        return out

    def _transmit(self, frame: bytes, reason: str) -> None:
        self._out.append(frame)
        self._count(reason)

    def _start_timer(self) -> None:
        self.timer_deadline = self._now + self.timeout

    def _initialize(self) -> None:
        """5.2.14 Initialize: purge the queues, Transmission_Count := 1."""
        self.sent_queue.clear()
        self._retransmit_pending = False
        self.transmission_count = 1
        self._bc_frame = None
        self.timer_deadline = None

    def _alert_now(self, reason: str) -> None:
        """5.2.15 Alert: cancel the timer, purge the queues, notify; then state S6."""
        self.timer_deadline = None
        self.sent_queue.clear()
        self._retransmit_pending = False
        self._bc_frame = None
        if self._alert is None:
            self._alert = reason
        self._count("alert_" + reason)
        self.state = _S6

    def _remove_acknowledged(self, nr: int) -> None:
        """5.2.7: remove every frame with N(S) before N(R); NN(R) := N(R); Transmission_Count := 1."""
        removed = (nr - self.nnr) % MODULUS
        for _ in range(min(removed, len(self.sent_queue))):
            self.sent_queue.popleft()
        if removed:
            self.transmission_count = 1
        self.nnr = nr
        if not self.sent_queue:
            self._retransmit_pending = False

    def _initiate_retransmission(self) -> None:
        """5.2.8: Transmission_Count + 1, restart T1, mark all of the Sent_Queue To_Be_Retransmitted."""
        self.transmission_count += 1
        self._start_timer()
        self._retransmit_pending = bool(self.sent_queue)
        self._count("retransmission_rounds")

    def _look_for_fdu(self, sdus: Sequence[bytes] = ()) -> int:
        """5.2.6 Look for FDU (lower layer always ready): first the frames marked
        To_Be_Retransmitted, then new Type-AD frames while the Sent_Queue holds fewer than K.
        Returns how many of ``sdus`` were transmitted."""
        if self.state not in (_S1, _S2):
            return 0
        if self._retransmit_pending:
            for entry in self.sent_queue:
                self._transmit(entry.frame, "ad_retransmitted")
            self._retransmit_pending = False
            self._start_timer()
        accepted = 0
        for sdu in sdus:
            if len(self.sent_queue) >= self.window:
                break
            frame = build_ad_frame(self.scid, self.vcid, self.map_id, self.vs, sdu)
            if not self.sent_queue:
                self.transmission_count = 1
            self.sent_queue.append(_Sent(self.vs, frame))
            self.vs = (self.vs + 1) % MODULUS
            self._transmit(frame, "ad_new")
            self._start_timer()
            accepted += 1
        return accepted

    def _classify(self, clcw: Clcw) -> str:
        """The event of table 5-1 for a CLCW (232.1-B-2 5.3), without the checks of 5.3.2."""
        if clcw.lockout:
            return "E14"
        nr, vs, nnr = clcw.report_value, self.vs, self.nnr
        if nr == vs:
            if clcw.retransmit:
                return "E4"
            if clcw.wait:
                return "E3"
            return "E1" if nr == nnr else "E2"
        if (nr - nnr) % MODULUS < (vs - nnr) % MODULUS:  # NN(R) <= N(R) < V(S), modulo 256
            if clcw.retransmit:
                if self.transmission_limit == 1:
                    return "E102" if nr == nnr else "E101"
                if nr != nnr:
                    return "E9" if clcw.wait else "E8"
                if self.transmission_count < self.transmission_limit:
                    return "E11" if clcw.wait else "E10"
                return "E103" if clcw.wait else "E12"
            if clcw.wait:
                return "E7"
            return "E5" if nr == nnr else "E6"
        return "E13"

    def _on_clcw(self, clcw: Clcw) -> None:
        """One CLCW arrival. 5.3.2: a CLCW of another virtual channel is not for this FOP-1
        (ignored); one whose COP in effect is not 01 (COP-1) is invalid (alert "clcw", E15)."""
        self._count("clcw")
        if clcw.virtual_channel_id != self.vcid:
            return
        state = self.state
        if state is _S6:
            return
        if clcw.cop_in_effect != 1:
            if state is not _S6:
                self._alert_now("clcw")
            return
        event = self._classify(clcw)
        self._count("event_" + event)
        nr = clcw.report_value
        if state is _S5:
            # Table 5-1 column S5: only E1 (N(R) = V(S) = NN(R), no flag) confirms the BC frame;
            # every other CLCW is ignored while the control command is pending (E14 too: the
            # Unlock may still be on its way). E2 (N(R) = V(S) != NN(R)) has no S5 entry and is
            # ignored as well (OISL-REL-006).
            if event == "E1":
                self._remove_acknowledged(nr)
                self._bc_frame = None
                self.timer_deadline = None
                self.state = _S1
            return
        if state is _S4:
            if event == "E1":
                self.timer_deadline = None
                self.state = _S1
            elif event in ("E3", "E15", "E7"):
                self._alert_now("clcw")
            elif event == "E4":
                self._alert_now("synch")
            elif event == "E13":
                self._alert_now("nn_r")
            elif event == "E14":
                self._alert_now("lockout")
            return
        # S1, S2, S3
        if event == "E1":
            if state is not _S1:
                self._alert_now("synch")
        elif event == "E2":
            self._remove_acknowledged(nr)
            self.timer_deadline = None
            self.state = _S1
            self._look_for_fdu()
        elif event in ("E3", "E7"):
            self._alert_now("clcw")
        elif event == "E4":
            self._alert_now("synch")
        elif event == "E5":
            if state is not _S1:
                self._alert_now("synch")
        elif event == "E6":
            self._remove_acknowledged(nr)
            self.state = _S1
            self._look_for_fdu()
        elif event == "E101":
            self._remove_acknowledged(nr)
            self._alert_now("limit")
        elif event == "E102":
            self._alert_now("limit")
        elif event == "E8":
            self._remove_acknowledged(nr)
            self._initiate_retransmission()
            self.state = _S2
            self._look_for_fdu()
        elif event == "E9":
            self._remove_acknowledged(nr)
            self.state = _S3
        elif event == "E10":
            if state is not _S2:
                self._initiate_retransmission()
                self.state = _S2
                self._look_for_fdu()
        elif event in ("E11", "E103"):
            self.state = _S3
        elif event == "E12":
            self.state = _S2
        elif event == "E13":
            self._alert_now("nn_r")
        elif event == "E14":
            self._alert_now("lockout")

    def _on_timer(self) -> None:
        """Timer T1 at ``now`` (table 5-1 E16, E17; Timeout_Type 0)."""
        if self.timer_deadline is None or self._now < self.timer_deadline:
            return
        state = self.state
        if self.transmission_count < self.transmission_limit:  # E16
            self._count("event_E16")
            if state in (_S1, _S2):
                self._initiate_retransmission()
                self._look_for_fdu()
            elif state is _S3:
                pass  # ignored while the FARM reports Wait
            elif state is _S4:
                self._alert_now("t1")
            elif state is _S5 and self._bc_frame is not None:
                # Initiate BC retransmission; Look for Directive.
                self.transmission_count += 1
                self._start_timer()
                self._transmit(self._bc_frame, "bc_retransmitted")
        else:  # E17
            self._count("event_E17")
            if state is not _S6:
                self._alert_now("t1")


# ---------------------------------------------------------------------------------------------
# FARM-1 (CCSDS 232.1-B-2 section 6)
# ---------------------------------------------------------------------------------------------


class FarmState(enum.Enum):
    """FARM-1 states (232.1-B-2 6.1.2)."""

    OPEN = "open"
    WAIT = "wait"
    LOCKOUT = "lockout"


@dataclass
class Farm1:
    """FARM-1 for one virtual channel (232.1-B-2 section 6).

    ``window`` is FARM_Sliding_Window_Width W (6.1.8), even, 2..254; the positive and negative
    window widths are PW = NW = W/2: the positive window is V(R) .. V(R)+PW-1 and the negative
    window V(R)-NW .. V(R)-1, modulo 256; every other N(S) is the lockout area.
    """

    scid: int
    vcid: int
    window: int
    state: FarmState = field(init=False, default=FarmState.OPEN)
    vr: int = field(init=False, default=0)
    lockout: bool = field(init=False, default=False)
    wait: bool = field(init=False, default=False)
    retransmit: bool = field(init=False, default=False)
    farm_b_counter: int = field(init=False, default=0)
    counters: dict[str, int] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        _check_int("scid", self.scid, 0, 0xFFFF)
        _check_int("vcid", self.vcid, 0, 63)
        _check_int("window", self.window, 2, 254)
        if self.window % 2:
            raise Cop1Error(f"window: W must be even (232.1-B-2 6.1.8), got {self.window}")

    def _count(self, key: str) -> None:
        self.counters[key] = self.counters.get(key, 0) + 1

    def clcw(self) -> Clcw:
        """The CLCW reporting the current FARM-1 state (232.0-B-4 4.2.1, 232.1-B-2 6.1.9)."""
        return Clcw(
            virtual_channel_id=self.vcid,
            lockout=self.lockout,
            wait=self.wait,
            retransmit=self.retransmit,
            farm_b_counter=self.farm_b_counter,
            report_value=self.vr,
        )

    def buffer_release(self) -> None:
        """E10: buffer space released: clear Wait; from state wait back to open."""
        if self.state is FarmState.WAIT:
            self.state = FarmState.OPEN
        self.wait = False

    def receive(self, frames: Iterable[Any], buffer_available: bool = True) -> list[bytes]:
        """Process ``frames`` in order; returns the SDUs delivered. With ``buffer_available`` true
        and FARM-1 in state wait, the buffer release (E10) comes first. A frame that is not of
        this profile, has a bad FECF, or is for another SCID/VCID is discarded (E9)."""
        if not isinstance(buffer_available, bool):
            raise Cop1Error(f"buffer_available: expected a boolean, got {buffer_available!r}")
        if buffer_available and self.wait:
            self.buffer_release()
        delivered: list[bytes] = []
        half = self.window // 2
        for raw in frames:
            try:
                frame = parse_frame(raw)
            except Cop1Error:
                self._count("E9")
                continue
            if frame.spacecraft_id != self.scid or frame.virtual_channel_id != self.vcid:
                self._count("E9")
                continue
            if frame.kind == "bd":
                self._e6(frame, delivered)
            elif frame.kind == "bc":
                command, value = parse_control_command(frame.data)
                self.farm_b_counter = (self.farm_b_counter + 1) % 4
                if command == "unlock":
                    self._e7_unlock()
                else:
                    assert value is not None
                    self._e8_set_vr(value)
            else:
                assert frame.ns is not None
                ahead = (frame.ns - self.vr) % MODULUS
                if ahead == 0:
                    self._e1_e2_in_sequence(frame, buffer_available, delivered)
                elif ahead < half:
                    self._e3_positive_window()
                elif (self.vr - frame.ns) % MODULUS <= half:
                    self._e4_negative_window()
                else:
                    self._e5_lockout_area(frame, delivered)
        return delivered

    # -- the events of table 6-1 (one method each, so that a variant can replace one) -------------

    def _e6(self, frame: CopFrame, delivered: list[bytes]) -> None:
        """E6: a Type-BD frame is accepted in every state; FARM-B counter + 1."""
        self._count("E6")
        delivered.append(frame.data)
        self.farm_b_counter = (self.farm_b_counter + 1) % 4

    def _e7_unlock(self) -> None:
        """E7 (Unlock): every state -> open; Lockout, Wait, Retransmit := 0."""
        self._count("E7")
        self.state = FarmState.OPEN
        self.lockout = self.wait = self.retransmit = False

    def _e8_set_vr(self, value: int) -> None:
        """E8 (Set V(R)): in open and wait, V(R) := V*(R), Wait, Retransmit := 0, -> open; in
        lockout the command is ignored (only the FARM-B counter counts it)."""
        self._count("E8")
        if self.state is not FarmState.LOCKOUT:
            self.vr = value
            self.state = FarmState.OPEN
            self.wait = self.retransmit = False

    def _e1_e2_in_sequence(self, frame: CopFrame, buffer_available: bool, delivered: list[bytes]) -> None:
        """E1 (N(S) = V(R), buffer space): in open accept, V(R) + 1, Retransmit := 0. E2 (no
        buffer space): in open discard, Retransmit := Wait := 1, -> wait. Wait, lockout: discard."""
        if self.state is FarmState.OPEN and buffer_available:
            self._count("E1")
            delivered.append(frame.data)
            self.vr = (self.vr + 1) % MODULUS
            self.retransmit = False
        elif self.state is FarmState.OPEN:
            self._count("E2")
            self.retransmit = self.wait = True
            self.state = FarmState.WAIT
        else:
            self._count("E2" if not buffer_available else "E1")

    def _e3_positive_window(self) -> None:
        """E3 (positive window, N(S) != V(R)): discard; in open Retransmit := 1."""
        self._count("E3")
        if self.state is FarmState.OPEN:
            self.retransmit = True

    def _e4_negative_window(self) -> None:
        """E4 (negative window): discard, nothing else."""
        self._count("E4")

    def _e5_lockout_area(self, frame: CopFrame, delivered: list[bytes]) -> None:
        """E5 (outside both windows): discard; in open or wait Lockout := 1, -> lockout."""
        self._count("E5")
        if self.state is not FarmState.LOCKOUT:
            self.lockout = True
            self.state = FarmState.LOCKOUT

"""Application-data layouts of the ``sw-compute-runtime`` profile, declared once with construct.

The packet layer (primary header, PUS-C secondary headers, CDS time, packet error control) is
:mod:`.pus`; this module declares what travels inside: the application data of every telecommand
of the spec's parameter ``tc_layouts`` and the source data of every TM of ``tm_layouts``
(ECSS-E-ST-70-41C 6.1 request verification, 6.3 housekeeping, 6.5 event reporting, 6.17 test, and
the mission-specific compute-job service type 128 of this profile, 8.1). All fields are big-endian.

``TC_LAYOUTS`` maps ``(service, subtype)`` to a :class:`construct.Struct` ending in ``Terminated``,
so that parsing fails on application data one octet too long as on one octet too short:
:func:`parse_app_data` turns either into the acceptance failure ``length``.
"""

from __future__ import annotations

from typing import Any, Final

from construct import (
    Bytes,
    ConstructError,
    GreedyBytes,
    Int8ub,
    Int16sb,
    Int16ub,
    Int32ub,
    Int64ub,
    PrefixedArray,
    Struct,
    Terminated,
)

__all__ = [
    "EVENT_AUX",
    "HK_TYPES",
    "JOB_SERVICE",
    "TC_LAYOUTS",
    "TM_LAYOUTS",
    "AppDataError",
    "build_tm_data",
    "parse_app_data",
]

#: ECSS-E-ST-70-41C 8.1: the compute-job service, a mission-specific service type (128..255).
JOB_SERVICE: Final = 128

_U16_LIST = PrefixedArray(Int16ub, Int16ub)

#: Application data of every telecommand of the profile (spec parameter ``tc_layouts``).
TC_LAYOUTS: Final[dict[tuple[int, int], Struct]] = {
    # ECSS-E-ST-70-41C 6.3.3.1: create a housekeeping parameter report structure.
    (3, 1): Struct("sid" / Int16ub, "interval_ms" / Int32ub, "parameters" / _U16_LIST, Terminated),
    (3, 3): Struct("sids" / _U16_LIST, Terminated),
    (3, 5): Struct("sids" / _U16_LIST, Terminated),
    (3, 6): Struct("sids" / _U16_LIST, Terminated),
    (3, 27): Struct("sids" / _U16_LIST, Terminated),
    (3, 31): Struct("sid" / Int16ub, "interval_ms" / Int32ub, Terminated),
    # ECSS-E-ST-70-41C 6.5.5: enable, disable, report the disabled list.
    (5, 5): Struct("event_ids" / _U16_LIST, Terminated),
    (5, 6): Struct("event_ids" / _U16_LIST, Terminated),
    (5, 7): Struct(Terminated),
    # ECSS-E-ST-70-41C 6.17.3: are-you-alive.
    (17, 1): Struct(Terminated),
    (JOB_SERVICE, 1): Struct(
        "job_id" / Int32ub,
        "workload_digest" / Bytes(32),
        "input_seed" / Int64ub,
        "input_size" / Int32ub,
        "priority" / Int8ub,
        "deadline_ms" / Int32ub,
        "energy_budget_mj" / Int32ub,
        "protection" / Int8ub,
        Terminated,
    ),
    (JOB_SERVICE, 3): Struct("job_id" / Int32ub, Terminated),
    (JOB_SERVICE, 5): Struct(Terminated),
    (JOB_SERVICE, 7): Struct("job_id" / Int32ub, Terminated),
    (JOB_SERVICE, 9): Struct("job_id" / Int32ub, "offset" / Int32ub, "length" / Int16ub, Terminated),
    (JOB_SERVICE, 11): Struct("job_id" / Int32ub, Terminated),
    (JOB_SERVICE, 13): Struct("job_id" / Int32ub, "replica" / Int8ub, "offset" / Int32ub, "mask" / Int8ub, Terminated),
}

#: Source data of the TM packets with a fixed layout (spec parameter ``tm_layouts``); TM[3,25]
#: and TM[5,1..4] are built from :data:`HK_TYPES` and :data:`EVENT_AUX`.
TM_LAYOUTS: Final[dict[tuple[int, int], Struct]] = {
    (1, 1): Struct("request_id" / Bytes(4)),
    (1, 2): Struct("request_id" / Bytes(4), "code" / Int16ub, "data" / GreedyBytes),
    (1, 3): Struct("request_id" / Bytes(4)),
    (1, 5): Struct("request_id" / Bytes(4), "step" / Int16ub),
    (1, 7): Struct("request_id" / Bytes(4)),
    (1, 8): Struct("request_id" / Bytes(4), "code" / Int16ub, "data" / GreedyBytes),
    (5, 8): Struct("event_ids" / _U16_LIST),
    (17, 2): Struct(),
    (JOB_SERVICE, 4): Struct(
        "job_id" / Int32ub,
        "state" / Int8ub,
        "reason" / Int16ub,
        "priority" / Int8ub,
        "protection" / Int8ub,
        "progress_permille" / Int16ub,
        "result_size" / Int32ub,
        "restarts" / Int16ub,
        "energy_used_mj" / Int32ub,
    ),
    (JOB_SERVICE, 6): Struct("jobs" / PrefixedArray(Int16ub, Struct("job_id" / Int32ub, "state" / Int8ub))),
    (JOB_SERVICE, 10): Struct("job_id" / Int32ub, "offset" / Int32ub, "total_size" / Int32ub, "data" / GreedyBytes),
}

#: Wire types of the housekeeping parameters (spec parameter ``hk_parameters``: u8, u16, u32, i16).
HK_TYPES: Final = {"u8": Int8ub, "u16": Int16ub, "u32": Int32ub, "i16": Int16sb}

_JOB_EVENT = Struct("job_id" / Int32ub, "from_state" / Int8ub, "to_state" / Int8ub, "reason" / Int16ub)
_RESET_EVENT = Struct("reset_count" / Int16ub)
_PROTECTION_EVENT = Struct("job_id" / Int32ub, "protection" / Int8ub)

#: Auxiliary data of each event, by name (spec parameter ``events``).
EVENT_AUX: Final[dict[str, Struct]] = {
    "power_on": _RESET_EVENT,
    "watchdog_reset": _RESET_EVENT,
    "latchup_reset": _RESET_EVENT,
    "job_queued": _JOB_EVENT,
    "job_running": _JOB_EVENT,
    "job_suspended": _JOB_EVENT,
    "job_completed": _JOB_EVENT,
    "job_failed": _JOB_EVENT,
    "job_cancelled": _JOB_EVENT,
    "job_expired": _JOB_EVENT,
    "protection_mismatch_detected": _PROTECTION_EVENT,
    "protection_mismatch_corrected": _PROTECTION_EVENT,
    "power_budget_low": Struct("budget_mw" / Int32ub, "suspended" / Int16ub),
}


class AppDataError(ValueError):
    """Application data that does not fit its request's layout (acceptance failure ``length``)."""


def parse_app_data(service: int, subtype: int, data: bytes) -> dict[str, Any]:
    """The fields of a telecommand's application data; :class:`AppDataError` when it does not fit
    the layout (too short, too long, or a list count disagreeing with the octets)."""
    layout = TC_LAYOUTS[(service, subtype)]
    try:
        parsed = layout.parse(data)
    except ConstructError as exc:
        raise AppDataError(f"TC[{service},{subtype}] application data of {len(data)} octets: {exc}") from None
    return {k: (list(v) if k in ("parameters", "sids", "event_ids") else v) for k, v in parsed.items() if k != "_io"}


def build_tm_data(service: int, subtype: int, **fields: Any) -> bytes:
    """The source data of a fixed-layout TM."""
    return bytes(TM_LAYOUTS[(service, subtype)].build(fields))

"""Operations of the net-optical-isl ``reliable`` class on the reference product (a mixin of
:class:`orbitcert.reference_impl.optical.iut.ReferenceOpticalLink`): COP-1 (CCSDS 232.1-B-2) over
USLP, through :mod:`.cop1`.

Operation names, argument order and result shapes are those of the spec's ``interface`` section
(``fop_start``, ``fop_step``, ``fop_directive``, ``farm_start``, ``farm_receive``). The state of
each end lives in the attributes ``_reliable_fop`` / ``_reliable_farm``, created by the start
operations (a mixin has no ``__init__``). Bad arguments raise :class:`.cop1.Cop1Error`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .cop1 import Cop1Error, Farm1, Fop1, encode_clcw

__all__ = ["ReliableOps"]

_FOP_KEYS = ("scid", "vcid", "map_id", "window", "transmission_limit", "timeout")
_FARM_KEYS = ("scid", "vcid", "window")


def _config(config: Any, keys: tuple[str, ...], what: str) -> dict[str, Any]:
    if not isinstance(config, Mapping):
        raise Cop1Error(f"{what}: config must be an object, got {type(config).__name__}")
    missing = [k for k in keys if k not in config]
    extra = [k for k in config if k not in keys]
    if missing or extra:
        raise Cop1Error(f"{what}: config keys missing {missing}, unknown {extra}")
    return {k: config[k] for k in keys}


class ReliableOps:
    """The ``reliable`` class operations: one FOP-1 and one FARM-1 (one virtual channel each)."""

    _reliable_fop: Fop1 | None
    _reliable_farm: Farm1 | None
    #: The FOP-1 and FARM-1 classes the start operations instantiate (a variant may replace them).
    fop_class: type[Fop1] = Fop1
    farm_class: type[Farm1] = Farm1

    def _check_window_parameters(self, window: Any, what: str) -> None:
        spec = getattr(self, "spec", None)
        if spec is None or not isinstance(window, int):
            return
        try:
            low, high = spec.parameter(what)
        except KeyError:
            return
        if not int(low) <= window <= int(high):
            raise Cop1Error(f"window: {window} outside {what} {low}..{high}")

    def fop_start(self, config: Mapping[str, Any]) -> None:
        """Reset FOP-1 and "Initiate AD service without CLCW check" (232.1-B-2 table 5-1 E23)."""
        values = _config(config, _FOP_KEYS, "fop_start")
        self._check_window_parameters(values["window"], "fop_sliding_window_range")
        self._reliable_fop = self.fop_class(**values)

    def _fop(self) -> Fop1:
        fop: Fop1 | None = getattr(self, "_reliable_fop", None)
        if fop is None:
            raise Cop1Error("FOP-1 not started: call fop_start first")
        return fop

    def fop_step(self, now: float, clcws: Sequence[bytes], sdus: Sequence[bytes]) -> dict[str, Any]:
        """CLCWs in order, then Timer T1 at ``now``, then the leading ``sdus`` FOP-1 can transmit."""
        if not isinstance(clcws, (list, tuple)) or not isinstance(sdus, (list, tuple)):
            raise Cop1Error("fop_step: clcws and sdus must be lists of bytes")
        step = self._fop().step(now, clcws, sdus)
        return {
            "accepted": step.accepted,
            "frames": step.frames,
            "state": step.state.value,
            "alert": step.alert,
            "vs": step.vs,
        }

    def fop_directive(self, now: float, directive: str, value: int = 0) -> dict[str, Any]:
        """Initiate AD service with Unlock ("unlock") or with Set V(R) = ``value`` ("set_vr")."""
        fop = self._fop()
        frames = fop.directive(now, directive, value)
        return {"frames": frames, "state": fop.state.value}

    def farm_start(self, config: Mapping[str, Any]) -> None:
        """Reset FARM-1: state open, V(R) = 0, flags clear, FARM-B counter 0, window W."""
        values = _config(config, _FARM_KEYS, "farm_start")
        self._check_window_parameters(values["window"], "farm_sliding_window_range")
        self._reliable_farm = self.farm_class(**values)

    def farm_receive(self, frames: Sequence[bytes], buffer_available: bool = True) -> dict[str, Any]:
        """Process ``frames`` in order; the SDUs delivered and the CLCW after processing."""
        farm: Farm1 | None = getattr(self, "_reliable_farm", None)
        if farm is None:
            raise Cop1Error("FARM-1 not started: call farm_start first")
        if not isinstance(frames, (list, tuple)):
            raise Cop1Error("farm_receive: frames must be a list of bytes")
        delivered = farm.receive(frames, buffer_available)
        return {"delivered": delivered, "clcw": encode_clcw(farm.clcw())}

"""Operations of the net-optical-isl ``framing`` class on the reference product (a mixin of
:class:`orbitcert.reference_impl.optical.iut.ReferenceOpticalLink`): USLP transfer frames (CCSDS
732.1-B-2) through :mod:`.uslp`, space packets (CCSDS 133.0-B-2) and their transfer in
fixed-length frames through :mod:`.packets`.

Operation names, argument order and result shapes are those of the spec's ``interface`` section
(``uslp_build``, ``uslp_parse``, ``packets_build``, ``packets_to_frames``, ``frames_to_packets``).
Normative constants are read from the spec under test (``self.spec``) when there is one. Bad
arguments raise :class:`.uslp.FramingError` (code ``argument``); ``uslp_parse`` never raises for a
bad frame, it reports ``{"error": CODE}`` for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .packets import ChannelConfig, SpacePacket, build_packet, demultiplex, multiplex
from .uslp import FramingError, FramingParameters, UslpFrame, build_frame, parse_frames

__all__ = ["FramingOps"]


def _sequence(value: Any, name: str) -> Sequence[Any]:
    if isinstance(value, (str, bytes, bytearray)) or not isinstance(value, Sequence):
        raise FramingError("argument", f"{name}: expected a list, got {type(value).__name__}")
    return value


class FramingOps:
    """The ``framing`` class operations (stateless: every call carries its configuration)."""

    def _framing_parameters(self) -> FramingParameters:
        spec = getattr(self, "spec", None)
        cached = getattr(self, "_framing_cache", None)
        if cached is not None and cached[0] is spec:
            params: FramingParameters = cached[1]
            return params
        params = FramingParameters.from_spec(spec)
        self._framing_cache = (spec, params)
        return params

    def uslp_build(self, frames: Sequence[Mapping[str, Any]], fecf: str = "crc16") -> list[bytes]:
        """One encoded USLP frame per FrameFields mapping (CCSDS 732.1-B-2 4.1)."""
        params = self._framing_parameters()
        return [build_frame(UslpFrame.from_fields(f), fecf, params) for f in _sequence(frames, "frames")]

    def uslp_parse(self, frames: Sequence[bytes], fecf: str = "crc16") -> list[dict[str, Any]]:
        """Per frame its FrameFields with ``error: None``, or ``{"error": CODE}``."""
        params = self._framing_parameters()
        out: list[dict[str, Any]] = []
        for result in parse_frames(_sequence(frames, "frames"), fecf, params):
            if isinstance(result, FramingError):
                if result.code == "argument":
                    raise result
                out.append({"error": result.code})
            else:
                out.append({**result.as_fields(), "error": None})
        return out

    def packets_build(self, packets: Sequence[Mapping[str, Any]]) -> list[bytes]:
        """One encoded space packet per packet mapping (CCSDS 133.0-B-2 4.1)."""
        return [build_packet(SpacePacket.from_fields(p)) for p in _sequence(packets, "packets")]

    def packets_to_frames(self, packets: Sequence[bytes], config: Mapping[str, Any]) -> list[bytes]:
        """The fixed-length USLP frames carrying ``packets``, idle-filled (CCSDS 732.1-B-2 4.1.4)."""
        rows = multiplex(_sequence(packets, "packets"), ChannelConfig.from_mapping(config), self._framing_parameters())
        return [row.tobytes() for row in rows]

    def frames_to_packets(self, frames: Sequence[bytes], config: Mapping[str, Any]) -> dict[str, Any]:
        """``{"packets": [...], "rejected": n}``: the non-idle packets rebuilt from ``frames``."""
        packets, rejected = demultiplex(
            _sequence(frames, "frames"), ChannelConfig.from_mapping(config), self._framing_parameters()
        )
        return {"packets": packets, "rejected": rejected}

"""Operations of the net-optical-isl ``acquisition`` class on the reference product (a mixin of
:class:`orbitcert.reference_impl.optical.iut.ReferenceOpticalLink`): the pointing, acquisition
and tracking state machine of :mod:`.pat` (OISL-ACQ-001..004; acquisition time limit of the SDA
Optical Communications Terminal standard v3.2.0, state machine and timing of this profile)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .pat import PatConfig, PatController, PatError, PatProfile

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = ["REFERENCE_LOSS_TIMEOUT", "AcquisitionOps"]

#: The reference terminal's loss-of-signal timeout (s), declared as ICS ``pat_loss_timeout_s``.
REFERENCE_LOSS_TIMEOUT = 2.0


class AcquisitionOps:
    """The ``acquisition`` class operations. State lives in ``_pat``, created by
    :meth:`pat_configure` (mixins define no ``__init__``)."""

    spec: Spec | None
    #: Profile overrides of subclasses (the broken products of the toolkit's tests use them).
    pat_profile_overrides: Mapping[str, Any] = {}

    def _pat_profile(self) -> PatProfile:
        values: dict[str, Any] = {"loss_timeout": REFERENCE_LOSS_TIMEOUT}
        values.update(self.pat_profile_overrides)
        return PatProfile.from_spec(getattr(self, "spec", None), **values)

    def _pat_controller(self, config: PatConfig) -> PatController:
        """The controller a configuration builds (subclasses may return another)."""
        return PatController(config, self._pat_profile())

    def pat_configure(self, config: Mapping[str, Any]) -> None:
        """Configure for a trial (``uncertainty`` rad, ``beacon_divergence`` rad, ``step`` s)
        and reset to off."""
        self._pat = self._pat_controller(PatConfig.from_mapping(config))

    def pat_step(self, now: float, command: str, detected: bool, offset_x: float, offset_y: float) -> dict[str, Any]:
        """One time step: ``{"state", "pointing_x", "pointing_y"}`` at time ``now``."""
        pat: PatController | None = getattr(self, "_pat", None)
        if pat is None:
            raise PatError("pat_step before pat_configure")
        return pat.step(now, command, detected, offset_x, offset_y).as_dict()

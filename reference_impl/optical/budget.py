"""Optical link budget of net-optical-isl class ``budget`` (verification by analysis).

The free-space optical link equation (H. Hemmati (ed.), *Near-Earth Laser Communications*, CRC
Press, 2009, link equation; the same form in Majumdar and Ricklin, *Free-Space Laser
Communications*, Springer, 2008)::

    P_r = P_t * G_t * L_tx * L_p * L_fs * G_r * L_rx
    G   = (pi D / lambda)^2            diffraction-limited gain of an aperture of diameter D
    L_fs = (lambda / (4 pi R))^2       free-space loss over range R

in decibels ``P_r[dBm] = P_t[dBm] + G_t - L_tx - L_p + L_fs + G_r - L_rx`` with the losses
declared positive. No antenna efficiency is applied beyond the optics losses the supplier
declares. The margin is ``P_r - sensitivity``. :func:`link_budget` returns every step (name,
value, unit) so the computation can be shown as evidence (OISL-BUD-001, OISL-BUD-002), and
:func:`plausibility_findings` the checks of OISL-BUD-003. Functions of range accept numpy arrays.

Only :class:`BudgetError` is raised for a bad argument.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = [
    "ICS_ITEMS",
    "PLANCK",
    "SPEED_OF_LIGHT",
    "BudgetError",
    "BudgetStep",
    "LinkBudget",
    "PlausibilityLimits",
    "TerminalParameters",
    "aperture_gain_db",
    "far_field_distance_m",
    "free_space_loss_db",
    "link_budget",
    "margin_db",
    "photons_per_bit",
    "plausibility_findings",
]

#: Exact SI values (2019 redefinition).
SPEED_OF_LIGHT = 299_792_458.0  # m/s
PLANCK = 6.626_070_15e-34  # J s

FloatOrArray = float | npt.NDArray[np.float64]


class BudgetError(ValueError):
    """A terminal parameter is missing or not a number (the message names it)."""


#: TerminalParameters field -> (ICS item id, unit).
ICS_ITEMS: Mapping[str, tuple[str, str]] = {
    "tx_power_w": ("budget_tx_power_w", "W"),
    "wavelength_nm": ("budget_wavelength_nm", "nm"),
    "tx_aperture_m": ("budget_tx_aperture_m", "m"),
    "rx_aperture_m": ("budget_rx_aperture_m", "m"),
    "pointing_loss_db": ("budget_pointing_loss_db", "dB"),
    "tx_optics_loss_db": ("budget_tx_optics_loss_db", "dB"),
    "rx_optics_loss_db": ("budget_rx_optics_loss_db", "dB"),
    "rx_sensitivity_dbm": ("budget_rx_sensitivity_dbm", "dBm"),
    "data_rate_gbps": ("budget_data_rate_gbps", "Gbit/s"),
    "max_range_km": ("budget_max_range_km", "km"),
    "declared_margin_db": ("budget_declared_margin_db", "dB"),
}


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BudgetError(f"{name}: expected a number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class TerminalParameters:
    """The terminal parameters a supplier declares (ICS items ``budget_*``, :data:`ICS_ITEMS`)."""

    tx_power_w: float
    wavelength_nm: float
    tx_aperture_m: float
    rx_aperture_m: float
    pointing_loss_db: float
    tx_optics_loss_db: float
    rx_optics_loss_db: float
    rx_sensitivity_dbm: float
    data_rate_gbps: float
    max_range_km: float
    declared_margin_db: float

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _number(f.name, getattr(self, f.name)))

    @classmethod
    def missing_items(cls, items: Mapping[str, Any]) -> list[str]:
        """ICS item ids of the budget that ``items`` does not declare."""
        return [ics_id for ics_id, _ in ICS_ITEMS.values() if items.get(ics_id) is None]

    @classmethod
    def from_ics(cls, items: Mapping[str, Any]) -> TerminalParameters:
        """From ICS answers; :class:`BudgetError` naming the items missing or not numbers."""
        missing = cls.missing_items(items)
        if missing:
            raise BudgetError(f"not declared: {', '.join(missing)}")
        return cls(**{name: items[ics_id] for name, (ics_id, _) in ICS_ITEMS.items()})

    def as_inputs(self) -> dict[str, tuple[float, str]]:
        """``{ICS item id: (value, unit)}``: the inputs of an analysis record."""
        return {ics_id: (float(getattr(self, name)), unit) for name, (ics_id, unit) in ICS_ITEMS.items()}


def aperture_gain_db(diameter_m: FloatOrArray, wavelength_m: float) -> FloatOrArray:
    """10 log10((pi D / lambda)^2): gain of a diffraction-limited circular aperture."""
    return 20.0 * np.log10(np.pi * np.asarray(diameter_m, dtype=np.float64) / wavelength_m)


def free_space_loss_db(wavelength_m: float, range_m: FloatOrArray) -> FloatOrArray:
    """10 log10((lambda / (4 pi R))^2): free-space loss, negative in dB."""
    return 20.0 * np.log10(wavelength_m / (4.0 * np.pi * np.asarray(range_m, dtype=np.float64)))


def photons_per_bit(power_dbm: FloatOrArray, wavelength_nm: float, data_rate_gbps: float) -> FloatOrArray:
    """Photons received per bit at ``power_dbm``: P / (h c / lambda) / R."""
    power_w = 10.0 ** ((np.asarray(power_dbm, dtype=np.float64) - 30.0) / 10.0)
    photon_j = PLANCK * SPEED_OF_LIGHT / (wavelength_nm * 1e-9)
    return power_w / photon_j / (data_rate_gbps * 1e9)


@dataclass(frozen=True)
class BudgetStep:
    """One line of the budget."""

    name: str
    value: float
    unit: str


@dataclass(frozen=True)
class LinkBudget:
    """The computed budget at one range: every step in order, then the received power and the
    margin."""

    steps: tuple[BudgetStep, ...]
    received_power_dbm: float
    margin_db: float

    def value(self, name: str) -> float:
        for s in self.steps:
            if s.name == name:
                return s.value
        raise KeyError(name)

    def as_steps(self) -> list[tuple[str, float, str]]:
        """``[(name, value, unit)]`` for an analysis record."""
        return [(s.name, s.value, s.unit) for s in self.steps]


def link_budget(t: TerminalParameters, range_km: float | None = None) -> LinkBudget:
    """The link equation for terminal ``t`` at ``range_km`` (default: its maximum range)."""
    if not isinstance(t, TerminalParameters):
        raise BudgetError(f"expected TerminalParameters, got {type(t).__name__}")
    r_km = t.max_range_km if range_km is None else _number("range_km", range_km)
    if not (t.tx_power_w > 0 and t.wavelength_nm > 0 and t.tx_aperture_m > 0 and t.rx_aperture_m > 0 and r_km > 0):
        raise BudgetError("power, wavelength, apertures and range must be positive to compute a budget")
    lam = t.wavelength_nm * 1e-9
    p_t = 10.0 * math.log10(t.tx_power_w * 1e3)
    g_t = float(aperture_gain_db(t.tx_aperture_m, lam))
    g_r = float(aperture_gain_db(t.rx_aperture_m, lam))
    l_fs = float(free_space_loss_db(lam, r_km * 1e3))
    p_r = p_t + g_t - t.tx_optics_loss_db - t.pointing_loss_db + l_fs + g_r - t.rx_optics_loss_db
    margin = p_r - t.rx_sensitivity_dbm
    steps = (
        BudgetStep("transmit power", p_t, "dBm"),
        BudgetStep("transmit aperture gain (pi D_t / lambda)^2", g_t, "dB"),
        BudgetStep("transmit optics loss", -t.tx_optics_loss_db, "dB"),
        BudgetStep("pointing loss", -t.pointing_loss_db, "dB"),
        BudgetStep("free-space loss (lambda / (4 pi R))^2", l_fs, "dB"),
        BudgetStep("receive aperture gain (pi D_r / lambda)^2", g_r, "dB"),
        BudgetStep("receive optics loss", -t.rx_optics_loss_db, "dB"),
        BudgetStep("received power", p_r, "dBm"),
        BudgetStep("receiver sensitivity", t.rx_sensitivity_dbm, "dBm"),
        BudgetStep("link margin", margin, "dB"),
    )
    return LinkBudget(steps, p_r, margin)


def margin_db(t: TerminalParameters, range_km: FloatOrArray) -> FloatOrArray:
    """The margin at each of ``range_km`` (a numpy array for a margin-versus-range curve)."""
    at_max = link_budget(t)
    r = np.asarray(range_km, dtype=np.float64)
    return at_max.margin_db - 20.0 * np.log10(r / t.max_range_km)


def far_field_distance_m(diameter_m: FloatOrArray, wavelength_m: float) -> FloatOrArray:
    """2 D^2 / lambda: the Fraunhofer distance of an aperture of diameter D, beyond which the
    far-field gain (pi D / lambda)^2 and the free-space loss of the link equation hold (Born and
    Wolf, *Principles of Optics*, 8.3)."""
    d = np.asarray(diameter_m, dtype=np.float64)
    return 2.0 * d * d / wavelength_m


@dataclass(frozen=True)
class PlausibilityLimits:
    """The spec's plausibility bounds (OISL-BUD-003)."""

    wavelength_min_nm: float = 1000.0
    wavelength_max_nm: float = 1700.0
    min_photons_per_bit: float = 1.0
    tx_power_max_w: float = 100.0
    aperture_max_m: float = 1.0
    data_rate_min_gbps: float = 1e-3
    range_max_km: float = 500_000.0

    @classmethod
    def from_spec(cls, spec: Spec) -> PlausibilityLimits:
        """``budget_wavelength_min``/``max``, ``budget_min_photons_per_bit``,
        ``budget_tx_power_max``, ``budget_aperture_max``, ``budget_data_rate_min`` and
        ``budget_range_max`` of the spec."""
        return cls(
            spec.parameter("budget_wavelength_min"),
            spec.parameter("budget_wavelength_max"),
            spec.parameter("budget_min_photons_per_bit"),
            spec.parameter("budget_tx_power_max"),
            spec.parameter("budget_aperture_max"),
            spec.parameter("budget_data_rate_min"),
            spec.parameter("budget_range_max"),
        )


def plausibility_findings(items: Mapping[str, Any], limits: PlausibilityLimits) -> list[str]:
    """Every OISL-BUD-003 finding in the ICS answers ``items`` (empty: declared and plausible)."""
    out = [f"{i} not declared" for i in TerminalParameters.missing_items(items)]
    vals: dict[str, float] = {}
    for name, (ics_id, unit) in ICS_ITEMS.items():
        v = items.get(ics_id)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            out.append(f"{ics_id} = {v!r} is not a finite number")
            continue
        vals[name] = float(v)
    for name in ("tx_power_w", "tx_aperture_m", "rx_aperture_m", "data_rate_gbps", "max_range_km", "wavelength_nm"):
        if name in vals and vals[name] <= 0:
            out.append(f"{ICS_ITEMS[name][0]} = {vals[name]:g} {ICS_ITEMS[name][1]} is not positive")
    for name in ("pointing_loss_db", "tx_optics_loss_db", "rx_optics_loss_db"):
        if name in vals and vals[name] <= 0:
            kind = "a gain, not a loss" if vals[name] < 0 else "no loss: no optical train or pointing is lossless"
            out.append(f"{ICS_ITEMS[name][0]} = {vals[name]:g} dB is {kind}")
    caps = (
        ("tx_power_w", limits.tx_power_max_w),
        ("tx_aperture_m", limits.aperture_max_m),
        ("rx_aperture_m", limits.aperture_max_m),
        ("max_range_km", limits.range_max_km),
    )
    for name, cap in caps:
        if name in vals and vals[name] > cap:
            ics_id, unit = ICS_ITEMS[name]
            out.append(f"{ics_id} = {vals[name]:g} {unit} is above the plausible {cap:g} {unit}")
    if "data_rate_gbps" in vals and 0 < vals["data_rate_gbps"] < limits.data_rate_min_gbps:
        out.append(
            f"budget_data_rate_gbps = {vals['data_rate_gbps']:g} Gbit/s is below the plausible "
            f"{limits.data_rate_min_gbps:g} Gbit/s"
        )
    lam = vals.get("wavelength_nm")
    if lam is not None and not limits.wavelength_min_nm <= lam <= limits.wavelength_max_nm:
        out.append(
            f"budget_wavelength_nm = {lam:g} nm is outside {limits.wavelength_min_nm:g}..{limits.wavelength_max_nm:g} nm"
        )
    rate, sens = vals.get("data_rate_gbps"), vals.get("rx_sensitivity_dbm")
    if lam is not None and lam > 0 and rate is not None and rate > 0 and sens is not None:
        n = float(photons_per_bit(sens, lam, rate))
        if n < limits.min_photons_per_bit:
            out.append(
                f"budget_rx_sensitivity_dbm = {sens:g} dBm is {n:.3g} photons per bit at {rate:g} Gbit/s, "
                f"fewer than {limits.min_photons_per_bit:g}"
            )
    out += _geometry_findings(vals)
    return out


def _geometry_findings(vals: Mapping[str, float]) -> list[str]:
    """Far field of both apertures at the maximum range, and received power no greater than the
    transmit power (when the values needed are present and positive)."""
    out: list[str] = []
    needed = ("wavelength_nm", "tx_aperture_m", "rx_aperture_m", "max_range_km", "tx_power_w")
    if not all(vals.get(n, 0.0) > 0 for n in needed):
        return out
    lam = vals["wavelength_nm"] * 1e-9
    range_m = vals["max_range_km"] * 1e3
    for name in ("tx_aperture_m", "rx_aperture_m"):
        far = 2.0 * vals[name] * vals[name] / lam  # far_field_distance_m in Python floats: no overflow warning
        if range_m < far:
            out.append(
                f"budget_max_range_km = {vals['max_range_km']:g} km is in the near field of the "
                f"{vals[name]:g} m aperture ({ICS_ITEMS[name][0]}; far field from 2 D^2 / lambda = {far / 1e3:.3g} km)"
            )
    if all(n in vals for n in ICS_ITEMS):
        b = link_budget(TerminalParameters(**vals))
        p_t = b.value("transmit power")
        if b.received_power_dbm > p_t:
            out.append(
                f"received power {b.received_power_dbm:.2f} dBm exceeds the transmit power {p_t:.2f} dBm"
            )
    return out

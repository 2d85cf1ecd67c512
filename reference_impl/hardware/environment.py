"""Radiation environments of the simulated compute module: per-bit single-event-upset (SEU) rates,
the Weibull heavy-ion cross-section, and the two textbook ways of turning one into the other.

Units throughout (the units of the SEU literature):

* LET ``L`` in MeV cm^2/mg;
* cross-section ``sigma`` in cm^2 per bit;
* integral LET flux ``F(L)`` (particles with LET above ``L``) in particles / cm^2 / day;
* upset rate in upsets per bit per day.

Methods
-------
* Weibull cross-section (the standard fit of heavy-ion test data, e.g. JESD57 / ESCC 25100 test
  reports and CREME96's input): ``sigma(L) = sigma_sat * (1 - exp(-((L - L0) / W) ** s))`` for
  ``L > L0``, else 0.
* Petersen figure of merit (E. L. Petersen, J. C. Pickel, E. C. Smith, P. J. McNulty, "Geometrical
  factors in SEE rate calculations", IEEE TNS 40(6) 1993; E. L. Petersen et al., "Rate prediction
  for single event effects - a critique", IEEE TNS 39(6) 1992; E. L. Petersen, "The SEU figure of
  merit and proton upset rate calculations", IEEE TNS 45(6) 1998; reviewed by J. Barak, R. A. Reed,
  K. A. LaBel, "On the figure of merit model for SEU rate calculations", IEEE TNS 46(6) 1999,
  doi:10.1109/23.819114): ``FOM = sigma_sat / L25^2`` with ``L25`` the LET at 25 % of saturation,
  and ``R = C * FOM`` where ``C`` (upsets/bit/day per unit FOM) depends only on the orbit and the
  shielding.
* Folding with a tabulated integral LET spectrum (the CREME96 "LETSPEC" output):
  ``R = integral sigma(L) (-dF/dL) dL`` -- the effective-flux form without the RPP chord
  distribution, i.e. the cross-section is taken as already angle-averaged (Barak et al. 1999
  eq. for ``R_H``).

Environments
------------
The three named environments carry a per-bit rate for one illustrative hardened SRAM technology
(:data:`HARDENED_SRAM`), computed with the figure-of-merit method; every coefficient states where
it comes from and how firm it is (``Environment.source``). Users with a vendor's Weibull fit and a
CREME96 run should compute their own rate with :func:`fit_weibull` and :func:`rate_from_spectrum`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "ENVIRONMENTS",
    "Environment",
    "EnvironmentModelError",
    "FOM_COEFFICIENTS",
    "HARDENED_SRAM",
    "Weibull",
    "environment",
    "figure_of_merit",
    "fit_weibull",
    "fom_rate",
    "l25",
    "rate_from_spectrum",
]

FloatArray = npt.NDArray[np.float64]


class EnvironmentModelError(ValueError):
    """An unknown environment name, or Weibull parameters / spectra that make no physical sense."""


@dataclass(frozen=True)
class Weibull:
    """Weibull heavy-ion cross-section ``sigma(L)`` (cm^2/bit against LET in MeV cm^2/mg).

    ``sigma_sat`` saturation cross-section, ``l0`` onset LET (no upset at or below it), ``w`` width,
    ``s`` shape. All finite, ``sigma_sat > 0``, ``l0 >= 0``, ``w > 0``, ``s > 0``.
    """

    sigma_sat: float
    l0: float
    w: float
    s: float

    def __post_init__(self) -> None:
        values = {"sigma_sat": self.sigma_sat, "l0": self.l0, "w": self.w, "s": self.s}
        for name, value in values.items():
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise EnvironmentModelError(f"Weibull {name} must be a finite number, not {value!r}")
        if self.sigma_sat <= 0 or self.w <= 0 or self.s <= 0:
            raise EnvironmentModelError(
                f"Weibull sigma_sat, w and s must be > 0 (got sigma_sat={self.sigma_sat}, w={self.w}, s={self.s})"
            )
        if self.l0 < 0:
            raise EnvironmentModelError(f"Weibull l0 must be >= 0 (got {self.l0})")

    def cross_section(self, let: npt.ArrayLike) -> FloatArray:
        """``sigma(L)`` for every LET in ``let`` (any shape); 0 at and below ``l0``."""
        return _weibull(np.asarray(let, dtype=np.float64), self.sigma_sat, self.l0, self.w, self.s)

    def to_dict(self) -> dict[str, float]:
        return {"sigma_sat": self.sigma_sat, "l0": self.l0, "w": self.w, "s": self.s}


def _weibull(let: FloatArray, sigma_sat: float, l0: float, w: float, s: float) -> FloatArray:
    x = np.clip((let - l0) / w, 0.0, None)
    return np.where(let > l0, sigma_sat * -np.expm1(-(x**s)), 0.0)


def l25(weibull: Weibull) -> float:
    """LET at which ``sigma = sigma_sat / 4``: solving ``1 - exp(-((L - L0)/W)^s) = 1/4`` gives
    ``L25 = L0 + W * ln(4/3) ** (1/s)`` (Petersen 1992's definition of the FOM's LET)."""
    return float(weibull.l0 + weibull.w * math.log(4.0 / 3.0) ** (1.0 / weibull.s))


def figure_of_merit(weibull: Weibull) -> float:
    """Petersen's heavy-ion figure of merit ``sigma_sat / L25^2`` (cm^2/bit / (MeV cm^2/mg)^2)."""
    return weibull.sigma_sat / l25(weibull) ** 2


def fom_rate(weibull: Weibull, coefficient: float) -> float:
    """Upset rate ``R = C * sigma_sat / L25^2`` (upsets/bit/day) for the orbit coefficient ``C``
    (see :data:`FOM_COEFFICIENTS`). Valid for devices the FOM describes well: not for very hard
    parts whose ``L0`` approaches the top of the ion LET spectrum, nor for proton-dominated soft
    parts (Barak et al. 1999, section II.C)."""
    if not math.isfinite(coefficient) or coefficient <= 0:
        raise EnvironmentModelError(f"figure-of-merit coefficient must be a finite number > 0, not {coefficient!r}")
    return coefficient * figure_of_merit(weibull)


def fit_weibull(
    let: npt.ArrayLike, cross_section: npt.ArrayLike, *, initial: Weibull | None = None
) -> Weibull:
    """Fit ``(sigma_sat, L0, W, s)`` to heavy-ion test points by least squares on ``log(sigma)``
    (the data span decades; a linear fit would ignore the onset region) with
    :func:`scipy.optimize.least_squares`, bounds ``0 <= L0 < min LET of the points`` (every point
    given has a measured, non-zero cross-section), ``W, s, sigma_sat > 0``.

    At least four points with positive cross-sections are needed (four parameters)."""
    from scipy.optimize import least_squares

    x = np.asarray(let, dtype=np.float64).ravel()
    y = np.asarray(cross_section, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise EnvironmentModelError(f"let and cross_section differ in length ({x.size} vs {y.size})")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise EnvironmentModelError("let and cross_section must be finite numbers")
    keep = y > 0
    x, y = x[keep], y[keep]
    if x.size < 4:
        raise EnvironmentModelError(f"fit_weibull needs >= 4 points with a non-zero cross-section, got {x.size}")
    if np.any(x <= 0):
        raise EnvironmentModelError("LET values must be > 0")
    l_min = float(x.min())
    if initial is None:
        sat = float(y.max())
        l0_guess = 0.5 * l_min
        span = max(float(x.max()) - l0_guess, 1e-6)
        initial = Weibull(sat, l0_guess, span / 2.0, 1.5)
    log_y = np.log(y)

    def residuals(p: FloatArray) -> FloatArray:
        log_sat, l0, w, s = (float(v) for v in p)
        model = _weibull(x, math.exp(log_sat), l0, w, s)
        return np.log(np.maximum(model, 1e-300)) - log_y

    upper_l0 = l_min * (1.0 - 1e-9)
    p0 = np.array(
        [math.log(initial.sigma_sat), min(initial.l0, upper_l0 * 0.999), initial.w, initial.s], dtype=np.float64
    )
    fit = least_squares(
        residuals,
        p0,
        bounds=([-np.inf, 0.0, 1e-9, 0.05], [np.inf, upper_l0, np.inf, 50.0]),
        x_scale="jac",
        max_nfev=20_000,
    )
    if not fit.success:
        raise EnvironmentModelError(f"Weibull fit did not converge: {fit.message}")
    log_sat, l0, w, s = (float(v) for v in fit.x)
    return Weibull(math.exp(log_sat), l0, w, s)


def rate_from_spectrum(
    weibull: Weibull, let: npt.ArrayLike, integral_flux: npt.ArrayLike, *, points: int = 4096
) -> float:
    """Upset rate (upsets/bit/day) of a device with cross-section ``weibull`` in the integral LET
    spectrum ``integral_flux[i] = F(let[i])`` (particles/cm^2/day with LET above ``let[i]``, e.g. a
    CREME96 LETSPEC table; ``let`` strictly increasing, ``F`` non-increasing and >= 0).

    ``R = sum over LET bins of sigma(L_mid) * (F(L_lo) - F(L_hi)) + sigma(L_last) * F(L_last)``:
    the particles in each bin weighted by the cross-section at the bin centre, on a grid refined to
    ``points`` bins (``F`` interpolated log-log between the tabulated points, linearly where it is
    zero), and the particles beyond the table's last LET counted at ``sigma(L_last)`` (exact once the
    cross-section has saturated). Particles below the table's first LET are not counted.
    """
    x = np.asarray(let, dtype=np.float64).ravel()
    f = np.asarray(integral_flux, dtype=np.float64).ravel()
    if x.shape != f.shape or x.size < 2:
        raise EnvironmentModelError("let and integral_flux must be two arrays of the same length >= 2")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(f))):
        raise EnvironmentModelError("let and integral_flux must be finite numbers")
    if np.any(x <= 0) or np.any(np.diff(x) <= 0):
        raise EnvironmentModelError("let must be > 0 and strictly increasing")
    if np.any(f < 0) or np.any(np.diff(f) > 0):
        raise EnvironmentModelError("integral_flux must be >= 0 and non-increasing in LET")
    if points < x.size:
        points = x.size
    grid = np.unique(np.concatenate([np.geomspace(x[0], x[-1], points + 1), x]))
    if weibull.l0 > x[0] and weibull.l0 < x[-1]:
        grid = np.unique(np.concatenate([grid, [weibull.l0]]))  # no bin straddles the onset
    positive = f > 0
    if np.all(positive):
        fg = np.exp(np.interp(np.log(grid), np.log(x), np.log(f)))
    else:
        fg = np.interp(grid, x, f)
    mid = 0.5 * (grid[:-1] + grid[1:])
    in_bins = float(np.sum(weibull.cross_section(mid) * (fg[:-1] - fg[1:])))
    tail = float(weibull.cross_section(np.array([x[-1]]))[0] * f[-1])
    return in_bins + tail


# --- data ----------------------------------------------------------------------------------------

#: Figure-of-merit coefficients ``C`` (upsets/bit/day per cm^2/(MeV cm^2/mg)^2), with provenance.
FOM_COEFFICIENTS: dict[str, tuple[float, str]] = {
    "geo-solar-min": (
        200.0,
        "Petersen et al., IEEE TNS 39(6) 1992 / Petersen, IEEE TNS 45(6) 1998: R = 200 * FOM for "
        "geosynchronous orbit, galactic cosmic rays at solar minimum (heavy ions), the coefficient "
        "Barak, Reed & LaBel (IEEE TNS 46(6) 1999, doi:10.1109/23.819114) review",
    ),
}

#: An illustrative hardened (rad-hard-by-design) SRAM bit: onset LET 20 MeV cm^2/mg (immune to
#: direct proton ionisation and to most proton recoils), saturation 1e-8 cm^2/bit. Not a named part:
#: the shape (W = 30, s = 2) is typical of published hardened-SRAM Weibull fits. Replace with a
#: vendor's fit (:func:`fit_weibull`) for a real device.
HARDENED_SRAM = Weibull(sigma_sat=1.0e-8, l0=20.0, w=30.0, s=2.0)

#: CREME96 worst-week integral LET fluxes above 43 MeV cm^2/mg behind 100 mil Al, particles/cm^2/day,
#: Texas Instruments single-event-effects report SBOK044B (TPS7H4010-SEP, 2020-2024), Table 10-1:
#: LEO (ISS orbit) 6.4e-4, GEO 2.2e-3. Their ratio is this module's LEO/GEO transmission factor.
CREME96_WORST_WEEK_FLUX_ABOVE_43 = {"leo-iss": 6.4e-4, "geo": 2.2e-3}

_GEO_C = FOM_COEFFICIENTS["geo-solar-min"][0]
_LEO_OVER_GEO = CREME96_WORST_WEEK_FLUX_ABOVE_43["leo-iss"] / CREME96_WORST_WEEK_FLUX_ABOVE_43["geo"]
#: Assumed ratio worst-week / solar-quiet heavy-ion rate at GEO for a hardened part (see below).
_WORST_WEEK_FACTOR = 100.0


@dataclass(frozen=True)
class Environment:
    """A named radiation environment: ``rate_per_bit_day`` upsets per bit per day for the memory
    technology it describes, with ``source`` saying where the number comes from."""

    name: str
    description: str
    rate_per_bit_day: float
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "rate_per_bit_day": self.rate_per_bit_day,
            "source": self.source,
        }


_GEO_QUIET = fom_rate(HARDENED_SRAM, _GEO_C)

ENVIRONMENTS: dict[str, Environment] = {
    env.name: env
    for env in (
        Environment(
            "leo-500km-quiet",
            "Low Earth orbit (~500 km, 51.6 deg), quiet sun, 100 mil Al; hardened SRAM (HARDENED_SRAM)",
            _GEO_QUIET * _LEO_OVER_GEO,
            "GEO solar-minimum figure-of-merit rate (below) times the LEO(ISS)/GEO ratio of CREME96 "
            "integral LET fluxes above 43 MeV cm^2/mg (TI SBOK044B Table 10-1: 6.4e-4 / 2.2e-3 = 0.29). "
            "Derived, not measured: the ISS orbit stands in for 500 km, and the ratio is a worst-week one "
            "(geomagnetic shielding of quiet-time GCR is stronger, so this errs high). Trapped protons "
            "are ignored: HARDENED_SRAM's onset (20 MeV cm^2/mg) is above proton recoil LETs.",
        ),
        Environment(
            "geo-quiet",
            "Geostationary orbit, galactic cosmic rays at solar minimum, 100 mil Al; hardened SRAM",
            _GEO_QUIET,
            "Petersen figure of merit R = C * sigma_sat / L25^2 with C = 200 (GEO, solar minimum; Petersen "
            "IEEE TNS 39(6) 1992 and 45(6) 1998, reviewed by Barak et al. IEEE TNS 46(6) 1999) and the "
            "HARDENED_SRAM Weibull (sigma_sat 1e-8 cm^2/bit, L25 = 36.1 MeV cm^2/mg).",
        ),
        Environment(
            "geo-spe-worst-week",
            "Geostationary orbit during the CREME96 'worst week' solar particle event model "
            "(October 1989 event), 100 mil Al; hardened SRAM",
            _GEO_QUIET * _WORST_WEEK_FACTOR,
            "PROVISIONAL: the GEO solar-minimum figure-of-merit rate times an assumed factor of 100 for the "
            "CREME96 worst-week (Tylka et al., IEEE TNS 44(6) 1997) over quiet-time heavy-ion rate; no "
            "worst-week FOM coefficient or rate table was available to this module's author. Replace with "
            "rate_from_spectrum(weibull, CREME96 worst-week LETSPEC) for a real assessment.",
        ),
    )
}


def environment(name: str) -> Environment:
    """The named environment; :class:`EnvironmentModelError` listing the known names otherwise."""
    try:
        return ENVIRONMENTS[name]
    except KeyError:
        raise EnvironmentModelError(
            f"unknown environment {name!r}; known: {', '.join(sorted(ENVIRONMENTS))}"
        ) from None

"""Radiation environment model: Weibull cross-section, fit, L25, figure of merit, spectrum folding.

Oracles: closed forms (step cross-section -> sigma_sat * F(L0); exponential Weibull in a power-law
spectrum -> scipy.integrate.quad of the defining integral), scipy.optimize.brentq for L25, and the
recovery of known Weibull parameters from noisy synthetic heavy-ion data.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize

from orbitcert.reference_impl.hardware.environment import (
    ENVIRONMENTS,
    FOM_COEFFICIENTS,
    HARDENED_SRAM,
    EnvironmentModelError,
    Weibull,
    environment,
    figure_of_merit,
    fit_weibull,
    fom_rate,
    l25,
    rate_from_spectrum,
)


def test_weibull_shape_and_vectorization() -> None:
    wb = Weibull(2e-8, 5.0, 20.0, 1.5)
    let = np.array([[0.0, 5.0], [5.0001, 1e4]])
    xs = wb.cross_section(let)
    assert xs.shape == (2, 2)
    assert xs[0, 0] == 0 and xs[0, 1] == 0 and 0 < xs[1, 0] < 1e-12
    assert xs[1, 1] == pytest.approx(2e-8)
    grid = np.linspace(0, 200, 1001)
    assert np.all(np.diff(wb.cross_section(grid)) >= 0)  # monotone in LET
    # the formula itself at one point
    assert float(wb.cross_section(25.0)) == pytest.approx(2e-8 * (1 - math.exp(-((20 / 20) ** 1.5))))


def test_l25_against_root_finding() -> None:
    for wb in (HARDENED_SRAM, Weibull(1e-7, 0.5, 8.0, 0.9), Weibull(3e-9, 40.0, 15.0, 4.0)):
        root = optimize.brentq(lambda x: float(wb.cross_section(x)) - 0.25 * wb.sigma_sat, wb.l0 + 1e-12, wb.l0 + 1e3)
        assert l25(wb) == pytest.approx(root, rel=1e-9)
        assert figure_of_merit(wb) == pytest.approx(wb.sigma_sat / root**2, rel=1e-9)


def test_fom_rate_is_c_times_fom() -> None:
    c = FOM_COEFFICIENTS["geo-solar-min"][0]
    assert fom_rate(HARDENED_SRAM, c) == pytest.approx(c * HARDENED_SRAM.sigma_sat / l25(HARDENED_SRAM) ** 2)
    with pytest.raises(EnvironmentModelError):
        fom_rate(HARDENED_SRAM, -1.0)


def test_fit_weibull_recovers_known_parameters_from_noisy_data() -> None:
    truth = Weibull(sigma_sat=4e-8, l0=2.5, w=18.0, s=1.7)
    rng = np.random.default_rng(np.random.SeedSequence(20261126))
    let = np.array([3.0, 4.5, 6.0, 9.0, 13.0, 20.0, 28.0, 40.0, 58.0, 80.0])
    sigma = truth.cross_section(let) * np.exp(rng.normal(0, 0.03, let.size))  # 3 % log-normal scatter
    fit = fit_weibull(let, sigma)
    assert fit.sigma_sat == pytest.approx(truth.sigma_sat, rel=0.1)
    assert fit.l0 == pytest.approx(truth.l0, abs=0.5)
    assert l25(fit) == pytest.approx(l25(truth), rel=0.05)
    # exact data: exact recovery
    exact = fit_weibull(let, truth.cross_section(let), initial=Weibull(1e-8, 1.0, 10.0, 1.0))
    assert l25(exact) == pytest.approx(l25(truth), rel=1e-4)


def test_fit_weibull_rejects_bad_input() -> None:
    with pytest.raises(EnvironmentModelError, match=">= 4 points"):
        fit_weibull([1, 2, 3], [1e-8, 2e-8, 3e-8])
    with pytest.raises(EnvironmentModelError, match="differ in length"):
        fit_weibull([1, 2, 3, 4], [1e-8] * 3)
    with pytest.raises(EnvironmentModelError):
        Weibull(-1.0, 1.0, 1.0, 1.0)


def test_rate_from_spectrum_step_cross_section_is_sigma_sat_times_flux_above_l0() -> None:
    """A step cross-section (Weibull with a vanishing width) folded with any integral spectrum gives
    sigma_sat * F(L0)."""
    let = np.geomspace(1.0, 120.0, 40)
    flux = 50.0 * let**-2.5 * np.exp(-let / 60)  # integral flux, /cm^2/day
    step = Weibull(sigma_sat=1e-8, l0=15.0, w=1e-9, s=1.0)
    f_l0 = float(np.exp(np.interp(np.log(15.0), np.log(let), np.log(flux))))
    assert rate_from_spectrum(step, let, flux) == pytest.approx(1e-8 * f_l0, rel=1e-6)


def test_rate_from_spectrum_matches_quadrature_of_power_law() -> None:
    """Exponential Weibull (s = 1) in the power-law integral spectrum F = A L^-k, tabulated to a LET
    where sigma has saturated: R = integral sigma'(L) F(L) dL, by scipy.integrate.quad."""
    a, k = 30.0, 2.2
    wb = Weibull(sigma_sat=5e-8, l0=3.0, w=6.0, s=1.0)
    let = np.geomspace(0.5, 400.0, 25)
    flux = a * let**-k
    r = rate_from_spectrum(wb, let, flux)

    def integrand(x: float) -> float:
        return float(wb.sigma_sat / wb.w * math.exp(-(x - wb.l0) / wb.w) * a * x**-k)

    expected = integrate.quad(integrand, wb.l0, 400.0, limit=200)[0] + float(wb.cross_section(400.0)) * a * 400.0**-k
    assert r == pytest.approx(expected, rel=1e-4)


def test_rate_from_spectrum_rejects_bad_spectra() -> None:
    with pytest.raises(EnvironmentModelError, match="non-increasing"):
        rate_from_spectrum(HARDENED_SRAM, [1, 2, 3], [1.0, 2.0, 0.5])
    with pytest.raises(EnvironmentModelError, match="strictly increasing"):
        rate_from_spectrum(HARDENED_SRAM, [1, 1, 3], [3.0, 2.0, 0.5])


def test_named_environments() -> None:
    assert set(ENVIRONMENTS) == {"leo-500km-quiet", "geo-quiet", "geo-spe-worst-week"}
    for env in ENVIRONMENTS.values():
        assert env.rate_per_bit_day > 0 and env.source and env.description
        assert env.to_dict()["name"] == env.name
    geo = environment("geo-quiet")
    assert geo.rate_per_bit_day == pytest.approx(200.0 * 1e-8 / l25(HARDENED_SRAM) ** 2)
    assert environment("leo-500km-quiet").rate_per_bit_day < geo.rate_per_bit_day
    assert environment("geo-spe-worst-week").rate_per_bit_day > geo.rate_per_bit_day
    with pytest.raises(EnvironmentModelError, match="known: geo-quiet"):
        environment("mars")

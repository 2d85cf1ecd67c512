"""Conformance suite of hw-compute-module, class ``radiation``: verification by analysis and
simulation (no product operation).

From what the supplier declares in the ICS (code, memory size, scrub period, per-bit upset rate in
each named environment of parameter ``radiation_environments``), the suite runs a Monte Carlo
campaign (:func:`orbitcert.reference_impl.hardware.campaign.run_campaign`: Poisson upsets per bit,
a sweeping scrubber, every accumulated error pattern decoded with the declared code; checked in
orbitcert's own tests against the closed-form reliability theory) and decides the requirement
with an exact Poisson upper bound (``evidence.poisson``).

Sample size fixed in advance: the exposure is ``radiation_exposure_events /
max_uncorrectable_per_device_day`` device-days, rounded up to whole missions of the
environment's ``mission_days``, before any upset is drawn. The campaign's seed derives from the
run's seed (recorded in the report), so a run is reproducible and a product cannot tune its
declaration to a known draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from orbitcert.conformance import inconclusive
from orbitcert.reference_impl.hardware.campaign import CampaignConfig, CampaignResult, predict, run_campaign
from orbitcert.specs import Ics, Spec


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "environment" in metafunc.fixturenames:
        from orbitcert.conformance import spec_under_test

        envs = spec_under_test(metafunc.config).parameter("radiation_environments")
        metafunc.parametrize("environment", [e["name"] for e in envs], ids=[e["name"] for e in envs])


@dataclass(frozen=True)
class Plan:
    """One environment's campaign, fixed from the spec and the ICS before any draw."""

    name: str
    rate: float
    max_uncorrectable: float
    max_silent: float
    config: CampaignConfig

    @property
    def device_days(self) -> float:
        return self.config.trials * float(self.config.mission_days)

    @property
    def expected_upsets(self) -> float:
        return self.config.expected_upsets_per_trial * self.config.trials


def _declared_rate(ics: Ics, item: str) -> float | None:
    v = ics.items.get(item)
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) else None


def declaration_findings(spec: Spec, ics: Ics) -> list[str]:
    """What HWC-RAD-001 finds missing or implausible in the declaration."""
    out: list[str] = []
    if ics.items.get("edac_code") not in spec.parameter("edac_codes"):
        out.append(f"edac_code {ics.items.get('edac_code')!r} is not a code of the spec")
    for item in ("memory_words", "scrub_period_s"):
        if ics.items.get(item) is None:
            out.append(f"{item} is not declared")
    low, cap = float(spec.parameter("radiation_min_upset_rate")), float(spec.parameter("radiation_max_upset_rate"))
    rates: dict[str, float] = {}
    for env in spec.parameter("radiation_environments"):
        rate = _declared_rate(ics, env["ics_item"])
        if rate is None:
            out.append(f"{env['ics_item']} ({env['name']}) is not declared")
        elif not low <= rate <= cap:
            out.append(f"{env['ics_item']} = {rate:g} is outside {low:g} .. {cap:g} upsets per bit per day")
        else:
            rates[env["name"]] = rate
    for env in spec.parameter("radiation_environments"):
        floor = env.get("rate_not_below")
        if floor and env["name"] in rates and floor in rates and rates[env["name"]] < rates[floor]:
            out.append(f"the {env['name']} rate {rates[env['name']]:g} is below the {floor} rate {rates[floor]:g}")
    source = ics.items.get("upset_rate_source")
    if not isinstance(source, str) or len(source.split()) < 5:
        out.append("upset_rate_source does not name the source of the rates (test report or publication, and method)")
    return out


@pytest.fixture(scope="session")
def plans(spec: Spec, ics: Ics, run_seed: int) -> dict[str, Plan]:
    """Every environment's campaign plan; inconclusive when the declaration is incomplete."""
    findings = declaration_findings(spec, ics)
    if findings:
        inconclusive("no campaign can be run from the ICS: " + "; ".join(findings))
    events = float(spec.parameter("radiation_exposure_events"))
    out: dict[str, Plan] = {}
    for index, env in enumerate(spec.parameter("radiation_environments")):
        max_ue = float(env["max_uncorrectable_per_device_day"])
        mission = float(env["mission_days"])
        trials = max(1, math.ceil(events / max_ue / mission))
        seed = int(np.random.SeedSequence([int(run_seed), index]).generate_state(1, np.uint64)[0] >> np.uint64(11))  # 53 bits: exact in JSON
        config = CampaignConfig(
            words=int(ics.items["memory_words"]),
            upset_rate_per_bit_day=float(ics.items[env["ics_item"]]),
            scrub_period_s=float(ics.items["scrub_period_s"]),
            mission_days=mission,
            trials=trials,
            seed=seed,
            code=str(ics.items["edac_code"]),
            confidence=float(spec.parameter("radiation_confidence")),
        )
        out[env["name"]] = Plan(env["name"], config.upset_rate_per_bit_day, max_ue, float(env["max_silent_per_device_day"]), config)
    return out


_campaigns: dict[tuple[int, str], CampaignResult] = {}


def campaign(plan: Plan, spec: Spec) -> CampaignResult:
    """The campaign of ``plan`` (run once per run and environment; both rate tests use it)."""
    budget = float(spec.parameter("radiation_max_upsets"))
    if plan.expected_upsets > budget:
        inconclusive(
            f"{plan.name}: the campaign would simulate about {plan.expected_upsets:.3g} upsets, more than "
            f"radiation_max_upsets ({budget:.3g}); the declaration cannot be verified by this suite"
        )
    key = (plan.config.seed, plan.name)
    if key not in _campaigns:
        _campaigns[key] = run_campaign(plan.config)
    return _campaigns[key]


def _record_campaign(evidence: Any, plan: Plan, result: CampaignResult) -> None:
    c = plan.config
    evidence.analysis(
        title=f"Radiation campaign, {plan.name}",
        inputs={
            "code": (c.code, ""),
            "memory words": (int(c.words), "words"),
            "scrub period": (float(c.scrub_period_s or 0.0), "s"),
            "upset rate": (plan.rate, "1/(bit day)"),
            "mission": (float(c.mission_days), "days"),
            "trials (fixed in advance)": (int(c.trials), ""),
            "seed": (int(c.seed), ""),
        },
        steps=[
            ("device-days simulated", result.device_days, "device-days"),
            ("upsets simulated", result.upsets, ""),
            ("single errors corrected by the scrubber", result.corrected_events, ""),
            ("uncorrectable words (detected)", result.uncorrectable_events, ""),
            ("silent errors (undetected or miscorrected)", result.silent_events, ""),
            ("predicted uncorrectable rate, " + result.prediction.approximation,
             result.prediction.uncorrectable_rate_per_device_day, "1/device-day"),
        ],
        conclusion=(
            f"{result.uncorrectable_events} uncorrectable and {result.silent_events} silent errors in "
            f"{result.device_days:g} device-days"
        ),
    )


@pytest.mark.requirement("HWC-RAD-001")
def test_radiation_declaration_is_complete_and_plausible(spec: Spec, ics: Ics, evidence: Any) -> None:
    """Code, memory size, scrub period, a plausible rate for every named environment, and the source."""
    findings = declaration_findings(spec, ics)
    cap = float(spec.parameter("radiation_max_upset_rate"))
    evidence.analysis(
        title="Radiation declaration complete and plausible",
        inputs={
            "edac_code": (str(ics.items.get("edac_code")), ""),
            "memory_words": (str(ics.items.get("memory_words")), "words"),
            "scrub_period_s": (str(ics.items.get("scrub_period_s")), "s"),
            **{e["ics_item"]: (str(ics.items.get(e["ics_item"])), "1/(bit day)") for e in spec.parameter("radiation_environments")},
            "upset_rate_source": (str(ics.items.get("upset_rate_source")), ""),
        },
        steps=[
            ("smallest plausible rate", float(spec.parameter("radiation_min_upset_rate")), "1/(bit day)"),
            ("largest plausible rate", cap, "1/(bit day)"),
            ("findings", len(findings), ""),
        ],
        conclusion="; ".join(findings) if findings else "declared and plausible",
    )
    assert not findings, "; ".join(findings)


@pytest.mark.requirement("HWC-RAD-002")
def test_uncorrectable_rate_bounded(environment: str, plans: dict[str, Plan], spec: Spec, evidence: Any) -> None:
    """The uncorrectable-word rate's 95 % Poisson upper bound meets the environment's limit."""
    plan = plans[environment]
    result = campaign(plan, spec)
    _record_campaign(evidence, plan, result)
    evidence.poisson(
        f"uncorrectable words ({environment})",
        events=result.uncorrectable_events,
        exposure=result.device_days,
        max_rate=plan.max_uncorrectable,
        confidence=float(spec.parameter("radiation_confidence")),
        predicted=predict(plan.config).uncorrectable_rate_per_device_day,
    )


@pytest.mark.requirement("HWC-RAD-003")
def test_silent_rate_bounded(environment: str, plans: dict[str, Plan], spec: Spec, evidence: Any) -> None:
    """The silent-error rate's 95 % Poisson upper bound meets the environment's limit."""
    plan = plans[environment]
    result = campaign(plan, spec)
    evidence.poisson(
        f"silent errors ({environment})",
        events=result.silent_events,
        exposure=result.device_days,
        max_rate=plan.max_silent,
        confidence=float(spec.parameter("radiation_confidence")),
    )

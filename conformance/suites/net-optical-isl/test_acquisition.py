"""Conformance suite of net-optical-isl, class ``acquisition`` (pointing, acquisition and
tracking; acquisition time limit of the SDA Optical Communications Terminal standard v3.2.0,
state machine, scan and timing of this profile).

The suite is the harness side of a closed loop in simulated time (:mod:`.pat` of the reference
implementation): a :class:`BeaconEnvironment` per trial holds the partner's true direction
(uniform in the uncertainty cone), decides each beacon detection from the pointing the product
reported (Gaussian beam) and returns noisy measured offsets; the product only ever receives the
command, the detection and the offsets of ``pat_step``. Every result is checked
(:class:`PatProtocolError` fails the requirement), every claim is judged against the truth.

Seeds: every trial's truth and draws derive from the run's seed (the plugin's ``run_seed``,
drawn per run, recorded in the report and replayable with ``--seed``), so a product cannot
replay the suite's draws. The coverage trial of OISL-ACQ-002
(beacon off for a declared scan period) is hidden among the trials of OISL-ACQ-004 at a position
drawn from that seed: it starts exactly like an acquisition trial. The number of trials of the
statistical requirement OISL-ACQ-004 is fixed from the spec before any trial runs.

Trials are run once per module (fixtures :func:`scenarios` and :func:`campaign`) and judged by
several tests: each test checks its own requirement on every record it is given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from orbitcert.conformance import binomial_sample_size, inconclusive
from orbitcert.reference_impl.optical.pat import (
    BeaconEnvironment,
    EnvironmentParameters,
    OutageScenario,
    PatProtocolError,
    PatState,
    PowerCycleScenario,
    TrialRecord,
    communicate_error_violations,
    coverage_gap,
    run_trial,
    transition_violations,
    uniform_in_cone,
)
from orbitcert.specs import Ics, Spec

#: Seed streams per purpose, so adding trials to one test never changes another's draws.
STREAM_STATE_MACHINE, STREAM_COVERAGE, STREAM_SCENARIO, STREAM_ACQUISITION, STREAM_PLAN = 1, 2, 3, 4, 5
#: Closed-loop scenarios (link, outage with rescan, restore, power-off) for OISL-ACQ-001/002/003/005.
#: Scenario 0 holds the link for :data:`HOLD_STEPS`; scenarios 1 and 2 lose the beacon right
#: after acquire; the others once the link is up.
SCENARIO_TRIALS = 6
HOLD_STEPS = 120
ACQUIRE_OUTAGE_TRIALS = frozenset({1, 2})
#: Longest scan the suite follows for OISL-ACQ-002 (steps); a declared period beyond it is inconclusive.
MAX_SCAN_STEPS = 20_000
#: Longest loss timeout the suite follows (steps); a declared timeout beyond it is inconclusive.
MAX_LOSS_STEPS = 2_000
#: Directions of the cone checked for coverage: random, plus the rim and the axis.
COVERAGE_RANDOM, COVERAGE_RIM = 4000, 720


@pytest.fixture(scope="module")
def seed(run_seed: int) -> int:
    """The run's seed (the plugin's ``run_seed``: drawn per run, recorded in the report)."""
    return int(run_seed)


def _rng(seed: int, stream: int, trial: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, stream, trial]))


@pytest.fixture(scope="module")
def env_params(spec: Spec) -> EnvironmentParameters:
    """The beacon environment of the spec under test."""
    return EnvironmentParameters.from_spec(spec)


def _declared(ics: Ics, item: str) -> float:
    """A positive number the ICS declares, or an inconclusive test."""
    value = ics.items.get(item)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return float(value)
    inconclusive(f"ICS item {item} is not declared as a positive number ({value!r})")
    raise AssertionError("unreachable: inconclusive() raises")


def _loss_timeout(ics: Ics, step: float) -> float:
    """The declared loss timeout, within what the suite can follow."""
    timeout = _declared(ics, "pat_loss_timeout_s")
    if timeout / step > MAX_LOSS_STEPS:
        inconclusive(f"declared loss timeout {timeout:g} s is more than the {MAX_LOSS_STEPS} steps this suite follows")
    return timeout


def _scan_steps(ics: Ics, step: float) -> int:
    """The declared scan period in steps, within what the suite can follow."""
    period = _declared(ics, "pat_scan_period_s")
    steps = math.ceil(period / step - 1e-9)
    if steps > MAX_SCAN_STEPS:
        inconclusive(f"declared scan period {period:g} s is {steps} steps, more than the {MAX_SCAN_STEPS} this suite follows")
    return steps


def _trial(iut: Any, params: EnvironmentParameters, rng: np.random.Generator, horizon: float, **kw: Any) -> TrialRecord:
    """Configure the product and run one closed-loop trial; a malformed result fails the test."""
    iut.pat_configure(params.config().as_dict())
    env = BeaconEnvironment(params, rng)
    try:
        return run_trial(iut.pat_step, env, horizon, **kw)
    except PatProtocolError as exc:
        raise AssertionError(f"invalid pat_step result: {exc}") from None


def _coverage_failure(
    points: Sequence[tuple[float, float]], params: EnvironmentParameters, spec: Spec, rng: np.random.Generator, what: str
) -> str | None:
    """Why ``points`` do not cover the cone within the spec's coverage radius (None: they do)."""
    radius = float(spec.parameter("pat_scan_coverage_fraction")) * params.beacon_divergence
    rim = np.linspace(0.0, 2.0 * math.pi, COVERAGE_RIM, endpoint=False)
    targets = np.concatenate(
        [
            uniform_in_cone(rng, params.uncertainty, COVERAGE_RANDOM),
            params.uncertainty * np.stack([np.cos(rim), np.sin(rim)], axis=1),
            np.zeros((1, 2)),
        ]
    )
    gap, where = coverage_gap(points, targets)
    if gap <= radius * (1 + 1e-9):
        return None
    return (
        f"{what}: {len(points)} scan pointings in the declared scan period leave direction "
        f"({where[0]:.3e}, {where[1]:.3e}) rad {gap:.3e} rad from the nearest, more than {radius:.3e} rad"
    )


def _scan_window(rec: TrialRecord, start: int, steps: int) -> list[tuple[float, float]]:
    """The pointings reported in scan during ``steps`` steps from ``start``."""
    return [rec.pointings[i] for i in range(start, min(start + steps, len(rec.states))) if rec.states[i] == PatState.scan.value]


@dataclass
class Scenarios:
    """The closed-loop scenarios of the module, or the exception that stopped them."""

    runs: list[tuple[OutageScenario, TrialRecord]] = field(default_factory=list)
    loss_timeout: float = math.nan
    scan_steps: int = 0
    error: Exception | None = None

    def get(self) -> list[tuple[OutageScenario, TrialRecord]]:
        if self.error is not None:
            raise self.error
        return self.runs


@pytest.fixture(scope="module")
def scenarios(iut: Any, env_params: EnvironmentParameters, spec: Spec, ics: Ics, seed: int) -> Scenarios:
    """:data:`SCENARIO_TRIALS` outage scenarios; after lost the beacon stays off for one
    declared scan period (the rescan of OISL-ACQ-002)."""
    out = Scenarios()
    step = env_params.step
    try:
        out.loss_timeout = _loss_timeout(ics, step)
        out.scan_steps = _scan_steps(ics, step)
        for trial in range(SCENARIO_TRIALS):
            hold = HOLD_STEPS if trial == 0 else 2
            sc = OutageScenario(
                step,
                outage_limit=out.loss_timeout + 4 * step,
                communicate_steps=hold,
                tracking_steps=max(12, hold),
                outage_from="acquire" if trial in ACQUIRE_OUTAGE_TRIALS else "link",
                rescan_steps=out.scan_steps + 1,
            )
            horizon = (
                float(spec.parameter("acquisition_trial_horizon"))
                + (hold + out.scan_steps + 40) * step
                + out.loss_timeout
            )
            rec = _trial(
                iut, env_params, _rng(seed, STREAM_SCENARIO, trial), horizon, commands=sc.command, beacon=sc.beacon, stop=sc.update
            )
            out.runs.append((sc, rec))
    except Exception as exc:  # re-raised by every test that uses the scenarios
        out.error = exc
    return out


@dataclass
class Campaign:
    """The trials of OISL-ACQ-004 with the hidden coverage trial of OISL-ACQ-002."""

    acquisitions: list[TrialRecord] = field(default_factory=list)
    coverage: TrialRecord | None = None
    coverage_position: int = -1
    scan_steps: int = 0
    coverage_note: str = ""
    error: Exception | None = None

    def check(self) -> None:
        if self.error is not None:
            raise self.error


@pytest.fixture(scope="module")
def campaign(iut: Any, env_params: EnvironmentParameters, spec: Spec, ics: Ics, seed: int) -> Campaign:
    """N acquisition trials (N from the spec) and, at a position drawn from the run's seed, one
    trial with the beacon off for the declared scan period (the coverage trial)."""
    out = Campaign()
    step = env_params.step
    limit = float(spec.parameter("acquisition_time_limit"))
    horizon = max(float(spec.parameter("acquisition_trial_horizon")), limit)
    n = binomial_sample_size(
        max_fraction=float(spec.parameter("acquisition_max_failure_fraction")),
        confidence=float(spec.parameter("acquisition_confidence")),
        allowed_failures=int(spec.parameter("acquisition_allowed_failures")),
    )
    scan_steps: int | None = None
    try:
        scan_steps = _scan_steps(ics, step)
    except Exception as exc:  # noqa: BLE001 - inconclusive: no coverage trial, the acquisitions still run
        out.coverage_note = str(exc)
    if scan_steps is not None:
        out.scan_steps = scan_steps
        out.coverage_position = int(_rng(seed, STREAM_PLAN, 0).integers(0, n + 1))
    try:
        trial = 0
        for position in range(n + 1 if scan_steps is not None else n):
            if position == out.coverage_position and scan_steps is not None:
                out.coverage = _trial(
                    iut, env_params, _rng(seed, STREAM_COVERAGE, 0), (scan_steps + 1) * step, beacon=lambda t, r: False
                )
                continue
            rec = _trial(iut, env_params, _rng(seed, STREAM_ACQUISITION, trial), horizon, stop_on_acquisition=True)
            out.acquisitions.append(rec)
            trial += 1
    except Exception as exc:  # re-raised by every test that uses the campaign
        out.error = exc
    return out


def _comm_max_error(spec: Spec) -> float:
    return float(spec.parameter("pat_comm_hold_fraction")) * float(spec.parameter("pat_comm_divergence"))


# --- OISL-ACQ-001 ------------------------------------------------------------------------------


@pytest.mark.requirement("OISL-ACQ-001")
def test_off_until_power_on_then_scan(iut: Any, env_params: EnvironmentParameters, seed: int) -> None:
    """Before power-on the controller reports off; the power-on step reports scan."""
    rec = _trial(iut, env_params, _rng(seed, STREAM_STATE_MACHINE, 1000), 6 * env_params.step, commands={4: "power-on"})
    assert rec.states[:4] == ["off"] * 4, f"states before power-on: {rec.states[:4]}"
    assert rec.states[4] == "scan", f"the power-on step reported {rec.states[4]!r}, not scan"
    assert not transition_violations(rec), transition_violations(rec)


@pytest.mark.requirement("OISL-ACQ-001")
def test_power_off_from_every_state(iut: Any, env_params: EnvironmentParameters, ics: Ics, seed: int) -> None:
    """Off for a declared scan period before the first power-on; then power-off from scan,
    acquire, track, communicate and lost, each followed by a declared scan period with no command:
    power-off gives off at once, and off holds without a new power-on."""
    step = env_params.step
    hold = _scan_steps(ics, step)
    sc = PowerCycleScenario(hold, targets=("scan", "acquire", "track", "communicate", "lost"))
    horizon = (6 * hold + 5 * sc.target_limit + 10) * step
    rec = _trial(iut, env_params, _rng(seed, STREAM_STATE_MACHINE, 1001), horizon, commands=sc.command, beacon=sc.beacon, stop=sc.update)
    bad = transition_violations(rec)
    assert not bad, "; ".join(bad)
    if sc.missed:
        inconclusive(f"states never reached, power-off from them untested: {sc.missed}")


@pytest.mark.requirement("OISL-ACQ-001")
def test_transitions_in_closed_loop(scenarios: Scenarios, env_params: EnvironmentParameters, spec: Spec) -> None:
    """Seeded scenarios through link (one held for a minute), outage (two right after acquire),
    rescan, restore and power-off: every state change is one the state machine allows, on the
    event that allows it; acquire -> track only on a detection; communicate only from track after
    pat_comm_dwell of track; lost not before the declared timeout minus one step."""
    seen: set[str] = set()
    for trial, (_, rec) in enumerate(scenarios.get()):
        bad = transition_violations(
            rec, loss_timeout=scenarios.loss_timeout, comm_dwell=float(spec.parameter("pat_comm_dwell")), step=env_params.step
        )
        assert not bad, f"scenario {trial}: " + "; ".join(bad)
        seen.update(rec.states)
    forced = {s.value for s in PatState} - {PatState.communicate.value}
    assert forced <= seen, (
        f"states never reported in {SCENARIO_TRIALS} scenarios that drive every one of them "
        f"(detections, an outage longer than the loss timeout, power-off): {sorted(forced - seen)}"
    )
    if PatState.communicate.value not in seen:
        inconclusive(f"communicate never reached in {SCENARIO_TRIALS} scenarios: track -> communicate untested")


@pytest.mark.requirement("OISL-ACQ-001")
def test_transitions_in_acquisition_trials(
    campaign: Campaign, env_params: EnvironmentParameters, spec: Spec, ics: Ics
) -> None:
    """The same transition rules in every trial of OISL-ACQ-004 and in the coverage trial."""
    campaign.check()
    timeout = ics.items.get("pat_loss_timeout_s")
    loss_timeout = float(timeout) if isinstance(timeout, int | float) and not isinstance(timeout, bool) else None
    records = [*campaign.acquisitions, *([campaign.coverage] if campaign.coverage is not None else [])]
    for trial, rec in enumerate(records):
        bad = transition_violations(
            rec, loss_timeout=loss_timeout, comm_dwell=float(spec.parameter("pat_comm_dwell")), step=env_params.step
        )
        assert not bad, f"acquisition trial {trial}: " + "; ".join(bad)


# --- OISL-ACQ-002 ------------------------------------------------------------------------------


@pytest.mark.requirement("OISL-ACQ-002")
def test_scan_covers_the_uncertainty_cone(campaign: Campaign, env_params: EnvironmentParameters, spec: Spec, seed: int) -> None:
    """In the coverage trial (beacon off, hidden among the acquisition trials) the pointings
    reported in scan during the declared scan period from the first scan step leave no direction
    of the cone farther than pat_scan_coverage_fraction x the beacon divergence."""
    campaign.check()
    rec = campaign.coverage
    if rec is None:
        inconclusive(f"no coverage trial: {campaign.coverage_note}")
        return
    start = rec.first(PatState.scan.value)
    assert start is not None, "the controller never reported scan after power-on"
    why = _coverage_failure(_scan_window(rec, start, campaign.scan_steps), env_params, spec, _rng(seed, STREAM_COVERAGE, 1), "scan after power-on")
    assert why is None, why


@pytest.mark.requirement("OISL-ACQ-002")
def test_rescan_after_lost_covers_the_uncertainty_cone(
    scenarios: Scenarios, env_params: EnvironmentParameters, spec: Spec, seed: int
) -> None:
    """After lost the beacon stays off for a declared scan period: the scan that follows lost
    covers the whole cone, like the scan after power-on."""
    tested = 0
    for trial, (sc, rec) in enumerate(scenarios.get()):
        if sc.lost_at is None:
            continue
        start = sc.lost_at + 1
        end = sc.restore_start if sc.restore_start is not None else len(rec.states)
        steps = min(scenarios.scan_steps, end - start)
        if steps < scenarios.scan_steps:
            continue
        tested += 1
        points = _scan_window(rec, start, steps)
        why = _coverage_failure(points, env_params, spec, _rng(seed, STREAM_COVERAGE, 2 + trial), f"scenario {trial}, rescan after lost")
        assert why is None, why
    if not tested:
        inconclusive("no scenario reached lost: the rescan is untested")


# --- OISL-ACQ-003 ------------------------------------------------------------------------------


@pytest.mark.requirement("OISL-ACQ-003")
def test_loss_declared_within_timeout_then_scan(scenarios: Scenarios, env_params: EnvironmentParameters) -> None:
    """The beacon is switched off once the link is up (or right after acquire): lost is reported
    no earlier than the declared loss timeout minus one step and no later than the timeout plus
    one step after the last detection, and scan at the next step."""
    step = env_params.step
    loss_timeout = scenarios.loss_timeout
    tested = 0
    for trial, (sc, rec) in enumerate(scenarios.get()):
        if sc.outage_start is None:
            continue  # the link never came up in this trial: nothing to lose
        tested += 1
        last = sc.last_detection_before_loss(rec)
        assert last is not None, f"scenario {trial}: the link came up without any detection"
        t_last = rec.times[last]
        assert sc.lost_at is not None, (
            f"scenario {trial}: last detection at t={t_last:g} s, no lost by t={rec.times[-1]:g} s "
            f"(declared loss timeout {loss_timeout:g} s; states since: {rec.states[last:last + 12]})"
        )
        t_lost = rec.times[sc.lost_at]
        assert t_lost <= t_last + loss_timeout + step + 1e-9, (
            f"scenario {trial}: last detection at t={t_last:g} s, lost only at t={t_lost:g} s "
            f"(declared loss timeout {loss_timeout:g} s + one step {step:g} s)"
        )
        assert t_lost >= t_last + loss_timeout - step - 1e-9, (
            f"scenario {trial}: last detection at t={t_last:g} s, lost already at t={t_lost:g} s "
            f"(declared loss timeout {loss_timeout:g} s - one step {step:g} s)"
        )
        nxt = sc.lost_at + 1
        assert nxt < len(rec.states) and rec.states[nxt] == PatState.scan.value, (
            f"scenario {trial}: the step after lost (t={t_lost:g} s) reported "
            f"{rec.states[nxt] if nxt < len(rec.states) else 'nothing'!r}, not scan"
        )
    if not tested:
        inconclusive(f"the link never reached acquire, track or communicate in {SCENARIO_TRIALS} scenarios: loss untestable")


# --- OISL-ACQ-004 ------------------------------------------------------------------------------


@pytest.mark.requirement("OISL-ACQ-004")
def test_acquisition_time_statistical(campaign: Campaign, spec: Spec, evidence: Any) -> None:
    """N trials (N fixed from the spec before any trial): the acquisition time of each, infinite
    when none within the trial horizon; pass when the one-sided Clopper-Pearson upper bound on the
    fraction above the limit is at most acquisition_max_failure_fraction."""
    campaign.check()
    limit = float(spec.parameter("acquisition_time_limit"))
    p = float(spec.parameter("acquisition_max_failure_fraction"))
    confidence = float(spec.parameter("acquisition_confidence"))
    times = [rec.acquisition_time for rec in campaign.acquisitions]
    failures = sum(1 for t in times if not t <= limit)
    evidence.binomial(
        quantity=f"acquisitions not complete within {limit:g} s",
        trials=len(times),
        failures=failures,
        max_fraction=p,
        confidence=confidence,
        samples=times,
        limit=limit,
        unit="s",
        sample_label="acquisition time",
    )


# --- OISL-ACQ-005 ------------------------------------------------------------------------------


@pytest.mark.requirement("OISL-ACQ-005")
def test_communicate_only_while_pointed(scenarios: Scenarios, campaign: Campaign, spec: Spec) -> None:
    """At every step reporting communicate (scenarios, one holding the link for a minute, and
    acquisition trials) the true pointing error is at most pat_comm_hold_fraction x
    pat_comm_divergence."""
    campaign.check()
    limit = _comm_max_error(spec)
    records = [("scenario", i, rec) for i, (_, rec) in enumerate(scenarios.get())]
    records += [("acquisition trial", i, rec) for i, rec in enumerate(campaign.acquisitions)]
    steps = 0
    for what, i, rec in records:
        steps += rec.states.count(PatState.communicate.value)
        bad = communicate_error_violations(rec, limit)
        assert not bad, f"{what} {i}: " + "; ".join(bad)
    if not steps:
        inconclusive("communicate never reported: pointing in communicate untested")

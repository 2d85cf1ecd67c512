"""Pointing, acquisition and tracking (PAT) of net-optical-isl class ``acquisition``.

Two sides of one closed loop, driven by explicit simulated time:

* the **product** side, :class:`PatController`: the reference terminal's PAT state machine
  (OISL-ACQ-001: off, scan, acquire, track, communicate, lost) with a scan that covers the
  pointing uncertainty cone (OISL-ACQ-002) and a loss-of-signal timeout (OISL-ACQ-003);
* the **harness** side, :class:`BeaconEnvironment` and :func:`run_trial`: the truth the product
  never sees. Per trial the partner's true direction is drawn uniformly within the uncertainty
  cone; the beacon is detected with the probability of a Gaussian beam,
  ``p = p_max exp(-2 (e / w)^2)`` at pointing error ``e`` for a beam of 1/e^2 divergence
  half-angle ``w`` (far field of a Gaussian beam, Siegman, *Lasers*, 1986, 17.1), with no false
  alarms; a detection returns the measured offset ``true - pointing`` plus Gaussian sensor noise
  (quad-cell / camera centroid). Communication counts only while the true error has stayed below
  ``pat_comm_error_fraction * pat_comm_divergence`` for ``pat_comm_dwell``: the acquisition time
  of OISL-ACQ-004, whose limit (100 s) is the SDA Optical Communications Terminal (OCT)
  standard's (v3.2.0, PAT acquisition time). The state machine, the scan and the timing are this
  profile's own: the SDA standard fixes the limit, not the algorithm.

Angles are radians, relative to the a-priori direction of the partner (the axis of the
uncertainty cone). Time is seconds of simulated time.

The reference raises only :class:`PatError` for a bad argument; the harness driver raises only
:class:`PatProtocolError` when the product under test answers something that is not a valid
``pat_step`` result (the suite turns that into a failed requirement, never a crash).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = [
    "ALLOWED_TRANSITIONS",
    "COMMANDS",
    "STATE_NAMES",
    "BeaconEnvironment",
    "EnvironmentParameters",
    "Observation",
    "OutageScenario",
    "PatConfig",
    "PatController",
    "PatError",
    "PatOutput",
    "PatProfile",
    "PatProtocolError",
    "PatState",
    "TrialRecord",
    "PowerCycleScenario",
    "communicate_error_violations",
    "coverage_gap",
    "run_trial",
    "scan_pattern",
    "transition_violations",
    "uniform_in_cone",
]

F64Array = npt.NDArray[np.float64]

#: Commands of ``pat_step``.
COMMANDS = ("none", "power-on", "power-off")
#: Largest number of scan points the reference accepts to build (a configuration asking for more
#: is refused with :class:`PatError` instead of exhausting memory).
MAX_SCAN_POINTS = 1_000_000
_EPS = 1e-9


class PatError(ValueError):
    """An argument of the reference PAT controller is invalid (the message names it)."""


class PatProtocolError(Exception):
    """The product under test answered ``pat_step`` with something that is not a valid result."""


class PatState(str, Enum):
    """The states of OISL-ACQ-001."""

    off = "off"
    scan = "scan"
    acquire = "acquire"
    track = "track"
    communicate = "communicate"
    lost = "lost"


#: The state names ``pat_step`` may report.
STATE_NAMES = frozenset(s.value for s in PatState)
S = PatState
#: OISL-ACQ-001: the state changes allowed from each state (staying is always allowed except in
#: ``lost``, which lasts one step; any state goes to ``off`` on power-off, checked separately).
ALLOWED_TRANSITIONS: Mapping[PatState, frozenset[PatState]] = {
    S.off: frozenset({S.off, S.scan}),
    S.scan: frozenset({S.scan, S.acquire}),
    S.acquire: frozenset({S.acquire, S.track, S.lost}),
    S.track: frozenset({S.track, S.communicate, S.lost}),
    S.communicate: frozenset({S.communicate, S.track, S.lost}),
    S.lost: frozenset({S.scan}),
}


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise PatError(f"{name}: expected a positive finite number, got {value!r}")
    return float(value)


def _fraction(name: str, value: Any) -> float:
    x = _positive(name, value)
    if x > 1:
        raise PatError(f"{name}: expected a number in (0, 1], got {value!r}")
    return x


@dataclass(frozen=True)
class PatConfig:
    """The ``pat_configure`` configuration: uncertainty cone radius (rad), beacon divergence
    half-angle (rad) and the simulated time step (s) the harness will use."""

    uncertainty: float
    beacon_divergence: float
    step: float

    def __post_init__(self) -> None:
        for name in ("uncertainty", "beacon_divergence", "step"):
            object.__setattr__(self, name, _positive(name, getattr(self, name)))

    @classmethod
    def from_mapping(cls, config: Any) -> PatConfig:
        """Check a ``config`` argument: a mapping with exactly the three keys."""
        if not isinstance(config, Mapping):
            raise PatError(f"config: expected an object, got {type(config).__name__}")
        keys = {"uncertainty", "beacon_divergence", "step"}
        if set(config) != keys:
            raise PatError(f"config: expected the keys {sorted(keys)}, got {sorted(map(str, config))}")
        return cls(config["uncertainty"], config["beacon_divergence"], config["step"])

    @classmethod
    def from_spec(cls, spec: Spec) -> PatConfig:
        """The configuration the suite uses: the spec's ``pat_uncertainty``,
        ``pat_beacon_divergence`` and ``pat_time_step``."""
        return cls(
            spec.parameter("pat_uncertainty"), spec.parameter("pat_beacon_divergence"), spec.parameter("pat_time_step")
        )

    def as_dict(self) -> dict[str, float]:
        return {"uncertainty": self.uncertainty, "beacon_divergence": self.beacon_divergence, "step": self.step}


@dataclass(frozen=True)
class PatProfile:
    """The reference terminal's own PAT constants (what a vendor declares or designs):

    * ``loss_timeout``: time without detection before ``lost`` (declared as ICS
      ``pat_loss_timeout_s``);
    * ``comm_dwell``: good tracking needed before ``communicate`` (spec ``pat_comm_dwell``);
    * ``comm_threshold``: largest measured offset counted as good tracking (rad; spec
      ``pat_comm_error_fraction * pat_comm_divergence``); communicate falls back to track when an
      offset exceeds ``hysteresis`` times it;
    * ``coverage_fraction``: scan coverage radius as a fraction of the beacon divergence (spec
      ``pat_scan_coverage_fraction``);
    * ``tracking_gain``: fraction of each measured offset the tracking loop corrects (a first
      order loop: 0.5 divides the steady-state error variance from sensor noise by 3);
    * ``dwell_steps``: time steps the scan dwells on each scan point.
    """

    loss_timeout: float = 2.0
    comm_dwell: float = 2.0
    comm_threshold: float = 7.5e-6
    coverage_fraction: float = 0.5
    tracking_gain: float = 0.5
    hysteresis: float = 2.0
    dwell_steps: int = 1

    def __post_init__(self) -> None:
        for name in ("loss_timeout", "comm_dwell", "comm_threshold", "hysteresis"):
            _positive(name, getattr(self, name))
        _fraction("coverage_fraction", self.coverage_fraction)
        _fraction("tracking_gain", self.tracking_gain)
        if isinstance(self.dwell_steps, bool) or not isinstance(self.dwell_steps, int) or self.dwell_steps < 1:
            raise PatError(f"dwell_steps: expected a positive integer, got {self.dwell_steps!r}")

    @classmethod
    def from_spec(cls, spec: Spec | None, **overrides: Any) -> PatProfile:
        """The reference profile with the spec's ``pat_comm_dwell``, ``pat_comm_error_fraction``
        x ``pat_comm_divergence`` and ``pat_scan_coverage_fraction`` (defaults without a spec)."""
        values: dict[str, Any] = {}
        if spec is not None:
            values = {
                "comm_dwell": spec.parameter("pat_comm_dwell"),
                "comm_threshold": spec.parameter("pat_comm_error_fraction") * spec.parameter("pat_comm_divergence"),
                "coverage_fraction": spec.parameter("pat_scan_coverage_fraction"),
            }
        values.update(overrides)
        return cls(**values)


def scan_pattern(uncertainty: float, beacon_divergence: float, coverage_fraction: float = 0.5) -> F64Array:
    """Scan points (N x 2, rad) covering the cone of radius ``uncertainty``: every direction of
    the cone lies within ``coverage_fraction * beacon_divergence`` of a point.

    A discretized spiral: the cone's axis, then rings of radius k s (k = 1..K) with ceil(2 pi k)
    points each, consecutive rings rotated by half a point so the path winds outward. With ring
    spacing s and chords at most s the farthest a direction can be from a point is s / sqrt(2),
    so s = uncertainty / K with K = ceil(uncertainty / (sqrt(2) c w)).
    """
    u = _positive("uncertainty", uncertainty)
    w = _positive("beacon_divergence", beacon_divergence)
    c = _fraction("coverage_fraction", coverage_fraction)
    ratio = u / (math.sqrt(2.0) * c * w)
    if not ratio < math.sqrt(MAX_SCAN_POINTS / math.pi):  # about pi K^2 points for K rings
        raise PatError(f"a scan of about {math.pi * ratio * ratio:.3g} points exceeds {MAX_SCAN_POINTS}: uncertainty / divergence too large")
    rings = max(1, math.ceil(ratio - _EPS))
    counts = np.ceil(2.0 * math.pi * np.arange(1, rings + 1)).astype(np.int64)
    spacing = u / rings
    k = np.repeat(np.arange(1, rings + 1), counts)
    n = np.repeat(counts, counts)
    j = np.arange(k.size) - np.repeat(np.cumsum(counts) - counts, counts)
    angle = 2.0 * math.pi * j / n + (k % 2) * math.pi / n
    radius = k * spacing
    points = np.empty((k.size + 1, 2), dtype=np.float64)
    points[0] = 0.0
    points[1:, 0] = radius * np.cos(angle)
    points[1:, 1] = radius * np.sin(angle)
    return points


@dataclass(frozen=True)
class PatOutput:
    """One ``pat_step`` result."""

    state: PatState
    pointing_x: float
    pointing_y: float

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state.value, "pointing_x": self.pointing_x, "pointing_y": self.pointing_y}


class PatController:
    """The reference PAT state machine (OISL-ACQ-001..003).

    * off until ``power-on``; ``power-off`` returns to off from any state;
    * scan: the points of :func:`scan_pattern` in order, ``dwell_steps`` steps each, repeated;
      the period is :attr:`scan_period`;
    * a detection in scan: acquire, steering onto the measured direction (pointing + offset);
    * acquire, on the next detection: track; track closes the loop on the measured offsets with
      ``tracking_gain``; a detection in track with the offset within ``comm_threshold`` starts
      (or continues) good tracking, a larger offset ends it; communicate at the first
      step ``comm_dwell`` after good tracking started, so track has been reported at every step
      of the preceding ``comm_dwell`` (OISL-ACQ-001); back to track when an offset exceeds
      ``hysteresis`` times the threshold;
    * acquire, track or communicate with no detection for ``loss_timeout``: lost, then scan
      again from the cone's axis at the next step.
    """

    def __init__(self, config: PatConfig, profile: PatProfile | None = None) -> None:
        if not isinstance(config, PatConfig):
            raise PatError(f"config: expected PatConfig, got {type(config).__name__}")
        self.config = config
        self.profile = PatProfile() if profile is None else profile
        self.pattern = scan_pattern(config.uncertainty, config.beacon_divergence, self.profile.coverage_fraction)
        self.state = PatState.off
        self.pointing = np.zeros(2)
        self._scan_index = 0
        self._last_detection = -math.inf
        self._good_since: float | None = None

    @property
    def scan_period(self) -> float:
        """Time (s) the scan takes to visit every point once (the ICS ``pat_scan_period_s``)."""
        return float(len(self.pattern) * self.profile.dwell_steps * self.config.step)

    def _output(self) -> PatOutput:
        return PatOutput(self.state, float(self.pointing[0]), float(self.pointing[1]))

    def _scan_from_start(self) -> None:
        self.state = PatState.scan
        self._scan_index = 0
        self.pointing = self.pattern[0].copy()

    def step(self, now: float, command: str, detected: bool, offset_x: float, offset_y: float) -> PatOutput:
        """Advance to time ``now`` with this step's ``command`` and the detection of the
        pointing reported at the previous step; return the state and pointing at ``now``."""
        if isinstance(now, bool) or not isinstance(now, int | float) or not math.isfinite(now) or now < 0:
            raise PatError(f"now: expected a non-negative finite number, got {now!r}")
        if command not in COMMANDS:
            raise PatError(f"command: expected one of {COMMANDS}, got {command!r}")
        if not isinstance(detected, bool):
            raise PatError(f"detected: expected a boolean, got {detected!r}")
        for name, v in (("offset_x", offset_x), ("offset_y", offset_y)):
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise PatError(f"{name}: expected a finite number, got {v!r}")
        p = self.profile
        if command == "power-off":
            self.state = PatState.off
            return self._output()
        if self.state is PatState.off:
            if command == "power-on":
                self._scan_from_start()
            return self._output()
        offset = np.array([offset_x, offset_y], dtype=np.float64)
        if detected:
            self._last_detection = float(now)
        silent = now - self._last_detection >= p.loss_timeout - _EPS
        if self.state is PatState.scan:
            if detected:
                self.state = PatState.acquire
                self.pointing = self.pointing + offset
            else:
                self._scan_index += 1
                self.pointing = self.pattern[(self._scan_index // p.dwell_steps) % len(self.pattern)].copy()
        elif self.state is PatState.lost:
            self._scan_from_start()
        elif detected:
            self.pointing = self.pointing + p.tracking_gain * offset
            error = float(np.hypot(offset_x, offset_y))
            if self.state is PatState.acquire:
                self.state = PatState.track
                self._good_since = None
            elif self.state is PatState.track:
                if error > p.comm_threshold:
                    self._good_since = None
                elif self._good_since is None:
                    self._good_since = float(now)
                elif now - self._good_since >= p.comm_dwell - _EPS:
                    self.state = PatState.communicate
            elif error > p.hysteresis * p.comm_threshold:  # communicate
                self.state, self._good_since = PatState.track, None
        elif silent:
            self.state = PatState.lost
        return self._output()


# --- the harness side ----------------------------------------------------------------------------


def uniform_in_cone(rng: np.random.Generator, radius: float, size: int | None = None) -> F64Array:
    """Directions uniform over the disc of ``radius`` (small-angle cone): r = R sqrt(u)."""
    shape = () if size is None else (size,)
    r = radius * np.sqrt(rng.uniform(size=shape))
    a = rng.uniform(0.0, 2.0 * math.pi, size=shape)
    return np.stack([r * np.cos(a), r * np.sin(a)], axis=-1)


@dataclass(frozen=True)
class EnvironmentParameters:
    """The beacon environment of the spec (harness side)."""

    uncertainty: float
    beacon_divergence: float
    detection_probability_max: float
    sensor_noise: float
    comm_threshold: float
    comm_dwell: float
    step: float

    @classmethod
    def from_spec(cls, spec: Spec) -> EnvironmentParameters:
        """``pat_uncertainty``, ``pat_beacon_divergence``, ``pat_beacon_detection_probability_max``,
        ``pat_sensor_noise``, ``pat_comm_error_fraction`` x ``pat_comm_divergence``,
        ``pat_comm_dwell`` and ``pat_time_step`` of the spec under test."""
        return cls(
            uncertainty=spec.parameter("pat_uncertainty"),
            beacon_divergence=spec.parameter("pat_beacon_divergence"),
            detection_probability_max=spec.parameter("pat_beacon_detection_probability_max"),
            sensor_noise=spec.parameter("pat_sensor_noise"),
            comm_threshold=spec.parameter("pat_comm_error_fraction") * spec.parameter("pat_comm_divergence"),
            comm_dwell=spec.parameter("pat_comm_dwell"),
            step=spec.parameter("pat_time_step"),
        )

    def config(self) -> PatConfig:
        return PatConfig(self.uncertainty, self.beacon_divergence, self.step)


@dataclass(frozen=True)
class Observation:
    """What the product is told about its previous pointing."""

    detected: bool
    offset_x: float = 0.0
    offset_y: float = 0.0


class BeaconEnvironment:
    """The partner terminal's beacon as the harness simulates it: one seeded
    :class:`numpy.random.Generator` per trial, the true direction drawn uniformly within the
    uncertainty cone at construction, detections from the Gaussian-beam probability and
    measured offsets with Gaussian sensor noise. The product never sees :attr:`truth`."""

    def __init__(self, params: EnvironmentParameters, rng: np.random.Generator) -> None:
        self.params = params
        self.rng = rng
        self.truth: F64Array = uniform_in_cone(rng, params.uncertainty)

    def pointing_error(self, x: float, y: float) -> float:
        """True pointing error |pointing - truth| (rad)."""
        return float(math.hypot(x - self.truth[0], y - self.truth[1]))

    def detection_probability(self, x: float, y: float) -> float:
        """p_max exp(-2 (e / w)^2): Gaussian far field at error e (Siegman 17.1)."""
        e = self.pointing_error(x, y) / self.params.beacon_divergence
        return float(self.params.detection_probability_max * math.exp(-2.0 * e * e))

    def observe(self, x: float, y: float, beacon_on: bool = True) -> Observation:
        """Detection of pointing (x, y), and when detected the measured offset truth - pointing
        with Gaussian noise of ``sensor_noise`` per axis. Draws from the trial's generator in the
        same order whatever the outcome, so a trial is reproducible from its seed."""
        u = float(self.rng.uniform())
        noise = self.rng.normal(0.0, self.params.sensor_noise, size=2)
        if not beacon_on or u >= self.detection_probability(x, y):
            return Observation(False)
        return Observation(True, float(self.truth[0] - x + noise[0]), float(self.truth[1] - y + noise[1]))


@dataclass
class TrialRecord:
    """Everything one closed-loop trial saw: per step the time, the command and detection sent,
    and the state and pointing the product reported (with its true error, harness side)."""

    times: list[float] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    detected: list[bool] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    pointings: list[tuple[float, float]] = field(default_factory=list)
    errors: list[float] = field(default_factory=list)
    #: Time from power-on to completed acquisition (inf when none in the trial).
    acquisition_time: float = math.inf

    def first(self, state: str, after: int = 0) -> int | None:
        """Index of the first step at or after ``after`` reporting ``state``."""
        for i in range(after, len(self.states)):
            if self.states[i] == state:
                return i
        return None


StepFunction = Callable[[float, str, bool, float, float], Any]


def _check_result(result: Any, index: int) -> tuple[str, float, float]:
    """A product's ``pat_step`` result as (state, x, y), or :class:`PatProtocolError`."""
    if not isinstance(result, Mapping):
        raise PatProtocolError(f"step {index}: pat_step returned {type(result).__name__}, not an object")
    state = result.get("state")
    if not isinstance(state, str) or state not in STATE_NAMES:
        raise PatProtocolError(f"step {index}: state {state!r} is not one of {[s.value for s in PatState]}")
    xy = []
    for key in ("pointing_x", "pointing_y"):
        v = result.get(key)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise PatProtocolError(f"step {index}: {key} {v!r} is not a finite number")
        xy.append(float(v))
    return state, xy[0], xy[1]


def run_trial(
    step_fn: StepFunction,
    env: BeaconEnvironment,
    horizon: float,
    commands: Mapping[int, str] | Callable[[int, TrialRecord], str] | None = None,
    beacon: Callable[[float, TrialRecord], bool] | None = None,
    stop: Callable[[TrialRecord], bool] | None = None,
    stop_on_acquisition: bool = False,
) -> TrialRecord:
    """Drive a product's ``pat_step`` in closed loop with ``env`` from t = 0 to ``horizon``.

    Step k is at t = k * step; ``commands`` maps step indices to commands, or is called as
    ``commands(k, record)`` (default: power-on at step 0, "none" elsewhere); ``beacon(t, record)``
    says whether the partner's beacon is on at step time t (default: always). The detection sent at step k is that of the pointing reported at step k - 1 (never
    while the product reported off). The acquisition time is the first step, counted from the
    power-on step, at which the product reports communicate while the true error has stayed within
    ``comm_threshold`` for at least ``comm_dwell``. ``stop(record)`` ends the trial early;
    ``stop_on_acquisition`` ends it at acquisition.
    """
    p = env.params
    if commands is None:
        commands = {0: "power-on"}
    table = commands if isinstance(commands, Mapping) else None
    rec = TrialRecord()
    steps = int(math.floor(horizon / p.step + _EPS)) + 1
    power_on_at: float | None = None
    good_since: float | None = None
    prev_state, prev_xy = PatState.off.value, (0.0, 0.0)
    for k in range(steps):
        t = k * p.step
        cmd = table.get(k, "none") if table is not None else commands(k, rec)  # type: ignore[operator]
        if prev_state == PatState.off.value:
            obs = Observation(False)
        else:
            obs = env.observe(prev_xy[0], prev_xy[1], True if beacon is None else bool(beacon(t, rec)))
        state, x, y = _check_result(step_fn(t, cmd, obs.detected, obs.offset_x, obs.offset_y), k)
        error = env.pointing_error(x, y)
        rec.times.append(t)
        rec.commands.append(cmd)
        rec.detected.append(obs.detected)
        rec.states.append(state)
        rec.pointings.append((x, y))
        rec.errors.append(error)
        if cmd == "power-on" and power_on_at is None:
            power_on_at = t
        if state != PatState.off.value and error <= p.comm_threshold:
            good_since = t if good_since is None else good_since
        else:
            good_since = None
        if (
            math.isinf(rec.acquisition_time)
            and power_on_at is not None
            and state == PatState.communicate.value
            and good_since is not None
            and t - good_since >= p.comm_dwell - _EPS
        ):
            rec.acquisition_time = t - power_on_at
            if stop_on_acquisition:
                break
        if stop is not None and stop(rec):
            break
        prev_state, prev_xy = state, (x, y)
    return rec


def transition_violations(
    rec: TrialRecord,
    loss_timeout: float | None = None,
    comm_dwell: float | None = None,
    step: float | None = None,
    limit: int = 10,
) -> list[str]:
    """The OISL-ACQ-001 violations in a trial: a state change outside
    :data:`ALLOWED_TRANSITIONS`, a power-off not obeyed or an off without it, a power-on not
    obeyed from off, leaving off without power-on, a detection in scan not answered by acquire,
    acquire without a detection, acquire -> track at a step without a detection, and a change to
    lost at a step that reported a detection. With ``step`` and ``loss_timeout`` (the declared
    one): lost earlier than ``loss_timeout - step`` after the last detection (OISL-ACQ-001,
    OISL-ACQ-003). With ``step`` and ``comm_dwell``: communicate entered from track unless track
    was reported at every step of the preceding ``comm_dwell`` (OISL-ACQ-001 good tracking).
    At most ``limit`` violations are listed."""
    out: list[str] = []
    prev = PatState.off
    last_detection = -math.inf
    track_since: float | None = None
    for t, cmd, det, s in zip(rec.times, rec.commands, rec.detected, rec.states, strict=True):
        state = PatState(s)
        if det:
            last_detection = t
        where = f"t={t:g} s ({prev.value} -> {state.value}, command {cmd}, detected {det})"
        if cmd == "power-off":
            if state is not PatState.off:
                out.append(f"{where}: power-off must give off")
        elif state is PatState.off and prev is not PatState.off:
            out.append(f"{where}: off without the power-off command")
        elif prev is PatState.off and cmd == "power-on" and state is not PatState.scan:
            out.append(f"{where}: power-on must give scan")
        elif prev is PatState.off and cmd != "power-on" and state is not PatState.off:
            out.append(f"{where}: left off without power-on")
        elif state not in ALLOWED_TRANSITIONS[prev]:
            out.append(f"{where}: transition not allowed")
        elif prev is PatState.scan and det and state is not PatState.acquire:
            out.append(f"{where}: a detection in scan must give acquire")
        elif prev is PatState.scan and not det and state is PatState.acquire:
            out.append(f"{where}: acquire without a detection")
        elif prev is PatState.acquire and state is PatState.track and not det:
            out.append(f"{where}: track without a further detection")
        elif state is PatState.lost and det:
            out.append(f"{where}: lost at a step that reported a detection")
        elif (
            state is PatState.lost
            and prev is not PatState.lost
            and loss_timeout is not None
            and step is not None
            and t - last_detection < loss_timeout - step - _EPS
        ):
            out.append(
                f"{where}: lost {t - last_detection:g} s after the last detection, earlier than the declared "
                f"loss timeout {loss_timeout:g} s minus one step"
            )
        elif (
            state is PatState.communicate
            and prev is PatState.track
            and comm_dwell is not None
            and step is not None
            and (track_since is None or t - track_since < comm_dwell - _EPS)
        ):
            held = 0.0 if track_since is None else t - track_since
            out.append(f"{where}: communicate after {held:g} s of track, less than the dwell {comm_dwell:g} s")
        if state is PatState.track:
            track_since = t if prev is not PatState.track or track_since is None else track_since
        else:
            track_since = None
        prev = state
        if len(out) >= limit:
            break
    return out


def communicate_error_violations(rec: TrialRecord, max_error: float, limit: int = 10) -> list[str]:
    """The OISL-ACQ-005 violations in a trial: steps reporting communicate while the true
    pointing error (harness side) exceeds ``max_error`` (rad)."""
    out: list[str] = []
    for t, s, e in zip(rec.times, rec.states, rec.errors, strict=True):
        if s == PatState.communicate.value and not e <= max_error:
            out.append(f"t={t:g} s: communicate with true pointing error {e:.3e} rad > {max_error:.3e} rad")
            if len(out) >= limit:
                break
    return out


def coverage_gap(pointings: Sequence[tuple[float, float]] | F64Array, targets: F64Array) -> tuple[float, F64Array]:
    """The largest distance from any of ``targets`` (M x 2) to its nearest pointing, and the
    target that realizes it (OISL-ACQ-002). Works in blocks so M x N stays small."""
    pts = np.asarray(pointings, dtype=np.float64).reshape(-1, 2)
    tg = np.asarray(targets, dtype=np.float64).reshape(-1, 2)
    if pts.size == 0:
        return math.inf, tg[0]
    nearest = np.empty(len(tg))
    for lo in range(0, len(tg), 1024):
        block = tg[lo : lo + 1024]
        d = np.hypot(block[:, None, 0] - pts[None, :, 0], block[:, None, 1] - pts[None, :, 1])
        nearest[lo : lo + 1024] = d.min(axis=1)
    worst = int(np.argmax(nearest))
    return float(nearest[worst]), tg[worst]


class OutageScenario:
    """A closed-loop scenario exercising every transition of OISL-ACQ-001 and the loss timeout of
    OISL-ACQ-003, steered by what the product reports (pass :meth:`command`, :meth:`beacon` and
    :meth:`update` to :func:`run_trial` as ``commands``, ``beacon`` and ``stop``):

    1. ``link``: power-on at step 0, beacon on, until the product reports communicate for
       ``communicate_steps`` steps in a row (or track/communicate for ``tracking_steps``); with
       ``outage_from="acquire"`` only until the first step reporting acquire (the beacon then
       disappears before any further detection: acquire must go to lost, never to track);
    2. ``outage``: beacon off from the next step until the product reports lost and
       ``rescan_steps`` steps more (at least one), or ``outage_limit`` seconds after the outage
       began (the steps after lost are the rescan of OISL-ACQ-002);
    3. ``restore``: beacon on for ``restore_steps`` steps, then power-off, then two steps.

    The indices it records (:attr:`outage_start`, :attr:`lost_at`) let the suite check the timing.
    """

    def __init__(
        self,
        step: float,
        outage_limit: float,
        communicate_steps: int = 2,
        tracking_steps: int = 12,
        restore_steps: int = 6,
        outage_from: str = "link",
        rescan_steps: int = 1,
    ) -> None:
        if outage_from not in ("link", "acquire"):
            raise PatError(f"outage_from: expected 'link' or 'acquire', got {outage_from!r}")
        self.step = step
        self.outage_limit = outage_limit
        self.communicate_steps = communicate_steps
        self.tracking_steps = tracking_steps
        self.restore_steps = restore_steps
        self.outage_from = outage_from
        self.rescan_steps = max(1, rescan_steps)
        self.phase = "link"
        self.outage_start: int | None = None
        self.lost_at: int | None = None
        self.restore_start: int | None = None
        self.power_off_at: int | None = None

    def command(self, k: int, rec: TrialRecord) -> str:
        if k == 0:
            return "power-on"
        if self.restore_start is not None and k == self.restore_start + self.restore_steps:
            self.power_off_at = k
            return "power-off"
        return "none"

    def beacon(self, t: float, rec: TrialRecord) -> bool:
        return self.phase != "outage"

    def _link_up(self, rec: TrialRecord) -> bool:
        if self.outage_from == "acquire":
            return rec.states[-1] == PatState.acquire.value
        comm = rec.states[-self.communicate_steps :]
        trk = rec.states[-self.tracking_steps :]
        return (len(comm) == self.communicate_steps and all(s == PatState.communicate.value for s in comm)) or (
            len(trk) == self.tracking_steps and all(s in (PatState.track.value, PatState.communicate.value) for s in trk)
        )

    def update(self, rec: TrialRecord) -> bool:
        """Advance the phase after each step; True when the scenario is over."""
        k = len(rec.states) - 1
        if self.phase == "link":
            if self._link_up(rec):
                self.phase, self.outage_start = "outage", k + 1
        elif self.phase == "outage":
            assert self.outage_start is not None
            if self.lost_at is None and rec.states[-1] == PatState.lost.value:
                self.lost_at = k
            if (self.lost_at is not None and k >= self.lost_at + self.rescan_steps) or (
                self.lost_at is None and (k - self.outage_start) * self.step > self.outage_limit
            ):
                self.phase, self.restore_start = "restore", k + 1
        return self.power_off_at is not None and k >= self.power_off_at + 2

    def last_detection_before_loss(self, rec: TrialRecord) -> int | None:
        """Index of the last step that reported a detection before the outage ended."""
        end = self.lost_at if self.lost_at is not None else len(rec.detected) - 1
        for i in range(end, -1, -1):
            if rec.detected[i]:
                return i
        return None


class PowerCycleScenario:
    """Power-off from every state but off (OISL-ACQ-001), steered by what the product reports
    (pass :meth:`command`, :meth:`beacon` and :meth:`update` to :func:`run_trial`):

    off for ``hold_steps`` steps with no command (no power-on of its own), then for each state of
    ``targets`` in turn: power-on, beacon on until the product reports that state (for ``lost``
    the beacon goes off once it reports track or communicate), power-off at the next step (so
    the power-off arrives at a step whose previous report was that state), then off for
    ``hold_steps`` steps with no command. A target not reached within ``target_limit`` steps is
    skipped (recorded in :attr:`missed`); :attr:`powered_off_from` lists the states power-off
    came from.
    """

    def __init__(
        self,
        hold_steps: int,
        targets: Sequence[str] = ("acquire", "track", "communicate", "lost"),
        target_limit: int = 400,
    ) -> None:
        self.hold_steps = max(1, hold_steps)
        self.targets = list(targets)
        self.target_limit = target_limit
        self.index = 0
        self.phase = "hold"
        self.phase_start = 0
        self.powered_off_from: list[str] = []
        self.missed: list[str] = []

    def _target(self) -> str | None:
        return self.targets[self.index] if self.index < len(self.targets) else None

    def command(self, k: int, rec: TrialRecord) -> str:
        if self.phase == "hold" and k - self.phase_start >= self.hold_steps and self._target() is not None:
            self.phase, self.phase_start = "seek", k
            return "power-on"
        if self.phase == "seek":
            target = self._target()
            if rec.states and rec.states[-1] == target:
                self.powered_off_from.append(target)
                self.index += 1
                self.phase, self.phase_start = "hold", k
                return "power-off"
            if k - self.phase_start > self.target_limit:
                self.missed.append(str(target))
                self.index += 1
                self.phase, self.phase_start = "hold", k
                return "power-off"
        return "none"

    def beacon(self, t: float, rec: TrialRecord) -> bool:
        if self.phase != "seek" or self._target() != PatState.lost.value:
            return True
        since = rec.states[self.phase_start :]
        return not any(s in (PatState.track.value, PatState.communicate.value) for s in since)

    def update(self, rec: TrialRecord) -> bool:
        """True when every target was visited and the last hold is over."""
        k = len(rec.states) - 1
        return self._target() is None and self.phase == "hold" and k - self.phase_start >= self.hold_steps

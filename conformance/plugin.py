"""The orbitcert pytest plugin (entry point ``pytest11: orbitcert``).

Activated by ``--orbitcert-spec ID@VERSION`` (or by running a suite directory directly). It

* collects the suite of the spec (``conformance/suites/<spec-id>/``) when no paths are given;
* provides the fixtures ``spec`` (the :class:`~orbitcert.specs.model.Spec`), ``ics`` (the
  validated :class:`~orbitcert.specs.ics.Ics`) and ``iut`` (the implementation under test);
* marks tests not applicable, before they run, when their requirements' class is not claimed or an
  ``applies_if`` predicate (the requirement's or the test's ``@pytest.mark.applies_if``) is false
  for the ICS, naming the ICS items that excluded them;
* turns each test's phases into one verdict (assertion failure = fail, any other exception = error,
  :func:`inconclusive` = inconclusive), carried in the test report so that it survives pytest-xdist;
* on the controlling process, rolls verdicts up and writes the signed report.

Markers: ``@pytest.mark.requirement("OISL-COD-001", ...)`` names what a test verifies;
``@pytest.mark.applies_if("8 in rs_interleaving_depths")`` adds a per-test ICS predicate.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from orbitcert.specs.errors import OrbitcertError
from orbitcert.specs.ics import Ics
from orbitcert.specs.model import Spec
from orbitcert.specs.predicate import parse_predicate

from .report import Implementation, SuiteBinding, build_report, now_utc, suite_digest
from .session import SUITES_DIR, CertificationTarget
from .verdicts import TestOutcome, Verdict, requirement_applicability, worst
from .writers import write_reports

NA_PREFIX = "orbitcert: not applicable: "
PROPERTY = "orbitcert"
STATE_KEY = pytest.StashKey["CertificationSession"]()


class TestTimeout(Exception):
    """A test (in practice, the product it calls) ran past ``--orbitcert-timeout``."""

    __test__ = False


class Inconclusive(Exception):
    """Raise (or call :func:`inconclusive`) when a test cannot decide pass or fail."""


def inconclusive(message: str) -> None:
    """End the current test with an inconclusive verdict."""
    raise Inconclusive(message)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("orbitcert", "orbitcert conformance certification")
    group.addoption("--orbitcert-spec", metavar="ID@VERSION", help="spec whose suite runs (ID@latest allowed)")
    group.addoption("--orbitcert-impl", metavar="MODULE:FACTORY", help="factory of the product (default: the reference)")
    group.addoption("--orbitcert-ics", metavar="FILE", help="filled ICS (default: claim every class and option)")
    group.addoption("--orbitcert-report-dir", metavar="DIR", help="write reports here (default: reports/)")
    group.addoption("--orbitcert-catalog", metavar="DIR", action="append", default=[], help="extra spec catalog")
    group.addoption("--orbitcert-sign-key", metavar="PEM", help="Ed25519 private key signing the report")
    group.addoption(
        "--orbitcert-formats", default="json,html", help="report formats, comma separated (json,html,junit,md)"
    )
    group.addoption(
        "--orbitcert-examples", type=int, default=50, help="hypothesis examples per property test (default 50)"
    )
    group.addoption(
        "--orbitcert-timeout",
        type=float,
        default=300.0,
        help="seconds a test may run before it is stopped with an error verdict (0 = no limit; default 300)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(*ids): requirement ids the test verifies")
    config.addinivalue_line("markers", "applies_if(predicate): ICS predicate; false = test not applicable")
    spec_ref = config.getoption("orbitcert_spec")
    if not spec_ref:
        spec_ref = _infer_spec_from_args(config)
    if not spec_ref:
        return
    try:
        target = CertificationTarget.resolve(
            spec_ref,
            impl=config.getoption("orbitcert_impl"),
            ics_path=config.getoption("orbitcert_ics"),
            catalogs=config.getoption("orbitcert_catalog"),
        )
    except OrbitcertError as exc:
        raise pytest.UsageError(f"orbitcert: {exc}") from None
    timeout = config.getoption("orbitcert_timeout")
    if not 0 <= timeout <= 86_400:
        raise pytest.UsageError(f"orbitcert: --orbitcert-timeout must be between 0 and 86400 seconds, not {timeout:g}")
    session = CertificationSession(config, target)
    config.stash[STATE_KEY] = session
    config.pluginmanager.register(session, "orbitcert-session")
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        config.args = [str(target.suite)]
        config.option.importmode = "importlib"
    _load_hypothesis_profile(config.getoption("orbitcert_examples"))


def _infer_spec_from_args(config: pytest.Config) -> str | None:
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        return None
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        for parent in (path, *path.parents):
            if parent.parent == SUITES_DIR.resolve():
                return f"{parent.name}@latest"
    return None


def _load_hypothesis_profile(examples: int) -> None:
    from hypothesis import HealthCheck, Phase, settings

    settings.register_profile(
        "orbitcert-certify",
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=max(1, examples),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=False,
        # No shrinking: a verdict needs a counterexample, not the smallest one, and shrinking a
        # failing product's examples can cost minutes.
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target),
    )
    settings.load_profile("orbitcert-certify")


def _state(request: pytest.FixtureRequest) -> CertificationSession:
    state = request.config.stash.get(STATE_KEY, None)
    if state is None:
        raise pytest.UsageError("orbitcert fixtures need --orbitcert-spec ID@VERSION")
    return state


@pytest.fixture(scope="session")
def spec(request: pytest.FixtureRequest) -> Spec:
    """The spec version under test."""
    result: Spec = _state(request).target.loaded.spec
    return result


@pytest.fixture(scope="session")
def ics(request: pytest.FixtureRequest) -> Ics:
    """The validated ICS of the product under test."""
    return _state(request).target.ics


@pytest.fixture(scope="session")
def iut(request: pytest.FixtureRequest) -> Any:
    """The implementation under test, created once per process by its factory."""
    state = _state(request)
    if state.product is None:
        state.product = state.target.factory()
    return state.product


def requirement_ids(item: pytest.Item) -> tuple[str, ...]:
    """Requirement ids named by the test's ``requirement`` markers, in order, without repeats."""
    ids: list[str] = []
    for mark in item.iter_markers("requirement"):
        for a in mark.args:
            if a not in ids:
                ids.append(str(a))
    return tuple(ids)


class CertificationSession:
    """Per-run plugin state, registered only when a spec is being certified."""

    def __init__(self, config: pytest.Config, target: CertificationTarget) -> None:
        self.config = config
        self.target = target
        self.product: Any = None
        self.started = now_utc()
        self.is_worker = hasattr(config, "workerinput")
        self.phases: dict[str, list[tuple[str, Verdict, str]]] = {}
        self.product_identity: dict[str, str] | None = None
        self.durations: dict[str, float] = {}
        self.reqs: dict[str, tuple[str, ...]] = {}
        self.written: list[Path] = []
        self.report: Any = None

    # -- selection ---------------------------------------------------------------------------
    def exclusion(self, item: pytest.Item) -> str | None:
        """Why the test does not apply to the product, or None."""
        spec, ics = self.target.loaded.spec, self.target.ics
        for rid in requirement_ids(item):
            try:
                why = requirement_applicability(spec, ics, rid)
            except KeyError:
                continue
            if why:
                return f"{rid}: {why}"
        for mark in item.iter_markers("applies_if"):
            pred = parse_predicate(str(mark.args[0]))
            if not pred.evaluate(ics.values):
                return f"ICS predicate {pred.source!r} is false (item {', '.join(sorted(pred.names))})"
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        ids = requirement_ids(item)
        known = {r.id for r in self.target.loaded.spec.requirements}
        unknown = [r for r in ids if r not in known]
        if unknown:
            pytest.fail(f"test names unknown requirement(s) {unknown} of {self.target.loaded.spec.ref}", pytrace=False)
        if not ids:
            pytest.fail("test names no requirement (@pytest.mark.requirement)", pytrace=False)
        why = self.exclusion(item)
        if why:
            pytest.skip(NA_PREFIX + why)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, None]:
        """Stop a test that runs too long (a hung product) with an error verdict, using a real-time
        interval timer (POSIX, main thread; elsewhere there is no limit)."""
        limit = float(self.config.getoption("orbitcert_timeout") or 0)
        usable = limit > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
        if not usable:
            yield
            return

        def expire(signum: int, frame: Any) -> None:
            raise TestTimeout(f"test exceeded the {limit:g} s limit (--orbitcert-timeout): product hung or too slow")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        verdict, message = phase_verdict(report, call)
        value: dict[str, Any] = {"requirements": list(requirement_ids(item)), "verdict": verdict.value, "message": message}
        if self.product is not None:
            # Travels with the report, so the controller of an xdist run (which never creates the
            # product) names it exactly as a serial run does.
            value["product"] = product_identity(self.product)
        report.user_properties.append((PROPERTY, value))

    # -- collection of outcomes (controller) -------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        values = [v for name, v in report.user_properties if name == PROPERTY and isinstance(v, dict)]
        if values:
            value = values[-1]
            self.reqs[report.nodeid] = tuple(value["requirements"])
            verdict, message = Verdict(value["verdict"]), str(value["message"])
            if value.get("product") and self.product_identity is None:
                self.product_identity = dict(value["product"])
        elif report.failed:
            # A report orbitcert did not annotate: pytest-xdist's report of a crashed worker.
            verdict, message = Verdict.error, _failure_message(report) or "the test process crashed"
        else:
            return
        self.phases.setdefault(report.nodeid, []).append((report.when or "", verdict, message))
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration

    def outcomes(self) -> list[TestOutcome]:
        """One verdict per test from its phases; a test whose call phase never reported (its
        process died) is an error, never a pass."""
        result = []
        for nodeid, phases in self.phases.items():
            verdicts = [v for _, v, _ in phases]
            if Verdict.not_applicable in verdicts:
                verdict = Verdict.not_applicable
            else:
                verdict = worst(verdicts)
                if verdict is Verdict.none:
                    verdict = Verdict.passed if any(w == "call" for w, _, _ in phases) else Verdict.error
            message = next((m for _, v, m in phases if v is verdict and m), "")
            if verdict is Verdict.error and not message:
                message = "the test did not complete (its process ended before the test body reported)"
            result.append(
                TestOutcome(nodeid, self.reqs.get(nodeid, ()), verdict, self.durations.get(nodeid, 0.0), message)
            )
        return result

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker:
            return
        if exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
            return  # never leave a report that looks complete
        target = self.target
        ident = target.identity(self.product_identity or (product_identity(self.product) if self.product else None))
        workers = getattr(self.config.option, "numprocesses", None) or 1
        report = build_report(
            target.loaded,
            target.ics,
            self.outcomes(),
            Implementation(**ident),
            SuiteBinding(path=f"{target.suite.parent.name}/{target.suite.name}", digest=suite_digest(target.suite)),
            started=self.started,
            workers=int(workers) if isinstance(workers, int) else 1,
        )
        out_dir = Path(self.config.getoption("orbitcert_report_dir") or "reports")
        formats = [f.strip() for f in str(self.config.getoption("orbitcert_formats")).split(",") if f.strip()]
        try:
            self.report, self.written = write_reports(report, out_dir, formats, self.config.getoption("orbitcert_sign_key"))
        except OrbitcertError as exc:
            raise pytest.UsageError(f"orbitcert: {exc}") from None
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.write_sep("=", f"orbitcert: {report.spec.id}@{report.spec.version} {report.decision.value}")
            for c in report.classes:
                if c.claimed:
                    tr.write_line(f"  class {c.id}: {c.decision.value}" + (f" ({c.reason})" if c.reason else ""))
            for p in self.written:
                tr.write_line(f"  report: {p}")


def product_identity(product: Any) -> dict[str, str]:
    """Name and version a product object declares (``name`` / ``version`` attributes)."""
    return {
        "name": str(getattr(product, "name", None) or type(product).__name__),
        "version": str(getattr(product, "version", None) or "unspecified"),
    }


def phase_verdict(report: pytest.TestReport, call: pytest.CallInfo[None]) -> tuple[Verdict, str]:
    """Verdict of one phase (setup, call, teardown) of a test, and a one-paragraph message."""
    if report.passed:
        return (Verdict.passed if report.when == "call" else Verdict.none), ""
    if report.skipped:
        reason = _skip_reason(report)
        if reason.startswith(NA_PREFIX):
            return Verdict.not_applicable, reason[len(NA_PREFIX):]
        return Verdict.inconclusive, reason
    excinfo = call.excinfo
    message = _failure_message(report)
    if excinfo is not None and report.when == "call":
        if excinfo.errisinstance(Inconclusive):
            return Verdict.inconclusive, str(excinfo.value)
        if excinfo.errisinstance(AssertionError):
            return Verdict.failed, message
        return Verdict.error, f"{excinfo.typename}: {excinfo.value}"[:2000]
    return Verdict.error, message


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _failure_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return text[:2000]


"""The per-run plugin object: turns each test's phases into a verdict and writes the report.

Registered by :mod:`.plugin` only when a spec is being certified. It

* creates the product before any test runs and refuses one that lacks an operation of its
  claimed classes (:func:`~orbitcert.conformance.interfaces.check_product`);
* marks a test not applicable before it runs when its requirements' class is not claimed or an
  ``applies_if`` predicate is false for the ICS (the reason travels in ``item.stash``);
* puts every setup and call under the per-test time limit (:mod:`.timeouts`);
* turns each phase into a verdict (:func:`~orbitcert.conformance.verdicts.phase_verdict`) carried
  in the test report, so that it survives pytest-xdist;
* on the controlling process, combines phases into test results, builds the report, signs and
  writes it, and hands it to ``pytest_orbitcert_report``.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from orbitcert.specs.errors import ImplementationError, InterfaceError, OrbitcertError
from orbitcert.specs.ics import ProductIdentity

from .interfaces import check_product
from .options import RunOptions
from .report import Implementation, Report, SuiteBinding, build_report, now_utc, suite_digest
from .results import TestResult, Verdict
from .session import CertificationTarget, declared_identity
from .suite import applies_if_predicates, requirement_ids
from .timeouts import time_limit
from .verdicts import PhaseOutcome, combine_phases, exclusion_reason, phase_verdict

PROPERTY = "orbitcert"
NOT_APPLICABLE = pytest.StashKey[str]()
MAX_MESSAGE = 2000


class CertificationSession:
    """Per-run plugin state."""

    def __init__(self, config: pytest.Config, target: CertificationTarget, options: RunOptions) -> None:
        self.config = config
        self.target = target
        self.options = options
        self.started = now_utc()
        self.is_worker = hasattr(config, "workerinput")
        self.product: Any = None
        self.product_error: str | None = None
        self.declared: ProductIdentity | None = None
        self.phases: dict[str, list[tuple[str, Verdict, str]]] = {}
        self.durations: dict[str, float] = {}
        self.reqs: dict[str, tuple[str, ...]] = {}
        self.report: Report | None = None
        self.written: list[Path] = []

    # -- the product -------------------------------------------------------------------------
    def _create_product(self) -> Any:
        try:
            product = self.target.create_product()
        except Exception as exc:  # noqa: BLE001 - a failing factory is an error verdict per test
            self.product_error = f"the product's factory failed: {type(exc).__name__}: {exc}"[:MAX_MESSAGE]
            return None
        check_product(product, self.target.loaded.spec, self.target.ics.classes)
        self.declared = declared_identity(product)
        return product

    def get_product(self) -> Any:
        """The product under test, created once per process."""
        if self.product is None and self.product_error is None:
            self.product = self._create_product()
        if self.product_error is not None:
            raise ImplementationError(self.product_error)
        return self.product

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Create the product and check its interface before any test runs (on the controller;
        under xdist each worker creates its own and this one is discarded)."""
        _forget_foreign_suite_modules(self.target.suite)
        if self.is_worker or self.config.option.collectonly:
            return
        try:
            product = self._create_product()
        except InterfaceError as exc:
            self.config.hook.pytest_orbitcert_refused(config=self.config, error=exc)
            raise pytest.UsageError(f"orbitcert: {exc}") from None
        if not self.config.pluginmanager.has_plugin("dsession"):
            self.product = product

    # -- selection and execution -------------------------------------------------------------
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Refuse to run a test whose module object was not loaded from its own file (a module of
        the same name already imported in this process): the run would test something else."""
        for item in items:
            module = getattr(item, "module", None)
            source = getattr(module, "__file__", None)
            if source and Path(source).resolve() != Path(item.path).resolve():
                raise pytest.UsageError(
                    f"orbitcert: suite module {item.path.name} resolved to {source}: a module of the same "
                    "name is already loaded in this process; run the suite from its catalog's suites/ folder"
                )

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        spec = self.target.loaded.spec
        ids = requirement_ids(item)
        unknown = [r for r in ids if r not in {q.id for q in spec.requirements}]
        if unknown:
            pytest.fail(f"test names unknown requirement(s) {unknown} of {spec.ref}", pytrace=False)
        if not ids:
            pytest.fail("test names no requirement (@pytest.mark.requirement)", pytrace=False)
        why = exclusion_reason(spec, self.target.ics, ids, applies_if_predicates(item))
        if why:
            item.stash[NOT_APPLICABLE] = why
            pytest.skip(why)
        with time_limit(self.options.timeout, "test setup"):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        with time_limit(self.options.timeout, "test"):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
        report: pytest.TestReport = yield
        excinfo = call.excinfo
        if report.skipped:
            message = _skip_reason(report)
        elif report.failed and excinfo is not None and not excinfo.errisinstance(AssertionError):
            message = str(excinfo.value)
        else:
            message = _failure_message(report)
        na = item.stash.get(NOT_APPLICABLE, None) if report.when == "setup" and report.skipped else None
        verdict, text = phase_verdict(
            report.when or "",
            PhaseOutcome(report.outcome),
            exception=excinfo.type if excinfo is not None and report.failed else None,
            message=message,
            not_applicable=na,
        )
        value: dict[str, Any] = {
            "requirements": list(requirement_ids(item)),
            "verdict": verdict.value,
            "message": text[:MAX_MESSAGE],
        }
        if self.declared is not None:
            # Travels with the report, so the controller of an xdist run (which keeps no product)
            # names the product exactly as a serial run does.
            value["product"] = self.declared.model_dump()
        report.user_properties.append((PROPERTY, value))
        return report

    # -- results (controller) ----------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        values = [v for name, v in report.user_properties if name == PROPERTY and isinstance(v, dict)]
        if values:
            value = values[-1]
            self.reqs[report.nodeid] = tuple(value["requirements"])
            verdict, message = Verdict(value["verdict"]), str(value["message"])
            if value.get("product") and self.declared is None:
                self.declared = ProductIdentity.model_validate(value["product"])
        elif report.failed:
            # A report orbitcert did not annotate: pytest-xdist's report of a crashed worker.
            verdict, message = Verdict.error, _failure_message(report) or "the test process crashed"
        else:
            return
        self.phases.setdefault(report.nodeid, []).append((report.when or "", verdict, message))
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration

    def results(self) -> list[TestResult]:
        """One result per test that reported."""
        out = []
        for nodeid, phases in self.phases.items():
            verdict, message = combine_phases(phases)
            out.append(
                TestResult(
                    nodeid=nodeid,
                    requirements=list(self.reqs.get(nodeid, ())),
                    verdict=verdict,
                    duration=round(self.durations.get(nodeid, 0.0), 6),
                    message=message,
                )
            )
        return out

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker:
            return
        if exitstatus in (
            pytest.ExitCode.INTERRUPTED,
            pytest.ExitCode.USAGE_ERROR,
            pytest.ExitCode.INTERNAL_ERROR,
            pytest.ExitCode.NO_TESTS_COLLECTED,
        ):
            return  # never leave a report that looks complete
        from .writers import write_reports  # jinja2 and cryptography: only once a report is due

        target = self.target
        identity = target.identity(self.declared)
        report = build_report(
            target.loaded,
            target.ics,
            self.results(),
            Implementation(**identity.model_dump(), factory=target.factory_ref, shared_process=True),
            SuiteBinding(
                path=f"suites/{target.suite.name}", origin=target.suite_origin, digest=suite_digest(target.suite)
            ),
            started=self.started,
            workers=_workers(self.config),
        )
        try:
            self.report, self.written = write_reports(report, self.options.out, self.options.formats, self.options.sign_key)
        except OrbitcertError as exc:
            raise pytest.UsageError(f"orbitcert: {exc}") from None
        self.config.hook.pytest_orbitcert_report(config=self.config, report=self.report, paths=self.written)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        report = self.report
        if report is None:
            return
        terminalreporter.write_sep("=", f"orbitcert: {report.spec.id}@{report.spec.version} {report.decision.value}")
        for c in report.classes:
            if c.claimed:
                terminalreporter.write_line(f"  class {c.id}: {c.decision.value}" + (f" ({c.reason})" if c.reason else ""))
        for p in self.written:
            terminalreporter.write_line(f"  report: {p}")


def _forget_foreign_suite_modules(suite: Path) -> None:
    """Drop already-imported modules named like a suite file but loaded from elsewhere: pytest's
    importlib mode reuses a module found in ``sys.modules`` under the name it computes, and would
    then run that module's tests instead of the suite's."""
    import sys

    stems = {p.stem for p in suite.rglob("*.py")}
    root = suite.resolve()
    for name, module in list(sys.modules.items()):
        source = getattr(module, "__file__", None)
        if name.rpartition(".")[2] not in stems or not source:
            continue
        if not Path(source).resolve().is_relative_to(root):
            del sys.modules[name]


def _workers(config: pytest.Config) -> int:
    n = getattr(config.option, "numprocesses", None)
    return n if isinstance(n, int) and n > 0 else 1


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _failure_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return text[:MAX_MESSAGE]

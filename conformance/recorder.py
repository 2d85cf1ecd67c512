"""The per-run plugin object: turns each test's phases into a result, and the results into a report.

Registered by :mod:`.plugin` only when a spec is being certified. It

* creates the product before any test runs (under the time limit) and refuses one that lacks an
  operation of its claimed classes (:func:`~orbitcert.conformance.interfaces.check_product`);
  suites reach the product only through :class:`~orbitcert.conformance.interfaces.proxy.InterfaceProxy`;
* marks a test not applicable before it runs when its requirements' class is not claimed or an
  ``applies_if`` predicate is false for the ICS (the reason travels in ``item.stash``);
* with :class:`TimeLimits`, puts every setup and call under the per-test time limit
  (:mod:`.timeouts`) and restores what a product may have changed in the process (the recursion
  limit) after each test;
* turns each phase into a verdict (:func:`~orbitcert.conformance.verdicts.phase_verdict`) carried
  in the test report, so that it survives pytest-xdist, and names every test by its id relative to
  the suite folder (the same however the run was started);
* on the controlling process, either streams each test's result to the parent process that runs
  the certification (``--orbitcert-events-fd``, see :mod:`.run`), or, in a plain ``pytest`` run,
  builds the report itself, signs and writes it, and hands it to ``pytest_orbitcert_report``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import IO, Any

import pytest

from orbitcert.specs.errors import ImplementationError, InterfaceError, OrbitcertError
from orbitcert.specs.ics import ProductIdentity

from .interfaces import check_product
from .interfaces.proxy import InterfaceProxy
from .options import RunOptions, minimum_examples
from .delta import suite_file_digests, support_digest
from .report import Implementation, Report, SuiteBinding, Thoroughness, build_report, now_utc, suite_digest
from .results import TestResult, Verdict
from .session import CertificationTarget, declared_identity
from .suite import applies_if_predicates, belongs_to_other_version, other_version_requirements, requirement_ids
from .timeouts import time_limit
from .verdicts import PhaseOutcome, combine_phases, exclusion_reason, phase_verdict, probe_unsupported

PROPERTY = "orbitcert"
NOT_APPLICABLE = pytest.StashKey[str]()
PROBE = pytest.StashKey[str]()
#: The ``evidence`` fixture of a test (:class:`.statistics.EvidenceRecorder`).
EVIDENCE = pytest.StashKey[Any]()
MAX_MESSAGE = 2000


def canonical_id(nodeid: str, rootpath: Path, suite: Path) -> str:
    """A test's id relative to its suite folder (``test_coding.py::test_x[I5]``), whatever the
    rootdir, the working directory or the way pytest was started."""
    path, sep, rest = nodeid.partition("::")
    try:
        rel = (rootpath / path).resolve().relative_to(suite.resolve()).as_posix()
    except ValueError:
        rel = path
    return rel + sep + rest


def report_of_run(
    target: CertificationTarget,
    options: RunOptions,
    results: Sequence[TestResult],
    *,
    started: str,
    declared: ProductIdentity | None,
    workers: int,
    selected: int | None = None,
    complete: bool = True,
    shared_process: bool | None = None,
) -> Report:
    """The (unsigned) report of a run from its test results."""
    identity = target.identity(declared)
    shared = (target.factory_ref is not None and not options.isolate) if shared_process is None else shared_process
    return build_report(
        target.loaded,
        target.ics,
        results,
        Implementation(
            **identity.model_dump(),
            factory=target.factory_ref,
            command=target.command or (f"tcp://{target.connect}" if target.connect else None),
            shared_process=shared,
        ),
        SuiteBinding(
            path=f"suites/{target.suite.name}",
            origin=target.suite_origin,
            digest=suite_digest(target.suite),
            files=suite_file_digests(target.suite),
            support=support_digest(target.suite),
        ),
        started=started,
        thoroughness=Thoroughness(
            examples=options.examples,
            minimum_examples=minimum_examples(target.loaded.spec),
            derandomized=True,
            timeout=options.timeout,
            seed=options.seed,
            call_timeout=options.call_timeout,
        ),
        workers=workers,
        complete=complete,
        selected=selected,
        waivers=options.waivers,
    )


class EventStream:
    """JSON lines to the parent process of a certification (one event per line)."""

    def __init__(self, fd: int) -> None:
        os.set_inheritable(fd, False)  # a product's own child processes do not get the channel
        self._out: IO[str] = os.fdopen(fd, "w", encoding="utf-8", errors="replace", buffering=1)

    def send(self, event: str, **data: Any) -> None:
        try:
            self._out.write(json.dumps({"event": event, **data}, ensure_ascii=True) + "\n")
            self._out.flush()
        except (OSError, ValueError):  # the parent went away: nothing left to tell
            pass


class TimeLimits:
    """Puts every test's setup and call under the per-test time limit (:mod:`.timeouts`), and
    restores what a product may have changed in the process (the recursion limit) after it."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.recursion_limit = sys.getrecursionlimit()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        with time_limit(self.timeout, "test setup"):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        try:
            with time_limit(self.timeout, "test"):
                return (yield)
        finally:
            if sys.getrecursionlimit() != self.recursion_limit:
                sys.setrecursionlimit(self.recursion_limit)


class CertificationSession:
    """Per-run plugin state."""

    def __init__(
        self, config: pytest.Config, target: CertificationTarget, options: RunOptions, events_fd: int | None = None
    ) -> None:
        self.config = config
        self.target = target
        self.options = options
        self.started = now_utc()
        self.is_worker = hasattr(config, "workerinput")
        self.events = EventStream(events_fd) if events_fd is not None and not self.is_worker else None
        self.product: Any = None
        self.product_error: str | None = None
        self.declared: ProductIdentity | None = None
        self.bridge: Any = None
        self.phases: dict[str, list[tuple[str, Verdict, str]]] = {}
        self.durations: dict[str, float] = {}
        self.reqs: dict[str, tuple[str, ...]] = {}
        self.results: dict[str, TestResult] = {}
        self.probes: dict[str, tuple[str, bool]] = {}
        self.evidence: dict[str, list[Any]] = {}
        self.report: Report | None = None
        self.written: list[Path] = []

    def test_id(self, nodeid: str) -> str:
        return canonical_id(nodeid, self.config.rootpath, self.target.suite)

    # -- the product -------------------------------------------------------------------------
    def _create_product(self) -> Any:
        """The product behind its interface: over the bridge (a command, a connection, or a
        factory isolated in ``orbitcert serve``) or, with ``--no-isolate``, in this process."""
        if self.bridged:
            return self._connect_product()
        try:
            with time_limit(self.options.timeout, "creating the product"):
                product = self.target.create_product()
        except Exception as exc:  # noqa: BLE001 - a failing factory is an error verdict per test
            self.product_error = f"the product's factory failed: {type(exc).__name__}: {exc}"[:MAX_MESSAGE]
            return None
        check_product(product, self.target.loaded.spec, self.target.ics.classes)
        self._declare(declared_identity(product))
        return InterfaceProxy(product, self.target.loaded.spec)

    @property
    def bridged(self) -> bool:
        return self.target.factory_ref is None or self.options.isolate

    def _connect_product(self) -> Any:
        from .bridge.client import HELLO_TIMEOUT, connect_product
        from .bridge.transport import ProcessChannel, SocketChannel
        from .session import command_argv, parse_address

        target, spec = self.target, self.target.loaded.spec
        open_channel: Callable[[], Any]
        if target.connect is not None:
            host, port = parse_address(target.connect, "impl-connect")
            open_channel, describe = (lambda: SocketChannel(host, port)), f"{host}:{port}"
        else:
            argv = command_argv(target.command) if target.command is not None else self.serve_argv()
            open_channel, describe = (lambda: ProcessChannel(argv)), target.command or f"orbitcert serve --impl {target.factory_ref}"
        limit = self.options.timeout
        product, hello = connect_product(
            spec, target.ics.classes, open_channel, describe, self.options.call_timeout, self.options.max_message,
            hello_timeout=min(HELLO_TIMEOUT, limit) if limit > 0 else HELLO_TIMEOUT,
        )
        self.bridge = product
        self._declare(ProductIdentity(name=hello.name, version=hello.version, supplier=hello.supplier))
        return product

    def serve_argv(self) -> list[str]:
        """``orbitcert serve`` for a factory product, in a process of its own."""
        argv = [sys.executable, "-m", "orbitcert.conformance.cli", "serve", "--impl", str(self.target.factory_ref),
                "--spec", self.target.loaded.spec.ref, "--memory-limit", str(self.options.memory_limit)]
        for c in self.options.catalogs:
            argv += ["--catalog", str(c)]
        return argv

    def _declare(self, identity: ProductIdentity | None) -> None:
        self.declared = identity
        if identity is not None and self.events is not None:
            self.events.send("product", identity=identity.model_dump())

    def get_product(self) -> Any:
        """The product under test behind its interface, created once per process."""
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
        except (InterfaceError, ImplementationError) as exc:
            if self.events is not None:
                self.events.send("refused", message=str(exc), kind=type(exc).__name__)
            self.config.hook.pytest_orbitcert_refused(config=self.config, error=exc)
            raise pytest.UsageError(f"orbitcert: {exc}") from None
        if not self.config.pluginmanager.has_plugin("dsession"):
            self.product = product
        elif self.bridge is not None:
            self.bridge.close()  # under xdist every worker starts its own
            self.bridge = None

    # -- selection and execution -------------------------------------------------------------
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Deselect the tests of requirements only other versions of the spec define
        (:func:`.suite.other_version_requirements`), and refuse to run a test whose module object
        was not loaded from its own file (a module of the same name already imported in this
        process): the run would test something else."""
        others = other_version_requirements(self.target.loaded.spec, self.options.catalogs)
        if others:
            dropped = [i for i in items if belongs_to_other_version(requirement_ids(i), others)]
            if dropped:
                keep = set(map(id, dropped))
                items[:] = [i for i in items if id(i) not in keep]
                config.hook.pytest_deselected(items=dropped)
        for item in items:
            module = getattr(item, "module", None)
            source = getattr(module, "__file__", None)
            if source and Path(source).resolve() != Path(item.path).resolve():
                raise pytest.UsageError(
                    f"orbitcert: suite module {item.path.name} resolved to {source}: a module of the same "
                    "name is already loaded in this process; run the suite from its catalog's suites/ folder"
                )

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Refuse a test naming no or unknown requirements; skip one the ICS excludes. A plain
        hook: skipping from a hook wrapper would keep other plugins' wrappers from running."""
        spec = self.target.loaded.spec
        ids = requirement_ids(item)
        unknown = [r for r in ids if r not in {q.id for q in spec.requirements}]
        if unknown:
            pytest.fail(f"test names unknown requirement(s) {unknown} of {spec.ref}", pytrace=False)
        if not ids:
            pytest.fail("test names no requirement (@pytest.mark.requirement)", pytrace=False)
        why = exclusion_reason(spec, self.target.ics, ids, applies_if_predicates(item))
        if why:
            probe = self._probe(item, ids)
            if probe is None:
                item.stash[NOT_APPLICABLE] = why
                pytest.skip(why)
            item.stash[PROBE] = probe  # declared unsupported: run it to compare (docs/concepts/verdicts.md)

    def _probe(self, item: pytest.Item, ids: Sequence[str]) -> str | None:
        """The ICS answer this excluded test probes, when it carries a ``probe`` marker for an
        item the ICS declares unsupported and every class it verifies is claimed; else None."""
        spec, ics = self.target.loaded.spec, self.target.ics
        if any(spec.requirement(r).class_ not in ics.classes for r in ids):
            return None
        for mark in item.iter_markers("probe"):
            if not mark.args:
                continue
            ics_item = str(mark.args[0])
            param = mark.kwargs.get("param")
            callspec = getattr(item, "callspec", None)
            value = callspec.params.get(param) if param and callspec is not None else None
            if probe_unsupported(ics, ics_item, value):
                return ics_item if value is None else f"{ics_item}={value}"
        return None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
        report: pytest.TestReport = yield
        excinfo = call.excinfo
        if report.skipped:
            message = _skip_reason(report)
        elif report.failed and excinfo is not None and not excinfo.errisinstance(AssertionError):
            message = _safe_str(excinfo.value)
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
        value: dict[str, Any] = {"requirements": list(requirement_ids(item))}
        probe = item.stash.get(PROBE, None)
        if probe is not None and report.when == "call":
            # A probe decides nothing about requirements: it says whether the product showed a
            # capability its ICS declares unsupported.
            observed = verdict is Verdict.passed
            value.update(probe=probe, observed=observed)
            verdict, text = Verdict.not_applicable, (
                f"probe of ICS {probe}: the product implements it, although its ICS says it does not"
                if observed else f"probe of ICS {probe}: not implemented, as the ICS declares ({text[:300]})"
            )
        value.update(verdict=verdict.value, message=text[:MAX_MESSAGE])
        recorded = item.stash.get(EVIDENCE, None)
        if recorded is not None and recorded.items and report.when == "call":
            value["evidence"] = [e.model_dump(mode="json") for e in recorded.items]
        if self.declared is not None:
            # Travels with the report, so the controller of an xdist run (which keeps no product)
            # names the product exactly as a serial run does.
            value["product"] = self.declared.model_dump()
        report.user_properties.append((PROPERTY, value))
        return report

    # -- results (controller) ----------------------------------------------------------------
    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        if self.events is not None:
            self.events.send("start", test=self.test_id(nodeid))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        values = [v for name, v in report.user_properties if name == PROPERTY and isinstance(v, dict)]
        if values:
            value = values[-1]
            self.reqs[report.nodeid] = tuple(value["requirements"])
            verdict, message = Verdict(value["verdict"]), str(value["message"])
            if "probe" in value:
                self.probes[report.nodeid] = (str(value["probe"]), bool(value["observed"]))
            if value.get("evidence"):
                self.evidence[report.nodeid] = list(value["evidence"])
            if value.get("product") and self.declared is None:
                self.declared = ProductIdentity.model_validate(value["product"])
                if self.events is not None:
                    self.events.send("product", identity=self.declared.model_dump())
        elif report.failed:
            # A report orbitcert did not annotate: pytest-xdist's report of a crashed worker.
            verdict, message = Verdict.error, _failure_message(report) or "the test process crashed"
        else:
            return
        self.phases.setdefault(report.nodeid, []).append((report.when or "", verdict, message))
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        if report.when == "teardown" or not values:
            self._finish(report.nodeid)

    def _finish(self, nodeid: str) -> None:
        verdict, message = combine_phases(self.phases[nodeid])
        probe, observed = self.probes.get(nodeid, (None, None))
        result = TestResult(
            nodeid=self.test_id(nodeid),
            requirements=list(self.reqs.get(nodeid, ())),
            verdict=verdict,
            duration=round(self.durations.get(nodeid, 0.0), 6),
            message=message,
            probe=probe,
            observed=observed,
            evidence=self.evidence.get(nodeid, []),
        )
        self.results[result.nodeid] = result
        if self.events is not None:
            self.events.send("result", result=result.model_dump(mode="json"))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.bridge is not None:
            self.bridge.close()
        if self.is_worker:
            return
        for nodeid in self.phases:  # a test whose teardown never reported (its process died)
            if self.test_id(nodeid) not in self.results:
                self._finish(nodeid)
        if self.events is not None:
            self.events.send("finished", exitstatus=int(exitstatus))
            return
        if self.config.option.collectonly:
            return  # nothing ran: no report (lint and the supervisor collect this way)
        if exitstatus in (
            pytest.ExitCode.INTERRUPTED,
            pytest.ExitCode.USAGE_ERROR,
            pytest.ExitCode.INTERNAL_ERROR,
            pytest.ExitCode.NO_TESTS_COLLECTED,
        ):
            return  # never leave a report that looks complete
        from .writers import write_reports  # jinja2 and cryptography: only once a report is due

        report = report_of_run(
            self.target, self.options, list(self.results.values()),
            started=self.started, declared=self.declared, workers=_workers(self.config),
        )
        try:
            self.report, self.written = write_reports(
                report, self.options.out, self.options.formats, self.options.sign_key,
                signer=self.options.signer, keyrings=self.options.keyrings(), spec=self.target.loaded,
            )
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


def _safe_str(value: object) -> str:
    """``str`` of a product's exception, which may itself raise."""
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a product's __str__ may raise anything
        return f"<{type(value).__name__} whose message cannot be shown>"


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _failure_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return text[:MAX_MESSAGE]

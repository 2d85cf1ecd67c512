"""Running a certification: :func:`run_certification` supervises the suite in a child process and
builds the report itself (docs/architecture.md "The flow of one certification").

The calling process is the trusted side. It

1. collects the suite itself (``--collect-only``, no product), so it knows every test that must
   get a result: a test that never reports is an ``error``, never silently missing;
2. starts pytest with the orbitcert plugin in a child process (its own session, so a terminal's
   Ctrl-C reaches only this process) and reads each test's result from a private pipe; the child
   never writes the report and never sees the signing key. The child loads only the harness's
   pytest plugins (:func:`plugin_args`) and runs the suite's modules from the code compiled here
   (:func:`suite_code`), sent on another pipe, never from a bytecode file a product could write;
3. watches every test against its time limit: a test still running ``GRACE`` seconds past the
   limit (a hang in C code, a product that disables the timer) gets an ``error`` verdict, the
   child is killed, and a new child runs the tests that have no result yet; so does a test
   whose process died under it (``os._exit``, a segfault);
4. keeps the child's console output bounded (head and tail), and ends a child that does not exit
   after its last result (a product's stray thread);
5. on SIGINT or SIGTERM stops the child within seconds and writes a report marked incomplete;
6. builds, signs and writes the report from what it received, under a lock on the output folder
   (two runs cannot write one folder), and returns it in memory.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError
from pytest import version_tuple as pytest_version

from orbitcert.specs.loader import LoadedSpec
from orbitcert.specs.errors import (
    ImplementationError,
    InterfaceError,
    OptionError,
    OrbitcertError,
    RunIncompleteError,
)
from orbitcert.specs.fsutil import atomic_write
from orbitcert.specs.ics import ProductIdentity

from .delta import Since, delta_record, plan_recheck
from .options import SEED_ENV, RunOptions
from .recorder import canonical_id, report_of_run
from .report import Report, now_utc
from .results import TestResult, Verdict
from .session import CertificationTarget, suite_location_args

__all__ = ["CertificationRun", "child_env", "plugin_args", "pytest_args", "run_certification"]

#: Seconds past a test's limit before the supervisor stops the child (the child's own timer
#: gets the first chance, with a precise message).
GRACE = 3.0
#: Seconds a child may take to start and create the product, on top of the per-test limit.
STARTUP = 60.0
#: Seconds a child may linger after its last event before it is killed.
LINGER = 5.0
#: New children started after a crash or a kill before the remaining tests are given up.
MAX_RESTARTS = 25
#: Bytes of the child's console output kept from its start and from its end.
LOG_HEAD, LOG_TAIL = 64 * 1024, 192 * 1024
#: Longest event line accepted from the child.
MAX_EVENT = 1024 * 1024

Progress = Callable[[str, Any], None]


@dataclass
class CertificationRun:
    """The outcome of one run: its report, the files written and the child's console output."""

    report: Report
    paths: list[Path] = field(default_factory=list)
    log: str = ""

    @property
    def complete(self) -> bool:
        return self.report.complete


#: The pytest plugins a certification loads, by module (never by entry-point name: ``-p NAME``
#: marks NAME's whole package for assertion rewriting).
HARNESS_PLUGINS = ("orbitcert.conformance.plugin", "_hypothesis_pytestplugin")


def plugin_args(workers: int = 0) -> list[str]:
    """pytest options that load only the harness's plugins (``xdist.plugin`` too with ``workers``).

    Autoloading from ``pytest11`` entry points is off. pytest marks every package of a
    distribution that has such an entry point for assertion rewriting, so an autoloading run
    re-parses, rewrites and compiles all of hypothesis (and, in a non-editable install, all of
    orbitcert) in each process, about 0.6 s where bytecode writing is disabled: a module named
    by ``-p`` is rewritten alone. The run is hermetic too: a pytest plugin that happens to be
    installed (or that a product installed) does not run inside the suite's process. A catalog
    suite that needs another plugin names it in ``PYTEST_PLUGINS``, which pytest still loads.
    """
    # pytest < 8.4 has no --disable-plugin-autoload: the child's environment says it (_Supervisor._env).
    args = ["--disable-plugin-autoload"] if pytest_version >= (8, 4) else []
    for name in (*HARNESS_PLUGINS, *(("xdist.plugin",) if workers > 0 else ())):
        args += ["-p", name]
    return args


def pytest_args(target: CertificationTarget, options: RunOptions) -> list[str]:
    """The pytest options that certify ``target`` with ``options`` (paths not included)."""
    args = [
        *plugin_args(options.workers),
        "-p", "no:cacheprovider",
        "-p", "no:logging",  # a product's log records are not kept in memory
        "-s",  # a product's output goes to the bounded console log, never into memory
        "--import-mode=importlib",
        # Suite modules are named <spec-id>.test_x (a name no importable module has), so a
        # module of the same file name elsewhere in the process is never taken for the suite's.
        *suite_location_args(target.suite),
        "-q",
        "--orbitcert-spec", target.loaded.spec.ref,
        "--orbitcert-out", str(options.out),
        "--orbitcert-format", ",".join(options.formats),
        "--orbitcert-examples", str(options.examples),
        "--orbitcert-timeout", str(options.timeout),
    ]
    if target.factory_ref is not None:
        args += ["--orbitcert-impl", target.factory_ref]
    if target.command is not None:
        args += ["--orbitcert-impl-cmd", target.command]
    if target.connect is not None:
        args += ["--orbitcert-impl-connect", target.connect]
    if not options.isolate:
        args += ["--orbitcert-no-isolate"]
    if target.allow_draft:
        args += ["--orbitcert-allow-draft"]
    if options.call_timeout is not None:
        args += ["--orbitcert-call-timeout", str(options.call_timeout)]
    args += ["--orbitcert-max-message", str(options.max_message), "--orbitcert-memory-limit", str(options.memory_limit)]
    if target.ics_path is not None:
        args += ["--orbitcert-ics", str(target.ics_path)]
    for c in options.catalogs:
        args += ["--orbitcert-catalog", str(c)]
    if target.suite_origin == "override":
        args += ["--orbitcert-suite", str(target.suite)]
    if options.workers > 0:
        args += ["-n", str(options.workers)]
    return args


def selected_tests(target: CertificationTarget, options: RunOptions) -> dict[str, list[str]]:
    """Every test the suite selects, by its id relative to the suite folder, with the
    requirements it names (collected here, without a product)."""
    return suite_selection(target.loaded, target.suite, options.catalogs)[0]


def suite_selection(
    loaded: LoadedSpec, suite: Path, catalogs: Sequence[str | Path] = ()
) -> tuple[dict[str, list[str]], dict[str, tuple[str, ...]]]:
    """The tests ``suite`` selects for ``loaded``, by their ids relative to the suite folder (as
    reports record them): the requirements each names, and each one's ``applies_if`` predicates.
    :class:`RunIncompleteError` when the suite does not collect."""
    from .traceability import collect_suite

    collected = collect_suite(loaded, suite, [str(c) for c in catalogs])
    if collected.errors:
        raise RunIncompleteError(f"the suite of {loaded.spec.ref} does not collect: {collected.errors[0]}")
    ids = {nodeid: canonical_id(nodeid, suite.parent, suite) for nodeid in collected.tests}
    return (
        {ids[n]: list(requirements) for n, requirements in collected.tests.items()},
        {ids[n]: collected.predicates[n] for n in collected.tests},
    )


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold the output folder for one run: a second run writing there is refused, not mixed in."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / ".orbitcert.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OptionError(f"cannot use the output folder: {exc.strerror or exc}", path=out) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OptionError(
                "another certification run is writing to this folder; give each run its own --out", path=out
            ) from None
        yield
    finally:
        os.close(fd)


class _BoundedLog:
    """Keeps the head and the tail of a stream, counting what was dropped in between."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def feed(self, chunk: bytes) -> None:
        room = LOG_HEAD - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        self.tail += chunk
        if len(self.tail) > LOG_TAIL:
            cut = len(self.tail) - LOG_TAIL
            self.dropped += cut
            del self.tail[:cut]

    def text(self) -> str:
        middle = f"\n[... {self.dropped} bytes of output not kept ...]\n" if self.dropped else ""
        return (bytes(self.head).decode("utf-8", "replace") + middle + bytes(self.tail).decode("utf-8", "replace"))


def _drain(stream: IO[bytes], log: _BoundedLog) -> None:
    while chunk := stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536):
        log.feed(chunk)


def _read_events(fd: int, out: queue.Queue[dict[str, Any] | None]) -> None:
    with os.fdopen(fd, "rb", buffering=0) as raw:
        buffer = b""
        while chunk := raw.read(65536):
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                with contextlib.suppress(ValueError):
                    event = json.loads(line)
                    if isinstance(event, dict):
                        out.put(event)
            if len(buffer) > MAX_EVENT:
                buffer = b""  # not an event of ours: drop it
    out.put(None)


def _send(fd: int, data: bytes) -> None:
    """Write ``data`` to a pipe and close it (a child that died before reading it is ignored)."""
    try:
        with os.fdopen(fd, "wb") as pipe:
            pipe.write(data)
    except OSError:  # BrokenPipeError: the child ended first
        pass


#: Variables of certify's environment a certification's pytest child does not get. PYTEST_ADDOPTS
#: could turn assertion rewriting off (``--assert=plain``: the suite's code would no longer come
#: from the parent) or name an option of a plugin the child does not load (a CI job's
#: ``--benchmark-disable``: a usage error); the harness sets the child's options itself.
CHILD_ENV_DROPPED = ("PYTEST_ADDOPTS",)


def child_env() -> dict[str, str]:
    """The environment of a certification's pytest child: certify's own, less
    :data:`CHILD_ENV_DROPPED` and xdist's worker variables (whatever started certify, e.g. a CI
    job's own pytest-xdist run, the child is not a worker: its plugin tells its workers by
    PYTEST_XDIST_WORKER, and a worker ignores the code pipe), with plugin autoloading off and the
    caller's import path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST_") and k not in CHILD_ENV_DROPPED}
    paths = [os.getcwd(), *env.get("PYTHONPATH", "").split(os.pathsep), *(p for p in sys.path if p and os.path.isdir(p))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(p for p in paths if p))
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # plugin_args; reaches xdist's workers too
    return env


def suite_code(suite: Path, tests: Sequence[str]) -> bytes:
    """The code a certification's pytest child runs as the suite, compiled here before any
    product ran (see :mod:`.plugin`, "the suite's modules"): for the test files of ``tests``
    (ids relative to ``suite``) and every ``conftest.py`` from the suite's parent folder
    (pytest's rootdir) down to them, each file's SHA-256 and its code as pytest's assertion
    rewriting makes it (compiled once per process: the suite's collection here already did).
    Sent on a pipe, the code is never a file a product could replace; a file whose SHA-256 has
    changed when the child imports it is an error there, not other code run as the suite."""
    import hashlib
    import marshal

    from .plugin import compiled_module, suite_code_header

    root = suite.parent
    files: dict[str, Path] = {}
    for test in dict.fromkeys(t.partition("::")[0] for t in tests):
        path = suite / test
        files.setdefault(os.path.realpath(path), path)
        folder = path.parent
        while True:
            conftest = folder / "conftest.py"
            if conftest.is_file():
                files.setdefault(os.path.realpath(conftest), conftest)
            if folder == root or folder == folder.parent:
                break
            folder = folder.parent
    table: dict[str, tuple[bytes, Any]] = {}
    for real, path in files.items():
        try:
            source = path.read_bytes()
            digest = hashlib.sha256(source).digest()
            table[real] = (digest, compiled_module(path, source, digest))
        except (OSError, SyntaxError, ValueError):
            continue  # the child compiles it and reports the error as pytest does
    return marshal.dumps((suite_code_header(), table))


class _Child:
    """One pytest process running some of the suite's tests."""

    def __init__(self, args: list[str], env: dict[str, str], log: _BoundedLog, seed: int, code: bytes = b"") -> None:
        read_fd, write_fd = os.pipe()
        # The run's seed travels on a pipe, not on the command line or in the environment, which
        # the product (a process the child starts) could read from /proc.
        seed_read, seed_write = os.pipe()
        os.write(seed_write, str(seed).encode())
        os.close(seed_write)
        # So does the suite's compiled code (suite_code), read before any product starts; it can
        # exceed a pipe's buffer, so a thread writes it while the child starts.
        code_read, code_write = os.pipe()
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        try:
            self.proc = subprocess.Popen(
                [
                    sys.executable, "-m", "pytest", *args, "--orbitcert-events-fd", str(write_fd),
                    "--orbitcert-seed-fd", str(seed_read), "--orbitcert-code-fd", str(code_read),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(write_fd, seed_read, code_read),
                env={k: v for k, v in env.items() if k != SEED_ENV},
                start_new_session=True,
            )
        except BaseException:
            os.close(code_write)
            raise
        finally:
            os.close(write_fd)
            os.close(seed_read)
            os.close(code_read)
        threading.Thread(target=_send, args=(code_write, code), daemon=True).start()
        self.started = time.monotonic()
        self.last_event = self.started
        self.finished = False
        self.events_closed = False
        assert self.proc.stdout is not None
        self._threads = [
            threading.Thread(target=_drain, args=(self.proc.stdout, log), daemon=True),
            threading.Thread(target=_read_events, args=(read_fd, self.events), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def kill(self) -> None:
        """Stop the child and everything it started (its process group)."""
        for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(wait)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # stray grandchildren
        self.join()

    def join(self) -> None:
        for t in self._threads:
            t.join(timeout=5)

    def exit_description(self) -> str:
        code = self.proc.returncode
        if code is None:
            return "still running"
        return f"killed by signal {-code}" if code < 0 else f"exit status {code}"


class _Supervisor:
    """Runs the selected tests in children until each has a result (or the run is interrupted)."""

    def __init__(
        self, target: CertificationTarget, options: RunOptions, selected: dict[str, list[str]], progress: Progress | None
    ) -> None:
        self.target, self.options, self.selected = target, options, selected
        self.progress = progress or (lambda event, data: None)
        self.results: dict[str, TestResult] = {}
        self.declared: ProductIdentity | None = None
        self.refused: dict[str, Any] | None = None
        self.interrupted: int | None = None
        self.log = _BoundedLog()
        self.code: bytes | None = None

    def _env(self) -> dict[str, str]:
        return child_env()

    def _args(self, remaining: Sequence[str]) -> list[str]:
        suite = self.target.suite
        return [*pytest_args(self.target, self.options), *(str(suite / test) for test in remaining)]

    def _error(self, test: str, message: str) -> None:
        if test not in self.results:
            self.results[test] = TestResult(
                nodeid=test, requirements=self.selected[test], verdict=Verdict.error, message=message
            )
            self.progress("result", self.results[test])

    def run(self) -> None:
        restarts = 0
        remaining = list(self.selected)
        while remaining and self.interrupted is None:
            cause = self._run_child(remaining)
            remaining = [t for t in self.selected if t not in self.results]
            if not remaining or self.refused is not None or self.interrupted is not None:
                break
            if cause in ("startup", "finished") or restarts >= MAX_RESTARTS:
                # Restart only after a test killed or crashed its process: a child that never got
                # going, or finished without running a test, would do the same again.
                why = {
                    "startup": "the test process never started the tests (see the run's log)",
                    "finished": "the test process finished without running this test",
                }.get(cause, f"not run: the product ended or hung the test process {restarts + 1} times")
                for test in remaining:
                    self._error(test, why)
                break
            restarts += 1

    def _run_child(self, remaining: list[str]) -> str:
        """Run ``remaining`` in one child; returns why it ended: finished, crashed, killed, startup."""
        if self.code is None:  # once, before any product ran: a restarted child gets the same code
            self.code = suite_code(self.target.suite, list(self.selected))
        child = _Child(self._args(remaining), self._env(), self.log, self.options.seed, self.code)
        running: dict[str, float] = {}
        limit = self.options.timeout
        try:
            while True:
                try:
                    event = child.events.get(timeout=0.2)
                except queue.Empty:
                    event = {}
                if event is None:
                    child.events_closed = True
                elif event:
                    child.last_event = time.monotonic()
                    self._handle(event, running, child)
                if self.interrupted is not None or self.refused is not None:
                    child.kill()
                    return "killed"
                now = time.monotonic()
                if limit > 0:
                    overdue = [t for t, t0 in running.items() if now - t0 > limit + GRACE]
                    if overdue:
                        child.kill()
                        for test in overdue:
                            self._error(
                                test,
                                f"TestTimeout: the test did not end within its {limit:g} s limit (the product did not "
                                "return and ignored the harness's timer); its process was stopped",
                            )
                        return "killed"
                    if not running and not child.finished and not self._started_any(child) and (
                        now - child.started > STARTUP + limit
                    ):
                        child.kill()
                        return "startup"
                if child.finished and now - child.last_event > LINGER:
                    child.kill()  # a stray thread keeps it alive: the run is over
                    return "finished"
                if child.events_closed and child.proc.poll() is not None:
                    child.join()
                    if child.finished:
                        return "finished"
                    if not self._started_any(child):
                        return "startup"
                    why = f"the test process ended while the test was running ({child.exit_description()})"
                    for test in running:
                        self._error(test, why)
                    return "crashed"
        finally:
            if child.proc.poll() is None:
                child.kill()

    def _started_any(self, child: _Child) -> bool:
        return child.last_event > child.started

    def _handle(self, event: dict[str, Any], running: dict[str, float], child: _Child) -> None:
        kind = event.get("event")
        if kind == "start" and isinstance(event.get("test"), str):
            running[event["test"]] = time.monotonic()
        elif kind == "result":
            try:
                result = TestResult.model_validate(event.get("result"))
            except ValidationError:
                return
            running.pop(result.nodeid, None)
            if result.nodeid in self.selected and result.nodeid not in self.results:
                # The requirements a test verifies are those collected here, whatever the child says.
                result.requirements = self.selected[result.nodeid]
                self.results[result.nodeid] = result
                self.progress("result", result)
        elif kind == "product" and self.declared is None:
            with contextlib.suppress(ValidationError):
                self.declared = ProductIdentity.model_validate(event.get("identity"))
        elif kind == "refused":
            self.refused = event
        elif kind == "finished":
            child.finished = True


@contextlib.contextmanager
def _interruptible(supervisor: _Supervisor) -> Iterator[None]:
    """SIGINT and SIGTERM end the run cleanly (main thread only; elsewhere they are left alone)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        supervisor.interrupted = signum

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_certification(
    target: CertificationTarget, options: RunOptions, progress: Progress | None = None, since: Since | None = None
) -> CertificationRun:
    """Certify ``target`` with ``options`` and return the run's own report (see the module doc).

    ``progress(event, data)`` is told ``("selected", count)`` once and ``("result", TestResult)``
    per test. With ``since`` (an earlier report, :func:`~orbitcert.conformance.delta.load_since`),
    only the tests its :func:`~orbitcert.conformance.delta.plan_recheck` plan lists run; the
    other verdicts are carried over and the report's ``delta`` says so. Raises
    :class:`~orbitcert.specs.errors.InterfaceError` or
    :class:`~orbitcert.specs.errors.ImplementationError` when the product cannot be used (no test
    ran, no report). An interrupted run returns a report marked incomplete (``run.complete`` is
    False), which never certifies.
    """
    started = now_utc()
    with output_lock(options.out):
        selected = selected_tests(target, options)
        if not selected:
            raise RunIncompleteError(f"the suite of {target.loaded.spec.ref} selects no test")
        progress and progress("selected", len(selected))
        plan = None
        to_run = selected
        if since is not None:
            plan = plan_recheck(
                since.report, since.spec, target.loaded, target.ics, selected, target.suite,
                identity=identity_before_run(target), examples=options.examples, timeout=options.timeout,
                origin=target.suite_origin, call_timeout=options.call_timeout,
            )
            to_run = {t: reqs for t, reqs in selected.items() if t in plan.run}
            for result in plan.carried.values():
                progress and progress("result", result)
        supervisor = _Supervisor(target, options, to_run, progress)
        with _interruptible(supervisor):
            supervisor.run()
        log = supervisor.log.text()
        spec = target.loaded.spec
        atomic_write(options.out / f"{spec.id}-{spec.version}.log", log)
        if supervisor.refused is not None:
            message = str(supervisor.refused.get("message", "the product was refused"))
            message = message.removeprefix("orbitcert: ")
            kind = supervisor.refused.get("kind")
            error_cls: type[OrbitcertError] = InterfaceError if kind == "InterfaceError" else ImplementationError
            raise error_cls(message)
        complete = supervisor.interrupted is None
        results = [supervisor.results[t] for t in to_run if t in supervisor.results]
        if complete:  # every selected test has a result; a missing one is an error
            results += [
                TestResult(nodeid=t, requirements=reqs, verdict=Verdict.error, message="the test never reported a result")
                for t, reqs in to_run.items() if t not in supervisor.results
            ]
        if plan is not None and since is not None:
            _same_product(since, target.identity(supervisor.declared))
            results += list(plan.carried.values())
        report = report_of_run(
            target, options, results,
            started=started, declared=supervisor.declared, workers=max(1, options.workers),
            selected=len(selected), complete=complete,
        )
        if plan is not None and since is not None:
            report = report.model_copy(update={"delta": delta_record(since, plan)})
        from .writers import write_reports

        signed, paths = write_reports(
            report, options.out, options.formats, options.sign_key, signer=options.signer, keyrings=options.keyrings(),
            spec=target.loaded,
        )
        _check_written(paths, options)
    return CertificationRun(signed, paths, log)


def identity_before_run(target: CertificationTarget) -> dict[str, str | None]:
    """What is known of the product before it runs: how it is reached and its ICS identity."""
    identity: dict[str, str | None] = {
        "factory": target.factory_ref,
        "command": target.command or (f"tcp://{target.connect}" if target.connect else None),
    }
    if target.ics.product is not None:
        identity.update(target.ics.product.model_dump())
    return identity


def _same_product(since: Since, declared: ProductIdentity) -> None:
    """A product that is another than the earlier report's (by the identity a report records)
    gets no verdict of it."""
    old = since.report.implementation
    for key in ("name", "version", "supplier"):
        if getattr(declared, key) != getattr(old, key):
            raise ImplementationError(
                f"the product declares {key} {getattr(declared, key)!r}, the --since report's product "
                f"{getattr(old, key)!r}: its verdicts are not this product's; certify without --since"
            )


def _check_written(paths: Sequence[Path], options: RunOptions) -> None:
    """Read the written JSON back and verify it as ``report verify`` would: a run never ends in
    success beside a report that does not verify."""
    from .verify import CERTIFICATION_CHECKS, verify_report

    (json_path,) = [p for p in paths if p.suffix == ".json" and not p.name.endswith(".oscal.json")]
    checked = verify_report(json_path, catalogs=options.catalogs)
    # Trust is the reader's keyring's business; an interrupted run and a less thorough one say so
    # themselves (the report's blockers); anything else is the harness's bug or an attack on it.
    # delta: load_since verified the earlier report; an override suite: a blocker says so.
    ignore = [*CERTIFICATION_CHECKS, "delta"]
    if checked.report is not None and checked.report.suite.origin == "override":
        ignore += ["suite", "coverage"]
    problem = checked.first_problem(ignore)
    if problem:
        raise RunIncompleteError(f"the written report does not verify: {problem}", path=json_path)

"""The orbitcert pytest plugin (entry point ``pytest11: orbitcert``), kept thin.

pytest loads this module in every run of every environment where orbitcert is installed, so it
imports nothing heavy: the spec model, the product and the report machinery load only once
``--orbitcert-spec ID@VERSION`` is given (or a bundled suite directory is run directly). It then

* validates the options (:class:`~orbitcert.conformance.options.RunOptions`, shared with the CLI)
  and resolves the target (:class:`~orbitcert.conformance.session.CertificationTarget`);
* collects the spec's suite when no paths are given;
* provides the fixtures ``spec``, ``ics`` and ``iut``;
* registers the per-run :class:`~orbitcert.conformance.recorder.CertificationSession`, which
  turns phases into verdicts and writes the report (docs/architecture.md).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from orbitcert.specs.ics import Ics
    from orbitcert.specs.model import Spec

    from .results import Waiver
    from .statistics import EvidenceRecorder

SUITES_DIR = Path(__file__).parent / "suites"
_PREVIOUS_HYPOTHESIS_SETTINGS = pytest.StashKey[Any]()


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import hooks

    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("orbitcert", "orbitcert conformance certification")
    group.addoption("--orbitcert-spec", metavar="ID@VERSION", help="spec whose suite runs (ID@latest allowed)")
    group.addoption("--orbitcert-impl", metavar="MODULE:FACTORY", help="factory of the product (default: the reference)")
    group.addoption("--orbitcert-impl-cmd", metavar="COMMAND", help="start the product as this command (product protocol)")
    group.addoption("--orbitcert-impl-connect", metavar="HOST:PORT", help="reach the product over TCP (product protocol)")
    group.addoption(
        "--orbitcert-no-isolate",
        action="store_true",
        help="run a MODULE:FACTORY product inside the test process (debugging; the report says so)",
    )
    group.addoption("--orbitcert-call-timeout", type=float, metavar="SECONDS", help="limit of one product call")
    group.addoption("--orbitcert-memory-limit", type=int, default=8 * 1024**3, metavar="BYTES",
                    help="address-space limit of an isolated product (default 8 GiB)")
    group.addoption("--orbitcert-max-message", type=int, default=16 * 1024 * 1024, metavar="BYTES",
                    help="longest protocol line accepted from a product (default 16 MiB)")
    group.addoption("--orbitcert-seed", metavar="N",
                    help="seed of the run's random trials (default: $ORBITCERT_SEED, else drawn fresh; recorded in the report)")
    group.addoption(
        "--orbitcert-allow-draft", action="store_true",
        help="certify against a draft or candidate spec version (the report never certifies)",
    )
    group.addoption("--orbitcert-any-status", action="store_true", help=argparse.SUPPRESS)
    group.addoption("--orbitcert-ics", metavar="PATH", help="filled ICS (default: claim every class and option)")
    group.addoption("--orbitcert-out", metavar="DIR", help="write reports here (default: reports/)")
    group.addoption("--orbitcert-catalog", metavar="DIR", action="append", default=[], help="extra spec catalog")
    group.addoption(
        "--orbitcert-suite",
        metavar="DIR",
        help="run this suite instead of the spec's own (recorded in the report as an override)",
    )
    group.addoption("--orbitcert-events-fd", type=int, metavar="FD", help=argparse.SUPPRESS)
    group.addoption("--orbitcert-seed-fd", type=int, metavar="FD", help=argparse.SUPPRESS)
    group.addoption("--orbitcert-code-fd", type=int, metavar="FD", help=argparse.SUPPRESS)
    group.addoption("--orbitcert-sign-key", metavar="PATH", help="Ed25519 private key (PEM) signing the report")
    group.addoption("--orbitcert-signer", default="", metavar="NAME", help="who signs, written into the signature")
    group.addoption(
        "--orbitcert-trusted-keys", metavar="DIR", action="append", default=[],
        help="keyring (folder of NAME.pub keys) the HTML report shows trust against (repeatable)",
    )
    group.addoption("--orbitcert-waivers", metavar="PATH", help="waivers file (YAML) applied to the report")
    group.addoption(
        "--orbitcert-format",
        default="json,html,junit,md",
        metavar="LIST",
        help="report formats, comma separated: json,html,junit,md,oscal (json is always written)",
    )
    group.addoption("--orbitcert-examples", type=int, default=50, metavar="N", help="hypothesis examples per property test")
    group.addoption(
        "--orbitcert-timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="seconds a test may run before it gets an error verdict (0 = no limit; default 300)",
    )


# ---- the suite's modules: compiled once by the certifying process, never read from a pyc ------
#
# pytest caches the modules it rewrites (test files, conftest files) as ``__pycache__/NAME.
# <tag>-pytest-<version>.pyc`` beside them (or under PYTHONPYCACHEPREFIX), and loads such a file,
# even where it may not write one (PYTHONDONTWRITEBYTECODE), when its header carries the 64-bit
# SipHash of the source, keyed with a public constant. That check tells a stale file from a
# fresh one; it is no signature: a product running as the same user can write there a file with
# the right header and any code, which would then run as the suite while the report's suite
# digest (SHA-256 of the source files) names the bundled suite. So in a certification run (and a
# suite's collection) the suite's modules come from code compiled from their source in memory:
# by the certifying process, before any product ran, sent to the pytest child on a pipe
# (``--orbitcert-code-fd``), or else compiled where they are imported. None is read from disk.

#: First element of the suite-code blob ``orbitcert certify`` sends its pytest child
#: (:func:`orbitcert.conformance.run.suite_code`); a blob made by another Python or pytest is ignored.
SUITE_CODE_FORMAT = "orbitcert-suite-code/1"
_SUITE_CODE = pytest.StashKey[dict[str, tuple[bytes, Any]]]()
#: Rewritten code by (real path, SHA-256 of the source): a process compiles a file's code once.
_COMPILED: dict[tuple[str, bytes], Any] = {}


def suite_code_header() -> tuple[str, bytes, str]:
    """What a suite-code blob must start with to be used in this process."""
    import importlib.util

    return (SUITE_CODE_FORMAT, importlib.util.MAGIC_NUMBER, pytest.__version__)


def compiled_module(path: Path, source: bytes, digest: bytes) -> Any:
    """``source`` (the file ``path``, SHA-256 ``digest``) compiled as pytest's assertion rewriting
    compiles a test module, memoized in this process. SyntaxError as ``compile``."""
    import ast

    from _pytest.assertion.rewrite import rewrite_asserts

    key = (os.path.realpath(path), digest)
    code = _COMPILED.get(key)
    if code is None:
        tree = ast.parse(source, filename=str(path))
        rewrite_asserts(tree, source, str(path), None)
        code = _COMPILED[key] = compile(tree, str(path), "exec", dont_inherit=True)
    return code


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Before the first conftest is imported, in a certification's pytest child
    (``--orbitcert-code-fd``) or any run given ``--orbitcert-spec``: load the modules pytest
    rewrites from memory (see above)."""
    options = early_config.known_args_namespace
    fd = getattr(options, "orbitcert_code_fd", None)
    if fd is None and not getattr(options, "orbitcert_spec", None):
        return
    # An xdist worker (which inherits no descriptor) gets the code from its controller
    # (pytest_configure_node, then pytest_configure); until then it compiles the source.
    worker = bool(os.environ.get("PYTEST_XDIST_WORKER"))
    _modules_from_memory(early_config, b"" if fd is None or worker else _read_code_blob(fd))


def _read_code_blob(fd: int) -> bytes:
    try:
        with os.fdopen(fd, "rb") as pipe:
            return pipe.read()
    except OSError as exc:
        raise pytest.UsageError(f"orbitcert: --orbitcert-code-fd {fd}: {exc.strerror}") from None


def _modules_from_memory(config: pytest.Config, blob: bytes) -> None:
    """Make pytest's assertion-rewriting import hook of ``config`` load each module it rewrites
    from ``blob`` (marshal of ``(header, {real path: (SHA-256 of the source, code)})``), else
    from :func:`compiled_module`; never from a pyc file. A file of ``blob`` whose SHA-256 is no
    longer the one recorded is an import error: it changed after the run started."""
    import hashlib

    from _pytest.assertion.rewrite import AssertionRewritingHook

    hook = config.pluginmanager.rewrite_hook
    if not isinstance(hook, AssertionRewritingHook):
        if getattr(config.known_args_namespace, "orbitcert_code_fd", None) is not None:
            # A certification's child without pytest's rewriting would import the suite through
            # CPython's own loader (which trusts any pyc with the source's mtime and size).
            raise pytest.UsageError("orbitcert: a certification runs with pytest's assertion rewriting (not --assert=plain)")
        return  # --assert=plain outside a certification: nothing is rewritten
    code = _code_table(blob)
    config.stash[_SUITE_CODE] = code
    if config.getini("enable_assertion_pass_hook"):
        code = {}  # the code was compiled without the pass hook

    def exec_module(module: Any) -> None:
        origin = Path(module.__spec__.origin)
        source = origin.read_bytes()
        digest = hashlib.sha256(source).digest()
        entry = code.get(os.path.realpath(origin))
        if entry is not None and entry[0] == digest:
            co = entry[1]
        elif entry is not None:
            raise ImportError(
                f"orbitcert: {origin} changed after the certification started; a run tests the suite it began with"
            )
        elif config.getini("enable_assertion_pass_hook"):
            from _pytest.assertion.rewrite import _rewrite_test

            co = _rewrite_test(origin, config)[1]
        else:
            co = compiled_module(origin, source, digest)
        hook._rewritten_names[module.__name__] = origin  # as pytest's own exec_module records it
        exec(co, module.__dict__)

    hook.exec_module = exec_module  # type: ignore[method-assign]


def _code_table(blob: bytes) -> dict[str, tuple[bytes, Any]]:
    """The ``{path: (sha256, code)}`` table of a suite-code blob; empty when it is not one."""
    import marshal

    try:
        header, table = marshal.loads(blob) if blob else (None, {})
    except (EOFError, ValueError, TypeError):
        return {}
    return table if header == suite_code_header() and isinstance(table, dict) else {}


def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    code = config.stash.get(_SUITE_CODE, None)
    if code is not None and workerinput is not None and "orbitcert_code" in workerinput:
        code.update(_code_table(workerinput["orbitcert_code"]))
    config.addinivalue_line("markers", "requirement(*ids): requirement ids the test verifies")
    config.addinivalue_line("markers", "applies_if(predicate): ICS predicate; false = test not applicable")
    config.addinivalue_line(
        "markers",
        "probe(item, param=None): when the ICS declares `item` unsupported (or lacks the value of the test's "
        "parameter `param`), run the test anyway: passing shows the ICS misdeclares the product",
    )
    spec_ref = config.getoption("orbitcert_spec") or _infer_spec_from_args(config)
    if not spec_ref:
        return
    from orbitcert.specs.errors import OrbitcertError

    from .options import RunOptions
    from .recorder import CertificationSession, TimeLimits
    from .session import CertificationTarget, importable_from_cwd
    from .suite import SESSION_KEY

    # `pytest --orbitcert-impl acme_adapter:create` as `python -m pytest` would; a served product
    # (`orbitcert serve`) runs in the same folder and does the same.
    importable_from_cwd(environment=False)
    try:
        options = RunOptions.create(
            out=config.getoption("orbitcert_out"),
            formats=config.getoption("orbitcert_format"),
            examples=config.getoption("orbitcert_examples"),
            timeout=config.getoption("orbitcert_timeout"),
            workers=_numprocesses(config),
            sign_key=config.getoption("orbitcert_sign_key"),
            signer=config.getoption("orbitcert_signer"),
            trusted_keys=config.getoption("orbitcert_trusted_keys"),
            waivers=_waivers_option(config),
            catalogs=config.getoption("orbitcert_catalog"),
            isolate=not config.getoption("orbitcert_no_isolate"),
            call_timeout=config.getoption("orbitcert_call_timeout"),
            max_message=config.getoption("orbitcert_max_message"),
            memory_limit=config.getoption("orbitcert_memory_limit"),
            seed=_run_seed_option(config),
        )
        config.stash[_SEED] = options.seed  # handed to xdist workers (pytest_configure_node)
        target = CertificationTarget.resolve(
            spec_ref,
            impl=config.getoption("orbitcert_impl"),
            ics_path=config.getoption("orbitcert_ics"),
            catalogs=options.catalogs,
            suite=config.getoption("orbitcert_suite"),
            command=config.getoption("orbitcert_impl_cmd"),
            connect=config.getoption("orbitcert_impl_connect"),
            allow_draft=config.getoption("orbitcert_allow_draft"),
            any_status=config.getoption("orbitcert_any_status"),
        )
        if target.factory_ref is not None and not options.isolate:
            target.load_factory()
    except OrbitcertError as exc:
        _refuse(config, exc)
    session = CertificationSession(config, target, options, config.getoption("orbitcert_events_fd"))
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "orbitcert-session")
    config.pluginmanager.register(TimeLimits(options.timeout), "orbitcert-time-limits")
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        config.args = [str(target.suite)]
        config.option.importmode = "importlib"
    _load_hypothesis_profile(config, options.examples)


def _refuse(config: pytest.Config, exc: Exception) -> None:
    """A usage error; the parent process of a certification also gets it as an event."""
    fd = config.getoption("orbitcert_events_fd")
    if fd is not None and not hasattr(config, "workerinput"):
        from .recorder import EventStream

        EventStream(fd).send("refused", message=str(exc), kind=type(exc).__name__)
    raise pytest.UsageError(f"orbitcert: {exc}") from None


def pytest_unconfigure(config: pytest.Config) -> None:
    from .suite import SESSION_KEY

    session = config.stash.get(SESSION_KEY, None)
    if session is not None:
        config.pluginmanager.unregister(session)
        limits = config.pluginmanager.get_plugin("orbitcert-time-limits")
        if limits is not None:
            config.pluginmanager.unregister(limits)
        del config.stash[SESSION_KEY]
    previous = config.stash.get(_PREVIOUS_HYPOTHESIS_SETTINGS, None)
    if previous is not None:  # a run inside another pytest run leaves its settings as they were
        from hypothesis import settings

        settings.register_profile("orbitcert-restored", parent=previous)
        settings.load_profile("orbitcert-restored")


def _waivers_option(config: pytest.Config) -> list[Waiver]:
    path = config.getoption("orbitcert_waivers")
    if path is None:
        return []
    from .waivers import load_waivers

    return load_waivers(path)


def _numprocesses(config: pytest.Config) -> int:
    n = getattr(config.option, "numprocesses", None)
    return n if isinstance(n, int) else 0


def _infer_spec_from_args(config: pytest.Config) -> str | None:
    """Running a bundled suite folder directly certifies its spec's latest version."""
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        return None
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        for parent in (path, *path.parents):
            if parent.parent == SUITES_DIR.resolve():
                return f"{parent.name}@latest"
    return None


def _load_hypothesis_profile(config: pytest.Config, examples: int) -> None:
    from hypothesis import HealthCheck, Phase, settings

    config.stash[_PREVIOUS_HYPOTHESIS_SETTINGS] = settings.default

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


@pytest.fixture(scope="session")
def spec(request: pytest.FixtureRequest) -> Spec:
    """The spec version under test."""
    from .suite import spec_under_test

    return spec_under_test(request.config)


@pytest.fixture(scope="session")
def ics(request: pytest.FixtureRequest) -> Ics:
    """The validated ICS of the product under test."""
    from .suite import ics_under_test

    return ics_under_test(request.config)


@pytest.fixture(scope="session")
def iut(request: pytest.FixtureRequest) -> Any:
    """The implementation under test, created once per process by its factory."""
    from .suite import certification_session

    return certification_session(request.config).get_product()


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> EvidenceRecorder:
    """What the test computes for its report: statistical verdicts (``evidence.binomial``, ``evidence.poisson``) and
    analyses (``evidence.analysis``); see :mod:`orbitcert.conformance.statistics`."""
    from .recorder import EVIDENCE
    from .statistics import EvidenceRecorder

    recorder = EvidenceRecorder()
    request.node.stash[EVIDENCE] = recorder
    return recorder


_SEED = pytest.StashKey[int]()


def _run_seed_option(config: pytest.Config) -> str | None:
    """The run's seed as given: an xdist worker takes its controller's (every process of a run
    uses one seed); otherwise the pipe ``orbitcert certify`` passes, else ``--orbitcert-seed``
    (else :func:`.options.run_seed` draws one)."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "orbitcert_seed" in workerinput:
        return str(workerinput["orbitcert_seed"])
    return _seed_from_fd(config.getoption("orbitcert_seed_fd")) or config.getoption("orbitcert_seed")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: give each worker the controller's run seed (workers re-read the command
    line, which does not carry it)."""
    seed = node.config.stash.get(_SEED, None)
    if seed is not None:
        node.workerinput["orbitcert_seed"] = str(seed)
    code = node.config.stash.get(_SUITE_CODE, None)
    if code is not None:  # the suite's code, as the controller received it (see _suite_modules_from_memory)
        import marshal

        node.workerinput["orbitcert_code"] = marshal.dumps((suite_code_header(), code))


def _seed_from_fd(fd: int | None) -> str | None:
    """The seed ``orbitcert certify`` sends its pytest child on a pipe (never on the command line
    or in the environment, which the product could read from /proc)."""
    if fd is None:
        return None
    try:
        with os.fdopen(fd, "rb") as pipe:
            return pipe.read(32).decode("ascii", "replace").strip() or None
    except OSError as exc:
        raise pytest.UsageError(f"orbitcert: --orbitcert-seed-fd {fd}: {exc.strerror}") from None


@pytest.fixture(scope="session")
def run_seed(request: pytest.FixtureRequest) -> int:
    """The run's seed (recorded in the report as ``thoroughness.seed``): derive every random
    trial from it, e.g. ``numpy.random.default_rng([run_seed, trial])``, never from a constant
    in the suite, which a product could read and replay."""
    from .suite import certification_session

    return certification_session(request.config).options.seed

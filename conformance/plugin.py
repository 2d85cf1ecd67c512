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


def pytest_configure(config: pytest.Config) -> None:
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

"""What one certification run is about: the spec, the ICS, the product factory and the suite.

:meth:`CertificationTarget.resolve` resolves the user's choices (all of them may be bad input, and
each failure is a typed :class:`~orbitcert.specs.errors.OrbitcertError`) before any test runs, so
the CLI can exit 2 with a clear message and the pytest plugin can raise a usage error.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from shlex import split as shlex_split
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from orbitcert.reference_impl import REFERENCES, platform_limits
from orbitcert.specs.errors import ImplementationError, OptionError, SuiteError
from orbitcert.specs.lifecycle import check_certifiable
from orbitcert.specs.ics import Ics, ProductIdentity, full_ics, load_ics, validate_ics_document, within_version
from orbitcert.specs.model import Spec
from orbitcert.specs.yamlio import load_yaml_file
from orbitcert.specs.loader import SUITES_FOLDER, Catalog, LoadedSpec, bundled_catalog_dir

__all__ = [
    "SUITES_DIR",
    "CertificationTarget",
    "declared_identity",
    "importable_from_cwd",
    "resolve_factory",
    "suite_dir",
]

SUITES_DIR = Path(__file__).parent / "suites"
SuiteOrigin = Literal["bundled", "catalog", "override"]


def check_factory_ref(ref: str) -> tuple[str, str]:
    """``(module, attribute)`` of ``package.module:factory``; nothing is imported."""
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise ImplementationError(f"malformed implementation reference {ref!r}; expected package.module:factory")
    return module_name, attr


def resolve_factory(ref: str) -> Callable[..., Any]:
    """Import ``package.module:factory`` and return the callable."""
    module_name, attr = check_factory_ref(ref)
    try:
        module = importlib.import_module(module_name)
    except BaseException as exc:  # noqa: BLE001 - any import failure (even SystemExit) is the user's input problem
        raise ImplementationError(f"cannot import module {module_name!r}: {type(exc).__name__}: {exc}") from None
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ImplementationError(f"module {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ImplementationError(f"{ref!r} is not callable")
    return obj  # type: ignore[no-any-return]


def _takes_spec(factory: Callable[..., Any]) -> bool:
    try:
        return "spec" in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False


def suite_dir(loaded: LoadedSpec) -> tuple[Path, SuiteOrigin]:
    """The suite of a spec version and its origin (``bundled`` or ``catalog``).

    A spec's suite belongs to its own catalog: ``<catalog>/suites/<spec-id>/`` beside the spec
    file, else the bundled ``conformance/suites/<spec-id>/`` (a new version of a bundled spec in
    an outside catalog is tested by the bundled suite). A bundled spec is always tested by the
    bundled suite: an outside catalog cannot replace it.
    """
    spec_id = loaded.spec.id
    root = Path(loaded.path).resolve().parent.parent
    bundled = root == bundled_catalog_dir().resolve()
    if not bundled and (root / SUITES_FOLDER / spec_id).is_dir():
        return root / SUITES_FOLDER / spec_id, "catalog"
    if (SUITES_DIR / spec_id).is_dir():
        return SUITES_DIR / spec_id, "bundled"
    raise SuiteError(f"no conformance suite for spec {spec_id!r} (looked in {root / SUITES_FOLDER} and the bundled suites)")


def suite_location_args(suite: Path) -> list[str]:
    """Where pytest looks for the suite's configuration: the suite's parent folder is the root,
    no conftest.py above it is loaded, and the ini file is the suite folder's own ``pytest.ini``
    beside it when there is one, else the harness's (empty) one, never one found further up. The
    files this loads are in the report's per-file suite digests (``../conftest.py``)."""
    parent = suite.parent
    ini = parent / "pytest.ini"
    if not ini.is_file():
        ini = Path(__file__).parent / "suites" / "pytest.ini"
    return ["--rootdir", str(parent), "--confcutdir", str(parent), "-c", str(ini)]


def importable_from_cwd(environment: bool = True) -> None:
    """Make modules in the working directory importable as ``--impl`` factories here (as
    ``python -m`` does) and, with ``environment``, in the processes this one starts."""
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if environment and cwd not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join([cwd, *parts])


def command_argv(command: str) -> list[str]:
    """The argument vector of ``--impl-cmd`` (shell-like quoting, no shell)."""
    try:
        argv = shlex_split(command)
    except ValueError as exc:
        raise ImplementationError(f"--impl-cmd {command!r}: {exc}") from None
    if not argv:
        raise ImplementationError("--impl-cmd is empty")
    return argv


def parse_address(value: str, option: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) as a pair; an :class:`OptionError` otherwise."""
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise OptionError(f"expected HOST:PORT, not {value!r}", field=option)
    return host, int(port)


def declared_identity(product: Any) -> ProductIdentity | None:
    """What a product object says it is (``name``, ``version``, ``supplier`` attributes), or None.
    A product whose attributes raise or are not text declares nothing."""
    values: dict[str, str] = {}
    for key in ("name", "version", "supplier"):
        try:
            value = getattr(product, key, None)
        except Exception:  # noqa: BLE001 - a product's property may raise anything
            value = None
        if isinstance(value, str) and value:
            values[key] = value
    if "name" not in values:
        return None
    return ProductIdentity(**values)


@dataclass
class CertificationTarget:
    """Everything a run needs, validated."""

    loaded: LoadedSpec
    ics: Ics
    ics_path: Path | None
    factory_ref: str | None
    suite: Path
    suite_origin: SuiteOrigin
    command: str | None = None
    connect: str | None = None
    allow_draft: bool = False
    warning: str | None = None
    _factory: Callable[..., Any] | None = None

    @classmethod
    def resolve(
        cls,
        spec_ref: str,
        impl: str | None = None,
        ics_path: str | Path | None = None,
        catalogs: Sequence[str | Path] = (),
        catalog: Catalog | None = None,
        suite: str | Path | None = None,
        command: str | None = None,
        connect: str | None = None,
        allow_draft: bool = False,
        any_status: bool = False,
    ) -> CertificationTarget:
        """Load the spec and the ICS (the reference's own when no product is given) and check the
        factory reference; the factory's module is imported only by :meth:`load_factory`, in
        the process that runs the product. ``suite`` replaces the spec's own suite; the report
        then says so (origin ``override``). A product started as ``command`` or reached at
        ``connect`` (``HOST:PORT``) speaks the product protocol instead of being a factory.

        The spec's lifecycle (:func:`orbitcert.specs.lifecycle.check_certifiable`): a withdrawn
        version is refused, a draft or candidate unless ``allow_draft``, a deprecated one sets
        :attr:`warning`. ``any_status`` skips this (collecting a suite for lint)."""
        given = [name for name, value in (("--impl", impl), ("--impl-cmd", command), ("--impl-connect", connect)) if value]
        if len(given) > 1:
            raise ImplementationError(f"give one of {', '.join(given)}, not several")
        if command is not None:
            command_argv(command)
        if connect is not None:
            parse_address(connect, "impl-connect")
        cat = catalog or Catalog.discover(catalogs)
        loaded = cat.load(spec_ref)
        spec = loaded.spec
        warning = None if any_status else check_certifiable(loaded, cat, allow_draft)
        if not given:
            if spec.id not in REFERENCES:
                raise ImplementationError(f"no reference implementation for {spec.id!r}: give --impl")
            impl = REFERENCES[spec.id][0]
            if ics_path is None:
                ics_path = _reference_ics_path(spec.id)
        if _is_reference(spec.id, impl, ics_path):
            assert ics_path is not None
            ics = _within_platform_limits(_reference_ics(ics_path, spec), platform_limits(spec.id))
        else:
            ics = load_ics(ics_path, spec) if ics_path is not None else full_ics(spec)
        if impl is not None:
            check_factory_ref(impl)
        origin: SuiteOrigin
        if suite is not None:
            folder, origin = Path(suite), "override"
            if not folder.is_dir() or not any(folder.glob("test_*.py")):
                raise SuiteError("not a suite folder (no test_*.py files)", path=folder)
        else:
            folder, origin = suite_dir(loaded)
        return cls(
            loaded, ics, Path(ics_path) if ics_path else None, impl, folder, origin, command, connect,
            allow_draft=allow_draft, warning=warning,
        )

    def load_factory(self) -> Callable[..., Any]:
        """Import the product's factory (once)."""
        if self.factory_ref is None:
            raise ImplementationError("the product is a command or a connection, not a factory")
        if self._factory is None:
            self._factory = resolve_factory(self.factory_ref)
        return self._factory

    def create_product(self) -> Any:
        """Call the factory; a factory with a ``spec`` parameter gets the spec under test."""
        factory = self.load_factory()
        if _takes_spec(factory):
            return factory(spec=self.loaded.spec)
        return factory()

    def identity(self, declared: ProductIdentity | None = None) -> ProductIdentity:
        """The ICS ``product`` block, else what the product object declares, else the factory."""
        return self.ics.product or declared or ProductIdentity(name=self.factory_ref or self.command or str(self.connect))


def _reference_ics_path(spec_id: str) -> Path:
    return Path(str(resources.files("orbitcert.reference_impl") / REFERENCES[spec_id][1]))


def _is_reference(spec_id: str, impl: str | None, ics_path: str | Path | None) -> bool:
    """The reference with its own ICS: in the parent (no product given) and in the child run,
    which gets both explicitly."""
    if spec_id not in REFERENCES or impl != REFERENCES[spec_id][0] or ics_path is None:
        return False
    return Path(ics_path).resolve() == _reference_ics_path(spec_id).resolve()


def _reference_ics(path: str | Path, spec: Spec) -> Ics:
    """The reference's ICS for the version under test. The file answers the latest version of
    its spec (it is unversioned, like the reference); classes and items an older version does
    not define are dropped before validation, so ``net-optical-isl@1.0.0`` is certified for
    ``coding`` with the same file that claims 1.1.0's ``framing``."""
    doc = load_yaml_file(path)
    if isinstance(doc.data, dict):
        within_version(doc.data, spec)
    return validate_ics_document(doc, spec)


def _within_platform_limits(ics: Ics, limits: dict[str, str]) -> Ics:
    """The reference's ICS without what this platform cannot do (:func:`platform_limits`): such
    classes are not claimed, with the reason, and such set values are not declared."""
    if not limits:
        return ics
    classes = [c for c in ics.classes if c not in limits]
    not_claimed = {**ics.not_claimed, **{c: why for c, why in limits.items() if "=" not in c and c in ics.classes}}
    items = dict(ics.items)
    for key in limits:
        item, sep, value = key.partition("=")
        if sep and isinstance(items.get(item), list):
            items[item] = [v for v in items[item] if str(v) != value]
    return ics.model_copy(update={"classes": classes, "not_claimed": not_claimed, "items": items})

"""What one certification run is about: the spec, the ICS, the product and where reports go.

:class:`CertificationTarget` resolves the user's choices (all of them may be bad input, and each
failure is a typed :class:`~orbitcert.specs.errors.OrbitcertError`) before any test runs, so the
CLI can exit 2 with a clear message and the pytest plugin can raise a usage error.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from orbitcert.reference_impl import REFERENCES
from orbitcert.specs.loader import SUITES_FOLDER, Catalog, LoadedSpec
from orbitcert.specs.errors import OrbitcertError
from orbitcert.specs.ics import Ics, full_ics, load_ics

SUITES_DIR = Path(__file__).parent / "suites"


class ImplementationError(OrbitcertError):
    """The product's factory cannot be imported or called."""


def resolve_factory(ref: str) -> Callable[[], Any]:
    """Import ``package.module:factory`` and return the callable."""
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise ImplementationError(f"malformed implementation reference {ref!r}; expected package.module:factory")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any import failure is the user's input problem
        raise ImplementationError(f"cannot import module {module_name!r}: {type(exc).__name__}: {exc}") from None
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ImplementationError(f"module {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ImplementationError(f"{ref!r} is not callable")
    return obj  # type: ignore[no-any-return]


def suite_dir(spec_id: str, extra_suites: Sequence[Path] = ()) -> Path:
    """The suite of ``spec_id``: a catalog's ``suites/<id>/`` (``extra_suites``) before the bundled
    ``conformance/suites/<id>/``."""
    for base in (*extra_suites, SUITES_DIR):
        d = base / spec_id
        if d.is_dir():
            return d
    raise OrbitcertError(f"no conformance suite for spec {spec_id!r} (looked in {SUITES_DIR})")


@dataclass
class CertificationTarget:
    """Everything a run needs, validated."""

    loaded: LoadedSpec
    ics: Ics
    factory_ref: str
    factory: Callable[[], Any]
    suite: Path
    is_reference: bool

    @classmethod
    def resolve(
        cls,
        spec_ref: str,
        impl: str | None = None,
        ics_path: str | Path | None = None,
        catalogs: Sequence[str | Path] = (),
    ) -> CertificationTarget:
        catalog = Catalog.discover(catalogs)
        loaded = catalog.load(spec_ref)
        spec = loaded.spec
        is_reference = impl is None
        if impl is None:
            if spec.id not in REFERENCES:
                raise ImplementationError(f"no reference implementation for {spec.id!r}: give --impl")
            impl, ics_resource = REFERENCES[spec.id]
            if ics_path is None:
                ics_path = Path(str(resources.files("orbitcert.reference_impl") / ics_resource))
        ics = load_ics(ics_path, spec) if ics_path is not None else full_ics(spec)
        factory = resolve_factory(impl)
        extra = [Path(c) / SUITES_FOLDER for c in catalogs]
        return cls(loaded, ics, impl, factory, suite_dir(spec.id, extra), is_reference)

    def identity(self, declared: dict[str, str] | None = None) -> dict[str, Any]:
        """Product name/version: from the ICS ``product`` block, else what the product object
        declares (``declared``), else the factory reference."""
        ident = dict(self.ics.product or {})
        for key, value in (declared or {}).items():
            ident.setdefault(key, value)
        ident.setdefault("name", self.factory_ref)
        ident.setdefault("version", "unspecified")
        ident["factory"] = self.factory_ref
        return ident

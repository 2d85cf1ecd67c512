"""orbitcert.specs: machine-readable specifications (docs/architecture.md).

The spec model, the catalog, implementation conformance statements, predicates and every typed
error. The public API is :data:`__all__`; names load lazily so that importing one submodule does
not import them all.
"""

import typing as _typing

from ._lazy import lazy_exports as _lazy_exports

if _typing.TYPE_CHECKING:
    from .errors import (
        CatalogError,
        IcsError,
        ImplementationError,
        InputFileError,
        InterfaceError,
        OptionError,
        OrbitcertError,
        PredicateError,
        ReportError,
        RunIncompleteError,
        SignatureError,
        SpecError,
        SpecNotFoundError,
        SuiteError,
    )
    from .ics import Ics, IcsDocument, ProductIdentity, full_ics, ics_template, load_ics, validate_ics_document
    from .diff import Bump, Change, SpecDiff, diff_specs
    from .lifecycle import publish_spec_file
    from .lint import Finding, lint_spec
    from .loader import Catalog, LoadedSpec, load_ref, load_spec_file
    from .model import (
        ConformanceClass,
        IcsItem,
        Interface,
        Level,
        Operation,
        Parameter,
        Requirement,
        Spec,
        Status,
        Verification,
        parse_ref,
    )
    from .predicate import Predicate, parse_predicate

_EXPORTS = {
    **dict.fromkeys(
        (
            "CatalogError IcsError ImplementationError InputFileError InterfaceError OptionError OrbitcertError "
            "PredicateError ReportError RunIncompleteError SignatureError SpecError SpecNotFoundError SuiteError"
        ).split(),
        "errors",
    ),
    **dict.fromkeys(
        "Ics IcsDocument ProductIdentity full_ics ics_template load_ics validate_ics_document".split(), "ics"
    ),
    **dict.fromkeys("Bump Change SpecDiff diff_specs".split(), "diff"),
    **dict.fromkeys("publish_spec_file".split(), "lifecycle"),
    **dict.fromkeys("Finding lint_spec".split(), "lint"),
    **dict.fromkeys("Catalog LoadedSpec load_ref load_spec_file".split(), "loader"),
    **dict.fromkeys(
        (
            "ConformanceClass IcsItem Interface Level Operation Parameter Requirement Spec Status Verification parse_ref"
        ).split(),
        "model",
    ),
    **dict.fromkeys("Predicate parse_predicate".split(), "predicate"),
}

__all__ = [
    "Bump",
    "Catalog",
    "CatalogError",
    "Change",
    "ConformanceClass",
    "Finding",
    "Ics",
    "IcsDocument",
    "IcsError",
    "IcsItem",
    "ImplementationError",
    "InputFileError",
    "Interface",
    "InterfaceError",
    "Level",
    "LoadedSpec",
    "Operation",
    "OptionError",
    "OrbitcertError",
    "Parameter",
    "Predicate",
    "PredicateError",
    "ProductIdentity",
    "ReportError",
    "Requirement",
    "RunIncompleteError",
    "SignatureError",
    "Spec",
    "SpecDiff",
    "SpecError",
    "SpecNotFoundError",
    "Status",
    "SuiteError",
    "Verification",
    "diff_specs",
    "full_ics",
    "ics_template",
    "lint_spec",
    "load_ics",
    "load_ref",
    "load_spec_file",
    "parse_predicate",
    "parse_ref",
    "publish_spec_file",
    "validate_ics_document",
]


__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS)

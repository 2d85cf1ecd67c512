"""Every typed error orbitcert raises, in one place (docs/architecture.md "Errors").

Every error a user can cause (bad input, a product that does not fit its interface, a run that
could not complete) derives from :class:`OrbitcertError`. The CLI prints ``str(error)`` (never a
traceback) and exits with ``error.exit_code`` (2). Each error names where the problem is: a
file, and where known a line and a field path. Subsystems raise the named subclass that says
what went wrong, never the bare base class.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # pydantic is imported only by the callers that have a ValidationError
    from pydantic import ValidationError

__all__ = [
    "CatalogError",
    "IcsError",
    "ImplementationError",
    "InputFileError",
    "InterfaceError",
    "OrbitcertError",
    "OptionError",
    "PredicateError",
    "ReportError",
    "RunIncompleteError",
    "SignatureError",
    "SpecError",
    "SpecNotFoundError",
    "SuiteError",
    "WaiverError",
    "format_loc",
    "from_validation_error",
]


class OrbitcertError(Exception):
    """Base class of every user-facing error. ``exit_code`` is what the CLI returns."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


# --- specs -------------------------------------------------------------------------------------


class InputFileError(OrbitcertError):
    """A file cannot be read, is too large, or is not well-formed YAML/JSON."""


class WaiverError(InputFileError):
    """A waivers file (``certify --waivers``) is malformed (names file, line and field)."""


class SpecError(OrbitcertError):
    """A spec document does not validate against the spec model."""


class SpecNotFoundError(OrbitcertError):
    """A spec reference (``ID@VERSION``) names nothing in the catalog."""


class CatalogError(OrbitcertError):
    """A catalog directory is missing or holds conflicting definitions."""


class PredicateError(OrbitcertError):
    """An ``applies_if`` / ICS condition expression is malformed or names an unknown item."""


class IcsError(OrbitcertError):
    """An implementation conformance statement contradicts its spec."""


# --- conformance -------------------------------------------------------------------------------


class OptionError(OrbitcertError):
    """A run option (``--timeout``, ``--format``, ``--spec`` ...) is out of range or inconsistent."""


class SuiteError(OrbitcertError):
    """A spec has no conformance suite, or its suite cannot be used."""


class ImplementationError(OrbitcertError):
    """The product's factory cannot be imported or called."""


class InterfaceError(OrbitcertError):
    """The product does not offer the operations of its spec's test interface."""


class RunIncompleteError(OrbitcertError):
    """A certification run ended before it produced a complete report."""


class ReportError(OrbitcertError):
    """A report file is not a valid report, or two reports cannot be compared."""


class SignatureError(OrbitcertError):
    """A report's signature is missing, malformed or does not verify."""


# --- pydantic validation errors as typed errors ------------------------------------------------


def format_loc(loc: Sequence[int | str]) -> str:
    """Render a pydantic error location as a dotted field path (``requirements.3.level``)."""
    return ".".join(str(p) for p in loc)


E = TypeVar("E", bound=OrbitcertError)


def from_validation_error(
    exc: ValidationError,
    error_cls: type[E],
    *,
    path: str | Path | None = None,
    line_of: Callable[[tuple[int | str, ...]], int | None] | None = None,
    prefix: str = "",
    first_only: bool = True,
) -> list[E]:
    """The problems of a pydantic ``ValidationError`` as typed errors naming file, line and field.

    With ``first_only`` one error is returned, its message counting the others; otherwise one
    error per problem. ``line_of`` maps a field path to a line of the source document.
    """
    problems = exc.errors(include_url=False)
    out: list[E] = []
    for e in problems[:1] if first_only else problems:
        loc = tuple(e["loc"])
        msg = prefix + str(e["msg"])
        if first_only and len(problems) > 1:
            msg += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
        out.append(error_cls(msg, path=path, line=line_of(loc) if line_of else None, field=format_loc(loc) or None))
    return out

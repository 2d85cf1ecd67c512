"""Typed errors shared by every subsystem.

Every error a user can cause by giving orbitcert bad input derives from :class:`OrbitcertError`.
The CLI prints ``str(error)`` (never a traceback) and exits with status 2. Each error names where
the problem is: a file, and where known a line and a field path.
"""

from __future__ import annotations

from pathlib import Path


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


class InputFileError(OrbitcertError):
    """A file cannot be read, is too large, or is not well-formed YAML/JSON."""


class SpecError(OrbitcertError):
    """A spec document does not validate against the spec model."""


class SpecNotFoundError(OrbitcertError):
    """A spec reference (``ID@VERSION``) names nothing in the catalog."""


class PredicateError(OrbitcertError):
    """An ``applies_if`` / ICS condition expression is malformed or names an unknown item."""


class IcsError(OrbitcertError):
    """An implementation conformance statement contradicts its spec."""

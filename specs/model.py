"""The spec model: one versioned, machine-readable specification (docs/architecture.md, docs/getting-started/standards-bodies.md).

A spec version is one YAML document validated by these pydantic models; the JSON Schema in
``specs/schema/spec.schema.json`` is generated from them (``orbitcert specs schema``). Field names
follow the ISO/IEC 9646-7 proforma vocabulary for the ICS and the usual wording of standards for
requirements (SHALL / SHOULD / MAY).
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .errors import PredicateError
from .predicate import parse_predicate

SEMVER = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$"
SPEC_ID = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
IDENT = r"^[a-z][a-z0-9_]*$"
#: Conformance class ids may also use hyphens (``aead-aes``); they never appear in predicates.
CLASS_ID = r"^[a-z][a-z0-9_]*(-[a-z0-9_]+)*$"
REQ_ID = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"
#: ``ID@VERSION``.
SPEC_REF = SPEC_ID[:-1] + "@" + SEMVER[1:]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Status(str, Enum):
    """Life-cycle of a spec version. Only ``published`` versions are immutable and certifiable."""

    draft = "draft"
    candidate = "candidate"
    published = "published"
    deprecated = "deprecated"
    withdrawn = "withdrawn"


class Level(str, Enum):
    """Requirement strength (RFC 2119 / ISO directives wording)."""

    SHALL = "SHALL"
    SHOULD = "SHOULD"
    MAY = "MAY"


LEVEL_RANK = {Level.MAY: 0, Level.SHOULD: 1, Level.SHALL: 2}


class Verification(str, Enum):
    """How a requirement is verified (ECSS-E-ST-10-02 verification methods)."""

    test = "test"
    analysis = "analysis"
    inspection = "inspection"
    demonstration = "demonstration"


class Reference(_Strict):
    """A public standard the spec profiles."""

    id: str = Field(description="Document id, e.g. 'CCSDS 131.0-B-3'.")
    title: str
    sections: list[str] = Field(default_factory=list, description="Sections profiled.")


class ConformanceClass(_Strict):
    """A conformance class: a unit a product claims and is certified for."""

    id: str = Field(pattern=CLASS_ID)
    title: str
    kind: Literal["core", "extended"] = "core"
    description: str = ""
    depends_on: list[str] = Field(default_factory=list, description="Classes that must also be claimed.")


class Requirement(_Strict):
    """One normative statement with a stable, never-reused id."""

    id: str = Field(pattern=REQ_ID, description="Stable opaque id, e.g. OISL-COD-004.")
    level: Level
    text: str = Field(min_length=1)
    class_: str = Field(alias="class", pattern=CLASS_ID, description="Conformance class id.")
    verification: Verification = Verification.test
    clause: str | None = Field(default=None, description="Cited standard and section.")
    applies_if: str | None = Field(default=None, description="ICS predicate; absent = always applies.")
    statistical: bool = Field(default=False, description="Verdict comes from a confidence bound.")
    replaced_by: str | None = None
    deprecated_in: str | None = Field(default=None, pattern=SEMVER)

    @field_validator("applies_if")
    @classmethod
    def _predicate_parses(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                parse_predicate(v)
            except PredicateError as exc:
                raise ValueError(exc.message) from None
        return v


class IcsType(str, Enum):
    """Value types of ICS items. ``set`` is a subset of ``values`` (e.g. supported depths);
    ``number`` is a real number (a declared physical quantity, e.g. transmit power in W)."""

    boolean = "boolean"
    integer = "integer"
    number = "number"
    string = "string"
    enum = "enum"
    set = "set"


class IcsStatus(str, Enum):
    """ISO/IEC 9646-7 status column: mandatory, optional, conditional, excluded."""

    M = "M"
    O = "O"  # noqa: E741 - the standard's letter
    C = "C"
    X = "X"


class IcsItem(_Strict):
    """One row of the ICS proforma."""

    id: str = Field(pattern=IDENT)
    question: str = Field(min_length=1, description="What the supplier answers.")
    status: IcsStatus
    type: IcsType
    values: list[int | str] | None = Field(default=None, description="Allowed values (enum, set).")
    minimum: int | float | None = None
    maximum: int | float | None = None
    unit: str | None = Field(default=None, description="Unit of a number or integer answer (e.g. W, nm, dB).")
    condition: str | None = Field(default=None, description="Predicate making a C item required.")
    default: Any = Field(default=None, description="Value of a product claiming every option.")
    clause: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> IcsItem:
        if self.type in (IcsType.enum, IcsType.set) and not self.values:
            raise ValueError(f"item {self.id!r} of type {self.type.value} needs 'values'")
        if self.status is IcsStatus.C and not self.condition:
            raise ValueError(f"conditional item {self.id!r} needs a 'condition'")
        if self.status is not IcsStatus.C and self.condition:
            raise ValueError(f"item {self.id!r} has a 'condition' but status {self.status.value}")
        if self.condition:
            try:
                parse_predicate(self.condition)
            except PredicateError as exc:
                raise ValueError(exc.message) from None
        return self


class Parameter(_Strict):
    """A normative constant, written once and read by the reference and the suites."""

    value: Any
    description: str
    unit: str | None = None
    clause: str | None = None


_ClassId = Annotated[str, Field(pattern=CLASS_ID)]


class Operation(_Strict):
    """One operation of the test interface. ``arguments`` and ``result`` are JSON Schemas."""

    name: str = Field(pattern=IDENT)
    class_: _ClassId | Annotated[list[_ClassId], Field(min_length=1)] = Field(
        alias="class",
        description="The conformance class that needs this operation, or a list of the classes that do.",
    )
    description: str
    arguments: dict[str, Any] = Field(description="JSON Schema of the argument object.")
    result: dict[str, Any] = Field(description="JSON Schema of the result.")
    timeout: float | None = Field(
        default=None, gt=0, description="Seconds a product may take for one call (default: the harness's)."
    )

    @property
    def classes(self) -> list[str]:
        """The classes that need this operation (``class`` as a list)."""
        return [self.class_] if isinstance(self.class_, str) else list(self.class_)


class Interface(_Strict):
    """The test interface a product exposes. Bytes are bytes in process, base64 on the wire."""

    operations: list[Operation] = Field(default_factory=list)


class RetiredId(_Strict):
    """A requirement or ICS item id that a version stopped defining. Ids are never reused: the
    entry stays in every later version, so lint can tell a retired id from a new one."""

    id: str = Field(description="The retired requirement or ICS item id.")
    kind: Literal["requirement", "ics"] = Field(default="requirement", description="What the id named.")
    retired_in: str = Field(pattern=SEMVER, description="The first version that no longer defines it.")
    replaced_by: str | None = Field(default=None, description="The id that takes over, if any.")
    reason: str = ""


class Spec(_Strict):
    """One version of a specification.

    ``status``, ``published``, ``replaced_by`` and ``notice`` are the version's lifecycle: they
    may change after publication and the content digest does not cover them
    (:data:`orbitcert.specs.digest.LIFECYCLE_FIELDS`); everything else is immutable once published.
    """

    id: str = Field(pattern=SPEC_ID)
    version: str = Field(pattern=SEMVER)
    status: Status
    title: str = Field(min_length=1)
    published: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    supersedes: str | None = Field(default=None, description="ID@VERSION this version replaces.")
    replaced_by: str | None = Field(
        default=None, pattern=SPEC_REF,
        description="Lifecycle: ID@VERSION to use instead of this deprecated or withdrawn version.",
    )
    notice: str | None = Field(default=None, description="Lifecycle: why the version was deprecated or withdrawn.")
    digest: str | None = Field(
        default=None,
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="Recorded content digest (SHA-256 of the RFC 8785 form of all other fields).",
    )
    references: list[Reference] = Field(default_factory=list)
    classes: list[ConformanceClass] = Field(min_length=1)
    requirements: list[Requirement] = Field(default_factory=list)
    ics: list[IcsItem] = Field(default_factory=list)
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    interface: Interface = Field(default_factory=Interface)
    retired: list[RetiredId] = Field(
        default_factory=list, description="Requirement and ICS item ids earlier versions defined and this one does not."
    )

    @property
    def ref(self) -> str:
        """``ID@VERSION``."""
        return f"{self.id}@{self.version}"

    def requirement(self, req_id: str) -> Requirement:
        """The requirement with ``req_id``; KeyError if absent."""
        for r in self.requirements:
            if r.id == req_id:
                return r
        raise KeyError(req_id)

    def class_by_id(self, class_id: str) -> ConformanceClass:
        """The conformance class ``class_id``; KeyError if absent."""
        for c in self.classes:
            if c.id == class_id:
                return c
        raise KeyError(class_id)

    def ics_item(self, item_id: str) -> IcsItem:
        """The ICS item ``item_id``; KeyError if absent."""
        for i in self.ics:
            if i.id == item_id:
                return i
        raise KeyError(item_id)

    def parameter(self, name: str) -> Any:
        """The value of the normative parameter ``name``."""
        return self.parameters[name].value

    def gated_requirements(self, item_id: str) -> list[str]:
        """Ids of requirements whose ``applies_if`` reads ICS item ``item_id``."""
        return [
            r.id for r in self.requirements if r.applies_if and item_id in parse_predicate(r.applies_if).names
        ]


def parse_ref(ref: str) -> tuple[str, str | None]:
    """Split ``ID@VERSION`` / ``ID@latest`` / ``ID`` into (id, version or None for latest)."""
    spec_id, _, version = ref.partition("@")
    if not re.match(SPEC_ID, spec_id) or (version and version != "latest" and not re.match(SEMVER, version)):
        from .errors import SpecNotFoundError

        raise SpecNotFoundError(f"malformed spec reference {ref!r}; expected ID@VERSION or ID@latest")
    return spec_id, (None if version in ("", "latest") else version)


def version_key(version: str) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
    """Sort key for semver strings, with semver 2.0.0 precedence (item 11): a pre-release sorts
    before its release; pre-release identifiers compare numerically when numeric (``rc.2`` before
    ``rc.10``), numeric ones before alphanumeric ones, and a shorter list of equal identifiers first."""
    core, _, pre = version.partition("-")
    major, minor, patch = (int(x) for x in core.split("."))
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")) if pre else ()
    return (major, minor, patch, 0 if pre else 1, ids)

"""Implementation conformance statements (ICS), modelled on ISO/IEC 9646-7 and the CCSDS PICS proformas.

A spec's ``ics`` list is the *proforma*: the questions a supplier answers, each with a status
(M mandatory, O optional, C conditional on a predicate, X excluded), a type and allowed values. A
filled ICS is a YAML file::

    spec: net-optical-isl@1.0.0
    product: {name: acme-oisl-modem, version: 2.1.0}
    classes: [coding]
    items:
      rs_interleaving_depths: [1, 5]
      randomizer: true

:func:`validate_ics` checks a filled ICS against its spec and returns the resolved :class:`Ics`;
every contradiction is an :class:`~orbitcert.specs.errors.IcsError` naming the file, line and item.

Unanswered items mean "not supported", as the template says: when the resolved ICS is built, an
unanswered boolean item that may be left out (status O; status C whose condition is false;
status X) resolves to ``false``, and such a set item to ``[]``. So a predicate sees an option the
supplier did not claim as not supported: ``not randomizer`` holds and a SHALL gated on it is
tested, where an absent item would have made every predicate reading it false. Unanswered
integer, enum and string items stay absent (there is no "not supported" value for them).
"""

from __future__ import annotations

import json
import math

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import IcsError, PredicateError, SpecNotFoundError, format_loc, from_validation_error
from .model import IcsItem, IcsStatus, IcsType, Spec, parse_ref
from .predicate import parse_predicate
from .yamlio import YamlDocument, dump_yaml, load_yaml_file, load_yaml_text


class ProductIdentity(BaseModel):
    """Who and what is being certified: the one model of a product's identity (the ICS names it,
    a product object may declare it, and the report records it, extended by how it was run)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    version: str = Field(default="unspecified", min_length=1)
    supplier: str | None = None


class IcsDocument(BaseModel):
    """The file format of a filled ICS: what a supplier writes (``ics.schema.json``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    spec: str = Field(description="ID@VERSION (or ID, for every version) the statement answers.")
    product: ProductIdentity | None = None
    classes: list[str] = Field(description="Conformance classes claimed.")
    items: dict[str, Any] = Field(default_factory=dict)
    not_claimed: dict[str, str] = Field(
        default_factory=dict,
        description="Why a class of the spec is not claimed (class id -> reason); the report shows the reason.",
    )


class Ics(IcsDocument):
    """A validated ICS, resolved against the spec under test: ``spec`` is that spec's
    ``ID@VERSION``, ``items`` holds every answered item normalised (sets in proforma order).
    Reports record exactly this model."""

    source: str | None = Field(default=None, description="File name the ICS was read from (no directory).")
    generated: bool = Field(default=False, description="True when no ICS was given: every class and option claimed.")


def _check_value(item: IcsItem, value: Any) -> Any:
    """Check one answer against its item; returns the normalised value or raises ValueError."""
    t = item.type
    if t is IcsType.boolean:
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if t in (IcsType.integer, IcsType.number):
        if t is IcsType.integer and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"expected an integer, got {value!r}")
        if t is IcsType.number and (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)):
            raise ValueError(f"expected a finite number, got {value!r}")
        if item.minimum is not None and value < item.minimum:
            raise ValueError(f"{value} is below the minimum {item.minimum}")
        if item.maximum is not None and value > item.maximum:
            raise ValueError(f"{value} is above the maximum {item.maximum}")
        return value
    if t is IcsType.string:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {value!r}")
        return value
    allowed = item.values or []
    if t is IcsType.enum:
        if value not in allowed or isinstance(value, bool):
            raise ValueError(f"{value!r} is not one of the allowed values {allowed}")
        return value
    # set
    if not isinstance(value, list):
        raise ValueError(f"expected a list of values from {allowed}, got {value!r}")
    bad = [v for v in value if v not in allowed or isinstance(v, bool)]
    if bad:
        raise ValueError(f"{bad} not among the allowed values {allowed}")
    if len(set(value)) != len(value):
        raise ValueError("values are repeated")
    if not value and item.status is IcsStatus.M:
        raise ValueError("a mandatory set needs at least one value")
    return sorted(value, key=lambda v: allowed.index(v))


_ABSENT = object()


def _not_supported(item: IcsItem) -> Any:
    """What an unanswered optional item resolves to: ``False`` for a boolean, ``[]`` for a set;
    ``_ABSENT`` (the item stays out of the resolved ICS) for the other types."""
    if item.type is IcsType.boolean:
        return False
    if item.type is IcsType.set:
        return []
    return _ABSENT


def _resolve(spec: Spec, claimed: list[str], given: dict[str, Any], where: Any) -> dict[str, Any]:
    """Validate answers in proforma order; ``where(item_id, message)`` builds the error.
    Unanswered optional booleans and sets resolve to not supported (module docstring)."""
    known = {i.id for i in spec.ics}
    for item_id in given:
        if item_id not in known:
            raise where(item_id, f"unknown ICS item (the proforma of {spec.ref} has: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for item in spec.ics:
        present = item.id in given
        unsupported = _not_supported(item)
        if item.status is IcsStatus.X:
            if present and given[item.id] not in (False, None, []):
                raise where(item.id, "item is excluded (status X): a product must not claim it")
            if unsupported is not _ABSENT:
                values[item.id] = unsupported
            continue
        required = item.status is IcsStatus.M
        if item.status is IcsStatus.C:
            cond = parse_predicate(item.condition or "")
            try:
                holds = cond.evaluate(values)
            except PredicateError as exc:
                raise PredicateError(
                    f"spec {spec.ref}: condition of ICS item {item.id!r}: {exc.message}", field=f"ics.{item.id}.condition"
                ) from None
            if present and not holds:
                raise where(item.id, f"conditional item answered, but its condition {item.condition!r} is false")
            required = holds
        if not present:
            if required:
                why = "mandatory (M)" if item.status is IcsStatus.M else f"required because {item.condition!r} holds"
                raise where(item.id, f"missing answer: the item is {why}")
            if unsupported is not _ABSENT:
                values[item.id] = unsupported
            continue
        try:
            values[item.id] = _check_value(item, given[item.id])
        except ValueError as exc:
            raise where(item.id, str(exc)) from None
    class_ids = [c.id for c in spec.classes]
    for c in claimed:
        if c not in class_ids:
            raise where(None, f"unknown conformance class {c!r} (classes of {spec.ref}: {', '.join(class_ids)})")
    for c in claimed:
        missing = [d for d in spec.class_by_id(c).depends_on if d not in claimed]
        if missing:
            raise where(None, f"class {c!r} depends on {', '.join(missing)}, which the ICS does not claim")
    return values


def validate_ics_document(doc: YamlDocument, spec: Spec) -> Ics:
    """Validate a parsed ICS document against ``spec``."""

    def where(item_id: str | None, message: str) -> IcsError:
        loc = ("items", item_id) if item_id else ("classes",)
        return IcsError(message, path=doc.path, line=doc.line_of(loc), field=format_loc(loc))

    if not isinstance(doc.data, dict):
        raise IcsError("an ICS document must be a mapping at the top level", path=doc.path, line=1)
    try:
        parsed = IcsDocument.model_validate(doc.data)
    except ValidationError as exc:
        raise from_validation_error(exc, IcsError, path=doc.path, line_of=doc.line_of)[0] from None
    try:
        sid, sver = parse_ref(parsed.spec)
    except SpecNotFoundError:
        raise IcsError(f"malformed spec reference {parsed.spec!r}", path=doc.path, line=doc.line_of(("spec",)), field="spec") from None
    if sid != spec.id or (sver is not None and sver != spec.version):
        raise IcsError(
            f"the ICS answers {parsed.spec} but the spec under test is {spec.ref}",
            path=doc.path,
            line=doc.line_of(("spec",)),
            field="spec",
        )
    values = _resolve(spec, parsed.classes, parsed.items, where)
    class_ids = [c.id for c in spec.classes]
    for cls in parsed.not_claimed:
        loc = ("not_claimed", cls)
        if cls not in class_ids:
            raise IcsError(f"unknown conformance class {cls!r} (classes of {spec.ref}: {', '.join(class_ids)})",
                           path=doc.path, line=doc.line_of(loc), field=format_loc(loc))
        if cls in parsed.classes:
            raise IcsError(f"class {cls!r} is both claimed and not claimed", path=doc.path, line=doc.line_of(loc), field=format_loc(loc))
    return Ics(
        spec=spec.ref,
        classes=list(parsed.classes),
        items=dict(sorted(values.items())),
        not_claimed=dict(parsed.not_claimed),
        product=parsed.product,
        source=Path(doc.path).name,
    )


def within_version(data: dict[str, Any], spec: Spec) -> None:
    """Drop from ICS document data (in place) the claimed classes and answered items that
    ``spec`` does not define: an ICS written for another version of the spec, made to answer this
    one (the reference's unversioned ICS, a report's ICS re-checked against a new version)."""
    classes, items = {c.id for c in spec.classes}, {i.id for i in spec.ics}
    if isinstance(data.get("classes"), list):
        data["classes"] = [c for c in data["classes"] if c in classes]
    if isinstance(data.get("items"), dict):
        data["items"] = {k: v for k, v in data["items"].items() if k in items}


def load_ics(path: str | Path, spec: Spec) -> Ics:
    """Load a filled ICS file and validate it against ``spec``."""
    return validate_ics_document(load_yaml_file(path), spec)


def ics_spec_ref(path: str | Path) -> str:
    """The spec an ICS file answers, as a reference for the catalog: ``ID@VERSION`` as written, or
    ``ID@latest`` for an unversioned ``spec: ID``. The file is read and checked only that far;
    :func:`load_ics` validates the rest against the spec."""
    doc = load_yaml_file(path)
    spec_ref = doc.data.get("spec") if isinstance(doc.data, dict) else None
    if not isinstance(spec_ref, str):
        raise IcsError("an ICS names the spec it answers: 'spec: ID@VERSION'", path=doc.path, line=doc.line_of(("spec",)) or 1, field="spec")
    try:
        sid, sver = parse_ref(spec_ref)
    except SpecNotFoundError:
        raise IcsError(f"malformed spec reference {spec_ref!r}", path=doc.path, line=doc.line_of(("spec",)), field="spec") from None
    return f"{sid}@{sver or 'latest'}"


def load_ics_text(text: str, spec: Spec, path: str = "<string>") -> Ics:
    """Validate ICS YAML given as text (used by tests and the bridge)."""
    return validate_ics_document(load_yaml_text(text, path), spec)


def _full_value(item: IcsItem) -> Any:
    if item.default is not None:
        return item.default
    if item.type is IcsType.boolean:
        return True
    if item.type is IcsType.set:
        return list(item.values or [])
    if item.type is IcsType.enum:
        return item.values[0] if item.values else None
    if item.type in (IcsType.integer, IcsType.number):
        return item.maximum if item.maximum is not None else (item.minimum or 0)
    return ""


def _full_answers(spec: Spec) -> dict[str, Any]:
    """The answers of a product claiming every option: every item but X items and C items whose
    condition is false (given the other answers, unanswered ones taken as not supported)."""
    given: dict[str, Any] = {}
    seen: dict[str, Any] = {}  # what a condition sees: given, and skipped items as not supported
    for item in spec.ics:
        skipped = item.status is IcsStatus.X or (
            item.status is IcsStatus.C and not parse_predicate(item.condition or "").evaluate(seen)
        )
        if skipped:
            if _not_supported(item) is not _ABSENT:
                seen[item.id] = _not_supported(item)
            continue
        given[item.id] = seen[item.id] = _full_value(item)
    return given


def full_ics(spec: Spec) -> Ics:
    """The ICS of a product claiming every class and every option (used when no ICS is given)."""
    given = _full_answers(spec)

    def where(item_id: str | None, message: str) -> IcsError:
        return IcsError(f"spec {spec.ref} proforma default is invalid: {message}", field=item_id)

    classes = [c.id for c in spec.classes]
    values = _resolve(spec, classes, given, where)
    return Ics(spec=spec.ref, classes=classes, items=dict(sorted(values.items())), generated=True)


def predicate_probes(spec: Spec) -> list[tuple[str, dict[str, Any]]]:
    """Representative ICS value sets to evaluate a spec's predicates against (``specs lint``
    OC111): a predicate that fails on one of them (``randomizer in 5``) would fail in a run.

    * every item answered with the value of a product claiming everything;
    * every item that may be left out (O, C, X) unanswered, resolved as not supported;
    * every item answered, every set item with the empty set.
    """
    full = {i.id: _full_value(i) for i in spec.ics}
    minimal: dict[str, Any] = {}
    for i in spec.ics:
        value = full[i.id] if i.status is IcsStatus.M else _not_supported(i)
        if value is not _ABSENT:
            minimal[i.id] = value
    empty_sets = {i.id: [] if i.type is IcsType.set else full[i.id] for i in spec.ics}
    return [
        ("every item answered with its full value", full),
        ("every optional item unanswered", minimal),
        ("every set item empty", empty_sets),
    ]


def ics_template(spec: Spec) -> str:
    """A YAML proforma for ``spec``: every item with its status, allowed values and gated requirements."""
    out = [
        f"# Implementation conformance statement (ICS) for {spec.ref}: {spec.title}",
        "# Answer every M item, and every C item whose condition holds; O items may be left out",
        "# (an unanswered option is taken as not supported: an unanswered yes/no item counts as false,",
        "# an unanswered set as empty, so requirements gated on 'not <option>' apply).",
        "# Validate with: orbitcert ics validate FILE",
        f"spec: {spec.ref}",
        "product:",
        "  name: your-product",
        "  version: 0.0.0",
        "  supplier: your-organisation",
        "# Conformance classes claimed: " + ", ".join(f"{c.id} ({c.kind})" for c in spec.classes),
        "classes: [" + ", ".join(c.id for c in spec.classes) + "]",
        "# A class you do not claim may say why (the report shows the reason), e.g.",
        f"# not_claimed: {{{spec.classes[-1].id}: not offered by this product}}" if spec.classes else "# not_claimed: {}",
        "items:",
    ]
    answered = _full_answers(spec)
    for item in spec.ics:
        status = item.status.value + (f" if {item.condition}" if item.condition else "")
        allowed = ""
        if item.values:
            allowed = f"; allowed: {item.values}"
        elif item.minimum is not None or item.maximum is not None:
            allowed = f"; range: {item.minimum}..{item.maximum}"
        if item.unit:
            allowed += f"; unit: {item.unit}"
        gates = spec.gated_requirements(item.id)
        out.append(f"  # {item.question}")
        out.append(f"  # status {status}; type {item.type.value}{allowed}")
        if item.clause:
            out.append(f"  # clause: {item.clause}")
        if gates:
            out.append(f"  # gates: {', '.join(gates)}")
        value = _full_value(item)
        rendered = ("true" if value else "false") if isinstance(value, bool) else (
            "[" + ", ".join(str(v) for v in value) + "]" if isinstance(value, list) else repr(value) if isinstance(value, str) else str(value)
        )
        prefix = "" if item.id in answered else "# "  # X items, and C items whose condition is false
        out.append(f"  {prefix}{item.id}: {rendered}")
    return "\n".join(out) + "\n"


def _omitted(item_value: Any, item_type: IcsType) -> bool:
    """True for the value an unanswered optional item resolves to (``specs.ics`` docstring)."""
    return (item_type is IcsType.boolean and item_value is False) or (item_type is IcsType.set and item_value == [])


def ics_file_text(ics: Ics, spec: Spec) -> str:
    """``ics`` (a resolved ICS, as a report records it) as an ICS file that
    :func:`~orbitcert.specs.ics.load_ics` reads back, against ``spec``, to the same statement.

    The resolved ICS answers items a supplier may not write: an excluded (X) item, or a
    conditional (C) item whose condition is false, holds "not supported" (``false``, ``[]``);
    those are left out (the loader resolves them to the same value). Every other answer is
    written. ``source`` and ``generated`` (where the ICS came from) are not part of an ICS file:
    they are shown in a comment."""
    items: dict[str, Any] = {}
    seen: dict[str, Any] = {}  # what a condition sees: the items before it, as resolved
    by_id = {i.id: i for i in spec.ics}
    for item in spec.ics:
        if item.id not in ics.items:
            continue
        value = ics.items[item.id]
        skip = False
        if item.status is IcsStatus.X:
            skip = _omitted(value, item.type)
        elif item.status is IcsStatus.C:
            try:
                holds = parse_predicate(item.condition or "").evaluate(seen)
            except PredicateError:
                holds = True  # written as it is: the loader names the problem
            skip = not holds and _omitted(value, item.type)
        if not skip:
            items[item.id] = value
        seen[item.id] = value
    items.update({k: v for k, v in ics.items.items() if k not in by_id})  # unknown: the loader refuses them
    data: dict[str, Any] = {"spec": ics.spec}
    if ics.product is not None:
        data["product"] = ics.product.model_dump(mode="json", exclude_none=True)
    data["classes"] = list(ics.classes)
    data["items"] = items
    if ics.not_claimed:
        data["not_claimed"] = dict(ics.not_claimed)
    # json.dumps with ensure_ascii escapes every line break YAML knows (\n, \r, \x85, \u2028,
    # \u2029), so a file name cannot end the comment and inject YAML.
    header = (
        f"# The implementation conformance statement recorded in the report of {json.dumps(ics.spec)}.\n"
        f"# Read from: {json.dumps(ics.source)}; generated (no ICS given, everything claimed): "
        f"{json.dumps(ics.generated)}.\n"
    )
    return header + dump_yaml(data)

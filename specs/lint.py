"""Spec lint: everything that can be checked from a spec file alone.

Traceability against a conformance suite (a requirement verified by test that no test covers, a
test naming no or an unknown requirement) needs the suite, so it lives in
:mod:`orbitcert.conformance.traceability`; ``orbitcert specs lint`` runs both.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import ValidationError

from .errors import PredicateError, SpecError, from_validation_error
from .ics import predicate_probes
from .loader import LoadedSpec
from .model import Spec, Status
from .predicate import parse_predicate
from .yamlio import YamlDocument


@dataclass(frozen=True)
class Finding:
    """One lint finding, printed as ``path:line: code field: message``."""

    path: str
    line: int | None
    code: str
    message: str
    field: str | None = None

    def __str__(self) -> str:
        where = self.path + (f":{self.line}" if self.line else "")
        field = f" {self.field}:" if self.field else ""
        return f"{where}: {self.code}{field} {self.message}"


def schema_findings(doc: YamlDocument) -> list[Finding]:
    """Every schema violation of a parsed spec document (empty when it validates)."""
    if not isinstance(doc.data, dict):
        return [Finding(doc.path, 1, "OC100", "a spec document must be a mapping")]
    try:
        Spec.model_validate(doc.data)
    except ValidationError as exc:
        errors = from_validation_error(exc, SpecError, path=doc.path, line_of=doc.line_of, first_only=False)
        return [Finding(doc.path, e.line, "OC100", e.message, e.field) for e in errors]
    return []


def lint_spec(loaded: LoadedSpec) -> list[Finding]:
    """Structural checks of a spec that validated against the schema."""
    spec, doc = loaded.spec, loaded.document
    out: list[Finding] = []

    def add(code: str, message: str, loc: tuple[int | str, ...]) -> None:
        out.append(Finding(doc.path, doc.line_of(loc), code, message, ".".join(map(str, loc))))

    for kind, ids in (
        ("class", [c.id for c in spec.classes]),
        ("requirement", [r.id for r in spec.requirements]),
        ("ICS item", [i.id for i in spec.ics]),
        ("operation", [o.name for o in spec.interface.operations]),
    ):
        for dup, n in Counter(ids).items():
            if n > 1:
                add("OC101", f"duplicate {kind} id {dup!r} ({n} times)", ())
    class_ids = {c.id for c in spec.classes}
    item_ids = {i.id for i in spec.ics}
    req_ids = {r.id for r in spec.requirements}
    for ci, c in enumerate(spec.classes):
        for d in c.depends_on:
            if d not in class_ids:
                add("OC102", f"class depends on unknown class {d!r}", ("classes", ci, "depends_on"))
    for ri, r in enumerate(spec.requirements):
        if r.class_ not in class_ids:
            add("OC102", f"requirement {r.id} is in unknown class {r.class_!r}", ("requirements", ri, "class"))
        if r.applies_if:
            unknown = sorted(parse_predicate(r.applies_if).names - item_ids)
            if unknown:
                add("OC103", f"applies_if of {r.id} names unknown ICS item(s) {unknown}", ("requirements", ri, "applies_if"))
        if r.replaced_by and r.replaced_by not in req_ids:
            add("OC104", f"{r.id} is replaced by unknown requirement {r.replaced_by!r}", ("requirements", ri, "replaced_by"))
    for ii, item in enumerate(spec.ics):
        if item.condition:
            names = parse_predicate(item.condition).names
            unknown = sorted(names - item_ids)
            if unknown:
                add("OC103", f"condition of {item.id} names unknown ICS item(s) {unknown}", ("ics", ii, "condition"))
            later = [i.id for i in spec.ics[ii:] if i.id in names]
            if later:
                add("OC103", f"condition of {item.id} reads item(s) {later} defined at or after it", ("ics", ii, "condition"))
    probes = predicate_probes(spec)

    def probe(kind: str, source: str, loc: tuple[int | str, ...]) -> None:
        """OC111: a predicate that parses but cannot be evaluated (``randomizer in 5``) would stop
        a certification run; evaluate it against representative ICS value sets now."""
        for name, values in probes:
            try:
                parse_predicate(source).evaluate(values)
            except PredicateError as exc:
                add("OC111", f"{kind} cannot be evaluated with {name}: {exc.message}", loc)
                return

    for ri, r in enumerate(spec.requirements):
        if r.applies_if:
            probe(f"applies_if of {r.id}", r.applies_if, ("requirements", ri, "applies_if"))
    for ii, item in enumerate(spec.ics):
        if item.condition:
            probe(f"condition of ICS item {item.id}", item.condition, ("ics", ii, "condition"))
    for oi, op in enumerate(spec.interface.operations):
        for cls in op.classes:
            if cls not in class_ids:
                add("OC102", f"operation {op.name} is in unknown class {cls!r}", ("interface", "operations", oi, "class"))
        for part in ("arguments", "result"):
            try:
                Draft202012Validator.check_schema(getattr(op, part))
            except SchemaError as exc:
                add("OC105", f"{part} of {op.name} is not a valid JSON Schema: {exc.message}", ("interface", "operations", oi, part))
    if spec.status in (Status.published, Status.deprecated, Status.withdrawn):
        if not spec.digest:
            add("OC106", f"{spec.status.value} spec has no recorded digest (run: orbitcert specs freeze {doc.path})", ("status",))
        elif spec.digest != loaded.digest:
            add(
                "OC107",
                f"content changed after publication: recorded {spec.digest[:19]}..., computed {loaded.digest[:19]}...; "
                "a published version is immutable, release a new version instead",
                ("digest",),
            )
        if not spec.published:
            add("OC108", "published spec has no 'published' date", ("status",))
    p = Path(doc.path)
    if p.suffix == ".yaml" and (p.parent.name, p.stem) != (spec.id, spec.version):
        add("OC109", f"file should be <catalog>/{spec.id}/{spec.version}.yaml to be found as {spec.ref}", ("id",))
    return out


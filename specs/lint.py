"""Spec lint: everything that can be checked from a spec file alone.

Traceability against a conformance suite (a requirement verified by test that no test covers, a
test naming no or an unknown requirement) needs the suite, so it lives in
:mod:`orbitcert.conformance.traceability`; ``orbitcert specs lint`` runs both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import ValidationError

from .errors import PredicateError, SpecError, from_validation_error
from .ics import predicate_probes
from .loader import LoadedSpec
from .model import Spec, Status, version_key
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
            add(
                "OC106",
                f"{spec.status.value} spec has no recorded digest: it was not published with orbitcert specs publish "
                f"(set status: candidate, then run: orbitcert specs publish {doc.path})",
                ("status",),
            )
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



#: Statuses of versions whose ids are settled: what they defined is never reused.
SETTLED = (Status.published, Status.deprecated, Status.withdrawn)


def version_findings(loaded: LoadedSpec, others: Sequence[LoadedSpec]) -> list[Finding]:
    """Checks of one version against the other versions of its spec (``others``; the version
    itself, if among them, is skipped): stable ids (OC112, OC113, OC114; only published,
    deprecated and withdrawn versions settle ids), the version bump against the previous
    published version (OC115, for versions not yet published: a published bump is history, which
    ``specs diff`` still shows) and the lifecycle fields (OC116)."""
    spec, doc = loaded.spec, loaded.document
    out: list[Finding] = []

    def add(code: str, message: str, loc: tuple[int | str, ...]) -> None:
        out.append(Finding(doc.path, doc.line_of(loc), code, message, ".".join(map(str, loc))))

    same = sorted(
        (o for o in others if o.spec.id == spec.id and o.spec.version != spec.version),
        key=lambda o: version_key(o.spec.version),
    )
    earlier = [o for o in same if version_key(o.spec.version) < version_key(spec.version)]
    own = {"requirement": {r.id: ri for ri, r in enumerate(spec.requirements)}, "ics": {i.id: ii for ii, i in enumerate(spec.ics)}}
    section = {"requirement": "requirements", "ics": "ics"}
    retired = {(r.kind, r.id): ri for ri, r in enumerate(spec.retired)}
    ever: dict[tuple[str, str], str] = {}  # (kind, id) -> first version defining it
    for o in earlier:
        for kind, ids in (("requirement", [r.id for r in o.spec.requirements]), ("ics", [i.id for i in o.spec.ics])):
            for i in ids:
                ever.setdefault((kind, i), o.spec.version)
    for o in earlier:
        if o.spec.status not in SETTLED:
            continue  # a draft's or candidate's ids are not settled yet
        for r in o.spec.retired:
            if r.id in own[r.kind]:
                add("OC112", f"{r.kind} id {r.id} was retired in {r.retired_in} ({o.spec.ref} says so) and is "
                    "defined again: an id is never reused; give it a new id", (section[r.kind], own[r.kind][r.id], "id"))
            elif (r.kind, r.id) not in retired:
                add("OC113", f"{r.kind} id {r.id} retired in {r.retired_in} is no longer listed in 'retired' "
                    f"({o.spec.ref} lists it): retired ids stay listed", ("retired",))
        items = {i.id: i for i in spec.ics}
        for item in o.spec.ics:
            if item.id in items and items[item.id].type is not item.type:
                add("OC112", f"ICS item {item.id} is a {item.type.value} in {o.spec.ref} and a "
                    f"{items[item.id].type.value} here: an id keeps its meaning; retire it and add a new id",
                    ("ics", own["ics"][item.id], "type"))
        for kind, ids in (("requirement", [r.id for r in o.spec.requirements]), ("ics", [i.id for i in o.spec.ics])):
            for i in ids:
                if i not in own[kind] and (kind, i) not in retired:
                    add("OC113", f"{kind} id {i} of {o.spec.ref} is neither defined here nor listed in 'retired' "
                        f"(add: {{id: {i}, kind: {kind}, retired_in: {spec.version}}})", (section[kind],))
    for (kind, i), ri in retired.items():
        entry = spec.retired[ri]
        if i in own[kind]:
            add("OC114", f"retired {kind} id {i} is still defined in this version", ("retired", ri, "id"))
        elif (kind, i) not in ever:
            add("OC114", f"retired {kind} id {i} is not defined by any earlier version in the catalog", ("retired", ri, "id"))
        if version_key(entry.retired_in) > version_key(spec.version):
            add("OC114", f"{i} is retired in {entry.retired_in}, after this version", ("retired", ri, "retired_in"))
        if entry.replaced_by and entry.replaced_by not in own[kind]:
            add("OC114", f"{i} is replaced by {entry.replaced_by}, which this version does not define",
                ("retired", ri, "replaced_by"))
    previous = [o for o in earlier if o.spec.status in SETTLED]
    if previous and spec.status not in SETTLED:
        from .diff import diff_specs

        # The previous published version, and the previous release when that one is a
        # pre-release (after which anything may change): a pre-release never launders a change.
        releases = [o for o in previous if "-" not in o.spec.version]
        bases = {o.spec.ref: o for o in [previous[-1], *releases[-1:]]}.values()
        for base in bases:
            d = diff_specs(base.spec, spec)
            if not d.ok:
                add("OC115", f"{d.problem()}; run: orbitcert specs diff {base.spec.ref} {doc.path}", ("version",))
                break
    refs = {o.spec.ref for o in same}
    if spec.status in (Status.deprecated, Status.withdrawn) and not spec.replaced_by:
        add("OC116", f"a {spec.status.value} version names no replacement: add replaced_by: {spec.id}@VERSION", ("status",))
    if spec.replaced_by:
        if spec.status not in (Status.deprecated, Status.withdrawn):
            add("OC116", f"replaced_by on a {spec.status.value} version: set status deprecated or withdrawn", ("replaced_by",))
        if spec.replaced_by not in refs:
            add("OC116", f"replacement {spec.replaced_by} is not in the catalog", ("replaced_by",))
    return out

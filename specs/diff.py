"""What changed between two versions of a spec, and which semver bump the change requires.

``orbitcert specs diff ID@A ID@B`` prints :func:`diff_specs`; ``--check`` fails when B's version
number moves less than its changes require. The rules (DESIGN.md "Versioning rules") are written
from the side of a product certified against A and of the ICS files, adapters and reports made
for A:

MAJOR (something made for A may stop working or stop being conformant)
    a requirement, class, ICS item, parameter or interface operation removed; a requirement's
    level raised, its class or ``applies_if`` changed or removed; a SHALL added to a class A had,
    unless gated by an ICS item new in B; an ICS item that becomes mandatory (or is added as
    mandatory), narrowed allowed values or range, a changed type, unit or condition; a class
    gaining a dependency; a parameter's value changed (other than by adding entries); an
    operation's argument or result schema changed other than by widening an argument ``enum``,
    its time limit lowered, or an operation added for a class A had.
MINOR (additions a product may ignore until it claims them)
    a class; a SHOULD or MAY requirement, or a SHALL in a new class or gated by new ICS items; an
    optional or conditional ICS item, widened values or range, an item relaxed from mandatory; a
    parameter, or entries appended to a parameter's list or added to its table; an operation for
    new classes, new classes on an operation, a widened argument ``enum``, a longer time limit;
    a level lowered, an ``applies_if`` added (the requirement applies to fewer products), a
    changed verification method, a requirement deprecated; a class dependency dropped.
PATCH (editorial)
    text, titles, descriptions, questions, clauses, references, ``supersedes``, replacement
    pointers, the ``retired`` list, defaults.

The lifecycle fields (``status``, ``published``, ``replaced_by``, ``notice``, ``digest``) are not
content and never count. Versions below 1.0.0 follow semver item 4: anything may change in a
0.y minor bump, so there a MINOR bump covers MAJOR changes; so may anything after a pre-release
(semver item 9). An ICS item added as conditional counts as mandatory unless its condition reads
only items new in the version and is false when they are unanswered; the same test decides
whether a new SHALL is "gated by new ICS items". ICS status changes are MINOR only towards O.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from .model import LEVEL_RANK, IcsItem, IcsStatus, Operation, Requirement, Spec, version_key
from .predicate import parse_predicate

__all__ = ["Bump", "Change", "SpecDiff", "diff_specs", "render_diff_markdown", "version_bump"]


class Bump(IntEnum):
    """A semver increment, ordered: a larger bump covers every smaller one."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3


@dataclass(frozen=True)
class Change:
    """One change: ``kind`` is ``<part>.<what>`` (``requirement.level-raised``), ``subject`` the id."""

    kind: str
    subject: str
    bump: Bump
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "subject": self.subject, "bump": self.bump.name, "detail": self.detail}


@dataclass(frozen=True)
class SpecDiff:
    """Every change from ``old`` to ``new`` (two versions of one spec) with the bumps."""

    old: str
    new: str
    old_version: str
    new_version: str
    changes: list[Change] = field(default_factory=list)

    @property
    def required(self) -> Bump:
        """The smallest bump that covers every change."""
        return max((c.bump for c in self.changes), default=Bump.NONE)

    @property
    def actual(self) -> Bump:
        """The bump the version numbers make (:func:`version_bump`)."""
        return version_bump(self.old_version, self.new_version)

    @property
    def later(self) -> bool:
        """True when ``new`` is a later version than ``old``."""
        return version_key(self.new_version) > version_key(self.old_version)

    @property
    def ok(self) -> bool:
        """True when ``new`` is later and its version number covers its changes."""
        return self.later and self.actual >= self.required

    def problem(self) -> str | None:
        """Why :attr:`ok` is False, in one sentence (None when it is True)."""
        if not self.later:
            return f"{self.new} is not a later version than {self.old}"
        if self.actual < self.required:
            worst = [c for c in self.changes if c.bump == self.required]
            return (
                f"{self.new} is a {self.actual.name} bump of {self.old} but its changes require {self.required.name} "
                f"({len(worst)} change(s), e.g. {worst[0].kind} {worst[0].subject}: {worst[0].detail})"
            )
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "required": self.required.name,
            "actual": self.actual.name,
            "ok": self.ok,
            "problem": self.problem(),
            "counts": {b.name: sum(c.bump == b for c in self.changes) for b in (Bump.MAJOR, Bump.MINOR, Bump.PATCH)},
            "changes": [c.to_json() for c in self.changes],
        }


def version_bump(old: str, new: str) -> Bump:
    """The increment from version ``old`` to ``new`` (NONE when ``new`` is not later). Below
    1.0.0 a minor increment counts as MAJOR (semver item 4), and so does any step from a
    pre-release, which promises no compatibility (semver item 9): ``1.1.0-rc.1 -> 1.1.0`` may
    change anything; ``1.1.0 -> 1.1.1-rc.1`` is a PATCH."""
    if version_key(new) <= version_key(old):
        return Bump.NONE
    if "-" in old:
        return Bump.MAJOR
    (a_major, a_minor, a_patch), (b_major, b_minor, b_patch) = (
        tuple(int(x) for x in v.partition("-")[0].split(".")) for v in (old, new)
    )
    if b_major != a_major:
        return Bump.MAJOR
    if b_minor != a_minor:
        return Bump.MAJOR if a_major == 0 else Bump.MINOR
    return Bump.PATCH


# --- the comparison --------------------------------------------------------------------------------

#: Keys of a JSON Schema that only document it.
_EDITORIAL_SCHEMA_KEYS = frozenset({"description", "title", "examples", "$comment", "default"})


def _short(value: Any, limit: int = 60) -> str:
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _extends(old: Any, new: Any) -> bool:
    """True when ``new`` only adds to ``old``: tables gain keys, lists gain items at their end,
    everything already there unchanged (recursively)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return all(k in new and _extends(v, new[k]) for k, v in old.items())
    if isinstance(old, list) and isinstance(new, list):
        return len(new) >= len(old) and all(_same(a, b) for a, b in zip(old, new))
    return _same(old, new)


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps ``1``, ``1.0`` and ``True`` apart (JSON types matter in a spec)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


def _same_predicate(a: str | None, b: str | None) -> bool:
    """Two predicates are the same when they parse to the same expression (spacing and
    redundant parentheses do not count)."""
    if a is None or b is None:
        return a is b
    return bool(ast.dump(ast.parse(a.strip(), mode="eval")) == ast.dump(ast.parse(b.strip(), mode="eval")))


def _schema_bump(old: Any, new: Any, widening_ok: bool) -> Bump:
    """The bump of a change of a JSON Schema: editorial keys are PATCH, an ``enum`` that only
    gains values is MINOR when ``widening_ok``, anything else MAJOR. An argument enum gains
    values a product is sent only when it claims what needs them; a result enum that gains
    values still accepts every result an old product gives."""
    if _same(old, new):
        return Bump.NONE
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        bump = Bump.NONE
        for key in old.keys() | new.keys():
            a, b = old.get(key), new.get(key)
            if _same(a, b):
                continue
            if key in _EDITORIAL_SCHEMA_KEYS:
                bump = max(bump, Bump.PATCH)
            elif key == "enum" and widening_ok and isinstance(a, list) and isinstance(b, list):
                bump = max(bump, Bump.MINOR if all(any(_same(x, y) for y in b) for x in a) else Bump.MAJOR)
            elif key not in old or key not in new:
                return Bump.MAJOR
            else:
                bump = max(bump, _schema_bump(a, b, widening_ok))
        return bump
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return max((_schema_bump(a, b, widening_ok) for a, b in zip(old, new)), default=Bump.NONE)
    return Bump.MAJOR


class _Differ:
    def __init__(self, old: Spec, new: Spec) -> None:
        self.old, self.new = old, new
        self.changes: list[Change] = []
        self.new_classes = {c.id for c in new.classes} - {c.id for c in old.classes}
        self.new_items = {i.id for i in new.ics} - {i.id for i in old.ics}

    def add(self, kind: str, subject: str, bump: Bump, detail: str) -> None:
        self.changes.append(Change(kind, subject, bump, detail))

    def run(self) -> list[Change]:
        self.metadata()
        self.classes()
        self.requirements()
        self.ics()
        self.parameters()
        self.interface()
        order = {b: i for i, b in enumerate((Bump.MAJOR, Bump.MINOR, Bump.PATCH, Bump.NONE))}
        return sorted(self.changes, key=lambda c: order[c.bump])  # stable: spec order within a bump

    def metadata(self) -> None:
        o, n = self.old, self.new
        if o.title != n.title:
            self.add("spec.title", n.id, Bump.PATCH, f"title now {_short(n.title)!r}")
        if o.supersedes != n.supersedes:
            self.add("spec.supersedes", n.id, Bump.PATCH, f"supersedes {n.supersedes or '-'}")
        old_refs, new_refs = {r.id: r for r in o.references}, {r.id: r for r in n.references}
        for rid in new_refs.keys() - old_refs.keys():
            self.add("reference.added", rid, Bump.PATCH, _short(new_refs[rid].title))
        for rid in old_refs.keys() - new_refs.keys():
            self.add("reference.removed", rid, Bump.PATCH, _short(old_refs[rid].title))
        for rid in old_refs.keys() & new_refs.keys():
            if old_refs[rid] != new_refs[rid]:
                self.add("reference.changed", rid, Bump.PATCH, "title or sections changed")
        if [r.model_dump() for r in o.retired] != [r.model_dump() for r in n.retired]:
            added = [r.id for r in n.retired if r.id not in {x.id for x in o.retired}]
            self.add("spec.retired", n.id, Bump.PATCH, f"retired list now names {', '.join(added) or 'other entries'}")

    def classes(self) -> None:
        old, new = {c.id: c for c in self.old.classes}, {c.id: c for c in self.new.classes}
        for cid, c in new.items():
            if cid not in old:
                self.add("class.added", cid, Bump.MINOR, f"{c.kind} class {_short(c.title)!r}")
        for cid in old.keys() - new.keys():
            self.add("class.removed", cid, Bump.MAJOR, "class removed")
        for cid in old.keys() & new.keys():
            a, b = old[cid], new[cid]
            if a.kind != b.kind:
                self.add(
                    "class.kind", cid, Bump.MAJOR if b.kind == "core" else Bump.MINOR, f"kind {a.kind} -> {b.kind}"
                )
            gained, lost = set(b.depends_on) - set(a.depends_on), set(a.depends_on) - set(b.depends_on)
            if gained:
                self.add("class.depends-added", cid, Bump.MAJOR, f"now depends on {', '.join(sorted(gained))}")
            if lost:
                self.add("class.depends-removed", cid, Bump.MINOR, f"no longer depends on {', '.join(sorted(lost))}")
            if (a.title, a.description) != (b.title, b.description):
                self.add("class.text", cid, Bump.PATCH, "title or description edited")

    def _optional(self, r: Requirement) -> str | None:
        """Why adding ``r`` cannot break a product certified against the old version (None if it can)."""
        if r.level.value != "SHALL":
            return f"level {r.level.value}"
        if r.class_ in self.new_classes:
            return f"in new class {r.class_}"
        if r.applies_if and self._false_for_old_products(r.applies_if):
            names = sorted(parse_predicate(r.applies_if).names)
            return f"applies only with new ICS item(s) {', '.join(names)}"
        return None

    def requirements(self) -> None:
        old, new = {r.id: r for r in self.old.requirements}, {r.id: r for r in self.new.requirements}
        for rid, r in new.items():
            if rid in old:
                continue
            why = self._optional(r)
            if why:
                self.add("requirement.added", rid, Bump.MINOR, f"{r.level.value}, class {r.class_} ({why})")
            else:
                self.add("requirement.added", rid, Bump.MAJOR, f"new SHALL in existing class {r.class_}")
        retired = {x.id: x for x in self.new.retired}
        for rid in old.keys() - new.keys():
            note = f" (retired, replaced by {retired[rid].replaced_by})" if rid in retired and retired[rid].replaced_by else ""
            self.add("requirement.removed", rid, Bump.MAJOR, f"requirement removed{note}")
        for rid in [r for r in old if r in new]:
            self.requirement(old[rid], new[rid])

    def requirement(self, a: Requirement, b: Requirement) -> None:
        rid = a.id
        if a.level != b.level:
            raised = LEVEL_RANK[b.level] > LEVEL_RANK[a.level]
            self.add(
                "requirement.level-raised" if raised else "requirement.level-lowered", rid,
                Bump.MAJOR if raised else Bump.MINOR, f"{a.level.value} -> {b.level.value}",
            )
        if a.class_ != b.class_:
            self.add("requirement.class", rid, Bump.MAJOR, f"class {a.class_} -> {b.class_}")
        if not _same_predicate(a.applies_if, b.applies_if):
            if a.applies_if is None:
                self.add("requirement.applies-if-added", rid, Bump.MINOR, f"now applies only if {b.applies_if}")
            elif b.applies_if is None:
                self.add("requirement.applies-if-removed", rid, Bump.MAJOR, f"no longer gated by {a.applies_if}")
            else:
                self.add("requirement.applies-if", rid, Bump.MAJOR, f"applies if {a.applies_if} -> {b.applies_if}")
        if a.verification != b.verification:
            self.add(
                "requirement.verification", rid, Bump.MINOR, f"verified by {a.verification.value} -> {b.verification.value}"
            )
        if a.statistical != b.statistical:
            self.add("requirement.statistical", rid, Bump.MINOR, f"statistical {a.statistical} -> {b.statistical}")
        if a.deprecated_in != b.deprecated_in:
            self.add("requirement.deprecated", rid, Bump.MINOR, f"deprecated in {b.deprecated_in or '-'}")
        if a.replaced_by != b.replaced_by:
            self.add("requirement.replaced-by", rid, Bump.PATCH, f"replaced by {b.replaced_by or '-'}")
        if a.text != b.text:
            self.add("requirement.text", rid, Bump.PATCH, "text edited")
        if a.clause != b.clause:
            self.add("requirement.clause", rid, Bump.PATCH, f"clause {a.clause or '-'} -> {b.clause or '-'}")

    def ics(self) -> None:
        old, new = {i.id: i for i in self.old.ics}, {i.id: i for i in self.new.ics}
        for iid, item in new.items():
            if iid not in old:
                required = self._may_be_required(item)
                self.add(
                    "ics.added", iid, Bump.MAJOR if required else Bump.MINOR,
                    f"{required or 'status ' + item.status.value} {item.type.value} item",
                )
        for iid in old.keys() - new.keys():
            self.add("ics.removed", iid, Bump.MAJOR, "ICS item removed")
        for iid in [i for i in old if i in new]:
            self.ics_item(old[iid], new[iid])

    def _may_be_required(self, item: IcsItem) -> str | None:
        """Why an old product's ICS may lack a required answer to the new ``item`` (None if it cannot)."""
        if item.status is IcsStatus.M:
            return "mandatory"
        if item.status is IcsStatus.C and item.condition:
            if not self._false_for_old_products(item.condition):
                return f"conditional ({item.condition}), which an old product's answers can meet"
        return None

    def _false_for_old_products(self, source: str) -> bool:
        """True when predicate ``source`` reads only ICS items new in this version and is false for
        an ICS that does not answer them (booleans false, sets empty, others absent): no product
        made for the old version can meet it."""
        predicate = parse_predicate(source)
        if not predicate.names or not predicate.names <= self.new_items:
            return False
        unanswered: dict[str, Any] = {}
        for i in self.new.ics:
            if i.id in predicate.names and i.type.value in ("boolean", "set"):
                unanswered[i.id] = False if i.type.value == "boolean" else []
        try:
            return not predicate.evaluate(unanswered)
        except ValueError:  # PredicateError: cannot tell
            return False

    def ics_item(self, a: IcsItem, b: IcsItem) -> None:
        iid = a.id
        if a.type != b.type:
            self.add("ics.type", iid, Bump.MAJOR, f"type {a.type.value} -> {b.type.value}")
        if a.status != b.status:
            relaxed = b.status is IcsStatus.O  # M, C or X -> O: every old answer (or none) stays valid
            self.add("ics.status", iid, Bump.MINOR if relaxed else Bump.MAJOR, f"status {a.status.value} -> {b.status.value}")
        if not _same_predicate(a.condition, b.condition) and a.status is IcsStatus.C and b.status is IcsStatus.C:
            self.add("ics.condition", iid, Bump.MAJOR, f"condition {a.condition} -> {b.condition}")
        old_values, new_values = list(a.values or []), list(b.values or [])
        lost = [v for v in old_values if v not in new_values]
        gained = [v for v in new_values if v not in old_values]
        if lost:
            self.add("ics.values-narrowed", iid, Bump.MAJOR, f"values {lost} no longer allowed")
        if gained:
            self.add("ics.values-widened", iid, Bump.MINOR, f"values {gained} now allowed")
        for bound in ("minimum", "maximum"):
            x, y = getattr(a, bound), getattr(b, bound)
            if x == y:
                continue
            tighter = x is not None and y is not None and (y > x if bound == "minimum" else y < x)
            narrowed = (x is None and y is not None) or tighter
            self.add(
                "ics.range-narrowed" if narrowed else "ics.range-widened", iid,
                Bump.MAJOR if narrowed else Bump.MINOR, f"{bound} {x} -> {y}",
            )
        if a.unit != b.unit:
            self.add("ics.unit", iid, Bump.MAJOR, f"unit {a.unit or '-'} -> {b.unit or '-'}")
        if (a.question, a.clause) != (b.question, b.clause) or not _same(a.default, b.default):
            self.add("ics.text", iid, Bump.PATCH, "question, clause or default edited")

    def parameters(self) -> None:
        old, new = self.old.parameters, self.new.parameters
        for name in new.keys() - old.keys():
            self.add("parameter.added", name, Bump.MINOR, _short(new[name].description))
        for name in old.keys() - new.keys():
            self.add("parameter.removed", name, Bump.MAJOR, "parameter removed")
        for name in sorted(old.keys() & new.keys()):
            a, b = old[name], new[name]
            if not _same(a.value, b.value):
                if _extends(a.value, b.value):
                    self.add("parameter.extended", name, Bump.MINOR, "entries added, existing ones unchanged")
                else:
                    self.add("parameter.value", name, Bump.MAJOR, f"value {_short(a.value, 30)} -> {_short(b.value, 30)}")
            if a.unit != b.unit:
                self.add("parameter.unit", name, Bump.MAJOR, f"unit {a.unit or '-'} -> {b.unit or '-'}")
            if (a.description, a.clause) != (b.description, b.clause):
                self.add("parameter.text", name, Bump.PATCH, "description or clause edited")

    def interface(self) -> None:
        old = {o.name: o for o in self.old.interface.operations}
        new = {o.name: o for o in self.new.interface.operations}
        for name, op in new.items():
            if name in old:
                continue
            only_new = set(op.classes) <= self.new_classes
            self.add(
                "operation.added", name, Bump.MINOR if only_new else Bump.MAJOR,
                f"for {'new ' if only_new else ''}class(es) {', '.join(op.classes)}",
            )
        for name in old.keys() - new.keys():
            self.add("operation.removed", name, Bump.MAJOR, "operation removed")
        for name in [n for n in old if n in new]:
            self.operation(old[name], new[name])

    def operation(self, a: Operation, b: Operation) -> None:
        name = a.name
        gained, lost = set(b.classes) - set(a.classes), set(a.classes) - set(b.classes)
        if gained or lost:
            fine = not lost and gained <= self.new_classes
            self.add(
                "operation.classes", name, Bump.MINOR if fine else Bump.MAJOR,
                f"classes +{sorted(gained)} -{sorted(lost)}",
            )
        for part, widening_ok in (("arguments", True), ("result", True)):
            bump = _schema_bump(getattr(a, part), getattr(b, part), widening_ok)
            if bump is not Bump.NONE:
                what = {Bump.PATCH: "documentation edited", Bump.MINOR: "enum widened"}.get(bump, "schema changed")
                self.add(f"operation.{part}", name, bump, what)
        if a.timeout != b.timeout:
            longer = b.timeout is not None and a.timeout is not None and b.timeout > a.timeout
            self.add("operation.timeout", name, Bump.MINOR if longer else Bump.MAJOR, f"timeout {a.timeout} -> {b.timeout}")
        if a.description != b.description:
            self.add("operation.text", name, Bump.PATCH, "description edited")


def diff_specs(old: Spec, new: Spec) -> SpecDiff:
    """Every change from ``old`` to ``new``, classified (see the module docstring). ``old`` and
    ``new`` should be versions of one spec; a different id is compared all the same."""
    return SpecDiff(old.ref, new.ref, old.version, new.version, _Differ(old, new).run())


# --- rendering ---------------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_line(d: SpecDiff) -> str:
    """``3 changes (1 MINOR, 2 PATCH): requires a MINOR bump; 1.0.0 -> 1.1.0 is MINOR.``"""
    counts = [(b, sum(c.bump == b for c in d.changes)) for b in (Bump.MAJOR, Bump.MINOR, Bump.PATCH)]
    parts = ", ".join(f"{n} {b.name}" for b, n in counts if n)
    head = f"{len(d.changes)} change(s)" + (f" ({parts})" if parts else "")
    verdict = "" if d.ok else f" **{d.problem()}**"
    return (
        f"{head}: requires a {d.required.name} bump; {d.old_version} -> {d.new_version} is "
        f"{d.actual.name if d.later else 'not later'}.{verdict}"
    )


def render_diff_markdown(d: SpecDiff, heading_level: int = 2, title: str | None = None) -> str:
    """A Markdown section: heading, summary line and a table of changes (most severe first)."""
    out = [f"{'#' * heading_level} {title or f'Changes since {d.old_version}'}", "", summary_line(d), ""]
    if d.changes:
        out += ["| Bump | Change | Subject | Detail |", "|---|---|---|---|"]
        out += [f"| {c.bump.name} | `{_md_cell(c.kind)}` | `{_md_cell(c.subject)}` | {_md_cell(c.detail)} |" for c in d.changes]
    return "\n".join(out).rstrip() + "\n"


def changed_requirements(d: SpecDiff, bumps: Iterable[Bump] = (Bump.MAJOR, Bump.MINOR, Bump.PATCH)) -> set[str]:
    """Ids of requirements of the new version that an entry of ``d`` added or changed."""
    wanted = set(bumps)
    return {c.subject for c in d.changes if c.kind.startswith("requirement.") and c.kind != "requirement.removed" and c.bump in wanted}

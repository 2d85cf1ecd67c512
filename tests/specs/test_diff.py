"""``orbitcert specs diff`` (specs/diff.py): every versioning rule on a fixture pair, checked three ways.

1. The table ``EDITS`` applies one edit to ``diff_fixtures/base.yaml`` per rule of the module
   docstring of :mod:`orbitcert.specs.diff` (both directions where the direction matters) and
   states the exact set of ``(kind, subject, bump)`` the diff must report; a meta-test checks that
   every ``kind`` the differ can emit is exercised.
2. Independent oracles for the MAJOR rule ("something made for A may stop working or stop being
   conformant"): an ICS written for A is validated against B with the ICS validator
   (specs/ics.py), and the harness's applicability function (conformance/verdicts.py) says
   whether a product made for A meets a SHALL it did not have to meet under A. Either event
   forces MAJOR, whatever the differ's own rules say.
3. Version numbers against the semver 2.0.0 text (semver.org items 4, 7, 8, 9, 11); the real
   catalog (net-optical-isl 1.0.0 -> 1.1.0); the CLI ``orbitcert specs diff`` (exit codes, formats).

Tests marked ``xfail(strict=True)`` document classifications we believe are wrong (see each reason).
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from orbitcert.conformance.verdicts import requirement_applicability
from orbitcert.specs import diff as diff_module
from orbitcert.specs.diff import Bump, SpecDiff, changed_requirements, diff_specs, render_diff_markdown, version_bump
from orbitcert.specs.errors import IcsError
from orbitcert.specs.ics import Ics, load_ics, load_ics_text
from orbitcert.specs.lint import lint_spec
from orbitcert.specs.loader import load_ref, load_spec_document
from orbitcert.specs.model import IcsStatus, IcsType, Level, Spec, version_key
from orbitcert.specs.predicate import parse_predicate
from orbitcert.specs.yamlio import dump_yaml, load_yaml_text

MAJOR, MINOR, PATCH, NONE = Bump.MAJOR, Bump.MINOR, Bump.PATCH, Bump.NONE
FIXTURES = Path(__file__).parent / "diff_fixtures"
BASE_FILE = FIXTURES / "base.yaml"
SPEC_ID = "demo-diff"
#: The new version that exactly covers a required bump (from base 1.0.0).
VERSION_FOR = {MAJOR: "2.0.0", MINOR: "1.1.0", PATCH: "1.0.1", NONE: "1.0.1"}

Data = dict[str, Any]
Mutation = Callable[[Data], None]
Expected = frozenset[tuple[str, str, Bump]]


def _load_base() -> Data:
    data = load_yaml_text(BASE_FILE.read_text(encoding="utf-8"), str(BASE_FILE)).data
    assert isinstance(data, dict)
    return data


_BASE = _load_base()


def base() -> Data:
    return copy.deepcopy(_BASE)


def spec_of(data: Data, version: str | None = None) -> Spec:
    data = copy.deepcopy(data)
    if version is not None:
        data["version"] = version
    return Spec.model_validate(data)


# --- finding and changing parts of a spec document -------------------------------------------------


def _find(entries: list[Data], key: str, value: str) -> Data:
    return next(e for e in entries if e[key] == value)


def req(d: Data, rid: str) -> Data:
    return _find(d["requirements"], "id", rid)


def item(d: Data, iid: str) -> Data:
    return _find(d["ics"], "id", iid)


def op(d: Data, name: str) -> Data:
    return _find(d["interface"]["operations"], "name", name)


def klass(d: Data, cid: str) -> Data:
    return _find(d["classes"], "id", cid)


def param(d: Data, name: str) -> Data:
    return d["parameters"][name]  # type: ignore[no-any-return]


def set_(get: Callable[[Data], Data], **fields: Any) -> Mutation:
    """Set (or, with value ``DROP``, delete) fields of the part ``get`` finds."""

    def mutate(d: Data) -> None:
        part = get(d)
        for key, value in fields.items():
            key = {"class_": "class"}.get(key, key)
            if value is DROP:
                part.pop(key, None)
            else:
                part[key] = copy.deepcopy(value)

    return mutate


DROP = object()


def top(**fields: Any) -> Mutation:
    return set_(lambda d: d, **fields)


def append(section: Callable[[Data], list[Data]], entry: Data) -> Mutation:
    def mutate(d: Data) -> None:
        section(d).append(copy.deepcopy(entry))

    return mutate


def remove(section: Callable[[Data], list[Data]], key: str, value: str) -> Mutation:
    def mutate(d: Data) -> None:
        entries = section(d)
        entries[:] = [e for e in entries if e[key] != value]

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(d: Data) -> None:
        for m in mutations:
            m(d)

    return mutate


def _reqs(d: Data) -> list[Data]:
    return d["requirements"]  # type: ignore[no-any-return]


def _ics(d: Data) -> list[Data]:
    return d["ics"]  # type: ignore[no-any-return]


def _classes(d: Data) -> list[Data]:
    return d["classes"]  # type: ignore[no-any-return]


def _ops(d: Data) -> list[Data]:
    return d["interface"]["operations"]  # type: ignore[no-any-return]


def _refs(d: Data) -> list[Data]:
    return d["references"]  # type: ignore[no-any-return]


def add_req(rid: str, level: str, cls: str, applies_if: str | None = None) -> Mutation:
    entry: Data = {"id": rid, "level": level, "class": cls, "text": f"New {level} requirement {rid}."}
    if applies_if:
        entry["applies_if"] = applies_if
    return append(_reqs, entry)


def add_class(cid: str, kind: str = "extended") -> Mutation:
    return append(_classes, {"id": cid, "title": f"Class {cid}", "kind": kind})


def add_item(iid: str, status: str, type_: str = "boolean", **extra: Any) -> Mutation:
    return append(_ics, {"id": iid, "question": f"Question {iid}?", "status": status, "type": type_, **extra})


def add_op(name: str, cls: str | list[str]) -> Mutation:
    return append(
        _ops, {"name": name, "class": cls, "description": f"Operation {name}.", "arguments": {"type": "object"},
               "result": {"type": "boolean"}},
    )


def set_param(name: str, value: Any) -> Mutation:
    def mutate(d: Data) -> None:
        d["parameters"][name]["value"] = copy.deepcopy(value)

    return mutate


def schema_at(op_name: str, part: str, *path: str) -> Callable[[Data], Data]:
    def get(d: Data) -> Data:
        node: Data = op(d, op_name)[part]
        for key in path:
            node = node[key]
        return node

    return get


# --- the table of fixture pairs --------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """One fixture pair: ``old`` (base, optionally changed by ``old_edit``) -> ``old`` + ``edit``."""

    name: str
    edit: Mutation
    expected: Expected
    old_edit: Mutation | None = None
    #: Touches a part no other composable edit touches: combinations are the union of singles.
    composable: bool = False
    #: Set when an independent oracle disagrees with the differ on this pair (see the xfail tests).
    oracle_xfail: str | None = None

    @property
    def required(self) -> Bump:
        return max((b for _, _, b in self.expected), default=NONE)

    def pair(self, new_version: str | None = None) -> tuple[Spec, Spec]:
        old = base()
        if self.old_edit:
            self.old_edit(old)
        new = copy.deepcopy(old)
        self.edit(new)
        return spec_of(old), spec_of(new, new_version or VERSION_FOR[self.required])


def E(name: str, edit: Mutation, *expected: tuple[str, str, Bump], **kw: Any) -> Edit:
    return Edit(name, edit, frozenset(expected), **kw)



EDITS: list[Edit] = [
    # Lifecycle fields are not content: never a change.
    E("lifecycle: status", top(status="published")),
    E("lifecycle: published date", top(published="2026-11-26")),
    E("lifecycle: replaced_by", top(replaced_by="demo-diff@2.0.0")),
    E("lifecycle: notice", top(notice="Withdrawn: use 2.0.0.")),
    E("lifecycle: digest", top(digest="sha256:" + "ab" * 32)),
    E("lifecycle: all at once", top(status="withdrawn", published="2026-01-01", replaced_by="demo-diff@2.0.0",
                                     notice="gone", digest="sha256:" + "0" * 64)),
    # (ICS items keep each condition after the items it reads: lint OC103, and the ICS validator
    # resolves answers in proforma order.)
    E("order only: requirements, items, classes, dict keys",
      both(lambda d: d["requirements"].reverse(), lambda d: d["ics"].insert(0, d["ics"].pop(2)),
           lambda d: d["classes"].reverse(),
           set_param("depth_table", {"long": 4, "short": 1}), set_(lambda d: item(d, "depths"), values=[4, 2, 1]))),
    # Metadata: PATCH.
    E("spec title", top(title="Demo spec, edited"), ("spec.title", SPEC_ID, PATCH), composable=True),
    E("supersedes", top(supersedes="demo-diff@0.9.0"), ("spec.supersedes", SPEC_ID, PATCH)),
    E("reference added", append(_refs, {"id": "CCSDS 132.0-B-3", "title": "TM SDLP"}),
      ("reference.added", "CCSDS 132.0-B-3", PATCH)),
    E("reference removed", remove(_refs, "id", "CCSDS 131.0-B-3"), ("reference.removed", "CCSDS 131.0-B-3", PATCH)),
    E("reference sections changed", set_(lambda d: d["references"][0], sections=["4", "9"]),
      ("reference.changed", "CCSDS 131.0-B-3", PATCH), composable=True),
    E("retired list", top(retired=[{"id": "DD-OLD-001", "retired_in": "1.0.0", "replaced_by": "DD-BAS-001"}]),
      ("spec.retired", SPEC_ID, PATCH)),
    # Classes.
    E("class added", add_class("bonus"), ("class.added", "bonus", MINOR)),
    E("class removed (with its requirements and operation)",
      both(remove(_classes, "id", "extra"), remove(_reqs, "class", "extra"), remove(_ops, "class", "extra")),
      ("class.removed", "extra", MAJOR), ("requirement.removed", "DD-EXT-001", MAJOR),
      ("requirement.removed", "DD-EXT-002", MAJOR), ("operation.removed", "status", MAJOR)),
    E("class kind extended -> core", set_(lambda d: klass(d, "extra"), kind="core"), ("class.kind", "extra", MAJOR)),
    E("class kind core -> extended", set_(lambda d: klass(d, "basic"), kind="extended"), ("class.kind", "basic", MINOR)),
    E("class gains a dependency", set_(lambda d: klass(d, "basic"), depends_on=["extra"]),
      ("class.depends-added", "basic", MAJOR)),
    E("class drops a dependency", set_(lambda d: klass(d, "extra"), depends_on=[]),
      ("class.depends-removed", "extra", MINOR), composable=True),
    E("class title and description", set_(lambda d: klass(d, "extra"), title="Extra", description="Edited."),
      ("class.text", "extra", PATCH), composable=True),
    # Requirements added: which SHALLs may be added in a MINOR version.
    E("SHALL added in an existing class", add_req("DD-NEW-001", "SHALL", "basic"),
      ("requirement.added", "DD-NEW-001", MAJOR), composable=True),
    E("SHALL added in an existing extended class", add_req("DD-NEW-011", "SHALL", "extra"),
      ("requirement.added", "DD-NEW-011", MAJOR)),
    E("SHOULD added in an existing class", add_req("DD-NEW-002", "SHOULD", "basic"),
      ("requirement.added", "DD-NEW-002", MINOR), composable=True),
    E("MAY added in an existing class", add_req("DD-NEW-003", "MAY", "extra"), ("requirement.added", "DD-NEW-003", MINOR)),
    E("SHALL added in a new class", both(add_class("bonus"), add_req("DD-NEW-004", "SHALL", "bonus")),
      ("class.added", "bonus", MINOR), ("requirement.added", "DD-NEW-004", MINOR)),
    E("SHALL added gated by a new O item", both(add_item("feature_y", "O"), add_req("DD-NEW-005", "SHALL", "basic", "feature_y")),
      ("ics.added", "feature_y", MINOR), ("requirement.added", "DD-NEW-005", MINOR)),
    E("SHALL added gated by two new items",
      both(add_item("feature_y", "O"), add_item("level_y", "O", "integer", minimum=0),
           add_req("DD-NEW-006", "SHALL", "basic", "feature_y and level_y >= 2")),
      ("ics.added", "feature_y", MINOR), ("ics.added", "level_y", MINOR), ("requirement.added", "DD-NEW-006", MINOR)),
    E("SHALL added gated by an existing item", add_req("DD-NEW-007", "SHALL", "basic", "feature_x"),
      ("requirement.added", "DD-NEW-007", MAJOR)),
    E("SHALL added gated by an existing or a new item",
      both(add_item("feature_y", "O"), add_req("DD-NEW-008", "SHALL", "basic", "feature_x or feature_y")),
      ("ics.added", "feature_y", MINOR), ("requirement.added", "DD-NEW-008", MAJOR)),
    E("SHALL added gated by 'not' a new item",
      both(add_item("feature_y", "O"), add_req("DD-NEW-009", "SHALL", "basic", "not feature_y")),
      ("ics.added", "feature_y", MINOR), ("requirement.added", "DD-NEW-009", MAJOR)),
    # Requirements changed.
    E("requirement removed", remove(_reqs, "id", "DD-BAS-002"), ("requirement.removed", "DD-BAS-002", MAJOR)),
    E("level raised SHOULD -> SHALL", set_(lambda d: req(d, "DD-BAS-002"), level="SHALL"),
      ("requirement.level-raised", "DD-BAS-002", MAJOR)),
    E("level raised MAY -> SHOULD", set_(lambda d: req(d, "DD-EXT-002"), level="SHOULD"),
      ("requirement.level-raised", "DD-EXT-002", MAJOR)),
    E("level lowered SHALL -> SHOULD", set_(lambda d: req(d, "DD-BAS-001"), level="SHOULD"),
      ("requirement.level-lowered", "DD-BAS-001", MINOR), composable=True),
    E("level lowered SHALL -> MAY", set_(lambda d: req(d, "DD-EXT-001"), level="MAY"),
      ("requirement.level-lowered", "DD-EXT-001", MINOR)),
    E("requirement moved to another class", set_(lambda d: req(d, "DD-BAS-002"), class_="extra"),
      ("requirement.class", "DD-BAS-002", MAJOR)),
    E("applies_if added", set_(lambda d: req(d, "DD-BAS-001"), applies_if="feature_x"),
      ("requirement.applies-if-added", "DD-BAS-001", MINOR)),
    E("applies_if removed", set_(lambda d: req(d, "DD-BAS-003"), applies_if=DROP),
      ("requirement.applies-if-removed", "DD-BAS-003", MAJOR), composable=True),
    E("applies_if changed", set_(lambda d: req(d, "DD-BAS-003"), applies_if="mode == 'fast'"),
      ("requirement.applies-if", "DD-BAS-003", MAJOR)),
    E("verification method changed", set_(lambda d: req(d, "DD-EXT-001"), verification="analysis"),
      ("requirement.verification", "DD-EXT-001", MINOR)),
    E("statistical verdict", set_(lambda d: req(d, "DD-EXT-001"), statistical=True),
      ("requirement.statistical", "DD-EXT-001", MINOR)),
    E("requirement deprecated", set_(lambda d: req(d, "DD-EXT-002"), deprecated_in="1.1.0"),
      ("requirement.deprecated", "DD-EXT-002", MINOR), composable=True),
    E("requirement replacement pointer", set_(lambda d: req(d, "DD-BAS-002"), replaced_by="DD-BAS-001"),
      ("requirement.replaced-by", "DD-BAS-002", PATCH)),
    E("requirement text", set_(lambda d: req(d, "DD-EXT-001"), text="The product shall report its state, edited."),
      ("requirement.text", "DD-EXT-001", PATCH), composable=True),
    E("requirement clause", set_(lambda d: req(d, "DD-BAS-001"), clause="CCSDS 131.0-B-3 4.2"),
      ("requirement.clause", "DD-BAS-001", PATCH)),
    # ICS items added and removed.
    E("ICS item added as M", add_item("new_m", "M"), ("ics.added", "new_m", MAJOR)),
    E("ICS item added as O", add_item("new_o", "O", "enum", values=["a", "b"]), ("ics.added", "new_o", MINOR),
      composable=True),
    E("ICS item added as C on a new item", both(add_item("new_o", "O"), add_item("new_c", "C", condition="new_o")),
      ("ics.added", "new_o", MINOR), ("ics.added", "new_c", MINOR)),
    E("ICS item added as C on an existing item", add_item("new_c", "C", "integer", condition="feature_x"),
      ("ics.added", "new_c", MAJOR)),
    E("ICS item added as X", add_item("new_x", "X"), ("ics.added", "new_x", MINOR)),
    E("ICS item removed", remove(_ics, "id", "mode"), ("ics.removed", "mode", MAJOR)),
    E("ICS type changed", set_(lambda d: item(d, "mode"), type="set"), ("ics.type", "mode", MAJOR)),
    # ICS status, every direction that differs.
    E("status O -> M", set_(lambda d: item(d, "feature_x"), status="M"), ("ics.status", "feature_x", MAJOR)),
    E("status M -> O", set_(lambda d: item(d, "depths"), status="O"), ("ics.status", "depths", MINOR)),
    E("status O -> C", set_(lambda d: item(d, "mode"), status="C", condition="feature_x"), ("ics.status", "mode", MAJOR)),
    E("status C -> O", set_(lambda d: item(d, "max_len"), status="O", condition=DROP), ("ics.status", "max_len", MINOR)),
    E("status C -> M", set_(lambda d: item(d, "max_len"), status="M", condition=DROP), ("ics.status", "max_len", MAJOR)),
    E("status M -> C", set_(lambda d: item(d, "mode"), status="C", condition="feature_x"), ("ics.status", "mode", MAJOR),
      old_edit=set_(lambda d: item(d, "mode"), status="M")),
    E("status O -> X", set_(lambda d: item(d, "feature_x"), status="X"), ("ics.status", "feature_x", MAJOR)),
    E("status M -> X", set_(lambda d: item(d, "depths"), status="X"), ("ics.status", "depths", MAJOR)),
    E("status C -> X", set_(lambda d: item(d, "max_len"), status="X", condition=DROP), ("ics.status", "max_len", MAJOR)),
    E("status X -> M", set_(lambda d: item(d, "mode"), status="M"), ("ics.status", "mode", MAJOR),
      old_edit=set_(lambda d: item(d, "mode"), status="X")),
    E("status X -> O", set_(lambda d: item(d, "mode"), status="O"), ("ics.status", "mode", MINOR),
      old_edit=set_(lambda d: item(d, "mode"), status="X")),
    E("condition changed", set_(lambda d: item(d, "max_len"), condition="feature_x and mode == 'fast'"),
      ("ics.condition", "max_len", MAJOR)),
    # ICS values and ranges, both directions.
    E("set values narrowed", set_(lambda d: item(d, "depths"), values=[1, 2]), ("ics.values-narrowed", "depths", MAJOR)),
    E("set values widened", set_(lambda d: item(d, "depths"), values=[1, 2, 4, 8]), ("ics.values-widened", "depths", MINOR),
      composable=True),
    E("set value replaced", set_(lambda d: item(d, "depths"), values=[1, 2, 8]),
      ("ics.values-narrowed", "depths", MAJOR), ("ics.values-widened", "depths", MINOR)),
    E("enum values widened", set_(lambda d: item(d, "mode"), values=["fast", "slow", "turbo"]),
      ("ics.values-widened", "mode", MINOR)),
    E("enum values narrowed", set_(lambda d: item(d, "mode"), values=["fast"]), ("ics.values-narrowed", "mode", MAJOR)),
    E("minimum raised", set_(lambda d: item(d, "max_len"), minimum=2), ("ics.range-narrowed", "max_len", MAJOR)),
    E("minimum lowered", set_(lambda d: item(d, "max_len"), minimum=0), ("ics.range-widened", "max_len", MINOR)),
    E("maximum lowered", set_(lambda d: item(d, "max_len"), maximum=50), ("ics.range-narrowed", "max_len", MAJOR)),
    E("maximum raised", set_(lambda d: item(d, "max_len"), maximum=200), ("ics.range-widened", "max_len", MINOR),
      composable=True),
    E("maximum dropped", set_(lambda d: item(d, "max_len"), maximum=DROP), ("ics.range-widened", "max_len", MINOR)),
    E("maximum introduced", set_(lambda d: item(d, "max_len"), maximum=100), ("ics.range-narrowed", "max_len", MAJOR),
      old_edit=set_(lambda d: item(d, "max_len"), maximum=DROP)),
    E("ICS unit changed", set_(lambda d: item(d, "max_len"), unit="bits"), ("ics.unit", "max_len", MAJOR)),
    E("ICS question edited", set_(lambda d: item(d, "mode"), question="Which mode?"), ("ics.text", "mode", PATCH),
      composable=True),
    E("ICS clause edited", set_(lambda d: item(d, "depths"), clause="CCSDS 131.0-B-3 4.3.9"), ("ics.text", "depths", PATCH)),
    E("ICS default changed", set_(lambda d: item(d, "max_len"), default=20), ("ics.text", "max_len", PATCH)),
    # Parameters: 1, 1.0 and True are three different values.
    E("parameter added", lambda d: d["parameters"].update(new_p={"value": 3, "description": "New."}),
      ("parameter.added", "new_p", MINOR), composable=True),
    E("parameter removed", lambda d: d["parameters"].pop("rate"), ("parameter.removed", "rate", MAJOR)),
    E("scalar value changed", set_param("rate", 2), ("parameter.value", "rate", MAJOR)),
    E("scalar 1 -> 1.0", set_param("rate", 1.0), ("parameter.value", "rate", MAJOR)),
    E("scalar 1 -> true", set_param("rate", True), ("parameter.value", "rate", MAJOR)),
    E("scalar 1.0 -> 1", set_param("rate", 1), ("parameter.value", "rate", MAJOR), old_edit=set_param("rate", 1.0)),
    E("list entry 16 -> 16.0", set_param("lengths", [16.0, 32, 64]), ("parameter.value", "lengths", MAJOR)),
    E("table entry 1 -> true", set_param("depth_table", {"short": True, "long": 4}), ("parameter.value", "depth_table", MAJOR)),
    E("list appended", set_param("lengths", [16, 32, 64, 128]), ("parameter.extended", "lengths", MINOR), composable=True),
    E("list prepended", set_param("lengths", [8, 16, 32, 64]), ("parameter.value", "lengths", MAJOR)),
    E("list reordered", set_param("lengths", [32, 16, 64]), ("parameter.value", "lengths", MAJOR)),
    E("list shortened", set_param("lengths", [16, 32]), ("parameter.value", "lengths", MAJOR)),
    E("table key added", set_param("depth_table", {"short": 1, "long": 4, "huge": 8}),
      ("parameter.extended", "depth_table", MINOR)),
    E("table value changed", set_param("depth_table", {"short": 2, "long": 4}), ("parameter.value", "depth_table", MAJOR),
      composable=True),
    E("table key removed", set_param("depth_table", {"short": 1}), ("parameter.value", "depth_table", MAJOR)),
    E("scalar -> list", set_param("rate", [1]), ("parameter.value", "rate", MAJOR)),
    E("parameter unit", set_(lambda d: param(d, "rate"), unit="frames/s"), ("parameter.unit", "rate", MAJOR)),
    E("parameter description", set_(lambda d: param(d, "rate"), description="Frames per call, edited."),
      ("parameter.text", "rate", PATCH)),
    E("parameter clause", set_(lambda d: param(d, "lengths"), clause="CCSDS 131.0-B-3 4.4"), ("parameter.text", "lengths", PATCH)),
    # Interface operations.
    E("operation added for a new class", both(add_class("bonus"), add_op("bonus_op", "bonus")),
      ("class.added", "bonus", MINOR), ("operation.added", "bonus_op", MINOR)),
    E("operation added for an existing class", add_op("reset", "basic"), ("operation.added", "reset", MAJOR), composable=True),
    E("operation added for an existing and a new class", both(add_class("bonus"), add_op("mixed", ["basic", "bonus"])),
      ("class.added", "bonus", MINOR), ("operation.added", "mixed", MAJOR)),
    E("operation removed", remove(_ops, "name", "status"), ("operation.removed", "status", MAJOR)),
    E("operation gains a new class", both(add_class("bonus"), set_(lambda d: op(d, "encode"), class_=["basic", "bonus"])),
      ("class.added", "bonus", MINOR), ("operation.classes", "encode", MINOR)),
    E("operation gains an existing class", set_(lambda d: op(d, "encode"), class_=["basic", "extra"]),
      ("operation.classes", "encode", MAJOR)),
    E("operation loses a class", set_(lambda d: op(d, "status"), class_="extra"), ("operation.classes", "status", MAJOR),
      old_edit=set_(lambda d: op(d, "status"), class_=["basic", "extra"])),
    E("argument enum widened", set_(schema_at("encode", "arguments", "properties", "mode"), enum=["fast", "slow", "turbo"]),
      ("operation.arguments", "encode", MINOR)),
    E("argument enum narrowed", set_(schema_at("encode", "arguments", "properties", "mode"), enum=["fast"]),
      ("operation.arguments", "encode", MAJOR)),
    E("argument enum introduced", set_(schema_at("encode", "arguments", "properties", "data"), enum=["AA=="]),
      ("operation.arguments", "encode", MAJOR)),
    E("result enum widened",
      set_(schema_at("status", "result", "properties", "state"), enum=["idle", "busy", "error"]),
      ("operation.result", "status", MINOR)),
    E("result enum narrowed", set_(schema_at("status", "result", "properties", "state"), enum=["idle"]),
      ("operation.result", "status", MAJOR)),
    E("argument type changed", set_(schema_at("encode", "arguments", "properties", "data"), type="array"),
      ("operation.arguments", "encode", MAJOR)),
    E("argument property added", set_(schema_at("encode", "arguments", "properties"), flag={"type": "boolean"}),
      ("operation.arguments", "encode", MAJOR)),
    E("argument required list appended", set_(schema_at("encode", "arguments"), required=["data", "mode", "flag"]),
      ("operation.arguments", "encode", MAJOR)),
    E("argument 1 -> 1.0 in a schema", set_(schema_at("encode", "arguments", "properties", "data"), maxLength=1.0),
      ("operation.arguments", "encode", MAJOR), old_edit=set_(schema_at("encode", "arguments", "properties", "data"), maxLength=1)),
    E("argument description added", set_(schema_at("encode", "arguments", "properties", "mode"), description="Mode."),
      ("operation.arguments", "encode", PATCH)),
    E("result description edited", set_(schema_at("encode", "result"), description="The stream.", title="Stream"),
      ("operation.result", "encode", PATCH)),
    E("result description added", set_(schema_at("status", "result"), description="The state.",
                                         examples=[{"state": "idle"}], default={"state": "idle"}),
      ("operation.result", "status", PATCH), composable=True),
    E("argument enum widened and documented",
      set_(schema_at("encode", "arguments", "properties", "mode"), enum=["fast", "slow", "turbo"], description="Mode."),
      ("operation.arguments", "encode", MINOR)),
    E("timeout longer", set_(lambda d: op(d, "encode"), timeout=10), ("operation.timeout", "encode", MINOR), composable=True),
    E("timeout shorter", set_(lambda d: op(d, "encode"), timeout=2.5), ("operation.timeout", "encode", MAJOR)),
    E("timeout 5 -> 5.0", set_(lambda d: op(d, "encode"), timeout=5.0)),
    E("timeout dropped (harness default)", set_(lambda d: op(d, "encode"), timeout=DROP), ("operation.timeout", "encode", MAJOR)),
    E("timeout introduced", set_(lambda d: op(d, "status"), timeout=30), ("operation.timeout", "status", MAJOR)),
    E("operation description", set_(lambda d: op(d, "status"), description="Report the state, edited."),
      ("operation.text", "status", PATCH)),
]

BY_NAME = {e.name: e for e in EDITS}
assert len(BY_NAME) == len(EDITS), "edit names are unique"
COMPOSABLE = [e for e in EDITS if e.composable]


def _triples(d: SpecDiff) -> set[tuple[str, str, Bump]]:
    return {(c.kind, c.subject, c.bump) for c in d.changes}


# --- each pair on its own --------------------------------------------------------------------------


@pytest.mark.parametrize("edit", EDITS, ids=[e.name for e in EDITS])
def test_each_pair_reports_exactly_its_changes(edit: Edit) -> None:
    old, new = edit.pair()
    d = diff_specs(old, new)
    assert _triples(d) == set(edit.expected)
    assert len(d.changes) == len(edit.expected), "one entry per change"
    assert d.required is edit.required
    assert [c.bump for c in d.changes] == sorted((c.bump for c in d.changes), reverse=True), "most severe first"
    assert all(c.detail for c in d.changes)


@pytest.mark.parametrize("edit", EDITS, ids=[e.name for e in EDITS])
def test_each_pair_checks_the_version_number(edit: Edit) -> None:
    exact = diff_specs(*edit.pair())
    assert exact.ok and exact.problem() is None
    assert diff_specs(*edit.pair("3.0.0")).ok, "a larger bump covers every smaller one"
    if edit.required >= MINOR:
        short = diff_specs(*edit.pair("1.0.1" if edit.required is MINOR else "1.1.0"))
        assert not short.ok
        problem = short.problem()
        assert problem is not None and f"require {edit.required.name}" in problem
        worst = [c for c in short.changes if c.bump is edit.required]
        assert any(c.subject in problem and c.kind in problem for c in worst)
    same = diff_specs(*edit.pair("1.0.0"))
    assert not same.ok and same.problem() == "demo-diff@1.0.0 is not a later version than demo-diff@1.0.0"


def test_every_kind_the_differ_emits_is_exercised() -> None:
    source = inspect.getsource(diff_module._Differ)
    emitted = set(re.findall(r'"([a-z]+\.[a-z-]+)"', source))
    assert 'f"operation.{part}"' in source  # the two schema kinds are built from the part's name
    emitted |= {"operation.arguments", "operation.result"}
    exercised = {kind for e in EDITS for kind, _, _ in e.expected}
    assert len(emitted) >= 45
    assert emitted <= exercised, f"no fixture pair for {sorted(emitted - exercised)}"
    assert exercised <= emitted


def test_both_bumps_of_every_two_way_kind_are_exercised() -> None:
    seen: dict[str, set[Bump]] = {}
    for e in EDITS:
        for kind, _, bump in e.expected:
            seen.setdefault(kind, set()).add(bump)
    for kind in ("class.kind", "requirement.added", "ics.added", "ics.status", "operation.added", "operation.classes",
                 "operation.arguments", "operation.timeout"):
        assert {MAJOR, MINOR} <= seen[kind], kind
    assert {MINOR, PATCH} <= seen["operation.arguments"]


def test_fixture_base_is_a_valid_spec_and_diffs_empty_with_itself() -> None:
    s = spec_of(base())
    assert (s.id, s.version, s.status.value) == (SPEC_ID, "1.0.0", "draft")
    assert {i.status for i in s.ics} == {IcsStatus.M, IcsStatus.O, IcsStatus.C}
    assert {i.type for i in s.ics} == {IcsType.set, IcsType.boolean, IcsType.enum, IcsType.integer}
    assert any(r.applies_if for r in s.requirements) and {r.level for r in s.requirements} == set(Level)
    assert isinstance(s.parameter("depth_table"), dict) and isinstance(s.parameter("lengths"), list)
    d = diff_specs(s, s)
    assert d.changes == [] and d.required is NONE and not d.later and not d.ok
    assert _lint(s) == []


# --- independent oracles: ICS validation and requirement applicability -------------------------------


def _answer(it: Any, full: bool) -> Any:
    """A valid answer: the most a product claims (``full``: the largest number, every set value)
    or a modest one (the default, else the smallest)."""
    if full and it.type in (IcsType.integer, IcsType.number) and it.maximum is not None:
        return it.maximum
    if it.default is not None:
        return it.default
    if it.type is IcsType.boolean:
        return True
    if it.type is IcsType.set:
        return list(it.values) if full else list(it.values[:1])
    if it.type is IcsType.enum:
        return it.values[0]
    if it.type in (IcsType.integer, IcsType.number):
        return next((v for v in (it.minimum, it.maximum) if v is not None), 1)
    return "x"


def products_for(spec: Spec) -> dict[str, str]:
    """ICS files (YAML text, ``spec: ID`` without version) of four products made for ``spec``:
    every class and option; the first class only with mandatory items; every class with M items;
    every class with every option but the boolean ones (left unanswered: not supported)."""
    out: dict[str, str] = {}
    first = spec.classes[0]
    every = [c.id for c in spec.classes]
    for name, classes, options, flags in (
        ("full", every, True, True),
        ("minimal", [first.id, *first.depends_on], False, False),
        ("mandatory-only", every, False, False),
        ("no-boolean-options", every, True, False),
    ):
        items: dict[str, Any] = {}
        seen: dict[str, Any] = {}  # what a condition sees: unanswered booleans and sets are "not supported"
        for it in spec.ics:
            holds = it.status is IcsStatus.C and parse_predicate(it.condition or "").evaluate(seen)
            optional = it.status is IcsStatus.O and options and (flags or it.type is not IcsType.boolean)
            if it.status is IcsStatus.M or holds or optional:
                items[it.id] = seen[it.id] = _answer(it, options)
            elif it.type in (IcsType.boolean, IcsType.set):
                seen[it.id] = False if it.type is IcsType.boolean else []
        out[name] = dump_yaml({"spec": spec.id, "classes": classes, "items": items})
    return out


def _shall_obligations(spec: Spec, ics: Ics) -> set[str]:
    """Ids of the SHALL requirements of ``spec`` that apply to the product (the harness's rule)."""
    return {r.id for r in spec.requirements if r.level is Level.SHALL and requirement_applicability(spec, ics, r.id) is None}


def breaking_for_some_product(old: Spec, new: Spec) -> list[str]:
    """Why a product made for ``old`` is hurt by ``new``: its ICS no longer validates, or a SHALL
    now applies to it that did not under ``old``. Empty when neither happens for the three products."""
    why = []
    for name, text in products_for(old).items():
        before = load_ics_text(text, old)  # the product is valid for A: otherwise the oracle proves nothing
        try:
            after = load_ics_text(text, new)
        except IcsError as exc:
            why.append(f"{name}: ICS no longer validates: {exc}")
            continue
        gained = _shall_obligations(new, after) - _shall_obligations(old, before)
        if gained:
            why.append(f"{name}: new SHALL obligations {sorted(gained)}")
    return why


def _lint(spec: Spec) -> list[str]:
    text = dump_yaml(spec.model_dump(mode="json", by_alias=True, exclude_none=True))
    found = lint_spec(load_spec_document(load_yaml_text(text, f"{spec.id}/{spec.version}.yaml")))
    # OC109: not in a catalog directory; OC106-OC108: digest and date of a published version, the
    # lifecycle bookkeeping that the lifecycle pairs change on purpose.
    return [f"{f.code} {f.message}" for f in found if f.code not in ("OC106", "OC107", "OC108", "OC109")]


@pytest.mark.parametrize("edit", EDITS, ids=[e.name for e in EDITS])
def test_every_fixture_spec_is_lint_clean(edit: Edit) -> None:
    """The pairs are specs a standards body could write (lint, e.g. OC103: a condition reads only
    earlier items), so no classification rests on an inconsistent spec."""
    old, new = edit.pair()
    assert _lint(new) == []
    if edit.old_edit is not None:  # else the base, linted by test_fixture_base_is_a_valid_spec...
        assert _lint(old) == []


def _oracle_params() -> list[Any]:
    return [
        pytest.param(e, id=e.name, marks=[pytest.mark.xfail(strict=True, reason=e.oracle_xfail)] if e.oracle_xfail else [])
        for e in EDITS
    ]


@pytest.mark.parametrize("edit", _oracle_params())
def test_a_change_that_hurts_a_product_made_for_the_old_version_is_major(edit: Edit) -> None:
    old, new = edit.pair()
    why = breaking_for_some_product(old, new)
    if why:
        assert diff_specs(old, new).required is MAJOR, why


def test_the_oracle_sees_the_breaking_pairs() -> None:
    """The oracle is not vacuous: it flags these MAJOR pairs on its own."""
    for name in ("ICS item added as M", "status O -> C", "set values narrowed", "class gains a dependency",
                 "SHALL added in an existing class", "level raised SHOULD -> SHALL", "applies_if removed",
                 "ICS type changed", "maximum lowered"):
        assert breaking_for_some_product(*BY_NAME[name].pair()), name
    for name in ("set values widened", "ICS item added as O", "SHALL added gated by a new O item", "SHALL added in a new class",
                 "level lowered SHALL -> SHOULD", "applies_if added", "status M -> O"):
        assert not breaking_for_some_product(*BY_NAME[name].pair()), name


# --- classifications we believe are wrong ---------------------------------------------------------


def test_status_x_to_o_is_a_relaxation() -> None:
    old, new = BY_NAME["status X -> O"].pair("1.1.0")
    assert not breaking_for_some_product(old, new)  # the oracle agrees it is harmless
    assert diff_specs(old, new).required is MINOR


def test_new_conditional_item_on_an_old_item_breaks_old_ics_files() -> None:
    old, new = BY_NAME["ICS item added as C on an existing item"].pair("1.1.0")
    with pytest.raises(IcsError, match="missing answer"):
        load_ics_text(products_for(old)["full"], new)
    assert diff_specs(old, new).required is MAJOR


def test_shall_gated_by_the_negation_of_a_new_item_applies_to_old_products() -> None:
    old, new = BY_NAME["SHALL added gated by 'not' a new item"].pair("1.1.0")
    after = load_ics_text(products_for(old)["full"], new)
    assert requirement_applicability(new, after, "DD-NEW-009") is None  # it applies
    assert diff_specs(old, new).required is MAJOR


def test_mandatory_to_conditional_breaks_products_without_the_condition() -> None:
    old, new = BY_NAME["status M -> C"].pair("1.1.0")
    with pytest.raises(IcsError, match="condition 'feature_x' is false"):
        load_ics_text(products_for(old)["minimal"], new)
    assert diff_specs(old, new).required is MAJOR


def test_widening_a_result_enum_is_minor() -> None:
    old, new = BY_NAME["result enum widened"].pair("1.1.0")
    assert diff_specs(old, new).required is MINOR


def test_reformatting_a_predicate_is_not_major() -> None:
    old = spec_of(base())
    data = base()
    req(data, "DD-BAS-003")["applies_if"] = "(feature_x)"
    item(data, "max_len")["condition"] = "feature_x  "
    assert diff_specs(old, spec_of(data, "1.0.1")).required <= PATCH


def test_markdown_table_keeps_four_cells_with_a_pipe_in_a_subject() -> None:
    data = base()
    data["references"].append({"id": "ISO|IEC 9646-7", "title": "ICS proforma"})
    md = render_diff_markdown(diff_specs(spec_of(base()), spec_of(data, "1.0.1")))
    row = next(line for line in md.splitlines() if "9646" in line)
    assert len(re.findall(r"(?<!\\)\|", row)) == 5, row


# --- combinations (hypothesis) -----------------------------------------------------------------------


def test_composable_edits_touch_different_parts() -> None:
    triples = [t for e in COMPOSABLE for t in e.expected]
    assert len(COMPOSABLE) >= 15 and len(set(triples)) == len(triples)
    assert {e.required for e in COMPOSABLE} == {MAJOR, MINOR, PATCH}


@given(st.lists(st.sampled_from(range(len(COMPOSABLE))), unique=True, max_size=6))
def test_combined_edits_are_the_union_and_require_the_max(picked: list[int]) -> None:
    data = base()
    for i in picked:
        COMPOSABLE[i].edit(data)
    old, new = spec_of(base()), spec_of(data, "1.0.0")
    d = diff_specs(old, new)
    expected = set().union(*(COMPOSABLE[i].expected for i in picked)) if picked else set()
    assert _triples(d) == expected
    assert d.required is max((COMPOSABLE[i].required for i in picked), default=NONE)
    assert diff_specs(new, new).changes == [] and diff_specs(old, old).changes == []


@given(st.lists(st.sampled_from(range(len(EDITS))), unique=True, min_size=2, max_size=4))
def test_overlapping_edits_report_only_their_kinds_and_never_more_than_the_worst(picked: list[int]) -> None:
    """Any edits, even on the same part: they may merge or cancel (narrowed then widened), but no
    change kind appears that none of them makes, and the bump never exceeds the worst single one."""
    data = base()
    try:
        for i in picked:
            if EDITS[i].old_edit is not None:
                return
            EDITS[i].edit(data)
        new = spec_of(data, "1.0.0")
    except (StopIteration, LookupError, ValueError):
        return  # an edit removed what a later one changes, or the result is not a valid spec
    assert diff_specs(new, new).changes == []
    d = diff_specs(spec_of(base()), new)
    kinds = {kind for i in picked for kind, _, _ in EDITS[i].expected}
    assert {c.kind for c in d.changes} <= kinds
    assert d.required <= max(EDITS[i].required for i in picked)


# --- version numbers (semver 2.0.0) ----------------------------------------------------------------

VERSION_BUMPS = [
    ("1.0.0", "2.0.0", MAJOR),
    ("1.9.9", "2.0.0", MAJOR),
    ("1.0.0", "1.1.0", MINOR),
    ("1.9.0", "1.10.0", MINOR),  # numeric, not text, comparison (item 2)
    ("1.2.3", "1.3.0", MINOR),
    ("1.0.0", "1.0.1", PATCH),
    ("1.0.9", "1.0.10", PATCH),
    ("1.0.0", "1.0.0", NONE),
    ("1.1.0", "1.0.0", NONE),
    ("1.10.0", "1.9.0", NONE),
    ("2.0.0", "1.9.9", NONE),
    ("1.0.0-rc.1", "1.0.0", MAJOR),  # from a pre-release anything may change (semver item 9)
    ("1.0.0-alpha", "1.0.0-beta", MAJOR),
    ("1.0.0", "1.0.0-rc.1", NONE),  # a pre-release of the same version is earlier
    ("1.0.0", "1.1.0-rc.1", MINOR),
    ("1.0.0", "2.0.0-alpha", MAJOR),
    ("1.0.0-rc.1", "1.0.1", MAJOR),
    ("0.1.0", "0.2.0", MAJOR),  # item 4: below 1.0.0 a minor bump may break anything
    ("0.1.0", "0.1.1", PATCH),
    ("0.9.3", "1.0.0", MAJOR),
    ("0.0.1", "0.1.0", MAJOR),
    ("0.1.0", "0.1.0", NONE),
]


@pytest.mark.parametrize(("old", "new", "bump"), VERSION_BUMPS, ids=[f"{a}->{b}" for a, b, _ in VERSION_BUMPS])
def test_version_bump(old: str, new: str, bump: Bump) -> None:
    assert version_bump(old, new) is bump


#: semver.org item 11, the example: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta
#: < 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0.
SEMVER_PRECEDENCE = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                     "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"]


def test_release_and_core_precedence() -> None:
    ordered = ["0.9.9", "1.0.0-alpha", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0-rc.1", "2.0.0", "10.0.0"]
    assert sorted(reversed(ordered), key=version_key) == ordered


def test_pre_release_precedence_follows_semver_item_11() -> None:
    assert sorted(reversed(SEMVER_PRECEDENCE), key=version_key) == SEMVER_PRECEDENCE
    old, new = spec_of(base(), "1.1.0-rc.2"), spec_of(base(), "1.1.0-rc.10")
    assert diff_specs(old, new).later


def test_ok_and_problem() -> None:
    major = BY_NAME["requirement removed"]
    d = diff_specs(*major.pair("1.1.0"))
    assert (d.required, d.actual, d.later, d.ok) == (MAJOR, MINOR, True, False)
    assert d.problem() == (
        "demo-diff@1.1.0 is a MINOR bump of demo-diff@1.0.0 but its changes require MAJOR "
        "(1 change(s), e.g. requirement.removed DD-BAS-002: requirement removed)"
    )
    older = diff_specs(*major.pair("0.9.0"))
    assert not older.ok and older.actual is NONE and older.problem() == "demo-diff@0.9.0 is not a later version than demo-diff@1.0.0"
    # Nothing changed: any later version is fine, the same version is not.
    assert diff_specs(*BY_NAME["lifecycle: status"].pair("1.0.1")).ok
    assert not diff_specs(*BY_NAME["lifecycle: status"].pair("1.0.0")).ok
    # From a pre-release anything may change (semver item 9): rc.1 -> the release is fine even
    # with a breaking change; a release -> its next pre-release is held to the rules.
    pre = base()
    pre["version"] = "1.1.0-rc.1"
    rc = spec_of(pre)
    assert diff_specs(rc, spec_of(base(), "1.1.0")).ok
    removed_after_rc = base()
    major.edit(removed_after_rc)
    assert diff_specs(rc, spec_of(removed_after_rc, "1.1.0")).ok
    assert not diff_specs(spec_of(base()), spec_of(removed_after_rc, "1.0.1-rc.1")).ok
    # Below 1.0.0 a minor bump covers a breaking change, a patch bump does not.
    removed = base()
    major.edit(removed)
    old0 = spec_of(base(), "0.3.0")
    assert diff_specs(old0, spec_of(removed, "0.4.0")).ok
    assert not diff_specs(old0, spec_of(removed, "0.3.1")).ok


# --- output formats ----------------------------------------------------------------------------------

MIXED = both(*(e.edit for e in COMPOSABLE))


def _mixed(version: str = "1.1.0") -> SpecDiff:
    data = base()
    MIXED(data)
    return diff_specs(spec_of(base()), spec_of(data, version))


def test_json_shape() -> None:
    d = _mixed()
    out = json.loads(json.dumps(d.to_json()))
    assert set(out) == {"old", "new", "required", "actual", "ok", "problem", "counts", "changes"}
    assert (out["old"], out["new"], out["required"], out["actual"], out["ok"]) == (
        "demo-diff@1.0.0", "demo-diff@1.1.0", "MAJOR", "MINOR", False)
    assert out["problem"] == d.problem() and "require MAJOR" in out["problem"]
    assert out["counts"] == {b.name: sum(c.bump is b for c in d.changes) for b in (MAJOR, MINOR, PATCH)}
    assert sum(out["counts"].values()) == len(out["changes"]) == len(d.changes)
    for entry, change in zip(out["changes"], d.changes):
        assert entry == {"kind": change.kind, "subject": change.subject, "bump": change.bump.name, "detail": change.detail}
    assert {(c["kind"], c["subject"], Bump[c["bump"]]) for c in out["changes"]} == _triples(d)
    good = json.loads(json.dumps(_mixed("2.0.0").to_json()))
    assert good["ok"] is True and good["problem"] is None


def test_markdown_lists_every_change() -> None:
    d = _mixed()
    md = render_diff_markdown(d)
    lines = md.splitlines()
    assert lines[0] == "## Changes since 1.0.0"
    assert "| Bump | Change | Subject | Detail |" in lines and "|---|---|---|---|" in lines
    assert f"{len(d.changes)} change(s)" in md and "requires a MAJOR bump" in md and "**" in md
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| Bump")]
    assert len(rows) == len(d.changes)
    for row, c in zip(rows, d.changes):
        assert row.startswith(f"| {c.bump.name} | `{c.kind}` | `{c.subject}` | ")
    titled = render_diff_markdown(_mixed("2.0.0"), heading_level=3, title="From 1.0.0")
    assert titled.startswith("### From 1.0.0\n") and "**" not in titled
    empty = render_diff_markdown(diff_specs(spec_of(base()), spec_of(base(), "1.0.1")))
    assert "| Bump" not in empty and "0 change(s): requires a NONE bump; 1.0.0 -> 1.0.1 is PATCH." in empty


def test_markdown_escapes_pipes_and_newlines_in_details() -> None:
    data = base()
    data["title"] = "A | B\nC"
    md = render_diff_markdown(diff_specs(spec_of(base()), spec_of(data, "1.0.1")))
    row = next(line for line in md.splitlines() if "spec.title" in line)
    assert "A \\| B C" in row and len(re.findall(r"(?<!\\)\|", row)) == 5


def test_changed_requirements() -> None:
    d = _mixed()
    assert changed_requirements(d) == {"DD-NEW-001", "DD-NEW-002", "DD-BAS-001", "DD-BAS-003", "DD-EXT-001", "DD-EXT-002"}
    assert changed_requirements(d, [MAJOR]) == {"DD-NEW-001", "DD-BAS-003"}
    removed = diff_specs(*BY_NAME["requirement removed"].pair())
    assert changed_requirements(removed) == set()


# --- the real catalog ------------------------------------------------------------------------------

#: The ICS items net-optical-isl 1.1.0 added as mandatory: an ICS written for 1.0.0 does not answer them.
OISL_NEW_MANDATORY = {"uslp_vcf_count_lengths", "uslp_max_frame_length", "cop1_fop_max_window", "cop1_farm_max_window",
                      "cop1_max_transmission_limit", "cop1_max_sdu_length"}


def test_net_optical_isl_1_1_0_is_breaking_but_numbered_minor() -> None:
    """The lead's finding, kept visible: 1.1.0 added six mandatory ICS items, so the diff requires
    MAJOR while the version number is a MINOR bump; the c-coding example's ICS (written for 1.0.0)
    validates against 1.0.0 and not against 1.1.0."""
    old, new = load_ref("net-optical-isl@1.0.0").spec, load_ref("net-optical-isl@1.1.0").spec
    d = diff_specs(old, new)
    assert (d.required, d.actual, d.ok) == (MAJOR, MINOR, False)
    majors = {(c.kind, c.subject) for c in d.changes if c.bump is MAJOR}
    assert majors == {("ics.added", i) for i in OISL_NEW_MANDATORY}
    assert all(new.ics_item(i).status is IcsStatus.M for i in OISL_NEW_MANDATORY)
    assert "require MAJOR (6 change(s)" in (d.problem() or "")
    kinds = {c.kind for c in d.changes}
    assert {"class.added", "requirement.added", "operation.added", "parameter.added"} <= kinds
    assert not any(c.kind.endswith((".removed", "-raised", "-narrowed")) for c in d.changes)
    example = Path(__file__).resolve().parents[2] / "examples" / "c-coding" / "ics.yaml"
    if example.exists():
        load_ics(example, old)
        with pytest.raises(IcsError, match="missing answer: the item is mandatory") as info:
            load_ics(example, new)
        assert any(i in str(info.value) for i in OISL_NEW_MANDATORY)
    assert breaking_for_some_product(old, new)


# --- the command line ------------------------------------------------------------------------------


def _has_diff_command() -> bool:
    from orbitcert.conformance.cli import specs as specs_cli

    return any((c.name or getattr(c.callback, "__name__", "")) == "diff" for c in specs_cli.app.registered_commands)


needs_cli = pytest.mark.skipif(not _has_diff_command(), reason="orbitcert specs diff is not written yet")


def _catalog(tmp_path: Path, *edits: tuple[str, Mutation | None]) -> Path:
    """A catalog directory holding base.yaml as 1.0.0 and each ``(version, edit)``."""
    root = tmp_path / "catalog"
    (root / SPEC_ID).mkdir(parents=True)
    (root / SPEC_ID / "1.0.0.yaml").write_text(dump_yaml(base()), encoding="utf-8")
    for version, edit in edits:
        data = base()
        if edit:
            edit(data)
        data["version"] = version
        (root / SPEC_ID / f"{version}.yaml").write_text(dump_yaml(data), encoding="utf-8")
    return root


@needs_cli
def test_cli_check_fails_a_breaking_change_numbered_minor(cli: Callable[..., Any], tmp_path: Path) -> None:
    cat = _catalog(tmp_path, ("1.1.0", BY_NAME["requirement removed"].edit), ("2.0.0", BY_NAME["requirement removed"].edit))
    bad = cli("specs", "diff", "demo-diff@1.0.0", "demo-diff@1.1.0", "--check", "--catalog", str(cat))
    assert bad.code == 1, bad
    assert "DD-BAS-002" in bad.stdout + bad.stderr and "MAJOR" in bad.stdout + bad.stderr
    good = cli("specs", "diff", "demo-diff@1.0.0", "demo-diff@2.0.0", "--check", "--catalog", str(cat))
    assert good.code == 0, good
    report_only = cli("specs", "diff", "demo-diff@1.0.0", "demo-diff@1.1.0", "--catalog", str(cat))
    assert report_only.code == 0, report_only


@needs_cli
def test_cli_accepts_file_paths(cli: Callable[..., Any], tmp_path: Path) -> None:
    cat = _catalog(tmp_path, ("1.1.0", BY_NAME["SHOULD added in an existing class"].edit),
                   ("1.0.1", BY_NAME["SHALL added in an existing class"].edit))
    ok = cli("specs", "diff", str(cat / SPEC_ID / "1.0.0.yaml"), str(cat / SPEC_ID / "1.1.0.yaml"), "--check")
    assert ok.code == 0, ok
    bad = cli("specs", "diff", str(cat / SPEC_ID / "1.0.0.yaml"), str(cat / SPEC_ID / "1.0.1.yaml"), "--check")
    assert bad.code == 1, bad


@needs_cli
def test_cli_formats(cli: Callable[..., Any], tmp_path: Path) -> None:
    edit = BY_NAME["set value replaced"]
    cat = _catalog(tmp_path, ("2.0.0", edit.edit))
    args = ("specs", "diff", "demo-diff@1.0.0", "demo-diff@2.0.0", "--catalog", str(cat))
    as_json = cli(*args, "--format", "json")
    assert as_json.code == 0, as_json
    out = json.loads(as_json.stdout)
    assert out["required"] == "MAJOR" and out["ok"] is True
    assert {(c["kind"], c["subject"], c["bump"]) for c in out["changes"]} == {
        (k, s, b.name) for k, s, b in edit.expected}
    md = cli(*args, "--format", "md")
    assert md.code == 0, md
    assert re.search(r"^#+ ", md.stdout, re.M) and "| Bump | Change | Subject | Detail |" in md.stdout
    assert "`ics.values-narrowed`" in md.stdout and "`ics.values-widened`" in md.stdout
    table = cli(*args, "--format", "table")
    assert table.code == 0 and "ics.values-narrowed" in table.stdout
    unknown = cli(*args, "--format", "pdf")
    assert unknown.code == 2


@needs_cli
@pytest.mark.parametrize("refs", [
    ("demo-diff@1.0.0", "demo-diff@9.9.9"),
    ("demo-diff@1.0", "demo-diff@1.1.0"),
    ("no-such-spec@1.0.0", "demo-diff@1.1.0"),
    ("missing/1.0.0.yaml", "demo-diff@1.1.0"),
    (".", "demo-diff@1.1.0"),
    ("demo-diff@1.0.0", "net-optical-isl@1.0.0"),
], ids=["unknown-version", "malformed-ref", "unknown-spec", "missing-file", "directory", "two-specs"])
def test_cli_bad_input_exits_2(cli: Callable[..., Any], tmp_path: Path, refs: tuple[str, str]) -> None:
    cat = _catalog(tmp_path, ("1.1.0", None))
    result = cli("specs", "diff", *refs, "--check", "--catalog", str(cat), cwd=tmp_path)
    assert result.code == 2, result


@needs_cli
def test_cli_malformed_spec_file_exits_2(cli: Callable[..., Any], tmp_path: Path) -> None:
    cat = _catalog(tmp_path)
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump({"id": SPEC_ID, "version": "1.1.0"}), encoding="utf-8")
    result = cli("specs", "diff", str(cat / SPEC_ID / "1.0.0.yaml"), str(broken), "--check")
    assert result.code == 2, result


@needs_cli
def test_cli_real_catalog_finding(cli: Callable[..., Any]) -> None:
    result = cli("specs", "diff", "net-optical-isl@1.0.0", "net-optical-isl@1.1.0", "--check", "--format", "json")
    assert result.code == 1, result
    out = json.loads(result.stdout)
    assert {c["subject"] for c in out["changes"] if c["bump"] == "MAJOR"} == OISL_NEW_MANDATORY


@needs_cli
def test_cli_check_refuses_a_version_that_is_not_later(cli: Callable[..., Any], tmp_path: Path) -> None:
    cat = _catalog(tmp_path, ("1.1.0", None))
    same = cli("specs", "diff", "demo-diff@1.1.0", str(cat / SPEC_ID / "1.1.0.yaml"), "--check", "--catalog", str(cat))
    assert same.code == 1 and "is not a later version" in same.stdout, same
    back = cli("specs", "diff", "demo-diff@1.1.0", "demo-diff@1.0.0", "--check", "--catalog", str(cat))
    assert back.code == 1, back


@needs_cli
def test_cli_table_prints_brackets_in_spec_text_literally(cli: Callable[..., Any], tmp_path: Path) -> None:
    cat = _catalog(tmp_path, ("1.0.1", top(title="Demo [/b] spec [red]x")))
    result = cli("specs", "diff", "demo-diff@1.0.0", "demo-diff@1.0.1", "--check", "--catalog", str(cat))
    assert result.code == 0, result
    assert "Demo [/b] spec [red]x" in " ".join(result.stdout.split())

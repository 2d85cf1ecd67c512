"""Delta re-certification: what a new spec version needs tested again, and what carries over.

``orbitcert report recheck OLD.json --to ID@NEW`` prints a :class:`RecheckPlan`;
``orbitcert certify --spec ID@NEW --since OLD.json`` runs only the tests the plan lists and
writes a complete report for the new version, its other verdicts carried over from OLD (recorded
in the report's ``delta`` with OLD's digest).

A test's verdict carries over only when re-running it could not give another verdict:

* the old report verifies (signature, spec digest, verdicts recomputed) and is complete;
* the product is the same: the ICS product block (name, version, supplier), or the factory or
  command, equals the old report's; the run's declared identity is compared again afterwards and
  a difference blocks certification;
* the run is as thorough: as many hypothesis examples or more, the same time limit;
* the ICS answers the same for every class and item both versions define;
* the code the test runs is the same: the suite's shared files (``conftest.py``, helpers, data)
  and the orbitcert modules the suite imports, transitively (:func:`support_digest`), are
  unchanged, and so is the test's own file (:func:`suite_file_digests`, per file);
* between the two spec versions nothing changed that every test may read: a parameter's value,
  an interface operation's schema or time limit, an ICS item's type, range or condition (only
  additions and editorial changes are local, see :data:`LOCAL_CHANGES`);
* the test is not new, names the same requirements, and none of them was added or changed
  (text included) by the new version.

When a global condition fails, every test runs again and the plan says why. The rules are
deliberately conservative: a carried verdict is one the full run would give, so the decisions of
a delta run equal those of a full run (``tests/conformance/test_delta.py`` checks this on two
real versions).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orbitcert.specs.diff import Bump, Change, SpecDiff, changed_requirements, diff_specs
from orbitcert.specs.errors import OptionError
from orbitcert.specs.ics import Ics
from orbitcert.specs.loader import LoadedSpec

from .report import DeltaRecord, Report
from .results import TestResult

if TYPE_CHECKING:
    from .signing import Keyring
    from .session import CertificationTarget

__all__ = [
    "DeltaRecord",
    "LOCAL_CHANGES",
    "RecheckPlan",
    "plan_recheck",
    "report_file_digest",
    "suite_file_digests",
    "support_digest",
]

#: Change kinds of :mod:`orbitcert.specs.diff` that cannot alter what an unchanged test does with
#: an unchanged ICS: additions, editorial edits and the requirement changes (handled per test).
#: An operation gaining classes or argument enum values (MINOR) is local too: requests an unchanged
#: test sends validate as before, and results are checked against an unchanged schema. A table or
#: list parameter that gained entries is not: a test may iterate over it. An added parameter is
#: decided per test file (:func:`_reads_of`): unchanged code that names it may read it with a default.
LOCAL_CHANGES = (
    "requirement.",
    "class.added",
    "class.text",
    "ics.added",
    "ics.text",
    "ics.values-widened",
    "parameter.text",
    "operation.added",
    "operation.text",
    "reference.",
    "spec.",
)
#: Packages whose every module counts as the harness a suite runs under (the plugin, verdict
#: rules, bridge, interfaces, the spec machinery; their ``__init__`` modules export names lazily,
#: so an import scan alone would miss modules). The command line and the suites are not part of it.
HARNESS_PACKAGES = ("specs", "conformance")
_NOT_HARNESS = ("cli", "suites", "templates")


def _harness_modules() -> set[str]:
    out = set()
    for top in HARNESS_PACKAGES:
        root = _package_root(top)
        if root is None:
            continue
        for f in root.rglob("*.py"):
            rel = f.relative_to(root)
            if rel.parts[0] in _NOT_HARNESS or "__pycache__" in rel.parts:
                continue
            parts = [p for p in rel.with_suffix("").parts if p != "__init__"]
            out.add(".".join(["orbitcert", top, *parts]))
    return out


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


#: Files of the suite's parent folder (the run's ``--rootdir`` and ``--confcutdir``) that pytest
#: loads: they count as shared files of the suite, named ``../<name>``.
PARENT_FILES = ("conftest.py", "pytest.ini")


def suite_file_digests(suite: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file of the suite folder (caches excluded), and of
    the :data:`PARENT_FILES` beside it, as ``../conftest.py``."""
    out = {
        f.relative_to(suite).as_posix(): _sha256(f.read_bytes())
        for f in sorted(p for p in suite.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    }
    for name in PARENT_FILES:
        if (suite.parent / name).is_file():
            out[f"../{name}"] = _sha256((suite.parent / name).read_bytes())
    return out


@functools.cache
def _package_root(top: str) -> Path | None:
    """Folder of the subpackage ``orbitcert.<top>`` (found without importing its modules)."""
    try:
        spec = importlib.util.find_spec(f"orbitcert.{top}")
    except (ImportError, ValueError):
        return None
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else None


def _module_file(name: str) -> Path | None:
    """Source file of the orbitcert module ``name`` (``None`` for a name that is not a module,
    such as an imported function)."""
    parts = name.split(".")
    if len(parts) < 2 or parts[0] != "orbitcert":
        return None
    root = _package_root(parts[1])
    if root is None:
        return None
    base = root.joinpath(*parts[2:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w. \t,]+)", re.M)


def _imports(path: Path, module: str | None) -> set[str]:
    """The ``orbitcert`` modules ``path`` imports, anywhere in the file (relative imports resolved
    against ``module``). A scan of the text, not a parse: fast, and a line that only looks like
    an import (in a docstring) adds a module, never loses one."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    package = module.rpartition(".")[0] if module and path.name != "__init__.py" else module
    out: set[str] = set()
    for match in _FROM.finditer(text):
        base, names = match.group(1), match.group(2)
        level = len(base) - len(base.lstrip("."))
        base = base[level:]
        if level:
            if not package:
                continue
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - level + 1] + ([base] if base else []))
        out.add(base)
        for name in names.strip("()").replace("\n", ",").split(","):
            name = name.split(" as ")[0].strip()
            if name.isidentifier():
                out.add(f"{base}.{name}")
    for match in _IMPORT.finditer(text):
        out.update(n.split(" as ")[0].strip() for n in match.group(1).split(","))
    return {m for m in out if m.startswith("orbitcert.")}


def _import_closure(names: set[str]) -> dict[str, Path]:
    """``{module: source file}`` of the orbitcert modules ``names`` and everything they import,
    transitively, with the packages whose ``__init__`` runs before them."""
    todo = set(names)
    seen: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        if name in seen or (path := _module_file(name)) is None:
            continue
        seen[name] = path
        todo |= _imports(path, name) - seen.keys()
        todo.add(name.rpartition(".")[0])
    return seen


def support_digest(suite: Path) -> str:
    """sha256 over the sources of the orbitcert modules the suite's Python files import,
    transitively, plus the harness (:data:`HARNESS_PACKAGES`), by names and contents, sorted by
    module name."""
    todo = _harness_modules()
    for f in suite.rglob("*.py"):
        todo |= _imports(f, None)
    seen = _import_closure(todo)
    h = hashlib.sha256()
    for name in sorted(seen):
        h.update(name.encode() + b"\0" + seen[name].read_bytes() + b"\0")
    return "sha256:" + h.hexdigest()


def report_file_digest(path: str | Path) -> str:
    """sha256 of a report file's bytes: how a delta report names the report it carries from."""
    return _sha256(Path(path).read_bytes())


@dataclass
class RecheckPlan:
    """Which tests run again and which verdicts carry over, with the reasons."""

    old: str
    new: str
    diff: SpecDiff
    run: dict[str, str] = field(default_factory=dict)  # nodeid -> why it runs
    carried: dict[str, TestResult] = field(default_factory=dict)  # nodeid -> old result
    global_reasons: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # old tests the new version no longer selects

    def requirements(self, selected: Mapping[str, Sequence[str]], new_spec_ids: Sequence[str]) -> dict[str, str]:
        """``{requirement id: "retest" reason or "carried"}`` for every requirement of the new version."""
        out: dict[str, str] = {}
        changed = changed_requirements(self.diff)
        for rid in new_spec_ids:
            tests = [t for t, reqs in selected.items() if rid in reqs]
            running = [t for t in tests if t in self.run]
            if rid in changed:
                out[rid] = "retest: new or changed in " + self.new.split("@")[1]
            elif running:
                out[rid] = f"retest: {len(running)} of its {len(tests)} test(s) run again ({self.run[running[0]]})"
            elif tests:
                out[rid] = "carried"
            else:
                out[rid] = "no test"
        return out

    def to_json(self, selected: Mapping[str, Sequence[str]], new_spec_ids: Sequence[str]) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "global_reasons": self.global_reasons,
            "tests": {"run": len(self.run), "carried": len(self.carried), "dropped": len(self.dropped)},
            "requirements": self.requirements(selected, new_spec_ids),
            "run": self.run,
            "carried": sorted(self.carried),
            "dropped": self.dropped,
        }


#: Operation changes that are local when they are MINOR or PATCH (see :data:`LOCAL_CHANGES`).
_LOCAL_WHEN_ADDITIVE = ("operation.arguments", "operation.classes")


def _local(change: Change) -> bool:
    if change.kind.startswith(LOCAL_CHANGES) or change.kind == "parameter.added":  # added: decided per test file
        return True
    return change.kind in _LOCAL_WHEN_ADDITIVE and change.bump <= Bump.MINOR


def _ics_differences(
    old: Ics, new: Ics, old_spec: LoadedSpec, new_spec: LoadedSpec
) -> list[str]:
    """Claims and answers that differ for the classes and items both versions define (an answer
    that appears or disappears counts: an unanswered optional number is absent, not false)."""
    spec = new_spec.spec
    both_classes = {c.id for c in old_spec.spec.classes} & {c.id for c in spec.classes}
    both_items = {i.id for i in old_spec.spec.ics} & {i.id for i in spec.ics}
    out = []
    for c in sorted(both_classes):
        if (c in old.classes) != (c in new.classes):
            out.append(f"class {c} is {'now' if c in new.classes else 'no longer'} claimed")
    for item in sorted(both_items):
        if old.items.get(item, _UNANSWERED) != new.items.get(item, _UNANSWERED):
            out.append(f"ICS item {item}: {old.items.get(item, 'unanswered')!r} -> {new.items.get(item, 'unanswered')!r}")
    return out


_UNANSWERED = object()


def suite_test_modules(suite: Path) -> set[str]:
    """The suite's test modules (``test_*.py``, by path in the suite) that no other suite file
    imports; every other file (conftest, helpers, data, a test module another one imports) is
    shared by all its tests."""
    modules = {f.relative_to(suite).as_posix() for f in suite.rglob("test_*.py") if "__pycache__" not in f.parts}
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in suite.rglob("*.py") if "__pycache__" not in f.parts]
    imported = set()
    for m in modules:
        stem = re.escape(Path(m).stem)
        pattern = re.compile(rf"^[ \t]*(from[ \t]+\.*{stem}\b|import[ \t]+{stem}\b)", re.M)
        if any(pattern.search(t) for t in texts):
            imported.add(m)
    return modules - imported


def _closure_texts(files: Sequence[Path]) -> list[str]:
    """The texts of ``files`` and of the orbitcert modules they import, transitively."""
    names: set[str] = set()
    for f in files:
        names |= _imports(f, None)
    paths = [*files, *_import_closure(names).values()]
    return [p.read_text(encoding="utf-8", errors="replace") for p in paths]


def _reads_of(suite: Path, file: str, names: Sequence[str]) -> list[str]:
    """Which of the parameter ``names`` the code a test file runs names literally: the file, the
    suite's shared files, and the orbitcert modules they import. (A parameter read under a
    computed name is not seen: the bundled suites and references name every parameter.)"""
    tests = suite_test_modules(suite)
    shared = [f for f in suite.rglob("*.py") if f.relative_to(suite).as_posix() not in tests and "__pycache__" not in f.parts]
    words = set(re.findall(r"\w+", "\n".join(_closure_texts([suite / file, *shared]))))
    return [n for n in names if n in words]


def plan_recheck(
    old: Report,
    old_spec: LoadedSpec,
    new_spec: LoadedSpec,
    ics: Ics,
    selected: Mapping[str, Sequence[str]],
    suite: Path,
    *,
    identity: Mapping[str, str | None] | None = None,
    examples: int | None = None,
    timeout: float | None = None,
    origin: str = "bundled",
    call_timeout: float | None = None,
) -> RecheckPlan:
    """The plan for re-certifying the product of ``old`` against ``new_spec`` (module docstring).

    ``selected`` maps the new run's test ids to their requirements, ``suite`` is the new suite
    folder, ``identity`` the new run's product (``name``, ``version``, ``supplier``, ``factory``,
    ``command``), ``examples`` and ``timeout`` the new run's settings (None: not compared),
    ``call_timeout`` its product call limit and ``origin`` its suite's origin (always compared).
    Raises :class:`OptionError` when ``old`` is of another spec.
    """
    if old.spec.id != new_spec.spec.id:
        raise OptionError(f"the report is of {old.spec.id}, not {new_spec.spec.id}", field="since")
    d = diff_specs(old_spec.spec, new_spec.spec)
    plan = RecheckPlan(f"{old.spec.id}@{old.spec.version}", new_spec.spec.ref, d)
    why = plan.global_reasons
    if not old.complete or old.blockers:
        why.append("the old report is not a complete certification run: " + "; ".join(old.blockers or ["incomplete"]))
    if old.implementation.shared_process:
        why.append("the old run's product shared the harness's process (--no-isolate): its verdicts carry nothing")
    if (old.suite.origin, old.suite.path) != (origin, f"suites/{suite.name}"):
        why.append(f"another suite: {old.suite.origin} {old.suite.path} -> {origin} suites/{suite.name}")
    if old.thoroughness.call_timeout != call_timeout:
        why.append(f"product call limit {old.thoroughness.call_timeout} -> {call_timeout}")
    if identity is not None:
        for key in ("name", "version", "supplier", "factory", "command"):
            if key in identity and identity[key] != getattr(old.implementation, key):
                why.append(f"another product: {key} {getattr(old.implementation, key)!r} -> {identity[key]!r}")
    if examples is not None and old.thoroughness.examples < examples:
        why.append(f"the old run used {old.thoroughness.examples} hypothesis examples, this one {examples}")
    if timeout is not None and old.thoroughness.timeout != timeout:
        why.append(f"time limit {old.thoroughness.timeout:g} s -> {timeout:g} s")
    why += _ics_differences(old.ics, ics, old_spec, new_spec)
    files = suite_file_digests(suite)
    if not old.suite.files or old.suite.support is None:
        why.append("the old report does not record per-file suite digests")
    else:
        if old.suite.support != support_digest(suite):
            why.append("the orbitcert code the suite runs (harness, interfaces, helpers) changed")
        tests = suite_test_modules(suite)
        shared = sorted(
            f for f in files.keys() | old.suite.files.keys() if f not in tests and files.get(f) != old.suite.files.get(f)
        )
        if shared:
            why.append(f"shared suite file(s) changed: {', '.join(shared)}")
    global_changes = [c for c in d.changes if not _local(c)]
    if global_changes:
        c = global_changes[0]
        why.append(f"{len(global_changes)} change(s) any test may read, e.g. {c.kind} {c.subject} ({c.detail})")
    old_tests = {t.nodeid: t for t in old.tests}
    changed = changed_requirements(d)
    prefix = suite.name + "/"
    added = sorted(c.subject for c in d.changes if c.kind == "parameter.added")
    reads: dict[str, list[str]] = {}
    for nodeid, reqs in selected.items():
        if why:
            plan.run[nodeid] = "every test runs again"
            continue
        before = old_tests.get(nodeid)
        file = nodeid.split("::", 1)[0].removeprefix(prefix)
        touched = sorted(set(reqs) & changed)
        if before is None:
            plan.run[nodeid] = "new test"
        elif files.get(file) != old.suite.files.get(file):
            plan.run[nodeid] = f"test file {file} changed"
        elif sorted(before.requirements) != sorted(reqs):
            plan.run[nodeid] = "names other requirements"
        elif touched:
            plan.run[nodeid] = f"requirement {touched[0]} new or changed"
        elif added and (named := reads[file] if file in reads else reads.setdefault(file, _reads_of(suite, file, added))):
            plan.run[nodeid] = f"its code names the new parameter {named[0]}"
        else:
            plan.carried[nodeid] = before.model_copy(update={"requirements": list(reqs)})
    plan.dropped = sorted(set(old_tests) - set(selected))
    return plan


@dataclass
class Since:
    """The report ``certify --since`` and ``report recheck`` start from, verified."""

    path: Path
    report: Report
    spec: LoadedSpec
    digest: str


def load_since(
    path: str | Path,
    catalogs: Sequence[str | Path] = (),
    *,
    keyrings: Sequence[Keyring] = (),
    signing_key_id: str | None = None,
    require_trust: bool = True,
    chain: Sequence[str | Path] = (),
) -> Since:
    """Read and verify the earlier report (``report verify``'s checks); a report that does not
    verify is refused with :class:`OptionError` (exit 2): its verdicts are never carried over.

    Carried verdicts become part of a new signed report, so they must come from a signer the new
    report's reader would accept: the earlier report's vendor key is in one of ``keyrings``, or it
    is the key signing the new report (``signing_key_id``: the same vendor, certifying again). A
    report signed with a one-time key (certify without ``--sign-key``) is never carried from.
    ``require_trust=False`` (``report recheck``, which only plans) skips the signer rule. ``chain``:
    when the earlier report is a delta report too, the report it carried from, and so on."""
    from orbitcert.specs.loader import Catalog

    from .signing import short_id
    from .verify import verify_report

    p = Path(path)
    checked = verify_report(p, catalogs=catalogs, keyrings=keyrings, since=list(chain) or None)
    # Planning (recheck) may start from a delta report without its own earlier reports.
    problem = checked.first_problem(("trust",) if require_trust else ("trust", "delta"))
    if problem:
        raise OptionError(f"the report does not verify, so nothing carries over from it: {problem}", path=p, field="since")
    assert checked.report is not None
    vendor = checked.signatures[0]
    if require_trust and not (checked.trusted or (signing_key_id is not None and vendor.key_id == signing_key_id)):
        how = "a one-time key" if vendor.ephemeral else f"key {short_id(vendor.key_id)}"
        raise OptionError(
            f"the report is signed with {how}, which is neither in a trusted keyring (--trusted-keys) nor the key "
            "signing this run (--sign-key): nothing carries over from a signer the new report's reader cannot trust",
            path=p, field="since",
        )
    report = checked.report
    spec = Catalog.discover(catalogs).load(f"{report.spec.id}@{report.spec.version}")
    return Since(p, report, spec, report_file_digest(p))


def delta_record(since: Since, plan: RecheckPlan) -> DeltaRecord:
    """What a delta report records of where its carried verdicts come from."""
    return DeltaRecord(
        since_report=since.digest,
        since_spec=plan.old,
        since_key_id=since.report.signatures[0].key_id if since.report.signatures else None,
        carried=sorted(plan.carried),
        rerun=sorted(plan.run),
    )


def is_reference_run(report: Report) -> bool:
    """True when ``report`` certified the bundled reference implementation."""
    from orbitcert.reference_impl import REFERENCES

    entry = REFERENCES.get(report.spec.id)
    return entry is not None and report.implementation.factory == entry[0]


def ics_for(loaded: LoadedSpec, report: Report) -> Ics:
    """The report's ICS (classes, answers, product) validated against another version of its
    spec: what it claimed of classes and items that version defines."""
    import yaml

    from orbitcert.specs.ics import load_ics_text, within_version

    spec = loaded.spec
    data: dict[str, Any] = {"spec": spec.ref, "classes": list(report.ics.classes), "items": dict(report.ics.items)}
    within_version(data, spec)
    if report.ics.product is not None:
        data["product"] = report.ics.product.model_dump(exclude_none=True)
    return load_ics_text(yaml.safe_dump(data), spec, path=f"<the ICS of {report.spec.id}@{report.spec.version}>")


def recheck_target(since: Since, ref: str, ics: Path | None, catalogs: Sequence[str | Path]) -> CertificationTarget:
    """The certification target of ``report recheck``: the earlier report's product (the reference
    with its own ICS, or the same factory, command or address) against ``ref``, with ``ics`` or
    the earlier report's ICS."""
    from .session import CertificationTarget

    old = since.report.implementation
    if is_reference_run(since.report) and ics is None:
        return CertificationTarget.resolve(ref, catalogs=catalogs, allow_draft=True)
    command = old.command if old.command and not old.command.startswith("tcp://") else None
    connect = old.command.removeprefix("tcp://") if old.command and old.command.startswith("tcp://") else None
    target = CertificationTarget.resolve(
        ref, impl=old.factory, ics_path=ics, catalogs=catalogs, command=command, connect=connect, allow_draft=True
    )
    if ics is None:
        target.ics = ics_for(target.loaded, since.report)
    return target

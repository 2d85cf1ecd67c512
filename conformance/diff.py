"""Comparing two certification reports: the CI regression gate (``orbitcert report diff``).

A *regression* fails the gate (exit 1):

* a requirement whose verdict got worse (none < pass < inconclusive < fail < error; untested
  to passing is an improvement, failing to untested a change), or that passed and no longer does (now waived, not-applicable or untested: a waiver never counts as a
  pass), or that was waived and now fails outright;
* a conformance class that lost ground in the order certified > certified-with-waivers >
  not-certified (a certified class that is no longer claimed is lost too);
* the overall decision going down the same order;
* less thorough testing: fewer hypothesis examples, an interrupted run, fewer selected tests,
  another suite asked for with ``--suite``;
* a test that passed and is gone while its requirement still applies.

Improvements (the reverse) and other changes (spec version, product version, time limits,
derandomization, requirements that appeared or disappeared, test-level churn) are listed but do
not fail the gate. The run seed is not compared: a fresh seed is drawn for every run and says
nothing about how thoroughly it tested.

With a known-failing list (:mod:`.known_failing`), a regression whose requirement is listed, or
all of whose non-passing tests are matched, is *tolerated*; a class or decision regression is
tolerated when every requirement behind it is. A stale entry fails the gate as a regression does.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from orbitcert.specs.errors import ReportError

from .known_failing import EntryStatus, KnownFailing, KnownFailingEntry, entry_status
from .report import Report
from .results import SEVERITY, ClassResult, Decision, Verdict

__all__ = [
    "DECISION_RANK",
    "Finding",
    "ReportDiff",
    "TestChange",
    "TestGroup",
    "diff_json",
    "diff_markdown",
    "diff_reports",
    "group_tests",
]

Severity = Literal["regression", "improvement", "change"]
Kind = Literal["requirement", "class", "decision", "thoroughness", "run", "suite", "spec", "product", "test"]

#: Rank of a decision for the gate: higher is better; not-claimed is outside the order.
DECISION_RANK = {Decision.not_certified: 0, Decision.certified_with_waivers: 1, Decision.certified: 2}


@dataclass(frozen=True)
class Finding:
    """One difference between the reports.

    ``requirements`` and ``tests`` say what is behind it (for a requirement: its id and its tests
    that do not pass now), which a known-failing entry must cover to tolerate it;
    ``known_failing`` holds the entries that do (empty: not tolerated)."""

    kind: Kind
    subject: str
    before: str | None
    after: str | None
    severity: Severity
    text: str
    requirements: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    known_failing: tuple[str, ...] = ()

    @property
    def tolerated(self) -> bool:
        return bool(self.known_failing)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "subject": self.subject, "before": self.before, "after": self.after,
            "severity": self.severity, "text": self.text, "requirements": list(self.requirements),
            "tests": list(self.tests), "known_failing": list(self.known_failing),
        }


@dataclass(frozen=True)
class TestChange:
    """A test whose verdict changed, or that appeared or disappeared (None: not in that report)."""

    __test__ = False  # not a pytest test class

    nodeid: str
    requirements: tuple[str, ...]
    before: Verdict | None
    after: Verdict | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid, "requirements": list(self.requirements),
            "before": self.before.value if self.before else None, "after": self.after.value if self.after else None,
            "message": self.message,
        }


@dataclass
class ReportDiff:
    """What ``orbitcert report diff`` found between a baseline report and the current one."""

    baseline: str = ""
    current: str = ""
    decision_before: Decision | None = None
    decision_after: Decision | None = None
    findings: list[Finding] = field(default_factory=list)
    tests: list[TestChange] = field(default_factory=list)
    known_failing: list[EntryStatus] = field(default_factory=list)

    def _texts(self, severity: Severity, tolerated: bool | None = False) -> list[str]:
        return [
            f.text for f in self.findings if f.severity == severity and (tolerated is None or f.tolerated == tolerated)
        ]

    @property
    def regressions(self) -> list[str]:
        """Regressions no known-failing entry tolerates (each fails the gate)."""
        return self._texts("regression")

    @property
    def tolerated(self) -> list[str]:
        """Regressions a known-failing entry tolerates."""
        return self._texts("regression", tolerated=True)

    @property
    def improvements(self) -> list[str]:
        return self._texts("improvement", tolerated=None)

    @property
    def changes(self) -> list[str]:
        return self._texts("change", tolerated=None)

    @property
    def stale(self) -> list[EntryStatus]:
        """Known-failing entries whose requirement or tests pass now (each fails the gate)."""
        return [s for s in self.known_failing if s.status == "stale"]

    @property
    def unmatched(self) -> list[EntryStatus]:
        """Known-failing entries that name nothing in either report (a warning)."""
        return [s for s in self.known_failing if s.status == "unmatched"]

    @property
    def exit_code(self) -> int:
        """1 when a regression is not tolerated or a known-failing entry is stale, else 0."""
        return 1 if self.regressions or self.stale else 0

    def of(self, severity: Severity, kind: Kind | None = None) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity and (kind is None or f.kind == kind)]


# ---- requirement verdicts ---------------------------------------------------------------------


def _requirement_move(before: Verdict, after: Verdict) -> Severity | None:
    """How a requirement verdict moved, for the gate (None: unchanged)."""
    if before is after:
        return None
    if before is Verdict.passed:
        return "regression"  # worse, or no longer verified (waived, not-applicable, untested)
    if after is Verdict.passed:
        return "improvement"
    if after is Verdict.none:
        return "change"  # not passing before, untested now: neither better nor worse
    if before in SEVERITY and after in SEVERITY:
        return "regression" if SEVERITY[after] > SEVERITY[before] else "improvement"
    if before is Verdict.waived and after in SEVERITY and SEVERITY[after] > SEVERITY[Verdict.passed]:
        return "regression"  # the waiver no longer covers a requirement that does not pass
    return "change"  # e.g. fail -> waived (a waiver is no pass), or to and from not-applicable


def _non_passing_tests(report: Report, rid: str) -> tuple[str, ...]:
    return tuple(
        sorted(
            t.nodeid for t in report.tests
            if rid in t.requirements and t.verdict not in (Verdict.passed, Verdict.not_applicable)
        )
    )


def _diff_requirements(baseline: Report, current: Report, out: list[Finding]) -> None:
    before = {r.id: r for r in baseline.requirements}
    after = {r.id: r for r in current.requirements}
    now_tests = {t.nodeid for t in current.tests}
    for rid in sorted(before.keys() | after.keys()):
        b, a = before.get(rid), after.get(rid)
        if b is None and a is not None:
            out.append(Finding("requirement", rid, None, a.verdict.value, "change",
                               f"requirement {rid}: appeared ({a.verdict.value})", (rid,)))
            continue
        if a is None and b is not None:
            out.append(Finding("requirement", rid, b.verdict.value, None, "change",
                               f"requirement {rid}: disappeared (was {b.verdict.value})", (rid,)))
            continue
        assert a is not None and b is not None
        move = _requirement_move(b.verdict, a.verdict)
        if move is None:
            continue
        blame = _non_passing_tests(current, rid)
        if not blame and move == "regression":  # untested now: the tests that are gone
            blame = tuple(sorted(n for n in b.tests if n not in now_tests))
        waiver = f" (waiver {a.waiver})" if a.waiver else ""
        out.append(Finding("requirement", rid, b.verdict.value, a.verdict.value, move,
                           f"requirement {rid}: {b.verdict.value} -> {a.verdict.value}{waiver}", (rid,), blame))


# ---- classes and decision ---------------------------------------------------------------------


def _class_move(before: Decision, after: Decision) -> Severity:
    if before in DECISION_RANK and after in DECISION_RANK:
        return "regression" if DECISION_RANK[after] < DECISION_RANK[before] else "improvement"
    if before in (Decision.certified, Decision.certified_with_waivers):
        return "regression"  # a certified class no longer claimed: the certified scope shrank
    if after in (Decision.certified, Decision.certified_with_waivers):
        return "improvement"
    return "change"


def _behind_class(c: ClassResult) -> tuple[str, ...]:
    return tuple(sorted(set(c.failed) | set(c.waived)))


def _diff_classes(baseline: Report, current: Report, out: list[Finding]) -> None:
    before = {c.id: c for c in baseline.classes}
    after = {c.id: c for c in current.classes}
    for cid in sorted(before.keys() | after.keys()):
        b, a = before.get(cid), after.get(cid)
        if a is None or b is None:
            present = a or b
            assert present is not None
            what = "appeared" if b is None else "disappeared"
            sev: Severity = "change"
            if b is not None and b.decision in (Decision.certified, Decision.certified_with_waivers):
                sev = "regression"
            out.append(Finding("class", cid, b.decision.value if b else None, a.decision.value if a else None, sev,
                               f"class {cid}: {what} ({present.decision.value})"))
            continue
        if a.decision is b.decision:
            continue
        out.append(Finding("class", cid, b.decision.value, a.decision.value, _class_move(b.decision, a.decision),
                           f"class {cid}: {b.decision.value} -> {a.decision.value}", _behind_class(a)))
    if baseline.decision is not current.decision:
        sev = _class_move(baseline.decision, current.decision)
        new_blockers = tuple(x for x in current.blockers if x not in baseline.blockers)
        reason = f" ({'; '.join(new_blockers)})" if new_blockers and sev == "regression" else ""
        out.append(Finding("decision", "decision", baseline.decision.value, current.decision.value, sev,
                           f"decision: {baseline.decision.value} -> {current.decision.value}{reason}"))


# ---- thoroughness and identity -----------------------------------------------------------------


def _fmt_limit(v: float | None) -> str:
    if v is None:
        return "each operation's own"
    return "none" if v == 0 else f"{v:g} s"


def _diff_thoroughness(baseline: Report, current: Report, out: list[Finding]) -> None:
    """Less thorough testing is a regression (fewer examples, an incomplete run, fewer tests,
    an overriding suite); more thorough testing an improvement; other settings are changes."""
    b, c = baseline.thoroughness, current.thoroughness

    def add(subject: str, old: object, new: object, severity: Severity, text: str, kind: Kind = "thoroughness") -> None:
        out.append(Finding(kind, subject, str(old), str(new), severity, text))

    if c.examples != b.examples:
        add("examples", b.examples, c.examples, "regression" if c.examples < b.examples else "improvement",
            f"thoroughness: hypothesis examples {b.examples} -> {c.examples}")
    if c.minimum_examples != b.minimum_examples:
        add("minimum_examples", b.minimum_examples, c.minimum_examples, "change",
            f"thoroughness: minimum examples {b.minimum_examples} -> {c.minimum_examples}")
    if c.derandomized != b.derandomized:
        add("derandomized", b.derandomized, c.derandomized, "change",
            f"thoroughness: derandomized {str(b.derandomized).lower()} -> {str(c.derandomized).lower()}")
    if c.timeout != b.timeout:
        add("timeout", b.timeout, c.timeout, "change",
            f"thoroughness: time limit per test {_fmt_limit(b.timeout)} -> {_fmt_limit(c.timeout)}")
    if c.call_timeout != b.call_timeout:
        add("call_timeout", b.call_timeout, c.call_timeout, "change",
            f"thoroughness: product call time limit {_fmt_limit(b.call_timeout)} -> {_fmt_limit(c.call_timeout)}")
    if baseline.complete != current.complete:
        add("complete", baseline.complete, current.complete, "regression" if baseline.complete else "improvement",
            "run: complete -> incomplete (interrupted)" if baseline.complete else "run: incomplete -> complete", "run")
    if baseline.selected != current.selected:
        add("selected", baseline.selected, current.selected,
            "regression" if current.selected < baseline.selected else "change",
            f"tests selected: {baseline.selected} -> {current.selected}", "run")
    bs, cs = baseline.suite, current.suite
    if (bs.origin, bs.digest) != (cs.origin, cs.digest):
        add("suite", f"{bs.origin} {bs.digest}", f"{cs.origin} {cs.digest}",
            "regression" if cs.origin == "override" and bs.origin != "override" else "change",
            f"suite: {bs.origin} {bs.digest[7:19]} -> {cs.origin} {cs.digest[7:19]}", "suite")
    if (baseline.spec.version, baseline.spec.digest) != (current.spec.version, current.spec.digest):
        add("spec", baseline.spec.version, current.spec.version, "change",
            f"spec {baseline.spec.version} ({baseline.spec.digest[7:19]}) -> "
            f"{current.spec.version} ({current.spec.digest[7:19]})", "spec")
    bi, ci = baseline.implementation, current.implementation
    if (bi.name, bi.version) != (ci.name, ci.version):
        what = "version" if bi.name == ci.name else "name and version"
        old = bi.version if bi.name == ci.name else f"{bi.name} {bi.version}"
        new = ci.version if bi.name == ci.name else f"{ci.name} {ci.version}"
        add("product", old, new, "change", f"product {what} {old} -> {new}", "product")


# ---- tests --------------------------------------------------------------------------------------


def _first_line(message: str, limit: int = 200) -> str:
    line = message.strip().splitlines()[0] if message.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _diff_tests(baseline: Report, current: Report, out: list[Finding]) -> list[TestChange]:
    before = {t.nodeid: t for t in baseline.tests}
    after = {t.nodeid: t for t in current.tests}
    applicable_now = {r.id for r in current.requirements if r.verdict is not Verdict.not_applicable}
    changes: list[TestChange] = []
    for nodeid in sorted(before.keys() | after.keys()):
        b, a = before.get(nodeid), after.get(nodeid)
        if b is not None and a is not None and a.verdict is b.verdict:
            continue
        t = a or b
        assert t is not None
        changes.append(TestChange(nodeid, tuple(t.requirements), b.verdict if b else None, a.verdict if a else None,
                                  _first_line(a.message if a else "")))
        if a is None and b is not None and b.verdict is Verdict.passed and set(b.requirements) & applicable_now:
            out.append(Finding("test", nodeid, "pass", None, "regression",
                               f"test {nodeid}: passed before, missing now", tuple(sorted(b.requirements)), (nodeid,)))
    return changes


# ---- known-failing ----------------------------------------------------------------------------


def _apply_known_failing(diff: ReportDiff, known: KnownFailing, baseline: Report, current: Report) -> None:
    """Mark the regressions ``known`` tolerates and record what each entry did."""
    used: set[int] = set()
    out: list[Finding] = []
    for f in diff.findings:
        if f.severity == "regression" and f.kind in ("requirement", "test"):
            entries: tuple[KnownFailingEntry, ...] = ()
            if f.kind == "requirement":
                entries = known.covering(f.subject, f.tests)
            else:
                for rid in f.requirements:
                    entries = known.covering(rid, ()) or entries
                entries = entries or known.covering(None, f.tests)
            if entries:
                used.update(e.line for e in entries)
                f = _tolerate(f, entries)
        out.append(f)
    # A class or decision regression is tolerated when every requirement behind it is listed. A
    # class lost with no requirement of its own behind it (it depends on a class that was lost) is
    # tolerated when every class lost because of its requirements is; one lost to a misdeclaration
    # or to evidence outside the suite never is.
    def covered(rid: str) -> tuple[KnownFailingEntry, ...]:
        return known.covering(rid, _non_passing_tests(current, rid))

    now = {c.id: c for c in current.classes}
    misdeclared = {cid for m in current.misdeclared for cid in m.classes}
    final: list[Finding] = []
    own_ok, dependent = True, []
    for f in out:
        if f.severity == "regression" and f.kind == "class":
            if f.requirements:
                entries = tuple(e for rid in f.requirements for e in covered(rid))
                if all(covered(rid) for rid in f.requirements):
                    used.update(e.line for e in entries)
                    f = _tolerate(f, entries)
                else:
                    own_ok = False
            else:
                c = now.get(f.subject)
                if c is None or f.subject in misdeclared or c.evidence_required:
                    own_ok = False
                else:
                    dependent.append(len(final))
        final.append(f)
    by_requirements = [f for f in final if f.kind == "class" and f.severity == "regression" and f.requirements]
    if own_ok and by_requirements:
        values = tuple(dict.fromkeys(v for c in by_requirements for v in c.known_failing))
        for i in dependent:
            final[i] = _tolerate(final[i], _entries(known, values))
    classes_lost = [f for f in final if f.kind == "class" and f.severity == "regression"]
    class_ok = all(f.tolerated for f in classes_lost)
    new_blockers = [b for b in current.blockers if b not in baseline.blockers]
    for i, f in enumerate(final):
        if f.severity == "regression" and f.kind == "decision" and not new_blockers and class_ok and classes_lost:
            final[i] = _tolerate(f, tuple(e for c in classes_lost for e in _entries(known, c.known_failing)))
    diff.findings = final
    diff.known_failing = [entry_status(e, baseline, current, e.line in used) for e in known.entries]


def _entries(known: KnownFailing, values: Iterable[str]) -> tuple[KnownFailingEntry, ...]:
    wanted = set(values)
    return tuple(e for e in known.entries if e.value in wanted)


def _tolerate(f: Finding, entries: Sequence[KnownFailingEntry]) -> Finding:
    values = tuple(dict.fromkeys(str(e) for e in entries))
    return Finding(f.kind, f.subject, f.before, f.after, f.severity, f.text, f.requirements, f.tests, values)


# ---- the diff --------------------------------------------------------------------------------


def _label(report: Report) -> str:
    return f"{report.spec.id}@{report.spec.version} {report.implementation.name} {report.implementation.version}"


def diff_reports(baseline: Report, current: Report, known_failing: KnownFailing | None = None) -> ReportDiff:
    """What changed from ``baseline`` to ``current`` (same spec id; versions may differ);
    :class:`ReportError` for reports of different specs. ``known_failing`` tolerates listed
    regressions and checks that its entries are still true (see the module docstring)."""
    if baseline.spec.id != current.spec.id:
        raise ReportError(f"reports are of different specs: {baseline.spec.id} and {current.spec.id}")
    findings: list[Finding] = []
    _diff_thoroughness(baseline, current, findings)
    _diff_requirements(baseline, current, findings)
    _diff_classes(baseline, current, findings)
    tests = _diff_tests(baseline, current, findings)
    out = ReportDiff(
        baseline=_label(baseline), current=_label(current), decision_before=baseline.decision,
        decision_after=current.decision, findings=findings, tests=tests,
    )
    if known_failing is not None:
        _apply_known_failing(out, known_failing, baseline, current)
    return out


# ---- renderings -------------------------------------------------------------------------------


def _verdict(v: Verdict | None, missing: str) -> str:
    return v.value if v is not None else missing


@dataclass(frozen=True)
class TestGroup:
    """Test changes of one requirement (or set of requirements), identical changes collapsed."""

    __test__ = False

    requirements: tuple[str, ...]
    count: int
    kinds: tuple[tuple[str, str, str, int], ...]  # (before, after, message, count), most frequent first


def group_tests(changes: Sequence[TestChange]) -> list[TestGroup]:
    """Test changes grouped by requirement, with identical (before, after, message) collapsed."""
    groups: dict[tuple[str, ...], list[TestChange]] = defaultdict(list)
    for c in changes:
        groups[c.requirements].append(c)
    out = []
    for reqs in sorted(groups):
        items = groups[reqs]
        counts = Counter((_verdict(c.before, "new"), _verdict(c.after, "gone"), c.message) for c in items)
        kinds = tuple((b, a, m, n) for (b, a, m), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        out.append(TestGroup(reqs, len(items), kinds))
    return out


def diff_json(diff: ReportDiff) -> str:
    """The diff as JSON: lists by severity, test changes, known-failing entries, exit code."""

    def dump(items: Iterable[Finding]) -> list[dict[str, Any]]:
        return [f.to_json() for f in items]

    data = {
        "baseline": diff.baseline,
        "current": diff.current,
        "decision": {
            "before": diff.decision_before.value if diff.decision_before else None,
            "after": diff.decision_after.value if diff.decision_after else None,
        },
        "regressions": dump(f for f in diff.of("regression") if not f.tolerated),
        "known_failing_regressions": dump(f for f in diff.of("regression") if f.tolerated),
        "improvements": dump(diff.of("improvement")),
        "changes": dump(diff.of("change")),
        "requirements": {
            "worse": [f.subject for f in diff.of("regression", "requirement")],
            "better": [f.subject for f in diff.of("improvement", "requirement")],
            "appeared": [f.subject for f in diff.of("change", "requirement") if f.before is None],
            "disappeared": [f.subject for f in diff.of("change", "requirement") if f.after is None],
        },
        "classes": {
            "lost": [f.subject for f in diff.of("regression", "class")],
            "gained": [f.subject for f in diff.of("improvement", "class")],
        },
        "tests": [c.to_json() for c in diff.tests],
        "known_failing": [
            {"line": s.entry.line, "entry": s.entry.value, "kind": s.entry.kind, "status": s.status,
             "detail": s.detail, "comment": s.entry.comment}
            for s in diff.known_failing
        ],
        "exit_code": diff.exit_code,
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def _what(f: Finding, text: Callable[[str], str], code: Callable[[str], str]) -> str:
    """What a finding is about, for a table cell."""
    if f.kind in ("requirement", "class", "test"):
        return f"{f.kind} {code(f.subject)}"
    if f.kind == "thoroughness":
        return f"thoroughness: {text(f.subject.replace('_', ' '))}"
    return text(f.kind)


def diff_markdown(diff: ReportDiff, *, max_test_groups: int = 50) -> str:
    """A pull-request comment: headline (regressions, decision before -> after), then the
    regressions table, improvements, other changes, known-failing entries and the test-level
    changes grouped by requirement. Every text from a report is escaped for Markdown."""
    from .writers import _md_code, _md_text

    regressions = [f for f in diff.of("regression") if not f.tolerated]
    tolerated = [f for f in diff.of("regression") if f.tolerated]
    before = diff.decision_before.value if diff.decision_before else "?"
    after = diff.decision_after.value if diff.decision_after else "?"
    verdict = "fails" if diff.exit_code else "passes"
    stale = diff.stale
    lines = [
        f"### orbitcert report diff: {len(regressions)} regression(s), decision {_md_text(before)} → "
        f"{_md_text(after)} — gate {verdict}",
        "",
        f"{_md_text(diff.baseline)} → {_md_text(diff.current)}",
    ]
    if tolerated:
        lines += ["", f"{len(tolerated)} known-failing regression(s) tolerated."]
    if stale:
        lines += ["", f"**{len(stale)} stale known-failing entr{'y' if len(stale) == 1 else 'ies'}** (now passing): "
                  "remove from the list."]

    def table(title: str, items: Sequence[Finding], note: bool = False) -> None:
        if not items:
            return
        lines.extend(["", f"#### {title}", "", "| what | before | after |" + (" known failing |" if note else ""),
                      "|---|---|---|" + ("---|" if note else "")])
        for f in items:
            row = f"| {_what(f, _md_text, _md_text)} | {_md_text(f.before or '—')} | {_md_text(f.after or '—')} |"
            if note:
                row += f" {_md_text(', '.join(f.known_failing))} |"
            lines.append(row)

    table("Regressions", regressions)
    table("Known failing (tolerated)", tolerated, note=True)
    table("Improvements", diff.of("improvement"))
    table("Other changes", diff.of("change"))
    if diff.known_failing:
        lines += ["", "#### Known-failing entries", ""]
        for s in diff.known_failing:
            lines.append(f"- line {s.entry.line} {_md_code(s.entry.value)}: **{s.status}**: {_md_text(s.detail)}")
    groups = group_tests(diff.tests)
    if groups:
        lines += ["", f"#### Test changes ({len(diff.tests)})", ""]
        for g in groups[:max_test_groups]:
            who = ", ".join(_md_code(r) for r in g.requirements) or "no requirement"
            parts = []
            for b, a, m, n in g.kinds:
                msg = f": {_md_text(m)}" if m else ""
                parts.append(f"{n} × {_md_text(b)} → {_md_text(a)}{msg}")
            lines.append(f"- {g.count} test{'s' if g.count != 1 else ''} of {who} changed: " + "; ".join(parts))
        if len(groups) > max_test_groups:
            lines.append(f"- … and {len(groups) - max_test_groups} more group(s) (see --format json)")
    return "\n".join(lines) + "\n"

"""What a person reads in a certification report: the view behind the HTML and Markdown renderings.

:func:`report_view` turns a :class:`~.report.Report` into the parts a reader needs, in the order a
certification body hands them out (ISO/IEC 17065:2012, 7.7.1: a certification document names the
product, the scheme and the *scope of certification*):

1. the decision, in words (:class:`Headline`), with what blocks certification;
2. the certified scope (:class:`Scope`): the claimed conformance classes and the ICS answers
   (ISO/IEC 9646-7 implementation conformance statement), and, when the spec is at hand, what a
   full claim (:func:`orbitcert.specs.ics.full_ics`) has that this one lacks, so a narrowed
   certificate never reads like a full one;
3. the trust of each signature (:class:`SignatureView`);
4. requirements that did not pass before those that did (:class:`RequirementView`), and the
   failing tests' messages grouped (:class:`MessageGroup`): a product that crashed in 79 tests
   gets one message with a count, not 79 copies.

Test messages are shown as a reader needs them (:func:`clean_message`): pytest's hints for its
own command line ("Use -v to get more diff", "use '-vv' to show") are dropped, blank lines
removed, control characters and bidi overrides made visible; :func:`shorten` cuts long ones,
the renderings keep the full text in a collapsed block.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from orbitcert.specs.model import LEVEL_RANK, IcsType, Spec
from orbitcert.specs.safetext import clean_text, printable

from .report import Report
from .results import ClassResult, Decision, RequirementResult, TestResult, Verdict, WaiverRecord
from .signing import SignerTrust, short_id

__all__ = [
    "Headline",
    "MessageGroup",
    "ReportView",
    "RequirementView",
    "Scope",
    "SignatureView",
    "TestLine",
    "clean_message",
    "report_view",
    "shorten",
]

#: A message longer than this many lines or characters is cut, the full text kept aside.
MESSAGE_LINES = 6
MESSAGE_CHARS = 480

#: Test verdicts whose messages are grouped as failures, worst first.
FAILING = (Verdict.error, Verdict.failed, Verdict.inconclusive)
#: Requirement verdicts shown first ("not passed"), worst first.
NOT_PASSED = (Verdict.error, Verdict.failed, Verdict.inconclusive)

# pytest's hints about its own command line (pytest 8/9 _pytest/assertion: compare_text,
# _compare_sequence, _compare_mapping, truncate): useless in a report nobody re-runs with -v.
_HINT_LINE = re.compile(
    r"^\s*(?:Use -v+ to get (?:more|the full) diff\.?"
    r"|\.*\s*Full output truncated(?: \(\d+ lines? hidden\))?, use '-vv' to show\.?)\s*$"
)
#: The reason :func:`~.verdicts.roll_up_requirements` gives a requirement that did not pass.
_ROLL_UP_REASON = re.compile(r"^\d+ test\(s\) (?:fail|error|inconclusive): \S+$")
_HINT_TAIL = re.compile(r",? use '?-v+'? to show\.?\s*$")


def clean_message(message: str) -> str:
    """A test's message as a reader sees it: lone surrogates as U+FFFD, control characters and
    bidi overrides as visible escapes (:func:`~orbitcert.specs.safetext.printable`), pytest's
    command-line hints dropped (whole lines such as "Use -v to get more diff", and the tail
    ", use -vv to show" of "Omitting 3 identical items, use -vv to show"), trailing spaces and
    blank lines removed."""
    text = clean_text(message).replace("\r\n", "\n")
    lines = []
    for line in printable(text).split("\n"):
        if _HINT_LINE.match(line):
            continue
        line = _HINT_TAIL.sub("", line.rstrip()).rstrip()
        if line.strip():
            lines.append(line)
    return "\n".join(lines)


def shorten(text: str, lines: int = MESSAGE_LINES, chars: int = MESSAGE_CHARS) -> tuple[str, bool]:
    """``text`` cut to at most ``lines`` lines and ``chars`` characters (with an ellipsis), and
    whether it was cut."""
    parts = text.split("\n")
    short = "\n".join(parts[:lines])
    if len(short) > chars:
        short = short[:chars]
    if short == text:
        return text, False
    return short.rstrip() + " …", True


@dataclass(frozen=True)
class Headline:
    """The decision in words, with its tone (``ok``, ``warn``, ``bad``) and why."""

    decision: str
    words: str
    tone: str
    because: list[str]


@dataclass(frozen=True)
class Scope:
    """The certified scope: claimed classes (id, title), classes not claimed (id, reason), ICS
    answers (id, value as text); ``narrowed`` lists what a full claim has that this ICS does not
    ("class framing", "randomizer", "rs_interleaving_depths 3, 4, 8"), ``limits`` the answers
    that differ from a full claim's value; ``compared`` is False when the spec was not at hand
    (``note`` says why) and only the classes could be compared."""

    claimed: list[tuple[str, str]]
    not_claimed: list[tuple[str, str]]
    items: list[tuple[str, str]]
    narrowed: list[str]
    limits: list[str]
    compared: bool
    generated: bool
    note: str = ""

    @property
    def is_narrowed(self) -> bool:
        return bool(self.narrowed or self.limits)


@dataclass(frozen=True)
class SignatureView:
    """One signature as a reader needs it: who signed, with which key, whether it is valid and
    who trusts the key (``status``: trusted, untrusted or invalid)."""

    number: int
    role: str
    signer: str
    key: str
    key_id: str
    signed_at: str
    status: str
    trust: str


@dataclass
class TestLine:
    """One test of a requirement or of a message group."""

    nodeid: str
    verdict: str
    duration: float
    message: str
    short: str
    truncated: bool

    __test__ = False


@dataclass
class MessageGroup:
    """Failing tests (error, fail, inconclusive) grouped by the first line of their cleaned
    message; ``message`` is the whole message when every test of the group has the same one
    (``same``), else that first line and each test keeps its own."""

    number: int
    headline: str
    message: str
    same: bool
    verdict: str
    tests: list[TestLine] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"message-{self.number}"

    @property
    def shortened(self) -> tuple[str, bool]:
        return shorten(self.message)


@dataclass
class RequirementView:
    """A requirement with its tests by verdict and the message groups of its failing tests
    (group, how many of this requirement's tests are in it)."""

    result: RequirementResult
    title: str
    tests: list[tuple[str, list[TestLine]]]
    groups: list[tuple[MessageGroup, int]]
    waiver: WaiverRecord | None

    @property
    def id(self) -> str:
        return self.result.id

    @property
    def reason(self) -> str:
        """The requirement's reason, unless it only repeats what the message groups show (the
        roll-up's "N test(s) fail: <first test>")."""
        if self.groups and _ROLL_UP_REASON.match(self.result.reason):
            return ""
        return self.result.reason


@dataclass
class ReportView:
    """Everything :func:`report_view` derives from a report, in reading order."""

    headline: Headline
    scope: Scope
    signatures: list[SignatureView]
    trusted: bool
    not_passed: list[RequirementView]
    waived: list[RequirementView]
    not_verified: list[RequirementView]
    passed: list[tuple[str, str, list[RequirementView]]]
    not_applicable: list[RequirementView]
    groups: list[MessageGroup]
    counts: dict[str, int]


_WORDS = {
    Decision.certified: ("CERTIFIED", "ok"),
    Decision.certified_with_waivers: ("CERTIFIED WITH WAIVERS", "warn"),
    Decision.not_certified: ("NOT CERTIFIED", "bad"),
    Decision.not_claimed: ("NOT CLAIMED", "bad"),
}


def _ids(ids: Sequence[str]) -> str:
    return ", ".join(ids)


def _headline(report: Report) -> Headline:
    words, tone = _WORDS[report.decision]
    claimed = [c for c in report.classes if c.claimed]
    because: list[str] = [f"Cannot certify: {b.rstrip('.')}." for b in report.blockers]
    bad = [c for c in claimed if c.decision not in (Decision.certified, Decision.certified_with_waivers)]
    if report.decision is Decision.certified:
        because.append(f"Every claimed class is certified: {_ids([c.id for c in claimed])}.")
    elif report.decision is Decision.certified_with_waivers:
        waived = [rid for c in claimed for rid in c.waived]
        because.append(
            f"Every claimed class is certified, {len(waived)} requirement(s) only by waiver: {_ids(waived)}. "
            "A waived requirement did not pass."
        )
    else:
        because += [f"Class {c.id}: {(c.reason or c.decision.value).rstrip('.')}." for c in bad]
        if not claimed:
            because.append("No class is claimed.")
    return Headline(decision=report.decision.value, words=words, tone=tone, because=because)


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "none"
    return str(value)


def _scope(report: Report, spec: Spec | None, note: str) -> Scope:
    titles = {c.id: c.title for c in spec.classes} if spec is not None else {}
    ics = report.ics
    claimed = [(c, titles.get(c, "")) for c in ics.classes]
    classes: list[ClassResult] = list(report.classes)
    not_claimed = [
        (c.id, ics.not_claimed.get(c.id, "")) for c in classes if not c.claimed and c.id not in ics.classes
    ]
    narrowed = [f"class {cid}" + (f" ({why})" if why else "") for cid, why in not_claimed]
    items = [(k, _value_text(v)) for k, v in ics.items.items()]
    limits: list[str] = []
    compared = spec is not None
    full: dict[str, Any] = {}
    if spec is not None:
        from orbitcert.specs.errors import OrbitcertError
        from orbitcert.specs.ics import full_ics

        try:
            full = full_ics(spec).items
        except OrbitcertError as exc:
            compared, note = False, f"the spec's full ICS could not be built ({exc}): the ICS answers are not compared."
    if compared and spec is not None:
        proforma = {i.id: i for i in spec.ics}
        for item_id, full_value in full.items():
            item = proforma.get(item_id)
            if item is None:
                continue
            mine = ics.items.get(item_id)
            if item.type is IcsType.boolean:
                if full_value is True and mine is not True:
                    narrowed.append(item_id)
            elif item.type is IcsType.set:
                missing = [v for v in full_value if not isinstance(mine, list) or v not in mine]
                if missing:
                    narrowed.append(f"{item_id} value{'s' if len(missing) != 1 else ''} {_value_text(missing)}")
            elif item_id not in ics.items:
                narrowed.append(f"{item_id} (not answered)")
            elif (item.default is not None or item.maximum is not None) and mine != full_value:
                unit = f" {item.unit}" if item.unit else ""
                limits.append(f"{item_id} = {_value_text(mine)}{unit} (a full claim: {_value_text(full_value)}{unit})")
    return Scope(
        claimed=claimed, not_claimed=not_claimed, items=items, narrowed=narrowed, limits=limits,
        compared=compared, generated=ics.generated, note=note,
    )


def _signature(t: SignerTrust) -> SignatureView:
    if t.problem:
        status, trust = "invalid", f"INVALID: {t.problem}"
    elif t.trusted_by:
        status, trust = "trusted", f"trusted by {_ids(list(t.trusted_by))}"
    elif t.ephemeral:
        status, trust = "untrusted", "one-time key (certify without --sign-key): no keyring can trust it"
    else:
        status, trust = "untrusted", "not in any keyring given to this run"
    return SignatureView(
        number=t.index + 1, role=t.role, signer=printable(clean_text(t.signer)), key=short_id(t.key_id),
        key_id=t.key_id, signed_at=t.signed_at, status=status, trust=trust,
    )


def _line(t: TestResult) -> TestLine:
    message = clean_message(t.message)
    short, cut = shorten(message)
    return TestLine(nodeid=t.nodeid, verdict=t.verdict.value, duration=t.duration, message=message, short=short, truncated=cut)


def _groups(report: Report) -> list[MessageGroup]:
    """Failing tests grouped by the first line of their message; groups of the worst verdict
    first, then the largest, then in order of their first test."""
    by_head: dict[str, MessageGroup] = {}
    order = {v: i for i, v in enumerate(FAILING)}
    for t in report.tests:
        if t.verdict not in FAILING:
            continue
        line = _line(t)
        head = line.message.split("\n", 1)[0] or f"({t.verdict.value}, no message)"
        group = by_head.get(head)
        if group is None:
            group = by_head[head] = MessageGroup(
                number=0, headline=head, message=line.message, same=True, verdict=t.verdict.value
            )
        elif line.message != group.message:
            group.same = False
        if order[Verdict(t.verdict)] < order[Verdict(group.verdict)]:
            group.verdict = t.verdict.value
        group.tests.append(line)
        group.requirements += [r for r in t.requirements if r not in group.requirements]
    groups = sorted(by_head.values(), key=lambda g: (order[Verdict(g.verdict)], -len(g.tests)))
    spec_order = {r.id: i for i, r in enumerate(report.requirements)}
    for i, g in enumerate(groups, 1):
        g.number = i
        g.requirements.sort(key=lambda rid: (spec_order.get(rid, len(spec_order)), rid))
        if not g.same:
            g.message = g.headline
    return groups


def report_view(report: Report, trust: Sequence[SignerTrust], spec: Spec | None = None, note: str = "") -> ReportView:
    """The view of ``report``; ``trust`` its signatures checked against keyrings
    (:func:`~.signing.signature_trust`); ``spec`` the spec it tests, for the scope comparison
    (None: classes compared only, ``note`` says why)."""
    groups = _groups(report)
    group_of: dict[str, MessageGroup] = {t.nodeid: g for g in groups for t in g.tests}
    tests = {t.nodeid: t for t in report.tests}
    waivers = {w.id: w for w in report.waivers}
    titles = {r.id: r.text for r in report.requirements}
    verdict_rank = {v: i for i, v in enumerate((*FAILING, Verdict.none, Verdict.waived, Verdict.passed, Verdict.not_applicable))}

    def view(r: RequirementResult) -> RequirementView:
        mine = [tests[n] for n in r.tests if n in tests]
        by_verdict: dict[str, list[TestLine]] = {}
        for t in sorted(mine, key=lambda t: verdict_rank.get(t.verdict, 99)):
            by_verdict.setdefault(t.verdict.value, []).append(_line(t))
        counts: dict[int, int] = {}
        for t in mine:
            g = group_of.get(t.nodeid)
            if g is not None:
                counts[g.number] = counts.get(g.number, 0) + 1
        own = [(g, counts[g.number]) for g in groups if g.number in counts]
        return RequirementView(
            result=r, title=titles[r.id], tests=list(by_verdict.items()), groups=own,
            waiver=waivers.get(r.waiver) if r.waiver else None,
        )

    def severity(r: RequirementResult) -> tuple[int, int]:
        return (-LEVEL_RANK[r.level], verdict_rank.get(r.verdict, 99))

    reqs = report.requirements
    not_passed = [view(r) for r in sorted((r for r in reqs if r.verdict in NOT_PASSED), key=severity)]
    waived = [view(r) for r in reqs if r.verdict is Verdict.waived]
    not_verified = [view(r) for r in reqs if r.verdict is Verdict.none]
    class_titles = {c.id: c.title for c in spec.classes} if spec is not None else {}
    passed: list[tuple[str, str, list[RequirementView]]] = []
    for c in report.classes:
        mine_passed = [view(r) for r in reqs if r.class_ == c.id and r.verdict is Verdict.passed]
        if mine_passed:
            passed.append((c.id, class_titles.get(c.id, ""), mine_passed))
    known = {c.id for c in report.classes}
    stray = [view(r) for r in reqs if r.class_ not in known and r.verdict is Verdict.passed]
    if stray:
        passed.append(("(no class)", "", stray))
    views = [_signature(t) for t in trust]
    headline = _headline(report)
    invalid = [sv for sv in views if sv.status == "invalid"]
    if invalid or not views:
        why = (
            f"signature {', '.join(str(sv.number) for sv in invalid)} does not verify: the report was changed after signing"
            if invalid else "the report is unsigned"
        )
        headline.because.append(f"Warning: {why}; this page is no evidence of the decision.")
    return ReportView(
        headline=headline,
        scope=_scope(report, spec, note),
        signatures=views,
        trusted=bool(views) and views[0].role == "vendor" and views[0].status == "trusted",
        not_passed=not_passed,
        waived=waived,
        not_verified=not_verified,
        passed=passed,
        not_applicable=[view(r) for r in reqs if r.verdict is Verdict.not_applicable],
        groups=groups,
        counts={v: sum(1 for r in reqs if r.verdict.value == v) for v in sorted({r.verdict.value for r in reqs})},
    )

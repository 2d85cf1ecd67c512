"""The known-failing list of the CI gate (``orbitcert report diff --known-failing FILE``).

A project that adopts the gate while some requirements still fail lists them, so that the gate
blocks only what a change makes worse. The file holds one entry per line:

* a requirement id (``OISL-COD-004``): any regression of that requirement is tolerated;
* a test pattern, matched with :func:`fnmatch.fnmatchcase` against the tests' node ids
  (``test_coding.py::test_rs_*``; a pattern also matches a node id under any folder, so
  ``test_coding.py::*`` matches ``suites/x/test_coding.py::test_a``, and a full node id such as
  ``test_coding.py::test_rs[8]`` matches itself although ``[8]`` is a character class to fnmatch;
  ``[[]`` is a literal ``[``): a regression all of whose non-passing tests are matched is tolerated;
* an optional ``# comment`` (whole line or after the entry), blank lines ignored.

The same list may be written as a YAML sequence of strings (``- OISL-COD-004  # issue 41``):
a leading ``- `` and quotes around the entry are accepted, and a ``.yaml``/``.yml`` file must
also parse as a YAML list of strings.

The list must stay true: an entry whose requirement or tests pass in the new report is *stale*
(the gate fails until it is removed), and an entry that matches nothing in either report is
reported as a warning (the same discipline as pytest's ``xfail(strict=True)``, where an expected
failure that passes fails the run).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

import yaml

from orbitcert.specs.errors import InputFileError
from orbitcert.specs.fsutil import read_bounded

from .report import Report
from .results import Verdict

__all__ = [
    "EntryStatus",
    "KnownFailing",
    "KnownFailingEntry",
    "MAX_KNOWN_FAILING_BYTES",
    "entry_status",
    "load_known_failing",
    "parse_known_failing",
]

#: A known-failing list larger than this is not a list someone maintains.
MAX_KNOWN_FAILING_BYTES = 1 << 20

#: A requirement id, as the spec model defines it (:data:`orbitcert.specs.model.REQ_ID`).
_REQ_ID = re.compile(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)+")
#: A comment: ``#`` at the start of the line or after white space.
_COMMENT = re.compile(r"(^|\s)#(.*)$")
#: Characters a node id pattern never needs and a typo or a pasted log line often brings.
_BAD_CHARS = re.compile(r"[\s\x00-\x1f\x7f]")


@dataclass(frozen=True)
class KnownFailingEntry:
    """One line of the list: a requirement id or a node id pattern, with its line number."""

    line: int
    kind: Literal["requirement", "test"]
    value: str
    comment: str = ""

    def matches_test(self, nodeid: str) -> bool:
        """Whether this test pattern matches ``nodeid`` (or its tail after any ``/``), as an
        fnmatch pattern or literally (a node id's ``[param]`` is not a character class then)."""
        if self.kind != "test":
            return False
        path = nodeid.split("::", 1)[0]
        tails = [nodeid] + [nodeid[i + 1 :] for i, ch in enumerate(path) if ch == "/"]
        return any(t == self.value or fnmatchcase(t, self.value) for t in tails)

    def covers(self, requirement: str | None, tests: Iterable[str]) -> bool:
        """Whether the entry tolerates a regression of ``requirement`` whose non-passing tests are
        ``tests``: the requirement is listed, or every one of the tests (at least one) is matched."""
        if self.kind == "requirement":
            return requirement is not None and requirement == self.value
        tests = list(tests)
        return bool(tests) and all(self.matches_test(t) for t in tests)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class KnownFailing:
    """A parsed known-failing list."""

    entries: tuple[KnownFailingEntry, ...]
    path: str | None = None

    def covering(self, requirement: str | None, tests: Iterable[str]) -> tuple[KnownFailingEntry, ...]:
        """The entries that each tolerate a regression of ``requirement`` with non-passing ``tests``;
        test patterns count together: every test matched by some pattern is enough."""
        tests = sorted(set(tests))
        by_id = tuple(e for e in self.entries if e.kind == "requirement" and e.covers(requirement, tests))
        if by_id:
            return by_id
        patterns = [e for e in self.entries if e.kind == "test"]
        if not tests or not patterns:
            return ()
        used: dict[int, KnownFailingEntry] = {}
        for t in tests:
            hits = [e for e in patterns if e.matches_test(t)]
            if not hits:
                return ()
            for e in hits:
                used.setdefault(e.line, e)
        return tuple(used[k] for k in sorted(used))


@dataclass(frozen=True)
class EntryStatus:
    """What one entry did in a diff.

    ``tolerates``: it covers at least one regression; ``failing``: what it names still does not
    pass (no regression to tolerate, the entry is still true); ``stale``: what it names passes in
    the new report (remove the entry; the gate fails); ``unmatched``: it names nothing in either
    report (a warning)."""

    entry: KnownFailingEntry
    status: Literal["tolerates", "failing", "stale", "unmatched"]
    detail: str


def _unquote(text: str, line: int, path: str | None) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text[:1] in "'\"" or text[-1:] in "'\"":
        raise InputFileError(f"unbalanced quotes in {text!r}", path=path, line=line)
    return text


def parse_known_failing(text: str, path: str | Path | None = None) -> KnownFailing:
    """The entries of a known-failing list (module docstring); :class:`InputFileError` naming the
    line of an entry that is neither a requirement id nor a test pattern, or of a duplicate."""
    where = str(path) if path is not None else None
    entries: list[KnownFailingEntry] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        m = _COMMENT.search(raw)
        comment = m.group(2).strip() if m else ""
        body = raw[: m.start()] if m else raw
        body = body.strip()
        if not body:
            continue
        if body.startswith("- ") or body == "-":
            body = body[1:].strip()
        if not body:
            raise InputFileError("an empty list item: write a requirement id or a test pattern", path=where, line=number)
        body = _unquote(body, number, where).strip()
        if not body or _BAD_CHARS.search(body):
            raise InputFileError(
                f"{body!r} is not an entry: one requirement id or test pattern per line, no spaces", path=where, line=number
            )
        if _REQ_ID.fullmatch(body):
            kind: Literal["requirement", "test"] = "requirement"
        elif "::" in body or any(ch in body for ch in "*?["):
            kind = "test"
        else:
            raise InputFileError(
                f"{body!r} is neither a requirement id (like OISL-COD-004) nor a test pattern "
                "(a node id or fnmatch pattern with '::', like test_coding.py::test_rs_*)",
                path=where,
                line=number,
            )
        if body in seen:
            raise InputFileError(f"{body!r} is listed twice (first on line {seen[body]})", path=where, line=number)
        seen[body] = number
        entries.append(KnownFailingEntry(line=number, kind=kind, value=body, comment=comment))
    return KnownFailing(entries=tuple(entries), path=where)


def load_known_failing(path: str | Path) -> KnownFailing:
    """Read and parse a known-failing file (plain text, or YAML when it ends in .yaml/.yml);
    :class:`InputFileError` naming the file, and the line where known."""
    p = Path(path)
    raw = read_bounded(p, MAX_KNOWN_FAILING_BYTES, "known-failing list")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError("not UTF-8 text", path=p, line=raw[: exc.start].count(b"\n") + 1) from None
    if p.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where: int | None = int(mark.line) + 1 if mark is not None else None
            problem = getattr(exc, "problem", None) or "not valid YAML"
            raise InputFileError(f"not valid YAML: {problem}", path=p, line=where) from None
        if data is not None and not (isinstance(data, list) and all(isinstance(x, str) for x in data)):
            raise InputFileError(
                "a YAML known-failing list is a sequence of strings (- OISL-COD-004)", path=p, line=_first_line(text)
            )
    return parse_known_failing(text, p)


def _first_line(text: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            return number
    return 1


def entry_status(entry: KnownFailingEntry, baseline: Report, current: Report, tolerated: bool) -> EntryStatus:
    """The status of ``entry`` against the two reports (``tolerated``: it covers a regression)."""
    if entry.kind == "requirement":
        now = {r.id: r.verdict for r in current.requirements}
        before = {r.id: r.verdict for r in baseline.requirements}
        if entry.value not in now and entry.value not in before:
            return EntryStatus(entry, "unmatched", f"requirement {entry.value} is in neither report")
        verdict = now.get(entry.value)
        if verdict is Verdict.passed:
            return EntryStatus(entry, "stale", f"requirement {entry.value} passes now: remove the entry")
        if tolerated:
            return EntryStatus(entry, "tolerates", f"requirement {entry.value} is {verdict.value if verdict else 'gone'}")
        what = verdict.value if verdict is not None else "not in the new report"
        return EntryStatus(entry, "failing", f"requirement {entry.value} is {what}")
    now_tests = {t.nodeid: t.verdict for t in current.tests}
    matched_now = sorted(n for n in now_tests if entry.matches_test(n))
    matched_before = [t.nodeid for t in baseline.tests if entry.matches_test(t.nodeid)]
    if not matched_now and not matched_before:
        return EntryStatus(entry, "unmatched", f"pattern {entry.value} matches no test of either report")
    counted = [n for n in matched_now if now_tests[n] is not Verdict.not_applicable]
    if counted and all(now_tests[n] is Verdict.passed for n in counted):
        return EntryStatus(entry, "stale", f"the {len(counted)} test(s) it matches pass now: remove the entry")
    failing = sum(1 for n in counted if now_tests[n] is not Verdict.passed)
    detail = f"{failing} of {len(matched_now)} matched test(s) do not pass" if matched_now else "its tests are gone"
    return EntryStatus(entry, "tolerates" if tolerated else "failing", detail)

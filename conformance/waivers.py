"""Waivers: a signed-off acceptance that a requirement need not pass, for a while (issue 13).

A waivers file is YAML with one top-level key, ``waivers``, a list of entries with the fields of
:class:`~orbitcert.conformance.results.Waiver`::

    waivers:
      - id: W-2026-014
        spec: net-optical-isl
        versions: ">=1.0.0,<2.0.0"      # '*', an exact version, or comparisons joined by commas
        requirements: [OISL-COD-006]
        product: "acme-*"              # shell-style pattern on the product name (fnmatch)
        approver: CCSDS SLS-OPT review board
        reason: shortened code blocks are scheduled for firmware 2.3
        issue: https://tracker.example/ACME-88
        expires: "2027-01-31"          # last UTC day the waiver applies

:func:`load_waivers` reads such a file (bounded, data-only YAML: :mod:`orbitcert.specs.yamlio`)
and refuses, naming file, line and field, anything malformed: an unknown key, a missing field, a
duplicate waiver id, a version range that does not parse, a date that does not exist.

:func:`apply_waivers` applies them to the rolled-up requirement verdicts of one run. A waiver
covers a requirement when its spec id, version range and product pattern match the run, it names
the requirement, and the run finished on or before its expiry date. A covered requirement whose
verdict is ``fail``, ``error``, ``inconclusive`` or ``none`` (not verified) becomes ``waived``;
its reason keeps the underlying verdict. ``pass`` and ``not-applicable`` stay as they are. Each
waiver for the spec gets a :class:`~orbitcert.conformance.results.WaiverRecord` saying what it
did (applied, expired, not-needed, unmatched).

Version ranges compare versions with the precedence of Semantic Versioning 2.0.0, item 11
(:func:`orbitcert.specs.model.version_key`): a pre-release sorts before its release, so
``2.0.0-rc.1`` is inside ``<2.0.0`` and ``1.0.0-rc.1`` is outside ``>=1.0.0``. Unlike npm's
ranges there is no special rule excluding pre-releases: precedence alone decides.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orbitcert.specs.errors import ReportError, WaiverError, format_loc, from_validation_error
from orbitcert.specs.model import SEMVER, version_key
from orbitcert.specs.yamlio import YamlDocument, load_yaml_file, load_yaml_text

from .results import RequirementResult, Verdict, Waiver, WaiverRecord

__all__ = [
    "WAIVABLE",
    "VersionRange",
    "apply_waivers",
    "load_waivers",
    "load_waivers_text",
    "parse_version_range",
    "utc_day",
    "waivers_of",
]

#: Requirement verdicts a waiver turns into ``waived``: every verdict that is not a pass and not
#: "does not apply" (``none`` is a requirement nothing verified).
WAIVABLE = frozenset({Verdict.failed, Verdict.error, Verdict.inconclusive, Verdict.none})


# --- version ranges ----------------------------------------------------------------------------

_Op = Literal["==", "!=", ">=", "<=", ">", "<"]
_COMPARATOR = re.compile(r"^(==|!=|>=|<=|>|<|=)?\s*(\S+)$")


@dataclass(frozen=True)
class VersionRange:
    """A set of spec versions: ``*`` (every version), or comparators that must all hold."""

    source: str
    comparators: tuple[tuple[_Op, str], ...]

    def __contains__(self, version: object) -> bool:
        if not isinstance(version, str):
            return False
        key = version_key(version)
        for op, bound in self.comparators:
            other = version_key(bound)
            ok = {
                "==": key == other,
                "!=": key != other,
                ">=": key >= other,
                "<=": key <= other,
                ">": key > other,
                "<": key < other,
            }[op]
            if not ok:
                return False
        return True


def parse_version_range(text: str) -> VersionRange:
    """Parse ``*``, an exact version (``1.0.0``) or comparators joined by commas
    (``>=1.0.0,<2.0.0``; operators ``==`` ``=`` ``!=`` ``>=`` ``<=`` ``>`` ``<``). Versions are
    semver 2.0.0 without build metadata, as spec versions are. ValueError saying what is wrong."""
    source = text.strip()
    if source == "*":
        return VersionRange(text, ())
    if not source:
        raise ValueError("empty version range (use '*' for every version)")
    comparators: list[tuple[_Op, str]] = []
    for part in source.split(","):
        m = _COMPARATOR.match(part.strip())
        if m is None:
            raise ValueError(f"{part.strip()!r} is not a comparison (write e.g. '>=1.0.0')")
        op, version = m.group(1) or "==", m.group(2)
        if not re.match(SEMVER, version):
            raise ValueError(f"{version!r} is not a semantic version MAJOR.MINOR.PATCH[-PRERELEASE]")
        comparators.append(("==" if op == "=" else op, version))  # type: ignore[arg-type]
    return VersionRange(text, tuple(comparators))


# --- loading -----------------------------------------------------------------------------------


class _WaiversDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    waivers: list[Waiver] = Field(default_factory=list)


def _check_date(value: str) -> str | None:
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return f"{value!r} is not a date (YYYY-MM-DD)"
    return None


def _waiver_problems(waivers: Sequence[Waiver]) -> list[tuple[tuple[int | str, ...], str]]:
    """What pydantic cannot see: duplicate ids, bad version ranges, impossible dates, requirement
    ids named twice; each with its field path."""
    out: list[tuple[tuple[int | str, ...], str]] = []
    first: dict[str, int] = {}
    for i, w in enumerate(waivers):
        if w.id in first:
            out.append(((i, "id"), f"duplicate waiver id {w.id!r} (first in entry {first[w.id] + 1})"))
        else:
            first[w.id] = i
        try:
            parse_version_range(w.versions)
        except ValueError as exc:
            out.append(((i, "versions"), f"bad version range {w.versions!r}: {exc}"))
        bad_date = _check_date(w.expires)
        if bad_date:
            out.append(((i, "expires"), bad_date))
        seen: set[str] = set()
        for j, rid in enumerate(w.requirements):
            if rid in seen:
                out.append(((i, "requirements", j), f"requirement {rid!r} is named twice"))
            seen.add(rid)
    return out


def _from_document(doc: YamlDocument) -> list[Waiver]:
    if doc.data is None:
        raise WaiverError("a waivers file holds a mapping with the key 'waivers' (a list); this one is empty",
                          path=doc.path, line=1)
    if not isinstance(doc.data, dict):
        raise WaiverError("a waivers file must be a mapping with the key 'waivers' at the top level", path=doc.path, line=1)
    try:
        parsed = _WaiversDocument.model_validate(doc.data)
    except ValidationError as exc:
        raise from_validation_error(exc, WaiverError, path=doc.path, line_of=doc.line_of)[0] from None
    problems = _waiver_problems(parsed.waivers)
    if problems:
        loc, message = problems[0]
        full = ("waivers", *loc)
        more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
        raise WaiverError(message + more, path=doc.path, line=doc.line_of(full), field=format_loc(full))
    return list(parsed.waivers)


def load_waivers(path: str | Path) -> list[Waiver]:
    """The waivers of a waivers YAML file, in file order.

    The file is read bounded and as plain data (:func:`orbitcert.specs.yamlio.load_yaml_file`);
    every problem is a :class:`WaiverError` (or, for unreadable or malformed YAML, an
    :class:`~orbitcert.specs.errors.InputFileError`) naming the file, the line and the field."""
    return _from_document(load_yaml_file(path))


def load_waivers_text(text: str, path: str = "<string>") -> list[Waiver]:
    """:func:`load_waivers` for YAML text (``path`` names it in errors)."""
    return _from_document(load_yaml_text(text, path))


def waivers_of(records: Sequence[WaiverRecord]) -> list[Waiver]:
    """The waivers a report's records were made from (to apply them again, as verify does)."""
    return [_waiver(r) for r in records]


# --- applying ----------------------------------------------------------------------------------


def _waiver(w: Waiver) -> Waiver:
    """``w`` as a plain :class:`Waiver` (a :class:`WaiverRecord` loses status and note)."""
    return Waiver.model_validate(w.model_dump(include=set(Waiver.model_fields)))


def _record(w: Waiver, status: Literal["applied", "expired", "not-needed", "unmatched"], note: str) -> WaiverRecord:
    data: dict[str, Any] = w.model_dump(include=set(Waiver.model_fields))
    return WaiverRecord.model_validate({**data, "status": status, "note": note})


def _ids(ids: Sequence[str]) -> str:
    return ", ".join(ids)


def utc_day(timestamp: str) -> str:
    """The UTC day (YYYY-MM-DD) of an ISO 8601 time such as a report's ``environment.finished``
    (a time without an offset is taken as UTC): the day :func:`apply_waivers` compares with
    ``expires``. ReportError when ``timestamp`` is not an ISO 8601 time."""
    try:
        when = _dt.datetime.fromisoformat(timestamp)
    except ValueError:
        raise ReportError(f"{timestamp!r} is not an ISO 8601 time", field="environment.finished") from None
    if when.tzinfo is not None:
        when = when.astimezone(_dt.timezone.utc)
    return when.date().isoformat()


def _on_date(on: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", on) or _check_date(on):
        raise WaiverError(f"the date waivers are applied on must be YYYY-MM-DD, not {on!r}", field="on")
    return on


def apply_waivers(
    requirements: Sequence[RequirementResult],
    waivers: Sequence[Waiver],
    *,
    spec_id: str,
    version: str,
    product: str,
    on: str,
) -> tuple[list[RequirementResult], list[WaiverRecord]]:
    """Apply ``waivers`` to the requirement verdicts of one run of ``spec_id`` ``version`` on the
    product named ``product``, finished on ``on`` (UTC date, YYYY-MM-DD).

    Returns new requirement results (the inputs are not changed; order kept) and one record per
    waiver whose ``spec`` is ``spec_id``, in waiver id order (waivers of other specs are ignored
    and get no record). Waivers apply in id order: when two cover one requirement the first
    waives it and the second is recorded as not needed for it.

    * ``unmatched``: the version range or the product pattern excludes this run, or the waiver
      names no requirement of this version that applies to the product;
    * ``expired``: it matches but ``on`` is after its ``expires`` day (the requirements keep
      their verdicts);
    * ``applied``: it turned at least one verdict into ``waived``;
    * ``not-needed``: every requirement it names passed (or was already waived by an earlier
      waiver): it should be removed.

    Raises :class:`WaiverError` for duplicate waiver ids, an unparseable version range or date.
    """
    on = _on_date(on)
    mine = sorted((w for w in waivers if w.spec == spec_id), key=lambda w: w.id)
    problems = _waiver_problems(mine)
    if problems:
        loc, message = problems[0]
        raise WaiverError(f"waiver {mine[int(loc[0])].id!r}: {message}", field=format_loc(loc[1:]))
    out = [r.model_copy() for r in requirements]
    index = {r.id: i for i, r in enumerate(out)}
    records: list[WaiverRecord] = []
    for w in mine:
        if version not in parse_version_range(w.versions):
            records.append(_record(w, "unmatched", f"covers versions {w.versions!r} of {spec_id}, not {version}."))
            continue
        if not fnmatchcase(product, w.product):
            records.append(_record(w, "unmatched", f"covers product {w.product!r}, not {product!r}."))
            continue
        unknown = [rid for rid in w.requirements if rid not in index]
        named = [out[index[rid]] for rid in w.requirements if rid in index]
        applicable = [r for r in named if r.verdict is not Verdict.not_applicable]
        if not named:
            records.append(_record(w, "unmatched", f"names no requirement of {spec_id} {version} ({_ids(unknown)})."))
            continue
        if not applicable:
            records.append(_record(
                w, "unmatched",
                f"the requirement(s) it names do not apply to this product (not-applicable: {_ids([r.id for r in named])}).",
            ))
            continue
        extra = f"; {_ids(unknown)} not in {spec_id} {version}" if unknown else ""
        if on > w.expires:
            records.append(_record(
                w, "expired",
                f"expired on {w.expires}, before the run finished on {on}: "
                f"{_ids([r.id for r in applicable])} keep their verdicts{extra}.",
            ))
            continue
        waived: list[str] = []
        passed = [r.id for r in applicable if r.verdict is Verdict.passed]
        covered = [r.id for r in applicable if r.verdict is Verdict.waived]
        for r in applicable:
            if r.verdict in WAIVABLE:
                out[index[r.id]] = r.model_copy(update={
                    "verdict": Verdict.waived,
                    "waiver": w.id,
                    "reason": f"waived by {w.id} until {w.expires} (tests: {r.verdict.value}"
                              + (f"; {r.reason}" if r.reason else "") + ")",
                })
                waived.append(r.id)
        if waived:
            rest = []
            if passed:
                rest.append(f"{_ids(passed)} passed (remove from the waiver)")
            if covered:
                rest.append(f"{_ids(covered)} already waived by an earlier waiver")
            tail = "; " + "; ".join(rest) if rest else ""
            records.append(_record(w, "applied", f"waived {_ids(waived)} until {w.expires}{tail}{extra}."))
        elif covered:
            by = sorted({out[index[rid]].waiver or "" for rid in covered})
            records.append(_record(
                w, "not-needed",
                f"{_ids(covered)} already waived by {_ids(by)}"
                + (f" and {_ids(passed)} passed" if passed else "") + f": remove this waiver{extra}.",
            ))
        else:
            records.append(_record(w, "not-needed", f"{_ids(passed)} passed: remove this waiver{extra}."))
    return out, records

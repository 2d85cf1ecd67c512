"""OSCAL assessment-results export of a certification report (issue 13, "Exports").

:func:`report_oscal` writes one :class:`~.report.Report` as a NIST OSCAL *assessment-results*
document in JSON (OSCAL 1.1.3, the model documented at
https://pages.nist.gov/OSCAL/concepts/layer/assessment/assessment-results/; the same document is
also valid under the OSCAL 1.2 models), so compliance tooling (compliance-trestle, FedRAMP
automation, GRC platforms) can take in an orbitcert certification. The mapping:

* the report: one ``results[]`` entry; ``start``/``end`` are the run's start and end; props
  ``decision``, ``spec-id``/``spec-version``/``spec-digest``, ``suite-digest``,
  ``report-content-digest``, ``vendor-key-id`` (and one ``countersignature-key-id`` per
  countersignature), one ``class-decision`` per conformance class; blockers, misdeclarations and
  waivers that did nothing in ``remarks``.
* the spec version and the ICS (the assessment plan): ``import-ap.href`` is ``#<uuid>`` of a
  ``back-matter`` resource naming the spec (id, version, digest) and holding the ICS (canonical
  JSON, base64); orbitcert has no separate OSCAL plan document.
* the requirements: ``reviewed-controls``, one ``include-controls`` entry per requirement,
  ``control-id`` = the requirement id (requirement ids are OSCAL tokens already; anything else is
  mapped to one by :func:`control_id`, the original kept in the finding's ``requirement-id`` prop).
* each test: an ``observation``, ``methods: ["TEST"]``, ``types: ["control-objective"]``, props
  ``verdict``, ``node-id``, ``requirement`` (one per id), ``duration-s``; statistical verdicts
  and analyses as ``relevant-evidence``; ``collected`` = the run's end.
* each requirement verdict: a ``finding`` whose ``target`` is the ``objective-id`` equal to the
  control id, with ``status.state`` and ``status.reason`` (below) and ``related-observations`` =
  its tests.
* each applied waiver: a ``risk`` with ``status: deviation-approved``, ``deadline`` = the last
  second (UTC) of the waiver's expiry day, props ``waiver-id``, ``approver``, ``issue``,
  ``expires``; the finding of every requirement it waived lists it in ``related-risks``.
* orbitcert and the product: ``local-definitions.components`` of the result, the tool
  (``software``, the actor of every ``origins``) and the product (``this-system``, the
  ``subjects`` of every observation).

Requirement verdicts map to OSCAL objective status (SP 800-53A's "satisfied / other than
satisfied"): ``pass`` is satisfied (reason ``pass``); ``fail`` and ``error`` are not-satisfied
(reason ``fail``); ``inconclusive``, ``none`` (nothing verified it) and ``waived`` are
not-satisfied (reason ``other``): a waived requirement never counts as satisfied, its risk says
why it is accepted; ``not-applicable`` is satisfied (reason ``other``) with
``implementation-status: not-applicable`` (the ICS excludes it).

Determinism: every uuid is a version-5 uuid (RFC 9562 section 5.5) derived from the report's
content digest (sha256 of what every signature covers, :func:`.signing.signed_content`) and the
object's own id (test node id, requirement id, waiver id), so the same report always gives the
same bytes, a countersigned copy of a report keeps every uuid (OSCAL asks uuids to be stable
"across revisions of the document"), and the tool and product components keep their uuid across
reports. Timestamps come from the report (no clock is read): ``metadata.last-modified`` is the
latest of the run's end and the signatures' times. Property names outside OSCAL's own carry the
namespace :data:`OSCAL_NS`. The export does not check signatures: run ``orbitcert report verify``
on the report first; the export records which keys signed it.

Strings from the product (test messages) are made XML-safe (:func:`~orbitcert.specs.safetext.xml_text`)
so the document also converts to OSCAL XML; one-line fields (titles, property values) have their
whitespace collapsed, as the OSCAL ``string`` and ``token`` datatypes require.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from orbitcert.specs.digest import canonical_json
from orbitcert.specs.errors import ReportError
from orbitcert.specs.safetext import xml_text

from .report import Report
from .results import BinomialEvidence, Evidence, PoissonEvidence, RequirementResult, Verdict
from .signing import signed_content

__all__ = ["OSCAL_NS", "OSCAL_VERSION", "control_id", "objective_status", "report_oscal"]

#: The OSCAL version the export conforms to (the ``oscal-version`` written in its metadata).
OSCAL_VERSION = "1.1.3"

#: Namespace of orbitcert's own property names (OSCAL: a prop outside the OSCAL namespace names its ``ns``).
OSCAL_NS = "https://orbitcert.dev/ns/oscal"

#: Root of every uuid of the export (uuid5 of :data:`OSCAL_NS` in the URL namespace).
_UUID_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, OSCAL_NS)

#: OSCAL ``token`` (an XML NCName), restricted to ASCII: what a control id or target id may be.
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_NOT_TOKEN_CHAR = re.compile(r"[^A-Za-z0-9_.\-]")
_SPACE = re.compile(r"\s+")

#: Objective status (state, reason) of each requirement verdict.
_STATUS: dict[Verdict, tuple[str, str]] = {
    Verdict.passed: ("satisfied", "pass"),
    Verdict.failed: ("not-satisfied", "fail"),
    Verdict.error: ("not-satisfied", "fail"),
    Verdict.inconclusive: ("not-satisfied", "other"),
    Verdict.none: ("not-satisfied", "other"),
    Verdict.waived: ("not-satisfied", "other"),
    Verdict.not_applicable: ("satisfied", "other"),
}


def objective_status(verdict: Verdict) -> tuple[str, str]:
    """The OSCAL objective status ``(state, reason)`` of a requirement verdict (module docstring)."""
    return _STATUS[verdict]


def control_id(requirement_id: str) -> str:
    """The OSCAL control id of a requirement: the id itself when it is an OSCAL token (every
    spec's requirement ids are: ``OISL-COD-004``), else the id with each character a token may
    not hold replaced by ``_`` (and ``_`` in front when it does not start with a letter)."""
    if _TOKEN.fullmatch(requirement_id):
        return requirement_id
    token = _NOT_TOKEN_CHAR.sub("_", requirement_id)
    return token if _TOKEN.fullmatch(token) else "_" + token


def _line(text: str) -> str:
    """One line of text for an OSCAL ``string`` (non-empty, no line break, no outer whitespace)."""
    return _SPACE.sub(" ", xml_text(text)).strip()


def _prop(name: str, value: object, *, ns: str | None = OSCAL_NS) -> dict[str, Any] | None:
    """One property; None when the value is empty once on one line."""
    text = _line(str(value).lower() if isinstance(value, bool) else str(value))
    if not text:
        return None
    prop: dict[str, Any] = {"name": name}
    if ns:
        prop["ns"] = ns
    prop["value"] = text
    return prop


def _props(*items: tuple[str, object]) -> list[dict[str, Any]]:
    return [p for p in (_prop(n, v) for n, v in items) if p is not None]


def _timestamp(text: str, field: str) -> datetime:
    """A report timestamp (ISO 8601) as an aware UTC datetime; a naive one is UTC (orbitcert writes UTC)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ReportError(f"{text!r} is not an ISO 8601 date and time", field=field) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _deadline(expires: str, field: str) -> str:
    """The last second (UTC) of a waiver's expiry day: the waiver applies through that day."""
    try:
        day = datetime.strptime(expires, "%Y-%m-%d")
    except ValueError:
        raise ReportError(f"{expires!r} is not a date (YYYY-MM-DD)", field=field) from None
    return _iso(day.replace(hour=23, minute=59, second=59, tzinfo=timezone.utc))


def _evidence(ev: Evidence) -> dict[str, Any]:
    """A test's statistical verdict or analysis as OSCAL ``relevant-evidence``."""
    if isinstance(ev, (BinomialEvidence, PoissonEvidence)):
        return {"description": xml_text(ev.summary()), "props": _props(("evidence-kind", ev.kind), ("method", ev.method))}
    lines = [ev.title]
    lines += [f"input {q.name} = {q.value} {q.unit}".rstrip() for q in ev.inputs]
    lines += [f"{q.name} = {q.value} {q.unit}".rstrip() for q in ev.steps]
    if ev.conclusion:
        lines.append(ev.conclusion)
    return {"description": xml_text("\n".join(lines)), "props": _props(("evidence-kind", ev.kind))}


def _unique(ids: Iterable[str], what: str, field: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ReportError(f"{what} {i!r} appears twice: the report is malformed (run 'orbitcert report verify')", field=field)
        seen.add(i)


class _Uuids:
    """Version-5 uuids: per document (from the report's content digest) or per subject."""

    def __init__(self, content_digest: str) -> None:
        self.document = uuid.uuid5(_UUID_ROOT, content_digest)

    def __call__(self, kind: str, key: str = "") -> str:
        return str(uuid.uuid5(self.document, f"{kind}:{key}"))

    @staticmethod
    def subject(kind: str, *parts: str | None) -> str:
        return str(uuid.uuid5(_UUID_ROOT, "\0".join([kind, *(p or "" for p in parts)])))


def _check(report: Report) -> None:
    """Refuse a report whose ids would give two OSCAL objects one uuid, or a dangling reference."""
    _unique((t.nodeid for t in report.tests), "test", "tests")
    _unique((r.id for r in report.requirements), "requirement", "requirements")
    _unique((w.id for w in report.waivers), "waiver", "waivers")
    _unique((control_id(r.id) for r in report.requirements), "control id", "requirements")
    applied = {w.id for w in report.waivers if w.status == "applied"}
    for i, r in enumerate(report.requirements):
        if r.verdict is Verdict.waived and r.waiver not in applied:
            raise ReportError(
                f"requirement {r.id} is waived by {r.waiver!r}, which is not an applied waiver of the report",
                field=f"requirements.{i}.waiver",
            )


def report_oscal(report: Report) -> bytes:
    """The report as an OSCAL assessment-results JSON document (UTF-8, indented, deterministic).

    Raises :class:`~orbitcert.specs.errors.ReportError` for a report the mapping cannot express
    faithfully: a timestamp that is not ISO 8601, two tests, requirements or waivers with one id,
    a waived requirement without its applied waiver."""
    _check(report)
    content_digest = "sha256:" + hashlib.sha256(signed_content(report)).hexdigest()
    u = _Uuids(content_digest)
    env = report.environment
    started = _timestamp(env.started, "environment.started")
    finished = _timestamp(env.finished, "environment.finished")
    signed = [_timestamp(s.signed_at, f"signatures.{i}.signed_at") for i, s in enumerate(report.signatures)]
    spec = report.spec
    spec_ref = f"{spec.id}@{spec.version}"
    product = report.implementation
    product_name = f"{product.name} {product.version}"

    tool_uuid = _Uuids.subject("component", "orbitcert", env.orbitcert)
    product_uuid = _Uuids.subject("component", "product", product.name, product.version, product.supplier)
    plan_uuid = u("assessment-plan")
    origins = [{"actors": [{"type": "tool", "actor-uuid": tool_uuid}]}]

    # -- observations: one per test ---------------------------------------------------------------
    observation_of: dict[str, str] = {}
    observations: list[dict[str, Any]] = []
    for t in report.tests:
        oid = observation_of[t.nodeid] = u("observation", t.nodeid)
        text = f"Test {t.nodeid} of requirement(s) {', '.join(t.requirements) or '(none)'}: {t.verdict.value}."
        if t.message:
            text += "\n\n" + t.message
        obs: dict[str, Any] = {
            "uuid": oid,
            "title": _line(t.nodeid) or "test",
            "description": xml_text(text),
            "props": _props(
                ("verdict", t.verdict.value),
                ("node-id", t.nodeid),
                *(("requirement", rid) for rid in t.requirements),
                ("duration-s", f"{t.duration:.6g}"),
                ("probe", t.probe or ""),
                ("observed", "" if t.observed is None else t.observed),
            ),
            "methods": ["TEST"],
            "types": ["control-objective"],
            "origins": origins,
            "subjects": [{"subject-uuid": product_uuid, "type": "component", "title": _line(product_name)}],
        }
        if t.evidence:
            obs["relevant-evidence"] = [_evidence(e) for e in t.evidence]
        obs["collected"] = _iso(finished)
        observations.append(obs)

    # -- risks: one per applied waiver --------------------------------------------------------------
    risk_of: dict[str, str] = {}
    risks: list[dict[str, Any]] = []
    waived_by: dict[str, list[RequirementResult]] = {}
    for r in report.requirements:
        if r.verdict is Verdict.waived and r.waiver is not None:
            waived_by.setdefault(r.waiver, []).append(r)
    for i, w in enumerate(report.waivers):
        if w.status != "applied":
            continue
        rid = risk_of[w.id] = u("risk", w.id)
        covered = waived_by.get(w.id, [])
        ids = ", ".join(r.id for r in covered) or ", ".join(w.requirements)
        evidence = sorted({observation_of[n] for r in covered for n in r.tests if n in observation_of})
        risk: dict[str, Any] = {
            "uuid": rid,
            "title": _line(f"Waiver {w.id}: {ids} of {spec_ref}"),
            "description": xml_text(w.reason),
            "statement": xml_text(
                f"{ids} of {spec_ref} did not pass for {product_name}; {w.approver} approved the deviation "
                f"until {w.expires} (issue {w.issue}). A waived requirement is not satisfied: it does not "
                f"count as passed."
            ),
            "props": _props(
                ("waiver-id", w.id),
                ("approver", w.approver),
                ("issue", w.issue),
                ("expires", w.expires),
                ("waiver-status", w.status),
                *(("requirement", r.id) for r in covered),
            ),
        }
        if re.fullmatch(r"https?://\S+", w.issue):
            risk["links"] = [{"href": w.issue, "rel": "reference", "text": "linked issue"}]
        risk["status"] = "deviation-approved"
        risk["deadline"] = _deadline(w.expires, f"waivers.{i}.expires")
        if evidence:
            risk["related-observations"] = [{"observation-uuid": o} for o in evidence]
        risks.append(risk)

    # -- findings: one per requirement verdict ------------------------------------------------------
    findings: list[dict[str, Any]] = []
    for r in report.requirements:
        state, reason = objective_status(r.verdict)
        target: dict[str, Any] = {"type": "objective-id", "target-id": control_id(r.id)}
        if r.reason:
            target["description"] = xml_text(r.reason)
        if r.verdict is Verdict.not_applicable:
            target["implementation-status"] = {"state": "not-applicable"}
        target["status"] = {"state": state, "reason": reason}
        finding: dict[str, Any] = {
            "uuid": u("finding", r.id),
            "title": _line(f"{r.id} ({r.level.value}, class {r.class_}): {r.verdict.value}"),
            "description": xml_text(r.text + (f"\n\nClause: {r.clause}" if r.clause else "")),
            "props": _props(
                ("requirement-id", r.id),
                ("verdict", r.verdict.value),
                ("level", r.level.value),
                ("conformance-class", r.class_),
                ("verification", r.verification.value),
                ("clause", r.clause or ""),
                ("waiver", r.waiver or ""),
            ),
            "origins": origins,
            "target": target,
        }
        related = [observation_of[n] for n in r.tests if n in observation_of]
        if related:
            finding["related-observations"] = [{"observation-uuid": o} for o in related]
        if r.waiver in risk_of and r.verdict is Verdict.waived:
            finding["related-risks"] = [{"risk-uuid": risk_of[r.waiver]}]
        findings.append(finding)

    # -- the result -----------------------------------------------------------------------------
    vendor = report.vendor_signature
    result_props = _props(
        ("decision", report.decision.value),
        ("spec-id", spec.id),
        ("spec-version", spec.version),
        ("spec-status", spec.status),
        ("spec-digest", spec.digest),
        ("suite-digest", report.suite.digest),
        ("suite-origin", report.suite.origin),
        ("report-format", report.format),
        ("report-content-digest", content_digest),
        ("complete", report.complete),
        ("tests-selected", report.selected),
        ("examples", report.thoroughness.examples),
        ("minimum-examples", report.thoroughness.minimum_examples),
        ("seed", "" if report.thoroughness.seed is None else report.thoroughness.seed),
        ("vendor-key-id", vendor.key_id if vendor else ""),
        ("vendor-key-ephemeral", "" if vendor is None else vendor.ephemeral),
        ("vendor-signer", vendor.signer if vendor else ""),
        *(("countersignature-key-id", s.key_id) for s in report.signatures if s.role == "countersignature"),
        *(("class-decision", f"{c.id}={c.decision.value}") for c in report.classes),
    )
    counts = ", ".join(f"{n} {v}" for v, n in report.summary.requirements.items())
    remarks = [f"Blocker: {b}" for b in report.blockers]
    remarks += [f"ICS misdeclaration: {m.message}" for m in report.misdeclared]
    remarks += [
        f"Waiver {w.id} ({w.status}){': ' + w.note if w.note else ''}" for w in report.waivers if w.status != "applied"
    ]
    result: dict[str, Any] = {
        "uuid": u("result"),
        "title": _line(f"Conformance of {product_name} to {spec_ref}"),
        "description": xml_text(
            f"orbitcert certification run of {product_name} against {spec.title} ({spec_ref}): "
            f"decision {report.decision.value}. {len(report.tests)} tests; requirements: {counts or 'none'}."
        ),
        "start": _iso(started),
        "end": _iso(finished),
        "props": result_props,
        "local-definitions": {
            "components": [
                {
                    "uuid": tool_uuid,
                    "type": "software",
                    "title": _line(f"orbitcert {env.orbitcert}"),
                    "description": "The orbitcert conformance harness that ran the suite and computed the verdicts.",
                    "props": _props(("python", env.python), ("platform", env.platform), ("workers", env.workers)),
                    "status": {"state": "operational"},
                },
                {
                    "uuid": product_uuid,
                    "type": "this-system",
                    "title": _line(product_name),
                    "description": xml_text(
                        f"The product under test: {product_name}"
                        + (f" from {product.supplier}" if product.supplier else "")
                        + "."
                    ),
                    "props": _props(
                        ("product-name", product.name),
                        ("product-version", product.version),
                        ("supplier", product.supplier or ""),
                        ("factory", product.factory or ""),
                        ("command", product.command or ""),
                    ),
                    "status": {"state": "operational"},
                },
            ]
        },
        "reviewed-controls": {
            "description": xml_text(f"The requirements of {spec_ref}, each one control."),
            "control-selections": [
                {
                    "description": "Every requirement of the spec version, applicable or not.",
                    "include-controls": [{"control-id": control_id(r.id)} for r in report.requirements],
                }
            ],
        },
    }
    if observations:
        result["observations"] = observations
    if risks:
        result["risks"] = risks
    if findings:
        result["findings"] = findings
    if remarks:
        result["remarks"] = xml_text("\n".join(remarks))
    if not result["reviewed-controls"]["control-selections"][0]["include-controls"]:
        # OSCAL needs one control selection: a report without requirements reviewed none of them.
        result["reviewed-controls"]["control-selections"][0] = {"description": "No requirements.", "include-all": {}}
    ics_json = canonical_json(report.ics.model_dump(mode="json", by_alias=True))
    plan = {
        "uuid": plan_uuid,
        "title": _line(f"Assessment plan: {spec.title} ({spec_ref}) and the product's ICS"),
        "description": xml_text(
            f"orbitcert's plan of this assessment: the requirements of {spec_ref} (digest {spec.digest}) "
            f"selected by the product's implementation conformance statement (ICS, embedded as JSON), "
            f"tested by the suite {report.suite.path} (digest {report.suite.digest})."
        ),
        "props": _props(
            ("spec-id", spec.id),
            ("spec-version", spec.version),
            ("spec-digest", spec.digest),
            *(("claimed-class", c) for c in report.ics.classes),
        ),
        "citation": {"text": _line(f"{spec.title}, {spec.id} version {spec.version}")},
        "base64": {
            "filename": "ics.json",
            "media-type": "application/json",
            "value": base64.b64encode(ics_json).decode("ascii"),
        },
    }
    last_modified = max([finished, *signed])
    metadata: dict[str, Any] = {
        "title": _line(f"orbitcert assessment results: {product_name}, {spec_ref}"),
    }
    if vendor is not None:
        metadata["published"] = _iso(signed[0])
    metadata["last-modified"] = _iso(last_modified)
    metadata["version"] = f"{content_digest.removeprefix('sha256:')[:16]}-{len(report.signatures)}"
    metadata["oscal-version"] = OSCAL_VERSION
    document = {
        "assessment-results": {
            "uuid": u("assessment-results"),
            "metadata": metadata,
            "import-ap": {
                "href": f"#{plan_uuid}",
                "remarks": "orbitcert has no separate OSCAL assessment plan: the plan is the spec version and the "
                "product's ICS, described by this back-matter resource.",
            },
            "results": [result],
            "back-matter": {"resources": [plan]},
        }
    }
    return (json.dumps(_prune(document), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _prune(data: Any) -> Any:
    """``data`` without empty arrays: every OSCAL array holds at least one member."""
    if isinstance(data, dict):
        return {k: _prune(v) for k, v in data.items() if not (isinstance(v, list) and not v)}
    if isinstance(data, list):
        return [_prune(v) for v in data]
    return data

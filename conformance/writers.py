"""Report renderings: canonical signed JSON, self-contained HTML, JUnit XML and Markdown.

Every file is written atomically (:func:`~orbitcert.specs.fsutil.atomic_write`). The JSON is
the RFC 8785 canonical form, so the same report always serialises to the same bytes.

Strings in a report come from files and products (a product's exception message may hold
anything), so every renderer copes with any text: lone surrogates become U+FFFD in every format
(:func:`~orbitcert.specs.safetext.clean_data`, also applied to what is signed, so the signature
covers what is written); JUnit XML and HTML show XML-illegal characters as visible escapes, and
Markdown escapes its own syntax in names, messages and reasons.

Reading a report (:func:`read_report_data`) is bounded: a regular file of at most
:data:`MAX_REPORT_BYTES`, strict JSON only (no ``NaN``/``Infinity``, finite floats, integers
within 2^53-1, no duplicate keys, no lone surrogates, nesting at most :data:`MAX_REPORT_DEPTH`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import jinja2
import markupsafe

from orbitcert.specs.digest import canonical_json
from orbitcert.specs.errors import InputFileError, ReportError, from_validation_error

from orbitcert.specs.fsutil import atomic_write, read_bounded
from orbitcert.specs.loader import LoadedSpec
from orbitcert.specs.safetext import clean_data, clean_text, printable, xml_text
from .options import FORMATS
from .report import Report
from .report_view import ReportView, report_view, shorten
from .results import BinomialEvidence, Evidence, PoissonEvidence
from .signing import Keyring, SignerTrust, generate_key, load_private_key, sign_report, signature_trust


_env = jinja2.Environment(
    loader=jinja2.PackageLoader("orbitcert.conformance", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def report_json(report: Report) -> bytes:
    """Canonical JSON bytes of the whole report (signature included), strings cleaned as
    :func:`~orbitcert.conformance.signing.sign_report` cleans what it signs."""
    return canonical_json(clean_data(report.model_dump(mode="json", by_alias=True, exclude_none=False)))


def report_html(
    report: Report, trust: Sequence[SignerTrust] | None = None, *, spec: LoadedSpec | None = None
) -> str:
    """One self-contained HTML page a certification body could hand out (no script, font or
    image from elsewhere): the decision in words and colour, the certified scope (claimed
    classes and ICS answers, and what a full claim would add), the trust of each signature,
    blockers and waivers, then requirements not passed before those passed, failing tests'
    messages grouped (:mod:`.report_view`), evidence with charts, and the run's details; a
    print stylesheet opens every collapsed block.

    ``trust``: each signature checked against keyrings (:func:`.signing.signature_trust`;
    default: checked against no keyring). ``spec``: the spec tested, for the scope comparison;
    default: looked up in the catalog by id and version, used only when its digest is the
    report's (a report of an outside catalog shows its scope without the comparison)."""
    trust = signature_trust(report) if trust is None else trust
    view = _view(report, trust, spec)
    evidence = [(t, e, _chart(e)) for t in report.tests for e in t.evidence]
    page = _env.get_template("report.html.j2").render(r=report, v=view, evidence=evidence, nw=_id_keeper(report))
    return xml_text(page)


def _id_keeper(report: Report) -> Callable[[str], markupsafe.Markup]:
    """A template function: ``text`` escaped, each requirement and class id of ``report`` in it
    wrapped in a ``nowrap`` span (a browser may otherwise break ``OISL-COD-003`` after a hyphen)."""
    ids = sorted({r.id for r in report.requirements} | {c.id for c in report.classes if "-" in c.id}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(i) for i in ids)) if ids else None

    def keep(text: str) -> markupsafe.Markup:
        escaped = str(markupsafe.escape(text))
        if pattern is None:
            return markupsafe.Markup(escaped)
        return markupsafe.Markup(pattern.sub(lambda m: f'<span class="nw">{m.group()}</span>', escaped))

    return keep


def _spec_of(report: Report, spec: LoadedSpec | None) -> tuple[LoadedSpec | None, str]:
    """The spec ``report`` tests, for the scope comparison, and a note when it is not at hand."""
    ref = f"{report.spec.id}@{report.spec.version}"
    if spec is None:
        from orbitcert.specs.errors import OrbitcertError
        from orbitcert.specs.loader import load_ref

        try:
            spec = load_ref(ref)
        except (OrbitcertError, OSError):
            return None, f"{ref} is not in the catalogs at hand: the ICS answers are not compared with a full claim."
    if spec.digest != report.spec.digest:
        return None, (
            f"the catalog's {ref} is not the spec tested (digest {spec.digest[:19]}…, report "
            f"{report.spec.digest[:19]}…): the ICS answers are not compared with a full claim."
        )
    return spec, ""


def _view(report: Report, trust: Sequence[SignerTrust], spec: LoadedSpec | None) -> ReportView:
    loaded, note = _spec_of(report, spec)
    return report_view(report, trust, loaded.spec if loaded else None, note)


def _chart(ev: Evidence) -> markupsafe.Markup | None:
    """The inline SVG chart of a statistical verdict (matplotlib escapes the text it draws)."""
    from .charts import distribution_svg, rate_svg

    if isinstance(ev, PoissonEvidence):
        return markupsafe.Markup(rate_svg(ev))
    if not isinstance(ev, BinomialEvidence):
        return None
    svg = distribution_svg(ev)
    return markupsafe.Markup(svg) if svg else None


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&!])")
_MD_SPACE = re.compile(r"\s+")


def _md_text(text: str) -> str:
    """``text`` as inline Markdown showing exactly its characters: one line, control characters
    as visible escapes, Markdown syntax (backticks, ``|``, emphasis, links, HTML) escaped."""
    return _MD_SPECIAL.sub(r"\\\1", _MD_SPACE.sub(" ", printable(clean_text(text))).strip())


def _md_code(text: str) -> str:
    """``text`` as one Markdown code span (outside tables): the fence is longer than any run of
    backticks inside, and padded when the text starts or ends with a backtick."""
    text = _MD_SPACE.sub(" ", printable(clean_text(text)))
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def report_markdown(
    report: Report, trust: Sequence[SignerTrust] | None = None, *, spec: LoadedSpec | None = None
) -> str:
    """A Markdown summary for pull requests, in the HTML page's order (:mod:`.report_view`): the
    decision in words, blockers, product, certified scope (and what a full claim would add),
    signatures and their trust, waivers, classes, requirements not passed (each with its
    failing tests' messages grouped), waived requirements, then the failure messages grouped
    across the report and statistical verdicts. ``trust`` and ``spec`` as for :func:`report_html`."""
    trust = signature_trust(report) if trust is None else trust
    v = _view(report, trust, spec)
    s = report.spec
    scope = v.scope
    lines = [
        f"### orbitcert: {_md_text(s.id)}@{_md_text(s.version)} — **{report.decision.value}**",
        "",
        f"**{v.headline.words}.** " + " ".join(_md_text(b) for b in v.headline.because if not b.startswith("Cannot certify")),
        "",
        *(f"**Cannot certify: {_md_text(b)}**" for b in report.blockers),
        *([""] if report.blockers else []),
        f"Spec status: {_md_text(s.status)}. Product {_md_code(report.implementation.name)} {_md_text(report.implementation.version)}; "
        f"tests: {', '.join(f'{_md_text(k)} {v}' for k, v in report.summary.tests.items())}.",
        "",
        "Scope: classes " + (", ".join(_md_code(c) for c, _ in scope.claimed) or "none")
        + "; options " + (", ".join(f"{_md_code(k)} = {_md_text(val)}" for k, val in scope.items) or "none")
        + (" (no ICS given: every class and option claimed)" if scope.generated else "") + ".",
    ]
    if scope.is_narrowed:
        parts = ["**Scope narrowed: not claimed: " + ("; ".join(_md_text(n) for n in scope.narrowed) or "nothing") + ".**"]
        if scope.limits:
            parts.append("Limits below a full claim: " + "; ".join(_md_text(x) for x in scope.limits) + ".")
        lines += ["", " ".join(parts)]
    elif scope.note:
        lines += ["", _md_text(scope.note)]
    lines += ["", "Signatures: " + ("; ".join(
        f"{sig.number}. {_md_text(sig.role)}{f' ({_md_text(sig.signer)})' if sig.signer else ''}, key {_md_code(sig.key)}: "
        f"{'**' + _md_text(sig.trust) + '**' if sig.status != 'trusted' else _md_text(sig.trust)}"
        for sig in v.signatures
    ) or "**unsigned**") + "."]
    if report.waivers:
        lines += ["", "| waiver | requirements | approver | issue | expires | status |", "|---|---|---|---|---|---|"]
        lines += [
            f"| {_md_text(w.id)} | {_md_text(', '.join(w.requirements))} | {_md_text(w.approver)} | {_md_text(w.issue)} | "
            f"{_md_text(w.expires)} | {w.status} |"
            for w in report.waivers
        ]
    lines += [
        "",
        "| class | decision | passed | failed | not applicable | advisories |",
        "|---|---|---|---|---|---|",
    ]
    for c in report.classes:
        lines.append(
            f"| {_md_text(c.id)} | {c.decision.value} | {len(c.passed)} | {_md_text(', '.join(c.failed)) or 0} | "
            f"{len(c.not_applicable)} | {_md_text(', '.join(c.advisories)) or '-'} |"
        )
    if v.not_passed:
        lines += ["", "Requirements not passed:", ""]
        for q in v.not_passed:
            r = q.result
            lines.append(f"- {_md_code(r.id)} ({r.level.value}) {r.verdict.value}: {_md_text(r.reason)}")
            lines += [
                f"  - {n} test{'s' if n != 1 else ''}: message #{g.number}, {_md_code(shorten(g.headline, 1, 100)[0])}"
                for g, n in q.groups
            ]
    if v.waived:
        lines += ["", "Waived (did not pass; accepted by a waiver):", ""]
        lines += [
            f"- {_md_code(q.id)} ({q.result.level.value}) waived by {_md_text(q.result.waiver or '?')}"
            + (f", approved by {_md_text(q.waiver.approver)} until {_md_text(q.waiver.expires)}" if q.waiver else "")
            for q in v.waived
        ]
    if v.groups:
        lines += ["", f"Failing tests by message ({sum(len(g.tests) for g in v.groups)} tests, {len(v.groups)} messages):", ""]
        for g in v.groups:
            n = len(g.tests)
            lines.append(
                f"{g.number}. **{n} test{'s' if n != 1 else ''}** {g.verdict} ({_md_text(', '.join(g.requirements))}): "
                f"{_md_code(g.headline)}" + ("" if g.same else " (messages differ after the first line)")
            )
    stats = [(t, e) for t in report.tests for e in t.evidence if isinstance(e, BinomialEvidence | PoissonEvidence)]
    if stats:
        lines += ["", "Statistical verdicts:", ""]
        lines += [f"- {_md_text(', '.join(t.requirements))}: {_md_text(e.summary())}" for t, e in stats]
    return "\n".join(lines) + "\n"


def report_junit(report: Report) -> bytes:
    """JUnit XML. The suite's properties: spec status, decision, blockers, each requirement's
    verdict (``requirement:<ID>``) and each waiver with its status (``waiver:<ID>``); each
    testcase carries its requirement ids, its verdict and, for a waived requirement, the waiver."""
    counts = report.summary.tests
    x = xml_text
    suite = ET.Element(
        "testsuite",
        name=x(f"{report.spec.id}@{report.spec.version}"),
        tests=str(len(report.tests)),
        failures=str(counts.get("fail", 0)),
        errors=str(counts.get("error", 0)),
        skipped=str(counts.get("not-applicable", 0) + counts.get("inconclusive", 0) + counts.get("waived", 0)),
    )
    facts = ET.SubElement(suite, "properties")
    ET.SubElement(facts, "property", name="spec_status", value=x(report.spec.status))
    ET.SubElement(facts, "property", name="decision", value=report.decision.value)
    for b in report.blockers:
        ET.SubElement(facts, "property", name="blocker", value=x(b))
    for r in report.requirements:
        ET.SubElement(facts, "property", name=x(f"requirement:{r.id}"), value=r.verdict.value)
    for w in report.waivers:
        ET.SubElement(facts, "property", name=x(f"waiver:{w.id}"), value=w.status)
    waiver_of = {r.id: r.waiver for r in report.requirements if r.waiver}
    for t in report.tests:
        classname, _, name = x(t.nodeid).rpartition("::")
        case = ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{t.duration:.6f}")
        props = ET.SubElement(case, "properties")
        for rid in t.requirements:
            ET.SubElement(props, "property", name="requirement", value=x(rid))
        ET.SubElement(props, "property", name="verdict", value=t.verdict.value)
        for wid in dict.fromkeys(waiver_of[rid] for rid in t.requirements if rid in waiver_of):
            ET.SubElement(props, "property", name="waiver", value=x(wid or ""))
        message = x(t.message)
        if t.verdict.value == "fail":
            ET.SubElement(case, "failure", message=message[:500]).text = message
        elif t.verdict.value == "error":
            ET.SubElement(case, "error", message=message[:500]).text = message
        elif t.verdict.value in ("not-applicable", "inconclusive", "waived"):
            ET.SubElement(case, "skipped", message=f"{t.verdict.value}: {message}"[:500])
    root = ET.Element("testsuites")
    root.append(suite)
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml


def write_reports(
    report: Report,
    out_dir: Path,
    formats: Sequence[str],
    sign_key: str | Path | None = None,
    *,
    signer: str = "",
    keyrings: Sequence[Keyring] = (),
    spec: LoadedSpec | None = None,
) -> tuple[Report, list[Path]]:
    """Sign ``report`` (with ``sign_key``, else an ephemeral key marked as such) and write it."""
    key = load_private_key(sign_key) if sign_key else generate_key()
    signed = sign_report(report, key, signer=signer, ephemeral=not sign_key)
    return signed, write_renderings(signed, out_dir, formats, keyrings=keyrings, spec=spec)


def write_renderings(
    signed: Report,
    out_dir: Path,
    formats: Sequence[str],
    *,
    keyrings: Sequence[Keyring] = (),
    spec: LoadedSpec | None = None,
) -> list[Path]:
    """Write a signed report in ``formats`` as ``<out>/<spec-id>-<version>.<ext>``; the HTML
    shows each signature's trust in ``keyrings`` and the scope against ``spec`` (default: the
    report's spec version from the catalog)."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown report format(s) {unknown}")  # RunOptions validated them: a bug
    stem = out_dir / f"{signed.spec.id}-{signed.spec.version}"
    written = []
    trust = signature_trust(signed, keyrings)
    renderers: dict[str, tuple[str, Callable[[], bytes | str]]] = {
        "json": (".json", lambda: report_json(signed)),
        "html": (".html", lambda: report_html(signed, trust, spec=spec)),
        "junit": (".junit.xml", lambda: report_junit(signed)),
        "md": (".md", lambda: report_markdown(signed, trust, spec=spec)),
        "oscal": (".oscal.json", lambda: _oscal(signed)),
    }
    # JSON last: its presence marks a complete set of files.
    for fmt in sorted(formats, key=lambda f: f == "json"):
        suffix, render = renderers[fmt]
        written.append(atomic_write(stem.with_name(stem.name + suffix), render()))
    return written


def _oscal(report: Report) -> bytes:
    from .oscal import report_oscal

    return report_oscal(report)


#: A report of thousands of tests with long messages is a few MiB; this leaves ample room.
MAX_REPORT_BYTES = 64 * 1024 * 1024
#: A report nests a handful of levels (ICS items may hold lists); deeper is not a report.
MAX_REPORT_DEPTH = 64
_MAX_INT = 2**53 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Refused(ValueError):
    """Strict JSON: a value a report cannot hold (raised from the json hooks)."""


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not allowed (JSON has no NaN or infinity)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"number {text[:24]} is out of range (not a finite double)")
    return value


def _safe_int(text: str) -> int:
    if len(text.lstrip("-")) > 16:  # checked before converting: int() of a huge string is slow
        raise _Refused(f"integer {text[:24]}{'...' if len(text) > 24 else ''} is beyond 2^53-1")
    value = int(text)
    if abs(value) > _MAX_INT:
        raise _Refused(f"integer {text} is beyond 2^53-1")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(f"duplicate key {printable(clean_text(key))[:60]!r}")
        out[key] = value
    return out


def _check_report_tree(data: Any) -> str | None:
    """Why parsed report JSON is refused (None when it is fine): too deep, or a lone surrogate."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_REPORT_DEPTH:
            return f"nested more than {MAX_REPORT_DEPTH} levels deep"
        if isinstance(node, str):
            if _SURROGATE.search(node):
                return "a string holds a lone surrogate (\\ud800-\\udfff escape): not valid Unicode"
        elif isinstance(node, dict):
            stack += [(k, depth + 1) for k in node] + [(v, depth + 1) for v in node.values()]
        elif isinstance(node, list):
            stack += [(v, depth + 1) for v in node]
    return None


def read_report_data(path: str | Path) -> Any:
    """The parsed JSON of a report file; :class:`InputFileError` naming the file when it is not a
    regular file, is larger than :data:`MAX_REPORT_BYTES`, or is not strict JSON (see the module
    docstring)."""
    p = Path(path)
    return parse_report_bytes(read_bounded(p, MAX_REPORT_BYTES, "report"), p)


def parse_report_bytes(raw: bytes, path: str | Path, what: str = "report") -> Any:
    """Strict JSON of a report's bytes (module docstring); :class:`InputFileError` naming ``path``
    (and saying it is not a JSON ``what``: the same rules read a bundle's manifest)."""
    p = Path(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"not a JSON {what}: not UTF-8 text (byte offset {exc.start})", path=p) from None
    try:
        data = json.loads(
            text,
            parse_constant=_no_constant,
            parse_float=_finite_float,
            parse_int=_safe_int,
            object_pairs_hook=_unique_keys,
        )
    except _Refused as exc:
        raise InputFileError(f"not a valid JSON {what}: {exc}", path=p) from None
    except json.JSONDecodeError as exc:
        raise InputFileError(f"not JSON: {exc.msg} (line {exc.lineno} column {exc.colno})", path=p, line=exc.lineno) from None
    except RecursionError:
        raise InputFileError(f"not a valid JSON {what}: nested too deeply", path=p) from None
    except ValueError as exc:
        raise InputFileError(f"not JSON: {exc}", path=p) from None
    problem = _check_report_tree(data)
    if problem:
        raise InputFileError(f"not a valid JSON {what}: {problem}", path=p)
    return data


def report_from_data(data: Any, path: str | Path) -> Report:
    """Validate parsed report JSON as a :class:`Report` (typed error naming the field)."""
    from pydantic import ValidationError

    try:
        return Report.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, ReportError, path=path, prefix="not a valid report: ")[0] from None


def load_report(path: str | Path) -> Report:
    """Read and validate a report JSON file (typed errors for unreadable or invalid files)."""
    return report_from_data(read_report_data(path), path)

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
from orbitcert.specs.safetext import clean_data, clean_text, printable, xml_text
from .options import FORMATS
from .report import Report
from .results import BinomialEvidence, Evidence, PoissonEvidence
from .signing import generate_key, load_private_key, sign_report


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


def report_html(report: Report) -> str:
    """One self-contained HTML page: summary, classes, then requirements with their tests."""
    tests = {t.nodeid: t for t in report.tests}
    evidence = [(t, e, _chart(e)) for t in report.tests for e in t.evidence]
    return xml_text(_env.get_template("report.html.j2").render(r=report, tests=tests, evidence=evidence))


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


def report_markdown(report: Report) -> str:
    """A short Markdown summary for pull requests."""
    s = report.spec
    lines = [
        f"### orbitcert: {_md_text(s.id)}@{_md_text(s.version)} — **{report.decision.value}**",
        "",
        *(f"**Cannot certify: {_md_text(b)}**" for b in report.blockers),
        *([""] if report.blockers else []),
        f"Spec status: {_md_text(s.status)}. Product {_md_code(report.implementation.name)} {_md_text(report.implementation.version)}; "
        f"tests: {', '.join(f'{_md_text(k)} {v}' for k, v in report.summary.tests.items())}.",
        "",
        "| class | decision | passed | failed | not applicable | advisories |",
        "|---|---|---|---|---|---|",
    ]
    for c in report.classes:
        lines.append(
            f"| {_md_text(c.id)} | {c.decision.value} | {len(c.passed)} | {_md_text(', '.join(c.failed)) or 0} | "
            f"{len(c.not_applicable)} | {_md_text(', '.join(c.advisories)) or '-'} |"
        )
    failing = [r for r in report.requirements if r.verdict.value in ("fail", "error", "inconclusive")]
    if failing:
        lines += ["", "Requirements not passed:", ""]
        lines += [f"- {_md_code(r.id)} ({r.level.value}) {r.verdict.value}: {_md_text(r.reason)}" for r in failing]
    stats = [(t, e) for t in report.tests for e in t.evidence if isinstance(e, BinomialEvidence | PoissonEvidence)]
    if stats:
        lines += ["", "Statistical verdicts:", ""]
        lines += [f"- {_md_text(', '.join(t.requirements))}: {_md_text(e.summary())}" for t, e in stats]
    return "\n".join(lines) + "\n"


def report_junit(report: Report) -> bytes:
    """JUnit XML; each testcase carries its requirement ids as properties."""
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
    for t in report.tests:
        classname, _, name = x(t.nodeid).rpartition("::")
        case = ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{t.duration:.6f}")
        props = ET.SubElement(case, "properties")
        for rid in t.requirements:
            ET.SubElement(props, "property", name="requirement", value=x(rid))
        ET.SubElement(props, "property", name="verdict", value=t.verdict.value)
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
    report: Report, out_dir: Path, formats: Sequence[str], sign_key: str | Path | None = None
) -> tuple[Report, list[Path]]:
    """Sign ``report`` and write it in ``formats`` as ``<out>/<spec-id>-<version>.<ext>``."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown report format(s) {unknown}")  # RunOptions validated them: a bug
    key = load_private_key(sign_key) if sign_key else generate_key()
    signed = sign_report(report, key)
    stem = out_dir / f"{report.spec.id}-{report.spec.version}"
    written = []
    renderers: dict[str, tuple[str, Callable[[], bytes | str]]] = {
        "json": (".json", lambda: report_json(signed)),
        "html": (".html", lambda: report_html(signed)),
        "junit": (".junit.xml", lambda: report_junit(signed)),
        "md": (".md", lambda: report_markdown(signed)),
    }
    # JSON last: its presence marks a complete set of files.
    for fmt in sorted(formats, key=lambda f: f == "json"):
        suffix, render = renderers[fmt]
        written.append(atomic_write(stem.with_name(stem.name + suffix), render()))
    return signed, written


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
    raw = read_bounded(p, MAX_REPORT_BYTES, "report")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"not a JSON report: not UTF-8 text (byte offset {exc.start})", path=p) from None
    try:
        data = json.loads(
            text,
            parse_constant=_no_constant,
            parse_float=_finite_float,
            parse_int=_safe_int,
            object_pairs_hook=_unique_keys,
        )
    except _Refused as exc:
        raise InputFileError(f"not a valid JSON report: {exc}", path=p) from None
    except json.JSONDecodeError as exc:
        raise InputFileError(f"not JSON: {exc.msg}", path=p, line=exc.lineno) from None
    except RecursionError:
        raise InputFileError("not a valid JSON report: nested too deeply", path=p) from None
    except ValueError as exc:
        raise InputFileError(f"not JSON: {exc}", path=p) from None
    problem = _check_report_tree(data)
    if problem:
        raise InputFileError(f"not a valid JSON report: {problem}", path=p)
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

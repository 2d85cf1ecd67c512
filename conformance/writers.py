"""Report renderings: canonical signed JSON, self-contained HTML, JUnit XML and Markdown.

Every file is written atomically (:func:`~orbitcert.specs.fsutil.atomic_write`). The JSON is
the RFC 8785 canonical form, so the same report always serialises to the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import jinja2

from orbitcert.specs.digest import canonical_json
from orbitcert.specs.errors import InputFileError, ReportError, from_validation_error

from orbitcert.specs.fsutil import atomic_write
from .options import FORMATS
from .report import Report
from .signing import generate_key, load_private_key, sign_report


_env = jinja2.Environment(
    loader=jinja2.PackageLoader("orbitcert.conformance", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def report_json(report: Report) -> bytes:
    """Canonical JSON bytes of the whole report (signature included)."""
    return canonical_json(report.model_dump(mode="json", by_alias=True, exclude_none=False))


def report_html(report: Report) -> str:
    """One self-contained HTML page: summary, classes, then requirements with their tests."""
    tests = {t.nodeid: t for t in report.tests}
    return _env.get_template("report.html.j2").render(r=report, tests=tests)


def report_markdown(report: Report) -> str:
    """A short Markdown summary for pull requests."""
    s = report.spec
    lines = [
        f"### orbitcert: {s.id}@{s.version} — **{report.decision.value}**",
        "",
        f"Product `{report.implementation.name}` {report.implementation.version}; "
        f"tests: {', '.join(f'{k} {v}' for k, v in report.summary.tests.items())}.",
        "",
        "| class | decision | passed | failed | not applicable | advisories |",
        "|---|---|---|---|---|---|",
    ]
    for c in report.classes:
        lines.append(
            f"| {c.id} | {c.decision.value} | {len(c.passed)} | {', '.join(c.failed) or 0} | "
            f"{len(c.not_applicable)} | {', '.join(c.advisories) or '-'} |"
        )
    failing = [r for r in report.requirements if r.verdict.value in ("fail", "error", "inconclusive")]
    if failing:
        lines += ["", "Requirements not passed:", ""]
        lines += [f"- `{r.id}` ({r.level.value}) {r.verdict.value}: {r.reason}" for r in failing]
    return "\n".join(lines) + "\n"


def report_junit(report: Report) -> bytes:
    """JUnit XML; each testcase carries its requirement ids as properties."""
    counts = report.summary.tests
    suite = ET.Element(
        "testsuite",
        name=f"{report.spec.id}@{report.spec.version}",
        tests=str(len(report.tests)),
        failures=str(counts.get("fail", 0)),
        errors=str(counts.get("error", 0)),
        skipped=str(counts.get("not-applicable", 0) + counts.get("inconclusive", 0) + counts.get("waived", 0)),
    )
    for t in report.tests:
        classname, _, name = t.nodeid.rpartition("::")
        case = ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{t.duration:.6f}")
        props = ET.SubElement(case, "properties")
        for rid in t.requirements:
            ET.SubElement(props, "property", name="requirement", value=rid)
        ET.SubElement(props, "property", name="verdict", value=t.verdict.value)
        if t.verdict.value == "fail":
            ET.SubElement(case, "failure", message=t.message[:500]).text = t.message
        elif t.verdict.value == "error":
            ET.SubElement(case, "error", message=t.message[:500]).text = t.message
        elif t.verdict.value in ("not-applicable", "inconclusive", "waived"):
            ET.SubElement(case, "skipped", message=f"{t.verdict.value}: {t.message}"[:500])
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


def read_report_data(path: str | Path) -> Any:
    """The parsed JSON of a report file (typed error when unreadable or not JSON)."""
    p = Path(path)
    try:
        return json.loads(p.read_bytes())
    except OSError as exc:
        raise InputFileError(f"cannot read report: {exc.strerror or exc}", path=p) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputFileError(f"not JSON: {exc}", path=p) from None


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

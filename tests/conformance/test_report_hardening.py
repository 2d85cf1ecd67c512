"""Issue 6 in reports: any text a product prints can be written in every format, the signature
covers what is written, and reading a report is strict and bounded."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from helpers import synthetic_report

from orbitcert.conformance import Verdict, verify_report, write_reports
from orbitcert.conformance.report import Report
from orbitcert.conformance.signing import generate_key, sign_report, verify_signature
from orbitcert.conformance.writers import read_report_data, report_html, report_junit, report_markdown
from orbitcert.specs.errors import InputFileError

NASTY = "boom \ud800 \x1b[31m\x00\x07 <b>&amp; `code` | pipe \r\nsecond line"


def _nasty_report() -> Report:
    report = synthetic_report({"OISL-COD-002": Verdict.failed, "OISL-COD-003": Verdict.error})
    for t in report.tests:
        if t.verdict is not Verdict.passed:
            t.message = NASTY
    for r in report.requirements:
        if r.verdict is not Verdict.passed:
            r.reason = "reason " + NASTY
    name = "acme`s | ``modem``"
    return report.model_copy(update={"implementation": report.implementation.model_copy(update={"name": name})})


def test_every_format_is_written_for_a_message_with_lone_surrogates_and_controls(tmp_path: Path) -> None:
    signed, paths = write_reports(_nasty_report(), tmp_path, ("json", "html", "junit", "md"))
    assert sorted(p.suffix for p in paths) == [".html", ".json", ".md", ".xml"]
    data = json.loads((tmp_path / "net-optical-isl-1.0.0.json").read_bytes())
    messages = [t["message"] for t in data["tests"] if t["message"]]
    assert messages and all(m == NASTY.replace("\ud800", "\ufffd") for m in messages)
    v = verify_report(tmp_path / "net-optical-isl-1.0.0.json", collect=False)
    assert v.check("json").status == "pass", "written in RFC 8785 canonical form, controls and all"
    assert v.check("signatures").status == "pass", v.check("signatures").messages
    assert v.check("signatures").messages[0].endswith("valid")
    verify_signature(signed)  # the in-memory report (still holding the surrogate) verifies too


def test_signature_covers_the_cleaned_content() -> None:
    key = generate_key()
    signed = sign_report(_nasty_report(), key)
    assert verify_signature(signed, key.public_key())


def test_junit_is_well_formed_whatever_the_message() -> None:
    xml = report_junit(_nasty_report())
    root = ET.fromstring(xml)  # raises on a control character
    failure = next(root.iter("failure"))
    assert failure.text is not None and "\\x1b[31m\\x00\\x07" in failure.text and "\ufffd" in failure.text
    assert "\\x1b" in (failure.get("message") or "")


def test_html_has_no_raw_control_characters() -> None:
    html = report_html(_nasty_report())
    html.encode("utf-8")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", html)
    assert "\\x1b[31m" in html and "&lt;b&gt;&amp;amp;" in html


def test_markdown_escapes_backticks_and_pipes() -> None:
    md = report_markdown(_nasty_report())
    md.encode("utf-8")
    assert "Product ``` acme`s | ``modem`` ``` 2.0;" in md, md
    line = next(ln for ln in md.splitlines() if ln.startswith("- `OISL-COD-002`"))
    assert "\\`code\\` \\| pipe" in line and "\\x1b" in line and "\\<b\\>\\&amp;" in line
    assert "second line" in line, "a message stays on its list item's line"
    assert not re.search("[\x00-\x08\x0b-\x1f]", md)


def test_markdown_plain_names_are_unchanged() -> None:
    md = report_markdown(synthetic_report({"OISL-COD-004": Verdict.failed}))
    assert "Product `acme-modem` 2.0;" in md and "- `OISL-COD-004` (SHALL) fail: " in md


@pytest.fixture()
def good_json(tmp_path: Path) -> str:
    write_reports(synthetic_report(), tmp_path / "good", ("json",))
    return (tmp_path / "good" / "net-optical-isl-1.0.0.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("Infinity", "Infinity is not allowed", id="Infinity"),
        pytest.param("-Infinity", "-Infinity is not allowed", id="-Infinity"),
        pytest.param("NaN", "NaN is not allowed", id="NaN"),
        pytest.param("1e400", "not a finite double", id="1e400"),
        pytest.param("9" * 400, "beyond 2^53-1", id="400-digit-int"),
        pytest.param("9" * 5000, "beyond 2^53-1", id="5000-digit-int"),
        pytest.param("9007199254740992", "beyond 2^53-1", id="2^53"),
        pytest.param("[" * 100_000 + "]" * 100_000, "nested too deeply", id="100000-deep"),
        pytest.param("[" * 100 + "]" * 100, "nested more than 64 levels", id="100-deep"),
        pytest.param('1,"zz":2', "duplicate key 'zz'", id="duplicate-key"),
        pytest.param('"\\ud800"', "lone surrogate", id="lone-surrogate"),
    ],
)
def test_read_report_data_refuses(value: str, message: str, good_json: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(good_json.replace('"items":{', '"items":{"zz":' + value + ",", 1), encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        read_report_data(bad)
    assert info.value.path == str(bad) and message in info.value.message


def test_read_report_data_accepts_strict_json(good_json: str, tmp_path: Path) -> None:
    ok = tmp_path / "ok.json"
    ok.write_text(good_json.replace('"items":{', '"items":{"zz":[9007199254740991,-1.5e300,"\\u00e9"],', 1), encoding="utf-8")
    assert read_report_data(ok)["ics"]["items"]["zz"] == [2**53 - 1, -1.5e300, "é"]


def test_read_report_data_names_the_line_of_a_syntax_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n"a": 1,\n}\n', encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        read_report_data(bad)
    assert info.value.line == 3 and "not JSON" in info.value.message

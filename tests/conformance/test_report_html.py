"""The report read by a person (issue 13): HTML, Markdown and JUnit renderings of one Report.

Unit tests build reports in memory (:func:`orbitcert.conformance.report.build_report` on
synthetic results) and check the view against independent oracles: pytest's own assertion
explanation (its "Use -v" hints), the spec's ICS proforma (what a full claim would add), keys
and keyrings made here, XML parsed back with ElementTree.

Browser tests open the page in headless Chromium (Debian ``chromium``) from a file:// URL with
the network off, at 900 and 1280 px, and measure the DOM as a reader sees it: the decision, the
scope and a failing requirement near the top, failures before passes, no horizontal overflow,
no id wrapped. A real ``orbitcert certify`` run of a product that fails every call, with a
narrowed ICS (two interleaving depths, no randomizer), is marked slow (about 25 s).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from browser import chromium as _chromium

from orbitcert.conformance.report import Implementation, Report, SuiteBinding, Thoroughness, build_report
from orbitcert.conformance.report_view import MESSAGE_CHARS, clean_message, report_view, shorten
from orbitcert.conformance.results import TestResult, Verdict, Waiver
from orbitcert.conformance.signing import (
    generate_key, load_keyring, public_key_pem, sign_report, signature_trust, write_key_pair,
)
from orbitcert.conformance.writers import load_report, report_html, report_junit, report_markdown
from orbitcert.specs.ics import load_ics_text
from orbitcert.specs.loader import load_ref

REF = "net-optical-isl@1.0.0"
CRASH = "ConnectionError: product exited: the modem's link to its DSP is down"
NARROW_ICS = """spec: net-optical-isl@1.0.0
product: {name: acme-dies, version: 0.9.0, supplier: ACME Space}
classes: [coding]
items:
  rs_interleaving_depths: [1, 5]
  randomizer: false
  shortened_codeblocks: true
  shortened_min_information_symbols: 1
"""


def build(
    outcomes: dict[str, Sequence[tuple[Verdict, str]]] | None = None,
    *,
    ics_text: str | None = None,
    waivers: Sequence[Waiver] = (),
    name: str = "acme-modem",
) -> Report:
    """A report of net-optical-isl 1.0.0: per requirement id, its tests' (verdict, message)
    (default: one passing test); test node ids are long, as parametrized ones are."""
    loaded = load_ref(REF)
    ics = load_ics_text(ics_text, loaded.spec) if ics_text else None
    tests = []
    for r in loaded.spec.requirements:
        for i, (verdict, message) in enumerate((outcomes or {}).get(r.id, [(Verdict.passed, "")])):
            tests.append(TestResult(
                nodeid=f"test_coding.py::test_{r.id.lower().replace('-', '_')}_against_the_published_vectors[I{i}-frame_all_ones_with_a_long_parameter_id]",
                requirements=[r.id], verdict=verdict, duration=0.01, message=message,
            ))
    from orbitcert.specs.ics import full_ics

    return build_report(
        loaded, ics or full_ics(loaded.spec), tests, Implementation(name=name, version="2.0", factory="acme:create", shared_process=False),
        SuiteBinding(path="suites/net-optical-isl", origin="bundled", digest="sha256:" + "0" * 64),
        started="2026-11-25T00:00:00Z", finished="2026-11-25T00:10:00Z",
        thoroughness=Thoroughness(examples=50, minimum_examples=25, derandomized=True, timeout=300.0),
        waivers=waivers,
    )


def crashed(n: int = 79) -> dict[str, list[tuple[Verdict, str]]]:
    """Every requirement's tests end with the same error (a product that died), ``n`` in all."""
    ids = [r.id for r in load_ref(REF).spec.requirements]
    out: dict[str, list[tuple[Verdict, str]]] = {rid: [] for rid in ids}
    for i in range(n):
        out[ids[i % len(ids)]].append((Verdict.error, CRASH))
    return out


# --- messages --------------------------------------------------------------------------------


def test_pytest_hints_are_dropped_from_a_real_assertion_explanation(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The oracle is pytest's own explanation of a failed ``==`` on bytes, from a real run (run as
    outside CI: on CI, which pytest detects by ``CI`` or ``BUILD_NUMBER``, it shows the whole diff
    and gives no hint)."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    reprec = pytester.inline_runsource(
        "def test_bytes():\n    assert bytes(range(200)) == bytes(range(199)) + b'\\x00'\n", "-p", "no:cacheprovider"
    )
    (failure,) = reprec.getfailures()
    raw = str(failure.longrepr.reprcrash.message)  # type: ignore[union-attr]
    assert "Use -v to get more diff" in raw  # what a report used to show under every failure
    cleaned = clean_message(raw)
    assert "-v" not in cleaned and "Use " not in cleaned and "At index 199 diff" in cleaned
    kept = [ln.rstrip() for ln in raw.splitlines() if ln.strip() and "Use -v" not in ln]
    assert cleaned.splitlines() == kept  # nothing else lost or reordered


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("assert [1] == [2]\n  Omitting 3 identical items, use -vv to show\n  Use -v to get more diff", "assert [1] == [2]\n  Omitting 3 identical items"),
        ("x\n  Skipping 50 identical leading characters in diff, use -v to show\n  - a\n  + b", "x\n  Skipping 50 identical leading characters in diff\n  - a\n  + b"),
        ("big...\n\n...Full output truncated (12 lines hidden), use '-vv' to show", "big..."),
        ("boom\x1b[31m\r\nsecond\u202eline  \n\n", "boom\\x1b[31m\nsecond\\u202eline"),
    ],
)
def test_clean_message(raw: str, cleaned: str) -> None:
    assert clean_message(raw) == cleaned


def test_shorten_keeps_short_messages_and_cuts_long_ones() -> None:
    assert shorten("one\ntwo") == ("one\ntwo", False)
    short, cut = shorten("\n".join(f"line {i}" for i in range(40)))
    assert cut and short.count("\n") == 5 and short.endswith("…")
    short, cut = shorten("x" * 5000)
    assert cut and len(short) <= MESSAGE_CHARS + 2


# --- grouping and order ------------------------------------------------------------------------


def test_identical_messages_are_one_group_with_a_count() -> None:
    outcomes = crashed(79)
    outcomes["OISL-COD-003"] = [(Verdict.failed, f"AssertionError: codeblock {i}: check symbols differ\nassert {i} == 0\n  Use -v to get more diff") for i in range(3)]
    report = build(outcomes)
    view = report_view(report, signature_trust(report), load_ref(REF).spec)
    errors = sum(len(v) for k, v in outcomes.items() if k != "OISL-COD-003")
    first = view.groups[0]
    assert (first.verdict, first.headline, first.same, len(first.tests)) == ("error", CRASH, True, errors)
    assert sorted(first.requirements) == sorted(k for k in outcomes if k != "OISL-COD-003")
    # Three failures with different first lines: three groups of one test.
    assert sorted(len(g.tests) for g in view.groups[1:]) == [1, 1, 1]
    html = report_html(report)
    assert html.count(f"<pre class=\"msg\">{CRASH.replace(chr(39), '&#39;')}</pre>") == 1, "the crash message is shown once"
    assert f"{errors} tests" in html
    assert "Use -v" not in html
    assert "test(s) error: " not in html, "the roll-up's reason repeats the groups: left out"


def test_same_first_line_groups_tests_and_keeps_each_message() -> None:
    msgs = [f"AssertionError: randomized codeblock differs\nAt index {i} diff" for i in (223, 446)]
    report = build({"OISL-COD-002": [(Verdict.failed, m) for m in msgs]})
    (group,) = report_view(report, []).groups
    assert not group.same and group.message == "AssertionError: randomized codeblock differs"
    assert [t.message for t in group.tests] == msgs
    html = report_html(report)
    assert "each with its own message" in html and "At index 223 diff" in html and "At index 446 diff" in html


def test_failures_come_first_then_waived_then_passes() -> None:
    waiver = Waiver(id="W-7", spec="net-optical-isl", requirements=["OISL-COD-010"], approver="SLS-OPT board",
                    reason="fix in firmware 2.3", issue="https://tracker.example/ACME-88", expires="2027-01-31")
    report = build({
        "OISL-COD-012": [(Verdict.failed, "advisory broke")],  # SHOULD
        "OISL-COD-009": [(Verdict.inconclusive, "not enough trials")],
        "OISL-COD-004": [(Verdict.failed, "dual basis wrong")],
        "OISL-COD-002": [(Verdict.error, "product crashed")],
        "OISL-COD-010": [(Verdict.failed, "waived failure")],
    }, waivers=[waiver])
    view = report_view(report, [])
    # SHALL before SHOULD; within a level error, fail, inconclusive.
    assert [q.id for q in view.not_passed] == ["OISL-COD-002", "OISL-COD-004", "OISL-COD-009", "OISL-COD-012"]
    assert [q.id for q in view.waived] == ["OISL-COD-010"] and view.waived[0].waiver is not None
    html = report_html(report)
    pos = {rid: html.index(f'id="req-{rid}"') for rid in ("OISL-COD-002", "OISL-COD-012", "OISL-COD-010", "OISL-COD-001")}
    assert pos["OISL-COD-002"] < pos["OISL-COD-012"] < pos["OISL-COD-010"] < pos["OISL-COD-001"]
    assert html.index('id="not-passed"') < html.index('id="waived"') < html.index('id="passed"')
    # The passing requirements are collapsed: inside a closed <details>.
    passed_block = html[html.index('id="passed"'):]
    assert re.search(r'<details class="passed-class"><summary>', passed_block)


def test_long_messages_are_cut_with_the_whole_text_kept() -> None:
    long = "AssertionError: frames differ\n" + "\n".join(f"  frame {i}: " + "ab" * 60 for i in range(30))
    html = report_html(build({"OISL-COD-005": [(Verdict.failed, long)]}))
    assert "Whole message" in html and "frame 29: " in html
    shown = re.search(r'<pre class="msg">(.*?)</pre>', html, re.S)
    assert shown and shown.group(1).endswith("…") and "frame 29" not in shown.group(1)


# --- decision, scope, trust, waivers ---------------------------------------------------------


def _decision(html: str) -> str:
    m = re.search(r'<section class="decision tone-(\w+)" id="decision" role="status" data-decision="([^"]+)">.*?<div class="words">([^<]+)</div>', html, re.S)
    assert m, "no decision block"
    return f"{m.group(1)} {m.group(2)} {m.group(3)}"


def test_the_decision_is_in_words_and_colour() -> None:
    assert _decision(report_html(build())) == "ok certified CERTIFIED"
    assert _decision(report_html(build({"OISL-COD-004": [(Verdict.failed, "x")]}))) == "bad not-certified NOT CERTIFIED"
    waiver = Waiver(id="W-1", spec="net-optical-isl", requirements=["OISL-COD-004"], approver="board", reason="r",
                    issue="ISS-1", expires="2027-01-31")
    report = build({"OISL-COD-004": [(Verdict.failed, "x")]}, waivers=[waiver])
    html = report_html(report)
    assert _decision(html) == "warn certified-with-waivers CERTIFIED WITH WAIVERS"
    table = html[html.index('<table class="waivers">'):html.index("</table>", html.index('<table class="waivers">'))]
    cells = [re.sub(r"<[^>]+>", " ", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", table, re.S)]
    assert "W-1" in cells[0] and "OISL-COD-004" in cells[1] and "board" in cells[2] and "ISS-1" in cells[2]
    assert cells[3] == "2027-01-31" and "applied" in cells[4]
    assert html.index('id="waivers"') < html.index("<h2>Summary</h2>"), "waivers near the top"


def test_a_narrowed_scope_says_what_is_not_claimed() -> None:
    spec = load_ref(REF).spec
    report = build(ics_text=NARROW_ICS)
    scope = report_view(report, [], spec).scope
    # Oracle: the proforma's allowed depths minus the claimed ones; the optional randomizer off.
    depths = next(i for i in spec.ics if i.id == "rs_interleaving_depths").values or []
    missing = [d for d in depths if d not in (1, 5)]
    assert scope.narrowed == ["randomizer", f"rs_interleaving_depths values {', '.join(map(str, missing))}"]
    html = report_html(report)
    assert "Scope narrowed: not claimed: randomizer; rs_interleaving_depths values 2, 3, 4, 8." in html
    assert html.index("Scope narrowed") < html.index("<h2>Summary</h2>")
    full = report_html(build())
    assert "Scope narrowed" not in full and "Full scope: every class and option of net-optical-isl@1.0.0 is claimed." in full


def test_a_spec_that_is_not_the_one_tested_is_not_compared() -> None:
    report = build(ics_text=NARROW_ICS)
    other = report.model_copy(update={"spec": report.spec.model_copy(update={"digest": "sha256:" + "1" * 64})})
    html = report_html(other)
    assert "Scope narrowed" not in html and "Full scope" not in html
    assert "is not the spec tested" in html and "rs_interleaving_depths" in html
    gone = report.model_copy(update={"spec": report.spec.model_copy(update={"id": "acme-private-spec"})})
    assert "not in the catalogs at hand" in report_html(gone)


def test_each_signature_says_who_trusts_it(tmp_path: Path) -> None:
    ring = tmp_path / "vendors"
    ring.mkdir()
    write_key_pair(tmp_path / "vendor.key", ring / "acme.pub")
    from orbitcert.conformance.signing import load_private_key

    vendor = load_private_key(tmp_path / "vendor.key")
    body = generate_key()
    (tmp_path / "body.pub").write_bytes(public_key_pem(body.public_key()))
    report = sign_report(build(), vendor, signer="ACME QA")
    report = sign_report(report, body, role="countersignature", signer="SLS-OPT body")
    trust = signature_trust(report, [load_keyring(ring)])
    html = report_html(report, trust)
    sigs = html[html.index('<ul class="sigs">'):html.index("</ul>", html.index('<ul class="sigs">'))]
    rows = re.findall(r"<li class=\"sig-(\w+)\">(.*?)</li>", sigs, re.S)
    assert [r[0] for r in rows] == ["trusted", "untrusted"]
    assert "vendor" in rows[0][1] and "ACME QA" in rows[0][1] and "trusted by vendors/acme" in rows[0][1]
    assert "countersignature" in rows[1][1] and "not in any keyring given to this run" in rows[1][1]
    assert trust[0].key_id.removeprefix("sha256:")[:4] in rows[0][1]
    assert "No keyring given when this page was made trusts" not in html
    one_time = sign_report(build(), generate_key(), ephemeral=True)
    html = report_html(one_time)
    assert "one-time key" in html and "No keyring given when this page was made trusts" in html
    forged = report.model_copy(deep=True)
    forged.requirements[0].verdict = Verdict.failed  # changed after signing
    assert "sig-invalid" in report_html(forged) and "INVALID" in report_html(forged)
    assert "Warning: signature 1, 2 does not verify" in report_html(forged)
    assert "Unsigned." in report_html(build())


# --- Markdown and JUnit ----------------------------------------------------------------------


def test_markdown_has_decision_scope_trust_waivers_and_failures_grouped() -> None:
    waiver = Waiver(id="W-9", spec="net-optical-isl", requirements=["OISL-COD-006"], approver="board", reason="r",
                    issue="ISS-9", expires="2027-01-31")
    outcomes = crashed(24)
    outcomes["OISL-COD-006"] = [(Verdict.failed, "shortened codeblock differs")]
    report = sign_report(build(outcomes, ics_text=NARROW_ICS, waivers=[waiver]), generate_key(), ephemeral=True)
    md = report_markdown(report)
    lines = md.splitlines()
    assert lines[0].endswith("— **not-certified**") and lines[2].startswith("**NOT CERTIFIED.**")
    assert "**Scope narrowed: not claimed: randomizer; rs\\_interleaving\\_depths values 2, 3, 4, 8.**" in md
    assert any(ln.startswith("Signatures: 1. vendor, key `") and "one-time key" in ln for ln in lines)
    assert "| W-9 | OISL-COD-006 | board | ISS-9 | 2027-01-31 | applied |" in md
    crash_lines = [ln for ln in lines if ln.startswith("1. **") and "tests** error" in ln]
    assert len(crash_lines) == 1 and crash_lines[0].startswith(f"1. **{24 - 2} tests** error"), crash_lines
    assert md.index("Requirements not passed:") < md.index("Waived") < md.index("Failing tests by message")
    assert md.count(CRASH.split(":")[0]) == 1 + sum(1 for ln in lines if ln.startswith("  - ")), "one line per requirement, one group"


def test_junit_has_requirement_verdicts_and_waivers_at_suite_level() -> None:
    waiver = Waiver(id="W-3", spec="net-optical-isl", requirements=["OISL-COD-007"], approver="board", reason="r",
                    issue="ISS-3", expires="2027-01-31")
    report = build({"OISL-COD-007": [(Verdict.failed, "x")], "OISL-COD-008": [(Verdict.error, "y")]}, waivers=[waiver])
    suite = ET.fromstring(report_junit(report)).find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.find("properties") or []}
    assert {k.removeprefix("requirement:"): v for k, v in props.items() if k and k.startswith("requirement:")} == {
        r.id: r.verdict.value for r in report.requirements
    }
    assert props["requirement:OISL-COD-007"] == "waived" and props["requirement:OISL-COD-008"] == "error"
    assert props["waiver:W-3"] == "applied" and props["decision"] == "not-certified"
    case = next(c for c in suite.iter("testcase") if "oisl_cod_007" in (c.get("name") or ""))
    case_props = [(p.get("name"), p.get("value")) for p in case.iter("property")]
    assert ("requirement", "OISL-COD-007") in case_props and ("waiver", "W-3") in case_props and ("verdict", "fail") in case_props


# --- in a browser ----------------------------------------------------------------------------

_MEASURE = """<script>
addEventListener('load', () => {
  const de = document.documentElement, vh = innerHeight;
  const lines = (node) => {
    const r = document.createRange(); r.selectNodeContents(node);
    return new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top))).size;
  };
  const top = (sel) => { const e = document.querySelector(sel); if (!e) return null;
    const r = e.getBoundingClientRect(); return (r.width > 0 && r.height > 0) ? Math.round(r.top + scrollY) : null; };
  const wrapped = [];
  for (const c of document.querySelectorAll('code.id, .nw')) {
    const open = !c.closest('details') || c.closest('details').open;
    if (open && c.getClientRects().length && lines(c) > 1) wrapped.push(c.textContent);
  }
  const wide = [...document.querySelectorAll('table, pre, ul, .req, .group')]
    .filter(e => e.getBoundingClientRect().right > de.clientWidth + 1).map(e => e.className || e.tagName);
  const firstFail = document.querySelector('#not-passed ~ .req code.id');
  const m = {scrollWidth: de.scrollWidth, innerWidth: innerWidth, wrapped: wrapped, wide: wide,
    decisionWords: (document.querySelector('#decision .words') || {}).textContent,
    decisionTop: top('#decision .words'), scopeTop: top('#scope-narrowed'), scopeText: (document.querySelector('#scope') || {}).innerText,
    failId: firstFail ? firstFail.textContent : null, failTop: top('#not-passed ~ .req'), passedTop: top('#passed'),
    failInDecision: [...document.querySelectorAll('#decision .nw')].map(e => e.textContent)};
  dispatchEvent(new Event('beforeprint'));
  m.closedAfterPrint = [...document.querySelectorAll('details')].filter(d => !d.open).length;
  document.body.setAttribute('data-oc-measure', btoa(unescape(encodeURIComponent(JSON.stringify(m)))));
});
</script>"""

_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-proxy-server", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def measure(page: Path, width: int, profile: Path) -> dict[str, Any]:
    """Open ``page`` (file:// URL, network off) in a ``width`` x 1000 px window and return what
    :data:`_MEASURE` saw."""
    probe = page.with_name(page.stem + ".measure.html")
    probe.write_text(page.read_text("utf-8").replace("</body>", _MEASURE + "</body>"), "utf-8")
    result = subprocess.run(
        [_chromium(), *_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},1000",
         "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    probe.unlink()
    m = re.search(r'data-oc-measure="([A-Za-z0-9+/=]+)"', result.stdout)
    assert m, f"no measurement (exit {result.returncode}): {result.stderr[-2000:]}"
    data: dict[str, Any] = json.loads(base64.b64decode(m.group(1)).decode("utf-8"))
    return data


def check_page(m: dict[str, Any], width: int, words: str, narrowed: bool) -> None:
    assert m["innerWidth"] == width
    assert m["scrollWidth"] <= m["innerWidth"], m
    assert m["wide"] == [], m
    assert m["wrapped"] == [], m
    assert m["decisionWords"] == words and m["decisionTop"] is not None and m["decisionTop"] < 300, m
    if narrowed:
        assert m["scopeTop"] is not None and m["scopeTop"] < 1000, m  # in the first screen
        assert "Scope narrowed: not claimed:" in m["scopeText"]
    assert m["failInDecision"] and m["failId"] in m["failInDecision"], m  # a failing id in the decision block
    assert m["failTop"] is not None and m["passedTop"] is not None and m["failTop"] < m["passedTop"], m
    assert m["closedAfterPrint"] == 0, "printing opens every collapsed block"


@pytest.fixture(scope="module")
def many_failures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A signed in-memory report: 60 tests of a crashed product, long distinct failures, a waiver,
    a narrowed scope; written as HTML."""
    outcomes: dict[str, list[tuple[Verdict, str]]] = crashed(60)
    outcomes["OISL-COD-003"] = [
        (Verdict.failed, f"AssertionError: codeblock {i}: {32 * (i + 1)} of {32 * (i + 1)} check symbols differ\n"
                         + "assert b'" + "\\x07\\xb1" * 80 + "' == b'" + "\\x8e" * 90 + "'\n  Use -v to get more diff")
        for i in range(6)
    ]
    outcomes["OISL-COD-012"] = [(Verdict.passed, "")]
    waiver = Waiver(id="W-2026-014", spec="net-optical-isl", requirements=["OISL-COD-011"], approver="CCSDS SLS-OPT review board",
                    reason="shortened code blocks are scheduled for firmware 2.3", issue="https://tracker.example/projects/acme-modem/issues/ACME-88-a-very-long-issue-url",
                    expires="2027-01-31")
    report = sign_report(build(outcomes, ics_text=NARROW_ICS, waivers=[waiver], name="acme-dies"), generate_key(), ephemeral=True)
    page = tmp_path_factory.mktemp("html") / "many.html"
    page.write_text(report_html(report), "utf-8")
    return page


@pytest.mark.parametrize("width", [900, 1280])
def test_many_failures_fit_the_window_with_the_decision_first(many_failures: Path, tmp_path: Path, width: int) -> None:
    m = measure(many_failures, width, tmp_path / "profile")
    check_page(m, width, "NOT CERTIFIED", narrowed=True)


def test_a_certified_report_fits_and_prints(tmp_path: Path) -> None:
    page = tmp_path / "ok.html"
    page.write_text(report_html(sign_report(build(), generate_key(), ephemeral=True)), "utf-8")
    m = measure(page, 900, tmp_path / "profile")
    assert m["scrollWidth"] <= m["innerWidth"] and m["wrapped"] == [] and m["decisionWords"] == "CERTIFIED", m
    pdf = tmp_path / "ok.pdf"
    subprocess.run(
        [_chromium(), *_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf}", page.as_uri()],
        capture_output=True, timeout=120, check=True,
    )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page\b", data)) >= 2, "sections start on new pages"


# --- a real certification run ------------------------------------------------------------------

_DIES = '''"""A product that answers hello, then fails every operation as a dead link to its DSP would."""
from typing import Any

from orbitcert.reference_impl.optical.iut import ReferenceOpticalLink


class Dies(ReferenceOpticalLink):
    name = "acme-dies"

    def encode(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("product exited: the modem's link to its DSP is down")

    def decode(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("product exited: the modem's link to its DSP is down")


def create(spec: Any = None) -> Dies:
    return Dies(spec=spec)
'''


@pytest.fixture(scope="module")
def dead_product_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``orbitcert certify`` of a product failing every call, with a narrowed ICS (two
    interleaving depths, no randomizer): its HTML report."""
    work = tmp_path_factory.mktemp("dies")
    (work / "dies_product.py").write_text(_DIES)
    (work / "ics.yaml").write_text(NARROW_ICS)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-m", "orbitcert.conformance.cli", "certify", "--spec", REF, "--impl", "dies_product:create",
         "--ics", "ics.yaml", "--examples", "25", "--format", "json,html,md,junit", "--out", str(work / "out")],
        cwd=work, env=env, capture_output=True, text=True, timeout=600,
    )
    page = work / "out" / "net-optical-isl-1.0.0.html"
    assert page.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return page


@pytest.mark.slow
@pytest.mark.parametrize("width", [900, 1280])
def test_a_real_failed_certification_reads_well(dead_product_run: Path, tmp_path: Path, width: int) -> None:
    report = load_report(dead_product_run.with_suffix(".json"))
    assert report.decision.value == "not-certified"
    errors = [t for t in report.tests if t.verdict is Verdict.error]
    assert len(errors) >= 20 and all(CRASH in t.message for t in errors)
    html = dead_product_run.read_text("utf-8")
    # Two messages (encode and decode), each shown once with its count, not once per test.
    assert html.count("<pre class=\"msg\">") == 2
    m = measure(dead_product_run, width, tmp_path / "profile")
    check_page(m, width, "NOT CERTIFIED", narrowed=True)

"""The documentation site, built once with ``mkdocs build --strict`` as CI builds it, then read as HTML.

Checks: the build is warning-free; every catalog version has a page in the navigation with its
"Changes since" section and, unless published, a lifecycle banner; every lint code the code
defines is documented; the API reference documents every public name; no page tells anyone to
``pip install orbitcert`` by name (orbitcert is not on PyPI); the CI examples are valid YAML
that install orbitcert pinned; no page loads anything from another host. Then headless Chromium
(Debian's ``chromium``) opens a spec page at 900 and 1280 px with no network and measures it:
no horizontal overflow, no table scrolled sideways, no requirement id wrapped.
"""

from __future__ import annotations

import base64
import fcntl
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from browser import chromium as _chromium
import yaml

import orbitcert.conformance
import orbitcert.conformance.strategies
import orbitcert.specs
import orbitcert.specs.diff
from orbitcert.specs.loader import Catalog
from orbitcert.specs.model import Status

# mkdocs and its plugins come with the docs extra (pip install -e ".[docs]").
pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _build(out: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true", "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert not re.search(r"^(WARNING|ERROR)\b", log, re.M), log[-4000:]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once per test run: pytest-xdist workers of one run share it (a lock file
    makes the first worker build it while the others wait)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run is None:
        out = tmp_path_factory.mktemp("site")
        _build(out)
        return out
    shared = tmp_path_factory.getbasetemp().parent / f"docs-site-{run}"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "built").exists():
            _build(shared / "site")
            (shared / "built").touch()
    return shared / "site"


def _page(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text(encoding="utf-8")


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _nav_links(page: str) -> set[str]:
    """The targets of the primary navigation's links."""
    nav = page[page.index('class="md-nav md-nav--primary"') :]
    return set(re.findall(r'<a href="([^"]+)" class="md-nav__link', nav))


def test_every_catalog_version_has_a_page_in_the_nav_with_its_changes(site: Path) -> None:
    catalog = Catalog.discover()
    assert len(catalog.entries) >= 5
    links = _nav_links(_page(site, "specs"))
    for spec_id, version in catalog.entries:
        page = _page(site, f"specs/{spec_id}/{version}")
        assert f"{spec_id}/{version}/" in links, (spec_id, version)
        changes = re.search(r'<h2 id="(changes-since[^"]*)">(.*?)</h2>', page)
        assert changes, (spec_id, version)
        earlier = [v for v in catalog.versions(spec_id) if v != version][: catalog.versions(spec_id).index(version)]
        if earlier:
            assert _text(changes.group(2)).startswith(f"Changes since {earlier[-1]}")
        else:
            assert "first version" in _text(page[page.index(changes.group(0)) :][:2000])
        loaded = catalog.load(f"{spec_id}@{version}")
        top = page[: page.index('<h2 id="referenced-standards"')] if "referenced-standards" in page else page
        banner = re.search(r'<div class="admonition (\w+)">\s*<p class="admonition-title">(\w+)</p>', top)
        if loaded.spec.status is Status.published:
            assert banner is None
        else:
            assert banner and banner.group(2).lower() == loaded.spec.status.value
        for r in loaded.spec.requirements:
            assert f'<h4 id="{r.id.lower()}">{r.id}' in page


def test_every_lint_code_is_documented_with_an_example_and_a_fix(site: Path) -> None:
    sources = [ROOT / "specs" / "lint.py", ROOT / "conformance" / "traceability.py"]
    codes = sorted({c for f in sources for c in re.findall(r'"(OC\d{3})"', f.read_text(encoding="utf-8"))})
    assert "OC100" in codes and "OC203" in codes and len(codes) >= 17
    page = _page(site, "getting-started/lint-codes")
    for code in codes:
        m = re.search(rf'<h3 id="{code.lower()}">{code}(.*?)(?=<h[23] |</article>)', page, re.S)
        assert m, f"{code} is not documented on the lint-codes page"
        section = m.group(1)
        assert "<pre" in section and code in _text(section.split("<pre", 1)[1]), f"{code}: no example finding"
        assert "Fix" in _text(section), f"{code}: no fix"


@pytest.mark.parametrize(
    ("page", "module", "names"),
    [
        ("reference/api/specs", "orbitcert.specs", orbitcert.specs.__all__),
        ("reference/api/conformance", "orbitcert.conformance", orbitcert.conformance.__all__),
        ("reference/api/diff", "orbitcert.specs.diff", orbitcert.specs.diff.__all__),
        ("reference/api/plugin", "orbitcert.conformance.strategies", orbitcert.conformance.strategies.__all__),
        ("reference/api/plugin", "orbitcert.conformance.plugin", ["spec", "ics", "iut", "evidence", "run_seed"]),
    ],
)
def test_api_reference_documents_every_public_name(site: Path, page: str, module: str, names: list[str]) -> None:
    text = _page(site, page)
    missing = [n for n in names if f'id="{module}.{n}"' not in text]
    assert not missing
    assert 'id="orbitcert.specs.load_ref"' in _page(site, "reference/api/specs")


_PIP_BY_NAME = re.compile(r"""pip3? install\s+(?:-\S+\s+)*["']?orbitcert(?![\w.\[-]|\s*@)""")


def test_no_page_installs_orbitcert_by_name_from_a_registry(site: Path) -> None:
    pages = [*DOCS.rglob("*.md"), ROOT / "README.md"]
    offenders = [str(p.relative_to(ROOT)) for p in pages if _PIP_BY_NAME.search(p.read_text("utf-8"))]
    offenders += [
        str(p.relative_to(site)) for p in site.rglob("*.html") if _PIP_BY_NAME.search(_text(p.read_text("utf-8")))
    ]
    assert not offenders
    assert _PIP_BY_NAME.search("run pip install orbitcert now") and _PIP_BY_NAME.search("pip install 'orbitcert'")
    assert not _PIP_BY_NAME.search('pip install "orbitcert @ git+https://h/o/orbitcert.git@v1"')


def test_ci_examples_are_valid_yaml_and_install_orbitcert_pinned() -> None:
    text = (DOCS / "getting-started" / "ci-gates.md").read_text("utf-8")
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]
    github = next(b for b in blocks if "jobs" in b)
    gitlab = next(b for b in blocks if "conformance" in b)
    steps = github["jobs"]["certify"]["steps"]
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11" and python["with"]["cache"] == "pip"
    runs = "\n".join(s.get("run", "") for s in steps)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "reports/"
    job = gitlab["conformance"]
    assert job["image"].startswith("python:3.11") and job["artifacts"]["when"] == "always"
    scripts = "\n".join(job["before_script"] + job["script"])
    for commands in (runs, scripts):
        assert "pip install -r ci/orbitcert-requirements.txt" in commands
        assert re.search(r"orbitcert certify .*-n 2", commands.replace("\\\n", " "), re.S)
        assert "orbitcert report diff " in commands
    pinned = re.search(r"```text\n# ci/orbitcert-requirements.txt.*?\n(.*?)\n```", text, re.S)
    assert pinned and re.fullmatch(r"orbitcert @ git\+https://\S+\.git@<tag>", pinned.group(1))


def test_no_page_loads_anything_from_another_host(site: Path) -> None:
    remote = re.compile(r"""<(?:script|img|iframe)\b[^>]*\bsrc=["']?(?:https?:)?//|<link\b[^>]*\bhref=["']?(?:https?:)?//""", re.I)
    offenders = [str(p.relative_to(site)) for p in site.rglob("*.html") if remote.search(p.read_text("utf-8"))]
    assert not offenders


# --- in a browser --------------------------------------------------------------------------------

_MEASURE = """<script>
addEventListener('load', () => {
  const de = document.documentElement;
  const wrapped = [];
  const lines = (node) => {
    const r = document.createRange(); r.selectNodeContents(node);
    return new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top))).size;
  };
  for (const h of document.querySelectorAll('.oc-spec h4')) {
    const t = [...h.childNodes].find(n => n.nodeType === 3);
    if (t && lines(t) > 1) wrapped.push(h.id);
  }
  for (const c of document.querySelectorAll('.oc-spec code.oc-id')) if (lines(c) > 1) wrapped.push(c.textContent);
  const scrolled = [...document.querySelectorAll('.oc-spec .md-typeset__scrollwrap, .oc-spec table')]
    .filter(e => e.scrollWidth > e.clientWidth + 1).length;
  const m = {scrollWidth: de.scrollWidth, innerWidth: innerWidth, ids: document.querySelectorAll('.oc-spec h4').length,
             wrapped: wrapped, scrolledTables: scrolled, tables: document.querySelectorAll('.oc-spec table').length};
  document.body.setAttribute('data-oc-measure', btoa(JSON.stringify(m)));
});
</script>"""


def measure(browser: str, page: Path, width: int, profile: Path) -> dict[str, Any]:
    """Open ``page`` at ``width`` px, network off, and return the measurements of :data:`_MEASURE`."""
    probe = page.with_name("measure.html")
    probe.write_text(page.read_text("utf-8").replace("</body>", _MEASURE + "</body>"), "utf-8")
    result = subprocess.run(
        [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}", f"--window-size={width},2000",
            "--virtual-time-budget=5000", "--dump-dom", probe.as_uri(),
        ],
        capture_output=True, text=True, timeout=120,
    )
    probe.unlink()
    m = re.search(r'data-oc-measure="([A-Za-z0-9+/=]+)"', result.stdout)
    assert m, f"no measurement (exit {result.returncode}): {result.stderr[-2000:]}"
    data: dict[str, Any] = json.loads(base64.b64decode(m.group(1)))
    return data


@pytest.mark.parametrize("width", [900, 1280])
def test_spec_page_fits_the_window_and_ids_never_wrap(site: Path, tmp_path: Path, width: int) -> None:
    browser = _chromium()
    loaded = Catalog.discover().load("net-optical-isl@1.1.0")
    m = measure(browser, site / "specs" / "net-optical-isl" / "1.1.0" / "index.html", width, tmp_path / "profile")
    assert m["innerWidth"] == width
    assert m["scrollWidth"] <= m["innerWidth"], m
    assert m["ids"] >= len(loaded.spec.requirements)
    assert m["wrapped"] == [], m
    assert m["tables"] >= 4 and m["scrolledTables"] == 0, m

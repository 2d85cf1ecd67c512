"""Packaging: the wheel carries specs, schemas, suites and templates, and works installed non-editable
in a fresh virtual environment, run from an unrelated directory."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_every_python_package_directory_is_listed() -> None:
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(cfg["packages"])
    mapping = cfg["package-dir"]
    found = set()
    for name, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([name, *rel.parts]) if rel.parts else name)
    assert found == listed


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)\n```", readme, re.S)
    install_and_certify, install_and_test = blocks[0], blocks[1]
    assert readme.index(install_and_certify) < readme.index("##"), "the two commands come first"
    assert "pip install ." in install_and_certify and install_and_certify.endswith("orbitcert certify")
    assert re.search(r"\[test,docs(,\w+)*\]", install_and_test) and "pytest" in install_and_test
    assert install_and_test in (ROOT / ".ci" / "run").read_text().splitlines()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a private copy of the source tree: two workers building from one tree
    race on its build/ and egg-info folders."""
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("source") / "orbitcert"
    shutil.copytree(
        ROOT, source,
        ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "site", "reports", "*.egg-info", "__pycache__",
                                      ".hypothesis", ".pytest_cache", ".mypy_cache"),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        check=True, capture_output=True, timeout=600,
    )
    (whl,) = out.glob("orbitcert-*.whl")
    return whl


@pytest.mark.slow
def test_wheel_contents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "orbitcert/specs/catalog/net-optical-isl/1.0.0.yaml",
        "orbitcert/specs/catalog/net-optical-isl/1.1.0.yaml",
        "orbitcert/conformance/suites/net-optical-isl/test_reliable.py",
        "orbitcert/reference_impl/optical/cop1.py",
        "orbitcert/specs/schema/spec.schema.json",
        "orbitcert/specs/schema/ics.schema.json",
        "orbitcert/specs/schema/report.schema.json",
        "orbitcert/conformance/suites/pytest.ini",
        "orbitcert/conformance/suites/net-optical-isl/test_coding.py",
        "orbitcert/conformance/suites/net-optical-isl/conftest.py",
        "orbitcert/conformance/suites/net-optical-isl/vectors_rs_i5.txt",
        "orbitcert/conformance/templates/report.html.j2",
        "orbitcert/reference_impl/ics/net-optical-isl.yaml",
        "orbitcert/reference_impl/optical/coding.py",
        "orbitcert/specs/catalog/sec-link-security/1.0.0.yaml",
        "orbitcert/conformance/suites/sec-link-security/conftest.py",
        "orbitcert/reference_impl/ics/sec-link-security.yaml",
        "orbitcert/reference_impl/security/iut.py",
        "orbitcert/reference_impl/frames.py",
    ):
        assert required in names, required
    assert not any(n.startswith(("tests/", "benchmarks/", "docs/", "specs/", "orbitcert/__init__")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "orbitcert = orbitcert.conformance.cli:main" in text
    assert "[pytest11]" in text and "orbitcert = orbitcert.conformance.plugin" in text


@pytest.mark.slow
def test_installed_wheel_certifies_from_anywhere(wheel: Path, tmp_path: Path) -> None:
    """A fresh venv (dependencies borrowed from this one by path, not the editable install)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # No PYTHONPATH: a source tree on it (with an egg-info) would make pip think orbitcert installed.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True, timeout=300, env=env)
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run([py, "-c", "import orbitcert.specs, sys; print(orbitcert.specs.__file__)"],
                           cwd=work, capture_output=True, text=True, env=env)
    assert str(venv) in where.stdout, "the wheel, not the source tree, must be imported"
    proc = subprocess.run([venv / "bin" / "orbitcert", "certify", "--examples", "25", "--format", "json,html"],
                          cwd=work, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (work / "reports" / "net-optical-isl-1.1.0.json").exists(), "no arguments: the latest published version"
    assert (work / "reports" / "net-optical-isl-1.1.0.html").exists()
    assert (work / "reports" / "sec-link-security-1.1.0.json").exists()

"""The harness's seams: the public API, a light plugin import, shared run options, and products
checked against their test interface before any test runs."""

from __future__ import annotations

import ast
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import orbitcert.conformance
import orbitcert.specs
from orbitcert.conformance.interfaces import PROTOCOLS, NetOpticalIslProduct, check_product, required_operations
from orbitcert.conformance.options import RunOptions, parse_formats
from orbitcert.conformance.session import SUITES_DIR
from orbitcert.reference_impl.optical.iut import create
from orbitcert.specs.errors import InterfaceError, OptionError
from orbitcert.specs.loader import load_ref

SPEC = load_ref("net-optical-isl@1.0.0").spec


@pytest.mark.parametrize("package", [orbitcert.specs, orbitcert.conformance])
def test_all_is_exactly_the_public_api(package: types.ModuleType) -> None:
    names = package.__all__
    assert names == sorted(set(names)), "__all__ is sorted, without repeats"
    for name in names:
        value = getattr(package, name)
        assert getattr(value, "__module__", package.__name__).startswith("orbitcert."), name
    submodules = {m for m in vars(package) if isinstance(vars(package)[m], types.ModuleType)}
    public = {n for n in dir(package) if not n.startswith("_")} - submodules
    assert public == set(names), "every public name is in __all__, and nothing else is public"


def test_importing_the_plugin_is_light() -> None:
    """pytest imports the plugin in every run wherever orbitcert is installed."""
    code = (
        "import sys, orbitcert.conformance.plugin\n"
        "heavy = ['cryptography', 'jinja2', 'numpy', 'pydantic', 'yaml', 'jsonschema', 'hypothesis',\n"
        "         'orbitcert.conformance.writers', 'orbitcert.specs.model']\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"imported at plugin import: {out}"


def test_suites_use_only_the_public_api() -> None:
    """Suites import the public API only: the package, strategies, and the interfaces package with
    its per-spec modules (public: their Protocols and wire helpers are documented)."""
    allowed = {"orbitcert.conformance", "orbitcert.conformance.strategies", "orbitcert.conformance.interfaces"}
    for path in SUITES_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("orbitcert.conformance"):
                public = node.module in allowed or node.module.startswith("orbitcert.conformance.interfaces.")
                assert public and "._" not in node.module, f"{path.name} imports {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("orbitcert.conformance."), f"{path.name} imports {alias.name}"


# --- options ----------------------------------------------------------------------------------


def test_formats_always_include_json_in_canonical_order() -> None:
    assert parse_formats("html") == ("json", "html")
    assert parse_formats("md, junit,md") == ("json", "junit", "md")
    with pytest.raises(OptionError, match="unknown report format"):
        parse_formats("json,pdf")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"timeout": -1}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"timeout": 1e300}, "timeout"),
        ({"examples": 0}, "examples"),
        ({"examples": True}, "examples"),
        ({"workers": -1}, "workers"),
    ],
)
def test_out_of_range_options_are_refused(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(OptionError) as info:
        RunOptions.create(**kwargs)
    assert info.value.field == field


def test_plugin_and_cli_write_the_same_files(tmp_path: Path, cli: Any) -> None:
    """``pytest --orbitcert-format html`` writes the signed JSON too, as ``certify --format html`` does."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = pytest.main(
            ["-p", "no:cacheprovider", "-q", "--orbitcert-spec", "net-optical-isl@1.0.0", "--orbitcert-examples", "2",
             "--orbitcert-format", "html", "--orbitcert-out", str(tmp_path / "plugin"), "-k", "asm_precedes"]
        )
    assert code == 0
    assert cli("certify", "--spec", "net-optical-isl@1.0.0", "--format", "html", "--examples", "2", "--out", str(tmp_path / "cli")).code == 1
    plugin = sorted(p.name for p in (tmp_path / "plugin").iterdir())
    assert plugin == ["net-optical-isl-1.0.0.html", "net-optical-isl-1.0.0.json"]
    assert sorted(p.name for p in (tmp_path / "cli").iterdir()) == [".orbitcert.lock", *plugin, "net-optical-isl-1.0.0.log"]


# --- interfaces -------------------------------------------------------------------------------


def test_the_reference_implements_its_protocol() -> None:
    assert PROTOCOLS["net-optical-isl"] is NetOpticalIslProduct
    assert isinstance(create(SPEC), NetOpticalIslProduct)
    check_product(create(SPEC), SPEC, ["coding"])
    assert required_operations(SPEC, ["coding"]) == ["encode", "decode"]
    assert required_operations(SPEC, []) == []


class _OnlyEncode:
    def encode(self, frames: Any, interleave: int, randomize: bool = True) -> bytes:
        return b""


class _RaisingProperty(_OnlyEncode):
    @property
    def decode(self) -> Any:
        raise RuntimeError("gotcha")


class _NotCallable(_OnlyEncode):
    decode = 42


class _TooFewParameters(_OnlyEncode):
    def decode(self, stream: bytes) -> list[Any]:
        return []


@pytest.mark.parametrize(
    ("product", "message"),
    [
        (object(), "encode (class coding) is missing; decode (class coding) is missing"),
        (_OnlyEncode(), "decode (class coding) is missing"),
        (_RaisingProperty(), "decode (class coding) is missing"),
        (_NotCallable(), "decode (class coding) is missing"),
        (_TooFewParameters(), "decode(stream, frame_length, interleave, randomize) cannot be called"),
    ],
)
def test_products_missing_operations_are_refused(product: Any, message: str) -> None:
    with pytest.raises(InterfaceError) as info:
        check_product(product, SPEC, ["coding"])
    assert message in str(info.value)
    assert "net-optical-isl@1.0.0" in str(info.value)


def test_unclaimed_classes_need_no_operations() -> None:
    check_product(object(), SPEC, [])


def test_a_foreign_module_of_the_suites_name_is_never_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module named like a suite module already loaded in the process (pytest's importlib mode
    would reuse it, and run its tests instead of the suite's) is set aside: the real suite runs."""
    from orbitcert.conformance import run_certification
    from orbitcert.conformance.session import CertificationTarget

    impostor = types.ModuleType("net-optical-isl.test_coding")
    impostor.__file__ = str(tmp_path / "test_coding.py")
    monkeypatch.setitem(sys.modules, "net-optical-isl.test_coding", impostor)
    target = CertificationTarget.resolve("net-optical-isl@1.0.0")
    report = run_certification(target, RunOptions.create(out=tmp_path, examples=2, formats="json")).report
    assert [t.verdict.value for t in report.tests].count("pass") == 79
    assert sys.modules.get("net-optical-isl.test_coding") is not impostor


def test_a_run_that_selected_no_test_writes_no_report(tmp_path: Path) -> None:
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = pytest.main(
            ["-p", "no:cacheprovider", "-q", "--orbitcert-spec", "net-optical-isl@1.0.0",
             "--orbitcert-out", str(tmp_path), "-k", "no_test_has_this_name"]
        )
    assert code == pytest.ExitCode.NO_TESTS_COLLECTED
    assert not list(tmp_path.glob("*.json")), "a report of nothing never looks like a certification"

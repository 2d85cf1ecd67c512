"""``orbitcert adapter new``: skeleton products that build, run, and fail every test honestly."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orbitcert.conformance import run_certification
from orbitcert.conformance.interfaces import check_product
from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.session import CertificationTarget
from orbitcert.specs import Catalog
from orbitcert.specs.ics import load_ics

REF = "net-optical-isl@1.0.0"
MODULE = "net_optical_isl_adapter"


@pytest.fixture(scope="module")
def spec() -> Any:
    return Catalog.discover([]).load(REF).spec


@pytest.fixture(scope="module")
def c_product(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The C skeleton, generated and built once for the module."""
    if shutil.which("cc") is None or shutil.which("make") is None:
        pytest.skip("building the C skeleton needs `cc` and `make` on PATH")
    from orbitcert.conformance.adapter_kit import write_skeleton

    out = tmp_path_factory.mktemp("c") / "acme-modem"
    write_skeleton(Catalog.discover([]).load(REF).spec, "c", out)
    build = subprocess.run(["make", "-C", str(out)], capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stdout + build.stderr
    return out


def _drive(product: Path, lines: list[bytes]) -> tuple[int, list[dict[str, Any]], str]:
    proc = subprocess.run([str(product)], input=b"".join(lines), capture_output=True, timeout=30)
    replies = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    return proc.returncode, replies, proc.stderr.decode()


# --- Python ---------------------------------------------------------------------------------------


def test_python_skeleton(cli: Callable[..., Any], tmp_path: Path, spec: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "acme-py"
    r = cli("adapter", "new", "--spec", REF, "--lang", "python", "-o", str(out))
    assert r.code == 0, r.stdout + r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "ics.yaml", f"{MODULE}.py"]
    for name in ("README.md", "ics.yaml", f"{MODULE}.py"):
        assert str(out / name) in r.stdout
    readme = (out / "README.md").read_text()
    assert f"orbitcert certify --spec {REF} --impl {MODULE}:create --ics ics.yaml" in readme
    assert f'--impl-cmd "orbitcert serve --impl {MODULE}:create --spec {REF}"' in readme

    monkeypatch.syspath_prepend(str(out))
    module = importlib.import_module(MODULE)
    try:
        product = module.create(spec=spec)
        assert module.create().spec is None  # the factory also works without a spec
        operations = [op for op in spec.interface.operations]
        methods = [n for n, v in vars(type(product)).items() if inspect.isfunction(v) and not n.startswith("_")]
        assert methods == [op.name for op in operations]
        for op in operations:
            params = list(inspect.signature(getattr(product, op.name)).parameters)
            assert params == list(op.arguments["properties"]), op.name
            with pytest.raises(NotImplementedError, match=f"{op.name} is not implemented yet"):
                getattr(product, op.name)(*([None] * len(params)))
        sig = inspect.signature(product.encode)
        assert sig.parameters["randomize"].default is True
        assert [str(p.annotation) for p in sig.parameters.values()] == ["Sequence[bytes]", "int", "bool"]
        assert sig.return_annotation == "bytes"
        assert str(inspect.signature(product.decode).parameters["stream"].annotation) == "bytes"
        assert "Returns:" in (product.decode.__doc__ or "") and "corrected" in (product.decode.__doc__ or "")
        assert isinstance(product.name, str) and product.version and product.supplier
        check_product(product, spec, ["coding"])
    finally:
        sys.modules.pop(MODULE, None)
    assert load_ics(out / "ics.yaml", spec).classes == ["coding"]


@pytest.mark.parametrize("lang", ["python", "c"])
def test_generated_files_are_clean(tmp_path: Path, spec: Any, lang: str) -> None:
    """Generated Python passes ruff; every generated text is printable ASCII (or UTF-8 from the spec)."""
    from orbitcert.conformance.adapter_kit import write_skeleton

    written = write_skeleton(spec, lang, tmp_path / "p")
    assert all(p.is_file() and p.read_text(encoding="utf-8") for p in written)
    if lang == "python" and shutil.which("ruff"):
        check = subprocess.run(["ruff", "check", "--no-cache", "--isolated", str(tmp_path / "p")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout


def test_python_skeleton_fails_every_test_honestly(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "acme-py"
    assert cli("adapter", "new", "--spec", REF, "--lang", "python", "-o", str(out)).code == 0
    monkeypatch.chdir(out)
    monkeypatch.syspath_prepend(str(out))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(out), os.environ.get("PYTHONPATH")])))
    target = CertificationTarget.resolve(REF, impl=f"{MODULE}:create", ics_path=out / "ics.yaml")
    try:
        report = run_certification(target, RunOptions.create(out=tmp_path / "out", examples=2, formats="json")).report
    finally:
        sys.modules.pop(MODULE, None)
    _assert_honest_failure(report)


# --- C --------------------------------------------------------------------------------------------


def test_c_skeleton_files_and_cli(cli: Callable[..., Any], tmp_path: Path, spec: Any) -> None:
    out = tmp_path / "acme-modem"
    r = cli("adapter", "new", "--spec", REF, "--lang", "c", "-o", str(out))
    assert r.code == 0, r.stdout + r.stderr
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == ["Makefile", "README.md", "ics.yaml", "src/base64.c", "src/base64.h", "src/json.c", "src/json.h",
                     "src/main.c"]
    assert f"wrote {out / 'src' / 'main.c'}" in r.stdout
    main = (out / "src" / "main.c").read_text()
    assert "static void op_encode(" in main and "static void op_decode(" in main
    assert "frame_length (required): integer (>= 1)" in main  # the stub's comment lists its arguments
    readme = (out / "README.md").read_text()
    assert f"make -C {out}" in readme
    assert f"orbitcert certify --spec {REF} --impl-cmd {out}/product --ics {out}/ics.yaml" in readme
    assert load_ics(out / "ics.yaml", spec).classes == ["coding"]


def test_c_skeleton_speaks_the_protocol(c_product: Path) -> None:
    code, replies, stderr = _drive(c_product / "product", [
        b'{"id":0,"op":"hello","args":{}}\n',
        b"garbage \x00\xff not json\n",
        b"[1, 2]\n",
        b'{"id":1,"op":"encode","args":{"frames":["AAAA"],"interleave":1,"randomize":false}}\n',
        b'{"id": 2, "op": "decode", "args": {"stream": "", "frame_length": 3, "interleave": 1}}\n',
        b'{"id":3,"op":"transmit","args":{}}\n',
        b'{"id":4, "op": \n',
        b'{"id":5,"op":"encode"',  # unterminated last line, then EOF
    ])
    assert code == 0, stderr
    assert replies[0]["id"] == 0
    hello = replies[0]["result"]
    assert hello["operations"] == ["encode", "decode"]
    assert hello["name"] == "acme-modem" and hello["version"] and hello["supplier"]
    assert replies[1] == {"id": 1, "error": {"type": "NotImplemented", "message": "encode is not implemented yet"}}
    assert replies[2] == {"id": 2, "error": {"type": "NotImplemented", "message": "decode is not implemented yet"}}
    assert replies[3]["id"] == 3 and replies[3]["error"]["type"] == "NotImplemented"
    assert [r["id"] for r in replies[4:]] == [4, 5] and all(r["error"]["type"] == "ProtocolError" for r in replies[4:])
    assert "skipped" in stderr  # garbage is logged on stderr, never answered on stdout


def test_c_skeleton_exits_on_eof(c_product: Path) -> None:
    assert _drive(c_product / "product", []) == (0, [], "")


def test_c_skeleton_fails_every_test_honestly(c_product: Path, tmp_path: Path) -> None:
    target = CertificationTarget.resolve(REF, command=str(c_product / "product"), ics_path=c_product / "ics.yaml")
    report = run_certification(target, RunOptions.create(out=tmp_path / "out", examples=2, formats="json")).report
    _assert_honest_failure(report)


def _assert_honest_failure(report: Any) -> None:
    assert report.decision.value == "not-certified"
    assert report.tests
    assert {t.verdict.value for t in report.tests} == {"error"}
    assert all("not implemented" in t.message for t in report.tests), {t.message for t in report.tests}


# --- refusals -------------------------------------------------------------------------------------


def test_unknown_language_is_refused(cli: Callable[..., Any], tmp_path: Path) -> None:
    r = cli("adapter", "new", "--spec", REF, "--lang", "rust", "-o", str(tmp_path / "p"))
    assert r.code == 2 and "Traceback" not in r.stderr
    assert "unknown language 'rust'" in r.stderr and "python, c" in r.stderr
    assert not (tmp_path / "p").exists()


def test_unknown_spec_is_refused(cli: Callable[..., Any], tmp_path: Path) -> None:
    r = cli("adapter", "new", "--spec", "no-such-spec@1.0.0", "--lang", "c", "-o", str(tmp_path / "p"))
    assert r.code == 2 and "Traceback" not in r.stderr and "no-such-spec" in r.stderr
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("lang", ["python", "c"])
def test_a_non_empty_directory_is_never_overwritten(cli: Callable[..., Any], tmp_path: Path, lang: str) -> None:
    out = tmp_path / "vendor"
    out.mkdir()
    (out / "README.md").write_text("the vendor's own work\n")
    r = cli("adapter", "new", "--spec", REF, "--lang", lang, "-o", str(out))
    assert r.code == 2 and "Traceback" not in r.stderr and "not empty" in r.stderr
    assert [p.name for p in out.iterdir()] == ["README.md"]
    assert (out / "README.md").read_text() == "the vendor's own work\n"


def test_a_file_in_the_way_is_refused(cli: Callable[..., Any], tmp_path: Path) -> None:
    (tmp_path / "p").write_text("x")
    r = cli("adapter", "new", "--spec", REF, "--lang", "c", "-o", str(tmp_path / "p"))
    assert r.code == 2 and "not a directory" in r.stderr and (tmp_path / "p").read_text() == "x"


def test_an_empty_directory_is_used(cli: Callable[..., Any], tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    assert cli("adapter", "new", "--spec", REF, "--lang", "python", "-o", str(tmp_path / "p")).code == 0


def test_help_has_an_example(cli: Callable[..., Any]) -> None:
    r = cli("adapter", "new", "--help")
    assert r.code == 0 and r.stdout.startswith("Usage: orbitcert adapter new [OPTIONS]")
    text = " ".join(r.stdout.split())
    assert "Example: orbitcert adapter new --spec net-optical-isl@1.0.0 --lang c -o acme-modem" in text
    for metavar in ("--spec REF", "--lang LANG", "--out DIR", "--catalog DIR"):
        assert metavar in text, metavar
    assert "{" not in text and "}" not in text


# --- untrusted spec text ----------------------------------------------------------------------------


def test_hostile_schema_text_stays_inert(tmp_path: Path, spec: Any) -> None:
    """Descriptions and property names from a catalog cannot break out of a docstring, a C comment
    or a parameter list; odd names become identifiers, and optional arguments without a default
    take None (the bridge passes None for them)."""
    from orbitcert.conformance.adapter_kit import generate

    op = spec.interface.operations[0].model_copy(update={
        "name": "import",
        "description": 'Ends a docstring """ and a comment */ /* with a trigraph ??/ and \\ \x1b',
        "arguments": {
            "type": "object",
            "required": ["class"],
            "properties": {"la-bel": {"type": "string"}, "class": {"type": "integer"}, "self": {"type": "boolean"},
                           "blob": {"type": "string", "contentEncoding": "base64", "default": "AAE="}},
        },
    })
    hostile = spec.model_copy(update={"interface": spec.interface.model_copy(update={"operations": [op]})})
    (py,) = [f for f in generate(hostile, "python") if f.path.endswith(".py")]
    namespace: dict[str, Any] = {}
    exec(compile(py.content, py.path, "exec"), namespace)  # noqa: S102 - the generated module must compile
    product = namespace["create"]()
    params = inspect.signature(product.import_).parameters
    assert list(params) == ["la_bel", "class_", "self_", "blob"]
    assert params["blob"].default == b"\x00\x01"
    check_product(product, hostile, op.classes)
    with pytest.raises(NotImplementedError, match="import is not implemented yet"):
        getattr(product, "import")(None, 1, None, b"")
    c_files = generate(hostile, "c")
    (main,) = [f for f in c_files if f.path == "src/main.c"]
    comment = main.content.split("static void op_import")[0].rsplit("/* import", 1)[1].rstrip()
    assert comment.endswith("*/")
    assert "*/" not in comment[:-2] and "/*" not in comment and "??" not in comment and "\x1b" not in comment
    if shutil.which("cc") and shutil.which("make"):
        for f in c_files:
            (tmp_path / f.path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / f.path).write_text(f.content)
        build = subprocess.run(["make", "-C", str(tmp_path)], capture_output=True, text=True, timeout=120)
        assert build.returncode == 0, build.stdout + build.stderr

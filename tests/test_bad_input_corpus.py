"""Bad input never shows a traceback, and never eats the machine (issue 6).

A corpus of bad files (YAML specs, ICS and catalog files; JSON reports; PEM keys) is fed to every
command that reads a file. Each call must exit 2 with one message naming the offending file, no
traceback, within a few seconds. Calls run in-process (the ``cli`` fixture); special files (a
FIFO, a symlink to ``/dev/zero`` or to a FIFO) hang or exhaust memory when read naively, so
those calls are guarded by an alarm and an address-space limit, and one per kind of reader also
runs as a real process with a timeout and a memory limit.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from guards import guarded

sys.path.insert(0, str(Path(__file__).parent / "conformance"))
from helpers import synthetic_report  # noqa: E402

from orbitcert.conformance import verify_report, write_reports  # noqa: E402
from orbitcert.specs.digest import canonical_json  # noqa: E402
from orbitcert.specs.loader import bundled_catalog_dir  # noqa: E402

REF = "net-optical-isl@1.0.0"
SPECIAL = ("fifo", "symlink-to-devzero", "symlink-to-fifo")
SECONDS = 10.0  # "within a few seconds", with room for a loaded CI machine


# --- the bad files ------------------------------------------------------------------------------


def _fifo(p: Path) -> None:
    os.mkfifo(p)


def _symlink_to_fifo(p: Path) -> None:
    target = p.with_name(p.name + ".fifo")
    os.mkfifo(target)
    p.symlink_to(target)


def _symlink(target: str) -> Callable[[Path], None]:
    return lambda p: p.symlink_to(target)


def _content(data: bytes) -> Callable[[Path], None]:
    return lambda p: p.write_bytes(data)


def _spec_text() -> str:
    return (bundled_catalog_dir() / "net-optical-isl" / "1.0.0.yaml").read_text(encoding="utf-8")


GOOD_ICS = """\
spec: net-optical-isl@1.0.0
product: {name: acme, version: "2.1"}
classes: [coding]
items:
  rs_interleaving_depths: [1, 5]
  randomizer: true
"""

# Where a bad value goes: in a spec, a parameter's value (any data, so the spec still validates
# and only the value can fail it); in an ICS, an option's answer.
_SPEC_SLOT, _ICS_SLOT = 'value: "1ACFFC1D"', "randomizer: true"


def _with_value(value: str, duplicate: bool = False) -> Callable[[Path, str], None]:
    """A good spec or ICS (``kind``) with ``value`` in its slot (or the slot's key given twice)."""

    def make(p: Path, kind: str) -> None:
        text, slot = (_spec_text(), _SPEC_SLOT) if kind == "spec" else (GOOD_ICS, _ICS_SLOT)
        (line,) = [ln for ln in text.splitlines() if ln.strip() == slot]
        key = slot.partition(":")[0]
        new = f"{line}\n{line}" if duplicate else line.replace(slot, f"{key}: {value}")
        p.write_text(text.replace(line, new, 1), encoding="utf-8")

    return make


def _any_kind(make: Callable[[Path], None]) -> Callable[[Path, str], None]:
    return lambda p, kind: make(p)


COMMON: dict[str, Callable[[Path], None]] = {
    "directory": lambda p: p.mkdir(),
    "missing": lambda p: None,
    "dangling-symlink": _symlink("/nonexistent/orbitcert/corpus"),
    "not-utf8": _content(b"id: \xff\xfe\n"),
    "fifo": _fifo,
    "symlink-to-devzero": _symlink("/dev/zero"),
    "symlink-to-fifo": _symlink_to_fifo,
}

YAML_CASES: dict[str, Callable[[Path, str], None]] = {
    "nul-byte": _with_value("x\x00"),
    "control-byte": _with_value("x\x1b[31m"),
    "nan": _with_value(".nan"),
    "inf": _with_value("[-.inf]"),
    "int-2^60": _with_value("1152921504606846976"),
    "binary": _with_value("!!binary aGVsbG8="),
    "set": _with_value("!!set {a, b}"),
    "timestamp": _with_value("!!timestamp 2026-01-01"),
    "omap": _with_value("!!omap [a: 1]"),
    "non-string-key": _with_value("{1: one}"),
    "duplicate-key": _with_value("", duplicate=True),
    "5MiB": _any_kind(_content(b"# padding\n" * (512 * 1024 + 1))),
    **{name: _any_kind(make) for name, make in COMMON.items()},
}

# JSON reports: the bad value sits in the ICS items of a good signed report (``items`` holds any
# JSON), so only the value, not the report's shape, can refuse it.
REPORT_VALUES: dict[str, str] = {
    "Infinity": "Infinity",
    "NaN": "NaN",
    "1e400": "1e400",
    "400-digit-int": "9" * 400,
    "100000-deep": "[" * 100_000 + "]" * 100_000,
    "lone-surrogate": '"\\ud800"',
}

KEY_CASES: dict[str, Callable[[Path], None]] = {
    "garbage-pem": _content(b"-----BEGIN PRIVATE KEY-----\nZ2FyYmFnZQ==\n-----END PRIVATE KEY-----\n"),
    "not-pem": _content(b"hello\n"),
    "5MiB": _content(b"-----BEGIN PRIVATE KEY-----\n" + b"A" * (5 * 1024 * 1024) + b"\n"),
    **COMMON,
}


# --- good inputs ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("good")
    _, paths = write_reports(synthetic_report(), root / "reports", ("json",))
    ics = root / "ics.yaml"
    ics.write_text(GOOD_ICS, encoding="utf-8")
    return {"report": paths[0], "ics": ics}


_SLOT = "orbitcert-corpus-slot"


def _report_with(good_report: Path, value: str) -> Callable[[Path], None]:
    """The good report with the ICS item ``zz`` holding ``value`` (raw JSON text), where RFC 8785
    puts that key: the file is canonical JSON up to the value, so only the value can fail the
    ``json`` check of ``report verify``."""

    def make(p: Path) -> None:
        data = json.loads(good_report.read_text(encoding="utf-8"))
        data["ics"]["items"]["zz"] = _SLOT
        text = canonical_json(data).decode("utf-8")
        assert text.count(f'"{_SLOT}"') == 1
        p.write_text(text.replace(f'"{_SLOT}"', value, 1), encoding="utf-8")

    return make


# --- running a command ----------------------------------------------------------------------------


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (2**31, 2**31))


def _guarded(seconds: float = SECONDS, headroom: int = 2**30) -> contextlib.AbstractContextManager[None]:
    return guarded(seconds, headroom)


def _run(
    cli: Callable[..., Any], case: str, args: list[str], env: dict[str, str] | None, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    """Exit status and stdout+stderr of ``orbitcert ARGS`` in this process (guarded against a hang
    or a memory blow-up when the input is a special file)."""
    for k, v in (env or {}).items():
        monkeypatch.setenv(k, v)
    start = time.monotonic()
    with _guarded() if case in SPECIAL else contextlib.nullcontext():
        result = cli(*args)
    assert time.monotonic() - start < SECONDS, f"orbitcert {' '.join(args)} took too long"
    return result.code, result.stdout + result.stderr


def _run_process(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """The same in a child process: a timeout and a 2 GiB address-space limit."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "orbitcert.conformance.cli", *args],
            capture_output=True, text=True, timeout=20, preexec_fn=_limit_memory,
            env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"orbitcert {' '.join(args)} hung for 20 s")
    return proc.returncode, proc.stdout + proc.stderr


def _check(code: int, output: str, offending: Path) -> None:
    assert "Traceback" not in output, output
    assert code == 2, output
    assert str(offending) in output, f"the message does not name {offending}: {output}"
    assert "error:" in output, output


# --- YAML: spec, ICS and catalog files ------------------------------------------------------------

# A command takes (bad path, good inputs, output dir) and gives (arguments, environment, the file
# the message must name). Catalog commands get the bad file as DIR/net-optical-isl/1.0.0.yaml: a
# second copy of the bundled version, which the catalog reads to check it is identical.
Command = Callable[[Path, dict[str, Path], Path], tuple[list[str], dict[str, str] | None]]

PATH_COMMANDS: dict[str, Command] = {
    "specs-lint": lambda bad, good, out: (["specs", "lint", str(bad)], None),
    "specs-freeze": lambda bad, good, out: (["specs", "freeze", str(bad)], None),
    "specs-publish": lambda bad, good, out: (["specs", "publish", str(bad), "--no-suite"], None),
    "specs-diff": lambda bad, good, out: (["specs", "diff", REF, str(bad)], None),
    "ics-validate": lambda bad, good, out: (["ics", "validate", str(bad)], None),
    "certify-ics": lambda bad, good, out: (
        ["certify", "--spec", REF, "--ics", str(bad), "--examples", "2", "-o", str(out)], None
    ),
}
CATALOG_COMMANDS: dict[str, Command] = {
    "specs-show-catalog": lambda cat, good, out: (["specs", "show", REF, "--catalog", str(cat)], None),
    "specs-list-catalog": lambda cat, good, out: (["specs", "list", "--catalog", str(cat)], None),
    "ics-validate-catalog": lambda cat, good, out: (["ics", "validate", str(good["ics"]), "--catalog", str(cat)], None),
    "certify-catalog": lambda cat, good, out: (
        ["certify", "--spec", REF, "--catalog", str(cat), "--examples", "2", "-o", str(out)], None
    ),
    "env-specs-list": lambda cat, good, out: (["specs", "list"], {"ORBITCERT_CATALOG": str(cat)}),
    "env-certify": lambda cat, good, out: (
        ["certify", "--examples", "2", "-o", str(out)], {"ORBITCERT_CATALOG": str(cat)}
    ),
}

def _yaml_params() -> list[object]:
    params: list[object] = []
    for case in YAML_CASES:
        for name in PATH_COMMANDS:
            params.append(pytest.param(case, name, id=f"{name}-{case}"))
        for name in CATALOG_COMMANDS:
            if case != "missing":  # a catalog only lists files that are there
                params.append(pytest.param(case, name, id=f"{name}-{case}"))
    return params


@pytest.mark.parametrize(("case", "command"), _yaml_params())
def test_bad_yaml_file(
    case: str, command: str, good: dict[str, Path], tmp_path: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    if command in PATH_COMMANDS:
        bad = tmp_path / "bad.yaml"
        YAML_CASES[case](bad, "ics" if command.startswith(("ics", "certify")) else "spec")
        args, env = PATH_COMMANDS[command](bad, good, out)
    else:
        cat = tmp_path / "catalog"
        bad = cat / "net-optical-isl" / "1.0.0.yaml"
        bad.parent.mkdir(parents=True)
        YAML_CASES[case](bad, "spec")
        args, env = CATALOG_COMMANDS[command](cat, good, out)
    code, output = _run(cli, case, args, env, monkeypatch)
    _check(code, output, bad)
    assert not (out / "net-optical-isl-1.0.0.json").exists(), "no run may start on bad input"


# --- JSON reports ---------------------------------------------------------------------------------

REPORT_CASES = [*REPORT_VALUES, "duplicate-key", *COMMON]


def _make_report(case: str, good_report: Path) -> Callable[[Path], None]:
    if case in REPORT_VALUES:
        return _report_with(good_report, REPORT_VALUES[case])
    if case == "duplicate-key":
        return _report_with(good_report, '1,"zz":2')
    return COMMON[case]


#: What ``report verify``'s json check says about each file it can read but that is no strict JSON.
JSON_FAILURES: dict[str, str] = {
    "Infinity": "Infinity is not allowed",
    "NaN": "NaN is not allowed",
    "1e400": "not a finite double",
    "400-digit-int": "beyond 2^53-1",
    "100000-deep": "nested too deeply",
    "lone-surrogate": "lone surrogate",
    "duplicate-key": "duplicate key 'zz'",
    "not-utf8": "UTF-8",
}


def _check_json_check_fails(code: int, output: str, message: str) -> None:
    """``report verify`` on a readable file that is no strict JSON: its content is what it
    verifies, so this is a failed check (exit 1), not bad input: check 1 fails with ``message``
    and every other check is skipped."""
    assert "Traceback" not in output, output
    assert code == 1, output
    lines = output.splitlines()
    assert re.match(r"\s*1 json +FAIL ", lines[0]), output
    assert message in lines[1], output
    statuses = [m.group(1) for ln in lines if (m := re.match(r"\s*\d+ \w+ +(pass|FAIL|skip)  ", ln))]
    assert statuses == ["FAIL"] + ["skip"] * 10, output
    assert lines[-1] == "NOT VERIFIED: check(s) failed: 1 json", output


@pytest.mark.parametrize("command", ["report-verify", "report-diff"])
@pytest.mark.parametrize("case", REPORT_CASES)
def test_bad_report_file(
    case: str, command: str, good: dict[str, Path], tmp_path: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``report diff`` refuses an input that does not verify as bad input (exit 2, naming it);
    ``report verify`` exits 2 on a file it cannot read, and fails check 1 on one it can."""
    bad = tmp_path / "bad.json"
    _make_report(case, good["report"])(bad)
    args = ["report", "verify", str(bad)] if command == "report-verify" else ["report", "diff", str(bad), str(bad)]
    code, output = _run(cli, case, args, None, monkeypatch)
    if command == "report-verify" and case in JSON_FAILURES:
        _check_json_check_fails(code, output, JSON_FAILURES[case])
    else:
        _check(code, output, bad)


def test_the_report_corpus_differs_from_a_good_report_only_in_the_bad_value(good: dict[str, Path], tmp_path: Path) -> None:
    """The injection point holds any JSON in a good report: with a finite value there the file is
    canonical, schema-valid JSON (checks 1 and 2 pass); only the signature sees the new item."""
    ok = tmp_path / "ok.json"
    _report_with(good["report"], '[1,2.5,"x"]')(ok)
    v = verify_report(ok, collect=False)
    assert v.check("json").status == "pass" and v.check("schema").status == "pass", v.problems
    assert v.check("signatures").status == "fail" and "altered" in v.check("signatures").failures[0]
    assert verify_report(good["report"], collect=False).check("signatures").status == "pass"


# --- PEM keys ---------------------------------------------------------------------------------------


KEYRING_COMMANDS = ["report-verify-trusted-keys", "env-report-verify", "certify-trusted-keys", "report-diff-trusted-keys"]


@pytest.mark.parametrize("command", ["certify-sign-key", *KEYRING_COMMANDS])
@pytest.mark.parametrize("case", list(KEY_CASES))
def test_bad_key_file(
    case: str, command: str, good: dict[str, Path], tmp_path: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad signing key, or a bad ``NAME.pub`` in a keyring folder (``--trusted-keys DIR`` or
    ``$ORBITCERT_TRUSTED_KEYS``). A missing key in a keyring is no key: there the missing file is
    the keyring folder itself."""
    monkeypatch.delenv("ORBITCERT_TRUSTED_KEYS", raising=False)
    out = tmp_path / "out"
    env = None
    if command == "certify-sign-key":
        bad = tmp_path / "key.pem"
        args = ["certify", "--spec", REF, "--sign-key", str(bad), "--examples", "2", "-o", str(out)]
    else:
        ring = tmp_path / "keyring"
        if case != "missing":
            ring.mkdir()
        bad = ring / "vendor.pub" if case != "missing" else ring
        args = {
            "report-verify-trusted-keys": ["report", "verify", str(good["report"]), "--trusted-keys", str(ring)],
            "env-report-verify": ["report", "verify", str(good["report"])],
            "certify-trusted-keys": ["certify", "--spec", REF, "--trusted-keys", str(ring), "--examples", "2", "-o", str(out)],
            "report-diff-trusted-keys": ["report", "diff", str(good["report"]), str(good["report"]), "--trusted-keys", str(ring)],
        }[command]
        if command.startswith("env-"):
            env = {"ORBITCERT_TRUSTED_KEYS": str(ring)}
    if case != "missing":
        KEY_CASES[case](bad)
    code, output = _run(cli, case, args, env, monkeypatch)
    _check(code, output, bad)
    assert not (out / "net-optical-isl-1.0.0.json").exists(), "no run may start on bad input"


# --- special files, in a real process -------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "reader"),
    [
        pytest.param("fifo", "specs-lint", id="specs-lint-fifo"),
        pytest.param("symlink-to-devzero", "env-specs-list", id="env-specs-list-devzero"),
        pytest.param("symlink-to-fifo", "report-verify", id="report-verify-symlink-to-fifo"),
        pytest.param("symlink-to-devzero", "certify-sign-key", id="certify-sign-key-devzero"),
    ],
)
def test_special_files_in_a_real_process(case: str, reader: str, good: dict[str, Path], tmp_path: Path) -> None:
    """One special file per kind of reader as the console script meets it (not only in-process)."""
    env = None
    if reader == "env-specs-list":
        bad = tmp_path / "catalog" / "net-optical-isl" / "1.0.0.yaml"
        bad.parent.mkdir(parents=True)
        args, env = ["specs", "list"], {"ORBITCERT_CATALOG": str(tmp_path / "catalog")}
    else:
        bad = tmp_path / "bad"
        args = {
            "specs-lint": ["specs", "lint", str(bad)],
            "report-verify": ["report", "verify", str(bad)],
            "certify-sign-key": ["certify", "--spec", REF, "--sign-key", str(bad), "-o", str(tmp_path / "out")],
        }[reader]
    COMMON[case](bad)
    start = time.monotonic()
    code, output = _run_process(args, env)
    assert time.monotonic() - start < SECONDS
    _check(code, output, bad)

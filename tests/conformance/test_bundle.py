"""Submission bundles (:mod:`orbitcert.conformance.bundle`).

Oracles: the archive is read back with the standard library's :mod:`zipfile` and every hash
recomputed with :mod:`hashlib`; the spec file is compared byte for byte with the catalog's and
loaded by the catalog loader; the ICS is compared with what the ICS loader makes of the
supplier's own file. Malformed archives are assembled byte by byte here (``raw_zip``, after PKWARE
APPNOTE.TXT 4.3.7, 4.3.12, 4.3.16), independently of the module's writer.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
import subprocess
import sys
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from orbitcert.conformance.bundle import (
    BUNDLE_FORMAT,
    Bundle,
    BundleLimits,
    is_bundle,
    make_bundle,
    open_bundle,
)
from orbitcert.conformance.report import Implementation, Report, SuiteBinding, Thoroughness, build_report
from orbitcert.conformance.results import TestResult, Verdict
from orbitcert.conformance.signing import sign_report
from orbitcert.conformance.writers import report_json
from orbitcert.specs.errors import CatalogError, IcsError, InputFileError, ReportError, SignatureError, SpecNotFoundError
from orbitcert.specs.ics import ics_file_text, load_ics, load_ics_text
from orbitcert.specs.loader import Catalog, bundled_catalog_dir, load_spec_document, load_spec_file
from orbitcert.specs.yamlio import dump_yaml, load_yaml_text

from helpers import synthetic_report

DEMO = Path(__file__).resolve().parent / "demo_catalog"
SEED = 20261126


def _key(label: int) -> Ed25519PrivateKey:
    """A deterministic Ed25519 key (its 32-octet seed drawn from a seeded generator)."""
    rng = np.random.default_rng(np.random.SeedSequence([SEED, label]))
    return Ed25519PrivateKey.from_private_bytes(rng.integers(0, 256, 32, dtype=np.uint8).tobytes())


def _signed(report: Report, label: int = 1) -> Report:
    return sign_report(report, _key(label), signer="Acme QA", signed_at="2026-11-26T00:00:00Z")


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Inputs:
    report: Path
    log: Path
    extra: Path
    signed: Report


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    """A signed report of net-optical-isl@1.0.0 (bundled spec) with one failing requirement, the
    run log beside it under certify's name, and an extra file."""
    d = tmp_path_factory.mktemp("inputs")
    signed = _signed(synthetic_report({"OISL-COD-003": Verdict.failed}))
    report = d / "net-optical-isl-1.0.0.json"
    report.write_bytes(report_json(signed))
    log = d / "net-optical-isl-1.0.0.log"
    log.write_text("....F....\n1 failed, 8 passed\n")
    extra = d / "datasheet.txt"
    extra.write_bytes(bytes(range(256)) * 4)
    return Inputs(report, log, extra, signed)


@pytest.fixture(scope="module")
def bundle_path(inputs: Inputs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_bundle(inputs.report, tmp_path_factory.mktemp("out") / "submission.zip", extra=[inputs.extra])


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


# ---- round trip ---------------------------------------------------------------------------------


def test_archive_layout_and_manifest(bundle_path: Path, inputs: Inputs) -> None:
    spec_file = bundled_catalog_dir() / "net-optical-isl" / "1.0.0.yaml"
    with zipfile.ZipFile(bundle_path) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        assert zf.testzip() is None
        data = {i.filename: zf.read(i) for i in infos}
    assert names == [
        "extra/datasheet.txt", "ics.yaml", "log.txt", "report.json", "spec/net-optical-isl/1.0.0.yaml", "suite.json",
        "manifest.json",
    ]
    for i in infos:
        assert i.date_time == (1980, 1, 1, 0, 0, 0)
        assert i.compress_type == zipfile.ZIP_DEFLATED
        assert i.external_attr >> 16 == stat.S_IFREG | 0o644 and i.create_system == 3
        assert i.extra == b"" and i.comment == b""
    assert data["report.json"] == inputs.report.read_bytes()
    assert data["spec/net-optical-isl/1.0.0.yaml"] == spec_file.read_bytes()
    assert data["log.txt"] == inputs.log.read_bytes()
    assert data["extra/datasheet.txt"] == inputs.extra.read_bytes()
    assert SuiteBinding.model_validate_json(data["suite.json"]) == inputs.signed.suite
    manifest = json.loads(data["manifest.json"])
    assert manifest["format"] == BUNDLE_FORMAT == "orbitcert-bundle/1"
    assert manifest["report"] == {
        "spec": "net-optical-isl@1.0.0",
        "sha256": _sha(inputs.report.read_bytes()),
        "vendor_key_id": inputs.signed.signatures[0].key_id,
    }
    assert manifest["members"] == {n: {"size": len(b), "sha256": _sha(b)} for n, b in data.items() if n != "manifest.json"}


def test_open_round_trip(bundle_path: Path, inputs: Inputs, tmp_path: Path) -> None:
    b = open_bundle(bundle_path, tmp_path / "x")
    assert b.ok, b.failed
    assert [c.check for c in b.checks] == ["archive", "manifest", "report", "spec", "ics", "suite", "log", "extra"]
    assert all(isinstance(c, tuple) and len(c) == 3 for c in b.checks)  # (check, ok, message)
    assert b.report.read_bytes() == inputs.report.read_bytes()
    assert b.log is not None and b.log.read_bytes() == inputs.log.read_bytes()
    assert [p.read_bytes() for p in b.extras] == [inputs.extra.read_bytes()]
    assert b.spec == tmp_path / "x" / "spec" / "net-optical-isl" / "1.0.0.yaml"
    # The spec folder is a catalog directory: the catalog loader finds the spec there, same digest.
    cat = Catalog.discover([b.spec_catalog])
    assert cat.entries[("net-optical-isl", "1.0.0")] == bundled_catalog_dir() / "net-optical-isl" / "1.0.0.yaml"
    assert cat.duplicates[("net-optical-isl", "1.0.0")][1] == b.spec
    assert cat.load("net-optical-isl@1.0.0").digest == load_spec_file(b.spec).digest == inputs.signed.spec.digest
    # ics.yaml is an ICS file the loader reads back to the report's statement.
    loaded = load_spec_file(b.spec)
    back = load_ics(b.ics, loaded.spec)
    assert back.model_dump(exclude={"source", "generated"}) == inputs.signed.ics.model_dump(exclude={"source", "generated"})
    assert is_bundle(bundle_path) and not is_bundle(inputs.report) and not is_bundle(tmp_path) and not is_bundle(tmp_path / "none")


def test_bundles_are_reproducible(inputs: Inputs, bundle_path: Path, tmp_path: Path) -> None:
    os.utime(inputs.report, (1e9, 1e9))  # the inputs' times do not matter
    os.utime(inputs.extra, (2e9, 2e9))
    again = make_bundle(inputs.report, tmp_path / "other-name.zip", extra=[inputs.extra])
    assert again.read_bytes() == bundle_path.read_bytes()
    without = make_bundle(inputs.report, tmp_path / "no-extra.zip")
    assert without.read_bytes() != bundle_path.read_bytes() and "extra/datasheet.txt" not in _members(without)


def test_outside_catalog_spec_and_its_log(tmp_path: Path) -> None:
    """A report of a spec outside the bundled catalog: the bundle needs --catalog, carries the
    spec, and its spec folder alone serves as the catalog of a verifier."""
    loaded = Catalog.discover([DEMO]).load("demo-spec@1.0.0")
    ics = load_ics(DEMO / "ics.yaml", loaded.spec)
    tests = [
        TestResult(nodeid=f"test_demo.py::test_{r.id}", requirements=[r.id], verdict=Verdict.passed, duration=0.0)
        for r in loaded.spec.requirements
    ]
    report = _signed(build_report(
        loaded, ics, tests, Implementation(name="demo-product", version="0.1"),
        SuiteBinding(path="suites/demo-spec", origin="catalog", digest=_sha(b"demo"), files={"test_demo.py": _sha(b"x")}),
        started="2026-11-26T00:00:00Z",
        thoroughness=Thoroughness(examples=50, minimum_examples=25, derandomized=True, timeout=60.0),
    ))
    path = tmp_path / "run" / "demo-spec-1.0.0.json"
    path.parent.mkdir()
    path.write_bytes(report_json(report))
    with pytest.raises(SpecNotFoundError, match="--catalog"):
        make_bundle(path, tmp_path / "b.zip")
    (path.parent / "demo-spec-1.0.0.log").write_text("run log\n")
    b = open_bundle(make_bundle(path, tmp_path / "b.zip", catalogs=[DEMO]), tmp_path / "x")
    assert b.ok, b.failed
    assert b.log is not None and b.log.read_text() == "run log\n"
    assert b.spec.read_bytes() == (DEMO / "demo-spec" / "1.0.0.yaml").read_bytes()
    assert Catalog.discover([b.spec_catalog]).load("demo-spec@1.0.0").digest == report.spec.digest
    assert "Read from: \"ics.yaml\"" in b.ics.read_text()


# ---- the ICS file -------------------------------------------------------------------------------

PROFORMA = """\
id: proforma-spec
version: 1.0.0
status: draft
title: Every kind of ICS item
classes:
  - {id: base, title: Base}
  - {id: more, title: More, kind: extended, depends_on: [base]}
requirements:
  - {id: P-001, level: SHALL, class: base, text: Base.}
  - {id: P-002, level: SHALL, class: more, text: More.}
ics:
  - {id: mode, question: "Mode?", status: M, type: enum, values: [fast, "no", "1.0"]}
  - {id: depths, question: "Depths?", status: M, type: set, values: [1, 2, 4]}
  - {id: fancy, question: "Fancy?", status: O, type: boolean}
  - {id: flavours, question: "Flavours?", status: O, type: set, values: [x, y, z]}
  - {id: label, question: "Label?", status: O, type: string}
  - {id: level, question: "Level?", status: C, condition: fancy, type: integer, minimum: 1, maximum: 3}
  - {id: fancy_flags, question: "Flags?", status: C, condition: fancy, type: set, values: [a, b]}
  - {id: plain_strict, question: "Strict?", status: C, condition: not fancy, type: boolean}
  - {id: deep, question: "Deep?", status: C, condition: 4 in depths, type: boolean}
  - {id: legacy, question: "Legacy?", status: X, type: boolean}
  - {id: legacy_modes, question: "Legacy modes?", status: X, type: set, values: [m]}
"""


def _random_documents(n: int) -> Iterator[dict[str, Any]]:
    """ICS documents for PROFORMA with every item answered or not at random (many are invalid)."""
    rng = np.random.default_rng(np.random.SeedSequence([SEED, 7]))
    choices: dict[str, list[Any]] = {
        "mode": ["fast", "no", "1.0"],
        "depths": [[1], [2, 4], [4, 1, 2]],
        "fancy": [True, False],
        "flavours": [[], ["z", "x"]],
        "label": ["", "a: b", "line\nbreak", "ünï #not-a-comment", "'quoted'"],
        "level": [1, 3],
        "fancy_flags": [[], ["b"]],
        "plain_strict": [True, False],
        "deep": [True, False],
        "legacy": [False],
        "legacy_modes": [[]],
    }
    conditions: dict[str, Callable[[dict[str, Any]], bool]] = {
        "level": lambda i: i.get("fancy", False) is True,
        "fancy_flags": lambda i: i.get("fancy", False) is True,
        "plain_strict": lambda i: i.get("fancy", False) is not True,
        "deep": lambda i: 4 in i.get("depths", []),
    }
    for _ in range(n):
        items: dict[str, Any] = {}
        for k, v in choices.items():
            if k in ("mode", "depths"):
                p = 0.95  # mandatory
            elif k in conditions:
                p = 0.85 if conditions[k](items) else 0.05  # required when the condition holds
            else:
                p = 0.6
            if rng.random() < p:
                items[k] = v[int(rng.integers(len(v)))]
        doc: dict[str, Any] = {"spec": "proforma-spec@1.0.0", "classes": ["base", "more"][: int(rng.integers(1, 3))], "items": items}
        if rng.random() < 0.5:
            doc["product"] = {"name": "p", "version": "1"} if rng.random() < 0.5 else {"name": "p", "supplier": "s"}
        if len(doc["classes"]) == 1 and rng.random() < 0.5:
            doc["not_claimed"] = {"more": "not offered"}
        yield doc


def test_ics_yaml_reads_back_to_the_same_statement() -> None:
    """Brute force over random answers: whatever the ICS loader accepts and resolves, rendered by
    ics_yaml, the loader reads back to the same resolved statement (C items whose condition is
    false and X items are resolved to "not supported" and must not be written back)."""
    spec = load_spec_document(load_yaml_text(PROFORMA, "proforma.yaml")).spec
    valid = 0
    conditional_false = 0
    for doc in _random_documents(400):
        try:
            ics = load_ics_text(dump_yaml(doc), spec, path="supplier.yaml")
        except IcsError:
            continue
        valid += 1
        conditional_false += ics.items.get("fancy") is False and ics.items.get("fancy_flags") == []
        back = load_ics_text(ics_file_text(ics, spec), spec, path="ics.yaml")
        assert back.model_dump(exclude={"source"}) == ics.model_dump(exclude={"source"})
    assert valid >= 40 and conditional_false >= 10  # the interesting cases did occur


def test_ics_yaml_comment_cannot_inject() -> None:
    spec = load_spec_document(load_yaml_text(PROFORMA, "proforma.yaml")).spec
    ics = load_ics_text("spec: proforma-spec\nclasses: [base]\nitems: {mode: fast, depths: [1], plain_strict: true}\n", spec)
    evil = ics.model_copy(update={"source": "x\nclasses: [base, more]\n\u2028items: {}\r#"})
    back = load_ics_text(ics_file_text(evil, spec), spec)
    assert back.classes == ["base"] and back.items == ics.items


# ---- what make_bundle refuses ------------------------------------------------------------------


def test_make_refuses_unsigned_and_tampered_reports(tmp_path: Path, inputs: Inputs) -> None:
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_bytes(report_json(synthetic_report()))
    with pytest.raises(SignatureError, match="no vendor signature"):
        make_bundle(unsigned, tmp_path / "b.zip")
    data = json.loads(inputs.report.read_bytes())
    data["decision"] = "certified"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data))
    with pytest.raises(SignatureError, match="does not match"):
        make_bundle(tampered, tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists()


def test_make_refuses_a_spec_with_another_digest(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    (catalog / "demo-spec").mkdir(parents=True)
    changed = (DEMO / "demo-spec" / "1.0.0.yaml").read_text().replace("text: Passes.", "text: Passes too.")
    (catalog / "demo-spec" / "1.0.0.yaml").write_text(changed)
    loaded = Catalog.discover([DEMO]).load("demo-spec@1.0.0")
    tests = [TestResult(nodeid="t.py::t", requirements=["DEMO-001"], verdict=Verdict.passed, duration=0.0)]
    report = _signed(build_report(
        loaded, load_ics(DEMO / "ics.yaml", loaded.spec), tests, Implementation(name="p"),
        SuiteBinding(path="suites/demo-spec", origin="catalog", digest=_sha(b"")), started="2026-11-26T00:00:00Z",
        thoroughness=Thoroughness(examples=50, minimum_examples=25, derandomized=True, timeout=60.0),
    ))
    path = tmp_path / "r.json"
    path.write_bytes(report_json(report))
    with pytest.raises(CatalogError, match="the report was made against"):
        make_bundle(path, tmp_path / "b.zip", catalogs=[catalog])


def test_make_refuses_a_report_whose_ics_is_not_resolved(tmp_path: Path) -> None:
    report = synthetic_report()
    bad = report.ics.model_copy(update={"items": {**report.ics.items, "randomizer": "yes"}})
    path = tmp_path / "r.json"
    path.write_bytes(report_json(_signed(report.model_copy(update={"ics": bad}))))
    with pytest.raises(ReportError, match="ICS is not a valid statement"):
        make_bundle(path, tmp_path / "b.zip")


def test_make_refuses_bad_extras_and_overwriting_an_input(tmp_path: Path, inputs: Inputs) -> None:
    dot = tmp_path / ".hidden"
    dot.write_text("x")
    with pytest.raises(InputFileError, match="plain file name"):
        make_bundle(inputs.report, tmp_path / "b.zip", extra=[dot])
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Notes.txt").write_text("1")
    (tmp_path / "notes.txt").write_text("2")
    with pytest.raises(InputFileError, match="two extra files"):
        make_bundle(inputs.report, tmp_path / "b.zip", extra=[tmp_path / "a" / "Notes.txt", tmp_path / "notes.txt"])
    with pytest.raises(InputFileError, match="over one of its inputs"):
        make_bundle(inputs.report, inputs.extra, extra=[inputs.extra])
    with pytest.raises(InputFileError, match="cannot read log"):
        make_bundle(inputs.report, tmp_path / "b.zip", log=tmp_path / "missing.log")
    assert not (tmp_path / "b.zip").exists()


# ---- adversarial archives ----------------------------------------------------------------------


@dataclass
class RawEntry:
    """One member as written into a hand-made archive (every field as it lands in the headers)."""

    name: bytes
    data: bytes  # the member's bytes, as stored (compressed when method is 8)
    size: int  # declared uncompressed size
    crc: int
    method: int = 0
    flags: int = 0
    mode: int = stat.S_IFREG | 0o644


def stored(name: str | bytes, data: bytes, **kw: Any) -> RawEntry:
    return RawEntry(name if isinstance(name, bytes) else name.encode(), data, len(data), zlib.crc32(data), **kw)


def raw_zip(
    entries: list[RawEntry],
    *,
    alias: tuple[int, bytes] | None = None,
    comment: bytes = b"",
    prefix: bytes = b"",
    suffix: bytes = b"",
    zip64_locator: bool = False,
) -> bytes:
    """A ZIP archive assembled from APPNOTE.TXT: local headers (4.3.7), central directory
    (4.3.12), end record (4.3.16). ``alias`` adds a central-directory entry named ``alias[1]``
    that points at the local header of entry ``alias[0]`` (overlapping members)."""
    out = bytearray(prefix)
    central = bytearray()
    offsets = []
    for e in entries:
        offsets.append(len(out))
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, e.flags, e.method, 0, 33, e.crc, len(e.data), e.size, len(e.name), 0)
        out += e.name + e.data
    rows = [(e, off, e.name) for e, off in zip(entries, offsets)]
    if alias is not None:
        rows.append((entries[alias[0]], offsets[alias[0]], alias[1]))
    for e, off, name in rows:
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 0x0314, 20, e.flags, e.method, 0, 33, e.crc, len(e.data), e.size,
            len(name), 0, 0, 0, 0, e.mode << 16, off,
        )
        central += name
    cd_offset = len(out)
    out += central
    if zip64_locator:
        out += struct.pack("<4sLQL", b"PK\x06\x07", 0, 0, 1)
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(rows), len(rows), len(central), cd_offset, len(comment))
    return bytes(out + comment + suffix)


def _manifest(members: dict[str, bytes], report: bytes, key_id: str) -> bytes:
    return json.dumps({
        "format": "orbitcert-bundle/1",
        "report": {"spec": "net-optical-isl@1.0.0", "sha256": _sha(report), "vendor_key_id": key_id},
        "members": {n: {"size": len(b), "sha256": _sha(b)} for n, b in members.items() if n != "manifest.json"},
    }).encode()


@pytest.fixture(scope="module")
def good(bundle_path: Path) -> dict[str, bytes]:
    """The members of a valid bundle, in archive order."""
    return _members(bundle_path)


def _entries(members: dict[str, bytes]) -> list[RawEntry]:
    return [stored(n, b) for n, b in members.items()]


def _refusal(tmp_path: Path, archive: bytes, limits: BundleLimits | None = None) -> str:
    """The InputFileError message for ``archive``; fails when it opens."""
    path = tmp_path / "evil.zip"
    path.write_bytes(archive)
    work = tmp_path / "work"
    with pytest.raises(InputFileError) as info:
        open_bundle(path, work, **({"limits": limits} if limits else {}))
    assert not work.exists(), "a refused bundle leaves nothing extracted"
    assert str(path) in str(info.value)
    return str(info.value)


def test_a_hand_made_archive_of_the_same_members_opens(tmp_path: Path, good: dict[str, bytes]) -> None:
    path = tmp_path / "plain.zip"
    path.write_bytes(raw_zip(_entries(good)))  # STORED, other headers: still a bundle
    assert open_bundle(path, tmp_path / "w").ok


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (b"/etc/passwd", "absolute path"),
        (b"C:/report.json", "absolute path"),
        (b"../report.json", "'..'"),
        (b"spec/../../escape.yaml", "'..'"),
        (b"extra\\..\\x", "backslash"),
        (b"extra/evil\x00.txt", "NUL"),
        (b"extra/", "directory entry"),
        (b"extra//x", "empty or '.'"),
        (b"extra/./x", "empty or '.'"),
        (b"extra/bell\x07", "control characters"),
        (b"evil.sh", "not a member of a bundle"),
        (b"extra/.hidden", "not a member of a bundle"),
        (b"spec/net-optical-isl/1.0.0.yml", "not a member of a bundle"),
        (b"extra/sub/x.txt", "not a member of a bundle"),
    ],
)
def test_unsafe_or_unexpected_names_are_refused(tmp_path: Path, good: dict[str, bytes], name: bytes, expected: str) -> None:
    message = _refusal(tmp_path, raw_zip([*_entries(good), stored(name, b"x")]))
    assert expected in message
    shown = name.split(b"\x00")[0].decode().replace("\x07", "\\x07")
    assert shown in message


def test_symlinks_devices_duplicates_encryption_and_methods_are_refused(tmp_path: Path, good: dict[str, bytes]) -> None:
    entries = _entries(good)
    assert "symbolic link" in _refusal(tmp_path, raw_zip([*entries, stored("extra/link", b"/etc/passwd", mode=stat.S_IFLNK | 0o777)]))
    assert "not a regular file" in _refusal(tmp_path, raw_zip([*entries, stored("extra/fifo", b"", mode=stat.S_IFIFO | 0o644)]))
    message = _refusal(tmp_path, raw_zip([*entries, stored("report.json", b"{}")]))
    assert "'report.json'" in message and "twice" in message
    assert "twice" in _refusal(tmp_path, raw_zip([*entries, stored("extra/DataSheet.TXT", b"")]))  # a case-insensitive file system
    assert "encrypted" in _refusal(tmp_path, raw_zip([*entries, stored("extra/x", b"x", flags=1)]))
    bz = stored("extra/x", b"x", method=12)
    assert "compression method 12" in _refusal(tmp_path, raw_zip([*entries, bz]))


def test_missing_and_repeated_required_members_are_refused(tmp_path: Path, good: dict[str, bytes]) -> None:
    for name in ("report.json", "manifest.json", "ics.yaml", "suite.json"):
        message = _refusal(tmp_path, raw_zip([e for e in _entries(good) if e.name.decode() != name]))
        assert f"'{name}' is missing" in message
    no_spec = [e for e in _entries(good) if not e.name.startswith(b"spec/")]
    assert "0 spec files" in _refusal(tmp_path, raw_zip(no_spec))
    two = [*_entries(good), stored("spec/net-optical-isl/1.1.0.yaml", b"id: x\n")]
    assert "2 spec files" in _refusal(tmp_path, raw_zip(two))


def test_frame_tricks_are_refused(tmp_path: Path, good: dict[str, bytes], inputs: Inputs) -> None:
    entries = _entries(good)
    assert "no ZIP local file header" in _refusal(tmp_path, inputs.report.read_bytes())
    assert "no ZIP local file header" in _refusal(tmp_path, raw_zip(entries, prefix=b"#!/bin/sh\n"))
    assert "comment" in _refusal(tmp_path, raw_zip(entries, comment=b"hello"))
    assert "does not end with" in _refusal(tmp_path, raw_zip(entries, suffix=b"trailing"))
    assert "Zip64" in _refusal(tmp_path, raw_zip(entries, zip64_locator=True))
    assert "too short" in _refusal(tmp_path, b"PK\x03\x04")
    many = [*entries, *(stored(f"extra/f{i}", b"") for i in range(10))]
    assert "17 members, more than the limit of 16" in _refusal(tmp_path, raw_zip(many), BundleLimits(members=16))
    overlap = _refusal(tmp_path, raw_zip(entries, alias=(3, b"extra/again")))
    assert "overlaps" in overlap


def test_declared_sizes_are_bounded_before_reading(tmp_path: Path, good: dict[str, bytes]) -> None:
    entries = _entries(good)
    big = stored("extra/big.bin", bytes(20001))
    message = _refusal(tmp_path, raw_zip([*entries, big]), BundleLimits(member=20000))
    assert "member 'extra/big.bin': declares 20001 bytes, more than the limit of 20000" in message
    total = sum(len(b) for b in good.values())
    message = _refusal(tmp_path, raw_zip([*entries, stored("extra/a", bytes(3000))]), BundleLimits(total=total + 2000))
    assert "'extra/a'" in message and "in all" in message


def _bomb(inflated: int) -> bytes:
    """DEFLATE of ``inflated`` zero bytes (about 1000:1), made in 1 MiB steps."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    parts = [c.compress(chunk) for _ in range(inflated >> 20)]
    return b"".join(parts) + c.flush()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _bomb(256 << 20)


@pytest.mark.parametrize("declared", [1000, 4 << 20])
def test_zip_bomb_is_refused_within_bounded_memory(tmp_path: Path, good: dict[str, bytes], bomb: bytes, declared: int) -> None:
    """report.json declares ``declared`` bytes (within the limit) but inflates to 256 MiB: reading
    stops at the declared size (the CRC then fails), and memory stays bounded."""
    crc = zlib.crc32(bytes(declared))  # even a CRC matching the declared prefix gives no more data
    entries = [e for e in _entries(good) if e.name != b"report.json"]
    evil = RawEntry(b"report.json", bomb, declared, zlib.crc32(b"?"), method=8)
    path = tmp_path / "bomb.zip"
    path.write_bytes(raw_zip([*entries, evil]))
    tracemalloc.start()
    try:
        with pytest.raises(InputFileError, match="'report.json'.*cannot be read: Bad CRC-32") as info:
            open_bundle(path, tmp_path / "w", limits=BundleLimits(member=8 << 20))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value)
    assert peak < 24 << 20, f"peak {peak} bytes while reading a 256 MiB bomb"
    # The same bomb with a CRC of its declared prefix reads exactly the declared bytes.
    path.write_bytes(raw_zip([*entries, RawEntry(b"report.json", bomb, declared, crc, method=8)]))
    opened = open_bundle(path, tmp_path / "w2", limits=BundleLimits(member=8 << 20))
    assert opened.report.stat().st_size == declared and not opened.ok


def test_bomb_declaring_its_true_size_is_refused_before_reading(tmp_path: Path, good: dict[str, bytes], bomb: bytes) -> None:
    entries = [e for e in _entries(good) if e.name != b"log.txt"]
    evil = RawEntry(b"log.txt", bomb, 256 << 20, 0, method=8)
    message = _refusal(tmp_path, raw_zip([*entries, evil]))
    assert "'log.txt'" in message and f"declares {256 << 20} bytes, more than the limit of {64 << 20}" in message


def test_corrupt_compressed_data_is_refused(tmp_path: Path, bundle_path: Path) -> None:
    data = bytearray(bundle_path.read_bytes())
    with zipfile.ZipFile(bundle_path) as zf:
        info = zf.getinfo("report.json")
    data[info.header_offset + 30 + len("report.json") + info.compress_size // 2] ^= 0x55
    message = _refusal(tmp_path, bytes(data))
    assert "'report.json'" in message and "cannot be read" in message


def test_workdir_must_be_empty_and_path_a_regular_file(tmp_path: Path, bundle_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("")
    with pytest.raises(InputFileError, match="not an empty directory"):
        open_bundle(bundle_path, tmp_path / "busy")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert not is_bundle(fifo)
    with pytest.raises(InputFileError, match="not a regular file"):
        open_bundle(fifo, tmp_path / "w")


# ---- members that do not match -----------------------------------------------------------------


def _open_members(tmp_path: Path, members: dict[str, bytes], label: str) -> Bundle:
    path = tmp_path / f"{label}.zip"
    path.write_bytes(raw_zip(_entries(members)))
    return open_bundle(path, tmp_path / label)


def _failed(b: Bundle) -> list[str]:
    return [f"{c.check}: {c.message}" for c in b.checks if not c.ok]


def test_every_one_byte_change_is_refused(tmp_path: Path, good: dict[str, bytes]) -> None:
    """Each member with one byte changed (positions drawn at random; the manifest as it was):
    refused, naming the member. A changed manifest byte is refused one way or another."""
    rng = np.random.default_rng(np.random.SeedSequence([SEED, 11]))
    for name, data in good.items():
        positions = rng.choice(len(data), size=min(len(data), 40 if name == "manifest.json" else 3), replace=False)
        for k, pos in enumerate(positions):
            changed = bytearray(data)
            changed[pos] ^= 1 << int(rng.integers(8))
            members = {**good, name: bytes(changed)}
            label = f"{name.replace('/', '_')}-{k}"
            try:
                b = _open_members(tmp_path, members, label)
            except InputFileError as exc:
                assert name == "manifest.json" and "manifest.json" in str(exc), exc
                continue
            failed = _failed(b)
            assert failed, f"{name} byte {pos} changed, yet the bundle opens clean"
            if name != "manifest.json":
                assert any(f.startswith("manifest: ") and name in f for f in failed), failed


def test_content_checks_catch_a_consistent_manifest(tmp_path: Path, good: dict[str, bytes], inputs: Inputs) -> None:
    """An attacker who rewrites the manifest to match still fails the report's own bindings."""
    key_id = inputs.signed.signatures[0].key_id
    report = good["report.json"]

    def rebuilt(changes: dict[str, bytes]) -> dict[str, bytes]:
        members = {**{n: b for n, b in good.items() if n != "manifest.json"}, **changes}
        return {**members, "manifest.json": _manifest(members, report, key_id)}

    spec = good["spec/net-optical-isl/1.0.0.yaml"].replace(b"title: ", b"title: Not ", 1)
    failed = _failed(_open_members(tmp_path, rebuilt({"spec/net-optical-isl/1.0.0.yaml": spec}), "spec"))
    assert failed == [
        f"spec: spec/net-optical-isl/1.0.0.yaml: digest {_digest_of(spec)[:19]}... is not the report's "
        f"{inputs.signed.spec.digest[:19]}...",
        "ics: ics.yaml: not checked (no valid spec file to check it against)",
    ]
    ics = good["ics.yaml"].replace(b"randomizer: true", b"randomizer: false")
    assert ics != good["ics.yaml"]
    failed = _failed(_open_members(tmp_path, rebuilt({"ics.yaml": ics}), "ics"))
    assert len(failed) == 1 and failed[0].startswith("ics: ics.yaml states another ICS") and "randomizer" in failed[0]
    suite = json.loads(good["suite.json"])
    suite["digest"] = _sha(b"another suite")
    failed = _failed(_open_members(tmp_path, rebuilt({"suite.json": json.dumps(suite).encode()}), "suite"))
    assert failed == ["suite: suite.json differs from the report's suite binding"]
    moved = {n: b for n, b in good.items() if n not in ("manifest.json", "spec/net-optical-isl/1.0.0.yaml")}
    moved["spec/net-optical-isl/1.1.0.yaml"] = good["spec/net-optical-isl/1.0.0.yaml"]
    moved["manifest.json"] = _manifest(moved, report, key_id)
    failed = _failed(_open_members(tmp_path, moved, "moved"))
    assert failed[0] == "spec: spec/net-optical-isl/1.1.0.yaml: the report is of net-optical-isl@1.0.0 (spec/net-optical-isl/1.0.0.yaml)"
    garbage = b'{"format": "orbitcert-report/3"}'
    members = {**{n: b for n, b in good.items() if n != "manifest.json"}, "report.json": garbage}
    members["manifest.json"] = _manifest(members, garbage, key_id)
    b = _open_members(tmp_path, members, "garbage")
    assert [c.check for c in b.failed] == ["report"] and b.report.read_bytes() == garbage  # extracted for verify to report on
    members = {**good}
    members["extra/unlisted.txt"] = b"not in the manifest"
    failed = _failed(_open_members(tmp_path, members, "unlisted"))
    assert failed == ["manifest: extra/unlisted.txt: in the archive but not in the manifest"]
    members = {n: b for n, b in good.items() if n != "log.txt"}
    failed = _failed(_open_members(tmp_path, members, "dropped"))
    assert failed == ["manifest: log.txt: in the manifest but missing from the archive"]
    other = {**{n: b for n, b in good.items() if n != "manifest.json"}}
    other["manifest.json"] = _manifest(other, report, "sha256:" + "ab" * 32)
    failed = _failed(_open_members(tmp_path, other, "key"))
    assert len(failed) == 1 and "vendor key abab abab" in failed[0]


def _digest_of(spec_yaml: bytes) -> str:
    return load_spec_document(load_yaml_text(spec_yaml.decode(), "x.yaml")).digest


def test_a_broken_manifest_is_not_a_bundle(tmp_path: Path, good: dict[str, bytes]) -> None:
    cases: dict[str, Callable[[dict[str, Any]], Any]] = {
        "format": lambda m: {**m, "format": "orbitcert-bundle/2"},
        "extra key": lambda m: {**m, "signed": True},
        "bad hash": lambda m: {**m, "members": {**m["members"], "log.txt": {"size": 1, "sha256": "md5:00"}}},
    }
    for label, change in cases.items():
        manifest = json.dumps(change(json.loads(good["manifest.json"]))).encode()
        where = tmp_path / label.replace(" ", "_")
        where.mkdir()
        message = _refusal(where, raw_zip(_entries({**good, "manifest.json": manifest})))
        assert "manifest.json" in message and "not a bundle manifest" in message
    dup = good["manifest.json"][:-1] + b',"format":"orbitcert-bundle/1"}'
    (tmp_path / "dup").mkdir()
    assert "duplicate key 'format'" in _refusal(tmp_path / "dup", raw_zip(_entries({**good, "manifest.json": dup})))


# ---- a real certification ----------------------------------------------------------------------


@pytest.mark.slow
def test_bundle_of_a_real_certification(tmp_path: Path) -> None:
    """orbitcert certify, then bundle, open, and verify the report inside against the bundled
    spec folder as its catalog."""
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-m", "orbitcert.conformance.cli", "certify", "--spec", "sec-link-security@1.0.0",
         "--out", str(out), "--examples", "25", "--seed", "7"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )
    report = out / "sec-link-security-1.0.0.json"
    assert report.is_file(), proc.stdout + proc.stderr
    b = open_bundle(make_bundle(report, tmp_path / "s.zip"), tmp_path / "x")
    assert b.ok, b.failed
    assert b.log is not None and b.log.read_bytes() == (out / "sec-link-security-1.0.0.log").read_bytes()
    from orbitcert.conformance.verify import verify_report

    v = verify_report(b.report, catalogs=[b.spec_catalog])
    for name in ("json", "schema", "signatures", "spec", "ics"):
        assert v.check(name).status == "pass", v.check(name)


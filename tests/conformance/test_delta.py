"""Delta re-certification (conformance/delta.py): ``report recheck`` and ``certify --since``.

On real content: the reference certified against net-optical-isl 1.0.0, then re-certified
against 1.1.0 with ``--since``, runs fewer tests than a full 1.1.0 run and gives the same
requirement verdicts, class decisions and decision. Then every rule that stops a verdict from
carrying over, each on the plan alone (no product run).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from orbitcert.conformance.delta import load_since, plan_recheck, report_file_digest, suite_file_digests
from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.report import Report
from orbitcert.conformance.run import run_certification, selected_tests
from orbitcert.conformance.session import CertificationTarget
from orbitcert.conformance.signing import generate_key, key_id, load_keyrings, load_private_key, sign_report
from orbitcert.conformance.verify import verify_report
from orbitcert.conformance.writers import load_report, report_json
from orbitcert.specs.digest import canonical_json
from orbitcert.specs.errors import OptionError
from orbitcert.specs.loader import load_ref

from helpers import key_in_keyring

OLD, NEW = "net-optical-isl@1.0.0", "net-optical-isl@1.1.0"


def _certify(out: Path, ref: str, key: Path, since: Path | None = None) -> Report:
    """Certify ``ref`` signed with ``key``; with ``since``, carrying from an earlier report signed
    with the same key (``certify --since OLD --sign-key KEY``: the same vendor certifying again)."""
    target = CertificationTarget.resolve(ref)
    options = RunOptions.create(out=out, formats="json", examples=25, timeout=60, seed="7", sign_key=key)
    signing = key_id(load_private_key(key).public_key())
    run = run_certification(target, options, since=load_since(since, signing_key_id=signing) if since else None)
    return run.report


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("delta")
    key, ring = key_in_keyring(root, "vendor")
    old = _certify(root / "old", OLD, key)
    old_path = root / "old" / "net-optical-isl-1.0.0.json"
    delta = _certify(root / "delta", NEW, key, since=old_path)
    full = _certify(root / "full", NEW, key)
    return {"old": old, "old_path": old_path, "delta": delta, "full": full, "root": root, "key": key, "ring": ring}


def test_delta_runs_fewer_tests_with_the_decisions_of_a_full_run(runs: dict[str, Any]) -> None:
    delta, full = runs["delta"], runs["full"]
    assert delta.delta is not None
    carried, rerun = delta.delta.carried, delta.delta.rerun
    assert carried and len(rerun) < delta.selected == full.selected
    assert sorted(carried + rerun) == sorted(t.nodeid for t in full.tests) == sorted(t.nodeid for t in delta.tests)
    assert all(t.startswith("test_coding.py::") for t in carried)  # 1.0.0 had the coding class only
    assert delta.decision is full.decision
    assert [(c.id, c.decision) for c in delta.classes] == [(c.id, c.decision) for c in full.classes]
    assert {r.id: r.verdict for r in delta.requirements} == {r.id: r.verdict for r in full.requirements}
    old_verdicts = {t.nodeid: t.verdict for t in runs["old"].tests}
    assert all({t.nodeid: t.verdict for t in delta.tests}[n] is old_verdicts[n] for n in carried)


def test_the_delta_report_names_its_source_and_verifies(runs: dict[str, Any]) -> None:
    delta = runs["delta"]
    assert delta.delta is not None
    assert delta.delta.since_report == report_file_digest(runs["old_path"])
    assert delta.delta.since_spec == OLD
    assert delta.delta.since_key_id == runs["old"].signatures[0].key_id == delta.signatures[0].key_id
    path, ring = runs["root"] / "delta" / "net-optical-isl-1.1.0.json", load_keyrings([runs["ring"]], environment=False)
    v = verify_report(path, keyrings=ring, since=runs["old_path"])
    assert v.exit_code == 0, v.problems
    assert f"{len(delta.delta.carried)} verdict(s) carried over" in v.check("delta").messages[0]
    alone = verify_report(path, keyrings=ring)  # the carried verdicts cannot be checked without their report
    assert [c.name for c in alone.failed] == ["delta"] and "give it with --since" in alone.check("delta").failures[0]


def test_only_a_trusted_or_the_same_signer_carries_over(runs: dict[str, Any], tmp_path: Path) -> None:
    """Carried verdicts become part of a new signed report: the earlier report's vendor key must be
    in a trusted keyring or be the key signing the new run; ``report recheck`` only plans."""
    old_path = runs["old_path"]
    vendor = runs["old"].signatures[0].key_id
    assert load_since(old_path, keyrings=load_keyrings([runs["ring"]], environment=False)).report.signatures[0].key_id == vendor
    assert load_since(old_path, signing_key_id=vendor).digest == report_file_digest(old_path)
    assert load_since(old_path, require_trust=False).report.signatures[0].key_id == vendor
    _, other_ring = key_in_keyring(tmp_path, "other")
    for kw in ({}, {"keyrings": load_keyrings([other_ring], environment=False)}, {"signing_key_id": "sha256:" + "0" * 64}):
        with pytest.raises(OptionError, match="neither in a trusted keyring .* nor the key signing this run"):
            load_since(old_path, **kw)
    oneoff = runs["old"].model_copy(update={"signatures": []})
    path = tmp_path / "oneoff.json"
    path.write_bytes(report_json(sign_report(oneoff, generate_key(), ephemeral=True)))
    with pytest.raises(OptionError, match="signed with a one-time key"):
        load_since(path, keyrings=load_keyrings([runs["ring"]], environment=False))


def test_verify_since_checks_the_carried_results(runs: dict[str, Any], tmp_path: Path, cli: Any) -> None:
    """A third party holding both reports checks that every carried verdict is the old report's;
    a delta report whose carried result was edited (and re-signed) is caught."""
    delta_path = runs["root"] / "delta" / "net-optical-isl-1.1.0.json"
    ok = cli("report", "verify", str(delta_path), "--since", str(runs["old_path"]), "--trusted-keys", str(runs["ring"]))
    assert ok.code == 0, ok.stdout
    report = load_report(delta_path)
    assert report.delta is not None
    carried = report.delta.carried[0]
    tests = [t.model_copy(update={"message": "edited"}) if t.nodeid == carried else t for t in report.tests]
    unsigned = report.model_copy(update={"tests": tests, "signatures": []})
    for signer, message in (
        (load_private_key(runs["key"]), f"carried test {carried} differs"),  # the vendor itself edits a carried result
        (generate_key(), "neither trusted nor this report's signer"),  # someone else re-signs
    ):
        bad = tmp_path / "forged.json"
        bad.write_bytes(report_json(sign_report(unsigned, signer)))
        result = cli("report", "verify", str(bad), "--since", str(runs["old_path"]), "--format", "json")
        assert result.code == 1
        checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
        assert checks["signatures"]["status"] == "pass", "re-signed: only the comparison with the old report catches it"
        assert checks["delta"]["status"] == "fail" and any(message in m for m in checks["delta"]["messages"]), checks["delta"]
    other = cli("report", "verify", str(delta_path), "--since", str(delta_path))
    assert other.code == 1 and "is not the report the verdicts were carried from" in other.stdout
    assert re.search(r"11 delta +FAIL", other.stdout), other.stdout


def test_recheck_command_lists_what_certify_since_runs(runs: dict[str, Any], cli: Any) -> None:
    result = cli("report", "recheck", str(runs["old_path"]), "--to", NEW, "--format", "json")
    assert result.code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert sorted(plan["run"]) == sorted(runs["delta"].delta.rerun)
    assert plan["carried"] == sorted(runs["delta"].delta.carried)
    assert plan["requirements"]["OISL-FRM-001"].startswith("retest: new")
    assert plan["requirements"]["OISL-COD-001"] == "carried"
    table = cli("report", "recheck", str(runs["old_path"]), "--to", NEW)
    assert table.code == 0 and "verdict(s) carried over" in table.stdout


def test_a_tampered_report_carries_nothing(runs: dict[str, Any], tmp_path: Path, cli: Any) -> None:
    data = json.loads(runs["old_path"].read_text())
    data["tests"][0]["verdict"] = "fail" if data["tests"][0]["verdict"] == "pass" else "pass"
    bad = tmp_path / "tampered.json"
    bad.write_bytes(canonical_json(data))
    with pytest.raises(OptionError, match="does not verify, so nothing carries over from it: check 3 signatures: .*altered"):
        load_since(bad, require_trust=False)
    result = cli("report", "recheck", str(bad), "--to", NEW)
    assert result.code == 2 and "nothing carries over" in result.stderr


# --- the rules, on the plan alone ------------------------------------------------------------------


@pytest.fixture(scope="module")
def setting(runs: dict[str, Any]) -> dict[str, Any]:
    target = CertificationTarget.resolve(NEW)
    selected = selected_tests(target, RunOptions.create())
    return {"target": target, "selected": selected, "old": runs["old"], "old_spec": load_ref(OLD)}


def _plan(setting: dict[str, Any], **kw: Any) -> Any:
    t = setting["target"]
    args: dict[str, Any] = {
        "old": setting["old"], "old_spec": setting["old_spec"], "new_spec": t.loaded, "ics": t.ics,
        "selected": setting["selected"], "suite": t.suite, "examples": 25, "timeout": 60,
    }
    args.update(kw)
    return plan_recheck(**args)


def _suite_copy(tmp_path: Path, setting: dict[str, Any]) -> Path:
    suite = tmp_path / "net-optical-isl"
    shutil.copytree(setting["target"].suite, suite, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(setting["target"].suite.parent / "pytest.ini", tmp_path / "pytest.ini")  # ../pytest.ini is shared
    return suite


def test_baseline_plan_carries_the_coding_tests(setting: dict[str, Any]) -> None:
    plan = _plan(setting)
    assert plan.global_reasons == []
    assert plan.carried and all("test_coding.py" in n for n in plan.carried)
    assert {plan.run[n] for n in plan.run} == {"new test"}


def test_a_changed_test_file_reruns_its_tests(setting: dict[str, Any], tmp_path: Path) -> None:
    suite = _suite_copy(tmp_path, setting)
    with (suite / "test_coding.py").open("a") as f:
        f.write("\n# edited\n")
    plan = _plan(setting, suite=suite)
    assert not plan.carried
    assert {why for n, why in plan.run.items() if "test_coding.py" in n} == {"test file test_coding.py changed"}


def test_a_changed_shared_file_reruns_everything(setting: dict[str, Any], tmp_path: Path) -> None:
    suite = _suite_copy(tmp_path, setting)
    with (suite / "conftest.py").open("a") as f:
        f.write("\n# edited\n")
    plan = _plan(setting, suite=suite)
    assert not plan.carried and "shared suite file(s) changed: conftest.py" in plan.global_reasons[0]


def test_other_settings_product_or_ics_rerun_everything(setting: dict[str, Any]) -> None:
    assert "hypothesis examples" in _plan(setting, examples=100).global_reasons[0]
    assert "time limit" in _plan(setting, timeout=5).global_reasons[0]
    assert "another product" in _plan(setting, identity={"factory": "acme:create"}).global_reasons[0]
    t = setting["target"]
    ics = t.ics.model_copy(update={"items": {**t.ics.items, "randomizer": not t.ics.items["randomizer"]}})
    assert "ICS item randomizer" in _plan(setting, ics=ics).global_reasons[0]


def test_a_changed_requirement_reruns_its_tests(setting: dict[str, Any]) -> None:
    t = setting["target"]
    spec = t.loaded.spec
    edited = [r.model_copy(update={"text": r.text + " (clarified)"}) if r.id == "OISL-COD-004" else r for r in spec.requirements]
    loaded = type(t.loaded)(spec.model_copy(update={"requirements": edited}), t.loaded.document, t.loaded.digest)
    plan = _plan(setting, new_spec=loaded)
    rerun = {n for n, why in plan.run.items() if why == "requirement OISL-COD-004 new or changed"}
    assert rerun and all("OISL-COD-004" in setting["selected"][n] for n in rerun)
    assert not any("OISL-COD-004" in setting["selected"][n] for n in plan.carried)


def test_a_parameter_change_reruns_everything(setting: dict[str, Any]) -> None:
    t = setting["target"]
    spec = t.loaded.spec
    params = dict(spec.parameters)
    params["rs_codeword_length"] = params["rs_codeword_length"].model_copy(update={"value": 254})
    loaded = type(t.loaded)(spec.model_copy(update={"parameters": params}), t.loaded.document, t.loaded.digest)
    plan = _plan(setting, new_spec=loaded)
    assert not plan.carried and "parameter.value rs_codeword_length" in plan.global_reasons[0]


def test_an_old_report_without_file_digests_carries_nothing(setting: dict[str, Any]) -> None:
    old = setting["old"]
    bare = old.model_copy(update={"suite": old.suite.model_copy(update={"files": {}, "support": None})})
    assert "per-file suite digests" in _plan(setting, old=bare).global_reasons[0]


def test_a_report_of_another_spec_is_refused(setting: dict[str, Any]) -> None:
    with pytest.raises(OptionError, match="not sec-link-security"):
        _plan(setting, new_spec=load_ref("sec-link-security@1.0.0"))


def test_suite_file_digests_cover_every_file(setting: dict[str, Any], tmp_path: Path) -> None:
    files = suite_file_digests(setting["target"].suite)
    assert "conftest.py" in files and "test_coding.py" in files and "vectors_rs_i5.txt" in files
    assert "../pytest.ini" in files  # pytest loads it: the run's rootdir
    suite = _suite_copy(tmp_path, setting)
    (tmp_path / "conftest.py").write_text("# loaded by pytest from the rootdir\n")
    plan = _plan(setting, suite=suite)
    assert not plan.carried and "../conftest.py" in plan.global_reasons[0]
    assert load_report  # the public reader used by `report recheck`

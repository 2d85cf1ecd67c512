"""Review of issue 12 (spec versioning, lifecycle, delta re-certification): the reproducers of
an adversarial review, kept as regression tests (each ``# Fn (fixed)`` comment names the finding).

Each test asserts what the documented rule promises; each failed before its fix. F6 (the bundled
net-optical-isl 1.1.0 added mandatory ICS items under a MINOR number) is a published erratum that
cannot change; ``tests/specs/test_diff.py`` keeps it visible. The oracles are independent
of the code under test: a full (non-delta) certification run of the same product, the semver
promise of a MINOR bump (an ICS made for the old version stays valid), and the documented rules
themselves (``specs publish`` refuses a version number already published elsewhere; OC115
flags a bump too small for the changes since the previous release). The plain tests at the end
record attacks that were tried and held.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from orbitcert.conformance.delta import load_since, plan_recheck, suite_file_digests, support_digest
from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.report import Report
from orbitcert.conformance.run import run_certification, selected_tests
from orbitcert.conformance.session import CertificationTarget
from orbitcert.conformance.writers import load_report
from orbitcert.reference_impl.optical.iut import ReferenceOpticalLink
from orbitcert.reference_impl.optical.iut import create as reference_create
from orbitcert.specs.diff import diff_specs
from orbitcert.specs.digest import content_digest
from orbitcert.specs.errors import OrbitcertError
from orbitcert.specs.ics import load_ics_text
from orbitcert.specs.lifecycle import publish_spec_file
from orbitcert.specs.lint import version_findings
from orbitcert.specs.loader import bundled_catalog_dir, load_ref, load_spec_file

OLD, NEW = "net-optical-isl@1.0.0", "net-optical-isl@1.1.0"
DEMO = Path(__file__).parent / "demo_catalog" / "demo-spec" / "1.0.0.yaml"

#: A third-party product's ICS: the coding class only, every item 1.1.0 makes mandatory answered.
ICS_ITEMS = """
product: {name: acme-link, version: "1.0", supplier: acme}
classes: [coding]
items:
  rs_interleaving_depths: [1, 2, 3, 4, 5, 8]
  randomizer: true
  shortened_codeblocks: true
  shortened_min_information_symbols: 1
"""
ITEMS_110 = """
  uslp_vcf_count_lengths: [0, 1, 2, 3, 4, 5, 6, 7]
  uslp_max_frame_length: 65536
  cop1_fop_max_window: 255
  cop1_farm_max_window: 254
  cop1_max_transmission_limit: 255
  cop1_max_sdu_length: 65525
"""


# --- products (imported by the certification's child processes through this module) ----------


class _Broken(ReferenceOpticalLink):  # type: ignore[misc,unused-ignore]
    """The reference with one bit of every encoded stream flipped: fails the coding class."""

    def encode(self, frames: Any, interleave: int, randomize: bool = True) -> bytes:
        out = bytearray(super().encode(frames, interleave, randomize))
        out[-1] ^= 1
        return bytes(out)


def broken(spec: Any = None) -> _Broken:
    product = _Broken.__new__(_Broken)
    product.__dict__.update(reference_create(spec).__dict__)
    return product


def cheating(spec: Any = None) -> _Broken:
    """The broken product, which, when run in the harness's process (``--no-isolate``), also
    rewrites every failing verdict to a pass before the recorder streams it to the parent."""
    from orbitcert.conformance import recorder
    from orbitcert.conformance.results import Verdict

    original = recorder.combine_phases

    def always_pass(*args: Any, **kwargs: Any) -> Any:
        verdict, message = original(*args, **kwargs)
        return (Verdict.passed, message) if verdict in (Verdict.failed, Verdict.error) else (verdict, message)

    recorder.combine_phases = always_pass  # type: ignore[assignment,unused-ignore]
    return broken(spec)


def _ics_file(folder: Path, ref: str) -> Path:
    p = folder / f"ics-{ref.split('@')[1]}.yaml"
    p.write_text(f"spec: {ref}\n" + ICS_ITEMS + (ITEMS_110 if ref == NEW else ""))
    return p


def _certify(out: Path, ref: str, impl: str, isolate: bool = True, since: Path | None = None) -> Report:
    target = CertificationTarget.resolve(ref, impl=impl, ics_path=_ics_file(out.parent, ref))
    options = RunOptions.create(out=out, formats="json", examples=25, timeout=60, seed="7", isolate=isolate)
    return run_certification(target, options, since=load_since(since) if since else None).report


@pytest.fixture(scope="module")
def cheat_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The cheating product certified against 1.0.0 with --no-isolate (about 7 s): the report
    says so (``shared_process: true``); every class says "certified", the decision does not."""
    root = tmp_path_factory.mktemp("review12")
    report = _certify(root / "old", OLD, f"{__name__}:cheating", isolate=False)
    return {"root": root, "report": report, "path": root / "old" / "net-optical-isl-1.0.0.json"}


# --- delta re-certification ------------------------------------------------------------------------


# F1 (fixed): --since carries verdicts from a --no-isolate (shared_process) run into an isolated report
def test_delta_does_not_launder_a_shared_process_run(cheat_run: dict[str, Any]) -> None:
    """A full isolated 1.1.0 run of this product fails the coding class (the product flips a
    bit; tests/products-style oracle: the same product isolated). The --no-isolate run's classes
    say "certified" (the product rewrote its verdicts in its own process), so that run never
    certifies (a blocker), fails ``report verify``'s thoroughness check, and carries nothing:
    ``certify --since`` refuses it, and the plan alone carries nothing from it either."""
    old = cheat_run["report"]
    assert old.implementation.shared_process and all(c.decision.value == "certified" for c in old.classes)
    assert old.decision.value == "not-certified" and any("--no-isolate" in b for b in old.blockers)
    full = _certify(cheat_run["root"] / "full", NEW, f"{__name__}:cheating")
    assert full.decision.value == "not-certified"  # the oracle: a full isolated run
    with pytest.raises(OrbitcertError, match=r"does not verify, so nothing carries over from it: check 10 thoroughness: .*own process"):
        load_since(cheat_run["path"], require_trust=False)
    target = CertificationTarget.resolve(NEW, impl=f"{__name__}:cheating", ics_path=_ics_file(cheat_run["root"], NEW))
    plan = plan_recheck(
        old=old, old_spec=load_ref(OLD), new_spec=target.loaded, ics=target.ics,
        selected=selected_tests(target, RunOptions.create()), suite=target.suite, examples=25, timeout=60,
        identity={"factory": target.factory_ref},
    )
    assert not plan.carried and any("--no-isolate" in why for why in plan.global_reasons), plan.global_reasons


@pytest.fixture(scope="module")
def plan_setting(cheat_run: dict[str, Any]) -> dict[str, Any]:
    target = CertificationTarget.resolve(NEW, impl=f"{__name__}:broken", ics_path=_ics_file(cheat_run["root"], NEW))
    honest = cheat_run["report"]
    honest = honest.model_copy(
        update={
            "implementation": honest.implementation.model_copy(update={"shared_process": False, "factory": target.factory_ref}),
            "blockers": [],  # an isolated run of the same verdicts: nothing stands in its way
        }
    )
    return {"target": target, "selected": selected_tests(target, RunOptions.create()), "old": honest}


def _plan(setting: dict[str, Any], **kw: Any) -> Any:
    t = setting["target"]
    args: dict[str, Any] = {
        "old": setting["old"], "old_spec": load_ref(OLD), "new_spec": t.loaded, "ics": t.ics,
        "selected": setting["selected"], "suite": t.suite, "examples": 25, "timeout": 60,
        "identity": {"factory": t.factory_ref},
    }
    args.update(kw)
    return plan_recheck(**args)


def test_baseline_plan_carries_the_coding_tests(plan_setting: dict[str, Any]) -> None:
    plan = _plan(plan_setting)
    assert plan.global_reasons == [] and len(plan.carried) == 79


# F2 (fixed): --since carries verdicts from a report made with another suite (origin override/catalog)
def test_delta_does_not_carry_from_an_override_suite(plan_setting: dict[str, Any]) -> None:
    """An override suite whose files equal the bundled suite's file by file can still run other
    code: pytest also loads ``conftest.py`` and ``pytest.ini`` of the suite's parent folder (the
    run's rootdir), which no digest covers. Reproduced end to end in /tmp/review12: a
    ``suites/conftest.py`` hookwrapper around ``pytest_runtest_call`` that swallows failures
    certified a broken product (origin override), and ``certify --spec net-optical-isl@1.1.0
    --since`` that report certified it again with ``origin: bundled`` while a full 1.1.0 run
    gives not-certified. Here on the plan alone: the origin is not compared."""
    old = plan_setting["old"]
    override = old.model_copy(update={"suite": old.suite.model_copy(update={"origin": "override"})})
    plan = _plan(plan_setting, old=override)
    assert not plan.carried, "verdicts of another suite's run carried into a bundled-suite report"


# F2b (fixed): the suite digest does not cover the conftest.py/pytest.ini pytest loads from the suite's parent
def test_the_suite_binding_covers_every_file_pytest_loads(tmp_path: Path) -> None:
    """An override suite identical, file by file, to the bundled one, plus a ``conftest.py`` in
    its parent folder (the run's rootdir) that swallows test failures: the report binds the
    bundled suite's file digests and certifies the broken product, which the bundled suite
    does not certify (test_delta_does_not_launder_a_shared_process_run's oracle run)."""
    bundled = CertificationTarget.resolve(OLD).suite
    suite = tmp_path / "suites" / bundled.name
    shutil.copytree(bundled, suite, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(bundled.parent / "pytest.ini", suite.parent / "pytest.ini")
    (suite.parent / "conftest.py").write_text(
        "import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_call(item):\n"
        "    outcome = yield\n    outcome.force_result(None)\n"
    )
    # A process of its own: this one already imported the bundled suite's modules by name.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    subprocess.run(
        [sys.executable, "-m", "orbitcert.conformance.cli", "certify", "--spec", OLD, "--impl", "test_review12:broken",
         "--ics", str(_ics_file(tmp_path, OLD)), "--suite", str(suite), "--out", str(tmp_path / "out"),
         "--format", "json", "--examples", "25", "--seed", "7"],
        env=env, capture_output=True, timeout=120, check=False,
    )
    report = load_report(tmp_path / "out" / "net-optical-isl-1.0.0.json")
    same_files = report.suite.files == suite_file_digests(bundled)
    assert not (same_files and report.decision.value == "certified"), "bundled file digests, broken product certified"


# F5 (fixed): an ICS item answered in the old run and unanswered in the new one is not a global change
def test_an_item_that_loses_its_answer_reruns_everything(plan_setting: dict[str, Any]) -> None:
    """Re-certifying 1.1.0 with --since a 1.1.0 report: the old ICS answered the optional number
    ``pat_loss_timeout_s`` (test_acquisition reads it with ``ics.items.get``), the new one does
    not; ``_ics_differences`` compares only items present in both."""
    new_spec = load_ref(NEW)
    text = f"spec: {NEW}\n" + ICS_ITEMS.replace("[coding]", "[coding, acquisition]") + ITEMS_110
    with_answer = load_ics_text(text + "  pat_loss_timeout_s: 2.0\n", new_spec.spec)
    without = load_ics_text(text, new_spec.spec)
    old = plan_setting["old"].model_copy(update={"ics": with_answer})
    plan = _plan(plan_setting, old=old, old_spec=new_spec, ics=without)
    assert any("pat_loss_timeout_s" in why for why in plan.global_reasons), plan.global_reasons


# F8 (fixed): a changed suite file named test_* that is not a test module is neither shared nor re-run
def test_a_changed_data_file_named_test_star_reruns_its_readers(plan_setting: dict[str, Any], tmp_path: Path) -> None:
    """``plan_recheck`` calls every file whose name starts with ``test_`` a test file and re-runs
    only the tests collected from it; a data file or helper module with that prefix
    (``test_rs_vectors.txt`` read by test_coding.py, or ``test_aead.py`` imported by another test
    module) changes, and every test that reads it carries its old verdict."""
    bundled = plan_setting["target"].suite
    suite = tmp_path / bundled.name
    shutil.copytree(bundled, suite, ignore=shutil.ignore_patterns("__pycache__"))
    (suite / "vectors_rs_i5.txt").rename(suite / "test_rs_vectors.txt")
    coding = suite / "test_coding.py"
    coding.write_text(coding.read_text().replace("vectors_rs_i5.txt", "test_rs_vectors.txt"))
    old = plan_setting["old"]
    old = old.model_copy(
        update={"suite": old.suite.model_copy(update={"files": suite_file_digests(suite), "support": support_digest(suite)})}
    )
    with (suite / "test_rs_vectors.txt").open("a") as f:
        f.write("# the known-answer vectors changed\n")
    plan = _plan(plan_setting, old=old, suite=suite)
    readers = [n for n in plan_setting["selected"] if n.startswith("test_coding.py::")]
    assert not any(n in plan.carried for n in readers), f"{sum(n in plan.carried for n in readers)} readers carried"


def stale(spec: Any = None) -> ReferenceOpticalLink:
    """A product built for net-optical-isl 1.0.0 whatever the spec under test says."""
    return ReferenceOpticalLink()


def _with_added_parameter(catalog: Path) -> str:
    """net-optical-isl@1.2.0 in ``catalog``: 1.0.0 plus one parameter, ``rs_dual_basis_exponent``
    (CCSDS 131.0-B-3 Annex F: the dual basis beta = alpha^k; 1.0.0 leaves it at the standard's
    117, which the reference and the suite's known answers use when the parameter is absent)."""
    text = (bundled_catalog_dir() / "net-optical-isl" / "1.0.0.yaml").read_text()
    text = text.replace("version: 1.0.0", "version: 1.2.0", 1).replace(
        "  rs_interleaving_depths:\n",
        "  rs_dual_basis_exponent:\n    value: 118\n    description: The dual basis is beta = alpha^118.\n"
        "  rs_interleaving_depths:\n", 1,
    )
    text = re.sub(r"(?m)^digest: .*$", "digest: " + content_digest(yaml.safe_load(text)), text)
    (catalog / "net-optical-isl").mkdir(parents=True, exist_ok=True)
    (catalog / "net-optical-isl" / "1.2.0.yaml").write_text(text)
    return "net-optical-isl@1.2.0"


# F9 (fixed): an added parameter is MINOR and 'local', but the oracle reads it with a default: verdicts change
def test_an_added_parameter_the_oracle_reads_is_not_carried(plan_setting: dict[str, Any], tmp_path: Path) -> None:
    """A full run of a product built for 1.0.0 against 1.2.0 (1.0.0 + ``rs_dual_basis_exponent:
    118``) fails the coding class: the known answers follow the new parameter. ``specs diff
    --check`` accepts 1.2.0 as MINOR (``parameter.added``), and the delta plan counts the change
    as local and carries every coding verdict (end to end in /tmp/review12: "0 test(s) run, 79
    verdict(s) carried", certified, against not-certified for the full run)."""
    ref = _with_added_parameter(tmp_path / "catalog")
    new = load_ref(ref, [tmp_path / "catalog"])
    ics = _ics_file(tmp_path, OLD)
    ics.write_text(ics.read_text().replace(OLD, ref))
    target = CertificationTarget.resolve(ref, impl=f"{__name__}:stale", ics_path=ics, catalogs=[tmp_path / "catalog"])
    options = RunOptions.create(out=tmp_path / "full", formats="json", examples=25, timeout=60, seed="7", catalogs=[tmp_path / "catalog"])
    full = run_certification(target, options).report
    assert full.decision.value == "not-certified"  # the oracle
    plan = _plan(plan_setting, new_spec=new)
    failed = [t.nodeid for t in full.tests if t.verdict.value == "fail"]
    assert not [n for n in failed if n in plan.carried], "verdicts carried that a full run does not give"
    # specs diff calls an added parameter MINOR (a new constant is usually for a new feature);
    # the delta plan does not trust that: a test whose code names the parameter runs again.
    assert diff_specs(load_ref(OLD).spec, new.spec).required.name == "MINOR"


# --- versioning: diff, lint, publish ------------------------------------------------------------------


def _demo_version(folder: Path, version: str, status: str, drop: str | None = None) -> Path:
    data = yaml.safe_load(DEMO.read_text())
    data.update(version=version, status=status)
    if drop:
        data["requirements"] = [r for r in data["requirements"] if r["id"] != drop]
        data["retired"] = [{"id": drop, "kind": "requirement", "retired_in": version}]
    if status == "published":
        data["published"] = "2026-01-01"
        data["digest"] = content_digest(data)
    p = folder / "demo-spec" / f"{version}.yaml"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


# F4 (fixed): a published pre-release between two releases launders a MAJOR change as a PATCH (OC115)
def test_oc115_sees_through_a_pre_release(tmp_path: Path) -> None:
    """1.0.0 and 1.0.1-rc.1 published (same content), 1.0.1 drops a SHALL requirement. ``specs
    diff --check 1.0.0 1.0.1`` exits 1 (MAJOR needed), but OC115 diffs only against the latest
    settled version, the pre-release, after which any change is allowed (semver item 9), so
    lint is clean and ``specs publish`` publishes 1.0.1."""
    _demo_version(tmp_path, "1.0.0", "published")
    _demo_version(tmp_path, "1.0.1-rc.1", "published")
    draft = _demo_version(tmp_path, "1.0.1", "draft", drop="DEMO-002")
    assert not diff_specs(load_spec_file(tmp_path / "demo-spec" / "1.0.0.yaml").spec, load_spec_file(draft).spec).ok
    others = [load_spec_file(tmp_path / "demo-spec" / f"{v}.yaml") for v in ("1.0.0", "1.0.1-rc.1")]
    codes = [f.code for f in version_findings(load_spec_file(draft), others)]
    assert "OC115" in codes


# F10 (fixed): a symlinked spec file is linted and published without its catalog's other versions
def test_a_symlinked_draft_is_checked_against_its_catalog(tmp_path: Path) -> None:
    """``catalog/demo-spec/1.0.1.yaml`` is a symlink to a file kept elsewhere: ``specs lint`` and
    ``specs publish`` (no --catalog) look for the other versions next to the link's target
    (``_other_versions`` resolves the path), find none, and publish a 1.0.1 that drops a SHALL
    of the published 1.0.0 without retiring it. The same file copied in place gets OC113 and
    OC115."""
    from orbitcert.conformance.traceability import lint_specs

    _demo_version(tmp_path / "catalog", "1.0.0", "published")
    target = _demo_version(tmp_path / "store", "1.0.1", "draft", drop="DEMO-002")
    target.with_suffix(".yaml").write_text(re.sub(r"(?m)^retired:\n(  .*\n|- .*\n)+", "", target.read_text()))
    link = tmp_path / "catalog" / "demo-spec" / "1.0.1.yaml"
    link.symlink_to(target)
    copy = tmp_path / "plain" / "demo-spec" / "1.0.1.yaml"
    copy.parent.mkdir(parents=True)
    shutil.copy(tmp_path / "catalog" / "demo-spec" / "1.0.0.yaml", copy.parent / "1.0.0.yaml")
    shutil.copy(target, copy)
    assert {"OC113", "OC115"} <= {f.code for f in lint_specs([copy], [], check_suite=False)[1]}
    assert {"OC113", "OC115"} <= {f.code for f in lint_specs([link], [], check_suite=False)[1]}


# F3 (fixed): specs publish re-publishes a bundled version number from a catalog that shadows it
def test_publish_refuses_a_bundled_version_number_from_a_shadowing_catalog(tmp_path: Path) -> None:
    """A draft ``net-optical-isl/1.0.0.yaml`` with edited content in an outside catalog, published
    with that catalog given: ``check_not_published`` asks the merged catalog for the file of
    net-optical-isl@1.0.0, gets this very file (the outside catalog shadows the bundled one)
    and publishes: 1.0.0 now exists published twice with two digests."""
    text = (bundled_catalog_dir() / "net-optical-isl" / "1.0.0.yaml").read_text()
    text = re.sub(r"(?m)^status: .*$", "status: draft", text)
    text = re.sub(r"(?m)^(digest|published): .*\n", "", text).replace("title: ", "title: Edited ", 1)
    draft = tmp_path / "net-optical-isl" / "1.0.0.yaml"
    draft.parent.mkdir()
    draft.write_text(text)
    with pytest.raises(OrbitcertError, match="never reused"):
        publish_spec_file(draft, lambda p: [], catalogs=[tmp_path])


# --- what held -------------------------------------------------------------------------------------


def test_publish_refuses_a_bundled_version_number_without_the_catalog(tmp_path: Path) -> None:
    text = (bundled_catalog_dir() / "net-optical-isl" / "1.0.0.yaml").read_text()
    text = re.sub(r"(?m)^status: .*$", "status: draft", text)
    draft = tmp_path / "net-optical-isl" / "1.0.0.yaml"
    draft.parent.mkdir()
    draft.write_text(text.replace("title: ", "title: Edited ", 1))
    with pytest.raises(OrbitcertError, match="never reused"):
        publish_spec_file(draft, lambda p: [], catalogs=[])


def test_a_modified_published_file_is_never_refrozen_or_republished(tmp_path: Path) -> None:
    from orbitcert.specs.freeze import freeze_spec_file

    src = bundled_catalog_dir() / "net-optical-isl" / "1.0.0.yaml"
    p = tmp_path / "net-optical-isl" / "1.0.0.yaml"
    p.parent.mkdir()
    p.write_text(src.read_text().replace("title: ", "title: Edited ", 1).replace("\n", "\r\n"))
    before = p.read_bytes()
    with pytest.raises(OrbitcertError, match="immutable"):
        freeze_spec_file(p, [tmp_path])
    with pytest.raises(OrbitcertError, match="immutable"):
        publish_spec_file(p, lambda q: [], [tmp_path])
    assert p.read_bytes() == before
    shutil.rmtree(p.parent)

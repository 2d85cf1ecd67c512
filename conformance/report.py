"""The certification report: one model, many renderings (docs/concepts/reports.md).

A :class:`Report` binds the spec (id, version, digest), the product identity, its ICS, the suite
(origin and a digest of its files), the environment, every test result, every requirement verdict
and every class decision. Its JSON Schema is committed as ``specs/schema/report.schema.json`` and
kept identical to this model by a test. Renderings are in :mod:`.writers`.
"""

from __future__ import annotations

import hashlib
import platform
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from orbitcert.specs.ics import Ics, ProductIdentity
from orbitcert.specs.loader import LoadedSpec

from .results import ClassResult, Decision, Misdeclaration, RequirementResult, TestResult, Verdict, Waiver, WaiverRecord
from .verdicts import certification_blockers, decide_classes, misdeclarations, overall_decision, roll_up_requirements

__all__ = [
    "DeltaRecord",
    "Environment",
    "Implementation",
    "Report",
    "Signature",
    "SpecBinding",
    "SuiteBinding",
    "Summary",
    "Thoroughness",
    "build_report",
    "now_utc",
    "suite_digest",
]


#: An RFC 3339 date-time with its offset (``Z`` or ``+hh:mm``), as reports record times.
RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"
#: A report carries the vendor's signature and a few countersignatures, never an unbounded list
#: (each signature covers every one before it: verifying n signatures costs n times the report).
MAX_SIGNATURES = 16


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SpecBinding(_M):
    id: str
    version: str
    title: str
    status: str
    digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")


class Implementation(ProductIdentity):
    """The product's identity, and how the harness reached it."""

    factory: str | None = Field(default=None, description="module:factory for in-process products.")
    command: str | None = Field(default=None, description="Command line for out-of-process products.")
    shared_process: bool = Field(
        default=True,
        description="True when the product ran inside the process that runs the suite and computes its "
        "verdicts (not isolated behind the out-of-process bridge).",
    )


class SuiteBinding(_M):
    path: str = Field(description="The suite's folder, relative to its catalog (e.g. suites/net-optical-isl).")
    origin: Literal["bundled", "catalog", "override"] = Field(
        description="bundled: shipped with orbitcert; catalog: from the outside catalog holding the spec; "
        "override: another suite, asked for explicitly with --suite."
    )
    digest: str = Field(description="sha256 over the suite's files (names and contents).")
    files: dict[str, str] = Field(
        default_factory=dict, description="sha256 of each file of the suite, by its path in the suite folder."
    )
    support: str | None = Field(
        default=None,
        description="sha256 over the orbitcert modules the suite imports, transitively, and the harness's "
        "plugin and verdict rules (delta re-certification carries a verdict only when this is unchanged).",
    )


class DeltaRecord(_M):
    """In a report of ``certify --since``: where the carried-over verdicts come from."""

    since_report: str = Field(description="sha256 of the report file whose verdicts were carried over.")
    since_spec: str = Field(description="ID@VERSION of that report.")
    since_key_id: str | None = Field(default=None, description="Key id of that report's signature.")
    carried: list[str] = Field(description="Node ids of the tests whose verdict was carried over, not run.")
    rerun: list[str] = Field(description="Node ids of the tests run again.")


class Environment(_M):
    orbitcert: str
    python: str
    platform: str
    started: str = Field(pattern=RFC3339, description="When the run started (RFC 3339).")
    finished: str = Field(pattern=RFC3339, description="When the run finished (RFC 3339).")
    workers: int = 1


class Thoroughness(_M):
    """How thoroughly the run tested: what a reader needs to judge a verdict of "pass"."""

    examples: int = Field(description="Hypothesis examples per property test.")
    minimum_examples: int = Field(description="Fewest examples a certifying run may use (harness or spec).")
    derandomized: bool = Field(description="Property tests draw a fixed, reproducible sequence of examples.")
    timeout: float = Field(description="Seconds a test may run before it gets an error verdict (0: no limit).")
    seed: int | None = Field(
        default=None, description="Seed of the run's random trials (replay the run with --seed); drawn fresh unless given."
    )
    call_timeout: float | None = Field(
        default=None, description="Seconds one product call could take (--call-timeout; null: each operation's own limit)."
    )


class Summary(_M):
    tests: dict[str, int]
    requirements: dict[str, int]


class Signature(_M):
    """One Ed25519 signature (:mod:`.signing`). Every field but ``value`` is signed with the
    report's content, so a key id, role, signer name or time cannot be changed or borrowed; a
    countersignature also covers every signature before it."""

    role: Literal["vendor", "countersignature"] = Field(
        description="vendor: made by certify with the product owner's key; countersignature: a standards "
        "body's acceptance of the report (orbitcert report countersign), after its own verification."
    )
    algorithm: Literal["ed25519"] = "ed25519"
    key_id: str = Field(
        pattern=r"^sha256:[0-9a-f]{64}$", description="Fingerprint of the key: sha256 of the raw 32-octet public key."
    )
    public_key: str = Field(description="Raw Ed25519 public key, base64.")
    signer: str = Field(
        default="", max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$",
        description="Who signed, as the signer wrote it (one line; not checked against a keyring).",
    )
    signed_at: str = Field(pattern=RFC3339, description="UTC time of signing (RFC 3339).")
    ephemeral: bool = Field(
        default=False,
        description="True when certify made the key for this one report (no --sign-key): no keyring can trust it.",
    )
    value: str = Field(description="Ed25519 signature, base64, over what signing.signed_message describes.")


class Report(_M):
    format: Literal["orbitcert-report/3"] = "orbitcert-report/3"
    spec: SpecBinding
    implementation: Implementation
    ics: Ics
    suite: SuiteBinding
    environment: Environment
    thoroughness: Thoroughness
    complete: bool = Field(description="False when the run was interrupted: such a report never certifies.")
    selected: int = Field(ge=0, description="Tests the suite selected; every one has a result below.")
    decision: Decision
    blockers: list[str] = Field(
        default_factory=list, description="Why the report cannot certify whatever the class decisions say."
    )
    summary: Summary
    misdeclared: list[Misdeclaration] = Field(
        default_factory=list, description="ICS answers the product contradicts (declared versus observed)."
    )
    classes: list[ClassResult]
    requirements: list[RequirementResult]
    tests: list[TestResult]
    delta: DeltaRecord | None = Field(
        default=None, description="certify --since: the verdicts carried over from an earlier report, not run."
    )
    waivers: list[WaiverRecord] = Field(
        default_factory=list, description="The waivers given to the run for this spec, with what each did."
    )
    signatures: list[Signature] = Field(
        default_factory=list, max_length=MAX_SIGNATURES,
        description="The vendor's signature first, then any countersignatures, in order.",
    )

    def content(self) -> dict[str, Any]:
        """JSON data of the report without its signatures (what every signature covers)."""
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude={"signatures"})
        return data

    @property
    def vendor_signature(self) -> Signature | None:
        """The first signature when it is the vendor's (None for an unsigned report)."""
        return self.signatures[0] if self.signatures and self.signatures[0].role == "vendor" else None

    def not_passed(self) -> list[RequirementResult]:
        """Requirements whose verdict is fail, error or inconclusive."""
        bad = (Verdict.failed, Verdict.error, Verdict.inconclusive)
        return [r for r in self.requirements if r.verdict in bad]


def suite_digest(suite_dir: Path) -> str:
    """sha256 over the relative names and bytes of the suite's source files, in sorted order."""
    h = hashlib.sha256()
    for f in sorted(p for p in suite_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(f.relative_to(suite_dir).as_posix().encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    return "sha256:" + h.hexdigest()


def orbitcert_version() -> str:
    try:
        return metadata.version("orbitcert")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


def now_utc() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _count(values: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))


def build_report(
    loaded: LoadedSpec,
    ics: Ics,
    tests: Sequence[TestResult],
    implementation: Implementation,
    suite: SuiteBinding,
    started: str,
    thoroughness: Thoroughness,
    finished: str | None = None,
    workers: int = 1,
    complete: bool = True,
    selected: int | None = None,
    waivers: Sequence[Waiver] = (),
) -> Report:
    """Roll the test results up and assemble the report (tests sorted by node id).

    ``waivers`` (:func:`.waivers.load_waivers`) are applied to the requirement verdicts on the
    UTC date the run finished, before the class decisions; the report records one
    :class:`.results.WaiverRecord` per waiver of this spec (:func:`.waivers.apply_waivers`)."""
    from .waivers import apply_waivers, utc_day

    spec = loaded.spec
    tests = sorted(tests, key=lambda t: t.nodeid)
    finished = finished or now_utc()
    reqs, records = apply_waivers(
        roll_up_requirements(spec, ics, tests), waivers,
        spec_id=spec.id, version=spec.version, product=implementation.name, on=utc_day(finished),
    )
    wrong = misdeclarations(spec, tests)
    classes = decide_classes(spec, ics, reqs, wrong)
    selected = len(tests) if selected is None else selected
    blockers = certification_blockers(
        complete=complete, selected=selected, tests=len(tests),
        examples=thoroughness.examples, minimum_examples=thoroughness.minimum_examples,
        status=spec.status.value, shared_process=implementation.shared_process, suite_origin=suite.origin,
    )
    return Report(
        spec=SpecBinding(
            id=spec.id, version=spec.version, title=spec.title, status=spec.status.value, digest=loaded.digest
        ),
        implementation=implementation,
        ics=ics,
        suite=suite,
        environment=Environment(
            orbitcert=orbitcert_version(),
            python=sys.version.split()[0],
            platform=platform.platform(),
            started=started,
            finished=finished,
            workers=workers,
        ),
        thoroughness=thoroughness,
        complete=complete,
        selected=selected,
        decision=overall_decision(classes, blockers),
        blockers=blockers,
        summary=Summary(
            tests=_count([t.verdict.value for t in tests]),
            requirements=_count([r.verdict.value for r in reqs]),
        ),
        misdeclared=wrong,
        classes=classes,
        requirements=reqs,
        tests=list(tests),
        waivers=records,
    )

"""The certification report: one model, many renderings (DESIGN.md "Reports").

A :class:`Report` binds the spec (id, version, digest), the product identity, its ICS, the suite
version (a digest of the suite files), the environment, every test outcome, every requirement
verdict and every class decision. Its JSON Schema is committed as
``specs/schema/report.schema.json`` and kept identical to this model by a test.
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

from orbitcert.specs.loader import LoadedSpec
from orbitcert.specs.ics import Ics

from .verdicts import (
    ClassResult,
    Decision,
    RequirementResult,
    TestOutcome,
    Verdict,
    decide_classes,
    overall_decision,
    roll_up_requirements,
)

class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SpecBinding(_M):
    id: str
    version: str
    title: str
    status: str
    digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")


class Implementation(_M):
    name: str
    version: str
    supplier: str | None = None
    factory: str | None = Field(default=None, description="module:factory for in-process products.")
    command: str | None = Field(default=None, description="Command line for out-of-process products.")


class SuiteBinding(_M):
    path: str
    digest: str = Field(description="sha256 over the suite's files (names and contents).")


class Environment(_M):
    orbitcert: str
    python: str
    platform: str
    started: str
    finished: str
    workers: int = 1


class IcsRecord(_M):
    """The ICS the product was certified with, as resolved (set-valued items as lists)."""

    spec: str
    classes: list[str]
    items: dict[str, Any]
    product: dict[str, Any] | None = None
    source: str | None = None
    generated: bool = False


class TestRecord(_M):
    __test__ = False  # not a pytest test class
    nodeid: str
    requirements: list[str]
    verdict: Verdict
    duration: float = Field(ge=0)
    message: str = ""


class RequirementRecord(_M):
    id: str
    text: str
    clause: str | None = None
    level: str
    class_: str = Field(alias="class")
    verification: str
    verdict: Verdict
    tests: list[str]
    reason: str = ""
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ClassRecord(_M):
    id: str
    claimed: bool
    decision: Decision
    passed: list[str]
    failed: list[str]
    not_applicable: list[str]
    advisories: list[str]
    evidence_required: list[str]
    reason: str = ""


class Summary(_M):
    tests: dict[str, int]
    requirements: dict[str, int]


class Signature(_M):
    algorithm: Literal["ed25519"] = "ed25519"
    public_key: str = Field(description="Raw Ed25519 public key, base64.")
    key_id: str = Field(description="First 16 hex digits of sha256(public key).")
    value: str = Field(description="Signature of the RFC 8785 form of the report without 'signature', base64.")


class Report(_M):
    format: Literal["orbitcert-report/1"] = "orbitcert-report/1"
    spec: SpecBinding
    implementation: Implementation
    ics: IcsRecord
    suite: SuiteBinding
    environment: Environment
    decision: Decision
    summary: Summary
    classes: list[ClassRecord]
    requirements: list[RequirementRecord]
    tests: list[TestRecord]
    signature: Signature | None = None

    def content(self) -> dict[str, Any]:
        """JSON data of the report without its signature (what is signed)."""
        data = self.model_dump(mode="json", by_alias=True, exclude={"signature"})
        return data


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
    tests: Sequence[TestOutcome],
    implementation: Implementation,
    suite: SuiteBinding,
    started: str,
    finished: str | None = None,
    workers: int = 1,
) -> Report:
    """Roll the test outcomes up and assemble the report (tests sorted by node id)."""
    spec = loaded.spec
    tests = sorted(tests, key=lambda t: t.nodeid)
    reqs: list[RequirementResult] = roll_up_requirements(spec, ics, tests)
    classes: list[ClassResult] = decide_classes(spec, ics, reqs)
    return Report(
        spec=SpecBinding(
            id=spec.id, version=spec.version, title=spec.title, status=spec.status.value, digest=loaded.digest
        ),
        implementation=implementation,
        ics=IcsRecord(**ics.as_dict()),
        suite=suite,
        environment=Environment(
            orbitcert=orbitcert_version(),
            python=sys.version.split()[0],
            platform=platform.platform(),
            started=started,
            finished=finished or now_utc(),
            workers=workers,
        ),
        decision=overall_decision(classes),
        summary=Summary(
            tests=_count([t.verdict.value for t in tests]),
            requirements=_count([r.verdict.value for r in reqs]),
        ),
        classes=[ClassRecord(**c.__dict__) for c in classes],
        requirements=[
            RequirementRecord.model_validate(
                {
                    "id": r.id,
                    "text": spec.requirement(r.id).text,
                    "clause": spec.requirement(r.id).clause,
                    "level": r.level.value,
                    "class": r.class_id,
                    "verification": r.verification.value,
                    "verdict": r.verdict,
                    "tests": r.tests,
                    "reason": r.reason,
                }
            )
            for r in reqs
        ],
        tests=[
            TestRecord(
                nodeid=t.nodeid,
                requirements=list(t.requirements),
                verdict=t.verdict,
                duration=round(t.duration, 6),
                message=t.message,
            )
            for t in tests
        ],
    )

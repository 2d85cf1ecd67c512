"""orbitcert.conformance: the harness that certifies products (docs/architecture.md).

The public API for suite authors, vendors and tools is :data:`__all__`; everything else is
internal. Names load lazily, so ``import orbitcert.conformance.plugin`` (which pytest does in every
run) pulls in neither cryptography, jinja2 nor the report writers.
"""

import typing as _typing

from orbitcert.specs._lazy import lazy_exports as _lazy_exports

if _typing.TYPE_CHECKING:
    from .diff import ReportDiff, diff_reports
    from .interfaces import PROTOCOLS, check_product
    from .options import RunOptions
    from .report import Implementation, Report
    from .results import ClassResult, Decision, RequirementResult, TestResult, Verdict
    from .run import CertificationRun, run_certification
    from .session import CertificationTarget
    from .statistics import EvidenceRecorder, binomial_sample_size, clopper_pearson_upper, poisson_interval, poisson_upper
    from .suite import ics_under_test, refusal, requirement_ids, spec_under_test
    from .timeouts import TestTimeout
    from .verdicts import Inconclusive, inconclusive
    from .verify import verify_report
    from .writers import load_report, write_reports

_EXPORTS = {
    "CertificationRun": "run",
    "CertificationTarget": "session",
    "ClassResult": "results",
    "Decision": "results",
    "EvidenceRecorder": "statistics",
    "Implementation": "report",
    "Inconclusive": "verdicts",
    "PROTOCOLS": "interfaces",
    "Report": "report",
    "ReportDiff": "diff",
    "RequirementResult": "results",
    "RunOptions": "options",
    "TestResult": "results",
    "TestTimeout": "timeouts",
    "Verdict": "results",
    "binomial_sample_size": "statistics",
    "check_product": "interfaces",
    "clopper_pearson_upper": "statistics",
    "diff_reports": "diff",
    "ics_under_test": "suite",
    "inconclusive": "verdicts",
    "load_report": "writers",
    "poisson_interval": "statistics",
    "poisson_upper": "statistics",
    "refusal": "suite",
    "requirement_ids": "suite",
    "run_certification": "run",
    "spec_under_test": "suite",
    "verify_report": "verify",
    "write_reports": "writers",
}

__all__ = [
    "CertificationRun",
    "CertificationTarget",
    "ClassResult",
    "Decision",
    "EvidenceRecorder",
    "Implementation",
    "Inconclusive",
    "PROTOCOLS",
    "Report",
    "ReportDiff",
    "RequirementResult",
    "RunOptions",
    "TestResult",
    "TestTimeout",
    "Verdict",
    "binomial_sample_size",
    "check_product",
    "clopper_pearson_upper",
    "diff_reports",
    "ics_under_test",
    "inconclusive",
    "load_report",
    "poisson_interval",
    "poisson_upper",
    "refusal",
    "requirement_ids",
    "run_certification",
    "spec_under_test",
    "verify_report",
    "write_reports",
]


__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS)

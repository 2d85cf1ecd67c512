"""Publishing: render a spec version as a Markdown page for the documentation site.

``docs/gen_spec_pages.py`` (an mkdocs-gen-files script) calls :func:`render_spec_markdown` for
every version in the catalog, so the site always shows exactly what the catalog holds.
"""

from __future__ import annotations

import json
from typing import Any

from .loader import LoadedSpec


HEX_SUFFIXES = ("polynomial", "seed", "initial")


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_spec_markdown(loaded: LoadedSpec) -> str:
    """One page: header facts, classes, requirements, ICS proforma, parameters, interface."""
    s = loaded.spec
    out = [
        f"# {s.id} {s.version}",
        "",
        f"**{s.title}**",
        "",
        "| | |",
        "|---|---|",
        f"| Status | {s.status.value} |",
        f"| Published | {s.published or '-'} |",
        f"| Supersedes | {s.supersedes or '-'} |",
        f"| Digest | `{loaded.digest}` |",
        f"| Reference | `{s.ref}` |",
        "",
    ]
    if s.references:
        out += ["## Referenced standards", ""]
        out += [f"- **{r.id}**, {r.title}" + (f": {', '.join(r.sections)}" if r.sections else "") for r in s.references]
        out.append("")
    out += ["## Conformance classes", "", "| Class | Kind | Depends on | Description |", "|---|---|---|---|"]
    out += [f"| `{c.id}` {_cell(c.title)} | {c.kind} | {', '.join(c.depends_on) or '-'} | {_cell(c.description)} |" for c in s.classes]
    out += ["", "## Requirements", "", "| Id | Level | Class | Verification | Applies if | Clause | Text |", "|---|---|---|---|---|---|---|"]
    out += [
        f"| `{r.id}` | {r.level.value} | {r.class_} | {r.verification.value} | {_cell(r.applies_if or '-')} | "
        f"{_cell(r.clause or '-')} | {_cell(r.text)} |"
        for r in s.requirements
    ]
    out += ["", "## ICS proforma", "", "| Item | Status | Type | Allowed | Question | Gates |", "|---|---|---|---|---|---|"]
    for i in s.ics:
        allowed = i.values if i.values else (f"{i.minimum}..{i.maximum}" if i.minimum is not None or i.maximum is not None else "-")
        status = i.status.value + (f" ({_cell(i.condition)})" if i.condition else "")
        out.append(
            f"| `{i.id}` | {status} | {i.type.value} | {_cell(allowed)} | {_cell(i.question)} | "
            f"{', '.join(s.gated_requirements(i.id)) or '-'} |"
        )
    out += ["", "## Parameters", "", "| Name | Value | Unit | Clause | Description |", "|---|---|---|---|---|"]
    for name, p in s.parameters.items():
        hexa = isinstance(p.value, int) and not isinstance(p.value, bool) and name.endswith(HEX_SUFFIXES)
        value = f"0x{p.value:X}" if hexa else p.value
        out.append(f"| `{name}` | `{_cell(value)}` | {p.unit or '-'} | {_cell(p.clause or '-')} | {_cell(p.description)} |")
    if s.interface.operations:
        out += ["", "## Test interface", ""]
        for op in s.interface.operations:
            out += [
                f"### `{op.name}` (class {', '.join(f'`{c}`' for c in op.classes)})",
                "",
                op.description,
                "",
                "Arguments:",
                "",
                "```json",
                json.dumps(op.arguments, indent=2),
                "```",
                "",
                "Result:",
                "",
                "```json",
                json.dumps(op.result, indent=2),
                "```",
                "",
            ]
    return "\n".join(out).rstrip() + "\n"

"""JSON Schemas generated from the pydantic models (spec, ICS, report).

The committed files in ``specs/schema/`` must equal :func:`generated_schemas` (a test checks;
``orbitcert specs schema`` rewrites them). They live with the specs so that tools in any language
can validate documents without orbitcert. This module is in ``conformance`` because the report
model is; it only writes data files into ``specs/``, it adds no import arrow from ``specs``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from orbitcert.specs.ics import IcsDocument
from orbitcert.specs.model import Spec

from .bridge.protocol import Message
from .report import Report

BASE_ID = "https://orbitcert.dev/schema/"


def schema_dir() -> Path:
    return Path(str(resources.files("orbitcert.specs") / "schema"))


def _schema(model: type[BaseModel], name: str, title: str) -> str:
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BASE_ID + name,
        **model.model_json_schema(by_alias=True, mode="validation"),
    }
    schema["title"] = title
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def generated_schemas() -> dict[str, str]:
    """File name -> JSON text of every schema."""
    return {
        "spec.schema.json": _schema(Spec, "spec.schema.json", "orbitcert spec version"),
        "ics.schema.json": _schema(IcsDocument, "ics.schema.json", "orbitcert implementation conformance statement"),
        "report.schema.json": _schema(Report, "report.schema.json", "orbitcert certification report"),
        "bridge.schema.json": _schema(Message, "bridge.schema.json", "orbitcert product protocol message (JSON lines)"),
    }


def load_schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((schema_dir() / name).read_text(encoding="utf-8"))
    return data

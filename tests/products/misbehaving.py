"""A product speaking the JSON-lines protocol (the reference, served by hand) that misbehaves in
one way, chosen by argv[1], when asked to encode the all-ones frame at depth 2:

hang, crash (exit 3 mid-run), garbage (a non-protocol line on stdout), wrong-id, flood (a 2 MiB
reply), segfault, or ok. ``bad-hello`` answers hello with garbage; ``silent`` never answers.
"""

from __future__ import annotations

import base64
import ctypes
import json
import os
import sys
import time

from orbitcert.conformance.bridge.server import handle_line
from orbitcert.reference_impl.optical.iut import create
from orbitcert.specs.loader import load_ref

MODE = sys.argv[1] if len(sys.argv) > 1 else "ok"
SPEC = load_ref("net-optical-isl@1.0.0").spec
PRODUCT = create(SPEC)
TRIGGER = base64.b64encode(b"\xff" * 446).decode()


def reply(data: bytes) -> None:
    sys.stdout.buffer.write(data + b"\n")
    sys.stdout.buffer.flush()


for line in sys.stdin.buffer:
    request = json.loads(line)
    if request["op"] == "hello" and MODE == "bad-hello":
        reply(b"Hello! I am a modem.")
        continue
    if MODE == "silent":
        continue
    triggered = request["op"] == "encode" and request["args"].get("frames") == [TRIGGER]
    if triggered:
        print(f"misbehaving: {MODE}", file=sys.stderr, flush=True)
        if MODE == "hang":
            time.sleep(3600)
        elif MODE == "crash":
            os._exit(3)
        elif MODE == "segfault":
            ctypes.string_at(0)
        elif MODE == "garbage":
            reply(b"DEBUG: encoding 446 octets")
            continue
        elif MODE == "wrong-id":
            reply(json.dumps({"id": request["id"] + 7, "result": ""}).encode())
            continue
        elif MODE == "flood":
            reply(json.dumps({"id": request["id"], "result": "A" * (2 * 1024 * 1024)}).encode())
            continue
    answer = handle_line(PRODUCT, SPEC, line, "misbehaving-" + MODE)
    if answer is not None:
        reply(json.dumps(answer).encode())

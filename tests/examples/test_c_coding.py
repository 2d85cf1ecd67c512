"""The C example product of examples/c-coding (net-optical-isl, class ``coding``), driven over
orbitcert's JSON-lines protocol and checked against the Python reference implementation.

The product is built once per session with ``make -C examples/c-coding``; the module is skipped
when ``cc`` or ``make`` is missing. Every random source is seeded.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from orbitcert.reference_impl.optical import coding as ref

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "c-coding"
PRODUCT = EXAMPLE / "product"
VECTORS = ROOT / "conformance" / "suites" / "net-optical-isl" / "vectors_rs_i5.txt"
ASM = bytes.fromhex("1ACFFC1D")
DEPTHS = (1, 2, 3, 4, 5, 8)
PN_START = bytes.fromhex("FF480EC09A0D70BC8E2C93ADA7B746CE5A977DCC32A2BF3E0A10F18894CDEAB1")
TIMEOUT = 20.0

pytestmark = pytest.mark.skipif(
    shutil.which("cc") is None or shutil.which("make") is None,
    reason="the C example needs a C compiler (cc) and make, which are not installed",
)


# --- the product over the protocol ----------------------------------------------------------------


class Product:
    """One running product: JSON-lines requests on stdin, replies on stdout (with deadlines)."""

    def __init__(self) -> None:
        self.stderr = tempfile.TemporaryFile()  # diagnostics: a file, so they can never block the product
        self.proc = subprocess.Popen([str(PRODUCT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr)
        self.buffer = b""
        self.next_id = 0

    def send_raw(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def read_line(self, timeout: float = TIMEOUT) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(remaining, 0))
            if not ready:
                raise AssertionError(f"no reply within {timeout} s")
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise AssertionError(f"the product closed stdout (exit {self.proc.poll()}): {self.stderr_tail()}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line

    def reply(self) -> dict[str, Any]:
        line = self.read_line()
        msg = json.loads(line.decode("utf-8"))  # stdout carries protocol lines only
        assert isinstance(msg, dict) and isinstance(msg.get("id"), int), line[:200]
        assert ("result" in msg) != ("error" in msg), line[:200]
        return msg

    def request(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        rid = self.next_id
        self.send_raw(json.dumps({"id": rid, "op": op, "args": args}, separators=(",", ":")).encode() + b"\n")
        msg = self.reply()
        assert msg["id"] == rid
        return msg

    def call(self, op: str, **args: Any) -> Any:
        msg = self.request(op, args)
        assert "result" in msg, f"{op} failed: {msg['error']}"
        return msg["result"]

    def encode(self, frames: list[bytes], interleave: int, randomize: bool | None = True) -> bytes:
        args: dict[str, Any] = {"frames": [base64.b64encode(f).decode() for f in frames], "interleave": interleave}
        if randomize is not None:
            args["randomize"] = randomize
        return base64.b64decode(self.call("encode", **args), validate=True)

    def decode(
        self, stream: bytes, frame_length: int, interleave: int, randomize: bool = True
    ) -> list[tuple[bytes | None, int]]:
        result = self.call(
            "decode",
            stream=base64.b64encode(stream).decode(),
            frame_length=frame_length,
            interleave=interleave,
            randomize=randomize,
        )
        out = []
        for item in result:
            assert set(item) == {"data", "corrected"}
            data = None if item["data"] is None else base64.b64decode(item["data"], validate=True)
            if data is None:
                assert item["corrected"] == 0, "an uncorrectable codeblock reports 0 corrected symbols"
            out.append((data, item["corrected"]))
        return out

    def stderr_tail(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()[-2000:].decode("utf-8", "replace")

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        code = self.proc.wait(timeout=TIMEOUT)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.stderr.close()
        return code


@pytest.fixture(scope="session")
def built() -> Path:
    # Two xdist workers may get here at once: make is run under a lock on the example folder.
    with open(EXAMPLE / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run(["make", "-C", str(EXAMPLE)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"make failed:\n{done.stdout}\n{done.stderr}"
    assert PRODUCT.is_file()
    return PRODUCT


@pytest.fixture(scope="module")
def product(built: Path) -> Any:
    p = Product()
    p.send_raw(b'{"id": 0, "op": "hello", "args": {}}\n')
    hello = p.reply()
    assert hello == {
        "id": 0,
        "result": {
            "name": "c-coding-example",
            "version": "1.0.0",
            "supplier": "orbitcert examples",
            "operations": ["encode", "decode"],
        },
    }
    yield p
    assert p.close() == 0


# --- helpers -----------------------------------------------------------------------------------------


def frames_for(rng: np.random.Generator, interleave: int, n: int, info: int = 223) -> list[bytes]:
    return [rng.integers(0, 256, info * interleave, dtype=np.uint8).tobytes() for _ in range(n)]


def with_errors(rng: np.random.Generator, cadu: bytes, interleave: int, counts: list[int]) -> bytes:
    """``cadu`` with counts[k] random symbol errors (distinct positions, non-zero values) in codeword k."""
    out = bytearray(cadu)
    nn = (len(cadu) - len(ASM)) // interleave
    for k, count in enumerate(counts):
        for j in rng.choice(nn, size=count, replace=False):
            out[len(ASM) + int(j) * interleave + k] ^= int(rng.integers(1, 256))
    return bytes(out)


def reference_decode(
    stream: bytes, frame_length: int, interleave: int, randomize: bool
) -> list[tuple[bytes | None, int]]:
    return [(r.data, r.corrected) for r in ref.decode_cadus(stream, frame_length, interleave, randomize)]


def assert_same_as_reference(got: list[tuple[bytes | None, int]], expected: list[tuple[bytes | None, int]]) -> None:
    """Same codeblocks, same data; same corrected count for delivered ones (for an uncorrectable
    codeblock the reference counts the correctable codewords, the product reports 0)."""
    assert [d for d, _ in got] == [d for d, _ in expected]
    assert [c for d, c in got if d is not None] == [c for d, c in expected if d is not None]


def no_marker_garbage(rng: np.random.Generator, size: int) -> bytes:
    """Random octets without 0x1A, so no marker lies in them or straddles their edges."""
    g = rng.integers(0, 256, size, dtype=np.uint8)
    g[g == 0x1A] = 0x1B
    return g.tobytes()


# --- transmit side --------------------------------------------------------------------------------------


@pytest.mark.parametrize("interleave", DEPTHS)
def test_encode_matches_reference(product: Product, interleave: int) -> None:
    rng = np.random.default_rng(100 + interleave)
    frames = frames_for(rng, interleave, 4)
    for randomize in (True, False):
        assert product.encode(frames, interleave, randomize) == ref.encode_cadus(frames, interleave, randomize)
    assert product.encode(frames, interleave, None) == ref.encode_cadus(frames, interleave, True), (
        "randomize defaults to true"
    )
    ones = product.encode([b"\xff" * (223 * interleave)], interleave, False)
    assert ones == ASM + b"\xff" * (255 * interleave)


@pytest.mark.parametrize("interleave", DEPTHS)
def test_shortened_codeblocks(product: Product, interleave: int) -> None:
    rng = np.random.default_rng(200 + interleave)
    for info in (1, 2, 17, 100, 222, 223):
        frames = frames_for(rng, interleave, 2, info)
        for randomize in (False, True):
            out = product.encode(frames, interleave, randomize)
            assert len(out) == 2 * (4 + (info + 32) * interleave), "virtual fill must not be transmitted"
            assert out == ref.encode_cadus(frames, interleave, randomize)


def test_published_vector_i5(product: Product) -> None:
    values = dict(
        line.split("=", 1) for line in VECTORS.read_text().splitlines() if "=" in line and not line.startswith("#")
    )
    frame, expected = bytes.fromhex(values["testFrame"].strip()), bytes.fromhex(values["encodedTestFrame"].strip())
    out = product.encode([frame], 5, False)
    assert out == ASM + expected


def test_randomizer_sequence(product: Product) -> None:
    out = product.encode([bytes(223 * 8)], 8, True)
    assert out[:4] == ASM, "the marker is not randomized"
    assert out[4 : 4 + len(PN_START)] == PN_START
    assert out[4:] == ref.randomize(bytes(255 * 8))


def test_encode_empty_list(product: Product) -> None:
    assert product.encode([], 1) == b""


# --- receive side: Reed-Solomon ----------------------------------------------------------------------------


@pytest.mark.parametrize("interleave", DEPTHS)
def test_decode_clean_streams(product: Product, interleave: int) -> None:
    rng = np.random.default_rng(300 + interleave)
    for info in (223, 50):
        frames = frames_for(rng, interleave, 3, info)
        for randomize in (True, False):
            stream = ref.encode_cadus(frames, interleave, randomize)
            assert product.decode(stream, len(frames[0]), interleave, randomize) == [(f, 0) for f in frames]


@pytest.mark.parametrize("interleave", DEPTHS)
def test_corrects_up_to_16_errors_per_codeword(product: Product, interleave: int) -> None:
    rng = np.random.default_rng(400 + interleave)
    for trial in range(16):
        randomize = trial % 2 == 0
        info = 223 if trial < 10 else int(rng.integers(1, 223))
        frame = frames_for(rng, interleave, 1, info)[0]
        cadu = ref.encode_cadus([frame], interleave, randomize)
        counts = [16] * interleave if trial == 0 else [int(c) for c in rng.integers(0, 17, interleave)]
        stream = with_errors(rng, cadu, interleave, counts)
        got = product.decode(stream, len(frame), interleave, randomize)
        assert got == [(frame, sum(counts))], f"trial {trial}: {counts} errors"
        assert_same_as_reference(got, reference_decode(stream, len(frame), interleave, randomize))


@pytest.mark.parametrize("interleave", DEPTHS)
def test_more_than_16_errors(product: Product, interleave: int) -> None:
    rng = np.random.default_rng(500 + interleave)
    flagged = 0
    for trial in range(16):
        randomize = trial % 2 == 1
        info = 223 if trial < 12 else int(rng.integers(5, 223))
        frame = frames_for(rng, interleave, 1, info)[0]
        cadu = ref.encode_cadus([frame], interleave, randomize)
        nn = info + 32
        counts = [0] * interleave
        counts[int(rng.integers(0, interleave))] = int(rng.integers(17, min(40, nn) + 1))
        stream = with_errors(rng, cadu, interleave, counts)
        got = product.decode(stream, len(frame), interleave, randomize)
        assert len(got) == 1
        flagged += got[0][0] is None
        assert_same_as_reference(got, reference_decode(stream, len(frame), interleave, randomize))
    assert flagged >= 12, "beyond E errors the bounded-distance decoder flags nearly every codeblock"


def test_decode_many_errors_many_blocks(product: Product) -> None:
    """A batch mixing clean, correctable and uncorrectable codeblocks, all depths."""
    rng = np.random.default_rng(600)
    for interleave in DEPTHS:
        frames = frames_for(rng, interleave, 6)
        stream = b""
        for i, f in enumerate(frames):
            cadu = ref.encode_cadus([f], interleave, True)
            counts = [int(rng.integers(0, 17)) if i % 3 else int(rng.integers(14, 24)) for _ in range(interleave)]
            stream += with_errors(rng, cadu, interleave, counts)
        got = product.decode(stream, len(frames[0]), interleave, True)
        assert len(got) == 6
        assert_same_as_reference(got, reference_decode(stream, len(frames[0]), interleave, True))


# --- receive side: frame synchronization -------------------------------------------------------------------


@pytest.mark.parametrize("interleave", DEPTHS)
def test_garbage_prefix_gap_slip_marker_errors(product: Product, interleave: int) -> None:
    rng = np.random.default_rng(700 + interleave)
    randomize = interleave % 2 == 0
    frames = frames_for(rng, interleave, 4)
    length = len(frames[0])
    stream = ref.encode_cadus(frames, interleave, randomize)
    cadu = len(stream) // 4

    def check(s: bytes, expected_frames: list[bytes] | None) -> None:
        got = product.decode(s, length, interleave, randomize)
        assert_same_as_reference(got, reference_decode(s, length, interleave, randomize))
        if expected_frames is not None:
            assert [d for d, _ in got if d is not None] == expected_frames

    for size in (0, 1, 3, 4, 5, 100, 2 * cadu):  # garbage prefix
        check(no_marker_garbage(rng, size) + stream, frames)
    for size in (1, 7, 300, 600):  # gap between CADUs 1 and 2
        check(stream[: 2 * cadu] + no_marker_garbage(rng, size) + stream[2 * cadu :], frames)
    for slip in (1, 7, 100):  # octets lost inside CADU 1
        cut = cadu + 50
        s = stream[:cut] + stream[cut + slip :]
        got = product.decode(s, length, interleave, randomize)
        good = [d for d, _ in got if d is not None]
        assert good[:1] == frames[:1] and good[-2:] == frames[2:]
        check(s, None)
    for bits in ((0x10,), (0x01, 0x80), (0x07,)):  # 1, 2, 3 bit errors in the second marker
        s = bytearray(stream)
        for i, mask in enumerate(bits):
            s[cadu + 2 + i] ^= mask
        flipped = sum(bin(m).count("1") for m in bits)
        # Within the lock tolerance (2 bits) every codeblock is kept; at 3 bits the first marker
        # is not confirmed either, and lock is acquired at CADU 2 (as the reference does).
        check(bytes(s), frames if flipped <= 2 else frames[2:])
    check(stream[: 3 * cadu + 10], frames[:3])  # a truncated final codeblock is not delivered
    check(stream[: 3 * cadu + 4], frames[:3])
    check(b"", [])
    check(stream[:3], [])


def test_sync_fuzz_against_reference(product: Product) -> None:
    """Random cuts, insertions, duplications and marker bit flips: identical output to the reference."""
    rng = np.random.default_rng(800)
    for trial in range(300):
        interleave = DEPTHS[trial % len(DEPTHS)]
        randomize = bool(trial % 2)
        info = 223 if trial % 3 else int(rng.integers(1, 60))
        frames = frames_for(rng, interleave, 5, info)
        s = bytearray(ref.encode_cadus(frames, interleave, randomize))
        cadu = len(s) // 5
        for _ in range(int(rng.integers(1, 5))):
            op = int(rng.integers(0, 5))
            at = int(rng.integers(0, len(s) + 1))
            if op == 0:  # delete
                del s[at : at + int(rng.integers(1, cadu))]
            elif op == 1:  # insert random octets (markers possible)
                s[at:at] = rng.integers(0, 256, int(rng.integers(1, 200)), dtype=np.uint8).tobytes()
            elif op == 2:  # duplicate a piece
                piece = bytes(s[at : at + int(rng.integers(1, 2 * cadu))])
                s[at:at] = piece
            elif op == 3 and len(s) >= cadu:  # flip bits of one marker
                m = int(rng.integers(0, len(s) // cadu)) * cadu
                for _ in range(int(rng.integers(1, 4))):
                    s[m + int(rng.integers(0, 4))] ^= 1 << int(rng.integers(0, 8))
            else:  # insert an isolated marker
                s[at:at] = ASM
        stream = bytes(s)
        got = product.decode(stream, len(frames[0]), interleave, randomize)
        assert_same_as_reference(got, reference_decode(stream, len(frames[0]), interleave, randomize))


# --- protocol robustness ----------------------------------------------------------------------------------------


def error_of(msg: dict[str, Any]) -> str:
    assert "error" in msg, msg
    assert isinstance(msg["error"].get("message"), str)
    return str(msg["error"]["type"])


def test_argument_errors(product: Product) -> None:
    f = base64.b64encode(bytes(223)).decode()
    bad: list[tuple[str, dict[str, Any]]] = [
        ("encode", {"frames": [f], "interleave": 6}),
        ("encode", {"frames": [f], "interleave": 2}),  # 223 is not a multiple of 2
        ("encode", {"frames": [base64.b64encode(bytes(224)).decode()], "interleave": 1}),
        ("encode", {"frames": [""], "interleave": 1}),
        ("encode", {"frames": [f, base64.b64encode(bytes(222)).decode()], "interleave": 1}),
        ("encode", {"frames": ["@@@@"], "interleave": 1}),
        ("encode", {"frames": ["AAA"], "interleave": 1}),
        ("encode", {"frames": [f], "interleave": 1, "randomize": 1}),
        ("encode", {"frames": [f], "interleave": True}),
        ("encode", {"frames": [f], "interleave": 1.0}),
        ("encode", {"frames": f, "interleave": 1}),
        ("encode", {"frames": [3], "interleave": 1}),
        ("encode", {"interleave": 1}),
        ("encode", {"frames": [f]}),
        ("encode", {"frames": [f], "interleave": 1, "extra": 0}),
        ("decode", {"stream": "", "frame_length": 0, "interleave": 1}),
        ("decode", {"stream": "", "frame_length": 224, "interleave": 1}),
        ("decode", {"stream": "", "frame_length": 10, "interleave": 4}),
        ("decode", {"stream": "", "frame_length": 2**70, "interleave": 1}),
        ("decode", {"stream": "", "frame_length": -8, "interleave": 8}),
        ("decode", {"stream": "A===", "frame_length": 223, "interleave": 1}),
        ("decode", {"stream": None, "frame_length": 223, "interleave": 1}),
        ("decode", {"frame_length": 223, "interleave": 1}),
        ("decode", {"stream": "", "frame_length": 223, "interleave": 1, "randomize": "yes"}),
    ]
    for op, args in bad:
        assert error_of(product.request(op, args)) == "ValueError", (op, args)
    assert error_of(product.request("frobnicate", {})) == "NotImplemented"
    assert error_of(product.request("", {})) == "NotImplemented"
    assert product.call("decode", stream="", frame_length=223, interleave=1) == []
    assert (
        product.call("decode", stream=base64.b64encode(b"\x00" * 5000).decode(), frame_length=223, interleave=1) == []
    )


def test_json_escapes_and_layout(product: Product) -> None:
    """Valid JSON in other spellings: escapes, whitespace, key order, duplicate keys (last wins)."""
    frame = bytes(range(223))
    b64 = base64.b64encode(frame).decode()
    escaped_b64 = "".join(f"\\u{ord(c):04x}" if i % 7 == 0 else c for i, c in enumerate(b64))
    line = (
        '  { "args" : { "interleave" : 2, "interleave": 1, "randomize" : false, "frames" : [ "'
        + escaped_b64
        + '" ] } ,\t"op" : "\\u0065nc\\u006fde", "x": [1, 2.5e3, {"y": null}, "\\ud83d\\ude00\\n"], "id" : 41 }  \r\n'
    )
    product.send_raw(line.encode())
    msg = product.reply()
    assert msg["id"] == 41
    assert base64.b64decode(msg["result"]) == ref.encode_cadus([frame], 1, False)
    product.send_raw('{"id": 42, "op": "hell\\u00f6", "args": {}}\n'.encode())
    msg = product.reply()
    assert msg["id"] == 42 and error_of(msg) == "NotImplemented"
    product.send_raw(b'{"id":43,"op":"hello"}\n')  # args omitted: taken as {}
    assert product.reply()["id"] == 43


def hello_after(product: Product, garbage: bytes, marker_id: int, results_ok: bool = False) -> list[dict[str, Any]]:
    """Send garbage (then a newline) and a hello; return the replies seen before the hello's
    (errors only, unless ``results_ok``: a mutated request may still be a valid one)."""
    product.send_raw(garbage + b"\n" + json.dumps({"id": marker_id, "op": "hello", "args": {}}).encode() + b"\n")
    seen: list[dict[str, Any]] = []
    while True:
        msg = product.reply()
        if msg["id"] == marker_id and "result" in msg:
            assert msg["result"]["name"] == "c-coding-example"
            return seen
        assert results_ok or "error" in msg, msg
        seen.append(msg)


def test_malformed_lines(product: Product) -> None:
    cases: list[tuple[bytes, int | None]] = [
        (b"", None),
        (b"   ", None),
        (b"not json", None),
        (b"{", None),
        (b"}", None),
        (b"[]", None),
        (b"[1, 2, 3]", None),
        (b"null", None),
        (b'"id"', None),
        (b'{"op": "hello", "args": {}}', None),
        (b'{"id": "7", "op": "hello"}', None),
        (b'{"id": 1.5, "op": "hello"}', None),
        (b'{"id": 70, "op": "hello", "args": {}', 70),  # truncated
        (b'{"id": 71, "op": 5, "args": {}}', 71),
        (b'{"id": 72, "op": "hello", "args": []}', 72),
        (b'{"id": 73, "op": "hello", "args": {}} trailing', 73),
        (b'{"id": 74, "op": "hel\x00lo", "args": {}}', 74),  # raw control character in a string
        (b'{"id": 75, "op": "\xff\xfe", "args": {}}', 75),  # invalid UTF-8
        (b'{"id": 76, "op": "\\x", "args": {}}', 76),  # bad escape
        (b'{"id": 77, "op": "\\u12", "args": {}}', 77),  # truncated \u escape
        (b'{"id": 78, "op": "encode", "args": {"a": 1e999999, "b": -0.0, "c": 123456789012345678901234567890}}', 78),
        (b'{"id": 79, "op": "hello", "args": {"a": 01}}', 79),
        (b'{"id": 80, "op": "encode", "args": {"frames": [' + b"[" * 100000 + b"]" * 100000 + b"]}}", 80),
        (
            b'{"id": 81, "op": "decode", "args": {"stream": "'
            + b"A" * 3
            + b'", "frame_length": 223, "interleave": 1}}',
            81,
        ),
        (b'{"id": 82, "op": "encode", "args": {"\\ud800": "\\udc00\\ud800x"}}', 82),  # lone surrogates: parsed
        (b'{"id": 99999999999999999999999, "op": "hello"}', None),
        (b"\x00\x01\x02\xff" * 50, None),
        (b'"\\', None),
        (b"[" * 200000, None),
    ]
    marker = 1000
    for garbage, reply_id in cases:
        marker += 1
        seen = hello_after(product, garbage, marker)
        if reply_id is None:
            assert seen == [], (garbage[:60], seen)
        else:
            assert [m["id"] for m in seen] == [reply_id], (garbage[:60], seen)

    # Truncations of a valid request: an error carrying the id whenever the id was complete.
    valid = json.dumps(
        {
            "id": 5,
            "op": "encode",
            "args": {"frames": [base64.b64encode(bytes(223)).decode()], "interleave": 1, "randomize": True},
        }
    ).encode()
    rng = np.random.default_rng(900)
    for cut in sorted(
        {1, 2, 5, 8, 9, 10, 11, 20, len(valid) - 2, len(valid) - 1, *rng.integers(1, len(valid), 20).tolist()}
    ):
        marker += 1
        seen = hello_after(product, valid[:cut], marker)
        assert all(m["id"] == 5 for m in seen) and len(seen) <= 1

    # Random garbage, and valid requests with random octets changed.
    for trial in range(150):
        marker += 1
        if trial % 2:
            garbage = rng.integers(0, 256, int(rng.integers(1, 3000)), dtype=np.uint8).tobytes()
        else:
            g = bytearray(valid)
            for _ in range(int(rng.integers(1, 6))):
                g[int(rng.integers(0, len(g)))] = int(rng.integers(0, 256))
            garbage = bytes(g)
        hello_after(product, garbage, marker, results_ok=True)


def test_eof_exits_zero(built: Path) -> None:
    p = Product()
    p.send_raw(b'{"id": 0, "op": "hello", "args": {}}\n')
    assert p.reply()["id"] == 0
    assert p.close() == 0
    p = Product()
    p.send_raw(b'{"id": 0, "op": "hel')  # EOF inside a line
    assert p.close() == 0
    p = Product()
    assert p.close() == 0  # EOF before any request


def test_large_batch(product: Product) -> None:
    """About 1 MB of frames through encode and decode (I = 8, randomized), identical to the reference."""
    rng = np.random.default_rng(1000)
    frames = frames_for(rng, 8, 560)
    stream = product.encode(frames, 8, True)
    assert stream == ref.encode_cadus(frames, 8, True)
    noisy = bytearray(stream)
    cadu = len(stream) // len(frames)
    for i in range(0, len(frames), 7):
        noisy[i * cadu + 4 : (i + 1) * cadu] = with_errors(rng, stream[i * cadu : (i + 1) * cadu], 8, [10] * 8)[4:]
    got = product.decode(bytes(noisy), len(frames[0]), 8, True)
    assert [d for d, _ in got] == frames
    assert [c for _, c in got] == [80 if i % 7 == 0 else 0 for i in range(len(frames))]


# --- certified through the bridge ------------------------------------------------------------------


def test_the_c_product_is_certified_through_the_bridge(built: Path, tmp_path: Path) -> None:
    """The C product's own test is the conformance suite: certified with its ICS over the bridge."""
    from orbitcert.conformance import run_certification
    from orbitcert.conformance.options import RunOptions
    from orbitcert.conformance.session import CertificationTarget

    target = CertificationTarget.resolve(
        "net-optical-isl@1.0.0", command=str(PRODUCT), ics_path=EXAMPLE / "ics.yaml"
    )
    report = run_certification(target, RunOptions.create(out=tmp_path, examples=25, formats="json")).report
    assert report.decision.value == "certified", [(q.id, q.reason) for q in report.not_passed()]
    assert (report.implementation.name, report.implementation.command) == ("c-coding-example", str(PRODUCT))
    assert not report.implementation.shared_process

"""Deliberately broken products: each must NOT be certified, and the report must name why.

Importable as ``broken_impls:<factory>`` when ``tests/`` is on ``sys.path`` (the certify tests
run from that directory). Each wraps the reference and breaks one thing a real product gets wrong.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orbitcert.reference_impl.optical import coding
from orbitcert.reference_impl.optical.iut import ReferenceOpticalLink

# Conventional -> dual basis rows for conventional bits 7..0 (public constants of CCSDS 131.0-B
# Annex F as tabulated by P. Karn); used here only to build a wrong (conventional) encoder.
_TAL = (0x8D, 0xEF, 0xEC, 0x86, 0xFA, 0x99, 0xAF, 0x7B)


def _conv_to_dual(x: int) -> int:
    out = 0
    for i in range(8):
        if x & (0x80 >> i):
            out ^= _TAL[i]
    return out


_C2D = bytes(_conv_to_dual(x) for x in range(256))
_D2C = bytes(_C2D.index(x) for x in range(256))


class WrongRandomizerSeed(ReferenceOpticalLink):
    """Resets the randomizer to 0x7F instead of all ones (sequence shifted)."""

    name = "broken-randomizer-seed"

    def encode(self, frames: Sequence[bytes], interleave: int, randomize: bool = True) -> bytes:
        plain = super().encode(frames, interleave, False)
        if not randomize:
            return plain
        seq = coding.randomize(bytes(255 * interleave))
        wrong = seq[1:] + seq[:1]  # the sequence of another seed: off by one step
        cadu = 4 + 255 * interleave
        out = bytearray(plain)
        for start in range(0, len(out), cadu):
            for j in range(255 * interleave):
                out[start + 4 + j] ^= wrong[j]
        return bytes(out)


class ConventionalBasis(ReferenceOpticalLink):
    """Encodes with conventional (alpha-basis) symbols instead of the Berlekamp dual basis."""

    name = "broken-conventional-basis"

    def encode(self, frames: Sequence[bytes], interleave: int, randomize: bool = True) -> bytes:
        as_dual = [f.translate(_C2D) for f in frames]
        dual_stream = super().encode(as_dual, interleave, False)
        cadu = 4 + 255 * interleave
        out = bytearray()
        for start in range(0, len(dual_stream), cadu):
            block = dual_stream[start + 4 : start + cadu].translate(_D2C)
            out += dual_stream[start : start + 4] + (coding.randomize(block) if randomize else block)
        return bytes(out)


class MiscorrectingDecoder(ReferenceOpticalLink):
    """Returns the received (uncorrected) data, claiming success, when it cannot correct."""

    name = "broken-miscorrecting-decoder"

    def decode(self, stream: bytes, frame_length: int, interleave: int, randomize: bool = True) -> list[dict[str, Any]]:
        results = super().decode(stream, frame_length, interleave, randomize)
        offsets, _ = coding.find_codeblocks(stream, frame_length + 32 * interleave)
        for r, off in zip(results, offsets, strict=False):
            if r["data"] is None:
                block = stream[off : off + frame_length]
                r["data"] = coding.randomize(block) if randomize else block
                r["corrected"] = 0
        return results


class CrashesOnAllOnes(ReferenceOpticalLink):
    """Kills its own process when asked to encode the all-0xFF frame at depth 8."""

    name = "broken-crashes"
    version = "6.6.6"

    def encode(self, frames: Sequence[bytes], interleave: int, randomize: bool = True) -> bytes:
        if interleave == 8 and list(frames) == [b"\xff" * (223 * 8)]:
            os._exit(3)
        return super().encode(frames, interleave, randomize)


def crashes() -> CrashesOnAllOnes:
    return CrashesOnAllOnes()


def wrong_seed() -> WrongRandomizerSeed:
    return WrongRandomizerSeed()


def conventional() -> ConventionalBasis:
    return ConventionalBasis()


def miscorrecting() -> MiscorrectingDecoder:
    return MiscorrectingDecoder()


def explodes() -> Any:
    raise RuntimeError("factory failed")


class NoDecoder:
    """Implements only half of the coding interface."""

    name = "broken-no-decoder"

    def encode(self, frames: Sequence[bytes], interleave: int, randomize: bool = True) -> bytes:
        return coding.encode_cadus(frames, interleave, randomize)


def no_decoder() -> NoDecoder:
    return NoDecoder()


class EncodeTakesNoArguments(ReferenceOpticalLink):
    """``encode`` cannot take the interface's arguments."""

    def encode(self) -> bytes:  # type: ignore[override]
        return b""


def encode_takes_no_arguments() -> EncodeTakesNoArguments:
    return EncodeTakesNoArguments()


# --- adversaries: products that misbehave towards the harness (run integrity) -----------------


class InputEater(ReferenceOpticalLink):
    """Empties the caller's list of frames and returns nothing: certified when the suite compared
    with its own (emptied) list."""

    name = "broken-input-eater"

    def encode(self, frames: Any, interleave: int, randomize: bool = True) -> bytes:
        if isinstance(frames, list):
            frames.clear()
        return b""


class NoisyButCorrect(ReferenceOpticalLink):
    """Correct results, but everything around them is hostile: it consumes its input list, floods
    its output, lowers the recursion limit, leaves a non-daemon thread running and has a ``name``
    that raises. None of it may cost it its certification or stall the run."""

    version = "1.0.0"

    def __init__(self) -> None:
        super().__init__()
        threading.Thread(target=time.sleep, args=(3600,), name="stray", daemon=False).start()

    @property
    def name(self) -> str:  # type: ignore[override]
        raise RuntimeError("no name for you")

    def encode(self, frames: Any, interleave: int, randomize: bool = True) -> bytes:
        own = [frames.pop(0) for _ in range(len(frames))] if isinstance(frames, list) else list(frames)
        sys.stdout.write("x" * 2_000_000 + "\n")
        sys.setrecursionlimit(200)
        return super().encode(own, interleave, randomize)


class EndsTheRun(ReferenceOpticalLink):
    """Tries to end the run from three tests: KeyboardInterrupt, pytest.exit and os._exit(0)."""

    name = "broken-ends-the-run"

    def encode(self, frames: Any, interleave: int, randomize: bool = True) -> bytes:
        if list(frames) == [b"\xff" * (223 * interleave)]:
            if interleave == 2:
                raise KeyboardInterrupt
            if interleave == 3:
                import pytest

                pytest.exit("bye", returncode=0)
            if interleave == 4:
                os._exit(0)
        return super().encode(frames, interleave, randomize)


class Hangs(ReferenceOpticalLink):
    """Hangs three ways: inside a hypothesis property test (I=2 decode of one CADU), swallowing
    the harness's timeout (I=3 all-ones encode) and cancelling its timer (I=4 all-ones encode)."""

    name = "broken-hangs"

    def encode(self, frames: Any, interleave: int, randomize: bool = True) -> bytes:
        if list(frames) == [b"\xff" * (223 * interleave)]:
            if interleave == 3:
                while True:
                    try:
                        time.sleep(60)
                    except BaseException:  # noqa: BLE001 - on purpose
                        pass
            if interleave == 4:
                signal.setitimer(signal.ITIMER_REAL, 0)
                time.sleep(3600)
        return super().encode(frames, interleave, randomize)

    def decode(self, stream: bytes, frame_length: int, interleave: int, randomize: bool = True) -> list[dict[str, Any]]:
        if interleave == 2 and len(stream) == 4 + 255 * 2:
            time.sleep(3600)
        return super().decode(stream, frame_length, interleave, randomize)


def input_eater() -> InputEater:
    return InputEater()


def noisy_but_correct() -> NoisyButCorrect:
    return NoisyButCorrect()


def ends_the_run() -> EndsTheRun:
    return EndsTheRun()


def hangs() -> Hangs:
    return Hangs()


def factory_hangs() -> Any:
    time.sleep(3600)


class SlowProduct(ReferenceOpticalLink):
    """Takes a second per call: a run long enough to interrupt."""

    def encode(self, frames: Any, interleave: int, randomize: bool = True) -> bytes:
        started = os.environ.get("ORBITCERT_TEST_STARTED")
        if started:  # tells a test that the run is under way (tests are running, not collecting)
            Path(started).touch()
        time.sleep(1)
        return super().encode(frames, interleave, randomize)


def slow() -> SlowProduct:
    return SlowProduct()


class DepthFiveOnly(ReferenceOpticalLink):
    """Honestly implements only depth 5, without the randomizer or shortened codeblocks (its ICS
    says so): the probes find nothing declared unsupported that it implements."""

    name = "depth-five-modem"

    def encode(self, frames: Any, interleave: int, randomize: bool = True) -> bytes:
        if interleave != 5 or randomize or any(len(f) != 1115 for f in frames):
            raise ValueError("this modem only does I=5, unrandomized, full codeblocks")
        return super().encode(frames, interleave, randomize)

    def decode(self, stream: bytes, frame_length: int, interleave: int, randomize: bool = True) -> list[dict[str, Any]]:
        if interleave != 5 or randomize:
            raise ValueError("this modem only does I=5, unrandomized")
        return super().decode(stream, frame_length, interleave, randomize)


def depth_five_only() -> DepthFiveOnly:
    return DepthFiveOnly()


class RewritesTheHarness(ConventionalBasis):
    """An attacker: a wrong (conventional-basis) encoder that, when created, rewrites the harness
    and the reference in its own process so that every verdict would be a pass and the reference
    would agree with it. Isolated behind the bridge, it rewrites only its own copy."""

    name = "broken-rewrites-the-harness"

    def __init__(self) -> None:
        super().__init__()
        import orbitcert.conformance.recorder as recorder
        from orbitcert.conformance.results import Verdict

        def always_pass(when: str, *args: Any, **kwargs: Any) -> tuple[Verdict, str]:
            return (Verdict.passed if when == "call" else Verdict.none), ""

        recorder.phase_verdict = always_pass  # type: ignore[assignment]
        coding.encode_cadus = lambda frames, interleave, randomize=True, params=None: self.encode(  # type: ignore[assignment]
            list(frames), interleave, randomize
        )


def rewrites_the_harness() -> RewritesTheHarness:
    return RewritesTheHarness()


class MemoryHog(ReferenceOpticalLink):
    """Asks for 4 GiB on every encode of the all-ones frame at depth 2."""

    def encode(self, frames: Any, interleave: int, randomize: bool = True) -> bytes:
        if interleave == 2 and list(frames) == [b"\xff" * 446]:
            hog = bytearray(4 * 1024**3)
            return bytes(hog[:1])
        return super().encode(frames, interleave, randomize)


def memory_hog() -> MemoryHog:
    return MemoryHog()


def seed_snoop() -> ReferenceOpticalLink:
    """The reference, after writing what it can see of its ancestors (environment, command lines,
    environments) to ``$ORBITCERT_SNOOP_FILE``: a product looking for the run's seed."""
    seen = [repr(dict(os.environ))]
    pid = os.getppid()
    while pid > 1:
        for part in ("cmdline", "environ"):
            try:
                seen.append(Path(f"/proc/{pid}/{part}").read_bytes().decode("utf-8", "replace"))
            except OSError:
                pass
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    Path(os.environ["ORBITCERT_SNOOP_FILE"]).write_text("\n".join(seen))
    return ReferenceOpticalLink()

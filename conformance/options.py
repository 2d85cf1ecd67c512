"""Run options, validated once for the CLI and the pytest plugin alike.

``orbitcert certify --timeout 5 --format html`` and ``pytest --orbitcert-timeout 5
--orbitcert-format html`` build the same :class:`RunOptions` through :meth:`RunOptions.create`, so
the same options give the same files and the same errors either way. The signed JSON record is
always written: the other formats are renderings of it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from orbitcert.specs.errors import OptionError
from orbitcert.specs.model import Spec

from .results import Waiver

if TYPE_CHECKING:
    from .signing import Keyring

__all__ = [
    "DEFAULT_FORMATS",
    "FORMATS",
    "MAX_EXAMPLES",
    "MAX_TIMEOUT",
    "MIN_CERTIFYING_EXAMPLES",
    "RunOptions",
    "minimum_examples",
    "parse_formats",
    "run_seed",
]

#: Report formats: canonical signed JSON, self-contained HTML, JUnit XML, Markdown summary,
#: OSCAL assessment-results JSON.
FORMATS = ("json", "html", "junit", "md", "oscal")
#: Written unless --format says otherwise (OSCAL on request: compliance tooling asks for it).
DEFAULT_FORMATS = ("json", "html", "junit", "md")
MAX_TIMEOUT = 86_400.0
MAX_EXAMPLES = 100_000
#: Fewest hypothesis examples per property test a certifying run may use; a spec may ask for more
#: with the parameter ``min_property_examples``. Fewer examples still run, but cannot certify.
MIN_CERTIFYING_EXAMPLES = 25


def minimum_examples(spec: Spec) -> int:
    """The examples per property test a certification of ``spec`` needs (harness or spec)."""
    asked = spec.parameters.get("min_property_examples")
    value = asked.value if asked is not None else 0
    return max(MIN_CERTIFYING_EXAMPLES, value if isinstance(value, int) and not isinstance(value, bool) else 0)


#: Largest run seed: it travels in the report as an I-JSON integer (RFC 8785: at most 2^53 - 1).
MAX_SEED = 2**53 - 1
SEED_ENV = "ORBITCERT_SEED"


def run_seed(seed: int | str | None = None) -> int:
    """The seed of a run: ``seed`` when given, else ``$ORBITCERT_SEED``, else drawn from the
    operating system's random source.

    Suites derive every random trial from it (the ``run_seed`` fixture), and the report records it
    (``thoroughness.seed``), so a run is replayed exactly with ``--seed``. Drawing it fresh for
    each run keeps a product from knowing the trials in advance: the suites' code is public, and a
    fixed seed would let a product replay the harness's random draws (e.g. the partner direction
    of each acquisition trial) instead of doing the work.
    """
    import os
    import secrets

    value: int | str | None = seed
    if value is None:
        value = os.environ.get(SEED_ENV) or None
    if value is None:
        return secrets.randbits(53)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise OptionError(f"must be an integer between 0 and {MAX_SEED}, not {value!r}", field="seed") from None
    if isinstance(value, bool) or not 0 <= number <= MAX_SEED:
        raise OptionError(f"must be an integer between 0 and {MAX_SEED}, not {value!r}", field="seed")
    return number


def parse_formats(value: str | Iterable[str]) -> tuple[str, ...]:
    """Formats from ``"json,html"`` (or a list); unknown names are an :class:`OptionError`;
    ``json`` is always included."""
    names = value.split(",") if isinstance(value, str) else list(value)
    chosen: list[str] = []
    for name in (n.strip() for n in names):
        if name and name not in chosen:
            chosen.append(name)
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise OptionError(f"unknown report format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}", field="format")
    if "json" not in chosen:
        chosen.append("json")  # the signed record is always written
    return tuple(f for f in FORMATS if f in chosen)


@dataclass(frozen=True)
class RunOptions:
    """How a certification run is carried out and where its reports go."""

    out: Path = Path("reports")
    formats: tuple[str, ...] = DEFAULT_FORMATS
    examples: int = 50
    timeout: float = 300.0
    workers: int = 0
    sign_key: Path | None = None
    #: Who signs, as written in the signature (e.g. the vendor's name).
    signer: str = ""
    #: Keyring directories the HTML report shows each signature's trust against (and the environment's).
    trusted_keys: tuple[Path, ...] = field(default_factory=tuple)
    #: Waivers given to the run (:mod:`.waivers`).
    waivers: tuple[Waiver, ...] = field(default_factory=tuple)
    catalogs: tuple[Path, ...] = field(default_factory=tuple)
    #: Run a ``module:factory`` product in a process of its own behind the bridge (the default).
    isolate: bool = True
    #: Seconds one bridge call may take (None: the operation's own, else 60).
    call_timeout: float | None = None
    #: Longest protocol line accepted from a product, in bytes.
    max_message: int = 16 * 1024 * 1024
    #: Address-space limit of an isolated product, in bytes.
    memory_limit: int = 8 * 1024**3
    #: The run's seed (:func:`run_seed`): suites derive their random trials from it.
    seed: int = 0

    @classmethod
    def create(
        cls,
        *,
        out: str | Path | None = None,
        formats: str | Iterable[str] = DEFAULT_FORMATS,
        examples: int = 50,
        timeout: float = 300.0,
        workers: int = 0,
        sign_key: str | Path | None = None,
        signer: str = "",
        trusted_keys: Iterable[str | Path] = (),
        waivers: Iterable[Waiver] = (),
        catalogs: Iterable[str | Path] = (),
        isolate: bool = True,
        call_timeout: float | None = None,
        max_message: int = 16 * 1024 * 1024,
        memory_limit: int = 8 * 1024**3,
        seed: int | str | None = None,
    ) -> RunOptions:
        """Validated options; every out-of-range value is an :class:`OptionError` naming it."""
        if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and 0 <= timeout <= MAX_TIMEOUT):
            raise OptionError(f"must be between 0 (no limit) and {MAX_TIMEOUT:g} seconds, not {timeout}", field="timeout")
        if isinstance(examples, bool) or not isinstance(examples, int) or not 1 <= examples <= MAX_EXAMPLES:
            raise OptionError(f"must be between 1 and {MAX_EXAMPLES}, not {examples}", field="examples")
        if isinstance(workers, bool) or not isinstance(workers, int) or not 0 <= workers <= 256:
            raise OptionError(f"must be between 0 (serial) and 256, not {workers}", field="workers")
        if call_timeout is not None and not (math.isfinite(call_timeout) and 0 < call_timeout <= MAX_TIMEOUT):
            raise OptionError(f"must be between 0 and {MAX_TIMEOUT:g} seconds, not {call_timeout}", field="call-timeout")
        if isinstance(max_message, bool) or not 1024 <= max_message <= 2**31:
            raise OptionError(f"must be between 1024 and {2**31} bytes, not {max_message}", field="max-message")
        if isinstance(memory_limit, bool) or not 64 * 1024**2 <= memory_limit <= 2**48:
            raise OptionError(f"must be between 64 MiB and 256 TiB, not {memory_limit}", field="memory-limit")
        from .signing import signer_line

        signer_line(signer)  # too long a name is refused before the run, not after it
        return cls(
            seed=run_seed(seed),
            isolate=isolate,
            memory_limit=memory_limit,
            call_timeout=call_timeout,
            max_message=max_message,
            out=Path(out) if out is not None else Path("reports"),
            formats=parse_formats(formats),
            examples=examples,
            timeout=float(timeout),
            workers=workers,
            sign_key=Path(sign_key) if sign_key is not None else None,
            signer=signer,
            trusted_keys=tuple(Path(k) for k in trusted_keys),
            waivers=tuple(waivers),
            catalogs=tuple(Path(c) for c in catalogs),
        )

    def keyrings(self) -> list[Keyring]:
        """The trusted keyrings: ``trusted_keys`` and ``$ORBITCERT_TRUSTED_KEYS``."""
        from .signing import load_keyrings

        return load_keyrings(self.trusted_keys)

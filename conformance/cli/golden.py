"""``orbitcert golden optical encode|decode|compare``: the coding golden model as a command-line tool.

Vendors check their terminals by comparing captures against the golden model (CCSDS 131.0-B-3
sections 4, 9 and 10 as ``net-optical-isl`` specifies them). Captures are tens of gigabytes, so
every command streams: memory is bounded by ``--chunk-mib``, not by the file
(:mod:`orbitcert.reference_impl.optical.stream`). ``-`` reads stdin or writes stdout; a file
OUTPUT is written to a temporary file beside it and renamed into place only when the command
succeeds, so a failed run never leaves a partial file that looks complete.

Exit codes: 0 done (``compare``: identical), 1 ``compare`` found a difference, 2 bad input (an
unreadable file, a truncated frame or CADU, a frame length that does not fit, a capture in which no
codeblock is found).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Annotated, Any, Optional

import typer

from orbitcert.specs.errors import InputFileError, OptionError
from orbitcert.specs.fsutil import file_mode_for

from ._common import CatalogOpt, catalog, err, say_warning

app = typer.Typer(
    help="Golden models as command-line tools (streaming, bounded memory).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
optical = typer.Typer(
    help="CCSDS 131.0-B-3 coding golden model of net-optical-isl: Reed-Solomon codeblocks, pseudo-randomizer "
    "and attached sync marker (CADUs).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(optical, name="optical")

MIB = 1 << 20
DEFAULT_SPEC = "net-optical-isl@1.0.0"

InputArg = Annotated[str, typer.Argument(metavar="INPUT", help="Input file, or - for stdin.")]
OutputArg = Annotated[str, typer.Argument(metavar="OUTPUT", help="Output file, or - for stdout.")]
InterleaveOpt = Annotated[
    int, typer.Option("--interleave", "-I", metavar="I", help="Reed-Solomon interleaving depth I (1, 2, 3, 4, 5 or 8).")
]
FrameLengthOpt = Annotated[
    Optional[int],
    typer.Option(
        "--frame-length", "-L", metavar="OCTETS",
        help="Frame length L in octets: a multiple of I, at most 223*I (default 223*I; shorter frames use virtual fill).",
    ),
]
NoRandomizeOpt = Annotated[
    bool, typer.Option("--no-randomize", help="The codeblocks are not pseudo-randomized (131.0-B-3 section 10 off).")
]
SpecOpt = Annotated[
    str, typer.Option("--spec", metavar="REF", help=f"Spec version whose coding parameters to use (default {DEFAULT_SPEC}).")
]
ChunkOpt = Annotated[int, typer.Option("--chunk-mib", metavar="MIB", help="Octets read per step, in MiB (default 4).")]
NoProgressOpt = Annotated[bool, typer.Option("--no-progress", help="No progress bar (it is shown only on a terminal).")]
SummaryOpt = Annotated[
    Optional[Path], typer.Option("--summary", metavar="PATH", help="Also write the summary as JSON to PATH.")
]


@dataclass
class _Setup:
    """The checked options every subcommand shares."""

    frame_length: int
    interleave: int
    randomize: bool
    params: Any
    spec_ref: str
    chunk: int


def _setup(
    spec: str, catalogs: list[Path] | None, interleave: int, frame_length: int | None, no_randomize: bool, chunk_mib: int
) -> _Setup:
    from orbitcert.reference_impl.optical.parameters import CodingError, CodingParameters, check_depth, check_frame_length

    loaded = catalog(catalogs).load(spec)
    try:
        params = CodingParameters.from_spec(loaded.spec)
    except CodingError as exc:
        raise OptionError(f"--spec {spec}: {exc}") from None
    try:
        depth = check_depth(interleave, params)
    except CodingError as exc:
        raise OptionError(f"--interleave: {exc}") from None
    length = params.k * depth if frame_length is None else frame_length
    try:
        check_frame_length(length, depth, params, "--frame-length")
    except CodingError as exc:
        raise OptionError(str(exc)) from None
    if not 1 <= chunk_mib <= 1024:
        raise OptionError(f"--chunk-mib {chunk_mib}: must be between 1 and 1024")
    return _Setup(length, depth, not no_randomize, params, loaded.spec.ref, chunk_mib * MIB)


@contextlib.contextmanager
def _input(path: str) -> Iterator[tuple[IO[bytes], int | None, str]]:
    """(binary stream, size if it is a regular file, name for messages)."""
    if path == "-":
        if sys.stdin is None:
            raise InputFileError("stdin is closed", path=Path("-"))
        yield sys.stdin.buffer, None, "<stdin>"
        return
    p = Path(path)
    try:
        fh = open(p, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputFileError(f"cannot read: {exc.strerror or exc}", path=p) from None
    with fh:
        mode = os.fstat(fh.fileno()).st_mode
        if stat.S_ISDIR(mode):
            raise InputFileError("is a directory, not a file", path=p)
        yield fh, (os.fstat(fh.fileno()).st_size if stat.S_ISREG(mode) else None), str(p)


def _check_paths(inputs: list[str], output: str | None, summary: Path | None) -> None:
    """Refuse an OUTPUT or --summary that is one of the inputs or each other (it would be replaced),
    a trailing-slash OUTPUT, and a --summary that cannot be written, before any work is done."""
    named: list[tuple[str, str]] = [("INPUT", i) for i in inputs if i != "-"]
    if output is not None and output != "-":
        if output.endswith(os.sep):
            raise InputFileError("names a folder (it ends with /): give a file name", path=Path(output))
        named.append(("OUTPUT", output))
    if summary is not None:
        if summary.is_dir():
            raise InputFileError("is a folder: give a file name for --summary", path=summary)
        named.append(("--summary", str(summary)))
    seen: dict[object, str] = {}
    for role, name in named:
        try:
            st = os.stat(name)
        except OSError:
            key: object = os.path.realpath(name)  # not there yet: the same path is the same file
        else:
            if not stat.S_ISREG(st.st_mode):
                continue  # a FIFO or a device may well be both read and written
            key = (st.st_dev, st.st_ino)
        if key in seen:
            raise OptionError(f"{role} {name} is the same file as {seen[key]}: it would be overwritten")
        seen[key] = f"{role} {name}"


@contextlib.contextmanager
def _output(path: str) -> Iterator[IO[bytes]]:
    """Where the output goes. ``-``: stdout. A FIFO, a device or a socket (after symbolic links
    are followed): written directly. Anything else: a temporary file beside the (resolved) path,
    renamed over it only if the block succeeds; its folder must exist (nothing is created for a
    run that may fail)."""
    if path == "-":
        if sys.stdout is None:
            raise InputFileError("stdout is closed", path=Path("-"))
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    p = Path(os.path.realpath(path))  # write through a symbolic link, never replace it
    try:
        mode = os.stat(p).st_mode
    except OSError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise InputFileError("is a folder: give a file name", path=Path(path))
    if mode is not None and not stat.S_ISREG(mode):
        try:
            fh = open(p, "wb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InputFileError(f"cannot write: {exc.strerror or exc}", path=Path(path)) from None
        with fh:
            yield fh
        return
    if not p.parent.is_dir():
        raise InputFileError(f"cannot write: the folder {p.parent} does not exist", path=Path(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".partial", dir=p.parent)
        os.fchmod(fd, file_mode_for(p))
    except OSError as exc:
        raise InputFileError(f"cannot write: {exc.strerror or exc}", path=Path(path)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            raise InputFileError(f"cannot write: {exc.strerror or exc}", path=Path(path)) from None
        raise


@contextlib.contextmanager
def _terminable() -> Iterator[None]:
    """SIGTERM and SIGHUP end the command as an exception would (exit 143 / 129), so the temporary
    OUTPUT is removed; a closed pipe on stdout ends it quietly with 141, as SIGPIPE would."""
    import signal

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError):  # nothing more reaches the closed pipe
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(141) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _progress(total: int | None, what: str, disabled: bool) -> Iterator[Any]:
    """A rich progress bar on stderr with octets and throughput (only on a terminal)."""
    from rich.progress import (
        BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn, TransferSpeedColumn,
    )

    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(binary_units=True), TransferSpeedColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(), console=err, disable=disabled or not err.is_terminal, transient=True,
    )
    with progress:
        task = progress.add_task(what, total=total)
        yield lambda n: progress.advance(task, n)


def _read(fh: IO[bytes], size: int, name: str) -> bytes:
    try:
        return fh.read(size)
    except OSError as exc:
        raise InputFileError(f"cannot read: {exc.strerror or exc}", path=Path(name)) from None


def _frames(fh: IO[bytes], name: str, frame_length: int, per_step: int) -> Iterator[bytes]:
    """Concatenated frames read ``per_step`` octets (whole frames) at a time; an input that ends
    inside a frame is an error naming the file, the whole frames and the octets left over."""
    frames = 0
    while data := _read(fh, per_step, name):
        whole, extra = divmod(len(data), frame_length)
        if extra:
            raise InputFileError(
                f"the input ends inside a frame: {frames * frame_length + len(data)} octets is {frames + whole} "
                f"whole frames of --frame-length {frame_length} and {extra} octets more (a truncated file, or the "
                "wrong --frame-length?)",
                path=Path(name),
            )
        frames += whole
        yield data


def _write(fh: IO[bytes], data: Any, name: str) -> None:
    try:
        fh.write(data)
    except BrokenPipeError:
        raise  # _terminable ends the command quietly
    except OSError as exc:
        raise InputFileError(f"cannot write: {exc.strerror or exc}", path=Path(name)) from None


def _rate(octets: int, seconds: float) -> str:
    return f"{octets / max(seconds, 1e-9) / 1e6:,.1f} MB/s"


def _finish_summary(summary: dict[str, Any], path: Path | None, lines: list[str]) -> None:
    for line in lines:
        err.print(line, markup=False, highlight=False)
    if path is not None:
        from orbitcert.specs.fsutil import atomic_write

        atomic_write(path, json.dumps(summary, indent=2) + "\n")


def _kernel_name() -> str:
    from orbitcert.reference_impl.optical import kernels

    return kernels.active()


@optical.command("encode")
def encode(
    input: InputArg,
    output: OutputArg,
    interleave: InterleaveOpt = 5,
    frame_length: FrameLengthOpt = None,
    no_randomize: NoRandomizeOpt = False,
    spec: SpecOpt = DEFAULT_SPEC,
    catalogs: CatalogOpt = None,
    chunk_mib: ChunkOpt = 4,
    no_progress: NoProgressOpt = False,
    summary: SummaryOpt = None,
) -> None:
    """Encode concatenated frames of --frame-length octets into a CADU stream.

    Each frame becomes the attached sync marker followed by its pseudo-randomized Reed-Solomon
    codeblock (131.0-B-3 sections 9, 10, 4). The input must be a whole number of frames.

    Example: orbitcert golden optical encode frames.bin cadus.bin --interleave 5 --frame-length 1115
    """
    from orbitcert.reference_impl.optical.stream import CaduEncoder

    s = _setup(spec, catalogs, interleave, frame_length, no_randomize, chunk_mib)
    _check_paths([input], output, summary)
    encoder = CaduEncoder(s.frame_length, s.interleave, s.randomize, params=s.params)
    per_step = max(1, s.chunk // s.frame_length) * s.frame_length
    frames = 0
    started = time.perf_counter()
    with _terminable(), _input(input) as (src, size, name), _output(output) as dst, \
            _progress(size, "encoding", no_progress) as advance:
        for data in _frames(src, name, s.frame_length, per_step):
            _write(dst, encoder.encode(data), output)
            frames += len(data) // s.frame_length
            advance(len(data))
        seconds = time.perf_counter() - started
        octets = frames * s.frame_length
        result = {
            "command": "encode", "spec": s.spec_ref, "frame_length": s.frame_length, "interleave": s.interleave,
            "randomize": s.randomize, "frames": frames, "input_octets": octets,
            "output_octets": frames * encoder.cadu_length, "seconds": round(seconds, 6), "kernel": _kernel_name(),
        }
        _finish_summary(result, summary, [
            f"encoded {frames:,} frames of {s.frame_length} octets into {frames:,} CADUs of {encoder.cadu_length} "
            f"octets (I = {s.interleave}, {'randomized' if s.randomize else 'not randomized'}) in {seconds:.2f} s, "
            f"{_rate(octets, seconds)} [kernel {result['kernel']}]",
        ])


def _spacing_hint(sample: bytes, marker: bytes, params: Any) -> str:
    """When no codeblock was found: how often the exact marker recurs in ``sample``, and every
    (--interleave, --frame-length) that spacing fits (131.0-B-3: L = I*k', 1 <= k' <= k)."""
    import numpy as np

    from orbitcert.reference_impl.optical.stream import exact_matches

    arr = np.frombuffer(sample, dtype=np.uint8)
    if arr.size < len(marker):
        return ""
    cand = exact_matches(arr, np.frombuffer(marker, dtype=np.uint8))
    if cand.size < 2:
        return f" (the marker {marker.hex().upper()} occurs {cand.size} time(s) in the first {arr.size:,} octets)"
    gaps, counts = np.unique(np.diff(cand), return_counts=True)
    spacing = int(gaps[np.argmax(counts)])
    fits = []
    for depth in params.interleaving_depths:
        length = spacing - len(marker) - 2 * params.E * depth
        if length > 0 and length % depth == 0 and length // depth <= params.k:
            fits.append(f"--interleave {depth} --frame-length {length}")
    hint = f" (the marker {marker.hex().upper()} recurs most often every {spacing} octets"
    if fits:
        hint += ", which fits " + " or ".join(fits)
    return hint + ")"


@optical.command("decode")
def decode(
    input: InputArg,
    output: OutputArg,
    interleave: InterleaveOpt = 5,
    frame_length: FrameLengthOpt = None,
    no_randomize: NoRandomizeOpt = False,
    spec: SpecOpt = DEFAULT_SPEC,
    catalogs: CatalogOpt = None,
    chunk_mib: ChunkOpt = 4,
    allow_partial: Annotated[
        bool, typer.Option("--allow-partial", help="Accept a capture that ends inside a CADU (warn instead of exit 2).")
    ] = False,
    no_progress: NoProgressOpt = False,
    summary: SummaryOpt = None,
) -> None:
    """Synchronize, de-randomize and decode a CADU capture; write the delivered frames concatenated.

    Frames of uncorrectable codeblocks are not delivered (the summary counts them). The summary
    gives codeblocks, corrected symbols, uncorrectable codeblocks and sync losses.

    Example: orbitcert golden optical decode capture.bin frames.bin --interleave 5 --frame-length 1115
    """
    from orbitcert.reference_impl.optical.stream import CaduDecoder

    s = _setup(spec, catalogs, interleave, frame_length, no_randomize, chunk_mib)
    _check_paths([input], output, summary)
    decoder = CaduDecoder(s.frame_length, s.interleave, s.randomize, params=s.params)
    delivered = 0
    first_uncorrectable: list[int] = []
    events: list[dict[str, Any]] = []
    sample = b""
    started = time.perf_counter()
    with _terminable(), _input(input) as (src, size, name), _output(output) as dst, \
            _progress(size, "decoding", no_progress) as advance:

        def deliver(chunk: Any) -> None:
            nonlocal delivered
            good = ~chunk.uncorrectable
            if good.all():
                _write(dst, chunk.frames, output)
            else:
                _write(dst, chunk.frames[good], output)
                room = 100 - len(first_uncorrectable)
                if room > 0:
                    first_uncorrectable.extend(int(o) for o in chunk.offsets[~good][:room])
            delivered += int(good.sum())
            room = 1000 - len(events)
            events.extend({"offset": e.offset, "kind": e.kind} for e in chunk.events[: max(room, 0)])

        while True:
            data = _read(src, s.chunk, name)
            if not data:
                break
            if not sample:
                sample = data
            deliver(decoder.feed(data))
            advance(len(data))
        deliver(decoder.finish())
        stats = decoder.stats
        partial = decoder.partial_tail
        if not stats.codeblocks:
            hint = _spacing_hint(sample, decoder.marker, s.params)
            raise InputFileError(
                f"no codeblock found in {stats.octets:,} octets: no attached sync marker was confirmed by another "
                f"one CADU ({decoder.cadu_length} octets at --frame-length {s.frame_length}, --interleave "
                f"{s.interleave}) later{hint}",
                path=Path(name),
            )
        if partial and not allow_partial:
            raise InputFileError(
                f"the capture ends inside a CADU: its last {partial} octets (from offset {stats.octets - partial:,}) "
                f"are a marker and less than a {decoder.codeblock_length}-octet codeblock, so they were not decoded "
                "(a truncated capture? --allow-partial accepts it)",
                path=Path(name),
            )
        seconds = time.perf_counter() - started
        if partial:
            say_warning(f"the capture ends inside a CADU: its last {partial} octets were not decoded")
        result = {
            "command": "decode", "spec": s.spec_ref, "frame_length": s.frame_length, "interleave": s.interleave,
            "randomize": s.randomize, **asdict(stats), "delivered_frames": delivered, "partial_tail_octets": partial,
            "first_uncorrectable_offsets": first_uncorrectable, "sync_events": events,
            "seconds": round(seconds, 6), "kernel": _kernel_name(),
        }
        _finish_summary(result, summary, [
            f"decoded {stats.octets:,} octets in {seconds:.2f} s, {_rate(stats.octets, seconds)} "
            f"[kernel {result['kernel']}]",
            f"  codeblocks:               {stats.codeblocks:,} ({delivered:,} frames delivered)",
            f"  corrected symbols:        {stats.corrected_symbols:,} (in {stats.corrected_codeblocks:,} codeblocks)",
            f"  uncorrectable codeblocks: {stats.uncorrectable_codeblocks:,}"
            + (f" (first at offset {first_uncorrectable[0]:,})" if first_uncorrectable else ""),
            f"  sync losses:              {stats.sync_losses:,} ({stats.sync_acquisitions:,} acquisitions)",
        ])


@dataclass
class _Difference:
    offset: int
    cadu: int
    where: str
    expected: int
    got: int


def _describe_octet(within: int, marker_width: int, frame_length: int, interleave: int) -> str:
    """What octet ``within`` of a CADU is (131.0-B-3: marker, then symbol j of codeword k at j*I + k)."""
    if within < marker_width:
        return f"attached sync marker octet {within}"
    pos = within - marker_width
    if pos < frame_length:
        j, k = divmod(pos, interleave)
        return f"frame octet {pos} (information symbol {j} of codeword {k})"
    b, k = divmod(pos - frame_length, interleave)
    return f"check symbol {b} of codeword {k} (codeblock octet {pos})"


@optical.command("compare")
def compare(
    frames: Annotated[str, typer.Argument(metavar="FRAMES", help="The frames given to the product (or - for stdin).")],
    capture: Annotated[str, typer.Argument(metavar="CAPTURE", help="The product's CADU capture to check.")],
    interleave: InterleaveOpt = 5,
    frame_length: FrameLengthOpt = None,
    no_randomize: NoRandomizeOpt = False,
    spec: SpecOpt = DEFAULT_SPEC,
    catalogs: CatalogOpt = None,
    chunk_mib: ChunkOpt = 4,
    no_progress: NoProgressOpt = False,
    summary: SummaryOpt = None,
) -> None:
    """Check a product's CADU capture against the golden model's encoding of the same frames.

    Encodes FRAMES (concatenated frames of --frame-length octets) and compares the result with
    CAPTURE octet for octet. Reports the first differing codeblock: the CADU index, the capture
    offset, which octet it is (marker, frame octet, or check symbol b of codeword k) and both
    values; then how many CADUs differ in all. Exit 0 identical, 1 different, 2 bad input.

    Example: orbitcert golden optical compare frames.bin terminal-capture.bin --interleave 5
    """
    import numpy as np

    from orbitcert.reference_impl.optical.stream import CaduEncoder

    if frames == "-" and capture == "-":
        raise OptionError("FRAMES and CAPTURE cannot both be stdin (-)")
    s = _setup(spec, catalogs, interleave, frame_length, no_randomize, chunk_mib)
    _check_paths([frames, capture], None, summary)
    encoder = CaduEncoder(s.frame_length, s.interleave, s.randomize, params=s.params)
    width, cadu = len(encoder.marker), encoder.cadu_length
    per_step = max(1, s.chunk // cadu) * s.frame_length
    cadus = differing = 0  # CADUs the golden model produced; CADUs of the capture that differ
    received = 0  # capture octets compared so far
    first: _Difference | None = None
    started = time.perf_counter()
    with _terminable(), _input(frames) as (src, size, fname), _input(capture) as (cap, _, cname), \
            _progress(size, "comparing", no_progress) as advance:
        for data in _frames(src, fname, s.frame_length, per_step):
            whole = len(data) // s.frame_length
            expected = encoder.encode(data)
            got = np.frombuffer(_read(cap, expected.size, cname), dtype=np.uint8) if received == cadus * cadu \
                else np.zeros(0, dtype=np.uint8)  # the capture ended in an earlier step
            n = got.size
            received += n
            rows_full = n // cadu
            diff_rows = np.flatnonzero(np.any(
                expected[: rows_full * cadu].reshape(-1, cadu) != got[: rows_full * cadu].reshape(-1, cadu), axis=1
            ))
            if n > rows_full * cadu and np.any(expected[rows_full * cadu : n] != got[rows_full * cadu :]):
                diff_rows = np.append(diff_rows, rows_full)  # the capture's last, partial CADU
            if diff_rows.size:
                differing += diff_rows.size
                if first is None:
                    row = int(diff_rows[0])
                    lo, hi = row * cadu, min(row * cadu + cadu, n)
                    within = int(np.flatnonzero(expected[lo:hi] != got[lo:hi])[0])
                    first = _Difference(
                        offset=cadus * cadu + lo + within, cadu=cadus + row,
                        where=_describe_octet(within, width, s.frame_length, s.interleave),
                        expected=int(expected[lo + within]), got=int(got[lo + within]),
                    )
            cadus += whole
            advance(len(data))
        extra = 0
        if received == cadus * cadu:
            while more := _read(cap, s.chunk, cname):  # anything after the last expected CADU
                extra += len(more)
        shorter = cadus * cadu - received
        seconds = time.perf_counter() - started
        identical = first is None and not shorter and not extra
        result: dict[str, Any] = {
            "command": "compare", "spec": s.spec_ref, "frame_length": s.frame_length, "interleave": s.interleave,
            "randomize": s.randomize, "cadus_expected": cadus, "identical": identical,
            "differing_cadus": differing, "first_difference": asdict(first) if first else None,
            "capture_short_by_octets": shorter, "capture_extra_octets": extra,
            "seconds": round(seconds, 6), "kernel": _kernel_name(),
        }
        lines = []
        if identical:
            lines.append(f"identical: {cadus:,} CADUs of {cadu} octets match the golden model ({seconds:.2f} s)")
        else:
            if first is None:
                lines.append("DIFFERENT: every octet present matches, but the length does not")
            else:
                lines.append(
                    f"DIFFERENT: first difference at capture offset {first.offset:,}: CADU {first.cadu:,} "
                    f"(frame {first.cadu:,}, CADU starts at offset {first.cadu * cadu:,}), {first.where}: "
                    f"expected 0x{first.expected:02X}, got 0x{first.got:02X}"
                )
                lines.append(f"  {differing:,} CADU(s) differ in all")
            if shorter:
                lines.append(f"  the capture is shorter than the golden model's output ({cadus:,} CADUs, "
                             f"{cadus * cadu:,} octets): it ends {shorter:,} octets early")
            if extra:
                lines.append(f"  the capture has {extra:,} octets more than the golden model's output")
        _finish_summary(result, summary, lines)
    if not identical:
        raise typer.Exit(1)

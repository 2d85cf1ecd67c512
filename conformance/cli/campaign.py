"""``orbitcert campaign``: fault-injection campaigns of the hw-compute-module reference.

``orbitcert campaign radiation`` runs the Monte Carlo of single-event upsets in SEC-DED memory
(:mod:`orbitcert.reference_impl.hardware.campaign`) and compares it with reliability theory.
"""

from __future__ import annotations

import concurrent.futures
import html
import importlib
import json
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orbitcert.specs.errors import OptionError

from ._common import console, say

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from orbitcert.reference_impl.hardware.campaign import CampaignConfig, CampaignResult

app = typer.Typer(
    help="Fault-injection campaigns of the simulated compute module.\n\n"
    "Example: orbitcert campaign radiation --words 1048576 --environment geo-quiet --scrub-period-s 3600 "
    "--mission-days 1826 --trials 100",
    no_args_is_help=True,
    rich_markup_mode=None,
)

_FIELDS = {
    "words": "--words", "upset_rate_per_bit_day": "--upset-rate", "scrub_period_s": "--scrub-period-s",
    "mission_days": "--mission-days", "trials": "--trials", "seed": "--seed", "confidence": "--confidence",
    "code": "--code",
}

RADIATION_HELP = """Monte Carlo of single-event upsets in SEC-DED-protected, scrubbed memory.

Upsets hit each bit as a Poisson process (--upset-rate per bit per day, or the rate of a named
--environment: leo-500km-quiet, geo-quiet, geo-spe-worst-week); a sweeping scrubber reads every
word each --scrub-period-s seconds (omit it: no scrubbing) and the code classifies what it finds.
Prints the uncorrectable-event rate per device-day with its exact Poisson interval, the MTTF, and
the closed-form prediction M*C(n,2)*lambda^2*T. A seed gives the same result whatever --workers
or --scheduler. --sweep-scrub-period runs one campaign per period (a curve in the HTML page).

Exit codes: 0 done; 2 bad input.

Example: orbitcert campaign radiation --words 1048576 --upset-rate 1e-6 --scrub-period-s 3600 --mission-days 1826 --trials 100 --json out.json
"""


def _config_error(exc: ValueError) -> OptionError:
    text = str(exc)
    field, sep, rest = text.partition(": ")
    if sep and field in _FIELDS:
        return OptionError(rest, field=_FIELDS[field])
    return OptionError(text)


def _parse_periods(text: str) -> list[float]:
    periods: list[float] = []
    for part in text.split(","):
        part = part.strip()
        try:
            value = float(part)
        except ValueError:
            raise OptionError(f"not a number: {part!r} (give T1,T2,... in seconds)", field="--sweep-scrub-period") from None
        if not math.isfinite(value) or value <= 0:
            raise OptionError(f"scrub periods must be finite and > 0, got {part!r}", field="--sweep-scrub-period")
        periods.append(value)
    if not periods:
        raise OptionError("give at least one period", field="--sweep-scrub-period")
    return periods


@contextmanager
def _executor(workers: int, scheduler: str | None) -> Iterator[concurrent.futures.Executor | None]:
    if scheduler is not None:
        try:
            distributed: Any = importlib.import_module("distributed")
        except ImportError:
            raise OptionError(
                "needs dask.distributed, which is not installed: pip install 'orbitcert[dask]'", field="--scheduler"
            ) from None
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise OptionError(f"cannot reach the dask scheduler {scheduler!r}: {exc}", field="--scheduler") from None
        try:
            yield client.get_executor()
        finally:
            client.close()
    elif workers > 1:
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
            yield pool
    else:
        yield None


def _run_with_progress(
    config: CampaignConfig, executor: concurrent.futures.Executor | None, label: str
) -> CampaignResult:
    from orbitcert.reference_impl.hardware.campaign import run_campaign

    expected = config.expected_upsets_per_trial * config.trials
    start = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("chunks"),
        TextColumn("{task.fields[speed]}"), TimeElapsedColumn(), console=console, transient=False,
    ) as progress:
        task = progress.add_task(label, total=None, speed="")

        def update(done: int, total: int) -> None:
            elapsed = max(time.perf_counter() - start, 1e-9)
            speed = f"~{expected * done / total / elapsed:,.0f} upsets/s" if done else ""
            progress.update(task, completed=done, total=total, speed=speed)

        return run_campaign(config, executor, update)


def _fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isinf(x)):
        return "inf"
    return f"{x:.4g}"


def _summary(results: Sequence[CampaignResult]) -> Table:
    """One campaign: a quantity / value table; a sweep: one compact row per scrub period."""
    if len(results) == 1:
        r = results[0]
        u, s = r.uncorrectable, r.silent
        level = f"{u.confidence:.0%}"
        table = Table("quantity", "value", title="Radiation campaign")
        rows = [
            ("scrub period (s)", "none" if r.config.scrub_period_s is None else f"{r.config.scrub_period_s:g}"),
            ("upsets", f"{r.upsets:,}"),
            ("corrected events", f"{r.corrected_events:,}"),
            ("uncorrectable events", f"{r.uncorrectable_events:,}"),
            ("silent events", f"{r.silent_events:,}"),
            ("device-days", f"{r.device_days:g}"),
            (f"uncorrectable /device-day [{level}]", f"{_fmt(u.rate_per_device_day)} [{_fmt(u.ci_low)}, {_fmt(u.ci_high)}]"),
            (f"MTTF days [{level}]", f"{_fmt(u.mttf_days)} [{_fmt(u.mttf_ci_low)}, {_fmt(u.mttf_ci_high)}]"),
            (f"silent /device-day [{level}]", f"{_fmt(s.rate_per_device_day)} [{_fmt(s.ci_low)}, {_fmt(s.ci_high)}]"),
            ("predicted /device-day", _fmt(r.prediction.uncorrectable_rate_per_device_day)),
            ("predicted MTTF days", _fmt(r.prediction.mttf_days)),
            ("exact weight>=2 /device-day", _fmt(r.prediction.failure_rate_exact_per_device_day)),
        ]
        for name, value in rows:
            table.add_row(name, value)
        return table
    table = Table("T (s)", "uncorr.", "rate /dev-day [CI]", "predicted", "MTTF days", title="Scrub-period sweep")
    for r in results:
        u = r.uncorrectable
        table.add_row(
            f"{r.config.scrub_period_s:g}", f"{r.uncorrectable_events:,}",
            f"{_fmt(u.rate_per_device_day)} [{_fmt(u.ci_low)}, {_fmt(u.ci_high)}]",
            _fmt(r.prediction.uncorrectable_rate_per_device_day), _fmt(u.mttf_days),
        )
    return table


# --- HTML ------------------------------------------------------------------------------------------


def _figure(results: Sequence[CampaignResult]) -> Figure:
    """Simulated uncorrectable rate (point, exact interval as error bar) against the closed-form
    prediction; for several scrub periods, a log-log curve against the predicted line."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.4))
    ax = fig.add_subplot()
    sim, pred, exact = "#1f5fa8", "#b3261e", "#2f7d46"
    rates = [r.uncorrectable.rate_per_device_day for r in results]
    lows = [r.uncorrectable.ci_low for r in results]
    highs = [r.uncorrectable.ci_high for r in results]
    scrubbed = [r for r in results if r.config.scrub_period_s is not None]
    if len(results) > 1 and len(scrubbed) == len(results):
        periods = [float(r.config.scrub_period_s or 0.0) for r in results]
        order = sorted(range(len(results)), key=lambda i: periods[i])
        xs = [periods[i] for i in order]
        ax.set_xscale("log")
        ax.set_yscale("log")
        line_x = [xs[0] * 10 ** (k / 50 * math.log10(xs[-1] / xs[0])) for k in range(51)] if xs[-1] > xs[0] else xs
        c0 = results[0].config
        from orbitcert.reference_impl.hardware.campaign import predicted_uncorrectable_rate

        ax.plot(
            line_x, [predicted_uncorrectable_rate(c0.words, c0.n, c0.upset_rate_per_bit_day, t) for t in line_x],
            color=pred, linewidth=1.2, label="M C(n,2) lambda^2 T",
        )
        ax.plot(xs, [results[i].prediction.failure_rate_exact_per_device_day for i in order], linestyle="none",
                marker="x", color=exact, label="exact weight>=2 expectation")
        pos = [i for i in order if rates[i] > 0]
        if pos:
            ax.errorbar(
                [periods[i] for i in pos], [rates[i] for i in pos],
                yerr=[[rates[i] - lows[i] for i in pos], [highs[i] - rates[i] for i in pos]],
                fmt="o", color=sim, capsize=3, label=f"simulated ({results[0].config.confidence:.0%} CI)",
            )
        zero = [i for i in order if rates[i] == 0]
        if zero:
            ax.plot([periods[i] for i in zero], [highs[i] for i in zero], linestyle="none", marker="v", color=sim,
                    label="no event: upper bound")
        ax.set_xlabel("scrub period T (s)")
    else:
        labels = []
        for k, r in enumerate(results):
            labels.append("no scrubbing" if r.config.scrub_period_s is None else f"T = {r.config.scrub_period_s:g} s")
            ax.errorbar([k], [rates[k]], yerr=[[rates[k] - lows[k]], [highs[k] - rates[k]]], fmt="o", color=sim,
                        capsize=4, label="simulated" if k == 0 else None)
            ax.plot([k - 0.3, k + 0.3], [r.prediction.uncorrectable_rate_per_device_day] * 2, color=pred,
                    label="closed form (lambda t << 1)" if k == 0 else None)
            ax.plot([k - 0.3, k + 0.3], [r.prediction.failure_rate_exact_per_device_day] * 2, color=exact,
                    linestyle="--", label="exact weight>=2 expectation" if k == 0 else None)
        ax.set_xticks(range(len(results)), labels)
        ax.set_xlim(-1, len(results))
    ax.set_ylabel("uncorrectable events / device-day")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def _svg(results: Sequence[CampaignResult]) -> str:
    from orbitcert.conformance.charts import svg_of

    return svg_of(lambda: _figure(results))


def _html(results: Sequence[CampaignResult], environment: dict[str, Any] | None) -> str:
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("orbitcert.conformance", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    rows = [r.to_dict() for r in results]
    return env.get_template("campaign.html.j2").render(
        results=rows, environment=environment, svg=Markup(_svg(results)), fmt=_fmt,
        inputs=html.escape(json.dumps(rows[0]["inputs"], indent=2)),
    )


# --- command ---------------------------------------------------------------------------------------


@app.command("radiation", help=RADIATION_HELP)
def radiation(
    words: Annotated[int, typer.Option("--words", metavar="N", help="Memory size in codewords (2^27 = 1 GiB of data).")],
    mission_days: Annotated[float, typer.Option("--mission-days", metavar="DAYS", help="Mission length.")],
    trials: Annotated[int, typer.Option("--trials", metavar="K", help="Independent missions simulated.")] = 100,
    code: Annotated[str, typer.Option("--code", metavar="NAME", help="EDAC code.")] = "hsiao-72-64",
    upset_rate: Annotated[
        Optional[float], typer.Option("--upset-rate", metavar="PER_BIT_PER_DAY", help="Upsets per bit per day.")
    ] = None,
    environment: Annotated[
        Optional[str], typer.Option("--environment", metavar="NAME", help="Take the upset rate of this environment.")
    ] = None,
    scrub_period_s: Annotated[
        Optional[float], typer.Option("--scrub-period-s", metavar="SECONDS", help="Scrub period (omit: no scrubbing).")
    ] = None,
    sweep: Annotated[
        Optional[str], typer.Option("--sweep-scrub-period", metavar="T1,T2,...", help="One campaign per period (s).")
    ] = None,
    seed: Annotated[
        Optional[int], typer.Option("--seed", metavar="S", help="Seed (default: drawn fresh, printed and recorded).")
    ] = None,
    confidence: Annotated[float, typer.Option("--confidence", metavar="P", help="Two-sided interval level.")] = 0.95,
    json_out: Annotated[Optional[Path], typer.Option("--json", metavar="FILE", help="Write the result as JSON.")] = None,
    html_out: Annotated[Optional[Path], typer.Option("--html", metavar="FILE", help="Write a self-contained page.")] = None,
    workers: Annotated[int, typer.Option("--workers", metavar="W", help="Processes (1 = in this process).")] = 1,
    scheduler: Annotated[
        Optional[str], typer.Option("--scheduler", metavar="ADDRESS", help="dask.distributed scheduler address.")
    ] = None,
) -> None:
    from orbitcert.reference_impl.hardware.campaign import CampaignConfig, CampaignError
    from orbitcert.reference_impl.hardware.environment import EnvironmentModelError
    from orbitcert.reference_impl.hardware.environment import environment as find_environment
    from orbitcert.specs.fsutil import atomic_write

    if (upset_rate is None) == (environment is None):
        raise OptionError("give exactly one of --upset-rate and --environment", field="--upset-rate")
    env_info: dict[str, Any] | None = None
    if environment is not None:
        try:
            env = find_environment(environment)
        except EnvironmentModelError as exc:
            raise OptionError(str(exc), field="--environment") from None
        rate = env.rate_per_bit_day
        env_info = env.to_dict()
    else:
        assert upset_rate is not None
        rate = upset_rate
    if workers < 1:
        raise OptionError(f"must be >= 1, got {workers}", field="--workers")
    if sweep is not None and scrub_period_s is not None:
        raise OptionError("give --scrub-period-s or --sweep-scrub-period, not both", field="--sweep-scrub-period")
    periods: list[float | None] = list(_parse_periods(sweep)) if sweep is not None else [scrub_period_s]
    if seed is None:
        import numpy as np

        seed = int(np.random.SeedSequence().entropy % (1 << 63))  # type: ignore[operator]
    try:
        base = CampaignConfig(
            words=words, upset_rate_per_bit_day=rate, scrub_period_s=periods[0], mission_days=mission_days,
            trials=trials, seed=seed, code=code, confidence=confidence,
        )
        configs = [replace(base, scrub_period_s=p) for p in periods]
    except (CampaignError, TypeError) as exc:
        raise _config_error(exc if isinstance(exc, ValueError) else ValueError(str(exc))) from None
    if environment is not None:
        say(f"environment {environment}: {rate:.4g} upsets/bit/day")
    results: list[CampaignResult] = []
    with _executor(workers, scheduler) as executor:
        for cfg in configs:
            label = "no scrubbing" if cfg.scrub_period_s is None else f"T = {cfg.scrub_period_s:g} s"
            results.append(_run_with_progress(cfg, executor, label))
    console.print(_summary(results))
    say(f"seed {seed}; {results[0].trials} trials of {mission_days:g} days, {words:,} words of {code}")
    if json_out is not None:
        payload: dict[str, Any]
        if len(results) == 1:
            payload = results[0].to_dict()
        else:
            payload = {"sweep": [r.to_dict() for r in results]}
        if env_info is not None:
            payload["environment"] = env_info
        atomic_write(json_out, json.dumps(payload, indent=2, allow_nan=False) + "\n")
        say(f"wrote {json_out}")
    if html_out is not None:
        atomic_write(html_out, _html(results, env_info))
        say(f"wrote {html_out}")


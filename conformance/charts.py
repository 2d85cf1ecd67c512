"""Charts of the HTML report, drawn with matplotlib's SVG backend and inlined in the page.

Only evidence that people would rather look at than read gets a chart: the samples of a
statistical verdict against their limit (e.g. acquisition times against 100 s), and a measured
event rate with its confidence interval against the required limit and the closed-form
prediction (e.g. uncorrectable memory errors per device-day). The SVG is
deterministic (fixed hash salt, no date), so the same report renders to the same page.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .results import BinomialEvidence, PoissonEvidence

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["distribution_figure", "distribution_svg", "rate_figure", "rate_svg", "svg_of"]

_PASS, _FAIL, _LIMIT = "#2f7d46", "#b3261e", "#1c1c1c"


def distribution_svg(ev: BinomialEvidence) -> str | None:
    """An inline SVG: the distribution of ``ev.samples`` (histogram, trials with no event drawn
    beyond the axis as their own bar) against ``ev.limit``; None when there is nothing to draw."""
    if not ev.samples:
        return None
    return svg_of(lambda: distribution_figure(ev))


def rate_svg(ev: PoissonEvidence) -> str:
    """An inline SVG of a Poisson rate verdict: :func:`rate_figure`."""
    return svg_of(lambda: rate_figure(ev))


def svg_of(draw: Callable[[], Figure]) -> str:
    """The figure ``draw()`` makes, as deterministic inline SVG (fixed hash salt, no date, text as
    text), in the house style of the reports."""
    import matplotlib

    with matplotlib.rc_context(
        {"svg.hashsalt": "orbitcert", "svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
    ):
        fig = draw()
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    svg = out.getvalue()
    return svg[svg.index("<svg") :]  # drop the XML prolog and DOCTYPE: inline in HTML


def rate_figure(ev: PoissonEvidence) -> Figure:
    """The observed rate with its two-sided interval, the one-sided upper bound that decides, the
    required limit and (when given) the closed-form prediction, on a logarithmic rate axis."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 1.9))
    ax = fig.add_subplot()
    values = [v for v in (ev.rate, ev.ci_low, ev.ci_high, ev.bound, ev.max_rate, ev.predicted) if v]
    lo, hi = min(values) / 4.0, max(values) * 4.0
    colour = _PASS if ev.passed else _FAIL
    y = 0.0
    if ev.events:
        ax.errorbar([ev.rate], [y], xerr=[[ev.rate - ev.ci_low], [ev.ci_high - ev.rate]], fmt="o", color=colour,
                    capsize=4, label=f"observed {ev.rate:.3g} ({ev.confidence:.0%} interval)")
    else:
        ax.annotate("", xy=(lo, y), xytext=(ev.ci_high, y), arrowprops={"arrowstyle": "->", "color": colour})
        ax.plot([], [], color=colour, label=f"no event: rate below {ev.ci_high:.3g} ({ev.confidence:.0%} interval)")
    ax.plot([ev.bound], [y], marker="|", markersize=16, color=colour, linestyle="none",
            label=f"{ev.confidence:.0%} upper bound {ev.bound:.3g}")
    ax.axvline(ev.max_rate, color=_LIMIT, linestyle="--", linewidth=1.2, label=f"limit {ev.max_rate:g}")
    if ev.predicted:
        ax.plot([ev.predicted], [y], marker="D", color="#4a5fc1", linestyle="none", label=f"predicted {ev.predicted:.3g}")
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.set_yticks([])
    ax.set_xlabel(f"{ev.quantity} per {ev.exposure_unit.rstrip('s')}")
    ax.set_title(f"{ev.events} in {ev.exposure:g} {ev.exposure_unit}", fontsize=9)
    ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig


def distribution_figure(ev: BinomialEvidence) -> Figure:
    """The matplotlib figure of :func:`distribution_svg` (any backend can save it)."""
    from matplotlib.figure import Figure

    samples: Sequence[float | None] = ev.samples or []
    finite = [x for x in samples if x is not None]
    never = len(samples) - len(finite)
    fig = Figure(figsize=(6.4, 2.6))
    ax = fig.add_subplot()
    hi = max([*finite, ev.limit or 0.0, 1e-12])
    lo = min([*finite, 0.0])
    bins = _bins(lo, hi * 1.02, 40)
    within = [x for x in finite if ev.limit is None or x <= ev.limit]
    beyond = [x for x in finite if ev.limit is not None and x > ev.limit]
    ax.hist([within, beyond], bins=bins, stacked=True, color=[_PASS, _FAIL], label=["within the limit", "beyond the limit"])
    if never:
        width = (bins[1] - bins[0]) * 2
        ax.bar([bins[-1] + width], [never], width=width, color=_FAIL, hatch="//", label="no event in the trial")
        ax.annotate("none", (bins[-1] + width, never), ha="center", va="bottom", fontsize=8)
    if ev.limit is not None:
        ax.axvline(ev.limit, color=_LIMIT, linestyle="--", linewidth=1.2, label=f"limit {ev.limit:g} {ev.unit}".rstrip())
    label = ev.sample_label or "sample"
    ax.set_xlabel(f"{label} ({ev.unit})" if ev.unit else label)
    ax.set_ylabel("trials")
    ax.set_title(
        f"{ev.trials} trials, {ev.failures} failures; {ev.confidence:.0%} upper bound {ev.bound:.4f} "
        f"(required <= {ev.max_fraction:g})",
        fontsize=9,
    )
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def _bins(lo: float, hi: float, n: int) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = lo + 1.0
    step = (hi - lo) / n
    return [lo + i * step for i in range(n + 1)]

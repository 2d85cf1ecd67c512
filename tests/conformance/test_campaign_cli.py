"""``orbitcert campaign radiation`` as a user meets it, in process through the ``cli`` fixture:
JSON fields against the library and theory, typed errors (exit 2, one line, no traceback), the
self-contained HTML page, and a dask cluster giving the local pool's result."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orbitcert.reference_impl.hardware.campaign import (
    CampaignConfig,
    garwood_interval,
    predicted_uncorrectable_rate,
    run_campaign,
)
from orbitcert.reference_impl.hardware.environment import environment

ARGS = ["campaign", "radiation", "--words", "512", "--upset-rate", "2e-4", "--scrub-period-s", "86400",
        "--mission-days", "1000", "--trials", "20", "--seed", "11"]


def test_json_fields_and_values(cli: Callable[..., Any], tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = cli(*ARGS, "--json", str(out))
    assert result.code == 0, result.stderr
    d = json.loads(out.read_text())
    assert d["inputs"] == {
        "words": 512, "code": "hsiao-72-64", "codeword_bits": 72, "upset_rate_per_bit_day": 2e-4,
        "scrub_period_s": 86400.0, "mission_days": 1000.0, "trials": 20, "seed": 11, "confidence": 0.95,
    }
    assert d["device_days"] == 20 * 1000.0
    k = d["uncorrectable_events"]
    rate = d["uncorrectable_rate_per_device_day"]
    assert rate["rate"] == pytest.approx(k / 20_000)
    low, high = garwood_interval(k, 20_000.0, 0.95)
    assert (rate["ci_low"], rate["ci_high"]) == pytest.approx((low, high))
    assert d["mttf_days"]["value"] == pytest.approx(20_000 / k)
    assert (d["mttf_days"]["ci_low"], d["mttf_days"]["ci_high"]) == pytest.approx((1 / high, 1 / low))
    assert "silent_events" in d and "rate" in d["silent_rate_per_device_day"]
    predicted = predicted_uncorrectable_rate(512, 72, 2e-4, 86400.0)
    assert d["prediction"]["uncorrectable_rate_per_device_day"] == pytest.approx(predicted)
    assert rate["ci_low"] <= predicted <= rate["ci_high"]
    # the CLI is the library: same config, same numbers
    lib = run_campaign(CampaignConfig(words=512, upset_rate_per_bit_day=2e-4, scrub_period_s=86400.0,
                                      mission_days=1000.0, trials=20, seed=11))
    assert d == json.loads(json.dumps(lib.to_dict()))
    assert "uncorrectable" in result.stdout and "seed 11" in result.stdout


def test_environment_option_takes_its_rate(cli: Callable[..., Any], tmp_path: Path) -> None:
    out = tmp_path / "env.json"
    result = cli("campaign", "radiation", "--words", "64", "--environment", "geo-quiet", "--mission-days", "10",
                 "--trials", "2", "--seed", "1", "--json", str(out))
    assert result.code == 0, result.stderr
    d = json.loads(out.read_text())
    assert d["inputs"]["upset_rate_per_bit_day"] == environment("geo-quiet").rate_per_bit_day
    assert d["environment"]["name"] == "geo-quiet" and d["inputs"]["scrub_period_s"] is None
    assert d["mttf_days"]["value"] is None  # no event: unbounded, written as null


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--words", "-5"], "--words: must be an integer >= 1"),
        (["--code", "golay-24-12"], "--code:"),
        (["--environment", "mars"], "known: geo-quiet"),
        (["--environment", "geo-quiet"], "exactly one of --upset-rate and --environment"),
        (["--sweep-scrub-period", "10,abc"], "--sweep-scrub-period"),
        (["--trials", "0"], "--trials: must be an integer >= 1"),
        (["--workers", "0"], "--workers"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(cli: Callable[..., Any], extra: list[str], needle: str) -> None:
    args = list(ARGS)
    if extra[0] in args:  # replace an option's value rather than repeating it
        i = args.index(extra[0])
        args[i + 1] = extra[1]
    else:
        args += extra
    if extra[0] == "--environment" and extra[1] == "mars":
        i = args.index("--upset-rate")
        del args[i : i + 2]
    if extra[0] == "--sweep-scrub-period":
        i = args.index("--scrub-period-s")
        del args[i : i + 2]
    result = cli(*args)
    assert result.code == 2, (result.stdout, result.stderr)
    assert needle in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.startswith("error:")


def test_missing_rate_is_an_error(cli: Callable[..., Any]) -> None:
    result = cli("campaign", "radiation", "--words", "8", "--mission-days", "1")
    assert result.code == 2 and "exactly one of --upset-rate and --environment" in result.stderr


def test_help_has_an_example(cli: Callable[..., Any]) -> None:
    text = " ".join(cli("campaign", "radiation", "--help").stdout.split())
    assert "Example: orbitcert campaign radiation" in text


def test_html_is_self_contained_with_inline_svg(cli: Callable[..., Any], tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    result = cli(*ARGS, "--html", str(page))
    assert result.code == 0, result.stderr
    text = page.read_text()
    assert "<svg" in text and "</svg>" in text
    # nothing is fetched: no script, stylesheet link, image source or remote reference
    # (the SVG's xmlns / RDF namespace URIs are names, not downloads)
    for needle in ("<script", "<link", "src=", "url(http", 'href="http', "@import"):
        assert needle not in text, needle


def test_sweep_writes_one_campaign_per_period_and_a_log_log_curve(cli: Callable[..., Any], tmp_path: Path) -> None:
    out, page = tmp_path / "s.json", tmp_path / "s.html"
    args = [a for a in ARGS]
    i = args.index("--scrub-period-s")
    del args[i : i + 2]
    result = cli(*args, "--sweep-scrub-period", "21600,86400,345600", "--json", str(out), "--html", str(page))
    assert result.code == 0, result.stderr
    sweep = json.loads(out.read_text())["sweep"]
    assert [c["inputs"]["scrub_period_s"] for c in sweep] == [21600.0, 86400.0, 345600.0]
    rates = [c["uncorrectable_rate_per_device_day"]["rate"] for c in sweep]
    assert rates[0] < rates[1] < rates[2]  # rate grows linearly with T
    assert "<svg" in page.read_text()


def test_workers_give_the_serial_result(cli: Callable[..., Any], tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert cli(*ARGS, "--json", str(a)).code == 0
    assert cli(*ARGS, "--workers", "2", "--json", str(b)).code == 0
    assert json.loads(a.read_text()) == json.loads(b.read_text())


def test_dask_cluster_gives_the_local_pool_result(cli: Callable[..., Any], tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    pooled, dasked = tmp_path / "pool.json", tmp_path / "dask.json"
    assert cli(*ARGS, "--workers", "2", "--json", str(pooled)).code == 0
    with distributed.LocalCluster(n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None) as cluster:
        result = cli(*ARGS, "--scheduler", cluster.scheduler_address, "--json", str(dasked))
    assert result.code == 0, result.stderr
    assert json.loads(pooled.read_text()) == json.loads(dasked.read_text())


def test_unreachable_scheduler_is_a_clear_error(cli: Callable[..., Any]) -> None:
    pytest.importorskip("distributed")
    result = cli(*ARGS, "--scheduler", "bogus://127.0.0.1:9")  # fails at once (a closed port waits out the timeout)
    assert result.code == 2 and "--scheduler" in result.stderr and "Traceback" not in result.stderr

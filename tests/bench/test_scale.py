"""What the scale benchmark (bench/scale.py) stands on: the Xero emulator enforces the app-wide
minute limit across tenants, its limits scale down by one factor, and the share of the app limit a
run used is computed as the benchmark says."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from booksync_emulators.clock import VirtualClock
from booksync_emulators.xero import XeroLimits
from emulators.conftest import StartEmulator, xero_emulator_factory  # noqa: F401

# bench/ is not on the tests' path (and this folder's name would shadow it): load the module itself.
_RUNS = Path(__file__).resolve().parents[2] / "bench" / "_scale_runs.py"
_spec = importlib.util.spec_from_file_location("scale_runs", _RUNS)
assert _spec is not None and _spec.loader is not None
scale_runs = importlib.util.module_from_spec(_spec)
sys.modules["scale_runs"] = scale_runs  # dataclasses look their module up there
_spec.loader.exec_module(scale_runs)
app_share = scale_runs.app_share


def test_the_app_minute_limit_counts_every_tenants_calls(
    xero_emulator_factory: StartEmulator,  # noqa: F811 - the fixture, imported above
) -> None:
    clock = VirtualClock()
    handle = xero_emulator_factory(limits=XeroLimits(app_per_minute=3), clock=clock)
    first, second = handle.client(0), handle.client(1)
    assert first.get("/Organisation").status_code == 200
    assert second.get("/Organisation").status_code == 200
    answer = first.get("/Organisation")
    assert answer.status_code == 200 and answer.headers["X-AppMinLimit-Remaining"] == "0"
    refused = second.get("/Organisation")  # its own minute is nearly unused: the app's is spent
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "appminute"
    assert int(refused.headers["Retry-After"]) == 60
    clock.advance(61)
    assert second.get("/Organisation").status_code == 200


def test_limits_scale_down_by_one_factor_and_calls_in_flight_stay() -> None:
    assert XeroLimits().scaled(20) == XeroLimits(
        per_minute=3, per_day=250, concurrent=5, app_per_minute=500
    )
    assert XeroLimits().scaled(1) == XeroLimits()
    assert XeroLimits().scaled(1000).per_minute == 1, "never below one call"
    with pytest.raises(ValueError, match="factor=0.5 must be 1 or more"):
        XeroLimits().scaled(0.5)


def test_the_app_share_skips_the_first_minute_and_the_last_minute_of_backlog() -> None:
    # 10 calls a minute allowed; calls every 7.5 s (8 a minute) for 10 minutes: 80% used.
    times = [i * 7.5 for i in range(81)]
    share, window = app_share(times, 10)
    assert window == pytest.approx(times[-10] - 60)  # until 10 calls (a minute) are left
    assert share == pytest.approx(8 / 10, abs=0.03)
    # A burst at the start (the sliding window allows it) is not counted as more than 100%.
    burst = [0.0] * 10 + [60 + i * 6.0 for i in range(100)]
    share, _ = app_share(burst, 10)
    assert share == pytest.approx(1.0, abs=0.03)
    assert app_share([0.0, 1.0], 10) == (None, 0.0), "less backlog than a minute of the limit"

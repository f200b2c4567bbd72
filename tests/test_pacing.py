"""The pacer against the fake tenant's bucket, on a simulated clock (nothing sleeps).

Each simulation drives one `Pacer` the way the sender does (acquire, one request, observe,
release) against `RateLimit`, the fake tenant's model of Auth0's bucket, with the tenant's other
clients spending it at a set rate while the clock moves; beside it, the simple citizen
(`benchmarks/pacing_simulation.py`), which the pacer must not fall behind.
"""

from __future__ import annotations

import logging

import pytest

from benchmarks.pacing_simulation import Simulation, sustained_seconds
from tap_auth0_logs.api import bucket
from tap_auth0_logs.api.pacing import Pacer
from tap_auth0_logs.testing import SimulatedClock

STARTS = [1_000.0 + step / 10 for step in range(10)]


@pytest.mark.parametrize("start", [1_000.05, 1_000.3, 1_000.6, 1_000.9])
def test_a_small_continuous_bucket_goes_at_its_plans_rate(start):
    sim = Simulation(per_second=2, burst=2, start=start)
    seconds = sim.run(40)
    # A pacer that waited for each whole-second reset would get about half the rate.
    assert seconds < 1.05 * sustained_seconds(40, sim)
    assert sim.pacer.estimate.refill == bucket.Refill(2.0)
    assert sim.bucket.too_many["tap"] == 0


@pytest.mark.parametrize("start", [1_000.05, 1_000.5, 1_000.9])
def test_a_bucket_refilled_once_a_second_is_paced_at_whole_seconds(start):
    sim = Simulation(per_second=100 / 60, burst=10, per_minute=True, latency=0.1, start=start)
    seconds = sim.run(40)
    assert sim.bucket.too_many["tap"] == 0
    assert sim.bucket.crossings == 0
    assert seconds < 1.1 * sustained_seconds(40, sim)


@pytest.mark.parametrize("start", [1_000.0 + step / 20 for step in range(20)])
def test_dates_stamped_after_the_take_never_lead_the_pacer_over_the_line(start):
    # The server stamps `Date` as the answer leaves, after its take from the bucket; a pacer
    # that sends at whole seconds meets takes just before a second's edge often.
    sim = Simulation(per_second=100 / 60, burst=10, per_minute=True, start=start, processing=0.02)
    sim.run(60)
    assert sim.bucket.crossings == 0
    assert sim.bucket.too_many["tap"] == 0


@pytest.mark.parametrize(
    ("per_second", "burst", "per_minute"), [(100 / 60, 10, True), (16, 50, False)]
)
def test_the_reserve_is_kept_and_the_80_percent_line_never_crossed(per_second, burst, per_minute):
    sim = Simulation(per_second=per_second, burst=burst, per_minute=per_minute, latency=0.02)
    sim.run(3 * burst)
    assert sim.bucket.lowest >= 0.2 * burst
    assert sim.bucket.crossings == 0
    assert sim.pacer.usage.lowest >= 0.2 * burst


def test_without_a_reserve_the_whole_bucket_is_spent_and_faster():
    kept = Simulation(per_second=100 / 60, burst=10, per_minute=True, latency=0.1)
    spent = Simulation(per_second=100 / 60, burst=10, per_minute=True, latency=0.1, reserve=0)
    assert spent.run(30) < kept.run(30)
    assert spent.bucket.lowest <= 1
    assert spent.bucket.too_many["tap"] == 0


@pytest.mark.parametrize(
    ("per_second", "burst", "per_minute", "others"),
    [(100 / 60, 10, True, 0.4), (100 / 60, 10, True, 1.0), (16, 50, False, 8.0)],
)
def test_a_competing_client_makes_the_tap_yield(per_second, burst, per_minute, others):
    sim = Simulation(
        per_second=per_second, burst=burst, per_minute=per_minute, latency=0.1, others=others
    )
    sim.run(4 * burst)
    assert sim.bucket.too_many["others"] == 0
    assert sim.bucket.too_many["tap"] == 0
    # The tap spends what the bucket gains net of the others, not the plan's whole rate.
    taken = sim.bucket.taken["tap"] - (1 - 0.2) * burst
    assert taken / (sim.now - sim.start) <= per_second - others + 0.25


@pytest.mark.parametrize("start", STARTS)
def test_other_clients_at_a_quarter_of_the_rate_never_see_the_80_percent_line(start):
    sim = Simulation(
        per_second=100 / 60, burst=10, per_minute=True, latency=0.1, others=0.4, start=start
    )
    sim.run(40)
    assert sim.bucket.crossings == 0
    assert sim.bucket.too_many["others"] == 0


def test_other_clients_that_start_mid_run_are_yielded_to_at_once():
    sim = Simulation(per_second=100 / 60, burst=10, per_minute=True, latency=0.1)
    sim.run(20)
    sim.others_start(1.0)
    before = sim.bucket.taken["tap"]
    began = sim.now
    sim.run(20)
    assert sim.bucket.too_many["others"] == 0
    # The surge meets the bucket at the reserve (that is what the reserve is for), and the tap
    # then spends only what the others leave.
    assert (sim.bucket.taken["tap"] - before - 3) / (sim.now - began) <= 100 / 60 - 1.0 + 0.1


def after_a_429(reset: int) -> tuple[Pacer, SimulatedClock]:
    """A pacer on a simulated clock at 100.2 s whose one request got a 429 naming `reset`."""
    clock = SimulatedClock(100.2, grace=0.0)
    pacer = Pacer(clock=clock)
    headers = {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0"}
    headers["x-ratelimit-reset"] = str(reset)
    permit = pacer.acquire(10)
    assert permit is not None
    assert permit.waited == 0.0
    pacer.observe(permit, headers, rate_limited=True)
    pacer.release(permit)
    return pacer, clock


def test_a_429_holds_every_request_until_the_reset_and_counts_the_wait():
    pacer, clock = after_a_429(103)
    permit = pacer.acquire(10)
    assert permit is not None
    assert clock.now() >= 103
    assert permit.held == pytest.approx(2.8)
    assert pacer.usage.rate_limited == 1
    assert pacer.usage.waited == pytest.approx(2.8)
    assert "2.8 s waiting on the bucket, 1 answered 429" in pacer.summary()


def test_a_429_wait_past_the_budget_is_refused():
    pacer, clock = after_a_429(160)
    assert pacer.acquire(5) is None
    assert clock.now() == 100.2  # refused before waiting


def test_a_long_wait_is_said_and_told_to_the_orchestrator(caplog):
    told: list[float] = []
    pacer, _ = after_a_429(130)
    pacer.on_long_wait = told.append
    with caplog.at_level(logging.INFO, logger="tap_auth0_logs.api.pacing"):
        pacer.acquire(60)
    assert any("Waiting 30 s for the tenant's rate limit" in r.message for r in caplog.records)
    assert any("Waited 30 s" in r.message for r in caplog.records)
    assert told == [pytest.approx(130.0)]


def test_max_requests_per_second_caps_the_tap_below_the_bucket():
    sim = Simulation(per_second=16, burst=50, latency=0.01, max_per_second=4)
    sim.run(20)
    gaps = [b - a for a, b in zip(sim.sent_at, sim.sent_at[1:], strict=False)]
    assert min(gaps) >= 0.25 - 1e-9
    assert sim.pacer.usage.spacing.seconds > 0


def test_another_cursor_stops_helping_as_the_bucket_binds():
    sim = Simulation(per_second=16, burst=50, latency=0.02)
    sim.request()
    assert sim.pacer.another_cursor_helps(running=4)
    sim.run(60)
    # The bucket binds, and 16/s x 0.02 s round trips is less than one cursor's worth.
    assert not sim.pacer.another_cursor_helps(running=1)


def test_the_closing_line_counts_what_the_run_spent():
    sim = Simulation(per_second=2, burst=2)
    sim.run(10)
    line = sim.pacer.summary()
    assert line.startswith(f"Rate limit: {sim.pacer.usage.requests} requests, ")
    assert "0 answered 429" in line
    assert "lowest level 0 of 2" in line


def test_a_slow_bucket_of_a_plans_size_falls_back_on_the_reset():
    # A bucket of 2 refilled every 6 s is not the Free plan's: its first reset says so, and the
    # pacer counts on the reset alone rather than on the plan's 2 a second (429 after 429).
    sim = Simulation(per_second=1 / 6, burst=2, reserve=0)
    seconds = sim.run(6)
    assert seconds < 1.25 * sustained_seconds(6, sim)
    assert sim.bucket.too_many["tap"] == 0
    assert sim.pacer.estimate.refill == bucket.RESET_ONLY


def test_a_level_lower_than_the_taps_own_use_explains_cuts_the_rate_at_once():
    sim = Simulation(per_second=16, burst=50, latency=0.1)
    sim.run(80)
    assert sim.pacer.estimate.refill is not None
    before = sim.pacer.estimate.refill.rate
    sim.others_start(30.0)  # a deploy pipeline starts hammering the bucket
    sim.request()  # its answer shows the level fell by more than this one request
    assert sim.pacer.estimate.refill.rate == pytest.approx(bucket.YIELD_FACTOR * before)
    assert sim.bucket.too_many["tap"] == 0


def test_an_idle_tap_does_not_take_a_full_bucket_for_other_clients():
    # The bound stops at the bucket's size: grown past it while the tap was idle (a slow target,
    # the next stream), a full bucket would look like one that others had emptied.
    sim = Simulation(per_second=16, burst=50, latency=0.02)
    sim.run(120)
    learned = sim.pacer.estimate.refill
    sim.advance(sim.now + 10)
    sim.request()
    assert sim.pacer.estimate.refill == learned


@pytest.mark.parametrize(
    ("profile", "requests"),
    [
        ({"per_second": 2, "burst": 2, "latency": 0.05}, 40),
        ({"per_second": 100 / 60, "burst": 10, "per_minute": True, "latency": 0.1}, 40),
        (
            {
                "per_second": 100 / 60,
                "burst": 10,
                "per_minute": True,
                "latency": 0.1,
                "others": 0.4,
            },
            40,
        ),
        ({"per_second": 16, "burst": 50, "latency": 0.1, "others": 4.0}, 300),
    ],
    ids=["free", "essentials", "essentials-others", "enterprise-others"],
)
def test_sequential_the_pacer_keeps_up_with_the_simple_citizen_and_never_crosses_the_line(
    profile, requests
):
    # The simple citizen sleeps until the reset at a fifth of the bucket: it leaves the other
    # clients no margin (it crosses the 80% line); the pacer keeps pace without crossing it.
    tap = citizen = 0.0
    for start in STARTS:
        tap_sim, citizen_sim = (
            Simulation(start=start, **profile),
            Simulation(start=start, **profile),
        )
        tap += tap_sim.run(requests)
        citizen += citizen_sim.run(requests, citizen=True)
        assert tap_sim.bucket.too_many["tap"] == tap_sim.bucket.too_many["others"] == 0
        assert profile["burst"] < 10 or tap_sim.bucket.crossings == 0
    assert tap <= 1.02 * citizen

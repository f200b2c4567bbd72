"""The pacer against the fake tenant's bucket, on a simulated clock (nothing sleeps).

Each simulation drives one `Pacer` the way the retrier does (acquire, one request, observe, release)
against `RateLimit`, the fake tenant's model of Auth0's bucket, with the tenant's other clients
spending it at a set rate while the clock moves.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import pytest

from tap_auth0_logs.pacing import SPLIT_MIN_SPARE, Pacer, Rules
from tap_auth0_logs.testing.server import RateLimit


@dataclass
class Simulation:
    """One tap (sequential requests) and the tenant's other clients on one bucket."""

    per_second: float
    burst: int
    per_minute: bool = False
    latency: float = 0.05
    others: float = 0.0  # the other clients' requests per second
    reserve: float = 0.2
    max_per_second: float | None = None
    #: Seconds between the bucket's take and the answer's `Date` stamp (the server's work).
    processing: float = 0.0
    start: float = 1_000.3
    now: float = field(init=False)
    bucket: RateLimit = field(init=False)
    pacer: Pacer = field(init=False)
    sent_at: list[float] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.now = self.start
        self._others_due = self.start
        self.bucket = RateLimit(
            per_second=self.per_second,
            burst=self.burst,
            per_minute=self.per_minute,
            clock=lambda: self.now,
        )
        self.pacer = Pacer(
            Rules(reserve=self.reserve, max_per_second=self.max_per_second),
            clock=lambda: self.now,
            sleep=lambda seconds: self.advance(self.now + seconds),
        )

    def advance(self, to: float) -> None:
        """Move the clock, letting the other clients spend what they spend meanwhile."""
        while self.others and self._others_due <= to:
            self.now = max(self.now, self._others_due)
            self.bucket.take("others")
            self._others_due += 1 / self.others
        self.now = max(self.now, to)

    def request(self) -> bool:
        """One paced request; True when the bucket allowed it."""
        slot = self.pacer.acquire(900)
        assert slot is not None
        self.sent_at.append(self.now)
        self.advance(self.now + self.latency)
        allowed, headers = self.bucket.take("tap")
        # The server's second, as HTTP's Date says, stamped once the answer is ready.
        headers["date"] = str(math.floor(self.now + self.processing))
        self.pacer.observe(slot, headers, rate_limited=not allowed)
        if not allowed:
            self.advance(float(headers["x-ratelimit-reset"]))  # the sender's wait
        self.pacer.release(slot)
        return allowed

    def run(self, requests: int) -> float:
        """Seconds (simulated) the tap takes for `requests` allowed requests."""
        done = 0
        while done < requests:
            done += self.request()
        return self.now - self.start


def sustained_seconds(requests: int, sim: Simulation) -> float:
    """What a perfect client takes: the usable burst at once, the rest at the net refill rate."""
    usable = (1 - sim.reserve) * sim.burst
    return (requests - usable) / (sim.per_second - sim.others)


@pytest.mark.parametrize("start", [1_000.05, 1_000.3, 1_000.6, 1_000.9])
def test_the_refill_rate_is_learned_and_a_small_bucket_goes_at_it(start):
    sim = Simulation(per_second=2, burst=2, start=start)
    seconds = sim.run(40)
    # A pacer that waited for each whole-second reset would get about half the rate.
    assert seconds < 1.15 * sustained_seconds(40, sim)
    assert sim.pacer.refill.continuous
    assert sim.pacer.refill.rate is not None
    assert 1.6 <= sim.pacer.refill.rate <= 2.0
    assert sim.bucket.too_many["tap"] == 0


@pytest.mark.parametrize("start", [1_000.05, 1_000.5, 1_000.9])
def test_a_bucket_refilled_once_a_second_is_never_taken_for_a_continuous_one(start):
    sim = Simulation(per_second=100 / 60, burst=10, per_minute=True, latency=0.1, start=start)
    seconds = sim.run(40)
    assert not sim.pacer.refill.continuous
    assert sim.bucket.too_many["tap"] == 0
    assert seconds < 1.15 * sustained_seconds(40, sim)


@pytest.mark.parametrize("start", [1_000.0 + step / 20 for step in range(20)])
def test_dates_stamped_after_the_take_never_make_a_once_a_second_bucket_look_continuous(start):
    # The server stamps `Date` as the answer leaves, after its take from the bucket; a pacer
    # that sends at whole seconds meets takes just before a second's edge often.
    sim = Simulation(per_second=100 / 60, burst=10, per_minute=True, start=start, processing=0.02)
    sim.run(60)
    assert not sim.pacer.refill.continuous
    assert sim.bucket.crossings == 0
    assert sim.bucket.too_many["tap"] == 0


@pytest.mark.parametrize("start", [1_000.05, 1_000.5, 1_000.9])
def test_a_continuous_bucket_is_proven_so_though_dates_lag_the_take(start):
    sim = Simulation(per_second=16, burst=50, latency=0.1, start=start, processing=0.02)
    sim.run(150)
    assert sim.pacer.refill.continuous
    assert sim.bucket.crossings == 0


@pytest.mark.parametrize(
    ("per_second", "burst", "per_minute"), [(100 / 60, 10, True), (16, 50, False)]
)
def test_the_reserve_is_kept_and_the_80_percent_line_never_crossed(per_second, burst, per_minute):
    sim = Simulation(per_second=per_second, burst=burst, per_minute=per_minute, latency=0.02)
    sim.run(3 * burst)
    assert sim.bucket.lowest >= 0.2 * burst
    assert sim.bucket.crossings == 0
    assert sim.pacer.spending.lowest >= 0.2 * burst


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
    assert sim.pacer.refill.rate is not None
    assert sim.pacer.refill.rate <= per_second - others + 0.25


def test_other_clients_at_a_quarter_of_the_rate_never_see_the_80_percent_line():
    sim = Simulation(per_second=100 / 60, burst=10, per_minute=True, latency=0.1, others=0.4)
    sim.run(40)
    assert sim.bucket.crossings == 0
    assert sim.bucket.too_many["others"] == 0


def test_other_clients_that_start_mid_run_are_yielded_to_at_once():
    sim = Simulation(per_second=100 / 60, burst=10, per_minute=True, latency=0.1)
    sim.run(20)
    sim.others, sim._others_due = 1.0, sim.now
    sim.run(20)
    assert sim.bucket.too_many["others"] == 0
    # The surge itself meets the bucket at the reserve (that is what the reserve is for), and
    # the tap then spends only what the others leave.
    assert sim.pacer.refill.rate is not None
    assert sim.pacer.refill.rate <= 100 / 60 - 1.0 + 0.1


def after_a_429(reset: int) -> tuple[Pacer, list[float]]:
    """A pacer on a simulated clock at 100.2 s whose one request got a 429 naming `reset`."""
    now = [100.2]
    pacer = Pacer(clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    headers = {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0"}
    headers["x-ratelimit-reset"] = str(reset)
    slot = pacer.acquire(10)
    assert slot is not None
    assert slot.waited == 0.0
    pacer.observe(slot, headers, rate_limited=True)
    pacer.release(slot)
    return pacer, now


def test_a_429_still_waits_for_the_reset():
    pacer, now = after_a_429(103)
    slot = pacer.acquire(10)
    assert slot is not None
    assert now[0] >= 103
    assert pacer.spending.rate_limited == 1
    assert "1 answered 429" in pacer.summary()


def test_a_request_that_would_wait_past_the_budget_is_refused():
    pacer, _ = after_a_429(160)
    assert pacer.acquire(5) is None


def test_a_long_wait_on_the_bucket_is_said(caplog):
    pacer, _ = after_a_429(130)
    with caplog.at_level(logging.INFO, logger="tap_auth0_logs.pacing"):
        pacer.acquire(60)
    assert any("Waiting 30 s for the tenant's rate limit" in r.message for r in caplog.records)
    assert any("Waited 30 s" in r.message for r in caplog.records)


def test_max_requests_per_second_caps_the_tap_below_the_bucket():
    sim = Simulation(per_second=16, burst=50, latency=0.01, max_per_second=4)
    sim.run(20)
    gaps = [b - a for a, b in zip(sim.sent_at, sim.sent_at[1:], strict=False)]
    assert min(gaps) >= 0.25 - 1e-9


def test_the_spare_requests_fall_as_the_bucket_binds():
    sim = Simulation(per_second=16, burst=50, latency=0.02)
    sim.request()
    early = sim.pacer.spare()
    sim.run(60)
    assert early is not None
    assert early >= 30
    late = sim.pacer.spare()
    assert late is not None
    assert late < SPLIT_MIN_SPARE


def test_the_closing_line_counts_what_the_run_spent():
    sim = Simulation(per_second=2, burst=2)
    sim.run(10)
    line = sim.pacer.summary()
    assert line.startswith(f"Rate limit: {sim.pacer.spending.requests} requests, ")
    assert "0 answered 429" in line
    assert "lowest level 0 of 2" in line


def test_a_slow_bucket_is_not_mistaken_for_a_starved_one():
    # A request every 6 s: a few seconds of answers show almost no refill, which must not be
    # taken for a rate near zero (waits of minutes); the reset still says when one is added.
    sim = Simulation(per_second=1 / 6, burst=2, reserve=0)
    seconds = sim.run(6)
    assert seconds < 1.25 * sustained_seconds(6, sim)
    assert sim.bucket.too_many["tap"] == 0


def test_a_level_lower_than_the_taps_own_use_explains_cuts_the_rate_at_once():
    sim = Simulation(per_second=100 / 60, burst=10, per_minute=True, latency=0.1)
    sim.run(25)
    before = sim.pacer.refill.rate
    assert before is not None
    sim.others, sim._others_due = 3.0, sim.now  # a deploy pipeline starts hammering the bucket
    sim.request()  # its answer shows the level fell by more than this one request
    assert sim.pacer.refill.rate is not None
    assert sim.pacer.refill.rate <= 0.8 * before
    assert sim.bucket.too_many["tap"] == 0


def test_an_idle_tap_does_not_take_a_full_bucket_for_other_clients():
    # The bound stops at the bucket's size: grown past it while the tap was idle (a slow target,
    # the next stream), a full bucket would look like one that others had emptied.
    sim = Simulation(per_second=16, burst=50, latency=0.02)
    sim.run(120)
    learned = sim.pacer.refill.rate
    assert learned is not None
    sim.advance(sim.now + 10)
    sim.request()
    assert sim.pacer.refill.rate == learned

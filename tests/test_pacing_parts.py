"""The pacer's pure parts, with plain numbers: no threads, no clocks, no server."""

from __future__ import annotations

import math
import threading

import pytest

from tap_auth0_logs.api import bucket
from tap_auth0_logs.api.bucket import Estimate, Observation, Refill, kept_level, learn, level
from tap_auth0_logs.api.pacing import SPLIT_MIN_SPARE, InFlight, Pacer, Usage
from tap_auth0_logs.testing import SimulatedClock


def observed(at: float, level: float, **kw) -> Observation:
    """An answer read at `at` from a bucket of 50 (Enterprise's), reset a second later."""
    kw.setdefault("limit", 50)
    kw.setdefault("reset", math.floor(at) + 1)
    return Observation(at=at, level=level, **kw)


ENTERPRISE = Refill(16.0)
ESSENTIALS = Refill(100 / 60, continuous=False)


# --- what the bucket surely holds -------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "reserve", "kept"),
    [(50, 0.2, 11.0), (10, 0.2, 3.0), (2, 0.2, 0.0), (2, 0.5, 1.0), (50, 0.0, 0.0)],
)
def test_the_kept_level_is_the_reserve_and_one_more_where_a_request_can_be_spared(
    limit, reserve, kept
):
    assert kept_level(limit, reserve) == pytest.approx(kept, abs=2 * bucket.ABOVE)
    assert kept_level(math.inf, reserve) == 0  # a size not known yet


def test_the_first_answer_counts_the_requests_beside_it_as_spent_and_takes_the_plans_refill():
    estimate = learn(Estimate(), observed(10.2, 40, overlap=3))
    assert (estimate.level, estimate.floor, estimate.limit) == (37, 37, 50)
    assert estimate.refill == ENTERPRISE
    assert learn(Estimate(), observed(10.2, 40, limit=30)).refill == bucket.RESET_ONLY


def test_the_bound_grows_continuously_or_at_whole_seconds_from_the_reset_and_stops_at_the_size():
    continuous = Estimate(level=10, at=100.2, floor=10, reset=101, limit=50, refill=ENTERPRISE)
    assert level(continuous, 100.45) == pytest.approx(14)
    assert level(continuous, 200) == 50  # never past the bucket's size
    assert level(continuous.sent().sent(), 100.45) == pytest.approx(12)
    stepped = Estimate(level=3, at=100.2, floor=3, reset=101, limit=10, refill=ESSENTIALS)
    assert level(stepped, 100.99) == 3  # nothing before the second the reset names
    assert level(stepped, 101.0) == pytest.approx(3 + 100 / 60)
    assert level(stepped, 102.5) == pytest.approx(3 + 2 * 100 / 60)


def test_with_the_reset_alone_the_reset_adds_one_request():
    estimate = Estimate(level=2.5, at=100.2, floor=2, reset=103, limit=10, refill=bucket.RESET_ONLY)
    assert level(estimate, 102.9) == 2.5
    assert level(estimate, 103) == 3  # the floor and one more, not the finer level and one more
    assert bucket.due(estimate, kept=1.6) == 103
    assert bucket.due(estimate, kept=3) == math.inf  # only an answer can tell more


def test_the_due_time_follows_the_rate_or_the_whole_seconds_and_stays_above_the_kept_level():
    continuous = Estimate(level=10, at=100.2, floor=10, reset=101, limit=50, refill=ENTERPRISE)
    assert bucket.due(continuous, kept=11) == pytest.approx(100.2 + 2 / 16, abs=1e-5)
    stepped = Estimate(level=3.0, at=100.2, floor=3, reset=101, limit=10, refill=ESSENTIALS)
    assert bucket.due(stepped, kept=1) == 100.2  # 3 may go down to 2, above 1
    assert bucket.due(stepped, kept=2) == 100.2  # down to 2 exactly: where no line is kept
    # A bucket of 10 keeps 3 and stays above it: exactly 3 after it would be "at" the line.
    assert bucket.due(stepped, kept=kept_level(10, 0.2) - 1) == 101
    assert bucket.due(stepped, kept=4) == 102
    assert bucket.due(stepped, kept=50) == math.inf  # more than the bucket holds


def test_an_answer_keeps_a_finer_prediction_only_where_its_level_allows_it():
    estimate = Estimate(level=10, at=100.0, floor=10, reset=101, limit=50, refill=ENTERPRISE)
    # 10 + 16 x 0.1 = 11.6 predicted at 100.1; an answer of 11 allows it, one of 13 does not.
    assert learn(estimate, observed(100.1, 11)).level == pytest.approx(11.6)
    assert learn(estimate, observed(100.1, 13)).level == 13
    assert learn(estimate, observed(100.1, 8)).level == 8


def test_an_answer_older_than_one_already_read_teaches_only_its_429():
    estimate = Estimate(level=1, at=100.0, floor=1, reset=101, limit=10, refill=ESSENTIALS)
    assert learn(estimate, observed(100.1, 5, limit=10, stale=True)) == estimate
    stale_429 = learn(estimate, observed(100.1, 0, limit=10, stale=True, rate_limited=True))
    assert stale_429.level == 1
    assert stale_429.resume_at == pytest.approx(101)


def test_a_resume_time_further_than_a_minute_is_not_believed():
    assert bucket.resume_at(observed(100.0, 0, retry_after=3600)) == 160
    assert bucket.resume_at(observed(100.0, 0, reset=9999)) == 160
    assert bucket.resume_at(observed(100.0, 0, retry_after=3, reset=150)) == 103
    assert bucket.resume_at(observed(100.0, 0, reset=95)) == 100
    assert bucket.resume_at(Observation(at=100.0, level=None)) == 101
    assert learn(Estimate(), observed(100.0, 5, reset=9999)).reset == 160


def test_one_429_is_one_cut_though_the_level_also_fell_below_the_bound():
    estimate = Estimate(level=20, at=100.0, floor=20, reset=101, limit=50, refill=ENTERPRISE)
    after = learn(estimate, observed(100.1, 0, rate_limited=True))
    assert after.refill == Refill(16.0 * bucket.YIELD_FACTOR)
    assert after.resume_at == pytest.approx(101)


def test_a_level_a_request_above_the_bound_grows_the_rate_back_up_to_the_plans():
    cut = Estimate(level=10, at=100.0, floor=10, reset=101, limit=50, refill=Refill(8.0))
    grown = learn(cut, observed(100.5, 20))
    assert grown.refill == Refill(8.0 / bucket.YIELD_FACTOR)
    nearly = Estimate(level=10, at=100.0, floor=10, reset=101, limit=50, refill=Refill(15.0))
    assert learn(nearly, observed(100.5, 30)).refill == ENTERPRISE  # never past the plan's
    assert learn(nearly, observed(100.5, 49)).refill == Refill(15.0)  # a full bucket tells none


def test_a_reset_further_than_the_rate_allows_leaves_the_reset_alone():
    free = learn(Estimate(), observed(100.0, 1, limit=2, reset=101))
    assert free.refill == Refill(2.0)
    slow = learn(free, observed(100.5, 0, limit=2, reset=106))
    assert slow.refill == bucket.RESET_ONLY


def test_the_answers_without_rate_limit_headers_leave_the_tap_unpaced():
    estimate = learn(Estimate(), Observation(at=1.0, level=None))
    assert estimate.level == math.inf
    assert bucket.due(estimate, kept=3) <= 1.0


# --- the run's counters and the requests in flight ------------------------------------------


def test_waiting_is_counted_as_wall_clock_time_not_summed_across_waiters():
    spending = Usage()
    spending.on_bucket.start(0.0)
    spending.on_bucket.start(1.0)  # a second cursor waits beside the first
    spending.on_bucket.stop(2.0)
    spending.on_bucket.stop(3.0)
    spending.on_bucket.start(5.0)
    spending.on_bucket.stop(5.5)
    assert spending.waited == 3.5
    assert "3.5 s waiting on the bucket, 0 answered 429" in spending.summary(10)
    spending.spacing.start(6.0)
    spending.spacing.stop(8.0)
    assert "3.5 s waiting on the bucket, 2.0 s spaced by max_requests_per_second" in (
        spending.summary(10)
    )


def test_an_answer_counts_the_requests_that_may_be_processed_after_it():
    flight = InFlight()
    first, second, third = (flight.take(float(n)) for n in range(3))
    assert flight.around(second) == (2, False)
    flight.flying.discard(second)
    flight.flying.discard(third)
    assert flight.around(first) == (2, True)  # the second was answered before it


# --- the pacer's one answer to "does another cursor help?" ---------------------------------


def pacer_at(level: int, in_flight: int, limit: int = 50) -> Pacer:
    """A pacer whose latest answer said `level` with `in_flight` other requests in flight."""
    pacer = Pacer(reserve=0.2, clock=SimulatedClock(1_000.0))
    headers = {"x-ratelimit-limit": str(limit), "x-ratelimit-reset": "1001"}
    opening = pacer.acquire(0)
    assert opening is not None
    pacer.observe(opening, {**headers, "x-ratelimit-remaining": str(limit)})
    pacer.release(opening)
    permits = [pacer.acquire(0) for _ in range(in_flight + 1)]
    answered = permits[0]
    assert answered is not None
    pacer.observe(answered, {**headers, "x-ratelimit-remaining": str(level)})
    pacer.release(answered)
    return pacer


def test_whether_another_cursor_helps_counts_the_requests_in_flight_once():
    # A bucket of 50, reserve 0.2 (11 kept), level 40 with 5 in flight: 24 to spare.
    pacer = pacer_at(level=40, in_flight=5)
    assert level(pacer.estimate, 1_000.0) == 35
    assert pacer.another_cursor_helps(running=1)
    assert pacer.acquire(0) is not None  # requests go, and so may another cursor


def test_another_cursor_does_not_help_once_the_bucket_binds():
    pacer = pacer_at(level=30, in_flight=5)
    spare = level(pacer.estimate, 1_000.0)
    assert spare is not None
    assert spare - pacer.kept < SPLIT_MIN_SPARE
    assert not pacer.another_cursor_helps(running=1)  # round trips of 0 s: latency holds nothing


def test_the_first_answer_is_awaited_then_a_tenant_without_headers_is_not_paced():
    pacer = Pacer(reserve=0.2)
    opening = pacer.acquire(0)
    assert opening is not None
    second: list[object] = []
    waiter = threading.Thread(target=lambda: second.append(pacer.acquire(0)))
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive()  # the first answer tells whether the tenant meters
    pacer.observe(opening, {})
    pacer.release(opening)
    waiter.join(5)
    assert second
    assert second[0] is not None
    permits = [pacer.acquire(0) for _ in range(8)]
    assert None not in permits
    assert "lowest level unknown" in pacer.summary()

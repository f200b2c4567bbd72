"""The pacer's pure parts, with plain numbers: no threads, no clocks, no server."""

from __future__ import annotations

import math

import pytest

from tap_auth0_logs.bucket import Bound, Reading, Refill, kept_level
from tap_auth0_logs.pacing import SPLIT_MIN_SPARE, Flight, Pacer, Rules, Spending
from tap_auth0_logs.refill import (
    MAX_REFILL_TESTS,
    YIELD_FACTOR,
    RateEstimate,
    RefillProof,
    refill_rate,
)


def reading(at: float, level: int, answered: int = 1, overlap: int = 0, **kw) -> Reading:
    """An answer received at `at`, dated the same second; its request sent 0.05 s before."""
    kw.setdefault("sent", at - 0.05)
    second = str(int(at))
    return Reading(at=at, level=level, answered=answered, overlap=overlap, second=second, **kw)


# --- what the bucket surely holds -------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "reserve", "kept"),
    [(50, 0.2, 11.0), (10, 0.2, 3.0), (2, 0.2, 0.0), (2, 0.5, 1.0), (50, 0.0, 0.0), (None, 0.2, 0)],
)
def test_the_kept_level_is_the_reserve_and_one_more_where_a_request_can_be_spared(
    limit, reserve, kept
):
    assert kept_level(limit, reserve) == kept


def test_the_first_bound_counts_the_requests_beside_the_answer_as_spent():
    bound = Bound.first(reading(10.0, level=40, overlap=5), reset=11.0, limit=50)
    assert bound.level(10.0, Refill()) == 35
    assert bound.spend().spend().level(10.0, Refill()) == 33


def test_the_bound_grows_continuously_or_at_whole_seconds_and_stops_at_the_size():
    bound = Bound.first(reading(10.5, level=0), reset=11.0, limit=10)
    continuous = Refill(rate=2.0, continuous=True)
    unknown = Refill(rate=2.0, continuous=False)
    assert bound.level(10.9, continuous) == pytest.approx(0.8)
    assert bound.level(10.9, unknown) == 0  # a once-a-second bucket has not refilled yet
    assert bound.level(11.2, unknown) == pytest.approx(1.4)  # the lesser: continuous
    assert bound.level(100.0, continuous) == 10  # never more than the bucket holds
    assert bound.spend().level(100.0, continuous) == 9


def test_before_the_rate_is_known_the_reset_adds_one_request():
    bound = Bound.first(reading(10.2, level=0), reset=11.0, limit=10)
    assert bound.level(10.9, Refill()) == 0
    assert bound.level(11.0, Refill()) == 1
    assert bound.due(kept=0, refill=Refill()) == 11.0
    assert bound.due(kept=1, refill=Refill()) == math.inf  # only an answer can tell more


def test_the_due_time_follows_the_rate_and_whole_seconds_when_unproven():
    bound = Bound.first(reading(10.5, level=0), reset=11.0, limit=10)
    assert bound.due(kept=0, refill=Refill(rate=2.0, continuous=True)) == pytest.approx(11.0)
    assert bound.due(kept=1, refill=Refill(rate=2.0, continuous=True)) == pytest.approx(11.5)
    assert bound.due(kept=1, refill=Refill(rate=2.0, continuous=False)) == pytest.approx(11.5)
    assert bound.due(kept=2, refill=Refill(rate=2.0, continuous=False)) == 12.0
    assert bound.due(kept=10, refill=Refill(rate=2.0, continuous=True)) == math.inf


def test_an_answer_keeps_a_finer_prediction_only_where_its_level_allows():
    refill = Refill(rate=1.0, continuous=True)
    bound = Bound.first(reading(10.0, level=5), reset=11.0, limit=10)  # predicts 5.5 at 10.5
    kept, fell = bound.rebased(reading(10.5, level=5), 11.0, refill, 10)
    assert (kept.level(10.5, refill), fell) == (pytest.approx(5.5), False)
    lower, fell = bound.rebased(reading(10.5, level=3), 11.0, refill, 10)
    assert (lower.level(10.5, refill), fell) == (3.0, True)  # others spent: yield
    higher, fell = bound.rebased(reading(10.5, level=8), 11.0, refill, 10)
    assert (higher.level(10.5, refill), fell) == (8.0, False)


def test_a_stale_answer_can_only_lower_the_bound():
    refill = Refill(rate=1.0, continuous=True)
    bound = Bound.first(reading(10.0, level=2), reset=11.0, limit=10)
    late, fell = bound.rebased(reading(10.5, level=9, stale=True), 11.0, refill, 10)
    assert late.level(10.5, refill) == pytest.approx(2.5)
    assert not fell
    low, _ = bound.rebased(reading(10.5, level=1, stale=True), 11.0, refill, 10)
    assert low.level(10.5, refill) == 1.0


def test_a_reset_further_than_a_minute_is_not_believed():
    bound = Bound.first(reading(10.0, level=0), reset=10_000.0, limit=10)
    assert bound.reset == 70.0
    assert Bound.first(reading(10.0, level=0), reset=None, limit=10).reset == 11.0


# --- how fast it refills --------------------------------------------------------------------


def test_a_refill_rate_is_a_lower_bound_from_levels_and_the_taps_own_answers():
    first = reading(10.0, level=5, answered=1)
    # 3 s later: level 4, and the tap's 8 answers in between spent 8: 7 refilled at least.
    last = reading(13.0, level=4, answered=9)
    assert refill_rate(first, last, continuous=True) == pytest.approx(6 / 3)
    assert refill_rate(first, reading(11.0, level=4, answered=9), continuous=True) is None
    assert refill_rate(first, reading(13.0, level=5, answered=2), continuous=True) is None


def test_the_estimate_learns_a_steady_rate_from_below_and_yields_when_cut():
    estimate = RateEstimate()
    for step in range(41):  # 2 answers a second, the bucket steady at 3: it refills 2/s
        estimate.feed(reading(10 + step / 2, level=3, answered=step + 1), 10, continuous=True)
    assert estimate.rate is not None
    assert 1.6 <= estimate.rate <= 2.0
    learned = estimate.rate
    estimate.cut()
    assert estimate.rate == pytest.approx(learned * YIELD_FACTOR)


def test_the_estimate_does_not_learn_from_a_bucket_near_full():
    estimate = RateEstimate()
    for step in range(20):
        estimate.feed(reading(10 + step / 2, level=9, answered=step + 1), 10, continuous=True)
    assert estimate.rate is None


def test_a_rise_within_one_server_second_proves_a_continuous_refill():
    proof = RefillProof()
    proof.feed(reading(10.05, level=3, answered=1), 0.0, 0.05)  # opens second 10
    proof.feed(reading(10.2, level=2, answered=2), 0.0, 0.05)  # sent after it: the anchor
    proof.feed(reading(10.8, level=2, answered=3), 0.0, 0.05)
    assert proof.continuous  # it spent one and still shows 2: one came within the second


def test_the_first_answer_dated_a_second_may_have_been_taken_in_the_one_before():
    # `Date` is stamped as the answer leaves: a request taken at 10.999 (before a once-a-second
    # refill at 11) may be dated 11, and the refill then looks like a rise within second 11.
    proof = RefillProof()
    proof.feed(reading(10.5, level=3, answered=1), 0.0, 0.05)
    proof.feed(reading(11.02, level=2, answered=2, sent=10.95), 0.0, 0.05)  # taken before 11
    proof.feed(reading(11.3, level=3, answered=3, sent=10.99), 0.0, 0.05)  # sent before it came
    assert not proof.continuous
    proof.feed(reading(11.5, level=2, answered=4), 0.0, 0.05)  # the anchor of second 11
    proof.feed(reading(11.9, level=1, answered=5), 0.0, 0.05)  # no rise within the second
    assert not proof.continuous


def test_the_free_plans_bucket_is_known_to_refill_continuously_at_two_a_second():
    proof, estimate = RefillProof(), RateEstimate()
    proof.sized(10)
    estimate.sized(10)
    assert (proof.continuous, estimate.rate) == (False, None)
    proof.sized(2)
    estimate.sized(2)
    assert (proof.continuous, estimate.rate) == (True, None)  # the rate waits for a reset
    estimate.reset_seen(level=1, limit=2, seconds=0.6)
    assert estimate.rate == 2.0


def test_a_slower_bucket_of_the_same_size_denies_the_plans_rate():
    estimate = RateEstimate()
    estimate.sized(2)
    estimate.reset_seen(level=2, limit=2, seconds=0.0)  # full: tells nothing
    estimate.reset_seen(level=0, limit=2, seconds=5.4)  # a request every 6 s
    estimate.sized(2)
    estimate.reset_seen(level=0, limit=2, seconds=0.6)
    assert estimate.rate is None


def test_a_plans_rate_is_a_prior_that_answers_confirm_or_correct():
    estimate = RateEstimate()
    estimate.sized(2)
    estimate.reset_seen(level=0, limit=2, seconds=0.9)
    for step in range(20):  # levels that a lower rate explains do not lower the prior
        estimate.feed(reading(10 + step / 2, level=0, answered=step + 1), 2, continuous=True)
    assert estimate.rate == 2.0
    estimate.cut()  # the bucket fell faster than 2/s allows: other clients share it
    assert estimate.rate == pytest.approx(1.6)
    estimate.sized(2)
    assert estimate.rate == pytest.approx(1.6)  # the prior, once denied, stays dropped


def test_a_bucket_that_never_rises_within_a_second_is_not_proven():
    proof = RefillProof()
    for step in range(20):  # per minute: level falls by the tap's own answers, rises at seconds
        at = 10 + step / 4
        proof.feed(reading(at, level=8 - step % 4, answered=step + 1), 0.0, 0.05)
    assert not proof.continuous


def test_a_refill_test_holds_a_request_late_into_the_second_only_near_the_reserve():
    proof = RefillProof()

    def anchored(at: float, spare: float) -> None:  # the second opens; its anchor
        proof.feed(reading(at - 0.05, level=4), spare=spare, round_trip=0.1)
        proof.feed(reading(at, level=3), spare=spare, round_trip=0.1)

    anchored(10.1, spare=5.0)
    assert proof.hold_until is None  # far above the reserve: nothing to gain
    anchored(11.1, spare=1.5)
    assert proof.hold_until == pytest.approx(11.85)
    proof.sent()
    assert proof.hold_until is None
    anchored(12.7, spare=1.5)
    assert proof.hold_until is None  # too late in the second
    for second in range(13, 13 + MAX_REFILL_TESTS + 2):
        anchored(second + 0.1, spare=1.5)
        proof.sent()
    assert proof.tests == MAX_REFILL_TESTS


# --- the run's counters and the requests in flight ------------------------------------------


def test_waiting_is_counted_as_wall_clock_time_not_summed_across_waiters():
    spending = Spending()
    spending.on_bucket.started(0.0)
    spending.on_bucket.started(1.0)  # a second cursor waits beside the first
    spending.on_bucket.ended(2.0)
    spending.on_bucket.ended(3.0)
    spending.on_bucket.started(5.0)
    spending.on_bucket.ended(5.5)
    assert spending.waited == 3.5
    assert "3.5 s waiting on the bucket, 0 answered 429" in spending.summary()
    spending.spacing.started(6.0)
    spending.spacing.ended(8.0)
    assert "3.5 s waiting on the bucket, 2.0 s spaced by max_requests_per_second" in (
        spending.summary()
    )


def test_an_answer_counts_the_requests_that_may_be_processed_after_it():
    flight = Flight()
    first, second, third = (flight.take(float(n)) for n in range(3))
    answer = flight.read(second, level=7, second="10", now=3.0)
    assert (answer.overlap, answer.stale) == (2, False)
    flight.land(second.number)
    flight.land(third.number)
    late = flight.read(first, level=9, second="10", now=4.0)
    assert (late.overlap, late.stale) == (2, True)  # the second was answered before it


# --- the pacer's one answer to "room for another cursor?" -----------------------------------


def pacer_at(level: int, in_flight: int, limit: int = 50) -> Pacer:
    """A pacer whose latest answer said `level` with `in_flight` other requests in flight."""
    pacer = Pacer(Rules(reserve=0.2), clock=lambda: 1_000.0)
    headers = {"x-ratelimit-limit": str(limit), "x-ratelimit-reset": "1001"}
    opening = pacer.acquire(0)
    assert opening is not None
    pacer.observe(opening, {**headers, "x-ratelimit-remaining": str(limit)})
    pacer.release(opening)
    slots = [pacer.acquire(0) for _ in range(in_flight + 1)]
    answered = slots[0]
    assert answered is not None
    pacer.observe(answered, {**headers, "x-ratelimit-remaining": str(level)})
    pacer.release(answered)
    return pacer


def test_room_for_another_cursor_counts_the_requests_in_flight_once():
    # A bucket of 50, reserve 0.2 (11 kept), level 40 with 5 in flight: 24 to spare.
    pacer = pacer_at(level=40, in_flight=5)
    assert pacer.spare() == 24
    assert pacer.room_for_cursor(running=1)
    assert pacer.acquire(0) is not None  # requests go, and so may another cursor


def test_no_room_for_another_cursor_once_the_bucket_binds():
    pacer = pacer_at(level=30, in_flight=5)
    spare = pacer.spare()
    assert spare is not None
    assert spare < SPLIT_MIN_SPARE
    assert not pacer.room_for_cursor(running=1)  # no rate learned yet: latency cannot be shown


def test_a_tenant_without_rate_limit_headers_is_not_paced_and_costs_no_waiting():
    pacer = Pacer(Rules(reserve=0.2), clock=lambda: 1_000.0)
    opening = pacer.acquire(0)
    assert opening is not None
    assert pacer.acquire(0) is None  # the first answer tells whether the tenant meters
    pacer.observe(opening, {})
    pacer.release(opening)
    slots = [pacer.acquire(0) for _ in range(8)]
    assert None not in slots
    assert pacer.spending.waited == 0.0
    assert "0.0 s waiting on the bucket" in pacer.summary()

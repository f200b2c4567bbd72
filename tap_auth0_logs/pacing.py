"""Pacing: spend the tenant's rate-limit bucket at its refill rate, leaving a reserve to others.

Auth0's Management API is a token bucket shared by everything the tenant runs (docs/auth0-api.md
§5): the customer's own apps, Actions, deploy pipelines, and this tap. Every answer carries
`x-ratelimit-limit` (the bucket's size), `x-ratelimit-remaining` (whole requests left) and
`x-ratelimit-reset` (the whole second at which the next request is added). Buckets refilled per
second refill continuously; buckets refilled per minute refill once a second. Crossing 80% of the
bucket writes an `api_limit_warning` event into the tenant's log, and every 429 an `api_limit`.

The `Pacer` serves a whole run (every stream and backfill cursor shares it). It keeps a lower
bound of the bucket's level, and lets a request go only when that bound, less the requests in
flight, stays above the **reserve** (`rate_limit_reserve`, a share of the bucket left to the
tenant's other clients; the default keeps a run under the 80% line). Between answers the bound
grows by what the bucket surely refilled:

- until the rate is known, one request by the `x-ratelimit-reset` of the latest answer (that
  is what the reset means; other clients may take it, which is why it is not trusted longer);
- at the **net refill rate**, once learned from the levels answers report over a few seconds
  plus the requests the tap made meanwhile. Other clients' use lowers it, so the tap yields to
  them, and every answer corrects the bound: a level lower than the tap's own use explains cuts
  the rate at once;
- continuously only once the tap has seen the bucket refill within one second (a refill test
  holds one request to late in a second when the level is near the reserve); until then it
  counts refills only at whole seconds too, which is safe for both kinds of bucket.

Spacing requests by the learned rate reaches the plan's sustained rate although
`x-ratelimit-reset` only has whole seconds. `max_requests_per_second` caps the tap on top.
Retries, and how long a 429 waits, are `retry.py`'s.
"""

from __future__ import annotations

import enum
import logging
import math
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

#: Added to waits for the bucket so that cursors sharing it do not all wake at the same instant.
RESET_JITTER_SECONDS = 0.05
#: The shortest stretch of answers a refill rate is learned from: levels are whole requests, so
#: a stretch of T seconds knows the rate to within 1/T.
RATE_WINDOW_SECONDS = 2.0
#: A rate is learned only from a stretch that surely refilled this many requests: until then the
#: reset (one more request by then) is all the pacer counts on, which suits slow buckets too.
MIN_REFILL_SEEN = 2
#: Answers older than this no longer count towards the rate: other clients' use changes.
RATE_HORIZON_SECONDS = 30.0
#: The learned rate is cut by this when the bucket falls faster than the tap's use explains.
YIELD_FACTOR = 0.8
#: The furthest reset the pacer believes.
MAX_RESET_SECONDS = 60.0
#: Answers kept to learn the rate from are at least this far apart (at most 120 in the horizon).
ANCHOR_SPACING_SECONDS = 0.25
#: A wait for the bucket longer than this is said in the log.
LONG_WAIT_SECONDS = 5.0
#: While requests are in flight, re-check this often whether their answers allow more.
ANSWER_WAIT_SECONDS = 0.25
#: A refill test compares two answers at least this far apart within one second.
TEST_SPAN_SECONDS = 0.5
#: Refill tests a run makes at most before it settles for counting refills at whole seconds.
MAX_REFILL_TESTS = 4

logger = logging.getLogger(__name__)


class Refill(enum.Enum):
    """How the bucket is seen to refill."""

    UNKNOWN = "unknown"  # count refills at whole seconds and continuously, whichever is less
    CONTINUOUS = "continuous"  # seen to refill within a second


def header_number(headers: Mapping[str, str], name: str) -> float | None:
    """The number a header holds, or None when it is absent or not a number."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class _Reading:
    """One answer's level, and what is needed to compare it with another's."""

    at: float
    level: int
    answered: int  # the tap's answers so far, this one included
    overlap: int  # the tap's requests in flight beside this one: reflected in `level` or not
    second: str  # the server's second (its `Date` header), or the local one
    stale: bool  # a request sent after this one was answered first


@dataclass
class Pacer:
    """When the next request may go; thread-safe, one per run. See the module's docstring."""

    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    #: Share of the bucket (0 to 0.9) the tap leaves to the tenant's other clients.
    reserve: float = 0.0
    #: A hard cap on the tap's requests per second, or None.
    max_per_second: float | None = None
    #: Told when a wait on the bucket of `LONG_WAIT_SECONDS` or more starts, with its end (Unix
    #: time), outside the pacer's lock: an orchestrator may show that the run is rate limited.
    on_long_wait: Callable[[float], None] | None = field(default=None, repr=False)
    # What a run spent, for its closing line.
    waited: float = 0.0
    limit: int | None = None
    requests: int = 0
    rate_limited: int = 0
    lowest: int | None = None
    #: The bucket's learned net refill rate (a lower bound, requests per second), once known.
    rate: float | None = None
    #: The round trip of a request (an average of the latest), once one was answered.
    round_trip: float | None = None
    refill: Refill = Refill.UNKNOWN
    refill_tests: int = 0
    _base: float | None = None  # lower bound of the level at `_base_at`, after requests in flight
    _base_stepped: float = 0.0  # the same, were the bucket refilled once a second
    _base_at: float = 0.0
    _floor: float = 0.0  # the lowest level the latest answer allows (its level, less overlap)
    _reset: float = math.inf  # by then, one more request than `_floor` (the latest answer's)
    _spent: int = 0  # requests sent since `_base_at`
    _resume_at: float = 0.0  # no request before this (a 429)
    _flying: set[int] = field(default_factory=set, repr=False)  # requests in flight, by number
    _sent: int = 0
    _answered: int = 0
    _last_sent: float = -math.inf
    _test_until: float | None = None  # a refill test holds requests until then
    _second_first: _Reading | None = None  # the first reading of the current second
    _history: deque[_Reading] = field(default_factory=deque, repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _lock: threading.Condition = field(default_factory=threading.Condition, repr=False)

    @property
    def _in_flight(self) -> int:
        return len(self._flying)

    # --- requests -----------------------------------------------------------------------------

    def acquire(self, max_wait: float) -> float | None:
        """Wait until a request may go and take its slot; the seconds waited.

        None, without a slot, when the wait would pass `max_wait` seconds.
        """
        waited = 0.0
        with self._lock:
            while True:
                now = self.clock()
                delay = self._delay(now)
                if delay <= 0:
                    self._take(now)
                    if waited >= LONG_WAIT_SECONDS:
                        logger.info("Waited %.0f s for the tenant's rate limit.", waited)
                    return waited
                answer_pending = self._in_flight > 0 and delay >= ANSWER_WAIT_SECONDS
                step = (
                    ANSWER_WAIT_SECONDS
                    if answer_pending
                    else delay + random.uniform(0, RESET_JITTER_SECONDS)
                )
                if waited + min(step, delay) > max_wait:
                    return None
                if step >= LONG_WAIT_SECONDS:
                    logger.info(
                        "Waiting %.0f s for the tenant's rate limit%s.", step, self._described()
                    )
                started = time.monotonic()
                if answer_pending:  # an answer in flight may tell more
                    self._lock.wait(step)
                    spent = min(time.monotonic() - started, step)
                else:
                    self._lock.release()
                    try:
                        if step >= LONG_WAIT_SECONDS and self.on_long_wait is not None:
                            self.on_long_wait(self.clock() + step)
                        self.sleep(step)
                    finally:
                        self._lock.acquire()
                    spent = step
                waited += spent
                self.waited += spent

    def _take(self, now: float) -> None:
        self._local.sent_at, self._local.sent = now, self._sent
        self._flying.add(self._sent)
        self._sent += 1
        self._spent += 1
        self.requests += 1
        self._last_sent = now
        if self._test_until is not None:
            self._test_until = None  # this request is the test's second reading

    def release(self) -> None:
        """Give back the slot of a request that has been answered (or has failed)."""
        with self._lock:
            self._flying.discard(getattr(self._local, "sent", -1))
            self._lock.notify_all()

    def _delay(self, now: float) -> float:
        """Seconds before a request may go now (0 or less: at once)."""
        spacing = self._last_sent + 1 / self.max_per_second - now if self.max_per_second else 0.0
        if now < self._resume_at:
            return max(spacing, self._resume_at - now)
        if self._test_until is not None and now < self._test_until:
            if self._in_flight:
                return max(spacing, min(ANSWER_WAIT_SECONDS, self._test_until - now))
            return max(spacing, self._test_until - now)
        if self._base is None:  # nothing known: one request learns the level
            return spacing if self._in_flight == 0 else max(spacing, ANSWER_WAIT_SECONDS)
        if self._level(now) >= self._kept_level() + 1:
            return spacing
        due = self._due()
        if not math.isfinite(due):
            if self._in_flight:  # an answer in flight will tell more
                return max(spacing, ANSWER_WAIT_SECONDS)
            # Nothing known will ever let a request go: after the reset, one probes the level.
            return max(spacing, self._reset - now)
        return max(spacing, due - now, 0.001)

    def _level(self, now: float) -> float:
        """A lower bound of the bucket's level now, less the requests sent since the answer.

        Continuous refills and once-a-second ones are bounded each on its own, so a refill
        test's pending whole second is not lost when an answer comes just before it.
        """
        continuous, stepped = self._predicted(now)
        level = continuous if self.refill is Refill.CONTINUOUS else min(continuous, stepped)
        if self.rate is None and now >= self._reset:  # the reset's one more request
            level = max(level, self._capped(self._floor + 1) - self._spent)
        return level

    def _due(self) -> float:
        """When the bound first lets a request go (inf when only an answer can tell)."""
        assert self._base is not None
        wanted = self._kept_level() + 1 + self._spent  # the bound a request needs
        if self.limit is not None and wanted > self.limit:
            return math.inf
        if self.rate is None:
            return self._reset if self._floor + 1 >= wanted else math.inf
        due = self._base_at + (wanted - self._base) / self.rate
        if self.refill is not Refill.CONTINUOUS:
            seconds = math.ceil((wanted - self._base_stepped) / self.rate - 1e-9)
            due = max(due, math.floor(self._base_at) + seconds)
        return due

    def _kept_level(self) -> float:
        """The level the tap leaves in the bucket after its requests.

        The reserve, and one request more, because Auth0 warns at 80% used, not above it. A
        bucket of fewer than 10 has no whole request to spare for that: there it rounds down.
        """
        if not self.limit or self.reserve <= 0:
            return 0.0
        if self.limit < 10:
            return float(math.floor(self.reserve * self.limit))
        return self.reserve * self.limit + 1

    # --- answers ------------------------------------------------------------------------------

    def observe(self, headers: Mapping[str, str]) -> None:
        """Read the `x-ratelimit-*` headers of an answer (a 429 included)."""
        remaining = header_number(headers, "x-ratelimit-remaining")
        reset = header_number(headers, "x-ratelimit-reset")
        limit = header_number(headers, "x-ratelimit-limit")
        with self._lock:
            now = self.clock()
            if limit is not None and limit >= 1:
                self.limit = int(limit)
            if remaining is None:
                return
            level = max(int(remaining), 0)
            self._answered += 1
            sent_at = getattr(self._local, "sent_at", None)
            if sent_at is not None and now >= sent_at:
                trip = now - sent_at
                self.round_trip = (
                    trip if self.round_trip is None else 0.8 * self.round_trip + 0.2 * trip
                )
            self.lowest = level if self.lowest is None else min(self.lowest, level)
            # Requests that may be processed after this one: those still in flight beside it,
            # and those sent after it and already answered.
            sent = getattr(self._local, "sent", self._sent - 1)
            flying = self._flying - {sent}
            answered_after = (self._sent - sent - 1) - sum(1 for seq in flying if seq > sent)
            overlap = len(flying) + max(answered_after, 0)
            reading = _Reading(
                at=now,
                level=level,
                answered=self._answered,
                overlap=overlap,
                second=headers.get("date") or str(math.floor(now)),
                stale=answered_after > 0,
            )
            self._rebase(reading, reset, now)
            if not reading.stale:  # the rate and the refill are learned from answers in order
                self._check_refill(reading)
                self._learn_rate(reading)
            self._lock.notify_all()

    def _rebase(self, reading: _Reading, reset: float | None, now: float) -> None:
        """Move the bounds to this answer, keeping a finer prediction when the answer allows it.

        Requests in flight beside this one may be in its level or not; the bound counts them
        spent, so the lowest level the answer allows leaves them out.
        """
        floor = float(reading.level - reading.overlap)
        ceiling = reading.level + 1

        def believed(predicted: float | None) -> float:
            ok = predicted is not None and floor <= predicted < ceiling
            return predicted if ok and predicted is not None else floor

        if self._base is None:
            self._base = self._base_stepped = floor
        else:
            continuous, stepped = self._predicted(now)
            if reading.stale:  # newer answers came first: this one can only lower the bound
                self._base, self._base_stepped = min(continuous, floor), min(stepped, floor)
            else:
                if self.rate is not None and min(continuous, stepped) >= ceiling:
                    # The bucket fell faster than the tap's own use explains: other clients
                    # spend more than they did. Yield at once, and learn their share afresh.
                    self.rate *= YIELD_FACTOR
                    self._history.clear()
                self._base, self._base_stepped = believed(continuous), believed(stepped)
        self._base_at, self._floor, self._spent = now, floor, 0
        # Without a reset time, one request probes the level a second later; a reset further
        # away than a minute is not Auth0's (its buckets refill at least that fast).
        self._reset = min(reset, now + MAX_RESET_SECONDS) if reset is not None else now + 1.0

    def _predicted(self, now: float) -> tuple[float, float]:
        """The two bounds (continuous, once a second) carried to now, less what was sent since.

        A bucket never holds more than its size: an idle tap's bound stops there too.
        """
        assert self._base is not None
        continuous, stepped = self._base, self._base_stepped
        if self.rate is not None:
            seconds = math.floor(now) - math.floor(self._base_at)
            continuous += self.rate * (now - self._base_at)
            stepped += self.rate * seconds
        return self._capped(continuous) - self._spent, self._capped(stepped) - self._spent

    def _capped(self, level: float) -> float:
        return level if self.limit is None else min(level, float(self.limit))

    def note_rate_limited(self, headers: Mapping[str, str]) -> None:
        """A 429 came: the bucket is empty until its reset, and the rate was overestimated."""
        reset = header_number(headers, "x-ratelimit-reset")
        with self._lock:
            self.rate_limited += 1
            if self.rate is not None:
                self.rate *= YIELD_FACTOR
            self._history.clear()  # the rate was too high: learn it afresh
            if reset is not None:
                self._resume_at = max(self._resume_at, min(reset, self.clock() + MAX_RESET_SECONDS))

    def _check_refill(self, reading: _Reading) -> None:
        """Tell a bucket that refills within a second, and hold a test for it near the reserve.

        Within one of the server's seconds, a bucket refilled once a second never rises (other
        clients only lower it): a level above the first of the second, once the tap's own
        requests in between are counted, proves a continuous refill.
        """
        first = self._second_first
        if first is None or first.second != reading.second:
            self._second_first = first = reading
            self._maybe_test(reading)
            return
        if self.refill is not Refill.UNKNOWN:
            return
        rise = reading.level - first.level + (reading.answered - first.answered) - first.overlap
        if rise >= 1:
            self.refill = Refill.CONTINUOUS
            self._test_until = None
            logger.debug("The bucket refills continuously.")

    def _maybe_test(self, reading: _Reading) -> None:
        """At the first answer of a second, hold one request late into it when that is cheap.

        Cheap: the level is a request or two above the reserve (the bucket binds anyway, and
        far from full, so nothing is lost to a full bucket) and the second has time left.
        """
        if self.refill is not Refill.UNKNOWN or self.refill_tests >= MAX_REFILL_TESTS:
            return
        if self.limit is None or reading.level > self.limit - 1:
            return
        spare = reading.level - reading.overlap - self._kept_level()
        if not 1 <= spare < 3:
            return
        last_send = math.floor(reading.at) + 0.95 - (self.round_trip or 0.0)
        if last_send - reading.at < TEST_SPAN_SECONDS:
            return
        self.refill_tests += 1
        self._test_until = last_send

    def _learn_rate(self, reading: _Reading) -> None:
        """Learn the net refill rate from levels over time, plus the tap's own requests.

        Only from stretches where the bucket was not near full (a full bucket does not refill),
        and at least `RATE_WINDOW_SECONDS` long. Other clients' use makes the bucket refill
        slower for the tap: that is the rate it may spend without taking theirs. The estimate is
        a lower bound: whole-request levels may hide up to a request at each end.
        """
        if self.limit is not None and reading.level >= max(self.limit - 1, 2):
            self._history.clear()  # near full, refills may have been capped: learn afresh
            return
        if not self._history or reading.at - self._history[-1].at >= ANCHOR_SPACING_SECONDS:
            self._history.append(reading)  # spaced anchors: a bounded loop on every answer
        while len(self._history) > 2 and reading.at - self._history[1].at > RATE_HORIZON_SECONDS:
            self._history.popleft()
        best = None
        for first in self._history:
            span = reading.at - first.at
            if span < RATE_WINDOW_SECONDS:
                break
            # The tap's answers in between, less those that may be in the first level already;
            # requests the last level holds but not yet answered only make the bound lower.
            refilled = (
                reading.level
                - first.level
                + (reading.answered - first.answered - first.overlap)
                - 1
            )
            if refilled < MIN_REFILL_SEEN:
                continue  # too little seen to tell a slow bucket from a starved one
            if self.refill is not Refill.CONTINUOUS:  # a whole second may refill in an instant
                span = max(span, math.floor(reading.at) - math.floor(first.at))
            best = max(best or 0.0, refilled / span)
        if best is not None:
            self.rate = best

    # --- what the run and others read ---------------------------------------------------------

    def spare(self) -> float | None:
        """Requests the tap may send now without going below the reserve; None before answers.

        A backfill splits into more cursors only while this is large: once the bucket binds,
        more cursors only add requests (a split costs a page at its edge), not speed.
        """
        with self._lock:
            if self._base is None:
                return None
            return self._level(self.clock()) - self._kept_level() - self._in_flight

    def _described(self) -> str:
        if self._base is None or not self.limit:
            return ""
        return f" (bucket at {max(self._floor, 0):.0f} of {self.limit})"

    def summary(self) -> str:
        """The run's use of the tenant's bucket, in one line."""
        lowest = "unknown" if self.lowest is None else f"{self.lowest}"
        bucket = f" of {self.limit}" if self.limit else ""
        return (
            f"Rate limit: {self.requests} requests, {self.waited:.1f} s waiting on the bucket, "
            f"{self.rate_limited} answered 429, lowest level {lowest}{bucket}."
        )

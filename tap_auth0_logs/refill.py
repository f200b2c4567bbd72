"""How fast the tenant's bucket refills, and how: learned from answers, without clocks or threads.

Two parts, each fed the `Reading` of every answer read in order (`bucket.py`):

- `RateEstimate` learns the bucket's **net refill rate** as a lower bound: the levels answers
  report over a stretch of at least `RATE_WINDOW_SECONDS`, plus the tap's own answers meanwhile.
  Other clients' use lowers it, which is how the tap yields to them. It is learned only from a
  stretch that surely refilled `MIN_REFILL_SEEN` requests, so a slow bucket is not taken for a
  starved one; until then the reset (one more request by then) is all the pacer counts on.
- `RefillProof` tells a bucket that refills continuously (plans counted per second) from one
  refilled once a second (plans counted per minute): within one of the server's seconds, the
  latter never rises. Near the reserve it asks the pacer to hold one request late into a second,
  so that the proof comes early and cheaply (the bucket binds then anyway).

Both are plain objects fed plain values; `pacing.Pacer` calls them under its lock.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tap_auth0_logs.bucket import Reading

#: The shortest stretch of answers a refill rate is learned from: levels are whole requests, so
#: a stretch of T seconds knows the rate to within 1/T.
RATE_WINDOW_SECONDS = 2.0
#: A rate is learned only from a stretch that surely refilled this many requests.
MIN_REFILL_SEEN = 2
#: Answers older than this no longer count towards the rate: other clients' use changes.
RATE_HORIZON_SECONDS = 30.0
#: The learned rate is cut by this when the bucket falls faster than the tap's use explains.
YIELD_FACTOR = 0.8
#: Answers kept to learn the rate from are at least this far apart (at most 120 in the horizon).
ANCHOR_SPACING_SECONDS = 0.25
#: A refill test compares two answers at least this far apart within one second.
TEST_SPAN_SECONDS = 0.5
#: Refill tests a run makes at most before it settles for counting refills at whole seconds.
MAX_REFILL_TESTS = 4

logger = logging.getLogger(__name__)


class RateEstimate:
    """The bucket's net refill rate, a lower bound in requests per second (None until learned)."""

    def __init__(self) -> None:
        self.rate: float | None = None
        self._candidate: float | None = None  # a plan's published rate, not yet confirmed
        self._prior: float | None = None  # a plan's published rate, until answers deny it
        self._denied = False
        self._anchors: deque[Reading] = deque()

    def sized(self, limit: int) -> None:
        """An answer said the bucket's size: a plan's size may tell its rate."""
        known = PLAN_REFILLS.get(limit)
        if known is not None and not self._denied and self._prior is None:
            self._candidate = known[0]

    def reset_seen(self, level: int, limit: int | None, seconds: float) -> None:
        """An answer at `level` said the next request comes `seconds` from now."""
        candidate = self._candidate
        if candidate is None or limit is None or level >= limit:
            return
        self._candidate = None
        if seconds <= math.ceil(1 / candidate) + 0.05:  # the plan's pace: the prior holds
            self._prior = candidate
            self.rate = max(self.rate or 0.0, candidate)
        else:
            self._denied = True

    def cut(self) -> None:
        """The bucket fell faster than the rate allows (other clients, a 429): yield, relearn."""
        if self.rate is not None:
            self.rate *= YIELD_FACTOR
        self._candidate = self._prior = None
        self._denied = True
        self._anchors.clear()

    def feed(self, reading: Reading, limit: int | None, continuous: bool) -> None:
        """Learn from one more answer read in order.

        Only from stretches where the bucket was not near full (a full bucket does not refill).
        Whole-request levels may hide up to a request at each end: hence a lower bound.
        """
        if limit is not None and reading.level >= max(limit - 1, 2):
            self._anchors.clear()  # near full, refills may have been capped: learn afresh
            return
        anchors = self._anchors
        if not anchors or reading.at - anchors[-1].at >= ANCHOR_SPACING_SECONDS:
            anchors.append(reading)  # spaced anchors: a bounded loop on every answer
        while len(anchors) > 2 and reading.at - anchors[1].at > RATE_HORIZON_SECONDS:
            anchors.popleft()
        rates = (refill_rate(first, reading, continuous) for first in anchors)
        best = max((rate for rate in rates if rate is not None), default=None)
        if best is not None:
            self.rate = best if self._prior is None else max(best, self._prior)


def refill_rate(first: Reading, last: Reading, continuous: bool) -> float | None:
    """A lower bound of the net refill rate between two answers; None when they cannot tell.

    The tap's answers in between count as refilled (less those that may be in the first level
    already); requests the last level holds but not yet answered only make the bound lower.
    """
    span = last.at - first.at
    if span < RATE_WINDOW_SECONDS:
        return None
    refilled = last.level - first.level + (last.answered - first.answered - first.overlap) - 1
    if refilled < MIN_REFILL_SEEN:
        return None  # too little seen to tell a slow bucket from a starved one
    if not continuous:  # a whole second may refill in an instant
        span = max(span, math.floor(last.at) - math.floor(first.at))
    return refilled / span


#: Bucket sizes whose refill is known from Auth0's published plans (docs/auth0-api.md §5): a
#: bucket of 2 is the Free plan's, 2 requests a second, refilled continuously. Answers confirm
#: or correct it: the rate counts once an answer below full names a reset within a second (a
#: slower bucket of that size names a later one, and the prior is dropped), and a level lower
#: than it explains cuts the rate and drops the prior.
PLAN_REFILLS: dict[int, tuple[float, bool]] = {2: (2.0, True)}


class RefillProof:
    """Whether the bucket refills within a second, and when a request should wait to show it.

    Within one of the server's seconds (the `Date` of its answers), a bucket refilled once a
    second never rises: a level above an earlier one of the same second, once the tap's own
    answers in between are counted, proves a continuous refill. But `Date` is stamped when an
    answer leaves, after Auth0 took the request from the bucket, so the first answer dated S
    may have been taken in the second before (and a refill at S then looks like a rise); a pacer
    that sends at whole seconds meets that often. Only requests *sent after* an answer dated S
    arrived are surely taken within S: the first of them is the second's anchor, and only such
    requests are compared with it. The Free plan's bucket is known to refill continuously.
    """

    def __init__(self) -> None:
        self.continuous = False
        self.tests = 0
        #: A refill test holds requests until then (the second reading of the test goes then).
        self.hold_until: float | None = None
        self._second: str | None = None  # the server second being watched
        self._opened = math.inf  # when its first answer arrived (local clock)
        self._anchor: Reading | None = None

    def sent(self) -> None:
        """A request went: if a test held it, it is the test's second reading."""
        self.hold_until = None

    def sized(self, limit: int) -> None:
        """An answer said the bucket's size: a plan's size may tell how it refills."""
        known = PLAN_REFILLS.get(limit)
        if known is not None and known[1] and not self.continuous:
            self.continuous = True
            self.hold_until = None

    def feed(self, reading: Reading, spare: float, round_trip: float | None) -> None:
        """Read one answer in order; `spare` is its level above the kept one, less overlap."""
        if reading.second != self._second:
            self._second, self._opened, self._anchor = reading.second, reading.at, None
            return
        if reading.sent < self._opened:  # it may have been taken in the second before
            return
        anchor = self._anchor
        if anchor is None:
            self._anchor = reading
            self._maybe_test(reading, spare, round_trip)
            return
        rise = reading.level - anchor.level + (reading.answered - anchor.answered) - anchor.overlap
        if not self.continuous and rise >= 1:
            self.continuous = True
            self.hold_until = None
            logger.debug("The bucket refills continuously.")

    def _maybe_test(self, reading: Reading, spare: float, round_trip: float | None) -> None:
        """At a second's anchor, hold one request late into the second when that is cheap.

        Cheap: the level is a request or two above the reserve (the bucket binds anyway, and
        far from full, so nothing is lost to a full bucket) and the second has time left.
        """
        if self.continuous or self.tests >= MAX_REFILL_TESTS or not 1 <= spare < 3:
            return
        last_send = math.floor(reading.at) + 0.95 - (round_trip or 0.0)
        if last_send - reading.at < TEST_SPAN_SECONDS:
            return
        self.tests += 1
        self.hold_until = last_send

"""What the tenant's rate-limit bucket surely holds: pure arithmetic on levels, times and requests.

Auth0's answers report the bucket's level in whole requests (docs/auth0-api.md §5). Between two
answers the tap only knows a *lower bound* of the level: the last answer's level, less every
request of the tap that may have been processed after it, plus what the bucket surely refilled
since. `Bound` is that bound as a value: every method returns a number or a new `Bound`, and
nothing here reads a clock, sleeps or locks (the pacer, `pacing.py`, does that around it).

Refills are counted two ways side by side, because a bucket refilled per second refills
continuously and one refilled per minute only at whole seconds: `continuous` and `stepped`. Until
the pacer has seen a continuous refill it believes the lesser of the two, which is safe for both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

#: The furthest `x-ratelimit-reset` the bound believes: Auth0's buckets refill at least that fast.
MAX_RESET_SECONDS = 60.0


@dataclass(frozen=True)
class Reading:
    """One answer's level, and what is needed to compare it with another's."""

    at: float
    level: int
    answered: int  # the tap's answers so far, this one included
    overlap: int  # the tap's requests that may be processed after this one: in `level` or not
    second: str  # the server's second (its `Date` header), or the local one
    stale: bool = False  # a request sent after this one was answered first
    sent: float = -math.inf  # when its request went (local clock)


@dataclass(frozen=True)
class Refill:
    """What the pacer knows of how the bucket refills: a net rate (a lower bound), and its kind."""

    rate: float | None = None  # requests per second, once learned
    continuous: bool = False  # seen to refill within a second


def kept_level(limit: int | None, reserve: float) -> float:
    """The level the tap leaves in the bucket: the reserve, and one request more.

    One more because Auth0 warns at 80% used, not above it. A bucket of fewer than 10 has no
    whole request to spare for that: there the reserve rounds down.
    """
    if not limit or reserve <= 0:
        return 0.0
    if limit < 10:
        return float(math.floor(reserve * limit))
    return reserve * limit + 1


@dataclass(frozen=True)
class Bound:
    """A lower bound of the bucket's level, as of the latest answer read in order."""

    continuous: float  # at `at`, after the requests that may come after it
    stepped: float  # the same, were the bucket refilled once a second
    at: float
    floor: float  # the lowest level the latest answer allows (its level, less overlap)
    reset: float  # by then, one more request than `floor` (the latest answer's reset)
    limit: int | None = None  # the bucket's size, once an answer said it
    spent: int = 0  # requests sent since `at`

    @classmethod
    def first(cls, reading: Reading, reset: float | None, limit: int | None) -> Bound:
        """The bound after the first answer: its level, less the requests beside it."""
        floor = float(reading.level - reading.overlap)
        return cls(floor, floor, reading.at, floor, _reset(reading.at, reset), limit)

    def reset_by(self, moment: float) -> Bound:
        """A 429 said requests are taken again at `moment`: one more request by then."""
        return replace(self, reset=min(self.reset, moment))

    def spend(self) -> Bound:
        """One more request sent."""
        return replace(self, spent=self.spent + 1)

    def predicted(self, now: float, refill: Refill) -> tuple[float, float]:
        """The two bounds (continuous, once a second) carried to `now`, less what was sent since.

        A bucket never holds more than its size: an idle tap's bound stops there too.
        """
        continuous, stepped = self.continuous, self.stepped
        if refill.rate is not None:
            continuous += refill.rate * (now - self.at)
            stepped += refill.rate * (math.floor(now) - math.floor(self.at))
        return self._capped(continuous) - self.spent, self._capped(stepped) - self.spent

    def level(self, now: float, refill: Refill) -> float:
        """The bound now: requests the tap may still count on, those in flight already spent."""
        continuous, stepped = self.predicted(now, refill)
        level = continuous if refill.continuous else min(continuous, stepped)
        if refill.rate is None and now >= self.reset:  # the reset's one more request
            level = max(level, self._capped(self.floor + 1) - self.spent)
        return level

    def due(self, kept: float, refill: Refill) -> float:
        """When the bound first lets a request go (inf when only an answer can tell)."""
        wanted = kept + 1 + self.spent  # the bound a request needs, counted from `at`
        if self.limit is not None and wanted > self.limit:
            return math.inf
        if refill.rate is None:
            return self.reset if self.floor + 1 >= wanted else math.inf
        due = self.at + (wanted - self.continuous) / refill.rate
        if not refill.continuous:
            seconds = math.ceil((wanted - self.stepped) / refill.rate - 1e-9)
            due = max(due, math.floor(self.at) + seconds)
        return due

    def rebased(
        self, reading: Reading, reset: float | None, refill: Refill, limit: int | None
    ) -> tuple[Bound, bool]:
        """The bound after `reading`, and whether the bucket fell faster than the tap's use.

        The prediction is kept where the answer allows it (it is finer than a whole-request
        level); an answer that came after a newer one can only lower the bound. A prediction at
        or above the level plus one means other clients spend more than the rate allowed for.
        """
        floor = float(reading.level - reading.overlap)
        ceiling = reading.level + 1
        continuous, stepped = replace(self, limit=limit).predicted(reading.at, refill)
        fell = not reading.stale and refill.rate is not None and min(continuous, stepped) >= ceiling
        if reading.stale:
            continuous, stepped = min(continuous, floor), min(stepped, floor)
        else:
            continuous = continuous if floor <= continuous < ceiling else floor
            stepped = stepped if floor <= stepped < ceiling else floor
        bound = Bound(continuous, stepped, reading.at, floor, _reset(reading.at, reset), limit)
        return bound, fell

    def _capped(self, level: float) -> float:
        return level if self.limit is None else min(level, float(self.limit))


def _reset(now: float, reset: float | None) -> float:
    """When one more request is surely there: the answer's reset, else a second from now."""
    return min(reset, now + MAX_RESET_SECONDS) if reset is not None else now + 1.0

"""Pacing: spend the tenant's bucket at its refill rate, leaving a reserve to others.

The `Pacer` serves a whole run: a thread-safe shell around `bucket.Estimate`, kept by one pure step
per answer. A request goes while the bound stays above the reserve (`rate_limit_reserve`);
`max_requests_per_second` caps it. One request: `acquire`, `observe` its answer, `release`.
`acquire` is the one place a request waits on the bucket, before it goes and after a 429 (every
request of the run waits for that); all of it counts in the closing line, and a long wait is told
to `on_long_wait` (Airbyte's RATE_LIMITED). A backfill asks `another_cursor_helps` holding its own
lock, so the pacer's comes after it (`locks.ORDER`). A wait (on the run's `Clock`) releases it,
and any answer ends every wait.
"""

from __future__ import annotations

import enum
import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tap_auth0_logs import locks
from tap_auth0_logs.api import bucket
from tap_auth0_logs.api.bucket import Estimate, Observation, kept_level
from tap_auth0_logs.clock import SYSTEM_CLOCK

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from tap_auth0_logs.clock import Clock

LONG_WAIT_SECONDS = 5.0  # a wait this long is said, in the log and to `on_long_wait`
ANSWER_WAIT_SECONDS = 0.25  # while an answer is awaited, look again this often
#: With this many requests to spare above the reserve, another backfill cursor can only help;
#: below, only while the cursors send fewer requests than the bucket refills.
SPLIT_MIN_SPARE = 20

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Permit:
    """Leave for one request to go (a token taken): what its answer and its budget need."""

    number: int
    sent_at: float
    waited: float  # seconds it waited on the bucket before it went
    held: float = 0.0  # of which a 429's resume time imposed


class WaitReason(enum.Enum):
    """Why a request may not go yet."""

    BUCKET = "bucket"  # the bound: the tenant's limit and the reserve, or the first answer
    RATE_LIMITED = "429"  # a 429's resume time
    SPACING = "spacing"  # `max_requests_per_second`


class Stopwatch:
    """A stopwatch shared by threads that wait: it runs while at least one of them waits.

    Its `seconds` are wall-clock time spent waiting, not the sum of every thread's waits.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self._waiting = 0
        self._since = 0.0

    def start(self, now: float) -> None:
        """A thread begins to wait (others may be waiting already)."""
        if self._waiting == 0:
            self._since = now
        self._waiting += 1

    def stop(self, now: float) -> None:
        """A thread stops waiting."""
        self._waiting -= 1
        if self._waiting == 0:
            self.seconds += max(0.0, now - self._since)


@dataclass
class Usage:
    """What a run spent of the tenant's bucket, for its closing line."""

    requests: int = 0
    rate_limited: int = 0
    lowest: float = math.inf
    round_trip: float | None = None  # of a request, an average of the latest
    #: Waits on the bucket (429s included), and the spacing `max_requests_per_second` asked for.
    on_bucket: Stopwatch = field(default_factory=Stopwatch)
    spacing: Stopwatch = field(default_factory=Stopwatch)

    @property
    def waited(self) -> float:
        """Wall-clock seconds during which a request waited on the tenant's bucket."""
        return self.on_bucket.seconds

    def answered(self, observation: Observation, trip: float) -> None:
        """An answer `trip` seconds after its request went said `observation`."""
        self.rate_limited += observation.rate_limited
        if observation.level is not None:
            self.lowest = min(self.lowest, observation.level)
        self.round_trip = trip if self.round_trip is None else 0.8 * self.round_trip + 0.2 * trip

    def summary(self, limit: float) -> str:
        """The run's use of the tenant's bucket (of `limit`), in one line."""
        lowest = f"{self.lowest:.0f} of {limit:.0f}" if math.isfinite(limit) else "unknown"
        spaced = self.spacing.seconds
        capped = f", {spaced:.1f} s spaced by max_requests_per_second" if spaced >= 0.05 else ""
        return (
            f"Rate limit: {self.requests} requests, {self.waited:.1f} s waiting on the bucket"
            f"{capped}, {self.rate_limited} answered 429, lowest level {lowest}."
        )


class InFlight:
    """The tap's requests: numbered as they go, in flight until released."""

    def __init__(self) -> None:
        self.sent = 0  # requests sent so far: the next one's number
        self.last_sent = -math.inf
        self.flying: set[int] = set()

    def take(self, now: float) -> int:
        """A request goes now: its number."""
        self.flying.add(self.sent)
        self.sent, self.last_sent = self.sent + 1, now
        return self.sent - 1

    def around(self, number: int) -> tuple[int, bool]:
        """The requests `number`'s level may count or not, and whether one came back first."""
        after = self.sent - 1 - number
        before = sum(other < number for other in self.flying)
        answered_after = after - sum(other > number for other in self.flying)
        return before + after, answered_after > 0


class Pacer:
    """When the next request may go; thread-safe, one per run. See the module's docstring."""

    def __init__(
        self,
        *,
        reserve: float = 0.0,  # `rate_limit_reserve`
        max_per_second: float | None = None,  # `max_requests_per_second`
        clock: Clock = SYSTEM_CLOCK,
        on_long_wait: Callable[[float], None] = lambda until: None,
    ) -> None:
        self.reserve, self.max_per_second = reserve, max_per_second
        self.clock = clock
        #: Told the end (Unix time) of a wait of `LONG_WAIT_SECONDS` or more, as it starts.
        self.on_long_wait = on_long_wait
        self.usage = Usage()
        self.estimate = Estimate()
        self._in_flight = InFlight()
        self._lock = locks.condition("pacer")
        self._counters = {
            WaitReason.BUCKET: self.usage.on_bucket,
            WaitReason.RATE_LIMITED: self.usage.on_bucket,
            WaitReason.SPACING: self.usage.spacing,
        }

    @property
    def kept(self) -> float:
        """The level the tap stays above (`bucket.kept_level`)."""
        return kept_level(self.estimate.limit, self.reserve)

    def acquire(self, max_wait: float) -> Permit | None:
        """Wait until a request may go and take its permit.

        None when a 429's resume time is further than what `max_wait` leaves of such waits.
        """
        waited = held = 0.0
        with self._lock:
            while True:
                now = self.clock.now()
                until, reason = self._until(now)
                if until <= now:
                    return self._take(now, waited, held)
                limited = reason is WaitReason.RATE_LIMITED
                if limited and held + (until - now) > max_wait:
                    return None
                spent = self._wait(until - now, reason)
                waited, held = waited + spent, held + spent * limited

    def _until(self, now: float) -> tuple[float, WaitReason]:
        """When a request may go (now or before: at once), and what holds it until then."""
        estimate, cap = self.estimate, self.max_per_second
        if now < estimate.resume_at:
            return estimate.resume_at, WaitReason.RATE_LIMITED
        spaced = self._in_flight.last_sent + 1 / cap if cap else -math.inf
        until = self._bucket_until(now)
        return (until, WaitReason.BUCKET) if until >= spaced else (spaced, WaitReason.SPACING)

    def _bucket_until(self, now: float) -> float:
        estimate = self.estimate
        if estimate.level is None:  # nothing known: one request learns the level
            return now + ANSWER_WAIT_SECONDS if self._in_flight.flying else now
        due = bucket.due(estimate, self.kept)
        if due == math.inf:  # only an answer can tell; with none coming, probe after the reset
            return now + ANSWER_WAIT_SECONDS if self._in_flight.flying else max(estimate.reset, now)
        return due

    def _wait(self, seconds: float, reason: WaitReason) -> float:
        """Wait up to `seconds`, less when an answer comes; the seconds it took."""
        counter = self._counters[reason]
        started = self.clock.now()
        counter.start(started)
        if seconds >= LONG_WAIT_SECONDS:
            logger.info("Waiting %.0f s for the tenant's rate limit.", seconds)
            self.on_long_wait(started + seconds)
        self.clock.wait(self._lock, seconds)
        ended = self.clock.now()
        counter.stop(ended)
        return max(0.0, ended - started)

    def _take(self, now: float, waited: float, held: float) -> Permit:
        number = self._in_flight.take(now)
        self.estimate = self.estimate.sent()
        self.usage.requests += 1
        if waited >= LONG_WAIT_SECONDS:
            logger.info("Waited %.0f s for the tenant's rate limit.", waited)
        return Permit(number, now, waited, held)

    def observe(
        self, permit: Permit, headers: Mapping[str, str], *, rate_limited: bool = False
    ) -> None:
        """Learn from the `x-ratelimit-*` headers of `permit`'s answer (`rate_limited`: a 429)."""
        with self._lock:
            now = self.clock.now()
            overlap, stale = self._in_flight.around(permit.number)
            observation = bucket.read(headers, now, overlap, stale=stale, rate_limited=rate_limited)
            self.estimate = bucket.learn(self.estimate, observation)
            self.usage.answered(observation, max(0.0, now - permit.sent_at))
            self._lock.notify_all()

    def release(self, permit: Permit) -> None:
        """Give back the permit of a request that has been answered (or has failed)."""
        with self._lock:
            self._in_flight.flying.discard(permit.number)
            self._lock.notify_all()

    def another_cursor_helps(self, running: int) -> bool:
        """True while latency, not the bucket, holds back `running` backfill cursors.

        Once the bucket binds, more cursors only add requests (a page at each edge), not speed.
        """
        with self._lock:
            level = bucket.level(self.estimate, self.clock.now())
            if level is None or level - self.kept >= SPLIT_MIN_SPARE:
                return True
            assert self.estimate.refill is not None
            assert self.usage.round_trip is not None
            return running < self.estimate.refill.rate * self.usage.round_trip

    def summary(self) -> str:
        """The run's use of the tenant's bucket, in one line."""
        with self._lock:
            return self.usage.summary(self.estimate.limit)

"""Pacing: spend the tenant's rate-limit bucket at its refill rate, leaving a reserve to others.

Auth0's Management API is a token bucket shared by everything the tenant runs (docs/auth0-api.md
§5): the customer's own apps, Actions, deploy pipelines, and this tap. Every answer carries
`x-ratelimit-limit` (the bucket's size), `x-ratelimit-remaining` (whole requests left) and
`x-ratelimit-reset` (the whole second at which the next request is added). Crossing 80% of the
bucket writes an `api_limit_warning` event into the tenant's log, and every 429 an `api_limit`.

The `Pacer` serves a whole run (every stream and backfill cursor shares it) and is a thin,
thread-safe shell around three pure parts:

- `bucket.Bound`: what the bucket surely holds, a lower bound carried from the latest answer;
- `refill.RateEstimate` and `refill.RefillProof`: how fast, and how, the bucket refills;
- `Spending`: the run's counters, for its closing line.

A request goes only when the bound stays above the **reserve** (`rate_limit_reserve`, a share of
the bucket left to the tenant's other clients; the default keeps a run under the 80% line).
`max_requests_per_second` caps the tap on top. The pacer never retries, and does not decide how
long a 429 waits: `retry.py` does, once; the sender tells the pacer the moment (`resume_at`), so
that the run's other requests wait for it too, and the pacer learns from the 429's headers.

The life of one request here: `slot = acquire(max_wait)` (waits for the bucket), then
`observe(slot, headers)` with its answer's headers, then `release(slot)`. The slot carries what
the answer needs (the request's number and send time), so the three may run on any thread.

Lock order: a backfill asks `room_for_cursor` while holding its own lock (`backfill.py`); the
pacer's lock is always taken last and never held while calling out (a long wait is told to
`on_long_wait` outside it).
"""

from __future__ import annotations

import enum
import logging
import math
import random
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tap_auth0_logs.bucket import Bound, Reading, Refill, kept_level
from tap_auth0_logs.refill import RateEstimate, RefillProof

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

#: Added to waits for the bucket so that cursors sharing it do not all wake at the same instant.
RESET_JITTER_SECONDS = 0.05
#: A wait for the bucket longer than this is said in the log.
LONG_WAIT_SECONDS = 5.0
#: While requests are in flight, re-check this often whether their answers allow more.
ANSWER_WAIT_SECONDS = 0.25
#: While the bucket has this many requests to spare above the reserve, another backfill cursor
#: can only help. Below it, one helps only while the cursors running send fewer requests than the
#: bucket refills (cursors / round trip < rate); else a split only adds requests (the newest log's
#: lookup, a page at each edge). A 2/s or 100/min bucket of 2 or 10 never has them.
SPLIT_MIN_SPARE = 20

logger = logging.getLogger(__name__)


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
class Slot:
    """A request's place in the bucket: what its answer and its release need."""

    number: int
    sent_at: float
    waited: float  # seconds it waited for the bucket before it went


class Hold(enum.Enum):
    """Why a request may not go yet."""

    BUCKET = "bucket"  # the bound, a refill test or the reset holds it: the tenant's limit
    ANSWER = "answer"  # nothing is known until the first answer comes
    SPACING = "spacing"  # `max_requests_per_second`


class WallClock:
    """Wall-clock seconds during which at least one of several threads waited (not their sum)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._waiting = 0
        self._since = 0.0

    def started(self, now: float) -> None:
        """A thread begins to wait (others may be waiting already)."""
        if self._waiting == 0:
            self._since = now
        self._waiting += 1

    def ended(self, now: float) -> None:
        """A thread stops waiting."""
        self._waiting -= 1
        if self._waiting == 0:
            self.seconds += max(0.0, now - self._since)


@dataclass
class Spending:
    """What a run spent of the tenant's bucket, for its closing line."""

    requests: int = 0
    rate_limited: int = 0
    limit: int | None = None
    lowest: int | None = None
    round_trip: float | None = None  # of a request, an average of the latest
    #: Waits on the bucket, and the spacing `max_requests_per_second` asked for, as wall-clock time.
    on_bucket: WallClock = field(default_factory=WallClock)
    spacing: WallClock = field(default_factory=WallClock)

    @property
    def waited(self) -> float:
        """Wall-clock seconds during which a request waited on the tenant's bucket."""
        return self.on_bucket.seconds

    def answered(self, level: int, trip: float) -> None:
        """An answer reported `level`, `trip` seconds after its request went."""
        self.lowest = level if self.lowest is None else min(self.lowest, level)
        self.round_trip = trip if self.round_trip is None else 0.8 * self.round_trip + 0.2 * trip

    def summary(self) -> str:
        """The run's use of the tenant's bucket, in one line."""
        lowest = "unknown" if self.lowest is None else f"{self.lowest}"
        bucket = f" of {self.limit}" if self.limit else ""
        spaced = self.spacing.seconds
        capped = f", {spaced:.1f} s spaced by max_requests_per_second" if spaced >= 0.05 else ""
        return (
            f"Rate limit: {self.requests} requests, {self.waited:.1f} s waiting on the bucket"
            f"{capped}, {self.rate_limited} answered 429, lowest level {lowest}{bucket}."
        )


class Flight:
    """The tap's requests: numbered as they go, in flight until released, answers counted."""

    def __init__(self) -> None:
        self.sent = 0  # requests sent so far: the next one's number
        self.answered = 0  # answers read so far
        self.last_sent = -math.inf
        self._flying: set[int] = set()

    def __len__(self) -> int:
        return len(self._flying)

    def take(self, now: float, waited: float = 0.0) -> Slot:
        """A request goes now, after `waited` s: its slot."""
        slot = Slot(self.sent, now, waited)
        self._flying.add(slot.number)
        self.sent += 1
        self.last_sent = now
        return slot

    def land(self, number: int) -> None:
        """The request `number` is done (answered, or failed)."""
        self._flying.discard(number)

    def read(self, slot: Slot, level: int, second: str, now: float) -> Reading:
        """The answer of `slot`'s request, with the requests that may be processed after it.

        Those are the requests still in flight beside it, and those sent after it and already
        answered (then this answer is stale: a newer one came first). Either may be in its
        level or not, so the bound counts them spent.
        """
        self.answered += 1
        number = slot.number
        beside = [other for other in self._flying if other != number]
        answered_after = (self.sent - number - 1) - sum(other > number for other in beside)
        return Reading(
            at=now,
            level=level,
            answered=self.answered,
            overlap=len(beside) + max(answered_after, 0),
            second=second,
            stale=answered_after > 0,
            sent=slot.sent_at,
        )


@dataclass(frozen=True)
class Rules:
    """What the user set: the share of the bucket left to others, and a cap on the tap's rate."""

    reserve: float = 0.0  # 0 to 0.9
    max_per_second: float | None = None


class Pacer:
    """When the next request may go; thread-safe, one per run. See the module's docstring."""

    def __init__(
        self,
        rules: Rules | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_long_wait: Callable[[float], None] | None = None,
    ) -> None:
        self.rules = rules or Rules()
        self.clock, self.sleep = clock, sleep
        #: Told when a wait on the bucket of `LONG_WAIT_SECONDS` or more starts, with its end
        #: (Unix time): an orchestrator may show that the run is rate limited.
        self.on_long_wait = on_long_wait
        self.spending = Spending()
        self._estimate = RateEstimate()
        self._proof = RefillProof()
        self._bound: Bound | None = None  # None until an answer says the level
        self._metered = True  # False once an answer came without rate-limit headers
        self._flight = Flight()
        self._resume_at = -math.inf  # after a 429: no request before then
        self._lock = threading.Condition()

    @property
    def refill(self) -> Refill:
        """What is known of the bucket's refills now."""
        return Refill(self._estimate.rate, self._proof.continuous)

    # --- a request's slot ---------------------------------------------------------------------

    def acquire(self, max_wait: float) -> Slot | None:
        """Wait until a request may go and take its slot; None when that would pass `max_wait`."""
        waited = 0.0
        with self._lock:
            while True:
                now = self.clock()
                delay, hold = self._delay(now)
                if delay <= 0:
                    return self._take(now, waited)
                answer_pending = bool(self._flight) and delay >= ANSWER_WAIT_SECONDS
                step = ANSWER_WAIT_SECONDS if answer_pending else delay + self._jitter()
                if waited + min(step, delay) > max_wait:
                    return None
                waited += self._wait(step, hold, answer_pending)

    def _wait(self, step: float, hold: Hold, answer_pending: bool) -> float:
        """Wait `step` s: for an answer (on the lock's condition), or asleep; the time spent."""
        clock = self._counted_on(hold)
        if clock is not None:
            clock.started(self.clock())
        if step >= LONG_WAIT_SECONDS:
            logger.info("Waiting %.0f s for the tenant's rate limit%s.", step, self._described())
        started = time.monotonic()
        if answer_pending:  # an answer in flight may tell more: wake when one comes
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
        if clock is not None:
            clock.ended(self.clock())
        return spent

    def _counted_on(self, hold: Hold) -> WallClock | None:
        """The counter a wait for `hold` goes to (none before the first answer)."""
        if hold is Hold.BUCKET:
            return self.spending.on_bucket
        return self.spending.spacing if hold is Hold.SPACING else None

    def _take(self, now: float, waited: float) -> Slot:
        slot = self._flight.take(now, waited)
        self.spending.requests += 1
        self._proof.sent()
        if self._bound is not None:
            self._bound = self._bound.spend()
        if waited >= LONG_WAIT_SECONDS:
            logger.info("Waited %.0f s for the tenant's rate limit.", waited)
        return slot

    def release(self, slot: Slot) -> None:
        """Give back the slot of a request that has been answered (or has failed)."""
        with self._lock:
            self._flight.land(slot.number)
            self._lock.notify_all()

    def _delay(self, now: float) -> tuple[float, Hold]:
        """Seconds before a request may go now (0 or less: at once), and what holds it."""
        spacing = self._spacing(now)
        bucket, hold = self._bucket_delay(now)
        return (bucket, hold) if bucket > spacing else (spacing, Hold.SPACING)

    def _spacing(self, now: float) -> float:
        cap = self.rules.max_per_second
        return self._flight.last_sent + 1 / cap - now if cap else 0.0

    def _bucket_delay(self, now: float) -> tuple[float, Hold]:
        held = self._held(now)
        if held is not None:
            return held, Hold.BUCKET
        if self._bound is None:  # nothing known: one request learns the level
            pending = self._metered and bool(self._flight)
            return (ANSWER_WAIT_SECONDS if pending else 0.0), Hold.ANSWER
        return self._bound_delay(self._bound, now), Hold.BUCKET

    def _held(self, now: float) -> float | None:
        """Seconds a 429's resume time or a refill test holds requests now; None if neither."""
        if now < self._resume_at:
            return self._resume_at - now
        hold_until = self._proof.hold_until
        if hold_until is None or now >= hold_until:
            return None
        return min(ANSWER_WAIT_SECONDS, hold_until - now) if self._flight else hold_until - now

    def _bound_delay(self, bound: Bound, now: float) -> float:
        """Seconds before the bound lets a request go while keeping the reserve."""
        kept = self._kept()
        if bound.level(now, self.refill) >= kept + 1:
            return 0.0
        due = bound.due(kept, self.refill)
        if math.isfinite(due):
            return max(due - now, 0.001)
        if self._flight:  # an answer in flight will tell more
            return ANSWER_WAIT_SECONDS
        # Nothing known will ever let a request go: after the reset, one probes the level.
        return bound.reset - now

    def _kept(self) -> float:
        return kept_level(self.spending.limit, self.rules.reserve)

    def _jitter(self) -> float:
        return random.uniform(0, RESET_JITTER_SECONDS)

    # --- answers ------------------------------------------------------------------------------

    def observe(
        self, slot: Slot, headers: Mapping[str, str], *, rate_limited: bool = False
    ) -> None:
        """Read the `x-ratelimit-*` headers of `slot`'s answer (`rate_limited` for a 429)."""
        remaining = header_number(headers, "x-ratelimit-remaining")
        limit = header_number(headers, "x-ratelimit-limit")
        with self._lock:
            now = self.clock()
            if rate_limited:
                self.spending.rate_limited += 1
                self._estimate.cut()  # the rate was too high: yield, and learn it afresh
            if limit is not None and limit >= 1:
                self.spending.limit = int(limit)
                self._proof.sized(int(limit))
                self._estimate.sized(int(limit))
            if remaining is None:
                self._metered = self._bound is not None
                return
            second = headers.get("date") or str(math.floor(now))
            reading = self._flight.read(slot, max(int(remaining), 0), second, now)
            self.spending.answered(reading.level, max(0.0, now - slot.sent_at))
            reset = header_number(headers, "x-ratelimit-reset")
            if reset is not None:
                self._estimate.reset_seen(reading.level, self.spending.limit, reset - now)
            self._rebase(reading, reset)
            self._lock.notify_all()

    def _rebase(self, reading: Reading, reset: float | None) -> None:
        limit = self.spending.limit
        if self._bound is None:
            self._bound = Bound.first(reading, reset, limit)
        else:
            self._bound, fell = self._bound.rebased(reading, reset, self.refill, limit)
            if fell:  # other clients spend more than they did: yield at once, relearn
                self._estimate.cut()
        if reading.stale:  # the rate and the refill are learned from answers in order
            return
        usable = limit is not None and reading.level <= limit - 1
        spare = reading.level - reading.overlap - self._kept() if usable else 0.0
        self._proof.feed(reading, spare, self.spending.round_trip)
        self._estimate.feed(reading, limit, self._proof.continuous)

    def resume_at(self, moment: float) -> None:
        """A 429 said when Auth0 takes requests again: no request of the run goes before then.

        The moment is the sender's one decision on the 429 (`retry.Budget.after_rate_limit`);
        the request that met the 429 waits for it itself, the others wait here.
        """
        with self._lock:
            self._resume_at = max(self._resume_at, moment)
            if self._bound is not None:
                self._bound = self._bound.reset_by(moment)

    # --- what the run reads -------------------------------------------------------------------

    def room_for_cursor(self, running: int) -> bool:
        """True while latency, not the tenant's bucket, holds back `running` backfill cursors.

        A backfill splits into more cursors only then: once the bucket binds, more cursors only
        add requests (a split costs a page at its edge), not speed. The requests in flight are
        counted once, in the bound.
        """
        with self._lock:
            spare = self._spare()
            if spare is None or spare >= SPLIT_MIN_SPARE:
                return True
            rate, trip = self._estimate.rate, self.spending.round_trip
            return rate is not None and trip is not None and running < rate * trip

    def spare(self) -> float | None:
        """Requests the tap may send now without going below the reserve; None before answers."""
        with self._lock:
            return self._spare()

    def _spare(self) -> float | None:
        if self._bound is None:
            return None
        return self._bound.level(self.clock(), self.refill) - self._kept()

    def _described(self) -> str:
        if self._bound is None or not self.spending.limit:
            return ""
        return f" (bucket at {max(self._bound.floor, 0):.0f} of {self.spending.limit})"

    def summary(self) -> str:
        """The run's use of the tenant's bucket, in one line."""
        with self._lock:
            return self.spending.summary()

"""The pacer and the simplest citizen, against the fake tenant's bucket on a simulated clock.

A `Simulation` drives one sequential client against `RateLimit`, the fake tenant's model of Auth0's
bucket, on a `SimulatedClock` (nothing sleeps: the clock moves), with the tenant's other clients
spending the bucket at a set rate while the clock moves (events on the clock). The client is either
the tap's `Pacer` (acquire, one request, observe, release, as the sender does) or the **simple
citizen**: no learning, and when `x-ratelimit-remaining` is at or below a fifth of
`x-ratelimit-limit`, or after a 429, it sleeps until `x-ratelimit-reset` (the way MeltanoLabs'
tap-github keeps its reserve). The tests hold the pacer to the citizen; the plan-profile benchmarks
measure what each part of the pacer earns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tap_auth0_logs.api.pacing import Pacer
from tap_auth0_logs.testing import RateLimit, SimulatedClock

#: The simple citizen sleeps until the reset once the bucket is at or below this share.
CITIZEN_RESERVE = 0.2


@dataclass
class Simulation:
    """One sequential client and the tenant's other clients on one bucket."""

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
    clock: SimulatedClock = field(init=False)
    bucket: RateLimit = field(init=False)
    pacer: Pacer = field(init=False)
    sent_at: list[float] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        # Sequential: nobody else can notify a wait, so the clock jumps at once (no grace).
        self.clock = SimulatedClock(self.start, grace=0.0)
        self.bucket = RateLimit(
            per_second=self.per_second,
            burst=self.burst,
            per_minute=self.per_minute,
            clock=self.clock.now,
        )
        self.pacer = Pacer(
            reserve=self.reserve, max_per_second=self.max_per_second, clock=self.clock
        )
        self._generation = 0  # the others' current rate (a change stops the former's requests)
        if self.others:
            self.others_start(self.others)

    @property
    def now(self) -> float:
        """The simulated time."""
        return self.clock.now()

    def sleep(self, seconds: float) -> None:
        """The client waits `seconds`."""
        self.clock.sleep(seconds)

    def advance(self, to: float) -> None:
        """Move the clock, letting the other clients spend what they spend meanwhile."""
        self.clock.advance_to(to)

    def others_start(self, per_second: float) -> None:
        """The tenant's other clients change their rate from now on."""
        self.others = per_second
        self._generation += 1
        self._others_at(self.now, self._generation)

    def _others_at(self, due: float, generation: int) -> None:
        """The others' next request at `due`, and theirs after it, until their rate changes."""

        def take() -> None:
            if generation == self._generation:
                self.bucket.take("others")
                self._others_at(due + 1 / self.others, generation)

        self.clock.at(due, take)

    def _send(self) -> tuple[bool, dict[str, str]]:
        self.sent_at.append(self.now)
        self.advance(self.now + self.latency)
        allowed, headers = self.bucket.take("tap")
        # The server's second, as HTTP's Date says, stamped once the answer is ready.
        headers["date"] = str(math.floor(self.now + self.processing))
        return allowed, headers

    def request(self) -> bool:
        """One request paced by the tap's pacer; True when the bucket allowed it."""
        permit = self.pacer.acquire(900)
        assert permit is not None
        allowed, headers = self._send()
        self.pacer.observe(permit, headers, rate_limited=not allowed)
        self.pacer.release(permit)
        return allowed

    def citizen_request(self) -> bool:
        """One request of the simple citizen; True when the bucket allowed it."""
        allowed, headers = self._send()
        limit, remaining = int(headers["x-ratelimit-limit"]), int(headers["x-ratelimit-remaining"])
        if not allowed or remaining <= CITIZEN_RESERVE * limit:
            self.sleep(max(0.0, float(headers["x-ratelimit-reset"]) - self.now))
        return allowed

    def run(self, requests: int, *, citizen: bool = False) -> float:
        """Seconds (simulated) the client takes for `requests` allowed requests."""
        began, done = self.now, 0
        while done < requests:
            done += self.citizen_request() if citizen else self.request()
        return self.now - began


def sustained_seconds(requests: int, sim: Simulation) -> float:
    """What a perfect client takes: the usable burst at once, the rest at the net refill rate."""
    usable = (1 - sim.reserve) * sim.burst
    return (requests - usable) / (sim.per_second - sim.others)

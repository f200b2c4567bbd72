"""Pacing: spend the tenant's rate-limit bucket without overdrawing it.

Auth0's Management API is a token bucket shared by everything the tenant runs
(docs/auth0-api.md §5). Every answer carries `x-ratelimit-limit` (bucket size),
`x-ratelimit-remaining` and `x-ratelimit-reset` (Unix time, in whole seconds, when requests are
added again). The `Pacer` reads them from every answer and, when the bucket is empty, holds the
next request until the reset instead of spending a 429 (each 429 also writes an `api_limit`
event into the tenant's own log). One pacer serves a whole run, so every stream and cursor
shares it. Retries, and how long a 429 waits, are `retry.py`'s.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

#: Added to waits for the bucket so that cursors sharing it do not all wake at the same instant.
RESET_JITTER_SECONDS = 0.05


def header_number(headers: Mapping[str, str], name: str) -> float | None:
    """The number a header holds, or None when it is absent or not a number."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


@dataclass
class Pacer:
    """Spends the tenant's bucket without overdrawing it; thread-safe, one per run.

    Every request takes a slot with `acquire` and gives it back with `release`. A request goes
    when the last answer left more requests in the bucket than there are requests in flight
    (each of those will spend one), and waits otherwise: for the reset Auth0 named when the
    bucket is empty, or for an answer in flight to tell how much is left. After a reset, one
    request goes first to learn the new level, so cursors sharing the bucket do not all spend
    it blind at once.
    """

    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    # What a run spent of the bucket, for its closing line.
    waited: float = 0.0
    limit: int | None = None
    requests: int = 0
    rate_limited: int = 0
    lowest: int | None = None
    _resume_at: float = 0.0
    _remaining: int | None = None
    _in_flight: int = 0
    _level_reset: float = 0.0  # the `x-ratelimit-reset` of the answer `_remaining` comes from
    _lock: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def acquire(self, max_wait: float) -> float | None:
        """Wait until a request may go and take its slot; the seconds waited.

        None, without a slot, when the wait would pass `max_wait` seconds.
        """
        waited = 0.0
        with self._lock:
            while True:
                hold = self._resume_at - self.clock()
                if hold <= 0 and (
                    self._remaining is None or self._remaining - self._in_flight >= 1
                ):
                    self._in_flight += 1
                    self.requests += 1
                    return waited
                if hold <= 0 and self._in_flight == 0:
                    # The reset has passed with nothing in flight: one request learns the level.
                    self._remaining = 1
                    continue
                step = hold + random.uniform(0, RESET_JITTER_SECONDS) if hold > 0 else 0.25
                if waited + step > max_wait:
                    return None
                started = time.monotonic()
                if hold > 0:
                    self._lock.release()
                    try:
                        self.sleep(step)
                    finally:
                        self._lock.acquire()
                else:  # requests in flight will answer with the bucket's level
                    self._lock.wait(step)
                spent = time.monotonic() - started if hold <= 0 else step
                waited += spent
                self.waited += spent

    def release(self) -> None:
        """Give back the slot of a request that has been answered (or has failed)."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self._lock.notify_all()

    def observe(self, headers: Mapping[str, str]) -> None:
        """Read the `x-ratelimit-*` headers of an answer (a 429 included)."""
        remaining = header_number(headers, "x-ratelimit-remaining")
        reset = header_number(headers, "x-ratelimit-reset")
        limit = header_number(headers, "x-ratelimit-limit")
        with self._lock:
            if limit is not None:
                self.limit = int(limit)
            if remaining is None:
                return
            self.lowest = (
                int(remaining) if self.lowest is None else min(self.lowest, int(remaining))
            )
            # Answers of requests in flight together come back in any order. Auth0's reset time
            # grows with the time it answered, so it orders them: an older answer is ignored,
            # and of answers alike in it, the lowest level is believed.
            when = reset if reset is not None else self._level_reset
            if when < self._level_reset:
                return
            if when == self._level_reset and self._remaining is not None:
                remaining = min(remaining, self._remaining)
            self._level_reset = when
            self._remaining = int(remaining)
            if reset is not None and remaining < 1:
                self._resume_at = max(self._resume_at, min(reset, self.clock() + 60.0))
            self._lock.notify_all()

    def note_rate_limited(self, headers: Mapping[str, str]) -> None:
        """Count a 429 (its headers are read by `observe` like any answer's)."""
        with self._lock:
            self.rate_limited += 1

    def summary(self) -> str:
        """The run's use of the tenant's bucket, in one line."""
        lowest = "unknown" if self.lowest is None else str(self.lowest)
        bucket = f" of {self.limit}" if self.limit else ""
        return (
            f"Rate limit: {self.requests} requests, {self.waited:.1f} s waiting on the bucket, "
            f"{self.rate_limited} answered 429, lowest level {lowest}{bucket}."
        )

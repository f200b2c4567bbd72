"""Rate limits and retries: how long to wait, and when to give up.

Auth0's Management API is a token bucket shared by everything the tenant runs. Every answer
carries `x-ratelimit-limit` (bucket size), `x-ratelimit-remaining` and `x-ratelimit-reset` (Unix
time when requests are added again). The `Pacer` reads them from every answer and, when the
bucket is empty, holds the next request until the reset instead of spending a 429 (each 429 also
writes an `api_limit` event into the tenant's own log). One pacer serves a whole run, so every
stream and cursor shares it.

A `RetryBudget` decides each retry of one request: a 429 waits until the time Auth0 names
(`Retry-After`, else `x-ratelimit-reset`), bounded in total by `rate_limit_max_wait`; transient
failures (5xx, dropped connections, timeouts, malformed bodies) back off exponentially with
jitter, at most `MAX_FAILURES` times in a row.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import requests

from tap_auth0_logs.errors import is_name_resolution_failure

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

MAX_FAILURES = 8
#: Tries for a host name that does not resolve: a DNS blip heals fast, a wrong `domain` never.
DNS_TRIES = 3
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
DEFAULT_RATE_LIMIT_MAX_WAIT = 900.0
#: Added to waits for the bucket so that cursors sharing it do not all wake at the same instant.
RESET_JITTER_SECONDS = 0.05


def _number(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def rate_limit_wait(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float:
    """Seconds until Auth0 takes requests again, from `Retry-After` or `x-ratelimit-reset`."""
    retry_after = _number(headers, "Retry-After")
    if retry_after is not None:
        return max(0.0, retry_after)
    reset = _number(headers, "x-ratelimit-reset")
    if reset is not None:
        return min(60.0, max(0.0, reset - now()))
    return 1.0


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
    waited: float = 0.0
    limit: int | None = None
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
        remaining = _number(headers, "x-ratelimit-remaining")
        reset = _number(headers, "x-ratelimit-reset")
        limit = _number(headers, "x-ratelimit-limit")
        with self._lock:
            if limit is not None:
                self.limit = int(limit)
            if remaining is None:
                return
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


@dataclass
class RetryBudget:
    """The retries left for one request."""

    rate_limit_max_wait: float = DEFAULT_RATE_LIMIT_MAX_WAIT
    failures: int = 0
    rate_limit_waited: float = 0.0

    def wait_after_rate_limit(self, headers: Mapping[str, str]) -> float | None:
        """Seconds to wait after a 429, or None once the total wait would pass the budget."""
        wait = rate_limit_wait(headers) + random.uniform(0, 0.25)
        return wait if self.spend_on_rate_limit(wait) else None

    def spend_on_rate_limit(self, seconds: float) -> bool:
        """Count `seconds` of waiting for the rate limit; False when that passes the budget."""
        if self.rate_limit_waited + seconds > self.rate_limit_max_wait:
            return False
        self.rate_limit_waited += seconds
        return True

    def wait_after_failure(self, exc: Exception | None = None) -> float | None:
        """Seconds to wait after a transient failure, or None when retrying cannot help.

        That is after `MAX_FAILURES` in a row, at once for a TLS failure (a certificate does not
        heal by retrying), and after `DNS_TRIES` for a host name that does not resolve.
        """
        self.failures += 1
        if isinstance(exc, requests.exceptions.SSLError):
            return None
        if exc is not None and is_name_resolution_failure(exc) and self.failures >= DNS_TRIES:
            return None
        if self.failures >= MAX_FAILURES:
            return None
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (self.failures - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # "equal jitter"


def describe_limit(pacer: Pacer) -> str:
    """`(bucket of N requests)` when the tenant announced its limit."""
    return f" (bucket of {pacer.limit} requests)" if pacer.limit else ""

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
    """Holds requests while the tenant's bucket is empty; thread-safe, one per run."""

    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    waited: float = 0.0
    limit: int | None = None
    _resume_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wait_needed(self) -> float:
        """Seconds until Auth0 refills the bucket, if the last answer said it is empty; else 0."""
        with self._lock:
            wait = self._resume_at - self.clock()
        return wait + random.uniform(0, RESET_JITTER_SECONDS) if wait > 0 else 0.0

    def hold(self, seconds: float) -> None:
        """Sleep `seconds` for the bucket, counting the time held."""
        self.waited += seconds
        self.sleep(seconds)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Read the `x-ratelimit-*` headers of an answer (a 429 included)."""
        remaining = _number(headers, "x-ratelimit-remaining")
        reset = _number(headers, "x-ratelimit-reset")
        limit = _number(headers, "x-ratelimit-limit")
        with self._lock:
            if limit is not None:
                self.limit = int(limit)
            if remaining is not None and reset is not None and remaining < 1:
                self._resume_at = max(self._resume_at, min(reset, self.clock() + 60.0))


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

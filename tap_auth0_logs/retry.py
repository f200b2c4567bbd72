"""Retries as a pure decision: after an answer or a failure, wait and try again, or stop.

A request's `Budget` is a value (after urllib3's `Retry`): each decision returns a `Retry` that
carries the wait and the budget left, or None when the budget has run out. Two budgets:

- **the rate-limit budget**: a 429 waits until the time Auth0 names (`Retry-After` when sent, else
  `x-ratelimit-reset`), and so does a request the pacer holds while the bucket is empty; all that
  waiting is bounded in total by `rate_limit_max_wait` (the bucket is the tenant's, shared with its
  own apps, and may stay empty for a while: docs/auth0-api.md §5);
- **the failure budget**: 408, 5xx, dropped connections, timeouts and malformed bodies back off
  exponentially with jitter, at most `MAX_FAILURES` times in a row; a TLS failure stops at once (a
  certificate does not heal by retrying) and a host name that does not resolve after `DNS_TRIES`.

Nothing here sleeps, sends or reads a clock: `sender.py` does, and asks these questions. The
jitter is a number in [0, 1) that the caller draws, so a decision is a function of its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import requests

from tap_auth0_logs.bucket import MAX_RESET_SECONDS
from tap_auth0_logs.errors import is_name_resolution_failure
from tap_auth0_logs.pacing import header_number

if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_FAILURES = 8
#: Tries for a host name that does not resolve: a DNS blip heals fast, a wrong `domain` never.
DNS_TRIES = 3
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
DEFAULT_RATE_LIMIT_MAX_WAIT = 900.0
#: At most this is added to a 429's wait, so that cursors do not all come back at one instant.
RATE_LIMIT_JITTER_SECONDS = 0.25


class Transient(Exception):
    """An answer worth another try on the failure budget (a malformed body); `str()` says why."""


def rate_limit_wait(headers: Mapping[str, str], now: float) -> float:
    """Seconds until Auth0 takes requests again: `Retry-After`, else `x-ratelimit-reset`.

    At most `bucket.MAX_RESET_SECONDS` (the furthest reset the tap believes: a clock skew must not
    stall a run); a second when the answer names neither.
    """
    retry_after = header_number(headers, "Retry-After")
    if retry_after is not None:
        wait = retry_after
    else:
        reset = header_number(headers, "x-ratelimit-reset")
        wait = reset - now if reset is not None else 1.0
    return min(MAX_RESET_SECONDS, max(0.0, wait))


@dataclass(frozen=True)
class Retry:
    """Try again after `wait` seconds, with `budget` left; `reason` says why (no secrets)."""

    wait: float
    reason: str
    budget: Budget


@dataclass(frozen=True)
class Budget:
    """The retries one request has left."""

    rate_limit_max_wait: float = DEFAULT_RATE_LIMIT_MAX_WAIT
    failures: int = 0  # in a row
    rate_limit_waited: float = 0.0

    @property
    def rate_limit_left(self) -> float:
        """Seconds the request may still wait for the rate limit."""
        return max(0.0, self.rate_limit_max_wait - self.rate_limit_waited)

    def waited(self, seconds: float) -> Budget | None:
        """The budget after waiting `seconds` for the bucket; None when that passes it."""
        if self.rate_limit_waited + seconds > self.rate_limit_max_wait:
            return None
        return replace(self, rate_limit_waited=self.rate_limit_waited + seconds)

    def after_rate_limit(
        self, headers: Mapping[str, str], now: float, reason: str, jitter: float
    ) -> Retry | None:
        """After a 429: wait until Auth0 takes requests again, charged to the rate-limit budget."""
        wait = rate_limit_wait(headers, now) + jitter * RATE_LIMIT_JITTER_SECONDS
        left = self.waited(wait)
        return Retry(wait, reason, left) if left is not None else None

    def after_failure(
        self, reason: str, jitter: float, exc: BaseException | None = None
    ) -> Retry | None:
        """After a transient failure: back off, or None when retrying cannot help.

        That is after `MAX_FAILURES` in a row, at once for a TLS failure, and after `DNS_TRIES`
        for a host name that does not resolve.
        """
        failures = self.failures + 1
        if isinstance(exc, requests.exceptions.SSLError) or failures >= MAX_FAILURES:
            return None
        if exc is not None and is_name_resolution_failure(exc) and failures >= DNS_TRIES:
            return None
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (failures - 1))
        wait = ceiling / 2 + jitter * ceiling / 2  # "equal jitter"
        return Retry(wait, reason, replace(self, failures=failures))

    def at_once(self, reason: str) -> Retry:
        """Something was repaired (a fresh token): try again now, spending nothing."""
        return Retry(0.0, reason, self)

"""Retries as a pure decision: after an answer or a failure, wait and try again, or stop.

A request's `Budget` is a value (after urllib3's `Retry`): each decision returns a `Retry` that
carries the wait and the budget left, or None when the budget has run out. Two budgets:

- **the rate-limit budget**: after a 429 the request waits until the time Auth0 names
  (`Retry-After` when sent, else `x-ratelimit-reset`), in the pacer, with the run's other
  requests; all that waiting is bounded in total by `rate_limit_max_wait` (the bucket is the
  tenant's, shared with its own apps, and may stay empty for a while: docs/auth0-api.md §5), and
  0 stops at the first 429;
- **the failure budget**: 408, 5xx, dropped connections, timeouts and malformed bodies back off
  exponentially with jitter, at most `MAX_FAILURES` times in a row; a TLS failure stops at once (a
  certificate does not heal by retrying) and a host name that does not resolve after `DNS_TRIES`.

Nothing here sleeps, sends or reads a clock: `sender.py` does, and asks these questions. The
jitter is a number in [0, 1) that the caller draws, so a decision is a function of its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import requests

from tap_auth0_logs.errors import is_name_resolution_failure

MAX_FAILURES = 8
#: Tries for a host name that does not resolve: a DNS blip heals fast, a wrong `domain` never.
DNS_TRIES = 3
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0


class Transient(Exception):
    """An answer worth another try on the failure budget (a malformed body); `str()` says why."""


@dataclass(frozen=True)
class Retry:
    """Try again after `wait` seconds, with `budget` left; `reason` says why (no secrets).

    `wait` is None after a 429 on a paced request: the pacer waits, for every request of the run.
    """

    wait: float | None
    reason: str
    budget: Budget


@dataclass(frozen=True)
class Budget:
    """The retries one request has left."""

    rate_limit_max_wait: float
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

    def after_rate_limit(self, reason: str, wait: float | None = None) -> Retry | None:
        """After a 429: try again once Auth0 takes requests; None when the budget forbids it.

        `wait` is the wait when the caller sleeps it itself (an unpaced request), charged here;
        a paced request's wait is charged when the pacer has waited it. With
        `rate_limit_max_wait` at 0, a 429 is never waited for.
        """
        if self.rate_limit_max_wait <= 0:
            return None
        if wait is None:
            return Retry(None, reason, self)
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

"""Retries: one engine for every HTTP call the tap makes, API and token alike, with two budgets.

A call is tried again until it answers or one of its budgets runs out:

- **the rate-limit budget**: a 429 waits until the time Auth0 names (`Retry-After`, else
  `x-ratelimit-reset`), and so does a request the pacer holds while the bucket is empty; all that
  waiting is bounded in total by `rate_limit_max_wait` (the bucket is the tenant's, shared with its
  own apps, and may stay empty for a while: docs/auth0-api.md §5);
- **the failure budget**: 408, 5xx, dropped connections, timeouts and malformed bodies back off
  exponentially with jitter, at most `MAX_FAILURES` times in a row; a TLS failure stops at once (a
  certificate does not heal by retrying) and a host name that does not resolve after `DNS_TRIES`.

The caller says what an answer means by raising one of the `RetryableAnswer` kinds from its
attempt; everything else it raises ends the call as it is. When a budget runs out the call ends
with the clear error the caller chose, never a traceback.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import requests

from tap_auth0_logs.errors import (
    Auth0TapError,
    RetriesExhaustedError,
    is_name_resolution_failure,
    network_error,
)
from tap_auth0_logs.pacing import header_number

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from tap_auth0_logs.pacing import Pacer

T = TypeVar("T")

MAX_FAILURES = 8
#: Tries for a host name that does not resolve: a DNS blip heals fast, a wrong `domain` never.
DNS_TRIES = 3
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
DEFAULT_RATE_LIMIT_MAX_WAIT = 900.0
#: The longest single wait a reset time may ask for (a clock skew must not stall a run).
MAX_RESET_WAIT_SECONDS = 60.0

#: Network failures worth another try (a TLS failure is one of them, and stops at once).
NETWORK_FAILURES = (
    ConnectionResetError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)

logger = logging.getLogger(__name__)


class RetryableAnswer(Exception):
    """An answer worth another try; `str()` is a short, secret-free reason."""


class RateLimited(RetryableAnswer):
    """A 429: try again at the time its headers name, on the rate-limit budget."""

    def __init__(self, reason: str, headers: Mapping[str, str]) -> None:
        super().__init__(reason)
        self.headers = headers


class Transient(RetryableAnswer):
    """A 5xx, a 408 or a malformed body: back off, on the failure budget."""


class RetryAtOnce(RetryableAnswer):
    """Something was repaired (a fresh token): try again now, spending no budget."""


def rate_limit_wait(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float:
    """Seconds until Auth0 takes requests again, from `Retry-After` or `x-ratelimit-reset`."""
    retry_after = header_number(headers, "Retry-After")
    if retry_after is not None:
        return max(0.0, retry_after)
    reset = header_number(headers, "x-ratelimit-reset")
    if reset is not None:
        return min(MAX_RESET_WAIT_SECONDS, max(0.0, reset - now()))
    return 1.0


@dataclass
class RetryBudget:
    """The retries left for one call."""

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

    def wait_after_failure(self, exc: BaseException | None = None) -> float | None:
        """Seconds to wait after a transient failure, or None when retrying cannot help.

        That is after `MAX_FAILURES` in a row, at once for a TLS failure, and after `DNS_TRIES`
        for a host name that does not resolve.
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


@dataclass
class Retrier:
    """Runs attempts of one kind of call with the two budgets; thread-safe, shared by a run.

    With a `pacer`, every try first takes a slot in the tenant's bucket and gives it back once
    answered, so parallel cursors never overdraw it.
    """

    rate_limit_max_wait: float = DEFAULT_RATE_LIMIT_MAX_WAIT
    pacer: Pacer | None = None
    sleep: Callable[[float], None] = time.sleep
    log: logging.Logger = field(default=logger, repr=False)

    def call(
        self,
        attempt: Callable[[], T],
        *,
        url: str,
        rate_limit_error: Callable[[RetryBudget], Auth0TapError],
    ) -> T:
        """Run `attempt` until it returns, retrying what it raises as retryable."""
        budget = RetryBudget(rate_limit_max_wait=self.rate_limit_max_wait)
        while True:
            if self.pacer is not None:
                held = self.pacer.acquire(budget.rate_limit_max_wait - budget.rate_limit_waited)
                if held is None or not budget.spend_on_rate_limit(held):
                    raise rate_limit_error(budget)
            try:
                return attempt()
            except RetryableAnswer as exc:
                wait = self._wait_after_answer(exc, budget, rate_limit_error)
                reason = str(exc)
            except NETWORK_FAILURES as exc:
                wait_or_none = budget.wait_after_failure(exc)
                if wait_or_none is None:
                    raise network_error(url, exc) from None
                wait, reason = wait_or_none, _summary(exc)
            finally:
                if self.pacer is not None:
                    self.pacer.release()
            if wait:
                self.log.warning("Retrying in %.2f s after: %s", wait, reason)
            self.sleep(wait)

    @staticmethod
    def _wait_after_answer(
        exc: RetryableAnswer,
        budget: RetryBudget,
        rate_limit_error: Callable[[RetryBudget], Auth0TapError],
    ) -> float:
        if isinstance(exc, RetryAtOnce):
            return 0.0
        if isinstance(exc, RateLimited):
            wait = budget.wait_after_rate_limit(exc.headers)
            if wait is None:
                raise rate_limit_error(budget) from None
            return wait
        wait = budget.wait_after_failure()
        if wait is None:
            raise RetriesExhaustedError(
                f"Auth0 kept failing after {MAX_FAILURES} tries ({exc}): retry later; "
                "the next run resumes from the last STATE."
            ) from None
        return wait


def _summary(exc: BaseException) -> str:
    """A short, secret-free description of a failure (no headers, no bodies beyond a line)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]

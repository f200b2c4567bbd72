"""One request, one owner: the path every HTTP request of a run takes, top to bottom.

`Sender.send` takes a request through everything between asking and an answer:

1. the token, when the request is signed (the token request itself comes back through this
   same sender, unpaced, with a budget of its own);
2. a permit from the pacer (`pacing.py`), when the request is paced: the one place a
   request waits on the bucket, before it goes and after a 429 (what a 429 imposes is charged
   to the request's rate-limit budget);
3. the transport (`transport.py`): one send, no retries;
4. the answer's `x-ratelimit-*` headers, told to the pacer with the permit;
5. the status, classified once: 429 → try again once the pacer lets it (the pacer learned from
   the 429's headers when Auth0 takes requests again); 408 and 5xx → back off; 401 on a
   signed request → one fresh token; anything else → the request's own reader, which returns
   its value or raises a clear error (or `retry.Transient` for a malformed body);
6. the permit released; then the retry policy's decision (`retry.Budget`): return, wait and try
   again, or stop with the clear error.

Nothing above this module retries, and nothing below it decides what an answer means.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import requests

from tap_auth0_logs.api import bucket
from tap_auth0_logs.api.retry import MAX_FAILURES, Budget, Retry, Transient
from tap_auth0_logs.clock import SYSTEM_CLOCK
from tap_auth0_logs.errors import (
    Auth0TapError,
    RetriesExhaustedError,
    auth0_message,
    network_error,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from tap_auth0_logs.api.pacing import Pacer, Permit
    from tap_auth0_logs.api.transport import Transport
    from tap_auth0_logs.clock import Clock

T = TypeVar("T")

#: At most this is added to an unpaced request's wait after a 429 (the token endpoint's).
UNPACED_JITTER_SECONDS = 0.25
#: Network failures worth another try (a TLS failure is one of them, and stops at once).
NETWORK_FAILURES = (
    ConnectionResetError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)

logger = logging.getLogger(__name__)


class Credentials(Protocol):
    """What signs a request: a header value, and what to do when Auth0 refuses it."""

    def authorization(self) -> str:
        """The `Authorization` header value for a request sent now."""
        ...

    def rejected(self, used: str) -> bool:
        """Auth0 answered 401 to a request sent with `used`: True when a new token may help."""
        ...

    def accepted(self) -> None:
        """Auth0 accepted the token (re-arms the one refresh after a 401)."""
        ...

    def rejection_error(self, message: str) -> Auth0TapError:
        """The error to show when Auth0 answers 401 and a new token cannot help."""
        ...


@dataclass(frozen=True)
class Request(Generic[T]):
    """One request, and how to read its answer.

    `read` gets every answer that is not a 429, a 408, a 5xx or (signed) a 401, and returns the
    request's value or raises. `exhausted` words the error when the rate-limit budget runs out.
    `paced` requests share the tenant's Management API bucket; the token endpoint has its own.
    """

    method: str
    url: str
    read: Callable[[requests.Response], T]
    exhausted: Callable[[Budget, float], Auth0TapError]
    params: Mapping[str, Any] | None = None
    data: Mapping[str, str] | None = None
    paced: bool = True


@dataclass(frozen=True)
class _Done(Generic[T]):
    value: T


class Sender:
    """Sends the run's requests; thread-safe, shared by every stream, cursor and token fetch."""

    def __init__(
        self,
        transport: Transport,
        pacer: Pacer,
        *,
        rate_limit_max_wait: float,
        clock: Clock = SYSTEM_CLOCK,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.transport, self.pacer = transport, pacer
        self.rate_limit_max_wait = rate_limit_max_wait
        self.clock, self.jitter = clock, jitter

    def send(self, request: Request[T], credentials: Credentials | None = None) -> T:
        """The request's value, after as many tries as its budget allows; else a clear error."""
        budget = Budget(self.rate_limit_max_wait)
        while True:
            signed = credentials.authorization() if credentials is not None else None
            permit, budget = self._permit(request, budget)
            try:
                outcome = self._try(request, credentials, signed, permit, budget)
            finally:
                if permit is not None:
                    self.pacer.release(permit)
            if isinstance(outcome, _Done):
                return outcome.value
            if outcome.wait is None:
                logger.warning(
                    "Retrying once the tenant's rate limit allows, after: %s", outcome.reason
                )
            elif outcome.wait:
                logger.warning("Retrying in %.2f s after: %s", outcome.wait, outcome.reason)
                self.clock.sleep(outcome.wait)
            budget = outcome.budget

    def _permit(self, request: Request[Any], budget: Budget) -> tuple[Permit | None, Budget]:
        """A place in the tenant's bucket for a paced request; what a 429 held it charged."""
        if not request.paced:
            return None, budget
        permit = self.pacer.acquire(budget.rate_limit_left)
        left = budget.waited(permit.held) if permit is not None else None
        if permit is None or left is None:
            if permit is not None:
                self.pacer.release(permit)
            raise request.exhausted(budget, self.pacer.estimate.limit)
        return permit, left

    def _try(
        self,
        request: Request[T],
        credentials: Credentials | None,
        signed: str | None,
        permit: Permit | None,
        budget: Budget,
    ) -> _Done[T] | Retry:
        """One send and what its answer means."""
        headers = {"Authorization": signed} if signed is not None else None
        try:
            response = self.transport.send(
                request.method, request.url, params=request.params, data=request.data,
                headers=headers,
            )  # fmt: skip
        except NETWORK_FAILURES as exc:
            retry = budget.after_failure(_summary(exc), self.jitter(), exc)
            if retry is None:
                raise network_error(request.url, exc) from None
            return retry
        status = response.status_code
        if permit is not None:
            self.pacer.observe(permit, response.headers, rate_limited=status == 429)
        if status == 429:
            return self._after_rate_limit(request, response, budget, permit)
        if status == 408 or status >= 500:
            return self._backoff(budget, f"{status} {response.reason}: {auth0_message(response)}")
        if status == 401 and credentials is not None and signed is not None:
            if credentials.rejected(signed):
                return budget.at_once("401: the token was refused; retrying with a new one")
            raise credentials.rejection_error(auth0_message(response))
        return self._read(request, credentials, response, budget)

    def _after_rate_limit(
        self,
        request: Request[Any],
        response: requests.Response,
        budget: Budget,
        permit: Permit | None,
    ) -> Retry:
        """The one decision on a 429: try again once Auth0 takes requests, if the budget allows.

        A paced request's wait is the pacer's (it learned the moment from this answer); the
        token endpoint's bucket is its own, so an unpaced request waits here.
        """
        reason = f"429 {response.reason}: {auth0_message(response)}"
        wait = None
        if permit is None:
            now = self.clock.now()
            resume_at = bucket.resume_at(bucket.read(response.headers, now, rate_limited=True))
            wait = resume_at - now + self.jitter() * UNPACED_JITTER_SECONDS
        retry = budget.after_rate_limit(reason, wait)
        if retry is None:
            raise request.exhausted(budget, self.pacer.estimate.limit)
        return retry

    def _read(
        self,
        request: Request[T],
        credentials: Credentials | None,
        response: requests.Response,
        budget: Budget,
    ) -> _Done[T] | Retry:
        try:
            value = request.read(response)
        except Transient as exc:  # a body that is not what was asked for: fetch it again
            return self._backoff(budget, str(exc))
        if credentials is not None and response.status_code < 400:
            credentials.accepted()
        return _Done(value)

    def _backoff(self, budget: Budget, reason: str) -> Retry:
        """The wait after a transient failure; a clear error once they keep coming."""
        retry = budget.after_failure(reason, self.jitter())
        if retry is None:
            raise RetriesExhaustedError(
                f"Auth0 kept failing after {MAX_FAILURES} tries ({reason}): retry later; "
                "the next run resumes from the last STATE."
            )
        return retry


def _summary(exc: BaseException) -> str:
    """A short, secret-free description of a failure (no headers, no bodies beyond a line)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]

"""The base stream for Auth0's Management API: base URL, auth, error mapping and retries."""

from __future__ import annotations

import logging
import random
import sys
import time
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

import requests
from singer_sdk import RESTStream
from singer_sdk.exceptions import RetriableAPIError
from typing_extensions import override

from tap_auth0_logs.errors import (
    AccessDeniedError,
    ApiResponseError,
    Auth0TapError,
    CredentialsError,
    auth0_error_code,
    auth0_message,
    network_error,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    from singer_sdk.streams.rest import RequestFunc

    from tap_auth0_logs.auth import Auth0Authenticator
    from tap_auth0_logs.tap import TapAuth0Logs

USER_AGENT = "tap-auth0-logs/0.1.0"
MAX_TRIES = 8
MAX_BACKOFF_SECONDS = 60.0


class TokenExpiredError(RetriableAPIError):
    """Auth0 said the token expired; retried once, at once, with a fresh token."""


class _QuietForClearErrors(logging.Filter):
    """Drop the SDK's generic "unhandled error" line when a clear error is on its way.

    The SDK logs it from inside its `except` block, so the exception is still being handled;
    for an `Auth0TapError`, `tap.main` prints the one line that names the cause and the fix.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            str(record.msg).startswith("An unhandled error occurred")
            and isinstance(sys.exc_info()[1], Auth0TapError)
        )


class Auth0Stream(RESTStream[Any]):
    """Shared HTTP policy for every Auth0 stream."""

    # Auth0 answers in a few hundred ms; 60 s is generous without hanging for the SDK's 300 s.
    timeout = 60

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.logger.addFilter(_QuietForClearErrors())

    @property
    def tap(self) -> TapAuth0Logs:
        """The tap this stream belongs to, typed."""
        return cast("TapAuth0Logs", self._tap)

    @property
    @override
    def url_base(self) -> str:
        return self.tap.base_url

    @property
    @override
    def authenticator(self) -> Auth0Authenticator:
        return self.tap.authenticator

    @property
    @override
    def http_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "User-Agent": USER_AGENT}

    @override
    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status < 400:
            self.authenticator.request_succeeded()
            return
        message = auth0_message(response)
        code = auth0_error_code(response)
        if status == 401:
            if "expired" in message.lower():
                if self.authenticator.refresh_after_expiry():
                    raise TokenExpiredError(f"401 {message}", response)
                raise CredentialsError(self.authenticator.expired_advice(message))
            raise CredentialsError(
                f"Auth0 rejected the Management API token (401: {message}): check `api_token`, or "
                "use `client_id` and `client_secret` so the tap can fetch and refresh tokens."
            )
        if status == 403:
            if code == "insufficient_scope":
                raise AccessDeniedError(
                    f"The token lacks the `read:logs` scope (403: {message}): grant `read:logs` to "
                    "the application under APIs > Auth0 Management API > Machine to Machine "
                    "Applications."
                )
            raise AccessDeniedError(
                f"Auth0 denied access (403: {message}): grant the application `read:logs` on the "
                "Auth0 Management API."
            )
        if status == 429 or status >= 500:
            raise RetriableAPIError(f"{status} {response.reason}: {message}", response)
        if status == 414:
            raise ApiResponseError(
                "Auth0 answered 414 Request-URI Too Large: the request is too long; shorten it."
            )
        if status == 404:
            raise ApiResponseError(
                f"Auth0 answered 404 for {response.request.path_url.split('?')[0]} ({message}): "
                "check `domain` (the canonical tenant domain, not a custom domain)."
            )
        raise ApiResponseError(f"Auth0 rejected the request ({status} {code}: {message}).")

    @override
    def backoff_wait_generator(self) -> Generator[float, Any, None]:
        """Wait as the error says: at once after a token refresh, until the reset on a 429.

        Other failures (5xx, dropped connections, timeouts) back off exponentially with jitter.
        The SDK's default is a blind exponential backoff for all of them.
        """
        exc = yield 0.0
        attempt = 0
        while True:
            attempt += 1
            exc = yield self._wait_for(exc, attempt)

    def _wait_for(self, exc: Exception, attempt: int) -> float:
        if isinstance(exc, TokenExpiredError):
            return 0.0
        response = getattr(exc, "response", None)
        if response is not None and response.status_code == 429:
            return rate_limit_wait(response.headers) + random.uniform(0, 0.25)
        base = min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** (attempt - 1))
        return base / 2 + random.uniform(0, base / 2)

    @override
    def backoff_jitter(self, value: float) -> float:
        # Jitter is already part of each wait above; the SDK's adds up to a second more.
        return value

    @override
    def backoff_max_tries(self) -> int:
        return MAX_TRIES

    @override
    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        """The SDK's retry decorator, with exhausted retries turned into one clear error."""
        retrying = super().request_decorator(func)

        @wraps(func)
        def request(prepared_request: requests.PreparedRequest, context: Any) -> requests.Response:
            try:
                return retrying(prepared_request, context)
            except Auth0TapError:
                raise
            except RetriableAPIError as exc:
                raise ApiResponseError(
                    f"Auth0 kept failing after {MAX_TRIES} tries ({exc}): retry later; the next "
                    "run resumes from the last STATE."
                ) from None
            except (requests.exceptions.RequestException, ConnectionResetError) as exc:
                raise network_error(str(prepared_request.url), exc) from None

        return cast("RequestFunc", request)


def rate_limit_wait(headers: Any, now: Callable[[], float] = time.time) -> float:
    """Seconds until Auth0 will take requests again, from `Retry-After` or `x-ratelimit-reset`."""
    retry_after = headers.get("Retry-After")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass
    reset = headers.get("x-ratelimit-reset")
    if reset:
        try:
            return min(MAX_BACKOFF_SECONDS, max(0.0, float(reset) - now()))
        except ValueError:
            pass
    return 1.0

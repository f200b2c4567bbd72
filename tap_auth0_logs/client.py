"""The base stream for Auth0's Management API: base URL, auth, error mapping, pacing, retries."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import TYPE_CHECKING, Any, cast

import requests
from singer_sdk import RESTStream
from singer_sdk.exceptions import RetriableAPIError
from typing_extensions import override

from tap_auth0_logs.backfill import MAX_BACKFILL_CONCURRENCY
from tap_auth0_logs.errors import (
    AccessDeniedError,
    ApiResponseError,
    Auth0TapError,
    CredentialsError,
    RateLimitError,
    auth0_error_code,
    auth0_message,
    network_error,
)
from tap_auth0_logs.pacing import MAX_FAILURES, RetryBudget, describe_limit

if TYPE_CHECKING:
    from singer_sdk.streams.rest import RequestFunc

    from tap_auth0_logs.auth import Auth0Authenticator
    from tap_auth0_logs.pacing import Pacer
    from tap_auth0_logs.tap import TapAuth0Logs

USER_AGENT = "tap-auth0-logs/0.1.0"
#: Failures worth another try: the network's, and `RetriableAPIError` from `validate_response`.
TRANSIENT = (
    RetriableAPIError,
    ConnectionResetError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.logger.addFilter(_QuietForClearErrors())
        # The SDK sends prepared requests with `Session.send`, which applies proxies from the
        # environment (HTTPS_PROXY, NO_PROXY) but not a CA bundle: set it once on the session the
        # SDK made, so private CAs and TLS-inspecting proxies work as they do for other tools.
        self.requests_session.verify = ca_bundle()
        # One kept-alive connection per backfill cursor (requests keeps 10 per host by default).
        for scheme in ("https://", "http://"):
            self.requests_session.mount(
                scheme, requests.adapters.HTTPAdapter(pool_maxsize=MAX_BACKFILL_CONCURRENCY)
            )

    @property
    def tap(self) -> TapAuth0Logs:
        """The tap this stream belongs to, typed."""
        return cast("TapAuth0Logs", self._tap)

    @property
    def pacer(self) -> Pacer:
        """The run's one pacer for the tenant's rate limit."""
        return self.tap.pacer

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

    @property
    @override
    def timeout(self) -> int:
        return int(self.config.get("request_timeout") or 60)

    @override
    def validate_response(self, response: requests.Response) -> None:
        """Map Auth0's answers to retries or clear errors; parse 2xx bodies here.

        Parsing inside the retried call means a truncated or invalid body is fetched again
        rather than failing the run, and a page is emitted whole or not at all.
        """
        self.pacer.observe(response.headers)
        status = response.status_code
        if status < 400:
            try:
                body = json.loads(response.content)
            except ValueError:
                msg = f"{status} with a body that is not valid JSON"
                raise RetriableAPIError(msg, response) from None
            response.__dict__["auth0_body"] = body
            self.authenticator.request_succeeded()
            return
        message = auth0_message(response)
        code = auth0_error_code(response)
        if status == 401:
            if "expired" in message.lower():
                if self.authenticator.refresh_after_expiry(
                    response.request.headers.get("Authorization")
                ):
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
        if status in {408, 429} or status >= 500:
            raise RetriableAPIError(f"{status} {response.reason}: {message}", response)
        if status == 414:
            raise ApiResponseError(
                "Auth0 answered 414 Request-URI Too Large: the request's query string is too "
                "long; shorten `search_query`."
            )
        if status == 404:
            raise ApiResponseError(
                f"Auth0 answered 404 for {response.request.path_url.split('?')[0]} ({message}): "
                "check `domain` (the canonical tenant domain, not a custom domain)."
            )
        if status == 400 and "q=" in (response.request.url or ""):
            raise ApiResponseError(
                f"Auth0 rejected the search query (400 {code}: {message}): fix `search_query` "
                "(Auth0 log search syntax: field:value, AND/OR/NOT, ranges [a TO b])."
            )
        raise ApiResponseError(f"Auth0 rejected the request ({status} {code}: {message}).")

    #: Pages of logs received in this run (for progress lines).
    pages = 0

    @override
    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        """Pace each try and retry by kind of failure; replaces the SDK's `backoff` decorator.

        The SDK gives every failure the same budget of tries and exponential waits. Auth0 needs
        two budgets: a 429 waits until the time Auth0 names and may wait long (it is shared with
        the whole tenant), while 5xx and network failures back off and give up after a few tries.
        When a budget runs out the user gets one clear line, not a traceback.
        """

        def request(prepared: requests.PreparedRequest, context: Any) -> requests.Response:
            budget = RetryBudget(rate_limit_max_wait=self.tap.rate_limit_max_wait)
            while True:
                held = self.pacer.acquire(budget.rate_limit_max_wait - budget.rate_limit_waited)
                if held is None or not budget.spend_on_rate_limit(held):
                    raise self._rate_limit_error(budget)
                try:
                    return func(prepared, context)
                except TRANSIENT as exc:
                    wait = self._wait_before_retry(exc, budget, str(prepared.url))
                    reason = _summary(exc)
                finally:
                    self.pacer.release()
                self.log("Retrying in %.2f s after: %s", wait, reason, level=logging.WARNING)
                self.pacer.sleep(wait)

        return cast("RequestFunc", request)

    def _wait_before_retry(self, exc: Exception, budget: RetryBudget, url: str) -> float:
        """Seconds to wait before the next try of `url`, or raise the clear error that ends it."""
        if isinstance(exc, TokenExpiredError):
            return 0.0
        response = getattr(exc, "response", None)
        if response is not None and response.status_code == 429:
            wait = budget.wait_after_rate_limit(response.headers)
            if wait is None:
                raise self._rate_limit_error(budget)
            return wait
        wait = budget.wait_after_failure(exc)
        if wait is not None:
            return wait
        if isinstance(exc, RetriableAPIError):
            raise ApiResponseError(
                f"Auth0 kept failing after {MAX_FAILURES} tries ({_summary(exc)}): retry later; "
                "the next run resumes from the last STATE."
            )
        raise network_error(url, exc)

    def _rate_limit_error(self, budget: RetryBudget) -> RateLimitError:
        return RateLimitError(
            f"Auth0's Management API rate limit{describe_limit(self.pacer)} stayed exhausted "
            f"longer than `rate_limit_max_wait` allows ({budget.rate_limit_max_wait:.0f} s for one "
            "request): other clients of the tenant use it up; run later or raise "
            "`rate_limit_max_wait`. The next run resumes from the last STATE."
        )


def ca_bundle() -> str | bool:
    """The CA bundle the environment names (REQUESTS_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE).

    True (requests' own bundle) when none is set.
    """
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
        if path := os.environ.get(name):
            return path
    return True


def _summary(exc: Exception) -> str:
    """A short, secret-free description of a failure (no headers, no bodies beyond a line)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]

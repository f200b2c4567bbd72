"""Management API tokens: one per run, refreshed shortly before expiry and once on expiry.

Auth0 meters machine-to-machine token issuance, so the tap fetches a token once and keeps it
(the tap holds a single authenticator for all its streams). Token failures become one-line errors
that name the fix; the token itself never appears in a message or a log line.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import requests
from singer_sdk.authenticators import OAuthAuthenticator
from typing_extensions import override

from tap_auth0_logs.client import ca_bundle
from tap_auth0_logs.errors import (
    AccessDeniedError,
    ApiResponseError,
    CredentialsError,
    RateLimitError,
    auth0_error_code,
    auth0_message,
    network_error,
)
from tap_auth0_logs.pacing import DEFAULT_RATE_LIMIT_MAX_WAIT, RetryBudget

if TYPE_CHECKING:
    from collections.abc import Callable

    from requests import PreparedRequest

#: Refresh this long before the token expires, so no request goes out with a token about to lapse.
EXPIRY_MARGIN_SECONDS = 300
TOKEN_TIMEOUT_SECONDS = 60


class Auth0Authenticator:
    """What the streams need from an authenticator: sign a request, and recover from expiry."""

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        """Set the bearer token on `request`; leave its URL exactly as it is."""
        request.headers["Authorization"] = f"Bearer {self.current_token()}"
        return request

    def current_token(self) -> str:
        """Return a token that is valid now."""
        raise NotImplementedError

    def refresh_after_expiry(self, used: str | None = None) -> bool:
        """Drop the token `used` (the request's Authorization) that Auth0 called expired.

        True when a retry with a new one makes sense.
        """
        return False

    def request_succeeded(self) -> None:
        """Note that the current token worked (re-arms the one refresh after expiry)."""

    def expired_advice(self, message: str) -> str:
        """The error to show when Auth0 calls the token expired and a refresh cannot help."""
        return (
            f"The `api_token` has expired (401: {message}): create a new Management API token, "
            "or set `client_id` and `client_secret` so the tap fetches and refreshes its own."
        )


class StaticTokenAuthenticator(Auth0Authenticator):
    """A ready Management API token from the `api_token` setting; it cannot be refreshed."""

    def __init__(self, *, token: str) -> None:
        self._token = token

    @override
    def current_token(self) -> str:
        return self._token


class ClientCredentialsAuthenticator(Auth0Authenticator, OAuthAuthenticator):
    """The client-credentials grant (`POST /oauth/token`) with a safety margin before expiry."""

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        audience: str,
        rate_limit_max_wait: float = DEFAULT_RATE_LIMIT_MAX_WAIT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            auth_endpoint=f"{base_url}/oauth/token",
            client_id=client_id,
            client_secret=client_secret,
            default_expiration=86400,
        )
        self.audience = audience
        self.rate_limit_max_wait = rate_limit_max_wait
        self.sleep = sleep
        self.token_requests = 0
        self._refreshed_after_expiry = False
        self._expires_at = 0.0
        # Cursors of a parallel backfill share the token: one of them fetches a new one.
        self._lock = threading.RLock()

    @property
    @override
    def oauth_request_body(self) -> dict[str, Any]:
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "audience": self.audience,
        }

    @override
    def is_token_valid(self) -> bool:
        # The SDK's check has no margin; a request sent just before expiry would get a 401.
        if not self.access_token:
            return False
        return time.monotonic() < self._expires_at

    @override
    def current_token(self) -> str:
        with self._lock:
            if not self.is_token_valid():
                self.update_access_token()
            return str(self.access_token)

    @override
    def refresh_after_expiry(self, used: str | None = None) -> bool:
        with self._lock:
            if used is not None and used != f"Bearer {self.access_token}":
                return True  # another cursor has already replaced that token
            if self._refreshed_after_expiry:
                return False
            self._refreshed_after_expiry = True
            self.access_token = None
            return True

    @override
    def request_succeeded(self) -> None:
        self._refreshed_after_expiry = False

    @override
    def expired_advice(self, message: str) -> str:
        return (
            f"Auth0 called a freshly issued token expired (401: {message}): check this machine's "
            "clock, and the token lifetime of the Auth0 Management API."
        )

    @override
    def update_access_token(self) -> None:
        """Fetch a token; replaces the SDK's version to turn every failure into a clear error."""
        response = self._post_with_retries()
        if response.status_code != 200:
            raise _token_error(response, self.audience)
        try:
            body = response.json()
            token = body["access_token"]
        except (ValueError, KeyError, TypeError):
            msg = "The token endpoint answered without an access_token: check `domain`."
            raise ApiResponseError(msg) from None
        lifetime = float(body.get("expires_in") or self._default_expiration or 86400)
        self.access_token = token
        self.expires_in = int(lifetime)
        self._expires_at = time.monotonic() + max(lifetime - EXPIRY_MARGIN_SECONDS, lifetime / 2)
        self.logger.info("Got a Management API token valid for %d s.", int(lifetime))

    def _post_with_retries(self) -> requests.Response:
        """POST to the token endpoint; 429s, 5xx and network failures are retried like API calls."""
        budget = RetryBudget(rate_limit_max_wait=self.rate_limit_max_wait)
        while True:
            self.token_requests += 1
            wait: float | None
            try:
                response = requests.post(
                    self.auth_endpoint,
                    data=self.oauth_request_payload,
                    headers={"Accept": "application/json"},
                    timeout=TOKEN_TIMEOUT_SECONDS,
                    verify=ca_bundle(),
                )
            except requests.exceptions.RequestException as exc:
                if (wait := budget.wait_after_failure(exc)) is None:
                    raise network_error(self.auth_endpoint, exc) from None
                reason = type(exc).__name__
            else:
                if response.status_code == 429:
                    if (wait := budget.wait_after_rate_limit(response.headers)) is None:
                        raise RateLimitError(
                            "Auth0's token endpoint kept answering 429 (rate limit) for "
                            f"{budget.rate_limit_waited:.0f} s: too many token requests on this "
                            "tenant; run later."
                        )
                elif response.status_code >= 500:
                    if (wait := budget.wait_after_failure()) is None:
                        return response
                else:
                    return response
                reason = str(response.status_code)
            self.logger.warning("Token request failed (%s); retrying in %.2f s.", reason, wait)
            self.sleep(wait)


def _token_error(response: requests.Response, audience: str) -> Exception:
    message = auth0_message(response)
    code = auth0_error_code(response)
    status = response.status_code
    if status == 401:
        return CredentialsError(
            f"Auth0 rejected the client credentials ({status} {code}: {message}): "
            "check `client_id` and `client_secret` (Applications > your M2M app > Settings)."
        )
    if status == 403 and code == "unauthorized_client":
        return AccessDeniedError(
            f"Auth0 refused the token ({message}): enable the Client Credentials grant type "
            "for this application (Settings > Advanced > Grant Types)."
        )
    if status == 403:
        return AccessDeniedError(
            f"Auth0 refused a token for {audience} ({message}): authorize the application for the "
            "Auth0 Management API with the `read:logs` scope (APIs > Auth0 Management API > "
            "Machine to Machine Applications), or fix `audience`."
        )
    if status == 404:
        return ApiResponseError(
            f"No token endpoint at this `domain` ({status}): use the tenant's canonical domain, "
            "e.g. acme.us.auth0.com, not a custom domain."
        )
    return ApiResponseError(
        f"The token endpoint answered {status} ({code or 'no code'}: {message}). "
        "Retry later; if it persists, check Auth0's status page."
    )

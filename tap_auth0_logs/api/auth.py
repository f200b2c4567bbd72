"""Management API tokens: one per run, refreshed shortly before expiry and once after a 401.

Auth0 meters machine-to-machine token issuance (docs/auth0-api.md §7), so the tap fetches a token
once and keeps it: the tap holds a single token source for all its streams and cursors. The token
request goes through the run's one `Sender` like any API call (unpaced: the token endpoint has a
bucket of its own), with a budget of its own, and its failures become one-line errors that name
the fix; the token itself never appears in a message or a log line. The token sources are the
`sender.Credentials` that sign API requests.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from tap_auth0_logs import locks
from tap_auth0_logs.api.sender import Request
from tap_auth0_logs.errors import (
    AccessDeniedError,
    ApiResponseError,
    Auth0TapError,
    CredentialsError,
    RateLimitError,
    auth0_error_code,
    auth0_message,
)

if TYPE_CHECKING:
    import requests

    from tap_auth0_logs.api.retry import Budget
    from tap_auth0_logs.api.sender import Sender
    from tap_auth0_logs.clock import Clock

#: Refresh this long before the token expires, so no request goes out with a token about to lapse.
EXPIRY_MARGIN_SECONDS = 300
#: The lifetime assumed when the token endpoint does not say (Auth0's default is a day).
DEFAULT_TOKEN_LIFETIME = 86400

logger = logging.getLogger(__name__)


class StaticToken:
    """A ready Management API token from the `api_token` setting; it cannot be refreshed.

    One of the run's `sender.Credentials`, as `ClientCredentials` is.
    """

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def authorization(self) -> str:
        """The token as given."""
        return self._header

    def rejected(self, used: str) -> bool:
        """A given token cannot be replaced."""
        return False

    def accepted(self) -> None:
        """Nothing to re-arm."""

    def rejection_error(self, message: str) -> CredentialsError:
        """Auth0 refused the given token: say which setting to fix."""
        return CredentialsError(
            f"Auth0 rejected the Management API token (401: {message}): check `api_token` (it "
            "may be invalid or expired), or use `client_id` and `client_secret` so the tap can "
            "fetch and refresh tokens."
        )


class ClientCredentials:
    """The client-credentials grant (`POST /oauth/token`), with a margin before expiry."""

    def __init__(
        self,
        *,
        sender: Sender,
        token_url: str,
        client_id: str,
        client_secret: str,
        audience: str,
    ) -> None:
        self.sender, self.token_url, self.audience = sender, token_url, audience
        #: The run's clock, the sender's: a token's expiry is read on it.
        self.clock: Clock = sender.clock
        self._form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "audience": audience,
        }
        self._header: str | None = None
        self._expires_at = 0.0
        self._refreshed_after_401 = False
        # Cursors of a parallel backfill share the token: one of them fetches a new one.
        self._lock = locks.condition("token")

    def authorization(self) -> str:
        """The current token, fetched first when there is none or it is about to expire."""
        with self._lock:
            if self._header is None or self.clock.now() >= self._expires_at:
                self._header = f"Bearer {self._fetch()}"
            return self._header

    def rejected(self, used: str) -> bool:
        """Drop the token Auth0 refused, once in a row; True when a retry makes sense."""
        with self._lock:
            if used != self._header:
                return True  # another cursor has already replaced that token
            if self._refreshed_after_401:
                return False
            self._refreshed_after_401 = True
            self._header = None
            return True

    def accepted(self) -> None:
        """Auth0 took the token: a later 401 may try a new one again."""
        self._refreshed_after_401 = False

    def rejection_error(self, message: str) -> CredentialsError:
        """A fresh token was refused too: the clock or the API's token lifetime is off."""
        return CredentialsError(
            f"Auth0 called a freshly issued token expired or invalid (401: {message}): check "
            "this machine's clock, and the token lifetime of the Auth0 Management API."
        )

    def _fetch(self) -> str:
        token, lifetime = self.sender.send(
            Request(
                "POST",
                self.token_url,
                read=self._read_token,
                exhausted=self._rate_limit_error,
                data=self._form,
                paced=False,
            )
        )
        self._expires_at = self.clock.now() + max(lifetime - EXPIRY_MARGIN_SECONDS, lifetime / 2)
        logger.info("Got a Management API token valid for %d s.", int(lifetime))
        return token

    def _read_token(self, response: requests.Response) -> tuple[str, float]:
        """The token and its lifetime in seconds, or the clear error the answer calls for."""
        if response.status_code != 200:
            raise _token_error(response, self.audience)
        try:
            body = response.json()
            token = body["access_token"]
            lifetime = float(body.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
        except (ValueError, KeyError, TypeError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            msg = "The token endpoint answered without an access_token: check `domain`."
            raise ApiResponseError(msg)
        return token, lifetime

    @staticmethod
    def _rate_limit_error(budget: Budget, limit: float) -> RateLimitError:
        return RateLimitError(
            "Auth0's token endpoint kept answering 429 (rate limit) for "
            f"{budget.rate_limit_waited:.0f} s: too many token requests on this tenant; run later."
        )


def _token_error(response: requests.Response, audience: str) -> Auth0TapError:
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

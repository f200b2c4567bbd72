"""Every failure a user can see, each with a one-line message naming the cause and the fix.

These are `FatalAPIError`s so the SDK stops the sync (no retry); `tap.main` prints the message
alone, without a traceback, and exits non-zero. Messages never carry a secret: they are built
from Auth0's error text and the tap's settings, never from request headers.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import requests
from singer_sdk.exceptions import FatalAPIError


class Auth0TapError(FatalAPIError):
    """A failure the user can fix; `str()` is the whole message."""

    exit_code = 1


class CredentialsError(Auth0TapError):
    """The tenant refused the client credentials or the token."""


class AccessDeniedError(Auth0TapError):
    """The credentials work but lack a grant or a scope."""


class TenantUnreachableError(Auth0TapError):
    """DNS, TLS or connection failures that retries did not cure."""


class ApiResponseError(Auth0TapError):
    """Auth0 answered in a way the tap cannot continue from."""


class RateLimitError(Auth0TapError):
    """The tenant's rate limit stayed exhausted longer than the tap may wait."""


class CheckpointExpiredError(Auth0TapError):
    """The bookmark's log is older than the tenant's retention; resuming exactly is impossible."""


def auth0_message(response: requests.Response) -> str:
    """Return Auth0's own error text from a response body, whatever shape it has."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("error_description", "message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    text = (response.text or "").strip().splitlines()
    return text[0][:200] if text else response.reason or str(response.status_code)


def auth0_error_code(response: requests.Response) -> str | None:
    """Return Auth0's machine error code (`errorCode`, else `error`), when the body has one."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None
    if isinstance(body, dict):
        for key in ("errorCode", "error"):
            value = body.get(key)
            if isinstance(value, str):
                return value
    return None


def is_name_resolution_failure(exc: Exception) -> bool:
    """True when `exc` says the host name does not resolve."""
    text = str(exc)
    return any(s in text for s in ("NameResolutionError", "Name or service not known", "nodename"))


def network_error(url: str, exc: Exception) -> TenantUnreachableError:
    """Explain a DNS, TLS, connection or timeout failure, naming the host and the fix."""
    host = urlsplit(url).netloc
    if isinstance(exc, requests.exceptions.SSLError):
        return TenantUnreachableError(
            f"TLS failure talking to {host} (certificate verification failed): behind a "
            "TLS-inspecting proxy or with a private CA, set REQUESTS_CA_BUNDLE to your CA bundle."
        )
    if is_name_resolution_failure(exc):
        return TenantUnreachableError(
            f"Cannot resolve {host}: check `domain` (e.g. acme.us.auth0.com) and your DNS."
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return TenantUnreachableError(
            f"{host} did not answer in time, even after retries: check the network or retry later."
        )
    return TenantUnreachableError(
        f"Cannot reach {host} ({type(exc).__name__}), even after retries: check `domain`, "
        "the network and any proxy (HTTPS_PROXY)."
    )

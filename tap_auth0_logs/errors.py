"""Every failure a user can see, each with a one-line message naming the cause and the fix.

`cli.main` prints the message of an `Auth0TapError` alone, without a traceback, and exits
non-zero. Messages never carry a secret: they are built from Auth0's error text and the tap's
settings, never from request headers. Errors that callers decide on carry what they decide with
(`NotFoundError`, `CheckpointRefusedError`, `QueryRejectedError`), so no caller reads a message.
"""

from __future__ import annotations

import enum
import json
import socket
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError


class Failure(enum.Enum):
    """Who can fix a failure: the user's settings, time (a retry later), or the maintainers."""

    CONFIG = "config"  # configuration, credentials, scope: fix the settings
    TRANSIENT = "transient"  # retries or the rate-limit budget ran out: run again later
    SYSTEM = "system"  # anything else


class Auth0TapError(Exception):
    """A failure the user can fix; `str()` is the whole message."""

    exit_code = 1
    failure = Failure.SYSTEM


class CredentialsError(Auth0TapError):
    """The tenant refused the client credentials or the token."""

    failure = Failure.CONFIG


class AccessDeniedError(Auth0TapError):
    """The credentials work but lack a grant or a scope."""

    failure = Failure.CONFIG


class TenantUnreachableError(Auth0TapError):
    """DNS, TLS or connection failures that retries did not cure."""

    def __init__(self, message: str, failure: Failure = Failure.TRANSIENT) -> None:
        super().__init__(message)
        self.failure = failure


class ApiResponseError(Auth0TapError):
    """Auth0 answered in a way the tap cannot continue from."""


class NotFoundError(ApiResponseError):
    """Auth0 answered 404 for `path` (a log retention removed, or a wrong domain)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(
            f"Auth0 answered 404 for {path} ({message}): check `domain` (the canonical tenant "
            "domain, not a custom domain)."
        )
        self.path = path

    failure = Failure.CONFIG


class CheckpointRefusedError(ApiResponseError):
    """Auth0 refused a checkpoint request's `from` with a 400 (retention may have passed it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"400: {reason}")
        self.reason = reason


class QueryRejectedError(ApiResponseError):
    """Auth0 refused a search query (400): its syntax, or a field that is not searchable."""

    failure = Failure.CONFIG


class RetriesExhaustedError(ApiResponseError):
    """Auth0 kept failing (5xx, malformed answers) through every try."""

    failure = Failure.TRANSIENT


class RateLimitError(Auth0TapError):
    """The tenant's rate limit stayed exhausted longer than the tap may wait."""

    failure = Failure.TRANSIENT


class CheckpointExpiredError(Auth0TapError):
    """The bookmark's log is older than the tenant's retention; resuming exactly is impossible."""

    failure = Failure.CONFIG  # `expired_checkpoint: fail` asked for this stop


class StateError(Auth0TapError):
    """The STATE given to the tap is not one it wrote."""

    failure = Failure.CONFIG


class InputFileError(Auth0TapError):
    """A config, state or catalog file that is missing, unreadable or not JSON."""

    failure = Failure.CONFIG


class TargetClosedError(Auth0TapError):
    """The target stopped reading the tap's output (it failed, or `| head` had enough)."""

    def __init__(self, records: int) -> None:
        super().__init__(
            f"The target closed the pipe after {records:,} records: it stopped reading (it "
            "failed, or its reader had enough); check the target's log. Nothing is lost: the "
            "next run resumes from the last STATE the target received."
        )
        self.records = records


def _json_body(response: requests.Response) -> object:
    try:
        return json.loads(response.content or b"null")
    except ValueError:
        return None


def auth0_message(response: requests.Response) -> str:
    """Return Auth0's own error text from a response body, whatever shape it has."""
    body = _json_body(response)
    if isinstance(body, dict):
        for key in ("error_description", "message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    text = (response.text or "").strip().splitlines()
    return text[0][:200] if text else response.reason or str(response.status_code)


def auth0_error_code(response: requests.Response) -> str | None:
    """Return Auth0's machine error code (`errorCode`, else `error`), when the body has one."""
    body = _json_body(response)
    if isinstance(body, dict):
        for key in ("errorCode", "error"):
            value = body.get(key)
            if isinstance(value, str):
                return value
    return None


def is_name_resolution_failure(exc: BaseException) -> bool:
    """True when `exc`, or a failure it wraps, is a host name that does not resolve."""
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NameResolutionError | socket.gaierror):
            return True
        pending += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        pending += list(current.args)
    return False


def network_error(url: str, exc: BaseException) -> TenantUnreachableError:
    """Explain a DNS, TLS, connection or timeout failure, naming the host and the fix."""
    host = urlsplit(url).netloc
    if isinstance(exc, requests.exceptions.SSLError):
        return TenantUnreachableError(
            f"TLS failure talking to {host} (certificate verification failed): behind a "
            "TLS-inspecting proxy or with a private CA, set REQUESTS_CA_BUNDLE to your CA bundle.",
            Failure.CONFIG,
        )
    if is_name_resolution_failure(exc):
        return TenantUnreachableError(
            f"Cannot resolve {host}: check `domain` (e.g. acme.us.auth0.com) and your DNS.",
            Failure.CONFIG,
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return TenantUnreachableError(
            f"{host} did not answer in time, even after retries: check the network or retry later."
        )
    return TenantUnreachableError(
        f"Cannot reach {host} ({type(exc).__name__}), even after retries: check `domain`, "
        "the network and any proxy (HTTPS_PROXY)."
    )

"""The Management API client: every API request of a run, paced, signed, retried and read.

Each method says what it asks (a checkpoint page, a search, one log, a user's logs), so the kind
of request is known from the call, never from its URL. Every request leaves through the run's
one `Sender` (token, pacing, transport, retries: `sender.py`); what an answer of each kind means
is read here, in one place: Auth0's error bodies become the clear errors of `errors.py`
(docs/auth0-api.md §3), and a body that is not what was asked for is fetched again.
"""

from __future__ import annotations

import enum
import json
import math
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tap_auth0_logs.api.retry import Transient
from tap_auth0_logs.api.sender import Credentials, Request
from tap_auth0_logs.errors import (
    AccessDeniedError,
    ApiResponseError,
    CheckpointRefusedError,
    NotFoundError,
    QueryRejectedError,
    RateLimitError,
    auth0_error_code,
    auth0_message,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    import requests

    from tap_auth0_logs.api.retry import Budget
    from tap_auth0_logs.api.sender import Sender

LOGS_PATH = "/api/v2/logs"
#: Auth0's largest page, in checkpoint mode (`take`) and in search mode (`per_page`) alike.
PAGE_SIZE = 100
#: The most results one search query (or one user's logs) pages through.
SEARCH_CAP = 1000

Log = dict[str, Any]


class RequestKind(enum.Enum):
    """What a request asks for, which decides how its answer is read."""

    CHECKPOINT = "checkpoint"  # `from`/`take`: a page of logs after `from`, ascending
    SEARCH = "search"  # search mode: a list of logs
    QUERY = "query"  # search mode with the user's `q`: a 400 means the query is rejected
    LOG = "log"  # one log by id
    USER_LOGS = "user logs"  # one user's logs, page-based


@dataclass(frozen=True)
class Answer:
    """A 2xx answer, read: its parsed body (checked for the request's kind) and its links."""

    body: Any
    links: Mapping[str, Mapping[str, str]]


class Auth0Client:
    """Sends the run's API requests; thread-safe, shared by every stream and cursor."""

    def __init__(self, *, base_url: str, sender: Sender, tokens: Credentials) -> None:
        self.base_url, self.sender, self.tokens = base_url, sender, tokens

    # --- what the streams ask -----------------------------------------------------------------

    def checkpoint_page(self, after: str, next_url: str | None = None) -> Answer:
        """The logs after `after`: `from=after` first, then the previous page's next link verbatim.

        A 400 raises `CheckpointRefusedError`; a body that is not logs ascending after `after` is
        fetched again (docs/auth0-api.md §1).
        """
        if next_url is None:
            url, params = (
                f"{self.base_url}{LOGS_PATH}",
                {"from": after, "take": PAGE_SIZE},
            )
            return self._get(url, params, RequestKind.CHECKPOINT, after)
        return self._get(next_url, None, RequestKind.CHECKPOINT, after)

    def search(self, params: Mapping[str, Any]) -> list[Log]:
        """One search-mode request; a query Auth0 rejects raises `QueryRejectedError`."""
        kind = RequestKind.QUERY if params.get("q") else RequestKind.SEARCH
        return self._get(f"{self.base_url}{LOGS_PATH}", params, kind).body

    def log(self, log_id: str) -> Log:
        """One log by id; `NotFoundError` once retention has removed it."""
        url = f"{self.base_url}{LOGS_PATH}/{quote(log_id, safe='')}"
        return self._get(url, None, RequestKind.LOG).body

    def user_logs(self, user_id: str, params: Mapping[str, Any]) -> list[Log]:
        """One page of a user's logs (`/api/v2/users/{id}/logs`)."""
        url = f"{self.base_url}/api/v2/users/{quote(user_id, safe='')}/logs"
        return self._get(url, params, RequestKind.USER_LOGS).body

    def newest_log_id(self) -> str | None:
        """The newest log's id (one search request), or None when the tenant has no logs."""
        params = {"sort": "date:-1", "per_page": 1, "page": 0, "fields": "log_id"}
        body = self.search({**params, "include_fields": "true"})
        return body[0]["log_id"] if body else None

    # --- one request --------------------------------------------------------------------------

    def _get(
        self,
        url: str,
        params: Mapping[str, Any] | None,
        kind: RequestKind,
        after: str | None = None,
    ) -> Answer:
        request = Request(
            "GET",
            url,
            read=partial(_read, kind, after),
            exhausted=_rate_limit_error,
            params=params,
        )
        return self.sender.send(request, self.tokens)


def _read(kind: RequestKind, after: str | None, response: requests.Response) -> Answer:
    """Turn an answer into a checked `Answer` or a clear error (429, 5xx, 401: the sender's).

    Parsing inside the retried request means a truncated or invalid body is fetched again
    rather than failing the run, and a page is emitted whole or not at all.
    """
    status = response.status_code
    if status >= 400:
        raise _refusal(status, auth0_error_code(response), auth0_message(response), kind, response)
    try:
        body = json.loads(response.content)
    except ValueError:
        raise Transient(f"{status} with a body that is not valid JSON") from None
    if not _has_shape(body, kind, after):
        raise Transient(f"{status} with a body that is not {_SHAPES[kind]}")
    return Answer(body, response.links if kind is RequestKind.CHECKPOINT else {})


def _rate_limit_error(budget: Budget, limit: float) -> RateLimitError:
    bucket = f" (bucket of {limit:.0f} requests)" if math.isfinite(limit) else ""
    if budget.rate_limit_max_wait <= 0:
        return RateLimitError(
            f"Auth0 answered 429: the Management API rate limit{bucket} is exhausted, and "
            "`rate_limit_max_wait` is 0, so the tap does not wait for it: run later, or set "
            "`rate_limit_max_wait` to the seconds a request may wait. The next run resumes "
            "from the last STATE."
        )
    return RateLimitError(
        f"Auth0's Management API rate limit{bucket} stayed exhausted longer than "
        f"`rate_limit_max_wait` allows ({budget.rate_limit_max_wait:.0f} s for one request): "
        "other clients of the tenant use it up; run later or raise `rate_limit_max_wait`. "
        "The next run resumes from the last STATE."
    )


def _refusal(
    status: int, code: str | None, message: str, kind: RequestKind, response: requests.Response
) -> ApiResponseError | AccessDeniedError:
    """The clear error for a 4xx that no retry can cure."""
    if status == 403:
        return _forbidden(code, message)
    if status == 400:
        return _bad_request(kind, code, message)
    if status == 414:
        return ApiResponseError(
            "Auth0 answered 414 Request-URI Too Large: the request's query string is too "
            "long; shorten `search_query`."
        )
    if status == 404:
        return NotFoundError(response.request.path_url.split("?", 1)[0], message)
    return ApiResponseError(f"Auth0 rejected the request ({status} {code}: {message}).")


def _forbidden(code: str | None, message: str) -> AccessDeniedError:
    if code == "insufficient_scope":
        return AccessDeniedError(
            f"The token lacks the `read:logs` scope (403: {message}): grant `read:logs` to "
            "the application under APIs > Auth0 Management API > Machine to Machine "
            "Applications."
        )
    return AccessDeniedError(
        f"Auth0 denied access (403: {message}): grant the application `read:logs` on the "
        "Auth0 Management API."
    )


def _bad_request(kind: RequestKind, code: str | None, message: str) -> ApiResponseError:
    if kind is RequestKind.CHECKPOINT:
        return CheckpointRefusedError(message)
    if kind is RequestKind.QUERY:
        return QueryRejectedError(
            f"Auth0 rejected the search query (400 {code}: {message}): fix `search_query` "
            "(Auth0 log search syntax: field:value, AND/OR/NOT, ranges [a TO b])."
        )
    return ApiResponseError(f"Auth0 rejected the request (400 {code}: {message}).")


_SHAPES = {
    RequestKind.CHECKPOINT: "a page of logs after `from`, in log_id order",
    RequestKind.SEARCH: "a list of logs",
    RequestKind.QUERY: "a list of logs",
    RequestKind.USER_LOGS: "a list of logs",
    RequestKind.LOG: "a log",
}


def _has_shape(body: object, kind: RequestKind, after: str | None) -> bool:
    """True when `body` is what a request of `kind` asks for (the one place this is checked)."""
    if kind is RequestKind.LOG:
        return isinstance(body, dict) and isinstance(body.get("log_id"), str)
    if not isinstance(body, list):
        return False
    if kind is not RequestKind.CHECKPOINT:
        return all(isinstance(log, dict) and isinstance(log.get("log_id"), str) for log in body)
    previous = after or ""
    for log in body:  # ids ascend strictly from `from`
        log_id = log.get("log_id") if isinstance(log, dict) else None
        if not isinstance(log_id, str) or log_id <= previous:
            return False
        previous = log_id
    return True

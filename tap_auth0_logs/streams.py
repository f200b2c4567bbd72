"""The tap's streams. `logs`: every log event of the tenant, by checkpoint, resumable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from singer_sdk.exceptions import RetriableAPIError
from typing_extensions import override

from tap_auth0_logs import log_ids
from tap_auth0_logs.client import Auth0Stream
from tap_auth0_logs.errors import ApiResponseError, CheckpointExpiredError, auth0_message
from tap_auth0_logs.event_types import describe
from tap_auth0_logs.paginators import CheckpointPaginator
from tap_auth0_logs.schema import LOG_EVENT, gather_extra_fields

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    import requests
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext

#: Auth0's maximum page size in checkpoint mode.
PAGE_SIZE = 100


@dataclass(frozen=True)
class StartPoint:
    """Where a run begins: the first `from`, and the earliest event date it may emit.

    `synthetic` marks a checkpoint the tap made from a time rather than a log Auth0 returned;
    `lead` is a log to emit before the first page (the oldest log, when its own id is `from`).
    """

    checkpoint: str
    not_before: datetime | None
    origin: str
    synthetic: bool = False
    lead: dict[str, Any] | None = None


class LogsStream(Auth0Stream):
    """Every log event, in log_id order, each exactly once, by checkpoint pagination.

    The first request is `GET /api/v2/logs?from=<start>&take=100`; every later one is exactly
    the `Link: rel="next"` URL of the previous page; an empty page means caught up. The stream is
    sorted by `log_id` (Auth0 guarantees it), so each STATE the SDK writes is a resume point.
    """

    name = "logs"
    path = "/api/v2/logs"
    primary_keys = ("log_id",)
    replication_key = "log_id"
    is_sorted = True
    # One STATE per full page (the SDK's default is 10,000 records): a run killed at any moment
    # repeats at most the one page it was writing.
    STATE_MSG_FREQUENCY = PAGE_SIZE
    schema = LOG_EVENT

    _start: StartPoint | None = None
    _oldest: dict[str, Any] | None = None

    @override
    def get_new_paginator(self) -> CheckpointPaginator:
        return CheckpointPaginator(self.url_base)

    @override
    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        request = super().get_http_request(page=page)
        if page.next_page_token is not None:
            # Auth0 asks that every request after the first be the next link, verbatim; adding
            # params here would send `from`/`take` twice.
            request.url = page.next_page_token.geturl()
            request.params = {}
        else:
            assert self._start is not None
            request.params = {"from": self._start.checkpoint, "take": PAGE_SIZE}
        return request

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        start = self.start_point(context)
        if start is None:
            self.logger.info("The tenant has no logs yet; nothing to extract.")
        while start is not None:
            self._start = start
            self.logger.info("Starting from %s (from=%s).", start.origin, start.checkpoint)
            emitted = 0
            try:
                if start.lead is not None:
                    emitted += 1
                    yield start.lead
                for record in super().get_records(context):
                    emitted += 1
                    yield record
                return
            except CheckpointExpiredError as exc:
                if emitted:
                    msg = f"Auth0 refused a next-page link mid-run ({exc}); retry the run."
                    raise ApiResponseError(msg) from None
                # Auth0 refused the first `from` with a 400, as it may for a checkpoint past
                # retention. Nothing is emitted yet, so a later start loses nothing more.
                start = self._start_after_refusal(start, str(exc))

    def _start_after_refusal(self, start: StartPoint, reason: str) -> StartPoint | None:
        if not start.synthetic:
            return self._after_expiry(start.checkpoint)
        oldest = self._oldest_log()
        if oldest is None or start.checkpoint == oldest["log_id"]:
            msg = f"Auth0 refused even the oldest log's id as a checkpoint ({reason}); retry later."
            raise ApiResponseError(msg)
        # A time-based checkpoint older than what the tenant keeps: start at the oldest log
        # itself (emitted first, then `from` its id). Logs ingested in the seconds before it
        # but dated after it cannot be reached this way; say so.
        self.logger.warning(
            "Auth0 refused the checkpoint %s (%s); starting at the oldest log %s instead. Logs "
            "ingested in the few seconds before it may be missed.",
            start.checkpoint,
            reason,
            oldest["log_id"],
        )
        keep = start.not_before is None or not _before(oldest, start.not_before)
        return StartPoint(
            oldest["log_id"], start.not_before, "the oldest log kept", lead=oldest if keep else None
        )

    @override
    def validate_response(self, response: requests.Response) -> None:
        """Also reject a checkpoint page that is not a list of logs with ids, so it is refetched."""
        if response.status_code == 400 and "from=" in (response.request.url or ""):
            raise CheckpointExpiredError(f"400: {auth0_message(response)}")
        super().validate_response(response)
        url = response.request.url or ""
        if "from=" in url and not _is_page_of_logs(response.__dict__.get("auth0_body"), url):
            msg = "200 with a body that is not a page of logs after `from`, in log_id order"
            raise RetriableAPIError(msg, response)

    @override
    def post_process(
        self, row: dict[str, Any], context: Context | None = None
    ) -> dict[str, Any] | None:
        start = self._start
        if start is not None and start.not_before is not None and _before(row, start.not_before):
            return None  # ingested after start_date, but the event itself happened before it
        row["type_description"] = describe(row.get("type"))
        return gather_extra_fields(row)

    def start_point(self, context: Context | None) -> StartPoint | None:
        """Choose the first `from`: bookmark, `start_log_id`, `start_date`, else the oldest log.

        A date becomes a synthetic checkpoint just before that moment (log ids begin with their
        ingestion time, which is never before the event's date). The id prefix comes from the
        oldest log the tenant keeps, found with one search-mode request.
        """
        bookmark = self._bookmark(context) or self.config.get("start_log_id")
        if bookmark:
            origin = "the bookmark" if self._bookmark(context) else "start_log_id"
            if not self._log_is_kept(bookmark):
                return self._after_expiry(bookmark)
            return StartPoint(bookmark, None, f"{origin} {bookmark}")
        return self._from_date(self.config.get("start_date"))

    def _from_date(self, start_date: str | None) -> StartPoint | None:
        """A synthetic checkpoint just before `start_date`, or before the oldest kept log."""
        oldest = self._oldest_log()
        if oldest is None:
            return None
        prefix = str(oldest["log_id"])[:3]
        oldest_date = log_ids.parse_datetime(str(oldest["date"]))
        if start_date:
            moment = log_ids.parse_datetime(start_date)
            return StartPoint(
                log_ids.checkpoint_before(max(moment, oldest_date), prefix),
                moment,
                f"start_date {start_date}",
                synthetic=True,
            )
        return StartPoint(
            log_ids.checkpoint_before(oldest_date, prefix),
            None,
            "the oldest log the tenant keeps",
            synthetic=True,
        )

    def _after_expiry(self, checkpoint: str) -> StartPoint | None:
        """Apply `expired_checkpoint` to a checkpoint whose log Auth0 no longer keeps."""
        ingested = log_ids.timestamp_of(checkpoint)
        when = f"a log ingested {ingested:%Y-%m-%d %H:%M:%S} UTC" if ingested else "a log"
        message = (
            f"The checkpoint {checkpoint} ({when}) is no longer kept by Auth0 (tenants keep logs "
            "1 to 30 days by plan), so the run cannot resume exactly: logs between it and the "
            "oldest log still kept may be missing."
        )
        if self.config.get("expired_checkpoint", "resume") == "fail":
            msg = f"{message} Set `expired_checkpoint` to `resume` to continue from the oldest log."
            raise CheckpointExpiredError(msg)
        start = self._from_date(None)
        self.logger.warning("%s Continuing from the oldest log still kept.", message)
        return start

    def _log_is_kept(self, log_id: str) -> bool:
        """Ask Auth0 for the checkpoint's log: a 404 means retention has removed it."""
        request = self.build_prepared_request(
            method="GET", url=f"{self.url_base}/api/v2/logs/{log_id}", headers=self.http_headers
        )
        try:
            self.request_decorator(self._request)(request, None)
        except ApiResponseError as exc:
            if str(exc).startswith("Auth0 answered 404"):
                return False
            raise
        return True

    def _bookmark(self, context: Context | None) -> str | None:
        state = self.get_context_state(context)
        if state.get("replication_key") != self.replication_key:
            return None
        value = state.get("replication_key_value")
        if value is None:
            return None
        if not isinstance(value, str) or not log_ids.is_log_id(value):
            msg = (
                f"The STATE bookmark for `logs` ({value!r}) is not an Auth0 log_id: pass the "
                "last STATE the tap wrote, or none to start over."
            )
            raise ApiResponseError(msg)
        return value

    def _oldest_log(self) -> dict[str, Any] | None:
        """Return the tenant's oldest log by date (search mode), or None when it has none.

        Asked once per run: a copy is kept for a start that needs it twice.
        """
        if self._oldest is not None:
            return dict(self._oldest)
        request = self.build_prepared_request(
            method="GET",
            url=self.get_url(None),
            params={"sort": "date:1", "per_page": 1, "page": 0},
            headers=self.http_headers,
        )
        response = self.request_decorator(self._request)(request, None)
        body = response.__dict__.get("auth0_body")
        if not isinstance(body, list):
            msg = "Auth0 answered a log search with something other than a list of logs; retry."
            raise ApiResponseError(msg)
        if not body:
            return None
        self._oldest = dict(body[0])
        return dict(body[0])


def _is_page_of_logs(body: object, url: str) -> bool:
    """True for a list of logs whose ids ascend strictly from the request's `from`."""
    if not isinstance(body, list):
        return False
    previous = parse_qs(urlsplit(url).query).get("from", [""])[0]
    for log in body:
        log_id = log.get("log_id") if isinstance(log, dict) else None
        if not isinstance(log_id, str) or log_id <= previous:
            return False
        previous = log_id
    return True


def _before(row: dict[str, Any], moment: datetime) -> bool:
    date = row.get("date")
    if not isinstance(date, str):
        return False
    try:
        return log_ids.parse_datetime(date) < moment
    except ValueError:
        return False

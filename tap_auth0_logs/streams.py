"""The tap's streams. `logs`: every log event of the tenant, by checkpoint, resumable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from typing_extensions import override

from tap_auth0_logs import log_ids
from tap_auth0_logs.client import Auth0Stream
from tap_auth0_logs.errors import ApiResponseError
from tap_auth0_logs.event_types import describe
from tap_auth0_logs.paginators import CheckpointPaginator
from tap_auth0_logs.schema import LOG_EVENT, gather_extra_fields

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext

#: Auth0's maximum page size in checkpoint mode.
PAGE_SIZE = 100


@dataclass(frozen=True)
class StartPoint:
    """Where a run begins: the first `from`, and the earliest event date it may emit."""

    checkpoint: str
    not_before: datetime | None
    origin: str


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
    # The SDK's default (10,000) would leave 100 pages between resume points.
    STATE_MSG_FREQUENCY = 1000
    schema = LOG_EVENT

    _start: StartPoint | None = None

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
        self._start = self.start_point(context)
        if self._start is None:
            self.logger.info("The tenant has no logs yet; nothing to extract.")
            return
        self.logger.info("Starting from %s (from=%s).", self._start.origin, self._start.checkpoint)
        yield from super().get_records(context)

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
        bookmark = self._bookmark(context)
        if bookmark:
            return StartPoint(bookmark, None, f"the bookmark {bookmark}")
        if start_log_id := self.config.get("start_log_id"):
            return StartPoint(start_log_id, None, f"start_log_id {start_log_id}")
        oldest = self._oldest_log()
        if oldest is None:
            return None
        prefix = str(oldest["log_id"])[:3]
        oldest_date = log_ids.parse_datetime(str(oldest["date"]))
        if start_date := self.config.get("start_date"):
            moment = log_ids.parse_datetime(start_date)
            return StartPoint(
                log_ids.checkpoint_before(max(moment, oldest_date), prefix),
                moment,
                f"start_date {start_date}",
            )
        return StartPoint(
            log_ids.checkpoint_before(oldest_date, prefix), None, "the oldest log the tenant keeps"
        )

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
        """Return the tenant's oldest log by date (search mode), or None when it has none."""
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
        return body[0] if body else None


def _before(row: dict[str, Any], moment: datetime) -> bool:
    date = row.get("date")
    if not isinstance(date, str):
        return False
    try:
        return log_ids.parse_datetime(date) < moment
    except ValueError:
        return False

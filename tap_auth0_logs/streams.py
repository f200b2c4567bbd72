"""The tap's streams. `logs`: every log event of the tenant, by checkpoint, resumable."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib import RecordMessage
from typing_extensions import override

from tap_auth0_logs import log_ids
from tap_auth0_logs.backfill import DEFAULT_BACKFILL_CONCURRENCY, Backfill
from tap_auth0_logs.client import Auth0Stream
from tap_auth0_logs.errors import (
    AccessDeniedError,
    ApiResponseError,
    Auth0TapError,
    CheckpointExpiredError,
    auth0_message,
)
from tap_auth0_logs.event_types import describe
from tap_auth0_logs.paginators import (
    SEARCH_CAP,
    SEARCH_PAGE_SIZE,
    CheckpointLinks,
    RangeSearch,
)
from tap_auth0_logs.schema import (
    EXTRA_FIELDS,
    KNOWN_FIELDS,
    LOG_EVENT,
    gather_extra_fields,
    normalize_scope,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable

    import requests
    from singer_sdk.helpers.types import Context

#: Auth0's maximum page size in checkpoint mode.
PAGE_SIZE = 100
#: A search run covers logs ingested up to this long before it starts: newer ones may not be
#: searchable yet, and the next run will find them.
SEARCH_SETTLE_SECONDS = 60
#: The state key where a parallel backfill keeps the log_id ranges it has left:
#: `[[after, until], …, [after, null]]`, each range `(after, until]`.
RANGES_LEFT = "ranges_left"
#: Seconds between progress lines during a long run.
PROGRESS_SECONDS = 5.0


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


class LogEventStream(Auth0Stream):
    """What every stream of log events shares: the record shape, start points, bookmarks.

    `log_search` and `user_logs` keep their records in ascending log_id order (their own sort of
    each search range), so every STATE the SDK writes is a resume point; `logs` keeps its state
    itself, per written page, because a parallel backfill is not in one order.
    """

    primary_keys = ("log_id",)
    replication_key = "log_id"
    is_sorted = True
    # One STATE per full page (the SDK's default is 10,000 records): a run killed at any moment
    # repeats at most the one page it was writing.
    STATE_MSG_FREQUENCY = PAGE_SIZE
    schema = LOG_EVENT
    # Records come straight from JSON and every top-level key is declared (`gather_extra_fields`
    # puts unknown ones in `extra_fields`), so the SDK's per-record type conformance would only
    # walk each record again: it cost about a third of the tap's CPU per record.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    #: The setting a stream cannot run without; it is selected by default only when it is set.
    needs_setting: str | None = None

    _start: StartPoint | None = None
    _oldest: dict[str, Any] | None = None
    _progress: Progress | None = None

    @property
    def selected_by_default(self) -> bool:  # type: ignore[override]
        """Selected unless it needs a setting that is not set (then only if the catalog asks)."""
        return self.needs_setting is None or bool(self.config.get(self.needs_setting))

    def lacks_setting(self) -> bool:
        """Say so in one line when the stream is selected but its setting is not set."""
        if self.needs_setting is None or self.config.get(self.needs_setting):
            return False
        self.logger.warning(
            "Stream `%s` is selected but `%s` is not set.", self.name, self.needs_setting
        )
        return True

    @override
    def _generate_record_messages(
        self, record: dict[str, Any]
    ) -> Generator[RecordMessage, None, None]:
        """The SDK's RECORD messages, without its walk for deselected properties when none are.

        The SDK walks every key of every record, the free-form `details` included, looking up
        each in the selection mask: about a fifth of the tap's CPU per record, spent for nothing
        when the catalog selects every property (type conformance is off, see above). There is
        no public hook for this, so the SDK's own version runs whenever anything is deselected.
        """
        if not self._selects_everything:
            yield from super()._generate_record_messages(record)
            return
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped,
                    version=self._stream_version,
                    time_extracted=datetime.now(UTC),
                )

    @cached_property
    def _selects_everything(self) -> bool:
        return all(self.mask.values())

    @override
    def post_process(
        self, row: dict[str, Any], context: Context | None = None
    ) -> dict[str, Any] | None:
        start = self._start
        if start is not None and start.not_before is not None and _before(row, start.not_before):
            return None  # ingested after start_date, but the event itself happened before it
        row["type_description"] = describe(row.get("type"))
        if self._progress is None:
            self._progress = Progress(self)
        self._progress.record(row)
        return gather_extra_fields(normalize_scope(row))

    def start_point(self, context: Context | None) -> StartPoint | None:
        """Choose the first `from`: bookmark, `start_log_id`, `start_date`, else the oldest log.

        A date becomes a synthetic checkpoint just before that moment (log ids begin with their
        ingestion time, which is never before the event's date). The id prefix comes from the
        oldest log the tenant keeps, found with one search-mode request.
        """
        bookmark, origin = self._bookmark(context), "the bookmark"
        if not bookmark:
            bookmark, origin = self.config.get("start_log_id"), "start_log_id"
        if bookmark:
            if log_ids.is_synthetic(bookmark):
                # A split point of a parallel backfill: no log has that id to look up. If
                # retention has passed it, Auth0 refuses it as `from` and the run starts at the
                # oldest log kept, with a warning.
                return StartPoint(bookmark, None, f"{origin} {bookmark}", synthetic=True)
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
        try:
            self.get_json(f"/api/v2/logs/{log_id}", {})
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
                f"The STATE bookmark for `{self.name}` ({value!r}) is not an Auth0 log_id: "
                "pass the last STATE the tap wrote, or none to start over."
            )
            raise ApiResponseError(msg)
        return value

    def _oldest_log(self) -> dict[str, Any] | None:
        """Return the tenant's oldest log by date (search mode), or None when it has none.

        Asked once per run: a copy is kept for a start that needs it twice.
        """
        if self._oldest is not None:
            return dict(self._oldest)
        body = self.get_json("/api/v2/logs", {"sort": "date:1", "per_page": 1, "page": 0})
        if not isinstance(body, list):
            msg = "Auth0 answered a log search with something other than a list of logs; retry."
            raise ApiResponseError(msg)
        if not body:
            return None
        self._oldest = dict(body[0])
        return dict(body[0])

    def check_connection(self) -> None:
        """One cheap request that proves the token may read what this stream reads."""
        self.search_logs({"per_page": 1, "page": 0})

    def search_logs(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """One search-mode request to `/api/v2/logs`; the list of logs it answers."""
        self.pages += 1
        body = self.get_json("/api/v2/logs", params)
        if not isinstance(body, list):
            msg = "Auth0 answered a log search with something other than a list of logs; retry."
            raise ApiResponseError(msg)
        return body

    def get_json(self, path: str, params: dict[str, Any]) -> Any:
        """GET `path` with the stream's auth, pacing and retries; return the parsed body."""
        return self.get(f"{self.url_base}{path}", params).__dict__.get("auth0_body")

    def get(self, url: str, params: dict[str, Any]) -> requests.Response:
        """GET `url` with the stream's auth, pacing and retries; the body is parsed and checked."""
        request = self.build_prepared_request(
            method="GET", url=url, params=params, headers=self.http_headers
        )
        return self.request_decorator(self._request)(request, None)


class LogsStream(LogEventStream):
    """Every log event, each exactly once, by checkpoint pagination; resumable at every page.

    A cursor's first request is `GET /api/v2/logs?from=<start>&take=100`; every later one is
    exactly the `Link: rel="next"` URL of the previous page; an empty page means caught up. An
    ordinary run is one cursor, in log_id order. A run far behind (a backfill) is cut into log_id
    ranges paged side by side (`Backfill`, up to `backfill_concurrency`); its records then come
    in order within each range but not across ranges, and the state keeps the ranges left.
    """

    name = "logs"
    path = "/api/v2/logs"
    # Not sorted across the ranges of a parallel backfill; resumable all the same (see above).
    is_sorted = False

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        start = self.start_point(context)
        if start is None:
            self.logger.info("The tenant has no logs yet; nothing to extract.")
            return
        ranges = self._ranges_left(context, start.checkpoint)
        while True:
            self._start = start
            self.logger.info("Starting from %s (from=%s).", start.origin, start.checkpoint)
            emitted = 0
            try:
                if start.lead is not None:
                    emitted += 1
                    yield start.lead
                    self._save_progress(self.get_context_state(context), ranges)
                for record in self._extract(ranges, context):
                    emitted += 1
                    yield record
                return
            except CheckpointExpiredError as exc:
                if emitted:
                    msg = f"Auth0 refused a next-page link mid-run ({exc}); retry the run."
                    raise ApiResponseError(msg) from None
                # Auth0 refused the first `from` with a 400, as it may for a checkpoint past
                # retention. Nothing is emitted yet, so a later start loses nothing more.
                refused = start
                start = self._start_after_refusal(refused, str(exc))
                if start is None:
                    return
                ranges = _clip(ranges, start.checkpoint)

    def _extract(
        self, ranges: list[tuple[str, str | None]], context: Context | None
    ) -> Iterable[dict[str, Any]]:
        """Page through `ranges` with the backfill's cursors; save progress after each page.

        `log_types` is applied here (Auth0 ignores `q` in checkpoint mode); the logs it skips
        are passed over with their page, so they are not fetched again.
        """
        wanted = set(self.config.get("log_types") or ())
        backfill = Backfill(
            self._fetch_page,
            ranges,
            workers=int(self.config.get("backfill_concurrency", DEFAULT_BACKFILL_CONCURRENCY)),
            newest=self._newest_log_id,
        )
        state = self.get_context_state(context)
        for page in backfill.pages():
            self.pages += 1
            for record in page.logs:
                if not wanted or record.get("type") in wanted:
                    yield record
            # The SDK asks for the next record only after writing this one: the page is written.
            backfill.confirm(page)
            if (left := backfill.ranges_left()) != ranges:  # else nothing new to resume from
                self._save_progress(state, left)
                ranges = left
        if backfill.splits:
            self.logger.info(
                "Backfill done with up to %d cursors side by side (%d ranges split).",
                backfill.peak_cursors,
                backfill.splits,
            )

    def _save_progress(self, state: dict[str, Any], left: list[tuple[str, str | None]]) -> None:
        """Write a STATE now: the first range left as bookmark, the others while there are any.

        Written here, right after the page, rather than every N records by the SDK: a run that
        fails or is killed next repeats at most the page each cursor was writing.
        """
        state["replication_key"] = self.replication_key
        state["replication_key_value"] = left[0][0]
        if len(left) > 1:
            state[RANGES_LEFT] = [list(pair) for pair in left]
        else:
            state.pop(RANGES_LEFT, None)
        self.tap.state_writer.write_state(self.tap_state)
        self.state_manager.is_flushed = True

    @override
    def _increment_stream_state(
        self, latest_record: dict[str, Any], *, context: Context | None = None
    ) -> None:
        """Leave the bookmark to `_save_progress`.

        The SDK's version moves the bookmark to each record's log_id, which is only right for
        records in log_id order; a parallel backfill writes several ranges at once, so progress
        is saved per written page instead (there is no public hook for this).
        """

    def _ranges_left(self, context: Context | None, start: str) -> list[tuple[str, str | None]]:
        """The ranges a parallel backfill left in the state, from `start` on; else an open one."""
        saved = self.get_context_state(context).get(RANGES_LEFT)
        if saved is None:
            return [(start, None)]
        if not _valid_ranges(saved):
            msg = (
                f"The STATE of `{self.name}` has a malformed `{RANGES_LEFT}` ({str(saved)[:80]}): "
                "pass the last STATE the tap wrote, or none to start over."
            )
            raise ApiResponseError(msg)
        return _clip([(after, until) for after, until in saved], start)

    def _fetch_page(
        self, url: str | None, after: str
    ) -> tuple[list[dict[str, Any]], Callable[[], str]]:
        """One checkpoint page, with pacing and retries: its logs, and how to get the next link."""
        if url is None:
            response = self.get(f"{self.url_base}{self.path}", {"from": after, "take": PAGE_SIZE})
        else:  # Auth0 asks that every later request be the next link, verbatim
            response = self.get(url, {})
        return response.__dict__["auth0_body"], lambda: self._paginator.next_url(response)

    @cached_property
    def _paginator(self) -> CheckpointLinks:
        return CheckpointLinks(self.url_base)

    def _newest_log_id(self) -> str | None:
        """The newest log's id (one search request), to know how far a backfill must go.

        Without it the backfill simply stays one cursor, so a failure here is only logged.
        """
        params = {"sort": "date:-1", "per_page": 1, "page": 0, "fields": "log_id"}
        try:
            body = self.get_json(self.path, {**params, "include_fields": "true"})
            newest = body[0]["log_id"] if isinstance(body, list) and body else None
        except (Auth0TapError, KeyError, TypeError) as exc:
            self.logger.warning("Could not find the newest log (%s); using one cursor.", exc)
            return None
        return newest if isinstance(newest, str) and log_ids.is_log_id(newest) else None

    @override
    def check_connection(self) -> None:
        now = log_ids.checkpoint_before(datetime.now(UTC))
        body = self.get_json(self.path, {"from": now, "take": 1})
        if not isinstance(body, list):
            msg = "Auth0 answered a checkpoint request with something other than a list of logs."
            raise ApiResponseError(msg)

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


class Progress:
    """A log line every few seconds of a long run: records, pages, records/s, and the lag.

    The lag is how far behind now the newest log emitted is (from its id's ingestion time), so
    an operator sees a backfill catch up. The SDK's own metrics stay as they are.
    """

    def __init__(self, stream: LogEventStream, every: float = PROGRESS_SECONDS) -> None:
        self.stream, self.every = stream, every
        self.records = 0
        self.started = self.reported = time.monotonic()

    def record(self, row: dict[str, Any]) -> None:
        """Count a record; report when the interval has passed."""
        self.records += 1
        now = time.monotonic()
        if now - self.reported < self.every:
            return
        self.reported = now
        ingested = log_ids.timestamp_of(str(row.get("log_id", "")))
        lag = f"{(datetime.now(UTC) - ingested).total_seconds():,.0f} s" if ingested else "unknown"
        self.stream.logger.info(
            "Progress of %s: %d records, %d pages, %.0f records/s, lag %s.",
            self.stream.name,
            self.records,
            self.stream.pages,
            self.records / max(now - self.started, 1e-9),
            lag,
        )


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


def _valid_ranges(value: object) -> bool:
    """True for `[[after, until], …, [after, null]]` with log ids in ascending order."""
    if not isinstance(value, list) or not value:
        return False
    previous = ""
    for index, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            return False
        after, until = pair
        last = index == len(value) - 1
        if not isinstance(after, str) or not log_ids.is_log_id(after) or after < previous:
            return False
        if last and until is not None:
            return False
        if not last and not (isinstance(until, str) and log_ids.is_log_id(until) and until > after):
            return False
        previous = until or after
    return True


def _clip(ranges: list[tuple[str, str | None]], start: str) -> list[tuple[str, str | None]]:
    """`ranges` without what lies at or before `start` (a later start after an expiry)."""
    kept = [(max(a, start), u) for a, u in ranges if u is None or u > start]
    return kept or [(start, None)]


def _before(row: dict[str, Any], moment: datetime) -> bool:
    date = row.get("date")
    if not isinstance(date, str):
        return False
    try:
        return log_ids.parse_datetime(date) < moment
    except ValueError:
        return False


class LogSearchStream(LogEventStream):
    """Every log matching `search_query`, with no 1,000-result ceiling.

    Auth0's search mode pages through at most 1,000 results per query, so the query is run over
    log_id ranges small enough to fit (see `RangeSearch`), oldest range first. The run covers
    logs ingested up to a minute before it started; later ones are left to the next run, so a
    log still being indexed is not skipped.
    """

    name = "log_search"
    path = "/api/v2/logs"

    needs_setting = "search_query"

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        if self.lacks_setting():
            return
        query = str(self.config["search_query"])
        start = self.start_point(context)
        if start is None:
            return
        self._start = start
        self.logger.info("Searching %r from %s.", query, start.origin)
        search = RangeSearch(self.search_logs, query, self.projected_fields())
        for batch in search.between(start.checkpoint, search_horizon(start.checkpoint)):
            yield from batch

    @override
    def check_connection(self) -> None:
        if not self.lacks_setting():  # a query Auth0 rejects fails here, with its message
            self.search_logs({"q": self.config["search_query"], "per_page": 1, "page": 0})

    def projected_fields(self) -> list[str] | None:
        """The fields to ask Auth0 for when the catalog deselects some; None for all.

        `log_id` is always included; `type` too when `type_description` is selected; nothing is
        projected when `extra_fields` is selected, since it gathers keys no list can name.
        """
        wanted = [
            name for name in self.schema["properties"] if self.mask.get(("properties", name), True)
        ]
        if len(wanted) == len(self.schema["properties"]) or EXTRA_FIELDS in wanted:
            return None
        fields = {name for name in wanted if name in KNOWN_FIELDS} | {"log_id"}
        if "type_description" in fields:
            fields |= {"type"}
        fields -= {"type_description"}
        return sorted(fields)


class UserLogsStream(LogEventStream):
    """The logs of each user in `user_ids`, from `GET /api/v2/users/{id}/logs`, one partition each.

    That endpoint pages through at most 1,000 logs per user. For a user with more, the stream
    falls back to the search ranges of `log_search` with `user_id:"…"` when the token may search
    (`read:logs`); with only `read:logs_users` it emits what the endpoint gives and warns.
    """

    name = "user_logs"
    path = "/api/v2/users/{user_id}/logs"

    needs_setting = "user_ids"

    @property
    @override
    def partitions(self) -> list[dict[str, Any]] | None:
        return [{"user_id": user_id} for user_id in self.config.get("user_ids") or []] or None

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        if self.lacks_setting() or not context:
            return
        user_id = str(context["user_id"])
        bookmark = self._bookmark(context)
        rows = self._endpoint_logs(user_id)
        if len(rows) >= SEARCH_CAP:
            searched = self._search_user(user_id, bookmark)
            if searched is not None:
                yield from searched
                return
            self.logger.warning(
                "User %s has more than %d logs, the most `/users/{id}/logs` returns, and the token "
                "cannot search (`read:logs`): only the oldest %d are extracted. Grant `read:logs` "
                "to get them all.",
                user_id,
                SEARCH_CAP,
                SEARCH_CAP,
            )
        yield from sorted(
            (row for row in rows if bookmark is None or str(row["log_id"]) > bookmark),
            key=lambda row: str(row["log_id"]),
        )

    @override
    def check_connection(self) -> None:
        if self.lacks_setting():
            return
        user_ids = self.config["user_ids"]
        path = f"/api/v2/users/{quote(str(user_ids[0]), safe='')}/logs"
        self.get_json(path, {"page": 0, "per_page": 1})

    def _endpoint_logs(self, user_id: str) -> list[dict[str, Any]]:
        path = f"/api/v2/users/{quote(user_id, safe='')}/logs"
        rows: list[dict[str, Any]] = []
        for page in range(SEARCH_CAP // SEARCH_PAGE_SIZE):
            body = self.get_json(
                path, {"page": page, "per_page": SEARCH_PAGE_SIZE, "sort": "date:1"}
            )
            if not isinstance(body, list):
                msg = f"Auth0 answered the logs of user {user_id} with something other than a list."
                raise ApiResponseError(msg)
            rows += body
            if len(body) < SEARCH_PAGE_SIZE:
                break
        return rows

    def _search_user(self, user_id: str, bookmark: str | None) -> list[dict[str, Any]] | None:
        """The user's logs after `bookmark`, by search ranges; None if the token cannot search."""
        escaped = user_id.replace("\\", "\\\\").replace('"', '\\"')
        search = RangeSearch(self.search_logs, f'user_id:"{escaped}"')
        try:
            low = bookmark
            if low is None:
                start = self._from_date(self.config.get("start_date"))
                if start is None:
                    return []
                low = start.checkpoint
            return [row for batch in search.between(low, search_horizon(low)) for row in batch]
        except AccessDeniedError:
            return None


def search_horizon(low: str) -> str:
    """The upper log_id bound of a search run: a minute before now, never below `low`."""
    moment = datetime.now(UTC) - timedelta(seconds=SEARCH_SETTLE_SECONDS)
    return max(low, log_ids.checkpoint_before(moment, low[:3]))

"""The tap's streams: what each reads, and how its records look.

`logs` reads every log event by checkpoint (docs/auth0-api.md §1), `log_search` every match of a
query, `user_logs` the logs of listed users. Where a run starts is `start_points.py`'s, how the
backfill's ranges are kept is `ranges.py`'s, and every request goes through the `Auth0Client`
each stream is given.
"""

from __future__ import annotations

import contextlib
import sys
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_auth0_logs import log_ids
from tap_auth0_logs.backfill import Backfill
from tap_auth0_logs.client import PAGE_SIZE, SEARCH_CAP
from tap_auth0_logs.drift import DriftWatch
from tap_auth0_logs.errors import (
    AccessDeniedError,
    ApiResponseError,
    CheckpointRefusedError,
    StateError,
)
from tap_auth0_logs.event_types import describe
from tap_auth0_logs.paginators import CheckpointPages, RangeSearch
from tap_auth0_logs.progress import Progress
from tap_auth0_logs.ranges import clip, read_ranges, write_ranges
from tap_auth0_logs.retention import keep_gap
from tap_auth0_logs.schema import (
    EXTRA_FIELDS,
    KNOWN_FIELDS,
    LOG_EVENT,
    TENANT,
    gather_extra_fields,
    normalize_scope,
    with_every_key,
)
from tap_auth0_logs.sdk_fence import FencedStream
from tap_auth0_logs.start_points import OldestLog, StartPoint, StartPoints, happened_before

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_auth0_logs.backfill import CursorRoom
    from tap_auth0_logs.client import Auth0Client, Log
    from tap_auth0_logs.pseudonyms import Pseudonymizer
    from tap_auth0_logs.ranges import Range
    from tap_auth0_logs.settings import Settings

#: A search run covers logs ingested up to this long before it starts: newer ones may not be
#: searchable yet, and the next run will find them.
SEARCH_SETTLE_SECONDS = 60
#: The key of a stream's STATE naming the tenant its bookmarks belong to (`Settings.tenant`).
TENANT_KEY = "tenant"


class LogEventStream(FencedStream):
    """What every stream of log events shares: the record shape, start points, bookmarks.

    `log_search` and `user_logs` keep their records in ascending log_id order (their own sort of
    each search range), so every STATE the SDK writes is a resume point; `logs` keeps its state
    itself, per written page, because a parallel backfill is not in one order.
    """

    # A log is one per tenant: two tenants loaded into one table may have the same log_id.
    primary_keys = (TENANT, "log_id")
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
    needs_setting: ClassVar[str | None] = None

    def __init__(
        self,
        tap: Tap,
        client: Auth0Client,
        settings: Settings,
        *,
        room: CursorRoom | None = None,
        pseudonyms: Pseudonymizer | None = None,
        oldest: OldestLog | None = None,
    ) -> None:
        """A stream of the run; `room`, `pseudonyms` and `oldest` are the run's, shared."""
        super().__init__(tap=tap)
        self.client, self.settings = client, settings
        #: The tenant every record names (`Settings.tenant`, worked out once a run).
        self._tenant = settings.tenant
        #: Whether another backfill cursor can still help (the run's pacer answers).
        self.room = room
        #: Keyed pseudonyms, applied to every record before any writer sees it; None when off.
        self.pseudonyms = pseudonyms
        self.start_points = StartPoints(
            client,
            self.logger,
            start_log_id=settings.start_log_id,
            start_date=settings.start_date,
            fail_on_expiry=settings.fail_on_expired_checkpoint,
            oldest=oldest,
        )
        #: Pages of logs received in this run (for progress lines).
        self.pages = 0
        self._start: StartPoint | None = None
        self._progress = Progress(self.name, self.logger, lambda: self.pages)
        self.drift = DriftWatch(self.name, self.logger)

    @property
    @override
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
    def post_process(self, row: Log, context: Context | None = None) -> Log | None:
        start = self._start
        if (
            start is not None
            and start.not_before is not None
            and happened_before(row, start.not_before)
        ):
            return None  # ingested after start_date, but the event itself happened before it
        description = row["type_description"] = describe(row.get("type"))
        self._progress.record(row)
        record = with_every_key(gather_extra_fields(normalize_scope(row)))
        if self.pseudonyms is not None:
            self.pseudonyms.apply(record)
        record[TENANT] = self._tenant  # the STATE's tenant, never a pseudonym
        if description is None or record[EXTRA_FIELDS] is not None:
            self.drift.observe(record)
        return record

    @override
    def log_sync_costs(self) -> None:
        """The SDK's cost lines, then the run's schema drift (the SDK calls this once a run)."""
        super().log_sync_costs()
        self.drift.report()

    def claim_tenant(self) -> None:
        """Bind the stream's STATE to this run's tenant, or refuse a STATE of another tenant.

        A log_id of one tenant means nothing to another: used as `from` it skips every log
        that sorts before it. A STATE written before the tenant was recorded is taken as this
        tenant's (a bookmark Auth0 does not have is still refused, in `StartPoints`).
        """
        state = self.stream_state
        tenant, recorded = self.settings.tenant, state.get(TENANT_KEY)
        if recorded is not None and recorded != tenant:
            msg = (
                f"The STATE of `{self.name}` belongs to the tenant {recorded}, but this run reads "
                f"the tenant {tenant} (`domain`): its bookmark would skip this tenant's logs. "
                "Give each tenant a STATE of its own (in Meltano, a state id of its own: "
                "`meltano run --state-id-suffix NAME …`), or pass no STATE to start this tenant "
                "afresh."
            )
            raise StateError(msg)
        state[TENANT_KEY] = tenant

    def bookmark(self, context: Context | None) -> str | None:
        """The log_id the state says this stream (or partition) has written up to."""
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
            raise StateError(msg)
        return value

    def check_connection(self) -> None:
        """One cheap request that proves the token may read what this stream reads."""
        self.search_logs({"per_page": 1, "page": 0})

    def bookmarks(self) -> list[str]:
        """Every bookmark the stream's STATE holds now, one per partition."""
        found = []
        partitions = self.partitions
        contexts: list[dict[str, Any] | None] = [*partitions] if partitions else [None]
        for context in contexts:
            with contextlib.suppress(StateError):
                if bookmark := self.bookmark(context):
                    found.append(bookmark)
        return found

    def _start_from(self, start: StartPoint, state: dict[str, Any]) -> None:
        """Begin at `start`; a window retention took on the way is kept in the STATE."""
        self._start = start
        if start.gap is not None:
            keep_gap(state, start.gap)

    def search_logs(self, params: dict[str, Any]) -> list[Log]:
        """One search-mode request, counted as a page."""
        self.pages += 1
        return self.client.search(params)


class LogsStream(LogEventStream):
    """Every log event, each exactly once, by checkpoint pagination; resumable at every page.

    A cursor's first request is `GET /api/v2/logs?from=<start>&take=100`; every later one is
    exactly the `Link: rel="next"` URL of the previous page; an empty page means caught up. An
    ordinary run is one cursor, in log_id order. A run far behind (a backfill) is cut into log_id
    ranges paged side by side (`Backfill`, up to `backfill_concurrency`); its records then come
    in order within each range but not across ranges, and the state keeps the ranges left.
    """

    name = "logs"
    # Not sorted across the ranges of a parallel backfill; resumable all the same (see above).
    is_sorted = False
    bookmarks_per_page = True
    # The stream writes its STATE itself after every page; the SDK's STATE every N records would
    # only repeat an older bookmark (or none yet, before the first page's own).
    STATE_MSG_FREQUENCY = sys.maxsize

    @override
    def get_records(self, context: Context | None) -> Iterable[Log]:
        start = self.start_points.choose(self.bookmark(context))
        if start is None:
            self.logger.info("The tenant has no logs yet; nothing to extract.")
            return
        state = self.get_context_state(context)
        ranges = read_ranges(state, start.checkpoint, self.name)
        while True:
            self._start_from(start, state)
            self.logger.info("Starting from %s (from=%s).", start.origin, start.checkpoint)
            emitted = 0
            try:
                if start.lead is not None:
                    emitted += 1
                    yield start.lead
                    self._save_progress(state, ranges)
                for record in self._extract(ranges, state):
                    emitted += 1
                    yield record
                return
            except CheckpointRefusedError as exc:
                if emitted:
                    msg = f"Auth0 refused a next-page link mid-run ({exc}); retry the run."
                    raise ApiResponseError(msg) from None
                # Auth0 refused the first `from` with a 400, as it may for a checkpoint past
                # retention. Nothing is emitted yet, so a later start loses nothing more.
                refused = start
                start = self.start_points.after_refusal(refused, str(exc))
                if start is None:
                    return
                ranges = clip(ranges, start.checkpoint)

    def _extract(self, ranges: list[Range], state: dict[str, Any]) -> Iterable[Log]:
        """Page through `ranges` with the backfill's cursors; save progress after each page.

        `log_types` is applied here (Auth0 ignores `q` in checkpoint mode); the logs it skips
        are passed over with their page, so they are not fetched again.
        """
        wanted = self.settings.log_types
        backfill = Backfill(
            CheckpointPages(self.client),
            ranges,
            workers=self.settings.backfill_concurrency,
            room=self.room,
        )
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
        if backfill.stats.splits:
            self.logger.info(
                "Backfill done with up to %d cursors side by side (%d ranges split).",
                backfill.stats.peak_cursors,
                backfill.stats.splits,
            )

    def _save_progress(self, state: dict[str, Any], left: list[Range]) -> None:
        """Write a STATE now, with the ranges left.

        Written here, right after the page, rather than every N records by the SDK: a run that
        fails or is killed next repeats at most the page each cursor was writing.
        """
        write_ranges(state, self.replication_key, left)
        self.write_state_now()

    @override
    def check_connection(self) -> None:
        self.client.checkpoint_page(log_ids.checkpoint_before(datetime.now(UTC)))


class LogSearchStream(LogEventStream):
    """Every log matching `search_query`, with no 1,000-result ceiling.

    Auth0's search mode pages through at most 1,000 results per query, so the query is run over
    log_id ranges small enough to fit (see `RangeSearch`), oldest range first. The run covers
    logs ingested up to a minute before it started; later ones are left to the next run, so a
    log still being indexed is not skipped.
    """

    name = "log_search"
    needs_setting = "search_query"

    @override
    def get_records(self, context: Context | None) -> Iterable[Log]:
        if self.lacks_setting():
            return
        query = str(self.settings.search_query)
        start = self.start_points.choose(self.bookmark(context))
        if start is None:
            return
        self._start_from(start, self.get_context_state(context))
        shown = "`search_query`" if self.pseudonyms is not None else repr(query)
        self.logger.info("Searching %s from %s.", shown, start.origin)
        search = RangeSearch(self.search_logs, query, self.projected_fields())
        for batch in search.between(start.checkpoint, search_horizon(start.checkpoint)):
            yield from batch

    @override
    def check_connection(self) -> None:
        if not self.lacks_setting():  # a query Auth0 rejects fails here, with its message
            self.search_logs({"q": self.settings.search_query, "per_page": 1, "page": 0})

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

    The endpoint sorts by date, while the bookmark is a log_id (docs/auth0-api.md §2), so the
    stream reads it newest first and stops once a page reaches logs dated safely before the
    bookmark's ingestion time: a run with nothing new costs one request per user. It pages
    through at most 1,000 logs per user; for a user with more new logs than that, the stream
    falls back to the search ranges of `log_search` with `user_id:"…"` when the token may search
    (`read:logs`); with only `read:logs_users` it emits the newest 1,000 and warns.
    """

    name = "user_logs"
    needs_setting = "user_ids"

    @property
    @override
    def partitions(self) -> list[dict[str, Any]] | None:
        """One partition per user, named in STATE as records name it (pseudonymised or not)."""
        return [{"user_id": shown} for shown in self._users] or None

    @cached_property
    def _users(self) -> dict[str, str]:
        """Each user's id as STATE and log lines show it → the id Auth0 knows."""
        pseudonyms = self.pseudonyms
        if pseudonyms is None or not pseudonyms.covers("user_id"):
            return {user: user for user in self.settings.user_ids}
        return {pseudonyms.of(user): user for user in self.settings.user_ids}

    @override
    def get_records(self, context: Context | None) -> Iterable[Log]:
        if self.lacks_setting() or not context:
            return
        shown = str(context["user_id"])
        user_id = self._users.get(shown, shown)
        bookmark = self.bookmark(context)
        rows, complete = self._endpoint_logs(user_id, bookmark)
        if not complete:
            searched = self._search_user(user_id, bookmark)
            if searched is not None:
                yield from searched
                return
            self.logger.warning(
                "User %s has more than %d logs, the most `/users/{id}/logs` returns, and the token "
                "cannot search (`read:logs`): only the newest %d are extracted. Grant `read:logs` "
                "to get them all.",
                shown,
                SEARCH_CAP,
                SEARCH_CAP,
            )
        yield from sorted(
            (row for row in rows.values() if bookmark is None or str(row["log_id"]) > bookmark),
            key=lambda row: str(row["log_id"]),
        )

    @override
    def check_connection(self) -> None:
        if not self.lacks_setting():
            self.client.user_logs(self.settings.user_ids[0], {"page": 0, "per_page": 1})

    def _endpoint_logs(self, user_id: str, bookmark: str | None) -> tuple[dict[str, Log], bool]:
        """The user's logs newest first, by id, until safely past `bookmark`; and whether all.

        Newest first, a log that arrives while paging pushes older ones to later pages, so a page
        may repeat a log (kept once) but never skips one.
        """
        ingested = log_ids.timestamp_of(bookmark) if bookmark else None
        settled = ingested - log_ids.INGESTION_MARGIN if ingested else None
        rows: dict[str, Log] = {}
        for page in range(SEARCH_CAP // PAGE_SIZE):
            params = {"page": page, "per_page": PAGE_SIZE, "sort": "date:-1"}
            body = self.client.user_logs(user_id, params)
            rows.update((str(row["log_id"]), row) for row in body)
            if len(body) < PAGE_SIZE:
                return rows, True
            if settled is not None and happened_before(body[-1], settled):
                return rows, True  # every older log was ingested before the bookmark
        return rows, False

    def _search_user(self, user_id: str, bookmark: str | None) -> list[Log] | None:
        """The user's logs after `bookmark`, by search ranges; None if the token cannot search."""
        escaped = user_id.replace("\\", "\\\\").replace('"', '\\"')
        search = RangeSearch(self.search_logs, f'user_id:"{escaped}"')
        try:
            low = bookmark
            if low is None:
                start = self.start_points.from_date(self.settings.start_date)
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

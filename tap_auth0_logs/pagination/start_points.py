"""Where a run begins: the bookmark, `start_log_id`, `start_date`, or the oldest log kept.

A date becomes a synthetic checkpoint just before that moment: log ids begin with their ingestion
time, which is never before the event's date (docs/auth0-api.md §4). The id's prefix comes from
the oldest log the tenant keeps, found with one search-mode request, asked at most once a run.
A bookmark whose log retention has removed is handled by `expired_checkpoint` (§6 there).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tap_auth0_logs import locks
from tap_auth0_logs.errors import (
    ApiResponseError,
    CheckpointExpiredError,
    NotFoundError,
    StateError,
)
from tap_auth0_logs.pagination import log_ids, retention
from tap_auth0_logs.pagination.retention import Gap

if TYPE_CHECKING:
    import logging
    from datetime import datetime

    from tap_auth0_logs.api.client import Auth0Client, Log


@dataclass(frozen=True)
class StartPoint:
    """Where a run begins: the first `from`, and the earliest event date it may emit.

    `synthetic` marks a checkpoint the tap made from a time rather than a log Auth0 returned;
    `lead` is a log to emit before the first page (the oldest log, when its own id is `from`);
    `gap` the window retention took from an expired bookmark.
    """

    checkpoint: str
    not_before: datetime | None
    origin: str
    synthetic: bool = False
    lead: Log | None = None
    gap: Gap | None = None


class OldestLog:
    """The tenant's oldest log by date (search mode): asked at most once a run, for every stream."""

    def __init__(self, client: Auth0Client) -> None:
        self._client = client
        self._lock = locks.condition("oldest log")  # to claim the question, never across it
        self._answered: threading.Event | None = None
        self._oldest: Log | None = None

    def get(self) -> Log | None:
        """A copy of the oldest log, or None when the tenant has none.

        One caller asks; the others wait for its answer without a lock held across the request
        (which may wait minutes on the rate limit). If the request fails, the next caller asks.
        """
        while True:
            with self._lock:
                asking = self._answered is None
                if asking:
                    self._answered = threading.Event()
                answered = self._answered
            assert answered is not None
            if asking:
                return self._ask(answered)
            answered.wait()
            with self._lock:
                if self._answered is answered:
                    return dict(self._oldest) if self._oldest is not None else None

    def _ask(self, answered: threading.Event) -> Log | None:
        try:
            body = self._client.search({"sort": "date:1", "per_page": 1, "page": 0})
            with self._lock:
                self._oldest = dict(body[0]) if body else None
        except BaseException:
            with self._lock:
                self._answered = None  # the next caller asks again
            raise
        finally:
            answered.set()
        return dict(self._oldest) if self._oldest is not None else None


class StartPoints:
    """Chooses a stream's start point, asking Auth0 only what the choice needs."""

    def __init__(
        self,
        client: Auth0Client,
        logger: logging.Logger,
        *,
        start_log_id: str | None = None,
        start_date: str | None = None,
        fail_on_expiry: bool = False,
        oldest: OldestLog | None = None,
    ) -> None:
        self.client, self.logger = client, logger
        self.start_log_id, self.start_date = start_log_id, start_date
        self.fail_on_expiry = fail_on_expiry
        self._oldest = oldest or OldestLog(client)

    def choose(self, bookmark: str | None) -> StartPoint | None:
        """The bookmark, else `start_log_id`, else `start_date`, else the oldest log kept.

        None when the tenant has no logs at all.
        """
        origin, setting = "the bookmark", False
        if not bookmark:
            bookmark, origin, setting = self.start_log_id, "start_log_id", True
        if bookmark:
            if log_ids.is_synthetic(bookmark):
                # A split point of a parallel backfill: no log has that id to look up. If
                # retention has passed it, Auth0 refuses it as `from` and the run starts at the
                # oldest log kept, with a warning.
                return StartPoint(bookmark, None, f"{origin} {bookmark}", synthetic=True)
            if not self._log_is_kept(bookmark):
                if self._expired(bookmark):
                    return self.after_expiry(bookmark)
                if not self._in_the_future(bookmark):
                    raise StateError(self._foreign(bookmark, setting=setting))
                # No log is newer than a time still to come, so nothing is skipped yet; the
                # run emits nothing until then, and says why.
                self.logger.warning(
                    "%s %s is a log_id from the future (%s): no log follows it yet, so "
                    "nothing is extracted until then. Pass this tenant's last STATE if that is "
                    "not what you meant.",
                    _named(setting=setting),
                    bookmark,
                    f"{log_ids.timestamp_of(bookmark):%Y-%m-%d %H:%M:%S} UTC",
                )
                return StartPoint(bookmark, None, f"{origin} {bookmark}")
            return StartPoint(bookmark, None, f"{origin} {bookmark}")
        return self.from_date(self.start_date)

    def from_date(self, start_date: str | None) -> StartPoint | None:
        """A synthetic checkpoint just before `start_date`, or before the oldest kept log."""
        oldest = self.oldest_log()
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

    def after_expiry(self, checkpoint: str) -> StartPoint | None:
        """Apply `expired_checkpoint` to a checkpoint whose log Auth0 no longer keeps.

        The lost window is named, from the checkpoint's time to the oldest log kept, with both
        log ids; on `resume` it travels with the start point, for the stream's STATE.
        """
        ingested = log_ids.timestamp_of(checkpoint)
        when = f"a log ingested {ingested:%Y-%m-%d %H:%M:%S} UTC" if ingested else "a log"
        oldest = self.oldest_log()
        gap = Gap.between(checkpoint, oldest, retention.now()) if oldest is not None else None
        lost = f"{gap.describe()} are lost" if gap else "logs after it may be missing"
        message = (
            f"The checkpoint {checkpoint} ({when}) is no longer kept by Auth0 (tenants keep logs "
            f"1 to 30 days by plan), so the run cannot resume exactly: {lost}."
        )
        if self.fail_on_expiry:
            msg = f"{message} Set `expired_checkpoint` to `resume` to continue from the oldest log."
            raise CheckpointExpiredError(msg)
        start = self.from_date(None)
        self.logger.warning(
            "%s Continuing from the oldest log still kept; the STATE keeps the window under "
            "`gaps`.",
            message,
        )
        if start is not None and gap is not None:
            start = StartPoint(start.checkpoint, start.not_before, start.origin, True, gap=gap)
        return start

    def after_refusal(self, start: StartPoint, reason: str) -> StartPoint | None:
        """Where to go when Auth0 refused `start`'s checkpoint (a 400) before emitting anything."""
        if not start.synthetic:
            return self.after_expiry(start.checkpoint)
        oldest = self.oldest_log()
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
        keep = start.not_before is None or not happened_before(oldest, start.not_before)
        return StartPoint(
            oldest["log_id"], start.not_before, "the oldest log kept", lead=oldest if keep else None
        )

    def oldest_log(self) -> Log | None:
        """The tenant's oldest log by date (search mode), or None when it has none."""
        return self._oldest.get()

    def _expired(self, log_id: str) -> bool:
        """True when retention may have removed `log_id`, or the tenant keeps no log at all.

        That is: it was ingested before the oldest log kept (give or take how late Auth0 ingests).
        """
        oldest = self.oldest_log()
        if oldest is None:
            return True
        ingested, oldest_ingested = (
            log_ids.timestamp_of(log_id),
            log_ids.timestamp_of(str(oldest["log_id"])),
        )
        if ingested is None or oldest_ingested is None:
            return log_id < str(oldest["log_id"])
        return ingested < oldest_ingested + log_ids.INGESTION_MARGIN

    @staticmethod
    def _in_the_future(log_id: str) -> bool:
        """True when `log_id` says it was ingested later than now (give or take the margin)."""
        ingested = log_ids.timestamp_of(log_id)
        return ingested is not None and ingested > retention.now() + log_ids.INGESTION_MARGIN

    def _foreign(self, log_id: str, *, setting: bool) -> str:
        """Why a log_id Auth0 does not have, yet newer than its oldest log, cannot be a start.

        Retention removes the oldest logs first, so the log was never this tenant's: another
        tenant's bookmark, or one made up. `from` it would skip every log that sorts before it.
        """
        oldest = self.oldest_log()
        oldest_kept = f" (the oldest it keeps is {oldest['log_id']})" if oldest else ""
        fix = (
            "copy a `log_id` from this tenant's logs, or unset `start_log_id`."
            if setting
            else "pass the last STATE this tenant's runs wrote, or none to start afresh (in "
            "Meltano, a state id of its own per tenant)."
        )
        return (
            f"{_named(setting=setting)} {log_id} is not a log of this tenant: Auth0 has no "
            f"such log, yet it is newer than the oldest log the tenant keeps{oldest_kept}, so "
            f"retention did not remove it. Starting after it would skip every log before it: "
            f"{fix}"
        )

    def _log_is_kept(self, log_id: str) -> bool:
        """Ask Auth0 for the checkpoint's log: a 404 means retention has removed it."""
        try:
            self.client.log(log_id)
        except NotFoundError:
            return False
        return True


def _named(*, setting: bool) -> str:
    """How a message names where a start log_id came from, at the start of a sentence."""
    return "Setting `start_log_id`" if setting else "The STATE's bookmark"


def happened_before(row: dict[str, Any], moment: datetime) -> bool:
    """True when the log's `date` is before `moment` (False when it has no readable date)."""
    date = row.get("date")
    if not isinstance(date, str):
        return False
    try:
        return log_ids.parse_datetime(date) < moment
    except ValueError:
        return False

"""Retention: how long a pipeline may stay stopped before Auth0 deletes logs it has not read.

Auth0 keeps a tenant's logs for a number of days set by its plan (docs/auth0-api.md §6); a
bookmark older than that points at a log that is gone, and the logs between it and the oldest log
still kept are lost for good. Each run works out the countdown from the bookmark's age (the
ingestion time inside its log_id) and the retention (`retention_days`, else the age of the oldest
log the tenant still serves), and a window that was lost is kept in the STATE as a `Gap`
(`singer/state.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tap_auth0_logs.pagination import log_ids


def days(delta: timedelta) -> str:
    """A duration in days, one decimal."""
    value = delta.total_seconds() / 86400
    return f"{value:.1f} day" if f"{value:.1f}" == "1.0" else f"{value:.1f} days"


@dataclass(frozen=True)
class Countdown:
    """A bookmark's age against the tenant's retention."""

    stream: str
    bookmark_age: timedelta
    retention: timedelta
    measured: bool  # the retention is the oldest kept log's age, not `retention_days`

    @property
    def left(self) -> timedelta:
        """How long the pipeline may stay stopped before logs are lost."""
        return self.retention - self.bookmark_age

    @property
    def urgent(self) -> bool:
        """Less than half of the retention is left."""
        return self.left < self.retention / 2

    def line(self) -> str:
        """The countdown in one line."""
        keeps = f"about {days(self.retention)}" if self.measured else days(self.retention)
        said = (
            f"Retention: the `{self.stream}` bookmark is {days(self.bookmark_age)} old and the "
            f"tenant keeps {keeps}: "
        )
        if self.left <= timedelta(0):
            return said + "logs after it may already be lost; run now, then more often."
        return said + f"the next run must start within {days(self.left)}."


def measured(oldest: dict[str, Any], now: datetime) -> timedelta:
    """The tenant's retention, read as the age of the oldest log it still serves."""
    return now - log_ids.parse_datetime(str(oldest["date"]))


def countdown(
    stream: str, bookmark: str, retention: timedelta, *, measured: bool, now: datetime
) -> Countdown | None:
    """The countdown of `bookmark` (None when it carries no time)."""
    ingested = log_ids.timestamp_of(bookmark)
    if ingested is None:
        return None
    return Countdown(stream, max(now - ingested, timedelta(0)), retention, measured)


@dataclass(frozen=True)
class Gap:
    """A window of logs lost to retention: after one log_id and before another."""

    after_log_id: str  # the bookmark whose log retention removed
    after: str  # its ingestion time, ISO-8601 UTC
    before_log_id: str  # the oldest log still kept, where the run went on
    before: str  # that log's date
    found_at: str  # when the run found the gap

    @classmethod
    def between(cls, bookmark: str, oldest: dict[str, Any], now: datetime) -> Gap:
        """The window from `bookmark` to the `oldest` log kept."""
        ingested = log_ids.timestamp_of(bookmark)
        return cls(
            after_log_id=bookmark,
            after=_iso(ingested) if ingested else "",
            before_log_id=str(oldest["log_id"]),
            before=str(oldest.get("date") or ""),
            found_at=_iso(now),
        )

    def describe(self) -> str:
        """The window in words, both ends with their log ids."""
        return (
            f"logs from {self.after or 'an unknown time'} (after log {self.after_log_id}) to "
            f"{self.before or 'an unknown time'} (before log {self.before_log_id})"
        )

    def as_state(self) -> dict[str, str]:
        """The gap as the STATE keeps it."""
        return {
            "after_log_id": self.after_log_id,
            "after": self.after,
            "before_log_id": self.before_log_id,
            "before": self.before,
            "found_at": self.found_at,
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def now() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)

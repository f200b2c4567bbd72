"""Pure functions on Auth0 log ids.

A Management API log_id is a 56-digit decimal string (docs/auth0-api.md §4):

    [0:3]   prefix, usually "900"
    [3:17]  UTC ingestion time, yyyyMMddHHmmss
    [17:23] six sub-second digits (microseconds)
    [23:56] 33 opaque digits

The layout is undocumented but stable since 2021 and is what Elastic's integration relies on to
start "N hours back". The embedded time is the *ingestion* time, at or up to seconds after the
event's ``date``, which is why log_id order is not date order.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

DEFAULT_PREFIX = "900"
#: How long after its date Auth0 may ingest a log, at most (seen: seconds). A log dated this
#: long before a log's ingestion time has an id before it.
INGESTION_MARGIN = timedelta(minutes=10)
_LOG_ID = re.compile(r"^\d{56}$")
_TIME_FORMAT = "%Y%m%d%H%M%S"
_SYNTHETIC_TAIL = "9" * 33


def is_log_id(value: str) -> bool:
    """Return True when `value` has the shape of a Management API log_id."""
    return bool(_LOG_ID.match(value))


def is_synthetic(log_id: str) -> bool:
    """True for a checkpoint the tap made from a time (`checkpoint_before`, a split point).

    Those end in 33 nines, which no log Auth0 issues has been seen to.
    """
    return is_log_id(log_id) and log_id.endswith(_SYNTHETIC_TAIL)


def timestamp_of(log_id: str) -> datetime | None:
    """Return the ingestion time embedded in `log_id`, or None when it carries none."""
    if not is_log_id(log_id):
        return None
    try:
        moment = datetime.strptime(log_id[3:17], _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return moment + timedelta(microseconds=int(log_id[17:23]))


def format_log_id(prefix: str, moment: datetime, tail: str) -> str:
    """Build a log_id from its parts: prefix, ingestion time and 33 opaque digits."""
    moment = moment.astimezone(UTC)
    if len(prefix) != 3 or len(tail) != 33:
        msg = "a log_id has a 3-digit prefix and a 33-digit tail"
        raise ValueError(msg)
    return f"{prefix}{moment.strftime(_TIME_FORMAT)}{moment.microsecond:06d}{tail}"


def checkpoint_before(moment: datetime, prefix: str = DEFAULT_PREFIX) -> str:
    """Return a synthetic checkpoint that sorts just before every log ingested at `moment` or later.

    Auth0's ``from`` is exclusive and compares ids as a sorted key, so this id makes the next
    checkpoint page start with the first log ingested at or after `moment`. Every event whose
    ``date`` is at or after `moment` was ingested at or after it, so none is skipped.
    """
    return format_log_id(prefix, moment - timedelta(microseconds=1), _SYNTHETIC_TAIL)


def parse_datetime(value: str) -> datetime:
    """Parse an ISO-8601 timestamp; a value without a zone is taken as UTC."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TAIL = 10**33


def to_number(log_id: str) -> int:
    """Map a log_id to an integer that grows linearly with its ingestion time (µs), then its tail.

    Bisecting these numbers splits a range of ids evenly in time, and still splits ids that share
    a microsecond by their opaque tail.
    """
    moment = timestamp_of(log_id)
    if moment is None:
        msg = f"{log_id!r} is not a log_id"
        raise ValueError(msg)
    micros = (moment - _EPOCH) // timedelta(microseconds=1)
    return micros * _TAIL + int(log_id[23:])


def from_number(number: int, prefix: str = DEFAULT_PREFIX) -> str:
    """The log_id that `to_number` maps to `number`."""
    micros, tail = divmod(number, _TAIL)
    return format_log_id(prefix, _EPOCH + timedelta(microseconds=micros), f"{tail:033d}")


def midpoint(low: str, high: str) -> str | None:
    """An id strictly between `low` and `high` that halves the range, or None when none is."""
    a, b = to_number(low), to_number(high)
    if b - a < 2:
        return None
    return from_number((a + b) // 2, low[:3])


def split_point(low: str, high: str) -> str | None:
    """A synthetic checkpoint near the middle of `(low, high)`, strictly inside; None if none is.

    It is the last id of the middle's microsecond, so `is_synthetic` knows it for what it is.
    """
    middle = midpoint(low, high)
    if middle is None:
        return None
    point = middle[:23] + _SYNTHETIC_TAIL
    return point if low < point < high else None

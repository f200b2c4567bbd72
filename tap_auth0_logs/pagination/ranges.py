"""The log_id ranges a parallel backfill has left, as they are kept in the `logs` stream's STATE.

The bookmark (`replication_key_value`) is where the first range left starts; while more than the
open range at the end remains, `ranges_left` lists them all: `[[after, until], …, [after, null]]`,
each range `(after, until]`. Once the backfill is done only the bookmark is left, the newest log
written. `backfill.Backfill` moves these ranges as pages are written; this module reads them
back from a STATE and writes them into one.
"""

from __future__ import annotations

from typing import Any

from tap_auth0_logs.errors import StateError
from tap_auth0_logs.pagination import log_ids

#: The state key where a parallel backfill keeps the ranges it has left.
RANGES_LEFT = "ranges_left"

#: `(after, until]`; `until` is None for the open range at the end.
Range = tuple[str, str | None]


def read_ranges(state: dict[str, Any], start: str, stream_name: str) -> list[Range]:
    """The ranges the state has left, from `start` on; one open range when it has none."""
    saved = state.get(RANGES_LEFT)
    if saved is None:
        return [(start, None)]
    if not valid_ranges(saved):
        msg = (
            f"The STATE of `{stream_name}` has a malformed `{RANGES_LEFT}` ({str(saved)[:80]}): "
            "pass the last STATE the tap wrote, or none to start over."
        )
        raise StateError(msg)
    return clip([(after, until) for after, until in saved], start)


def write_ranges(state: dict[str, Any], replication_key: str, left: list[Range]) -> None:
    """Put `left` into `state`: the first range's start as bookmark, the list while it matters."""
    state["replication_key"] = replication_key
    state["replication_key_value"] = left[0][0]
    if len(left) > 1:
        state[RANGES_LEFT] = [list(pair) for pair in left]
    else:
        state.pop(RANGES_LEFT, None)


def valid_ranges(value: object) -> bool:
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


def clip(ranges: list[Range], start: str) -> list[Range]:
    """`ranges` without what lies at or before `start` (a later start after an expiry)."""
    kept = [(max(a, start), u) for a, u in ranges if u is None or u > start]
    return kept or [(start, None)]

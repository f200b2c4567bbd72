"""The log_id ranges a parallel backfill has left: their shape, their check, and clipping.

A range is `(after, until]`; the last one is open (`until` None): newer logs are still to come.
`backfill.Backfill` moves the ranges as pages are written; the `logs` stream keeps them in its
STATE (`singer/state.py`, `ranges_left`).
"""

from __future__ import annotations

from tap_auth0_logs.pagination import log_ids

#: `(after, until]`; `until` is None for the open range at the end.
Range = tuple[str, str | None]


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

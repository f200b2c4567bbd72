"""A stream's STATE: every key in it, what writes it, and the one typed view that reads it.

The SDK keeps each stream's state (each partition's, for `user_logs`) as a dict in the tap's
STATE message, `{"bookmarks": {stream: {...}}}`; the tap reads and writes it through
`StreamState` alone, and the Airbyte source and the tests read it the same way.

- `tenant` (the tap, before a run's first request): the tenant the bookmarks belong to;
- `replication_key` (the SDK, and the tap): `log_id`;
- `replication_key_value`, the bookmark (the SDK after each record, or the tap after each written
  page of `logs`): every log up to it is written;
- `ranges_left` (the tap, while a parallel backfill has more than one range):
  `[[after, until], …, [after, null]]`, each range `(after, until]` still to extract;
- `gaps` (the tap): the windows of logs retention took before a run could read them (`Gap`);
- `starting_replication_value` and `progress_markers` (the SDK, while a stream runs): no part
  of a resume point.

The bookmark is where the first range left starts: with `ranges_left`, the logs outside those
ranges are written; without, every log up to the bookmark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tap_auth0_logs.errors import StateError
from tap_auth0_logs.pagination import log_ids
from tap_auth0_logs.pagination.ranges import Range, clip, valid_ranges

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tap_auth0_logs.pagination.retention import Gap

TENANT = "tenant"
REPLICATION_KEY = "replication_key"
BOOKMARK = "replication_key_value"
RANGES_LEFT = "ranges_left"
GAPS = "gaps"
#: Keys the SDK keeps in a stream's state while it runs; not part of a resume point.
SDK_PROGRESS_KEYS = frozenset({"starting_replication_value", "progress_markers"})

_FIX = "pass the last STATE the tap wrote, or none to start over."


class StreamState:
    """One stream's (or partition's) STATE, over the dict the SDK holds: reads check, writes keep.

    Writes change that dict in place, so the SDK's next STATE message carries them.
    """

    def __init__(self, raw: dict[str, Any], stream: str) -> None:
        self.raw, self.stream = raw, stream

    @classmethod
    def in_message(cls, value: Mapping[str, Any], stream: str) -> StreamState:
        """`stream`'s state in a STATE message's value (`{"bookmarks": …}`); empty if none."""
        return cls(dict((value.get("bookmarks") or {}).get(stream) or {}), stream)

    # --- the tenant -------------------------------------------------------------------------

    @property
    def tenant(self) -> str | None:
        """The tenant the bookmarks belong to; None in a STATE written before it was kept."""
        return self.raw.get(TENANT)

    def claim(self, tenant: str) -> None:
        """Bind the STATE to `tenant`, or refuse it when it belongs to another.

        A log_id of one tenant means nothing to another: used as `from` it skips every log that
        sorts before it. A STATE without a tenant is taken as this tenant's.
        """
        recorded = self.tenant
        if recorded is not None and recorded != tenant:
            msg = (
                f"The STATE of `{self.stream}` belongs to the tenant {recorded}, but this run "
                f"reads the tenant {tenant} (`domain`): its bookmark would skip this tenant's "
                "logs. Give each tenant a STATE of its own (in Meltano, a state id of its own: "
                "`meltano run --state-id-suffix NAME …`), or pass no STATE to start this tenant "
                "afresh."
            )
            raise StateError(msg)
        self.raw[TENANT] = tenant

    # --- the bookmark and the ranges left ---------------------------------------------------

    def bookmark(self, replication_key: str) -> str | None:
        """The log_id every log up to which is written; None when the STATE has none for it."""
        if self.raw.get(REPLICATION_KEY) != replication_key:
            return None
        value = self.raw.get(BOOKMARK)
        if value is None:
            return None
        if not isinstance(value, str) or not log_ids.is_log_id(value):
            msg = (
                f"The STATE bookmark for `{self.stream}` ({value!r}) is not an Auth0 log_id: {_FIX}"
            )
            raise StateError(msg)
        return value

    def ranges_left(self, start: str) -> list[Range]:
        """The ranges still to extract, from `start` on; one open range when none is kept."""
        saved = self.raw.get(RANGES_LEFT)
        if saved is None:
            return [(start, None)]
        if not valid_ranges(saved):
            msg = (
                f"The STATE of `{self.stream}` has a malformed `{RANGES_LEFT}` "
                f"({str(saved)[:80]}): {_FIX}"
            )
            raise StateError(msg)
        return clip([(after, until) for after, until in saved], start)

    def save_ranges_left(self, replication_key: str, left: list[Range]) -> None:
        """Keep `left`: the first range's start as the bookmark, the list while it has more."""
        self.raw[REPLICATION_KEY] = replication_key
        self.raw[BOOKMARK] = left[0][0]
        if len(left) > 1:
            self.raw[RANGES_LEFT] = [list(pair) for pair in left]
        else:
            self.raw.pop(RANGES_LEFT, None)

    # --- windows lost to retention ----------------------------------------------------------

    @property
    def gaps(self) -> list[Any]:
        """The windows of logs retention took, as kept (`Gap.as_state`)."""
        kept = self.raw.get(GAPS)
        return kept if isinstance(kept, list) else []

    def add_gap(self, gap: Gap) -> None:
        """Keep `gap`, once."""
        gaps = self.gaps
        if not any(isinstance(g, dict) and g.get("after_log_id") == gap.after_log_id for g in gaps):
            gaps.append(gap.as_state())
        self.raw[GAPS] = gaps

    # --- as a resume point ------------------------------------------------------------------

    def resume_point(self) -> dict[str, Any]:
        """The state without the SDK's progress keys: what a later run resumes from."""
        return {key: value for key, value in self.raw.items() if key not in SDK_PROGRESS_KEYS}

    def resumes(self) -> bool:
        """True when it holds more than the tenant: something a later run resumes from."""
        return bool(self.resume_point().keys() - {TENANT})

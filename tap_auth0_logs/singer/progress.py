"""A log line every few seconds of a long run: records, pages, records/s, and the lag.

The lag is how far behind now the newest log emitted is (from its id's ingestion time,
docs/auth0-api.md §4), so an operator sees a backfill catch up. The SDK's own metrics stay as
they are.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tap_auth0_logs.pagination import log_ids

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable

#: Seconds between progress lines during a long run.
PROGRESS_SECONDS = 5.0


class Progress:
    """Counts one stream's records and reports every `every` seconds."""

    def __init__(
        self,
        name: str,
        logger: logging.Logger,
        pages: Callable[[], int],
        every: float = PROGRESS_SECONDS,
    ) -> None:
        self.name, self.logger, self.pages, self.every = name, logger, pages, every
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
        rate = self.records / max(now - self.started, 1e-9)
        pages = self.pages()
        self.logger.info(
            "Progress of %s: %d records, %d pages, %.0f records/s, lag %s.",
            self.name,
            self.records,
            pages,
            rate,
            lag,
            # The same as values, for a reader of structured logs (Meltano's, the demo).
            extra={"progress": {"stream": self.name, "records": self.records, "pages": pages}},
        )

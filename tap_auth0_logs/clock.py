"""Time as the tap reads it and waits on it: one `Clock`, handed to every part that waits.

The pacer waits on the tenant's bucket, the backfill's workers wait for work, the sender sleeps
between retries and the token source reads the time to refresh before expiry. Each asks the
run's clock rather than `time`, so a test runs the same code on simulated time
(`tap_auth0_logs.testing.SimulatedClock`), whose waits still release the condition's lock as
`threading.Condition.wait` does.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import threading


class Clock(Protocol):
    """The time, a sleep, and a wait on a condition."""

    def now(self) -> float:
        """Unix time, in seconds (Auth0's `x-ratelimit-reset` is one)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let `seconds` pass."""
        ...

    def wait(self, condition: threading.Condition, timeout: float | None) -> bool:
        """Wait on `condition`, whose lock the caller holds, until notified or `timeout` passes.

        The lock is released while waiting and held again on return, as with
        `threading.Condition.wait`; `timeout` None waits for a notification alone. True when
        notified.
        """
        ...


class SystemClock:
    """The machine's clock: `time.time`, `time.sleep`, `threading.Condition.wait`."""

    def now(self) -> float:
        """Unix time."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        """Sleep."""
        time.sleep(seconds)

    def wait(self, condition: threading.Condition, timeout: float | None) -> bool:
        """`condition.wait(timeout)`."""
        return condition.wait(timeout)


#: The clock of every real run.
SYSTEM_CLOCK: Clock = SystemClock()

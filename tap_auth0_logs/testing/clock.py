"""Simulated time for the tap's clock: waits and sleeps move it, and nothing sleeps for real.

`SimulatedClock` has the three methods of the tap's `Clock` (`now`, `sleep`, `wait`), so a
test hands it to the tap (`TapAuth0Logs(clock=...)`), the pacer, the sender or a backfill, and
to the fake tenant's bucket (`RateLimit(clock=clock.now)`), and a run of minutes takes
milliseconds. A wait behaves as `threading.Condition.wait` does, lock included: it releases the
condition's lock, so the other threads of a run (a backfill's cursors) can answer and notify;
only when nobody has within a moment of real time (`grace`) does the clock jump to the wait's
end. A sequential simulation, where nobody else can notify, sets `grace` to 0.

Events (`at`) run as the clock passes their moment, with the clock at that moment: the tenant's
other clients spending the bucket while the tap waits.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

#: Real seconds a timed wait lets the other threads notify before simulated time jumps.
DEFAULT_GRACE = 0.005


class SimulatedClock:
    """Simulated Unix time; thread-safe. `sleeps` and `waits` record the simulated seconds."""

    def __init__(self, start: float = 1_000.0, *, grace: float = DEFAULT_GRACE) -> None:
        self._now = start
        self.grace = grace
        #: Each `sleep`'s seconds, and each wait that ran to its end (nobody notified): its timeout.
        self.sleeps: list[float] = []
        self.waits: list[float] = []
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._lock = threading.RLock()  # an event may schedule the next one

    def now(self) -> float:
        """The simulated time."""
        return self._now

    def sleep(self, seconds: float) -> None:
        """Move the clock `seconds` on from when the sleep was asked."""
        end = self._now + seconds
        with self._lock:
            self.sleeps.append(seconds)
            self.advance_to(end)

    def wait(self, condition: threading.Condition, timeout: float | None) -> bool:
        """Wait as `condition.wait(timeout)` does, on simulated time; True when notified."""
        if timeout is None:
            return condition.wait()
        end = self._now + max(0.0, timeout)
        if condition.wait(self.grace):  # the lock is released meanwhile, as the real wait does
            return True
        with self._lock:
            self.waits.append(timeout)
            self.advance_to(end)
        return False

    def advance_to(self, moment: float) -> None:
        """Move the clock to `moment` (never back), running the events due on the way."""
        with self._lock:
            while self._events and self._events[0][0] <= moment:
                at, _, action = heapq.heappop(self._events)
                self._now = max(self._now, at)
                action()
            self._now = max(self._now, moment)

    def at(self, moment: float, action: Callable[[], None]) -> None:
        """Run `action` when the clock reaches `moment` (at once if it has)."""
        with self._lock:
            heapq.heappush(self._events, (moment, next(self._order), action))
            if moment <= self._now:
                self.advance_to(self._now)

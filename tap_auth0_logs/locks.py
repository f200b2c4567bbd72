"""The run's locks, and the one order a thread may take them in.

A thread that holds one of these locks may take only those after it in `ORDER`, never one
before it, so no two threads can each hold a lock the other waits for:

1. `backfill`: the backfill's condition. Held while it asks the pacer whether another cursor
   can help (`Pacer.another_cursor_helps`); released while it asks Auth0 for the newest log.
2. `token`: the token source's. Held while a token is fetched: an unpaced request, which
   takes no pacer lock.
3. `pacer`: the pacer's condition. Held while it tells the orchestrator that a long wait begins
   (the Airbyte writer's `rate_limited`); released while it waits.
4. `airbyte writer`: the Airbyte writer's; it calls out to nothing that locks.
5. `oldest log`: the start points' one question of the oldest log, held only to claim the
   question or keep its answer, never across the request.

Every lock is made here, by name, so that `tests/lock_order.py` can record the order a test's
threads take them in and fail on an inversion.
"""

from __future__ import annotations

import threading

ORDER = ("backfill", "token", "pacer", "airbyte writer", "oldest log")


def condition(name: str) -> threading.Condition:
    """A new lock named in `ORDER`: a condition on a reentrant lock (`with` it, wait on it)."""
    if name not in ORDER:
        msg = f"{name!r} is not a lock of `ORDER`: add it there, in the order it is taken"
        raise ValueError(msg)
    return threading.Condition()

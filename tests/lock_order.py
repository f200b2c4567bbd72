"""A test-only wrapper of the run's locks that records the order threads take them in.

Inside `checked_lock_order()`, every lock the tap creates (`tap_auth0_logs.locks.condition`) is
a `RecordedLock`: each time a thread takes one, it is checked against the locks that thread
already holds. Taking a lock that comes before a held one in `locks.ORDER`, or a second lock of
the same name (two backfills' locks at once), is an inversion: two threads doing it in turn could
each hold the lock the other waits for. The block fails at its end, naming every inversion; the
locks work as the real ones do meanwhile.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

from tap_auth0_logs import locks

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


class LockOrder:
    """The run's locks as each thread takes them, and the inversions seen."""

    def __init__(self, make: Callable[[str], threading.Condition] = locks.condition) -> None:
        self._make = make  # the real factory
        self.inversions: list[str] = []
        self.nested: set[tuple[str, str]] = set()  # (held, then taken): the order seen
        self._guard = threading.Lock()
        self._held = threading.local()

    def condition(self, name: str) -> RecordedLock:
        """A lock as `locks.condition` makes it, recorded here."""
        return RecordedLock(name, self._make(name), self)

    def acquired(self, lock: RecordedLock) -> None:
        """This thread now holds `lock` (again, if it held it already)."""
        held = self._stack()
        with self._guard:
            for before in {id(other): other for other in held}.values():
                if before is lock:
                    continue
                self.nested.add((before.name, lock.name))
                if before.name == lock.name:
                    self.inversions.append(f"two `{lock.name}` locks held at once")
                elif locks.ORDER.index(lock.name) < locks.ORDER.index(before.name):
                    self.inversions.append(f"`{lock.name}` taken while holding `{before.name}`")
        held.append(lock)

    def released(self, lock: RecordedLock) -> None:
        """This thread let go of `lock` once."""
        held = self._stack()
        for index in range(len(held) - 1, -1, -1):
            if held[index] is lock:
                del held[index]
                return

    def held(self) -> list[str]:
        """The locks this thread holds, in the order it took them."""
        return [lock.name for lock in self._stack()]

    def _stack(self) -> list[RecordedLock]:
        stack: list[RecordedLock] | None = getattr(self._held, "stack", None)
        if stack is None:
            stack = self._held.stack = []
        return stack


class RecordedLock:
    """A `threading.Condition` that tells its `LockOrder` when it is taken and let go."""

    def __init__(self, name: str, inner: threading.Condition, order: LockOrder) -> None:
        self.name, self._inner, self._order = name, inner, order

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        taken = self._inner.acquire(blocking, timeout)
        if taken:
            self._order.acquired(self)
        return taken

    def release(self) -> None:
        self._order.released(self)
        self._inner.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *_: object) -> None:
        self.release()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait as the condition does: the lock is let go meanwhile, and taken again after."""
        self._order.released(self)
        try:
            return self._inner.wait(timeout)
        finally:
            self._order.acquired(self)

    def notify(self, n: int = 1) -> None:
        self._inner.notify(n)

    def notify_all(self) -> None:
        self._inner.notify_all()


@contextmanager
def checked_lock_order() -> Iterator[LockOrder]:
    """Record the order of the locks the tap creates in the block; fail on an inversion."""
    order = LockOrder()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(locks, "condition", order.condition)
        yield order
    assert order.inversions == [], order.inversions

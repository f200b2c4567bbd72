"""One clock for everything that waits, simulated in tests; the run's locks taken in one order."""

from __future__ import annotations

import threading
import time

import pytest

from tap_auth0_logs import locks
from tap_auth0_logs.api.pacing import Pacer
from tap_auth0_logs.testing import SimulatedClock
from tests.conftest import SLOW_TEST_TIMEOUT
from tests.lock_order import LockOrder, checked_lock_order

# --- the simulated clock -------------------------------------------------------------------


def test_a_simulated_wait_lets_another_thread_answer_as_a_real_wait_does():
    clock = SimulatedClock(1_000.0)
    with checked_lock_order():
        pacer = Pacer(clock=clock)
        first = pacer.acquire(0)  # nothing known yet: the next request waits for this answer
        assert first is not None
        second: list[object] = []
        waiter = threading.Thread(target=lambda: second.append(pacer.acquire(0)), daemon=True)
        waiter.start()
        deadline = time.monotonic() + 10
        while not clock.waits and time.monotonic() < deadline:  # the waiter waits on the answer
            time.sleep(0.001)
        assert clock.waits

        def answer() -> None:
            pacer.observe(first, {})
            pacer.release(first)

        answering = threading.Thread(target=answer, daemon=True)
        answering.start()
        answering.join(10)
        assert not answering.is_alive()  # the waiter's wait let go of the pacer's lock
        waiter.join(10)
    assert second
    assert second[0] is not None


def test_a_simulated_wait_nobody_ends_moves_the_clock_to_its_end():
    clock = SimulatedClock(50.0, grace=0.0)
    condition = threading.Condition()
    with condition:
        assert clock.wait(condition, 2.5) is False
    assert clock.now() == 52.5
    assert clock.waits == [2.5]


def test_a_simulated_wait_for_a_notification_alone_moves_no_time():
    clock = SimulatedClock(50.0)
    condition = threading.Condition()

    def notify() -> None:
        with condition:
            condition.notify_all()

    with condition:
        threading.Timer(0.05, notify).start()
        assert clock.wait(condition, None) is True
    assert clock.now() == 50.0


def test_events_run_in_order_with_the_clock_at_their_moment():
    clock = SimulatedClock(0.0)
    seen: list[tuple[str, float]] = []

    def event(name: str) -> None:
        seen.append((name, clock.now()))
        if name == "c":
            clock.at(2.5, lambda: event("d"))

    clock.at(3.0, lambda: event("a"))
    clock.at(1.0, lambda: event("b"))
    clock.at(2.0, lambda: event("c"))
    clock.sleep(2.7)
    assert seen == [("b", 1.0), ("c", 2.0), ("d", 2.5)]
    assert clock.now() == 2.7
    assert clock.sleeps == [2.7]


# --- the order of the run's locks ----------------------------------------------------------


def test_every_lock_is_made_by_a_name_in_the_order():
    assert isinstance(locks.condition("pacer"), threading.Condition)
    with pytest.raises(ValueError, match="ORDER"):
        locks.condition("elsewhere")


def test_the_recorder_names_a_lock_taken_before_one_held():
    """Guards the lock-order checks of the concurrency tests."""
    order = LockOrder()
    pacer, backfill = order.condition("pacer"), order.condition("backfill")
    with backfill, pacer:
        pass
    assert order.inversions == []
    with pacer, backfill:
        pass
    assert order.inversions == ["`backfill` taken while holding `pacer`"]
    other = order.condition("backfill")
    with backfill, other:
        pass
    assert order.inversions[-1] == "two `backfill` locks held at once"


def test_the_recorder_follows_a_wait_that_lets_go_of_the_lock():
    order = LockOrder()
    pacer, writer = order.condition("pacer"), order.condition("airbyte writer")
    with pacer:
        pacer.wait(0.01)
        with writer:
            pass
    with writer:
        pass
    assert order.inversions == []
    assert order.nested == {("pacer", "airbyte writer")}


def take_in_the_wrong_order() -> None:
    with checked_lock_order():
        first, second = locks.condition("airbyte writer"), locks.condition("token")
        with first, second:
            pass


def test_a_block_with_an_inversion_fails():
    with pytest.raises(AssertionError, match="`token` taken while holding `airbyte writer`"):
        take_in_the_wrong_order()


# --- a test that can hang no more ----------------------------------------------------------


def test_every_test_is_bounded_by_a_timeout(pytestconfig, request):
    assert float(pytestconfig.getini("timeout")) > 0
    assert request.node.get_closest_marker("timeout") is None  # the default applies here


@pytest.mark.slow
def test_a_slow_test_gets_the_longer_timeout(pytestconfig, request):
    marker = request.node.get_closest_marker("timeout")
    assert marker is not None
    assert marker.args[0] == SLOW_TEST_TIMEOUT > float(pytestconfig.getini("timeout"))

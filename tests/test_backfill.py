"""Parallel backfills: several checkpoint cursors over log_id ranges, one rate limit, exact STATE."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tap_auth0_logs.api import bucket
from tap_auth0_logs.api.pacing import Pacer
from tap_auth0_logs.pagination import log_ids
from tap_auth0_logs.pagination.backfill import (
    Backfill,
    Cursor,
    Situation,
    Split,
    Step,
    next_step,
    pages_left,
)
from tap_auth0_logs.singer.state import (
    BOOKMARK,
    RANGES_LEFT,
    REPLICATION_KEY,
    TENANT,
    StreamState,
)
from tap_auth0_logs.testing import RateLimit, SimulatedClock, TenantLogs
from tests.helpers import (
    TapRun,
    assert_every_state_is_covered,
    claimed_by,
    extract_everything,
    run_tap,
    run_tap_until_killed,
    state_of,
)
from tests.lock_order import checked_lock_order


def split_points(tenant) -> list[str]:
    """The `from` of every cursor that began at a split point (a synthetic checkpoint)."""
    froms = [r.query["from"][0] for r in tenant.api_requests() if "from" in r.query]
    return [f for f in froms if log_ids.is_synthetic(f)]


# --- end to end ----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_parallel_backfill_delivers_every_log_exactly_once(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=20000))
    tenant.faults.latency = 0.01
    tenant.faults.error_rate = 0.05
    tenant.faults.drop_rate = 0.01

    run = run_tap(tmp_path, tenant.config(backfill_concurrency=4))

    assert run.returncode == 0, run.stderr
    assert len(split_points(tenant)) >= 3  # really several cursors
    assert run.log_ids != sorted(run.log_ids)  # ... interleaved, as the README says
    assert Counter(run.log_ids) == Counter(tenant.logs.ids())  # each log exactly once
    assert_every_state_is_covered(run, tenant.logs.ids())
    final = run.final_stream_state()
    assert final.tenant == tenant.base_url.split("://")[1]  # the STATE names its tenant
    assert final.bookmark("log_id") == tenant.logs.ids()[-1]  # the newest log
    assert final.ranges_left(tenant.logs.ids()[-1]) == [(tenant.logs.ids()[-1], None)]
    assert final.resume_point().keys() == {TENANT, REPLICATION_KEY, BOOKMARK}  # nothing else
    assert "Backfill done with up to 4 cursors" in run.stderr


@pytest.mark.slow
def test_a_kill_mid_backfill_then_resume_loses_nothing_and_repeats_a_page_per_cursor_at_most(
    tmp_path, make_tenant
):
    tenant = make_tenant(TenantLogs(count=20000))
    tenant.faults.latency = 0.02
    config = tenant.config(backfill_concurrency=4)
    first, last_state = run_tap_until_killed(tmp_path, config, 7000)
    assert last_state is not None
    killed = StreamState.in_message(last_state, "logs")
    assert killed.raw.get(RANGES_LEFT)  # killed mid-backfill, with several ranges left
    assert claimed_by(last_state, tenant.logs.ids()) <= set(first)

    resumed = run_tap(tmp_path, config, last_state)

    assert resumed.returncode == 0, resumed.stderr
    delivered = Counter(first + resumed.log_ids)
    assert set(delivered) == set(tenant.logs.ids())  # nothing lost
    repeated = [log_id for log_id, times in delivered.items() if times > 1]
    assert len(repeated) <= 4 * 100  # at most the page each cursor was writing
    assert RANGES_LEFT not in resumed.final_stream_state().raw
    assert resumed.final_stream_state().bookmark("log_id") == max(delivered)


@pytest.mark.slow
def test_cursors_share_one_pacer_for_the_tenants_rate_limit(tmp_path, make_tenant):
    # One cursor at 100 ms gets 10 pages a second: a 30/s bucket of 60 has room for more.
    tenant = make_tenant(TenantLogs(count=12000), rate_limit=RateLimit(per_second=30, burst=60))
    tenant.faults.latency = 0.1

    extract_everything(tmp_path, tenant, backfill_concurrency=6)

    assert len(split_points(tenant)) >= 3
    statuses = Counter(r.status for r in tenant.api_requests())
    # Six cursors pacing alone would each spend the bucket and meet a 429 about every second.
    assert statuses[429] <= 2, statuses
    assert tenant.rate_limit.crossings == 0  # nor cross Auth0's 80% line together


@pytest.mark.slow
@pytest.mark.parametrize(
    ("per_second", "burst", "per_minute"), [(2.0, 2, False), (100 / 60, 10, True)]
)
def test_where_the_rate_limit_binds_a_backfill_stays_one_cursor(
    tmp_path, make_tenant, per_second, burst, per_minute
):
    # A split costs requests (the newest log's lookup, a page at each edge) and gains nothing
    # when one cursor already goes faster than the bucket refills.
    tenant = make_tenant(
        TenantLogs(count=1500),
        rate_limit=RateLimit(per_second=per_second, burst=burst, per_minute=per_minute),
    )
    tenant.faults.latency = 0.05

    extract_everything(tmp_path, tenant, backfill_concurrency=8)

    assert len(split_points(tenant)) == 1
    assert not [r for r in tenant.api_requests() if r.path.endswith("/logs") and "q" in r.query]
    # The oldest log's lookup, 15 pages and the empty one that says caught up.
    assert len(tenant.api_requests()) == 17


@pytest.mark.slow
def test_a_run_a_few_pages_behind_stays_one_cursor_in_log_id_order(tmp_path, tenant):
    ids = tenant.logs.ids()
    state = {
        "bookmarks": {"logs": {"replication_key": "log_id", "replication_key_value": ids[1900]}}
    }

    run = run_tap(tmp_path, tenant.config(backfill_concurrency=8), state)

    assert run.returncode == 0, run.stderr
    assert run.log_ids == ids[1901:]
    assert split_points(tenant) == []
    assert all(RANGES_LEFT not in StreamState.in_message(s, "logs").raw for s in run.states)


def test_a_malformed_ranges_left_in_state_is_a_clear_error(tmp_path, tenant):
    ids = tenant.logs.ids()
    state = {"bookmarks": {"logs": {BOOKMARK: ids[10], RANGES_LEFT: [[ids[10], ids[5]]]}}}

    run = run_tap(tmp_path, tenant.config(), state)

    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert f"malformed `{RANGES_LEFT}`" in run.stderr


def test_backfill_concurrency_out_of_range_is_a_config_error(tmp_path, tenant):
    run = run_tap(tmp_path, tenant.config(backfill_concurrency=0))

    assert run.returncode != 0
    assert "backfill_concurrency" in run.stderr
    assert "Traceback" not in run.stderr


# --- the engine, in process ----------------------------------------------------------------


def make_ids(count: int, step_ms: int = 10) -> list[str]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        log_ids.format_log_id("900", start + timedelta(milliseconds=i * step_ms), f"{i:033d}")
        for i in range(count)
    ]


class FakeCheckpoints:
    """`from`/Link paging over a list of ids, counting requests and the cursors in flight."""

    def __init__(self, ids: list[str], newest: str | None = None, *, hold: bool = False) -> None:
        self.ids, self.newest_id, self.hold = ids, newest, hold
        self.requests: list[str | None] = []
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()
        #: With `hold`, every request after the first waits here until two are in flight.
        self.side_by_side = threading.Event()

    def newest(self) -> str | None:
        return self.newest_id

    def page(self, after: str, url: str | None) -> tuple[list[dict[str, Any]], Any]:
        start = url or after
        with self.lock:
            self.requests.append(url)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            if self.in_flight >= 2:
                self.side_by_side.set()
            wait = self.hold and len(self.requests) > 1
        if wait:
            self.side_by_side.wait(timeout=10)
        page = [{"log_id": i} for i in self.ids if i > start][:100]
        with self.lock:
            self.in_flight -= 1
        return page, lambda: page[-1]["log_id"]


def drain(backfill: Backfill) -> list[str]:
    seen = []
    for page in backfill.pages():
        seen += [log["log_id"] for log in page.logs]
        backfill.confirm(page)
    return seen


def test_engine_splits_a_long_range_and_fetches_each_log_once():
    # The first cursor's second page is held until another cursor's request comes beside it:
    # only a split can bring one (no timing decides it).
    ids = make_ids(5000)
    source = FakeCheckpoints(ids, newest=ids[-1], hold=True)
    backfill = Backfill(source, [("0" * 56, None)], workers=4)

    seen = drain(backfill)

    assert Counter(seen) == Counter(ids)
    assert backfill.stats.splits >= 1
    assert source.most_in_flight > 1
    assert backfill.ranges_left() == [(ids[-1], None)]


def test_engine_asks_the_pacer_holding_its_own_lock_and_auth0_holding_none():
    ids = make_ids(5000)
    held_while_asking: list[list[str]] = []

    class Recording(FakeCheckpoints):
        def newest(self) -> str | None:
            held_while_asking.append(order.held())
            return super().newest()

    with checked_lock_order() as order:
        pacer = Pacer(clock=SimulatedClock(1_000.0))
        backfill = Backfill(
            Recording(ids, newest=ids[-1], hold=True),
            [("0" * 56, None)],
            workers=4,
            advisor=pacer,
            clock=pacer.clock,
        )
        seen = drain(backfill)
    assert Counter(seen) == Counter(ids)
    assert ("backfill", "pacer") in order.nested
    assert held_while_asking == [[]]  # the newest log is a request: asked with no lock held


def cursor(start: str, until: str | None, **kw: Any) -> Cursor:
    return Cursor(start=start, until=until, after=start, fetched=kw.pop("fetched", start), **kw)


def situation(**kw: Any) -> Situation:
    values = {
        "first_page_queued": True,
        "newest": None,
        "newest_asked": False,
        "cursor_helps": True,
    }
    return Situation(**{**values, "workers": 4, **kw})


def test_policy_the_first_range_goes_alone_until_its_first_page_is_in():
    ids = make_ids(3000)
    first, second = cursor("0" * 56, ids[1000]), cursor(ids[1000], None)
    assert next_step([first, second], situation(first_page_queued=False)) is first
    first.running = True
    assert next_step([first, second], situation(first_page_queued=False)) is Step.WAIT
    assert next_step([first, second], situation()) is second
    first.running, first.fetched_all = False, True
    second.fetched_all = True
    assert next_step([first, second], situation()) is Step.DONE


def test_policy_learns_the_newest_log_then_splits_the_range_with_most_left_while_a_cursor_helps():
    ids = make_ids(5000)
    open_range = cursor("0" * 56, None, running=True, first=ids[0], fetched=ids[99], logs=100)
    assert next_step([open_range], situation()) is Step.ASK_NEWEST
    assert next_step([open_range], situation(cursor_helps=False)) is Step.WAIT
    step = next_step([open_range], situation(newest=ids[-1], newest_asked=True))
    assert isinstance(step, Split)
    assert step.cursor is open_range
    assert ids[99] < step.at < ids[-1]
    assert open_range.until is None  # the policy decides; the engine cuts
    assert next_step([open_range], situation(newest=ids[-1], newest_asked=True, workers=1)) is (
        Step.WAIT
    )


def test_policy_does_not_split_a_range_a_few_pages_long():
    ids = make_ids(600)
    open_range = cursor("0" * 56, None, running=True, first=ids[0], fetched=ids[99], logs=100)
    assert pages_left(open_range, ids[-1]) < 10
    assert next_step([open_range], situation(newest=ids[-1], newest_asked=True)) is Step.WAIT


def test_engine_with_one_worker_is_one_sequential_cursor():
    ids = make_ids(1000)
    source = FakeCheckpoints(ids, newest=ids[-1])
    backfill = Backfill(source, [("0" * 56, None)], workers=1)

    assert drain(backfill) == ids
    assert backfill.stats.splits == 0
    assert source.requests[0] is None
    assert None not in source.requests[1:]


def test_engine_ranges_left_follow_only_confirmed_pages():
    ids = make_ids(1000)
    middle = log_ids.split_point(ids[399], ids[400])
    assert middle is not None
    backfill = Backfill(FakeCheckpoints(ids), [("0" * 56, middle), (middle, None)], workers=2)
    pages = backfill.pages()
    first = next(pages)  # the first range goes alone until its first page is in
    assert [log["log_id"] for log in first.logs] == ids[:100]
    assert backfill.ranges_left() == [("0" * 56, middle), (middle, None)]
    backfill.confirm(first)
    assert backfill.ranges_left() == [(ids[99], middle), (middle, None)]
    for page in pages:
        backfill.confirm(page)
    assert backfill.ranges_left() == [(ids[-1], None)]


def test_engine_hands_a_cursors_error_to_the_consumer():
    class Failing(FakeCheckpoints):
        def page(self, after: str, url: str | None) -> tuple[list[dict[str, Any]], Any]:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        drain(Backfill(Failing([]), [("0" * 56, None)], workers=3))


def answered(pacer: Pacer, headers: dict[str, str]) -> None:
    """One request through `pacer`, answered with `headers`."""
    permit = pacer.acquire(0)
    assert permit is not None
    pacer.observe(permit, headers)
    pacer.release(permit)


def test_pacer_holds_requests_beyond_the_level_minus_those_in_flight():
    pacer = Pacer(clock=SimulatedClock(1_000.0))
    answered(pacer, {"x-ratelimit-remaining": "2", "x-ratelimit-reset": "1005"})
    first, second = pacer.acquire(0), pacer.acquire(0)
    assert first is not None
    assert second is not None
    # Two requests in flight will spend the two left: a third waits for an answer or the reset.
    assert bucket.due(pacer.estimate, pacer.kept) == 1005
    # The first one's answer shows the bucket refilled: the third may go at once.
    pacer.observe(first, {"x-ratelimit-remaining": "5", "x-ratelimit-reset": "1001"})
    pacer.release(first)
    third = pacer.acquire(0)
    assert third is not None
    assert third.waited == 0.0


def test_pacer_lets_a_late_answer_only_lower_what_it_believes():
    # Two cursors' requests cross: the second is answered first, and its level is the newer.
    clock = SimulatedClock(1_000.0)
    pacer = Pacer(clock=clock)
    headers = {"x-ratelimit-limit": "10", "x-ratelimit-reset": "1001"}
    answered(pacer, {**headers, "x-ratelimit-remaining": "6"})
    early, late = pacer.acquire(0), pacer.acquire(0)
    assert early is not None
    assert late is not None
    pacer.observe(late, {**headers, "x-ratelimit-remaining": "2"})  # others spent two meanwhile
    pacer.release(late)
    pacer.observe(early, {**headers, "x-ratelimit-remaining": "5"})
    pacer.release(early)
    # The early request's answer (5) came last but is older: it must not raise the level the
    # late one's answer gave (2, less the early one, which might have been processed after it).
    assert bucket.level(pacer.estimate, clock.now()) == 1


def test_the_state_check_catches_a_state_ahead_of_its_records():
    """Guards `assert_every_state_is_covered`, on which the tests above rely."""
    ids = [f"{i:056d}" for i in range(1, 11)]

    def state(value: str, left: list | None = None) -> dict:
        bookmark = StreamState({}, "logs")
        bookmark.save_ranges_left("log_id", [tuple(pair) for pair in left or [[value, None]]])
        return {"type": "STATE", "value": state_of({"logs": bookmark})}

    def record(index: int) -> dict:
        return {"type": "RECORD", "stream": "logs", "record": {"log_id": ids[index]}}

    ranges = [[ids[1], ids[4]], [ids[6], None]]  # left: ids[2..4] and ids[7..]
    good = [record(0), record(1), state(ids[1]), record(5), record(6), state(ids[1], ranges)]
    assert_every_state_is_covered(TapRun(0, "", "", good), ids)
    for bad in (
        [record(0), state(ids[1])],
        [record(0), record(1), record(5), state(ids[1], ranges)],
    ):
        with pytest.raises(AssertionError, match="claims 1 logs"):
            assert_every_state_is_covered(TapRun(0, "", "", bad), ids)

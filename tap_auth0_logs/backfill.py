"""Checkpoint cursors side by side: a backfill bound by the rate limit rather than by latency.

One checkpoint cursor is sequential (each page's Link names the next), so alone it waits one
round trip per 100 logs. But log ids begin with their ingestion time (docs/auth0-api.md §4):
the log_id line can be cut into ranges, each paged by its own cursor from a synthetic checkpoint
at its start. `Backfill` runs the ranges it is given (one open range on an ordinary run) with a few
worker threads. What a worker with nothing to do does next is a pure function (`next_step`, of
the cursors, the newest log and the pacer's room): it splits the range with the most left in
two, and only when that range holds an estimated `SPLIT_MIN_PAGES` pages or more: a run a few
pages behind stays one sequential cursor, and a burst of logs in one range is shared as it is met.

Pages leave through a bounded queue (memory stays flat however long the backfill), and the
stream confirms each page once its records are written. Only confirmed pages move the ranges
left to do, so those ranges, saved in the stream's state (`ranges.py`), are always a valid
resume point: a killed run repeats at most the page each cursor was writing.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from tap_auth0_logs import log_ids
from tap_auth0_logs.client import PAGE_SIZE

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

#: Cursors side by side by default, and at most (docs/performance.md).
DEFAULT_BACKFILL_CONCURRENCY = 8
MAX_BACKFILL_CONCURRENCY = 16
#: A range is split only when it is estimated to hold at least this many pages.
SPLIT_MIN_PAGES = 10
#: Fetched pages waiting to be written, per worker: bounds the memory a fast fetch can fill.
QUEUED_PAGES_PER_WORKER = 2

logger = logging.getLogger(__name__)


class PageSource(Protocol):
    """Where a backfill's pages come from (`paginators.CheckpointPages` on a real run)."""

    def page(
        self, after: str, next_url: str | None
    ) -> tuple[list[dict[str, Any]], Callable[[], str]]:
        """One checkpoint page: its logs, and a function giving the next page's URL.

        `next_url` is None for a cursor's first request, which asks `from=after`. The next URL
        is asked for only after the page is queued: a page without a usable link is still
        written before the error that ends the run.
        """
        ...

    def newest(self) -> str | None:
        """The newest log's id, to know how far the open range goes; None if unknown."""
        ...


class CursorRoom(Protocol):
    """Whether another cursor can still help (`pacing.Pacer` on a real run).

    Asked while the backfill holds its lock: an implementation takes its own lock only after
    it, and never calls back into the backfill.
    """

    def room_for_cursor(self, running: int) -> bool:
        """True while latency, not the rate limit, holds back `running` cursors."""
        ...


class _AlwaysRoom:
    def room_for_cursor(self, running: int) -> bool:
        return True


@dataclass(eq=False)
class Cursor:
    """One log_id range, `(start, until]`, and how far it has been fetched and written.

    `until` is None for the open range at the end, which runs until Auth0 has nothing newer.
    """

    start: str
    until: str | None
    after: str  # every log of the range up to here has been written
    fetched: str  # every log of the range up to here has been fetched
    first: str | None = None  # the first log fetched (for the density estimate)
    logs: int = 0  # logs fetched so far
    running: bool = False
    fetched_all: bool = False
    done: bool = False  # its last page has been written


@dataclass(eq=False)
class Page:
    """A page of one cursor, trimmed to its range; `final` when the cursor has no more."""

    cursor: Cursor
    logs: list[dict[str, Any]]
    final: bool


@dataclass
class SplitStats:
    """How far a backfill spread: ranges split, and the most cursors that ran side by side."""

    splits: int = 0
    peak_cursors: int = 1


class _Finished:
    """Put on the queue once every worker has stopped."""


class Backfill:
    """Runs checkpoint cursors over log_id ranges with up to `workers` threads."""

    def __init__(
        self,
        source: PageSource,
        ranges: list[tuple[str, str | None]],
        *,
        workers: int = 1,
        room: CursorRoom | None = None,
    ) -> None:
        if not ranges or ranges[-1][1] is not None:
            msg = "a backfill needs its ranges in order, ending with an open one"
            raise ValueError(msg)
        self._source = source
        self._room = room or _AlwaysRoom()
        self._newest: str | None = None
        self._newest_asked = False
        self._workers = max(1, workers)
        self._cursors = [Cursor(start=a, until=u, after=a, fetched=a) for a, u in ranges]
        self._cond = threading.Condition()
        self._out: queue.Queue[Page | BaseException | _Finished] = queue.Queue(
            maxsize=self._workers * QUEUED_PAGES_PER_WORKER
        )
        self._stop = threading.Event()
        self._first_page_queued = False
        self._active = 0
        self.stats = SplitStats()

    # --- the consumer's side --------------------------------------------------------------

    def pages(self) -> Iterator[Page]:
        """Every page, in the order fetched; raise a worker's error when it comes up."""
        self._active = self._workers
        for number in range(self._workers):
            threading.Thread(target=self._work, name=f"cursor-{number}", daemon=True).start()
        try:
            while True:
                item = self._out.get()
                if isinstance(item, _Finished):
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._stop.set()
            with self._cond:
                self._cond.notify_all()

    def confirm(self, page: Page) -> None:
        """Record that every log of `page` has been written."""
        with self._cond:
            if page.logs:
                page.cursor.after = str(page.logs[-1]["log_id"])
            if page.final:
                page.cursor.done = True

    def ranges_left(self) -> list[tuple[str, str | None]]:
        """The ranges still to extract, in order; the last is open (newer logs to come)."""
        with self._cond:
            left = [(c.after, c.until) for c in self._cursors if not c.done or c.until is None]
            if len(left) == 1:
                return [(self._newest_written_log(), None)]
            return left

    def _newest_written_log(self) -> str:
        """Where the open range may start once every other range is done.

        That is the last log written, when the ranges from it to the open one are contiguous
        (each was fetched through), so the bookmark is a real log id rather than a split point.
        """
        following = self._cursors[-1]
        for cursor in reversed(self._cursors):
            if cursor is not following and cursor.until != following.start:
                break
            if cursor.after != cursor.start:
                return cursor.after
            following = cursor
        return self._cursors[-1].after

    # --- the workers' side ----------------------------------------------------------------

    def _work(self) -> None:
        try:
            while (cursor := self._next_cursor()) is not None:
                self._page_through(cursor)
        except BaseException as exc:
            self._put(exc)
            self._stop.set()
        finally:
            with self._cond:
                self._active -= 1
                last = self._active == 0
                self._cond.notify_all()
            if last:
                self._put(_Finished())

    def _put(self, item: Page | BaseException | _Finished) -> None:
        """Queue `item`, waiting for room; give up only when the consumer has stopped."""
        while True:
            try:
                self._out.put(item, timeout=0.1)
            except queue.Full:
                if self._stop.is_set():
                    return
            else:
                return

    def _next_cursor(self) -> Cursor | None:
        """A range to page through, as `next_step` decides; None once there is none left."""
        with self._cond:
            while not self._stop.is_set():
                running = sum(cursor.running for cursor in self._cursors)
                situation = Situation(
                    first_page_queued=self._first_page_queued,
                    newest=self._newest,
                    newest_asked=self._newest_asked,
                    room=self._room.room_for_cursor(max(running, 1)),
                    workers=self._workers,
                )
                step = next_step(self._cursors, situation)
                if isinstance(step, Cursor):
                    step.running = True
                    return step
                if isinstance(step, Split):
                    return self._split(step, running)
                if step is Step.DONE:
                    return None
                if step is Step.ASK_NEWEST:
                    self._ask_newest()
                else:
                    self._cond.wait()
            return None

    def _page_through(self, cursor: Cursor) -> None:
        url: str | None = None
        while not self._stop.is_set():
            logs, next_url = self._source.page(cursor.fetched, url)
            with self._cond:
                until = cursor.until
                kept = logs if until is None else [log for log in logs if log["log_id"] <= until]
                final = not logs or len(kept) < len(logs)
                if kept:
                    cursor.first = cursor.first or str(kept[0]["log_id"])
                    cursor.fetched = str(kept[-1]["log_id"])
                    cursor.logs += len(kept)
                if final:
                    cursor.fetched_all, cursor.running = True, False
                self._cond.notify_all()
            self._put(Page(cursor, kept, final))
            if not self._first_page_queued:  # once queued: the first page is written first
                with self._cond:
                    self._first_page_queued = True
                    self._cond.notify_all()
            if final:
                return
            url = next_url()

    def _ask_newest(self) -> None:
        """Learn the newest log's id (one search request), outside the lock."""
        self._newest_asked = True
        self._cond.release()
        try:
            newest = self._source.newest()
        finally:
            self._cond.acquire()
        self._newest = newest

    def _split(self, split: Split, running: int) -> Cursor:
        """Cut `split.cursor`'s range at `split.at`; the new half starts at once."""
        cursor = split.cursor
        half = Cursor(split.at, cursor.until, after=split.at, fetched=split.at, running=True)
        cursor.until = split.at
        self._cursors.insert(self._cursors.index(cursor) + 1, half)
        self.stats.splits += 1
        self.stats.peak_cursors = max(self.stats.peak_cursors, running + 1)
        logger.debug("Split a range at %s: %d cursors running.", split.at, running + 1)
        return half


# --- the policy: what an idle worker does next, from values alone ------------------------------


@dataclass(frozen=True)
class Situation:
    """What the policy decides from, besides the cursors."""

    first_page_queued: bool
    newest: str | None  # the newest log's id, once asked (None: unknown)
    newest_asked: bool
    room: bool  # the pacer's answer: another cursor can still help
    workers: int


class Step(enum.Enum):
    """A next step that is not a range to page through."""

    WAIT = "wait"  # for a page, or for a cursor to finish
    ASK_NEWEST = "ask newest"  # learn how far the open range goes
    DONE = "done"  # every range is fetched


@dataclass(frozen=True)
class Split:
    """Cut `cursor`'s range at `at`: the half after it becomes a cursor of its own."""

    cursor: Cursor
    at: str


def next_step(cursors: Sequence[Cursor], now: Situation) -> Cursor | Split | Step:
    """What an idle worker does next; changes nothing.

    A range not started, in order: the first alone until its first page is in (if Auth0 refuses
    its checkpoint, nothing else has been fetched and the stream can start elsewhere). Then,
    while the pacer has room: learn the newest log when the open range could be split but its
    end is unknown, or split the running range with most left. Else wait, until all is fetched.
    """
    pending = [c for c in cursors if not c.running and not c.fetched_all]
    if pending and (now.first_page_queued or pending[0] is cursors[0]):
        return pending[0]
    running = [c for c in cursors if c.running]
    if not running and not pending:
        return Step.DONE
    if not now.first_page_queued or not now.room:
        return Step.WAIT
    last = cursors[-1]
    if not now.newest_asked and last.running and last.logs >= PAGE_SIZE:
        return Step.ASK_NEWEST
    return _split_of(running, now) or Step.WAIT


def _split_of(running: list[Cursor], now: Situation) -> Split | None:
    """Half of the running range with most left, when it holds `SPLIT_MIN_PAGES` or more."""
    if len(running) >= now.workers:
        return None
    cursor = max(running, key=lambda c: pages_left(c, now.newest))
    end = cursor.until or now.newest
    if end is None or pages_left(cursor, now.newest) < SPLIT_MIN_PAGES:
        return None
    middle = log_ids.split_point(cursor.fetched, end)
    return Split(cursor, middle) if middle is not None else None


def pages_left(cursor: Cursor, newest: str | None) -> float:
    """Pages estimated between where `cursor` has fetched and its end, from its density."""
    end = cursor.until or newest
    if cursor.first is None or cursor.logs < PAGE_SIZE or end is None or end <= cursor.fetched:
        return 0.0
    covered = log_ids.to_number(cursor.fetched) - log_ids.to_number(cursor.first)
    left = log_ids.to_number(end) - log_ids.to_number(cursor.fetched)
    if covered <= 0:
        return float("inf")
    return left * (cursor.logs - 1) / covered / PAGE_SIZE

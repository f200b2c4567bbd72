"""STATE in one place: the typed view of a stream's STATE, and the step after a written page."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import pytest
from singer_sdk.io_base import SingerWriter
from singer_sdk.singerlib import Message, RecordMessage, StateMessage

from tap_auth0_logs.errors import StateError
from tap_auth0_logs.pagination import log_ids
from tap_auth0_logs.pagination.retention import Gap
from tap_auth0_logs.singer.state import (
    BOOKMARK,
    GAPS,
    RANGES_LEFT,
    REPLICATION_KEY,
    SDK_PROGRESS_KEYS,
    TENANT,
    StreamState,
)
from tap_auth0_logs.singer.streams import LogsStream
from tap_auth0_logs.singer.tap import TapAuth0Logs
from tap_auth0_logs.testing import TenantLogs

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from tap_auth0_logs.pagination.backfill import Backfill, Page

IDS = [
    log_ids.format_log_id("900", log_ids.parse_datetime(f"2026-01-0{d}"), "1" * 33)
    for d in (1, 2, 3)
]


# --- the typed view ------------------------------------------------------------------------


def test_the_view_keeps_the_ranges_left_and_drops_them_once_one_is_left():
    state = StreamState({}, "logs")
    assert state.ranges_left(IDS[0]) == [(IDS[0], None)]  # nothing kept: one open range
    state.save_ranges_left("log_id", [(IDS[0], IDS[1]), (IDS[2], None)])
    assert state.raw == {
        REPLICATION_KEY: "log_id",
        BOOKMARK: IDS[0],
        RANGES_LEFT: [[IDS[0], IDS[1]], [IDS[2], None]],
    }
    assert state.bookmark("log_id") == IDS[0]
    assert state.ranges_left(IDS[0]) == [(IDS[0], IDS[1]), (IDS[2], None)]
    state.save_ranges_left("log_id", [(IDS[2], None)])
    assert RANGES_LEFT not in state.raw
    assert state.bookmark("log_id") == IDS[2]


@pytest.mark.parametrize(
    ("raw", "wording"),
    [
        ({REPLICATION_KEY: "log_id", BOOKMARK: "yesterday"}, "is not an Auth0 log_id"),
        (
            {REPLICATION_KEY: "log_id", BOOKMARK: IDS[2], RANGES_LEFT: [[IDS[2], IDS[0]]]},
            "malformed",
        ),
    ],
)
def test_a_state_the_tap_did_not_write_is_refused_with_its_fix(raw, wording):
    state = StreamState(raw, "logs")
    with pytest.raises(StateError, match=wording) as refused:
        state.ranges_left(str(state.bookmark("log_id")))
    assert "pass the last STATE the tap wrote, or none" in str(refused.value)


def test_a_bookmark_of_another_replication_key_is_no_bookmark():
    assert (
        StreamState({REPLICATION_KEY: "date", BOOKMARK: "2026"}, "logs").bookmark("log_id") is None
    )


def test_the_tenant_is_claimed_once_and_another_tenants_state_is_refused():
    state = StreamState({}, "logs")
    state.claim("acme.us.auth0.com")
    assert state.tenant == "acme.us.auth0.com"
    state.claim("acme.us.auth0.com")
    with pytest.raises(StateError, match=r"belongs to the tenant acme\.us\.auth0\.com"):
        state.claim("other.eu.auth0.com")


def test_a_gap_is_kept_once():
    state = StreamState({}, "logs")
    oldest = {"log_id": IDS[2], "date": "2026-01-03T00:00:00Z"}
    gap = Gap.between(IDS[0], oldest, log_ids.parse_datetime("2026-01-04"))
    state.add_gap(gap)
    state.add_gap(gap)
    assert state.gaps == [gap.as_state()]
    assert state.raw[GAPS] == state.gaps


def test_a_resume_point_leaves_out_the_sdks_progress_and_the_tenant_alone_is_none():
    state = StreamState({TENANT: "acme.us.auth0.com", **dict.fromkeys(SDK_PROGRESS_KEYS, 1)}, "x")
    assert state.resume_point() == {TENANT: "acme.us.auth0.com"}
    assert not state.resumes()
    state.save_ranges_left("log_id", [(IDS[0], None)])
    assert state.resumes()


def test_a_stream_is_read_from_a_state_message_value():
    value = {"bookmarks": {"logs": {REPLICATION_KEY: "log_id", BOOKMARK: IDS[1]}}}
    assert StreamState.in_message(value, "logs").bookmark("log_id") == IDS[1]
    assert StreamState.in_message(value, "user_logs").raw == {}


# --- the step after a written page ---------------------------------------------------------


class Written(SingerWriter):
    """Keeps the log ids of the RECORD messages written, and the STATEs, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.log_ids: list[str] = []
        self.states: list[dict[str, Any]] = []

    def write_message(self, message: Message) -> None:
        if isinstance(message, RecordMessage):
            self.log_ids.append(message.record["log_id"])
        elif isinstance(message, StateMessage):
            self.states.append(copy.deepcopy(dict(message.value)))  # the SDK's dict changes on


def one_ahead(records: Iterable[Any]) -> Iterator[Any]:
    """The records, each taken from the stream before the one before it is handed on (an SDK
    that reads ahead by one would do this)."""
    pending: list[Any] = []
    for record in records:
        if pending:
            yield pending.pop()
        pending.append(record)
    yield from pending


def unwritten_when_each_page_was_written(
    monkeypatch: pytest.MonkeyPatch, config: dict[str, Any], *, read_ahead: bool = False
) -> tuple[list[list[str]], Written]:
    """Run the tap in process; at each `page_written` step, the page's logs not written yet."""
    written = Written()
    unwritten: list[list[str]] = []
    step = LogsStream.page_written

    def checked(self: LogsStream, page: Page, backfill: Backfill, *args: Any) -> Any:
        done = set(written.log_ids)
        unwritten.append([log["log_id"] for log in page.logs if log["log_id"] not in done])
        return step(self, page, backfill, *args)

    monkeypatch.setattr(LogsStream, "page_written", checked)
    if read_ahead:
        records = LogsStream.get_records
        monkeypatch.setattr(
            LogsStream, "get_records", lambda self, context: one_ahead(records(self, context))
        )
    tap = TapAuth0Logs(config=config, parse_env_config=False, message_writer=written)
    tap.sync_all()
    return unwritten, written


def test_the_sdk_writes_a_page_before_it_asks_for_the_next_record(monkeypatch, make_tenant):
    tenant = make_tenant(TenantLogs(count=650))
    unwritten, written = unwritten_when_each_page_was_written(
        monkeypatch, tenant.config(backfill_concurrency=1)
    )
    # The step ran after each page: six of 100, one of 50, and the empty one that ends the run,
    # and found every log of its page written.
    assert unwritten == [[]] * 8
    assert written.log_ids == tenant.logs.ids()
    bookmarks = [StreamState.in_message(s, "logs").bookmark("log_id") for s in written.states]
    assert tenant.logs.ids()[99] in bookmarks  # a STATE after the first page, covering it


def test_the_check_fails_on_an_sdk_that_reads_a_record_ahead(monkeypatch, make_tenant):
    """Guards the test above: were the SDK to take the next record before writing the one it
    holds, the step would run with the page's last log unwritten, and the check says so."""
    tenant = make_tenant(TenantLogs(count=250))
    unwritten, _ = unwritten_when_each_page_was_written(
        monkeypatch, tenant.config(backfill_concurrency=1), read_ahead=True
    )
    ids = tenant.logs.ids()
    assert unwritten[:2] == [[ids[99]], [ids[199]]]

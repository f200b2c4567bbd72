"""Property: whatever Auth0 (or a proxy) answers, the tap handles it or stops with a clear error.

It never emits part of a page, and never moves STATE past a record it did not write. The tap
runs in-process here, over a requests adapter that serves a small tenant's pages and replaces
one of them with a hostile answer, repeated a few times.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from tap_auth0_logs.errors import Auth0TapError
from tap_auth0_logs.singer.streams import LogsStream
from tap_auth0_logs.singer.tap import TapAuth0Logs
from tap_auth0_logs.testing import SimulatedClock, TenantLogs
from tests.lock_order import checked_lock_order

BASE = "http://127.0.0.1:9"
LOGS = TenantLogs(count=350)
IDS = LOGS.ids()
RETRIABLE = {408, 429, 500, 502, 503, 504}

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_without_log_ids = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text().filter(lambda key: key != "log_id"), inner, max_size=4)
    ),
    max_leaves=12,
)
hostile_bodies = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([b"", b"<html>502 Bad Gateway</html>", b"[", b"[{}]", b'{"logs": []}']),
    json_without_log_ids.map(lambda value: json.dumps(value).encode()),
    st.just(json.dumps([LOGS.log(5), LOGS.log(4)]).encode()),  # ids out of order
    st.just(json.dumps([LOGS.log(0)]).encode()),  # a log at or before `from`
)
header_values = st.one_of(st.text(max_size=12), st.integers(-5, 10**10).map(str))
hostile_headers = st.dictionaries(
    st.sampled_from(["Link", "x-ratelimit-remaining", "x-ratelimit-reset", "Retry-After"]),
    header_values,
    max_size=4,
)


class HostileAdapter(BaseAdapter):
    """Serves the tenant's pages; checkpoint request number `target` gets the hostile answer."""

    def __init__(self, target: int, repeats: int, status: int, body: bytes, headers: dict) -> None:
        super().__init__()
        self.target, self.repeats = target, repeats
        self.status, self.body, self.headers = status, body, headers
        self.checkpoint_requests = 0
        self.served: list[list[str]] = []  # the log ids of every list of logs answered, in order

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:  # type: ignore[override]
        query = parse_qs(urlsplit(request.url or "").query)
        if "from" not in query:  # the oldest-log probe
            response = self._response(request, 200, json.dumps([LOGS.log(0)]).encode(), {})
            self.served.pop()  # a search answer, not a checkpoint page
            return response
        self.checkpoint_requests += 1
        if self.checkpoint_requests - 1 >= self.target and self.repeats > 0:
            self.repeats -= 1
            if self.status == -1:
                raise requests.ConnectionError("dropped")
            return self._response(request, self.status, self.body, self.headers)
        start = query["from"][0]
        first = LOGS.first_after(start)
        page = [LOGS.log(i) for i in range(first, min(first + 100, LOGS.count))]
        nxt = f"{BASE}/api/v2/logs?from={page[-1]['log_id'] if page else start}&take=100"
        return self._response(
            request, 200, json.dumps(page).encode(), {"Link": f'<{nxt}>; rel="next"'}
        )

    def _response(self, request, status: int, body: bytes, headers: dict) -> requests.Response:
        if status == 200 and (ids := _log_ids(body)) is not None:
            self.served.append(ids)
        response = requests.Response()
        response.status_code, response._content, response.request = status, body, request
        response.headers = CaseInsensitiveDict(headers)
        response.url, response.reason = request.url or "", "Hostile"
        return response

    def close(self) -> None:
        pass


def run_in_process(adapter: HostileAdapter) -> tuple[list[dict], Exception | None]:
    # Waits and sleeps are simulated: the run's clock moves by what they would have taken, and a
    # wait still lets the other cursors answer, as a real one does.
    tap = TapAuth0Logs(
        config={"domain": BASE, "api_token": "t", "start_log_id": None},
        parse_env_config=False,
        clock=SimulatedClock(time.time()),
    )
    assert isinstance(tap.streams["logs"], LogsStream)
    tap.transport.session.mount("http://", adapter)
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # the msgspec writer uses .buffer
    error: Exception | None = None
    with contextlib.redirect_stdout(out):
        try:
            tap.sync_all()
        except Exception as exc:
            error = exc
    return [json.loads(line) for line in out.buffer.getvalue().decode().splitlines()], error


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    target=st.integers(0, 3),
    repeats=st.integers(1, 9),
    status=st.sampled_from([-1, 200, 200, 200, 400, 401, 403, 404, 408, 429, 500, 502, 503]),
    body=hostile_bodies,
    headers=hostile_headers,
)
@pytest.mark.slow
def test_hostile_answers_are_handled_or_clear_and_never_split_a_page(
    target, repeats, status, body, headers
):
    adapter = HostileAdapter(target, repeats, status, body, headers)

    with checked_lock_order():
        messages, error = run_in_process(adapter)

    assert error is None or isinstance(error, Auth0TapError), repr(error)
    emitted = [m["record"]["log_id"] for m in messages if m["type"] == "RECORD"]
    assert emitted == IDS[: len(emitted)]  # in order, nothing foreign, nothing twice
    # A 400 on the first `from` restarts at the oldest log, emitted alone from the search answer.
    lead = [[IDS[0]]] if status == 400 and target == 0 else []
    assert _whole_pages(emitted, lead + adapter.served)
    states = [m["value"]["bookmarks"]["logs"] for m in messages if m["type"] == "STATE"]
    bookmark = states[-1].get("replication_key_value") if states else None
    # STATE never passes a written record, and lags by at most the page being written.
    assert bookmark is None or bookmark in emitted
    behind = len(emitted) - (emitted.index(bookmark) + 1 if bookmark else 0)
    assert behind <= 100
    if error is None:
        assert bookmark == (emitted[-1] if emitted else None)
    transient = status in RETRIABLE or status == -1 or (status == 200 and _log_ids(body) is None)
    told_to_wait = status == 429 and {"Retry-After", "x-ratelimit-reset"} & set(headers)
    if transient and repeats < 8 and not told_to_wait:
        assert error is None
        assert emitted == IDS


def _log_ids(body: bytes) -> list[str] | None:
    """The ids of a body that is a list of logs with ids; None for anything else."""
    try:
        logs = json.loads(body)
    except ValueError:
        return None
    if not isinstance(logs, list) or not all(
        isinstance(log, dict) and "log_id" in log for log in logs
    ):
        return None
    return [log["log_id"] for log in logs]


def _whole_pages(emitted: list[str], served: list[list[str]]) -> bool:
    """True when `emitted` is made of whole served pages, in order (refused pages skipped)."""
    position = 0
    for page in served:
        if page and emitted[position : position + len(page)] == page:
            position += len(page)
    return position == len(emitted)

"""End to end: the installed tap, as a process, against the fake tenant."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tap_auth0_logs.singer.state import BOOKMARK, REPLICATION_KEY, TENANT
from tap_auth0_logs.testing import FakeAuth0, TenantLogs
from tap_auth0_logs.testing.logs import MAX_DELAY
from tests.helpers import catalog_selecting, run_tap


def test_one_cursor_extracts_the_tenants_logs_in_log_id_order(tmp_path, tenant: FakeAuth0):
    run = run_tap(tmp_path, tenant.config(backfill_concurrency=1))

    assert run.returncode == 0, run.stderr
    assert run.log_ids == tenant.logs.ids()  # every log, once, in log_id order
    assert len(set(run.log_ids)) == 2500
    final = run.final_stream_state()
    assert final.tenant == tenant.base_url.split("://")[1]  # the STATE names its tenant
    assert final.bookmark("log_id") == tenant.logs.ids()[-1]
    assert final.resume_point().keys() == {TENANT, REPLICATION_KEY, BOOKMARK}  # nothing else


@pytest.mark.slow
def test_rerun_with_final_state_emits_exactly_the_logs_added_since(tmp_path, tenant: FakeAuth0):
    first = run_tap(tmp_path, tenant.config())
    tenant.logs.count += 321

    second = run_tap(tmp_path, tenant.config(), first.final_state)

    assert second.returncode == 0, second.stderr
    assert second.log_ids == tenant.logs.ids()[2500:]
    third = run_tap(tmp_path, tenant.config(), second.final_state)
    assert third.records == []
    assert third.final_state["bookmarks"]["logs"]["replication_key_value"] == tenant.logs.ids()[-1]


@pytest.mark.slow
def test_state_is_written_at_least_every_1000_records(tmp_path, tenant: FakeAuth0):
    run = run_tap(tmp_path, tenant.config())

    since_state = 0
    for message in run.messages:
        if message["type"] == "RECORD":
            since_state += 1
            assert since_state <= 1000
        elif message["type"] == "STATE":
            since_state = 0
    assert run.messages[-1]["type"] == "STATE"


@pytest.mark.slow
def test_every_state_is_a_resume_point(tmp_path, tenant: FakeAuth0):
    """A run resumed from any STATE it printed loses nothing and repeats nothing."""
    run = run_tap(tmp_path, tenant.config(backfill_concurrency=1))
    middle = run.states[1]
    bookmark = middle["bookmarks"]["logs"]["replication_key_value"]

    resumed = run_tap(tmp_path, tenant.config(backfill_concurrency=1), middle)

    assert resumed.log_ids == [i for i in tenant.logs.ids() if i > bookmark]
    assert run.log_ids.index(bookmark) + 1 + len(resumed.log_ids) == 2500


@pytest.mark.slow
def test_first_request_is_from_take_100_then_only_link_urls(tmp_path, tenant: FakeAuth0):
    run = run_tap(tmp_path, tenant.config(backfill_concurrency=1))
    assert run.returncode == 0, run.stderr

    checkpoint_requests = [r for r in tenant.api_requests() if "from" in r.query]
    first, later = checkpoint_requests[0], checkpoint_requests[1:]
    assert first.query["take"] == ["100"]
    assert set(first.query) == {"from", "take"}  # no search parameter ever goes with `from`
    ids = tenant.logs.ids()
    for request, previous_page_last in zip(
        later, [ids[i * 100 + 99] for i in range(25)], strict=True
    ):
        assert request.target == f"/api/v2/logs?from={previous_page_last}&take=100"
    assert len(later) == 25  # 25 pages of logs after the first, the last one empty


@pytest.mark.slow
def test_one_token_request_per_run(tmp_path, tenant: FakeAuth0):
    run = run_tap(tmp_path, tenant.config(backfill_concurrency=1))

    assert run.returncode == 0
    assert len(tenant.token_requests()) == 1
    assert len(tenant.api_requests()) == 27  # the oldest-log probe and 26 checkpoint pages


@pytest.mark.slow
def test_start_log_id_starts_right_after_that_log(tmp_path, tenant: FakeAuth0):
    ids = tenant.logs.ids()

    run = run_tap(tmp_path, tenant.config(start_log_id=ids[1234]))

    assert sorted(run.log_ids) == ids[1235:]
    check, first = tenant.api_requests()[:2]
    assert check.path == f"/api/v2/logs/{ids[1234]}"  # is that log still kept?
    assert first.query["from"] == [ids[1234]]


@pytest.mark.slow
def test_start_log_id_wins_over_start_date(tmp_path, tenant: FakeAuth0):
    ids = tenant.logs.ids()

    run = run_tap(
        tmp_path, tenant.config(start_log_id=ids[2000], start_date="2026-11-01T00:00:00Z")
    )

    assert run.log_ids == ids[2001:]


@pytest.mark.slow
def test_start_date_emits_every_log_dated_from_then_despite_id_order(tmp_path, make_tenant):
    # Logs 0.5 s apart with up to 5.4 s of ingestion delay: dates interleave across many ids.
    tenant = make_tenant(TenantLogs(count=3000, gap=0.5))
    logs = tenant.logs.kept()
    start = logs[1500]["date"]

    run = run_tap(tmp_path, tenant.config(start_date=start))

    expected = [log["log_id"] for log in logs if log["date"] >= start]
    assert sorted(run.log_ids) == expected
    late = [log for log in logs[:1500] if log["date"] >= start]
    assert late, "the fixture should hold logs ingested before start_date's log but dated after"
    first_from = next(r for r in tenant.api_requests() if "from" in r.query).query["from"][0]
    assert first_from.isdigit()
    assert len(first_from) == 56
    assert all(len(r.query.get("from", ["x" * 56])[0]) == 56 for r in tenant.api_requests())


@pytest.mark.slow
def test_start_date_before_the_oldest_log_starts_at_the_oldest(tmp_path, tenant: FakeAuth0):
    run = run_tap(tmp_path, tenant.config(start_date="2020-01-01T00:00:00Z"))

    assert sorted(run.log_ids) == tenant.logs.ids()


def test_start_date_after_the_newest_log_emits_nothing(tmp_path, tenant: FakeAuth0):
    run = run_tap(tmp_path, tenant.config(start_date="2030-01-01T00:00:00Z"))

    assert run.returncode == 0
    assert run.records == []


@pytest.mark.slow
def test_without_start_the_first_run_begins_at_the_oldest_kept_log(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=1500, first_kept=400))

    run = run_tap(tmp_path, tenant.config())

    assert sorted(run.log_ids) == tenant.logs.ids()
    assert run.log_ids[0] == tenant.logs.log_id(400)  # the first range's first page comes first
    probe = tenant.api_requests()[0]
    assert probe.query["sort"] == ["date:1"]
    assert probe.query["per_page"] == ["1"]


def test_empty_tenant_finishes_cleanly(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=0))

    run = run_tap(tmp_path, tenant.config())

    assert run.returncode == 0, run.stderr
    assert run.records == []


@pytest.mark.slow
def test_records_carry_type_description_and_unknown_fields(tmp_path, tenant: FakeAuth0):
    run = run_tap(tmp_path, tenant.config())

    by_type = {r["type"]: r for r in run.records}
    assert by_type["s"]["type_description"] == "Success Login"
    assert by_type["fp"]["type_description"] == "Failed Login (Incorrect Password)"
    assert by_type["x_new_event_2027"]["type_description"] is None  # unknown code: null, no error
    extras = [r for r in run.records if r["extra_fields"]]
    assert extras
    assert all(set(r["extra_fields"]) == {"risk_engine_v2"} for r in extras)
    source = {log["log_id"]: log for log in tenant.logs.kept()}
    for record in extras:
        assert (
            record["extra_fields"]["risk_engine_v2"] == source[record["log_id"]]["risk_engine_v2"]
        )
    assert any("$event_schema" in r for r in run.records)
    assert any(r.get("_id") == r["log_id"] for r in run.records)


@pytest.mark.slow
def test_token_is_refreshed_once_when_auth0_says_it_expired(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=1000))
    tenant.faults.expire_tokens_after = 4

    run = run_tap(tmp_path, tenant.config())

    assert run.returncode == 0, run.stderr
    assert sorted(run.log_ids) == tenant.logs.ids()
    assert len(tenant.token_requests()) == 2
    assert [r.status for r in tenant.api_requests()].count(401) == 1


@pytest.mark.slow
def test_token_is_refreshed_before_it_expires(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=1500), token_lifetime=1)
    tenant.faults.latency = 0.12

    run = run_tap(tmp_path, tenant.config())

    assert run.returncode == 0, run.stderr
    assert sorted(run.log_ids) == tenant.logs.ids()
    assert len(tenant.token_requests()) >= 2
    assert 401 not in [r.status for r in tenant.api_requests()]


def test_a_second_expired_401_is_a_clear_error(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=300))
    tenant.faults.issue_expired_tokens = True

    run = run_tap(tmp_path, tenant.config())

    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert "freshly issued token expired" in run.stderr
    assert len(tenant.token_requests()) == 2


@pytest.mark.slow
def test_link_urls_are_requested_verbatim(tmp_path, tenant: FakeAuth0):
    run_tap(tmp_path, tenant.config(backfill_concurrency=1))

    for request in tenant.api_requests()[2:]:
        query = parse_qs(urlsplit(request.target).query)
        assert {k: len(v) for k, v in query.items()} == {"from": 1, "take": 1}


def test_ids_and_dates_really_disagree_in_the_fixture(tenant: FakeAuth0):
    """Guards the fixture: without interleaved dates the start_date test would prove little."""
    logs = tenant.logs.kept()
    dates = [log["date"] for log in logs]
    assert dates != sorted(dates)
    assert tenant.logs.gap < MAX_DELAY


@pytest.mark.slow
def test_properties_deselected_in_the_catalog_are_left_out(tmp_path, tenant: FakeAuth0):
    config = tenant.config()
    catalog = catalog_selecting(tmp_path, config, "logs", deselect=("details", "city_name"))

    run = run_tap(tmp_path, config, None, "--catalog", catalog)

    assert run.returncode == 0, run.stderr
    assert len(run.records) == 2500
    assert all("details" not in r for r in run.records)
    places = [r["location_info"] for r in run.records if r.get("location_info")]
    assert places
    assert all("city_name" not in place and "country_code" in place for place in places)


@pytest.mark.slow
def test_every_record_is_written_whole_and_the_output_ends_flushed(tmp_path, tenant: FakeAuth0):
    """Records are buffered between STATEs: the output must still end with every line whole."""
    run = run_tap(tmp_path, tenant.config())

    lines = run.stdout.splitlines()
    assert run.stdout.endswith("\n")
    assert len(run.messages) == len(lines)  # every line parsed as a message
    assert run.messages[-1]["type"] == "STATE"

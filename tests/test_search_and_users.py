"""The `log_search` and `user_logs` streams, the `log_types` filter, discovery and `--test`."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest

from tap_auth0_logs.testing import Burst, Client, FakeAuth0, TenantLogs, user_id_for
from tap_auth0_logs.testing.search import compile_query
from tests.helpers import TAP, catalog_selecting, run_tap, run_tap_until_killed


def matches(tenant: FakeAuth0, query: str) -> list[str]:
    predicate = compile_query(query)
    return [log["log_id"] for log in tenant.logs.kept() if predicate(log)]


def stream_ids(run, stream: str) -> list[str]:
    return [
        m["record"]["log_id"]
        for m in run.messages
        if m["type"] == "RECORD" and m["stream"] == stream
    ]


def search_requests(tenant: FakeAuth0):
    return [r for r in tenant.api_requests() if "q" in r.query]


# --- log_search ----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_query_with_more_than_1000_matches_returns_every_match_once(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=5000))
    query = "type:s OR type:ssa OR type:seacft"
    expected = matches(tenant, query)
    assert len(expected) > 2000

    run = run_tap(tmp_path, tenant.config(search_query=query))

    assert run.returncode == 0, run.stderr
    found = [r["log_id"] for r in run.records if r]
    searched = stream_ids(run, "log_search")
    assert searched == expected  # every match, once, in log_id order
    assert len(found) == 5000 + len(expected)  # `logs` ran too (selected by default)
    for request in search_requests(tenant):
        page, per_page = int(request.query["page"][0]), int(request.query["per_page"][0])
        assert per_page <= 100
        assert page * per_page + per_page <= 1000
        assert request.status == 200


@pytest.mark.slow
def test_more_than_1000_logs_inside_one_second_are_all_found(tmp_path, make_tenant):
    logs = TenantLogs(count=3000, bursts=(Burst(at=800, count=1500, gap=0.0005),))
    tenant = make_tenant(logs)
    assert logs.log_id(2299)[3:17] == logs.log_id(800)[3:17]  # same second
    query = "NOT type:nothing"

    run = run_tap(tmp_path, tenant.config(search_query=query, log_types=["none"]))

    searched = stream_ids(run, "log_search")
    assert run.returncode == 0, run.stderr
    assert searched == logs.ids()


@pytest.mark.slow
def test_search_is_incremental_and_resumes_after_a_kill(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=4000))
    query = "type:s OR type:fp"
    config = tenant.config(search_query=query)
    catalog = catalog_selecting(tmp_path, config, "log_search")
    first, state = run_tap_until_killed(tmp_path, config, 777, "--catalog", catalog)

    resumed = run_tap(tmp_path, config, state, "--catalog", catalog)
    delivered = Counter(first + resumed.log_ids)
    assert set(delivered) == set(matches(tenant, query))
    assert sum(times - 1 for times in delivered.values()) <= 100

    tenant.logs.count += 600
    third = run_tap(tmp_path, config, resumed.final_state, "--catalog", catalog)
    assert third.log_ids == [i for i in matches(tenant, query) if i > resumed.log_ids[-1]]
    assert third.log_ids


@pytest.mark.slow
def test_deselected_properties_are_not_asked_for(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=300))
    config = tenant.config(search_query="type:s")
    catalog = catalog_selecting(
        tmp_path, config, "log_search", deselect=("details", "user_agent", "extra_fields")
    )

    run = run_tap(tmp_path, config, None, "--catalog", catalog)

    assert run.returncode == 0, run.stderr
    fields = {tuple(r.query["fields"]) for r in search_requests(tenant)}
    assert len(fields) == 1
    asked = set(next(iter(fields))[0].split(","))
    assert "log_id" in asked
    assert not {"details", "user_agent"} & asked
    assert all(r.query["include_fields"] == ["true"] for r in search_requests(tenant))
    assert run.records
    assert all("details" not in r for r in run.records)
    assert all(r["type_description"] == "Success Login" for r in run.records)


@pytest.mark.slow
def test_a_query_auth0_rejects_quotes_auth0s_message(tmp_path, tenant: FakeAuth0):
    run = run_tap(tmp_path, tenant.config(search_query="details.error:x"))

    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert "Auth0 rejected the search query" in run.stderr
    assert "is not searchable" in run.stderr
    assert "fix `search_query`" in run.stderr


@pytest.mark.slow
def test_a_query_too_long_for_a_url_is_a_clear_error(tmp_path, tenant: FakeAuth0):
    query = " OR ".join(f'user_name:"user{i}@example.com"' for i in range(200))

    run = run_tap(tmp_path, tenant.config(search_query=query))

    assert run.returncode != 0
    assert "414 Request-URI Too Large" in run.stderr
    assert "shorten `search_query`" in run.stderr
    assert "Traceback" not in run.stderr


# --- user_logs -----------------------------------------------------------------------------


def user_records(run, user_id: str) -> list[str]:
    return [
        m["record"]["log_id"]
        for m in run.messages
        if m["type"] == "RECORD"
        and m["stream"] == "user_logs"
        and m["record"]["user_id"] == user_id
    ]


@pytest.mark.slow
def test_user_logs_one_partition_each_and_a_heavy_user_through_search(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=5000, heavy_user_share=0.3, users=50))
    heavy, light = user_id_for(0), user_id_for(7)
    expected_heavy = matches(tenant, f'user_id:"{heavy}"')
    assert len(expected_heavy) > 1000

    run = run_tap(tmp_path, tenant.config(user_ids=[heavy, light], log_types=["none"]))

    assert run.returncode == 0, run.stderr
    assert user_records(run, heavy) == expected_heavy
    assert user_records(run, light) == matches(tenant, f'user_id:"{light}"')
    paths = {r.path for r in tenant.api_requests() if r.path.startswith("/api/v2/users/")}
    assert f"/api/v2/users/auth0%7C{heavy[6:]}/logs" in {
        r.target.split("?")[0] for r in tenant.api_requests()
    }
    assert paths  # the endpoint was used
    partitions = run.final_state["bookmarks"]["user_logs"]["partitions"]
    assert {p["context"]["user_id"]: p["replication_key_value"] for p in partitions} == {
        heavy: expected_heavy[-1],
        light: user_records(run, light)[-1],
    }


@pytest.mark.slow
def test_user_logs_are_incremental(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=2000, users=10))
    user = user_id_for(3)
    config = tenant.config(user_ids=[user], log_types=["none"])
    first = run_tap(tmp_path, config)
    tenant.logs.count += 400

    second = run_tap(tmp_path, config, first.final_state)

    assert user_records(second, user) == [
        i for i in matches(tenant, f'user_id:"{user}"') if i > user_records(first, user)[-1]
    ]
    assert user_records(second, user)


@pytest.mark.slow
def test_a_user_logs_run_with_nothing_new_costs_one_request_per_user(tmp_path, make_tenant):
    # ~1,000 logs a user, a minute apart: a page of 100 spans far more than the 10-minute margin
    tenant = make_tenant(TenantLogs(count=3000, users=3, gap=20.0))
    users = [user_id_for(n) for n in range(3)]
    config = tenant.config(user_ids=users, log_types=["none"])
    first = run_tap(tmp_path, config)
    assert sum(len(user_records(first, user)) for user in users) > 900  # several pages each
    tenant.requests.clear()

    again = run_tap(tmp_path, config, first.final_state)

    user_requests = [r for r in tenant.api_requests() if r.path.startswith("/api/v2/users/")]
    assert len(user_requests) == len(users)  # newest first: one page shows nothing is new
    assert all(user_records(again, user) == [] for user in users)
    assert "Rate limit: " in again.stderr  # the run's closing line says what it spent


@pytest.mark.slow
def test_heavy_user_with_only_read_logs_users_gets_the_capped_logs_and_a_warning(
    tmp_path, make_tenant
):
    clients = {"users-only": Client("s", scopes=("read:logs_users",))}
    tenant = make_tenant(
        TenantLogs(count=4000, heavy_user_share=0.4),
        clients=clients,
        logs_users_reads_all_logs=False,
    )
    heavy = user_id_for(0)
    config = {"domain": tenant.base_url, "client_id": "users-only", "client_secret": "s"}
    catalog = catalog_selecting(tmp_path, {**config, "user_ids": [heavy]}, "user_logs")

    run = run_tap(tmp_path, {**config, "user_ids": [heavy]}, None, "--catalog", catalog)

    assert run.returncode == 0, run.stderr
    assert len(user_records(run, heavy)) == 1000
    warning = next(line for line in run.stderr.splitlines() if "WARNING" in line and heavy in line)
    assert "more than 1000 logs" in warning
    assert "read:logs" in warning


# --- the logs stream's type filter ---------------------------------------------------------


@pytest.mark.slow
def test_log_types_filter_emits_only_those_and_the_checkpoint_still_advances(tmp_path, tenant):
    run = run_tap(tmp_path, tenant.config(log_types=["fp", "fu"]))

    assert run.returncode == 0, run.stderr
    assert {r["type"] for r in run.records} == {"fp", "fu"}
    wanted = [log["log_id"] for log in tenant.logs.kept() if log["type"] in {"fp", "fu"}]
    assert sorted(run.log_ids) == wanted
    bookmark = run.final_state["bookmarks"]["logs"]["replication_key_value"]
    assert bookmark == tenant.logs.ids()[-1]  # past the last log, though it is not an fp or fu
    for request in tenant.api_requests():
        assert "q" not in request.query or "from" not in request.query


# --- every record names its tenant --------------------------------------------------------


def test_every_record_of_every_stream_names_the_tenant_its_state_is_bound_to(tmp_path, make_tenant):
    # Served on 127.0.0.1, the tenant is named `127.0.0.1:PORT`: it looks like an address, and
    # keyed pseudonyms (on here) must leave it alone all the same.
    tenant = make_tenant(TenantLogs(count=400, users=5))
    config = tenant.config(
        search_query="type:fp", user_ids=[user_id_for(1)], pseudonymize_key="k3y-kept-apart-0000"
    )

    run = run_tap(tmp_path, config)

    assert run.returncode == 0, run.stderr
    host = tenant.base_url.split("://")[1]
    streams = {"logs", "log_search", "user_logs"}
    assert {m["stream"] for m in run.messages if m["type"] == "RECORD"} == streams
    assert {
        (m["stream"], m["record"]["tenant"]) for m in run.messages if m["type"] == "RECORD"
    } == {(stream, host) for stream in streams}
    assert {run.final_state["bookmarks"][stream]["tenant"] for stream in streams} == {host}
    schemas = [m for m in run.messages if m["type"] == "SCHEMA"]
    assert {m["stream"] for m in schemas} == streams
    for schema in schemas:
        assert schema["key_properties"] == ["tenant", "log_id"]  # two tenants may share a log_id
        assert "tenant" in schema["schema"]["properties"]
    assert any((r["ip"] or "").startswith("hmac-sha256:1:") for r in run.records)  # pseudonyms on


# --- discovery and --test ------------------------------------------------------------------


def test_all_three_streams_are_always_in_the_catalog(tmp_path):
    out = subprocess.run(
        [TAP, "--discover"], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout
    assert {s["tap_stream_id"] for s in json.loads(out)["streams"]} == {
        "logs",
        "log_search",
        "user_logs",
    }


@pytest.mark.parametrize(
    ("stream", "setting"), [("log_search", "search_query"), ("user_logs", "user_ids")]
)
@pytest.mark.slow
def test_a_selected_stream_without_its_setting_says_so_and_emits_nothing(
    tmp_path, tenant, stream, setting
):
    catalog = catalog_selecting(tmp_path, tenant.config(), stream)

    run = run_tap(tmp_path, tenant.config(), None, "--catalog", catalog)

    assert run.returncode == 0, run.stderr
    assert run.records == []
    lines = [line for line in run.stderr.splitlines() if f"`{setting}` is not set" in line]
    assert len(lines) == 1


@pytest.mark.slow
def test_connection_test_makes_one_request_per_selected_stream(tmp_path, tenant):
    config = tenant.config(search_query="type:s", user_ids=[user_id_for(1)])

    run = run_tap(tmp_path, config, None, "--test")

    assert run.returncode == 0, run.stderr
    passed = next(line for line in run.stderr.splitlines() if "Connection test passed" in line)
    assert {"logs", "log_search", "user_logs"} <= set(
        passed.split("for ")[1].rstrip(".").split(", ")
    )
    assert len(tenant.api_requests()) == 3
    assert len(tenant.token_requests()) == 1


def test_connection_test_fails_clearly(tmp_path, tenant):
    run = run_tap(tmp_path, {**tenant.config(), "client_secret": "wrong"}, None, "--test")

    assert run.returncode != 0
    assert "rejected the client credentials" in run.stderr
    assert "Traceback" not in run.stderr


def test_connection_test_checks_the_search_query(tmp_path, tenant):
    run = run_tap(tmp_path, tenant.config(search_query="bogus_field:1"), None, "--test")

    assert run.returncode != 0
    assert "Auth0 rejected the search query" in run.stderr
    assert parse_qs(urlsplit(tenant.api_requests()[-1].target).query)["q"] == ["bogus_field:1"]


@pytest.mark.slow
def test_search_with_start_date_returns_only_matches_from_then_on(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=3000, gap=0.5))
    start = tenant.logs.kept()[1800]["date"]
    query = "type:s OR type:fp"

    run = run_tap(tmp_path, tenant.config(search_query=query, start_date=start, log_types=["none"]))

    assert run.returncode == 0, run.stderr
    predicate = compile_query(query)
    expected = [
        log["log_id"] for log in tenant.logs.kept() if predicate(log) and log["date"] >= start
    ]
    assert stream_ids(run, "log_search") == expected

"""The fake tenant behaves as docs/auth0-api.md describes; the tap's tests are only as good as it is."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
import requests

from tap_auth0_logs.log_ids import parse_datetime, timestamp_of
from tap_auth0_logs.testing import FakeAuth0, RateLimit, TenantLogs, user_id_for
from tap_auth0_logs.testing.search import QueryError, compile_query
from tap_auth0_logs.testing.server import OtherClients
from tests.helpers import run_tap


@pytest.fixture
def api(tenant: FakeAuth0):
    token = requests.post(
        f"{tenant.base_url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": tenant.config()["client_id"],
            "client_secret": tenant.config()["client_secret"],
            "audience": f"{tenant.base_url}/api/v2/",
        },
        timeout=10,
    ).json()["access_token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def get(path: str, **params):
        return session.get(f"{tenant.base_url}{path}", params=params, timeout=10)

    return get


def test_token_endpoint_issues_a_bearer_token_with_the_log_scopes(tenant: FakeAuth0):
    body = requests.post(
        f"{tenant.base_url}/oauth/token",
        json={
            **tenant.config(),
            "grant_type": "client_credentials",
            "audience": f"{tenant.base_url}/api/v2/",
        },
        timeout=10,
    ).json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 86400
    assert body["scope"] == "read:logs read:logs_users"


def test_checkpoint_from_is_exclusive_and_ascending(tenant: FakeAuth0, api):
    ids = tenant.logs.ids()
    page = api("/api/v2/logs", **{"from": ids[9], "take": 5}).json()
    assert [log["log_id"] for log in page] == ids[10:15]


def test_checkpoint_link_points_after_the_last_log_and_echoes_take(tenant: FakeAuth0, api):
    ids = tenant.logs.ids()
    response = api("/api/v2/logs", **{"from": ids[0], "take": 3})
    assert response.links["next"]["url"] == f"{tenant.base_url}/api/v2/logs?from={ids[3]}&take=3"


def test_empty_page_link_repeats_the_request_url(tenant: FakeAuth0, api):
    last = tenant.logs.ids()[-1]
    response = api("/api/v2/logs", **{"from": last, "take": 100})
    assert response.json() == []
    assert response.links["next"]["url"] == f"{tenant.base_url}/api/v2/logs?from={last}&take=100"


def test_take_defaults_to_50_and_caps_at_100(tenant: FakeAuth0, api):
    first = tenant.logs.ids()[0]
    assert len(api("/api/v2/logs", **{"from": first}).json()) == 50
    assert len(api("/api/v2/logs", **{"from": first, "take": 500}).json()) == 100


def test_checkpoint_ignores_search_parameters(tenant: FakeAuth0, api):
    ids = tenant.logs.ids()
    page = api("/api/v2/logs", **{"from": ids[0], "take": 3, "q": "type:s", "sort": "date:-1"})
    assert [log["log_id"] for log in page.json()] == ids[1:4]


def test_search_defaults_to_newest_log_id_first(tenant: FakeAuth0, api):
    page = api("/api/v2/logs", per_page=5).json()
    assert [log["log_id"] for log in page] == tenant.logs.ids()[::-1][:5]


def test_search_caps_at_100_per_page_and_1000_results(api):
    assert api("/api/v2/logs", per_page=101).status_code == 400
    assert api("/api/v2/logs", per_page=100, page=9).status_code == 200
    capped = api("/api/v2/logs", per_page=100, page=10)
    assert capped.status_code == 400
    assert capped.json()["errorCode"] == "invalid_paging"


def test_search_filters_sorts_and_projects(tenant: FakeAuth0, api):
    page = api(
        "/api/v2/logs", q="type:s", sort="date:1", per_page=100, fields="log_id,type,date"
    ).json()
    assert {log["type"] for log in page} == {"s"}
    assert {tuple(sorted(log)) for log in page} == {("date", "log_id", "type")}
    assert [log["date"] for log in page] == sorted(log["date"] for log in page)


def test_search_rejects_an_unsearchable_field(api):
    response = api("/api/v2/logs", q="details:x")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_query_string"


def test_too_long_query_gets_414(api):
    assert api("/api/v2/logs", q="type:s OR " * 1000 + "type:f").status_code == 414


def test_log_by_id_and_404(tenant: FakeAuth0, api):
    log_id = tenant.logs.ids()[7]
    assert api(f"/api/v2/logs/{log_id}").json() == tenant.logs.log(7)
    missing = api("/api/v2/logs/90020991231000000000000000000000000000000000000000000000")
    assert missing.status_code == 404
    assert missing.json() == {
        "statusCode": 404,
        "error": "Not Found",
        "message": "Log not found.",
        "errorCode": "inexistent_log",
    }


def test_user_logs_take_an_encoded_user_id(tenant: FakeAuth0, api):
    user = user_id_for(3)
    page = api(f"/api/v2/users/{quote(user, safe='')}/logs", per_page=100, sort="date:1").json()
    expected = [log for log in tenant.logs.kept() if log.get("user_id") == user]
    assert page
    assert sorted(log["log_id"] for log in page) == sorted(log["log_id"] for log in expected)


def test_errors_use_auth0_bodies(tenant: FakeAuth0):
    missing = requests.get(f"{tenant.base_url}/api/v2/logs", timeout=10)
    assert missing.status_code == 401
    assert missing.json()["message"] == "Missing authentication"
    bad = requests.get(
        f"{tenant.base_url}/api/v2/logs", headers={"Authorization": "Bearer nope"}, timeout=10
    )
    assert bad.json()["message"] == "Invalid token"


def test_expired_tokens_are_refused_as_expired(tenant: FakeAuth0, api):
    tenant.expire_tokens()
    response = api("/api/v2/logs", per_page=1)
    assert response.status_code == 401
    assert "Expired token" in response.json()["message"]


def test_rate_limit_headers_and_429(make_tenant):
    tenant = make_tenant(TenantLogs(count=10), rate_limit=RateLimit(per_second=0.5, burst=2))
    session = requests.Session()
    statuses = [session.get(f"{tenant.base_url}/api/v2/logs", timeout=10) for _ in range(3)]
    assert [r.status_code for r in statuses] == [401, 401, 429]
    assert statuses[0].headers["x-ratelimit-limit"] == "2"
    assert statuses[0].headers["x-ratelimit-remaining"] == "1"
    assert int(statuses[2].headers["x-ratelimit-reset"]) > 0
    assert statuses[2].json()["message"] == "Global limit has been reached"


def test_log_id_order_differs_from_date_order():
    logs = TenantLogs(count=500, gap=0.5).kept()
    dates = [log["date"] for log in logs]
    assert dates != sorted(dates)
    for log in logs:  # ids carry the ingestion time: never before the event, at most 5.4 s after
        ingested = timestamp_of(log["log_id"])
        assert ingested is not None
        lag = ingested - parse_datetime(log["date"])
        assert 0 <= lag.total_seconds() <= 5.41


def test_logs_vary_like_real_tenants():
    logs = TenantLogs(count=3000).kept()
    assert any("_id" in log and log["organization_id"] is None for log in logs)  # explicit nulls
    assert any("organization_id" not in log and "tenant_name" in log for log in logs)  # omitted
    assert any(log.get("details") is None and "details" in log for log in logs)
    assert any(isinstance(log.get("details"), dict) and log["details"] for log in logs)
    assert any(log.get("user_id") == "" for log in logs)
    assert any(isinstance(log.get("scope"), str) for log in logs)


def test_a_grown_tenant_keeps_its_earlier_logs():
    small, grown = TenantLogs(count=100), TenantLogs(count=150)
    assert grown.kept()[:100] == small.kept()


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        (
            'type:s AND connection:"acme-saml"',
            lambda log: log["type"] == "s" and log["connection"] == "acme-saml",
        ),
        ("type:s OR type:f", lambda log: log["type"] in {"s", "f"}),
        ("NOT type:s", lambda log: log["type"] != "s"),
        (
            "(type:fp OR type:fu) AND NOT client_name:Mobile*",
            lambda log: log["type"] in {"fp", "fu"} and not log["client_name"].startswith("Mobile"),
        ),
    ],
)
def test_search_syntax(query, matches):
    logs = TenantLogs(count=400).kept()
    predicate = compile_query(query)
    assert [log for log in logs if predicate(log)] == [log for log in logs if matches(log)]


def test_search_ranges_on_log_id_and_date():
    tenant_logs = TenantLogs(count=400)
    logs, ids = tenant_logs.kept(), tenant_logs.ids()
    inclusive = compile_query(f"log_id:[{ids[10]} TO {ids[20]}]")
    exclusive = compile_query(f"log_id:{{{ids[10]} TO {ids[20]}]")
    assert [log["log_id"] for log in logs if inclusive(log)] == ids[10:21]
    assert [log["log_id"] for log in logs if exclusive(log)] == ids[11:21]
    after = compile_query(f"date:[{logs[200]['date'].rstrip('Z')} TO *]")
    assert {log["log_id"] for log in logs if after(log)} == {
        log["log_id"] for log in logs if log["date"] >= logs[200]["date"]
    }


def test_bad_syntax_is_an_error():
    with pytest.raises(QueryError):
        compile_query("type:(s")


@pytest.mark.parametrize("newest", [False, True])
def test_the_date_window_holds_the_oldest_and_newest_by_date(newest):
    logs = TenantLogs(count=3000, gap=0.5)
    by_date = sorted(logs.kept(), key=lambda log: log["date"], reverse=newest)[:100]

    window = logs.date_window(newest, 100)

    assert len(window) < 3000
    top = sorted(window, key=lambda log: log["date"], reverse=newest)[:100]
    assert [log["log_id"] for log in top] == [log["log_id"] for log in by_date]


def test_the_bucket_says_the_whole_second_the_next_request_is_added():
    now = [1000.25]
    bucket = RateLimit(per_second=2, burst=2, clock=lambda: now[0])
    bucket.take()
    allowed, headers = bucket.take()
    assert allowed
    assert headers["x-ratelimit-remaining"] == "0"
    assert headers["x-ratelimit-reset"] == "1001"  # one request is added 0.5 s later: in 1000.75
    now[0] = 1000.5
    assert bucket.take()[0] is False  # half a request is not one
    now[0] = 1000.76
    assert bucket.take()[0] is True
    assert bucket.too_many["tap"] == 1


def test_a_bucket_refilled_per_minute_adds_its_requests_once_a_second():
    now = [500.1]
    bucket = RateLimit(per_second=100 / 60, burst=10, per_minute=True, clock=lambda: now[0])
    for _ in range(10):
        assert bucket.take()[0]
    now[0] = 500.9
    allowed, headers = bucket.take()
    assert not allowed  # 0.8 s later, but within the same second: nothing added yet
    assert headers["x-ratelimit-reset"] == "501"
    now[0] = 501.0
    assert bucket.take()[0]  # the second turned: 1.67 requests added


def test_other_clients_share_the_bucket_and_crossing_80_percent_is_counted():
    now = [10.0]
    bucket = RateLimit(per_second=1, burst=10, clock=lambda: now[0])
    for _ in range(7):
        bucket.take("tap")
    assert bucket.crossings == 0  # 3 left: 70% used
    bucket.take("others")
    assert bucket.crossings == 1  # 2 left: 80% used
    bucket.take("others")
    assert bucket.crossings == 1  # still below the line: one crossing
    now[0] = 20.0  # refilled to full
    bucket.take("tap")
    for _ in range(8):
        bucket.take("others")
    assert bucket.crossings == 2
    assert bucket.taken == {"tap": 8, "others": 10}
    assert bucket.lowest == 1


def test_other_clients_spend_at_their_rate_on_the_tenants_clock():
    now = [100.0]
    bucket = RateLimit(per_second=20, burst=20, clock=lambda: now[0])
    others = OtherClients(bucket, 10, clock=lambda: now[0])
    assert others.spend_due() == pytest.approx(0.1)  # the first at once, the next in 0.1 s
    now[0] = 100.6
    others.spend_due()
    assert bucket.taken["others"] == 7  # at 0, 0.1, ..., 0.6 s
    assert bucket.too_many["others"] == 0


def test_other_clients_spend_the_tenants_bucket_while_it_serves(make_tenant):
    tenant = make_tenant(
        TenantLogs(count=10),
        rate_limit=RateLimit(per_second=20, burst=20),
        other_clients_per_second=10,
    )
    deadline = time.monotonic() + 10  # bounded: the decision is the count, not the time
    while tenant.rate_limit.taken["others"] < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert tenant.rate_limit.taken["others"] >= 3


def test_the_fake_tenant_runs_on_its_own_and_the_tap_extracts_from_it(tmp_path):
    """`python -m tap_auth0_logs.testing`, as the README shows, for users' own pipeline tests."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "tap_auth0_logs.testing", "--logs", "300", "--port", str(port)]
    with subprocess.Popen(
        [*command, "--tenant-name", "staging"],
        stdout=subprocess.PIPE,
        text=True,
    ) as server:
        assert server.stdout is not None
        assert f"at http://127.0.0.1:{port}" in server.stdout.readline()
        config = json.loads(server.stdout.readline().split("Tap config:", 1)[1])
        try:
            run = run_tap(tmp_path, config)
        finally:
            server.terminate()
    assert run.returncode == 0, run.stderr
    assert len(run.records) == 300
    # Named by its name, not its port: the same tenant however it is served.
    assert {record["tenant"] for record in run.records} == {"staging.us.auth0.com"}

"""Never lose a log: rate limits, faults, restarts and bad input, end to end."""

from __future__ import annotations

import os
import subprocess
from collections import Counter

import pytest

from tap_auth0_logs.testing import FakeAuth0, RateLimit, TenantLogs
from tests.helpers import (
    TAP,
    assert_every_state_is_covered,
    expired_bookmark,
    run_tap,
    run_tap_until_killed,
)


def statuses(tenant: FakeAuth0) -> Counter[int]:
    return Counter(r.status for r in tenant.api_requests())


def assert_state_never_passes_records(run, ids) -> None:
    """Every STATE is a resume point: it claims only logs emitted before it."""
    assert_every_state_is_covered(run, ids)


# --- rate limits ---------------------------------------------------------------------------


@pytest.mark.slow
def test_pacing_waits_for_the_bucket_instead_of_hitting_429(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=2000), rate_limit=RateLimit(per_second=8, burst=4))

    run = run_tap(tmp_path, tenant.config())

    assert run.returncode == 0, run.stderr
    assert sorted(run.log_ids) == tenant.logs.ids()
    assert statuses(tenant)[429] <= 1


@pytest.mark.slow
def test_429_waits_for_the_reset_then_continues(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=1000))
    tenant.faults.fail_next = ["ok", "ok", 429, 429, 429]

    run = run_tap(tmp_path, tenant.config(backfill_concurrency=1))

    assert run.returncode == 0, run.stderr
    assert run.log_ids == tenant.logs.ids()
    assert statuses(tenant)[429] == 3
    assert "Retrying once the tenant's rate limit allows" in run.stderr


@pytest.mark.slow
def test_rate_limit_gives_up_after_the_bounded_wait_with_a_clear_message(tmp_path, make_tenant):
    # Other clients keep the bucket empty: 429 after 429, each held until the reset.
    tenant = make_tenant(TenantLogs(count=1000))
    tenant.faults.fail_next = ["ok", "ok", *[429] * 30]

    run = run_tap(tmp_path, tenant.config(rate_limit_max_wait=2, backfill_concurrency=1))

    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert "rate limit (bucket of 1000 requests) stayed exhausted" in run.stderr
    assert run.log_ids == tenant.logs.ids()[: len(run.log_ids)]
    assert "rate_limit_max_wait" in run.stderr
    assert_state_never_passes_records(run, tenant.logs.ids())


def test_a_rate_limit_max_wait_of_zero_stops_at_the_first_429(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=1000))
    tenant.faults.fail_next = ["ok", "ok", 429]

    run = run_tap(tmp_path, tenant.config(rate_limit_max_wait=0, backfill_concurrency=1))

    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert "`rate_limit_max_wait` is 0, so the tap does not wait" in run.stderr
    assert statuses(tenant)[429] == 1
    assert_state_never_passes_records(run, tenant.logs.ids())


@pytest.mark.slow
def test_a_slow_bucket_is_waited_for_politely_however_small_rate_limit_max_wait_is(
    tmp_path, make_tenant
):
    # `rate_limit_max_wait` bounds what 429s impose; the tap's own pacing never fails a run.
    tenant = make_tenant(TenantLogs(count=1000), rate_limit=RateLimit(per_second=2, burst=2))

    run = run_tap(tmp_path, tenant.config(rate_limit_max_wait=0, backfill_concurrency=1))

    assert run.returncode == 0, run.stderr
    assert sorted(run.log_ids) == tenant.logs.ids()
    assert statuses(tenant)[429] == 0


@pytest.mark.slow
def test_token_endpoint_429_and_5xx_are_retried(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=300))
    tenant.faults.token_fail_next = [429, 503]

    run = run_tap(tmp_path, tenant.config())

    assert run.returncode == 0, run.stderr
    assert run.log_ids == tenant.logs.ids()
    assert [r.status for r in tenant.token_requests()] == [429, 503, 200]


# --- faults --------------------------------------------------------------------------------


@pytest.mark.slow
def test_20000_logs_arrive_exactly_once_through_5xx_and_dropped_connections(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=20000))
    tenant.faults.error_rate = 0.15
    tenant.faults.drop_rate = 0.03

    run = run_tap(tmp_path, tenant.config())

    assert run.returncode == 0, run.stderr
    assert sorted(run.log_ids) == tenant.logs.ids()  # each once, in any order across ranges
    seen = statuses(tenant)
    assert seen[502] + seen[503] > 10
    assert seen[-1] > 0  # connections dropped
    assert_state_never_passes_records(run, tenant.logs.ids())


@pytest.mark.parametrize("fault", ["truncate", "html", "object", "drop", 500, 502, 503, 504])
@pytest.mark.slow
def test_a_bad_answer_is_fetched_again_and_no_page_is_emitted_in_part(tmp_path, make_tenant, fault):
    tenant = make_tenant(TenantLogs(count=500))
    tenant.faults.fail_next = ["ok", "ok", "ok", fault, fault]  # probe, page 1, page 2

    run = run_tap(tmp_path, tenant.config(backfill_concurrency=1))

    assert run.returncode == 0, run.stderr
    assert run.log_ids == tenant.logs.ids()


@pytest.mark.slow
def test_read_timeouts_are_retried(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=300))
    tenant.faults.fail_next = ["ok", "stall"]
    tenant.faults.stall_seconds = 2.5

    run = run_tap(tmp_path, tenant.config(request_timeout=1))

    assert run.returncode == 0, run.stderr
    assert run.log_ids == tenant.logs.ids()
    assert "Timeout" in run.stderr or "timed out" in run.stderr


@pytest.mark.slow
def test_persistent_5xx_ends_with_a_clear_error_and_state_before_the_page(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=1000))
    tenant.faults.fail_next = ["ok", "ok", "ok", *[503] * 20]

    run = run_tap(tmp_path, tenant.config(backfill_concurrency=1))

    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert "Auth0 kept failing after 8 tries" in run.stderr
    assert run.log_ids == tenant.logs.ids()[:200]
    assert run.final_state["bookmarks"]["logs"]["replication_key_value"] == tenant.logs.ids()[199]


@pytest.mark.slow
def test_a_page_without_a_link_header_is_a_clear_error(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=500))
    tenant.faults.omit_link = True

    run = run_tap(tmp_path, tenant.config())

    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert 'without a Link rel="next" header' in run.stderr
    assert run.log_ids == tenant.logs.ids()[:100]


def test_a_next_link_to_another_host_is_refused_and_gets_no_token(tmp_path, make_tenant):
    elsewhere = make_tenant(TenantLogs(count=10))
    tenant = make_tenant(TenantLogs(count=500))
    tenant.faults.next_link_base = elsewhere.base_url

    run = run_tap(tmp_path, tenant.config())

    assert run.returncode != 0
    assert "will not send the token there" in run.stderr
    assert elsewhere.requests == []


# --- restarts ------------------------------------------------------------------------------


@pytest.mark.slow
def test_kill_9_mid_run_then_resume_loses_nothing_and_repeats_at_most_a_page(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=4000))
    tenant.faults.latency = 0.01
    first, last_state = run_tap_until_killed(tmp_path, tenant.config(), 2345)

    resumed = run_tap(tmp_path, tenant.config(), last_state)

    assert resumed.returncode == 0, resumed.stderr
    delivered = Counter(first + resumed.log_ids)
    assert set(delivered) == set(tenant.logs.ids())  # nothing missing
    repeated = [log_id for log_id, times in delivered.items() if times > 1]
    assert len(repeated) <= 100  # at most the page being written when killed


@pytest.mark.slow
def test_expired_bookmark_resumes_from_the_oldest_log_with_a_warning(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=3000))
    ids = tenant.logs.ids()
    state = expired_bookmark(tenant, 500, first_kept=1200)  # retention removed the bookmark's log

    run = run_tap(tmp_path, tenant.config(), state)

    assert run.returncode == 0, run.stderr
    assert sorted(run.log_ids) == ids[1200:]
    warning = next(
        line for line in run.stderr.splitlines() if "WARNING" in line and ids[500] in line
    )
    assert "no longer kept by Auth0" in warning
    assert "2026-11-01 00:16:" in warning  # the bookmark's time
    assert "are lost" in warning  # the window, named (tests/test_privacy_and_retention.py)


def test_expired_bookmark_fails_when_asked_to(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=3000))
    ids = tenant.logs.ids()
    state = expired_bookmark(tenant, 500, first_kept=1200)

    run = run_tap(tmp_path, tenant.config(expired_checkpoint="fail"), state)

    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert f"The checkpoint {ids[500]}" in run.stderr
    assert f"after log {ids[500]}" in run.stderr  # the window it would lose, named
    assert "(before log " in run.stderr
    assert run.records == []


@pytest.mark.slow
def test_a_400_on_from_is_treated_as_an_expired_checkpoint(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=1500))
    ids = tenant.logs.ids()
    bookmark = {"replication_key": "log_id", "replication_key_value": ids[300]}
    tenant.logs.first_kept = 700
    tenant.faults.lookup_ignores_retention = True  # the lookup still finds the bookmark's log,
    tenant.faults.reject_expired_from = True  # but Auth0 answers 400 to it as `from`

    run = run_tap(tmp_path, tenant.config(), {"bookmarks": {"logs": bookmark}})

    assert run.returncode == 0, run.stderr
    assert "no longer kept by Auth0" in run.stderr
    assert [r.status for r in tenant.api_requests()][:2] == [200, 400]
    # The synthetic checkpoint before the oldest kept log is refused too (this fake refuses any
    # `from` before its oldest log), so the tap starts at the oldest log by date, emitting it
    # first: the documented limit is the few logs ingested just before it.
    assert "starting at the oldest log" in run.stderr
    oldest = min(tenant.logs.kept(), key=lambda log: log["date"])["log_id"]
    assert run.log_ids[0] == oldest  # emitted alone, before any page
    assert sorted(run.log_ids[1:]) == [i for i in ids[700:] if i > oldest]


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.slow
def test_unknown_domain(tmp_path):
    run = run_tap(tmp_path, {"domain": "no-such-tenant.invalid", "api_token": "x"})
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert "Cannot resolve no-such-tenant.invalid" in run.stderr or "Cannot reach" in run.stderr


def test_tls_failure(tmp_path, tenant: FakeAuth0):
    https_to_plain_http = tenant.base_url.replace("http://", "https://")

    run = run_tap(tmp_path, {**tenant.config(), "domain": https_to_plain_http})

    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert "TLS failure talking to 127.0.0.1" in run.stderr
    assert "REQUESTS_CA_BUNDLE" in run.stderr


def test_414_is_a_clear_error(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=300))
    tenant.faults.fail_next = [414]

    run = run_tap(tmp_path, tenant.config())

    assert run.returncode != 0
    assert "414 Request-URI Too Large" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("content", "phrase"),
    [('{"domain": ', "is not valid JSON"), (None, "does not exist")],
)
def test_malformed_or_missing_config_file(tmp_path, content, phrase):
    path = tmp_path / "config.json"
    if content is not None:
        path.write_text(content)

    done = subprocess.run([TAP, "--config", str(path)], capture_output=True, text=True, check=False)

    assert done.returncode != 0
    assert phrase in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_no_secret_in_output_at_debug_level_when_things_fail(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=500))
    tenant.faults.fail_next = ["ok", 503, 503, "drop", 403]
    env = {**os.environ, "LOGLEVEL": "DEBUG"}

    run = run_tap(tmp_path, tenant.config(), env=env)

    assert run.returncode != 0
    everything = run.stdout + run.stderr
    assert tenant.config()["client_secret"] not in everything
    assert "fake-token-" not in everything
    assert "Bearer" not in everything

"""End to end: the tap shares the tenant's bucket with the tenant's own apps.

The fake tenant's bucket is Auth0's (whole-second `x-ratelimit-reset`, integer `remaining`,
per-minute buckets refilled once a second) and its other clients spend it at a set rate while
the installed `tap-auth0-logs` runs against it.
"""

from __future__ import annotations

import re

import pytest

from tap_auth0_logs.testing import TenantLogs
from tap_auth0_logs.testing.server import Faults, RateLimit
from tests.helpers import extract_everything

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("per_second", "burst", "per_minute", "others"),
    [
        (100 / 60, 10, True, 0.4),  # Essentials' `/logs` bucket, the tenant's apps at a quarter
        (16.0, 50, False, 4.0),  # Enterprise, the tenant's apps at a quarter
    ],
)
def test_other_clients_never_meet_a_429_nor_the_80_percent_line(
    tmp_path, make_tenant, per_second, burst, per_minute, others
):
    tenant = make_tenant(
        TenantLogs(count=1200 if per_minute else 6000),
        rate_limit=RateLimit(per_second=per_second, burst=burst, per_minute=per_minute),
        other_clients_per_second=others,
    )
    tenant.faults.latency = 0.05

    extract_everything(tmp_path, tenant)

    bucket = tenant.rate_limit
    assert bucket.taken["others"] > 0  # they did run beside the tap
    assert bucket.too_many["others"] == 0
    assert bucket.too_many["tap"] <= 2
    assert bucket.crossings == 0  # no `api_limit_warning` in the tenant's log
    assert bucket.lowest >= 0.2 * burst - 1  # others' own requests may dip into what is kept


def test_a_reserve_of_zero_spends_the_whole_bucket(tmp_path, make_tenant):
    tenant = make_tenant(
        TenantLogs(count=1200), rate_limit=RateLimit(per_second=100 / 60, burst=10, per_minute=True)
    )
    tenant.faults.latency = 0.05

    extract_everything(tmp_path, tenant, rate_limit_reserve=0)

    assert tenant.rate_limit.lowest <= 1
    assert tenant.rate_limit.too_many["tap"] <= 2


def test_a_large_reserve_leaves_most_of_the_bucket(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=1500), rate_limit=RateLimit(per_second=10, burst=40))
    tenant.faults.latency = 0.02

    extract_everything(tmp_path, tenant, rate_limit_reserve=0.5)

    assert tenant.rate_limit.lowest >= 20


def test_max_requests_per_second_caps_the_tap(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=1000), rate_limit=RateLimit(per_second=100, burst=100))

    run = extract_everything(tmp_path, tenant, max_requests_per_second=5, backfill_concurrency=4)

    # The bucket never notices the tap: 11 requests at 5 a second, against 100 a second.
    assert tenant.rate_limit.lowest >= 95
    line = re.search(
        r"Rate limit: (\d+) requests, ([\d.]+) s waiting on the bucket, "
        r"([\d.]+) s spaced by max_requests_per_second",
        run.stderr,
    )
    assert line is not None
    requests, waited, spaced = int(line[1]), float(line[2]), float(line[3])
    assert spaced >= (requests - 1) / 5 - 0.5  # the cap, not the bucket, spaced them
    assert waited < 0.5


def test_the_run_ends_with_one_line_on_what_it_spent_of_the_bucket(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=500), rate_limit=RateLimit(per_second=2, burst=2))

    run = extract_everything(tmp_path, tenant)

    lines = [line for line in run.stderr.splitlines() if "Rate limit: " in line]
    assert len(lines) == 1
    sent = len(tenant.api_requests())
    assert f"Rate limit: {sent} requests, " in lines[0]
    assert "0 answered 429, lowest level 0 of 2." in lines[0]


def test_a_tenant_without_rate_limit_headers_is_not_paced_and_no_wait_is_counted(
    tmp_path, make_tenant
):
    # A proxy that strips the headers: nothing tells the pacer of a bucket, so nothing is held
    # (the cursors of a backfill go side by side) and the closing line counts no waiting.
    tenant = make_tenant(TenantLogs(count=20_000), faults=Faults(latency=0.02))
    tenant.faults.rate_limit_headers = False

    run = extract_everything(tmp_path, tenant, backfill_concurrency=4)

    lines = [line for line in run.stderr.splitlines() if "Rate limit: " in line]
    assert len(lines) == 1
    assert "0.0 s waiting on the bucket" in lines[0]
    assert "lowest level unknown." in lines[0]
    assert "Backfill done with up to" in run.stderr  # cursors side by side, not one at a time

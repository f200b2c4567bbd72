"""Soak: a long extraction through faults and a rate limit delivers every log exactly once."""

from __future__ import annotations

from collections import Counter

import pytest

from tap_auth0_logs.testing import RateLimit, TenantLogs
from tests.helpers import assert_every_state_is_covered, run_tap

pytestmark = pytest.mark.slow


def test_200000_logs_through_faults_and_a_rate_limit_arrive_exactly_once(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=200_000), rate_limit=RateLimit(per_second=80, burst=40))
    tenant.logs.kept()  # make the logs before the clock starts mattering
    tenant.faults.error_rate = 0.05
    tenant.faults.drop_rate = 0.01
    tenant.faults.truncate_rate = 0.01
    tenant.faults.expire_tokens_after = 1000

    run = run_tap(tmp_path, tenant.config(), timeout=600)

    assert run.returncode == 0, run.stderr[-3000:]
    assert Counter(run.log_ids) == Counter(tenant.logs.ids())  # each once (ranges side by side)
    assert_every_state_is_covered(run, tenant.logs.ids())
    statuses = Counter(r.status for r in tenant.api_requests())
    assert statuses[503] + statuses[502] > 50
    assert statuses[-1] > 0
    assert 1 <= statuses[401] <= 8  # the cursors in flight when the token expired
    assert len(tenant.token_requests()) == 2  # ... and one new token for all of them
    assert run.final_state["bookmarks"]["logs"]["replication_key_value"] == tenant.logs.ids()[-1]

"""The README's main job, as a new user runs it: twice, the second run loading only new logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tap_auth0_logs.testing import FakeAuth0, TenantLogs

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def demo(output: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_AUTH0_LOGS_")}
    env["DEMO_OUTPUT"] = str(output)
    done = subprocess.run(
        [sys.executable, "-m", "demo", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_main_job_loads_the_fake_tenant_then_only_what_was_added(tmp_path):
    first = demo(tmp_path)
    second = demo(tmp_path)

    assert "using the bundled fake Auth0 tenant" in first
    assert "Loaded 10,000 logs this run" in first
    assert "Loaded 500 logs this run" in second
    for section in ("Events per type", "Failed logins per country", "Busiest client applications"):
        assert section in second
    # The dbt package ran after each load: it found every attack the fake tenant hid, the new
    # one among the second run's logs too, and wrote OCSF rows of the three classes.
    assert "The fake tenant planted 18 attacks; the package found 18 of them" in first
    assert "The fake tenant planted 19 attacks; the package found 19 of them" in second
    for class_name in ("Account Change", "Authentication", "API Activity"):
        assert class_name in second
    with duckdb.connect(str(tmp_path / "auth0_logs.duckdb"), read_only=True) as db:
        assert db.sql("select count(distinct log_id) from auth0.logs").fetchone() == (10_500,)
        events = db.sql("select count(*) from auth0_analytics.auth0__events").fetchone()
        assert events == (10_500,)

    # Then the README's next step, `--config my-tenant.json`, with another tenant: its own
    # database and state id, every one of its logs, and the fake tenant's left as they were.
    with FakeAuth0(TenantLogs(count=800, tenant_name="second")) as other:
        config = tmp_path / "my-tenant.json"
        config.write_text(json.dumps(other.config()))
        mine = demo(tmp_path, "--config", str(config))
    slug = other.base_url.split("://")[1].replace(".", "-").replace(":", "-")
    assert f"into {tmp_path}/tenants/{slug}/auth0_logs.duckdb" in mine
    assert "Loaded 800 logs this run" in mine
    with duckdb.connect(
        str(tmp_path / "tenants" / slug / "auth0_logs.duckdb"), read_only=True
    ) as db:
        assert db.sql("select count(distinct log_id) from auth0.logs").fetchone() == (800,)
    with duckdb.connect(str(tmp_path / "auth0_logs.duckdb"), read_only=True) as db:
        assert db.sql("select count(*) from auth0.logs").fetchone() == (10_500,)

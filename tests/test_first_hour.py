"""A new user's first hour: STATE that belongs to its tenant, settings checked by name, `--test`.

Each test runs the installed `tap-auth0-logs` (or `source-auth0-logs`) against fake tenants.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tap_auth0_logs.settings import Settings
from tap_auth0_logs.testing import FakeAuth0, TenantLogs
from tests.helpers import run_tap

SOURCE = str(Path(sys.executable).with_name("source-auth0-logs"))


def host_of(tenant: FakeAuth0) -> str:
    return tenant.base_url.split("://")[1]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "| ERROR" in line]


# --- STATE belongs to its tenant ------------------------------------------------------------


def test_every_state_names_its_tenant_and_another_tenants_state_is_refused_before_any_request(
    tmp_path, make_tenant
):
    first = make_tenant(TenantLogs(count=600))
    second = make_tenant(TenantLogs(count=900))
    done = run_tap(tmp_path, first.config())
    assert done.returncode == 0, done.stderr
    assert all(state["bookmarks"]["logs"]["tenant"] == host_of(first) for state in done.states)
    assert {record["tenant"] for record in done.records} == {host_of(first)}

    run = run_tap(tmp_path, second.config(), done.final_state)

    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    [line] = error_lines(run.stderr)
    assert f"belongs to the tenant {host_of(first)}" in line
    assert f"reads the tenant {host_of(second)}" in line
    assert "--state-id-suffix" in line  # the fix, for Meltano users
    assert run.records == []
    assert second.requests == []  # refused before any request, the token's included


def test_a_bookmark_that_is_no_log_of_this_tenant_is_refused_not_continued_after(
    tmp_path, make_tenant
):
    """A STATE from before tenants were recorded: the bookmark itself gives it away."""
    bigger = TenantLogs(count=3000)
    tenant = make_tenant(TenantLogs(count=1500, tenant_name="smaller"))
    # Same seed, so the ids differ only past 1,500: another tenant's newest log, ingested long
    # after this tenant's oldest log, and not among its logs.
    state = {
        "bookmarks": {
            "logs": {"replication_key": "log_id", "replication_key_value": bigger.ids()[-1]}
        }
    }

    run = run_tap(tmp_path, tenant.config(), state)

    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    [line] = error_lines(run.stderr)
    assert f"The STATE's bookmark {bigger.ids()[-1]} is not a log of this tenant" in line
    assert "would skip every log before it" in line
    assert run.records == []
    assert not [r for r in tenant.api_requests() if "from=" in r.path]  # no page was read


def test_a_start_log_id_of_another_tenant_is_refused_the_same_way(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=1500))

    run = run_tap(tmp_path, tenant.config(start_log_id=TenantLogs(count=3000).ids()[-1]))

    assert run.returncode != 0
    [line] = error_lines(run.stderr)
    assert "Setting `start_log_id`" in line
    assert "is not a log of this tenant" in line
    assert run.records == []


def test_a_bookmark_from_the_future_yields_nothing_and_says_so(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=300))
    future = "900" + "20991231235959" + "999999" + "0" * 33
    state = {"bookmarks": {"logs": {"replication_key": "log_id", "replication_key_value": future}}}

    run = run_tap(tmp_path, tenant.config(), state)

    assert run.returncode == 0, run.stderr
    assert run.records == []
    assert "is a log_id from the future (2099-12-31 23:59:59 UTC)" in run.stderr
    assert "The the" not in run.stderr


def test_a_tenant_named_by_its_api_identifier_is_one_tenant_on_any_port(tmp_path, make_tenant):
    """The demo's fake tenant is served on a new port each run: its identifier names it."""
    logs = TenantLogs(count=700)
    first = make_tenant(logs)
    done = run_tap(tmp_path, first.config(audience=first.api_identifier))
    assert done.returncode == 0, done.stderr
    assert done.final_state["bookmarks"]["logs"]["tenant"] == "fake-tenant.us.auth0.com"
    first.stop()

    logs.count += 50
    moved = make_tenant(logs)
    run = run_tap(tmp_path, moved.config(audience=moved.api_identifier), done.final_state)

    assert run.returncode == 0, run.stderr
    assert run.log_ids == logs.ids()[-50:]
    # Its records name it the same way, whatever the port: one tenant in a warehouse.
    assert {record["tenant"] for record in done.records + run.records} == {
        "fake-tenant.us.auth0.com"
    }


def test_the_airbyte_source_refuses_another_tenants_state_as_a_config_error(tmp_path, make_tenant):
    first = make_tenant(TenantLogs(count=400))
    second = make_tenant(TenantLogs(count=400))
    catalog = tmp_path / "catalog.json"
    catalog.write_text(
        json.dumps(
            {
                "streams": [
                    {
                        "stream": {
                            "name": "logs",
                            "json_schema": {},
                            "supported_sync_modes": ["full_refresh", "incremental"],
                        },
                        "sync_mode": "incremental",
                        "destination_sync_mode": "append",
                    }
                ]
            }
        )
    )

    def read(tenant: FakeAuth0, state: Path | None = None) -> list[dict]:
        config = tmp_path / "config.json"
        config.write_text(json.dumps(tenant.config()))
        args = [SOURCE, "read", "--config", str(config), "--catalog", str(catalog)]
        if state is not None:
            args += ["--state", str(state)]
        done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=300)
        messages = [json.loads(line) for line in done.stdout.splitlines()]
        return [{"returncode": done.returncode}, *messages]

    [_, *messages] = read(first)
    states = [m["state"] for m in messages if m["type"] == "STATE"]
    assert states[-1]["stream"]["stream_state"]["tenant"] == host_of(first)
    saved = tmp_path / "state.json"
    saved.write_text(json.dumps([states[-1]]))

    [status, *messages] = read(second, saved)

    assert status["returncode"] != 0
    assert not [m for m in messages if m["type"] == "RECORD"]
    [error] = [
        m["trace"]["error"] for m in messages if m["type"] == "TRACE" and "error" in m["trace"]
    ]
    assert error["failure_type"] == "config_error"
    assert host_of(first) in error["message"]
    assert host_of(second) in error["message"]
    assert second.api_requests() == []


@pytest.mark.parametrize(
    ("config", "tenant"),
    [
        ({"domain": "acme.us.auth0.com"}, "acme.us.auth0.com"),
        ({"domain": "https://ACME.us.auth0.com/"}, "acme.us.auth0.com"),
        ({"domain": "acme.us.auth0.com:443"}, "acme.us.auth0.com"),
        ({"domain": "http://127.0.0.1:8080"}, "127.0.0.1:8080"),
        (
            {"domain": "http://127.0.0.1:8080", "audience": "https://acme.eu.auth0.com/api/v2/"},
            "acme.eu.auth0.com",
        ),
    ],
)
def test_a_tenant_is_named_by_its_management_api_identifier(config, tenant):
    assert Settings.from_config(config).tenant == tenant


# --- settings checked by name, and --test --------------------------------------------------


@pytest.mark.parametrize(
    ("key", "hint"),
    [("start_dat", "`start_date`"), ("log_type", "`log_types`"), ("colour", "remove it")],
)
def test_an_unknown_setting_is_refused_with_the_nearest_name(tmp_path, make_tenant, key, hint):
    tenant = make_tenant(TenantLogs(count=100))

    run = run_tap(tmp_path, tenant.config(**{key: "2026-11-01T00:00:00Z"}))

    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert f"Setting `{key}` is not a setting of this tap" in run.stderr
    assert hint in run.stderr
    assert run.records == []
    assert tenant.requests == []


def test_the_airbyte_source_refuses_an_unknown_setting_the_same_way(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=100))
    config = tmp_path / "config.json"
    config.write_text(json.dumps(tenant.config(start_dat="2026-11-01T00:00:00Z")))

    done = subprocess.run(
        [SOURCE, "check", "--config", str(config)], capture_output=True, text=True, check=False
    )

    status = json.loads(done.stdout.splitlines()[-1])["connectionStatus"]
    assert status["status"] == "FAILED"
    assert (
        "Setting `start_dat` is not a setting of this tap: did you mean `start_date`?"
        in (status["message"])
    )


def test_test_with_a_bad_config_says_the_same_line_as_a_run(tmp_path):
    config = {"domain": "acme.us.auth0.com", "client_id": "a", "client_secret": "s3cr3t-value"}
    config["start_date"] = "last tuesday"

    tested = run_tap(tmp_path, config, None, "--test")
    ran = run_tap(tmp_path, config)

    assert tested.returncode == ran.returncode == 1
    assert "Traceback" not in tested.stderr
    assert error_lines(tested.stderr)[0].endswith(error_lines(ran.stderr)[0].split("|")[-1])
    assert "ISO-8601" in tested.stderr
    assert "s3cr3t-value" not in tested.stderr


# --- the fake tenant on its own -------------------------------------------------------------


def test_the_fake_tenant_on_a_port_in_use_says_so_in_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "tap_auth0_logs.testing", "--port", str(port)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"Cannot serve on 127.0.0.1:{port}" in done.stderr
    assert "choose another --port" in done.stderr


def test_a_run_leaves_no_file_unclosed(tmp_path, make_tenant):
    """Meltano runs taps with warnings shown: each run used to warn of an unclosed stdout copy."""
    tenant = make_tenant(TenantLogs(count=300))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONWARNINGS": "default"}

    run = run_tap(tmp_path, tenant.config(), env=env)

    assert run.returncode == 0, run.stderr
    assert len(run.records) == 300
    assert "ResourceWarning" not in run.stderr


def test_a_whole_state_message_given_as_state_is_refused_not_taken_as_no_bookmark(
    tmp_path, make_tenant
):
    tenant = make_tenant(TenantLogs(count=300))
    done = run_tap(tmp_path, tenant.config())
    message = next(m for m in reversed(done.messages) if m["type"] == "STATE")

    run = run_tap(tmp_path, tenant.config(), message)

    assert run.returncode != 0
    assert "is a whole STATE message: pass its `value`" in run.stderr
    assert run.records == []
    resumed = run_tap(tmp_path, tenant.config(), message["value"])
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.records == []

"""The README's main job, `python3 dev.py demo`, as a new user runs it.

Twice on the fake tenant (the second run loads only what was added), then on another tenant with
`--config`; a config the tap refuses stops it before Meltano starts, in one line; a stage that
fails says its own cause.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from demo.tenant import slug
from tap_auth0_logs.testing import FakeAuth0, TenantLogs
from tests.conftest import DEMO_CLONE
from tests.pipelines import meltano_system_folder, user_environment

ROOT = Path(__file__).resolve().parent.parent


def demo(
    output: Path, *args: str, ok: bool = True, **variables: str
) -> subprocess.CompletedProcess[str]:
    """`python -m demo ARGS` with its files (and Meltano's system folder) in `output`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_AUTH0_LOGS_", "MELTANO_"))}
    env |= {
        "DEMO_OUTPUT": str(output),
        "MELTANO_SYS_DIR_ROOT": str(meltano_system_folder(output.parent)),
        **variables,
    }
    done = subprocess.run(
        [sys.executable, "-m", "demo", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode == 0) == ok, done.stdout + done.stderr
    return done


def stage_lines(out: str) -> list[str]:
    """The lines that start or end a stage, as said."""
    return [line for line in out.splitlines() if re.match(r"(extract|load|dbt|export) +\S", line)]


@pytest.mark.slow
@pytest.mark.xdist_group(DEMO_CLONE)
def test_the_demo_loads_the_fake_tenant_then_only_what_was_added(demo_in_a_clone):
    first, second = demo_in_a_clone.first, demo_in_a_clone.second

    assert "the bundled fake Auth0 tenant" in first
    assert "demo:tap-auth0-logs-to-target-duckdb" in first  # its own state id, said
    # A line as each stage starts and ends: the extract with its count and rate.
    said = stage_lines(first)
    assert [line.split()[0] + " " + line.split()[1] for line in said] == [
        "extract started:",
        "extract done:",
        "load done:",
        "dbt started:",
        "dbt done",
        "export started:",
        "export done",
    ]
    assert re.search(r"extract +done: 10,000 logs in [\d.]+ s \([\d,]+ logs/s\)", first)
    assert re.search(r"extract +done: 500 logs in", second)
    assert "Loaded 10,000 logs this run" in first
    assert "Loaded 500 logs this run" in second
    for section in ("Events per type", "Failed logins per country", "Busiest client applications"):
        assert section in second
    # Findings by severity, and those new in this build: all at first, then only the attack
    # planted among the new logs (one more credential stuffing, and what it brought).
    assert "The fake tenant planted 18 attacks; the package found 18 of them" in first
    assert "The fake tenant planted 19 attacks; the package found 19 of them" in second
    assert re.search(
        r"Findings \(auth0_analytics.auth0__detections\): (\d+), \1 of them new", first
    )
    new = re.search(
        r"Findings \(auth0_analytics.auth0__detections\): [\d,]+, (\d+) of them new", second
    )
    assert new
    assert int(new.group(1)) >= 1
    above_low = re.search(r"severity +findings +new\n((?: +\w+ +\d+ +\d+\n)+)", second)
    assert above_low
    new_by_severity = {r.split()[0]: int(r.split()[2]) for r in above_low[1].splitlines()}
    new_rows = second.split("New in this build, above low")[1].split("\n\n")[0].splitlines()[2:]
    assert len(new_rows) == sum(n for s, n in new_by_severity.items() if s != "low")
    assert sum(new_by_severity.values()) == int(new.group(1))
    assert any("credential_stuffing" in row for row in new_rows)
    assert re.search(r"severity +findings +new\n +critical +\d+ +0\n", second)
    # The run's warnings: the tap's (its retention countdown, a new event code) and dbt's.
    warnings = second.split("Warnings of this run\n")[1].split("\n\n")[0]
    assert "tap-auth0-logs: Retention: the `logs` bookmark is" in warnings
    assert "the next run must start within" in warnings
    assert "dbt: assert_every_event_type_is_known:" in warnings
    # What to do next.
    for step in (
        "Your tenant",
        "meltano run tap-auth0-logs target-duckdb",
        "Airbyte",
        "first_detected_at >",
    ):
        assert step in second.split("\nNext\n")[1]
    assert demo_in_a_clone.logs_after_second == 10_500
    assert demo_in_a_clone.events_after_second == 10_500
    output = demo_in_a_clone.clone / "output" / "demo"
    exported = output / "ocsf" / "1.5.0" / "jsonl" / "detection-finding.jsonl"
    assert len(exported.read_text().splitlines()) > 15


@pytest.mark.slow
@pytest.mark.xdist_group(DEMO_CLONE)
def test_the_demo_on_another_tenant_keeps_it_apart(demo_in_a_clone, tmp_path):
    """The README's next step, `--config my-tenant.json`: its own folder and state id."""
    clone = demo_in_a_clone.clone
    fake = clone / "output" / "demo" / "auth0_logs.duckdb"

    def fake_logs() -> Any:
        with duckdb.connect(str(fake), read_only=True) as db:
            return db.sql("select count(*) from auth0.logs").fetchone()

    before = fake_logs()
    with FakeAuth0(TenantLogs(count=800, tenant_name="second")) as other:
        (clone / "my-tenant.json").write_text(json.dumps(other.config()))
        done = subprocess.run(
            ["python3", "dev.py", "demo", "--config", "my-tenant.json"],
            cwd=clone,
            env=user_environment(),
            capture_output=True,
            text=True,
            check=False,
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    name = slug(other.config())
    assert f"demo:tap-auth0-logs-to-target-duckdb:{name}" in done.stdout
    assert "Loaded 800 logs this run" in done.stdout
    with duckdb.connect(str(clone / "output" / "demo" / name / "auth0_logs.duckdb")) as db:
        assert db.sql("select count(distinct log_id) from auth0.logs").fetchone() == (800,)
    assert fake_logs() == before  # the fake tenant's, as they were


GOOD = {"domain": "acme.us.auth0.com", "client_id": "an-id", "client_secret": "a-secret"}


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (None, "does not exist: check the path"),
        ("", "is not valid JSON"),
        ("{domain: acme}", "is not valid JSON"),
        ('["acme.us.auth0.com"]', "is not a JSON object"),
        (
            json.dumps({**GOOD, "start_dat": "2026-11-01"}),
            "`start_dat` is not a setting of this tap: did you mean `start_date`?",
        ),
        (
            json.dumps({"domian": "acme.us.auth0.com", "client_id": "a", "client_secret": "b"}),
            "did you mean `domain`?",
        ),
        (
            json.dumps({**GOOD, "start_date": "2026/11/01"}),
            "`start_date` ('2026/11/01') is not an ISO-8601 timestamp",
        ),
        (
            json.dumps({**GOOD, "start_date": "01-11-2026"}),
            "`start_date` ('01-11-2026') is not an ISO-8601 timestamp",
        ),
        (json.dumps({**GOOD, "log_types": "f"}), "`log_types` is invalid"),
    ],
)
def test_a_config_the_tap_refuses_stops_the_demo_in_one_line_before_meltano(tmp_path, text, said):
    config = tmp_path / "my-tenant.json"
    if text is not None:
        config.write_text(text)

    done = demo(tmp_path / "demo", "--config", str(config), ok=False)

    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("The demo did not start: ")
    assert said in line
    assert "a-secret" not in line
    assert not (tmp_path / "demo").exists()  # Meltano never started


def test_tenant_variables_the_tap_refuses_stop_the_demo_in_one_line(tmp_path):
    done = demo(
        tmp_path / "demo",
        ok=False,
        TAP_AUTH0_LOGS_DOMAIN="acme.us.auth0.com",
        TAP_AUTH0_LOGS_CLIENT_ID="an-id",
        TAP_AUTH0_LOGS_CLIENT_SECRET="a-secret",
        TAP_AUTH0_LOGS_START_DAT="2026-11-01",
    )

    [line] = done.stderr.splitlines()
    assert "`start_dat` is not a setting of this tap: did you mean `start_date`?" in line


@pytest.mark.slow
def test_a_stage_that_fails_says_its_own_cause(installed, make_tenant, tmp_path):
    tenant = make_tenant(TenantLogs(count=300))
    config = tmp_path / "my-tenant.json"
    config.write_text(json.dumps(tenant.config()))
    output = tmp_path / "demo"
    demo(output, "--config", str(config))  # a good run first: its lines are no cause
    config.write_text(json.dumps(tenant.config(client_secret="wrong-secret")))

    done = demo(output, "--config", str(config), ok=False)

    assert "extract  started:" in done.stdout
    lines = done.stderr.splitlines()
    assert lines[0] == "extract  failed:"
    assert lines[1].strip().startswith("Auth0 rejected the client credentials (401")
    assert lines[-1].startswith("(every line of this stage: ")
    assert len(lines) == 3
    assert "wrong-secret" not in done.stdout + done.stderr

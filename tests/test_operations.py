"""What an operator meets after the first week: CLI forms, a target that stops, SIGTERM, drift."""

from __future__ import annotations

import json
import signal
import subprocess
from collections import Counter

import pytest

from tap_auth0_logs.records.schema import LOG_EVENT
from tap_auth0_logs.testing import TenantLogs
from tests.helpers import TAP, TapRun, assert_every_state_is_covered, run_tap


def clear_failure(done: subprocess.CompletedProcess[str], phrase: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "Exception ignored" not in done.stderr
    assert phrase in done.stderr, done.stderr


@pytest.mark.parametrize("option", ["--config", "--state", "--catalog"])
def test_a_missing_file_in_the_equals_form_is_one_clear_line(tmp_path, tenant, option):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(tenant.config()))
    missing = tmp_path / "missing.json"
    args = [f"--config={missing}"] if option == "--config" else ["--config", str(config)]
    if option != "--config":
        args.append(f"{option}={missing}")

    done = subprocess.run([TAP, *args], capture_output=True, text=True, check=False)

    clear_failure(done, f"The {option} file {missing} does not exist")


def test_an_invalid_file_in_the_equals_form_is_one_clear_line(tmp_path):
    bad = tmp_path / "config.json"
    bad.write_text("{not json")

    done = subprocess.run([TAP, f"--config={bad}"], capture_output=True, text=True, check=False)

    clear_failure(done, "is not valid JSON")


def test_a_target_that_stops_reading_gets_one_clear_line(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=20_000))
    config = tmp_path / "config.json"
    config.write_text(json.dumps(tenant.config(backfill_concurrency=1)))
    process = subprocess.Popen(
        [TAP, "--config", str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    records = 0
    for line in process.stdout:  # read like `| head`, then stop
        records += json.loads(line)["type"] == "RECORD"
        if records == 150:
            break
    process.stdout.close()
    _, stderr = process.communicate(timeout=120)

    done = subprocess.CompletedProcess(process.args, process.returncode, "", stderr)
    clear_failure(done, "The target closed the pipe after")
    assert "the next run resumes from the last STATE the target received" in stderr
    assert "An unhandled error occurred" not in stderr


@pytest.mark.slow
def test_sigterm_ends_the_run_and_its_last_state_resumes_without_gaps(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=3000))
    tenant.faults.latency = 0.05
    config = tenant.config(backfill_concurrency=1)
    (tmp_path / "config.json").write_text(json.dumps(config))
    messages = []
    with subprocess.Popen(
        [TAP, "--config", str(tmp_path / "config.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        for line in process.stdout:
            messages.append(json.loads(line))
            if sum(m["type"] == "RECORD" for m in messages) == 550:
                process.send_signal(signal.SIGTERM)
                break
        messages += [json.loads(line) for line in process.stdout]  # written while stopping
        process.wait(timeout=30)  # a liveness bound, not a measurement
        stderr = process.stderr.read()

    # An orderly stop: the SDK writes the STATE and exits 0 (orchestrators stop runs this way).
    assert process.returncode == 0
    assert "Traceback" not in stderr
    first = TapRun(process.returncode, "", "", messages)
    ids = tenant.logs.ids()
    assert 550 <= len(first.log_ids) < len(ids)
    assert_every_state_is_covered(first, ids)
    second = run_tap(tmp_path, config, first.final_state)
    assert second.returncode == 0, second.stderr
    assert set(first.log_ids) | set(second.log_ids) == set(ids)  # nothing lost
    assert len(set(first.log_ids) & set(second.log_ids)) <= 100  # at most the page being written


@pytest.mark.slow
def test_request_timeout_applies_to_the_token_request(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=50))
    tenant.faults.token_stalls, tenant.faults.stall_seconds = 1, 4.0

    run = run_tap(tmp_path, tenant.config(request_timeout=1))

    assert run.returncode == 0, run.stderr
    assert len(tenant.token_requests()) == 2  # the stalled one timed out and was tried again
    assert len(run.records) == 50


@pytest.mark.slow
def test_schema_drift_is_named_once_as_it_appears_and_counted_at_the_end(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=3000))
    logs = tenant.logs.kept()
    new_keys = Counter(key for log in logs for key in log if key not in LOG_EVENT["properties"])
    new_types = Counter(log["type"] for log in logs if log["type"] == "x_new_event_2027")
    assert new_keys
    assert new_types  # the fake tenant sends both kinds of drift

    run = run_tap(tmp_path, tenant.config())

    assert run.returncode == 0, run.stderr
    warnings = [line for line in run.stderr.splitlines() if "WARNING" in line]
    for key in new_keys:
        assert sum(f"`{key}`" in line for line in warnings) == 1
    assert sum("`x_new_event_2027`" in line for line in warnings) == 1
    summary = [line for line in run.stderr.splitlines() if "Schema drift in `logs`" in line]
    assert len(summary) == 1
    for key, count in new_keys.items():
        assert f"{key} ({count:,})" in summary[0]
    assert f"x_new_event_2027 ({new_types['x_new_event_2027']:,})" in summary[0]


@pytest.mark.slow
def test_every_record_carries_every_declared_key(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=1500))  # three 20-minute periods of the fake's logs
    declared = list(LOG_EVENT["properties"])
    sizes = {len(set(declared) & set(log)) for log in tenant.logs.kept()}
    assert len(sizes) > 1  # Auth0 sends some keys in one period and omits them in another

    run = run_tap(tmp_path, tenant.config())

    assert run.returncode == 0, run.stderr
    assert all(list(record) == declared for record in run.records)


@pytest.mark.parametrize(
    ("option", "content", "said"),
    [
        ("--state", {"bookmarks": "nope"}, "has `bookmarks` that is not an object of streams"),
        ("--state", [1, 2], "is not a JSON object, as a STATE is"),
        ("--state", {"bookmarks": {"logs": 5}}, "has a bookmark for `logs` that is not an object"),
        ("--catalog", {"streams": 5}, "has no `streams` list"),
        (
            "--catalog",
            {"streams": [{"schema": {}}]},
            "has a stream (number 1) without a `tap_stream_id`",
        ),
        ("--catalog", "catalog", "is not a JSON object, as a catalog is"),
        ("--config", [], "is not a JSON object, as a config is"),
    ],
)
def test_a_state_or_catalog_file_of_the_wrong_shape_is_one_clear_line(
    tmp_path, tenant, option, content, said
):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(tenant.config()))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(content))
    args = ["--config", str(config)] if option != "--config" else []
    args += [option, str(bad)]

    done = subprocess.run([TAP, *args], capture_output=True, text=True, check=False)

    clear_failure(done, f"The {option} file {bad} {said}")
    assert tenant.requests == []  # nothing read from the tenant
    assert done.stdout == ""  # nothing written

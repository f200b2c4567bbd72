"""`source-auth0-logs`, the Airbyte source, as a process against the fake tenant."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from airbyte_protocol.models import AirbyteMessage
from jsonschema import Draft7Validator

from tap_auth0_logs.singer.state import StreamState
from tap_auth0_logs.testing import DEFAULT_CLIENT_SECRET, FakeAuth0, TenantLogs
from tap_auth0_logs.testing.server import RateLimit

pytestmark = pytest.mark.slow

SOURCE = str(Path(sys.executable).with_name("source-auth0-logs"))
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "airbyte" / "integration_tests"


@dataclass
class SourceRun:
    """What one command of the source printed; every stdout line is an AirbyteMessage."""

    returncode: int
    messages: list[dict[str, Any]]
    stderr: str

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    @property
    def log_ids(self) -> list[str]:
        return [m["record"]["data"]["log_id"] for m in self.of("RECORD")]

    def statuses(self, stream: str) -> list[str]:
        return [
            m["trace"]["stream_status"]["status"]
            for m in self.of("TRACE")
            if m["trace"]["type"] == "STREAM_STATUS"
            and m["trace"]["stream_status"]["stream_descriptor"]["name"] == stream
        ]

    def state_file(self, path: Path) -> Path:
        """The last STATE of each stream, as Airbyte would pass it back."""
        last = {
            m["state"]["stream"]["stream_descriptor"]["name"]: m["state"] for m in self.of("STATE")
        }
        path.write_text(json.dumps(list(last.values())))
        return path


def parse(stdout: str) -> list[dict[str, Any]]:
    lines = stdout.splitlines()
    for line in lines:
        AirbyteMessage.model_validate_json(line)  # nothing else on stdout
    return [json.loads(line) for line in lines]


def run_source(*args: str, timeout: float = 300, env: dict[str, str] | None = None) -> SourceRun:
    done = subprocess.run(
        [SOURCE, *args], capture_output=True, text=True, timeout=timeout, check=False, env=env
    )
    return SourceRun(done.returncode, parse(done.stdout), done.stderr)


def config_file(tmp_path: Path, config: dict[str, Any]) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return str(path)


def catalog_file(tmp_path: Path, streams: dict[str, str]) -> str:
    """A configured catalog: the discovered streams named in `streams`, with their sync mode."""
    catalog = {
        "streams": [
            {
                "stream": {
                    "name": name,
                    "json_schema": {},
                    "supported_sync_modes": ["full_refresh", "incremental"],
                },
                "sync_mode": mode,
                "destination_sync_mode": "append",
            }
            for name, mode in streams.items()
        ]
    }
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog))
    return str(path)


def read(tmp_path: Path, tenant: FakeAuth0, state: Path | None = None, **kwargs: Any) -> SourceRun:
    mode = kwargs.pop("mode", "incremental")
    env = kwargs.pop("env", None)
    args = [
        "read",
        "--config",
        config_file(tmp_path, tenant.config(**kwargs)),
        "--catalog",
        catalog_file(tmp_path, {"logs": mode}),
    ]
    if state is not None:
        args += ["--state", str(state)]
    return run_source(*args, env=env)


def test_spec_is_a_draft7_schema_from_the_taps_settings():
    run = run_source("spec")

    assert run.returncode == 0
    (message,) = run.messages
    schema = message["spec"]["connectionSpecification"]
    Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["required"] == ["domain"]
    secrets = {name for name, prop in schema["properties"].items() if prop.get("airbyte_secret")}
    assert secrets == {"client_secret", "api_token", "pseudonymize_key"}
    assert schema["properties"]["domain"]["title"] == "Domain"
    assert schema["properties"]["domain"]["examples"] == ["acme.us.auth0.com"]
    assert "backfill_concurrency" in schema["properties"]
    assert Draft7Validator(schema).is_valid({"domain": "acme.us.auth0.com", "api_token": "t"})
    assert not Draft7Validator(schema).is_valid({"domain": "x", "backfill_concurrency": 99})


def test_check_succeeds_with_good_credentials(tmp_path, tenant):
    run = run_source("check", "--config", config_file(tmp_path, tenant.config()))

    assert run.returncode == 0
    assert [m["connectionStatus"]["status"] for m in run.messages] == ["SUCCEEDED"]


def test_check_fails_clearly_with_a_wrong_secret_and_exits_0(tmp_path, tenant):
    config = {**tenant.config(), "client_secret": "wrong-secret"}

    run = run_source("check", "--config", config_file(tmp_path, config))

    assert run.returncode == 0
    (message,) = run.messages
    assert message["connectionStatus"]["status"] == "FAILED"
    assert "rejected the client credentials" in message["connectionStatus"]["message"]
    for secret in ("wrong-secret", DEFAULT_CLIENT_SECRET):
        assert secret not in json.dumps(run.messages) + run.stderr


def test_check_fails_clearly_with_a_bad_domain(tmp_path):
    run = run_source("check", "--config", config_file(tmp_path, {"domain": "http://x.com"}))

    assert run.returncode == 0
    assert run.messages[0]["connectionStatus"]["status"] == "FAILED"
    assert "plain http" in run.messages[0]["connectionStatus"]["message"]


def test_discover_lists_every_stream_resumable_by_log_id(tmp_path, tenant):
    run = run_source("discover", "--config", config_file(tmp_path, tenant.config()))

    assert run.returncode == 0
    streams = {s["name"]: s for s in run.messages[0]["catalog"]["streams"]}
    assert set(streams) == {"logs", "log_search", "user_logs"}
    for stream in streams.values():
        assert stream["supported_sync_modes"] == ["full_refresh", "incremental"]
        assert stream["source_defined_cursor"] is True
        assert stream["default_cursor_field"] == ["log_id"]
        assert stream["source_defined_primary_key"] == [["tenant"], ["log_id"]]
        assert stream["is_resumable"] is True
        assert {"tenant", "log_id"} <= set(stream["json_schema"]["properties"])


def test_a_read_delivers_every_log_once_with_states_and_statuses(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=2500))

    run = read(tmp_path, tenant, tmp_path / "absent.json")

    assert run.returncode == 0, run.stderr
    assert Counter(run.log_ids) == Counter(tenant.logs.ids())
    assert all(isinstance(m["record"]["emitted_at"], int) for m in run.of("RECORD"))
    # Every record names its tenant, as the tap's STATE does: connections can share a destination.
    assert {m["record"]["data"]["tenant"] for m in run.of("RECORD")} == {
        tenant.base_url.split("://")[1]
    }
    states = run.of("STATE")
    assert states
    assert all(s["state"]["type"] == "STREAM" for s in states)
    assert sum(s["state"]["sourceStats"]["recordCount"] for s in states) == 2500
    # Each STATE is a bookmark that moved, and the count of the records it covers goes with it.
    blobs = [s["state"]["stream"]["stream_state"] for s in states]
    assert all(blob["replication_key_value"] for blob in blobs)
    assert all(before != after for before, after in itertools.pairwise(blobs))
    first = run.messages.index(states[0])
    before_first = sum(1 for m in run.messages[:first] if m["type"] == "RECORD")
    assert states[0]["state"]["sourceStats"]["recordCount"] == before_first > 0
    assert (
        states[-1]["state"]["stream"]["stream_state"]["replication_key_value"]
        == (tenant.logs.ids()[-1])
    )
    assert run.statuses("logs") == ["STARTED", "RUNNING", "COMPLETE"]
    last = run.messages.index(states[-1])
    assert all(m["type"] != "RECORD" for m in run.messages[last:])  # STATE after its records


@pytest.mark.parametrize("first_state", ["[]", None])
def test_a_second_incremental_read_brings_only_new_logs(tmp_path, make_tenant, first_state):
    tenant = make_tenant(TenantLogs(count=1200))
    state = None
    if first_state is not None:
        state = tmp_path / "first.json"
        state.write_text(first_state)
    first = read(tmp_path, tenant, state)
    tenant.logs.count += 300
    saved = first.state_file(tmp_path / "state.json")
    # as PyAirbyte passes it back: per-stream states with extra null keys
    passed = json.loads(saved.read_text())
    saved.write_text(
        json.dumps(
            [{**s, "global_": None, "stream": {**s["stream"], "namespace": None}} for s in passed]
        )
    )

    second = read(tmp_path, tenant, saved)

    assert sorted(first.log_ids) == tenant.logs.ids()[:1200]
    assert second.returncode == 0, second.stderr
    assert sorted(second.log_ids) == tenant.logs.ids()[1200:]


def test_full_refresh_ignores_the_state(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=800))
    saved = read(tmp_path, tenant).state_file(tmp_path / "state.json")

    again = read(tmp_path, tenant, saved, mode="full_refresh")

    assert sorted(again.log_ids) == tenant.logs.ids()


def test_the_acceptance_tests_abnormal_state_yields_no_records(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=500))

    run = read(tmp_path, tenant, FIXTURES / "abnormal_state.json")

    assert run.returncode == 0, run.stderr
    assert run.log_ids == []


def test_the_acceptance_tests_fixtures_match_the_source(tmp_path, tenant):
    spec = run_source("spec").messages[0]["spec"]
    assert json.loads((FIXTURES / "spec.json").read_text()) == spec
    invalid = run_source("check", "--config", str(FIXTURES / "invalid_config.json"))
    assert invalid.messages[0]["connectionStatus"]["status"] == "FAILED"
    run = run_source(
        "read",
        "--config",
        config_file(tmp_path, tenant.config()),
        "--catalog",
        str(FIXTURES / "configured_catalog.json"),
    )
    assert run.returncode == 0, run.stderr
    assert sorted(run.log_ids) == tenant.logs.ids()


def test_the_images_entrypoint_is_the_installed_source():
    """The Dockerfile's pinned default base and entrypoint agree with the metadata and the package.

    (tests/test_airbyte_image.py builds and runs the image itself, where Docker runs.)
    """
    dockerfile = (ROOT / "airbyte" / "Dockerfile").read_text()
    base = re.search(r"^ARG BASE_IMAGE=(\S+)", dockerfile, re.MULTILINE)
    assert re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE) == ["${BASE_IMAGE}"] * 2
    entrypoint = re.search(r'^ENV AIRBYTE_ENTRYPOINT="([^"]+)"', dockerfile, re.MULTILINE)
    command = re.search(r"^ENTRYPOINT (\[.*\])", dockerfile, re.MULTILINE)
    assert base is not None
    assert entrypoint is not None
    assert command is not None
    assert re.fullmatch(r"\S+:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}", base.group(1))  # pinned
    assert json.loads(command.group(1)) == entrypoint.group(1).split()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entrypoint.group(1) in scripts
    metadata = yaml.safe_load((ROOT / "airbyte" / "metadata.yaml").read_text())["data"]
    assert metadata["connectorBuildOptions"]["baseImage"] == base.group(1)
    assert metadata["connectorType"] == "source"
    assert metadata["allowedHosts"]["hosts"] == ["*.auth0.com"]
    executable = str(Path(sys.executable).with_name(entrypoint.group(1)))
    done = subprocess.run([executable, "spec"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert parse(done.stdout)[0]["type"] == "SPEC"


def test_a_read_killed_with_sigkill_resumes_from_its_last_state_losing_nothing(
    tmp_path, make_tenant
):
    tenant = make_tenant(TenantLogs(count=4000))
    args = [
        "read",
        "--config",
        config_file(tmp_path, tenant.config()),
        "--catalog",
        catalog_file(tmp_path, {"logs": "incremental"}),
    ]
    lines = []
    with subprocess.Popen(
        [SOURCE, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if sum('"RECORD"' in seen for seen in lines) == 1700:
                os.kill(process.pid, signal.SIGKILL)
                break
        process.wait()
    first = SourceRun(process.returncode, parse("".join(lines)), "")
    assert first.returncode == -signal.SIGKILL

    second = read(tmp_path, tenant, first.state_file(tmp_path / "state.json"))

    assert second.returncode == 0, second.stderr
    assert set(first.log_ids) | set(second.log_ids) == set(tenant.logs.ids())
    assert len(set(first.log_ids) & set(second.log_ids)) <= 8 * 100  # at most a page a cursor


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("", "is empty"),
        ("not json", "is not a JSON list of Airbyte STREAM states"),
    ],
)
def test_a_state_file_that_is_empty_missing_or_not_states_is_refused_not_read_as_none(
    tmp_path, tenant, content, said
):
    state = tmp_path / "state.json"
    state.write_text(content)

    run = read(tmp_path, tenant, state)

    assert run.returncode != 0
    assert run.of("RECORD") == []  # never the whole tenant again
    errors = [m["trace"]["error"] for m in run.of("TRACE") if m["trace"]["type"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["failure_type"] == "config_error"
    assert said in errors[0]["message"]
    assert "leave --state out to read from the start" in errors[0]["message"]
    assert "Traceback" not in run.stderr


def test_a_wrong_secret_in_read_is_a_config_error_trace_without_the_secret(tmp_path, tenant):
    run = read(
        tmp_path, tenant, client_secret="wrong-secret", env={**os.environ, "LOGLEVEL": "DEBUG"}
    )

    assert run.returncode != 0
    errors = [m["trace"]["error"] for m in run.of("TRACE") if m["trace"]["type"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["failure_type"] == "config_error"
    assert "rejected the client credentials" in errors[0]["message"]
    assert "wrong-secret" not in json.dumps(run.messages) + run.stderr
    assert "Traceback" not in run.stderr


def test_exhausted_retries_are_a_transient_error_and_the_stream_incomplete(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=700))
    tenant.faults.fail_next = ["ok", "ok"] + [503] * 20

    run = read(tmp_path, tenant, backfill_concurrency=1)

    assert run.returncode != 0
    errors = [m["trace"]["error"] for m in run.of("TRACE") if m["trace"]["type"] == "ERROR"]
    assert [e["failure_type"] for e in errors] == ["transient_error"]
    assert run.statuses("logs")[-1] == "INCOMPLETE"


@pytest.mark.slow
def test_a_long_wait_on_the_rate_limit_is_a_rate_limited_stream_status(tmp_path, make_tenant):
    # A bucket of 2 that gains a request every 6 s: the third page waits about that long.
    tenant = make_tenant(TenantLogs(count=250), rate_limit=RateLimit(per_second=1 / 6, burst=2))

    run = read(tmp_path, tenant, rate_limit_reserve=0)

    assert run.returncode == 0, run.stderr
    assert sorted(run.log_ids) == tenant.logs.ids()
    rate_limited = [
        m["trace"]["stream_status"]
        for m in run.of("TRACE")
        if m["trace"]["type"] == "STREAM_STATUS" and m["trace"]["stream_status"].get("reasons")
    ]
    assert rate_limited
    for status in rate_limited:
        assert status["status"] == "RUNNING"
        (reason,) = status["reasons"]
        assert reason["type"] == "RATE_LIMITED"
        assert reason["rate_limited"]["quota_reset"] > 1_000 * 1_700_000_000  # Unix ms
    assert run.statuses("logs")[-1] == "COMPLETE"


def test_a_read_carries_pseudonyms_the_countdown_and_lost_windows(tmp_path, make_tenant):
    samples = json.loads((Path(__file__).parent / "sample_logs.json").read_text())
    tenant = make_tenant(TenantLogs(count=1400, templates=tuple(samples)))
    ids = tenant.logs.ids()
    plain = {s[f] for s in samples for f in ("user_id", "user_name", "ip") if s.get(f)}
    bookmark = {"replication_key": "log_id", "replication_key_value": ids[300]}
    tenant.logs.first_kept = 700
    state = tmp_path / "state.json"
    descriptor = {"stream_descriptor": {"name": "logs"}, "stream_state": bookmark}
    state.write_text(json.dumps([{"type": "STREAM", "stream": descriptor}]))

    run = read(tmp_path, tenant, state, pseudonymize_key="k3y-kept-apart-from-the-data")

    assert run.returncode == 0, run.stderr
    assert not any(value in json.dumps(run.messages) + run.stderr for value in plain)
    users = {m["record"]["data"].get("user_id") for m in run.of("RECORD")} - {None, ""}
    assert users
    assert all(user.startswith("hmac-sha256:1:") for user in users)
    warnings = [m["log"]["message"] for m in run.of("LOG") if m["log"]["level"] == "WARN"]
    assert any("no longer kept" in w and f"after log {ids[300]}" in w for w in warnings)
    assert any(w.startswith("Retention: the `logs` bookmark is") for w in warnings)
    last = StreamState(run.of("STATE")[-1]["state"]["stream"]["stream_state"], "logs")
    assert [gap["after_log_id"] for gap in last.gaps] == [ids[300]]


def test_help_speaks_to_a_user_for_the_source_and_each_command():
    """`--help` says what the source and each command do, and every option, in a user's words."""

    def help_of(*command: str) -> str:
        done = subprocess.run(
            [SOURCE, *command, "--help"], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    top = help_of()
    assert "Auth0" in top
    for command in ("spec", "check", "discover", "read"):
        # Each command listed with a line of its own saying what it does ...
        assert re.search(rf"^ +{command} +\w+", top, re.M), command
        text = help_of(command)
        # ... and its own help: a description, and each option explained.
        description = text.split("\n\n")[1]
        assert not description.startswith("options:"), command
        for option in re.findall(r"^  (--\w+) FILE(.*)$", text, re.M):
            assert option[1].strip(), f"{command} {option[0]} has no help"
    for jargon in ("room", "TapAuth0Logs", "in-process", "Singer"):
        assert jargon not in top + help_of("read"), jargon

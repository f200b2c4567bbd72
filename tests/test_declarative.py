"""The declarative `logs` stream (airbyte/declarative/), run by airbyte-cdk as Airbyte Cloud runs it.

Side by side with `source-auth0-logs` on the same fake tenants: every log delivered, logs that
arrive late in date order, a tenant past the 1,000-result cap, the tenant's bucket, a read
stopped half way. What the declarative stream cannot do is asserted as what it does, so the
README's table stays true.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from tap_auth0_logs.schema import LOG_EVENT
from tap_auth0_logs.testing import FakeAuth0, TenantLogs
from tap_auth0_logs.testing.server import RateLimit
from tests.airbyte_runs import (
    MANIFEST,
    airbyte_environment,
    declarative_command,
    declarative_config,
    run,
    search_mode_manifest,
    tap_source,
)

ROOT = Path(__file__).resolve().parent.parent
DECLARATIVE = ROOT / "airbyte" / "declarative"


def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text())


# --- the manifest, read as a file --------------------------------------------------------------


def test_the_spec_uses_source_auth0s_names_where_they_overlap():
    spec = manifest()["spec"]["connection_specification"]
    Draft7Validator.check_schema(spec)
    assert spec["required"] == ["base_url", "credentials"]
    assert {"base_url", "start_date", "credentials"} <= set(spec["properties"])
    methods = {
        option["properties"]["auth_type"]["const"]: option
        for option in spec["properties"]["credentials"]["oneOf"]
    }
    assert set(methods) == {"oauth2_confidential_application", "oauth2_access_token"}
    confidential = methods["oauth2_confidential_application"]["properties"]
    assert {"client_id", "client_secret", "audience"} <= set(confidential)
    assert confidential["client_secret"]["airbyte_secret"] is True
    assert methods["oauth2_access_token"]["properties"]["access_token"]["airbyte_secret"] is True
    valid = {
        "base_url": "https://acme.us.auth0.com/",
        "credentials": {"auth_type": "oauth2_access_token", "access_token": "t"},
    }
    assert list(Draft7Validator(spec).iter_errors(valid)) == []


def test_the_manifest_has_no_custom_python_and_says_what_a_manifest_only_connector_says():
    text = MANIFEST.read_text()
    assert not re.search(r"type:\s*Custom", text)
    assert "class_name" not in text
    assert not (DECLARATIVE / "components.py").exists()
    metadata = yaml.safe_load((DECLARATIVE / "metadata.yaml").read_text())["data"]
    assert {"language:manifest-only", "cdk:low-code"} <= set(metadata["tags"])
    assert metadata["connectorBuildOptions"]["baseImage"].startswith(
        "docker.io/airbyte/source-declarative-manifest:"
    )
    assert metadata["connectorType"] == "source"
    assert metadata["allowedHosts"]["hosts"] == ["*.auth0.com"]


def test_the_schema_has_the_taps_fields():
    """Every field of a log event the tap declares, less the two the tap adds itself."""
    properties = manifest()["schemas"]["logs"]["properties"]
    assert set(properties) == set(LOG_EVENT["properties"]) - {"type_description", "extra_fields"}
    assert properties["scope"]["type"] == ["string", "array", "null"]  # as Auth0 sends it


# --- run by airbyte-cdk -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdk() -> list[str]:
    return declarative_command(airbyte_environment())


def ids_in(*runs) -> Counter[str]:
    return Counter(log_id for one in runs for log_id in one.log_ids)


@pytest.mark.slow
def test_check_succeeds_with_either_credential_and_fails_clearly_with_a_wrong_secret(
    cdk, tmp_path, make_tenant
):
    tenant = make_tenant(TenantLogs(count=50), api_tokens={"ready-token": ("read:logs",)})

    good = run([*cdk, "check"], tmp_path, declarative_config(tenant))
    token = run([*cdk, "check"], tmp_path, declarative_config(tenant, token="ready-token"))
    config = declarative_config(tenant)
    config["credentials"]["client_secret"] = "wrong-secret"
    wrong = run([*cdk, "check"], tmp_path, config)

    assert good.of("CONNECTION_STATUS")[0]["connectionStatus"]["status"] == "SUCCEEDED"
    assert token.of("CONNECTION_STATUS")[0]["connectionStatus"]["status"] == "SUCCEEDED"
    failed = wrong.of("CONNECTION_STATUS")[0]["connectionStatus"]
    assert failed["status"] == "FAILED"
    assert "wrong-secret" not in json.dumps(wrong.messages) + wrong.stderr


@pytest.mark.slow
def test_discover_offers_logs_incremental_on_date_keyed_by_tenant_and_log_id(
    cdk, tmp_path, make_tenant
):
    tenant = make_tenant(TenantLogs(count=50))

    [stream] = run([*cdk, "discover"], tmp_path, declarative_config(tenant)).of("CATALOG")[0][
        "catalog"
    ]["streams"]

    assert stream["name"] == "logs"
    assert set(stream["supported_sync_modes"]) == {"full_refresh", "incremental"}
    assert stream["default_cursor_field"] == ["date"]
    assert stream["source_defined_primary_key"] == [["tenant"], ["log_id"]]


@pytest.mark.slow
def test_two_reads_deliver_every_log_at_least_once_and_dedup_on_log_id_leaves_each_once(
    cdk, tmp_path, make_tenant
):
    """Past the 1,000-result cap of search (checkpoint pages have none), then 700 new logs.

    Both sources name the tenant in every record the same way: by the Management API identifier
    the token is asked for (here the fake tenant's, whatever port it is served on).
    """
    tenant = make_tenant(TenantLogs(count=2500))
    declarative = declarative_config(tenant)
    declarative["credentials"]["audience"] = tenant.api_identifier
    first = run([*cdk, "read"], tmp_path, declarative, read=True)
    assert first.returncode == 0, first.stderr[-3000:]
    assert sorted(first.log_ids) == tenant.logs.ids()  # 2,500: no cap, each once
    saved = first.state_file(tmp_path / "state.json")
    assert saved is not None
    [state] = json.loads(saved.read_text())
    assert re.fullmatch(r"900\d{53}", state["stream"]["stream_state"]["date"])

    tenant.logs.count += 700
    second = run([*cdk, "read"], tmp_path, declarative, read=True, state=saved)

    assert second.returncode == 0, second.stderr[-3000:]
    delivered = ids_in(first, second)
    assert set(delivered) == set(tenant.logs.ids())  # nothing lost
    repeated = [log_id for log_id, times in delivered.items() if times > 1]
    # Only the logs ingested in the seconds after the newest date read (dated up to 5.4 s before
    # their ingestion, one every 2 s) come again.
    assert 1 <= len(repeated) <= 4
    # The tap's Airbyte source on the same tenant: exactly once, nothing to deduplicate.
    command, config = tap_source(tenant)
    config["audience"] = tenant.api_identifier
    tenant.logs.count -= 700
    tap_first = run(command, tmp_path, config, read=True)
    tenant.logs.count += 700
    tap_second = run(
        command, tmp_path, config, read=True, state=tap_first.state_file(tmp_path / "tap.json")
    )
    assert ids_in(tap_first, tap_second) == Counter(tenant.logs.ids())
    tenants = {
        name: {m["record"]["data"]["tenant"] for one in runs for m in one.of("RECORD")}
        for name, runs in {"manifest": (first, second), "tap": (tap_first, tap_second)}.items()
    }
    assert tenants == {
        "manifest": {"fake-tenant.us.auth0.com"},
        "tap": {"fake-tenant.us.auth0.com"},
    }


@pytest.mark.slow
def test_logs_that_arrive_late_in_date_order_are_not_lost(cdk, tmp_path, make_tenant):
    """A log is dated up to 5.4 s before Auth0 ingests it, so a new log may be dated before the
    newest one already read. Reading `from` the state's checkpoint gets it (ingestion order);
    the declarative framework's usual date filter (`is_client_side_incremental`) would drop it."""
    tenant = make_tenant(TenantLogs(count=1500, gap=0.5))
    filtering = yaml.safe_load(MANIFEST.read_text())
    filtering["definitions"]["logs"]["incremental_sync"]["is_client_side_incremental"] = True
    (tmp_path / "filtering.yaml").write_text(yaml.safe_dump(filtering))
    first = run([*cdk, "read"], tmp_path, declarative_config(tenant), read=True)
    saved = first.state_file(tmp_path / "state.json")
    tenant.logs.count += 400

    second = run([*cdk, "read"], tmp_path, declarative_config(tenant), read=True, state=saved)
    filtered = run(
        [*cdk, "read"],
        tmp_path,
        declarative_config(tenant),
        read=True,
        state=saved,
        manifest=tmp_path / "filtering.yaml",
    )

    assert set(tenant.logs.ids()) == set(ids_in(first, second))
    newest_read = max(r["record"]["data"]["date"] for r in first.of("RECORD"))
    late = [log["log_id"] for log in tenant.logs.kept()[1500:] if log["date"] < newest_read]
    assert late  # the case is real: new logs dated before the newest log already read
    assert set(late) <= set(second.log_ids)
    assert not set(late) & set(filtered.log_ids)  # a date filter loses every one of them


@pytest.mark.slow
def test_a_read_killed_half_way_starts_again_from_the_last_completed_state(
    cdk, tmp_path, make_tenant
):
    """State comes when the read's one slice closes, so a read killed half way saved none."""
    tenant = make_tenant(TenantLogs(count=3000))
    killed = run(
        [*cdk, "read"], tmp_path, declarative_config(tenant), read=True, kill_after_records=1500
    )
    assert killed.of("STATE") == []
    again = run([*cdk, "read"], tmp_path, declarative_config(tenant), read=True)

    assert set(again.log_ids) == set(tenant.logs.ids())
    repeated = set(killed.log_ids) & set(again.log_ids)
    assert len(repeated) >= 1500  # everything the killed read had delivered, again
    # The tap's source saves a state after every page: it repeats at most the page being written.
    command, config = tap_source(tenant)
    tap_killed = run(command, tmp_path, config, read=True, kill_after_records=1500)
    saved = tap_killed.state_file(tmp_path / "tap.json")
    assert saved is not None
    tap_again = run(command, tmp_path, config, read=True, state=saved)
    assert set(tap_killed.log_ids) | set(tap_again.log_ids) == set(tenant.logs.ids())
    assert len(set(tap_killed.log_ids) & set(tap_again.log_ids)) <= 100 * 8


@pytest.mark.slow
def test_on_a_shared_bucket_both_finish_and_the_tap_leaves_the_other_clients_room(
    cdk, tmp_path, make_tenant
):
    """Essentials' 10-request bucket, refilled every second, with the tenant's apps at 0.4/s."""

    def tenant() -> FakeAuth0:
        return make_tenant(
            TenantLogs(count=1500),
            rate_limit=RateLimit(per_second=100 / 60, burst=10, per_minute=True),
            other_clients_per_second=0.4,
        )

    declarative_tenant = tenant()
    declarative = run([*cdk, "read"], tmp_path, declarative_config(declarative_tenant), read=True)
    tap_tenant = tenant()
    command, config = tap_source(tap_tenant)
    tap = run(command, tmp_path, config, read=True)

    assert sorted(declarative.log_ids) == declarative_tenant.logs.ids()
    assert sorted(tap.log_ids) == tap_tenant.logs.ids()
    assert tap_tenant.rate_limit.too_many["others"] == 0
    # The declarative stream spends the bucket to the end: the tenant's apps meet its 429s.
    assert declarative_tenant.rate_limit.lowest == 0


@pytest.mark.slow
def test_the_search_mode_design_measured_beside_it(cdk, tmp_path, make_tenant):
    """Why the manifest pages by checkpoint: the date cursor in search mode gets every log too,
    but costs a request per day of the window however empty, and repeats its lookback's logs in
    every read (and loses a log Auth0 makes searchable later than the lookback)."""
    search = search_mode_manifest(tmp_path / "search.yaml")
    tenant = make_tenant(TenantLogs(count=2500))
    config = declarative_config(tenant, start_date="2026-10-25T00:00:00Z")

    first = run([*cdk, "read"], tmp_path, config, read=True, manifest=search)
    first_requests = len(tenant.api_requests())
    saved = first.state_file(tmp_path / "state.json")
    tenant.logs.count += 300
    second = run([*cdk, "read"], tmp_path, config, read=True, state=saved, manifest=search)

    assert first.returncode == second.returncode == 0, second.stderr[-3000:]
    assert sorted(set(first.log_ids)) == tenant.logs.ids()[:2500]  # past the cap, by re-slicing
    assert set(ids_in(first, second)) == set(tenant.logs.ids())
    repeated = set(first.log_ids) & set(second.log_ids)
    assert len(repeated) >= 250  # the lookback's 10 minutes of logs, every read
    # The checkpoint manifest on the same tenant: a page per 100 logs and one empty page.
    checkpoint_tenant = make_tenant(TenantLogs(count=2500))
    run([*cdk, "read"], tmp_path, declarative_config(checkpoint_tenant), read=True)
    assert len(checkpoint_tenant.api_requests()) == 26
    assert first_requests > 26 + 7  # a request for each empty day of the window, and more

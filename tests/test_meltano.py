"""The tap through Meltano into real targets: target-jsonl, DuckDB and PostgreSQL.

Meltano installs each plugin into its own virtualenv under `.meltano/` once per session; each
test keeps Meltano's system database (and so its STATE) in its own temporary folder.
"""

from __future__ import annotations

import hashlib
import json
import subprocess

import duckdb
import pytest

from tap_auth0_logs.testing import TenantLogs
from tests.pipelines import MELTANO_COMMAND, ROOT, meltano, postgres_settings, psql, tenant_env

pytestmark = pytest.mark.slow


def test_meltano_run_twice_keeps_state_and_loads_only_new_logs(meltano_env, make_tenant, tmp_path):
    tenant = make_tenant(TenantLogs(count=1200))
    env = {**meltano_env, **tenant_env(tenant)}
    (tmp_path / "jsonl").mkdir()

    meltano(["run", "tap-auth0-logs", "target-jsonl"], env)
    output = tmp_path / "jsonl" / "logs.jsonl"
    first = [json.loads(line)["log_id"] for line in output.read_text().splitlines()]
    tenant.logs.count += 250
    token_requests = len(tenant.token_requests())
    meltano(["run", "tap-auth0-logs", "target-jsonl"], env)
    everything = [json.loads(line)["log_id"] for line in output.read_text().splitlines()]

    assert sorted(first) == tenant.logs.ids()[:1200]  # a backfill: ranges side by side
    assert everything[1200:] == tenant.logs.ids()[1200:]  # the second run: exactly the 250 new
    state = json.loads(meltano(["state", "get", "dev:tap-auth0-logs-to-target-jsonl"], env).stdout)
    bookmark = state["singer_state"]["bookmarks"]["logs"]["replication_key_value"]
    assert bookmark == tenant.logs.ids()[-1]
    assert len(tenant.token_requests()) == token_requests + 1


def test_duckdb_gets_every_log_with_timestamps_and_json(meltano_env, make_tenant, tmp_path):
    tenant = make_tenant(TenantLogs(count=2100))

    meltano(["run", "tap-auth0-logs", "target-duckdb"], {**meltano_env, **tenant_env(tenant)})

    with duckdb.connect(str(tmp_path / "logs.duckdb"), read_only=True) as db:
        count, distinct = db.sql(
            "select count(*), count(distinct log_id) from auth0.logs"
        ).fetchone()  # type: ignore[misc]
        assert (count, distinct) == (2100, 2100)  # no row lost (duckdb<1.3 for target-duckdb)
        types = dict(
            db.sql(
                "select column_name, data_type from information_schema.columns where table_name = 'logs'"
            ).fetchall()
        )
        assert types["date"] == "TIMESTAMP"
        assert types["details"] == "JSON"
        logins = db.sql(
            "select sum(cast(details->>'$.stats.loginsCount' as integer)) from auth0.logs where type = 's'"
        ).fetchone()[0]  # type: ignore[index]
    expected = sum(
        log["details"]["stats"]["loginsCount"] for log in tenant.logs.kept() if log["type"] == "s"
    )
    assert logins == expected


#: Stream maps on top of the tap (the SDK's): hash a field, drop where a log came from.
PRIVACY_MAPS = {
    "logs": {
        "user_name": "md5(user_name) if user_name else None",
        "user_id": "md5(user_id) if user_id else None",
        "ip": "__NULL__",
        "location_info": "__NULL__",
    }
}


def test_privacy_recipes_hash_and_drop_personal_data_on_the_way_into_duckdb(
    meltano_env, make_tenant, tmp_path
):
    tenant = make_tenant(TenantLogs(count=1500))  # periods that omit keys and that send nulls
    env = {
        **meltano_env,
        **tenant_env(tenant),
        "TAP_AUTH0_LOGS_STREAM_MAPS": json.dumps(PRIVACY_MAPS),
    }

    meltano(["run", "tap-auth0-logs", "target-duckdb"], env)

    with duckdb.connect(str(tmp_path / "logs.duckdb"), read_only=True) as db:
        columns = {
            name
            for (name,) in db.sql(
                "select column_name from information_schema.columns where table_name = 'logs'"
            ).fetchall()
        }
        rows = db.sql("select log_id, user_name, user_id from auth0.logs").fetchall()
    assert {"ip", "location_info"}.isdisjoint(columns)
    assert {"user_name", "user_id", "client_ip"} <= columns
    source = {log["log_id"]: log for log in tenant.logs.kept()}
    assert len(rows) == len(source) == 1500

    def hashed(value: object) -> str | None:
        return (
            hashlib.md5(str(value).encode(), usedforsecurity=False).hexdigest() if value else None
        )

    for log_id, user_name, user_id in rows:
        assert user_name == hashed(source[log_id].get("user_name"))
        assert user_id == hashed(source[log_id].get("user_id"))
    assert any(user_name for _, user_name, _ in rows)
    # Logs that omit the keys the maps name: without every key on every record, they would fail.
    assert any("user_name" not in source[log_id] for log_id, _, _ in rows)


def test_postgres_gets_every_log_with_types_and_awkward_names_intact(
    meltano_env, make_tenant, postgres
):
    tenant = make_tenant(TenantLogs(count=1500))
    psql(postgres, "postgres", "create database auth0_logs")
    env = {**meltano_env, **tenant_env(tenant), **postgres_settings(postgres, "auth0_logs")}

    meltano(["run", "tap-auth0-logs", "target-postgres"], env)

    assert psql(postgres, "auth0_logs", "select count(distinct log_id) from auth0.logs") == "1500"
    columns = dict(
        line.split("|")
        for line in psql(
            postgres,
            "auth0_logs",
            "select column_name, data_type from information_schema.columns where table_name = 'logs'",
        ).splitlines()
    )
    assert columns["date"].startswith("timestamp")
    assert columns["details"] == "jsonb"
    assert columns["$event_schema"] == "jsonb"
    assert columns["_id"] == "text"
    assert columns["isMobile"] == "boolean"
    source = {log["log_id"]: log for log in tenant.logs.kept()}
    rows = psql(
        postgres,
        "auth0_logs",
        "select log_id, \"$event_schema\"->>'version', _id, \"isMobile\", details->'stats'->>'loginsCount' from auth0.logs",
    )
    for row in rows.splitlines():
        log_id, version, _id, mobile, logins = row.split("|")
        log = source[log_id]
        assert version == (log.get("$event_schema") or {}).get("version", "")
        assert _id == log.get("_id", "")
        assert mobile == {True: "t", False: "f"}[log["isMobile"]]
        stats = (log.get("details") or {}).get("stats") or {}
        assert logins == str(stats.get("loginsCount", ""))


@pytest.mark.parametrize("written", ["01-11-2026", "2026/11/01"])
def test_a_start_date_in_another_format_is_refused_by_the_tap_in_one_line(
    meltano_env, make_tenant, written
):
    """Meltano hands `start_date` on as written (a string), so the tap checks it, not Meltano."""
    tenant = make_tenant(TenantLogs(count=100))
    env = {**meltano_env, **tenant_env(tenant), "TAP_AUTH0_LOGS_START_DATE": written}

    done = subprocess.run(
        [*MELTANO_COMMAND, "--log-format=json", "run", "tap-auth0-logs", "target-jsonl"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode != 0
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    said = [
        line["event"]
        for line in lines
        if line.get("name") == "tap-auth0-logs" and line.get("level") == "error"
    ]
    # The tap's one line, first (the SDK adds its "Config validation failed" after it).
    assert said[0] == (
        f"Setting `start_date` ('{written}') is not an ISO-8601 timestamp: "
        "use e.g. 2026-11-01T00:00:00Z."
    )
    assert tenant.api_requests() == []

"""The tap through Meltano into real targets: target-jsonl, DuckDB and PostgreSQL.

Meltano installs each plugin into its own virtualenv under `.meltano/` once per session; each
test keeps Meltano's system database (and so its STATE) in its own temporary folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest

from tap_auth0_logs.testing import FakeAuth0, TenantLogs

pytestmark = pytest.mark.slow

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
MELTANO = str(Path(sys.executable).with_name("meltano"))


def meltano(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [MELTANO, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="session")
def installed() -> None:
    env = {**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    meltano(["install"], env)


@pytest.fixture
def meltano_env(installed, tmp_path) -> dict[str, str]:
    """Environment for one test: its own system database and output folder."""
    return {
        **os.environ,
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "TARGET_JSONL_DESTINATION_PATH": str(tmp_path / "jsonl"),
        "TARGET_DUCKDB_FILEPATH": str(tmp_path / "logs.duckdb"),
    }


def tenant_env(tenant: FakeAuth0) -> dict[str, str]:
    return {f"TAP_AUTH0_LOGS_{key.upper()}": value for key, value in tenant.config().items()}


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


# --- PostgreSQL ----------------------------------------------------------------------------


def _postgres_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return candidates[-1].parent if candidates else None


@pytest.fixture(scope="session")
def postgres() -> Iterator[dict[str, Any]]:
    """A throwaway PostgreSQL cluster on a free port (`.ci/run` installs the server)."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required here (REQUIRE_POSTGRES) but initdb is not found")
        pytest.skip("PostgreSQL server not installed (`.ci/run` installs it)")
    # Not under pytest's tmp folder: the postgres user could not enter root's.
    folder = Path(tempfile.mkdtemp(prefix="tap-auth0-logs-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    subprocess.run(
        [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "auth0", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    pg_ctl = [
        *as_user,
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(folder / "log"),
        "-o",
        options,
        "-w",
    ]
    subprocess.run([*pg_ctl, "start"], check=True, capture_output=True)
    try:
        psql_path = shutil.which("psql") or str(bin_dir / "psql")
        yield {"host": "127.0.0.1", "port": port, "user": "auth0", "psql": psql_path}
    finally:
        subprocess.run([*pg_ctl, "stop", "-m", "fast"], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def psql(postgres: dict[str, Any], database: str, sql: str) -> str:
    done = subprocess.run(
        [
            postgres["psql"],
            "-h",
            postgres["host"],
            "-p",
            str(postgres["port"]),
            "-U",
            postgres["user"],
            "-d",
            database,
            "-At",
            "-c",
            sql,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_postgres_gets_every_log_with_types_and_awkward_names_intact(
    meltano_env, make_tenant, postgres
):
    tenant = make_tenant(TenantLogs(count=1500))
    psql(postgres, "postgres", "create database auth0_logs")
    env = {
        **meltano_env,
        **tenant_env(tenant),
        "TARGET_POSTGRES_HOST": postgres["host"],
        "TARGET_POSTGRES_PORT": str(postgres["port"]),
        "TARGET_POSTGRES_USER": postgres["user"],
        "TARGET_POSTGRES_PASSWORD": "unused",
        "TARGET_POSTGRES_DATABASE": "auth0_logs",
    }

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

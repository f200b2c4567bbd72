"""Several tenants, one warehouse: two fake tenants loaded into one database, then one dbt build.

The two tenants share their log ids (the fake tenant's ids are a function of the log's number and
time, not of its name): the hard case, where keying on `log_id` alone loses one tenant's logs.
They share their users and their ordinary traffic too, and the same brute force is planted in
both at the same log; credential stuffing only in `alpha`, MFA fatigue only in `beta`.

Each tenant is loaded through Meltano with a state id of its own (`--state-id-suffix`), into one
DuckDB file and into one PostgreSQL database; then through PyAirbyte with a connection (a source
name) of its own into one cache. One pipeline run per warehouse is shared by the checks.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from typing import TYPE_CHECKING, Any

import duckdb
import pytest

from tap_auth0_logs.testing import Attack, FakeAuth0, TenantLogs
from tests.pipelines import meltano, meltano_environment, postgres_settings, psql, tenant_env

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.slow

NAMES = ("alpha", "beta")
#: The same brute force in both tenants, at the same log: the same user, address and log ids.
SHARED = Attack("brute_force", 300)
ONLY = {"alpha": Attack("credential_stuffing", 900), "beta": Attack("mfa_fatigue", 900)}
#: What each tenant's build finds above low: its attacks, and what follows from them (the user
#: who gave in to the MFA pushes logs in from the attacker's place: a success after an attack, and
#: an impossible trip there and one back home). The tenants' everyday flows add low findings only.
EXPECTED = {
    "alpha": {"brute_force": 1, "credential_stuffing": 1},
    "beta": {"brute_force": 1, "mfa_fatigue": 1, "success_after_attack": 1, "impossible_travel": 2},
}
FIRST_LOGS, ADDED = 2400, 200


def tenant_logs(name: str) -> TenantLogs:
    return TenantLogs(count=FIRST_LOGS, tenant_name=name, attacks=(SHARED, ONLY[name]))


def host(name: str) -> str:
    """The tenant a record names: the host of the fake tenant's Management API identifier."""
    return f"{name}.us.auth0.com"


def named_env(tenant: FakeAuth0) -> dict[str, str]:
    """The tap's settings for `tenant`, its token asked for its identifier: one name on any port."""
    return {**tenant_env(tenant), "TAP_AUTH0_LOGS_AUDIENCE": tenant.api_identifier}


class Warehouse:
    """One database both tenants were loaded into, how to ask it, and where alpha's rerun began."""

    def __init__(self, kind: str, ask: Callable[[str], list[tuple[Any, ...]]]) -> None:
        self.kind, self.ask = kind, ask
        self.env: dict[str, str] = {}
        self.logs = {name: tenant_logs(name) for name in NAMES}
        #: The `from` of every checkpoint request of alpha's second run.
        self.rerun_from: list[str] = []

    def text(self, column: str) -> str:
        """`column` (JSON or a list) as text in this warehouse's SQL."""
        return f"cast({column} as varchar)" if self.kind == "duckdb" else f"{column}::text"


def load_two_tenants(warehouse: Warehouse, target: str, dbt: str) -> None:
    """alpha, beta, then alpha again after it grew: each under its own state id; one build."""
    env, logs = warehouse.env, warehouse.logs
    tenants = {name: FakeAuth0(logs[name]).start() for name in NAMES}

    def run(name: str) -> None:
        command = ["run", "--state-id-suffix", name, "tap-auth0-logs", target]
        meltano(command, {**env, **named_env(tenants[name])})

    try:
        for name in NAMES:
            run(name)
        logs["alpha"].count += ADDED
        before = len(tenants["alpha"].api_requests())
        run("alpha")  # from alpha's own STATE: beta's would be refused, and none reloads all
        rerun = tenants["alpha"].api_requests()[before:]
        warehouse.rerun_from = [r.query["from"][0] for r in rerun if "from" in r.query]
    finally:
        for tenant in tenants.values():
            tenant.stop()
    meltano(["invoke", dbt, "build"], env)


@pytest.fixture(scope="module")
def duckdb_warehouse(installed, tmp_path_factory) -> Warehouse:
    """Both tenants in one DuckDB file (target-duckdb, dbt-duckdb)."""
    folder = tmp_path_factory.mktemp("tenants-duckdb")
    database = str(folder / "warehouse.duckdb")

    def ask(sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(database, read_only=True) as db:
            return db.sql(sql).fetchall()

    warehouse = Warehouse("duckdb", ask)
    warehouse.env = {
        **meltano_environment(folder),
        "TARGET_DUCKDB_FILEPATH": database,
        "DBT_DUCKDB_PATH": database,
    }
    load_two_tenants(warehouse, "target-duckdb", "dbt-duckdb")
    return warehouse


@pytest.fixture(scope="module")
def postgres_warehouse(installed, postgres, tmp_path_factory) -> Warehouse:
    """Both tenants in one PostgreSQL database (target-postgres, dbt-postgres)."""
    folder = tmp_path_factory.mktemp("tenants-postgres")
    psql(postgres, "postgres", "create database several_tenants")

    def ask(sql: str) -> list[tuple[Any, ...]]:
        out = psql(postgres, "several_tenants", sql, separator="\x1f")  # JSON holds any other
        return [tuple(line.split("\x1f")) for line in out.splitlines()]

    warehouse = Warehouse("postgres", ask)
    warehouse.env = {
        **meltano_environment(folder),
        **postgres_settings(postgres, "several_tenants"),
    }
    load_two_tenants(warehouse, "target-postgres", "dbt-postgres")
    return warehouse


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request) -> Warehouse:
    return request.getfixturevalue(f"{request.param}_warehouse")


def counts(rows: list[tuple[Any, ...]]) -> dict[str, tuple[int, ...]]:
    """tenant -> its counts, from rows of (tenant, count, ...)."""
    return {tenant: tuple(int(n) for n in numbers) for tenant, *numbers in rows}


def test_each_tenants_logs_are_loaded_and_transformed_exactly_once_though_they_share_log_ids(
    warehouse,
):
    logs = warehouse.logs
    # alpha's second run began where its first ended, whatever beta's STATE said.
    assert min(warehouse.rerun_from) == logs["alpha"].log_id(FIRST_LOGS - 1)
    shared = set(logs["alpha"].ids()) & set(logs["beta"].ids())
    assert len(shared) == FIRST_LOGS  # every beta log id is an alpha log id too
    expected = {host(name): (logs[name].count, logs[name].count) for name in NAMES}
    per_tenant = "select tenant, count(*), count(distinct log_id) from {} group by tenant"

    assert counts(warehouse.ask(per_tenant.format("auth0.logs"))) == expected
    assert counts(warehouse.ask(per_tenant.format("auth0_analytics.auth0__events"))) == expected
    for name in NAMES:
        ids = warehouse.ask(
            f"select log_id from auth0_analytics.auth0__events where tenant = '{host(name)}'"
        )
        assert sorted(log_id for (log_id,) in ids) == logs[name].ids()
    daily = warehouse.ask(
        "select tenant, sum(events) from auth0_analytics.auth0__daily_activity group by tenant"
    )
    assert counts(daily) == {host(name): (logs[name].count,) for name in NAMES}


def test_every_ocsf_event_and_finding_names_its_own_tenant(warehouse):
    rows = warehouse.ask(
        f"select tenant, {warehouse.text('ocsf')} from auth0_analytics.auth0__ocsf union all "
        f"select tenant, {warehouse.text('ocsf')} from auth0_analytics.auth0__ocsf_findings"
    )
    by_tenant = Counter(tenant for tenant, _ in rows)
    assert set(by_tenant) == {host(name) for name in NAMES}
    assert all(json.loads(event)["metadata"]["tenant_uid"] == tenant for tenant, event in rows)
    covered = warehouse.ask(
        "select tenant, count(*) from auth0_analytics.auth0__events"
        " where ocsf_class_uid is not null group by tenant"
    )
    findings = warehouse.ask(
        "select tenant, count(*) from auth0_analytics.auth0__detections group by tenant"
    )
    assert {t: by_tenant[t] for t in by_tenant} == {
        tenant: int(c) + int(dict(findings)[tenant]) for tenant, c in covered
    }


def test_the_same_attack_in_two_tenants_is_two_findings_and_one_in_a_tenant_stays_there(
    warehouse,
):
    rows = warehouse.ask(
        "select tenant, detection, subject, events, finding_id, "
        "array_to_string(log_ids, ','), severity from auth0_analytics.auth0__detections"
    )

    found = {
        name: Counter(row[1] for row in rows if row[0] == host(name) and row[6] != "low")
        for name in NAMES
    }
    assert found == EXPECTED
    shared = SHARED.finding()
    # The tenants' days have forgotten passwords too (low): the planted one is the same user's.
    twice = [row for row in rows if row[1] == shared.detection and row[6] != "low"]
    assert sorted(row[0] for row in twice) == [host(name) for name in NAMES]  # once per tenant
    assert {row[2] for row in twice} == {shared.subject}  # the same user, in two tenants
    assert {int(row[3]) for row in twice} == {12}  # each tenant's 12 failures, not 24
    assert len({row[4] for row in twice}) == 2  # two findings, two ids
    logs = warehouse.logs["alpha"]  # beta's planted failures have the same log ids
    planted = {logs.log_id(SHARED.at + off) for off, step in SHARED.steps() if step.code == "fp"}
    assert all(planted <= set(row[5].split(",")) for row in twice)
    for name, attack in ONLY.items():
        finding = attack.finding()
        named = {
            (tenant, subject) for tenant, detection, subject, *_ in rows if detection == attack.kind
        }
        assert named == {(host(name), finding.subject)}  # found in its tenant, never the other


def test_the_export_writes_each_tenants_file_a_day_and_one_tenant_on_request(
    duckdb_warehouse, tmp_path
):
    warehouse = duckdb_warehouse
    everything, alpha = tmp_path / "all", tmp_path / "alpha"
    meltano(["invoke", "dbt-duckdb:export-ocsf", "--out", str(everything)], warehouse.env)
    only = ["--tenant", host("alpha"), "--out", str(alpha)]
    meltano(["invoke", "dbt-duckdb:export-ocsf", *only], warehouse.env)

    source = everything / "1.5.0" / "security-lake" / "ext" / "auth0-authentication"
    days = {path.parent.name for path in source.rglob("*.parquet")}
    names = sorted(path.name for path in source.rglob("*.parquet"))
    assert names == sorted(
        f"auth0-authentication-{host(name)}.zstd.parquet" for name in NAMES for _ in days
    )
    with duckdb.connect() as db:
        for path in source.rglob("*.parquet"):
            tenants = db.sql(
                f"select distinct metadata.tenant_uid from read_parquet('{path}')"
            ).fetchall()
            assert tenants == [(path.name.removeprefix("auth0-authentication-").split(".zstd")[0],)]
    lines = (alpha / "1.5.0" / "jsonl" / "detection-finding.jsonl").read_text().splitlines()
    assert {json.loads(line)["metadata"]["tenant_uid"] for line in lines} == {host("alpha")}
    alpha_findings = duckdb_warehouse.ask(
        f"select count(*) from auth0_analytics.auth0__detections where tenant = '{host('alpha')}'"
    )
    assert len(lines) == int(alpha_findings[0][0])
    assert not [p for p in (alpha / "1.5.0").rglob("*.parquet") if host("beta") in p.name]


#: Inside PyAirbyte's venv: a connection per tenant (a source of its own name, a table of its own,
#: `<name>_logs`: PyAirbyte keeps one state per table), in one DuckDB file; prints what each read.
PYAIRBYTE_CLIENT = """
import json, sys
import airbyte as ab
from airbyte.caches import DuckDBCache

executable, database, tenants = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
read = {}
for name, config in tenants.items():
    cache = DuckDBCache(db_path=database, table_prefix=f"{name}_")
    source = ab.get_source(f"source-auth0-logs-{name}", local_executable=executable, config=config)
    source.select_streams(["logs"])
    read[name] = source.read(cache=cache).processed_records
print(json.dumps(read))
"""


def test_two_airbyte_connections_load_one_cache_and_one_build_answers_per_tenant(
    installed, make_tenant, tmp_path
):
    from benchmarks.airbyte_runs import SOURCE, airbyte_environment  # noqa: PLC0415 (builds a venv)

    python = airbyte_environment()
    logs = {name: tenant_logs(name) for name in NAMES}
    tenants = {name: make_tenant(logs[name]) for name in NAMES}
    configs = {
        name: tenant.config(audience=tenant.api_identifier) for name, tenant in tenants.items()
    }
    database = str(tmp_path / "pyairbyte.duckdb")
    env = {**os.environ, "AIRBYTE_OFFLINE_MODE": "1", "DO_NOT_TRACK": "1", "HOME": str(tmp_path)}

    def client() -> dict[str, int]:
        command = [str(python), "-c", PYAIRBYTE_CLIENT, SOURCE, database, json.dumps(configs)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    assert client() == {name: FIRST_LOGS for name in NAMES}
    logs["alpha"].count += ADDED
    assert client() == {"alpha": ADDED, "beta": 0}  # each connection from its own state
    where = json.dumps({"auth0_logs_relations": [f"main.{name}_logs" for name in NAMES]})
    meltano(
        ["invoke", "dbt-duckdb", "build", "--vars", where],
        {
            **meltano_environment(tmp_path),
            "DBT_DUCKDB_PATH": database,
        },
    )

    with duckdb.connect(database, read_only=True) as db:
        loaded = db.sql(
            "select tenant, count(*), count(distinct log_id) from"
            " (select tenant, log_id from main.alpha_logs union all"
            " select tenant, log_id from main.beta_logs) group by 1"
        )
        events = db.sql(
            "select tenant, count(*), count(distinct log_id)"
            " from auth0_analytics.auth0__events group by 1"
        )
        expected = {host(name): (logs[name].count, logs[name].count) for name in NAMES}
        assert counts(loaded.fetchall()) == expected
        assert counts(events.fetchall()) == expected
        rows = db.sql(
            "select tenant, detection from auth0_analytics.auth0__detections"
            " where severity <> 'low'"
        ).fetchall()
    assert {
        name: Counter(detection for tenant, detection in rows if tenant == host(name))
        for name in NAMES
    } == EXPECTED


def test_a_package_built_before_tenants_asks_for_one_rebuild_and_keeps_its_findings(
    installed, tmp_path
):
    # A table loaded before records named their tenant: 12 failed logins on one account.
    database = str(tmp_path / "old.duckdb")
    with duckdb.connect(database) as db:
        db.execute("create schema auth0")
        db.execute(
            "create table auth0.logs as select '9000' || lpad(cast(i as varchar), 4, '0') as log_id,"
            " timestamp '2026-11-01 10:00:00' + to_seconds(10 * i) as date, 'fp' as type,"
            " 'auth0|victim' as user_id, 'c' as client_id, '203.0.113.9' as ip"
            " from range(12) as r(i)"
        )
    env = {**meltano_environment(tmp_path), "DBT_DUCKDB_PATH": database}
    meltano(["invoke", "dbt-duckdb", "build"], env)
    found = "select finding_id, first_detected_at from auth0_analytics.auth0__detections"
    with duckdb.connect(database) as db:
        assert db.sql("select distinct tenant from auth0_analytics.auth0__events").fetchall() == [
            ("default",)  # one tenant: `auth0_default_tenant`
        ]
        [finding] = db.sql(found).fetchall()
        # As the package built them before: no tenant anywhere.
        for model in ("auth0__events", "auth0__ocsf", "auth0__detections"):
            db.execute(f"alter table auth0_analytics.{model} drop column tenant")

    with pytest.raises(AssertionError, match="rebuild it once with"):
        meltano(["invoke", "dbt-duckdb", "build"], env)
    rebuild = ["build", "--full-refresh", "--select", "auth0__events", "auth0__ocsf"]
    meltano(["invoke", "dbt-duckdb", *rebuild], env)
    meltano(["invoke", "dbt-duckdb", "build"], env)

    with duckdb.connect(database, read_only=True) as db:
        assert db.sql(found).fetchall() == [finding]  # the same id, first detected then
        tenants = db.sql("select tenant from auth0_analytics.auth0__detections").fetchall()
    assert tenants == [("default",)]

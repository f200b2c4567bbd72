"""A real Airbyte client, PyAirbyte, runs `source-auth0-logs`: check, then two reads into DuckDB.

PyAirbyte pins a newer duckdb than the dev extra (target-duckdb needs <1.3), so it lives in a venv
of its own, `.venv-pyairbyte/`, built once and kept (rebuilt when the requirement changes).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from benchmarks.airbyte_runs import airbyte_environment
from tap_auth0_logs.testing import TenantLogs
from tests.pipelines import meltano, meltano_environment
from tests.test_analytics import PLANTED, PLANTED_LOGS, assert_planted_found, findings

ROOT = Path(__file__).resolve().parent.parent
SOURCE = str(Path(sys.executable).with_name("source-auth0-logs"))

# One worker builds PyAirbyte's venv and runs every test that needs it (pytest-xdist's loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pyairbyte")]

#: Run inside PyAirbyte's venv: check once, then one read into the DuckDB cache; print counts.
CLIENT = """
import json, sys
import airbyte as ab
from airbyte.caches import DuckDBCache

executable, config, database, check = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
source = ab.get_source("source-auth0-logs", local_executable=executable, config=config)
if check == "check":
    source.check()
source.select_streams(["logs"])
cache = DuckDBCache(db_path=database)
result = source.read(cache=cache, write_strategy="append")
rows, distinct = cache.get_sql_engine().connect().exec_driver_sql(
    f"select count(*), count(distinct log_id) from {cache.schema_name}.logs"
).fetchone()
print(json.dumps({"processed": result.processed_records, "rows": rows, "distinct": distinct}))
"""


@pytest.fixture(scope="session")
def pyairbyte() -> Path:
    return airbyte_environment()


def test_pyairbyte_checks_then_reads_twice_and_the_second_read_loads_only_new_logs(
    pyairbyte, make_tenant, tmp_path
):
    tenant = make_tenant(TenantLogs(count=1500))
    database = str(tmp_path / "pyairbyte.duckdb")
    env = {**os.environ, "AIRBYTE_OFFLINE_MODE": "1", "DO_NOT_TRACK": "1", "HOME": str(tmp_path)}

    def client(check: str) -> dict[str, int]:
        command = [str(pyairbyte), "-c", CLIENT, SOURCE, json.dumps(tenant.config()), database]
        done = subprocess.run(
            [*command, check], capture_output=True, text=True, env=env, check=False
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    first = client("check")
    tenant.logs.count += 300
    second = client("no-check")

    assert first == {"processed": 1500, "rows": 1500, "distinct": 1500}
    assert second == {"processed": 300, "rows": 1800, "distinct": 1800}


def test_the_dbt_package_reads_the_table_an_airbyte_loader_wrote(
    pyairbyte, installed, make_tenant, tmp_path
):
    logs = TenantLogs(count=PLANTED_LOGS, attacks=PLANTED)
    tenant = make_tenant(logs)
    database = str(tmp_path / "pyairbyte.duckdb")
    env = {**os.environ, "AIRBYTE_OFFLINE_MODE": "1", "DO_NOT_TRACK": "1", "HOME": str(tmp_path)}
    command = [str(pyairbyte), "-c", CLIENT, SOURCE, json.dumps(tenant.config()), database, "-"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    dbt_env = {**meltano_environment(tmp_path), "DBT_DUCKDB_PATH": database}

    # PyAirbyte's cache keeps the stream in main.logs, with its own column names and types.
    where = json.dumps({"auth0_logs_schema": "main", "auth0_logs_table": "logs"})
    meltano(["invoke", "dbt-duckdb", "build", "--vars", where], dbt_env)

    with duckdb.connect(database, read_only=True) as db:
        rows = db.sql(
            "select detection, subject_type, subject, log_ids from auth0_analytics.auth0__detections"
        ).fetchall()
        events = db.sql("select count(*) from auth0_analytics.auth0__events").fetchone()
    assert_planted_found(logs, findings(rows))
    assert events == (PLANTED_LOGS,)


def test_the_readmes_pyairbyte_job_runs_as_written_twice(pyairbyte, make_tenant, tmp_path):
    """The README's `pyairbyte_job.py`, its placeholders filled, where the registry is unreachable.

    Run from a folder with `.venv` in it, as the README's `.venv-pyairbyte/bin/python
    pyairbyte_job.py` runs from the clone; PyAirbyte's cache goes in that folder.
    """
    tenant = make_tenant(TenantLogs(count=600))
    [job] = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    config = tenant.config()
    job = (
        job.replace("acme.us.auth0.com", config["domain"])
        .replace('"client_id": "…"', f'"client_id": "{config["client_id"]}"')
        .replace('"client_secret": "…"', f'"client_secret": "{config["client_secret"]}"')
    )
    (tmp_path / "pyairbyte_job.py").write_text(job)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv", target_is_directory=True)
    # No AIRBYTE_OFFLINE_MODE here: the job sets it itself. A registry that cannot be reached.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AIRBYTE_")},
        "DO_NOT_TRACK": "1",
        "HOME": str(tmp_path),
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
    }

    def run_job() -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(pyairbyte), "pyairbyte_job.py"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done

    first = run_job()
    tenant.logs.count += 50
    second = run_job()

    assert first.stdout.strip().endswith("600 new logs")
    assert second.stdout.strip().endswith("50 new logs")
    # Every field has a type Airbyte knows (auth0_client once had two).
    assert "Could not determine airbyte type" not in first.stdout + first.stderr

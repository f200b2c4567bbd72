"""The README's commands, walked in the order a reader meets them, so the README cannot drift.

Every command in the README's `bash` blocks is listed in `WALK`: run here by
`test_the_readme_walk` (against a fake tenant standing in for `acme.us.auth0.com` and its
credentials, with Meltano's system database and the loaders' files in a temporary folder so that
nothing of the developer's is touched), run by another named test, or not runnable here, with the
reason (a registry, GitHub, a real tenant). A command added to the README without a line here fails
`test_every_readme_command_is_walked`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tap_auth0_logs.testing import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeAuth0, TenantLogs

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WALKED = "walked here"

#: Each README command → how it is walked: WALKED, a test that runs it, or why not here.
WALK = {
    "python3 dev.py demo": "tests/test_demo.py::test_the_main_job_loads_the_fake_tenant_then_only_what_was_added",
    "python3 dev.py test": "CI: .ci/run runs exactly this",
    "python3 dev.py demo --config my-tenant.json": "tests/test_demo.py::test_the_main_job_loads_the_fake_tenant_then_only_what_was_added",
    "TAP_AUTH0_LOGS_DOMAIN=acme.us.auth0.com TAP_AUTH0_LOGS_CLIENT_ID=… TAP_AUTH0_LOGS_CLIENT_SECRET=… python3 dev.py demo": WALKED,
    "python3 dev.py setup": WALKED,
    ".venv/bin/meltano install": WALKED,
    "TAP_AUTH0_LOGS_DOMAIN=acme.us.auth0.com TAP_AUTH0_LOGS_CLIENT_ID=… TAP_AUTH0_LOGS_CLIENT_SECRET=… .venv/bin/meltano run tap-auth0-logs target-duckdb": WALKED,
    ".venv/bin/meltano config set tap-auth0-logs domain acme.us.auth0.com": WALKED,
    ".venv/bin/meltano state get dev:tap-auth0-logs-to-target-duckdb": WALKED,
    "meltano add --plugin-type extractor tap-auth0-logs --from-ref path/to/tap-auth0-logs/hub/tap-auth0-logs.yml": WALKED,
    "meltano config set tap-auth0-logs domain acme.us.auth0.com": WALKED,
    "meltano run tap-auth0-logs target-duckdb": "not here: the plugin installs from the repository's Git URL (GitHub); the same run is walked in this project",
    "DOCKER_BUILDKIT=1 docker build -f airbyte/Dockerfile -t source-auth0-logs:0.1.0 .": "tests/test_airbyte_image.py (the image fixture builds it so, on a stand-in base)",
    "docker tag source-auth0-logs:0.1.0 registry.example.com/source-auth0-logs:0.1.0": "not here: a registry",
    "docker push registry.example.com/source-auth0-logs:0.1.0": "not here: a registry",
    "DOCKER_BUILDKIT=1 docker build --secret id=ca,src=/path/to/corporate-ca.pem -f airbyte/Dockerfile -t registry.example.com/source-auth0-logs:0.1.0 .": "tests/test_airbyte_image.py (the image fixture passes the CA so when one is set)",
    'docker run --rm --network host -v "$PWD/airbyte/secrets:/secrets:ro" source-auth0-logs:0.1.0 read --config /secrets/config.json --catalog /secrets/catalog.json --state /secrets/state.json': "tests/test_airbyte_image.py::test_read_then_read_again_with_the_last_state_delivers_every_log_once",
    ".venv/bin/meltano run tap-auth0-logs target-duckdb dbt-duckdb:build": "tests/test_analytics.py (DuckDB)",
    ".venv/bin/meltano invoke dbt-duckdb:export-ocsf": "tests/test_analytics.py::test_the_export_writes_security_lake_parquet_and_json_lines_in_both_versions (with --out in a temporary folder)",
    ".venv/bin/meltano invoke dbt-duckdb:export-ocsf --ocsf-version 1.1.0 --region eu-west-1 --account 123456789012": "tests/test_analytics.py::test_the_export_writes_security_lake_parquet_and_json_lines_in_both_versions (with --out in a temporary folder)",
    ".venv/bin/meltano run tap-auth0-logs target-postgres dbt-postgres:build": "tests/test_analytics.py (PostgreSQL)",
    "pip install -e .": "not here: it would reinstall the environment these tests run in (.venv is that install)",
    "tap-auth0-logs --config config.json > out.jsonl": WALKED,
    "tail -n 1 out.jsonl | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)[\"value\"]))' > state.json": WALKED,
    "tap-auth0-logs --config config.json --state state.json > out.jsonl": WALKED,
    "tap-auth0-logs --config config.json --discover > catalog.json": WALKED,
    "tap-auth0-logs --config config.json --test": WALKED,
    "python -m tap_auth0_logs --about --format=markdown": WALKED,
}


def readme_commands() -> list[str]:
    """Every command of the README's `bash` blocks, in order: continuations joined, comments cut."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.DOTALL):
        for line in re.sub(r"\\\n\s*", "", block).splitlines():
            command = re.sub(r"\s+#\s.*$", "", line).strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def test_every_readme_command_is_walked():
    commands = readme_commands()
    assert [c for c in commands if c not in WALK] == []
    assert [c for c in WALK if c not in commands] == []  # nothing stale here
    for how in WALK.values():
        if how.startswith("tests/"):
            path, _, name = how.split(" ")[0].partition("::")
            source = (ROOT / path).read_text()
            assert not name or f"def {name}(" in source, how


def test_a_fresh_clone_has_the_folder_meltanos_loaders_write_into():
    """`meltano run … target-duckdb` failed from a fresh clone: `output/` came with the demo."""
    tracked = subprocess.run(
        ["git", "ls-files", "output"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if tracked.returncode:
        pytest.skip("not a git checkout")
    assert tracked.stdout.split() == ["output/.gitkeep"]
    assert "$MELTANO_PROJECT_ROOT/output/auth0_logs.duckdb" in (ROOT / "meltano.yml").read_text()


def test_secrets_the_readme_names_stay_out_of_git():
    names = [".env", "config.json", "my-tenant.json", "state.json", "airbyte/secrets/config.json"]
    done = subprocess.run(
        ["git", "check-ignore", *names], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode == 128:
        pytest.skip("not a git checkout")
    assert done.stdout.split() == names


# --- the walk ------------------------------------------------------------------------------


class Reader:
    """A new user at a shell: runs README commands with the placeholders filled in."""

    def __init__(self, tmp_path: Path, tenant: FakeAuth0) -> None:
        self.tenant, self.home = tenant, tmp_path
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TAP_AUTH0_LOGS_")},
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            # Meltano's state and the loaders' files in this test's folder, not the project's.
            "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
            "TARGET_DUCKDB_FILEPATH": str(tmp_path / "auth0_logs.duckdb"),
            "DBT_DUCKDB_PATH": str(tmp_path / "auth0_logs.duckdb"),
            "DBT_TARGET_PATH": str(tmp_path / "dbt-target"),
            "DBT_LOG_PATH": str(tmp_path / "dbt-logs"),
            "DEMO_OUTPUT": str(tmp_path / "demo"),
        }

    def fill(self, command: str) -> str:
        """The command with the fake tenant for `acme.us.auth0.com` and its credentials."""
        return (
            command.replace(
                "TAP_AUTH0_LOGS_CLIENT_ID=…", f"TAP_AUTH0_LOGS_CLIENT_ID={DEFAULT_CLIENT_ID}"
            )
            .replace(
                "TAP_AUTH0_LOGS_CLIENT_SECRET=…",
                f"TAP_AUTH0_LOGS_CLIENT_SECRET={DEFAULT_CLIENT_SECRET}",
            )
            .replace("acme.us.auth0.com", self.tenant.base_url)
        )

    def run(self, command: str, cwd: Path = ROOT, timeout: float = 900) -> str:
        """A README command walked here, filled in; its output. It must succeed."""
        assert command in WALK, command
        assert WALK[command] == WALKED, command
        return self.shell(self.fill(command), cwd, timeout)

    def shell(self, text: str, cwd: Path = ROOT, timeout: float = 900) -> str:
        """Any command line, as the reader types it; its output. It must succeed."""
        done = subprocess.run(
            ["bash", "-c", text],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"{text}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout + done.stderr


def rows(database: Path) -> int:
    with duckdb.connect(str(database), read_only=True) as db:
        return int(db.sql("select count(distinct log_id) from auth0.logs").fetchone()[0])  # type: ignore[index]


@pytest.mark.slow
def test_the_readme_walk(tmp_path, make_tenant, installed):
    tenant = make_tenant(TenantLogs(count=1200))
    reader = Reader(tmp_path, tenant)

    # The two commands' neighbour, then "With Meltano", in this project.
    assert "Ready:" in reader.run("python3 dev.py setup")
    reader.run(".venv/bin/meltano install")
    reader.run(
        "TAP_AUTH0_LOGS_DOMAIN=acme.us.auth0.com TAP_AUTH0_LOGS_CLIENT_ID=… "
        "TAP_AUTH0_LOGS_CLIENT_SECRET=… .venv/bin/meltano run tap-auth0-logs target-duckdb"
    )
    assert rows(tmp_path / "auth0_logs.duckdb") == 1200
    state = reader.run(".venv/bin/meltano state get dev:tap-auth0-logs-to-target-duckdb")
    assert tenant.base_url.split("://")[1] in state  # the STATE names its tenant
    meltano_yml = (ROOT / "meltano.yml").read_text()
    try:
        said = reader.run(".venv/bin/meltano config set tap-auth0-logs domain acme.us.auth0.com")
        assert "setting 'domain' was set" in said
    finally:
        (ROOT / "meltano.yml").write_text(meltano_yml)

    # The dbt package's commands from its section, on the table just loaded.
    readme = (ROOT / "README.md").read_text()
    for command in (
        ".venv/bin/meltano invoke dbt-duckdb:full-refresh",
        """.venv/bin/meltano invoke dbt-duckdb build --vars '{"brute_force_min_failures": 20}'""",
    ):
        assert f"`{command}`" in readme
        reader.shell(command)

    # "In your own Meltano project": a new project, the tap added from the Hub definition.
    reader.shell("meltano init project --no_usage_stats", tmp_path)
    project = tmp_path / "project"
    add = (
        "meltano add --plugin-type extractor tap-auth0-logs --from-ref "
        "path/to/tap-auth0-logs/hub/tap-auth0-logs.yml"
    )
    assert WALK[add] == WALKED
    # As written, with the path filled in; installing needs GitHub (the definition's pip_url),
    # adding and configuring do not.
    reader.shell(f"{add.replace('path/to/tap-auth0-logs', str(ROOT))} --no-install", project)
    added = (project / "meltano.yml").read_text()
    assert "tap-auth0-logs" in added
    assert "utilities" not in added  # no stray utility beside the extractor
    reader.run("meltano config set tap-auth0-logs domain acme.us.auth0.com", cwd=project)
    assert tenant.base_url in (project / "meltano.yml").read_text()

    # "Using the tap", in a folder of the reader's own.
    work = tmp_path / "work"
    work.mkdir()
    (work / "config.json").write_text(json.dumps(tenant.config()))
    reader.run("tap-auth0-logs --config config.json > out.jsonl", cwd=work)
    assert len(records(work / "out.jsonl")) == 1200
    tenant.logs.count += 40
    reader.run(
        "tail -n 1 out.jsonl | python3 -c 'import json, sys; "
        'print(json.dumps(json.load(sys.stdin)["value"]))\' > state.json',
        cwd=work,
    )
    reader.run("tap-auth0-logs --config config.json --state state.json > out.jsonl", cwd=work)
    assert [r["log_id"] for r in records(work / "out.jsonl")] == tenant.logs.ids()[-40:]
    reader.run("tap-auth0-logs --config config.json --discover > catalog.json", cwd=work)
    assert json.loads((work / "catalog.json").read_text())["streams"]
    assert "Connection test passed" in reader.run(
        "tap-auth0-logs --config config.json --test", cwd=work
    )
    assert "| domain |" in reader.run("python -m tap_auth0_logs --about --format=markdown")

    # The demo on "your tenant" from environment variables: a database of that tenant's own.
    said = reader.run(
        "TAP_AUTH0_LOGS_DOMAIN=acme.us.auth0.com TAP_AUTH0_LOGS_CLIENT_ID=… "
        "TAP_AUTH0_LOGS_CLIENT_SECRET=… python3 dev.py demo"
    )
    assert f"Loaded {tenant.logs.count:,} logs this run" in said
    shutil.rmtree(tmp_path / "demo", ignore_errors=True)


def records(path: Path) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]
    return [m["record"] for m in lines if m["type"] == "RECORD"]

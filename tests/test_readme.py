"""The README's commands, walked as a new user walks them: in order, in one fresh clone.

Every command in the README's `bash` blocks is listed in `WALK`: run by the journey here (against
fake tenants standing in for `acme.us.auth0.com` and its credentials), run by another named test,
or not runnable here, with the reason (a registry, a real tenant). A command added to the README
without a line here fails `test_every_readme_command_is_walked`.

The journey runs in a copy of this checkout (its files as a clone has them, `.venv` linked), so
that what the demo leaves behind (its Meltano state, its files) is what the next command meets,
as it is for a user; nothing of this checkout is touched.
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
import yaml

from tap_auth0_logs.singer.settings import CONFIG_SCHEMA
from tap_auth0_logs.testing import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    Attack,
    FakeAuth0,
    TenantLogs,
)
from tests.conftest import DEMO_CLONE
from tests.pipelines import user_environment

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WALKED = "walked here"

#: Each README command → how it is walked: WALKED, a test that runs it, or why not here.
#: The README's line that keeps a run's bookmark for the next (`--state`).
STATE_LINE = (
    'python3 -c \'import json; print(json.dumps([m for m in map(json.loads, open("out.jsonl"))'
    ' if m["type"] == "STATE"][-1]["value"]))\' > state.next && mv state.next state.json'
)
WALK = {
    "python3 dev.py demo": WALKED,
    "python3 dev.py test": "CI: .ci/run runs exactly this",
    ".venv/bin/meltano install": WALKED,
    "TAP_AUTH0_LOGS_DOMAIN=acme.us.auth0.com TAP_AUTH0_LOGS_CLIENT_ID=… TAP_AUTH0_LOGS_CLIENT_SECRET=… .venv/bin/meltano run tap-auth0-logs target-duckdb": WALKED,
    ".venv/bin/meltano invoke dbt-duckdb:build": WALKED,
    ".venv/bin/meltano invoke dbt-duckdb:export-ocsf": WALKED,
    ".venv/bin/meltano config set --store=dotenv tap-auth0-logs domain acme.us.auth0.com": WALKED,
    ".venv/bin/meltano config set --store=dotenv tap-auth0-logs client_id …": WALKED,
    ".venv/bin/meltano config set --store=dotenv tap-auth0-logs client_secret …": WALKED,
    ".venv/bin/meltano run tap-auth0-logs target-duckdb dbt-duckdb:build": WALKED,
    ".venv/bin/meltano state get dev:tap-auth0-logs-to-target-duckdb": WALKED,
    ".venv/bin/meltano run dbt-postgres:check tap-auth0-logs target-postgres dbt-postgres:build": "tests/test_analytics.py::test_postgres_pipeline_finds_the_planted_attacks_and_writes_valid_ocsf (and a missing setting: test_a_missing_postgres_setting_is_one_line_before_anything_runs)",
    "meltano add --plugin-type extractor tap-auth0-logs --from-ref path/to/tap-auth0-logs/hub/tap-auth0-logs.yml --no-install": WALKED,
    "meltano add --plugin-type loader target-duckdb --from-ref path/to/tap-auth0-logs/hub/target-duckdb.yml --no-install": WALKED,
    "meltano install": WALKED,
    "meltano select tap-auth0-logs logs '*'": WALKED,
    "meltano config set --store=dotenv tap-auth0-logs domain acme.us.auth0.com": WALKED,
    "meltano run tap-auth0-logs target-duckdb": WALKED,
    ".venv/bin/tap-auth0-logs --config config.json --test": WALKED,
    ".venv/bin/tap-auth0-logs --config config.json > out.jsonl": WALKED,
    STATE_LINE: WALKED,
    ".venv/bin/tap-auth0-logs --config config.json --state state.json > out.jsonl": WALKED,
    ".venv/bin/tap-auth0-logs --config config.json --discover > catalog.json": WALKED,
    ".venv/bin/tap-auth0-logs --about --format=markdown": WALKED,
    "DOCKER_BUILDKIT=1 docker build -f airbyte/Dockerfile -t source-auth0-logs:0.1.0 .": "tests/test_airbyte_image.py (the image fixture builds it so, on a stand-in base)",
    "docker tag source-auth0-logs:0.1.0 registry.example.com/source-auth0-logs:0.1.0": "not here: a registry",
    "docker push registry.example.com/source-auth0-logs:0.1.0": "not here: a registry",
    "python3 -m venv .venv-pyairbyte": "tests/test_pyairbyte.py (benchmarks/airbyte_runs.py builds .venv-pyairbyte so, with the same requirement)",
    ".venv-pyairbyte/bin/pip install 'airbyte>=0.71,<0.72'": "tests/test_pyairbyte.py (benchmarks/airbyte_runs.py builds .venv-pyairbyte so, with the same requirement)",
    ".venv-pyairbyte/bin/python pyairbyte_job.py": "tests/test_pyairbyte.py::test_the_readmes_pyairbyte_job_runs_as_written_twice",
    ".venv/bin/meltano invoke dbt-duckdb:export-ocsf --ocsf-version 1.1.0 --region eu-west-1 --account 123456789012": WALKED,
    "TAP_AUTH0_LOGS_DOMAIN=acme.us.auth0.com TAP_AUTH0_LOGS_CLIENT_ID=… TAP_AUTH0_LOGS_CLIENT_SECRET=… .venv/bin/meltano run --state-id-suffix acme-prod tap-auth0-logs target-duckdb": "tests/test_several_tenants.py (two fake tenants, a state id each, into one DuckDB file, then one build)",
    "TAP_AUTH0_LOGS_DOMAIN=acme-dev.eu.auth0.com TAP_AUTH0_LOGS_CLIENT_ID=… TAP_AUTH0_LOGS_CLIENT_SECRET=… .venv/bin/meltano run --state-id-suffix acme-dev tap-auth0-logs target-duckdb": "tests/test_several_tenants.py (two fake tenants, a state id each, into one DuckDB file, then one build)",
}


def readme() -> str:
    return (ROOT / "README.md").read_text()


def readme_commands() -> list[str]:
    """Every command of the README's `bash` blocks, in order: continuations joined, comments cut."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", readme(), re.DOTALL):
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


def test_every_command_runs_as_written_after_setup():
    """After `python3 dev.py setup` the tap, the source and Meltano are in .venv/bin/, not on PATH."""
    for command in readme_commands():
        for part in command.split("|"):
            words = [w for w in part.split() if not re.fullmatch(r"[A-Z_]+=\S*", w)]
            assert words[0] not in {"tap-auth0-logs", "source-auth0-logs", "python", "pip"}, command
    assert not re.search(r"(?<!\.venv/bin/)python -m tap_auth0_logs", readme())


def test_the_readme_is_short_and_has_contents_that_link_its_sections():
    text = readme()
    assert len(text.splitlines()) <= 400
    headings = re.findall(r"^## (.+)$", text, re.M)
    anchors = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}
    listed = re.findall(r"^\d+\. \[[^]]+\]\(#([\w-]+)\)", text, re.M)
    assert listed
    assert set(listed) <= anchors
    assert [h for h in headings if h.lower().replace(" ", "-") not in listed] == []
    for page in re.findall(r"\]\(([\w./-]+\.md)\)", text):
        assert (ROOT / page).is_file(), page


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


# --- the journey ---------------------------------------------------------------------------


class Reader:
    """A new user at a shell in `home`: runs README commands with the placeholders filled in."""

    def __init__(self, home: Path, tenant: FakeAuth0, *, on_path: bool = False) -> None:
        self.home, self.tenant = home, tenant
        self.env = user_environment()
        if on_path:  # `meltano` of the reader's own (their project has none in .venv/bin)
            self.env["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"

    def fill(self, command: str) -> str:
        """The command for the fake tenant standing in for `acme.us.auth0.com`."""
        return (
            command.replace(
                "TAP_AUTH0_LOGS_CLIENT_ID=…", f"TAP_AUTH0_LOGS_CLIENT_ID={DEFAULT_CLIENT_ID}"
            )
            .replace(
                "TAP_AUTH0_LOGS_CLIENT_SECRET=…",
                f"TAP_AUTH0_LOGS_CLIENT_SECRET={DEFAULT_CLIENT_SECRET}",
            )
            .replace("client_id …", f"client_id {DEFAULT_CLIENT_ID}")
            .replace("client_secret …", f"client_secret {DEFAULT_CLIENT_SECRET}")
            .replace("acme.us.auth0.com", self.tenant.base_url)
        )

    def run(self, command: str, cwd: Path | None = None) -> str:
        """A README command walked here, filled in; its output. It must succeed."""
        assert command in WALK, command
        assert WALK[command] == WALKED, command
        return self.shell(self.fill(command), cwd)

    def shell(self, text: str, cwd: Path | None = None) -> str:
        """Any command line, as the reader types it; its output. It must succeed."""
        done = subprocess.run(
            ["bash", "-c", text],
            cwd=cwd or self.home,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == 0, f"{text}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout + done.stderr


def rows(database: Path, sql: str = "select count(distinct log_id) from auth0.logs") -> Any:
    with duckdb.connect(str(database), read_only=True) as db:
        return db.sql(sql).fetchall()


@pytest.mark.slow
@pytest.mark.xdist_group(DEMO_CLONE)
def test_the_readme_journey_in_one_clone(demo_in_a_clone, make_tenant):
    # The two commands: the demo ran twice in a fresh clone (its first run installed the
    # Meltano plugins), as `python3 dev.py demo`; the tests of the demo check what it said.
    assert WALK["python3 dev.py demo"] == WALKED
    assert "Loaded 10,000 logs this run" in demo_in_a_clone.first
    assert "Loaded 500 logs this run" in demo_in_a_clone.second
    # "Your own tenant": another tenant than the demo's, with an attack in its logs.
    tenant = make_tenant(TenantLogs(count=1200, attacks=(Attack("brute_force", 300),)))
    clone = demo_in_a_clone.clone
    reader = Reader(clone, tenant)
    database = clone / "output" / "auth0_logs.duckdb"

    # Meltano, in this repository: a plain run against the other tenant, no suffix, then dbt
    # and the export on what it loaded. The demo left none of it occupied.
    reader.run(".venv/bin/meltano install")
    reader.run(
        "TAP_AUTH0_LOGS_DOMAIN=acme.us.auth0.com TAP_AUTH0_LOGS_CLIENT_ID=… "
        "TAP_AUTH0_LOGS_CLIENT_SECRET=… .venv/bin/meltano run tap-auth0-logs target-duckdb"
    )
    assert rows(database) == [(1200,)]
    reader.run(".venv/bin/meltano invoke dbt-duckdb:build")
    assert rows(database, "select count(*) from auth0_analytics.auth0__events") == [(1200,)]
    reader.run(".venv/bin/meltano invoke dbt-duckdb:export-ocsf")
    exported = clone / "output" / "ocsf" / "1.5.0" / "jsonl" / "authentication.jsonl"
    assert exported.read_text().count("\n") > 500

    # Settings kept in .env, meltano.yml as it was; then runs with no variables.
    project_file = (clone / "meltano.yml").read_text()
    for setting in ("domain acme.us.auth0.com", "client_id …", "client_secret …"):
        reader.run(f".venv/bin/meltano config set --store=dotenv tap-auth0-logs {setting}")
    assert (clone / "meltano.yml").read_text() == project_file
    kept = (clone / ".env").read_text()
    assert "TAP_AUTH0_LOGS_DOMAIN" in kept
    assert tenant.base_url in kept
    tenant.logs.count += 300
    reader.run(".venv/bin/meltano run tap-auth0-logs target-duckdb dbt-duckdb:build")
    assert rows(database) == [(1500,)]
    state = reader.run(".venv/bin/meltano state get dev:tap-auth0-logs-to-target-duckdb")
    assert tenant.base_url.split("://")[1] in state  # the STATE names its tenant
    listed = reader.shell(".venv/bin/meltano state list")
    assert "demo:tap-auth0-logs-to-target-duckdb" in listed  # the demo's, apart

    # The dbt package: a var per run, the export in OCSF 1.1.0, the alerter's question.
    inline = (
        """.venv/bin/meltano invoke dbt-duckdb build --vars '{"brute_force_min_failures": 20}'"""
    )
    assert f"`{inline}`" in " ".join(readme().split())
    reader.shell(inline)
    # The tenant's day has forgotten passwords too: the attack's own finding.
    victim = tenant.logs.attacks[0].finding().subject
    found = (
        "select count(*) from auth0_analytics.auth0__detections"
        f" where detection = 'brute_force' and subject = '{victim}'"
    )
    assert rows(database, found) == [(1,)]  # raised past it: what was alerted stays
    reader.run(".venv/bin/meltano run tap-auth0-logs target-duckdb dbt-duckdb:build")
    reader.run(
        ".venv/bin/meltano invoke dbt-duckdb:export-ocsf --ocsf-version 1.1.0 "
        "--region eu-west-1 --account 123456789012"
    )
    lake = clone / "output" / "ocsf" / "1.1.0" / "security-lake" / "ext" / "auth0-authentication"
    assert list(lake.glob("region=eu-west-1/accountId=123456789012/eventDay=*/*.parquet"))
    [alert] = re.findall(r"```sql\n(.*?)```", readme(), re.DOTALL)
    found = rows(database, alert.replace("2026-12-01 06:00:00", "2000-01-01 00:00:00"))
    assert "brute_force" in {detection for _, detection, _, _ in found}

    # Singer pipes, with a config.json beside the clone's .venv.
    (clone / "config.json").write_text(json.dumps(tenant.config()))
    assert "Connection test passed" in reader.run(
        ".venv/bin/tap-auth0-logs --config config.json --test"
    )
    reader.run(".venv/bin/tap-auth0-logs --config config.json > out.jsonl")
    assert len(records(clone / "out.jsonl")) == 1500
    tenant.logs.count += 40
    reader.run(STATE_LINE)
    reader.run(".venv/bin/tap-auth0-logs --config config.json --state state.json > out.jsonl")
    assert [r["log_id"] for r in records(clone / "out.jsonl")] == tenant.logs.ids()[-40:]
    # Again with nothing new: the bookmark is kept, and the run after it reads only what came.
    reader.run(STATE_LINE)
    reader.run(".venv/bin/tap-auth0-logs --config config.json --state state.json > out.jsonl")
    assert records(clone / "out.jsonl") == []
    reader.run(STATE_LINE)
    tenant.logs.count += 5
    reader.run(".venv/bin/tap-auth0-logs --config config.json --state state.json > out.jsonl")
    assert [r["log_id"] for r in records(clone / "out.jsonl")] == tenant.logs.ids()[-5:]
    reader.run(".venv/bin/tap-auth0-logs --config config.json --discover > catalog.json")
    assert json.loads((clone / "catalog.json").read_text())["streams"]
    assert "| domain |" in reader.run(".venv/bin/tap-auth0-logs --about --format=markdown")

    # And the demo once more, with the settings of another tenant in .env: it still reads the
    # fake tenant, where it left off.
    assert "Loaded 500 logs this run" in reader.run("python3 dev.py demo")


@pytest.mark.slow
def test_the_readme_in_your_own_meltano_project(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=700))
    reader = Reader(tmp_path, tenant, on_path=True)
    reader.shell("meltano init project --no_usage_stats")
    project = tmp_path / "project"
    for command in (
        "meltano add --plugin-type extractor tap-auth0-logs --from-ref "
        "path/to/tap-auth0-logs/hub/tap-auth0-logs.yml --no-install",
        "meltano add --plugin-type loader target-duckdb --from-ref "
        "path/to/tap-auth0-logs/hub/target-duckdb.yml --no-install",
    ):
        assert WALK[command] == WALKED
        reader.shell(reader.fill(command).replace("path/to/tap-auth0-logs", str(ROOT)), project)
    # As the README says: the tap's pip_url set to the clone, in the project's meltano.yml.
    said = " ".join(readme().split())
    assert "set the tap's `pip_url` to `-e path/to/tap-auth0-logs`" in said
    definition = yaml.safe_load((project / "meltano.yml").read_text())
    [extractor] = definition["plugins"]["extractors"]
    text = (project / "meltano.yml").read_text()
    (project / "meltano.yml").write_text(
        text.replace(f"pip_url: {extractor['pip_url']}", f"pip_url: -e {ROOT}")
    )
    assert "utilities" not in definition["plugins"]  # no stray utility beside them

    reader.run("meltano install", cwd=project)
    reader.run("meltano select tap-auth0-logs logs '*'", cwd=project)
    reader.run(
        "meltano config set --store=dotenv tap-auth0-logs domain acme.us.auth0.com", cwd=project
    )
    for setting in ("client_id …", "client_secret …"):
        reader.shell(
            reader.fill(f"meltano config set --store=dotenv tap-auth0-logs {setting}"), project
        )
    said = reader.run("meltano run tap-auth0-logs target-duckdb", cwd=project)

    assert rows(project / "output" / "auth0_logs.duckdb") == [(700,)]
    # Only `logs`: the other streams, which need a query or users, neither run nor warn.
    assert "search_query" not in said
    tables = "select table_name from information_schema.tables where table_schema = 'auth0'"
    assert rows(project / "output" / "auth0_logs.duckdb", tables) == [("logs",)]


def records(path: Path) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]
    return [m["record"] for m in lines if m["type"] == "RECORD"]


def test_the_settings_table_names_every_setting_of_the_tap_and_no_other():
    """The README's short table and the tap's schema (docs/settings.md, generated, has the rest)."""
    text = readme()
    table = text.split("## Settings\n")[1].split("\n## ")[0]
    named = {
        name
        for row in re.findall(r"^\| (`[^|]+) \|", table, re.M)
        for name in re.findall(r"`(\w+)`", row)
    }
    assert named == set(CONFIG_SCHEMA["properties"])

"""The dbt package's own files, without running dbt: its table of codes, its settings in Meltano."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "transform" / "seeds" / "auth0__event_types.csv"


def test_dbt_runs_in_its_own_plugin_environments_with_usage_reporting_off():
    meltano = yaml.safe_load((ROOT / "meltano.yml").read_text())
    utilities = {plugin["name"]: plugin for plugin in meltano["plugins"]["utilities"]}
    project = yaml.safe_load((ROOT / "transform" / "dbt_project.yml").read_text())
    tap = (ROOT / "pyproject.toml").read_text().split("[project.optional-dependencies]")[0]

    assert set(utilities) == {"dbt-duckdb", "dbt-postgres"}
    for name, plugin in utilities.items():
        assert "dbt-core~=1.11" in plugin["pip_url"]  # 1.12 downloads from GitHub as it installs
        assert name in plugin["pip_url"]
        settings = {setting["env"]: setting.get("value") for setting in plugin["settings"]}
        assert settings["DBT_SEND_ANONYMOUS_USAGE_STATS"] is False
        assert settings["DBT_PROJECT_DIR"] == "$MELTANO_PROJECT_ROOT/transform"
        assert "build" in plugin["commands"]
    assert project["flags"]["send_anonymous_usage_stats"] is False
    assert project["vars"]["auth0_logs_schema"] == "auth0"  # the targets' defaults
    assert project["vars"]["auth0_logs_table"] == "logs"
    assert "dbt" not in tap  # the tap's own dependencies do not grow


def test_the_event_types_seed_covers_every_code_and_matches_its_script(tmp_path):
    with (ROOT / "tap_auth0_logs" / "data" / "log_event_types.csv").open() as source:
        codes = {row["code"] for row in csv.DictReader(source)}
    with SEED.open() as seed:
        rows = list(csv.DictReader(seed))

    assert {row["code"] for row in rows} == codes
    categories = {row["category"] for row in rows}
    assert categories == {
        "login",
        "logout",
        "signup",
        "mfa",
        "password",
        "token",
        "management_api",
        "account",
        "rate_limit",
        "other",
    }
    by_code = {row["code"]: row for row in rows}
    assert (by_code["s"]["ocsf_class_uid"], by_code["s"]["ocsf_activity_id"]) == ("3002", "1")
    assert by_code["ss"]["ocsf_class_uid"] == "3001"
    assert by_code["sapi"]["ocsf_class_uid"] == "6003"
    assert by_code["fp"]["outcome"] == "failure"
    # The committed seed is what the script writes (run it after the tap's table changes);
    # written aside, since dbt builds running beside this test read the committed one.
    written = tmp_path / "auth0__event_types.csv"
    script = ROOT / "transform" / "scripts" / "event_types_seed.py"
    subprocess.run([sys.executable, str(script), str(written)], check=True)
    assert written.read_bytes() == SEED.read_bytes()


def test_the_ocsf_mapping_table_lists_every_classified_code_in_its_row():
    """docs/ocsf-mapping.md says what the seed does: each code in the row of its class and activity."""
    with SEED.open(newline="") as seed:
        classified = {
            row["code"]: (row["ocsf_class_uid"], row["ocsf_activity_id"])
            for row in csv.DictReader(seed)
            if row["ocsf_class_uid"]
        }
    table = (ROOT / "docs" / "ocsf-mapping.md").read_text()
    listed: dict[str, tuple[str, str]] = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        if len(cells) == 5 and cells[0][:4].isdigit():
            for code in re.findall(r"`([^`]+)` \([sfo]\)", cells[3]):
                listed[code] = (cells[0].split()[0], cells[1].split()[0])
    assert listed == classified

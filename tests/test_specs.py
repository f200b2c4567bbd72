"""One source for each setting: Meltano's, the Hub's, Airbyte's and the docs' lists are generated."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from tap_auth0_logs import specs
from tap_auth0_logs.singer.settings import CONFIG_SCHEMA, SECRET_SETTINGS, SETTINGS, Settings
from tap_auth0_logs.singer.tap import TapAuth0Logs

ROOT = Path(__file__).resolve().parent.parent
MELTANO = str(Path(sys.executable).with_name("meltano"))


def test_the_committed_specs_are_what_the_settings_make():
    assert [str(path.relative_to(ROOT)) for path in specs.stale()] == []


def test_the_check_names_a_stale_file_and_fails(tmp_path):
    clone = copy_of_the_specs(tmp_path)
    spec = clone / "airbyte" / "integration_tests" / "spec.json"
    spec.write_text(spec.read_text().replace("Domain", "Tenant"))
    assert specs.stale(clone) == [spec]


def test_only_the_block_between_the_markers_is_rewritten(tmp_path):
    clone = copy_of_the_specs(tmp_path)
    meltano = clone / "meltano.yml"
    text = meltano.read_text()
    before, after = text.split(specs.BEGIN)[0], text.split(specs.END)[1]
    stale = text.replace("label: Domain", "label: The domain").replace(
        "default_environment: dev", "default_environment: dev  # a comment of the user's"
    )
    meltano.write_text(stale)

    rewritten = specs.rendered(clone)[meltano]

    assert rewritten.startswith(before.replace("dev\n", "dev  # a comment of the user's\n", 1))
    assert rewritten.endswith(after)
    assert rewritten.replace("  # a comment of the user's", "") == text


def test_a_file_without_its_markers_is_a_clear_error(tmp_path):
    clone = copy_of_the_specs(tmp_path)
    hub = clone / "hub" / "tap-auth0-logs.yml"
    hub.write_text(hub.read_text().replace(specs.END, ""))
    with pytest.raises(specs.SpecsError, match="must hold the lines"):
        specs.rendered(clone)


def test_the_command_checks_the_clone_it_runs_in():
    done = subprocess.run(
        [sys.executable, "-m", "tap_auth0_logs.specs", "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_meltano_sees_each_setting_as_the_schema_declares_it():
    listed = {entry["name"]: entry for entry in specs.meltano_settings()}
    assert list(listed)[: len(SETTINGS)] == list(SETTINGS)  # the tap's, then the SDK's
    assert {name for name, entry in listed.items() if entry.get("sensitive")} == set(
        SECRET_SETTINGS
    )
    # Text: Meltano's date_iso8601 reads 01-11-2026 as 11 January; the tap checks the format itself.
    assert listed["start_date"]["kind"] == "string"
    assert listed["backfill_concurrency"] | {"description": ""} == {
        "name": "backfill_concurrency",
        "kind": "integer",
        "label": "Backfill Concurrency",
        "description": "",
        "value": 8,
    }
    assert listed["expired_checkpoint"]["options"] == [
        {"label": "Resume", "value": "resume"},
        {"label": "Fail", "value": "fail"},
    ]
    assert listed["rate_limit_reserve"]["kind"] == "decimal"
    assert listed["stream_maps"]["kind"] == "object"
    for name, prop in CONFIG_SCHEMA["properties"].items():
        assert listed[name]["description"] == prop["description"]
        assert listed[name].get("value") == prop.get("default")


def test_each_setting_is_one_field_of_the_settings():
    assert (
        [item.name for item in fields(Settings)]
        == list(SETTINGS)
        == list(CONFIG_SCHEMA["properties"])
    )
    assert CONFIG_SCHEMA["required"] == ["domain"]
    assert SECRET_SETTINGS == ("client_secret", "api_token", "pseudonymize_key")


def test_the_generated_yaml_is_what_meltano_reads():
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    extractor = next(p for p in project["plugins"]["extractors"] if p["name"] == "tap-auth0-logs")
    assert extractor["settings"] == specs.meltano_settings()


def copy_of_the_specs(tmp_path: Path) -> Path:
    """The generated files of this clone, in `tmp_path` laid out as in the repository."""
    for name in ("meltano.yml", "hub/tap-auth0-logs.yml", "airbyte/integration_tests/spec.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "settings.md", tmp_path / "docs" / "settings.md")
    assert specs.stale(tmp_path) == []
    return tmp_path


def test_the_airbyte_spec_holds_the_taps_settings_alone_after_a_tap_is_built():
    """The SDK adds its built-in settings to the tap's schema in place, once a tap is built."""
    before = specs.airbyte_spec()
    TapAuth0Logs(config={"domain": "acme.us.auth0.com", "api_token": "t"}, parse_env_config=False)
    assert "stream_maps" in TapAuth0Logs.config_jsonschema["properties"]
    assert specs.airbyte_spec() == before
    assert "stream_maps" not in CONFIG_SCHEMA["properties"]


@pytest.mark.slow
def test_meltano_keeps_the_markers_when_it_rewrites_the_project_file(tmp_path):
    clone = copy_of_the_specs(tmp_path)
    env = {**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    done = subprocess.run(
        [MELTANO, "config", "set", "tap-auth0-logs", "rate_limit_reserve", "0.3"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rewritten = specs.rendered(clone)[clone / "meltano.yml"]  # the markers are still there
    project = yaml.safe_load(rewritten)
    extractor = next(p for p in project["plugins"]["extractors"] if p["name"] == "tap-auth0-logs")
    assert extractor["config"] == {"rate_limit_reserve": 0.3}
    assert extractor["settings"] == specs.meltano_settings()

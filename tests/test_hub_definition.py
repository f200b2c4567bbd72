"""The Meltano Hub definition, meltano.yml and `--about` tell one story."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import TAP

ROOT = Path(__file__).resolve().parent.parent
MELTANO = str(Path(sys.executable).with_name("meltano"))


def about() -> dict:
    out = subprocess.run(
        [TAP, "--about", "--format=json"], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def project_extractor() -> dict:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    return next(p for p in project["plugins"]["extractors"] if p["name"] == "tap-auth0-logs")


def hub() -> dict:
    return yaml.safe_load((ROOT / "hub" / "tap-auth0-logs.yml").read_text())


SDK_BUILTINS = ("stream_map", "faker", "flattening")


def test_settings_are_the_same_everywhere():
    tap_settings = about()["settings"]["properties"]
    own = [name for name in tap_settings if not name.startswith(SDK_BUILTINS)]
    for definition in (hub(), project_extractor()):
        names = [s["name"] for s in definition["settings"]]
        assert [name for name in names if not name.startswith(SDK_BUILTINS)] == own
        # the SDK's own settings that the README's recipes use are declared, and are the SDK's
        assert {"stream_maps", "stream_map_config"} <= set(names) <= set(tap_settings)


def test_the_hub_definition_installs_from_the_repository():
    definition = hub()
    assert definition["pip_url"] == f"git+{definition['repo']}.git"


def test_secrets_are_sensitive_everywhere():
    secrets = {
        name for name, spec in about()["settings"]["properties"].items() if spec.get("secret")
    }
    assert secrets == {"client_secret", "api_token", "pseudonymize_key"}
    assert {s["name"] for s in hub()["settings"] if s.get("sensitive")} == secrets
    assert {s["name"] for s in project_extractor()["settings"] if s.get("sensitive")} == secrets


def test_capabilities_and_plugin_fields_agree():
    capabilities = sorted(about()["capabilities"])
    assert hub()["capabilities"] == capabilities
    assert sorted(project_extractor()["capabilities"]) == capabilities
    for key in ("namespace", "executable", "settings_group_validation"):
        assert hub()[key] == project_extractor()[key]


def test_every_loader_is_declared_without_a_hub_lookup():
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    for loader in project["plugins"]["loaders"]:
        assert {"namespace", "pip_url", "executable"} <= set(loader), loader["name"]
        assert "variant" not in loader
    duckdb = next(p for p in project["plugins"]["loaders"] if p["name"] == "target-duckdb")
    assert "duckdb>=1.1,<1.3" in duckdb["pip_url"]
    # The loader's definition for your own project (README, "Meltano") installs the same.
    definition = yaml.safe_load((ROOT / "hub" / "target-duckdb.yml").read_text())
    assert definition["pip_url"] == duckdb["pip_url"]
    assert {s["name"] for s in definition["settings"]} == {s["name"] for s in duckdb["settings"]}


@pytest.mark.slow
def test_meltano_adds_the_tap_from_the_definition_file(tmp_path):
    env = {**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    for args, cwd in (
        (["init", "project", "--no_usage_stats"], tmp_path),
        (
            [
                "add",
                "extractor",
                "tap-auth0-logs",
                "--from-ref",
                str(ROOT / "hub" / "tap-auth0-logs.yml"),
                "--no-install",
            ],
            tmp_path / "project",
        ),
    ):
        done = subprocess.run(
            [MELTANO, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr[-2000:]
    project = yaml.safe_load((tmp_path / "project" / "meltano.yml").read_text())
    added = project["plugins"]["extractors"][0]
    assert added["pip_url"] == hub()["pip_url"]
    assert [s["name"] for s in added["settings"]] == [s["name"] for s in hub()["settings"]]

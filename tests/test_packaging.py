"""The package as a release ships it: sdist and wheel build, and the wheel works on its own."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

from tap_auth0_logs.testing import TenantLogs

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

# One worker builds the sdist and wheel for both tests (pytest-xdist's loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packaging")]


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return out


def test_the_wheel_carries_the_package_data_and_the_license(dist):
    wheel = next(dist.glob(f"tap_auth0_logs-{VERSION}-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "tap_auth0_logs/data/log_event_types.csv" in names
    assert "tap_auth0_logs/testing/server.py" in names  # the fake tenant ships for users' tests
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    sdist = next(dist.glob(f"tap_auth0_logs-{VERSION}.tar.gz"))
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    for path in ("LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "docs/auth0-api.md"):
        assert f"tap_auth0_logs-{VERSION}/{path}" in members


def test_the_wheel_installed_alone_reports_its_version_and_extracts(dist, tmp_path, make_tenant):
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    wheel = next(dist.glob("*.whl"))
    pip = [str(environment / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)]
    done = subprocess.run(pip, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    tap = str(environment / "bin" / "tap-auth0-logs")

    about = subprocess.run(
        [tap, "--about", "--format=json"], capture_output=True, text=True, check=True
    )
    assert json.loads(about.stdout)["version"] == VERSION

    tenant = make_tenant(TenantLogs(count=300))
    config = tmp_path / "config.json"
    config.write_text(json.dumps(tenant.config()))
    run = subprocess.run(
        [tap, "--config", str(config)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    records = [json.loads(line)["record"] for line in run.stdout.splitlines() if '"RECORD"' in line]
    assert len(records) == 300
    # the event-type table came with the wheel
    assert all(r["type_description"] == "Success Login" for r in records if r["type"] == "s")
    # the version is read from the package metadata, one place: pyproject.toml
    assert {r.user_agent for r in tenant.requests} == {f"tap-auth0-logs/{VERSION}"}

"""Shared fixtures: a fake tenant per test, Meltano's environment, a throwaway PostgreSQL."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from demo.pipeline import install_plugins
from tap_auth0_logs.testing import FakeAuth0, TenantLogs
from tests.pipelines import meltano_environment, postgres_bin

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def tenant() -> Iterator[FakeAuth0]:
    """A fake tenant with 2,500 logs (25 checkpoint pages)."""
    with FakeAuth0(TenantLogs(count=2500)) as fake:
        yield fake


@pytest.fixture
def make_tenant() -> Iterator[Any]:
    """Build fake tenants with custom logs and switches; all are stopped after the test."""
    started: list[FakeAuth0] = []

    def make(logs: TenantLogs | None = None, **kwargs: Any) -> FakeAuth0:
        fake = FakeAuth0(logs, **kwargs).start()
        started.append(fake)
        return fake

    yield make
    for fake in started:
        fake.stop()


@pytest.fixture(scope="session")
def installed() -> None:
    """The project's Meltano plugins, installed once (the demo's own check, under its lock).

    Workers running side by side (pytest-xdist) wait for the one that installs.
    """
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MELTANO_")},
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    install_plugins(env)


@pytest.fixture
def meltano_env(installed, tmp_path) -> dict[str, str]:
    """Environment for one test: its own system database and output folder."""
    return {
        **meltano_environment(tmp_path),
        "TARGET_JSONL_DESTINATION_PATH": str(tmp_path / "jsonl"),
        "TARGET_DUCKDB_FILEPATH": str(tmp_path / "logs.duckdb"),
    }


@pytest.fixture(scope="session")
def postgres() -> Iterator[dict[str, Any]]:
    """A throwaway PostgreSQL cluster on a free port (`.ci/run` installs the server)."""
    bin_dir = postgres_bin()
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

"""Shared fixtures: a fake tenant per test, Meltano's environment, a throwaway PostgreSQL."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest

from demo.pipeline import install_plugins
from tap_auth0_logs.testing import FakeAuth0, TenantLogs
from tests.pipelines import fresh_clone, meltano_environment, postgres_bin, user_environment

if TYPE_CHECKING:
    from collections.abc import Iterator

#: The tests that share `demo_in_a_clone` run on one worker (pytest-xdist's loadgroup).
DEMO_CLONE = "demo-clone"


@dataclass(frozen=True)
class DemoClone:
    """A fresh clone where a new user ran `python3 dev.py demo` twice, and what they saw."""

    clone: Path
    first: str  # the first run's output
    second: str
    logs_after_second: int  # the demo's table then (later tests go on in the clone)
    events_after_second: int


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


#: Seconds a `slow` test may take, fixtures included: a cold `meltano install`, a Docker build
#: or PyAirbyte's environment is set up inside the first test that needs it.
SLOW_TEST_TIMEOUT = 1800


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A `slow` test without a timeout of its own gets `SLOW_TEST_TIMEOUT`, not the default."""
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TEST_TIMEOUT))


@pytest.fixture(scope="session")
def demo_in_a_clone(tmp_path_factory) -> DemoClone:
    """The README's first command, twice, in a fresh clone: one pair of runs for every check of it.

    The demo's tests check what it said; the README's journey goes on in the same clone, where
    the demo left its state and files. Their tests are one group (`DEMO_CLONE`), on one worker.
    The clone's first demo run installs its own Meltano plugins, as a new user's does.
    """
    clone = fresh_clone(tmp_path_factory.mktemp("clone") / "tap-auth0-logs")
    env = user_environment()

    def demo() -> str:
        done = subprocess.run(
            ["python3", "dev.py", "demo"],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout

    first, second = demo(), demo()
    with duckdb.connect(str(clone / "output" / "demo" / "auth0_logs.duckdb"), read_only=True) as db:
        logs = db.sql("select count(distinct log_id) from auth0.logs").fetchone()
        events = db.sql("select count(*) from auth0_analytics.auth0__events").fetchone()
    assert logs is not None
    assert events is not None
    return DemoClone(clone, first, second, int(logs[0]), int(events[0]))

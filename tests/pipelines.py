"""Helpers for the pipeline tests: Meltano in this project, PostgreSQL's client, the tenant's config."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tap_auth0_logs.testing import FakeAuth0

ROOT = Path(__file__).resolve().parent.parent
MELTANO = str(Path(sys.executable).with_name("meltano"))
#: Meltano as a test runs it in this project: never with the `.env` a user keeps in the clone (the
#: README's `meltano config set --store=dotenv` writes one), whose settings would reach every run.
MELTANO_COMMAND = [MELTANO, "--env-file", os.devnull]


#: The plugins' virtualenvs, under Meltano's system folder: one install, shared by every test.
PLUGIN_KINDS = ("extractors", "loaders", "utilities")


def meltano_system_folder(folder: Path) -> Path:
    """A Meltano system folder (`.meltano`) of the test's own, with the project's plugins in it.

    Meltano writes each plugin's run files (the catalog, the STATE it hands the tap) to one path
    per plugin under its system folder: two runs side by side in one folder would read each
    other's. So each test has its own, and links to the plugins `meltano install` put in the
    project's.
    """
    system = folder / ".meltano"
    system.mkdir(parents=True, exist_ok=True)
    for kind in PLUGIN_KINDS:
        link = system / kind
        if not link.is_symlink():
            link.symlink_to(ROOT / ".meltano" / kind, target_is_directory=True)
    return system


def meltano_environment(folder: Path) -> dict[str, str]:
    """Meltano in this project, its system folder and database (so its STATE), dbt's files: in `folder`."""
    return {
        **os.environ,
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_SYS_DIR_ROOT": str(meltano_system_folder(folder)),
        "MELTANO_DATABASE_URI": f"sqlite:///{folder / 'meltano.db'}",
        "DBT_TARGET_PATH": str(folder / "dbt-target"),
        "DBT_LOG_PATH": str(folder / "dbt-logs"),
    }


def meltano(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*MELTANO_COMMAND, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def tenant_env(tenant: FakeAuth0) -> dict[str, str]:
    return {f"TAP_AUTH0_LOGS_{key.upper()}": value for key, value in tenant.config().items()}


def postgres_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return candidates[-1].parent if candidates else None


def psql(postgres: dict[str, Any], database: str, sql: str, separator: str = "|") -> str:
    done = subprocess.run(
        [
            postgres["psql"],
            "-h",
            postgres["host"],
            "-p",
            str(postgres["port"]),
            "-U",
            postgres["user"],
            "-d",
            database,
            "-At",
            "-F",
            separator,
            "-c",
            sql,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def postgres_settings(postgres: dict[str, Any], database: str) -> dict[str, str]:
    """The connection to the throwaway cluster's `database`, as target-postgres and dbt read it."""
    return {
        "TARGET_POSTGRES_HOST": postgres["host"],
        "TARGET_POSTGRES_PORT": str(postgres["port"]),
        "TARGET_POSTGRES_USER": postgres["user"],
        "TARGET_POSTGRES_PASSWORD": "unused",
        "TARGET_POSTGRES_DATABASE": database,
    }


def fresh_clone(folder: Path) -> Path:
    """This checkout's files as a clone has them (committed or not, never ignored), `.venv` linked.

    `python3 dev.py setup` is then done: the clone's `.venv` is this one (the same pyproject).
    Returns `folder`; None of this checkout is touched by what runs there.
    """
    # dev.py in the clone would reinstall the shared .venv from the clone if its stamp were stale.
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = ROOT / ".venv" / ".installed-from"
    if not stamp.exists() or stamp.read_text() != wanted:
        pytest.fail(".venv is not installed from this pyproject.toml: run `python3 dev.py setup`")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    (folder / ".venv").symlink_to(ROOT / ".venv", target_is_directory=True)
    return folder


def user_environment() -> dict[str, str]:
    """A new user's shell: none of the project's or the tests' variables."""
    prefixes = ("TAP_AUTH0_LOGS_", "MELTANO_", "DBT_", "TARGET_", "DEMO_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return {**env, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}

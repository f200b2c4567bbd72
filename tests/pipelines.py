"""Helpers for the pipeline tests: Meltano in this project, PostgreSQL's client, the tenant's config."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tap_auth0_logs.testing import FakeAuth0

ROOT = Path(__file__).resolve().parent.parent
MELTANO = str(Path(sys.executable).with_name("meltano"))


def meltano_environment(folder: Path) -> dict[str, str]:
    """Meltano in this project, its system database (so its STATE) and dbt's files in `folder`."""
    return {
        **os.environ,
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_DATABASE_URI": f"sqlite:///{folder / 'meltano.db'}",
        "DBT_TARGET_PATH": str(folder / "dbt-target"),
        "DBT_LOG_PATH": str(folder / "dbt-logs"),
    }


def meltano(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [MELTANO, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
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


def postgres_settings(
    postgres: dict[str, Any],
    database: str,
    plugin: str = "TARGET_POSTGRES",
    name_key: str = "DATABASE",
) -> dict[str, str]:
    """A Postgres plugin's connection to the throwaway cluster's `database`, as environment variables."""
    return {
        f"{plugin}_HOST": postgres["host"],
        f"{plugin}_PORT": str(postgres["port"]),
        f"{plugin}_USER": postgres["user"],
        f"{plugin}_PASSWORD": "unused",
        f"{plugin}_{name_key}": database,
    }

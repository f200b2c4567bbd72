"""The main job: `meltano run tap-auth0-logs target-duckdb dbt-duckdb:build`, then a report.

With no tenant configured, a bundled fake Auth0 tenant is started on 127.0.0.1; it grows by 500
logs every run, and Meltano keeps the STATE, so a second run loads only the logs added since.
The fake tenant hides attacks among its ordinary traffic; the dbt package (transform/) finds
them, and the report shows its findings and the OCSF rows by class.
With `--config my.json` or `TAP_AUTH0_LOGS_*` environment variables, the same pipeline reads
your tenant.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from tap_auth0_logs.settings import Settings
from tap_auth0_logs.testing import ATTACKS, Attack, FakeAuth0, Finding, TenantLogs

if TYPE_CHECKING:
    from collections.abc import Mapping

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# `DEMO_OUTPUT` moves the demo's files (and its Meltano state) elsewhere, as its test does.
OUTPUT = Path(os.environ.get("DEMO_OUTPUT") or ROOT / "output")
DATABASE = OUTPUT / "auth0_logs.duckdb"
COUNTER = OUTPUT / "fake_tenant_runs"
FIRST_RUN_LOGS, LOGS_ADDED_PER_RUN = 10_000, 500
PIPELINE = ["tap-auth0-logs", "target-duckdb", "dbt-duckdb:build"]
STATE_ID = "dev:tap-auth0-logs-to-target-duckdb"
ANALYTICS = "auth0_analytics"
#: One of each attack in the first run's logs, and one more among the second run's new logs.
ATTACKS_PLANTED = (
    *(Attack(kind, 300 + 555 * i) for i, kind in enumerate(ATTACKS)),
    Attack("credential_stuffing", FIRST_RUN_LOGS + 150),
)


def main() -> None:
    """Extract and load with Meltano, then report."""
    parser = argparse.ArgumentParser(prog="python3 dev.py demo", description=__doc__)
    parser.add_argument("--config", help="tap config file for a real tenant")
    parser.add_argument(
        "--reset", action="store_true", help="forget this tenant's earlier runs and start over"
    )
    args = parser.parse_args()
    tenant_env: dict[str, str] | None = None
    if args.config:
        tenant_env = {
            f"TAP_AUTH0_LOGS_{k.upper()}": _text(v) for k, v in _read(args.config).items()
        }
        source = f"your tenant ({args.config})"
    elif os.environ.get("TAP_AUTH0_LOGS_DOMAIN"):
        tenant_env = {}
        source = "your tenant (TAP_AUTH0_LOGS_* environment variables)"
    # Each tenant has a database and a Meltano state id of its own: a bookmark of one tenant
    # means nothing to another (the tap refuses it), and one table would mix their logs.
    suffix = None if tenant_env is None else tenant_slug({**os.environ, **tenant_env})
    database = DATABASE if suffix is None else OUTPUT / "tenants" / suffix / DATABASE.name
    env = {
        **os.environ,
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PATH": _path(),
        "TARGET_DUCKDB_FILEPATH": str(database),
        "DBT_DUCKDB_PATH": str(database),
        "DBT_TARGET_PATH": str(OUTPUT / "dbt" / "target"),
        "DBT_LOG_PATH": str(OUTPUT / "dbt" / "logs"),
    }
    if suffix is not None:
        env["MELTANO_RUN_STATE_ID_SUFFIX"] = suffix
    if "DEMO_OUTPUT" in os.environ:
        env["MELTANO_DATABASE_URI"] = f"sqlite:///{OUTPUT / 'meltano.db'}"
    if args.reset:
        database.unlink(missing_ok=True)
        if suffix is None:
            COUNTER.unlink(missing_ok=True)
        state_id = STATE_ID + (f":{suffix}" if suffix else "")
        meltano(["state", "clear", "--force", state_id], env, True)
    database.parent.mkdir(parents=True, exist_ok=True)
    install_plugins(env)
    before = count_rows(database)
    planted: list[Finding] = []
    if tenant_env is not None:
        print(f"Extracting from {source} into {_shown(database)} ...")
        run_pipeline({**env, **tenant_env})
    else:
        planted = run_against_fake_tenant(env)
    report(database, before, planted)


def tenant_slug(environ: Mapping[str, str]) -> str:
    """A file and state-id name for the tenant the `TAP_AUTH0_LOGS_*` variables point at."""
    settings = Settings.from_config(
        {
            "domain": environ.get("TAP_AUTH0_LOGS_DOMAIN", ""),
            "audience": environ.get("TAP_AUTH0_LOGS_AUDIENCE"),
        }
    )
    return re.sub(r"[^a-z0-9]+", "-", settings.tenant).strip("-") or "tenant"


def run_against_fake_tenant(env: dict[str, str]) -> list[Finding]:
    """Start the bundled fake tenant, grown since the last run, and run the pipeline on it.

    Returns what the attacks it planted should be found as.
    """
    runs = int(COUNTER.read_text()) if COUNTER.exists() else 0
    logs = TenantLogs(count=FIRST_RUN_LOGS + LOGS_ADDED_PER_RUN * runs, attacks=ATTACKS_PLANTED)
    with FakeAuth0(logs) as tenant:
        print(f"No tenant configured: using the bundled fake Auth0 tenant at {tenant.base_url}")
        print(
            f"  it holds {logs.count:,} logs (run {runs + 1}; each run adds {LOGS_ADDED_PER_RUN}),"
            f" with {len(logs.planted())} attacks hidden among them."
        )
        # Named by its Management API identifier, the fake tenant is one tenant from run to
        # run, whatever port it is served on, as a real tenant is.
        config = tenant.config(audience=tenant.api_identifier)
        tenant_env = {f"TAP_AUTH0_LOGS_{k.upper()}": v for k, v in config.items()}
        run_pipeline({**env, **tenant_env})
    COUNTER.write_text(str(runs + 1))
    return logs.planted()


def install_plugins(env: dict[str, str]) -> None:
    """`meltano install` once: each plugin gets its own virtualenv under .meltano/.

    Again when pyproject.toml has changed since (the tap's console script may have moved).
    """
    stamp = ROOT / ".meltano" / "extractors" / "tap-auth0-logs" / ".installed-from"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    venvs = [ROOT / ".meltano" / kind / name / "venv" for kind, name in _plugins()]
    if all(venv.exists() for venv in venvs) and stamp.exists() and stamp.read_text() == wanted:
        return
    print("Installing the Meltano plugins (first run, or after an update) ...")
    meltano(["install"], env)
    stamp.write_text(wanted)


def run_pipeline(env: dict[str, str]) -> None:
    """Extract, load and build the dbt package; Meltano passes the STATE between runs."""
    print(f"meltano run {' '.join(PIPELINE)}")
    meltano(["run", *PIPELINE], env)


def meltano(args: list[str], env: dict[str, str], quiet: bool = False) -> None:
    """Run a meltano command in the project; stop with its output if it fails."""
    log = OUTPUT / "meltano.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("a") as out:
        code = subprocess.call(
            [str(BIN / "meltano"), *args], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    if code and not quiet:
        lines = log.read_text().splitlines()
        errors = [line for line in lines if "error" in line.lower()][-8:] or lines[-8:]
        sys.exit(f"meltano {args[0]} failed (full log: {log}):\n  " + "\n  ".join(errors))


def count_rows(database: Path) -> int:
    """Rows in the DuckDB table so far (0 before the first run)."""
    if not database.exists():
        return 0
    with duckdb.connect(str(database), read_only=True) as db:
        tables = db.sql("select count(*) from information_schema.tables where table_name = 'logs'")
        if not tables.fetchone()[0]:  # type: ignore[index]
            return 0
        return int(db.sql("select count(*) from auth0.logs").fetchone()[0])  # type: ignore[index]


def report(database: Path, before: int, planted: list[Finding]) -> None:
    """Events per type, failed logins per country, busiest applications."""
    total = count_rows(database)
    print(f"\nLoaded {total - before:,} logs this run; {_shown(database)} holds {total:,}.\n")
    with duckdb.connect(str(database), read_only=True) as db:
        show(
            db,
            "Events per type",
            """
            select coalesce(type_description, '(unknown: ' || type || ')') as event, count(*) as logs
            from auth0.logs group by 1 order by 2 desc, 1 limit 12""",
        )
        columns = {
            name
            for (name,) in db.sql(
                "select column_name from information_schema.columns where table_name = 'logs'"
            ).fetchall()
        }
        if "location_info" in columns:  # a privacy recipe may have dropped it
            show(
                db,
                "Failed logins per country",
                """
                select coalesce(json_extract_string(location_info, '$.country_name'), '(unknown)')
                       as country, count(*) as failed_logins
                from auth0.logs where type in ('f', 'fp', 'fu') group by 1 order by 2 desc, 1""",
            )
        show(
            db,
            "Busiest client applications",
            """
            select coalesce(nullif(client_name, ''), client_id, '(none)') as application,
                   count(*) as logs, min(date) as first, max(date) as last
            from auth0.logs group by 1 order by 2 desc, 1 limit 5""",
        )
        report_analytics(db, planted)


def report_analytics(db: Any, planted: list[Finding]) -> None:
    """What the dbt package found (against what the fake tenant planted), and the OCSF rows."""
    show(
        db,
        f"Findings ({ANALYTICS}.auth0__detections)",
        f"""
        select detection, severity, subject_type || ' ' || subject as subject, events,
               strftime(first_seen, '%Y-%m-%d %H:%M') as first_seen
        from {ANALYTICS}.auth0__detections order by first_seen, detection""",
    )
    if planted:
        found = set(
            db.sql(
                f"select detection, subject_type, subject from {ANALYTICS}.auth0__detections"
            ).fetchall()
        )
        caught = [p for p in planted if (p.detection, p.subject_type, p.subject) in found]
        print(
            f"The fake tenant planted {len(planted)} attacks; the package found {len(caught)} of"
            " them, each with its subject. The impossible trips beside them are the attackers'"
            " own logins into the accounts they broke into, and the way back home.\n"
        )
    show(
        db,
        f"OCSF 1.5 rows by class ({ANALYTICS}.auth0__ocsf)",
        f"""
        select class_uid, json_extract_string(any_value(ocsf), '$.class_name') as class_name,
               count(*) as logs
        from {ANALYTICS}.auth0__ocsf group by 1 order by 1""",
    )


def show(db: Any, title: str, sql: str) -> None:
    """Print a query's result as a small table."""
    result = db.sql(sql)
    rows = [[str(v) for v in row] for row in result.fetchall()]
    names = list(result.columns)
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    print(title)
    print("  " + "  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)))
    for row in rows:
        print("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    print()


def _plugins() -> list[tuple[str, str]]:
    return [
        ("extractors", "tap-auth0-logs"),
        ("loaders", "target-duckdb"),
        ("utilities", "dbt-duckdb"),
    ]


def _shown(path: Path) -> str:
    """`path` relative to the repo when it is inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _path() -> str:
    return f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"


def _read(path: str) -> dict[str, Any]:
    return dict(json.loads(Path(path).read_text()))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


if __name__ == "__main__":
    main()

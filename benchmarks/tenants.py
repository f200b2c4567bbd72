"""The dbt package over many tenants in one warehouse, beside one tenant of as many logs.

    .venv/bin/python -m benchmarks.tenants [--tenants 10] [--logs-each 100000] [--out FILE]
        [--quick]

(`python3 dev.py bench` runs it too.) Ten fake tenants of 100,000 logs each, every one with its own
name (`tenant-01` ... : records name `tenant-01.us.auth0.com`, the host of the identifier the
tap's token is asked for) and its own seed, and one of each attack planted with the look-alikes
of real tenants (`dbt_build.realistic_mix`). Their log ids are the same (the fake tenant's ids
are a function of a log's number and time), and so are the victims and addresses of their
attacks: the hard case, where anything keyed on a log id or a subject alone mixes tenants. The
tap extracts each tenant as a process; the records go in bulk into one `auth0.logs` table that
target-duckdb created (as in `dbt_build`), as a Meltano state id per tenant would load them.
Then one `dbt build` as a process: wall time, dbt's node time, peak memory, and the findings of
each tenant (each tenant's planted attacks found in that tenant, none above low on a
look-alike). Then the same over one tenant of ten times the logs.
Results: benchmarks/results-tenants.md.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from benchmarks.dbt_build import Build, _dbt_build, _env, _extract, _insert, _meltano, realistic_mix
from tap_auth0_logs.testing import LOOK_ALIKES, FakeAuth0, TenantLogs

FIRST = 1000  # logs target-duckdb loads itself to create the table (then taken out again)


def main() -> None:
    """Build over many tenants, then over one; write the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tenants", description=__doc__)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--logs-each", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results-tenants.md")
    parser.add_argument("--quick", action="store_true", help="3 tenants of 30,000 logs")
    args = parser.parse_args()
    if args.quick:
        args.tenants, args.logs_each = 3, 30_000
    print(run(args.tenants, args.logs_each, args.out))


@dataclass
class Scenario:
    """One warehouse built once: its tenants, logs, the build, and what it found."""

    name: str
    tenants: int
    logs: int
    build: Build
    findings: list[int]  # per tenant
    found_all: int  # tenants whose every planted attack was found in that tenant
    on_look_alikes: int  # findings above low resting on a look-alike's logs (none should be)


def tenant_logs(name: str, seed: int, count: int) -> TenantLogs:
    return TenantLogs(count=count, seed=seed, tenant_name=name, attacks=realistic_mix(count))


def host(logs: TenantLogs) -> str:
    """The tenant a record names (the fake tenant's identifier is `https://NAME.us.auth0.com/`)."""
    return f"{logs.tenant_name}.us.auth0.com"


def run(tenants: int, logs_each: int, out: Path) -> str:
    """Both scenarios; returns (and writes to `out`) the results table."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        env = _env(work)
        for kind, name in (("loader", "target-duckdb"), ("extractor", "tap-auth0-logs")):
            _meltano(["install", kind, name], env)
        _meltano(["install", "utility", "dbt-duckdb"], env)
        empty = _empty_table(work, env)
        many = [tenant_logs(f"tenant-{i:02d}", 7 + i, logs_each) for i in range(1, tenants + 1)]
        one = [tenant_logs("tenant-one", 7, logs_each * tenants)]
        scenarios = [
            _scenario(f"{tenants} tenants of {logs_each:,} logs", many, work, env, empty),
            _scenario(f"1 tenant of {logs_each * tenants:,} logs", one, work, env, empty),
        ]
    table = _table(tenants, logs_each, scenarios)
    out.write_text(table)
    return table


def _empty_table(work: Path, env: dict[str, str]) -> Path:
    """A DuckDB file with `auth0.logs` as target-duckdb creates it (key: tenant, log_id), empty."""
    logs = TenantLogs(count=FIRST)
    with FakeAuth0(logs) as tenant:
        settings = tenant.config(audience=tenant.api_identifier)
        tap_env = {f"TAP_AUTH0_LOGS_{key.upper()}": value for key, value in settings.items()}
        _meltano(["run", "tap-auth0-logs", "target-duckdb"], {**env, **tap_env})
    with duckdb.connect(env["DBT_DUCKDB_PATH"]) as db:
        db.execute("delete from auth0.logs")
    empty = work / "empty.duckdb"
    shutil.move(env["DBT_DUCKDB_PATH"], empty)
    return empty


def _scenario(
    name: str, tenants: list[TenantLogs], work: Path, env: dict[str, str], empty: Path
) -> Scenario:
    """Extract each tenant with the tap, insert them all into one table, build once."""
    slug = "one" if len(tenants) == 1 else "many"
    database = work / f"{slug}.duckdb"
    shutil.copyfile(empty, database)
    scenario_env = {
        **env,
        "DBT_DUCKDB_PATH": str(database),
        "DBT_TARGET_PATH": str(work / f"dbt-target-{slug}"),
    }
    for logs in tenants:
        records = work / f"{logs.tenant_name}.ndjson"
        with FakeAuth0(logs) as tenant:
            count, _ = _extract(tenant, None, records, audience=tenant.api_identifier)
        assert count == logs.count, (logs.tenant_name, count)
        _insert(records, scenario_env)
        records.unlink()
    build = _dbt_build(scenario_env)
    with duckdb.connect(str(database), read_only=True) as db:
        events = db.sql(
            "select tenant, count(*) from auth0_analytics.auth0__events group by 1"
        ).fetchall()
        found = db.sql(
            "select tenant, detection, subject_type, subject, log_ids, severity"
            " from auth0_analytics.auth0__detections"
        ).fetchall()
    assert dict(events) == {host(logs): logs.count for logs in tenants}, events
    per_tenant, found_all, wrong = [], 0, 0
    for logs in tenants:
        mine = [row for row in found if row[0] == host(logs)]
        keys = {(detection, kind, subject) for _, detection, kind, subject, *_ in mine}
        kinds = {(detection, kind) for _, detection, kind, *_ in mine}
        planted = logs.planted()
        found_all += all(
            (f.detection, f.subject_type) in kinds  # block_surge's subject is the tenant's name
            if f.subject_type == "tenant"
            else (f.detection, f.subject_type, f.subject) in keys
            for f in planted
        )
        looks = {
            logs.log_id(attack.at + offset)
            for attack in logs.attacks
            if attack.kind in LOOK_ALIKES
            for offset, _ in attack.steps()
        }
        wrong += sum(1 for *_, ids, severity in mine if severity != "low" and looks & set(ids))
        per_tenant.append(len(mine))
    total = sum(logs.count for logs in tenants)
    return Scenario(name, len(tenants), total, build, per_tenant, found_all, wrong)


def _table(tenants: int, logs_each: int, scenarios: list[Scenario]) -> str:
    command = f"python -m benchmarks.tenants --tenants {tenants} --logs-each {logs_each}"
    lines = [
        "# dbt package: many tenants in one warehouse, beside one tenant",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `{command}` (dbt-core 1.11,"
        " dbt-duckdb 1.11; 2 threads; 2 cores shared with other work).",
        "Each tenant: the fake tenant's ordinary traffic under a name and a seed of its own, one of"
        " each attack planted and, every 40,000 logs, what real tenants do that looks like one; the"
        " tenants share their log ids and the victims and addresses of their attacks. One first"
        " `dbt build` (seed, models, tests) of one DuckDB file holding every tenant; seconds: the"
        " process from start to exit; nodes: dbt's own time running the nodes.",
        "",
        "| warehouse | tenants | logs | seconds | nodes (s) | peak memory (MiB) |"
        " slowest nodes (s) | findings per tenant | tenants with every attack found |"
        " above low on look-alikes |",
        "|---|---:|---:|---:|---:|---:|---|---|---:|---:|",
    ]
    for s in scenarios:
        slowest = ", ".join(f"{node} {seconds:.1f}" for node, seconds in s.build.slowest)
        spread = (
            f"{min(s.findings)}"
            if min(s.findings) == max(s.findings)
            else f"{min(s.findings)} to {max(s.findings)}"
        )
        lines.append(
            f"| {s.name} | {s.tenants} | {s.logs:,} | {s.build.seconds:.1f} |"
            f" {s.build.nodes_seconds:.1f} | {s.build.peak_mib:.0f} | {slowest} | {spread} |"
            f" {s.found_all} of {s.tenants} | {s.on_look_alikes} |"
        )
    many, one = scenarios
    lines += [
        "",
        f"{many.name}: {many.build.seconds / one.build.seconds:.2f} of the time of {one.name}"
        f" ({many.build.nodes_seconds / one.build.nodes_seconds:.2f} of its node time),"
        f" {many.build.peak_mib / one.build.peak_mib:.2f} of its peak memory.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

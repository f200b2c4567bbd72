"""The dbt package's cost: `dbt build` over a million logs in DuckDB, then incrementally.

    .venv/bin/python -m benchmarks.dbt_build [--logs 1000000] [--new 10000] [--out FILE]
        [--before GIT_REF]

(`python3 dev.py bench` runs it too.) The logs are what the tap writes: target-duckdb creates the
`auth0.logs` table from a first real run of `meltano run tap-auth0-logs target-duckdb` over the
first 1,000 logs; the rest are extracted by the tap itself (as a process, from the fake tenant,
with a realistic mix: one of each attack, and its look-alikes every 40,000 logs) and inserted in
bulk, with the table's own column types, so the million rows do not wait on a row-by-row target.
Then dbt, from its Meltano plugin environment, as a process: the first `dbt build` (seed, models,
their tests) with its wall time and peak memory, then `dbt build` again after `--new` more logs
arrive (the incremental models read only those); how many findings rest on a look-alike's logs
(none should); then the OCSF export (`transform/scripts/export_ocsf.py`, what `meltano invoke
dbt-duckdb:export-ocsf` runs) in each OCSF version, with its time, peak memory and bytes on disk
per class. `--before GIT_REF` builds the package as it was at that commit too, on a copy of the
same logs, for a before/after table. Results: benchmarks/results-dbt.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from benchmarks.harness import PeakMemory
from tap_auth0_logs.testing import ATTACKS, LOOK_ALIKES, Attack, FakeAuth0, TenantLogs
from tap_auth0_logs.testing.day import AUTOMATION_CLIENTS

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DBT = ROOT / ".meltano" / "utilities" / "dbt-duckdb" / "venv" / "bin" / "dbt"
EXPORT = ROOT / "transform" / "scripts" / "export_ocsf.py"
FIRST = 1000  # logs loaded by target-duckdb itself, which creates the table
#: What the tenant tells the package (docs/detections.md): its automation's client_ids.
TENANT_VARS = {"automation_clients": list(AUTOMATION_CLIENTS)}


def main() -> None:
    """Load, build, load more, build again; write the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dbt_build", description=__doc__)
    parser.add_argument("--logs", type=int, default=1_000_000)
    parser.add_argument("--new", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results-dbt.md")
    parser.add_argument("--quick", action="store_true", help="50,000 logs, then 1,000 more")
    parser.add_argument("--keep", type=Path, help="keep the DuckDB file here, to look inside")
    parser.add_argument(
        "--before", metavar="GIT_REF", help="also build the package as it was at GIT_REF"
    )
    args = parser.parse_args()
    if args.quick:
        args.logs, args.new = 50_000, 1_000
    print(run(args.logs, args.new, args.out, args.keep, args.before))


def realistic_mix(logs: int) -> tuple[Attack, ...]:
    """One of each attack, and what real tenants do that looks like one, every 40,000 logs.

    Between them, the fake tenant's everyday flows (testing/day.py).
    """
    attacks = [Attack(kind, 5000 + 700 * i) for i, kind in enumerate(ATTACKS)]
    offsets = (0, 4000, 5200, 5300, 5500)  # the traveller lands 12,300 logs later
    for base in range(20_000, logs - 20_000, 40_037):
        attacks += [Attack(kind, base + o) for kind, o in zip(LOOK_ALIKES, offsets, strict=True)]
    return tuple(attacks)


@dataclass
class Package:
    """One version of the dbt package, built twice on its own copy of the same logs."""

    name: str
    first: Build
    second: Build
    findings: tuple[int, int, int, int, int, int]
    # findings, their kinds, those resting on a look-alike (of them above low), those above low
    # resting on no planted attack (ordinary traffic), planted attacks found


def run(logs: int, new: int, out: Path, keep: Path | None = None, before: str | None = None) -> str:
    """The whole scenario; returns (and writes to `out`) the results table."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        env = _env(work)
        tenant_logs, bulk, more = load_realistic_mix(logs, new, env, work)
        looks = {  # what real tenants do: no finding may rest on these logs
            tenant_logs.log_id(attack.at + offset)
            for attack in tenant_logs.attacks
            if attack.kind in LOOK_ALIKES
            for offset, _ in attack.steps()
        }
        planted = {
            attack: {tenant_logs.log_id(attack.at + offset) for offset, _ in attack.steps()}
            for attack in tenant_logs.attacks
            if attack.kind in ATTACKS
        }
        every_planted = set().union(*planted.values())
        packages = {"after": ROOT / "transform"}
        if before:
            packages = {"before": _checkout(before, work / "before"), **packages}
        built = []
        for name, project in packages.items():
            database, first, second = build_twice(name, project, env, work, bulk, more)
            with duckdb.connect(str(database), read_only=True) as db:
                events = db.sql("select count(*) from auth0_analytics.auth0__events").fetchone()
                found = db.sql(
                    "select detection, subject, severity, log_ids"
                    " from auth0_analytics.auth0__detections"
                ).fetchall()
            assert events == (logs + new,), events
            wrong = sum(1 for *_, ids in found if looks & set(ids))
            wrong_above_low = sum(
                1 for *_, severity, ids in found if severity != "low" and looks & set(ids)
            )
            kinds = len({detection for detection, *_ in found})
            ordinary = sum(
                1
                for *_, severity, ids in found
                if severity != "low" and not every_planted & set(ids)
            )
            caught = sum(
                1
                for attack, ids in planted.items()
                if any(
                    (d, s) == (attack.finding().detection, attack.finding().subject)
                    and ids & set(i)
                    for d, s, _, i in found
                )
            )
            counts = (len(found), kinds, wrong, wrong_above_low, ordinary, caught)
            built.append(Package(name, first, second, counts))
        after_env = {**env, "DBT_DUCKDB_PATH": str(work / "after.duckdb")}
        exports = [_export(after_env, version, work / "ocsf") for version in ("1.5.0", "1.1.0")]
        if keep:
            shutil.copyfile(after_env["DBT_DUCKDB_PATH"], keep)
    table = _table(logs, new, built, before) + _export_table(logs + new, exports)
    out.write_text(table)
    return table


def load_realistic_mix(
    logs: int, new: int, env: dict[str, str], work: Path
) -> tuple[TenantLogs, Path, Path]:
    """The plugins installed; target-duckdb's table made by a real first run of `FIRST` logs;
    then the tap's NDJSON of the mix up to `logs` (bulk) and of `new` more, to insert."""
    for kind, name in (
        ("loader", "target-duckdb"),
        ("extractor", "tap-auth0-logs"),
        ("utility", "dbt-duckdb"),
    ):
        _meltano(["install", kind, name], env)
    tenant_logs = TenantLogs(count=FIRST, attacks=realistic_mix(logs))
    with FakeAuth0(tenant_logs) as tenant:
        tap_env = {f"TAP_AUTH0_LOGS_{k.upper()}": v for k, v in tenant.config().items()}
        _meltano(["run", "tap-auth0-logs", "target-duckdb"], {**env, **tap_env})
        tenant_logs.count = logs
        loaded, bulk = _extract(tenant, tenant_logs.log_id(FIRST - 1), work / "bulk.ndjson")
        tenant_logs.count = logs + new
        added, more = _extract(tenant, tenant_logs.log_id(logs - 1), work / "new.ndjson")
    assert loaded == logs - FIRST, loaded
    assert added == new, added
    return tenant_logs, bulk, more


def build_twice(
    name: str, project: Path, env: dict[str, str], work: Path, bulk: Path, more: Path
) -> tuple[Path, Build, Build]:
    """Build `project` on a copy of the loaded database: after `bulk`, then after `more`.

    The copy starts from the table target-duckdb created, so each package is timed on the same
    rows; it returns the copy and the two builds.
    """
    database = work / f"{name}.duckdb"
    shutil.copyfile(env["DBT_DUCKDB_PATH"], database)
    package_env = {
        **env,
        "DBT_DUCKDB_PATH": str(database),
        "DBT_PROJECT_DIR": str(project),
        "DBT_TARGET_PATH": str(work / f"dbt-target-{name}"),
    }
    _insert(bulk, package_env)
    first = _dbt_build(package_env)
    _insert(more, package_env)
    second = _dbt_build(package_env)
    return database, first, second


def _checkout(ref: str, folder: Path) -> Path:
    """The dbt package (`transform/`) as it was at git `ref`, in `folder`."""
    folder.mkdir()
    archive = subprocess.run(
        ["git", "archive", ref, "transform"], cwd=ROOT, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder / "transform"


def _env(work: Path) -> dict[str, str]:
    database = str(work / "logs.duckdb")
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_DATABASE_URI": f"sqlite:///{work / 'meltano.db'}",
        "TARGET_DUCKDB_FILEPATH": database,
        "DBT_DUCKDB_PATH": database,
        "DBT_PROJECT_DIR": str(ROOT / "transform"),
        "DBT_PROFILES_DIR": str(ROOT / "transform" / "profiles" / "duckdb"),
        "DBT_TARGET_PATH": str(work / "dbt-target"),
        "DBT_LOG_PATH": str(work / "dbt-logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def _meltano(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        # Never the `.env` a user keeps in this clone: its settings would reach the benchmark.
        [str(BIN / "meltano"), "--env-file", os.devnull, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"meltano {' '.join(args)} failed:\n{done.stderr[-3000:]}")


def _extract(
    tenant: FakeAuth0, after: str | None, records: Path, **settings: str
) -> tuple[int, Path]:
    """Run the tap from `after` on (None: the oldest log); write its records as JSON lines."""
    config = records.with_suffix(".tap.json")
    start = {"start_log_id": after} if after else {}
    config.write_text(json.dumps({**tenant.config(**settings), **start}))
    count = 0
    with records.open("w") as out:
        tap = subprocess.Popen(
            [str(BIN / "tap-auth0-logs"), "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert tap.stdout is not None
        for line in tap.stdout:
            if b'"RECORD"' in line[:30]:
                record = json.loads(line)["record"]
                out.write(json.dumps({key.lower(): value for key, value in record.items()}))
                out.write("\n")
                count += 1
        if tap.wait():
            raise SystemExit("tap-auth0-logs failed")
    return count, records


def _insert(records: Path, env: dict[str, str]) -> None:
    """Insert the records into auth0.logs in bulk, as the columns target-duckdb made."""
    with duckdb.connect(env["DBT_DUCKDB_PATH"]) as db:
        columns = db.sql(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'auth0' and table_name = 'logs'"
        ).fetchall()
        types = ", ".join(f"'{name}': '{kind}'" for name, kind in columns)
        # The table's own column names and types, and our own file: nothing from outside.
        sql = f"insert into auth0.logs by name select * from read_json('{records}', format = 'newline_delimited', columns = {{{types}}})"  # noqa: S608, E501
        db.execute(sql)


@dataclass
class Build:
    """One `dbt build` process: wall time, peak memory, and dbt's own account of its nodes."""

    seconds: float
    peak_mib: float
    nodes_seconds: float  # dbt's elapsed time running the nodes (after start-up and parsing)
    slowest: list[tuple[str, float]]  # the nodes that took longest


def _dbt_build(env: dict[str, str]) -> Build:
    """Run `dbt build` as a process; its wall time, peak memory and node timings."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(DBT), "build", "--vars", json.dumps(TENANT_VARS)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    peak = PeakMemory(process.pid)
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    peak.stop()
    if process.returncode:
        raise SystemExit("dbt build failed:\n" + output.decode()[-3000:])
    results = json.loads((Path(env["DBT_TARGET_PATH"]) / "run_results.json").read_text())
    nodes = sorted(
        ((r["unique_id"].split(".")[-1], float(r["execution_time"])) for r in results["results"]),
        key=lambda node: -node[1],
    )
    return Build(seconds, peak.mib, float(results["elapsed_time"]), nodes[:4])


@dataclass
class Export:
    """One export process: its version, wall time, peak memory, and per class rows and bytes."""

    version: str
    seconds: float
    peak_mib: float
    classes: dict[str, tuple[int, int, int]]  # class -> (rows, Parquet bytes, JSON lines bytes)


def _export(env: dict[str, str], version: str, out: Path) -> Export:
    """Run the OCSF export with the dbt plugin's Python, as Meltano does; measure it."""
    python = DBT.with_name("python")
    command = [str(python), str(EXPORT), "--ocsf-version", version, "--out", str(out)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE)
    peak = PeakMemory(process.pid)
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    peak.stop()
    if process.returncode:
        raise SystemExit(f"export-ocsf {version} failed")
    classes = {}
    for name in ("authentication", "account-change", "api-activity", "detection-finding"):
        lines = out / version / "jsonl" / f"{name}.jsonl"
        parquet = out / version / "security-lake" / "ext" / f"auth0-{name}"
        rows = sum(1 for _ in lines.open("rb"))
        size = sum(path.stat().st_size for path in parquet.rglob("*.parquet"))
        classes[name] = (rows, size, lines.stat().st_size)
    del output
    return Export(version, seconds, peak.mib, classes)


def _export_table(logs: int, exports: list[Export]) -> str:
    lines = [
        "",
        "## The OCSF export",
        "",
        f"`export_ocsf.py` over the {logs:,} logs' OCSF rows (and the findings), after the"
        " incremental build: Parquet in Security Lake's layout (zstd, one file a day per class)"
        " and JSON lines, per OCSF version; the process's seconds and peak memory.",
        "",
        "| OCSF version | seconds | peak memory (MiB) | class | rows | Parquet bytes |"
        " bytes a row | JSON lines bytes |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for export in exports:
        for index, (name, (rows, size, text)) in enumerate(export.classes.items()):
            head = (
                f"| {export.version} | {export.seconds:.1f} | {export.peak_mib:.0f} |"
                if index == 0
                else "| | | |"
            )
            lines.append(
                f"{head} {name} | {rows:,} | {size:,} | {size / max(rows, 1):.1f} | {text:,} |"
            )
    return "\n".join([*lines, ""])


def _table(logs: int, new: int, built: list[Package], before: str | None) -> str:
    def slowest(build: Build) -> str:
        return ", ".join(f"{name} {seconds:.1f}" for name, seconds in build.slowest)

    command = f"python -m benchmarks.dbt_build --logs {logs} --new {new}"
    if before:
        command += f" --before {before}"
    lines = [
        "# dbt package: `dbt build` in DuckDB",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `{command}` (dbt-core 1.11,"
        " dbt-duckdb 1.11; 2 threads; 2 cores).",
        "The logs: the fake tenant's everyday flows (forgotten passwords and resets, step-up MFA,"
        " Actions that deny, Auth0's blocks of shared addresses, Terraform and the Deploy CLI,"
        " Dashboard forms resent, refresh-token rotation, …: `testing/day.py`) with one of each"
        f" of the {len(ATTACKS)} attacks planted and, every 40,000 logs, what real tenants do that"
        " looks like one (an office's NAT, an app polling silent authentication, a mistyped"
        " password, a launch's signups, a long-haul flight). Both packages built with the"
        " tenant's `automation_clients`.",
        "Seconds: the `dbt build` process from start to exit; nodes: dbt's own elapsed time"
        " running the seed, models and tests (the rest is start-up and parsing)."
        + (
            f" `before`: the package at `{before}`, built on a copy of the same logs."
            if before
            else ""
        ),
        "",
        "| package | build | logs in the table | new logs | seconds | nodes (s) |"
        " peak memory (MiB) | slowest nodes (s) | findings (kinds) | on look-alikes (above low) |"
        " above low on ordinary logs | planted attacks found |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for package in built:
        first, second = package.first, package.second
        found, kinds, wrong, wrong_above_low, ordinary, caught = package.findings
        lines += [
            f"| {package.name} | first | {logs:,} | {logs:,} | {first.seconds:.1f} |"
            f" {first.nodes_seconds:.1f} | {first.peak_mib:.0f} | {slowest(first)} | | | | |",
            f"| {package.name} | incremental | {logs + new:,} | {new:,} | {second.seconds:.1f} |"
            f" {second.nodes_seconds:.1f} | {second.peak_mib:.0f} | {slowest(second)} |"
            f" {found} ({kinds}) | {wrong} ({wrong_above_low}) | {ordinary} |"
            f" {caught} of {len(ATTACKS)} |",
        ]
    lines.append("")
    for package in built:
        first, second = package.first, package.second
        lines.append(
            f"{package.name}: the incremental build costs {second.seconds / first.seconds:.2f} of"
            f" the first ({second.nodes_seconds / first.nodes_seconds:.2f} of its node time)."
        )
    return "\n".join([*lines, ""])


if __name__ == "__main__":
    main()

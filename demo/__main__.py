"""The main job: extract, load, build the dbt package and export OCSF through Meltano, then a report.

With no tenant configured, a bundled fake Auth0 tenant is started on 127.0.0.1; it grows by 500
logs every run, and Meltano keeps the STATE, so a second run loads only the logs added since.
The fake tenant hides attacks among its ordinary traffic; the dbt package finds them.
With `--config my-tenant.json` or `TAP_AUTH0_LOGS_*` variables, the same pipeline reads your
tenant. The demo keeps everything of its own in output/demo/ and runs in Meltano's `demo`
environment (state ids `demo:…`), so a plain `meltano run` of yours starts afresh beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from demo import pipeline, report
from demo.pipeline import DBT, EXTRACTOR, LOADER, Heard, StageFailed, Ticker
from demo.tenant import ConfigProblem, as_environment, check, config_from_environment, slug
from demo.tenant import read_config_file as read_config
from tap_auth0_logs.testing import ATTACKS, Attack, FakeAuth0, Finding, TenantLogs
from tap_auth0_logs.testing.day import AUTOMATION_CLIENTS

ROOT = pipeline.ROOT
BIN = Path(sys.executable).parent
# `DEMO_OUTPUT` moves the demo's files (and its Meltano system database) elsewhere, as tests do.
OUTPUT = Path(os.environ.get("DEMO_OUTPUT") or ROOT / "output" / "demo")
FIRST_RUN_LOGS, LOGS_ADDED_PER_RUN = 10_000, 500
#: The fake tenant plays an Essentials tenant: it keeps logs 5 days (for the countdown).
FAKE_RETENTION_DAYS = 5
#: One of each attack in the first run's logs, and one more among the second run's new logs.
ATTACKS_PLANTED = (
    *(Attack(kind, 300 + 555 * i) for i, kind in enumerate(ATTACKS)),
    Attack("credential_stuffing", FIRST_RUN_LOGS + 150),
)
STATE_ID = f"{pipeline.ENVIRONMENT}:{EXTRACTOR}-to-{LOADER}"


@dataclass
class Target:
    """Where one tenant's run goes: its folder, database and Meltano state id."""

    folder: Path
    state_suffix: str | None

    @property
    def database(self) -> Path:
        """The DuckDB file the loader writes and dbt builds in."""
        return self.folder / "auth0_logs.duckdb"

    @property
    def state_id(self) -> str:
        """Meltano's state id of this tenant's runs."""
        return STATE_ID + (f":{self.state_suffix}" if self.state_suffix else "")


def main() -> None:
    """Check the input, run the stages, report; a failure is its cause in a few lines, exit 1."""
    parser = argparse.ArgumentParser(prog="python3 dev.py demo", description=__doc__)
    parser.add_argument("--config", help="a tap config file for your tenant (JSON)")
    parser.add_argument(
        "--reset", action="store_true", help="forget this tenant's earlier runs and start over"
    )
    args = parser.parse_args()
    try:
        config = tenant_config(args.config)
    except ConfigProblem as exc:
        sys.exit(f"The demo did not start: {exc}")
    if config is None:
        target = Target(OUTPUT, None)
    else:
        name = slug(config)
        target = Target(OUTPUT / name, name)
    try:
        run(target, config, reset=args.reset, source=args.config)
    except StageFailed as exc:
        sys.exit(f"{exc}")


def tenant_config(path: str | None) -> dict[str, object] | None:
    """Your tenant's settings (a file, or the variables), checked by the tap; None: the fake one."""
    if path:
        config = read_config(path)
    elif os.environ.get("TAP_AUTH0_LOGS_DOMAIN"):
        config = config_from_environment(os.environ)
    else:
        return None
    check(config)
    return config


def run(
    target: Target, config: dict[str, object] | None, *, reset: bool, source: str | None
) -> None:
    """The stages, each said as it starts and ends, then the report."""
    env = environment(target)
    started = time.monotonic()
    installing = (
        "Installing the Meltano plugins into .meltano/ (the first run, or after an update) ..."
    )
    if pipeline.install_plugins(env, lambda: print(installing, flush=True)):
        print(f"Installed them ({time.monotonic() - started:.0f} s).")
    if reset:
        forget(target, env)
    target.folder.mkdir(parents=True, exist_ok=True)
    before = report.count_logs(target.database)
    print(
        f"The demo keeps its files in {shown(target.folder)}/ and its Meltano state under"
        f" {target.state_id}: a plain `meltano run` of yours starts afresh beside it.\n"
    )
    planted: list[Finding] = []
    if config is None:
        planted, heard = extract_from_fake_tenant(target, env)
    else:
        where = f"your tenant ({source})" if source else "your tenant (TAP_AUTH0_LOGS_*)"
        heard = extract_and_load(target, {**env, **as_environment(config)}, where)
    loaded = report.count_logs(target.database)
    say(
        "load",
        f"done: auth0.logs in {shown(target.database)} holds {loaded:,} logs ({loaded - before:,} new)",
    )
    build_started = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    # The fake tenant's own machine clients (its Terraform, Deploy CLI and provisioning backend) are
    # declared as automation, as a team declares its own (docs/detections.md): their reads and
    # writes of the Management API are work, not a takeover.
    dbt_vars = {} if config is not None else {"automation_clients": list(AUTOMATION_CLIENTS)}
    built = build(target, env, dbt_vars)
    exported = export(target, env)
    print(
        f"\nLoaded {loaded - before:,} logs this run; {shown(target.database)} holds {loaded:,}.\n"
    )
    report.logs(target.database)
    report.findings(target.database, build_started, planted)
    report.ocsf(target.database)
    warnings(heard, built)
    next_steps(target, exported, fake=config is None)


def forget(target: Target, env: dict[str, str]) -> None:
    """`--reset`: this tenant's database, its Meltano state and (fake tenant) its growth."""
    target.database.unlink(missing_ok=True)
    (target.folder / "fake_tenant.json").unlink(missing_ok=True)
    log = target.folder / "logs" / "reset.log"
    with contextlib.suppress(StageFailed):  # no state yet: nothing to forget
        pipeline.run("reset", ["state", "clear", "--force", target.state_id], env, log)
    print(f"Forgot the earlier runs of {shown(target.folder)}/ (state {target.state_id}).")


def environment(target: Target) -> dict[str, str]:
    """Meltano's environment for the demo: its `demo` environment, files in the target's folder."""
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TAP_AUTH0_LOGS_", "MELTANO_RUN_"))
        },
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "TARGET_DUCKDB_FILEPATH": str(target.database),
        "DBT_DUCKDB_PATH": str(target.database),
        "DBT_TARGET_PATH": str(OUTPUT / "dbt" / "target"),
        "DBT_LOG_PATH": str(OUTPUT / "dbt" / "logs"),
        "DBT_LOG_FORMAT": "json",
    }
    if target.state_suffix:
        env["MELTANO_RUN_STATE_ID_SUFFIX"] = target.state_suffix
    if "DEMO_OUTPUT" in os.environ:
        env["MELTANO_DATABASE_URI"] = f"sqlite:///{OUTPUT / 'meltano.db'}"
    return env


def extract_from_fake_tenant(target: Target, env: dict[str, str]) -> tuple[list[Finding], Heard]:
    """Start the bundled fake tenant, grown since the last run, and extract from it.

    Its logs end a day before the first run (so they look recent), the same logs run after run.
    Returns what its planted attacks should be found as, and what the stage said.
    """
    kept = target.folder / "fake_tenant.json"
    facts = json.loads(kept.read_text()) if kept.exists() else {}
    runs = int(facts.get("runs", 0))
    count = FIRST_RUN_LOGS + LOGS_ADDED_PER_RUN * runs
    start = facts.get("start") or (
        datetime.now(UTC) - timedelta(days=1, seconds=2 * FIRST_RUN_LOGS)
    ).isoformat(timespec="seconds")
    logs = TenantLogs(count=count, attacks=ATTACKS_PLANTED, start=datetime.fromisoformat(start))
    with FakeAuth0(logs) as tenant:
        print(
            f"No tenant configured: the bundled fake Auth0 tenant at {tenant.base_url} holds"
            f" {logs.count:,} logs (run {runs + 1}; each run adds {LOGS_ADDED_PER_RUN}), with"
            f" {len(logs.planted())} attacks hidden among them."
        )
        # Named by its Management API identifier, the fake tenant is one tenant from run to
        # run, whatever port it is served on, as a real tenant is.
        config = tenant.config(audience=tenant.api_identifier, retention_days=FAKE_RETENTION_DAYS)
        heard = extract_and_load(target, {**env, **as_environment(config)}, "the fake tenant")
    kept.write_text(json.dumps({"runs": runs + 1, "start": start}))
    return logs.planted(), heard


def extract_and_load(target: Target, env: dict[str, str], where: str) -> Heard:
    """`meltano run tap-auth0-logs target-duckdb`: the tap's count and rate, then the load."""
    say("extract", f"started: {EXTRACTOR} reads {where}; {LOADER} loads as it goes")
    started = time.monotonic()
    ticker = Ticker(lambda heard: f"{heard.progress:,} logs so far" if heard.progress else None)
    log = target.folder / "logs" / "extract-load.log"
    heard = pipeline.run("extract", ["run", EXTRACTOR, LOADER], env, log, ticker)
    seconds = heard.sync_seconds or time.monotonic() - started
    say(
        "extract",
        f"done: {heard.records:,} logs in {seconds:.1f} s ({heard.records / max(seconds, 1e-3):,.0f} logs/s)",
    )
    return heard


def build(target: Target, env: dict[str, str], dbt_vars: dict[str, Any]) -> Heard:
    """`meltano invoke dbt-duckdb:build`: seed, models and data tests, with dbt's progress."""
    say("dbt", "started: dbt build (the seed, the models, the data tests)")
    started = time.monotonic()
    ticker = Ticker(
        lambda heard: "{} of {} nodes started".format(*heard.nodes) if heard.nodes[1] else None
    )
    args = ["invoke", f"{DBT}:build", *(["--vars", json.dumps(dbt_vars)] if dbt_vars else [])]
    heard = pipeline.run("dbt", args, env, target.folder / "logs" / "dbt-build.log", ticker)
    stats = heard.dbt_stats
    say(
        "dbt",
        f"done in {time.monotonic() - started:.0f} s: {stats.get('total', 0)} nodes,"
        f" {stats.get('pass', 0)} passed, {stats.get('warn', 0)} warned, {stats.get('error', 0)} failed",
    )
    return heard


def export(target: Target, env: dict[str, str]) -> Path:
    """`meltano invoke dbt-duckdb:export-ocsf`: OCSF 1.5.0 as Parquet and JSON lines; where."""
    out = target.folder / "ocsf"
    say("export", "started: OCSF 1.5.0 for Amazon Security Lake (Parquet) and SIEMs (JSON lines)")
    started = time.monotonic()
    pipeline.run(
        "export",
        ["invoke", f"{DBT}:export-ocsf", "--out", str(out)],
        env,
        target.folder / "logs" / "export.log",
    )
    lines = {
        path.stem: sum(1 for _ in path.open())
        for path in sorted((out / "1.5.0" / "jsonl").glob("*.jsonl"))
    }
    counts = ", ".join(f"{count:,} {name}" for name, count in lines.items())
    say("export", f"done in {time.monotonic() - started:.0f} s: {shown(out / '1.5.0')}/ ({counts})")
    return out


def warnings(*stages: Heard) -> None:
    """The run's warnings, as the tap and dbt said them, and the tap's retention countdown."""
    said = [warning for heard in stages for warning in heard.warnings]
    countdowns = [heard.retention for heard in stages if heard.retention]
    for line in countdowns:
        if not any(line in warning for warning in said):
            said.append(f"{EXTRACTOR}: {line}")
    print("Warnings of this run" if said else "No warnings in this run.")
    for line in said:
        print(f"  {line}")
    print()


def next_steps(target: Target, exported: Path, *, fake: bool) -> None:
    """What to do next: your tenant, Meltano, Airbyte, the findings and alerting on new ones."""
    database = shown(target.database)
    print(
        "Next\n"
        '  - Your tenant: create a machine-to-machine application with read:logs (README, "Your own\n'
        '    tenant"), then run the same pipeline on it with Meltano:\n'
        "      TAP_AUTH0_LOGS_DOMAIN=acme.us.auth0.com TAP_AUTH0_LOGS_CLIENT_ID=… TAP_AUTH0_LOGS_CLIENT_SECRET=… \\\n"
        "        .venv/bin/meltano run tap-auth0-logs target-duckdb dbt-duckdb:build\n"
        "    (or this demo on it: python3 dev.py demo --config my-tenant.json).\n"
        "  - Meltano, Singer pipes, Airbyte (an image, PyAirbyte, Airbyte Cloud): README, table of contents.\n"
        f"  - The findings: {database}, table auth0_analytics.auth0__detections. Alert on new ones with\n"
        "      select * from auth0_analytics.auth0__detections where first_detected_at > <your last check>\n"
        "    (docs/detections.md). The OCSF files for your SIEM: "
        f"{shown(exported)}/.\n"
        + (
            "  - Run the demo again: 500 new logs, and only those are loaded. Start over: --reset."
            if fake
            else "  - Run it again: only the logs your tenant wrote since are loaded. Start over: --reset."
        )
    )


def say(stage: str, text: str) -> None:
    """One stage's line."""
    print(f"{stage:<8} {text}", flush=True)


def shown(path: Path) -> str:
    """`path` relative to the repository when it is inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


if __name__ == "__main__":
    main()

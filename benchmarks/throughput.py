"""Records per second of the tap against a minimal requests loop, same tenant, same run.

    .venv/bin/python -m benchmarks.throughput [--logs 20000] [--repeat 3] [--latency 0]

Both run as processes whose stdout is read through a pipe, as a target would read it; the
wall time includes interpreter start and imports. The median of `--repeat` runs is reported.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tap_auth0_logs.log_ids import checkpoint_before, parse_datetime
from tests.fake_tenant import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeAuth0, TenantLogs

ROOT = Path(__file__).resolve().parent.parent
TAP = str(Path(sys.executable).with_name("tap-auth0-logs"))


def timed(command: list[str]) -> tuple[float, int]:
    """Run `command`, count RECORD lines on its stdout, return (seconds, records)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    assert process.stdout is not None
    records = sum(1 for line in process.stdout if b'"RECORD"' in line[:30])
    if process.wait():
        raise SystemExit(f"{command[0]} failed")
    return time.perf_counter() - started, records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logs", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per API request")
    args = parser.parse_args()

    logs = TenantLogs(count=args.logs)
    oldest = min(logs.kept()[:200], key=lambda log: log["date"])  # also makes every log once
    start = checkpoint_before(parse_datetime(oldest["date"]))
    results: dict[str, list[float]] = {"bare requests loop": [], "tap-auth0-logs": []}
    with FakeAuth0(logs) as tenant, tempfile.TemporaryDirectory() as tmp:
        tenant.faults.latency = args.latency
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps(tenant.config()))
        bare = [
            sys.executable,
            "-m",
            "benchmarks.bare_loop",
            tenant.base_url,
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
            start,
        ]
        tap = [TAP, "--config", str(config)]
        for _ in range(args.repeat):
            for name, command in (("bare requests loop", bare), ("tap-auth0-logs", tap)):
                seconds, records = timed(command)
                assert records == args.logs, f"{name} emitted {records} of {args.logs}"
                results[name].append(args.logs / seconds)
    bare_rate = statistics.median(results["bare requests loop"])
    lines = [
        f"Throughput, {args.logs:,} logs, latency {args.latency * 1000:.0f} ms, "
        f"median of {args.repeat} ({platform.python_implementation()} "
        f"{platform.python_version()}, {datetime.now(UTC):%Y-%m-%d})",
        "",
        "| extractor | records/s | ratio to bare loop |",
        "|---|---:|---:|",
    ]
    for name, rates in results.items():
        rate = statistics.median(rates)
        lines.append(f"| {name} | {rate:,.0f} | {rate / bare_rate:.2f} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

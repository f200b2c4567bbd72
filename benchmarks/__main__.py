"""Every benchmark scenario in one command; a results table and a chart.

    .venv/bin/python -m benchmarks [--quick] [--out benchmarks/results]

(`python3 dev.py bench` installs the `benchmarks` extra and runs this.) Every extractor runs as
a process against the fake tenant and is read through a pipe, as a target would read it; wall
time runs from process start to exit, so interpreter start, imports, the token and the start
probes are all counted. Ratios compare runs made in the same session, on the same tenant:

1. lean path: no latency, no rate limit; the tap, and the same tap as the Airbyte source, against
   a minimal requests loop (the median of three runs each).
2. latency: an Enterprise tenant's limit (16 requests/s, burst 50) at 0, 20, 100 and 300 ms per
   request; the bare loop, the tap with one cursor and the tap's default parallel backfill,
   against the least time the rate limit allows.
3. memory: the tap's peak RSS extracting 10,000 and 1,000,000 logs.
4. nothing new: an incremental run with nothing to extract, against starting Python and
   importing the SDK.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.harness import ENTERPRISE, Measured, bound_seconds, run_process, tenant
from tap_auth0_logs.backfill import DEFAULT_BACKFILL_CONCURRENCY

LATENCIES_MS = (0, 20, 100, 300)
ONE_CURSOR: dict[str, Any] = {"backfill_concurrency": 1}
DEFAULT = f"tap, default ({DEFAULT_BACKFILL_CONCURRENCY} cursors at most)"
AIRBYTE = "source-auth0-logs (Airbyte), default"


@dataclass
class Row:
    """One line of the results table."""

    scenario: str
    extractor: str
    logs: int
    run: Measured
    bare: Measured | None = None
    bound: float | None = None  # seconds the rate limit allows at best
    too_many: int | None = None  # 429 answers

    def cells(self) -> list[str]:
        ratio = f"{self.run.rate / self.bare.rate:.2f}" if self.bare else ""
        bound = f"{self.run.seconds / self.bound:.2f}" if self.bound else ""
        return [
            self.scenario,
            self.extractor,
            f"{self.logs:,}",
            f"{self.run.seconds:.1f}",
            f"{self.run.rate:,.0f}",
            ratio,
            bound,
            "" if self.too_many is None else str(self.too_many),
            f"{self.run.peak_rss_mb:.0f}",
        ]


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sweep: dict[str, list[float]] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(" | ".join(row.cells()), flush=True)


def median_run(command: list[str], repeat: int) -> Measured:
    runs = sorted((run_process(command) for _ in range(repeat)), key=lambda r: r.seconds)
    return runs[len(runs) // 2]


def lean_path(results: Results, logs: int, repeat: int) -> None:
    with tenant(logs) as t:
        bare = median_run(t.bare_loop(), repeat)
        results.add(Row("lean path, no latency", "bare requests loop", logs, bare, bare))
        runs = {}
        for name, command in (
            ("tap, 1 cursor", t.tap(ONE_CURSOR)),
            (DEFAULT, t.tap()),
            (AIRBYTE, t.airbyte()),
        ):
            runs[name] = run = median_run(command, repeat)
            assert run.records == logs, f"{name}: {run.records} of {logs}"
            results.add(Row("lean path, no latency", name, logs, run, bare))
        ratio = runs[AIRBYTE].rate / runs[DEFAULT].rate
        results.notes.append(
            f"The Airbyte source read {logs:,} logs at {ratio:.2f}x the records/s of the Singer "
            "path (the same tap, its default settings) in the same run."
        )


def latency_sweep(results: Results, logs: int) -> None:
    bound = bound_seconds(logs, ENTERPRISE)
    results.sweep["rate-limit bound"] = [logs / max(bound, 1e-9)] * len(LATENCIES_MS)
    for latency in LATENCIES_MS:
        scenario = f"{latency} ms, 16 req/s burst 50"
        with tenant(logs, latency / 1000, ENTERPRISE) as t:
            bare: Measured | None = None
            for name, command in (
                ("bare requests loop", t.bare_loop()),
                ("tap, 1 cursor", t.tap(ONE_CURSOR)),
                (DEFAULT, t.tap()),
            ):
                t.reset()
                run = run_process(command)
                assert run.records == logs, f"{name}: {run.records} of {logs}"
                bare = bare or run
                results.add(Row(scenario, name, logs, run, bare, bound, t.count(429)))
                results.sweep.setdefault(name, []).append(run.rate)


def memory(results: Results, small: int, large: int) -> None:
    peaks = []
    for logs in (small, large):
        with tenant(logs) as t:
            run = run_process(t.tap())
            assert run.records == logs, f"{run.records} of {logs}"
            results.add(Row("memory", DEFAULT, logs, run))
            peaks.append(run.peak_rss_mb)
    results.notes.append(
        f"Peak RSS for {large:,} logs is {peaks[1] / peaks[0]:.2f}x the peak for {small:,} logs."
    )


def nothing_new(results: Results, repeat: int) -> None:
    python = [sys.executable, "-c", "pass"]
    sdk = [sys.executable, "-c", "import singer_sdk"]
    with tenant(10_000) as t:
        caught_up = run_process(t.tap()).last_state
        t.reset()
        idle = [run_process(t.tap(state=caught_up)) for _ in range(repeat)]
        assert all(run.records == 0 for run in idle)
        requests = len(t.fake.api_requests()) // repeat
    seconds = {
        "start Python": median_run(python, repeat).seconds,
        "start Python and import singer_sdk": median_run(sdk, repeat).seconds,
        "tap run with nothing new": statistics.median(run.seconds for run in idle),
    }
    for name, value in seconds.items():
        results.notes.append(f"{name}: {value:.2f} s (median of {repeat})")
    results.notes.append(
        f"A run with nothing new costs {seconds['tap run with nothing new']:.2f} s: "
        f"{seconds['tap run with nothing new'] - seconds['start Python and import singer_sdk']:.2f}"
        f" s more than importing the SDK, for {requests} API requests (the bookmark's log still "
        "kept, then one empty page) and a token."
    )


HEADER = [
    "scenario",
    "extractor",
    "logs",
    "seconds",
    "records/s",
    "ratio to bare loop",
    "ratio to rate-limit bound",
    "429s",
    "peak RSS (MB)",
]


def machine() -> str:
    cpus = os.cpu_count()
    return (
        f"{datetime.now(UTC):%Y-%m-%d}, {platform.system()} {platform.machine()}, {cpus} cores, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )


def write(results: Results, out: Path) -> None:
    lines = [
        f"Measured {machine()}; `python -m benchmarks`.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join(["---"] * 2 + ["---:"] * (len(HEADER) - 2)) + "|",
        *("| " + " | ".join(row.cells()) + " |" for row in results.rows),
        "",
        *(f"- {note}" for note in results.notes),
        "",
    ]
    out.with_suffix(".md").write_text("\n".join(lines))
    print("\n".join(lines))
    if results.sweep:
        from benchmarks.chart import plot  # noqa: PLC0415 - matplotlib only when charting

        plot(results.sweep, LATENCIES_MS, out.with_suffix(".png"), machine())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the command")
    parser.add_argument("--out", type=Path, help="default: benchmarks/results (-quick)")
    args = parser.parse_args()
    # A quick try does not overwrite the full results the README shows.
    args.out = args.out or Path(__file__).parent / ("results-quick" if args.quick else "results")
    quick = args.quick
    results = Results()
    print(" | ".join(HEADER), flush=True)
    lean_path(results, logs=5_000 if quick else 50_000, repeat=1 if quick else 3)
    latency_sweep(results, logs=10_000 if quick else 30_000)
    memory(results, small=10_000, large=50_000 if quick else 1_000_000)
    nothing_new(results, repeat=3 if quick else 5)
    write(results, args.out)


if __name__ == "__main__":
    main()

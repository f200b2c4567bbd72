"""Every benchmark scenario in one command; a results table and a chart.

    .venv/bin/python -m benchmarks [--quick] [--out benchmarks/results] [--plan-runs N]

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
4. plan profiles: Auth0's plans' Management API limits (Free, Essentials per minute, Enterprise),
   the tap beside the simple citizen (benchmarks/citizen.py: at a fifth of the bucket it sleeps
   until the reset), with and without the tenant's other clients spending the same bucket; time
   against a bound that leaves a fifth of the bucket to others, 429s per client, 80% crossings,
   lowest level.
5. nothing new: an incremental run with nothing to extract, against starting Python and
   importing the SDK.
6. the dbt package: `dbt build` over a million logs in DuckDB, then after 10,000 more
   (benchmarks/dbt_build.py; results-dbt.md).
7. the declarative logs stream (airbyte/declarative/) beside source-auth0-logs and the bare loop
   (benchmarks/declarative.py; results-declarative.md).
8. several tenants: `dbt build` over ten tenants of 100,000 logs each in one DuckDB file, beside
   one tenant of 1,000,000 (benchmarks/tenants.py; results-tenants.md).
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

from benchmarks import dbt_build, declarative, pacing_parts, tenants
from benchmarks.harness import (
    ENTERPRISE,
    Measured,
    bound_seconds,
    plan_bound_seconds,
    run_process,
    tenant,
)
from tap_auth0_logs.backfill import DEFAULT_BACKFILL_CONCURRENCY

LATENCIES_MS = (0, 20, 100, 300)
ONE_CURSOR: dict[str, Any] = {"backfill_concurrency": 1}
DEFAULT = f"tap, default ({DEFAULT_BACKFILL_CONCURRENCY} cursors at most)"
AIRBYTE = "source-auth0-logs (Airbyte), default"
PSEUDONYMS = "tap, default, keyed pseudonyms on"
#: A key for the pseudonyms scenario (a benchmark's, not a secret).
BENCH_KEY = "benchmark-key-not-a-secret"


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
    plans: list[PlanResult] = field(default_factory=list)

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
            (PSEUDONYMS, t.tap({"pseudonymize_key": BENCH_KEY})),
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
        keyed = runs[PSEUDONYMS].rate / runs[DEFAULT].rate
        results.notes.append(
            f"With keyed pseudonyms on (the default fields), the tap read {logs:,} logs at "
            f"{keyed:.2f}x the records/s of the lean path in the same run."
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


@dataclass(frozen=True)
class Plan:
    """A plan's Management API limit, as the tap meets it on a tenant."""

    name: str
    logs: int
    per_second: float
    burst: int
    latency_ms: int
    per_minute: bool = False
    others: float = 0.0


PLANS = (
    Plan("Free: 2/s, burst 2, 50 ms", 2_000, 2.0, 2, 50),
    Plan("Essentials /logs: 100/min, burst 10, 100 ms", 3_000, 100 / 60, 10, 100, True),
    Plan("Essentials, other clients at 0.4/s", 3_000, 100 / 60, 10, 100, True, 0.4),
    Plan("Enterprise: 16/s, burst 50, 100 ms", 30_000, 16.0, 50, 100),
    Plan("Enterprise, other clients at 4/s", 30_000, 16.0, 50, 100, False, 4.0),
)


TAP_CLIENT, CITIZEN = "tap", "simple citizen"


@dataclass
class PlanResult:
    """One plan profile's run of one client: the tap with its default settings, or the citizen."""

    plan: Plan
    client: str
    seconds: float  # the process, start to exit
    api_seconds: float  # its first API request to its last, as the tenant saw them
    bound: float
    tap_429s: int
    others_429s: int
    crossings: int
    lowest: int
    records: int
    logs: int

    def cells(self) -> list[str]:
        return [
            self.plan.name,
            self.client,
            f"{self.logs:,}",
            f"{self.seconds:.1f}",
            f"{self.api_seconds:.1f}",
            f"{self.bound:.1f}",
            f"{self.seconds / self.bound:.2f}",
            f"{self.tap_429s} / {self.others_429s}",
            str(self.crossings),
            f"{self.lowest} of {self.plan.burst}",
        ]


PLAN_HEADER = [
    "plan profile",
    "client",
    "logs",
    "seconds",
    "API seconds",
    "bound*",
    "ratio",
    "429s (client / other clients)",
    "80% crossings",
    "lowest level",
]


def plans(results: Results, scale: float = 1.0, round_number: int = 0) -> None:
    """Each plan profile: the tap's default run and the simple citizen's, on one tenant.

    The bucket is refilled before each run (its other clients keep spending it); which client
    goes first alternates with `round_number`.
    """
    for plan in PLANS:
        logs = max(500, int(plan.logs * scale))
        limit = (plan.per_second, plan.burst)
        with tenant(
            logs, plan.latency_ms / 1000, limit, per_minute=plan.per_minute, others=plan.others
        ) as t:
            clients = [(TAP_CLIENT, t.tap()), (CITIZEN, t.citizen())]
            for client, command in clients[:: 1 if round_number % 2 == 0 else -1]:
                t.reset()
                run = run_process(command)
                bucket = t.fake.rate_limit
                result = PlanResult(
                    plan,
                    client,
                    run.seconds,
                    t.api_seconds(),
                    plan_bound_seconds(logs, limit, plan.others),
                    bucket.too_many["tap"],
                    bucket.too_many["others"],
                    bucket.crossings,
                    bucket.lowest,
                    run.records,
                    logs,
                )
                assert result.records == logs, f"{plan.name}, {client}: {run.records} of {logs}"
                results.plans.append(result)
                print(" | ".join(result.cells()), flush=True)


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
        "kept, one empty page, the oldest log for the retention countdown) and a token."
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
    if results.plans:
        lines += [
            "Plan profiles: the tap with its default settings, and the simple citizen, on a fake "
            "tenant whose one bucket is shared with the tenant's other clients. *bound = (pages "
            "- 0.8 x burst) / (sustained rate - other clients' rate): a perfect client that "
            "leaves a fifth of the bucket.",
            "",
            "| " + " | ".join(PLAN_HEADER) + " |",
            "|" + "|".join(["---"] + ["---:"] * (len(PLAN_HEADER) - 1)) + "|",
            *("| " + " | ".join(plan.cells()) + " |" for plan in results.plans),
            "",
        ]
    out.with_suffix(".md").write_text("\n".join(lines))
    print("\n".join(lines))
    if results.sweep:
        from benchmarks.chart import plot  # noqa: PLC0415 - matplotlib only when charting

        plot(results.sweep, LATENCIES_MS, out.with_suffix(".png"), machine())
    if results.plans:
        from benchmarks.chart import plot_plans  # noqa: PLC0415 - matplotlib only when charting

        plans_chart = out.with_name(f"{out.name}-plans.png")
        plot_plans(
            [
                (p.plan.name, p.seconds, p.bound, p.lowest, p.plan.burst)
                for p in results.plans
                if p.client == TAP_CLIENT
            ],
            plans_chart,
            machine(),
        )


def plan_runs(runs: int, out: Path) -> None:
    """Every plan profile `runs` times, the tap beside the simple citizen in each round.

    The tap's goal is 1.15 x bound + 1.5 s (the bound leaves a fifth of the bucket to other
    clients), and no longer than the citizen.
    """
    results = Results()
    for number in range(runs):
        print(f"round {number + 1} of {runs}", flush=True)
        plans(results, round_number=number)
    out.write_text(plan_table(results, runs))
    print(out.read_text())
    plot_plan_medians(results, out.with_name("results-plans.png"))


def plot_plan_medians(results: Results, path: Path) -> None:
    """The plan profiles' chart: the tap's median run of each, the citizen's beside it."""
    from benchmarks.chart import plot_plans  # noqa: PLC0415 - matplotlib only when charting

    rows, citizen = [], []
    for plan in PLANS:
        tap = sorted(
            (r for r in results.plans if r.plan is plan and r.client == TAP_CLIENT),
            key=lambda r: r.seconds,
        )
        middle = tap[len(tap) // 2]
        rows.append((plan.name, middle.seconds, middle.bound, middle.lowest, plan.burst))
        citizens = [r.seconds for r in results.plans if r.plan is plan and r.client == CITIZEN]
        citizen.append(statistics.median(citizens))
    plot_plans(rows, path, machine(), citizen)


def plan_table(results: Results, runs: int) -> str:
    """The plan profiles' table: each profile's runs of the tap and of the simple citizen."""
    lines = [
        f"Measured {machine()}; `python -m benchmarks --plan-runs {runs}`.",
        "",
        "| plan profile | logs | tap: seconds, each run | citizen: seconds, each run | bound* "
        "| tap worst / goal | tap / citizen (median; API time) "
        "| 429s tap / citizen / others, worst | 80% crossings tap / citizen, worst "
        "| lowest level tap / citizen |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for plan in PLANS:
        tap = [r for r in results.plans if r.plan is plan and r.client == TAP_CLIENT]
        citizen = [r for r in results.plans if r.plan is plan and r.client == CITIZEN]
        goal = 1.15 * tap[0].bound + 1.5
        worst = max(r.seconds for r in tap)

        def median(rows: list[PlanResult], api: bool = False) -> float:
            return statistics.median(r.api_seconds if api else r.seconds for r in rows)

        lines.append(
            f"| {plan.name} | {tap[0].logs:,} | {', '.join(f'{r.seconds:.1f}' for r in tap)} "
            f"| {', '.join(f'{r.seconds:.1f}' for r in citizen)} | {tap[0].bound:.1f} "
            f"| {worst / goal:.2f} | {median(tap) / median(citizen):.2f}; "
            f"{median(tap, api=True) / median(citizen, api=True):.2f} "
            f"| {max(r.tap_429s for r in tap)} / {max(r.tap_429s for r in citizen)} / "
            f"{max(r.others_429s for r in tap + citizen)} "
            f"| {max(r.crossings for r in tap)} / {max(r.crossings for r in citizen)} "
            f"| {min(r.lowest for r in tap)} / {min(r.lowest for r in citizen)} of {plan.burst} |"
        )
    lines += [
        "",
        "*bound = (pages - 0.8 x burst) / (sustained rate - other clients' rate); goal = 1.15 x "
        "bound + 1.5 s. Seconds run from process start to exit; API time from a client's first "
        "request to the tenant to its last (no interpreter start).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the command")
    parser.add_argument("--out", type=Path, help="default: benchmarks/results (-quick)")
    parser.add_argument(
        "--plan-runs", type=int, metavar="N", help="only the plan profiles, N times each"
    )
    args = parser.parse_args()
    if args.plan_runs:
        plan_runs(args.plan_runs, args.out or Path(__file__).parent / "results-plan-runs.md")
        return
    # A quick try does not overwrite the full results the README shows.
    args.out = args.out or Path(__file__).parent / ("results-quick" if args.quick else "results")
    quick = args.quick
    results = Results()
    print(" | ".join(HEADER), flush=True)
    lean_path(results, logs=5_000 if quick else 50_000, repeat=1 if quick else 3)
    latency_sweep(results, logs=10_000 if quick else 30_000)
    plans(results, scale=0.3 if quick else 1.0)
    memory(results, small=10_000, large=50_000 if quick else 1_000_000)
    nothing_new(results, repeat=3 if quick else 5)
    write(results, args.out)
    # 6. the dbt package: its own table (results-dbt.md), a first build and an incremental one.
    dbt_out = args.out.with_name(args.out.name + "-dbt.md")
    print(dbt_build.run(50_000 if quick else 1_000_000, 1_000 if quick else 10_000, dbt_out))
    # 4b. what each part of the pacer earns, on a simulated clock (seconds to run).
    pacing_parts.main([])
    # 7. the declarative logs stream beside the tap's Airbyte source.
    declarative.run(quick, args.out.with_name(args.out.name + "-declarative.md"))
    # 8. many tenants in one warehouse beside one tenant of as many logs.
    tenants_out = args.out.with_name(args.out.name + "-tenants.md")
    print(tenants.run(3 if quick else 10, 30_000 if quick else 100_000, tenants_out))


if __name__ == "__main__":
    main()

"""The declarative `logs` stream beside `source-auth0-logs` and the bare loop, on the same tenants.

    .venv/bin/python -m benchmarks.declarative [--quick]   # benchmarks/results-declarative.md

Each extractor runs as a process against a fresh fake tenant of each scenario; its stdout is read
as a destination reads it. The declarative stream runs on airbyte-cdk's
`source-declarative-manifest` (PyAirbyte's venv, `.venv-pyairbyte/`, made on first use), as
Airbyte Cloud runs a manifest.
"""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.airbyte_runs import MANIFEST, airbyte_environment, catalog, declarative_command
from benchmarks.harness import Tenant, run_process, tenant

EXTRACTORS = ("bare requests loop", "source-auth0-logs (the tap)", "declarative manifest")


@dataclass(frozen=True)
class Scenario:
    """A tenant to extract from: its size, latency, bucket and other clients."""

    name: str
    logs: int
    latency: float = 0.0
    limit: tuple[float, int] | None = None
    per_minute: bool = False
    others: float = 0.0
    repeat: int = 1


@dataclass
class Row:
    scenario: str
    extractor: str
    logs: int
    seconds: float
    records: int
    ratio: float
    own_429s: int
    others_429s: int
    crossings: int
    lowest: str


def scenarios(quick: bool) -> list[Scenario]:
    scale = 0.2 if quick else 1.0
    return [
        Scenario("no latency, a large bucket", int(20_000 * scale), repeat=1 if quick else 3),
        Scenario("100 ms latency", int(5_000 * scale), latency=0.1),
        Scenario(
            "Essentials: 100/min, burst 10, others 0.4/s, 100 ms",
            int(1_500 * scale),
            latency=0.1,
            limit=(100 / 60, 10),
            per_minute=True,
            others=0.4,
        ),
        Scenario(
            "Enterprise: 16/s, burst 50, others 4/s, 100 ms",
            int(10_000 * scale),
            latency=0.1,
            limit=(16.0, 50),
            others=4.0,
        ),
    ]


def declarative(fake: Tenant, cdk: list[str]) -> list[str]:
    """`source-declarative-manifest read` of the manifest, on `fake`, with no state."""
    tap = fake.fake.config()
    config = fake.directory / "declarative.json"
    config.write_text(
        json.dumps(
            {
                "base_url": f"{tap['domain']}/",
                "start_date": "2026-10-01T00:00:00Z",
                "credentials": {
                    "auth_type": "oauth2_confidential_application",
                    "client_id": tap["client_id"],
                    "client_secret": tap["client_secret"],
                },
            }
        )
    )
    chosen = fake.directory / "declarative-catalog.json"
    chosen.write_text(json.dumps(catalog()))
    return [
        *cdk,
        "read",
        *("--config", str(config), "--catalog", str(chosen)),
        *("--manifest-path", str(MANIFEST)),
    ]


def measure(scenario: Scenario, cdk: list[str]) -> list[Row]:
    rows: list[Row] = []
    bare_seconds = 0.0
    for extractor in EXTRACTORS:
        runs = []
        for _ in range(scenario.repeat):
            with tenant(
                scenario.logs,
                scenario.latency,
                scenario.limit,
                per_minute=scenario.per_minute,
                others=scenario.others,
            ) as fake:
                command = {
                    EXTRACTORS[0]: fake.bare_loop,
                    EXTRACTORS[1]: fake.airbyte,
                    EXTRACTORS[2]: lambda fake=fake: declarative(fake, cdk),  # type: ignore[misc]
                }[extractor]()
                measured = run_process(command)
                bucket = fake.fake.rate_limit
                runs.append((measured, fake.count(429), bucket.too_many["others"], bucket))
        seconds = statistics.median(m.seconds for m, *_ in runs)
        measured, own, others, bucket = runs[len(runs) // 2]
        if extractor == EXTRACTORS[0]:
            bare_seconds = seconds
        rows.append(
            Row(
                scenario.name,
                extractor,
                scenario.logs,
                seconds,
                measured.records,
                bare_seconds / seconds if bare_seconds else 1.0,
                own,
                others,
                bucket.crossings,
                f"{bucket.lowest} of {bucket.burst}" if scenario.limit else "",
            )
        )
        print(f"  {scenario.name:<55} {extractor:<30} {seconds:7.1f} s", flush=True)
    return rows


def write(rows: list[Row], out: Path) -> None:
    lines = [
        "# The declarative logs stream beside source-auth0-logs",
        "",
        f"`python -m benchmarks.declarative`, {datetime.now(UTC):%Y-%m-%d}. Seconds are the"
        " process's, start to exit (the median of the runs where there are several); ratio ="
        " the bare loop's seconds / the extractor's (above 1: faster than the bare loop).",
        "",
        "| scenario | extractor | logs | seconds | records/s | ratio to bare loop | records |"
        " 429s (its own / other clients') | 80% crossings | lowest level |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.scenario} | {row.extractor} | {row.logs:,} | {row.seconds:.1f} |"
            f" {row.records / row.seconds:,.0f} | {row.ratio:.2f} | {row.records:,} |"
            f" {row.own_429s} / {row.others_429s} | {row.crossings} | {row.lowest} |"
        )
    out.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.declarative", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the command")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    default = "results-quick-declarative.md" if args.quick else "results-declarative.md"
    run(args.quick, args.out or Path(__file__).parent / default)


def run(quick: bool, out: Path) -> None:
    """Every scenario, each extractor; the table to `out`."""
    cdk = declarative_command(airbyte_environment())
    rows = [row for scenario in scenarios(quick) for row in measure(scenario, cdk)]
    write(rows, out)
    print(f"Wrote {out}")


if __name__ == "__main__":
    main()

"""What each part of the pacer earns: the plan profiles on a simulated clock, with and without it.

Each variant removes one part of `tap_auth0_logs/api/bucket.py` and runs the same sequential client
(`benchmarks/pacing_simulation.py`: the pacer against the fake tenant's bucket model, other clients
spending it) from ten starting moments per profile, beside the simple citizen. Simulated time:
it runs in seconds, and every variant meets the same clock phases.

    .venv/bin/python -m benchmarks.pacing_parts [--out benchmarks/results-pacing-parts.md]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.pacing_simulation import Simulation, sustained_seconds
from tap_auth0_logs.api import bucket, pacing

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

STARTS = [1_000.0 + step / 10 for step in range(10)]


@dataclass(frozen=True)
class Profile:
    name: str
    requests: int
    settings: dict[str, Any]


PROFILES = (
    Profile("Free: 2/s, burst 2", 40, {"per_second": 2, "burst": 2, "latency": 0.05}),
    Profile(
        "Essentials: 100/min, burst 10",
        40,
        {"per_second": 100 / 60, "burst": 10, "per_minute": True, "latency": 0.1},
    ),
    Profile(
        "Essentials, other clients at 0.4/s",
        40,
        {"per_second": 100 / 60, "burst": 10, "per_minute": True, "latency": 0.1, "others": 0.4},
    ),
    Profile(
        "Enterprise, other clients at 4/s",
        300,
        {"per_second": 16, "burst": 50, "latency": 0.02, "others": 4.0},
    ),
    Profile(
        "Essentials, other clients at 1/s",
        40,
        {"per_second": 100 / 60, "burst": 10, "per_minute": True, "latency": 0.1, "others": 1.0},
    ),
    Profile(
        "Enterprise, a deploy pipeline at 12/s",
        300,
        {"per_second": 16, "burst": 50, "latency": 0.02, "others": 12.0},
    ),
    Profile(
        "a bucket of 2 refilled every 6 s (no plan's)",
        6,
        {"per_second": 1 / 6, "burst": 2, "latency": 0.05, "reserve": 0},
    ),
)


@contextlib.contextmanager
def without_plan_prior() -> Iterator[None]:
    saved = dict(bucket.PLAN_REFILLS)
    bucket.PLAN_REFILLS.clear()
    try:
        yield
    finally:
        bucket.PLAN_REFILLS.update(saved)


@contextlib.contextmanager
def patched(module: Any, name: str, value: Any) -> Iterator[None]:
    saved = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, saved)


def _no_margin(limit: float, reserve: float) -> float:
    """The kept level without the request kept for other clients."""
    kept = bucket.kept_level(limit, reserve)
    return kept - 1 if kept >= 3 else kept


def _no_reset_fallback(
    rate: float, plan: float, observation: bucket.Observation, predicted: float, below_full: bool
) -> float:
    """The rate step without its reset check (`observation.reset` hidden from it)."""
    hidden = bucket.Observation(**{**observation.__dict__, "reset": None})
    return RATE(rate, plan, hidden, predicted, below_full)


RATE = bucket._rate  # the benchmark removes one part of it
VARIANTS: list[tuple[str, Callable[[], contextlib.AbstractContextManager[None]]]] = [
    ("the pacer as shipped", contextlib.nullcontext),
    ("without the plan's rate (the reset alone)", without_plan_prior),
    ("without the cut and growth (answers alone)", lambda: patched(bucket, "YIELD_FACTOR", 1.0)),
    ("without the request kept for others", lambda: patched(pacing, "kept_level", _no_margin)),
    (
        "without the reset check of the plan's rate",
        lambda: patched(bucket, "_rate", _no_reset_fallback),
    ),
]


def measure(profile: Profile, citizen: bool = False) -> tuple[float, int, int, int]:
    """Mean time / sustained bound, and total crossings, tap 429s, others' 429s over the starts."""
    ratios, crossings, tap_429s, others_429s = [], 0, 0, 0
    for start in STARTS:
        sim = Simulation(start=start, **profile.settings)
        seconds = sim.run(profile.requests, citizen=citizen)
        ratios.append(seconds / sustained_seconds(profile.requests, sim))
        crossings += sim.bucket.crossings if sim.burst >= 10 else 0
        tap_429s += sim.bucket.too_many["tap"]
        others_429s += sim.bucket.too_many["others"]
    return statistics.mean(ratios), crossings, tap_429s, others_429s


def cell(figures: tuple[float, int, int, int]) -> str:
    ratio, crossings, tap, others = figures
    return f"{ratio:.2f} · {crossings} · {tap}/{others}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).parent / "results-pacing-parts.md"
    parser.add_argument("--out", type=Path, default=default)
    args = parser.parse_args(argv)
    header = ["variant", *(profile.name for profile in PROFILES)]
    lines = [
        "Each cell: time / the sustained bound (mean of 10 starting moments, simulated clock, one "
        "sequential client) · 80% crossings on buckets of 10 or more · 429s for the client / for "
        "the other clients. `python -m benchmarks.pacing_parts`.",
        "",
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * len(PROFILES),
        "| the simple citizen | "
        + " | ".join(cell(measure(p, citizen=True)) for p in PROFILES)
        + " |",
    ]
    for name, variant in VARIANTS:
        with variant():
            lines.append(f"| {name} | " + " | ".join(cell(measure(p)) for p in PROFILES) + " |")
    lines.append("")
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""The chart of the latency sweep: records/s against latency, one line per extractor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib as mpl

mpl.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

STYLES: dict[str, dict[str, Any]] = {
    "rate-limit bound": {"color": "black", "linestyle": "--"},
    "bare requests loop": {"color": "tab:gray", "marker": "o"},
    "tap, 1 cursor": {"color": "tab:blue", "marker": "s"},
}


def plot(
    sweep: dict[str, list[float]], latencies_ms: Sequence[int], path: Path, subtitle: str
) -> None:
    """Write the chart to `path` (PNG)."""
    figure, axes = plt.subplots(figsize=(8, 4.8), dpi=120)
    for name, rates in sweep.items():
        style = STYLES.get(name, {"color": "tab:green", "marker": "^", "linewidth": 2.5})
        axes.plot(latencies_ms, rates, label=name, **style)
    axes.set_xlabel("latency per request (ms)")
    axes.set_ylabel("records/s")
    axes.set_xticks(list(latencies_ms))
    axes.set_ylim(bottom=0)
    axes.grid(visible=True, alpha=0.3)
    axes.set_title(
        "30,000-log backfill, Enterprise rate limit (16 req/s, burst 50)\n" + subtitle, fontsize=9
    )
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def plot_plans(
    plans: Sequence[tuple[str, float, float, int, int]],
    path: Path,
    subtitle: str,
    citizen: Sequence[float] | None = None,
) -> None:
    """Write the plan profiles' chart to `path` (PNG): time against bound, and the lowest level.

    Each plan is (name, the tap's seconds, bound, lowest level, bucket size); `citizen` the
    simple citizen's seconds on each, when it ran beside the tap.
    """
    figure, (times, levels) = plt.subplots(
        1, 2, figsize=(10, 0.7 * len(plans) + 2.4), dpi=120, width_ratios=(3, 1.2), sharey=True
    )
    rows = list(range(len(plans)))[::-1]
    names = [plan[0] for plan in plans]
    bounds = [plan[2] for plan in plans]
    goals = [1.15 * bound + 1.5 for bound in bounds]
    times.barh([r + 0.2 for r in rows], bounds, height=0.38, color="tab:gray", label="bound*")
    times.barh([r - 0.2 for r in rows], [p[1] for p in plans], height=0.38, label="tap")
    if citizen is not None:
        times.scatter(citizen, rows, marker="x", color="tab:red", label="simple citizen")
    times.scatter(goals, rows, marker="|", s=400, color="black", label="goal: 1.15 x bound + 1.5 s")
    times.set_yticks(rows, names, fontsize=8)
    times.set_xlabel("seconds")
    times.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4)
    times.grid(visible=True, axis="x", alpha=0.3)
    shares = [plan[3] / plan[4] for plan in plans]
    levels.barh(rows, shares, height=0.5, color="tab:orange")
    levels.axvline(0.2, color="black", linestyle="--", linewidth=1)
    for row, plan in zip(rows, plans, strict=True):
        levels.text(0.02, row, f"{plan[3]} of {plan[4]}", va="center", fontsize=8)
    levels.set_xlim(0, 1)
    levels.set_xlabel("lowest bucket level\n(dashed: Auth0's 80% line)")
    figure.suptitle(
        "Plan profiles: the tap's default run (median) against the least time that leaves a "
        "fifth of the bucket\n" + subtitle,
        fontsize=9,
    )
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)

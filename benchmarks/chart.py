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

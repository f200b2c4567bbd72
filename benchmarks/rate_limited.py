"""Sustained throughput under a rate limit, against the bound the limit allows.

    .venv/bin/python -m benchmarks.rate_limited [--limits 2 10] [--seconds 60] [--burst 10]

For each limit L (requests/s, with the given burst) the fake tenant holds enough logs for about
`--seconds` of extraction; the tap runs as a process. Reported: logs/s from the first record to
the last, the ratio to the bound (L x 100 logs/s), and the 429s per minute.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.fake_tenant import FakeAuth0, RateLimit, TenantLogs

TAP = str(Path(sys.executable).with_name("tap-auth0-logs"))


def run(limit: float, burst: int, seconds: float) -> dict[str, float]:
    count = int(limit * 100 * seconds)
    logs = TenantLogs(count=count)
    logs.kept()
    with FakeAuth0(logs, rate_limit=RateLimit(per_second=limit, burst=burst)) as tenant:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "config.json"
            config.write_text(json.dumps(tenant.config()))
            tap = subprocess.Popen(
                [TAP, "--config", str(config)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
            assert tap.stdout is not None
            first = last = 0.0
            records = 0
            for line in tap.stdout:
                if b'"RECORD"' in line[:30]:
                    last = time.perf_counter()
                    first = first or last
                    records += 1
            tap.wait()
        statuses = Counter(r.status for r in tenant.api_requests())
    assert records == count, f"{records} of {count}"
    elapsed = last - first
    return {
        "limit": limit,
        "logs": count,
        "seconds": elapsed,
        "rate": records / elapsed,
        "bound": limit * 100,
        "429_per_minute": statuses[429] / (elapsed / 60),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limits", type=float, nargs="+", default=[2, 10])
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    print(
        f"| limit (req/s, burst {args.burst}) | logs | seconds | logs/s | bound | ratio | 429/min |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for limit in args.limits:
        r = run(limit, args.burst, args.seconds)
        print(
            f"| {limit:g} | {r['logs']:,} | {r['seconds']:.1f} | {r['rate']:,.0f} | "
            f"{r['bound']:,.0f} | {r['rate'] / r['bound']:.3f} | {r['429_per_minute']:.2f} |"
        )


if __name__ == "__main__":
    main()

"""Run the tap and load what it extracts into `.demo/store/`, then show what was loaded.

With no tenant configured, a bundled fake Auth0 tenant is started on 127.0.0.1 and grows by
500 logs each run, so a second run shows an incremental load. With a config file
(`--config my.json`) or `TAP_AUTH0_LOGS_*` environment variables, the same tap reads your tenant.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from demo.store import JsonlStore

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".demo"
TAP = str(Path(sys.executable).with_name("tap-auth0-logs"))
FIRST_RUN_LOGS, LOGS_ADDED_PER_RUN = 5000, 500


def main() -> None:
    """Extract, load, report."""
    parser = argparse.ArgumentParser(prog="python3 dev.py demo", description=__doc__)
    parser.add_argument("--config", help="tap config file for a real tenant")
    parser.add_argument("--reset", action="store_true", help="forget earlier runs and start over")
    args = parser.parse_args()
    if args.reset and WORK.exists():
        for path in sorted(WORK.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    store = JsonlStore(WORK / "store")
    if args.config or os.environ.get("TAP_AUTH0_LOGS_DOMAIN"):
        source = args.config or "ENV"
        print(f"Extracting from your tenant ({'environment' if source == 'ENV' else source}) ...")
        extract(store, source)
    else:
        extract_from_fake_tenant(store)
    report(store)


def extract_from_fake_tenant(store: JsonlStore) -> None:
    """Start the bundled fake tenant, grown since the last run, and extract from it."""
    sys.path.insert(0, str(ROOT))
    from tests.fake_tenant import FakeAuth0, TenantLogs  # noqa: PLC0415 - only the demo needs it

    counter = WORK / "fake_tenant_runs"
    runs = int(counter.read_text()) if counter.exists() else 0
    logs = TenantLogs(count=FIRST_RUN_LOGS + LOGS_ADDED_PER_RUN * runs)
    with FakeAuth0(logs) as tenant, tempfile.TemporaryDirectory() as tmp:
        print(f"No tenant configured: using the bundled fake Auth0 tenant at {tenant.base_url}")
        print(
            f"  it holds {logs.count:,} logs (run {runs + 1}; each run adds {LOGS_ADDED_PER_RUN})."
        )
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps(tenant.config()))
        extract(store, str(config))
    counter.write_text(str(runs + 1))


def extract(store: JsonlStore, config: str) -> None:
    """Run `tap-auth0-logs` with the stored state and load its output."""
    command = [TAP, "--config", config]
    with tempfile.TemporaryDirectory() as tmp:
        state = store.state()
        if state:
            state_file = Path(tmp) / "state.json"
            state_file.write_text(json.dumps(state))
            command += ["--state", str(state_file)]
            print("Resuming from the last STATE: only logs added since are extracted.")
        log_file = WORK / "tap.log"
        with log_file.open("w") as stderr:
            tap = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
            assert tap.stdout is not None
            store.consume(tap.stdout)
            code = tap.wait()
    if code:
        lines = log_file.read_text().splitlines()
        errors = [line for line in lines if "| ERROR" in line] or lines[-5:]
        print("\nThe tap failed:\n  " + "\n  ".join(errors), file=sys.stderr)
        sys.exit(code)


def report(store: JsonlStore) -> None:
    """Show what this run loaded and what the store holds, by event type."""
    rows: list[dict[str, Any]] = store.rows("logs")
    print(f"\nLoaded {store.loaded['logs']:,} logs this run; the store holds {len(rows):,}")
    print(
        f"  ({store.folder.relative_to(ROOT)}/logs.jsonl, state in state.json, "
        "tap log in .demo/tap.log)\n"
    )
    counts = Counter(
        row.get("type_description") or f"(unknown type {row.get('type')})" for row in rows
    )
    width = max((len(name) for name in counts), default=10)
    print(f"{'event type':<{width}}  {'logs':>7}")
    for name, count in counts.most_common():
        print(f"{name:<{width}}  {count:>7,}")


if __name__ == "__main__":
    main()

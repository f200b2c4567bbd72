"""Running extractors as processes against the fake tenant, and what one run measured."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tap_auth0_logs.pagination.log_ids import checkpoint_before, parse_datetime
from tap_auth0_logs.testing import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    FakeAuth0,
    RateLimit,
    TenantLogs,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
TAP = str(Path(sys.executable).with_name("tap-auth0-logs"))
SOURCE = str(Path(sys.executable).with_name("source-auth0-logs"))
#: An Enterprise tenant's Management API limit in production: 16 requests/s, burst 50.
ENTERPRISE = (16.0, 50)


@dataclass
class Measured:
    """One run of an extractor: wall time (process start to exit), records, peak memory."""

    seconds: float
    records: int
    peak_rss_mb: float
    last_state: dict[str, Any] | None = None

    @property
    def rate(self) -> float:
        return self.records / self.seconds


def run_process(command: list[str]) -> Measured:
    """Run `command`, read its stdout as a target would, count RECORD lines, keep the last STATE."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    assert process.stdout is not None
    peak = PeakMemory(process.pid)
    records = 0
    last_state = None
    for line in process.stdout:
        head = line[:30]
        if b'"RECORD"' in head:
            records += 1
        elif b'"STATE"' in head:
            last_state = line
    process.wait()
    seconds = time.perf_counter() - started
    peak.stop()
    if process.returncode:
        raise SystemExit(f"{command[0]} failed with exit code {process.returncode}")
    # a Singer STATE carries `value`; an Airbyte one, `state`
    state = json.loads(last_state).get("value") if last_state else None
    return Measured(seconds, records, peak.mib, state)


class PeakMemory:
    """The peak resident memory of a process, read from /proc while it runs.

    Not `ru_maxrss`: a child's high-water mark starts from its parent's size when forked, and the
    parent here holds the fake tenant. `VmHWM` counts only the program's own memory after exec,
    and only grows, so the last reading before the exit is the peak.
    """

    def __init__(self, pid: int, every: float = 0.05) -> None:
        self._path = Path(f"/proc/{pid}/status")
        self._every = every
        self._done = threading.Event()
        self.kib = 0
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    @property
    def mib(self) -> float:
        return self.kib / 1024

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._done.is_set():
            try:
                text = self._path.read_text()
            except OSError:
                return
            for line in text.splitlines():
                if line.startswith("VmHWM:"):
                    self.kib = max(self.kib, int(line.split()[1]))
            self._done.wait(self._every)


@dataclass
class Tenant:
    """A running fake tenant and the commands that extract from it."""

    fake: FakeAuth0
    directory: Path

    def tap(
        self, settings: dict[str, Any] | None = None, state: dict[str, Any] | None = None
    ) -> list[str]:
        """The tap's command line; `settings` are added to the config."""
        config = self.directory / f"config-{len(list(self.directory.iterdir()))}.json"
        config.write_text(json.dumps(self.fake.config(**(settings or {}))))
        command = [TAP, "--config", str(config)]
        if state is not None:
            state_file = config.with_suffix(".state.json")
            state_file.write_text(json.dumps(state))
            command += ["--state", str(state_file)]
        return command

    def airbyte(self, settings: dict[str, Any] | None = None) -> list[str]:
        """`source-auth0-logs read` of the `logs` stream, incremental, with no state."""
        config = self.directory / f"airbyte-{len(list(self.directory.iterdir()))}.json"
        config.write_text(json.dumps(self.fake.config(**(settings or {}))))
        catalog = config.with_suffix(".catalog.json")
        stream = {"name": "logs", "json_schema": {}, "supported_sync_modes": ["incremental"]}
        catalog.write_text(
            json.dumps(
                {
                    "streams": [
                        {
                            "stream": stream,
                            "sync_mode": "incremental",
                            "destination_sync_mode": "append",
                        }
                    ]
                }
            )
        )
        return [SOURCE, "read", "--config", str(config), "--catalog", str(catalog)]

    def bare_loop(self) -> list[str]:
        """The minimal loop's command line, from just before the oldest log."""
        oldest = min(self.fake.logs.date_window(newest=False, size=1), key=lambda log: log["date"])
        start = checkpoint_before(parse_datetime(oldest["date"]))
        return [
            sys.executable,
            "-m",
            "benchmarks.bare_loop",
            self.fake.base_url,
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
            start,
        ]

    def citizen(self) -> list[str]:
        """The simple citizen's command line (`benchmarks/citizen.py`)."""
        command = [sys.executable, "-m", "benchmarks.citizen", self.fake.base_url]
        return [*command, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET]

    def api_seconds(self) -> float:
        """From the first API request the fake saw since the last `reset` to the last one."""
        moments = [request.at for request in self.fake.api_requests()]
        return max(moments) - min(moments)

    def count(self, status: int) -> int:
        """Answers with `status` since the last `reset`."""
        return sum(1 for r in self.fake.api_requests() if r.status == status)

    def reset(self) -> None:
        """Forget recorded requests and refill the bucket, so that runs start alike."""
        with self.fake.lock:
            self.fake.requests.clear()
        self.fake.rate_limit.restart()


@contextlib.contextmanager
def tenant(
    logs: int,
    latency: float = 0.0,
    limit: tuple[float, int] | None = None,
    *,
    per_minute: bool = False,
    others: float = 0.0,
) -> Iterator[Tenant]:
    """A fake tenant holding `logs` logs, answering after `latency` s, under a rate `limit`.

    `per_minute` refills the bucket once a second; `others` is the rate at which the tenant's
    other clients spend the same bucket.
    """
    rate_limit = (
        RateLimit(per_second=limit[0], burst=limit[1], per_minute=per_minute) if limit else None
    )
    with FakeAuth0(
        TenantLogs(count=logs), rate_limit=rate_limit, other_clients_per_second=others
    ) as fake:
        fake.faults.latency = latency
        with tempfile.TemporaryDirectory() as directory:
            yield Tenant(fake, Path(directory))


def plan_bound_seconds(logs: int, limit: tuple[float, int], others: float) -> float:
    """A perfect client's time that leaves a fifth of the bucket to others, and their rate.

    (pages − 0.8 × burst) / (sustained rate − other clients' rate), pages counting the last,
    empty one.
    """
    per_second, burst = limit
    pages = -(-logs // 100) + 1
    return max(0.0, pages - 0.8 * burst) / (per_second - others)


def bound_seconds(logs: int, limit: tuple[float, int]) -> float:
    """The least time a checkpoint extraction of `logs` can take under `limit`.

    One request per 100 logs and a last, empty page; the burst is spent at once, the rest come
    at the sustained rate.
    """
    per_second, burst = limit
    requests = -(-logs // 100) + 1
    return max(0.0, requests - burst) / per_second

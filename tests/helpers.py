"""Helpers for the tests: run the installed tap as a process, read its output, check STATEs."""

from __future__ import annotations

import bisect
import itertools
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tap_auth0_logs.singer.state import StreamState

TAP = str(Path(sys.executable).with_name("tap-auth0-logs"))


@dataclass
class TapRun:
    """What one run of the tap printed."""

    returncode: int
    stdout: str
    stderr: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def records(self) -> list[dict[str, Any]]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD"]

    @property
    def log_ids(self) -> list[str]:
        return [r["log_id"] for r in self.records]

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict[str, Any]:
        return self.states[-1]

    def final_stream_state(self, stream: str = "logs") -> StreamState:
        """The last STATE's view of `stream`."""
        return StreamState.in_message(self.final_state, stream)


def run_tap(
    tmp_path: Path,
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> TapRun:
    """Run the installed `tap-auth0-logs` executable and parse its Singer output."""
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    command = [TAP, "--config", str(config_file), *args]
    if state is not None:
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps(state))
        command += ["--state", str(state_file)]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return TapRun(done.returncode, done.stdout, done.stderr, messages)


def extract_everything(tmp_path: Path, tenant: Any, **settings: Any) -> TapRun:
    """Run the tap on `tenant` with `settings` and check it delivered every log exactly once."""
    run = run_tap(tmp_path, tenant.config(**settings))
    assert run.returncode == 0, run.stderr
    assert sorted(run.log_ids) == tenant.logs.ids()
    return run


def run_tap_until_killed(
    tmp_path: Path, config: dict[str, Any], records: int, *args: str
) -> tuple[list[str], dict[str, Any] | None]:
    """Run the tap and `kill -9` it once it has printed `records` records.

    Returns the log ids it printed and the last STATE it printed before dying.
    """
    config_file = tmp_path / "killed-config.json"
    config_file.write_text(json.dumps(config))
    process = subprocess.Popen(
        [TAP, "--config", str(config_file), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    printed: list[str] = []
    last_state = None
    for line in process.stdout:
        message = json.loads(line)
        if message["type"] == "RECORD":
            printed.append(message["record"]["log_id"])
        elif message["type"] == "STATE":
            last_state = message["value"]
        if len(printed) == records:
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait()
    process.stdout.close()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    return printed, last_state


def claimed_by(state: dict[str, Any], ids: list[str], stream: str = "logs") -> set[str]:
    """The log ids a STATE says are written: all but those in the ranges it has left to do.

    Without ranges left, that is every id up to the bookmark; with them, every id outside the
    ranges `(after, until]` (the last one open-ended).
    """
    ordered = sorted(ids)
    return {
        ordered[index]
        for low, high in _claimed_spans(state, ordered, stream)
        for index in range(low, high)
    }


def assert_every_state_is_covered(run: TapRun, ids: list[str], stream: str = "logs") -> None:
    """Every STATE claims only logs already emitted before it: any of them is a resume point.

    `ids` must be sorted. Logs not yet emitted are counted in a Fenwick tree over their positions,
    so checking the spans a STATE claims costs a few lookups, even for 200,000 logs.
    """
    position = {log_id: index for index, log_id in enumerate(ids)}
    missing = _Counts(len(ids))
    emitted: set[str] = set()
    for message in run.messages:
        if message["type"] == "RECORD" and message["stream"] == stream:
            log_id = message["record"]["log_id"]
            if log_id in position and log_id not in emitted:
                emitted.add(log_id)
                missing.add(position[log_id], -1)
        elif message["type"] == "STATE":
            for low, high in _claimed_spans(message["value"], ids, stream):
                count = missing.total(high) - missing.total(low)
                assert count == 0, f"a STATE claims {count} logs not yet emitted"


def _claimed_spans(state: dict[str, Any], ids: list[str], stream: str) -> list[tuple[int, int]]:
    """Positions `[low, high)` in `ids` of the logs a STATE says are written."""
    view = StreamState.in_message(state, stream)
    value = view.bookmark("log_id")
    if value is None:
        return []
    left = view.ranges_left(value)
    spans = [(0, bisect.bisect_right(ids, left[0][0]))]
    for (_, until), (after, _) in itertools.pairwise(left):
        assert until is not None  # only the last range is open
        spans.append((bisect.bisect_right(ids, until), bisect.bisect_right(ids, after)))
    return spans


class _Counts:
    """A Fenwick tree of 0/1 counts, all 1 to begin with."""

    def __init__(self, size: int) -> None:
        self.tree = [0] + [index & -index for index in range(1, size + 1)]

    def add(self, index: int, delta: int) -> None:
        index += 1
        while index < len(self.tree):
            self.tree[index] += delta
            index += index & -index

    def total(self, end: int) -> int:
        """The sum of the counts at positions below `end`."""
        result = 0
        while end > 0:
            result += self.tree[end]
            end -= end & -end
        return result


def catalog_selecting(tmp_path, config: dict, stream: str, deselect: tuple[str, ...] = ()):
    """A catalog from discovery with only `stream` selected, minus some properties."""
    (tmp_path / "discover.json").write_text(json.dumps(config))
    out = subprocess.run(
        [TAP, "--config", str(tmp_path / "discover.json"), "--discover"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    catalog = json.loads(out)
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] == stream
            elif item["breadcrumb"][-1] in deselect:
                item["metadata"]["selected"] = False
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog))
    return str(path)


def expired_bookmark(tenant: Any, bookmark: int, first_kept: int) -> dict[str, Any]:
    """A STATE whose `logs` bookmark is log `bookmark`, which retention then removes."""
    tenant.logs.first_kept = first_kept
    return state_of({"logs": bookmarked(tenant.logs.log_id(bookmark))})


def bookmarked(log_id: str, stream: str = "logs") -> StreamState:
    """A stream's STATE whose bookmark is `log_id`, as the tap writes one."""
    state = StreamState({}, stream)
    state.save_ranges_left("log_id", [(log_id, None)])
    return state


def state_of(streams: dict[str, StreamState]) -> dict[str, Any]:
    """A STATE (the `--state` file's object) holding each stream's state."""
    return {"bookmarks": {name: state.raw for name, state in streams.items()}}

"""Run Airbyte sources as Airbyte runs them: the declarative manifest, and `source-auth0-logs`.

The manifest (`airbyte/declarative/manifest.yaml`) runs on airbyte-cdk's own
`source-declarative-manifest`, as Airbyte Cloud runs a Connector Builder manifest (the manifest
given beside the config). airbyte-cdk never enters the tap's environment (it brings the `backoff`
package, which clashes with the SDK's `python-backoff`): it comes with PyAirbyte, in the venv of
its own that the PyAirbyte tests build, `.venv-pyairbyte/` (made once, rebuilt when the
requirement changes).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import venv
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from tap_auth0_logs.testing import FakeAuth0

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "airbyte" / "declarative" / "manifest.yaml"
PYAIRBYTE = "airbyte>=0.71,<0.72"  # it requires airbyte-cdk 7
ENVIRONMENT = ROOT / ".venv-pyairbyte"
SOURCE = str(Path(sys.executable).with_name("source-auth0-logs"))


def airbyte_environment() -> Path:
    """The Python of the venv with PyAirbyte and airbyte-cdk, built when missing or stale."""
    python = ENVIRONMENT / "bin" / "python"
    stamp = ENVIRONMENT / ".installed-requirement"
    if not (python.exists() and stamp.exists() and stamp.read_text() == PYAIRBYTE):
        venv.EnvBuilder(with_pip=True, clear=True).create(ENVIRONMENT)
        install = [str(python), "-m", "pip", "install", "--quiet", PYAIRBYTE]
        done = subprocess.run(install, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        stamp.write_text(PYAIRBYTE)
    return python


def declarative_command(python: Path) -> list[str]:
    """`source-declarative-manifest`, airbyte-cdk's runner of a manifest, from that venv."""
    return [str(python.with_name("source-declarative-manifest"))]


@dataclass
class AirbyteRun:
    """What one command of an Airbyte source printed, and how long it took."""

    returncode: int
    messages: list[dict[str, Any]]
    stderr: str
    seconds: float = 0.0
    requests: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    @property
    def log_ids(self) -> list[str]:
        return [m["record"]["data"]["log_id"] for m in self.of("RECORD")]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [m["trace"]["error"] for m in self.of("TRACE") if m["trace"]["type"] == "ERROR"]

    def state_file(self, path: Path) -> Path | None:
        """The last STATE of each stream as Airbyte passes it back, or None when there was none."""
        last = {
            m["state"]["stream"]["stream_descriptor"]["name"]: m["state"] for m in self.of("STATE")
        }
        if not last:
            return None
        path.write_text(json.dumps(list(last.values())))
        return path


def declarative_config(
    tenant: FakeAuth0, *, token: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The manifest's config for `tenant`, in source-auth0's names."""
    tap = tenant.config()
    credentials: dict[str, Any] = (
        {"auth_type": "oauth2_access_token", "access_token": token}
        if token
        else {
            "auth_type": "oauth2_confidential_application",
            "client_id": tap["client_id"],
            "client_secret": tap["client_secret"],
        }
    )
    return {
        "base_url": f"{tap['domain']}/",
        "start_date": "2026-10-01T00:00:00Z",
        "credentials": credentials,
        **extra,
    }


def catalog(mode: str = "incremental", cursor: str = "date") -> dict[str, Any]:
    """A configured catalog of the `logs` stream, deduplicated on tenant and `log_id`."""
    return {
        "streams": [
            {
                "stream": {
                    "name": "logs",
                    "json_schema": {},
                    "supported_sync_modes": ["full_refresh", "incremental"],
                },
                "sync_mode": mode,
                "destination_sync_mode": "append_dedup",
                "primary_key": [["tenant"], ["log_id"]],
                "cursor_field": [cursor],
            }
        ]
    }


def run(
    command: list[str],
    folder: Path,
    config: dict[str, Any] | None = None,
    *,
    read: bool = False,
    state: Path | None = None,
    mode: str = "incremental",
    kill_after_records: int | None = None,
    timeout: float = 600,
    manifest: Path = MANIFEST,
) -> AirbyteRun:
    """Run `spec`, `check`, `discover` or `read` (`command` ends with the verb) in `folder`."""
    args = list(command)
    if config is not None:
        (folder / "config.json").write_text(json.dumps(config))
        args += ["--config", str(folder / "config.json")]
    if read:
        cursor = "date" if "source-declarative-manifest" in command[0] else "log_id"
        (folder / "catalog.json").write_text(json.dumps(catalog(mode, cursor)))
        args += ["--catalog", str(folder / "catalog.json")]
    if state is not None:
        args += ["--state", str(state)]
    if "source-declarative-manifest" in command[0] and args[1] != "spec":
        args += ["--manifest-path", str(manifest)]
    env = {**os.environ, "DO_NOT_TRACK": "1", "AIRBYTE_OFFLINE_MODE": "1", "HOME": str(folder)}
    started = time.perf_counter()
    if kill_after_records is None:
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
        lines, code, stderr = done.stdout.splitlines(), done.returncode, done.stderr
    else:
        lines, code, stderr = _killed(args, env, kill_after_records)
    seconds = time.perf_counter() - started
    messages = [json.loads(line) for line in lines if line.startswith("{")]
    return AirbyteRun(code, messages, stderr, seconds)


def _killed(args: list[str], env: dict[str, str], records: int) -> tuple[list[str], int, str]:
    """Run until `records` RECORD lines have come out, then SIGKILL, as a node dies."""
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    assert process.stdout is not None
    lines: list[str] = []
    seen = 0
    for line in process.stdout:
        lines.append(line)
        seen += '"type":"RECORD"' in line.replace(" ", "")
        if seen >= records:
            process.send_signal(signal.SIGKILL)
            break
    process.wait()
    process.stdout.close()
    return lines, process.returncode, ""


def tap_source(tenant: FakeAuth0) -> tuple[list[str], dict[str, Any]]:
    """`source-auth0-logs read` and its config for `tenant`."""
    return [SOURCE, "read"], tenant.config()


def search_mode_manifest(path: Path) -> Path:
    """The other design the framework offers, for comparison: a date cursor in search mode.

    `q=date:[start TO end]`, `sort=date:1`, one slice a day, pages of 100, the 1,000-result cap
    passed with `PaginationReset` (`SPLIT_USING_CURSOR`), and a lookback window of 10 minutes for
    logs Auth0 makes searchable late. The rest (auth, errors, schema, spec) is the manifest's.
    """
    manifest = yaml.safe_load(MANIFEST.read_text())
    logs = manifest["definitions"]["logs"]
    logs["retriever"] = {
        "type": "SimpleRetriever",
        "requester": {
            "$ref": "#/definitions/requester",
            "path": "logs",
            "request_parameters": {
                "q": "date:[{{ stream_interval.start_time }} TO {{ stream_interval.end_time }}]",
                "sort": "date:1",
            },
        },
        "record_selector": {
            "type": "RecordSelector",
            "extractor": {"type": "DpathExtractor", "field_path": []},
        },
        "paginator": {
            "type": "DefaultPaginator",
            "pagination_strategy": {
                "type": "PageIncrement",
                "page_size": 100,
                "start_from_page": 0,
            },
            "page_token_option": {
                "type": "RequestOption",
                "field_name": "page",
                "inject_into": "request_parameter",
            },
            "page_size_option": {
                "type": "RequestOption",
                "field_name": "per_page",
                "inject_into": "request_parameter",
            },
        },
        "pagination_reset": {
            "type": "PaginationReset",
            "action": "SPLIT_USING_CURSOR",
            "limits": {"type": "PaginationResetLimits", "number_of_records": 1000},
        },
    }
    checkpoint = logs["incremental_sync"]
    logs["incremental_sync"] = {
        "type": "DatetimeBasedCursor",
        "cursor_field": "date",
        "datetime_format": "%Y-%m-%dT%H:%M:%S.%fZ",
        "cursor_datetime_formats": ["%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"],
        "start_datetime": checkpoint["start_datetime"],
        "end_datetime": checkpoint["end_datetime"],
        "step": "P1D",
        "cursor_granularity": "PT0.001S",
        "lookback_window": "PT10M",
    }
    path.write_text(yaml.safe_dump(manifest))
    return path

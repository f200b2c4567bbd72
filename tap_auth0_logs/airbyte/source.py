"""`source-auth0-logs`: the tap as an Airbyte source, in-process.

The same `TapAuth0Logs` runs with a message writer that turns its Singer messages into Airbyte
messages as they are written, so pacing, parallel backfills and every resume guarantee carry
over unchanged: an Airbyte STATE goes out exactly where the tap writes a Singer STATE today.
This module knows the Airbyte protocol (parsed and emitted with the official models,
`airbyte-protocol-models-pdv2`, from the `airbyte` extra), not Auth0. Logs go to stderr; stdout
carries one `AirbyteMessage` per line and nothing else.
"""

from __future__ import annotations

import argparse
import copy
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from airbyte_protocol.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteErrorTraceMessage,
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateStats,
    AirbyteStateType,
    AirbyteStream,
    AirbyteStreamState,
    AirbyteStreamStatus,
    AirbyteStreamStatusRateLimitedReason,
    AirbyteStreamStatusReason,
    AirbyteStreamStatusReasonType,
    AirbyteStreamStatusTraceMessage,
    AirbyteTraceMessage,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    FailureType,
    Level,
    Status,
    StreamDescriptor,
    SyncMode,
    TraceType,
    Type,
)
from pydantic import TypeAdapter, ValidationError
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.io_base import SingerWriter
from singer_sdk.singerlib import Message, RecordMessage, SchemaMessage, StateMessage
from typing_extensions import override

from tap_auth0_logs import locks
from tap_auth0_logs.errors import Auth0TapError, Failure, TargetClosedError
from tap_auth0_logs.singer.inputs import read_json_input
from tap_auth0_logs.singer.output import StdoutBuffer
from tap_auth0_logs.singer.settings import CONFIG_SCHEMA
from tap_auth0_logs.singer.state import StreamState
from tap_auth0_logs.singer.tap import TapAuth0Logs

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

logger = logging.getLogger("source-auth0-logs")

FAILURE_TYPES = {
    Failure.CONFIG: FailureType.config_error,
    Failure.TRANSIENT: FailureType.transient_error,
    Failure.SYSTEM: FailureType.system_error,
}
_STATE_LIST = TypeAdapter(list[AirbyteStateMessage])


class SourceError(Exception):
    """A failure to report as an Airbyte ERROR trace."""

    def __init__(self, message: str, failure: FailureType) -> None:
        super().__init__(message)
        self.failure = failure


def now_ms() -> int:
    """Epoch milliseconds, as Airbyte stamps its messages."""
    return int(time.time() * 1000)


#: stdout, buffered: records wait there until the next other message flushes them.
OUT = StdoutBuffer()


def emit(message: AirbyteMessage) -> None:
    """Write one Airbyte message as a line on stdout (after the records before it), flushed."""
    OUT.write(message.model_dump_json(exclude_none=True).encode() + b"\n")
    OUT.flush()


class WarningsAsLogMessages(logging.Handler):
    """The tap's WARNING lines as Airbyte `LOG` messages with level `WARN`.

    An expired bookmark or a short retention countdown is then shown beside the sync. The
    lines are the tap's own words, which never carry a secret nor a pseudonymised value.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)

    @override
    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            return  # errors end the run as one ERROR trace
        log = AirbyteLogMessage(level=Level.WARN, message=record.getMessage())
        emit(AirbyteMessage(type=Type.LOG, log=log))


# --- spec ----------------------------------------------------------------------------------


def connection_specification() -> dict[str, Any]:
    """The tap's own settings schema as a draft-07 JSON Schema, secrets marked for Airbyte.

    Built from `settings.CONFIG_SCHEMA` (one source of truth) and only from it: the SDK's built-in
    settings (stream maps, flattening) are a Singer matter, and their schema is not one a strict
    JSON Schema validator accepts.
    """
    properties: dict[str, Any] = {}
    for name, prop in CONFIG_SCHEMA["properties"].items():
        spec = {key: value for key, value in prop.items() if key not in {"secret", "writeOnly"}}
        if prop.get("secret"):
            spec["airbyte_secret"] = True
        properties[name] = spec
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Auth0 Logs",
        "type": "object",
        "required": list(CONFIG_SCHEMA.get("required", [])),
        "additionalProperties": True,
        "properties": properties,
    }


def specification() -> ConnectorSpecification:
    """The connector's specification (airbyte/integration_tests/spec.json is generated from it)."""
    return ConnectorSpecification(
        connectionSpecification=connection_specification(), supportsIncremental=True
    )


def spec() -> None:
    """`spec`: the SPEC message."""
    emit(AirbyteMessage(type=Type.SPEC, spec=specification()))


# --- check and discover --------------------------------------------------------------------


def make_tap(config: dict[str, Any], **kwargs: Any) -> TapAuth0Logs:
    """The tap for `config`; a config it refuses becomes a config error."""
    try:
        return TapAuth0Logs(config=config, parse_env_config=False, **kwargs)
    except ConfigValidationError as exc:
        raise SourceError("; ".join(exc.errors), FailureType.config_error) from None


def check(config: dict[str, Any]) -> None:
    """`check`: SUCCEEDED, or FAILED with the tap's clear message; exit 0 either way."""
    try:
        make_tap(config, validate_config=True).check_connections()
    except (SourceError, Auth0TapError) as exc:
        status = AirbyteConnectionStatus(status=Status.FAILED, message=str(exc))
    else:
        status = AirbyteConnectionStatus(status=Status.SUCCEEDED)
    emit(AirbyteMessage(type=Type.CONNECTION_STATUS, connectionStatus=status))


def airbyte_streams(tap: TapAuth0Logs) -> list[AirbyteStream]:
    """Every stream, with its schema, sync modes, cursor and primary key."""
    return [
        AirbyteStream(
            name=stream.name,
            json_schema=stream.schema,
            supported_sync_modes=[SyncMode.full_refresh, SyncMode.incremental],
            source_defined_cursor=True,
            default_cursor_field=[str(stream.replication_key)],
            source_defined_primary_key=[[key] for key in stream.primary_keys],
            is_resumable=True,
        )
        for stream in tap.streams.values()
    ]


def discover(config: dict[str, Any]) -> None:
    """`discover`: the CATALOG of every stream."""
    streams = airbyte_streams(make_tap(config, validate_config=True, setup_mapper=False))
    emit(AirbyteMessage(type=Type.CATALOG, catalog=AirbyteCatalog(streams=streams)))


# --- read ----------------------------------------------------------------------------------


def read_states(path: Path | None) -> dict[str, dict[str, Any]]:
    """Each stream's state blob from an Airbyte state file: `[]`, per-stream states, or none.

    A file not there yet is the first read of a loop that keeps its state in it; a file that is
    empty or not a state list is refused, never read as "no state": a truncated state file would
    otherwise read the whole tenant again, silently.
    """
    if path is None or not path.exists():
        return {}
    start_over = "or leave --state out to read from the start"
    text = path.read_text(encoding="utf-8").strip()
    if not text:
        msg = f"The --state file {path} is empty: pass the state of the last read, {start_over}."
        raise SourceError(msg, FailureType.config_error)
    if text in {"null", "{}"}:
        return {}
    try:
        messages = _STATE_LIST.validate_json(text)
    except ValidationError:
        msg = (
            f"The --state file {path} is not a JSON list of Airbyte STREAM states (the `state` of"
            f" the last STATE messages a read wrote, as a list): pass that list, {start_over}."
        )
        raise SourceError(msg, FailureType.config_error) from None
    states: dict[str, dict[str, Any]] = {}
    for message in messages:
        if message.type is AirbyteStateType.STREAM and message.stream is not None:
            blob = message.stream.stream_state
            name = message.stream.stream_descriptor.name
            states[name] = blob.model_dump() if blob is not None else {}
    return states


def singer_catalog(config: dict[str, Any], wanted: Iterable[str]) -> dict[str, Any]:
    """The tap's catalog with exactly the streams Airbyte asked for selected."""
    catalog = make_tap(config, validate_config=False, setup_mapper=False).catalog_dict
    chosen = set(wanted)
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in chosen
    return catalog


class AirbyteWriter(SingerWriter):
    """Writes the tap's Singer messages as Airbyte messages, as the tap writes them.

    RECORD lines are encoded with msgspec in the exact shape of `AirbyteRecordMessage` (the
    models would cost a pydantic object per record); every other message is built with the
    models. A Singer STATE becomes one STREAM state per stream whose state changed.
    """

    def __init__(self, selected: Iterable[str], states: dict[str, dict[str, Any]]) -> None:
        super().__init__()
        self.selected = set(selected)
        self.last_states = copy.deepcopy(states)
        self.records_since_state: dict[str, int] = {}
        self.records = 0
        self.current: str | None = None
        self.running = False
        self.done: list[str] = []
        #: `current` and `done` change on the run's thread and are read from a cursor's
        #: (`rate_limited`): both sides hold this.
        self._lock = locks.condition("airbyte writer")
        self._encode = msgspec.json.Encoder(enc_hook=str).encode

    @override
    def write_message(self, message: Message) -> None:
        try:
            if isinstance(message, RecordMessage):
                self._record(message)
            elif isinstance(message, SchemaMessage):
                self._starting(message.stream)
            elif isinstance(message, StateMessage):
                self._stream_states(message.value)
        except BrokenPipeError:
            raise TargetClosedError(self.records) from None

    def _record(self, message: RecordMessage) -> None:
        if not self.running and self.current is not None:
            self.running = True
            self.status(self.current, AirbyteStreamStatus.RUNNING)
        line = {
            "type": "RECORD",
            "record": {"stream": message.stream, "data": message.record, "emitted_at": now_ms()},
        }
        OUT.write(self._encode(line) + b"\n")
        self.records += 1
        self.records_since_state[message.stream] = (
            self.records_since_state.get(message.stream, 0) + 1
        )

    def _starting(self, stream: str) -> None:
        if stream == self.current:
            return
        self.finish()
        with self._lock:
            self.current, self.running = stream, False
            self.status(stream, AirbyteStreamStatus.STARTED)

    def _stream_states(self, value: Mapping[str, Any]) -> None:
        """One STREAM state per stream whose bookmark moved, with the records written since.

        The SDK's own progress keys are left out: they are not a resume point, and a state that
        differs only by them (or holds nothing yet) would carry the records' count away from
        the bookmark that covers them.
        """
        for name in value.get("bookmarks") or {}:
            state = StreamState.in_message(value, name)
            blob = state.resume_point()
            if (
                name not in self.selected
                or not state.resumes()
                or blob == self.last_states.get(name)
            ):
                continue
            self.last_states[name] = copy.deepcopy(blob)
            count = self.records_since_state.pop(name, 0)
            emit(
                AirbyteMessage(
                    type=Type.STATE,
                    state=AirbyteStateMessage(
                        type=AirbyteStateType.STREAM,
                        stream=AirbyteStreamState(
                            stream_descriptor=StreamDescriptor(name=name),
                            stream_state=AirbyteStateBlob(**blob),
                        ),
                        sourceStats=AirbyteStateStats(recordCount=float(count)),
                    ),
                )
            )

    def finish(self, status: AirbyteStreamStatus = AirbyteStreamStatus.COMPLETE) -> None:
        """End the current stream with `status`."""
        with self._lock:
            if self.current is not None and self.current not in self.done:
                self.done.append(self.current)
                self.status(self.current, status)

    def rate_limited(self, until: float) -> None:
        """The run waits on the tenant's rate limit until `until` (Unix time): say so.

        Called from the cursor that waits; one write of one line, so it never splits a record's.
        """
        reason = AirbyteStreamStatusReason(
            type=AirbyteStreamStatusReasonType.RATE_LIMITED,
            rate_limited=AirbyteStreamStatusRateLimitedReason(quota_reset=int(until * 1000)),
        )
        with self._lock:
            stream = self.current
            if stream is not None and stream not in self.done:
                self.status(stream, AirbyteStreamStatus.RUNNING, [reason])

    def status(
        self,
        stream: str,
        status: AirbyteStreamStatus,
        reasons: list[AirbyteStreamStatusReason] | None = None,
    ) -> None:
        """A STREAM_STATUS trace."""
        emit(
            AirbyteMessage(
                type=Type.TRACE,
                trace=AirbyteTraceMessage(
                    type=TraceType.STREAM_STATUS,
                    emitted_at=now_ms(),
                    stream_status=AirbyteStreamStatusTraceMessage(
                        stream_descriptor=StreamDescriptor(name=stream),
                        status=status,
                        reasons=reasons,
                    ),
                ),
            )
        )


def read(config: dict[str, Any], catalog_path: Path, state_path: Path | None) -> None:
    """`read`: records, STATE at every point the tap writes one, stream statuses."""
    try:
        configured = ConfiguredAirbyteCatalog.model_validate_json(catalog_path.read_bytes())
    except (OSError, ValidationError) as exc:
        msg = f"The --catalog file {catalog_path} is not an Airbyte configured catalog ({exc})."
        raise SourceError(msg.splitlines()[0], FailureType.config_error) from None
    modes = {entry.stream.name: entry.sync_mode for entry in configured.streams}
    states = {
        name: blob
        for name, blob in read_states(state_path).items()
        if modes.get(name) is SyncMode.incremental  # full_refresh starts over
    }
    writer = AirbyteWriter(modes, states)
    warnings = WarningsAsLogMessages()
    logging.getLogger(TapAuth0Logs.name).addHandler(warnings)
    tap = make_tap(
        config,
        validate_config=True,
        catalog=singer_catalog(config, modes),
        state={"bookmarks": copy.deepcopy(states)} if states else None,
        message_writer=writer,
        on_long_wait=writer.rate_limited,
    )
    try:
        tap.sync_all()
    except BaseException:
        writer.finish(AirbyteStreamStatus.INCOMPLETE)
        raise
    finally:
        logging.getLogger(TapAuth0Logs.name).removeHandler(warnings)
        OUT.flush()
    writer.finish()


# --- the command line ----------------------------------------------------------------------


def _read_config(path: Path) -> dict[str, Any]:
    config = read_json_input("--config", path)
    if not isinstance(config, dict):
        msg = f"The --config file {path} is not a JSON object."
        raise SourceError(msg, FailureType.config_error)
    return config


#: What `source-auth0-logs --help` says: for a user, not for a reader of the code.
DESCRIPTION = """\
Read the log events of an Auth0 tenant as an Airbyte source: Airbyte (an image), PyAirbyte and
orchestrators run it with one of the commands below. It prints Airbyte messages on stdout, one a
line; its own log goes to stderr. The config is the tap's (tap-auth0-logs --about lists every
setting), e.g. {"domain": "acme.us.auth0.com", "client_id": "...", "client_secret": "..."}.
"""
#: Each command: what it does, for `--help`.
COMMANDS = {
    "spec": "Print the connector's specification: every setting, secrets marked.",
    "check": (
        "Check the config, the credentials and the read:logs scope with one cheap request: "
        "SUCCEEDED, or FAILED with the reason and its fix (exit 0 either way)."
    ),
    "discover": "Print the catalog: the streams logs, log_search and user_logs.",
    "read": (
        "Read the streams the catalog selects: records, then a STATE after every page; "
        "with --state, only what is new since that STATE."
    ),
}


def parser() -> argparse.ArgumentParser:
    """`spec`, `check`, `discover` and `read`, as Airbyte calls a source."""
    top = argparse.ArgumentParser(
        prog="source-auth0-logs",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, text in COMMANDS.items():
        command = commands.add_parser(name, help=text, description=text)
        if name == "spec":
            continue
        command.add_argument(
            "--config",
            type=Path,
            required=True,
            metavar="FILE",
            help="the tap's settings as JSON (domain, client_id, client_secret, ...)",
        )
        if name == "read":
            command.add_argument(
                "--catalog",
                type=Path,
                required=True,
                metavar="FILE",
                help="a configured catalog choosing the streams and their sync modes",
            )
            command.add_argument(
                "--state",
                type=Path,
                metavar="FILE",
                help="the last STATE of each stream from the previous read (a JSON list)",
            )
    return top


def main(argv: list[str] | None = None) -> None:
    """Run one Airbyte command; any failure is one ERROR trace and a non-zero exit."""
    args = parser().parse_args(argv)
    level = os.environ.get("LOGLEVEL", "INFO").upper()
    logging.basicConfig(
        stream=sys.stderr,
        level=level if level in logging.getLevelNamesMapping() else "INFO",
        format="%(asctime)s | %(levelname)-8s | %(name)-30s | %(message)s",
    )
    try:
        if args.command == "spec":
            spec()
            return
        config = _read_config(args.config)
        if args.command == "check":
            check(config)
        elif args.command == "discover":
            discover(config)
        else:
            read(config, args.catalog, args.state)
    except (SourceError, Auth0TapError) as exc:
        failure = exc.failure if isinstance(exc, SourceError) else FAILURE_TYPES[exc.failure]
        logger.error("%s", exc)
        if isinstance(exc, TargetClosedError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(exc.exit_code)
        emit(error_trace(str(exc), failure))
        sys.exit(1)
    except Exception as exc:
        logger.exception("Unexpected failure")
        first = (str(exc).splitlines() or [""])[0][:300]
        emit(
            error_trace(
                f"Unexpected failure ({type(exc).__name__}): {first}", FailureType.system_error
            )
        )
        sys.exit(1)


def error_trace(message: str, failure: FailureType) -> AirbyteMessage:
    """An ERROR trace with the tap's clear message (never a secret: no config, no headers)."""
    return AirbyteMessage(
        type=Type.TRACE,
        trace=AirbyteTraceMessage(
            type=TraceType.ERROR,
            emitted_at=now_ms(),
            error=AirbyteErrorTraceMessage(message=message, failure_type=failure),
        ),
    )

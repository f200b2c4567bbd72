"""The tap: its settings, the config checks that need no network, and its streams."""

from __future__ import annotations

import json
import logging
import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import (
    CapabilitiesEnum,
    PluginCapabilities,
    TapCapabilities,
)
from singer_sdk.singerlib import Message, RecordMessage
from singer_sdk.tap_base import CliTestOptionValue
from typing_extensions import override

from tap_auth0_logs import log_ids
from tap_auth0_logs.auth import (
    Auth0Authenticator,
    ClientCredentialsAuthenticator,
    StaticTokenAuthenticator,
)
from tap_auth0_logs.backfill import DEFAULT_BACKFILL_CONCURRENCY, MAX_BACKFILL_CONCURRENCY
from tap_auth0_logs.errors import Auth0TapError
from tap_auth0_logs.pacing import DEFAULT_RATE_LIMIT_MAX_WAIT, Pacer
from tap_auth0_logs.streams import LogEventStream, LogSearchStream, LogsStream, UserLogsStream

if TYPE_CHECKING:
    import click
    from singer_sdk.streams import Stream

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SECRET_SETTINGS = ("client_secret", "api_token")


def tenant_base_url(domain: str) -> str:
    """Turn the `domain` setting into the tenant's base URL, or raise ValueError saying why.

    Accepts `acme.us.auth0.com` and `https://acme.us.auth0.com/`. Plain http is allowed only to a
    loopback host (a local test tenant): anywhere else it would send the token in clear text.
    """
    text = domain.strip()
    if not text:
        msg = "Setting `domain` is empty: set it to the tenant's domain, e.g. acme.us.auth0.com."
        raise ValueError(msg)
    parts = urlsplit(text if "://" in text else f"https://{text}")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        msg = f"Setting `domain` ({domain!r}) is not a domain: use e.g. acme.us.auth0.com."
        raise ValueError(msg)
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        msg = (
            f"Setting `domain` ({domain!r}) must be the tenant's domain alone, without a path: "
            "use e.g. acme.us.auth0.com."
        )
        raise ValueError(msg)
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        msg = (
            f"Setting `domain` ({domain!r}) uses plain http to a non-local host, which would send "
            "credentials unencrypted: use https:// (http is only for 127.0.0.1 or localhost)."
        )
        raise ValueError(msg)
    return f"{parts.scheme}://{parts.netloc}"


class BufferedMsgSpecWriter(MsgSpecWriter):
    """The SDK's msgspec writer (a fraction of simplejson's time per record), flushing less.

    The SDK's writer flushes stdout after every message: one system call per record, about a
    tenth of the tap's CPU. This one lets records fill the buffer and flushes after every other
    message. A STATE is written only after the records it covers, so a target never sees a STATE
    before them, and a killed run only loses records that no STATE it wrote has claimed.
    """

    @override
    def write_message(self, message: Message) -> None:
        sys.stdout.buffer.write(self.format_message(message))
        if not isinstance(message, RecordMessage):
            sys.stdout.flush()


class TapAuth0Logs(Tap):
    """Singer tap for the log events of an Auth0 tenant."""

    name = "tap-auth0-logs"
    package_name = "tap-auth0-logs"
    message_writer_class = BufferedMsgSpecWriter

    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        TapCapabilities.CATALOG,
        TapCapabilities.STATE,
        TapCapabilities.DISCOVER,
        TapCapabilities.TEST,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
    ]

    config_jsonschema = th.PropertiesList(
        th.Property(
            "domain",
            th.StringType(nullable=False),
            required=True,
            title="Domain",
            description=(
                "The tenant's canonical domain, e.g. `acme.us.auth0.com` "
                "(`https://acme.us.auth0.com/` works too; a custom domain does not serve the "
                "Management API). `http://127.0.0.1:PORT` or `http://localhost:PORT` is accepted "
                "for a local test tenant only."
            ),
            examples=["acme.us.auth0.com"],
        ),
        th.Property(
            "client_id",
            th.StringType,
            title="Client ID",
            description=(
                "Client ID of a machine-to-machine application authorized for the Management API "
                "with the `read:logs` scope. Use with `client_secret`, or use `api_token` instead."
            ),
        ),
        th.Property(
            "client_secret",
            th.StringType,
            secret=True,
            title="Client Secret",
            description="Client secret of that application.",
        ),
        th.Property(
            "audience",
            th.StringType,
            title="Audience",
            description="Overrides the token audience, which defaults to `https://DOMAIN/api/v2/`.",
        ),
        th.Property(
            "api_token",
            th.StringType,
            secret=True,
            title="API Token",
            description=(
                "A ready Management API token with `read:logs`, instead of client credentials. "
                "It cannot be refreshed: a run fails clearly once it expires."
            ),
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start Date",
            description=(
                "ISO-8601 timestamp. A first run (no state) emits the logs whose `date` is at or "
                "after it. Ignored once a bookmark exists."
            ),
            examples=["2026-11-01T00:00:00Z"],
        ),
        th.Property(
            "start_log_id",
            th.StringType,
            title="Start Log ID",
            description=(
                "A first run (no state) starts right after this log_id. Wins over `start_date`. "
                "Ignored once a bookmark exists."
            ),
        ),
        th.Property(
            "log_types",
            th.ArrayType(th.StringType),
            title="Log Types",
            description=(
                'Event type codes the `logs` stream emits, e.g. `["f", "fp", "limit_wc"]`; '
                "all when unset. The checkpoint still advances past the others."
            ),
        ),
        th.Property(
            "search_query",
            th.StringType,
            title="Search Query",
            description=(
                "Auth0 log search syntax for the `log_search` stream, e.g. "
                '`type:f AND connection:"Username-Password-Authentication"`. Every match is '
                "returned, beyond Auth0's 1,000-result cap. Needs `read:logs`."
            ),
        ),
        th.Property(
            "user_ids",
            th.ArrayType(th.StringType),
            title="User IDs",
            description=(
                'Users whose logs the `user_logs` stream extracts, e.g. `["auth0|abc123"]`; one '
                "STATE partition each."
            ),
        ),
        th.Property(
            "expired_checkpoint",
            th.StringType,
            default="resume",
            allowed_values=["resume", "fail"],
            title="Expired Checkpoint",
            description=(
                "What to do when the bookmark's log is older than the tenant keeps logs (1 to 30 "
                "days by plan), so the run cannot resume exactly: `resume` warns, naming the "
                "bookmark and the possible gap, and continues from the oldest log kept; `fail` "
                "stops with that message."
            ),
        ),
        th.Property(
            "rate_limit_max_wait",
            th.NumberType,
            default=DEFAULT_RATE_LIMIT_MAX_WAIT,
            title="Rate Limit Max Wait",
            description=(
                "Seconds one request may spend waiting on 429 answers (the tenant's rate limit "
                "is shared with everything else it runs) before the tap gives up."
            ),
        ),
        th.Property(
            "backfill_concurrency",
            th.IntegerType(minimum=1, maximum=MAX_BACKFILL_CONCURRENCY),
            default=DEFAULT_BACKFILL_CONCURRENCY,
            title="Backfill Concurrency",
            description=(
                "Checkpoint cursors a run far behind (a backfill) may page side by side, each over "
                "its own log_id range, sharing the rate limit; 1 extracts one page at a time, in "
                "log_id order. A run only a few pages behind always uses one cursor. In a parallel "
                "backfill records are in order within each range, not across ranges."
            ),
        ),
        th.Property(
            "request_timeout",
            th.IntegerType,
            default=60,
            title="Request Timeout",
            description="Seconds to wait for Auth0 to answer one request before retrying it.",
        ),
    ).to_dict()

    @override
    def discover_streams(self) -> list[Stream]:
        return [LogsStream(tap=self), LogSearchStream(tap=self), UserLogsStream(tap=self)]

    @cached_property
    def base_url(self) -> str:
        """The tenant's base URL, e.g. `https://acme.us.auth0.com`."""
        return tenant_base_url(self.config["domain"])

    def check_connections(self) -> None:
        """Check credentials, scope and reachability: one cheap request per selected stream.

        Failures raise the same clear errors as a run; success is one line.
        """
        checked = []
        for stream in self.streams.values():
            if stream.selected and isinstance(stream, LogEventStream):
                stream.check_connection()
                checked.append(stream.name)
        self.logger.info("Connection test passed for %s.", ", ".join(checked) or "no stream")

    @classmethod
    @override
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """`--test`: one request per selected stream instead of the SDK's one-record sync.

        The SDK's test syncs a record of every stream, selected or not: several requests each,
        and noise for streams the user has not configured.
        """
        if value != CliTestOptionValue.All.value:
            super().cb_test(ctx, param, value)
            return
        config: Any = ctx.params.get("config")
        tap = cls(
            config=config.config if config else None,
            parse_env_config=bool(config and config.parse_env),
            validate_config=True,
        )
        tap.check_connections()
        ctx.exit()

    @cached_property
    def pacer(self) -> Pacer:
        """One pacer per run: every stream and cursor shares the tenant's rate limit."""
        return Pacer()

    @property
    def rate_limit_max_wait(self) -> float:
        """Seconds one request may wait on 429s before the run gives up."""
        return float(self.config.get("rate_limit_max_wait") or DEFAULT_RATE_LIMIT_MAX_WAIT)

    @cached_property
    def authenticator(self) -> Auth0Authenticator:
        """One authenticator per run, shared by every stream: Auth0 meters machine tokens."""
        if self.config.get("client_id") and self.config.get("client_secret"):
            return ClientCredentialsAuthenticator(
                base_url=self.base_url,
                client_id=self.config["client_id"],
                client_secret=self.config["client_secret"],
                audience=self.config.get("audience") or f"{self.base_url}/api/v2/",
                rate_limit_max_wait=self.rate_limit_max_wait,
            )
        return StaticTokenAuthenticator(token=self.config["api_token"])

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Add the checks JSON Schema cannot express, and keep secrets out of every message."""
        try:
            super()._validate_config(raise_errors=True)
            errors: list[str] = []
        except ConfigValidationError as exc:
            errors = [_reword(error) for error in exc.errors]
        errors += [e for e in self._setting_errors() if e not in errors]
        if errors and raise_errors:
            raise ConfigValidationError(
                "Config validation failed", errors=errors, schema=self.config_jsonschema
            )
        return errors

    def _setting_errors(self) -> list[str]:
        config = self.config
        errors: list[str] = []
        if isinstance(config.get("domain"), str):
            try:
                tenant_base_url(config["domain"])
            except ValueError as exc:
                errors.append(str(exc))
        has_pair = bool(config.get("client_id")) and bool(config.get("client_secret"))
        if not has_pair and not config.get("api_token"):
            if config.get("client_id") or config.get("client_secret"):
                missing = "client_secret" if config.get("client_id") else "client_id"
                errors.append(
                    f"Setting `{missing}` is missing: client credentials need both "
                    "`client_id` and `client_secret`."
                )
            else:
                errors.append(
                    "No credentials: set `client_id` and `client_secret` (a machine-to-machine "
                    "application with `read:logs`), or `api_token`."
                )
        start_date = config.get("start_date")
        if isinstance(start_date, str):
            try:
                log_ids.parse_datetime(start_date)
            except ValueError:
                errors.append(
                    f"Setting `start_date` ({start_date!r}) is not an ISO-8601 timestamp: "
                    "use e.g. 2026-11-01T00:00:00Z."
                )
        start_log_id = config.get("start_log_id")
        if isinstance(start_log_id, str) and not log_ids.is_log_id(start_log_id):
            errors.append(
                f"Setting `start_log_id` ({start_log_id!r}) is not an Auth0 log_id "
                "(56 digits, as in a log's `log_id` field)."
            )
        return errors


def _reword(error: str) -> str:
    """Say a JSON Schema error in the tap's words; never quote the value of a secret setting."""
    if error == "'domain' is a required property":
        return "Setting `domain` is missing: set it to the tenant's domain, e.g. acme.us.auth0.com."
    for name in SECRET_SETTINGS:
        if f"config['{name}']" in error:
            return f"Setting `{name}` is invalid: it must be a string."
    return error


def unreadable_input_file(argv: list[str]) -> str | None:
    """Name a `--config`, `--state` or `--catalog` file that is missing or not JSON, and the fix.

    The SDK would fail on it with a traceback; checked before it reads them.
    """
    for index, arg in enumerate(argv[:-1]):
        if arg not in {"--config", "--state", "--catalog"} or argv[index + 1] == "ENV":
            continue
        path = Path(argv[index + 1])
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return f"The {arg} file {path} does not exist: check the path."
        except (OSError, UnicodeDecodeError) as exc:
            return f"The {arg} file {path} cannot be read ({exc.__class__.__name__}): check it."
        except ValueError as exc:
            return f"The {arg} file {path} is not valid JSON ({exc}): fix the file."
    return None


def main() -> None:
    """Console entry point: the SDK's CLI, with user-fixable failures shown as one line.

    The SDK logs an unhandled exception with its traceback; for an `Auth0TapError` the traceback
    says nothing the message does not, so we print the message alone and exit non-zero.
    """
    if problem := unreadable_input_file(sys.argv[1:]):
        logging.basicConfig(format="%(message)s")
        logging.getLogger("tap-auth0-logs").error("%s", problem)
        sys.exit(2)
    try:
        TapAuth0Logs.cli()
    except Auth0TapError as exc:
        logging.getLogger("tap-auth0-logs").error("%s", exc)
        sys.exit(exc.exit_code)

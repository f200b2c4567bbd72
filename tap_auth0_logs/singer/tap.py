"""The tap: its settings, the run's shared parts (pacer, token, client), and its streams.

A run's data path, top to bottom: settings (`settings.py`) → streams (`streams.py`) → pages
(`pagination/`: `backfill.py`, `paginators.py`) → one request (`api/`: `client.py`, `sender.py`,
the token from `auth.py`, pacing from `pacing.py`, retries from `retry.py`, `transport.py`) →
records (`records/`: `schema.py`, pseudonyms, drift) → STATE (`state.py`, written by the SDK).
The tap builds the shared parts once (and the run's one clock) and hands them down; nothing
below it imports it.
"""

from __future__ import annotations

import copy
import logging
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk.helpers.capabilities import (
    CapabilitiesEnum,
    PluginCapabilities,
    TapCapabilities,
)
from typing_extensions import override

from tap_auth0_logs import __version__
from tap_auth0_logs.api.auth import ClientCredentials, StaticToken
from tap_auth0_logs.api.client import Auth0Client
from tap_auth0_logs.api.pacing import Pacer
from tap_auth0_logs.api.sender import Credentials, Sender
from tap_auth0_logs.api.transport import Transport
from tap_auth0_logs.clock import SYSTEM_CLOCK
from tap_auth0_logs.errors import Auth0TapError
from tap_auth0_logs.pagination import retention
from tap_auth0_logs.pagination.start_points import OldestLog
from tap_auth0_logs.records.pseudonyms import Pseudonymizer
from tap_auth0_logs.singer.output import BufferedMsgSpecWriter
from tap_auth0_logs.singer.sdk_fence import FencedTap
from tap_auth0_logs.singer.settings import (
    CONFIG_SCHEMA,
    MAX_BACKFILL_CONCURRENCY,
    Settings,
    config_errors,
)
from tap_auth0_logs.singer.streams import (
    LogEventStream,
    LogSearchStream,
    LogsStream,
    UserLogsStream,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from jsonschema import ValidationError
    from singer_sdk.streams import Stream

    from tap_auth0_logs.clock import Clock

USER_AGENT = f"tap-auth0-logs/{__version__}"


class TapAuth0Logs(FencedTap):
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
        # Meltano then reads the tap's log lines as records: the tap's error shows as an error.
        PluginCapabilities.STRUCTURED_LOGGING,
    ]

    # A copy: the SDK adds its built-in settings (stream maps, flattening) to this dict in place,
    # and `CONFIG_SCHEMA` stays the tap's own settings (the Airbyte spec is built from it alone).
    config_jsonschema: ClassVar[dict[str, Any]] = copy.deepcopy(CONFIG_SCHEMA)

    def __init__(
        self,
        *,
        on_long_wait: Callable[[float], None] | None = None,
        clock: Clock = SYSTEM_CLOCK,
        **kwargs: Any,
    ) -> None:
        """The SDK's tap; `on_long_wait` is told when a run starts a long wait on the bucket.

        `clock` is the run's one clock, for everything that waits (a test's is simulated).
        """
        self._on_long_wait = on_long_wait
        self.clock = clock
        super().__init__(**kwargs)

    @override
    def discover_streams(self) -> list[Stream]:
        oldest = self.oldest_log
        return [
            stream_class(
                self,
                self.client,
                self.settings,
                advisor=self.pacer,
                pseudonyms=self.pseudonyms,
                oldest=oldest,
                clock=self.clock,
            )
            for stream_class in (LogsStream, LogSearchStream, UserLogsStream)
        ]

    @cached_property
    def pseudonyms(self) -> Pseudonymizer | None:
        """The run's keyed pseudonyms, when `pseudonymize_key` is set."""
        settings = self.settings
        if not settings.pseudonymize_key:
            return None
        return Pseudonymizer(
            settings.pseudonymize_key,
            settings.pseudonymize_key_version,
            settings.pseudonymize_fields,
        )

    @cached_property
    def oldest_log(self) -> OldestLog:
        """The tenant's oldest log, asked at most once a run for every stream and the countdown."""
        return OldestLog(self.client)

    @cached_property
    def settings(self) -> Settings:
        """The config, typed."""
        return Settings.from_config(self.config)

    @cached_property
    def pacer(self) -> Pacer:
        """One pacer per run: every stream and cursor shares the tenant's rate limit."""
        return Pacer(
            reserve=self.settings.rate_limit_reserve,
            max_per_second=self.settings.max_requests_per_second,
            clock=self.clock,
            on_long_wait=self._on_long_wait or (lambda until: None),
        )

    @cached_property
    def transport(self) -> Transport:
        """The run's one HTTP session, for the API and the token endpoint alike."""
        return Transport(
            user_agent=USER_AGENT,
            timeout=self.settings.request_timeout,
            connections=MAX_BACKFILL_CONCURRENCY,
        )

    @cached_property
    def sender(self) -> Sender:
        """The one path of every request: token, pacing, transport, answer, retries."""
        return Sender(
            self.transport,
            self.pacer,
            rate_limit_max_wait=self.settings.rate_limit_max_wait,
            clock=self.clock,
        )

    @cached_property
    def tokens(self) -> Credentials:
        """One token source per run, shared by every stream: Auth0 meters machine tokens."""
        settings = self.settings
        if settings.has_client_credentials:
            return ClientCredentials(
                sender=self.sender,
                token_url=f"{settings.base_url}/oauth/token",
                client_id=str(settings.client_id),
                client_secret=str(settings.client_secret),
                audience=settings.audience,
            )
        return StaticToken(settings.api_token or "")

    @cached_property
    def client(self) -> Auth0Client:
        """The run's Management API client."""
        return Auth0Client(base_url=self.settings.base_url, sender=self.sender, tokens=self.tokens)

    @override
    def config_errors(self, schema_errors: list[ValidationError]) -> list[str]:
        # The SDK has added its built-in settings (stream maps, flattening) to the schema.
        known = self.config_jsonschema["properties"].keys()
        return config_errors(self.config, schema_errors, known)

    @override
    def run_starting(self) -> None:
        """Refuse a STATE of another tenant before any request: its bookmarks would skip logs."""
        for stream in self.streams.values():
            if stream.selected and isinstance(stream, LogEventStream):
                stream.claim_tenant()

    @override
    def run_finished(self, *, succeeded: bool) -> None:
        """The run's closing lines: its rate limit spending, then (if it succeeded) retention.

        The retention line says how long the pipeline may stay stopped before Auth0 deletes logs
        it has not read.
        """
        if self.pacer.usage.requests:
            self.logger.info("%s", self.pacer.summary())
        if succeeded:
            self._say_retention()

    def _say_retention(self) -> None:
        """The countdown of the oldest bookmark among the run's streams; a WARNING when short."""
        bookmarks = [
            (bookmark, stream.name)
            for stream in self.streams.values()
            if stream.selected and isinstance(stream, LogEventStream)
            for bookmark in stream.bookmarks()
        ]
        if not bookmarks:
            return
        bookmark, stream_name = min(bookmarks)
        now = retention.now()
        kept = self._retention(now)
        if kept is None:
            return
        measured = self.settings.retention_days is None
        countdown = retention.countdown(stream_name, bookmark, kept, measured=measured, now=now)
        if countdown is not None:
            level = logging.WARNING if countdown.urgent else logging.INFO
            left = round(countdown.left.total_seconds() / 86400, 1)
            self.logger.log(level, "%s", countdown.line(), extra={"retention_days_left": left})

    def _retention(self, now: datetime) -> timedelta | None:
        """`retention_days`, else the age of the oldest log the tenant serves (one request)."""
        if self.settings.retention_days is not None:
            return timedelta(days=self.settings.retention_days)
        try:
            oldest = self.oldest_log.get()
        except Auth0TapError as exc:
            self.logger.warning(
                "Could not find the tenant's oldest log for the countdown (%s).", exc
            )
            return None
        return retention.measured(oldest, now) if oldest is not None else None

    @override
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

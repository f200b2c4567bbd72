"""The fence: every private singer-sdk member the tap uses, in one place, each with why.

The SDK has no public hook for these. An SDK upgrade may change any of them without notice, so
`tests/test_sdk_fence.py` pins a hash of the source of each SDK member named in `FENCED` and
fails when one changes (`REVIEWED` holds the hashes): upgrading the SDK is then a deliberate
act, reviewed against this page, that ends by updating those hashes.

1. `Stream._generate_record_messages` (overridden by `FencedStream`): the SDK walks every key of
   every record, the free-form `details` included, to drop deselected properties, about a fifth
   of the tap's CPU per record, spent for nothing when the catalog selects every property. When
   anything is deselected, the SDK's own version runs. Reads `Stream._stream_version`, the
   version the SDK's RECORD messages carry.
2. `Stream._increment_stream_state` (overridden for `bookmarks_per_page` streams): the SDK moves
   the bookmark to each record's id, which is only right for records in id order; the parallel
   backfill writes several ranges at once and saves its progress per written page instead.
3. `Stream._write_state_message` (called) and `StreamStateManager.is_flushed` (written): write a
   STATE right after a page, rather than every `STATE_MSG_FREQUENCY` records. `Tap.state_writer`
   is public but does not tell the stream its state went out; this method does both.
4. `PluginBase._validate_config` (overridden): the SDK validates the config in `__init__`, through
   this method only, and words each error from jsonschema's text, quoting the offending value
   (a secret's too). The override validates the same way (`PluginBase._config`, so the SDK's
   defaults are still filled in) and lets the tap word each error from its typed fields.
5. `Tap.cb_test` (overridden; public, but its click signature and `_ConfigInput` are the SDK's
   internals): `--test` syncs a record of every stream, selected or not, and `run_connection_test`
   is final; the override makes one cheap request per selected stream instead. It runs while
   click parses the options, outside the command whose `invoke` turns a bad config into one line
   per error, so it says those lines itself (the SDK's own `--test` shows a traceback).
6. `Tap.sync_all` (wrapped; public but marked final): the one place that runs once before the
   first stream of a run (where the tap refuses another tenant's STATE before any request) and
   once after every stream, failed or not, where the tap says in one line what it spent of the
   tenant's rate limit. No public seam serves: `Tap.invoke` builds the tap inside itself, and
   `Stream.log_sync_costs` is skipped when a stream fails.
7. `Stream.sync` (relied on): it logs a generic "unhandled error" line at ERROR from inside its
   `except` block, then re-raises. For an `Auth0TapError` the CLI prints the clear error itself,
   once, with its fix; `FencedStream` installs a filter on its logger that drops ERROR lines
   logged while such an error is being handled, which works only while the SDK logs from inside
   that block.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import sys
from abc import abstractmethod
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.plugin_base import JSONSchemaValidator, PluginBase
from singer_sdk.singerlib import RecordMessage
from singer_sdk.streams._state import StreamStateManager
from singer_sdk.tap_base import CliTestOptionValue
from typing_extensions import override

from tap_auth0_logs.errors import Auth0TapError

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    import click
    from jsonschema import ValidationError
    from singer_sdk.helpers.types import Context

#: The SDK members behind the fence (and those whose behaviour the fence relies on).
FENCED: dict[str, Callable[..., Any]] = {
    "Stream._generate_record_messages": Stream._generate_record_messages,
    "Stream._increment_stream_state": Stream._increment_stream_state,
    "Stream._write_state_message": Stream._write_state_message,
    "Stream._write_record_message": Stream._write_record_message,  # clears `is_flushed`
    "Stream.__init__": Stream.__init__,  # sets `_stream_version`
    "StreamStateManager.__init__": StreamStateManager.__init__,  # defines `is_flushed`
    "PluginBase.__init__": PluginBase.__init__,  # calls `_validate_config`, owns `_config`
    "PluginBase._validate_config": PluginBase._validate_config,
    "Tap.cb_test": Tap.cb_test,
    "Tap.sync_all": Tap.sync_all,
    "Stream.sync": Stream.sync,  # logs its ERROR line inside `except` (7.)
}

#: The sha256 of each fenced member's source in the SDK version reviewed (singer-sdk 0.54.9).
REVIEWED: dict[str, str] = {
    "Stream._generate_record_messages": (
        "9b5f9fbcdedb7a1aec5673a44f51fd9bd88840f19f0fb29cba9953b9d9095bfe"
    ),
    "Stream._increment_stream_state": (
        "cabc0edb2fd4f0000dbd140a870dae871400ba13293bd2ecd8bdd93d0fb033bc"
    ),
    "Stream._write_state_message": (
        "f82ecd8d169868234742e45a855006fd2596c96cab9d3d9f975a13517c6e3fda"
    ),
    "Stream._write_record_message": (
        "292b7bed39883bd999839ea8ac5153ab52287f6120f7203902892510b0cfbd08"
    ),
    "Stream.__init__": "d688dac686f01d3b6a550656497b4a0c0f0070a27ffae9f179da2e977871be9c",
    "StreamStateManager.__init__": (
        "554af39db4fba9fb4759fbba5b89536ee671e85945f7ad243ab93833ad6e9417"
    ),
    "PluginBase.__init__": "e4d42262fbeb7fbe2539fd7061d87376d18403957ae32524328c17e36d9ba3ce",
    "PluginBase._validate_config": (
        "0584b9e347e353fa7fd5151422a67881f8a8c790a2681e53fc5bdd4beb1c7ce5"
    ),
    "Tap.cb_test": "4f1ea14c3ccb8338e576954acace1fdbcc85fccacb90e4aed881b9a3d12842a4",
    "Tap.sync_all": "e4412393757b4cdc422ba4982705b0a06dfaf80ce249160aa9ab2a81cd7c00b5",
    "Stream.sync": "6b4262dcdddf22b403b9a06533e1184256199e09fb1bde3cf5bb063e8ae146c4",
}


def source_hash(member: Callable[..., Any]) -> str:
    """The sha256 of a member's source, as `FENCED` pins it."""
    return hashlib.sha256(inspect.getsource(member).encode()).hexdigest()


class QuietWhileClearError(logging.Filter):
    """Drop ERROR lines logged while an `Auth0TapError` is being handled (see 7. above)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for an ERROR line logged inside the handling of a clear error."""
        return not (
            record.levelno >= logging.ERROR and isinstance(sys.exc_info()[1], Auth0TapError)
        )


_QUIET = QuietWhileClearError()


class FencedStream(Stream):
    """A stream with the lean record path, a quiet logger for clear errors, per-page bookmarks."""

    #: True for a stream that saves its bookmark itself (`write_state_now`), not per record.
    bookmarks_per_page: ClassVar[bool] = False

    def __init__(self, tap: Tap) -> None:
        super().__init__(tap=tap)
        self.logger.addFilter(_QUIET)  # adding it again changes nothing

    @override
    def _generate_record_messages(
        self, record: dict[str, Any]
    ) -> Generator[RecordMessage, None, None]:
        """The SDK's RECORD messages, without its walk for deselected properties when none are."""
        if not self._selects_everything:
            yield from super()._generate_record_messages(record)
            return
        extracted = datetime.now(UTC)
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped,
                    version=self._stream_version,
                    time_extracted=extracted,
                )

    @cached_property
    def _selects_everything(self) -> bool:
        return all(self.mask.values())

    @override
    def _increment_stream_state(
        self, latest_record: dict[str, Any], *, context: Context | None = None
    ) -> None:
        if not self.bookmarks_per_page:
            super()._increment_stream_state(latest_record, context=context)

    def write_state_now(self) -> None:
        """Write the tap's STATE now (after the records it covers have been written)."""
        self.state_manager.is_flushed = False
        self._write_state_message()


class FencedTap(Tap):
    """A tap whose config errors and `--test` are its own."""

    @abstractmethod
    def config_errors(self, schema_errors: list[ValidationError]) -> list[str]:
        """Every config error, in the tap's words: the schema's (typed) and the tap's own."""

    @abstractmethod
    def run_starting(self) -> None:
        """Called once before any stream of a run syncs: checks that need no request."""

    @abstractmethod
    def run_finished(self, *, succeeded: bool) -> None:
        """Called once after every stream of a run, whether it succeeded or not."""

    @abstractmethod
    def check_connections(self) -> None:
        """`--test`: prove the credentials, scope and reachability; raise a clear error if not."""

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        schema = self.config_jsonschema
        self.append_builtin_config(schema)
        # Validated in place, as the SDK does, so that its validator fills in the defaults.
        errors = self.config_errors(list(JSONSchemaValidator(schema).iter_errors(self._config)))
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors, schema=schema)
        if errors:
            self.logger.warning("Config validation failed")
        return errors

    # `sync_all` is final in the SDK's typing only; see 6. above.
    @override  # type: ignore[misc]
    def sync_all(self) -> None:
        self.run_starting()
        succeeded = False
        try:
            super().sync_all()
            succeeded = True
        finally:
            self.run_finished(succeeded=succeeded)

    @classmethod
    @override
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        if value != CliTestOptionValue.All.value:
            super().cb_test(ctx, param, value)
            return
        config: Any = ctx.params.get("config")
        try:
            tap = cls(
                config=config.config if config else None,
                parse_env_config=bool(config and config.parse_env),
                validate_config=True,
            )
        except ConfigValidationError as exc:
            # This callback runs while click parses the options, outside the SDK's command,
            # whose `invoke` says a config's errors in these lines; say them the same way.
            logger = logging.getLogger(cls.name)
            for error in exc.errors:
                logger.error("%s", error)
            logger.error("Config validation failed")
            ctx.exit(1)
        tap.check_connections()
        ctx.exit()

"""The console entry point: the SDK's CLI, with every user-fixable failure shown as one line."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from tap_auth0_logs.errors import Auth0TapError, InputFileError, TargetClosedError
from tap_auth0_logs.singer.inputs import read_input_file
from tap_auth0_logs.singer.tap import TapAuth0Logs

#: The options whose value is a JSON file the SDK reads.
FILE_OPTIONS = ("--config", "--state", "--catalog")


def unreadable_input_file(argv: list[str]) -> str | None:
    """Name a `--config`, `--state` or `--catalog` file that cannot be used, and the fix.

    Missing, not JSON, or not the shape the option takes: the SDK would fail on it with a
    traceback; checked before it reads them.
    """
    for option, value in _file_options(argv):
        if value == "ENV":
            continue
        try:
            read_input_file(option, Path(value))
        except InputFileError as exc:
            return str(exc)
    return None


def _file_options(argv: list[str]) -> list[tuple[str, str]]:
    """`(option, value)` for each file option, in both forms click takes: `--opt v`, `--opt=v`."""
    found = []
    for index, arg in enumerate(argv):
        option, equals, value = arg.partition("=")
        if option not in FILE_OPTIONS:
            continue
        if equals:
            found.append((option, value))
        elif index + 1 < len(argv):
            found.append((option, argv[index + 1]))
    return found


def airbyte_main() -> None:
    """`source-auth0-logs`: the Airbyte source, when the `airbyte` extra is installed."""
    try:
        from tap_auth0_logs.airbyte.source import main as source_main  # noqa: PLC0415
    except ImportError as exc:
        sys.exit(
            f"source-auth0-logs needs the `airbyte` extra ({exc.name} is missing): install the "
            "package with it, from a clone of the repository: pip install '.[airbyte]'."
        )
    source_main()


def main() -> None:
    """Run the tap's CLI; an `Auth0TapError` ends it with its message alone and a non-zero exit.

    The SDK logs an unhandled exception with its traceback; for an `Auth0TapError` the traceback
    says nothing the message does not.
    """
    logger = logging.getLogger(TapAuth0Logs.name)
    if problem := unreadable_input_file(sys.argv[1:]):
        logging.basicConfig(format="%(message)s")
        logger.error("%s", problem)
        sys.exit(2)
    try:
        TapAuth0Logs.cli()
    except Auth0TapError as exc:
        if isinstance(exc, TargetClosedError):
            # Nothing more can reach the target; let the exit flush into nothing, quietly.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        logger.error("%s", exc)
        sys.exit(exc.exit_code)

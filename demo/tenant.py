"""Which tenant the demo reads, and its config checked by the tap's own rules before Meltano starts.

Meltano would take the config as it is: it drops a setting name it does not know (`start_dat`
would extract the whole history), and parses dates its own way (`01-11-2026` becomes 11
January). So the demo hands the config to the tap first, which refuses an unknown name with the
nearest one, a value of the wrong type and a date that is not ISO-8601, each in one line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from singer_sdk.exceptions import ConfigValidationError

from tap_auth0_logs.errors import InputFileError
from tap_auth0_logs.singer.inputs import read_input_file
from tap_auth0_logs.singer.settings import CONFIG_SCHEMA, Settings
from tap_auth0_logs.singer.tap import TapAuth0Logs

if TYPE_CHECKING:
    from collections.abc import Mapping

#: The tap's settings as Meltano reads them from the environment: `TAP_AUTH0_LOGS_<NAME>`.
#: (`TAP_AUTH0_LOGS__<EXTRA>`, two underscores, is one of Meltano's own extras.)
PREFIX = "TAP_AUTH0_LOGS_"


class ConfigProblem(Exception):
    """The config cannot be used: the message says why, in one line, and the fix."""


def read_config_file(path: str) -> dict[str, Any]:
    """The config in `path`: a missing, empty or non-JSON file is one line, as the tap says it."""
    try:
        return dict(read_input_file("--config", Path(path)))
    except InputFileError as exc:
        raise ConfigProblem(str(exc)) from None


def config_from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings the `TAP_AUTH0_LOGS_*` variables give, typed as Meltano would type them.

    A list or a number is written as JSON in a variable; a text setting is taken as it is. A
    name that is no setting is kept, for the tap to refuse with the nearest one.
    """
    config: dict[str, Any] = {}
    for variable, text in environ.items():
        if not variable.startswith(PREFIX) or variable.startswith(PREFIX + "_"):
            continue
        name = variable.removeprefix(PREFIX).lower()
        config[name] = text if _is_text(name) else _json_or_text(text)
    return config


def check(config: Mapping[str, Any]) -> None:
    """Raise `ConfigProblem` with the tap's own words when the tap would refuse `config`.

    The tap is built as a run builds it, which checks every setting offline; nothing is sent.
    """
    try:
        TapAuth0Logs(
            config=dict(config), parse_env_config=False, validate_config=True, setup_mapper=False
        )
    except ConfigValidationError as exc:
        raise ConfigProblem(" ".join(exc.errors)) from None


def slug(config: Mapping[str, Any]) -> str:
    """A folder and state-id name for the tenant `config` reads: its host, e.g. acme-us-auth0-com.

    The tenant is the one its STATE names (the Management API identifier's host), so the same
    tenant gets the same folder whatever `domain` spelling reaches it.
    """
    tenant = Settings.from_config(config).tenant
    return re.sub(r"[^a-z0-9]+", "-", tenant).strip("-") or "tenant"


def as_environment(config: Mapping[str, Any]) -> dict[str, str]:
    """`config` as the `TAP_AUTH0_LOGS_*` variables Meltano reads (lists and numbers as JSON)."""
    return {
        f"{PREFIX}{name.upper()}": value if isinstance(value, str) else json.dumps(value)
        for name, value in config.items()
    }


def _is_text(name: str) -> bool:
    """True when the setting takes text (so its variable is its value, never JSON)."""
    kind = CONFIG_SCHEMA["properties"].get(name, {}).get("type")
    return "string" in ([kind] if isinstance(kind, str) else kind or [])


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text

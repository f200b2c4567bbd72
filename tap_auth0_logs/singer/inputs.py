"""The CLI's input files (`--config`, `--state`, `--catalog`): read, and checked for their shape.

The SDK would fail on a missing, unreadable or misshapen file with a traceback; the console entry
point (`cli.py`) and the Airbyte source read them here first, and say in one line what is wrong.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tap_auth0_logs.errors import InputFileError

if TYPE_CHECKING:
    from pathlib import Path


def read_json_input(option: str, path: Path) -> Any:
    """The JSON in the file given as `option` (`--config`, …), or a clear `InputFileError`."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"The {option} file {path} does not exist: check the path."
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"The {option} file {path} cannot be read ({exc.__class__.__name__}): check it."
    except ValueError as exc:
        msg = f"The {option} file {path} is not valid JSON ({exc}): fix the file."
    raise InputFileError(msg)


def read_input_file(option: str, path: Path) -> Any:
    """The JSON in `option`'s file, checked for the shape that option takes (else one clear line).

    `--config` an object; `--state` a Singer STATE (`{"bookmarks": {stream: {...}}}`);
    `--catalog` a Singer catalog (`{"streams": [{"tap_stream_id": ..., ...}]}`).
    """
    data = read_json_input(option, path)
    problem = _shape_problem(option, data)
    if problem is not None:
        what, fix = problem
        msg = f"The {option} file {path} {what}: {fix}"
        raise InputFileError(msg)
    return data


_STATE_FIX = "pass the last STATE the tap wrote, or none to start over."
_CATALOG_FIX = "pass a catalog from `tap-auth0-logs --discover`, or none for the default one."


def _shape_problem(option: str, data: Any) -> tuple[str, str] | None:
    if not isinstance(data, dict):
        kind = {"--state": "a STATE", "--catalog": "a catalog"}.get(option, "a config")
        return f"is not a JSON object, as {kind} is", _fixes(option)
    if option == "--state":
        return _state_problem(data)
    if option == "--catalog":
        return _catalog_problem(data)
    return None


def _fixes(option: str) -> str:
    return {"--state": _STATE_FIX, "--catalog": _CATALOG_FIX}.get(option, "fix the file.")


def _state_problem(state: dict[str, Any]) -> tuple[str, str] | None:
    if state.get("type") == "STATE" and isinstance(state.get("value"), dict):
        # Taken as it is, it holds no bookmark, and the run would start over in silence.
        return "is a whole STATE message", "pass its `value` (the object with `bookmarks`)."
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        return "has `bookmarks` that is not an object of streams", _STATE_FIX
    for stream, bookmark in bookmarks.items():
        if not isinstance(bookmark, dict):
            return f"has a bookmark for `{stream}` that is not an object", _STATE_FIX
    return None


def _catalog_problem(catalog: dict[str, Any]) -> tuple[str, str] | None:
    streams = catalog.get("streams")
    if not isinstance(streams, list):
        return "has no `streams` list", _CATALOG_FIX
    for index, entry in enumerate(streams):
        if not isinstance(entry, dict) or not isinstance(entry.get("tap_stream_id"), str):
            return f"has a stream (number {index + 1}) without a `tap_stream_id`", _CATALOG_FIX
        if not isinstance(entry.get("metadata", []), list):
            return f"has `metadata` of `{entry['tap_stream_id']}` that is not a list", _CATALOG_FIX
        if not isinstance(entry.get("schema", {}), dict):
            return f"has a `schema` of `{entry['tap_stream_id']}` that is not an object", (
                _CATALOG_FIX
            )
    return None

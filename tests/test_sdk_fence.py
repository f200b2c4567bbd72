"""The SDK's private members stay behind one fence, and an SDK that changes them is noticed."""

from __future__ import annotations

import ast
from pathlib import Path

from singer_sdk import Stream, Tap
from singer_sdk.plugin_base import PluginBase
from singer_sdk.streams._state import StreamStateManager

import tap_auth0_logs
from tap_auth0_logs.singer.sdk_fence import FENCED, REVIEWED, source_hash

#: The whole package, every sub-package included.
PACKAGE = Path(tap_auth0_logs.__file__).parent


def test_every_fenced_sdk_member_is_the_source_that_was_reviewed():
    assert set(FENCED) == set(REVIEWED)
    changed = [name for name, member in FENCED.items() if source_hash(member) != REVIEWED[name]]
    assert changed == [], (
        f"singer-sdk changed {changed}: review tap_auth0_logs/singer/sdk_fence.py against the new "
        "source, then update REVIEWED."
    )


def _sdk_private_names() -> set[str]:
    """Single-underscore members and attributes of the SDK classes the tap builds on."""
    names: set[str] = set()
    for cls in (Stream, Tap, PluginBase, StreamStateManager):
        for klass in cls.__mro__:
            if klass.__module__.startswith("singer_sdk"):
                names |= {n for n in vars(klass) if n.startswith("_") and not n.startswith("__")}
                for node in ast.walk(ast.parse(Path(_source_file(klass)).read_text())):
                    if (
                        isinstance(node, ast.Attribute)
                        and isinstance(node.value, ast.Name)
                        and node.value.id == "self"
                        and node.attr.startswith("_")
                        and not node.attr.startswith("__")
                    ):
                        names.add(node.attr)
    return names


def _source_file(klass: type) -> str:
    import sys  # noqa: PLC0415

    return str(sys.modules[klass.__module__].__file__)


def test_no_module_outside_the_fence_touches_a_private_sdk_member():
    private = _sdk_private_names() | {"is_flushed"}
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "sdk_fence.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in private:
                offenders.append(f"{path.name}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.FunctionDef) and node.name in private:
                offenders.append(f"{path.name}:{node.lineno} def {node.name}")
            if isinstance(node, ast.ImportFrom) and _private_sdk_module(node.module or ""):
                offenders.append(f"{path.name}:{node.lineno} from {node.module}")
    assert offenders == []


def _private_sdk_module(module: str) -> bool:
    return module.startswith("singer_sdk") and any(p.startswith("_") for p in module.split("."))


def test_the_check_above_would_see_a_private_member():
    """Guards the test above: the names it looks for include the ones the fence uses."""
    private = _sdk_private_names()
    assert _private_sdk_module("singer_sdk.streams._state")
    assert {"_tap", "_stream_version", "_config", "_write_state_message"} <= private

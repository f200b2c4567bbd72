"""The rooms of the package import one way: down, never up, annotations included."""

from __future__ import annotations

import ast
from pathlib import Path

import tap_auth0_logs

PACKAGE = Path(tap_auth0_logs.__file__).parent

#: Each room's floor: a room imports only rooms on lower floors.
FLOORS = {
    "__init__": 0,
    "log_ids": 0,
    "schema": 0,
    "event_types": 0,
    "errors": 0,
    "bucket": 0,
    "refill": 1,
    "transport": 1,
    "ranges": 1,
    "progress": 1,
    "drift": 1,
    "output": 1,
    "pacing": 2,
    "retry": 3,
    "sender": 4,
    "auth": 5,
    "client": 6,
    "paginators": 7,
    "start_points": 7,
    "backfill": 7,
    "sdk_fence": 7,
    "settings": 8,
    "streams": 9,
    "tap": 10,
    "airbyte_source": 11,
    "cli": 12,
    "__main__": 13,
}


def _imports(path: Path) -> set[str]:
    """The package's modules that `path` imports, at run time or for type checking."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "tap_auth0_logs":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("tap_auth0_logs."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {
                a.name.split(".")[1] for a in node.names if a.name.startswith("tap_auth0_logs.")
            }
    return {"__init__" if name == "__version__" else name for name in found}


def test_every_module_has_a_floor():
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    assert modules == set(FLOORS)


def test_rooms_import_only_rooms_below_them():
    upward = [
        f"{path.stem} -> {name}"
        for path in sorted(PACKAGE.glob("*.py"))
        for name in _imports(path)
        if name != "testing" and FLOORS[name] >= FLOORS[path.stem]
    ]
    assert upward == []


def test_the_fake_tenant_shares_no_code_with_the_tap():
    """The fake tenant is built from docs/auth0-api.md, not from the tap it tests."""
    for path in (PACKAGE / "testing").glob("*.py"):
        assert _imports(path) <= {"testing"}, path.name


def test_the_import_check_sees_every_form_of_import(tmp_path):
    """Guards the tests above: each way of importing a room is seen."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from tap_auth0_logs.tap import TapAuth0Logs\n"
        "from tap_auth0_logs import log_ids\n"
        "if TYPE_CHECKING:\n    import tap_auth0_logs.streams\n"
    )
    assert _imports(probe) == {"tap", "log_ids", "streams"}

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
    "pseudonyms": 0,
    "inputs": 1,
    "retention": 1,
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


#: The most instance attributes a class of the tap's own that holds mutable state may have.
MAX_INSTANCE_ATTRIBUTES = 12


def _is_frozen_dataclass(node: ast.ClassDef) -> bool:
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "dataclass":
            for keyword in decorator.keywords:
                if keyword.arg == "frozen" and getattr(keyword.value, "value", False) is True:
                    return True
    return False


def _instance_attributes(node: ast.ClassDef) -> set[str]:
    """The fields of a (mutable) dataclass and every `self.x` a method assigns."""
    names: set[str] = set()
    is_dataclass = any(
        getattr(d, "id", None) == "dataclass" or getattr(getattr(d, "func", None), "id", None)
        for d in node.decorator_list
    )
    for statement in node.body:
        if is_dataclass and isinstance(statement, ast.AnnAssign):
            annotation = ast.unparse(statement.annotation)
            if isinstance(statement.target, ast.Name) and "ClassVar" not in annotation:
                names.add(statement.target.id)
    for inner in ast.walk(node):
        targets: list[ast.expr] = []
        if isinstance(inner, ast.Assign):
            targets = list(inner.targets)
        elif isinstance(inner, ast.AnnAssign | ast.AugAssign):
            targets = [inner.target]
        for target in targets:
            for element in ast.walk(target):
                if (
                    isinstance(element, ast.Attribute)
                    and isinstance(element.value, ast.Name)
                    and element.value.id == "self"
                ):
                    names.add(element.attr)
    return names


def _crowded_classes(path: Path) -> list[str]:
    crowded = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ClassDef) and not _is_frozen_dataclass(node):
            count = len(_instance_attributes(node))
            if count > MAX_INSTANCE_ATTRIBUTES:
                crowded.append(f"{path.stem}.{node.name}: {count}")
    return crowded


def test_no_class_holds_more_than_twelve_pieces_of_mutable_state():
    """Frozen value objects (`Settings`) are exempt; so is the fake tenant, a test double."""
    crowded = [name for path in sorted(PACKAGE.glob("*.py")) for name in _crowded_classes(path)]
    assert crowded == []


def test_the_attribute_count_sees_fields_and_assignments(tmp_path):
    """Guards the test above."""
    probe = tmp_path / "probe.py"
    fields = "\n".join(f"    f{n}: int = 0" for n in range(7))
    probe.write_text(
        "@dataclass\nclass Crowded:\n"
        f"{fields}\n"
        "    def more(self):\n"
        "        self.a, self.b = 1, 2\n        self.c: int = 3\n        self.d += 1\n"
        "        self.e = self.f = 5\n"
        "@dataclass(frozen=True)\nclass Value:\n" + fields.replace("f", "g") + "\n" + fields + "\n"
    )
    assert _crowded_classes(probe) == ["probe.Crowded: 13"]


#: The modules that pace the run's requests, and what they may weigh (issue 26: the pacer earns
#: its lines; the plan profiles in the README show what each part earns).
PACING = ("bucket", "pacing")
MAX_PACING_LINES = 450
MAX_PACING_DECISIONS = 60


def decision_points(source: str) -> int:
    """Branches a reader follows: if, conditional expression, loop, except, comprehension (and
    its ifs), match case, and each `and`/`or` beyond the first operand."""
    count = 0
    for node in ast.walk(ast.parse(source)):
        branches = (ast.If, ast.IfExp, ast.For, ast.While, ast.ExceptHandler, ast.match_case)
        if isinstance(node, branches):
            count += 1
        elif isinstance(node, ast.comprehension):
            count += 1 + len(node.ifs)
        elif isinstance(node, ast.BoolOp):
            count += len(node.values) - 1
    return count


def test_the_pacing_stays_small():
    sources = [(PACKAGE / f"{name}.py").read_text() for name in PACING]
    assert sum(len(source.splitlines()) for source in sources) <= MAX_PACING_LINES
    assert sum(decision_points(source) for source in sources) <= MAX_PACING_DECISIONS


def test_the_decision_count_sees_every_kind_of_branch():
    """Guards the test above."""
    probe = (
        "def f(x):\n"
        "    if x and x > 1 or x < -1:\n"
        "        return [y for y in x if y]\n"
        "    while x:\n"
        "        x = 1 if x else 2\n"
        "    try:\n"
        "        pass\n"
        "    except ValueError:\n"
        "        pass\n"
    )
    assert decision_points(probe) == 1 + 2 + 2 + 1 + 1 + 1


def test_benchmarks_never_import_the_tests():
    """`python3 dev.py bench` runs without the test suite: shared harnesses live in benchmarks/."""
    root = PACKAGE.parent
    found = [
        f"{path.name} imports {name}"
        for path in sorted((root / "benchmarks").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        for name in (
            [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else []
        )
        if name == "tests" or name.startswith("tests.")
    ]
    assert found == []

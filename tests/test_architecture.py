"""The package's layers import one way: down, never up, annotations included."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import tap_auth0_logs

PACKAGE = Path(tap_auth0_logs.__file__).parent

#: The modules at the top of the package, by layer; every sub-package is a layer of its own.
TOP_LEVEL = {
    "__init__": "base",
    "errors": "base",
    "clock": "base",
    "locks": "base",
    "cli": "entry",
    "__main__": "entry",
    "specs": "entry",
}
#: The layers each layer's modules may import (and the modules of their own layer, in no cycle).
#: Beside each other, `records` and `api` know nothing of one another; the Airbyte source knows
#: the tap through the Singer seam alone.
MAY_IMPORT = {
    "base": set(),
    "records": {"base"},
    "api": {"base"},
    "pagination": {"base", "api"},
    "singer": {"base", "records", "api", "pagination"},
    "airbyte": {"base", "singer"},
    "entry": {"base", "singer", "airbyte"},
    "testing": set(),  # the fake tenant is built from docs/auth0-api.md, not from the tap
}


def module_name(path: Path) -> str:
    """`api.pacing` for api/pacing.py, `api` for api/__init__.py, `cli` for cli.py."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> str:
    head = module.split(".", maxsplit=1)[0]
    return head if head in MAY_IMPORT else TOP_LEVEL[head]


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(dotted: str, name: str | None = None) -> str:
    """The package's module that `from tap_auth0_logs.<dotted> import <name>` reads."""
    base = dotted.split(".") if dotted else []
    if name is not None and (
        PACKAGE.joinpath(*base, f"{name}.py").exists()
        or (PACKAGE.joinpath(*base, name, "__init__.py").exists())
    ):
        return ".".join([*base, name])
    return ".".join(base) or "__init__"


def _imports(path: Path) -> set[str]:
    """The package's modules that `path` imports, at run time or for type checking."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "tap_auth0_logs" or node.module.startswith("tap_auth0_logs."):
                dotted = node.module.removeprefix("tap_auth0_logs").removeprefix(".")
                found |= {_resolve(dotted, alias.name) for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {
                _resolve(a.name.removeprefix("tap_auth0_logs."))
                for a in node.names
                if a.name.startswith("tap_auth0_logs.")
            }
    return found


def test_every_module_belongs_to_a_layer():
    assert {layer_of(module) for module in modules()} <= set(MAY_IMPORT)


def test_layers_import_only_the_layers_below_them():
    upward = [
        f"{module} -> {imported}"
        for module, path in modules().items()
        for imported in _imports(path)
        if layer_of(imported) != layer_of(module)
        and layer_of(imported) not in MAY_IMPORT[layer_of(module)]
    ]
    assert upward == []


def test_no_layer_imports_itself_in_a_cycle():
    graph = {
        module: {i for i in _imports(path) if layer_of(i) == layer_of(module) and i != module}
        for module, path in modules().items()
    }
    assert _cycles(graph) == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle found by a depth-first walk (each reported once, from where it closes)."""
    found: list[list[str]] = []
    done: set[str] = set()

    def walk(module: str, path: list[str]) -> None:
        for imported in sorted(graph.get(module, ())):
            if imported in path:
                found.append([*path[path.index(imported) :], imported])
            elif imported not in done:
                walk(imported, [*path, imported])
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            walk(module, [module])
    return found


def test_the_import_check_sees_every_form_of_import(tmp_path):
    """Guards the tests above: each way of importing a module is seen, and a cycle is."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from tap_auth0_logs.singer.tap import TapAuth0Logs\n"
        "from tap_auth0_logs.pagination import log_ids\n"
        "from tap_auth0_logs import __version__, locks\n"
        "if TYPE_CHECKING:\n    import tap_auth0_logs.singer.streams\n"
    )
    assert _imports(probe) == {
        "singer.tap",
        "pagination.log_ids",
        "__init__",
        "locks",
        "singer.streams",
    }
    assert layer_of("pagination.log_ids") == "pagination"
    assert layer_of("locks") == "base"
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


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
    crowded = [
        name
        for module, path in modules().items()
        if layer_of(module) != "testing"
        for name in _crowded_classes(path)
    ]
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
#: its lines; the plan profiles in the README show what each part earns). Lines of code only:
#: docstrings and comments, the glossary among them, explain and cost nothing.
PACING = ("api/bucket.py", "api/pacing.py")
MAX_PACING_CODE_LINES = 300  # 285 when the count became code lines (451 lines in all)
MAX_PACING_DECISIONS = 60


def code_lines(source: str) -> int:
    """Lines that hold code: not blank, not only a comment, not part of a docstring."""
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                docstrings |= set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    quiet = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
    code: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in quiet and token.type != tokenize.ENDMARKER:
            code |= set(range(token.start[0], token.end[0] + 1))
    return len(code - docstrings)


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
    sources = [(PACKAGE / name).read_text() for name in PACING]
    assert sum(code_lines(source) for source in sources) <= MAX_PACING_CODE_LINES
    assert sum(decision_points(source) for source in sources) <= MAX_PACING_DECISIONS


def test_the_line_count_counts_code_alone():
    """Guards the test above: docstrings, comments and blank lines are not counted."""
    probe = (
        '"""A module.\n\nIts docstring."""\n'
        "\n"
        "# a comment\n"
        "X = (  # a comment after code\n"
        "    1,\n"
        ")\n"
        'TEXT = """a string\n'
        'that is data"""\n'
        "\n"
        "def f():\n"
        '    """What f does."""\n'
        "    #: an attribute's comment\n"
        "    return X\n"
    )
    assert code_lines(probe) == 3 + 2 + 2


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


def test_the_settings_state_their_own_defaults_and_bounds():
    """A setting's default or bound is a value of `singer/settings.py`, not one borrowed from a
    lower module (which then receives the value from the settings, as every other does)."""
    source = (PACKAGE / "singer" / "settings.py").read_text()
    tree = ast.parse(source)
    defined = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    bounds = {"default", "minimum", "maximum", "exclusive_minimum", "exclusive_maximum"}
    declarations = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setting"
    ]
    used = {
        name.id
        for declaration in declarations
        for node in ast.walk(declaration)
        if isinstance(node, ast.keyword) and node.arg in bounds
        for name in ast.walk(node.value)
        if isinstance(name, ast.Name)
    }
    assert len(declarations) >= 20
    assert used
    assert used <= defined, used - defined


def test_only_the_clock_sleeps_or_waits_for_a_time():
    """Every sleep and timed wait goes through the run's `Clock`, so tests can simulate it."""
    offenders = []
    for module, path in modules().items():
        if module == "clock" or layer_of(module) == "testing":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = ast.unparse(node.func.value)
            timed = node.func.attr == "sleep" or (
                node.func.attr == "wait" and bool(node.args or node.keywords)
            )
            if timed and not receiver.endswith("clock"):
                offenders.append(f"{module}: {ast.unparse(node)}")
    assert offenders == []


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

"""A folder of Sigma rule files, read as the team wrote them, with Auth0's placeholders filled.

Auth0's catalog leaves values for a team to fill in as `{name}` (`{your-tenant-url}`,
`{trusted-client_id-1}`), sometimes unquoted, which YAML reads as a mapping. Such a value would
match nothing: each one takes its value from the `sigma_placeholders` var, or its rule is refused
with a line saying which var to set. Regular expressions (`|re`) are left alone: braces are their
syntax.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml
from pipeline import placeholder_refusal

if TYPE_CHECKING:
    from pathlib import Path

_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_.-]*)\}")


class Refused(Exception):
    """A rule (or a file) that cannot compile; the message says why, in a line."""


@dataclass
class RuleFile:
    """One rule file: its documents, and those refused before pySigma reads them."""

    path: Path
    name: str  # its path inside the rules folder, as lines name it
    documents: list[dict[str, Any]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (title, why)


def rule_files(folder: Path) -> list[Path]:
    """Every `.yml` and `.yaml` file in the folder and below, in a stable order."""
    return sorted(
        path for path in folder.rglob("*") if path.suffix in {".yml", ".yaml"} and path.is_file()
    )


def read(path: Path, folder: Path, values: dict[str, Any]) -> RuleFile:
    """A rule file's documents with their placeholders filled, or refused one by one."""
    rule_file = RuleFile(path, path.relative_to(folder).as_posix())
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        rule_file.refused.append(("", f"not YAML{where}: {_first_line(error)}"))
        return rule_file
    for document in documents:
        if document is None:
            continue
        title = str(document.get("title", "")) if isinstance(document, dict) else ""
        if not isinstance(document, dict):
            rule_file.refused.append((title, "a document that is no Sigma rule (not a mapping)"))
            continue
        try:
            rule_file.documents.append(fill(document, values))
        except Refused as refused:
            rule_file.refused.append((title, str(refused)))
    return rule_file


def fill(document: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The document with each `{name}` in its detection replaced by the var's value(s)."""
    detection = document.get("detection")
    if not isinstance(detection, dict):
        return document
    missing: dict[str, str] = {}  # placeholder -> the field it is in
    filled = {}
    for name, selection in detection.items():
        if name in {"condition", "timeframe"}:
            filled[name] = selection
        elif isinstance(selection, dict):
            filled[name] = {
                key: _values(key, value, values, missing) for key, value in selection.items()
            }
        elif isinstance(selection, list):
            filled[name] = [
                {key: _values(key, value, values, missing) for key, value in item.items()}
                if isinstance(item, dict)
                else _values(name, item, values, missing)
                for item in selection
            ]
        else:
            filled[name] = _values(name, selection, values, missing)
    if missing:
        raise Refused(placeholder_refusal(missing))
    return {**document, "detection": filled}


def _values(key: str, value: Any, values: dict[str, Any], missing: dict[str, str]) -> Any:
    field = key.split("|", maxsplit=1)[0]
    if "re" in key.split("|")[1:]:
        return value
    if isinstance(value, list):
        return [item for each in value for item in _as_list(_values(key, each, values, missing))]
    if isinstance(value, dict) and len(value) == 1 and next(iter(value.values())) is None:
        name = str(next(iter(value)))  # `{name}` unquoted: YAML made it a mapping
        if name not in values:
            missing[name] = f"{field} (unquoted, so YAML read a mapping: quote it)"
            return value
        return _as_list(values[name])
    if not isinstance(value, str):
        return value
    names = _PLACEHOLDER.findall(value)
    if not names:
        return value
    absent = [name for name in names if name not in values]
    if absent:
        missing.update(dict.fromkeys(absent, field))
        return value
    parts = _PLACEHOLDER.split(value)  # text, name, text, name, ..., text
    choices = [
        [part] if index % 2 == 0 else [str(v) for v in _as_list(values[part])]
        for index, part in enumerate(parts)
    ]
    filled = ["".join(combination) for combination in itertools.product(*choices)]
    return filled[0] if len(filled) == 1 else filled


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "problem", "") or error)
    return text.splitlines()[0] if text else type(error).__name__

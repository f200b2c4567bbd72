"""Compile a folder of Sigma rules into models of the dbt package (docs/sigma.md).

    meltano invoke dbt-duckdb:sigma [--rules DIR]      (or dbt-postgres:sigma: the same models)

Every rule file in DIR (default: the project's `sigma/` folder) becomes a model in
`models/sigma/` (the dbt project's, git-ignored), and the next `dbt build` puts its findings in
`auth0__detections` and `auth0__ocsf_findings`. One line per rule says what became of it: compiled
(and into which model), or refused and why; the other rules compile all the same. Models of rules
no longer in the folder are removed.

Exit status: 0 when every rule compiled, 1 when one or more were refused (the others are
written), 2 when nothing could be read (no such folder, a broken dbt_project.yml).

It runs with the dbt plugin's Python, where pySigma is installed (meltano.yml), never the tap's.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import hashlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from backend import Auth0EventsBackend
from correlations import Correlation
from models import LEVELS, Finding, correlation_model, rule_model, technique, write
from pipeline import PLACEHOLDERS_VAR, pipeline, value_warnings
from rules import RuleFile, read, rule_files
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

if TYPE_CHECKING:
    from collections.abc import Iterator

PROJECT = Path(__file__).resolve().parents[2]
#: PostgreSQL's 63 characters for a name, less dbt's `__dbt__cte__` and a `_2` for a namesake.
MODEL_NAME_MAX = 63 - len("__dbt__cte__") - 3


@dataclass
class Outcome:
    """What became of one rule: a model, or a refusal."""

    source: str
    title: str
    model: str | None = None
    detection: str | None = None
    kind: str = "rule"
    refused: str | None = None
    warnings: tuple[str, ...] = ()

    def line(self) -> str:
        """The rule's line on screen."""
        title = f'"{self.title}"' if self.title else "(untitled)"
        if self.refused:
            return f"refused   {self.source} {title}: {self.refused}"
        warned = "".join(f"; warning: {warning}" for warning in self.warnings)
        made = f"{self.model} ({self.kind}, {self.detection})"
        return f"compiled  {self.source} {title} -> {made}{warned}"


def main(argv: list[str] | None = None) -> int:
    """Compile the folder; print a line per rule; the exit status says whether any was refused."""
    parser = argparse.ArgumentParser(prog="sigma", description=__doc__.split("\n\n")[0])
    project_default = Path(os.environ.get("DBT_PROJECT_DIR") or PROJECT)
    parser.add_argument("--project-dir", type=Path, default=project_default)
    parser.add_argument("--rules", type=Path, help="the rules folder (default: PROJECT/sigma)")
    args = parser.parse_args(argv)
    project: Path = args.project_dir
    folder: Path = args.rules or project / "sigma"
    if not folder.is_dir():
        print(f"sigma: no rules folder {folder} (give one with --rules DIR)", file=sys.stderr)
        return 2
    try:
        values = placeholders(project)
    except (OSError, yaml.YAMLError, ValueError) as error:
        print(f"sigma: cannot read {project / 'dbt_project.yml'}: {error}", file=sys.stderr)
        return 2
    with native_stderr_quiet():
        outcomes, models = compile_folder(folder, values, event_codes(project))
    for outcome in outcomes:
        print(outcome.line())
    if not outcomes:
        print(
            f"sigma: no rule files (*.yml) in {folder}: put your rules there, or pass --rules DIR"
        )
    changed = write(project, models)
    if changed:
        forget_parsed_project(project)
    refused = sum(1 for outcome in outcomes if outcome.refused)
    print(
        f"{len(models)} rule(s) compiled into {project / 'models' / 'sigma'}, {refused} refused"
        + ("; `dbt build` runs them." if models else ".")
    )
    return 1 if refused else 0


def placeholders(project: Path) -> dict[str, Any]:
    """The `sigma_placeholders` var of the dbt project: placeholder -> value or list of values."""
    text = (project / "dbt_project.yml").read_text(encoding="utf-8")
    found = (yaml.safe_load(text).get("vars") or {}).get(PLACEHOLDERS_VAR) or {}
    if not isinstance(found, dict):
        raise ValueError(f"{PLACEHOLDERS_VAR} must be a mapping of placeholder names to values")
    return {str(name): value for name, value in found.items()}


def event_codes(project: Path) -> frozenset[str]:
    """The event type codes Auth0 documents (the package's seed)."""
    seed = project / "seeds" / "auth0__event_types.csv"
    if not seed.exists():
        return frozenset()
    with seed.open(encoding="utf-8", newline="") as rows:
        return frozenset(row["code"] for row in csv.DictReader(rows))


def compile_folder(
    folder: Path, values: dict[str, Any], codes: frozenset[str]
) -> tuple[list[Outcome], dict[str, str]]:
    """Every rule of the folder: what became of it, and the models (name -> SQL)."""
    files = [read(path, folder, values) for path in rule_files(folder)]
    outcomes = [
        Outcome(rule_file.name, title, refused=why)
        for rule_file in files
        for title, why in rule_file.refused
    ]
    parsed = {rule_file.name: _parse(rule_file, outcomes) for rule_file in files}
    _refuse_repeated_ids(parsed, outcomes)
    referenced = _referenced(parsed)
    models: dict[str, str] = {}
    for rule_file in files:
        rules = parsed[rule_file.name]
        if not rules:
            continue
        for outcome, model in _convert(rule_file, rules, parsed, referenced, values, codes):
            outcomes.append(outcome)
            if model is not None and outcome.model is not None:
                taken, number = outcome.model, 1
                while outcome.model in models:  # `a/x.yml` and `a_x.yml`
                    number += 1
                    outcome.model = f"{taken}_{number}"
                models[outcome.model] = model
    order = {rule_file.name: index for index, rule_file in enumerate(files)}
    outcomes.sort(key=lambda outcome: order.get(outcome.source, -1))
    return outcomes, models


def _parse(rule_file: RuleFile, outcomes: list[Outcome]) -> list[Any]:
    """The file's rules as pySigma reads them; a rule pySigma refuses gets its line."""
    collection = SigmaCollection.from_dicts(
        rule_file.documents, collect_errors=True, resolve_references=False
    )
    rules = []
    for rule in collection.rules:
        if rule.errors:
            outcomes.append(Outcome(rule_file.name, rule.title, refused=_reason(rule.errors[0])))
        else:
            rules.append(rule)
    for error in collection.errors:
        if not any(error in rule.errors for rule in collection.rules):
            outcomes.append(Outcome(rule_file.name, "", refused=_reason(error)))
    return rules


def _refuse_repeated_ids(parsed: dict[str, list[Any]], outcomes: list[Outcome]) -> None:
    """A rule id used twice in the folder: the later file's rule is refused."""
    seen: dict[Any, str] = {}
    for name, rules in parsed.items():
        for rule in list(rules):
            if rule.id is None:
                continue
            if rule.id in seen:
                why = f"id {rule.id} is already the id of a rule in {seen[rule.id]}"
                outcomes.append(Outcome(name, rule.title, refused=why))
                rules.remove(rule)
            else:
                seen[rule.id] = name


def _referenced(parsed: dict[str, list[Any]]) -> set[int]:
    """The rules a correlation names: its parts, no findings of their own (unless it generates)."""
    referenced: set[int] = set()
    for name, rules in parsed.items():
        for rule in rules:
            if isinstance(rule, SigmaCorrelationRule) and not rule.generate:
                for reference in rule.rules or []:
                    target = _find(reference.reference, name, parsed)
                    if isinstance(target, SigmaRule | SigmaCorrelationRule):
                        referenced.add(id(target))
    return referenced


def _find(reference: str, name: str, parsed: dict[str, list[Any]]) -> Any:
    """The rule a correlation names: in its own file first (catalogs reuse names across files)."""

    def matches(rule: Any) -> bool:
        return rule.name == reference or str(rule.id) == reference

    own = [rule for rule in parsed[name] if matches(rule)]
    if own:
        return own[-1]
    others = [(file, rule) for file, rules in parsed.items() if file != name for rule in rules]
    found = [(file, rule) for file, rule in others if matches(rule)]
    if len(found) > 1:
        files = ", ".join(file for file, _ in found)
        return f"names {files} all name a rule {reference}"
    return found[0][1] if found else None


def _convert(
    rule_file: RuleFile,
    rules: list[Any],
    parsed: dict[str, list[Any]],
    referenced: set[int],
    values: dict[str, Any],
    codes: frozenset[str],
) -> list[tuple[Outcome, str | None]]:
    """Convert one file's rules (with the rules its correlations name) into models."""
    results: list[tuple[Outcome, str | None]] = []
    members = list(rules)
    for rule in rules:
        if not isinstance(rule, SigmaCorrelationRule):
            continue
        for reference in rule.rules or []:
            target = _find(reference.reference, rule_file.name, parsed)
            if isinstance(target, str) or target is None:
                missing = target or f"it names a rule {reference.reference} not in the folder"
                results.append((Outcome(rule_file.name, rule.title, refused=missing), None))
                members.remove(rule)
                break
            if target not in members and target not in rules:
                members.append(copy.deepcopy(target))  # converted here too, on its own copy
    backend = Auth0EventsBackend(pipeline(values, codes))
    backend.init_processing_pipeline(backend.default_format)
    collection = SigmaCollection(members, resolve_references=False)
    failed: dict[int, str] = {}
    try:
        collection.resolve_rule_references()  # and puts each rule after those it names
    except SigmaError as error:
        lines = [(Outcome(rule_file.name, r.title, refused=_reason(error)), None) for r in rules]
        return [*results, *lines]
    for rule in collection.rules:
        why: str | None = _failed_part(rule, failed)
        if why is None:
            try:
                if isinstance(rule, SigmaCorrelationRule):
                    backend.convert_correlation_rule(rule)
                else:
                    backend.convert_rule(rule)
            except Exception as error:
                why = _reason(error) if isinstance(error, SigmaError) else f"{error!r}"
        if why is not None:
            failed[id(rule)] = why
    warnings: dict[int, list[str]] = {}
    for rule, warning in value_warnings(backend.last_processing_pipeline):
        warnings.setdefault(id(rule), []).append(warning)
    outputs = [rule for rule in rules if rule in members and id(rule) not in referenced]
    multiple = sum(1 for rule in outputs if rule.id is None) > 1
    for index, rule in enumerate(outputs, start=1):
        refused = failed.get(id(rule)) or _failed_part(rule, failed)
        if refused:
            results.append((Outcome(rule_file.name, rule.title, refused=refused), None))
            continue
        finding = _finding(rule, rule_file.name, index if multiple and rule.id is None else 0)
        if isinstance(rule, SigmaCorrelationRule):
            correlation = Correlation.of(rule, backend.escape_and_quote_field)
            model = correlation_model(finding, correlation, rule.get_conversion_result()[0])
            kind = correlation.kind
        else:
            model = rule_model(finding, list(rule.get_conversion_result()))
            kind = "rule"
        notes = tuple(dict.fromkeys(warnings.get(id(rule), [])))
        outcome = Outcome(
            rule_file.name, rule.title, finding.model, finding.detection, kind, warnings=notes
        )
        results.append((outcome, model))
    return results


def _failed_part(rule: Any, failed: dict[int, str]) -> str | None:
    """Why a correlation cannot compile when one of its rules could not."""
    if not isinstance(rule, SigmaCorrelationRule):
        return None
    for reference in rule.referenced_rules:
        if id(reference.rule) in failed:
            return f"its rule {reference.reference} cannot compile: {failed[id(reference.rule)]}"
    return None


def _finding(rule: Any, source: str, index: int) -> Finding:
    """What the rule's findings share; a correlation without a level or tags takes its rules'."""
    stem = re.sub(r"\.ya?ml$", "", source)
    suffix = f"_{index}" if index else ""
    detection = f"sigma:{rule.id}" if rule.id else f"sigma:{stem}{suffix}"
    model = model_name(re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_") + suffix)
    parts = [ref.rule for ref in getattr(rule, "referenced_rules", [])]
    levels = [part.level for part in parts if part.level is not None]
    if rule.level is not None:
        level = rule.level.name.lower()
    else:
        level = max(levels, key=_rank).name.lower() if levels else "medium"
    tags = list(rule.tags) or [tag for part in parts for tag in part.tags]
    return Finding(
        model=model,
        detection=detection,
        title=rule.title or stem,
        severity=LEVELS.get(level, "medium"),
        mitre=technique([str(tag) for tag in tags]),
        source=source,
    )


def model_name(slug: str) -> str:
    """`sigma__<slug>`, short enough for PostgreSQL (63 characters in all, as dbt's CTE name)."""
    name = f"sigma__{slug}"
    if len(name) <= MODEL_NAME_MAX:
        return name
    digest = hashlib.sha256(slug.encode()).hexdigest()[:8]
    return f"{name[: MODEL_NAME_MAX - len(digest) - 1].rstrip('_')}_{digest}"


def _rank(level: Any) -> int:
    return list(LEVELS).index(level.name.lower()) if level.name.lower() in LEVELS else 0


def _reason(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    text = re.sub(r"""\bb'([^']*)'""", r"\1", text)  # pySigma quotes RE2's bytes
    return re.sub(r"\s*\(rule [^)]*\)$", "", text)


@contextlib.contextmanager
def native_stderr_quiet() -> Iterator[None]:
    """Keep RE2's own C++ log lines (pySigma checks every regex with it) off the screen.

    A regular expression RE2 cannot read is already the rule's refusal line; RE2 also writes it
    to the process's stderr from C++, where Python's `sys.stderr` cannot catch it.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def forget_parsed_project(project: Path) -> None:
    """Make the next dbt run parse the whole project again.

    dbt parses only the files that changed since its last run, and tracks which models a macro
    feeds from the macro's calls when it was parsed: `auth0__detections` would go on reading the
    list of compiled models it saw when there was none. Removing dbt's saved parse
    (`partial_parse.msgpack`, dbt's documented way) costs the next run a full parse, once.
    """
    targets = {project / "target"}
    if os.environ.get("DBT_TARGET_PATH"):
        targets.add(Path(os.environ["DBT_TARGET_PATH"]))
    root = os.environ.get("MELTANO_PROJECT_ROOT")
    if root:
        targets.update(Path(root, ".meltano", "dbt").glob("*/target"))
    for target in targets:
        (target / "partial_parse.msgpack").unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())

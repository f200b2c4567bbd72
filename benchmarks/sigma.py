"""Sigma rules in the dbt package: compiling 50 rules, and `dbt build` with and without them.

    .venv/bin/python -m benchmarks.sigma [--logs 1000000] [--new 10000] [--out FILE] [--quick]

The 50 rules are ours (tests/sigma_rules/, every kind the compiler reads: single rules with each
modifier, arrays, keywords, placeholders, and the four correlations), each file repeated under new
ids, names and titles until the folder makes 50 models. The compiler runs as `meltano invoke
dbt-duckdb:sigma` runs it, with the dbt plugin's Python (its pySigma), three times; the median is
reported, and once through Meltano itself (its start-up counted). The logs are the dbt benchmark's
(benchmarks/dbt_build.py: a million logs the tap extracted from the fake tenant, one of each attack
and look-alikes every 40,000 logs); the package is built on two copies of them, without and with
the compiled rules: a first `dbt build`, then an incremental one after `--new` more logs.
Results: benchmarks/results-sigma.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import yaml

from benchmarks.dbt_build import (
    BIN,
    DBT,
    ROOT,
    Build,
    _env,
    build_twice,
    load_realistic_mix,
)

RULES = ROOT / "tests" / "sigma_rules"
COMPILER = ROOT / "transform" / "scripts" / "sigma_compiler"
PLACEHOLDERS = {
    "your-tenant-url": "acme.us.auth0.com",
    "trusted_clients": ["TrustedClient0000000000000000001"],
}
MODELS = 50


def main() -> None:
    """Compile, load, build twice on each copy; write the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sigma", description=__doc__)
    parser.add_argument("--logs", type=int, default=1_000_000)
    parser.add_argument("--new", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results-sigma.md")
    parser.add_argument("--quick", action="store_true", help="50,000 logs, then 1,000 more")
    args = parser.parse_args()
    if args.quick:
        args.logs, args.new = 50_000, 1_000
    print(run(args.logs, args.new, args.out))


def rule_folder(folder: Path, models: int = MODELS) -> int:
    """Our rule files, repeated under new ids, names and titles until they make `models` models."""
    folder.mkdir(parents=True)
    files = sorted(path for path in RULES.glob("*.yml") if not _refused(path))
    made, copy = 0, 0
    while made < models:
        copy += 1
        for path in files:
            documents = list(yaml.safe_load_all(path.read_text()))
            outputs = _outputs(documents)
            if made + outputs > models:
                continue
            text = yaml.safe_dump_all([_renamed(doc, copy) for doc in documents], sort_keys=False)
            (folder / f"{path.stem}_{copy}.yml").write_text(text)
            made += outputs
            if made == models:
                break
    return made


def _refused(path: Path) -> bool:
    return path.stem.startswith("refused_") or path.stem.startswith("twin_")


def _outputs(documents: list[dict[str, Any]]) -> int:
    """How many models a file makes: its rules no correlation names, or all with `generate`."""
    named = {
        name
        for doc in documents
        if "correlation" in doc and not doc["correlation"].get("generate")
        for name in doc["correlation"]["rules"]
    }
    return sum(1 for doc in documents if doc.get("name") not in named)


def _renamed(document: dict[str, Any], copy: int) -> dict[str, Any]:
    renamed = dict(document)
    renamed["title"] = f"{document['title']} #{copy}"
    if "id" in document:
        renamed["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{document['id']}/{copy}"))
    if "name" in document:
        renamed["name"] = f"{document['name']}_{copy}"
    if "correlation" in document:
        correlation = dict(document["correlation"])
        correlation["rules"] = [f"{name}_{copy}" for name in correlation["rules"]]
        if "aliases" in correlation:  # an alias maps each rule by its name: the new names
            correlation["aliases"] = {
                alias: {f"{name}_{copy}": field for name, field in mapping.items()}
                for alias, mapping in correlation["aliases"].items()
            }
        renamed["correlation"] = correlation
    return renamed


@dataclass
class Compile:
    """The compiler's wall time: the median of three runs, and one through Meltano."""

    seconds: list[float]
    meltano_seconds: float
    models: int


def compile_rules(project: Path, rules: Path, env: dict[str, str]) -> Compile:
    python = DBT.with_name("python")
    command = [str(python), str(COMPILER), "--project-dir", str(project), "--rules", str(rules)]
    seconds = []
    for _ in range(3):
        shutil.rmtree(project / "models" / "sigma", ignore_errors=True)
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        seconds.append(time.perf_counter() - started)
        if done.returncode:
            raise SystemExit("sigma failed:\n" + done.stdout[-3000:] + done.stderr[-3000:])
    meltano_env = {**env, "DBT_DUCKDB_PROJECT_DIR": str(project)}
    started = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "meltano"), "invoke", "dbt-duckdb:sigma", "--rules", str(rules)],
        cwd=ROOT,
        env=meltano_env,
        capture_output=True,
        text=True,
        check=False,
    )
    through_meltano = time.perf_counter() - started
    if done.returncode:
        raise SystemExit("meltano invoke dbt-duckdb:sigma failed:\n" + done.stderr[-3000:])
    models = len(list((project / "models" / "sigma").glob("*.sql")))
    return Compile(seconds, through_meltano, models)


@dataclass
class Package:
    """One copy of the logs, built without or with the rules."""

    name: str
    first: Build
    second: Build
    findings: int
    sigma_findings: int


def run(logs: int, new: int, out: Path) -> str:
    """The whole scenario; returns (and writes to `out`) the results table."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        env = _env(work)
        project = work / "transform"
        shutil.copytree(
            ROOT / "transform",
            project,
            ignore=shutil.ignore_patterns("target", "logs", "sigma", "sigma_compiled_models.sql"),
        )
        settings = project / "dbt_project.yml"
        settings.write_text(
            settings.read_text().replace(
                "  sigma_placeholders: {}\n", f"  sigma_placeholders: {json.dumps(PLACEHOLDERS)}\n"
            )
        )
        rules = work / "rules"
        rule_folder(rules)
        _, bulk, more = load_realistic_mix(logs, new, env, work)
        compiled = compile_rules(project, rules, env)
        without = work / "without"
        shutil.copytree(project, without, ignore=shutil.ignore_patterns("sigma"))
        (without / "macros" / "sigma_compiled_models.sql").unlink()
        built = []
        for name, package in (("without rules", without), (f"{compiled.models} rules", project)):
            database, first, second = build_twice(package.name, package, env, work, bulk, more)
            with duckdb.connect(str(database), read_only=True) as db:
                found = db.sql(
                    "select count(*), count(*) filter (where detection like 'sigma:%')"
                    " from auth0_analytics.auth0__detections"
                ).fetchone()
            assert found is not None
            built.append(Package(name, first, second, found[0], found[1]))
    table = _table(logs, new, compiled, built)
    out.write_text(table)
    return table


def _table(logs: int, new: int, compiled: Compile, built: list[Package]) -> str:
    def slowest(build: Build) -> str:
        return ", ".join(f"{name} {seconds:.1f}" for name, seconds in build.slowest)

    median = statistics.median(compiled.seconds)
    runs = ", ".join(f"{seconds:.2f}" for seconds in compiled.seconds)
    lines = [
        "# Sigma rules in the dbt package",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC,"
        f" `python -m benchmarks.sigma --logs {logs} --new {new}`"
        " (pySigma 2.0, dbt-core 1.11, dbt-duckdb 1.11; 2 threads; 2 cores).",
        "",
        "## Compiling",
        "",
        f"A folder of our own rules making {compiled.models} models (tests/sigma_rules/ repeated"
        " under new ids: single rules with every modifier, arrays, keywords, placeholders, and"
        " event_count, value_count, temporal and temporal_ordered correlations).",
        "",
        "| how | seconds |",
        "|---|---:|",
        f"| the compiler with the plugin's Python (median of {runs}) | {median:.2f} |",
        f"| `meltano invoke dbt-duckdb:sigma` (Meltano's start-up counted) |"
        f" {compiled.meltano_seconds:.2f} |",
        "",
        "## Building",
        "",
        f"`dbt build` of the package over {logs:,} logs (the dbt benchmark's realistic mix), then"
        f" incrementally after {new:,} more; seconds of the process, dbt's own node time, peak"
        " memory, and the findings after the second build.",
        "",
        "| package | build | seconds | nodes (s) | peak memory (MiB) | slowest nodes (s) |"
        " findings | of them Sigma's |",
        "|---|---|---:|---:|---:|---|---:|---:|",
    ]
    for package in built:
        for label, build in (("first", package.first), ("incremental", package.second)):
            counts = (
                f"{package.findings} | {package.sigma_findings}"
                if label == "incremental"
                else " | "
            )
            lines.append(
                f"| {package.name} | {label} | {build.seconds:.1f} | {build.nodes_seconds:.1f} |"
                f" {build.peak_mib:.0f} | {slowest(build)} | {counts} |"
            )
    base, rules = built

    def detections(build: Build) -> float:
        return dict(build.slowest).get("auth0__detections", float("nan"))

    lines += [
        "",
        "The rules run inside `auth0__detections` (their models are ephemeral): its node time goes"
        f" from {detections(base.first):.1f} s to {detections(rules.first):.1f} s on the first"
        f" build and from {detections(base.second):.1f} s to {detections(rules.second):.1f} s on"
        " the incremental one; every rule is computed over all events at each build, like the"
        " package's own detections. The other nodes do the same work in both packages: their"
        " differences, and the process's seconds (dbt's start-up and parse), vary with what"
        " else the machine runs. The rules are the tests' own, several of them broad on ordinary"
        " traffic (every SMS enrolment, every invitation, every signup not verified within the"
        f" hour), hence {rules.sigma_findings:,} Sigma findings.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

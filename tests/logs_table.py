"""Auth0 log events written straight into the `auth0.logs` table target-duckdb makes.

The columns and their types are target-duckdb's for the tap's schema (a real run made them);
JSON members stay JSON. For tests that build many detections' triggers and run dbt once, without
a Meltano pipeline per case.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from collections.abc import Iterable

#: The columns target-duckdb creates for the tap's `logs` stream that the dbt package reads.
COLUMNS = {
    "log_id": "VARCHAR",
    "date": "TIMESTAMP",
    "type": "VARCHAR",
    "description": "VARCHAR",
    "client_id": "VARCHAR",
    "client_name": "VARCHAR",
    "connection": "VARCHAR",
    "ip": "VARCHAR",
    "hostname": "VARCHAR",
    "user_id": "VARCHAR",
    "user_name": "VARCHAR",
    "user_agent": "VARCHAR",
    "strategy": "VARCHAR",
    "organization_id": "VARCHAR",
    "organization_name": "VARCHAR",
    "tenant_name": "VARCHAR",
    "tenant": "VARCHAR",  # which tenant the tap read the log from (several may share a table)
    "audience": "VARCHAR",
    "scope": "JSON",
    "details": "JSON",
    "location_info": "JSON",
    "security_context": "JSON",
}


def write_logs(database: Path, logs: Iterable[dict[str, Any]]) -> int:
    """Create `auth0.logs` in `database` (again) and write `logs` into it; returns how many."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as out:
        count = 0
        for log in logs:
            row = {name: log.get(name) for name in COLUMNS}
            row["date"] = str(log["date"]).replace("T", " ").rstrip("Z")
            for name, kind in COLUMNS.items():
                if kind == "JSON" and row[name] is not None:
                    row[name] = json.dumps(row[name])
            out.write(json.dumps(row) + "\n")
            count += 1
        path = out.name
    columns = ", ".join(f'"{name}" {kind}' for name, kind in COLUMNS.items())
    typed = ", ".join(f'"{name}"::{kind}' for name, kind in COLUMNS.items())
    shape = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in COLUMNS) + "}"
    with duckdb.connect(str(database)) as db:
        db.execute("create schema if not exists auth0")
        db.execute("drop table if exists auth0.logs")
        db.execute(f"create table auth0.logs ({columns})")
        db.execute(
            f"insert into auth0.logs select {typed} from read_json('{path}', columns = {shape}, "
            "format = 'newline_delimited')"
        )
    Path(path).unlink()
    return count

"""Write the package's OCSF rows where security lakes and SIEMs read them.

    meltano invoke dbt-duckdb:export-ocsf [--ocsf-version 1.5.0|1.1.0] [--out DIR]
        [--region us-east-1] [--account 123456789012] [--source-prefix auth0] [--tenant T ...]

Run after `dbt-duckdb:build`, with the dbt-duckdb plugin's own Python (its DuckDB; the tap's
dependencies stay as they are). For each OCSF class (Authentication, Account Change, API
Activity, Detection Finding) it writes:

- `DIR/<version>/security-lake/ext/<prefix>-<class>/region=<region>/accountId=<account>/
  eventDay=<YYYYMMDD>/<prefix>-<class>-<tenant>.zstd.parquet`: Amazon Security Lake's layout for
  a custom source (one OCSF class per source), one file per tenant and day (one lake may hold
  several tenants), zstd-compressed, rows sorted by `time`, typed columns of a fixed schema per
  class (`STRUCTURES`), written by DuckDB's own Parquet writer;
- `DIR/<version>/jsonl/<class>.jsonl`: one OCSF event per line, for HEC-style (Splunk, with an
  `ocsf:` sourcetype) and Google SecOps-style ingestion.

Every event names its tenant in `metadata.tenant_uid`; `--tenant` exports only the tenants named.

OCSF 1.5.0 is the package's own; 1.1.0 (what Security Lake's guide validates against) is the same
events with what 1.1.0 does not define moved to where it does (`downgrade`).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

VERSIONS = ("1.5.0", "1.1.0")
#: Rows read from the database at a time.
BATCH = 10_000
#: class_uid -> (file and source name, the model that holds its rows, the rows' unique id)
CLASSES = {
    3002: ("authentication", "auth0__ocsf", "log_id"),
    3001: ("account-change", "auth0__ocsf", "log_id"),
    6003: ("api-activity", "auth0__ocsf", "log_id"),
    2004: ("detection-finding", "auth0__ocsf_findings", "finding_id"),
}

TEXT, INT, LONG, REAL, FLAG = "VARCHAR", "INTEGER", "BIGINT", "DOUBLE", "BOOLEAN"
USER = {"uid": TEXT, "name": TEXT, "email_addr": TEXT, "type_id": INT, "type": TEXT}
LOCATION = {"country": TEXT, "city": TEXT, "lat": REAL, "long": REAL}
ENDPOINT = {"ip": TEXT, "uid": TEXT, "name": TEXT, "hostname": TEXT, "location": LOCATION}
BASE: dict[str, Any] = {
    "class_uid": INT,
    "class_name": TEXT,
    "category_uid": INT,
    "category_name": TEXT,
    "activity_id": INT,
    "activity_name": TEXT,
    "type_uid": LONG,
    "type_name": TEXT,
    "time": LONG,
    "severity_id": INT,
    "severity": TEXT,
    "status_id": INT,
    "status": TEXT,
    "status_detail": TEXT,
    "message": TEXT,
    "metadata": {
        "version": TEXT,
        "uid": TEXT,
        "log_name": TEXT,
        "tenant_uid": TEXT,
        "product": {"name": TEXT, "vendor_name": TEXT},
    },
    "unmapped": "MAP(VARCHAR, VARCHAR)",
}
#: The fixed typed schema of each class's rows: every attribute the package's mapping writes.
STRUCTURES: dict[int, dict[str, Any]] = {
    3002: {
        **BASE,
        "src_endpoint": ENDPOINT,
        "dst_endpoint": {"hostname": TEXT},
        "http_request": {"user_agent": TEXT},
        "user": USER,
        "is_mfa": FLAG,
        "auth_protocol_id": INT,
        "auth_protocol": TEXT,
        "service": {"uid": TEXT, "name": TEXT},
        "session": {"uid": TEXT},
    },
    3001: {
        **BASE,
        "src_endpoint": ENDPOINT,
        "http_request": {"user_agent": TEXT},
        "user": USER,
        "actor": {"user": USER},
    },
    6003: {
        **BASE,
        "src_endpoint": ENDPOINT,
        "dst_endpoint": {"hostname": TEXT},
        "http_request": {"user_agent": TEXT},
        "http_response": {"code": INT},
        "actor": {"app_uid": TEXT, "app_name": TEXT, "invoked_by": TEXT, "user": USER},
        "api": {"operation": TEXT, "service": {"name": TEXT}},
        "resources": [{"type": TEXT, "uid": TEXT, "name": TEXT}],
    },
    2004: {
        **BASE,
        "start_time": LONG,
        "end_time": LONG,
        "count": INT,
        "finding_info": {
            "uid": TEXT,
            "title": TEXT,
            "desc": TEXT,
            "created_time": LONG,
            "types": [TEXT],
            "attacks": [{"technique": {"uid": TEXT, "name": TEXT}}],
            "first_seen_time": LONG,
            "last_seen_time": LONG,
            "analytic": {"uid": TEXT, "name": TEXT, "type_id": INT, "type": TEXT},
        },
        "evidences": [
            {
                "data": {"auth0_log_ids": [TEXT], "subject_type": TEXT, "subject": TEXT},
                "user": {"uid": TEXT},
                "actor": {"user": {"uid": TEXT}},
                "src_endpoint": {"ip": TEXT, "uid": TEXT},
            }
        ],
    },
}


def structure(class_uid: int, version: str) -> dict[str, Any]:
    """The typed schema of a class's rows in `version` (1.1.0: what `downgrade` leaves)."""
    shape = copy.deepcopy(STRUCTURES[class_uid])
    if version == "1.1.0":
        if "src_endpoint" in shape and "location" in shape["src_endpoint"]:
            shape["src_endpoint"]["location"] = {
                "country": TEXT,
                "city": TEXT,
                "coordinates": [REAL],
            }
        if class_uid == 6003:
            del shape["http_response"]
            del shape["actor"]["app_uid"], shape["actor"]["app_name"]
        if class_uid == 2004:
            del shape["evidences"][0]["user"]
    return shape


def downgrade(event: dict[str, Any], version: str) -> dict[str, Any]:
    """`event` (OCSF 1.5.0) as `version` defines it (changed in place); the rest to `unmapped`.

    1.1.0 has no `lat`/`long` (a location's `coordinates` are [long, lat]), no `app_uid` or
    `app_name` on an actor (`invoked_by` names the app), no `http_response` on API Activity, and
    no `user` on a finding's evidence (an `actor` carries it).
    """
    if version == "1.5.0":
        return event
    event["metadata"]["version"] = version
    unmapped = event.setdefault("unmapped", {})
    for endpoint in (
        event.get("src_endpoint"),
        *(e.get("src_endpoint") for e in event.get("evidences", [])),
    ):
        location = (endpoint or {}).get("location")
        if location and ("lat" in location or "long" in location):
            lat, long = location.pop("lat", None), location.pop("long", None)
            if lat is not None and long is not None:
                location["coordinates"] = [long, lat]
            if not location:
                del endpoint["location"]
    actor = event.get("actor")
    if actor is not None:
        app_uid, app_name = actor.pop("app_uid", None), actor.pop("app_name", None)
        if app_uid is not None:
            unmapped["auth0_client_id"] = app_uid
        if app_name is not None or (app_uid is not None and "user" not in actor):
            actor["invoked_by"] = app_name or app_uid
    response = event.pop("http_response", None)
    if response is not None:
        unmapped["http_response_code"] = str(response["code"])
    for evidence in event.get("evidences", []):
        if "user" in evidence:
            evidence["actor"] = {"user": evidence.pop("user")}
    if not unmapped:
        del event["unmapped"]  # no empty objects
    return event


def duckdb_type(shape: Any) -> str:
    """The DuckDB type of a schema: a STRUCT of an object, a LIST of a one-element list."""
    if isinstance(shape, str):
        return shape
    if isinstance(shape, list):
        return f"{duckdb_type(shape[0])}[]"
    members = ", ".join(f'"{name}" {duckdb_type(kind)}' for name, kind in shape.items())
    return f"STRUCT({members})"


def file_part(tenant: str) -> str:
    """A tenant (a host, maybe with a port) as part of a file name: letters, digits, `.`, `-`."""
    return re.sub(r"[^A-Za-z0-9.-]", "_", tenant) or "_"


def export(
    database: str,
    schema: str,
    out: Path,
    version: str,
    *,
    region: str,
    account: str,
    prefix: str,
    tenants: tuple[str, ...] = (),
) -> dict[int, dict[str, Any]]:
    """Write every class's rows in `version`; the rows, files and bytes of each class.

    With `tenants`, only theirs: a lake or an account per tenant.
    """
    import duckdb  # noqa: PLC0415 (the dbt plugin's environment has it, the tap's need not)

    written: dict[int, dict[str, Any]] = {}
    with duckdb.connect(database, read_only=True) as db:
        db.execute(f"set temp_directory = '{out / '.tmp'}'")  # a database opened read-only
        only = f" and tenant in ({', '.join('?' for _ in tenants)})" if tenants else ""
        for class_uid, (name, model, uid) in CLASSES.items():
            result = db.execute(
                f"select cast(ocsf as varchar) from {schema}.{model}"  # noqa: S608
                f" where class_uid = ?{only} order by time, tenant, {uid}",
                [class_uid, *tenants],
            )
            lines = out / version / "jsonl" / f"{name}.jsonl"
            lines.parent.mkdir(parents=True, exist_ok=True)
            count = 0
            with lines.open("w", encoding="utf-8") as stream:
                while batch := result.fetchmany(BATCH):  # a batch at a time: memory stays flat
                    for (text,) in batch:
                        event = downgrade(json.loads(text), version)
                        stream.write(json.dumps(event, separators=(",", ":"), ensure_ascii=False))
                        stream.write("\n")
                    count += len(batch)
            files = write_parquet(db, lines, class_uid, version, out, name, region, account, prefix)
            written[class_uid] = {
                "rows": count,
                "jsonl": lines,
                "parquet": files,
                "bytes": sum(path.stat().st_size for path in files),
            }
    shutil.rmtree(out / ".tmp", ignore_errors=True)  # DuckDB's spill files, if any
    return written


def write_parquet(
    db: Any,
    lines: Path,
    class_uid: int,
    version: str,
    out: Path,
    name: str,
    region: str,
    account: str,
    prefix: str,
) -> list[Path]:
    """The class's rows as Parquet, a file per tenant and day, in Security Lake's custom layout.

    The tenant is in the file's name: a day's partition holds every tenant's file of that day.
    """
    source = out / version / "security-lake" / "ext" / f"{prefix}-{name}"
    columns = {key: duckdb_type(kind) for key, kind in structure(class_uid, version).items()}
    if not lines.stat().st_size:
        return []
    # Read once, into a table of the fixed schema; then one file a tenant and day, from it.
    table = f'"export_{class_uid}"'
    db.execute(
        f"create or replace temporary table {table} as select * from read_json("  # noqa: S608
        f"'{lines}', format='newline_delimited', columns={columns!r})"
    )
    day_of = "strftime(make_timestamp(time * 1000), '%Y%m%d')"
    parts = db.execute(
        f"select distinct {day_of}, metadata.tenant_uid from {table}"  # noqa: S608
    ).fetchall()
    files = []
    for day, tenant in sorted(parts):
        folder = source / f"region={region}" / f"accountId={account}" / f"eventDay={day}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{prefix}-{name}-{file_part(tenant)}.zstd.parquet"
        quoted = tenant.replace("'", "''")
        db.execute(
            f"copy (select * from {table} where {day_of} = '{day}'"  # noqa: S608
            f" and metadata.tenant_uid = '{quoted}' order by time, metadata.uid)"
            f" to '{path}' (format parquet, compression zstd)"
        )
        files.append(path)
    db.execute(f"drop table {table}")
    return files


def main(argv: list[str] | None = None) -> None:
    """Export with the dbt-duckdb plugin's settings (`DBT_DUCKDB_PATH`, `DBT_DUCKDB_SCHEMA`)."""
    parser = argparse.ArgumentParser(prog="export-ocsf", description=__doc__.splitlines()[0])
    parser.add_argument("--ocsf-version", choices=VERSIONS, default="1.5.0")
    parser.add_argument("--database", default=os.environ.get("DBT_DUCKDB_PATH"))
    parser.add_argument("--schema", default=os.environ.get("DBT_DUCKDB_SCHEMA", "auth0_analytics"))
    parser.add_argument("--out", type=Path, default=Path("output") / "ocsf")
    parser.add_argument("--region", default="us-east-1", help="the partition's AWS region")
    parser.add_argument("--account", default="000000000000", help="the partition's AWS account")
    parser.add_argument("--source-prefix", default="auth0", help="custom sources' name prefix")
    parser.add_argument(
        "--tenant",
        action="append",
        default=[],
        help="export only this tenant (as the models' `tenant` column names it); repeatable",
    )
    args = parser.parse_args(argv)
    if not args.database or not Path(args.database).exists():
        sys.exit(
            f"No DuckDB database at {args.database!r}: run `meltano run tap-auth0-logs "
            "target-duckdb dbt-duckdb:build` first, or give --database."
        )
    written = export(
        args.database,
        args.schema,
        args.out,
        args.ocsf_version,
        region=args.region,
        account=args.account,
        prefix=args.source_prefix,
        tenants=tuple(args.tenant),
    )
    for class_uid, facts in written.items():
        print(
            f"OCSF {args.ocsf_version} class {class_uid}: {facts['rows']:,} rows, "
            f"{len(facts['parquet'])} Parquet files ({facts['bytes']:,} bytes), {facts['jsonl']}"
        )
    print(f"Written under {Path(args.out) / args.ocsf_version}/: security-lake/ (Parquet), jsonl/")


if __name__ == "__main__":
    main()

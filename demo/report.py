"""The demo's report from the DuckDB file it loaded: the logs, the findings, the OCSF rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from tap_auth0_logs.testing import Finding

ANALYTICS = "auth0_analytics"
SEVERITIES = ("critical", "high", "medium", "low")


def count_logs(database: Path) -> int:
    """Logs in the loaded table so far (0 before the first run)."""
    if not database.exists():
        return 0
    with duckdb.connect(str(database), read_only=True) as db:
        tables = db.sql(
            "select count(*) from information_schema.tables"
            " where table_schema = 'auth0' and table_name = 'logs'"
        ).fetchone()
        if not tables or not tables[0]:
            return 0
        row = db.sql("select count(*) from auth0.logs").fetchone()
        return int(row[0]) if row else 0


def logs(database: Path) -> None:
    """Events per type, failed logins per country, the busiest applications."""
    with duckdb.connect(str(database), read_only=True) as db:
        show(
            db,
            "Events per type (the 8 most frequent)",
            """
            select coalesce(type_description, '(unknown: ' || type || ')') as event,
                   count(*) as logs
            from auth0.logs group by 1 order by 2 desc, 1 limit 8""",
        )
        columns = {
            name
            for (name,) in db.sql(
                "select column_name from information_schema.columns where table_name = 'logs'"
            ).fetchall()
        }
        if "location_info" in columns:  # a privacy recipe may have dropped it
            show(
                db,
                "Failed logins per country (the 5 most)",
                """
                select coalesce(json_extract_string(location_info, '$.country_name'), '(unknown)')
                       as country, count(*) as failed_logins
                from auth0.logs where type in ('f', 'fp', 'fu') group by 1 order by 2 desc, 1
                limit 5""",
            )
        show(
            db,
            "Busiest client applications (the 5 most)",
            """
            select coalesce(nullif(client_name, ''), client_id, '(none)') as application,
                   count(*) as logs, strftime(min(date), '%Y-%m-%d %H:%M') as first,
                   strftime(max(date), '%Y-%m-%d %H:%M') as last
            from auth0.logs group by 1 order by 2 desc, 1 limit 5""",
        )


def findings(database: Path, build_started: datetime, planted: list[Finding]) -> None:
    """The findings by severity, those new in this build, and (fake tenant) what was planted.

    A finding is new when the build that first saw it (`first_detected_at`) is this one: what
    an alerter raises once.
    """
    detections = f"{ANALYTICS}.auth0__detections"
    new = f"first_detected_at >= timestamp '{build_started:%Y-%m-%d %H:%M:%S}'"
    with duckdb.connect(str(database), read_only=True) as db:
        total, fresh = db.sql(
            f"select count(*), count(*) filter ({new}) from {detections}"
        ).fetchone() or (0, 0)
        print(f"Findings ({detections}): {total:,}, {fresh:,} of them new in this build")
        order = " ".join(f"when '{s}' then {i}" for i, s in enumerate(SEVERITIES))
        show(
            db,
            "",
            f"""
            select severity, count(*) as findings, count(*) filter ({new}) as new
            from {detections} group by 1 order by case severity {order} else 9 end""",
        )
        if planted:
            found = set(
                db.sql(f"select detection, subject_type, subject from {detections}").fetchall()
            )
            caught = [p for p in planted if (p.detection, p.subject_type, p.subject) in found]
            print(
                f"The fake tenant planted {len(planted)} attacks; the package found {len(caught)}"
                " of them, each with its subject. The impossible trips and escalations beside"
                " them are the attackers' own logins into the accounts they broke into.\n"
            )
        above_low = f"{new} and severity <> 'low'"
        (fresh_above_low,) = db.sql(
            f"select count(*) from {detections} where {above_low}"
        ).fetchone() or (0,)
        if fresh_above_low:
            show(
                db,
                "New in this build, above low (what an alerter raises)",
                f"""
                select severity, detection, subject_type || ' ' || subject as subject, events,
                       strftime(first_seen, '%Y-%m-%d %H:%M') as first_seen
                from {detections} where {above_low}
                order by case severity {order} else 9 end, first_seen, detection""",
            )
        if fresh > fresh_above_low:
            print(
                f"and {fresh - fresh_above_low:,} low, new in this build (ordinary flows judged so,"
                " or what Auth0 stopped; each description says why):\n"
                f"  select detection, subject, description from {detections}"
                " where severity = 'low' order by first_detected_at desc\n"
            )


def ocsf(database: Path) -> None:
    """The OCSF rows by class."""
    with duckdb.connect(str(database), read_only=True) as db:
        show(
            db,
            f"OCSF 1.5 rows by class ({ANALYTICS}.auth0__ocsf)",
            f"""
            select class_uid, json_extract_string(any_value(ocsf), '$.class_name') as class_name,
                   count(*) as logs
            from {ANALYTICS}.auth0__ocsf group by 1 order by 1""",
        )


def show(db: Any, title: str, sql: str) -> None:
    """Print a query's result as a small table."""
    result = db.sql(sql)
    rows = [[str(v) for v in row] for row in result.fetchall()]
    names = list(result.columns)
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    if title:
        print(title)
    print("  " + "  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip())
    for row in rows:
        print("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    print()

"""Sigma rules a team brings (docs/sigma.md), compiled into the dbt package and built on both engines.

`tests/sigma_rules/` holds rule files of our own, one per feature (modifiers, lists, null, arrays,
keywords, placeholders, the four correlations) and some that must be refused. One small table of
Auth0-shaped events holds, for every rule, events that must fire it and events that must not. The
rules compile once per engine the way users run them (`meltano invoke dbt-duckdb:sigma`, with pySigma
in the plugin's environment), and one `dbt build` per engine turns them into findings; each rule's
findings must be exactly the expected groups of events, and the same on DuckDB and PostgreSQL.
One more test runs two rules through the whole pipeline (the fake tenant, the tap, target-duckdb's
own tables) onto planted attacks.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tap_auth0_logs.testing import Attack, FakeAuth0, TenantLogs
from tests.ocsf_checks import check, empty_objects
from tests.pipelines import (
    MELTANO_COMMAND,
    ROOT,
    meltano,
    meltano_environment,
    postgres_settings,
    psql,
    tenant_env,
)

pytestmark = pytest.mark.slow

RULES = Path(__file__).parent / "sigma_rules"
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
ACME, BETA = "acme.us.auth0.com", "beta.eu.auth0.com"
PLACEHOLDERS = {
    "your-tenant-url": ACME,
    "trusted_clients": ["TrustedClient0000000000000000001", "TrustedClient0000000000000000002"],
}
COLUMNS = (
    "tenant",
    "log_id",
    "date",
    "type",
    "description",
    "user_id",
    "user_name",
    "client_id",
    "ip",
    "hostname",
    "user_agent",
    "connection",
    "details",
)


def sapi(path: str, body: Any, status: int = 200, scopes: list[str] | None = None) -> dict:
    """A Management API call's details, as Auth0 logs them."""
    auth: dict[str, Any] = {"user": {"user_id": "auth0|admin"}, "strategy": "jwt"}
    if scopes is not None:
        auth["credentials"] = {"scopes": scopes}
    return {
        "request": {"method": "patch", "path": path, "body": body, "auth": auth},
        "response": {"statusCode": status, "body": body},
    }


def event(log_id: str, minute: float, kind: str, **fields: Any) -> dict[str, Any]:
    """One log; by default from a user of tenant acme, through the custom domain, in Chrome."""
    return {
        "tenant": ACME,
        "log_id": log_id,
        "date": T0 + timedelta(minutes=minute),
        "type": kind,
        "description": None,
        "user_id": f"auth0|{log_id}",
        "user_name": None,
        "client_id": "CustomerPortal000000000000000001",
        "ip": "198.51.100.99",
        "hostname": "login.acme.test",
        "user_agent": "Chrome 134.0.0 / Windows 10.0.0",
        "connection": "Username-Password-Authentication",
        "details": None,
        **fields,
    }


BRUTE = "/api/v2/attack-protection/brute-force-protection"
BREACHED = "Update Breached Password Detection settings"
INVITE, DELETE = "Create tenant invitations for a given client", "Delete tenant member"
EVENTS = [
    # settings_weakened: two changes by one admin 10 min apart are one finding, a third later another
    *(
        event(
            f"a{n}",
            m,
            "sapi",
            user_id="auth0|admin1",
            description="Update Brute-force settings",
            details=sapi(BRUTE, {"enabled": False}),
        )
        for n, m in ((1, 0), (2, 10), (3, 200))
    ),
    event(
        "a4",
        20,
        "sapi",
        description="Update Brute-force settings",
        details=sapi(BRUTE, {"enabled": True}),
    ),
    event(
        "a5",
        21,
        "sapi",
        description="Update Brute-force settings",
        details=sapi(BRUTE, {"enabled": False}, 400),
    ),
    event(
        "a6",
        22,
        "sapi",
        description="Update Suspicious IP Throttling settings",
        details=sapi("/api/v2/attack-protection/suspicious-ip-throttling", {"enabled": False}),
    ),
    event(
        "a7",
        23,
        "fapi",
        description="Update Brute-force settings",
        details=sapi(BRUTE, {"enabled": False}),
    ),
    # scripted_logins: a client without a user (its address is the subject)
    event(
        "b1",
        30,
        "fp",
        user_id=None,
        user_name="jo@example.org",
        ip="192.0.2.50",
        user_agent="python curl/8.0",
    ),
    event(
        "b5",
        35,
        "fu",
        user_id=None,
        user_name="x@example.org",
        ip="192.0.2.50",
        user_agent="bot curl/8.0",
    ),
    event("b2", 31, "fp", ip="192.0.2.51", user_agent="curl/8.0", connection=None),
    event("b3", 32, "fp", ip="192.0.2.52"),
    event("b4", 33, "s", ip="192.0.2.53", user_agent="curl/8.0"),
    # admin_from_range
    event("c1", 40, "s", ip="203.0.113.7", user_name="ADMIN7@example.org"),
    event("c2", 40, "s", ip="203.0.114.7", user_name="admin7@example.org"),
    event("c3", 40, "s", ip="203.0.113.8", user_name="xadmin7@example.org"),
    # owner_invited: a role among others, or the only one written as a string
    event(
        "d1",
        50,
        "sapi",
        description=INVITE,
        details=sapi("/api/v2/tenants/invitations", {"roles": ["admin", "owner"]}),
    ),
    event(
        "d2",
        50,
        "sapi",
        description=INVITE,
        details=sapi("/api/v2/tenants/invitations", {"roles": ["admin", "editor"]}),
    ),
    event(
        "d3",
        50,
        "sapi",
        description=INVITE,
        details=sapi("/api/v2/tenants/invitations", {"roles": "owner"}),
    ),
    # powerful_token: every scope, not one of them
    event(
        "e1",
        60,
        "sapi",
        description="Delete a user",
        details=sapi("/api/v2/users/x", {}, scopes=["read:logs", "delete:users", "update:users"]),
    ),
    event(
        "e2",
        60,
        "sapi",
        description="Delete a user",
        details=sapi("/api/v2/users/x", {}, scopes=["read:logs"]),
    ),
    event("e3", 60, "sapi", description="Delete a user"),
    # signups_unprotected: no `block` among the signup stage's shields, or no shields at all
    event(
        "f1",
        70,
        "sapi",
        description=BREACHED,
        details=sapi(
            "/api/v2/attack-protection/breached-password-detection",
            {"stage": {"pre-user-registration": {"shields": ["admin_notification"]}}},
        ),
    ),
    event(
        "f2",
        70,
        "sapi",
        description=BREACHED,
        details=sapi(
            "/api/v2/attack-protection/breached-password-detection",
            {"stage": {"pre-user-registration": {"shields": ["block", "admin_notification"]}}},
        ),
    ),
    event(
        "f3",
        70,
        "sapi",
        description=BREACHED,
        details=sapi("/api/v2/attack-protection/breached-password-detection", {"enabled": True}),
    ),
    # phone_or_recovery: a phone enrolled; the words anywhere in the event, whatever their case
    event(
        "g1",
        80,
        "gd_enrollment_complete",
        details={"authenticator": {"type": "sms", "phone_number": "+15550100"}},
    ),
    event("g2", 80, "gd_enrollment_complete", details={"authenticator": {"type": "otp"}}),
    event("g3", 80, "gd_recovery_succeed", description="MFA Recovery Code used to log in"),
    event("g4", 80, "gd_recovery_failed", description="Recovery email sent"),
    # many_mfa_codes: case kept; a number, also when JSON writes it as text; text that is none
    event("h1", 90, "gd_auth_failed", description="Too many MFA codes", details={"attempts": 7}),
    event("h2", 90, "gd_auth_failed", description="too many mfa codes", details={"attempts": 7}),
    event("h3", 90, "gd_auth_failed", description="Too many MFA codes", details={"attempts": 3}),
    event(
        "h4", 90, "gd_auth_failed", description="Too many MFA codes", details={"attempts": "many"}
    ),
    event("h5", 90, "gd_auth_failed", description="Too many MFA codes", details={"attempts": "12"}),
    # canonical_domain: its placeholders filled from the var
    event("i1", 100, "s", hostname=ACME, client_id="UntrustedApp00000000000000000001"),
    event("i2", 100, "s", hostname=ACME, client_id="TrustedClient0000000000000000001"),
    event("i3", 100, "s", client_id="UntrustedApp00000000000000000001"),
    # password_burst: 4 within 5 minutes; 4 spread out; 4 split between two tenants
    *(
        event(f"j{n}", m, "fp", ip="198.51.100.20")
        for n, m in ((1, 300), (2, 301), (3, 302), (4, 303.5), (5, 360))
    ),
    *(event(f"k{n}", 300 + 6 * n, "fp", ip="198.51.100.21") for n in range(4)),
    event("l1", 300, "fp", ip="198.51.100.22"),
    event("l2", 301, "fp", ip="198.51.100.22"),
    event("l3", 300.5, "fp", ip="198.51.100.22", tenant=BETA),
    event("l4", 301.5, "fp", ip="198.51.100.22", tenant=BETA),
    # token_agents: 3 user agents within the hour; 2 only; 3 over two hours; another family
    *(
        event(
            f"n{n}",
            m,
            "sertft",
            user_id="auth0|u1",
            user_agent=f"App/{n}",
            details={"familyId": "F1"},
        )
        for n, m in ((1, 400), (2, 410), (3, 420))
    ),
    event("n4", 405, "sertft", user_id="auth0|u1", user_agent="App/4", details={"familyId": "F9"}),
    *(
        event(
            f"o{n}",
            400 + 10 * n,
            "sertft",
            user_id="auth0|u2",
            user_agent=f"App/{n % 2}",
            details={"familyId": "F2"},
        )
        for n in range(5)
    ),
    *(
        event(
            f"p{n}",
            400 + 70 * n,
            "sertft",
            user_id="auth0|u3",
            user_agent=f"App/{n}",
            details={"familyId": "F3"},
        )
        for n in range(3)
    ),
    # blocked_then_in: either order within 10 minutes; not 30 minutes apart
    event("q1", 500, "limit_wc", ip="198.51.100.30"),
    event("q2", 505, "s", ip="198.51.100.30"),
    event("q3", 500, "s", ip="198.51.100.31"),
    event("q4", 504, "limit_wc", ip="198.51.100.31"),
    event("q5", 500, "limit_wc", ip="198.51.100.32"),
    event("q6", 530, "s", ip="198.51.100.32"),
    # takeover_sequence: invite then delete; the other order; too far apart
    event("r1", 600, "sapi", user_id="auth0|q1", description=INVITE),
    event("r2", 605, "sapi", user_id="auth0|q1", description=DELETE),
    event("r3", 600, "sapi", user_id="auth0|q2", description=DELETE),
    event("r4", 605, "sapi", user_id="auth0|q2", description=INVITE),
    event("r5", 600, "sapi", user_id="auth0|q3", description=INVITE),
    event("r6", 630, "sapi", user_id="auth0|q3", description=DELETE),
    # word_boundary: the word, not a longer one
    event("w1", 650, "sapi", description="Tenant wipe requested"),
    event("w2", 650, "sapi", description="Tenant wiped clean"),
    # night_block_of_self: the user's name in the description, at 02:xx UTC; not at 01:xx
    event("x1", 1000, "sapi", user_name="jo@example.org", description="Blocked jo@example.org"),
    event("x2", 1000, "sapi", user_name="jo@example.org", description="Blocked someone"),
    event("x3", 900, "sapi", user_name="jo@example.org", description="Blocked jo@example.org"),
    # blocked_address_calls_api: the address in `ip`, then in a call's `details.request.ip`
    event("y1", 800, "limit_mu", ip="198.51.100.60"),
    event("y2", 803, "sapi", ip="10.0.0.1", details={"request": {"ip": "198.51.100.60"}}),
    event("y3", 800, "limit_mu", ip="198.51.100.61"),
    event("y4", 801, "sapi", ip="198.51.100.61", details={"request": {"ip": "198.51.100.62"}}),
    # unverified_signups: a signup alone; a signup verified 10 minutes later
    event("s1", 700, "ss", user_name="v1@example.org"),
    event("s2", 700, "ss", user_name="v2@example.org"),
    event("s3", 710, "sv", user_name="v2@example.org"),
]
#: detection -> the groups of log_ids its findings must be (nothing else may fire).
EXPECTED = {
    "sigma:5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a01": [{"a1", "a2"}, {"a3"}],
    "sigma:5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a02": [{"b1", "b5"}],
    "sigma:5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a03": [{"c1"}],
    "sigma:5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a04": [{"d1"}, {"d3"}],
    "sigma:5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a05": [{"e1"}],
    "sigma:5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a06": [{"f1"}, {"f3"}],
    "sigma:5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a07": [{"g1"}, {"g3"}],
    "sigma:5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a08": [{"h1"}, {"h5"}],
    "sigma:5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a09": [{"w1"}],
    "sigma:canonical_domain": [{"i1"}],
    "sigma:5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a16": [{"x1"}],
    "sigma:5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a11": [{"j1", "j2", "j3", "j4"}],
    "sigma:token_agents": [{"n1", "n2", "n3"}],
    "sigma:blocked_then_in": [{"q1", "q2"}, {"q3", "q4"}],
    "sigma:blocked_address_calls_api": [{"y1", "y2"}],
    "sigma:takeover_sequence": [{"r1", "r2"}],
    # its rules, generated: every invitation and every deletion, each actor's its own
    "sigma:5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a13": [{"d1"}, {"d2"}, {"d3"}, {"r1"}, {"r4"}, {"r5"}],
    "sigma:5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a14": [{"r2"}, {"r3"}, {"r6"}],
    "sigma:unverified_signups": [{"s1"}],
}
REFUSED = {
    "refused_ja4.yml": "field data.security_context.ja4: Auth0 writes it, but auth0__events has no column for it",
    "refused_explorer_token.yml": "no value for {api_explorer_client_id} in data.client_id: set it in the sigma_placeholders var",
    "refused_critical_client.yml": "'critical-client_id-1' in data.details.response.body.client_id is no Auth0 client_id",
    "refused_lookahead.yml": "invalid perl operator: (?!",
    "refused_splunk_list.yml": 'type \'IN ("fs","ss")\' is no Auth0 event type code',
    "refused_correlation.yml": "its rule fingerprinted_login cannot compile: field security_context.ja3",
    "refused_not_yaml.yml": "not YAML (line 7): could not find expected ':'",
    "refused_alias.yml": "its alias address maps none of its rules (alias_blocked, alias_login)",
    "twin_of_settings_weakened.yml": "id 5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a01 is already the id of a rule in settings_weakened.yml",
}
FINDINGS = (
    "select detection, subject_type, subject, first_seen, last_seen, events, log_ids, severity,"
    " mitre_technique, description, finding_id, first_detected_at, tenant"
    " from auth0_analytics.auth0__detections where detection like 'sigma:%'"
)


def project(folder: Path) -> Path:
    """A copy of the dbt package whose placeholders var has our values."""
    copy = folder / "transform"
    shutil.copytree(
        ROOT / "transform",
        copy,
        ignore=shutil.ignore_patterns("target", "logs", "sigma_compiled_models.sql"),
    )
    shutil.rmtree(copy / "models" / "sigma", ignore_errors=True)
    settings = copy / "dbt_project.yml"
    text = settings.read_text()
    assert "  sigma_placeholders: {}\n" in text
    settings.write_text(
        text.replace(
            "  sigma_placeholders: {}\n", f"  sigma_placeholders: {json.dumps(PLACEHOLDERS)}\n"
        )
    )
    return copy


def plugin_env(folder: Path, plugin: str, transform: Path) -> dict[str, str]:
    """Meltano's environment for a dbt plugin on our copy of the package, its files in `folder`."""
    prefix = plugin.upper().replace("-", "_")
    return {
        **meltano_environment(folder),
        f"{prefix}_PROJECT_DIR": str(transform),
        f"{prefix}_TARGET_PATH": str(folder / "dbt-target"),
        f"{prefix}_LOG_PATH": str(folder / "dbt-logs"),
    }


def sigma(plugin: str, env: dict[str, str], rules: Path) -> subprocess.CompletedProcess[str]:
    """`meltano invoke <plugin>:sigma --rules DIR`, as a user runs it."""
    return subprocess.run(
        [*MELTANO_COMMAND, "invoke", f"{plugin}:sigma", "--rules", str(rules)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def by_detection(rows: list[tuple[Any, ...]]) -> dict[str, list[set[str]]]:
    found: dict[str, list[set[str]]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(set(row[6]))
    return {name: sorted(groups, key=sorted) for name, groups in found.items()}


def expected() -> dict[str, list[set[str]]]:
    return {name: sorted(groups, key=sorted) for name, groups in EXPECTED.items()}


def duckdb_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as db:
        return db.sql(sql).fetchall()


@pytest.fixture(scope="module")
def duckdb_run(installed, tmp_path_factory) -> dict[str, Any]:
    """Compile the rules into a copy of the package and build it over the events, in DuckDB."""
    folder = tmp_path_factory.mktemp("sigma-duckdb")
    transform = project(folder)
    database = folder / "logs.duckdb"
    with duckdb.connect(str(database)) as db:
        db.execute("create schema auth0")
        db.execute(
            "create table auth0.logs (tenant varchar, log_id varchar, date timestamp, type varchar,"
            " description varchar, user_id varchar, user_name varchar, client_id varchar, ip varchar,"
            " hostname varchar, user_agent varchar, connection varchar, details json)"
        )
        insert_duckdb(db, EVENTS)
    env = {**plugin_env(folder, "dbt-duckdb", transform), "DBT_DUCKDB_PATH": str(database)}
    meltano(["invoke", "dbt-duckdb", "build"], env)  # before any rule: dbt keeps what it parsed
    before = duckdb_rows(database, FINDINGS)
    compiled = sigma("dbt-duckdb", env, RULES)
    meltano(["invoke", "dbt-duckdb", "build"], env)
    return {
        "env": env,
        "project": transform,
        "database": database,
        "compiled": compiled,
        "before": before,
        "rows": duckdb_rows(database, FINDINGS),
    }


def insert_duckdb(db: duckdb.DuckDBPyConnection, events: list[dict[str, Any]]) -> None:
    marks = ", ".join("?" for _ in COLUMNS)
    db.executemany(
        f"insert into auth0.logs ({', '.join(COLUMNS)}) values ({marks})",
        [
            [
                json.dumps(e[c])
                if c == "details" and e[c] is not None
                else (e[c].replace(tzinfo=None) if c == "date" else e[c])
                for c in COLUMNS
            ]
            for e in events
        ],
    )


def literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, datetime):
        return f"timestamptz '{value.isoformat()}'"
    if isinstance(value, dict):
        value = json.dumps(value)
    return "'" + str(value).replace("'", "''") + "'"


def test_every_rule_finds_exactly_its_events_in_duckdb(duckdb_run):
    assert duckdb_run["before"] == []  # no rule compiled yet: no Sigma model, no finding
    assert by_detection(duckdb_run["rows"]) == expected()


def test_a_rule_that_cannot_compile_is_refused_in_one_line_and_the_others_compile(duckdb_run):
    done = duckdb_run["compiled"]
    lines = done.stdout.splitlines()
    assert done.returncode == 1, done.stdout + done.stderr  # some refused: the status says so
    for name, why in REFUSED.items():
        refused = [line for line in lines if line.startswith(f"refused   {name} ")]
        assert len(refused) == 1, (name, done.stdout)
        assert why in refused[0], refused[0]
    compiled = [line for line in lines if line.startswith("compiled  ")]
    assert len(compiled) == len(EXPECTED) + 1  # new_code.yml matches nothing here
    warned = [line for line in compiled if line.startswith("compiled  new_code.yml ")]
    assert warned[0].endswith("; warning: type 'xnewcode' is a code Auth0 does not document")
    assert "Traceback" not in done.stdout + done.stderr
    assert f"{len(compiled)} rule(s) compiled" in lines[-1]
    assert f"{len(REFUSED)} refused" in lines[-1]
    generated = sorted(
        path.name for path in (duckdb_run["project"] / "models" / "sigma").glob("*.sql")
    )
    stems = sorted(path.stem for path in RULES.glob("*.yml") if path.name not in REFUSED)
    long = "breached_passwords_no_longer_blocked_at_the_signup_stage"
    # the correlation that generates its rules' findings makes three models of one file; a
    # long name is cut to fit PostgreSQL's 63 characters (in dbt's name for an ephemeral model)
    sequence = ["sigma__takeover_sequence_2.sql", "sigma__takeover_sequence_3.sql"]
    names = [f"sigma__{stem}.sql" for stem in stems if stem != long]
    assert generated == sorted(
        [*names, *sequence, "sigma__breached_passwords_no_longer_blo_df7cf67b.sql"]
    )
    assert all(len("__dbt__cte__" + name.removesuffix(".sql")) <= 63 for name in generated)


def test_a_finding_has_the_columns_of_every_detection(duckdb_run):
    rows = {(row[0], min(row[6])): row for row in duckdb_run["rows"]}
    weakened = rows["sigma:5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a01", "a1"]
    assert weakened[1:3] == ("user", "auth0|admin1")
    assert weakened[3] == datetime(2026, 11, 2, 10, 0)
    assert weakened[4] == datetime(2026, 11, 2, 10, 10)
    assert weakened[5] == 2
    assert list(weakened[6]) == ["a1", "a2"]
    assert weakened[7:9] == ("high", "T1562.001")  # the level; the most specific technique
    assert weakened[9].startswith(
        "Brute-force protection switched off: 2 events (Update Brute-force settings) of user auth0|admin1 in 10 minutes"
    )
    assert weakened[12] == ACME
    scripted = rows["sigma:5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a02", "b1"]
    assert scripted[1:3] == ("ip", "192.0.2.50")  # no user: the address
    assert scripted[7:9] == ("informational", None)
    burst = rows["sigma:5f0c7f4e-3d7a-4a51-9b7e-1c2d3e4f5a11", "j1"]
    assert burst[1:3] == ("ip", "198.51.100.20")  # the group-by
    assert burst[7:9] == ("medium", "T1110.001")  # from its rule when the correlation has none
    assert (
        burst[9]
        == "Password burst from one address: 4 events of 198.51.100.20 in 3 minutes (event_count >= 4 within 5m by ip)"
    )
    agents = rows["sigma:token_agents", "n1"]
    assert agents[1:3] == ("group", "user_id=auth0|u1, details.familyId=F1")
    assert agents[7:9] == ("high", "T1550.001")
    assert "3 events, 3 distinct user_agent" in agents[9]
    assert rows["sigma:takeover_sequence", "r1"][1:3] == ("user", "auth0|q1")
    assert rows["sigma:blocked_then_in", "q1"][7] == "critical"


def test_findings_are_the_same_on_postgres(duckdb_run, installed, postgres, tmp_path):
    """`dbt-postgres:sigma` writes the same models; the build finds the same, column for column."""
    psql(postgres, "postgres", "create database sigma_test")
    psql(
        postgres,
        "sigma_test",
        "create schema auth0; create table auth0.logs (tenant varchar, log_id varchar, date timestamptz,"
        " type varchar, description varchar, user_id varchar, user_name varchar, client_id varchar,"
        " ip varchar, hostname varchar, user_agent varchar, connection varchar, details jsonb)",
    )
    values = ", ".join("(" + ", ".join(literal(e[c]) for c in COLUMNS) + ")" for e in EVENTS)
    psql(postgres, "sigma_test", f"insert into auth0.logs ({', '.join(COLUMNS)}) values {values}")
    transform = project(tmp_path)
    env = {
        **plugin_env(tmp_path, "dbt-postgres", transform),
        **postgres_settings(postgres, "sigma_test"),
    }

    compiled = sigma("dbt-postgres", env, RULES)
    meltano(["invoke", "dbt-postgres", "build"], env)

    assert compiled.stdout == duckdb_run["compiled"].stdout.replace(
        str(duckdb_run["project"]), str(transform)
    )
    for model in (duckdb_run["project"] / "models" / "sigma").glob("*.sql"):
        assert (transform / "models" / "sigma" / model.name).read_text() == model.read_text()
    text = psql(
        postgres,
        "sigma_test",
        "select json_agg(json_build_array(detection, subject_type, subject, first_seen, last_seen, events,"
        " log_ids, severity, mitre_technique, description)) from auth0_analytics.auth0__detections"
        " where detection like 'sigma:%'",
    )
    postgres_rows = sorted(
        (
            d,
            st,
            s,
            datetime.fromisoformat(fs),
            datetime.fromisoformat(ls),
            n,
            tuple(ids),
            sev,
            m,
            desc,
        )
        for d, st, s, fs, ls, n, ids, sev, m, desc in json.loads(text)
    )
    duckdb_rows_ = sorted((*row[:6], tuple(row[6]), *row[7:10]) for row in duckdb_run["rows"])
    assert postgres_rows == duckdb_rows_


def test_sigma_findings_are_ocsf_detection_findings(duckdb_run):
    rows = duckdb_rows(
        duckdb_run["database"],
        "select f.severity_id, cast(f.ocsf as varchar) from auth0_analytics.auth0__ocsf_findings as f"
        " join auth0_analytics.auth0__detections as d using (finding_id) where d.detection like 'sigma:%'",
    )
    events = [json.loads(text) for _, text in rows]
    assert len(events) == sum(len(groups) for groups in EXPECTED.values())
    assert check(events, "1.5.0")[1] == []
    assert [path for event in events for path in empty_objects(event)] == []
    assert {severity for severity, _ in rows} == {1, 2, 3, 4, 5}  # informational .. critical
    analytics = {event["finding_info"]["analytic"]["uid"] for event in events}
    assert analytics == set(EXPECTED)


def test_a_growing_finding_keeps_its_id_and_removed_rules_compute_nothing(duckdb_run):
    env, database = duckdb_run["env"], duckdb_run["database"]
    before = {row[10]: row for row in duckdb_run["rows"]}
    with duckdb.connect(str(database)) as db:  # the burst grows by one wrong password
        insert_duckdb(db, [event("j6", 304, "fp", ip="198.51.100.20")])
    meltano(["invoke", "dbt-duckdb", "build"], env)
    grown = {row[10]: row for row in duckdb_rows(database, FINDINGS)}
    assert set(grown) == set(before)  # the same ids, first detected when they were
    burst = next(row for row in grown.values() if "j1" in row[6])
    assert set(burst[6]) == {"j1", "j2", "j3", "j4", "j6"}
    assert burst[11] == before[burst[10]][11]

    empty = duckdb_run["project"].parent / "no-rules"
    empty.mkdir()
    done = sigma("dbt-duckdb", env, empty)
    assert done.returncode == 0
    assert "0 rule(s) compiled" in done.stdout
    assert f"no rule files (*.yml) in {empty}: put your rules there" in done.stdout  # where they go
    assert list((duckdb_run["project"] / "models" / "sigma").glob("*.sql")) == []
    assert not (duckdb_run["project"] / "macros" / "sigma_compiled_models.sql").exists()
    with duckdb.connect(str(database)) as db:
        insert_duckdb(db, [event("j7", 305, "fp", ip="198.51.100.20")])
    meltano(["invoke", "dbt-duckdb", "build"], env)
    after = {row[10]: row for row in duckdb_rows(database, FINDINGS)}
    assert after == grown  # kept as what was alerted; nothing compiled grows them any more


PIPELINE_RULES = {
    "sms_bombing.yml": """
title: MFA texts
name: mfa_text
logsource: {product: auth0}
detection:
    selection:
        data.type: gd_send_sms
    condition: selection
---
title: Many MFA texts to one user
id: 0a6d4c52-6f4b-4e0e-9d1f-2b3c4d5e6f70
correlation:
    type: event_count
    rules: [mfa_text]
    group-by: [data.user_id]
    timespan: 1h
    condition: {gte: 10}
""",
    "secret_read.yml": """
title: A client secret read
id: 0a6d4c52-6f4b-4e0e-9d1f-2b3c4d5e6f71
logsource: {product: auth0}
detection:
    selection:
        data.type: mgmt_api_read
        data.details.accessedSecrets{}: client_secret
    condition: selection
""",
}


def test_rules_find_the_planted_attacks_through_the_tap_and_target(installed, tmp_path):
    """The whole pipeline: the fake tenant, the tap, target-duckdb's own tables, then the rules."""
    rules = tmp_path / "rules"
    rules.mkdir()
    for name, text in PIPELINE_RULES.items():
        (rules / name).write_text(text)
    attacks = (Attack("sms_bombing", 300), Attack("tenant_takeover", 1500))
    logs = TenantLogs(count=3000, attacks=attacks)
    database = tmp_path / "logs.duckdb"
    env = {
        **plugin_env(tmp_path, "dbt-duckdb", project(tmp_path)),
        "TARGET_DUCKDB_FILEPATH": str(database),
        "DBT_DUCKDB_PATH": str(database),
    }
    assert sigma("dbt-duckdb", env, rules).returncode == 0
    with FakeAuth0(logs) as tenant:
        meltano(
            ["run", "tap-auth0-logs", "target-duckdb", "dbt-duckdb:build"],
            {**env, **tenant_env(tenant)},
        )

    found = by_detection(duckdb_rows(database, FINDINGS))
    planted = {
        attack.kind: {
            logs.log_id(attack.at + offset)
            for offset, step in attack.steps()
            if step.code in {"gd_send_sms", "mgmt_api_read"}
        }
        for attack in attacks
    }
    bombing = found["sigma:0a6d4c52-6f4b-4e0e-9d1f-2b3c4d5e6f70"]
    assert any(planted["sms_bombing"] <= group for group in bombing)
    reads = found["sigma:0a6d4c52-6f4b-4e0e-9d1f-2b3c4d5e6f71"]
    assert any(planted["tenant_takeover"] <= group for group in reads)


def test_no_rules_folder_is_exit_status_2_with_one_line(installed, tmp_path):
    env = plugin_env(tmp_path, "dbt-duckdb", project(tmp_path))
    done = sigma("dbt-duckdb", env, tmp_path / "missing")
    assert done.returncode == 2
    assert "sigma: no rules folder" in done.stderr
    assert "Traceback" not in done.stderr

"""The dbt package (transform/) on what the tap loads: tap -> target -> dbt, through Meltano.

The fake tenant plants each attack the detections look for among its ordinary traffic; the
tests check that every one is found with its subject, that ordinary traffic alone yields no
finding, that each threshold holds on both sides, that the OCSF rows validate against OCSF 1.5
(with `ocsf-emitter`, a library written by others), and that a second build is incremental.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import duckdb
import pytest
from ocsf_emitter import models, validate
from ocsf_emitter.errors import InvalidFindingError

from tap_auth0_logs.testing import ATTACKS, LOOK_ALIKES, Attack, FakeAuth0, TenantLogs
from tap_auth0_logs.testing.day import AUTOMATION_CLIENTS
from tests.ocsf_checks import check, empty_objects, loads
from tests.pipelines import (
    MELTANO_COMMAND,
    ROOT,
    meltano,
    meltano_environment,
    postgres_settings,
    psql,
    tenant_env,
)

if TYPE_CHECKING:
    from pathlib import Path

    from ocsf_emitter.validate import SupportedEvent as OcsfEvent

pytestmark = pytest.mark.slow

#: One of each attack, 20 minutes apart, among 11,000 logs of the tenant's everyday flows.
PLANTED = tuple(Attack(kind, 300 + 600 * i) for i, kind in enumerate(ATTACKS))
PLANTED_LOGS = 11_000
#: What a tenant tells the package: its machine clients that manage it (docs/detections.md).
TENANT_VARS: dict[str, Any] = {"automation_clients": list(AUTOMATION_CLIENTS)}
#: The planted events each detection reads (the others are what Auth0 logs around an attack).
READS = {
    "brute_force": {"fp"},
    "credential_stuffing": {"fp", "fu"},
    "password_spraying": {"fp", "s"},
    "mfa_fatigue": {"gd_send_pn"},  # the pushes not approved
    "impossible_travel": {"s"},
    "breached_password": {"pwd_leak"},
    "management_change": {"sapi"},
    "security_weakened": {"sapi"},
    "tenant_takeover": {"sapi", "mgmt_api_read"},
    "refresh_token_reuse": {"ferrt"},
    "auth0_blocks": {"gd_otp_rate_limit_exceed"},
    "block_surge": {"limit_wc"},
    "signup_fraud": {"ss"},
    "sms_bombing": {"gd_send_sms"},
    "shared_mfa_phone": {"gd_enrollment_complete"},
    "distributed_stuffing": {"fu"},
    "shields_without_block": {"sapi"},
    "risk_assessment_off": {"sapi"},
}


def counted(kind: str, codes: set[str], what: str = "events") -> int:
    """How many of the planted attack's events have one of `codes` (or their distinct users)."""
    steps = [step for _, step in Attack(kind, 0).steps() if step.code in codes]
    if what == "users":
        return len({step.user if step.user is not None else step.identity for step in steps})
    return len(steps)


def unapproved_pushes(kind: str) -> int:
    """Pushes of the planted attack that no approval follows before the next push."""
    codes = [step.code for _, step in sorted(Attack(kind, 0).steps(), key=lambda s: s[0])]
    pushes = [i for i, code in enumerate(codes) if code == "gd_send_pn"]
    approved = [
        i
        for i in pushes
        if "gd_auth_succeed" in codes[i + 1 : next((j for j in pushes if j > i), len(codes))]
    ]
    return len(pushes) - len(approved)


#: Each threshold one past what its planted attack shows (counted from attacks.py), and the
#: detection that must then go quiet on it.
ONE_PAST = {
    "brute_force_min_failures": (counted("brute_force", {"fp"}) + 1, "brute_force"),
    "credential_stuffing_min_users": (
        counted("credential_stuffing", {"fp", "fu"}, "users") + 1,
        "credential_stuffing",
    ),
    "password_spraying_min_users": (
        counted("password_spraying", {"fp"}, "users") + 1,
        "password_spraying",
    ),
    "mfa_fatigue_min_pushes": (counted("mfa_fatigue", {"gd_send_pn"}) + 1, "mfa_fatigue"),
    "mfa_fatigue_min_unanswered": (unapproved_pushes("mfa_fatigue") + 1, "mfa_fatigue"),
    "impossible_travel_min_km": (20_100, "impossible_travel"),  # past half the Earth's girth
    "block_surge_min_blocks": (counted("block_surge", {"limit_wc"}) + 1, "block_surge"),
    "signup_fraud_min_signups": (counted("signup_fraud", {"ss"}) + 1, "signup_fraud"),
    "sms_bombing_min_sms": (counted("sms_bombing", {"gd_send_sms"}) + 1, "sms_bombing"),
    "shared_mfa_phone_min_users": (
        counted("shared_mfa_phone", {"gd_enrollment_complete"}, "users") + 1,
        "shared_mfa_phone",
    ),
}
OCSF_CLASSES: dict[int, type[OcsfEvent]] = {
    3001: models.AccountChange,
    3002: models.Authentication,
    6003: models.ApiActivity,
    2004: models.DetectionFinding,
}
#: Every OCSF row the package writes: the logs', then the findings'.
ALL_OCSF = (
    "select class_uid, cast(ocsf as varchar) from auth0_analytics.auth0__ocsf union all"
    " select class_uid, cast(ocsf as varchar) from auth0_analytics.auth0__ocsf_findings"
)


def duckdb_env(folder: Path, tenant: FakeAuth0) -> dict[str, str]:
    """Meltano's environment for tap -> target-duckdb -> dbt-duckdb, all in `folder`."""
    database = str(folder / "logs.duckdb")
    return {
        **meltano_environment(folder),
        **tenant_env(tenant),
        "TARGET_DUCKDB_FILEPATH": database,
        "DBT_DUCKDB_PATH": database,
    }


def build(env: dict[str, str]) -> None:
    """Extract and load, then build the package as the tenant configured it."""
    meltano(["run", "tap-auth0-logs", "target-duckdb"], env)
    meltano(["invoke", "dbt-duckdb", "build", "--vars", json.dumps(TENANT_VARS)], env)


def dbt_run(env: dict[str, str], *args: str, **variables: Any) -> None:
    """`dbt run` of the findings, from scratch, with the tenant's vars and these."""
    select = ["--select", "auth0__detections", "--full-refresh"]
    meltano(
        [
            "invoke",
            "dbt-duckdb",
            "run",
            *select,
            *args,
            "--vars",
            json.dumps({**TENANT_VARS, **variables}),
        ],
        env,
    )


def query(env: dict[str, str], sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(env["DBT_DUCKDB_PATH"], read_only=True) as db:
        return db.sql(sql).fetchall()


def findings(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str, str], set[str]]:
    """(detection, subject_type, subject) -> the log_ids of its findings."""
    found: dict[tuple[str, str, str], set[str]] = {}
    for detection, subject_type, subject, log_ids in rows:
        found.setdefault((detection, subject_type, subject), set()).update(log_ids)
    return found


def planted_ids(logs: TenantLogs, attack: Attack) -> set[str]:
    """The log_ids of the planted events the attack's detection reads."""
    steps = sorted(attack.steps(), key=lambda pair: pair[0])
    ids = set()
    for k, (offset, step) in enumerate(steps):
        if step.code not in READS[attack.kind]:
            continue
        later = [s.code for _, s in steps[k + 1 :]]
        if step.code == "gd_send_pn" and later[
            : later.index("gd_send_pn") if "gd_send_pn" in later else None
        ].count("gd_auth_succeed"):
            continue  # approved
        ids.add(logs.log_id(attack.at + offset))
    return ids


def assert_planted_found(logs: TenantLogs, found: dict[tuple[str, str, str], set[str]]) -> None:
    assert len(logs.planted()) == len(ATTACKS)
    for attack in logs.attacks:
        finding = attack.finding()
        key = (finding.detection, finding.subject_type, finding.subject)
        assert key in found, f"{attack.kind} planted at log {attack.at} was not found"
        assert planted_ids(logs, attack) <= found[key], attack.kind


@pytest.fixture(scope="module")
def planted_run(installed, tmp_path_factory) -> Any:
    """One pipeline run over a tenant with every attack planted (shared by the checks).

    Its tests are one group, run by one worker (pytest-xdist's loadgroup), so it runs once.
    """
    folder = tmp_path_factory.mktemp("planted")
    logs = TenantLogs(count=PLANTED_LOGS, attacks=PLANTED)
    with FakeAuth0(logs) as tenant:
        env = duckdb_env(folder, tenant)
        build(env)
    return logs, env


@pytest.mark.xdist_group("planted-run")
def test_every_planted_attack_is_found_with_its_subject_and_its_logs(planted_run):
    logs, env = planted_run
    rows = query(
        env,
        "select detection, subject_type, subject, log_ids from auth0_analytics.auth0__detections",
    )

    assert_planted_found(logs, findings(rows))
    # What rests on no planted log is the everyday day: never above low.
    planted = {logs.log_id(a.at + o) for a in logs.attacks for o, _ in a.steps()}
    severities = query(
        env, "select severity, log_ids, description from auth0_analytics.auth0__detections"
    )
    assert [
        text for severity, ids, text in severities if severity != "low" and not set(ids) & planted
    ] == []
    # The attacks that worked (the spraying's two break-ins, the user who gave in to the MFA
    # pushes) are critical escalations, each on the log of its success.
    worked = {
        attack.kind: attack
        for attack in logs.attacks
        if attack.kind in {"mfa_fatigue", "password_spraying"}
    }
    escalations = query(
        env,
        "select subject, description, log_ids, severity, mitre_technique "
        "from auth0_analytics.auth0__detections "
        "where detection = 'success_after_attack' and severity = 'critical'",
    )
    assert len(escalations) == 3
    mfa_user = worked["mfa_fatigue"].finding().subject
    sprayer = worked["password_spraying"].finding().subject
    assert mfa_user in {subject for subject, *_ in escalations}
    assert sum(sprayer in description for _, description, *_ in escalations) == 2
    for _, _, log_ids, _, _ in escalations:
        assert len(log_ids) == 1  # the log of the success


@pytest.mark.xdist_group("planted-run")
def test_each_threshold_holds_on_both_sides(planted_run):
    logs, env = planted_run
    subjects = {attack.finding().detection: attack.finding().subject for attack in logs.attacks}

    # Findings are kept from build to build; a fresh table shows what the thresholds find.
    dbt_run(env, **{name: value for name, (value, _) in ONE_PAST.items()})
    quiet = set(query(env, "select detection, subject from auth0_analytics.auth0__detections"))
    for name, (_, detection) in ONE_PAST.items():
        assert (detection, subjects[detection]) not in quiet, name

    dbt_run(env)  # defaults
    rows = query(
        env,
        "select detection, subject_type, subject, log_ids from auth0_analytics.auth0__detections",
    )
    assert_planted_found(logs, findings(rows))


@pytest.mark.xdist_group("planted-run")
def test_allow_lists_and_the_longest_burst_are_vars(planted_run):
    logs, env = planted_run
    attacks = {attack.kind: attack for attack in logs.attacks}
    # The stuffing's address exactly, the spraying's by a range of 4 around it.
    spraying_range = ipaddress.ip_network(f"{attacks['password_spraying'].ip}/30", strict=False)
    assert ipaddress.ip_address(attacks["brute_force"].ip) not in spraying_range
    allowed = [attacks["credential_stuffing"].ip, str(spraying_range)]
    dbt_run(env, allowed_ips=allowed)
    found = {d for (d,) in query(env, "select detection from auth0_analytics.auth0__detections")}
    assert not found & {"credential_stuffing", "password_spraying"}
    assert "brute_force" in found
    # Bursts cut every 18 s: the brute force's 12 failures (over a minute) are no longer one.
    dbt_run(env, burst_max_hours=0.005)
    found = {d for (d,) in query(env, "select detection from auth0_analytics.auth0__detections")}
    assert "brute_force" not in found
    dbt_run(env)  # defaults again


def test_what_real_tenants_do_that_looks_like_an_attack_yields_no_finding(
    installed, make_tenant, tmp_path
):
    # About 11 hours of a busy tenant's ordinary traffic, and what real tenants do besides: an
    # office's NAT (60 colleagues, 6 mistyping once), an app polling silent authentication with
    # an expired session, someone who mistypes four times then gets in, a launch's signups, a
    # flight from Berlin to Lagos.
    looks = tuple(
        Attack(kind, at)
        for kind, at in zip(LOOK_ALIKES, (300, 4100, 5300, 5400, 6000), strict=True)
    )
    tenant = make_tenant(TenantLogs(count=20_000, attacks=looks))
    env = duckdb_env(tmp_path, tenant)

    build(env)

    assert query(env, "select count(*) from auth0_analytics.auth0__events") == [(20_000,)]
    assert (
        query(
            env,
            "select detection, description from auth0_analytics.auth0__detections"
            " where severity <> 'low'",
        )
        == []
    )


def test_a_finding_keeps_its_id_and_first_detection_as_it_grows_and_as_thresholds_change(
    installed, make_tenant, tmp_path
):
    logs = TenantLogs(count=3000, attacks=(Attack("brute_force", 1200),))
    tenant = make_tenant(logs)
    env = duckdb_env(tmp_path, tenant)
    build(env)
    sql = (
        "select finding_id, first_detected_at, events, description, mitre_technique "
        "from auth0_analytics.auth0__detections where detection = 'brute_force'"
    )
    [(finding_id, _, events, description, technique)] = query(env, sql)
    assert technique == "T1110.001"
    assert description.startswith(f"{events} wrong passwords for ")
    assert description.endswith(" minute") or description.endswith(" minutes")
    with duckdb.connect(env["DBT_DUCKDB_PATH"]) as db:
        # As if the build before had seen only the burst's first failures: the next build
        # finds it grown, and it is still the same finding, first detected then.
        db.execute(
            "update auth0_analytics.auth0__detections set events = 3, "
            "first_detected_at = timestamp '2026-01-01 00:00:00' where finding_id = ?",
            [finding_id],
        )
    meltano(["invoke", "dbt-duckdb", "run", "--select", "auth0__detections"], env)
    [(same_id, kept, grown, _, _)] = query(env, sql)
    assert (same_id, str(kept), grown) == (finding_id, "2026-01-01 00:00:00", events)

    # A threshold raised past the finding: what was alerted stays, with its first detection.
    raised = json.dumps({"brute_force_min_failures": 100})
    meltano(["invoke", "dbt-duckdb", "run", "--select", "auth0__detections", "--vars", raised], env)
    assert query(env, sql)[0][:2] == (finding_id, kept)
    # An alerter's question: what is new since its last run? Nothing.
    assert query(
        env,
        "select count(*) from auth0_analytics.auth0__detections "
        "where first_detected_at > timestamp '2026-06-01 00:00:00' and detection = 'brute_force'",
    ) == [(0,)]


def validate_ocsf(rows: list[tuple[int, str]]) -> Counter[int]:
    """Validate each (class_uid, event JSON) with ocsf-emitter; count them by class."""
    valid: Counter[int] = Counter()
    for class_uid, text in rows:
        event = json.loads(text)
        validate(OCSF_CLASSES[class_uid].model_validate(event))
        assert event["class_uid"] == class_uid
        assert event["metadata"]["version"] == "1.5.0"
        valid[class_uid] += 1
    return valid


@pytest.mark.xdist_group("planted-run")
def test_every_ocsf_row_of_every_class_is_valid_ocsf_1_5(planted_run):
    """Against OCSF's own 1.5.0 schema (ocsf-json-schema), and ocsf-emitter's models."""
    _, env = planted_run
    rows = query(env, ALL_OCSF)

    checked, failures = check(loads(rows), "1.5.0")
    valid = validate_ocsf(rows)

    assert failures == []
    assert set(checked) == {3001, 3002, 6003, 2004}
    assert checked == valid
    covered = query(
        env, "select count(*) from auth0_analytics.auth0__events where ocsf_class_uid is not null"
    )
    detections = query(env, "select count(*) from auth0_analytics.auth0__detections")
    assert sum(valid.values()) == covered[0][0] + detections[0][0]
    assert [path for event in loads(rows) for path in empty_objects(event)] == []
    # The Management API changes name who made them and what they called.
    changes = [json.loads(text) for class_uid, text in rows if class_uid == 6003]
    admin = [
        e for e in changes if e["actor"].get("user", {}).get("email_addr") == "admin@example.com"
    ]
    # A machine client's change (Terraform, a provisioning backend) names the application.
    machines = [e for e in changes if "user" not in e["actor"]]
    assert machines
    assert all(e["actor"]["app_uid"] for e in machines)
    assert {e["api"]["operation"].split(" ")[0] for e in admin} == {"POST", "PATCH"}
    assert {e["activity_id"] for e in admin} == {1, 3}  # create, update
    # The validators are not rubber stamps: a broken event fails them.
    broken = json.loads(next(text for class_uid, text in rows if class_uid == 3002))
    broken["type_uid"] = 300201 if broken["activity_id"] != 1 else 300202
    with pytest.raises(InvalidFindingError):
        validate(models.Authentication.model_validate(broken))
    del broken["user"]
    with pytest.raises(Exception, match="user"):
        models.Authentication.model_validate(broken)
    assert check([broken], "1.5.0")[1]  # `user` is required
    pseudonymised = json.loads(next(text for class_uid, text in rows if class_uid == 3002))
    pseudonymised["src_endpoint"] = {"ip": "hmac-sha256:1:" + "0" * 64}
    assert check([pseudonymised], "1.5.0")[1]  # an ip_t holds an address
    pseudonymised["src_endpoint"] = {}
    assert check([pseudonymised], "1.5.0")[1]  # an endpoint holds at least one of its ids


@pytest.mark.xdist_group("planted-run")
def test_the_ocsf_rows_say_what_happened(planted_run):
    """OCSF's classes and activities for what each is, not the nearest name (docs/ocsf-mapping.md)."""
    _, env = planted_run
    rows = query(
        env,
        "select e.type, cast(o.ocsf as varchar) from auth0_analytics.auth0__ocsf o"
        " join auth0_analytics.auth0__events e using (log_id)",
    )
    by_type: dict[str, list[dict[str, Any]]] = {}
    for code, text in rows:
        by_type.setdefault(code, []).append(json.loads(text))

    def one(code: str) -> dict[str, Any]:
        return by_type[code][0]

    # OAuth 2.0 token exchanges are not Kerberos tickets (activities 3 to 5).
    for code in ("seacft", "seccft"):
        exchange = one(code)
        assert (exchange["activity_id"], exchange["activity_name"]) == (99, "Token Exchange")
        assert (exchange["auth_protocol_id"], exchange["auth_protocol"]) == (6, "OAUTH 2.0")
    assert {
        e["activity_id"] for events in by_type.values() for e in events if e["class_uid"] == 3002
    } <= {1, 2, 99}
    # An MFA challenge sent is a step, not a success; is_mfa only where the log is about MFA.
    push = one("gd_send_pn")
    assert (push["status_id"], push["activity_name"], push["is_mfa"]) == (
        99,
        "MFA Challenge Sent",
        True,
    )
    assert all("is_mfa" not in e for e in by_type["s"] + by_type["fp"])
    assert one("gd_auth_rejected")["status_id"] == 2
    # What matters most has a class: breached passwords and Auth0's blocks.
    leak = one("pwd_leak")
    assert (leak["class_uid"], leak["activity_id"], leak["status_id"], leak["severity_id"]) == (
        3002,
        1,
        2,
        4,
    )
    assert (one("limit_wc")["class_uid"], one("limit_wc")["activity_name"]) == (3001, "Lock")
    # Only what the class defines; the tenant; what the Management API answered and touched.
    assert not [
        e
        for events in by_type.values()
        for e in events
        if e["class_uid"] != 3002 and "session" in e
    ]
    assert not [e for e in by_type["ss"] if "dst_endpoint" in e]
    # The tenant the events were loaded from (the tap's `tenant`, the host of its Management API
    # identifier), even where Auth0's `tenant_name` is missing.
    host = env["TAP_AUTH0_LOGS_DOMAIN"].split("://")[1]
    assert {e["metadata"]["tenant_uid"] for events in by_type.values() for e in events} == {host}
    unnamed = query(
        env, "select count(*) from auth0_analytics.auth0__events where tenant_name is null"
    )
    assert unnamed[0][0] > 0  # events Auth0 did not name the tenant of: they have it all the same
    calls = by_type["sapi"]
    assert all(call["http_response"]["code"] in {200, 201, 204} for call in calls)
    assert {r["type"] for call in calls for r in call["resources"]} >= {"users"}
    # Codes the fake tenant does not plant, classified in the seed.
    seed = query(
        env,
        "select code, ocsf_class_uid, ocsf_activity_id, ocsf_activity_name, ocsf_auth_protocol_id"
        " from auth0_analytics.auth0__event_types"
        " where code in ('srrt', 'sertft', 'limit_mu', 'signup_pwd_leak', 'reset_pwd_leak', 'limit_sul')",
    )
    assert sorted(seed) == [
        ("limit_mu", 3002, 1, None, None),
        ("limit_sul", 3001, 9, None, None),
        ("reset_pwd_leak", 3001, 4, None, None),
        ("sertft", 3002, 99, "Refresh Token Exchange", 6),
        ("signup_pwd_leak", 3001, 1, None, None),
        ("srrt", 3002, 2, None, 6),  # a revoked refresh token ends its grant: Logoff
    ]
    # Every finding as a Detection Finding, with its stable id and the logs it rests on.
    detections = query(env, "select finding_id, log_ids from auth0_analytics.auth0__detections")
    found = {
        event["finding_info"]["uid"]: event
        for event in loads(
            query(env, "select cast(ocsf as varchar) from auth0_analytics.auth0__ocsf_findings")
        )
    }
    assert set(found) == {finding_id for finding_id, _ in detections}
    for finding_id, log_ids in detections:
        assert found[finding_id]["evidences"][0]["data"]["auth0_log_ids"] == list(log_ids)


@pytest.mark.xdist_group("planted-run")
def test_the_export_writes_security_lake_parquet_and_json_lines_in_both_versions(
    planted_run, tmp_path
):
    """`dbt-duckdb:export-ocsf`: what it writes is valid in its version and the same in both forms."""
    _, env = planted_run
    total = query(env, f"select class_uid, count(*) from ({ALL_OCSF}) group by 1")
    places = {"1.5.0": [], "1.1.0": ["--region", "eu-west-1", "--account", "123456789012"]}
    for version, place in places.items():
        out = tmp_path / "ocsf"
        region, account = (place[1], place[3]) if place else ("us-east-1", "000000000000")
        export = ["invoke", "dbt-duckdb:export-ocsf", "--ocsf-version", version, *place]
        said = meltano([*export, "--out", str(out)], env).stdout
        assert f"Written under {out / version}/: security-lake/ (Parquet), jsonl/" in said
        lines: list[dict[str, Any]] = []
        for name in ("authentication", "account-change", "api-activity", "detection-finding"):
            events = [
                json.loads(line)
                for line in (out / version / "jsonl" / f"{name}.jsonl").read_text().splitlines()
            ]
            assert len({e["class_uid"] for e in events}) == 1  # one class a file, one a source
            source = out / version / "security-lake" / "ext" / f"auth0-{name}"
            files = sorted(source.glob(f"region={region}/accountId={account}/eventDay=*/*.parquet"))
            assert files, source
            assert sorted(files) == sorted(p for p in source.rglob("*") if p.is_file())
            parquet = []
            with duckdb.connect() as db:
                for path in files:
                    day = path.parent.name.removeprefix("eventDay=")
                    typed = db.sql(
                        f"describe select * from read_parquet('{path}', hive_partitioning=false)"
                    )
                    assert "JSON" not in {kind for _, kind, *_ in typed.fetchall()}  # typed columns
                    codecs = db.sql(f"select distinct compression from parquet_metadata('{path}')")
                    assert codecs.fetchall() == [("ZSTD",)]
                    rows = db.sql(
                        f"select to_json(t) from read_parquet('{path}', hive_partitioning=false) t"
                    ).fetchall()
                    part = [without_nulls(json.loads(text)) for (text,) in rows]
                    assert [e["time"] for e in part] == sorted(e["time"] for e in part)
                    assert {
                        datetime.fromtimestamp(e["time"] / 1000, UTC).strftime("%Y%m%d")
                        for e in part
                    } == {day}
                    parquet += part
            assert parquet == events  # row for row, the same events
            lines += events
        checked, failures = check(lines, version)
        assert failures == []
        assert sorted(checked.items()) == sorted(total)  # every row of every class
        if version == "1.5.0":  # the table's own events, as they are

            def uid(event: dict[str, Any]) -> str:
                return str(event["metadata"]["uid"])

            assert sorted(lines, key=uid) == sorted(loads(query(env, ALL_OCSF)), key=uid)


def without_nulls(value: Any) -> Any:
    """A Parquet row read back as JSON, without the nulls of its fixed schema."""
    if isinstance(value, dict):
        kept = {key: without_nulls(item) for key, item in value.items() if item is not None}
        return {key: item for key, item in kept.items() if item != {}}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def test_pseudonymised_addresses_go_only_where_their_type_allows(installed, make_tenant, tmp_path):
    tenant = make_tenant(TenantLogs(count=1500, attacks=PLANTED[:3]))
    env = {
        **duckdb_env(tmp_path, tenant),
        "TAP_AUTH0_LOGS_PSEUDONYMIZE_KEY": "k3y-kept-apart-from-the-data",
    }

    build(env)

    events = loads(query(env, ALL_OCSF))
    assert check(events, "1.5.0")[1] == []
    endpoints = [e["src_endpoint"] for e in events if "src_endpoint" in e]
    assert endpoints
    assert not [point for point in endpoints if "ip" in point]  # every address is a pseudonym
    assert all(point["uid"].startswith("hmac-sha256:1:") for point in endpoints if "uid" in point)
    users = [e["user"] for e in events if "user" in e]
    assert not [user for user in users if "email_addr" in user]
    assert any(user["name"].startswith("hmac-sha256:1:") for user in users if "name" in user)


def test_a_second_build_transforms_only_new_logs_and_brings_in_late_ones(
    installed, make_tenant, tmp_path
):
    tenant = make_tenant(TenantLogs(count=1500))
    env = duckdb_env(tmp_path, tenant)
    build(env)
    ids = tenant.logs.ids()
    with duckdb.connect(env["DBT_DUCKDB_PATH"]) as db:
        # A mark a rebuild would wipe out, and an older log taken out as if it arrived late.
        db.execute(
            "update auth0_analytics.auth0__events set city = 'kept' where log_id = ?", [ids[10]]
        )
        db.execute("delete from auth0_analytics.auth0__events where log_id = ?", [ids[20]])
        db.execute("delete from auth0_analytics.auth0__ocsf where log_id = ?", [ids[20]])

    tenant.logs.count += 500
    build(env)

    events = query(env, "select log_id, city from auth0_analytics.auth0__events")
    assert sorted(log_id for log_id, _ in events) == tenant.logs.ids()  # each once, none missing
    assert dict(events)[ids[10]] == "kept"  # not rebuilt: the second build read only new logs
    ocsf = query(env, "select count(*), count(distinct log_id) from auth0_analytics.auth0__ocsf")
    covered = query(
        env, "select count(*) from auth0_analytics.auth0__events where ocsf_class_uid is not null"
    )
    assert ocsf == [(covered[0][0], covered[0][0])]

    # The package's own data tests are live: a duplicate log fails `dbt test`.
    with duckdb.connect(env["DBT_DUCKDB_PATH"]) as db:
        db.execute(
            "insert into auth0_analytics.auth0__events select * from auth0_analytics.auth0__events limit 1"
        )
    with pytest.raises(AssertionError, match="unique_auth0__events_tenant_log_id"):
        meltano(["invoke", "dbt-duckdb", "test", "--select", "auth0__events"], env)


def test_copies_of_a_log_become_one_event_and_a_code_the_seed_learns_is_classified_next_build(
    installed, make_tenant, tmp_path
):
    tenant = make_tenant(TenantLogs(count=1500))
    env = duckdb_env(tmp_path, tenant)
    build(env)
    ids = tenant.logs.ids()
    with duckdb.connect(env["DBT_DUCKDB_PATH"]) as db:
        # Events built before the seed knew their code: `other`, and outside OCSF.
        row = db.sql(
            "select type from auth0_analytics.auth0__events where category = 'login' limit 1"
        ).fetchone()
        assert row is not None
        code = row[0]
        db.execute(
            "update auth0_analytics.auth0__events set category = 'other', outcome = 'other', "
            "ocsf_class_uid = null, ocsf_activity_id = null where type = ?",
            [code],
        )
        db.execute(
            "delete from auth0_analytics.auth0__ocsf where log_id in "
            "(select log_id from auth0_analytics.auth0__events where type = ?)",
            [code],
        )
        # Logs a loader wrote twice (Airbyte's append mode, a page repeated after a crash),
        # arriving in one batch; and a code no seed knows yet.
        db.execute("delete from auth0_analytics.auth0__events where log_id in (?, ?, ?)", ids[:3])
        db.execute(
            "create table auth0.logs_appended as select * from auth0.logs union all "
            "select * from auth0.logs where log_id in (?, ?, ?) union all "
            "select * replace ('zz_new_code' as type, log_id || '-new' as log_id) "
            "from auth0.logs where log_id = ?",
            [*ids[:3], ids[5]],
        )
    done = meltano(
        ["invoke", "dbt-duckdb", "build", "--vars", '{"auth0_logs_table": "logs_appended"}'],
        env,
    )

    events = query(env, "select log_id from auth0_analytics.auth0__events")
    assert sorted(log_id for (log_id,) in events) == sorted([*ids, ids[5] + "-new"])
    classes = query(
        env,
        "select distinct category, ocsf_class_uid from auth0_analytics.auth0__events "
        f"where type = '{code}'",
    )
    assert classes == [("login", 3002)]
    in_ocsf = query(
        env,
        "select count(*) from auth0_analytics.auth0__ocsf as o join "
        "auth0_analytics.auth0__events as e using (log_id) "
        f"where e.type = '{code}'",
    )
    assert in_ocsf[0][0] > 0
    # The unknown code is named by a warning, not a failure.
    assert "assert_every_event_type_is_known" in done.stdout
    assert "WARN" in done.stdout


def test_postgres_pipeline_finds_the_planted_attacks_and_writes_valid_ocsf(
    meltano_env, make_tenant, postgres, tmp_path
):
    logs = TenantLogs(count=PLANTED_LOGS, attacks=PLANTED)
    tenant = make_tenant(logs)
    psql(postgres, "postgres", "create database auth0_analytics_test")
    env = {
        **meltano_env,
        **tenant_env(tenant),
        **postgres_settings(postgres, "auth0_analytics_test"),  # the loader's: dbt reads them too
    }

    checked = meltano(
        ["run", "dbt-postgres:check", "tap-auth0-logs", "target-postgres", "dbt-postgres:build"],
        env,
    )
    assert "PostgreSQL settings: complete, and the database answers." in checked.stderr

    def select(sql: str) -> list[str]:
        return psql(postgres, "auth0_analytics_test", sql).splitlines()

    rows = [
        line.split("\x1f")
        for line in select(
            "select detection || chr(31) || subject_type || chr(31) || subject || chr(31)"
            " || array_to_string(log_ids, ',') from auth0_analytics.auth0__detections"
        )
    ]
    assert_planted_found(logs, findings([(d, t, s, ids.split(",")) for d, t, s, ids in rows]))
    ocsf = [
        json.loads(line)
        for line in select(
            "select ocsf::text from auth0_analytics.auth0__ocsf union all"
            " select ocsf::text from auth0_analytics.auth0__ocsf_findings"
        )
    ]
    valid = validate_ocsf([(event["class_uid"], json.dumps(event)) for event in ocsf])
    assert set(valid) == {3001, 3002, 6003, 2004}
    assert check(ocsf, "1.5.0") == (valid, [])
    assert [path for event in ocsf for path in empty_objects(event)] == []
    assert select("select count(*) from auth0_analytics.auth0__events") == [str(PLANTED_LOGS)]
    daily = select("select sum(logins + failed_logins) from auth0_analytics.auth0__daily_activity")
    logins = sum(
        1
        for log in logs.kept()
        if log["type"] in {"s", "ssa", "f", "fp", "fu", "fsa"}  # the families' logins here
    )
    assert daily == [str(logins)]


@pytest.mark.parametrize("missing", ["TARGET_POSTGRES_USER", "TARGET_POSTGRES_DATABASE"])
def test_a_missing_postgres_setting_is_one_line_before_anything_runs(
    installed, make_tenant, tmp_path, missing
):
    tenant = make_tenant(TenantLogs(count=100))
    settings = {
        "TARGET_POSTGRES_HOST": "127.0.0.1",
        "TARGET_POSTGRES_USER": "auth0",
        "TARGET_POSTGRES_PASSWORD": "a-password",
        "TARGET_POSTGRES_DATABASE": "auth0_logs",
    }
    del settings[missing]
    env = {**meltano_environment(tmp_path), **tenant_env(tenant), **settings}
    env = {k: v for k, v in env.items() if k != missing}

    done = subprocess.run(
        [*MELTANO_COMMAND, "run", "dbt-postgres:check", "tap-auth0-logs", "target-postgres"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode != 0
    said = [line for line in done.stderr.splitlines() if "PostgreSQL setting" in line]
    assert len(said) == 1
    assert f"missing: {missing} (" in said[0]
    assert "meltano config set --store=dotenv target-postgres" in said[0]
    assert "Traceback" not in done.stdout + done.stderr
    assert "a-password" not in done.stdout + done.stderr
    assert tenant.api_requests() == []  # nothing was extracted


def test_a_zoned_date_is_read_as_utc_whatever_the_session_zone(installed, tmp_path):
    # A loader that writes `date` as a zoned timestamp, and dbt running in New York.
    database = tmp_path / "zoned.duckdb"
    with duckdb.connect(str(database)) as db:
        db.execute("create schema auth0")
        db.execute(
            "create table auth0.logs (log_id varchar, date timestamptz, type varchar,"
            " user_id varchar, client_id varchar)"
        )
        db.execute(
            "insert into auth0.logs values ('1', timestamptz '2026-11-01 00:00:00+00', 's', 'u', 'c')"
        )
    env = {
        **meltano_environment(tmp_path),
        "TZ": "America/New_York",
        "DBT_DUCKDB_PATH": str(database),
    }

    meltano(["invoke", "dbt-duckdb", "build"], env)

    with duckdb.connect(str(database), read_only=True) as db:
        occurred = db.sql("select occurred_at from auth0_analytics.auth0__events").fetchall()
    assert occurred == [(datetime(2026, 11, 1, 0, 0),)]

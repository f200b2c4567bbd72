"""The fake tenant's planted attacks, and its ordinary traffic that no detection may flag."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest

from tap_auth0_logs.testing import ATTACKS, LOOK_ALIKES, Attack, TenantLogs
from tap_auth0_logs.testing.__main__ import main as serve
from tap_auth0_logs.testing.attacks import SUSPICIOUS_IP_THROTTLING
from tap_auth0_logs.testing.day import AUTOMATION_CLIENTS, CARRIER, SCHOOL, VPN_EXIT

ROOT = Path(__file__).resolve().parent.parent


def test_ordinary_traffic_has_no_attack_signals_and_people_log_in_from_home():
    logs = TenantLogs(count=6000)
    kept = logs.kept()

    # Nobody rejects a push; a breached password is one person's, let through (monitoring).
    assert "gd_auth_rejected" not in {log["type"] for log in kept}
    leaks = [log for log in kept if log["type"] == "pwd_leak"]
    assert len({log["ip"] for log in leaks}) == len(leaks)
    cities: dict[str, set[str]] = defaultdict(set)
    for log in kept:  # from home, but through the company's VPN
        if log.get("location_info") and log.get("user_id") and log["ip"] != VPN_EXIT[0]:
            cities[log["user_id"]].add(log["location_info"]["city_name"])
    assert len(cities) > 150
    assert all(len(places) == 1 for places in cities.values())
    assert len({next(iter(places)) for places in cities.values()}) > 3  # homes differ
    assert logs.planted() == []


def test_planted_attacks_are_deterministic_and_hidden_among_ordinary_logs():
    attacks = tuple(Attack(kind, 100 + 600 * i) for i, kind in enumerate(ATTACKS))
    logs = TenantLogs(count=11_000, attacks=attacks)
    again = TenantLogs(count=11_000, attacks=attacks)

    assert logs.kept() == again.kept()
    assert [f.detection for f in logs.planted()] == [a.finding().detection for a in logs.attacks]
    assert len(logs.planted()) == len(ATTACKS)
    brute = logs.attacks[0]
    planted = [logs.log(brute.at + offset) for offset, _ in brute.steps()]
    assert [log["type"] for log in planted] == ["fp"] * 12 + ["limit_wc"]
    assert {log["ip"] for log in planted} == {brute.ip}
    assert {log["user_id"] for log in planted} == {brute.finding().subject}
    # Ordinary logs in between: the attack is not a contiguous block.
    between = logs.log(brute.at + 1)
    assert between["ip"] != brute.ip
    travel = logs.attacks[4]
    first, second = (logs.log(travel.at + offset) for offset, _ in travel.steps())
    assert first["location_info"]["city_name"] != second["location_info"]["city_name"]
    change = logs.log(attacks[6].at)
    assert change["type"] == "sapi"
    assert change["details"]["request"]["auth"]["user"]["user_id"] == logs.planted()[6].subject


def test_the_everyday_day_holds_auth0s_documented_flows_deterministically():
    logs = TenantLogs(count=60_000)
    kept = logs.kept()
    codes = {log["type"] for log in kept}
    known = {
        line.split(",", 1)[0]
        for line in (ROOT / "transform" / "seeds" / "auth0__event_types.csv")
        .read_text()
        .splitlines()
    }

    # Resets after failures and Auth0's blocks, step-up and passwordless MFA, token rotation,
    # machine clients and forms through the Management API: every code one Auth0 documents.
    assert {"scpr", "scp", "limit_wc", "limit_mu", "gd_send_pn", "gd_auth_succeed", "cls",
            "sertft", "ferrt", "sapi", "mgmt_api_read", "gd_enrollment_complete"} <= codes  # fmt: skip
    assert codes - known == {"x_new_event_2027"}
    denied = [log for log in kept if log["type"] == "f" and log.get("organization_id")]
    assert denied
    assert all(log["description"].startswith("Access denied: ") for log in denied)
    machine = [log for log in kept if log["type"] in {"sapi", "mgmt_api_read"}]
    assert {log["client_id"] for log in machine} >= set(AUTOMATION_CLIENTS)
    reads = [log for log in machine if log["type"] == "mgmt_api_read"]
    assert all(log["details"]["accessedSecrets"] == ["client_secret"] for log in reads)
    forms = [log for log in machine if log["details"]["request"]["path"].endswith("/bot-detection")]
    assert forms
    assert all(log["details"]["response"]["body"]["policy"] == "when_risky" for log in forms)
    # Blocks lifted by the help desk, codes blocked until the clock is right, breached passwords
    # only watched, secrets rotated, members offboarded, clients registered dynamically.
    assert {"gd_otp_rate_limit_exceed", "pwd_leak", "gd_send_sms"} <= codes
    paths = {log["details"]["request"]["path"] for log in machine if log["type"] == "sapi"}
    assert any(path.startswith("/api/v2/user-blocks/") for path in paths)
    assert any(path.endswith("/rotate-secret") for path in paths)
    assert any(path.startswith("/api/v2/tenants/members/") for path in paths)
    assert "/oidc/register" in paths
    # Behind one address: the company's VPN exit, a school's class, a carrier's pool.
    addresses = Counter(log.get("ip") for log in kept if log["type"] == "s")
    assert addresses[VPN_EXIT[0]] >= 3
    assert addresses[SCHOOL] >= 20
    assert any(log["ip"].startswith(f"{CARRIER}.") for log in kept if log["type"] == "sertft")
    assert any(log.get("strategy") == "google-oauth2" for log in kept if log["type"] == "ss")
    # The morning rush: more people mistyping their names at 08:00 than at any other hour.
    typos = Counter(log["date"][11:13] for log in kept if log["type"] == "fu")
    assert typos.most_common(1)[0][0] == "08"
    # A pure function of seed and number: made again, or from its middle, the same logs.
    assert TenantLogs(count=60_000).kept() == kept
    assert TenantLogs(count=60_000, first_kept=20_000).kept() == kept[20_000:]
    # An attack planted over a flow replaces the flow, whole.
    planted = TenantLogs(count=40_000, attacks=(Attack("brute_force", 100),))
    numbers = {100 + offset for offset, _ in planted.attacks[0].steps()}
    assert all(planted.log(n)["type"] in {"fp", "limit_wc"} for n in numbers)


def test_an_attack_not_yet_served_is_not_expected():
    logs = TenantLogs(count=1000, attacks=(Attack("brute_force", 990),))

    assert logs.planted() == []
    logs.count = 1100
    assert [f.detection for f in logs.planted()] == ["brute_force"]


def test_planting_refuses_unknown_kinds_and_overlaps():
    with pytest.raises(ValueError, match="unknown attack"):
        Attack("phishing", 10)
    with pytest.raises(ValueError, match="overlap"):
        TenantLogs(attacks=(Attack("brute_force", 10), Attack("breached_password", 13)))
    with pytest.raises(ValueError, match="KIND@LOG_NUMBER"):
        Attack.parse("brute_force")
    assert Attack.parse("mfa_fatigue@42") == Attack("mfa_fatigue", 42)


def test_the_fake_tenant_command_refuses_a_bad_plant_in_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        serve(["--plant", "phishing@10"])

    assert exit_info.value.code == 2
    assert "unknown attack 'phishing'" in capsys.readouterr().err


def test_look_alikes_plant_what_real_tenants_do_and_no_finding_is_expected():
    looks = tuple(Attack(kind, 100 + 4000 * i) for i, kind in enumerate(LOOK_ALIKES))
    logs = TenantLogs(count=30_000, attacks=looks)
    assert logs.planted() == []  # nothing for a detection to report
    office = logs.attacks[0]
    planted = [logs.log(office.at + offset) for offset, _ in office.steps()]
    assert {log["ip"] for log in planted} == {office.ip}
    assert len({log["user_id"] for log in planted}) == 60
    assert [log["type"] for log in planted].count("fp") == 6
    polling = logs.attacks[1]
    assert {logs.log(polling.at + o)["type"] for o, _ in polling.steps()} == {"fsa"}
    with pytest.raises(ValueError, match="office"):
        Attack("no_such_kind", 1)


def test_the_attacks_on_settings_and_factors_carry_what_their_detections_read():
    attacks = tuple(Attack(kind, 100 + 600 * i) for i, kind in enumerate(ATTACKS))
    logs = TenantLogs(count=11_000, attacks=attacks)
    planted = {a.kind: [logs.log(a.at + o) for o, _ in a.steps()] for a in logs.attacks}

    weakened = [e["details"]["request"] for e in planted["security_weakened"]]
    assert [(r["method"], r["body"]) for r in weakened] == [
        ("patch", {**SUSPICIOUS_IP_THROTTLING, "enabled": False}),
        ("put", []),
        ("patch", {"status": "paused"}),
    ]
    takeover = planted["tenant_takeover"]
    assert [e["type"] for e in takeover] == ["sapi", "sapi", "mgmt_api_read"]
    assert takeover[2]["details"]["accessedSecrets"] == ["client_secret"]
    assert {e["details"]["request"]["auth"]["user"]["user_id"] for e in takeover} == {
        logs.attacks[ATTACKS.index("tenant_takeover")].finding().subject
    }
    # Brute-force protection left on, no longer blocking; risk assessment off where the
    # Dashboard turns it off; stuffing spread over 60 addresses, 2 unknown names each.
    [monitor] = planted["shields_without_block"]
    answer = monitor["details"]["response"]["body"]
    assert (answer["enabled"], answer["shields"]) == (True, ["user_notification"])
    [risk] = planted["risk_assessment_off"]
    assert risk["details"]["request"]["path"] == "/api/v2/risk-assessment/config"
    assert risk["details"]["response"]["body"] == {"AfterAuthentication": False}
    spread = Counter(e["ip"] for e in planted["distributed_stuffing"])
    assert len(spread) == 60
    assert set(spread.values()) == {2}
    assert {e["type"] for e in planted["distributed_stuffing"]} == {"fu"}
    surge = planted["block_surge"]
    assert len({e["ip"] for e in surge}) == len({e["user_id"] for e in surge}) == 30
    phones = {e["details"]["authenticator"]["phone_number"] for e in planted["shared_mfa_phone"]}
    assert len(phones) == 1
    assert len({e["user_id"] for e in planted["shared_mfa_phone"]}) == 4
    assert {e["type"] for e in planted["refresh_token_reuse"]} == {"ferrt"}


def test_a_traveller_lands_after_a_flight_an_airliner_can_make():
    traveller = Attack("traveller", 100)
    logs = TenantLogs(count=12_500, attacks=(traveller,))
    before, after, again = (logs.log(100 + offset) for offset, _ in traveller.steps())

    assert before["user_id"] == after["user_id"] == again["user_id"]
    assert [e["location_info"]["city_name"] for e in (before, after, again)] == [
        "Berlin",
        "Lagos",
        "Lagos",
    ]
    hours = (logs.ingested_at(100 + 12_000) - logs.ingested_at(100)).total_seconds() / 3600
    assert 4770 / hours < 1000  # km/h: slower than the detection's airliner
    mine = [e for e in logs.kept() if e.get("user_id") == before["user_id"]]
    assert len(mine) == 3  # no login at home between

"""Each detection on its rule's own trigger, and the look-alike beside it that must stay quiet.

Every rule docs/detection-coverage.md marks answered has its trigger here, written in our words
from the fields and values the rule reads, and an everyday event that looks like it. Beside them,
a real tenant's everyday flows that a naive rule calls an attack (`EVERYDAY`: none may be found
above low) and attacks a naive rule misses (`CAUGHT`: each found at its severity), each a case of
its own whose logs carry its name. All of them go into one small `auth0.logs` table (each with
its own users, addresses and actors), dbt runs once, and each case is one assertion on
`auth0__detections`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tap_auth0_logs.testing import ATTACKS, Attack, TenantLogs
from tap_auth0_logs.testing.day import AUTOMATION_CLIENTS
from tests.logs_table import write_logs

ROOT = Path(__file__).resolve().parent.parent
DBT = ROOT / ".meltano" / "utilities" / "dbt-duckdb" / "venv" / "bin" / "dbt"
START = datetime(2026, 3, 2, tzinfo=UTC)
TERRAFORM = "TfPr0viderAuth0M2M00000000000001"
DEPLOY_CLI = "DeployC1iM2M000000000000000000001"
EXPLORER = "ApiExp1orerC1ient000000000000001"
QA_HARNESS = "QaHarnessC1ient00000000000000001"
MANAGEMENT = "https://tenant.example.auth0.com/api/v2/"
WRONG = "Wrong email or password."
REUSED = "Unsuccessful Refresh Token exchange, reused refresh token detected"
VARS = {
    "automation_clients": [TERRAFORM, DEPLOY_CLI],
    "allowed_clients": [QA_HARNESS],
    "critical_clients": ["cl1"],
    "api_explorer_client": EXPLORER,
    "custom_domain": "login.example.com",
}

#: dbt from the project's Meltano plugins (installed once a run); the trigger table is built once,
#: on one worker (`found`), and the tests that build a warehouse of their own run beside it.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.usefixtures("installed"),
    pytest.mark.xdist_group("detections-triggers"),
]


class Day:
    """Log events in the tap's record shape, in the order they happen."""

    def __init__(self) -> None:
        self.logs: list[dict[str, Any]] = []
        self.case = ""  # the case the next logs belong to (not written to the table)

    def add(self, code: str, minute: float, **fields: Any) -> None:
        moment = START + timedelta(minutes=minute)
        number = len(self.logs)
        self.logs.append(
            {
                "log_id": f"900{moment:%Y%m%d%H%M%S}{number:012d}",
                "date": f"{moment:%Y-%m-%dT%H:%M:%S.%f}"[:-3] + "Z",
                "type": code,
                "hostname": "login.example.com",
                "tenant_name": "tenant",
                "case": self.case,
                **fields,
            }
        )

    def login(self, code: str, minute: float, user: str, ip: str, **fields: Any) -> None:
        fields.setdefault("user_id", user)
        fields.setdefault("user_name", f"{user}@example.com")
        self.add(code, minute, ip=ip, **fields)

    def api(
        self,
        minute: float,
        actor: str,
        method: str,
        path: str,
        body: Any,
        *,
        code: str = "sapi",
        machine: tuple[str, list[str]] | None = None,
        channel: str = "https://manage.auth0.com/",
        description: str = "",
        secrets: list[str] | None = None,
        answer: Any = None,
        ip: str = "192.0.2.10",
    ) -> None:
        """A Management API call by a Dashboard user `actor`, or by a machine client.

        The answer's body is `answer`, else the request's body (the state after a write).
        """
        auth: dict[str, Any] = {"strategy": "jwt"}
        if machine:
            auth["credentials"] = {"scopes": machine[1]}
            client = machine[0]
        else:
            auth["user"] = {"user_id": actor, "email": f"{actor}@example.com"}
            client = "G10ba1C1ientOfTheDashboard0000000"
        details: dict[str, Any] = {
            "request": {
                "method": method,
                "path": path,
                "body": body,
                "channel": channel,
                "auth": auth,
            },
            "response": {"statusCode": 200, "body": body if answer is None else answer},
        }
        if secrets:
            details["accessedSecrets"] = secrets
        self.add(
            code,
            minute,
            client_id=client,
            ip=ip,
            description=description,
            details=details,
        )


def settings_history(day: Day) -> None:
    """Attack protection and MFA settings changed over a day by different administrators."""
    bf = "/api/v2/attack-protection/brute-force-protection"
    base = {"enabled": True, "shields": ["block"], "allowlist": [], "max_attempts": 10}
    day.api(0, "adm-baseline", "patch", bf, base)
    day.api(30, "adm-resend", "patch", bf, base)  # a form resent unchanged
    day.api(100, "adm-threshold", "patch", bf, {**base, "max_attempts": 50})
    day.api(
        200,
        "adm-monitor",
        "patch",
        bf,
        {**base, "max_attempts": 50, "shields": ["user_notification"]},
    )
    day.api(300, "adm-switch-on", "patch", bf, {**base, "max_attempts": 50})  # blocking again
    day.api(
        400, "adm-allow", "patch", bf, {**base, "max_attempts": 50, "allowlist": ["198.51.100.7"]}
    )
    day.api(500, "adm-bf-off", "patch", bf, {**base, "enabled": False})
    bot = "/api/v2/attack-protection/bot-detection"
    off = {"policy": "off", "passwordless_policy": "off", "password_reset_policy": "off"}
    day.api(0, "adm-bot-off", "patch", bot, off)
    day.api(100, "adm-bot-on", "patch", bot, {**off, "policy": "when_risky"})  # on for passwords
    day.api(200, "adm-bot-flow", "patch", bot, off)
    day.api(0, "adm-mfa-all", "put", "/api/v2/guardian/policies", ["all-applications"])
    day.api(100, "adm-mfa-never", "put", "/api/v2/guardian/policies", [])
    day.api(0, "adm-sms-on", "put", "/api/v2/guardian/factors/sms", {"enabled": True})
    day.api(100, "adm-sms-off", "put", "/api/v2/guardian/factors/sms", {"enabled": False})
    risk = "/api/v2/risk-assessment/config"
    day.api(0, "adm-risk-on", "patch", risk, {"AfterAuthentication": True})
    day.api(100, "adm-risk-off", "patch", risk, {"AfterAuthentication": False})
    sit = "/api/v2/attack-protection/suspicious-ip-throttling"
    day.api(0, "adm-sit-off", "patch", sit, {"enabled": False, "shields": ["block"]})
    bpd = "/api/v2/attack-protection/breached-password-detection"
    day.api(0, "adm-bpd-on", "patch", bpd, {"enabled": True, "shields": ["block"]})
    day.api(
        100, "adm-bpd-monitor", "patch", bpd, {"enabled": True, "shields": ["admin_notification"]}
    )
    day.api(0, "adm-stream", "patch", "/api/v2/log-streams/lst_1", {"status": "paused"})


def tenant_and_applications(day: Day) -> None:
    grant = {"client_id": "cl1", "audience": MANAGEMENT, "scope": ["read:users", "delete:users"]}
    day.api(600, "adm-grant", "post", "/api/v2/client-grants", grant)
    day.api(
        600,
        TERRAFORM,
        "patch",
        "/api/v2/client-grants/cgr_1",
        grant,
        machine=(TERRAFORM, ["update:client_grants"] * 30),
    )
    day.api(
        700,
        "adm-secret",
        "get",
        "/api/v2/clients/cl1",
        {},
        code="mgmt_api_read",
        secrets=["client_secret"],
        description="Get client by ID",
    )
    day.api(
        700,
        TERRAFORM,
        "get",
        "/api/v2/clients/cl2",
        {},
        code="mgmt_api_read",
        secrets=["client_secret"],
        machine=(TERRAFORM, ["read:client_keys"]),
    )
    owner_at_work = {"owners": ["m@example.net"], "roles": ["owner"]}
    day.api(800, "adm-invite", "post", "/api/v2/tenants/invitations", owner_at_work)
    editor = {"owners": ["e@example.net"], "roles": ["editor"]}
    day.api(800, "adm-invite-editor", "post", "/api/v2/tenants/invitations", editor)
    day.api(800, "adm-remove", "delete", "/api/v2/tenants/members/u1", {})
    owner = {"owners": ["new-owner@gmail.com"], "roles": ["owner"]}
    day.api(850, "adm-takeover", "post", "/api/v2/tenants/invitations", owner)
    for k in range(2):  # the catalog's takeover: an owner invited, then other members removed
        day.api(852 + k, "adm-takeover", "delete", f"/api/v2/tenants/members/m{k}", {})
    day.api(
        900,
        "adm-org",
        "post",
        "/api/v2/organizations/org_1/invitations",
        {"invitee": {"email": "x@example.org"}},
    )
    many = [f"read:scope{k}" for k in range(12)]
    day.api(
        900,
        "m2m-broad",
        "patch",
        "/api/v2/users/u2",
        {},
        machine=("BroadM2MClient000000000000000001", many),
    )
    day.api(
        900,
        "m2m-sensitive",
        "delete",
        "/api/v2/users/u4",
        {},
        machine=("SensitiveM2MClient00000000000001", ["read:users", "delete:users"]),
    )
    day.api(
        900,
        "m2m-narrow",
        "patch",
        "/api/v2/users/u3",
        {},
        machine=("NarrowM2MClient00000000000000001", ["read:users"]),
    )
    link = ("SpaClientWithDelegatedToken00001", ["update:current_user_identities"])
    database = "Username-Password-Authentication"
    day.api(  # the victim's account now holds the attacker's identity of the same connection
        1000,
        "victim",
        "post",
        "/api/v2/users/auth0|victim/identities",
        {"link_with": "jwt"},
        machine=link,
        channel="api",
        answer=[{"connection": database, "user_id": "victim"},
                {"connection": database, "user_id": "attacker"}],
    )  # fmt: skip
    day.api(
        1000,
        "adm-link",
        "post",
        "/api/v2/users/auth0|mine/identities",
        {"provider": "google-oauth2"},
    )
    for k in range(3):
        day.api(
            1100 + k,
            "dcr",
            "post",
            "/oidc/register",
            {},
            machine=("dcr", []),
            description="Dynamic client registration",
        )
    for k in range(10):
        day.api(
            1400 + k,
            "dcr",
            "post",
            "/oidc/register",
            {},
            machine=("dcr", []),
            description="Dynamic client registration",
        )
    cors = {"client_id": "cl-cors", "cross_origin_authentication": True}
    day.api(1200, "adm-cors", "patch", "/api/v2/clients/cl-cors", cors)
    day.api(1260, "adm-cors-resend", "patch", "/api/v2/clients/cl-cors", cors)  # as it was
    secure = {"client_id": "cl-grants", "grant_types": ["authorization_code", "refresh_token"]}
    day.api(1200, "adm-grants-before", "patch", "/api/v2/clients/cl-grants", secure)
    insecure = {**secure, "grant_types": ["authorization_code", "refresh_token", "password"]}
    day.api(1260, "adm-grants", "patch", "/api/v2/clients/cl-grants", insecure)
    day.add("seccft", 1500, client_id=EXPLORER, ip="192.0.2.77", audience=MANAGEMENT)
    day.add("seccft", 1500, client_id="OtherM2M", ip="192.0.2.78", audience=MANAGEMENT)  # fmt: skip


def logins(day: Day) -> None:
    wrong = "Wrong email or password."
    for k in range(10):  # brute force, and a forgotten password that ends in a reset
        day.login("fp", 2000 + k * 0.2, "u-brute", "203.0.113.1", description=wrong)
        day.login("fp", 2000 + k * 0.2, "u-forgot", "198.51.100.20", description=wrong)
    day.login("scp", 2010, "u-forgot", "198.51.100.20")
    day.login("s", 2011, "u-forgot", "198.51.100.20")
    for k in range(25):  # stuffing, and an Action denying an organization's office
        day.add(
            "fu",
            2100 + k * 0.2,
            user_name=f"leak{k}@example.org",
            ip="203.0.113.2",
            description=wrong,
        )
        day.login(
            "f",
            2100 + k * 0.2,
            f"u-org{k}",
            "198.51.100.21",
            description="Access denied: your plan has expired",
        )
        day.add(
            "fcoa",
            2200 + k * 0.2,
            user_name=f"cic{k}@example.org",
            ip="203.0.113.12",
            description=wrong,
        )
    day.login("s", 2106, "u-stuffed", "203.0.113.2")  # the attacker got in
    day.add("limit_mu", 2300, ip="198.51.100.22", description="Blocked IP Address")
    day.login("s", 2310, "u-colleague", "198.51.100.22")  # a colleague behind the office's NAT
    for k in range(60):  # distributed stuffing: 30 addresses, 2 unknown names each
        day.add(
            "fu",
            2400 + k * 0.15,
            user_name=f"combo{k}@example.org",
            ip=f"100.64.0.{k % 30}",
            description=wrong,
        )
    for k in range(6):  # MFA pushes not approved, and step-up MFA approving each
        day.login("gd_send_pn", 2500 + k, "u-pushed", "203.0.113.3")
        day.login("gd_send_pn", 2500 + k, "u-stepup", "198.51.100.23")
        day.login("gd_auth_succeed", 2500.2 + k, "u-stepup", "198.51.100.23")
    day.login("sertft", 2600, "u-tabs", "198.51.100.24")
    day.login(
        "ferrt",
        2600.1,
        "u-tabs",
        "198.51.100.24",
        description="Unsuccessful Refresh Token exchange, reused refresh token detected",
    )
    for k in range(3):
        day.login(
            "ferrt",
            2600 + k,
            "u-stolen",
            "203.0.113.4",
            description="Unsuccessful Refresh Token exchange, reused refresh token detected",
        )
    for k in range(5):  # one refresh token family exchanged from five networks
        day.login(
            "sertft", 2750 + k, "u-places", f"{100 + k}.67.0.9", details={"familyId": "fam-places"}
        )
    for k in range(5):  # and one from five addresses of one carrier's pool
        day.login(
            "sertft", 2750 + k, "u-carrier", f"100.68.{k}.9", details={"familyId": "fam-carrier"}
        )
    for k, agent in enumerate(("Chrome 1", "Firefox 2", "curl 8")):
        day.login(
            "sertft",
            2700 + k,
            "u-spread",
            "198.51.100.25",
            user_agent=agent,
            details={"familyId": "fam-spread"},
        )
        day.login(
            "sertft",
            2700 + k,
            "u-family",
            "198.51.100.26",
            user_agent="Chrome 1",
            details={"familyId": "fam-one"},
        )
    for account, phone in (
        ("u-fam1", "+1555"),
        ("u-fam2", "+1555"),
        ("u-x1", "+1666"),
        ("u-x2", "+1666"),
        ("u-x3", "+1666"),
    ):
        day.login(
            "gd_enrollment_complete",
            2800,
            account,
            "198.51.100.27",
            details={"authenticator": {"phone_number": phone}},
        )
    for account in ("u-dev1", "u-dev2"):
        day.login(
            "gd_enrollment_complete",
            2800,
            account,
            "198.51.100.28",
            details={"enrollment": {"identifier": "device-1"}},
        )
    for k in range(10):
        day.login("gd_send_sms", 2900 + k, "u-sms", "203.0.113.5")
    for k in range(3):
        day.login("gd_send_sms", 2900 + k, "u-late-sms", "198.51.100.29")
    for k, code in enumerate(
        ("limit_wc", "limit_sul", "gd_otp_rate_limit_exceed", "gd_recovery_rate_limit_exceed")
    ):
        day.login(code, 3000 + k * 5, f"u-limit-{code}", "198.51.100.30")
    day.add("limit_delegation", 3000, client_id="cl-delegation", ip="198.51.100.31")
    day.add("api_limit", 3000, client_id="cl-api-limit", ip="198.51.100.32")
    for k in range(20):  # Auth0 stopping a distributed brute force account by account
        day.login("limit_wc", 3100 + k * 0.5, f"u-surge{k}", f"100.65.0.{k}")
    day.login("pwd_leak", 3200, "u-leaked", "198.51.100.40")  # one account's reused password
    for account in ("u-listed1", "u-listed2"):  # a breach list worked through from one address
        day.login("pwd_leak", 3200, account, "203.0.113.6")
    for k in range(12):  # a script's signups, and a signup desk whose people verify
        day.add(
            "ss",
            3300 + k * 0.3,
            user_id=f"auth0|bot{k}",
            user_name=f"bot{k}@example.org",
            ip="203.0.113.7",
        )
        day.add(
            "ss",
            3300 + k * 0.3,
            user_id=f"auth0|guest{k}",
            user_name=f"guest{k}@example.org",
            ip="198.51.100.33",
        )
        day.add(
            "sv",
            3310 + k * 0.3,
            user_id=f"auth0|guest{k}",
            user_name=f"guest{k}@example.org",
            ip="198.51.100.34",
        )
    for k in range(3):
        day.add("ss", 3400 + k, user_name=f"throw{k}@mailinator.com", ip=f"100.66.0.{k}")
    day.case = "one disposable signup"
    day.add("ss", 3000, user_name="one@yopmail.com", ip="100.66.1.1")
    day.case = ""
    for k in range(10):
        day.add(
            "f",
            3500 + k * 0.2,
            ip="203.0.113.8",
            description=f"Callback URL mismatch. https://evil{k}.example/cb is not in the list of allowed callback URLs",
        )
    for k in range(2):
        day.add(
            "f",
            3500 + k,
            ip="198.51.100.35",
            description="Callback URL mismatch. https://portal.example/cb is not in the list of allowed callback URLs",
        )
    day.login(
        "s",
        3600,
        "u-canonical",
        "198.51.100.36",
        hostname="tenant.us.auth0.com",
        client_id="cl-old",
    )
    tool = {"ja4": "t13d_attack_tool"}
    for k in range(20):
        day.add(
            "fu",
            3700 + k * 0.1,
            user_name=f"tls{k}@example.org",
            ip="203.0.113.9",
            description=wrong,
            security_context=tool,
        )
    day.login("s", 3705, "u-tls", "203.0.113.10", security_context=tool)
    day.login("s", 3705, "u-browser", "198.51.100.37", security_context={"ja4": "t13d_chrome"})
    berlin = {"latitude": 52.5, "longitude": 13.4, "city_name": "Berlin", "country_code": "DE"}
    sydney = {"latitude": -33.9, "longitude": 151.2, "city_name": "Sydney", "country_code": "AU"}
    laptop, elsewhere = "Chrome 134.0.0 / Windows 10.0.0", "Firefox 125.0.0 / Linux 0.0.0"
    for user, second in (("u-trip", "s"), ("u-silent", "ssa")):
        day.login("s", 3800, user, "198.51.100.38", location_info=berlin, user_agent=laptop)
        day.login(second, 3810, user, "203.0.113.11", location_info=sydney, user_agent=elsewhere)
    for k in range(12):  # spraying: one guess each at 12 accounts, one gets in
        day.login(
            "s" if k == 5 else "fp", 3900 + k * 3, f"u-spray{k}", "203.0.113.13", description=wrong
        )


def everyday(day: Day) -> None:
    """What real tenants do every day that a naive rule calls an attack (each its own case)."""
    day.case = "a forgotten password, Auth0's block, the help desk's unblock"
    for k in range(10):
        day.login("fp", 5000 + k * 0.5, "e-helpdesk", "24.1.1.1", description=WRONG)
    # Auth0's block names the account by its e-mail only (user_id empty)
    day.add("limit_wc", 5004.6, ip="24.1.1.1", user_id="", user_name="e-helpdesk@example.com")
    day.api(5020, "adm-helpdesk", "delete", "/api/v2/user-blocks/e-helpdesk", {})
    day.login("s", 5025, "e-helpdesk", "24.1.1.1")

    day.case = "a forgotten password, Auth0's block, the unblock link it e-mailed"
    for k in range(10):
        day.login("fp", 5060 + k * 0.5, "e-unblock", "24.1.1.2", description=WRONG)
    day.add("limit_wc", 5064.6, ip="24.1.1.2", user_id="", user_name="e-unblock@example.com")
    day.login("s", 5090, "e-unblock", "24.1.1.2")

    day.case = "the unblock link, the tenth wrong password logged just after Auth0's block"
    for k in range(9):
        day.login("fp", 5070 + k * 0.5, "e-unblock2", "24.1.1.5", description=WRONG)
    day.add("limit_wc", 5074.5, ip="24.1.1.5", user_id="", user_name="e-unblock2@example.com")
    day.login("fp", 5074.52, "e-unblock2", "24.1.1.5", description=WRONG)  # 1.2 s after it
    day.login("s", 5095, "e-unblock2", "24.1.1.5")

    day.case = "two step-up sessions of one user at once, approved in another order"
    for k in range(4):
        day.login("gd_send_pn", 5200 + k * 2, "e-twostep", "24.1.1.6")
        day.login("gd_send_pn", 5200.25 + k * 2, "e-twostep", "34.1.1.6")
        day.login("gd_auth_succeed", 5200.5 + k * 2, "e-twostep", "24.1.1.6")
        day.login("gd_auth_succeed", 5200.6 + k * 2, "e-twostep", "34.1.1.6")

    day.case = "step-up MFA on a busy morning, a push missed now and then and sent again"
    for k in range(9):
        if k % 2:
            day.login("gd_send_pn", 5300 + k * 1.5, "e-missed", "24.1.1.7")  # not seen in time
        day.login("gd_send_pn", 5300.8 + k * 1.5, "e-missed", "24.1.1.7")
        day.login("gd_auth_succeed", 5300.95 + k * 1.5, "e-missed", "24.1.1.7")

    day.case = "an authenticator whose clock drifted until Auth0 blocked its codes"
    for k in range(5):
        day.login("gd_auth_failed", 5100 + k * 0.3, "e-clock", "24.1.1.3")
    day.login("gd_otp_rate_limit_exceed", 5102, "e-clock", "24.1.1.3")
    day.login("gd_auth_succeed", 5112, "e-clock", "24.1.1.3")
    day.login("s", 5112.1, "e-clock", "24.1.1.3")

    day.case = "a breached password breached-password detection only watches"
    day.login("pwd_leak", 5200, "e-reused", "24.1.1.4")
    day.login("s", 5200.05, "e-reused", "24.1.1.4")

    day.case = "a phone on a carrier's network, its refresh token for five days"
    phone = {"user_agent": "okhttp 4.12.0 / Android 14", "client_id": "MobileApp"}
    day.login("seacft", 5000, "e-phone", "100.70.0.1", details={"familyId": "fam-phone"}, **phone)
    for k in range(1, 11):
        day.login("sertft", 5000 + k * 720, "e-phone", f"100.70.{k % 6}.{10 + k}",
                  details={"familyId": "fam-phone"}, **phone)  # fmt: skip

    day.case = "a laptop at home, the office and a cafe over three weeks"
    spa = {"user_agent": "Chrome 134.0.0 / Mac OS X 15.1.0", "client_id": "Spa"}
    for k, ip in enumerate(("24.2.0.1", "24.2.0.2", "24.2.0.3", "100.71.0.1", "24.2.0.4")):
        day.login("sertft", 5600 + k * 4000, "e-laptop", ip, details={"familyId": "fam-laptop"},
                  **spa)  # fmt: skip

    day.case = "the Deploy CLI, named as automation: secrets read, a grant written back"
    cli = (DEPLOY_CLI, [f"read:thing{k}" for k in range(22)] + ["update:client_grants"])
    for k in range(3):
        day.api(5300 + k * 0.1, "", "get", f"/api/v2/clients/app{k}", {}, code="mgmt_api_read",
                machine=cli, secrets=["client_secret"], answer={"client_id": f"app{k}"})  # fmt: skip
    scopes = {"scope": ["read:users", "update:users"]}
    day.api(5301, "", "patch", "/api/v2/client-grants/cgr_1", scopes, machine=cli,
            answer={**scopes, "client_id": "billing", "audience": MANAGEMENT})  # fmt: skip

    day.case = "an administrator creating a backend's application in the Dashboard"
    day.api(5400, "adm-newapp", "post", "/api/v2/clients", {"name": "Billing sync"},
            answer={"client_id": "newapp"})  # fmt: skip
    grant = {"client_id": "newapp", "audience": MANAGEMENT, "scope": ["read:users"]}
    day.api(5401, "adm-newapp", "post", "/api/v2/client-grants", grant)
    day.api(5403, "adm-newapp", "get", "/api/v2/clients/newapp", {}, code="mgmt_api_read",
            secrets=["client_secret"], answer={"client_id": "newapp"})  # fmt: skip

    day.case = "a secret rotated and read to deploy it"
    day.api(5500, "adm-rotate", "post", "/api/v2/clients/app9/rotate-secret", {},
            answer={"client_id": "app9"})  # fmt: skip
    day.api(5501, "adm-rotate", "get", "/api/v2/clients/app9", {}, code="mgmt_api_read",
            secrets=["client_secret"], answer={"client_id": "app9"})  # fmt: skip

    bpd = "/api/v2/attack-protection/breached-password-detection"
    day.case = ""
    day.api(5550, "adm-bpd-was-off", "patch", bpd, {"enabled": False, "shields": ["block"],
            "stage": {"pre-user-registration": {"shields": ["block"]}}})  # fmt: skip
    day.case = "breached-password detection switched on for logins only"
    day.api(5650, "adm-bpd-logins", "patch", bpd, {"enabled": True, "shields": ["block"],
            "stage": {"pre-user-registration": {"shields": []}}})  # fmt: skip

    sit = "/api/v2/attack-protection/suspicious-ip-throttling"
    throttling = {"enabled": True, "shields": ["block", "admin_notification"],
                  "stage": {"pre-login": {"max_attempts": 100, "rate": 864000}}}  # fmt: skip
    day.case = ""
    day.api(
        5700,
        "adm-sit-list",
        "patch",
        sit,
        {**throttling, "allowlist": ["198.51.100.7", "192.0.2.0/24"]},
    )
    day.case = "an allow-list resent in another order"
    day.api(
        5800,
        "adm-sit-sorted",
        "patch",
        sit,
        {**throttling, "allowlist": ["192.0.2.0/24", "198.51.100.7"]},
    )

    day.case = "a QA harness (allowed_clients): throw-away signups, test accounts on one phone"
    for k in range(3):
        qa = {
            "client_id": QA_HARNESS,
            "user_id": f"auth0|qa{k}",
            "user_name": f"qa{k}@mailinator.com",
        }
        day.add("ss", 5900 + k, ip=f"34.3.3.{k}", **qa)
        day.add("gd_enrollment_complete", 5905 + k, ip=f"34.3.3.{k}",
                details={"authenticator": {"type": "sms", "phone_number": "+15555550777"}}, **qa)  # fmt: skip

    day.case = "a dozen Google signups behind a carrier's address"
    for k in range(12):
        day.add("ss", 6000 + k * 2, ip="100.72.0.1", user_id=f"google-oauth2|fan{k}",
                user_name=f"fan{k}@gmail.com", connection="google-oauth2", strategy="google-oauth2")  # fmt: skip

    day.case = "a user linking their Google login to their account in the app"
    spa_link = ("SelfServiceSpa00000000000000001", ["update:current_user_identities"])
    day.api(6100, "auth0|e-link", "post", "/api/v2/users/auth0|e-link/identities", {"link_with": "jwt"},
            machine=spa_link, channel="api",
            answer=[{"connection": "Username-Password-Authentication", "user_id": "e-link"},
                    {"connection": "google-oauth2", "user_id": "1234"}])  # fmt: skip

    day.case = "the company's VPN exit in Frankfurt, then home in Madrid"
    frankfurt = {"latitude": 50.1, "longitude": 8.7, "city_name": "Frankfurt", "country_code": "DE"}
    madrid = {"latitude": 40.4, "longitude": -3.7, "city_name": "Madrid", "country_code": "ES"}
    day.login("s", 6200, "e-vpn", "34.16.0.1", location_info=frankfurt)
    day.login("s", 6220, "e-vpn", "24.16.0.1", location_info=madrid)

    day.case = "a finance user's SMS step-ups every twenty minutes for three hours"
    for k in range(10):
        day.login("gd_send_sms", 6300 + k * 20, "e-finance", "24.19.0.1")
        day.login("gd_auth_succeed", 6300.5 + k * 20, "e-finance", "24.19.0.1")

    day.case = "an MCP server's clients registering every twenty minutes for three hours"
    for k in range(10):
        day.api(6300 + k * 20, "", "post", "/oidc/register", {"client_name": f"mcp-{k}"},
                machine=("McpRegistrar", []), description="Dynamic client registration",
                ip=f"34.20.0.{k}")  # fmt: skip

    day.case = "a mobile app's retry after its carrier moved it"
    day.login(
        "sertft",
        6600,
        "e-retry",
        "100.73.0.1",
        client_id="MobileApp",
        details={"familyId": "fam-r"},
    )
    day.login("ferrt", 6600.05, "e-retry", "100.73.0.2", client_id="MobileApp", description=REUSED)

    day.case = "offboarding: a leaver removed, an editor invited"
    day.api(6700, "adm-offboard", "delete", "/api/v2/tenants/members/leaver", {})
    day.api(6705, "adm-offboard", "post", "/api/v2/tenants/invitations",
            {"owners": ["new-hire@example.com"], "roles": ["editor"]})  # fmt: skip

    day.case = "a grant to the tenant's own API, whose identifier ends in /api/v2/"
    day.api(6800, "adm-own-api", "post", "/api/v2/client-grants",
            {"client_id": "orders", "audience": "https://api.example.com/api/v2/",
             "scope": ["update:orders"]})  # fmt: skip

    day.case = "a class's first lesson behind the school's address, half mistyping"
    for k in range(20):
        for j in range((1 + (k % 4 == 0)) if k % 2 == 0 else 0):
            day.login("fp", 6900 + k * 2 + j * 0.3, f"e-pupil{k}", "34.25.0.1", description=WRONG)
        day.login("s", 6901 + k * 2, f"e-pupil{k}", "34.25.0.1")
    day.case = "a class where most mistype the password they were just given"
    for k in range(20):
        if k % 5:
            day.login("fp", 6950 + k * 2, f"e-class{k}", "34.26.0.1", description=WRONG)
        day.login("s", 6951 + k * 2, f"e-class{k}", "34.26.0.1")
    day.case = ""


def misses(day: Day) -> None:
    """Attacks a naive rule misses (each its own case)."""
    day.case = "stuffing spread over many addresses, against real accounts"
    for k in range(300):
        day.login(
            "fp", 7000 + k * 0.05, f"m-victim{k}", f"100.80.0.{k // 3 + 1}", description=WRONG
        )

    day.case = "stuffing through the password grant"
    for k in range(30):
        day.login("fepft", 7100 + k * 0.1, f"m-ropg{k}", "203.0.113.50", description=WRONG)
    day.login("sepft", 7104, "m-ropg99", "203.0.113.50")

    day.case = "MFA pushes until the user gives in"
    for k in range(5):
        day.login("gd_send_pn", 7200 + k, "m-pushed", "203.0.113.51")
    day.login("gd_auth_succeed", 7204.3, "m-pushed", "203.0.113.51")
    day.login("s", 7204.4, "m-pushed", "203.0.113.51")

    day.case = "one address, fifteen accounts, six guesses each"
    for k in range(90):
        day.login("fp", 7300 + k * 0.22, f"m-fifteen{k % 15}", "203.0.113.52", description=WRONG)

    day.case = "throw-away signups spread over five domains"
    domains = [
        "yopmail.com",
        "guerrillamail.com",
        "sharklasers.com",
        "getnada.com",
        "disposable.com",
    ]
    for k, domain in enumerate(domains * 2):
        day.add("ss", 7400 + k * 3, ip=f"100.81.0.{k}", user_id=f"auth0|m-throw{k}",
                user_name=f"m-throw{k}@{domain}")  # fmt: skip

    bf = "/api/v2/attack-protection/brute-force-protection"
    protection = {"enabled": True, "shields": ["block"], "mode": "count_per_identifier",
                  "max_attempts": 10}  # fmt: skip
    day.case = ""
    day.api(
        7500, "adm-m-list", "patch", bf, {**protection, "allowlist": ["192.0.2.10", "192.0.2.11"]}
    )
    day.case = "a brute-force allow-list shortened to everyone"
    day.api(7600, "adm-m-widen", "patch", bf, {**protection, "allowlist": ["0.0.0.0/0"]})
    day.case = "account lockout turned off"
    day.api(7650, "adm-m-lockout", "patch", bf, {**protection, "allowlist": ["0.0.0.0/0"],
            "mode": "count_per_identifier_and_ip"})  # fmt: skip

    sit = "/api/v2/attack-protection/suspicious-ip-throttling"
    strict = {"enabled": True, "shields": ["block", "admin_notification"], "allowlist": [],
              "stage": {"pre-login": {"max_attempts": 100, "rate": 864000},
                        "pre-user-registration": {"max_attempts": 50, "rate": 1200}}}  # fmt: skip
    day.case = ""
    day.api(7700, "adm-m-sit", "patch", sit, strict)
    day.case = "suspicious-IP throttling weakened but left on"
    lax = {**strict, "shields": ["block"],
           "stage": {"pre-login": {"max_attempts": 100, "rate": 864000},
                     "pre-user-registration": {"max_attempts": 50000, "rate": 1}}}  # fmt: skip
    day.api(7800, "adm-m-sit-lax", "patch", sit, lax)

    bot = "/api/v2/attack-protection/bot-detection"
    watchful = {"policy": "always", "passwordless_policy": "always", "password_reset_policy": "always",
                "bot_detection_level": "high", "allowlist": []}  # fmt: skip
    day.case = ""
    day.api(7900, "adm-m-bot", "patch", bot, watchful)
    day.case = "bot detection lowered and an address allowed past it"
    day.api(8000, "adm-m-bot-lax", "patch", bot, {**watchful, "policy": "when_risky",
            "bot_detection_level": "low", "allowlist": ["203.0.113.0/24"]})  # fmt: skip

    day.case = ""
    day.api(8100, "adm-m-mfa", "put", "/api/v2/guardian/policies", ["all-applications"])
    day.case = "the MFA policy from always to adaptive"
    day.api(8200, "adm-m-adaptive", "put", "/api/v2/guardian/policies", ["confidence-score"])

    day.case = "toll fraud: two texts each to forty accounts"
    for k in range(80):
        day.login("gd_send_sms", 8300 + k * 0.18, f"m-toll{k // 2}", f"100.82.0.{k // 2 + 1}")

    day.case = "a breach list's password that works, the breach naming the e-mail only"
    for k, account in enumerate(("m-leak-a", "m-leak-b")):
        day.add("pwd_leak", 8400 + k * 0.1, ip="203.0.113.53", user_id="",
                user_name=f"{account}@example.com")  # fmt: skip
    day.login("s", 8400.3, "m-leak-b", "203.0.113.53")

    day.case = "an owner invited by one session, the members removed by the new owner"
    day.api(8500, "adm-m-inviter", "post", "/api/v2/tenants/invitations",
            {"owners": ["m-owner@gmail.com"], "roles": ["owner"]})  # fmt: skip
    for k in range(2):
        day.api(8506 + k, "adm-m-newowner", "delete", f"/api/v2/tenants/members/m{k}", {})

    day.case = "a slow brute force from rotating addresses"
    for k in range(40):
        day.login("fp", 8600 + k * 6, "m-slow", f"100.83.0.{k // 8 + 1}", description=WRONG)

    risk = "/api/v2/risk-assessment/config"
    day.case = ""
    day.api(8900, "adm-m-risk", "patch", risk, {"AfterAuthentication": True})
    day.case = "risk assessment off, the answer saying Enabled: false"
    day.api(9000, "adm-m-risk-off", "patch", risk, {"AfterAuthentication": False},
            answer={"Enabled": False})  # fmt: skip
    day.case = ""


def ordinary_days(day: Day) -> None:
    """What a real tenant does on an ordinary day that read as an attack (each its own case)."""
    day.case = "a phone without signal: the push asked for five times, then the app's one-time code"
    for k in range(5):
        day.login("gd_send_pn", 10_000 + k, "o-offline", "24.103.0.1")
    day.login("gd_auth_succeed", 10_005.5, "o-offline", "24.103.0.1",
              details={"authenticator": {"type": "otp"}})  # fmt: skip
    day.login("s", 10_005.6, "o-offline", "24.103.0.1")

    day.case = "step-up MFA asked for in three tabs at once, twice, each approved"
    for rep in range(2):
        for k in range(3):
            day.login("gd_send_pn", 10_100 + rep * 12 + k * 0.05, "o-tabs", "24.108.1.1")
        day.login("gd_auth_succeed", 10_100.5 + rep * 12, "o-tabs", "24.108.1.1")
        day.login("s", 10_100.6 + rep * 12, "o-tabs", "24.108.1.1")

    day.case = "a phone app's old saved password retried all day, the owner signing in elsewhere"
    for k in range(48):
        day.login("fepft", 10_200 + k * 30, "o-stale", f"100.114.{k % 7}.{k % 5 + 1}",
                  description=WRONG, client_id="MailApp")  # fmt: skip
    day.login("s", 10_260, "o-stale", "24.114.0.1")
    day.login("s", 10_900, "o-stale", "24.114.0.1")

    day.case = (
        "a tablet's old saved password retried all night at home, the laptop signing in there"
    )
    for k in range(40):
        day.login("fp", 10_200 + k * 30, "o-stale-home", "24.117.0.1", description=WRONG)
    day.login("s", 10_500, "o-stale-home", "24.117.0.1")
    day.login("s", 11_000, "o-stale-home", "24.117.0.1")

    day.case = "a password changed on the laptop, the old one still tried by a phone at home"
    day.login("scp", 10_190, "o-changed", "24.118.0.1")
    day.login("s", 10_191, "o-changed", "24.118.0.1")
    for k in range(30):
        day.login("fp", 10_200 + k * 30, "o-changed", "24.118.0.1", description=WRONG)
    day.login("s", 10_700, "o-changed", "24.118.0.1")

    day.case = (
        "a forgotten password tried for a day at home, the office and on the phone, then reset"
    )
    for k in range(21):
        ip = ("24.113.0.1", "34.113.0.1", "100.113.0.1")[k % 3]
        day.login("fp", 10_200 + k * 60, "o-forgot-slow", ip, description=WRONG)
    day.login("scp", 10_200 + 21 * 60, "o-forgot-slow", "24.113.0.1")
    day.login("s", 10_201 + 21 * 60, "o-forgot-slow", "24.113.0.1")

    day.case = "an Action denying contractors for their e-mail domain, one office"
    for k in range(12):
        day.login("f", 11_600 + k * 0.7, f"o-contractor{k}", "34.116.0.1",
                  description="Access denied: email domain mismatch for this organization")  # fmt: skip

    day.case = "a release with a wrong callback URL, one office behind one address"
    for k in range(12):
        day.login("f", 11_700 + k * 0.7, f"o-staff{k}", "34.115.0.1",
                  description="Callback URL mismatch. https://app.acme.example/callback is not in"
                  " the list of allowed callback URLs")  # fmt: skip

    day.case = "a single-page app in several tabs, a reuse about every hour"
    day.login("sertft", 11_800, "o-spa", "24.108.0.1", client_id="Spa",
              details={"familyId": "fam-o-spa"})  # fmt: skip
    for k in range(4):
        day.login("ferrt", 11_800.1 + k * 55, "o-spa", "24.108.0.1", client_id="Spa",
                  description=REUSED)  # fmt: skip

    sit = "/api/v2/attack-protection/suspicious-ip-throttling"
    throttling = {"enabled": True, "shields": ["block", "admin_notification"],
                  "stage": {"pre-login": {"max_attempts": 100, "rate": 864000}}}  # fmt: skip
    day.case = ""
    day.api(12_000, "adm-v6-list", "patch", sit,
            {**throttling, "allowlist": ["198.51.100.7", "2001:db8::/32"]})  # fmt: skip
    day.case = "an allow-list resent with its IPv6 range in capitals"
    day.api(12_100, "adm-v6-capitals", "patch", sit,
            {**throttling, "allowlist": ["2001:DB8::/32", "198.51.100.7"]})  # fmt: skip
    day.case = ""


def takeovers(day: Day) -> None:
    """Attacks whose own later steps read as the owner's recovery, and slow or long ones."""
    day.case = "a brute force that gets in, then changes the password and enrols its own MFA"
    for k in range(12):
        day.login("fp", 13_000 + k * 0.3, "t-persist", "203.0.113.82", description=WRONG)
    day.login("s", 13_004, "t-persist", "203.0.113.82")
    day.login("scp", 13_008, "t-persist", "203.0.113.82")
    day.login("gd_enrollment_complete", 13_009, "t-persist", "203.0.113.82",
              details={"authenticator": {"type": "otp"}})  # fmt: skip

    day.case = "a brute force going on after Auth0's block in monitoring mode, then in"
    for k in range(10):
        day.login("fp", 13_100 + k * 0.3, "t-monitor", "203.0.113.81", description=WRONG)
    day.add("limit_wc", 13_103.1, ip="203.0.113.81", user_id="",
            user_name="t-monitor@example.com")  # fmt: skip
    for k in range(15):
        day.login("fp", 13_103.5 + k * 0.3, "t-monitor", "203.0.113.81", description=WRONG)
    day.login("s", 13_109, "t-monitor", "203.0.113.81")

    day.case = "a brute force whose first login enrols the attacker's phone for MFA"
    for k in range(12):
        day.login("fp", 13_200 + k * 0.3, "t-enrol", "203.0.113.61", description=WRONG)
    day.login("gd_enrollment_complete", 13_204, "t-enrol", "203.0.113.61",
              details={"authenticator": {"type": "sms", "phone_number": "+15550006666"}})  # fmt: skip
    day.login("s", 13_204.2, "t-enrol", "203.0.113.61")

    day.case = "a brute force on a user an HR sync updates hourly with blocked: false"
    hr = ("HrSyncM2M0000000000000000000001", ["update:users"])
    for k in range(3):
        day.api(13_290 + k * 60, "", "patch", "/api/v2/users/t-synced",
                {"given_name": "Vic", "blocked": False}, machine=hr, ip="34.112.0.1")  # fmt: skip
    for k in range(12):
        day.login("fp", 13_340 + k * 0.3, "t-synced", "203.0.113.68", description=WRONG)
    day.login("s", 13_347, "t-synced", "203.0.113.68")

    day.case = "a slow brute force from one address, a guess every six minutes, then in"
    for k in range(60):
        day.login("fp", 14_000 + k * 6, "t-patient", "203.0.113.79", description=WRONG)
    day.login("s", 14_000 + 60 * 6, "t-patient", "203.0.113.79")

    day.case = "a stolen refresh token family used from five networks over eight days"
    for number in range(9):
        day.login("sertft", 15_000 + number * 1440, "t-family", "24.118.0.1", client_id="Spa",
                  user_agent="Chrome 134.0.0 / Mac OS X", details={"familyId": "fam-t"})  # fmt: skip
    for k, number in enumerate((2, 4, 6, 8)):
        day.login("sertft", 15_300 + number * 1440, "t-family", f"45.{10 + k}.0.1",
                  client_id="Spa", user_agent="Chrome 134.0.0 / Mac OS X",
                  details={"familyId": "fam-t"})  # fmt: skip

    stream = "/api/v2/log-streams/lst_1"
    wide = {"status": "active", "filters": [{"type": "category", "name": "auth.login.fail"},
                                            {"type": "category", "name": "management.success"}]}  # fmt: skip
    day.case = ""
    day.api(13_600, "adm-stream-set", "patch", stream, wide)
    day.case = "a log stream's filters resent in another order, a connection renamed"
    day.api(13_610, "adm-stream-same", "patch", stream,
            {**wide, "filters": wide["filters"][::-1]})  # fmt: skip
    database = {"id": "con_db1", "name": "Username-Password-Authentication",
                "options": {"brute_force_protection": True, "passwordPolicy": "good"}}  # fmt: skip
    day.api(13_620, "adm-stream-same", "patch", "/api/v2/connections/con_db1",
            {"display_name": "Staff"}, answer={**database, "display_name": "Staff"})  # fmt: skip
    day.case = "a log stream narrowed so that Management API events no longer reach the SIEM"
    day.api(13_700, "adm-stream-narrow", "patch", stream,
            {"status": "active", "filters": [{"type": "category", "name": "auth.login.fail"}]})  # fmt: skip
    day.case = "a factor switched off by a form POSTed to /v2/, as Panther's sample shows"
    day.api(13_750, "adm-post-factor", "post", "/v2/guardian/factors/webauthn-roaming",
            {"enabled": False})  # fmt: skip
    day.case = "a connection's brute-force protection off and its password policy lowered"
    day.api(13_800, "adm-connection", "patch", "/api/v2/connections/con_db1",
            {"options": {"brute_force_protection": False, "passwordPolicy": "none"}},
            answer={**database, "options": {"brute_force_protection": False,
                                            "passwordPolicy": "none"}})  # fmt: skip
    bpd = "/api/v2/attack-protection/breached-password-detection"
    strict = {"enabled": True, "shields": ["block"], "method": "enhanced",
              "stage": {"pre-user-registration": {"shields": ["block"]},
                        "pre-change-password": {"shields": ["block"]}}}  # fmt: skip
    day.case = ""
    day.api(13_900, "adm-bpd-strict", "patch", bpd, strict)
    day.case = "breached-password detection to standard, password resets no longer blocked"
    day.api(13_950, "adm-bpd-standard", "patch", bpd,
            {**strict, "method": "standard",
             "stage": {"pre-user-registration": {"shields": ["block"]},
                       "pre-change-password": {"shields": []}}})  # fmt: skip

    day.case = "an application created with the password grant and cross-origin on"
    created = {"name": "backdoor", "grant_types": ["password"], "cross_origin_authentication": True}
    day.api(13_500, "adm-created", "post", "/api/v2/clients", created,
            answer={"client_id": "t-backdoor", **created})  # fmt: skip
    day.case = ""


def last_minutes(day: Day) -> None:
    """The default tenant's last minutes: a signup desk whose people have not read their e-mail
    yet (no `sv`), judged only once the hour to verify has passed.
    """
    for k in range(12):
        day.add("ss", 30_000 + k * 0.2, user_id=f"auth0|late{k}", user_name=f"late{k}@example.org",
                ip="203.0.113.14")  # fmt: skip


def rush_hours(day: Day) -> None:
    """Another tenant's week: a typo every ten minutes, and a rush of them at 08:00 each weekday."""
    day.case = "a week of weekday morning rushes of mistyped names"
    for number in range(7):
        base = 8640 + number * 1440
        for minute in range(0, 1440, 10):
            day.add("fu", base + minute + 3, ip=f"24.50.{number}.{minute // 10}",
                    user_name=f"typo{number}-{minute}@example.com", description=WRONG, tenant="b2b", tenant_name="b2b")  # fmt: skip
        if number < 5:
            for k in range(55):
                day.add("fu", base + 480 + k * 0.18, ip=f"24.51.{number}.{k % 40}",
                        user_name=f"rush{number}-{k}@example.com", description=WRONG, tenant="b2b",
                        tenant_name="b2b")  # fmt: skip
    day.case = ""


def dbt_build(folder: Path, logs: list[dict[str, Any]], variables: dict[str, Any]) -> Path:
    """Write `logs` to a DuckDB file in `folder`, run the package on it once; the file."""
    database = folder / "logs.duckdb"
    write_logs(database, logs)
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(ROOT / "transform" / "profiles" / "duckdb"),
        "DBT_DUCKDB_PATH": str(database),
        "DBT_TARGET_PATH": str(folder / "target"),
        "DBT_LOG_PATH": str(folder / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    for args in (["seed"], ["build", "--vars", json.dumps(variables)]):
        done = subprocess.run(
            [str(DBT), *args, "--project-dir", str(ROOT / "transform")],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:]
    return database


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """One dbt build over every case: the database, and each log's case."""
    day = Day()
    settings_history(day)
    tenant_and_applications(day)
    logins(day)
    everyday(day)
    misses(day)
    ordinary_days(day)
    takeovers(day)
    last_minutes(day)
    rush_hours(day)
    logs = sorted(day.logs, key=lambda log: log["date"])
    # The same attacks in another tenant are that tenant's findings, never added to these.
    other = [{**log, "log_id": log["log_id"] + "b", "tenant": "other"} for log in logs]
    database = dbt_build(tmp_path_factory.mktemp("detections"), logs + other, VARS)
    return database, {log["log_id"]: log["case"] for log in logs if log["case"]}


@pytest.fixture(scope="module")
def found(warehouse) -> dict[tuple[str, str], tuple[str, str]]:
    """(detection, subject) -> (severity, description) in the default tenant."""
    database, _ = warehouse
    with duckdb.connect(str(database), read_only=True) as db:
        rows = db.sql(
            "select detection, subject, severity, description from auth0_analytics.auth0__detections"
            " where tenant = 'default'"
        ).fetchall()
        tenants = db.sql("select distinct tenant from auth0_analytics.auth0__detections").fetchall()
    assert {("default",), ("other",)} <= set(tenants)
    return {(d, s): (severity, text) for d, s, severity, text in rows}


@pytest.fixture(scope="module")
def by_case(warehouse) -> dict[str, list[tuple[str, str, str]]]:
    """case -> the (detection, severity, description) of every finding resting on its logs."""
    database, case_of = warehouse
    with duckdb.connect(str(database), read_only=True) as db:
        rows = db.sql(
            "select detection, severity, description, log_ids from auth0_analytics.auth0__detections"
            " where tenant <> 'other'"
        ).fetchall()
    cases: dict[str, list[tuple[str, str, str]]] = {}
    for detection, severity, text, ids in rows:
        for case in {case_of[i] for i in ids if i in case_of}:
            cases.setdefault(case, []).append((detection, severity, text))
    return cases


#: rule (the catalogs' names, docs/detection-coverage.md) -> (detection, subject, severity).
FIRES = {
    "attack_protection_features_turned_off": ("security_weakened", "adm-bf-off", "medium"),
    "suspicious_ip_throttling_critical_settings_manipulated": ("security_weakened", "adm-sit-off", "medium"),
    "brute_force_critical_settings_manipulated": ("security_weakened", "adm-threshold", "medium"),
    "auth0_attack_protection_disabled": ("security_weakened", "adm-monitor", "medium"),
    "breached_password_detection_settings_manipulated": ("security_weakened", "adm-bpd-monitor", "medium"),
    "unrecognized_ip_in_allowlist": ("security_weakened", "adm-allow", "medium"),
    "bot_detection_turned_off": ("security_weakened", "adm-bot-off", "medium"),
    "auth0_bot_detection_disabled": ("security_weakened", "adm-bot-flow", "medium"),
    "mfa_downgrade_disable_mfa_policies": ("security_weakened", "adm-mfa-never", "medium"),
    "mfa_downgrade_detect_disable_factors": ("security_weakened", "adm-sms-off", "medium"),
    "cross_origin_authentication_enabled": ("security_weakened", "adm-cors", "medium"),
    "insecure_grants_enabled_for_applications": ("security_weakened", "adm-grants", "medium"),
    "mfa_donwgrade_risk_assessment_disabled": ("security_weakened", "adm-risk-off", "medium"),
    "log stream paused": ("security_weakened", "adm-stream", "medium"),
    "grant_mgn_api_scopes": ("tenant_takeover", "adm-grant", "medium"),
    "risk_of_copying_client_credentials": ("tenant_takeover", "adm-secret", "medium"),
    "risk_of_tenant_takeover": ("tenant_takeover", "new-owner@gmail.com", "high"),
    "auth0_new_admin_invited": ("tenant_takeover", "adm-invite", "medium"),
    "auth0_delete_tenant_member": ("tenant_takeover", "adm-remove", "low"),
    "auth0_user_invitation_created (organization)": ("organization_invitation", "adm-org", "low"),
    "client_with_overpermissive_granted_scopes": ("overpermissive_client", "SensitiveM2MClient00000000000001", "medium"),
    "client_with_overpermissive_granted_scopes (many scopes alone)": ("overpermissive_client", "BroadM2MClient000000000000000001", "low"),
    "account_takeover_via_account_linking": ("account_linking", "SpaClientWithDelegatedToken00001", "high"),
    "rapid_creation_of_clients_with_dynamic_registration": ("dynamic_client_registration", "tenant", "medium"),
    "risk_of_copying_the_most_powerful_token": ("api_explorer_token", "192.0.2.77", "medium"),
    "auth0_login_brute_force": ("brute_force", "u-brute", "medium"),
    "credential_stuffing_signals (one address)": ("credential_stuffing", "203.0.113.2", "medium"),
    "auth0_cic_credential_stuffing": ("credential_stuffing", "203.0.113.12", "medium"),
    "credential_stuffing_signals (many addresses)": ("distributed_stuffing", "tenant", "medium"),
    "credential_stuffing_signals (a breach list)": ("breached_password", "u-listed1", "medium"),
    "escalation": ("success_after_attack", "u-stuffed", "critical"),
    "risk_for_mfa_push_fatigue": ("mfa_fatigue", "u-pushed", "medium"),
    "refresh_token_reuse": ("refresh_token_reuse", "u-stolen", "medium"),
    "refresh_token_reuse (a second tab)": ("refresh_token_reuse", "u-tabs", "low"),
    "refresh_token_from_multiple_user_agent": ("refresh_token_spread", "u-spread", "medium"),
    "refresh_token_from_too_many_locations": ("refresh_token_spread", "u-places", "medium"),
    "multiple_phone_numbers_are_registered_as_mfa": ("shared_mfa_phone", "+1666", "medium"),
    "auth0_same_phone_mfa_multiple_users": ("shared_mfa_phone", "+1555", "low"),
    "same_guardian_app_is_registered_for_mfa_in_multiple_users": ("shared_mfa_device", "device-1", "low"),
    "sms_bombarding": ("sms_bombing", "u-sms", "medium"),
    "auth0_limits (limit_wc)": ("auth0_blocks", "u-limit-limit_wc", "low"),
    "auth0_limits (limit_sul)": ("auth0_blocks", "u-limit-limit_sul", "low"),
    "auth0_limits (gd_otp_rate_limit_exceed)": ("auth0_blocks", "u-limit-gd_otp_rate_limit_exceed", "low"),
    "auth0_limits (gd_recovery_rate_limit_exceed)": ("auth0_blocks", "u-limit-gd_recovery_rate_limit_exceed", "low"),
    "auth0_limits (limit_mu)": ("auth0_blocks", "198.51.100.22", "low"),
    "auth0_limits (limit_delegation)": ("auth0_blocks", "cl-delegation", "low"),
    "auth0_limits (api_limit)": ("auth0_blocks", "cl-api-limit", "low"),
    "block surge": ("block_surge", "tenant", "high"),
    "auth0_leaked_password_login_attempt (one account)": ("breached_password", "u-leaked", "low"),
    "many_unverified_accounts_created": ("signup_fraud", "203.0.113.7", "medium"),
    "risk_of_signup_fraud_by_disposable_domains": ("disposable_signup", "tenant", "medium"),
    "many_failed_authorization_requests": ("failed_authorization", "203.0.113.8", "medium"),
    "use_of_auth0_tenant_name_url": ("canonical_domain", "cl-old", "medium"),
    "logins_from_suspicious_tls_fingerprints": ("suspicious_tls_fingerprint", "u-tls", "medium"),
    "impossible travel": ("impossible_travel", "u-trip", "medium"),
    "password spraying": ("password_spraying", "203.0.113.13", "high"),
}  # fmt: skip
#: Panther's rules whose trigger is one of the above (the same fields and values).
FIRES |= {
    "auth0_mfa_policy_disabled": FIRES["mfa_downgrade_disable_mfa_policies"],
    "auth0_mfa_risk_assessment_disabled": FIRES["mfa_donwgrade_risk_assessment_disabled"],
    "auth0_user_invitation_created": FIRES["auth0_new_admin_invited"],
    "auth0_push_notification_fatigue": FIRES["risk_for_mfa_push_fatigue"],
    "auth0_rapid_dynamic_client_creation": FIRES[
        "rapid_creation_of_clients_with_dynamic_registration"
    ],
    "auth0_token_reuse": FIRES["refresh_token_reuse"],
    "auth0_limits": FIRES["auth0_limits (limit_mu)"],
}
#: The look-alike beside each trigger: (detection, subject) that must not be found.
QUIET = {
    "a settings form resent unchanged": ("security_weakened", "adm-resend"),
    "a protection switched back on": ("security_weakened", "adm-switch-on"),
    "bot detection switched on for password logins": ("security_weakened", "adm-bot-on"),
    "a factor and the MFA policy switched on": ("security_weakened", "adm-sms-on"),
    "risk assessment switched on": ("security_weakened", "adm-risk-on"),
    "an application with few scopes": ("overpermissive_client", "NarrowM2MClient00000000000000001"),
    "an application resent as it was": ("security_weakened", "adm-cors-resend"),
    "an application's secure grant types": ("security_weakened", "adm-grants-before"),
    "an administrator linking through the Dashboard": ("account_linking", "adm-link"),
    "another application's token": ("api_explorer_token", "192.0.2.78"),
    "an Action denying an office": ("credential_stuffing", "198.51.100.21"),
    "a colleague behind a blocked NAT": ("success_after_attack", "u-colleague"),
    "step-up MFA, each push approved": ("mfa_fatigue", "u-stepup"),
    "one refresh token family, one agent": ("refresh_token_spread", "u-family"),
    "a user asking for a late SMS again": ("sms_bombing", "u-late-sms"),
    "one refresh token family in a carrier's pool": ("refresh_token_spread", "u-carrier"),
    "signups less than an hour old, not yet verified": ("signup_fraud", "203.0.113.14"),
    "a misconfigured app's few mismatches": ("failed_authorization", "198.51.100.35"),
    "a login through the custom domain": ("canonical_domain", "cl-custom"),
    "a browser's fingerprint": ("suspicious_tls_fingerprint", "u-browser"),
    "silent authentication after a flight": ("impossible_travel", "u-silent"),
}


#: Everyday flows (`everyday`, `rush_hours`): nothing found on their logs above low.
EVERYDAY = (
    "a forgotten password, Auth0's block, the help desk's unblock",
    "a forgotten password, Auth0's block, the unblock link it e-mailed",
    "the unblock link, the tenth wrong password logged just after Auth0's block",
    "two step-up sessions of one user at once, approved in another order",
    "step-up MFA on a busy morning, a push missed now and then and sent again",
    "an authenticator whose clock drifted until Auth0 blocked its codes",
    "a breached password breached-password detection only watches",
    "a phone on a carrier's network, its refresh token for five days",
    "a laptop at home, the office and a cafe over three weeks",
    "the Deploy CLI, named as automation: secrets read, a grant written back",
    "an administrator creating a backend's application in the Dashboard",
    "a secret rotated and read to deploy it",
    "breached-password detection switched on for logins only",
    "an allow-list resent in another order",
    "a QA harness (allowed_clients): throw-away signups, test accounts on one phone",
    "a dozen Google signups behind a carrier's address",
    "a user linking their Google login to their account in the app",
    "the company's VPN exit in Frankfurt, then home in Madrid",
    "a finance user's SMS step-ups every twenty minutes for three hours",
    "an MCP server's clients registering every twenty minutes for three hours",
    "a mobile app's retry after its carrier moved it",
    "offboarding: a leaver removed, an editor invited",
    "a grant to the tenant's own API, whose identifier ends in /api/v2/",
    "a class's first lesson behind the school's address, half mistyping",
    "a class where most mistype the password they were just given",
    "a week of weekday morning rushes of mistyped names",
    "one disposable signup",
    "a phone without signal: the push asked for five times, then the app's one-time code",
    "step-up MFA asked for in three tabs at once, twice, each approved",
    "a phone app's old saved password retried all day, the owner signing in elsewhere",
    "a tablet's old saved password retried all night at home, the laptop signing in there",
    "a password changed on the laptop, the old one still tried by a phone at home",
    "a forgotten password tried for a day at home, the office and on the phone, then reset",
    "an Action denying contractors for their e-mail domain, one office",
    "a release with a wrong callback URL, one office behind one address",
    "a single-page app in several tabs, a reuse about every hour",
    "an allow-list resent with its IPv6 range in capitals",
    "a log stream's filters resent in another order, a connection renamed",
)
#: Attacks a naive rule misses (`misses`): case -> the (detection, severity) found on its logs.
CAUGHT = {
    "stuffing spread over many addresses, against real accounts": [("distributed_stuffing", "medium")],
    "stuffing through the password grant": [("credential_stuffing", "medium"), ("success_after_attack", "critical")],
    "MFA pushes until the user gives in": [("mfa_fatigue", "medium"), ("success_after_attack", "critical")],
    "one address, fifteen accounts, six guesses each": [("credential_stuffing", "medium")],
    "throw-away signups spread over five domains": [("disposable_signup", "medium")],
    "a brute-force allow-list shortened to everyone": [("security_weakened", "medium")],
    "account lockout turned off": [("security_weakened", "medium")],
    "suspicious-IP throttling weakened but left on": [("security_weakened", "medium")],
    "bot detection lowered and an address allowed past it": [("security_weakened", "medium")],
    "the MFA policy from always to adaptive": [("security_weakened", "medium")],
    "toll fraud: two texts each to forty accounts": [("sms_bombing", "medium")],
    "a breach list's password that works, the breach naming the e-mail only": [
        ("breached_password", "medium"), ("success_after_attack", "critical")],
    "an owner invited by one session, the members removed by the new owner": [("tenant_takeover", "high")],
    "a slow brute force from rotating addresses": [("brute_force", "medium")],
    "risk assessment off, the answer saying Enabled: false": [("security_weakened", "medium")],
    "a brute force that gets in, then changes the password and enrols its own MFA": [
        ("brute_force", "medium"), ("success_after_attack", "critical")],
    "a brute force going on after Auth0's block in monitoring mode, then in": [
        ("brute_force", "medium"), ("success_after_attack", "critical")],
    "a brute force whose first login enrols the attacker's phone for MFA": [
        ("brute_force", "medium"), ("success_after_attack", "critical")],
    "a brute force on a user an HR sync updates hourly with blocked: false": [
        ("brute_force", "medium"), ("success_after_attack", "critical")],
    "a slow brute force from one address, a guess every six minutes, then in": [
        ("brute_force", "medium"), ("success_after_attack", "critical")],
    "a stolen refresh token family used from five networks over eight days": [
        ("refresh_token_spread", "medium")],
    "an application created with the password grant and cross-origin on": [
        ("security_weakened", "medium")],
    "a log stream narrowed so that Management API events no longer reach the SIEM": [
        ("security_weakened", "medium")],
    "a connection's brute-force protection off and its password policy lowered": [
        ("security_weakened", "medium")],
    "a factor switched off by a form POSTed to /v2/, as Panther's sample shows": [
        ("security_weakened", "medium")],
    "breached-password detection to standard, password resets no longer blocked": [
        ("security_weakened", "medium")],
}  # fmt: skip


@pytest.mark.parametrize("case", EVERYDAY)
def test_everyday_flows_raise_nothing_above_low(warehouse, by_case, case):
    _, case_of = warehouse
    assert case in case_of.values()  # the case's logs are in the table
    assert [found for found in by_case.get(case, []) if found[1] != "low"] == []


@pytest.mark.parametrize("case", sorted(CAUGHT))
def test_attacks_a_naive_rule_misses_are_found_at_their_severity(by_case, case):
    found = {(detection, severity) for detection, severity, _ in by_case.get(case, [])}
    assert set(CAUGHT[case]) <= found, by_case.get(case)


def test_what_stays_low_says_why(by_case):
    def text(case: str, detection: str) -> str:
        [(_, severity, description)] = [f for f in by_case[case] if f[0] == detection]
        assert severity == "low"
        return description

    helpdesk = "a forgotten password, Auth0's block, the help desk's unblock"
    assert "an administrator unblocked the account" in text(helpdesk, "brute_force")
    assert "an administrator unblocked the account" in text(helpdesk, "success_after_attack")
    link = "a forgotten password, Auth0's block, the unblock link it e-mailed"
    assert "Auth0's block of the address was lifted" in text(link, "success_after_attack")
    clock = "an authenticator whose clock drifted until Auth0 blocked its codes"
    assert "MFA passed" in text(clock, "success_after_attack")
    watched = "a breached password breached-password detection only watches"
    assert "one account" in text(watched, "breached_password")
    vpn = "the company's VPN exit in Frankfurt, then home in Madrid"
    assert "a VPN switched on or off" in text(vpn, "impossible_travel")
    linked = "a user linking their Google login to their account in the app"
    assert "self-service" in text(linked, "account_linking")
    retry = "a mobile app's retry after its carrier moved it"
    assert "never" not in text(retry, "refresh_token_reuse")


def test_a_finding_spans_its_whole_window_not_four_hour_pieces(by_case):
    def findings(case: str, detection: str) -> list[tuple[str, str, str]]:
        return [found for found in by_case[case] if found[0] == detection]

    [(_, _, stolen)] = findings(
        "a stolen refresh token family used from five networks over eight days",
        "refresh_token_spread",
    )
    assert "5 networks" in stolen
    [(_, _, forgotten)] = findings(
        "a forgotten password tried for a day at home, the office and on the phone, then reset",
        "brute_force",
    )
    assert "21 wrong passwords" in forgotten
    assert "the owner changed the password" in forgotten
    [(_, severity, stale)] = findings(
        "a phone app's old saved password retried all day, the owner signing in elsewhere",
        "brute_force",
    )
    assert severity == "low"
    assert "the owner signed in and the guesses went on" in stale
    [(_, _, patient)] = findings(
        "a slow brute force from one address, a guess every six minutes, then in", "brute_force"
    )
    assert "60 wrong passwords" in patient
    assert "1 address" in patient


def test_settings_weakened_elsewhere_say_what_changed(by_case):
    def text(case: str) -> str:
        [(_, _, description)] = [f for f in by_case[case] if f[0] == "security_weakened"]
        return description

    narrowed = text("a log stream narrowed so that Management API events no longer reach the SIEM")
    assert "log stream lst_1 narrowed (management.success no longer sent)" in narrowed
    connection = text("a connection's brute-force protection off and its password policy lowered")
    assert "connection con_db1 brute-force protection off" in connection
    assert "connection con_db1 password policy lowered from good to none" in connection
    breached = text("breached-password detection to standard, password resets no longer blocked")
    assert "breached-password detection lowered from enhanced to standard" in breached
    assert "no longer blocking password resets" in breached
    created = text("an application created with the password grant and cross-origin on")
    assert "the password grant turned on for application t-backdoor (a new application)" in created
    factor = text("a factor switched off by a form POSTed to /v2/, as Panther's sample shows")
    assert "webauthn-roaming disabled (no earlier state in the logs)" in factor  # no application


def test_one_wrong_value_for_many_users_is_no_probing(by_case):
    release = "a release with a wrong callback URL, one office behind one address"
    [(_, severity, text)] = [f for f in by_case[release] if f[0] == "failed_authorization"]
    assert severity == "low"
    assert "1 value" in text
    domain = "an Action denying contractors for their e-mail domain, one office"
    assert [f for f in by_case.get(domain, []) if f[0] == "failed_authorization"] == []


def test_pushes_the_phone_never_got_end_in_the_owners_own_code(by_case):
    offline = "a phone without signal: the push asked for five times, then the app's one-time code"
    assert [
        f for f in by_case.get(offline, []) if f[0] == "success_after_attack" and f[1] != "low"
    ] == []
    tabs = "step-up MFA asked for in three tabs at once, twice, each approved"
    assert by_case.get(tabs, []) == []


@pytest.mark.parametrize("rule", sorted(FIRES))
def test_each_rules_own_trigger_fires_at_its_severity(found, rule):
    detection, subject, severity = FIRES[rule]
    assert (detection, subject) in found, f"{rule}: {detection} on {subject} not found"
    assert found[detection, subject][0] == severity, found[detection, subject]


@pytest.mark.parametrize("look_alike", sorted(QUIET))
def test_each_look_alike_stays_quiet(found, look_alike):
    assert QUIET[look_alike] not in found


def test_a_forgotten_password_and_automation_stay_low_and_say_why(found):
    assert found["brute_force", "u-forgot"][0] == "low"
    assert "the owner changed the password" in found["brute_force", "u-forgot"][1]
    assert found["success_after_attack", "u-forgot"][0] == "low"
    assert found["tenant_takeover", TERRAFORM][0] == "low"
    assert "(automation)" in found["tenant_takeover", TERRAFORM][1]
    assert "secret" not in found["tenant_takeover", TERRAFORM][1]  # its reads are no step
    assert "no earlier state in the logs" in found["security_weakened", "adm-bot-off"][1]
    assert "from 10 to 50" in found["security_weakened", "adm-threshold"][1]
    assert found["tenant_takeover", "adm-invite-editor"][0] == "low"  # an editor: Panther's Info


def test_descriptions_count_in_english(by_case, found):
    texts = [text for _, text in found.values()]
    texts += [text for findings in by_case.values() for _, _, text in findings]
    assert any(" 1 address " in text for text in texts)
    assert any(re.search(r" ([2-9]|\d\d+) addresses", text) for text in texts)
    assert not [
        text for text in texts if re.search(r"\b1 (addresses|accounts|minutes|changes)\b", text)
    ]
    assert not [text for text in texts if re.search(r"\d\.0 ", text)]


def test_the_detections_list_is_every_model_tagged_detection():
    models = ROOT / "transform" / "models" / "intermediate"
    tagged = {
        path.stem for path in models.glob("*.sql") if "tags=['detection']" in path.read_text()
    }
    macro = (ROOT / "transform" / "macros" / "detections.sql").read_text()
    listed = set(re.findall(r"'(int_auth0__\w+)'", macro.split("endmacro")[0]))
    assert tagged == listed
    assert len(tagged) == 28


@pytest.mark.xdist_group("detections-days")
def test_days_of_a_real_tenant_raise_nothing_above_low_and_every_planted_attack_is_found(
    tmp_path,
):
    """60,000 logs of the fake tenant's everyday flows (about 33 hours, two mornings' rushes),
    one of each attack."""
    attacks = tuple(Attack(kind, 5000 + 2000 * i) for i, kind in enumerate(ATTACKS))
    logs = TenantLogs(count=60_000, attacks=attacks)
    automation = {"automation_clients": list(AUTOMATION_CLIENTS)}

    database = dbt_build(tmp_path, logs.kept(), automation)

    with duckdb.connect(str(database), read_only=True) as db:
        rows = db.sql(
            "select detection, subject, severity, description, log_ids"
            " from auth0_analytics.auth0__detections"
        ).fetchall()
    planted = {
        attack.kind: {logs.log_id(attack.at + offset) for offset, _ in attack.steps()}
        for attack in logs.attacks
    }
    every_planted = set().union(*planted.values())
    ordinary = [
        (detection, severity, text)
        for detection, _, severity, text, ids in rows
        if severity != "low" and not set(ids) & every_planted
    ]
    assert ordinary == []
    for attack in logs.attacks:
        finding = attack.finding()
        ids = [set(i) for d, s, _, _, i in rows if (d, s) == (finding.detection, finding.subject)]
        assert any(found & planted[attack.kind] for found in ids), attack.kind
    # The everyday flows were there, and stayed low.
    low = {detection for detection, _, severity, _, _ in rows if severity == "low"}
    assert {"brute_force", "success_after_attack", "auth0_blocks", "refresh_token_reuse",
            "organization_invitation", "shared_mfa_phone", "signup_fraud", "impossible_travel",
            "breached_password", "tenant_takeover"} <= low  # fmt: skip


def test_every_rule_the_coverage_document_marks_answered_has_its_trigger_here():
    table = (ROOT / "docs" / "detection-coverage.md").read_text()
    answered = {
        cells[1].strip()
        for line in table.splitlines()
        if line.startswith("| ") and len(cells := line.split("|")) > 4
        and cells[3].strip() == "answered"
    }  # fmt: skip
    triggers = {rule.split(" (")[0] for rule in FIRES}
    assert len(answered) == 26 + 12
    assert answered <= triggers, sorted(answered - triggers)


def test_every_technique_a_detection_names_has_its_name_in_the_ocsf_findings():
    techniques = {
        match
        for path in (ROOT / "transform" / "models" / "intermediate").glob("*.sql")
        for match in re.findall(r"'(T\d{4}(?:\.\d{3})?)'", path.read_text())
    }
    named = re.findall(
        r"'(T\d{4}(?:\.\d{3})?)': '", (ROOT / "transform" / "macros" / "ocsf.sql").read_text()
    )
    assert techniques
    assert techniques <= set(named), sorted(techniques - set(named))


@pytest.mark.xdist_group("detections-settings")
def test_a_settings_state_is_kept_from_build_to_build_and_the_alerting_recipe_runs(tmp_path):
    bf = "/api/v2/attack-protection/brute-force-protection"
    before, after = Day(), Day()
    before.api(0, "adm-a", "patch", bf, {"enabled": True, "shields": ["block"]})
    after.api(60, "adm-b", "patch", bf, {"enabled": True, "shields": ["user_notification"]})
    database = dbt_build(tmp_path, before.logs, VARS)
    with duckdb.connect(str(database)) as db:  # the source keeps no log of the first write
        db.execute("delete from auth0_analytics.auth0__events")
        db.execute("delete from auth0_analytics.auth0__ocsf")
    database = dbt_build(tmp_path, after.logs, VARS)

    with duckdb.connect(str(database), read_only=True) as db:
        [(text, severity)] = db.sql(
            "select description, severity from auth0_analytics.auth0__detections"
            " where detection = 'security_weakened'"
        ).fetchall()
        assert severity == "medium"
        assert "no longer blocking" in text
        assert "no earlier state" not in text  # the state before came from the first build
        # docs/detections.md's alerting recipe, as written, on these findings.
        recipe = (ROOT / "docs" / "detections.md").read_text().split("```sql")[1].split("```")[0]
        new, digest = (sql for sql in recipe.split(";") if sql.strip())
        rows = db.execute(new.replace(":last_run", "timestamp '2000-01-01'")).fetchall()
        assert ("medium", "security_weakened") in {(row[1], row[2]) for row in rows}
        assert db.execute(digest.replace("current_date", "date '2026-03-02'")).fetchall()

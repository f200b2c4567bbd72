"""A real tenant's ordinary day: Auth0's documented flows, written as small scenario builders.

People do more than sign in. They forget a password and reset it, or are blocked and unblocked
(by the link Auth0 e-mails them, or by the help desk through the Management API); their
authenticator's clock drifts until Auth0 blocks its codes; they sign in with a password from a
breach while breached-password detection only watches; they approve a push, or a text, before
each sensitive action, for hours; they sign in with a link by e-mail, accept an organization's
invitation, are denied by a post-login Action, sign in through the company's VPN and then from
home; a class signs in for its first lesson behind the school's address, half of it mistyping;
every working morning a rush of people mistype their names. Auth0 blocks an office's shared
address. Administrators create an application in the Dashboard and copy its secret, rotate a
secret, offboard a leaver and invite the replacement; machine clients (Terraform, the Deploy
CLI, a provisioning backend) read and write the Management API with whole objects; a Dashboard
form resends every setting on it; features are switched on; an MCP server registers AI clients
by dynamic registration; single-page apps rotate refresh tokens across tabs, and mobile apps
retry after their carrier moved them to another address; test accounts share a phone; a kiosk,
a signup desk and a carrier's address put many people behind one address. None of it is an
attack, and no detection may rate it above low.

The day is cut into blocks of `BLOCK` logs. Which scenarios a block holds, where, and who is in
them are a function of the tenant's seed and the block's number (a seeded `random.Random`), so
log `n` stays a pure function of (seed, n) and a tenant that grows keeps its earlier logs. Each
kind comes at a rate per 10,000 logs (about five and a half hours of the fake tenant's traffic);
a scenario lies inside its block, and one that would share a log with a planted attack or another
scenario is left out. What takes hours (step-ups all afternoon, an MCP server's registrations)
is planned the same way over periods of `PERIOD` logs, and what comes at a time of day (the
morning rush) by the tenant's clock; the blocks then fill around them.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from tap_auth0_logs.testing.attacks import (
    BRUTE_FORCE_PROTECTION,
    SUSPICIOUS_IP_THROTTLING,
    Step,
    api_call,
    user_id_for,
)

if TYPE_CHECKING:
    from collections.abc import Callable

BLOCK = 500
PERIOD = 12_000  # about 6.7 hours at the fake tenant's 2 s between logs
#: Machine-to-machine applications that call the Management API: (client_id, name, scopes).
TERRAFORM = (
    "TfPr0viderAuth0M2M00000000000001",
    "Terraform",
    (
        "read:clients",
        "update:clients",
        "create:clients",
        "read:client_keys",
        "read:client_grants",
        "update:client_grants",
        "create:client_grants",
        "read:connections",
        "update:connections",
        "read:resource_servers",
        "update:resource_servers",
        "read:roles",
        "update:roles",
        "read:actions",
        "update:actions",
        "read:attack_protection",
        "update:attack_protection",
        "read:guardian_factors",
        "update:guardian_factors",
        "read:mfa_policies",
        "update:mfa_policies",
        "read:log_streams",
        "update:log_streams",
    ),
)
DEPLOY_CLI = (
    "DeployC1iAuth0M2M000000000000002",
    "Auth0 Deploy CLI",
    TERRAFORM[2] + ("read:tenant_settings", "update:tenant_settings"),
)
PROVISIONING = (
    "Pr0visioningBackendM2M0000000003",
    "HR Provisioning",
    (
        "read:users",
        "create:users",
        "update:users",
        "create:role_members",
        "create:organization_invitations",
        "create:organization_members",
    ),
)
#: The machine clients a tenant names as its automation (`automation_clients` in dbt).
AUTOMATION_CLIENTS = (TERRAFORM[0], DEPLOY_CLI[0], PROVISIONING[0])
#: The tenant's own administrators, through the Dashboard.
ADMINS = (
    ("google-oauth2|100000000000000000001", "it-lead@example.com"),
    ("google-oauth2|100000000000000000002", "secops@example.com"),
)
ORGANIZATION = ("org_Acme0000000001", "acme-corp")
TEST_PHONE = "+15555550199"  # the QA team's phone, enrolled by its test accounts
SPA = ("naTYUHwINwCEtmhj8umEL7bHoB57L5e2", "Customer Portal")
MOBILE = ("11tYwy5rk6iavoGW9BgtXYuzcVrCasjE", "Mobile App")
#: The tenant's settings, as every save resends them (the Dashboard's forms, the Deploy CLI).
#: Breached-password detection was set up before the logs begin (watching logins without
#: blocking them, `monitoring`; blocking signups) and nobody saves it again.
SETTINGS: dict[str, tuple[str, dict[str, Any]]] = {
    "/api/v2/attack-protection/brute-force-protection": (
        "Update Brute-force settings",
        BRUTE_FORCE_PROTECTION,
    ),
    "/api/v2/attack-protection/suspicious-ip-throttling": (
        "Update Suspicious IP Throttling settings",
        SUSPICIOUS_IP_THROTTLING,
    ),
    "/api/v2/attack-protection/bot-detection": (
        # Switched on for password logins only: the other flows answer "off".
        "Create or update the anomaly detection captcha",
        {"policy": "when_risky", "passwordless_policy": "off", "password_reset_policy": "off"},
    ),
    "/api/v2/guardian/factors/sms": (
        "Update a multi-factor authentication factor",
        {"enabled": True},
    ),
    "/api/v2/guardian/factors/push-notification": (
        "Update a multi-factor authentication factor",
        {"enabled": True},
    ),
    "/api/v2/risk-assessment/config": (
        "Updates risk assessment configs",
        {"AfterAuthentication": True},
    ),
    "/api/v2/log-streams/lst_0000000000017735": ("Update a log stream", {"status": "active"}),
}


@dataclass
class Scene:
    """What a scenario builder may draw on: the block's generator and the tenant's users."""

    rng: random.Random
    users: int

    def user(self) -> int:
        """One of the tenant's users."""
        return self.rng.randrange(1, max(2, self.users))

    def address(self) -> str:
        """A home or office address (never in the documentation ranges attacks use)."""
        first = self.rng.choice((24, 49, 73, 81, 92, 100, 151, 176, 187))
        rest = (self.rng.randrange(256), self.rng.randrange(256), self.rng.randrange(1, 255))
        return ".".join(str(part) for part in (first, *rest))

    def gap(self, low: int, high: int) -> int:
        """A number of logs between two steps of a flow (the tenant's logs are ~2 s apart)."""
        return self.rng.randrange(low, high + 1)


Steps = list[tuple[int, Step]]


def secret_read(
    path: str,
    client: str,
    *,
    ip: str,
    user: tuple[str, str] | None = None,
    machine: tuple[str, str, tuple[str, ...]] | None = None,
) -> Step:
    """An application read with its secret (`mgmt_api_read`, `accessedSecrets`).

    The Dashboard's credentials tab and deployment tools read applications so.
    """
    return api_call(
        "Get client by ID",
        "get",
        path,
        {},
        ip=ip,
        user=user,
        machine=machine,
        code="mgmt_api_read",
        answer={"client_id": client},
        secrets=("client_secret",),
    )


def _forgotten_password(scene: Scene) -> Steps:
    """Wrong passwords (Auth0 blocks the address on the account after 10), a reset, a login."""
    user, ip = scene.user(), scene.address()
    tries = scene.rng.choice((3, 5, 7, 10, 10))
    steps, at = [], 0
    for _ in range(tries):
        steps.append((at, Step("fp", user=user, ip=ip)))
        at += scene.gap(2, 6)
    if tries == 10:
        steps.append((at, Step("limit_wc", user=user, ip=ip, description="Blocked Account")))
        at += scene.gap(2, 10)
    steps.append((at, Step("scpr", user=user, ip=ip, description="")))
    at += scene.gap(20, 90)  # the e-mail arrives, the link is followed
    steps.append((at, Step("scp", user=user, ip=ip, description="")))
    # Then the login with the new password: seconds later, never within a log's date jitter.
    return [*steps, (at + scene.gap(5, 15), Step("s", user=user, ip=ip))]


def _step_up(scene: Scene) -> Steps:
    """A login, then a push approved before each sensitive action (step-up).

    Now and then a push times out unseen and is sent again.
    """
    user, ip = scene.user(), scene.address()
    steps, at = [(0, Step("s", user=user, ip=ip))], scene.gap(5, 20)
    for _ in range(scene.gap(4, 9)):
        if scene.rng.random() < 0.1:  # not seen in time: sent again
            steps.append((at, Step("gd_send_pn", user=user, ip=ip)))
            at += scene.gap(30, 45)
        steps.append((at, Step("gd_send_pn", user=user, ip=ip)))
        at += scene.gap(3, 8)  # the phone buzzes, the user approves: 6 s or more
        steps.append((at, Step("gd_auth_succeed", user=user, ip=ip)))
        at += scene.gap(10, 40)
    return steps


def _passwordless(scene: Scene) -> Steps:
    """A link by e-mail (`cls`), then the login through the e-mail connection."""
    user, ip = scene.user(), scene.address()
    email = {"connection": "email", "connection_id": "con_EmA1lPwdLess00", "strategy": "email"}
    email["strategy_type"] = "passwordless"
    return [
        (0, Step("cls", user=user, ip=ip, description="", fields=email)),
        (scene.gap(10, 60), Step("s", user=user, ip=ip, fields=email)),
    ]


def _organization_invitation(scene: Scene) -> Steps:
    """An invitation to an organization (by its admin or the provisioning backend), accepted.

    The invitee signs up, verifies the e-mail, and signs in to the organization.
    """
    number = scene.rng.randrange(10**6)
    invitee = (f"auth0|{number:024x}", f"invitee{number}@example.org")
    body = {
        "inviter": {"name": "Acme admin"},
        "invitee": {"email": invitee[1]},
        "client_id": SPA[0],
        "roles": [],
    }
    path = f"/api/v2/organizations/{ORGANIZATION[0]}/invitations"
    if scene.rng.random() < 0.5:
        invite = api_call(
            "Create invitations", "post", path, body, ip=scene.address(), machine=PROVISIONING
        )
    else:
        admin = scene.rng.choice(ADMINS)
        invite = api_call("Create invitations", "post", path, body, ip=scene.address(), user=admin)
    org = {"organization_id": ORGANIZATION[0], "organization_name": ORGANIZATION[1]}
    ip = scene.address()
    return [
        (0, invite),
        (scene.gap(30, 90), Step("ss", identity=invitee, ip=ip, fields=org)),
        (scene.gap(100, 130), Step("sv", identity=invitee, ip=ip, description="")),
        (scene.gap(140, 160), Step("s", identity=invitee, ip=ip, fields=org)),
    ]


def _action_denies(scene: Scene) -> Steps:
    """A post-login Action denies an organization's logins (its plan lapsed).

    The whole office tries, some twice, and each try is `f` with the Action's reason.
    """
    ip = scene.address()
    reason = "Access denied: your organization's subscription has expired"
    org = {"organization_id": ORGANIZATION[0], "organization_name": ORGANIZATION[1]}
    steps, at = [], 0
    for user in {scene.user() for _ in range(28)}:
        for _ in range(scene.rng.choice((1, 1, 2))):
            steps.append((at, Step("f", user=user, ip=ip, description=reason, fields=org)))
            at += scene.gap(3, 9)
    return steps


def _shared_address_blocked(scene: Scene) -> Steps:
    """Auth0 blocks an office's shared address (suspicious-IP throttling, `limit_mu`).

    Colleagues' failures come first; when the block lifts, colleagues sign in from the address
    for the next hour.
    """
    ip = scene.address()
    steps, at = [], 0
    for _ in range(12):
        code = scene.rng.choice(("fp", "fp", "fu"))
        step = (
            Step(code, user=scene.user(), ip=ip)
            if code == "fp"
            else Step(code, identity=(None, f"typo{scene.rng.randrange(10**5)}@example.com"), ip=ip)
        )
        steps.append((at, step))
        at += scene.gap(4, 12)
    steps.append(
        (at, Step("limit_mu", identity=(None, None), ip=ip, description="Blocked IP Address"))
    )
    for _ in range(20):
        at += scene.gap(8, 20)
        steps.append((at, Step("s", user=scene.user(), ip=ip)))
    return steps


def _machine_plan_and_apply(scene: Scene) -> Steps:
    """Terraform or the Deploy CLI: a token, reads that return secrets, whole objects written.

    What is written back is unchanged settings, a client's whole configuration, a grant's whole
    scope list.
    """
    tool = scene.rng.choice((TERRAFORM, DEPLOY_CLI))
    ip = scene.address()
    audience = {"audience": "https://fake-tenant.us.auth0.com/api/v2/", "scope": " ".join(tool[2])}
    token = Step(
        "seccft",
        identity=("", ""),
        ip=ip,
        description="",
        fields={"client_id": tool[0], "client_name": tool[1], **audience},
    )
    steps, at = [(0, token)], scene.gap(2, 5)
    for client, _ in (SPA, MOBILE, ("xZjM1MjUxOGVhYzYxNTAxZmE3NmI1MGIg", "Billing Service")):
        path = f"/api/v2/clients/{client}"
        steps.append(
            (
                at,
                secret_read(path, client, ip=ip, machine=tool),
            )
        )
        at += scene.gap(1, 3)
    whole = {
        "name": "Customer Portal",
        "callbacks": ["https://portal.example.com/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
    }
    steps.append(
        (
            at,
            api_call(
                "Update a client", "patch", f"/api/v2/clients/{SPA[0]}", whole, ip=ip, machine=tool
            ),
        )
    )
    at += scene.gap(1, 3)
    grant = {"scope": ["read:users", "update:users"]}
    steps.append(
        (
            at,
            api_call(
                "Update client grant",
                "patch",
                "/api/v2/client-grants/cgr_Billing000000001",
                grant,
                ip=ip,
                machine=tool,
                answer={
                    **grant,
                    "client_id": "xZjM1MjUxOGVhYzYxNTAxZmE3NmI1MGIg",
                    "audience": audience["audience"],
                },
            ),
        )
    )
    for path in scene.rng.sample(sorted(SETTINGS), 4):
        at += scene.gap(1, 3)
        description, state = SETTINGS[path]
        method = "put" if "/guardian/" in path else "patch"
        steps.append((at, api_call(description, method, path, state, ip=ip, machine=tool)))
    return steps


def _provisioning(scene: Scene) -> Steps:
    """The HR backend creates an employee's account, gives it a role, updates its metadata."""
    ip = scene.address()
    number = scene.rng.randrange(10**6)
    new_user = f"auth0|{number:024x}"
    token = Step(
        "seccft",
        identity=("", ""),
        ip=ip,
        description="",
        fields={"client_id": PROVISIONING[0], "client_name": PROVISIONING[1]},
    )
    return [
        (0, token),
        (
            2,
            api_call(
                "Create a User",
                "post",
                "/api/v2/users",
                {
                    "email": f"hire{number}@example.com",
                    "connection": "Username-Password-Authentication",
                },
                ip=ip,
                machine=PROVISIONING,
                answer={"user_id": new_user},
            ),
        ),
        (
            4,
            api_call(
                "Assign roles to a user",
                "post",
                f"/api/v2/users/{new_user}/roles",
                {"roles": ["rol_Employee00000001"]},
                ip=ip,
                machine=PROVISIONING,
            ),
        ),
        (
            6,
            api_call(
                "Update a user",
                "patch",
                f"/api/v2/users/{new_user}",
                {"app_metadata": {"department": "sales"}},
                ip=ip,
                machine=PROVISIONING,
            ),
        ),
    ]


def _form_saved(scene: Scene) -> Steps:
    """An administrator saves a Dashboard form, which resends the whole settings object.

    Or a feature is switched on: bot detection for password logins, a factor, the MFA policy,
    risk assessment.
    """
    admin, ip = scene.rng.choice(ADMINS), scene.address()
    steps, at = [], 0
    for path in scene.rng.sample(sorted(SETTINGS), 2):
        description, state = SETTINGS[path]
        if "allowlist" in state and scene.rng.random() < 0.5:  # the form sends it in its order
            state = {**state, "allowlist": list(reversed(state["allowlist"]))}
        method = "put" if "/guardian/" in path else "patch"
        steps.append((at, api_call(description, method, path, state, ip=ip, user=admin)))
        at += scene.gap(5, 30)
    policy = ["all-applications"]
    steps.append(
        (
            at,
            api_call(
                "Update multi-factor authentication policies",
                "put",
                "/api/v2/guardian/policies",
                policy,
                ip=ip,
                user=admin,
            ),
        )
    )
    return steps


def _refresh_rotation(scene: Scene) -> Steps:
    """A single-page app open in two tabs, or a mobile app retrying: refresh tokens rotated.

    Now and then one is presented twice (`ferrt`), from the user's own address and agent.
    """
    user, ip = scene.user(), scene.address()
    mobile = scene.rng.random() < 0.5
    client = MOBILE if mobile else SPA
    family = f"rtf_{scene.rng.getrandbits(64):016x}"
    fields = {
        "client_id": client[0],
        "client_name": client[1],
        "user_agent": "Chrome 134.0.0 / Windows 10.0.0"
        if not mobile
        else "okhttp 4.12.0 / Android 14",
    }

    def exchange(code: str) -> Step:
        return Step(
            code, user=user, ip=ip, description="", details={"familyId": family}, fields=fields
        )

    steps = [(0, exchange("seacft"))]
    at = 0
    for _ in range(scene.gap(3, 8)):
        at += scene.gap(20, 60)
        steps.append((at, exchange("sertft")))
    at += scene.gap(1, 3)
    reused = "Unsuccessful Refresh Token exchange, reused refresh token detected"
    steps.append(
        (
            at,
            Step(
                "ferrt",
                user=user,
                ip=ip,
                description=reused,
                details={"familyId": family},
                fields=fields,
            ),
        )
    )
    return steps


def _test_accounts(scene: Scene) -> Steps:
    """The QA team's two test accounts enrol the team's one phone for SMS MFA.

    Again after each test run resets them: the same two accounts each time.
    """
    ip = scene.address()
    details = {"authenticator": {"type": "sms", "phone_number": TEST_PHONE}}
    return [
        (
            10 * k,
            Step(
                "gd_enrollment_complete",
                identity=(f"auth0|qa{k:022d}", f"qa{k}@example.com"),
                ip=ip,
                description="Guardian - Enrollment complete",
                details=details,
            ),
        )
        for k in range(2)
    ]


def _kiosk(scene: Scene) -> Steps:
    """A library's kiosk: people sign in and out in turn, a few mistype once."""
    ip = scene.address()
    steps, at = [], 0
    for _ in range(25):
        user = scene.user()
        if scene.rng.random() < 0.15:
            steps.append((at, Step("fp", user=user, ip=ip)))
            at += scene.gap(2, 4)
        steps.append((at, Step("s", user=user, ip=ip)))
        at += scene.gap(6, 12)
        steps.append((at, Step("slo", user=user, ip=ip, description="")))
        at += scene.gap(1, 3)
    return steps


def _signup_desk(scene: Scene) -> Steps:
    """An event's signup desk (one address, a proxy): a dozen people sign up within minutes.

    Each verifies the e-mail soon after.
    """
    ip = scene.address()
    steps = []
    for k in range(12):
        number = scene.rng.randrange(10**6)
        person = (f"auth0|{number:024x}", f"guest{number}@example.com")
        steps.append((8 * k, Step("ss", identity=person, ip=ip)))
        steps.append(
            (
                8 * k + 100 + scene.gap(0, 60),
                Step("sv", identity=person, ip=scene.address(), description=""),
            )
        )
    return steps


WRONG = "Wrong email or password."
#: The company's VPN: its exit, a datacenter far from most people's homes (an index into the
#: fake tenant's places), through which colleagues sign in before they switch it off.
VPN_EXIT = ("151.101.77.7", 1)
#: A mobile carrier's address pool (CGNAT): a phone on it changes address within it all day.
CARRIER = "100.70"
#: The school's address, behind which a class signs in.
SCHOOL = "176.58.12.9"


def _mistyped_until_blocked(scene: Scene, user: int, ip: str) -> tuple[Steps, int]:
    """Ten wrong passwords, then Auth0's brute-force block of the address on the account."""
    steps, at = [], 0
    for _ in range(10):
        steps.append((at, Step("fp", user=user, ip=ip, description=WRONG)))
        at += scene.gap(2, 6)
    steps.append((at, Step("limit_wc", user=user, ip=ip, description="Blocked Account")))
    return steps, at


def _help_desk_unblock(scene: Scene) -> Steps:
    """Blocked after ten wrong passwords, unblocked by the help desk, signed in.

    The help desk removes the block through the Management API (`DELETE /api/v2/user-blocks/{id}`).
    """
    user, ip = scene.user(), scene.address()
    steps, at = _mistyped_until_blocked(scene, user, ip)
    at += scene.gap(60, 200)
    path = f"/api/v2/user-blocks/{user_id_for(user).replace('|', '%7C')}"
    admin = scene.rng.choice(ADMINS)
    steps.append(
        (at, api_call("Unblock a user", "delete", path, {}, ip=scene.address(), user=admin))
    )
    return [*steps, (at + scene.gap(10, 40), Step("s", user=user, ip=ip))]


def _unblock_email(scene: Scene) -> Steps:
    """Blocked after ten wrong passwords, unblocked by the link Auth0 e-mailed.

    The user follows it (the `brute-force-protection-unblock` screen) and signs in from the same
    address.
    """
    user, ip = scene.user(), scene.address()
    steps, at = _mistyped_until_blocked(scene, user, ip)
    return [*steps, (at + scene.gap(100, 300), Step("s", user=user, ip=ip))]


def _skewed_authenticator(scene: Scene) -> Steps:
    """An authenticator app whose clock drifted, until Auth0 blocks its codes.

    Wrong codes until `gd_otp_rate_limit_exceed`; the clock set right, a code that works, the login.
    """
    user, ip = scene.user(), scene.address()
    steps, at = [], 0
    for _ in range(10):
        steps.append((at, Step("gd_auth_failed", user=user, ip=ip, description="Wrong OTP.")))
        at += scene.gap(3, 9)
    steps.append((at, Step("gd_otp_rate_limit_exceed", user=user, ip=ip, description="")))
    at += scene.gap(150, 300)
    steps.append((at, Step("gd_auth_succeed", user=user, ip=ip, description="")))
    return [*steps, (at + scene.gap(2, 5), Step("s", user=user, ip=ip))]


def _breached_password_watched(scene: Scene) -> Steps:
    """Someone signs in with a password from a breach, and gets in.

    Breached-password detection only watches logins (monitoring): Auth0 logs `pwd_leak` and lets
    the login through.
    """
    user, ip = scene.user(), scene.address()
    leak = f"Someone behind the IP address: {ip} attempted to login with a leaked password."
    return [
        (0, Step("pwd_leak", user=user, ip=ip, description=leak)),
        (scene.gap(1, 3), Step("s", user=user, ip=ip)),
    ]


def _dashboard_application(scene: Scene) -> Steps:
    """An administrator creates a backend's application in the Dashboard.

    The machine-to-machine application, its grant to the Management API (the wizard's step), then
    the credentials tab, which reads its secret.
    """
    admin, ip = scene.rng.choice(ADMINS), scene.address()
    client = f"{scene.rng.getrandbits(128):032x}"
    grant = {
        "client_id": client,
        "audience": "https://fake-tenant.us.auth0.com/api/v2/",
        "scope": ["read:users"],
    }
    read = secret_read(f"/api/v2/clients/{client}", client, ip=ip, user=admin)
    create = {"name": "Reporting sync", "app_type": "non_interactive"}
    return [
        (
            0,
            api_call(
                "Create a client",
                "post",
                "/api/v2/clients",
                create,
                ip=ip,
                user=admin,
                answer={**create, "client_id": client},
            ),
        ),
        (
            scene.gap(20, 60),
            api_call(
                "Create client grant", "post", "/api/v2/client-grants", grant, ip=ip, user=admin
            ),
        ),
        (scene.gap(70, 120), read),
    ]


def _secret_rotated(scene: Scene) -> Steps:
    """A scheduled rotation: a secret rotated, and the new one read to deploy it."""
    admin, ip = scene.rng.choice(ADMINS), scene.address()
    client = "xZjM1MjUxOGVhYzYxNTAxZmE3NmI1MGIg"  # the Billing Service
    path = f"/api/v2/clients/{client}"
    return [
        (
            0,
            api_call(
                "Rotate a client secret",
                "post",
                f"{path}/rotate-secret",
                {},
                ip=ip,
                user=admin,
                answer={"client_id": client},
            ),
        ),
        (
            scene.gap(10, 40),
            secret_read(path, client, ip=ip, user=admin),
        ),
    ]


def _offboarding(scene: Scene) -> Steps:
    """A Dashboard member leaves: removed, and the replacement invited as an editor."""
    admin, ip = scene.rng.choice(ADMINS), scene.address()
    leaver = f"auth0|{scene.rng.getrandbits(96):024x}"
    hire = f"hire{scene.rng.randrange(10**5)}@example.com"
    invitation = {"owners": [hire], "roles": ["editor"]}
    return [
        (
            0,
            api_call(
                "Delete tenant member",
                "delete",
                f"/api/v2/tenants/members/{leaver}",
                {},
                ip=ip,
                user=admin,
            ),
        ),
        (
            scene.gap(30, 150),
            api_call(
                "Create tenant invitations for a given client",
                "post",
                "/api/v2/tenants/invitations",
                invitation,
                ip=ip,
                user=admin,
                answer=[{"email": hire, "roles": ["editor"]}],
            ),
        ),
    ]


def _first_lesson(scene: Scene) -> Steps:
    """A class's first lesson behind the school's address, half of it mistyping.

    Twenty pupils sign in with the passwords they were just given, within minutes; half of them
    mistype once or twice first.
    """
    steps, at = [], 0
    for k in range(20):
        pupil = scene.user()
        for _ in range(scene.rng.choice((1, 1, 2)) if k % 2 else 0):
            steps.append((at, Step("fp", user=pupil, ip=SCHOOL, description=WRONG)))
            at += scene.gap(3, 8)
        steps.append((at, Step("s", user=pupil, ip=SCHOOL)))
        at += scene.gap(5, 15)
    return steps


def _carrier_refresh(scene: Scene) -> Steps:
    """A mobile app on a carrier's network rotating its refresh token.

    Each refresh comes from another address of the carrier's pool; a retry after the carrier moved
    the phone presents the old token again.
    """
    user = scene.user()
    family = f"rtf_{scene.rng.getrandbits(64):016x}"
    fields = {
        "client_id": MOBILE[0],
        "client_name": MOBILE[1],
        "user_agent": "okhttp 4.12.0 / Android 14",
    }

    def pooled() -> str:
        return f"{CARRIER}.{scene.rng.randrange(256)}.{scene.rng.randrange(1, 255)}"

    details = {"familyId": family}
    steps = [
        (0, Step("seacft", user=user, ip=pooled(), description="", details=details, fields=fields))
    ]
    at = 0
    for _ in range(scene.gap(4, 9)):
        at += scene.gap(20, 45)
        steps.append(
            (
                at,
                Step(
                    "sertft", user=user, ip=pooled(), description="", details=details, fields=fields
                ),
            )
        )
    reused = "Unsuccessful Refresh Token exchange, reused refresh token detected"
    steps.append(
        (
            at + scene.gap(1, 2),
            Step(
                "ferrt", user=user, ip=pooled(), description=reused, details=details, fields=fields
            ),
        )
    )
    return steps


def _vpn(scene: Scene) -> Steps:
    """Colleagues sign in through the company's VPN, then from home on the same laptop.

    The VPN's exit is far from most homes; minutes later they switch it off and sign in again.
    """
    ip, place = VPN_EXIT
    steps, at = [], 0
    for _ in range(3):
        user = scene.user()
        laptop = {
            "user_agent": scene.rng.choice(
                ("Chrome 134.0.0 / Windows 10.0.0", "Safari 18.1.0 / Mac OS X 15.1.0")
            )
        }
        steps.append((at, Step("s", user=user, ip=ip, place=place, fields=laptop)))
        steps.append(
            (at + scene.gap(150, 300), Step("s", user=user, ip=scene.address(), fields=laptop))
        )
        at += scene.gap(5, 20)
    return steps


def _social_signups(scene: Scene) -> Steps:
    """A dozen people sign up with Google behind a carrier's address, within minutes.

    Google verified their e-mail, so Auth0 sends none and no `sv` follows.
    """
    ip = f"{CARRIER}.{scene.rng.randrange(256)}.{scene.rng.randrange(1, 255)}"
    google = {
        "connection": "google-oauth2",
        "connection_id": "con_g00gleXk2PqL9sZr",
        "strategy": "google-oauth2",
        "strategy_type": "social",
    }
    steps = []
    for k in range(12):
        number = scene.rng.randrange(10**9)
        person = (f"google-oauth2|{number:021d}", f"fan{number}@gmail.com")
        steps.append((20 * k + scene.gap(0, 10), Step("ss", identity=person, ip=ip, fields=google)))
    return steps


# --- what takes hours, planned over periods ---------------------------------------------------


def _sms_step_ups(scene: Scene) -> Steps:
    """A finance user approves payments all afternoon, a text message before each.

    SMS MFA about every twenty minutes, each answered.
    """
    user, ip = scene.user(), scene.address()
    steps, at = [], 0
    for _ in range(10):
        steps.append((at, Step("gd_send_sms", user=user, ip=ip, description="")))
        steps.append(
            (at + scene.gap(10, 30), Step("gd_auth_succeed", user=user, ip=ip, description=""))
        )
        at += scene.gap(550, 650)
    return steps


def _mcp_registrations(scene: Scene) -> Steps:
    """An MCP server's AI clients register by dynamic client registration.

    One about every twenty minutes (`sapi` "Dynamic client registration", `POST /oidc/register`).
    """
    steps, at = [], 0
    for _ in range(10):
        body = {
            "client_name": f"mcp-assistant-{scene.rng.randrange(10**6)}",
            "redirect_uris": ["http://127.0.0.1:33418/callback"],
        }
        client = f"{scene.rng.getrandbits(128):032x}"
        details = {
            "request": {"method": "post", "path": "/oidc/register", "body": body},
            "response": {"statusCode": 201, "body": {**body, "client_id": client}},
        }
        fields = {"client_id": client, "client_name": body["client_name"]}
        registration = Step(
            "sapi",
            identity=(None, None),
            ip=scene.address(),
            description="Dynamic client registration",
            details=details,
            fields=fields,
        )
        steps.append((at, registration))
        at += scene.gap(500, 700)
    return steps


def _morning_rush(scene: Scene, people: int) -> Steps:
    """The working day starts: people mistype their names, then sign in.

    Within ten minutes, each from their own address (`fu`, then `s`).
    """
    steps = []
    for _ in range(people):
        ip, at = scene.address(), scene.rng.randrange(280)
        name = scene.rng.choice(("jonh", "mray", "alcie", "rboert"))
        typo = f"{name}{scene.rng.randrange(10**4)}@example.com"
        steps.append((at, Step("fu", identity=(None, typo), ip=ip, description=WRONG)))
        steps.append((at + scene.gap(5, 15), Step("s", user=scene.user(), ip=ip)))
    return steps


#: Each scenario and how many of it come in 10,000 logs.
SCENARIOS: dict[str, tuple[Callable[[Scene], Steps], float]] = {
    "forgotten_password": (_forgotten_password, 8.0),
    "step_up": (_step_up, 8.0),
    "passwordless": (_passwordless, 10.0),
    "organization_invitation": (_organization_invitation, 2.0),
    "action_denies": (_action_denies, 0.5),
    "shared_address_blocked": (_shared_address_blocked, 0.5),
    "machine_plan_and_apply": (_machine_plan_and_apply, 2.0),
    "provisioning": (_provisioning, 3.0),
    "form_saved": (_form_saved, 1.0),
    "refresh_rotation": (_refresh_rotation, 6.0),
    "test_accounts": (_test_accounts, 0.3),
    "kiosk": (_kiosk, 0.5),
    "signup_desk": (_signup_desk, 0.5),
    "help_desk_unblock": (_help_desk_unblock, 2.0),
    "unblock_email": (_unblock_email, 2.0),
    "skewed_authenticator": (_skewed_authenticator, 2.0),
    "breached_password_watched": (_breached_password_watched, 2.0),
    "dashboard_application": (_dashboard_application, 1.0),
    "secret_rotated": (_secret_rotated, 1.0),
    "offboarding": (_offboarding, 0.5),
    "first_lesson": (_first_lesson, 0.5),
    "carrier_refresh": (_carrier_refresh, 4.0),
    "vpn": (_vpn, 3.0),
    "social_signups": (_social_signups, 0.5),
}
#: What takes hours, and how many of it come in a period of `PERIOD` logs.
LONG_SCENARIOS: dict[str, tuple[Callable[[Scene], Steps], float]] = {
    "sms_step_ups": (_sms_step_ups, 1.0),
    "mcp_registrations": (_mcp_registrations, 1.0),
}
#: The morning rush: when (UTC), how long (logs), and how many people on a working day and on
#: a weekend.
RUSH_HOUR, RUSH_PEOPLE = 8, (55, 30)


def _place(
    rng: random.Random,
    events: dict[int, Step],
    steps: Steps,
    start: int,
    size: int,
    taken: Callable[[int], bool],
) -> None:
    """Put `steps` somewhere in logs `start` to `start + size` (none if they cannot fit)."""
    span = max(offset for offset, _ in steps)
    if span >= size:
        return
    first = start + rng.randrange(size - span)
    numbers = [first + offset for offset, _ in steps]
    if len(set(numbers)) < len(numbers) or any(n in events or taken(n) for n in numbers):
        return
    events.update({first + offset: step for offset, step in steps})


def _count(rng: random.Random, expected: float) -> int:
    return int(expected) + (1 if rng.random() < expected - int(expected) else 0)


def block_plan(seed: int, block: int, users: int, taken: Callable[[int], bool]) -> dict[int, Step]:
    """Log number -> event, for the scenarios of block `block` (a pure function of its inputs).

    `taken(n)` says that log `n` already holds a planted attack's event (or a longer flow's).
    """
    rng = random.Random(seed * 1_000_003 + block)
    scene = Scene(rng, users)
    events: dict[int, Step] = {}
    for name in sorted(SCENARIOS):
        build, rate = SCENARIOS[name]
        for _ in range(_count(rng, rate * BLOCK / 10_000)):
            _place(rng, events, build(scene), block * BLOCK, BLOCK, taken)
    return events


def period_plan(
    seed: int,
    period: int,
    users: int,
    taken: Callable[[int], bool],
    clock: Callable[[int], datetime],
) -> dict[int, Step]:
    """Log number -> event, for what takes hours in period `period`, and the morning rush.

    `clock(n)` is when log `n` was written: the rush starts at `RUSH_HOUR` (UTC) each day, a
    few minutes either side, bigger on working days.
    """
    rng = random.Random(seed * 2_000_029 + period)
    scene = Scene(rng, users)
    start, end = period * PERIOD, (period + 1) * PERIOD
    events: dict[int, Step] = {}
    for name in sorted(LONG_SCENARIOS):
        build, rate = LONG_SCENARIOS[name]
        for _ in range(_count(rng, rate)):
            _place(rng, events, build(scene), start, PERIOD, taken)
    first_day, last_day = clock(start).date(), clock(end - 1).date()
    for ordinal in range(first_day.toordinal(), last_day.toordinal() + 1):
        day = date.fromordinal(ordinal)
        rush = datetime.combine(day, time(RUSH_HOUR), tzinfo=UTC)
        rush += timedelta(minutes=rng.uniform(-5, 5))
        at = start + bisect.bisect_left(range(start, end), rush, key=clock)
        if start < at < end - 300:
            people = RUSH_PEOPLE[0] if day.weekday() < 5 else RUSH_PEOPLE[1]
            steps = _morning_rush(scene, people)
            for k in range(0, len(steps), 2):  # each person's typo and login, where both fit
                (typo_at, typo), (login_at, login) = steps[k : k + 2]
                pair = [(0, typo), (login_at - typo_at, login)]
                _place(rng, events, pair, at + typo_at, login_at - typo_at + 1, taken)
    return events

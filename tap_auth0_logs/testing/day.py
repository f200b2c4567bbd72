"""A real tenant's ordinary day: Auth0's documented flows, written as small scenario builders.

People do more than sign in. They forget a password and reset it, approve a push before each
sensitive action, sign in with a link by e-mail, accept an organization's invitation, are denied
by a post-login Action; Auth0 blocks an office's shared address; machine clients (Terraform, the
Deploy CLI, a provisioning backend) read and write the Management API with whole objects; an
administrator saves a Dashboard form, which resends every setting on it; features are switched
on; single-page apps rotate refresh tokens across tabs and mobile apps retry; test accounts share
a phone; a kiosk and a signup desk put many people behind one address. None of it is an attack,
and no detection may rate it above low.

The day is cut into blocks of `BLOCK` logs. Which scenarios a block holds, where, and who is in
them are a function of the tenant's seed and the block's number (a seeded `random.Random`), so
log `n` stays a pure function of (seed, n) and a tenant that grows keeps its earlier logs. Each
kind comes at a rate per 10,000 logs (about five and a half hours of the fake tenant's traffic);
a scenario lies inside its block, and one that would share a log with a planted attack or another
scenario is left out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tap_auth0_logs.testing.attacks import BRUTE_FORCE_PROTECTION, Step, api_call

if TYPE_CHECKING:
    from collections.abc import Callable

BLOCK = 500
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
SETTINGS: dict[str, tuple[str, dict[str, Any]]] = {
    "/api/v2/attack-protection/brute-force-protection": (
        "Update Brute-force settings",
        BRUTE_FORCE_PROTECTION,
    ),
    "/api/v2/attack-protection/suspicious-ip-throttling": (
        "Update Suspicious IP Throttling settings",
        {
            "enabled": True,
            "shields": ["block", "admin_notification"],
            "allowlist": ["192.0.2.0/24"],
            "stage": {
                "pre-login": {"max_attempts": 100, "rate": 864000},
                "pre-user-registration": {"max_attempts": 50, "rate": 1200},
            },
        },
    ),
    "/api/v2/attack-protection/breached-password-detection": (
        "Update Breached Password Detection settings",
        {
            "enabled": True,
            "shields": ["block", "admin_notification"],
            "admin_notification_frequency": ["daily"],
            "method": "standard",
        },
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
                api_call(
                    "Get client by ID",
                    "get",
                    path,
                    {},
                    ip=ip,
                    machine=tool,
                    code="mgmt_api_read",
                    answer={"client_id": client},
                    secrets=("client_secret",),
                ),
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
    steps = [
        (
            0,
            Step(
                "seacft",
                user=user,
                ip=ip,
                description="",
                details={"familyId": family},
                fields=fields,
            ),
        )
    ]
    at = 0
    for _ in range(scene.gap(3, 8)):
        at += scene.gap(20, 60)
        steps.append(
            (
                at,
                Step(
                    "sertft",
                    user=user,
                    ip=ip,
                    description="",
                    details={"familyId": family},
                    fields=fields,
                ),
            )
        )
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
}


def block_plan(seed: int, block: int, users: int, taken: Callable[[int], bool]) -> dict[int, Step]:
    """Log number -> event, for the scenarios of block `block` (a pure function of its inputs).

    `taken(n)` says that log `n` already holds a planted attack's event.
    """
    rng = random.Random(seed * 1_000_003 + block)
    scene = Scene(rng, users)
    start = block * BLOCK
    events: dict[int, Step] = {}
    for name in sorted(SCENARIOS):
        build, rate = SCENARIOS[name]
        expected = rate * BLOCK / 10_000
        count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
        for _ in range(count):
            steps = build(scene)
            span = max(offset for offset, _ in steps)
            if span >= BLOCK:
                continue
            first = start + rng.randrange(BLOCK - span)
            numbers = [first + offset for offset, _ in steps]
            if len(set(numbers)) < len(numbers) or any(n in events or taken(n) for n in numbers):
                continue
            events.update({first + offset: step for offset, step in steps})
    return events

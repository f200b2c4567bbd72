"""Attacks the fake tenant can plant among its ordinary traffic: the ground truth of detections.

An attack is a kind and the log number of its first event; its other events follow at fixed
offsets, with ordinary logs in between (the tenant's logs are about 2 s apart, so an offset of
30 is about a minute). Who is attacked and from where are functions of the log number, so a
planted tenant is as deterministic as an ordinary one, and `Attack.finding` says what a
detection must report.

    TenantLogs(count=5000, attacks=(Attack("brute_force", at=1200),))
    python -m tap_auth0_logs.testing --plant brute_force@1200 --plant mfa_fatigue@3000

The kinds, and what each plants (the detections' default thresholds sit inside each one):

- `brute_force`: 12 wrong-password logins (`fp`) on one user from one IP, 6 s apart, then
  Auth0's block of that IP on that account (`limit_wc`).
- `credential_stuffing`: one IP failing against 30 accounts in 2 minutes, most of them unknown
  (`fu`), then Auth0's block of the IP (`limit_mu`).
- `password_spraying`: one IP trying one password on each of 15 real users, 80 s apart; 2 of
  them succeed (`s`).
- `mfa_fatigue`: 10 push notifications sent (`gd_send_pn`) to one user in 80 s, 6 of them
  rejected (`gd_auth_rejected`), then the user gives in (`gd_auth_succeed`, `s`).
- `impossible_travel`: a user logs in at home, then a minute later from the far side of the
  world (both `s`).
- `breached_password`: a login with a breached password (`pwd_leak`).
- `management_change`: an administrator grants a role, blocks a user and changes an
  application through the Management API (`sapi`), 20 s apart.
- `security_weakened`: a stolen administrator's session turns suspicious-IP throttling off, sets
  the MFA policy to never and pauses a log stream (`sapi`, the settings in the bodies).
- `tenant_takeover`: someone invites a new dashboard owner, grants an application Management
  API scopes (`sapi`) and reads an application's client secret (`mgmt_api_read`).
- `refresh_token_reuse`: a stolen refresh token replayed after the app rotated it: Auth0
  refuses it three times as reused (`ferrt`).
- `auth0_blocks`: someone guessing a user's one-time codes (`gd_auth_failed` × 5) until Auth0
  blocks the account's MFA (`gd_otp_rate_limit_exceed`).
- `block_surge`: a distributed brute force Auth0 stops account by account: 30 blocks
  (`limit_wc`), each of another user from another address, 10 s apart.
- `signup_fraud`: a script signs up 25 accounts from one address in 2.5 minutes (`ss`).
- `sms_bombing`: 15 MFA text messages to one user in 2 minutes (`gd_send_sms`).
- `shared_mfa_phone`: one phone number enrolled as the second factor of 4 accounts
  (`gd_enrollment_complete`, `details.authenticator.phone_number`).
- `distributed_stuffing`: 60 addresses, each trying 2 unknown users (`fu`) a few minutes apart,
  120 failures in about 8 minutes: no address alone is worth a look, the tenant's failures on
  unknown users are many times its usual.
- `shields_without_block`: the stolen administrator's session leaves brute-force protection
  on but takes `block` out of its shields (monitoring only; `sapi`, the answer's `shields`).
- `risk_assessment_off`: the stolen session turns adaptive MFA's risk assessment off through the
  endpoint the Dashboard uses (`PATCH /api/v2/risk-assessment/config`, `AfterAuthentication`
  false in the answer).

And what real tenants do that looks like an attack to a naive detection (`LOOK_ALIKES`), planted
the same way; no detection may report them:

- `office`: 60 colleagues behind one address (an office's NAT, a carrier's CGNAT) sign in over
  about two hours, 6 of them after mistyping once (`fp`, then `s`).
- `polling_app`: a single-page app whose session expired polls silent authentication for one
  user every ~20 s for half an hour (`fsa`, 100 times).
- `mistype_then_login`: a user mistypes four times, then gets in (`fp` × 4, `s`).
- `signup_burst`: 50 people sign up within three minutes after a launch (`ss`, each from their
  own address).
- `traveller`: someone flies from Berlin to Lagos (4,770 km): a login before the flight, then
  two after landing, 6.7 hours later (a user of their own, so no login at home comes between).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

ATTACKS = (
    "brute_force",
    "credential_stuffing",
    "password_spraying",
    "mfa_fatigue",
    "impossible_travel",
    "breached_password",
    "management_change",
    "security_weakened",
    "tenant_takeover",
    "refresh_token_reuse",
    "auth0_blocks",
    "block_surge",
    "signup_fraud",
    "sms_bombing",
    "shared_mfa_phone",
    "distributed_stuffing",
    "shields_without_block",
    "risk_assessment_off",
)
LOOK_ALIKES = ("office", "polling_app", "mistype_then_login", "signup_burst", "traveller")
KINDS = ATTACKS + LOOK_ALIKES
#: Who calls the Management API in the attacks that use it: (user_id, e-mail).
ADMIN = ("google-oauth2|104387223358712001", "admin@example.com")  # management_change
STOLEN_ADMIN = ("google-oauth2|104387223358712077", "ops@example.com")  # security_weakened
INTRUDER = ("auth0|66b0c0ffee0000000000beef", "helper@example.net")  # tenant_takeover
#: The tenant's Management API audience as the fake tenant's `hostname` names it.
MANAGEMENT_AUDIENCE = "https://fake-tenant.us.auth0.com/api/v2/"
#: The phone number `shared_mfa_phone` enrolls for every account (a fictional number).
SHARED_PHONE = "+15555550123"
#: The Dashboard's own client (its "Global Client"), through which administrators' changes come.
DASHBOARD_CLIENT = "G10ba1C1ientOfTheDashboard0000000"
#: Where `traveller` flies from and to (indexes into the fake tenant's places).
BERLIN, LAGOS = 1, 5
#: The program the attacker's events come from (Auth0 logs the parsed user agent): a headless
#: browser, never one of the tenant's people's.
ATTACKER_AGENT = "HeadlessChrome 120.0.0 / Linux 0.0.0"
#: A database connection's signup (Auth0 sends a verification e-mail; social signups need none).
DATABASE = {
    "connection": "Username-Password-Authentication",
    "connection_id": "con_AFENSpbGUJYLjZz6",
    "strategy": "auth0",
    "strategy_type": "database",
}


def user_id_for(number: int) -> str:
    """The id of the tenant's user `number`; its `auth0|` prefix needs URL-encoding."""
    return f"auth0|{number:024x}"


@dataclass(frozen=True)
class Step:
    """One planted event: what it overrides in an ordinary log (None keeps the ordinary value)."""

    code: str
    user: int | None = None  # a user number of the tenant
    #: (user_id, user_name) as logged, for someone who is not a numbered user of the tenant: an
    #: unknown name (`fu`), the Management API's caller (`sapi`), nobody (an IP's block).
    identity: tuple[str | None, str | None] | None = None
    ip: str | None = None
    far: bool = False  # from the place farthest from the user's home (else from home)
    place: int | None = None  # where the attacker is (an index into the tenant's places)
    description: str | None = None
    details: dict[str, Any] | None = None
    #: Other top-level fields as logged (a client, a connection, an organization, a user agent).
    fields: dict[str, Any] | None = None


@dataclass(frozen=True)
class Finding:
    """What a detection must report for a planted attack."""

    detection: str
    subject_type: str  # "user", "ip", "tenant" or "phone"
    subject: str


@dataclass(frozen=True)
class Attack:
    """A planted attack: its kind and the log number of its first event.

    Victims are chosen among the tenant's users; `TenantLogs` sizes its attacks to its own.
    """

    kind: str
    at: int
    _users: int = field(default=200, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown attack {self.kind!r}; the kinds are {', '.join(KINDS)}")
        if self.at < 0:
            raise ValueError("an attack starts at a log number, 0 or more")

    @classmethod
    def parse(cls, text: str) -> Attack:
        """`kind@number`, as the fake tenant's `--plant` option takes it."""
        kind, _, at = text.partition("@")
        if not at.isdigit():
            raise ValueError(f"--plant takes KIND@LOG_NUMBER, e.g. brute_force@1200, not {text!r}")
        return cls(kind, int(at))

    def for_users(self, users: int) -> Attack:
        """The same attack in a tenant of `users` users (victims are chosen among them)."""
        return Attack(self.kind, self.at, users)

    # --- who and from where ------------------------------------------------------------
    @property
    def ip(self) -> str:
        """The attacker's address (TEST-NET-3, one per planted attack)."""
        return f"203.0.113.{1 + (self.at * 37 + KINDS.index(self.kind)) % 254}"

    def victim(self, k: int = 0) -> int:
        """The number of the `k`-th user this attack targets: real users of the tenant."""
        span = max(1, self._users - 1)
        return 1 + (self.at * 7919 + k * 104729) % span

    def victims(self, count: int) -> list[int]:
        """`count` distinct users (as many as the tenant has)."""
        chosen: list[int] = []
        k = 0
        while len(chosen) < min(count, max(1, self._users - 1)):
            user = self.victim(k)
            if user not in chosen:
                chosen.append(user)
            k += 1
        return chosen

    # --- the events ----------------------------------------------------------------------
    @property
    def origin(self) -> int:
        """Where the attacker is: a place of the tenant's (taken modulo their number)."""
        return self.at * 31 + KINDS.index(self.kind)

    def steps(self) -> list[tuple[int, Step]]:
        """(offset from `at`, event) for each event; the attacker's events come from `origin`.

        The attacker's come from the attacker's own program (`ATTACKER_AGENT`). A look-alike's
        people are where they live (an office's address is geolocated nowhere in particular).
        """
        if self.kind in LOOK_ALIKES:
            return self._steps()
        return [
            (offset, self._attackers(step) if step.ip or step.far else step)
            for offset, step in self._steps()
        ]

    def _attackers(self, step: Step) -> Step:
        """`step` as the attacker's: from the attacker's place, with the attacker's program."""
        fields = {"user_agent": ATTACKER_AGENT, **(step.fields or {})}
        return replace(step, place=None if step.far else self.origin, fields=fields)

    def _steps(self) -> list[tuple[int, Step]]:
        plant: Callable[[], list[tuple[int, Step]]] = getattr(self, f"_{self.kind}")
        return plant()

    def _brute_force(self) -> list[tuple[int, Step]]:
        user, ip = self.victim(), self.ip
        steps = [(3 * k, Step("fp", user=user, ip=ip)) for k in range(12)]
        return [*steps, (36, Step("limit_wc", user=user, ip=ip, description="Blocked Account"))]

    def _credential_stuffing(self) -> list[tuple[int, Step]]:
        real, ip = self.victims(10), self.ip
        steps = []
        for k in range(30):
            if k % 3 == 2:
                step = Step("fp", user=real[(k // 3) % len(real)], ip=ip)
            else:
                step = Step("fu", identity=(None, f"leaked{k}.{self.at}@example.org"), ip=ip)
            steps.append((2 * k, step))
        blocked = Step("limit_mu", identity=(None, None), ip=ip, description="Blocked IP Address")
        return [*steps, (60, blocked)]

    def _password_spraying(self) -> list[tuple[int, Step]]:
        return [
            (40 * k, Step("s" if k in (4, 11) else "fp", user=user, ip=self.ip))
            for k, user in enumerate(self.victims(15))
        ]

    def _mfa_fatigue(self) -> list[tuple[int, Step]]:
        user, ip = self.victim(), self.ip
        steps = [(4 * k, Step("gd_send_pn", user=user, ip=ip)) for k in range(10)]
        steps += [(4 * k + 2, Step("gd_auth_rejected", user=user, ip=ip)) for k in range(6)]
        gives_in = [Step("gd_auth_succeed", user=user, ip=ip), Step("s", user=user, ip=ip)]
        return [*steps, (41, gives_in[0]), (42, gives_in[1])]

    def _impossible_travel(self) -> list[tuple[int, Step]]:
        user = self.victim()
        return [(0, Step("s", user=user)), (30, Step("s", user=user, far=True))]

    def _breached_password(self) -> list[tuple[int, Step]]:
        return [(0, Step("pwd_leak", user=self.victim(), ip=self.ip, description=""))]

    def _management_change(self) -> list[tuple[int, Step]]:
        target = user_id_for(self.victim())
        changes = [
            (
                "Assign roles to a user",
                "post",
                f"/api/v2/users/{target}/roles",
                {"roles": ["rol_admin"]},
            ),
            ("Update a user", "patch", f"/api/v2/users/{target}", {"blocked": True}),
            (
                "Update a client",
                "patch",
                "/api/v2/clients/7RyK6txXYPZTQGOAwwln6Eoie0gVZ2cu",
                {"callbacks": ["https://evil.example.net/cb"]},
            ),
        ]
        return [(10 * k, self._api_call(ADMIN, *change)) for k, change in enumerate(changes)]

    def _security_weakened(self) -> list[tuple[int, Step]]:
        changes = [
            (
                "Update Suspicious IP Throttling settings",
                "patch",
                "/api/v2/attack-protection/suspicious-ip-throttling",
                {**SUSPICIOUS_IP_THROTTLING, "enabled": False},  # the form resends the whole object
            ),
            ("Update multi-factor authentication policies", "put", "/api/v2/guardian/policies", []),
            (
                "Update a log stream",
                "patch",
                "/api/v2/log-streams/lst_0000000000017735",
                {"status": "paused"},
            ),
        ]
        return [(10 * k, self._api_call(STOLEN_ADMIN, *change)) for k, change in enumerate(changes)]

    def _tenant_takeover(self) -> list[tuple[int, Step]]:
        client = "9kLm2XyQ7rTz4wPb1sVn8cDf3gHj6aEu"
        invite = (
            "Create tenant invitations for a given client",
            "post",
            "/api/v2/tenants/invitations",
            {"owners": ["mallory@example.net"], "roles": ["owner"]},
        )
        grant = (
            "Create client grant",
            "post",
            "/api/v2/client-grants",
            {
                "client_id": client,
                "audience": MANAGEMENT_AUDIENCE,
                "scope": ["read:users", "update:users", "delete:users"],
            },
        )
        read = self._api_call(
            INTRUDER,
            "Get client by ID",
            "get",
            f"/api/v2/clients/{client}",
            {},
            code="mgmt_api_read",
        )
        read_details = {**(read.details or {}), "accessedSecrets": ["client_secret"]}
        return [
            (0, self._api_call(INTRUDER, *invite)),
            (10, self._api_call(INTRUDER, *grant)),
            (20, replace(read, details=read_details)),
        ]

    def _api_call(
        self,
        actor: tuple[str, str],
        description: str,
        method: str,
        path: str,
        body: Any,
        code: str = "sapi",
    ) -> Step:
        """A Management API call by `actor` from the attacker's address, as Auth0 logs it."""
        return api_call(description, method, path, body, ip=self.ip, user=actor, code=code)

    def _refresh_token_reuse(self) -> list[tuple[int, Step]]:
        reused = Step(
            "ferrt",
            user=self.victim(),
            ip=self.ip,
            description="Unsuccessful Refresh Token exchange, reused refresh token detected",
        )
        return [(15 * k, reused) for k in range(3)]

    def _auth0_blocks(self) -> list[tuple[int, Step]]:
        user, ip = self.victim(), self.ip
        steps = [(3 * k, Step("gd_auth_failed", user=user, ip=ip)) for k in range(5)]
        return [*steps, (15, Step("gd_otp_rate_limit_exceed", user=user, ip=ip))]

    def _block_surge(self) -> list[tuple[int, Step]]:
        return [
            (
                5 * k,
                Step(
                    "limit_wc",
                    user=user,
                    ip=f"198.51.100.{1 + (self.at + k) % 254}",
                    description="Blocked Account",
                ),
            )
            for k, user in enumerate(self.victims(30))
        ]

    def _signup_fraud(self) -> list[tuple[int, Step]]:
        return [
            (
                3 * k,
                Step(
                    "ss",
                    identity=(None, f"bot{k}.{self.at}@example.org"),
                    ip=self.ip,
                    fields=DATABASE,
                ),
            )
            for k in range(25)
        ]

    def _sms_bombing(self) -> list[tuple[int, Step]]:
        user = self.victim()
        return [(4 * k, Step("gd_send_sms", user=user, ip=self.ip)) for k in range(15)]

    def _shared_mfa_phone(self) -> list[tuple[int, Step]]:
        details = {"authenticator": {"type": "sms", "phone_number": SHARED_PHONE}}
        return [
            (30 * k, Step("gd_enrollment_complete", user=user, ip=self.ip, details=details))
            for k, user in enumerate(self.victims(4))
        ]

    def _distributed_stuffing(self) -> list[tuple[int, Step]]:
        steps = []
        for k in range(120):  # address k % 60 tries its second name 120 logs (4 minutes) later
            ip = f"198.18.{(self.at // 7) % 256}.{1 + k % 60}"
            name = f"combo{k}.{self.at}@example.org"
            steps.append((2 * k, Step("fu", identity=(None, name), ip=ip)))
        return steps

    def _shields_without_block(self) -> list[tuple[int, Step]]:
        state = {**BRUTE_FORCE_PROTECTION, "shields": ["user_notification"]}
        return [
            (
                0,
                self._settings(
                    "Update Brute-force settings",
                    "/api/v2/attack-protection/brute-force-protection",
                    state,
                ),
            )
        ]

    def _risk_assessment_off(self) -> list[tuple[int, Step]]:
        state = {"AfterAuthentication": False}
        return [
            (
                0,
                self._settings(
                    "Updates risk assessment configs", "/api/v2/risk-assessment/config", state
                ),
            )
        ]

    def _settings(self, description: str, path: str, state: dict[str, Any]) -> Step:
        """A settings form saved by the stolen session: the whole object sent and answered."""
        return api_call(description, "patch", path, state, ip=self.ip, user=STOLEN_ADMIN)

    def _office(self) -> list[tuple[int, Step]]:
        steps = []
        for k, user in enumerate(self.victims(60)):
            if k % 10 == 3:
                steps.append((60 * k, Step("fp", user=user, ip=self.ip)))
            steps.append((60 * k + 5, Step("s", user=user, ip=self.ip)))
        return steps

    def _polling_app(self) -> list[tuple[int, Step]]:
        user = self.victim()
        return [(10 * k, Step("fsa", user=user, ip=self.ip)) for k in range(100)]

    def _mistype_then_login(self) -> list[tuple[int, Step]]:
        user = self.victim()
        return [*((3 * k, Step("fp", user=user)) for k in range(4)), (12, Step("s", user=user))]

    def _signup_burst(self) -> list[tuple[int, Step]]:
        return [
            (2 * k, Step("ss", identity=(None, f"new{k}.{self.at}@example.org"))) for k in range(50)
        ]

    def _traveller(self) -> list[tuple[int, Step]]:
        user = self._users + 1 + self.at % 1000  # no ordinary log is theirs
        flight = 12_000  # logs, 2 s apart: 6.7 hours
        return [
            (0, Step("s", user=user, place=BERLIN)),
            (flight, Step("s", user=user, place=LAGOS)),
            (flight + 300, Step("s", user=user, place=LAGOS)),
        ]

    def finding(self) -> Finding:
        """What the matching detection must report."""
        if self.kind in ("credential_stuffing", "password_spraying", "signup_fraud"):
            return Finding(self.kind, "ip", self.ip)
        actors = {
            "management_change": ADMIN,
            "security_weakened": STOLEN_ADMIN,
            "tenant_takeover": INTRUDER,
        }
        if self.kind in actors:
            return Finding(self.kind, "user", actors[self.kind][0])
        if self.kind in ("shields_without_block", "risk_assessment_off"):
            return Finding("security_weakened", "user", STOLEN_ADMIN[0])
        if self.kind in ("block_surge", "distributed_stuffing"):
            return Finding(self.kind, "tenant", "fake-tenant")
        if self.kind == "shared_mfa_phone":
            return Finding(self.kind, "phone", SHARED_PHONE)
        return Finding(self.kind, "user", user_id_for(self.victim()))


#: Suspicious-IP throttling as the fake tenant keeps it (Auth0's documented object): blocking and
#: telling the administrators, its limits at login and at signup, two addresses allowed.
SUSPICIOUS_IP_THROTTLING: dict[str, Any] = {
    "enabled": True,
    "shields": ["block", "admin_notification"],
    "allowlist": ["192.0.2.0/24", "198.51.100.7"],
    "stage": {
        "pre-login": {"max_attempts": 100, "rate": 864000},
        "pre-user-registration": {"max_attempts": 50, "rate": 1200},
    },
}
#: Brute-force protection as the fake tenant keeps it (Auth0's documented object): blocking,
#: telling the user, 10 attempts, an office's range allowed.
BRUTE_FORCE_PROTECTION: dict[str, Any] = {
    "enabled": True,
    "shields": ["block", "user_notification"],
    "mode": "count_per_identifier_and_ip",
    "allowlist": ["192.0.2.0/24"],
    "max_attempts": 10,
}


def api_call(
    description: str,
    method: str,
    path: str,
    body: Any,
    *,
    ip: str,
    user: tuple[str, str] | None = None,
    machine: tuple[str, str, tuple[str, ...]] | None = None,
    code: str = "sapi",
    answer: Any = None,
    secrets: tuple[str, ...] = (),
) -> Step:
    """A Management API call as Auth0 logs it: the request (whole body), who made it, the answer.

    `user` is a Dashboard administrator (user_id, e-mail), through the Dashboard's own client;
    `machine` is a machine-to-machine application (client_id, name, its token's scopes), through
    the API. The answer's body is the state after the call (`answer`, else the request's body).
    """
    if machine is not None:
        client_id, client_name, scopes = machine
        auth: dict[str, Any] = {
            "credentials": {"jti": hashlib.sha256(f"{client_id}{path}".encode()).hexdigest()[:32]},
            "strategy": "jwt",
        }
        auth["credentials"]["scopes"] = list(scopes)
        channel = "api"
        identity: tuple[str | None, str | None] = (None, None)
        fields: dict[str, Any] = {"client_id": client_id, "client_name": client_name}
    else:
        actor = user or ("google-oauth2|104387223358712001", "admin@example.com")
        auth = {
            "user": {"user_id": actor[0], "name": "Ada Admin", "email": actor[1]},
            "strategy": "jwt",
        }
        channel = "https://manage.auth0.com/"
        identity = (actor[0], None)
        fields = {"client_id": DASHBOARD_CLIENT, "client_name": ""}
    details: dict[str, Any] = {
        "request": {
            "method": method,
            "path": path,
            "query": {},
            "body": body,
            "channel": channel,
            "ip": ip,
            "auth": auth,
        },
        "response": {
            "statusCode": 201 if method == "post" else 200,
            "body": body if answer is None else answer,
        },
    }
    if secrets:
        details["accessedSecrets"] = list(secrets)
    return Step(
        code, identity=identity, ip=ip, description=description, details=details, fields=fields
    )


def plan(attacks: tuple[Attack, ...]) -> dict[int, tuple[Attack, Step]]:
    """Log number -> (attack, event), for every planted event; overlapping attacks are refused."""
    planted: dict[int, tuple[Attack, Step]] = {}
    for attack in attacks:
        for offset, step in attack.steps():
            number = attack.at + offset
            if number in planted:
                raise ValueError(
                    f"attacks {planted[number][0].kind} and {attack.kind} overlap at log {number}"
                )
            planted[number] = (attack, step)
    return planted

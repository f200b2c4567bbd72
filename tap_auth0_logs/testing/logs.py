"""Deterministic, realistic Auth0 log events for the fake tenant.

Log number `i` is a pure function of (seed, i), so a tenant of a million logs needs no memory
until someone searches it, and a tenant that grows keeps its earlier logs unchanged. Ids are
assigned at ingestion and grow with `i`, as Auth0's do; each event's `date` is 0.01–5.4 s
before its ingestion, so date order differs from log_id order, as in real tenants.

The logs vary the way docs/auth0-api.md §8 says real ones do: some periods spell every key with
an explicit null (2023 style), others omit keys without a value (2024+ style, with
`$event_schema` and `tenant_name`); `""`, null and absent all mean "no value"; `details` is
nested or null; `scope` is a string; a few logs carry a top-level key or a type code this tap's
schema has never heard of.
"""

from __future__ import annotations

import bisect
import copy
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tap_auth0_logs.testing.attacks import ATTACKS, Attack, Finding, Step, plan, user_id_for
from tap_auth0_logs.testing.day import BLOCK, PERIOD, block_plan, period_plan

EPOCH = datetime(2026, 11, 1, tzinfo=UTC)
TAIL_PREFIX = "000000000000001223372"  # 21 digits; the remaining 12 are the log's number
MAX_DELAY = 5.4

CLIENTS = [
    ("naTYUHwINwCEtmhj8umEL7bHoB57L5e2", "Customer Portal"),
    ("11tYwy5rk6iavoGW9BgtXYuzcVrCasjE", "Mobile App"),
    ("7RyK6txXYPZTQGOAwwln6Eoie0gVZ2cu", "Admin Dashboard"),
    ("xZjM1MjUxOGVhYzYxNTAxZmE3NmI1MGIg", "Billing Service"),
    ("A123v04ZMgorp521yX4lIyeI9nYIuwGP", "Partner API"),
]
CONNECTIONS = [
    ("Username-Password-Authentication", "con_AFENSpbGUJYLjZz6", "auth0", "database"),
    ("google-oauth2", "con_g00gleXk2PqL9sZr", "google-oauth2", "social"),
    ("acme-saml", "con_nD3XkfFNuYUPnmbp", "samlp", "enterprise"),
]
PLACES = [
    ("US", "USA", "United States", "Tucson", "NA", "America/Phoenix", 32.22, -110.97),
    ("DE", "DEU", "Germany", "Berlin", "EU", "Europe/Berlin", 52.52, 13.40),
    ("BR", "BRA", "Brazil", "São Paulo", "SA", "America/Sao_Paulo", -23.55, -46.63),
    ("IN", "IND", "India", "Pune", "AS", "Asia/Kolkata", 18.52, 73.86),
    ("AU", "AUS", "Australia", "Sydney", "OC", "Australia/Sydney", -33.87, 151.21),
    ("NG", "NGA", "Nigeria", "Lagos", "AF", "Africa/Lagos", 6.52, 3.38),
]
AGENTS = [
    "Chrome 134.0.0 / Windows 10.0.0",
    "Safari 18.1.0 / Mac OS X 15.1.0",
    "Firefox 125.0.0 / Arch 0.0.0",
    "Other 0.0.0 / Other 0.0.0",
]
# (code, weight, description): the single events between the everyday flows of day.py (which
# bring resets, MFA, Auth0's blocks, the Management API); attacks.py plants the attacks.
TYPES = [
    ("s", 30, ""),
    ("ssa", 8, ""),
    ("seacft", 10, ""),
    ("seccft", 6, ""),
    (
        "f",
        0.5,
        "Callback URL mismatch. https://portal.example.com/callbak is not in the list of allowed "
        "callback URLs",
    ),
    ("fp", 8, "Wrong email or password."),
    ("fu", 5, "Wrong email or password."),
    ("fsa", 3, "Login required"),
    ("slo", 4, ""),
    ("ss", 3, ""),
    ("fn", 2, ""),  # "To: <the recipient>" (`_fill_details`)
    ("sv", 2, ""),
    ("api_limit_warning", 1, ""),
    ("x_new_event_2027", 1, ""),  # a code no table knows yet
]
_CODES = [t[0] for t in TYPES]
_WEIGHTS = [t[1] for t in TYPES]
_DESCRIPTIONS = {t[0]: t[2] for t in TYPES}
#: Events of the Universal Login page, whose SDK names itself in `auth0_client`.
_UNIVERSAL_LOGIN_TYPES = frozenset({"s", "f", "fp", "fu", "ss", "fs"})
FAILED_LOGIN_TYPES = frozenset({"f", "fp", "fu"})


@dataclass(frozen=True)
class Burst:
    """From log number `at` on, `count` logs are ingested `gap` seconds apart."""

    at: int
    count: int
    gap: float


@dataclass
class TenantLogs:
    """The log events a fake tenant keeps: numbers `first_kept` to `count - 1`."""

    count: int = 5000
    seed: int = 7
    start: datetime = EPOCH
    gap: float = 2.0
    bursts: tuple[Burst, ...] = ()
    users: int = 200
    heavy_user_share: float = 0.0  # share of logs that belong to user number 0
    first_kept: int = 0
    tenant_name: str = "fake-tenant"
    prefix: str = "900"
    #: Real events to serve instead of generated ones: log `n` is `templates[n % len]` with its
    #: own `date` and `log_id` (so a test can run the tap over events as Auth0 wrote them).
    templates: tuple[dict[str, Any], ...] = ()
    #: Attacks planted among the ordinary traffic (attacks.py): the detections' ground truth.
    attacks: tuple[Attack, ...] = ()
    _segments: list[tuple[int, float, float]] = field(init=False, repr=False)
    _cache: tuple[int, int, list[dict[str, Any]]] | None = field(init=False, default=None)
    _made: dict[int, dict[str, Any]] = field(init=False, default_factory=dict, repr=False)
    _days: dict[int, dict[int, Step]] = field(init=False, default_factory=dict, repr=False)
    _periods: dict[int, dict[int, Step]] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # (first log number, its offset in seconds, gap) for each stretch of constant spacing.
        segments: list[tuple[int, float, float]] = [(0, 0.0, self.gap)]
        for burst in sorted(self.bursts, key=lambda b: b.at):
            first, offset, gap = segments[-1]
            at_offset = offset + (burst.at - first) * gap
            segments.append((burst.at, at_offset, burst.gap))
            segments.append((burst.at + burst.count, at_offset + burst.count * burst.gap, self.gap))
        self._segments = segments
        self._starts = [s[0] for s in segments]
        self.attacks = tuple(attack.for_users(self.users) for attack in self.attacks)
        self._planted = plan(self.attacks)

    def planted(self) -> list[Finding]:
        """What detections must find: one finding per planted attack whose events are all kept."""
        return [
            attack.finding()
            for attack in self.attacks
            if attack.kind in ATTACKS
            and all(
                self.first_kept <= attack.at + offset < self.count for offset, _ in attack.steps()
            )
        ]

    # --- ids and times -------------------------------------------------------------------
    def ingested_at(self, number: int) -> datetime:
        """When log `number` was ingested; strictly increasing with `number`."""
        first, offset, gap = self._segments[bisect.bisect_right(self._starts, number) - 1]
        jitter = (random.Random(self.seed * 7919 + number).random() * 0.4) * gap
        micros = round((offset + (number - first) * gap + jitter) * 1_000_000)
        return self.start + timedelta(microseconds=micros)

    def log_id(self, number: int) -> str:
        """The log_id of log `number`: prefix, ingestion time, microseconds, opaque tail."""
        moment = self.ingested_at(number)
        return (
            f"{self.prefix}{moment:%Y%m%d%H%M%S}{moment.microsecond:06d}{TAIL_PREFIX}{number:012d}"
        )

    def first_after(self, log_id: str) -> int:
        """The number of the first kept log whose id is greater than `log_id`."""
        lo, hi = self.first_kept, self.count
        while lo < hi:
            mid = (lo + hi) // 2
            if self.log_id(mid) > log_id:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def number_of(self, log_id: str) -> int | None:
        """The number of the kept log with this id, or None."""
        number = self.first_after(log_id) - 1
        if number >= self.first_kept and self.log_id(number) == log_id:
            return number
        return None

    # --- content -------------------------------------------------------------------------
    def log(self, number: int) -> dict[str, Any]:
        """Log event `number`, as `GET /api/v2/logs` returns it (made once, then remembered)."""
        made = self._made.get(number)
        if made is None:
            made = self._made[number] = self._make(number)
        return made

    def _make(self, number: int) -> dict[str, Any]:
        rng = random.Random(self.seed * 104729 + number)
        ingested = self.ingested_at(number)
        date = ingested - timedelta(seconds=rng.uniform(0.01, MAX_DELAY))
        if self.templates:
            return self._from_template(number, date)
        code = rng.choices(_CODES, _WEIGHTS)[0]
        client_id, client_name = rng.choice(CLIENTS)
        connection, connection_id, strategy, strategy_type = rng.choice(CONNECTIONS)
        if self.heavy_user_share and rng.random() < self.heavy_user_share:
            user = 0
        else:
            user = rng.randrange(1, max(2, self.users))
        period = int((ingested - self.start).total_seconds() // 1200) % 3  # 20-minute periods
        planted = self._planted.get(number)
        step = planted[1] if planted else self._everyday(number)
        if step:
            code = step.code
            user = step.user if step.user is not None else user
        place = self._place(user, step)
        log_id = self.log_id(number)
        event: dict[str, Any] = {
            "date": f"{date:%Y-%m-%dT%H:%M:%S}.{date.microsecond // 1000:03d}Z",
            "type": code,
            "description": _DESCRIPTIONS.get(code, ""),
            "connection": connection,
            "connection_id": connection_id,
            "client_id": client_id,
            "client_name": client_name,
            "ip": ".".join(str(rng.randrange(1, 224)) for _ in range(4)),
            "hostname": f"{self.tenant_name}.us.auth0.com",
            "user_id": user_id_for(user),
            "user_name": f"user{user}@example.com",
            "user_agent": rng.choice(AGENTS),
            "strategy": strategy,
            "strategy_type": strategy_type,
            "details": None,
            "audience": None,
            "scope": None,
            "organization_id": None,
            "organization_name": None,
            "isMobile": rng.random() < 0.1,
            "location_info": None,
            "log_id": log_id,
        }
        self._fill_details(event, code, rng, place)
        if step:
            _apply(event, step)
        if code == "f" and not step:  # before anyone signed in (a callback URL mismatch)
            event["user_id"] = event["user_name"] = None
        if (
            period == 0
        ):  # 2023 style: every key present, "no value" spelled null, `_id` beside log_id
            event["_id"] = log_id
            return event
        # 2024+ style: keys without a value are omitted; newer keys appear.
        event = {k: v for k, v in event.items() if v is not None}
        event["$event_schema"] = {"version": "1.0.0"}
        event["tenant_name"] = self.tenant_name
        if event["type"] in _UNIVERSAL_LOGIN_TYPES:
            # What the login page's SDK says of itself (Auth0: {name, version, env}).
            event["auth0_client"] = {"name": "auth0-spa-js", "version": "2.1.3", "env": {}}
        if period == 2:
            # Auth0's tracing ids (`references`: correlation_id, trace_id), of the log's own number.
            event["references"] = {"trace_id": f"{number * 2654435761 % 2**128:032x}"}
            event["security_context"] = {"ja3": f"{rng.getrandbits(128):032x}", "ja4": "t13d1516h2"}
            event["environment_name"] = "prod-us-3"
            if rng.random() < 0.05:
                event["risk_engine_v2"] = {"score": rng.randrange(100), "model": "2027.1"}
        return event

    def _everyday(self, number: int) -> Step | None:
        """The everyday flow's event at log `number`, if one is there (day.py).

        What takes hours is planned first, around the planted attacks; the blocks fill around
        both.
        """
        period = self._period(number // PERIOD)
        if number in period:
            return period[number]
        block = number // BLOCK
        events = self._days.get(block)
        if events is None:
            if len(self._days) > 64:
                self._days.clear()
            events = self._days[block] = block_plan(
                self.seed,
                block,
                self.users,
                lambda n: n in self._planted or n in self._period(n // PERIOD),
            )
        return events.get(number)

    def _period(self, period: int) -> dict[int, Step]:
        """The flows of period `period` that take hours (day.py's `period_plan`)."""
        events = self._periods.get(period)
        if events is None:
            if len(self._periods) > 8:
                self._periods.clear()
            events = self._periods[period] = period_plan(
                self.seed, period, self.users, self._planted.__contains__, self.ingested_at
            )
        return events

    def _place(self, user: int, step: Step | None) -> tuple[Any, ...]:
        """People log in from home; a planted event comes from the attacker or far away."""
        if step and step.place is not None:
            return PLACES[step.place % len(PLACES)]
        if step and step.far:
            return PLACES[_FARTHEST[self.home(user)]]
        return PLACES[self.home(user)]

    def home(self, user: int) -> int:
        """The index of the place user `user` logs in from (a hash of seed and user: no RNG)."""
        return ((user + self.seed * 8191) * 2654435761 >> 16) % len(PLACES)

    def _from_template(self, number: int, date: datetime) -> dict[str, Any]:
        event = copy.deepcopy(self.templates[number % len(self.templates)])
        event["date"] = f"{date:%Y-%m-%dT%H:%M:%S}.{date.microsecond // 1000:03d}Z"
        event["log_id"] = self.log_id(number)
        if "_id" in event:
            event["_id"] = event["log_id"]
        return event

    @staticmethod
    def _fill_details(event: dict[str, Any], code: str, rng: random.Random, place: tuple) -> None:
        if code in {"seccft", "seacft"}:
            event["audience"] = f"https://{event['hostname']}/api/v2/"
            event["scope"] = "read:users read:logs read:clients"
            event["user_id"] = ""
            event["user_name"] = ""
            event["connection_id"] = ""
        if code in {"s", "fp", "fu", "f", "ssa", "limit_wc", "pwd_leak"}:
            country, code3, name, city, continent, tz, lat, lon = place
            event["location_info"] = {
                "country_code": country,
                "country_code3": code3,
                "country_name": name,
                "city_name": city,
                "latitude": lat,
                "longitude": lon,
                "time_zone": tz,
                "continent_code": continent,
            }
        if code == "s":
            event["details"] = {
                "prompts": [
                    {
                        "name": "login",
                        "flow": "universal-login",
                        "elapsedTime": rng.choice([None, rng.randrange(50, 9000)]),
                    }
                ],
                "stats": {"loginsCount": rng.randrange(1, 500)},
                "session_id": f"{rng.getrandbits(96):024x}",
            }
        elif code == "sapi":
            event["details"] = {
                "request": {
                    "method": "patch",
                    "path": "/api/v2/users/x",
                    "body": {"blocked": False},
                },
                "response": {"statusCode": 200, "body": {}},
            }
            event["client_name"] = ""
        elif code in FAILED_LOGIN_TYPES:
            event["details"] = {
                "error": {"message": event["description"], "oauthError": "access_denied"}
            }
        elif code == "fn":
            # As Auth0 writes it: the recipient in the text, and in `details.to`. A message to
            # someone who is no user yet (an invitation) names no user at all.
            recipient = event["user_name"]
            if rng.random() < 0.5:
                recipient = f"invitee{rng.randrange(100000)}@example.org"
                event["user_id"] = event["user_name"] = None
            event["description"] = f"To: {recipient}"
            event["client_name"] = None
            event["details"] = {
                "email_type": "welcome_email",
                "error": "the domain is blacklisted",
                "to": recipient,
            }

    # --- the whole set ---------------------------------------------------------------------
    def kept(self) -> list[dict[str, Any]]:
        """Every kept log in log_id order (materialized on demand, for search and assertions)."""
        if self._cache is None or self._cache[:2] != (self.first_kept, self.count):
            self._cache = (
                self.first_kept,
                self.count,
                [self.log(i) for i in range(self.first_kept, self.count)],
            )
        return self._cache[2]

    def date_window(self, newest: bool, size: int) -> list[dict[str, Any]]:
        """The kept logs that can be among the `size` oldest (or newest) by date.

        A date is at most MAX_DELAY before its ingestion, so only logs ingested that close to
        the ends can be; a date-sorted search for the first page needs no more (a million-log
        tenant answers it without making every log).
        """
        first, end = self.first_kept, self.count
        if end - first <= 2 * size:
            return self.kept()
        delay = timedelta(seconds=MAX_DELAY)
        if newest:
            edge = self.ingested_at(end - size) - delay
            low = self.first_after(f"{self.prefix}{edge:%Y%m%d%H%M%S}{edge.microsecond:06d}")
            return [self.log(i) for i in range(low, end)]
        edge = self.ingested_at(first + size - 1) + delay
        high = self.first_after(
            f"{self.prefix}{edge:%Y%m%d%H%M%S}{edge.microsecond:06d}" + "9" * 33
        )
        return [self.log(i) for i in range(first, high)]

    def ids(self) -> list[str]:
        """Every kept log_id, ascending."""
        return [self.log_id(i) for i in range(self.first_kept, self.count)]


def _apply(event: dict[str, Any], step: Step) -> None:
    """Make an ordinary event the planted one (its type's details are already filled)."""
    if step.ip is not None:
        event["ip"] = step.ip
    if step.identity is not None:
        event["user_id"], event["user_name"] = step.identity
    if step.description is not None:
        event["description"] = step.description
    if step.details is not None:
        event["details"] = step.details
    if step.fields:
        event.update(step.fields)


def _distance_km(a: tuple[Any, ...], b: tuple[Any, ...]) -> float:
    """Great-circle distance between two places (their latitude and longitude)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[6], a[7], b[6], b[7]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


#: For each place, the index of the place farthest from it.
_FARTHEST = [
    max(range(len(PLACES)), key=lambda j: _distance_km(place, PLACES[j])) for place in PLACES
]

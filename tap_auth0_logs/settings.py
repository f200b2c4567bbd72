"""The tap's settings: their schema (one source of truth), a typed view, and the offline checks.

Every config error is worded here, from typed values: the schema's errors from their fields
(`validator`, `path`), never from jsonschema's text, and never quoting a secret.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from singer_sdk import typing as th

from tap_auth0_logs import log_ids, pseudonyms
from tap_auth0_logs.backfill import DEFAULT_BACKFILL_CONCURRENCY, MAX_BACKFILL_CONCURRENCY
from tap_auth0_logs.schema import TENANT
from tap_auth0_logs.transport import DEFAULT_REQUEST_TIMEOUT

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from jsonschema import ValidationError

#: The share of the tenant's bucket left to its other clients by default.
DEFAULT_RATE_LIMIT_RESERVE = 0.2
#: Seconds one request may wait on the bucket after 429s, by default.
DEFAULT_RATE_LIMIT_MAX_WAIT = 900.0
#: The largest reserve: a tap that may spend less than a tenth of the bucket would never finish.
MAX_RATE_LIMIT_RESERVE = 0.9
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SECRET_SETTINGS = ("client_secret", "api_token", "pseudonymize_key")


def tenant_base_url(domain: str) -> str:
    """Turn the `domain` setting into the tenant's base URL, or raise ValueError saying why.

    Accepts `acme.us.auth0.com` and `https://acme.us.auth0.com/`. Plain http is allowed only to a
    loopback host (a local test tenant): anywhere else it would send the token in clear text.
    """
    text = domain.strip()
    if not text:
        msg = "Setting `domain` is empty: set it to the tenant's domain, e.g. acme.us.auth0.com."
        raise ValueError(msg)
    parts = urlsplit(text if "://" in text else f"https://{text}")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        msg = f"Setting `domain` ({domain!r}) is not a domain: use e.g. acme.us.auth0.com."
        raise ValueError(msg)
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        msg = (
            f"Setting `domain` ({domain!r}) must be the tenant's domain alone, without a path: "
            "use e.g. acme.us.auth0.com."
        )
        raise ValueError(msg)
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        msg = (
            f"Setting `domain` ({domain!r}) uses plain http to a non-local host, which would send "
            "credentials unencrypted: use https:// (http is only for 127.0.0.1 or localhost)."
        )
        raise ValueError(msg)
    return f"{parts.scheme}://{parts.netloc}"


CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "domain",
        th.StringType(nullable=False),
        required=True,
        title="Domain",
        description=(
            "The tenant's canonical domain, e.g. `acme.us.auth0.com` "
            "(`https://acme.us.auth0.com/` works too; a custom domain does not serve the "
            "Management API). `http://127.0.0.1:PORT` or `http://localhost:PORT` is accepted "
            "for a local test tenant only."
        ),
        examples=["acme.us.auth0.com"],
    ),
    th.Property(
        "client_id",
        th.StringType,
        title="Client ID",
        description=(
            "Client ID of a machine-to-machine application authorized for the Management API "
            "with the `read:logs` scope. Use with `client_secret`, or use `api_token` instead."
        ),
    ),
    th.Property(
        "client_secret",
        th.StringType,
        secret=True,
        title="Client Secret",
        description="Client secret of that application.",
    ),
    th.Property(
        "audience",
        th.StringType,
        title="Audience",
        description="Overrides the token audience, which defaults to `https://DOMAIN/api/v2/`.",
    ),
    th.Property(
        "api_token",
        th.StringType,
        secret=True,
        title="API Token",
        description=(
            "A ready Management API token with `read:logs`, instead of client credentials. "
            "It cannot be refreshed: a run fails clearly once it expires."
        ),
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        title="Start Date",
        description=(
            "ISO-8601 timestamp. A first run (no state) emits the logs whose `date` is at or "
            "after it. Ignored once a bookmark exists."
        ),
        examples=["2026-11-01T00:00:00Z"],
    ),
    th.Property(
        "start_log_id",
        th.StringType,
        title="Start Log ID",
        description=(
            "A first run (no state) starts right after this log_id. Wins over `start_date`. "
            "Ignored once a bookmark exists."
        ),
    ),
    th.Property(
        "log_types",
        th.ArrayType(th.StringType),
        title="Log Types",
        description=(
            'Event type codes the `logs` stream emits, e.g. `["f", "fp", "limit_wc"]`; '
            "all when unset. The checkpoint still advances past the others."
        ),
    ),
    th.Property(
        "search_query",
        th.StringType,
        title="Search Query",
        description=(
            "Auth0 log search syntax for the `log_search` stream, e.g. "
            '`type:f AND connection:"Username-Password-Authentication"`. Every match is '
            "returned, beyond Auth0's 1,000-result cap. Needs `read:logs`."
        ),
    ),
    th.Property(
        "user_ids",
        th.ArrayType(th.StringType),
        title="User IDs",
        description=(
            'Users whose logs the `user_logs` stream extracts, e.g. `["auth0|abc123"]`; one '
            "STATE partition each."
        ),
    ),
    th.Property(
        "expired_checkpoint",
        th.StringType,
        default="resume",
        allowed_values=["resume", "fail"],
        title="Expired Checkpoint",
        description=(
            "What to do when the bookmark's log is older than the tenant keeps logs (1 to 30 "
            "days by plan), so the run cannot resume exactly: `resume` warns, naming the "
            "bookmark and the possible gap, and continues from the oldest log kept; `fail` "
            "stops with that message."
        ),
    ),
    th.Property(
        "rate_limit_max_wait",
        th.NumberType(minimum=0),
        default=DEFAULT_RATE_LIMIT_MAX_WAIT,
        title="Rate Limit Max Wait",
        description=(
            "Seconds one request may wait after Auth0 answered 429 (the tenant's rate limit "
            "is shared with everything else it runs) before the tap stops with a clear error; "
            "0 stops at the first 429. The tap's own pacing is not counted."
        ),
    ),
    th.Property(
        "rate_limit_reserve",
        th.NumberType(minimum=0, maximum=MAX_RATE_LIMIT_RESERVE),  # type: ignore[arg-type]
        default=DEFAULT_RATE_LIMIT_RESERVE,
        title="Rate Limit Reserve",
        description=(
            "Share of the tenant's Management API bucket (0 to 0.9) the tap never spends: it is "
            "left to the tenant's own apps. The default, 0.2, also keeps a run under Auth0's 80% "
            "line (an `api_limit_warning` in the tenant's log). 0 spends everything."
        ),
    ),
    th.Property(
        "max_requests_per_second",
        th.NumberType(exclusive_minimum=0),
        title="Max Requests Per Second",
        description=(
            "A hard cap on the tap's requests per second, for tenants that give it a fixed "
            "share of their rate limit; none by default (the tap paces by the bucket)."
        ),
    ),
    th.Property(
        "backfill_concurrency",
        th.IntegerType(minimum=1, maximum=MAX_BACKFILL_CONCURRENCY),
        default=DEFAULT_BACKFILL_CONCURRENCY,
        title="Backfill Concurrency",
        description=(
            "Checkpoint cursors a run far behind (a backfill) may page side by side, each over "
            "its own log_id range, sharing the rate limit; 1 extracts one page at a time, in "
            "log_id order. A run only a few pages behind always uses one cursor. In a parallel "
            "backfill records are in order within each range, not across ranges."
        ),
    ),
    th.Property(
        "request_timeout",
        th.IntegerType,
        default=DEFAULT_REQUEST_TIMEOUT,
        title="Request Timeout",
        description="Seconds to wait for Auth0 to answer one request before retrying it.",
    ),
    th.Property(
        "pseudonymize_fields",
        th.ArrayType(th.StringType),
        title="Pseudonymize Fields",
        description=(
            "Dotted paths (e.g. `user_name`, `details.request.ip`) whose values every output "
            "carries as keyed pseudonyms (`hmac-sha256:<version>:<hex>`), never plain. An empty "
            "list, or the entry `default`, stands for the personal data Auth0 puts in a log: "
            "`user_id`, `user_name`, `ip` and the places in `details` that repeat them. Needs "
            "`pseudonymize_key`."
        ),
        examples=[["default"], ["default", "details.body.phone_number"]],
    ),
    th.Property(
        "pseudonymize_key",
        th.StringType,
        secret=True,
        title="Pseudonymize Key",
        description=(
            "The secret key of the pseudonyms (HMAC-SHA256), at least 16 characters; keep it "
            "apart from the data. Setting it turns pseudonyms on (for `pseudonymize_fields`, "
            "Auth0's personal data by default)."
        ),
    ),
    th.Property(
        "pseudonymize_key_version",
        th.StringType,
        default="1",
        title="Pseudonymize Key Version",
        description=(
            "A label for the key, written into every pseudonym: change it with the key, so "
            "pseudonyms made under each key can be told apart."
        ),
    ),
    th.Property(
        "retention_days",
        th.NumberType(exclusive_minimum=0),
        title="Retention Days",
        description=(
            "How many days the tenant keeps logs (Free 1, Essentials 5, Professional 10, "
            "Enterprise 30); by default the age of the oldest log the tenant still serves. "
            "Each run says how long the pipeline may stay stopped before logs are lost."
        ),
    ),
).to_dict()


@dataclass(frozen=True)
class Settings:
    """The config as the rest of the tap reads it: typed, with the defaults filled in."""

    base_url: str  # "" when `domain` is not valid (discovery runs without a valid config)
    client_id: str | None
    client_secret: str | None = field(repr=False)
    api_token: str | None = field(repr=False)
    audience: str
    start_date: str | None
    start_log_id: str | None
    log_types: frozenset[str]
    search_query: str | None
    user_ids: tuple[str, ...]
    fail_on_expired_checkpoint: bool
    rate_limit_max_wait: float
    rate_limit_reserve: float
    max_requests_per_second: float | None
    backfill_concurrency: int
    request_timeout: float
    #: The fields to pseudonymise (paths), or () when pseudonyms are off.
    pseudonymize_fields: tuple[str, ...] = ()
    pseudonymize_key: str | None = field(default=None, repr=False)
    pseudonymize_key_version: str = "1"
    retention_days: float | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """Read `config`; never raises (the checks are `config_errors`'s)."""
        try:
            base_url = tenant_base_url(str(config.get("domain") or ""))
        except ValueError:
            base_url = ""
        return cls(
            base_url=base_url,
            client_id=config.get("client_id") or None,
            client_secret=config.get("client_secret") or None,
            api_token=config.get("api_token") or None,
            audience=config.get("audience") or f"{base_url}/api/v2/",
            start_date=config.get("start_date") or None,
            start_log_id=config.get("start_log_id") or None,
            log_types=frozenset(config.get("log_types") or ()),
            search_query=config.get("search_query") or None,
            user_ids=tuple(str(user) for user in config.get("user_ids") or ()),
            fail_on_expired_checkpoint=setting(config, "expired_checkpoint") == "fail",
            rate_limit_max_wait=float(setting(config, "rate_limit_max_wait")),
            rate_limit_reserve=float(setting(config, "rate_limit_reserve")),
            max_requests_per_second=(
                float(config["max_requests_per_second"])
                if config.get("max_requests_per_second")
                else None
            ),
            backfill_concurrency=int(setting(config, "backfill_concurrency")),
            request_timeout=float(setting(config, "request_timeout")),
            pseudonymize_fields=(
                pseudonyms.expand_fields(config.get("pseudonymize_fields"))
                if config.get("pseudonymize_key")
                else ()
            ),
            pseudonymize_key=config.get("pseudonymize_key") or None,
            pseudonymize_key_version=str(setting(config, "pseudonymize_key_version")),
            retention_days=(
                float(config["retention_days"]) if config.get("retention_days") else None
            ),
        )

    @property
    def tenant(self) -> str:
        """The tenant a STATE belongs to: the host of its Management API identifier.

        The identifier (`audience`, by default `https://DOMAIN/api/v2/`) is what Auth0 issues
        the token for, one per tenant; `domain` must be the canonical one already, since a
        custom domain does not serve the Management API (docs/auth0-api.md §7).
        """
        host = urlsplit(self.audience).netloc or urlsplit(self.base_url).netloc
        return host.lower().removesuffix(":443")

    @property
    def has_client_credentials(self) -> bool:
        """True when the tap fetches its own tokens."""
        return bool(self.client_id and self.client_secret)


#: Every setting's default, as the schema states it: the one place each default is stated.
DEFAULTS: dict[str, Any] = {
    name: spec["default"] for name, spec in CONFIG_SCHEMA["properties"].items() if "default" in spec
}


def setting(config: Mapping[str, Any], name: str) -> Any:
    """Setting `name`'s value: the config's, else the schema's default (None if it has none)."""
    value = config.get(name)
    return DEFAULTS.get(name) if value is None else value


def config_errors(
    config: Mapping[str, Any], schema_errors: list[ValidationError], known: Collection[str]
) -> list[str]:
    """Every error in `config`: names no setting has, the schema's, then the tap's checks.

    `known` is every setting name the tap takes (its own and the SDK's built-in ones).
    """
    errors = [unknown_setting(name, known) for name in config if name not in known]
    errors += [describe_schema_error(error) for error in schema_errors]
    return errors + [e for e in _setting_errors(config) if e not in errors]


def unknown_setting(name: str, known: Collection[str]) -> str:
    """A setting name the tap does not know, with the nearest one it does.

    Refused rather than ignored: `start_dat` ignored would extract the tenant's whole history,
    and a misspelled `log_types` every type, with no word.
    """
    nearest = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    hint = f"did you mean `{nearest[0]}`?" if nearest else "remove it (see `--about` for all)."
    return f"Setting `{name}` is not a setting of this tap: {hint}"


def describe_schema_error(error: ValidationError) -> str:
    """Say a JSON Schema error in the tap's words; never quote the value of a secret setting."""
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        if missing == ["domain"]:
            return (
                "Setting `domain` is missing: set it to the tenant's domain, e.g. "
                "acme.us.auth0.com."
            )
        return f"Setting `{'`, `'.join(missing)}` is missing."
    name = str(error.path[0]) if error.path else None
    if name in SECRET_SETTINGS:
        return f"Setting `{name}` is invalid: it must be a string."
    if name is None:
        return f"The config is invalid: {error.message}."
    return f"Setting `{name}` is invalid: {error.message}."


def _pseudonym_errors(config: Mapping[str, Any]) -> list[str]:
    """Fields without a key, a key too short to keep pseudonyms secret, paths that are not."""
    fields, key = config.get("pseudonymize_fields"), config.get("pseudonymize_key")
    errors = []
    if fields is not None and not key:
        errors.append(
            "Setting `pseudonymize_key` is missing: `pseudonymize_fields` needs a secret key "
            "(at least 16 characters, kept apart from the data) to make pseudonyms with."
        )
    if isinstance(key, str) and key and len(key) < pseudonyms.MIN_KEY_LENGTH:
        errors.append(
            f"Setting `pseudonymize_key` is too short (at least {pseudonyms.MIN_KEY_LENGTH} "
            "characters): a short key can be guessed, and every pseudonym with it."
        )
    for path in fields if isinstance(fields, list) else []:
        if isinstance(path, str) and (problem := pseudonyms.path_error(path)):
            errors.append(f"Setting `pseudonymize_fields` is invalid: {problem}.")
        elif isinstance(path, str) and path.split(".")[0] == TENANT:
            errors.append(
                f"Setting `pseudonymize_fields` is invalid: `{TENANT}` names the tenant a record "
                "came from (the host of its Management API identifier), not a person, and is never "
                f"pseudonymised: take `{path}` out."
            )
    return errors


def _setting_errors(config: Mapping[str, Any]) -> list[str]:
    errors: list[str] = _pseudonym_errors(config)
    if isinstance(config.get("domain"), str):
        try:
            tenant_base_url(config["domain"])
        except ValueError as exc:
            errors.append(str(exc))
    has_pair = bool(config.get("client_id")) and bool(config.get("client_secret"))
    if not has_pair and not config.get("api_token"):
        if config.get("client_id") or config.get("client_secret"):
            missing = "client_secret" if config.get("client_id") else "client_id"
            errors.append(
                f"Setting `{missing}` is missing: client credentials need both "
                "`client_id` and `client_secret`."
            )
        else:
            errors.append(
                "No credentials: set `client_id` and `client_secret` (a machine-to-machine "
                "application with `read:logs`), or `api_token`."
            )
    start_date = config.get("start_date")
    if isinstance(start_date, str):
        try:
            log_ids.parse_datetime(start_date)
        except ValueError:
            errors.append(
                f"Setting `start_date` ({start_date!r}) is not an ISO-8601 timestamp: "
                "use e.g. 2026-11-01T00:00:00Z."
            )
    start_log_id = config.get("start_log_id")
    if isinstance(start_log_id, str) and not log_ids.is_log_id(start_log_id):
        errors.append(
            f"Setting `start_log_id` ({start_log_id!r}) is not an Auth0 log_id "
            "(56 digits, as in a log's `log_id` field)."
        )
    return errors

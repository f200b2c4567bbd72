"""The shape of an Auth0 log event record (docs/auth0-api.md §8).

Every field but `log_id` may be null, `""` or absent: Auth0 uses all three for "no value", and
the key set differs by period and event type. Free-form objects (`details`, `auth0_client`)
keep whatever Auth0 sends. Top-level keys Auth0 adds after this schema was written are gathered
in `extra_fields` (see `streams.LogEventStream.post_process`) so that they reach the target instead
of being dropped by the SDK's schema conformance.

Every record carries every declared top-level key, null when Auth0 left it out
(`with_every_key`). Two choices keep every SQL target able to load the record: `scope` is always
a list (Auth0 sends a string or a list; a union type has no column type), and log streams'
`is_mobile` is not declared beside the Management API's `isMobile`, since SQL targets that
snake-case names would map both to one column (it would land in `extra_fields`).
"""

from __future__ import annotations

from typing import Any

from singer_sdk import typing as th

#: Name of the property that carries top-level keys this schema does not know.
EXTRA_FIELDS = "extra_fields"
#: Name of the property naming the tenant a record came from (the tap's, not Auth0's).
TENANT = "tenant"

_OBJECT_OR_LIST = th.CustomType({"type": ["object", "array", "null"]})


def _text(name: str, description: str) -> th.Property:
    return th.Property(name, th.StringType, description=description)


LOG_EVENT = th.PropertiesList(
    th.Property(
        "log_id",
        th.StringType(nullable=False),
        required=True,
        description="Unique id; 56 digits, ascending with ingestion time. Replication key.",
    ),
    _text("_id", "Same as log_id (older responses)."),
    th.Property("date", th.DateTimeType, description="When the event happened (UTC)."),
    _text("type", "Event type code, e.g. `s`, `f`, `sapi`; an open set."),
    _text("type_description", "Name of the event type (added by the tap); null if unknown."),
    _text("description", "Event description; often empty."),
    _text("connection", "Connection name."),
    _text("connection_id", "Connection id."),
    _text("client_id", "Application (client) id."),
    _text("client_name", "Application name."),
    _text("ip", "IPv4 or IPv6 address of the caller."),
    _text("client_ip", "Client IP, where it differs from `ip`."),
    _text("hostname", "Host name the request was made to."),
    _text("user_id", "User id, e.g. `auth0|abc`."),
    _text("user_name", "User name or email."),
    _text("identity_user_id", "Id of the user in the identity provider."),
    _text("audience", "API audience of a token exchange."),
    th.Property(
        "scope",
        th.ArrayType(th.StringType),
        description=(
            "Scopes, as a list. Auth0 sends a space-separated string (Management API) or a list "
            "(log streams); the tap always emits the list, which every target can load."
        ),
    ),
    _text("strategy", "Connection strategy, e.g. `auth0`."),
    _text("strategy_type", "Strategy type, e.g. `database`."),
    th.Property("isMobile", th.BooleanType, description="Whether the client was a mobile device."),
    _text("user_agent", "User agent, usually parsed (`Chrome 134.0.0 / Windows 10.0.0`)."),
    th.Property("details", th.ObjectType(), description="Free-form event details."),
    th.Property(
        "location_info",
        th.ObjectType(
            th.Property("country_code", th.StringType),
            th.Property("country_code3", th.StringType),
            th.Property("country_name", th.StringType),
            th.Property("city_name", th.StringType),
            th.Property("subdivision_code", th.StringType),
            th.Property("subdivision_name", th.StringType),
            th.Property("latitude", th.NumberType),
            th.Property("longitude", th.NumberType),
            th.Property("time_zone", th.StringType),
            th.Property("continent_code", th.StringType),
        ),
        description="Geolocation of `ip`.",
    ),
    th.Property(
        "security_context",
        th.ObjectType(th.Property("ja3", th.StringType), th.Property("ja4", th.StringType)),
        description="TLS fingerprints.",
    ),
    th.Property("auth0_client", _OBJECT_OR_LIST, description="SDK that made the call."),
    _text("organization_id", "Organization id."),
    _text("organization_name", "Organization name."),
    _text("tenant_name", "Tenant name (Auth0's; absent from older events)."),
    _text(
        TENANT,
        "The tenant the log came from, as its STATE names it: the host of the tenant's Management "
        "API identifier, e.g. `acme.us.auth0.com` (added by the tap; one warehouse may hold many).",
    ),
    _text("environment_name", "Auth0 environment, e.g. `prod-eu-1`."),
    th.Property(
        "$event_schema",
        th.ObjectType(th.Property("version", th.StringType)),
        description="Version of the event's schema.",
    ),
    th.Property(
        "references",
        th.ObjectType(
            th.Property("correlation_id", th.StringType), th.Property("trace_id", th.StringType)
        ),
        description="Correlation and trace ids.",
    ),
    _text("agent_id", "Agent id."),
    _text("external_agent_id", "External agent id."),
    _text("mtls_thumbprint_sha256", "mTLS certificate thumbprint."),
    _text("transaction_linking_id", "Transaction linking id."),
    _text("session_connection", "Connection of the session."),
    th.Property(
        EXTRA_FIELDS,
        th.ObjectType(),
        description="Top-level keys Auth0 sent that this schema does not name, kept as they came.",
    ),
).to_dict()

#: Top-level property names the schema declares.
KNOWN_FIELDS: frozenset[str] = frozenset(LOG_EVENT["properties"])


def normalize_scope(record: dict[str, Any]) -> dict[str, Any]:
    """Turn a space-separated `scope` string into the list it stands for (lossless)."""
    scope = record.get("scope")
    if isinstance(scope, str):
        record["scope"] = scope.split()
    return record


#: Every declared key, null: the shape every record is given.
_EVERY_KEY_NULL: dict[str, Any] = dict.fromkeys(LOG_EVENT["properties"])


def gather_extra_fields(record: dict[str, Any]) -> dict[str, Any]:
    """Move top-level keys the schema does not know into `extra_fields` (null when none)."""
    unknown = record.keys() - KNOWN_FIELDS  # a set operation in C: most records have none
    record[EXTRA_FIELDS] = (
        {key: record.pop(key) for key in list(record) if key in unknown} if unknown else None
    )
    return record


def with_every_key(record: dict[str, Any]) -> dict[str, Any]:
    """The record with every declared top-level key, null where Auth0 left it out.

    Auth0 omits keys in some periods and sends null in others; one shape lets stream map
    expressions name any key, and gives SQL targets the same columns whatever the period.
    """
    return _EVERY_KEY_NULL | record

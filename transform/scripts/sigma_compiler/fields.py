"""Auth0's field names, as its log stream and Sigma catalog write them, on `auth0__events`.

A rule names a field the way Auth0 writes a log event (`type`, `ip`,
`details.request.body.enabled`), often behind the log stream's `data.` envelope (`data.type`), and
marks the elements of an array with `{}` (`details.request.body.roles{}`), as Splunk does. Each
name becomes a `Field`: a column of `auth0__events`, or a path into its `details` JSON. A name the
events do not carry is refused here, with the reason, so that a rule never compiles into SQL that
silently matches nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Auth0's top-level names (and the package's own column names) -> the column of auth0__events.
COLUMNS = {
    "log_id": "log_id",
    "date": "occurred_at",
    "occurred_at": "occurred_at",
    "type": "type",
    "type_description": "type_description",
    "category": "category",
    "outcome": "outcome",
    "description": "description",
    "user_id": "user_id",
    "user_name": "user_name",
    "client_id": "client_id",
    "client_name": "client_name",
    "connection": "connection",
    "ip": "ip",
    "hostname": "hostname",
    "strategy": "strategy",
    "user_agent": "user_agent",
    "organization_id": "organization_id",
    "tenant_name": "tenant_name",
    "tenant": "tenant",
    "location_info.country_code": "country_code",
    "country_code": "country_code",
    "location_info.city_name": "city",
    "city": "city",
    "location_info.latitude": "latitude",
    "latitude": "latitude",
    "location_info.longitude": "longitude",
    "longitude": "longitude",
}
#: Columns compared as numbers or timestamps; every other column holds text.
NUMERIC = {"latitude", "longitude"}
TIMESTAMPS = {"occurred_at"}
#: Text a keyword (a value without a field) is looked for in.
KEYWORD_TEXT = ("type", "description", "user_name", "client_name", "user_agent", "hostname")
#: Top-level names Auth0 writes that auth0__events keeps no column for.
NOT_CARRIED = {
    "_id",
    "agent_id",
    "audience",
    "auth0_client",
    "client_ip",
    "connection_id",
    "environment_name",
    "external_agent_id",
    "identity_user_id",
    "isMobile",
    "location_info",
    "log_stream",
    "organization_name",
    "scope",
    "security_context",
    "session_connection",
    "strategy_type",
    "tracing",
    "transaction_linking_id",
    "$event_schema",
}
#: A JSON key as a dotted path writes it (Auth0's keys: letters, digits, `_`, `-`, `$`, `@`, `:`).
_KEY = re.compile(r"[A-Za-z0-9_$@:-]+")


class UnknownField(ValueError):
    """A field the events do not carry; the message names it and says why."""


@dataclass(frozen=True)
class Field:
    """Where a rule's field is in `auth0__events`: a column, or a path into `details`."""

    name: str  # the canonical name: the column, or `details.<path>` (`{}` when its elements)
    column: str | None = None
    path: tuple[str, ...] = ()
    elements: bool = False  # the elements of the array at `path` (written `name{}`)

    @property
    def numeric(self) -> bool:
        """A column compared as a number."""
        return self.column in NUMERIC

    @property
    def timestamp(self) -> bool:
        """A column of timestamps."""
        return self.column in TIMESTAMPS


def canonical(name: str) -> str:
    """The canonical name of a rule's field, or `UnknownField` saying why the events lack it."""
    return resolve(name).name


def resolve(name: str) -> Field:
    """The `Field` a rule's field name stands for (canonical names resolve to themselves)."""
    written = name
    if name.startswith("data."):  # the log stream's envelope
        name = name[len("data.") :]
    if name in COLUMNS:
        return Field(COLUMNS[name], column=COLUMNS[name])
    if name == "details" or name.startswith("details."):
        return _details(written, name)
    top = name.split(".")[0].removesuffix("{}")
    if top in NOT_CARRIED or name.startswith("location_info."):
        raise UnknownField(
            f"field {written}: Auth0 writes it, but auth0__events has no column for it"
        )
    if top in {"request", "response"}:
        raise UnknownField(
            f"field {written}: Auth0's logs have no top-level {top}; did you mean details.{name}?"
        )
    raise UnknownField(
        f"field {written}: no such field in Auth0's logs (fields: type, description, ip,"
        " user_id, user_name, client_id, hostname, ..., details.<path>)"
    )


def _details(written: str, name: str) -> Field:
    keys = name.split(".")[1:]
    elements = bool(keys) and keys[-1].endswith("{}")
    if elements:
        keys[-1] = keys[-1][: -len("{}")]
    if not keys:
        raise UnknownField(
            f"field {written}: name a path inside details, e.g. details.request.path"
        )
    for key in keys:
        if "{}" in key:
            raise UnknownField(
                f"field {written}: `{{}}` (an array's elements) is read only at the end of a path"
            )
        if not _KEY.fullmatch(key):
            raise UnknownField(f"field {written}: `{key}` is no JSON key Auth0 writes")
    return Field(name, path=tuple(keys), elements=elements)

"""Keyed pseudonyms: personal data in a log replaced by HMAC-SHA256 under a key kept apart.

An unkeyed hash is not pseudonymisation: anyone holding the output can hash every IPv4 address
(4.3 billion, minutes of work) or a list of e-mail addresses and read the values back. A keyed
function is: without the key, a pseudonym says nothing; with it, the same value always gives
the same pseudonym, so joins and counts still work.

A pseudonym's text form names the algorithm and the key's version, so keys can be rotated and a
reader knows which key made a value:

    hmac-sha256:<key version>:<64 hex digits of HMAC-SHA256(key, UTF-8 canonical value)>

The canonical value (`canonical`) is what makes one person one pseudonym: an e-mail address in
lower case (`JDoe@Example.com` is `jdoe@example.com`), an IP address as `ipaddress` writes it
(`2001:DB8:0::1` is `2001:db8::1`, and `::ffff:192.0.2.1` is `192.0.2.1`). A value already in
that form keeps the pseudonym it had before canonical values were taken; anything else (user ids,
names) is taken as it is.

Fields are dotted paths into an event (`details.request.ip`); where a path meets a list, it
applies to each element (`details.prompts.user_id`). A field the event lacks stays absent, an
empty string stays empty. In free text (`description`, e.g. "To: jdoe@example.com", and
`details.error.message`) the values replaced elsewhere are replaced too, and so is every e-mail and
IP address, even one no field names. The bodies of Management API calls (`details.request.body`,
`details.response.body`: a user created, a Dashboard member invited) are walked whole, and every
e-mail address in any of their strings is replaced; their IP addresses are left as they are (an
allow-list's ranges are the tenant's settings, and the detections compare them). Pure: no I/O, no
logging of values.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from typing import Any

ALGORITHM = "hmac-sha256"
#: The personal data Auth0 puts in a log event, and every place the same values repeat in the
#: events Auth0 writes (seen in real events: sign-ups, logins, e-mails, Management API calls).
DEFAULT_FIELDS = (
    "user_id",
    "user_name",
    "ip",
    "details.request.ip",
    "details.request.auth.user.user_id",
    "details.request.auth.user.email",
    "details.request.auth.user.name",
    "details.prompts.user_id",
    "details.prompts.user_name",
    "details.body.username",
    "details.body.email",
    "details.to",
    "details.authenticator.phone_number",
)
#: The word in `pseudonymize_fields` that stands for `DEFAULT_FIELDS`.
DEFAULT_WORD = "default"
#: Free text where Auth0 writes personal data ("To: jdoe@example.com"): a pseudonymised value
#: found there is replaced, and so is every e-mail or IP address, named in a field or not.
FREE_TEXT_FIELDS = (("description",), ("details", "error", "message"))
#: Bodies of Management API calls, walked whole: any string in them may hold an e-mail address
#: (`{"owners": ["jdoe@example.com"]}`), and each one found is replaced.
BODIES = (("details", "request", "body"), ("details", "response", "body"))
#: An e-mail address in free text (the usual dot-atom form: what Auth0 writes).
_EMAIL = re.compile(
    r"[\w.!#$%&'*+/=?^`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
)
#: A run of characters an IPv4 or IPv6 address is made of; `ipaddress` decides whether it is one.
_IP_CANDIDATE = re.compile(r"[0-9A-Fa-f:.]{3,}")
#: Distinct values whose pseudonyms are remembered (users and addresses repeat across logs).
CACHE_SIZE = 1 << 16
#: The shortest key accepted: a short key can be guessed, and the pseudonyms with it.
MIN_KEY_LENGTH = 16


def expand_fields(fields: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The paths to pseudonymise: `DEFAULT_FIELDS` for none or `default`, plus any others."""
    chosen = list(fields or [DEFAULT_WORD])
    expanded: list[str] = []
    for field in chosen:
        for path in DEFAULT_FIELDS if field == DEFAULT_WORD else (field,):
            if path not in expanded:
                expanded.append(path)
    return tuple(expanded)


def path_error(path: str) -> str | None:
    """Why `path` is not a dotted path, or None."""
    if not path or any(not part.strip() for part in path.split(".")):
        return f"{path!r} is not a dotted path such as `user_name` or `details.request.ip`"
    return None


class Pseudonymizer:
    """Replaces the values at `fields` in events by their keyed pseudonyms, in place."""

    def __init__(self, key: str, version: str, fields: tuple[str, ...]) -> None:
        self._key = key.encode()
        self._prefix = f"{ALGORITHM}:{version}:"
        self._paths = tuple(tuple(field.split(".")) for field in fields)
        self._cache: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"Pseudonymizer({self._prefix!r}, {len(self._paths)} fields)"  # never the key

    def covers(self, field: str) -> bool:
        """True when `field` (a top-level name or dotted path) is pseudonymised."""
        return tuple(field.split(".")) in self._paths

    def of(self, value: str) -> str:
        """The pseudonym of `value` (an empty string stays empty)."""
        if not value:
            return value
        found = self._cache.get(value)
        if found is None:
            digest = hmac.new(self._key, canonical(value).encode(), hashlib.sha256).hexdigest()
            found = self._prefix + digest
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[value] = found
        return found

    def apply(self, event: dict[str, Any]) -> dict[str, Any]:
        """`event` with every value at the fields pseudonymised (the same dict, changed)."""
        replaced: dict[str, str] = {}
        for path in self._paths:
            self._replace(event, path, replaced)
        for path in FREE_TEXT_FIELDS:
            parent = _parent(event, path)
            text = parent.get(path[-1]) if parent is not None else None
            if parent is not None and isinstance(text, str) and text:
                parent[path[-1]] = self.in_text(text, replaced)
        for path in BODIES:
            parent = _parent(event, path)
            if parent is not None and path[-1] in parent:
                parent[path[-1]] = self._emails_in(parent[path[-1]])
        return event

    def _emails_in(self, node: Any) -> Any:
        """`node` (objects, lists, strings) with every e-mail address in its strings replaced."""
        if isinstance(node, dict):
            return {key: self._emails_in(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self._emails_in(item) for item in node]
        if isinstance(node, str) and "@" in node:
            return _EMAIL.sub(lambda found: self.of(found.group()), node)
        return node

    def in_text(self, text: str, replaced: dict[str, str] | None = None) -> str:
        """`text` with the `replaced` values, then every e-mail and IP address, pseudonymised."""
        for value, pseudonym in (replaced or {}).items():
            if value in text:
                text = text.replace(value, pseudonym)
        if "@" in text:
            text = _EMAIL.sub(lambda found: self.of(found.group()), text)
        if "." not in text and ":" not in text:
            return text  # no address can be written without one
        return _IP_CANDIDATE.sub(self._ip_or_as_is, text)

    def _ip_or_as_is(self, found: re.Match[str]) -> str:
        """The pseudonym of an IP address (a sentence's closing dot kept); other runs as they are.

        A pseudonym is never taken for an address: its run (`a256:1:<64 hex digits>`) is not one.
        """
        run = found.group()
        if ":" not in run and run.count(".") < 3:
            return run  # a word, a number, a version: no address (and no exception to pay for)
        candidate = run.rstrip(".:")
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            return run
        return self.of(candidate) + run[len(candidate) :]

    def _replace(self, node: Any, path: tuple[str, ...], replaced: dict[str, str]) -> None:
        if isinstance(node, list):
            for item in node:
                self._replace(item, path, replaced)
            return
        if not isinstance(node, dict) or path[0] not in node:
            return
        if len(path) > 1:
            self._replace(node[path[0]], path[1:], replaced)
            return
        node[path[0]] = self._scalar_or_list(node[path[0]], replaced)

    def _scalar_or_list(self, value: Any, replaced: dict[str, str]) -> Any:
        if isinstance(value, list):
            return [self._scalar_or_list(item, replaced) for item in value]
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            text = str(value)
            if text:
                replaced[text] = self.of(text)
                return replaced[text]
        return value  # null, true/false, objects and empty strings stay as they are


def canonical(value: str) -> str:
    """The form `value` is pseudonymised in: one person, one pseudonym.

    An e-mail address in lower case, an IP address as `ipaddress` writes it (an IPv4 address
    mapped into IPv6 as IPv4); anything else as it is.
    """
    if "@" in value and _EMAIL.fullmatch(value):
        return value.lower()
    if ":" in value or value.count(".") == 3:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return value
        mapped = getattr(address, "ipv4_mapped", None)
        return str(mapped or address)
    return value


def _parent(event: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    """The object holding `path`'s last key, or None when the event has no such object."""
    node: Any = event
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None

"""The Auth0 log event type table: code → short name (``type_description``).

The table ships as package data (``data/log_event_types.csv``, 185 codes gathered from Auth0's
current and earlier documentation and SDKs). A description reads "Name — longer text"; the record
gets the name. Notes about where a code was found, in parentheses, are ours, not Auth0's, and
are dropped. Unknown codes map to None: Auth0 adds new codes all the time.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

_SOURCE_NOTE = re.compile(r"\s*\((?:legacy:|present in )[^)]*\)\s*$")


def short_name(description: str) -> str:
    """Reduce a table description to the event's name."""
    name = description.split(" — ", 1)[0]
    return _SOURCE_NOTE.sub("", name).strip()


@cache
def event_type_names() -> dict[str, str]:
    """Return the code → name table, read once per process."""
    text = resources.files("tap_auth0_logs").joinpath("data/log_event_types.csv").read_text("utf-8")
    return {
        row["code"]: short_name(row["description"]) for row in csv.DictReader(text.splitlines())
    }


def describe(code: object) -> str | None:
    """Return the name of event type `code`, or None for a code the table does not know."""
    if not isinstance(code, str):
        return None
    return event_type_names().get(code)

"""Schema drift, seen: what Auth0 sent that the tap does not know yet.

Auth0 adds top-level keys and event type codes without notice (docs/auth0-api.md §8). The tap
keeps unknown keys in `extra_fields` and leaves `type_description` null for unknown codes, so
nothing is lost; this module tells the operator, so that nobody has to open the data to learn
what changed: a WARNING the first time a run meets a name, and one INFO line at the end with
the counts.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from tap_auth0_logs.records.schema import EXTRA_FIELDS

if TYPE_CHECKING:
    import logging


_KEPT = "kept in `extra_fields`"
_NULL = "`type_description` is null"


class DriftWatch:
    """Counts one stream's unknown keys and event type codes over a run."""

    def __init__(self, name: str, logger: logging.Logger) -> None:
        self.name, self.logger = name, logger
        self.keys: Counter[str] = Counter()
        self.types: Counter[str] = Counter()

    def observe(self, record: dict[str, Any]) -> None:
        """Note the record's unknown keys and unknown type code (after `extra_fields`)."""
        for key in record.get(EXTRA_FIELDS) or ():
            self._count(self.keys, key, "a top-level key the schema does not name", _KEPT)
        code = record.get("type")
        if record.get("type_description") is None and isinstance(code, str):
            self._count(self.types, code, "an event type code the table does not know", _NULL)

    def _count(self, counts: Counter[str], name: str, what: str, consequence: str) -> None:
        """Count `name`; say so the first time this run meets it."""
        if name not in counts:
            self.logger.warning("Auth0 sent %s: `%s` (%s).", what, name, consequence)
        counts[name] += 1

    def report(self) -> None:
        """One line for the run, when anything was new."""
        if not self.keys and not self.types:
            return
        parts = []
        if self.keys:
            parts.append(f"top-level keys kept in `extra_fields`: {_counted(self.keys)}")
        if self.types:
            parts.append(f"event type codes not in the table: {_counted(self.types)}")
        self.logger.info("Schema drift in `%s`: %s.", self.name, "; ".join(parts))


def _counted(counts: Counter[str]) -> str:
    return ", ".join(f"{name} ({count:,})" for name, count in counts.most_common())

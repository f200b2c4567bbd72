"""OCSF rows checked by what others wrote: OCSF's own schema, compiled by `ocsf-json-schema`.

`ocsf-json-schema` ships OCSF's schema of every version (1.0.0-rc.2 to 1.8.0) and compiles a
class into JSON Schema 2020-12 with OCSF's `at_least_one` and `just_one` constraints, which
`jsonschema` then applies to each event.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from typing import Any

from jsonschema import Draft202012Validator
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema


@functools.cache
def validator(version: str, class_uid: int) -> Draft202012Validator:
    """OCSF `version`'s schema of the class, with no profile."""
    schema = OcsfJsonSchemaEmbedded(get_ocsf_schema(version=version))
    name = schema.lookup_class_name_from_uid(class_uid=class_uid)
    return Draft202012Validator(schema.get_class_schema(class_name=name, profiles=[]))


def check(events: list[dict[str, Any]], version: str) -> tuple[Counter[int], list[str]]:
    """Every event against its class in `version`: rows checked per class, and each failure."""
    checked: Counter[int] = Counter()
    failures = []
    for event in events:
        class_uid = event["class_uid"]
        checked[class_uid] += 1
        for error in validator(version, class_uid).iter_errors(event):
            failures.append(f"{class_uid} {error.json_path}: {error.message[:200]}")
        if event["metadata"]["version"] != version:
            failures.append(f"{class_uid}: metadata.version {event['metadata']['version']}")
    return checked, failures


def empty_objects(value: Any, path: str = "$") -> list[str]:
    """Where `value` holds an empty object or list, or a null (OCSF leaves those out)."""
    found = []
    if value is None or value in ({}, []):
        return [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += empty_objects(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += empty_objects(item, f"{path}[{index}]")
    return found


def loads(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The events of rows whose last column is the event's JSON text."""
    return [json.loads(row[-1]) for row in rows]

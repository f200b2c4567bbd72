"""The processing pipeline: Auth0's field names onto `auth0__events`, placeholders, values checked.

pySigma applies it to every rule before the backend converts it, and to a correlation's
`group-by` and counted field too. A rule it cannot carry through fails here with a
`SigmaTransformationError` naming why; the compiler refuses that rule and goes on with the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fields import UnknownField, canonical, resolve
from sigma.exceptions import SigmaTransformationError
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    FieldFunctionTransformation,
    ValueListPlaceholderTransformation,
)
from sigma.processing.transformations.base import DetectionItemTransformation
from sigma.types import SigmaString

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sigma.rule import SigmaDetectionItem
    from sigma.types import Placeholder

#: The var of the dbt project that holds the placeholders' values.
PLACEHOLDERS_VAR = "sigma_placeholders"
#: An Auth0 client_id: letters and digits (`critical-client_id-1` is a placeholder left in a rule).
_CLIENT_ID = re.compile(r"[A-Za-z0-9]+")
#: What an event type code looks like (`IN ("fs","ss")` is Splunk's list written as a value).
_CODE = re.compile(r"[a-z0-9_]+")


def placeholder_refusal(missing: dict[str, str]) -> str:
    """The line that refuses a rule for placeholders without a value (name -> where it is)."""
    names = ", ".join(f"{{{name}}} in {where}" for name, where in missing.items())
    example = ", ".join(f"'{name}': ..." for name in missing)
    return (
        f"no value for {names}: set it in the {PLACEHOLDERS_VAR} var of transform/dbt_project.yml"
        f" ({PLACEHOLDERS_VAR}: {{{example}}}) and compile again"
    )


def _field_name(name: str | None) -> str | None:
    """A rule's field as its canonical name in auth0__events (pySigma's field mapping callback)."""
    if name is None:
        return None
    try:
        return canonical(name)
    except UnknownField as unknown:
        raise SigmaTransformationError(str(unknown)) from None


@dataclass
class Placeholders(ValueListPlaceholderTransformation):
    """Sigma's own placeholders (`%name%` with `|expand`), from the same var as Auth0's `{name}`."""

    def placeholder_replacements(self, p: Placeholder) -> Iterable[SigmaString]:
        """The var's value (or values) of the placeholder; refuse the rule without one."""
        if self._pipeline is None or p.name not in self._pipeline.vars:
            raise SigmaTransformationError(placeholder_refusal({p.name: "a value with |expand"}))
        return super().placeholder_replacements(p)


@dataclass
class KnownValues(DetectionItemTransformation):
    """Values that cannot be what Auth0 writes in their field: refused, or warned about.

    A `type` that is no event type code at all, or a client_id with characters Auth0's ids never
    have, is a placeholder or a list left in the rule: it would match nothing, silently. A `type`
    shaped like a code that Auth0 does not document is compiled, with a warning.
    """

    codes: frozenset[str] = frozenset()
    warnings: list[tuple[Any, str]] = field(default_factory=list)  # (rule, warning)
    _rule: Any = None

    def apply(self, rule: Any) -> None:
        """Check a rule's values, remembering which rule a warning is about."""
        self._rule = rule
        super().apply(rule)

    def apply_detection_item(self, detection_item: SigmaDetectionItem) -> None:
        """Check the plain text values of `type` and of any `client_id`."""
        name = detection_item.field
        if name is None:
            return
        try:
            target = resolve(name)
        except UnknownField:
            return  # refused with its reason by the field names, next
        last = target.path[-1] if target.path else target.column
        for value in detection_item.value:
            if not isinstance(value, SigmaString) or value.contains_special():
                continue
            text = str(value)
            if target.column == "type":
                if not _CODE.fullmatch(text.lower()):
                    raise SigmaTransformationError(
                        f"type {text!r} is no Auth0 event type code (a list of codes is a YAML"
                        " list, one code per item)"
                    )
                if self.codes and text.lower() not in self.codes:
                    warning = f"type {text!r} is a code Auth0 does not document"
                    self.warnings.append((self._rule, warning))
            elif last == "client_id" and not _CLIENT_ID.fullmatch(text):
                raise SigmaTransformationError(
                    f"{text!r} in {name} is no Auth0 client_id (letters and digits only): a"
                    f" placeholder left in the rule? Write the client's id, or write"
                    f" {{{text}}} and give its value in the {PLACEHOLDERS_VAR} var"
                )


def pipeline(placeholders: dict[str, Any], codes: frozenset[str]) -> ProcessingPipeline:
    """Placeholders filled, then values checked (naming fields as the rule does), then fields."""
    return ProcessingPipeline(
        name="Auth0 logs onto auth0__events",
        vars=placeholders,
        items=[
            ProcessingItem(identifier="auth0_placeholders", transformation=Placeholders()),
            ProcessingItem(identifier="auth0_values", transformation=KnownValues(codes=codes)),
            ProcessingItem(
                identifier="auth0_fields",
                transformation=FieldFunctionTransformation(mapping={}, transform_func=_field_name),
            ),
        ],
    )


def value_warnings(processing: ProcessingPipeline) -> list[tuple[Any, str]]:
    """The warnings the value checks gathered: (rule, warning)."""
    return [
        warning
        for item in processing.items
        if isinstance(item.transformation, KnownValues)
        for warning in item.transformation.warnings
    ]

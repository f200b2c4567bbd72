"""Sigma correlations as SQL: sliding windows per tenant and `group-by`, merged into findings.

Every correlation reads the events its rules match (`events`: one row per event, a flag per rule),
grouped by tenant and the correlation's `group-by` (an event without a value for one of them
belongs to no group, as a SIEM's `stats by` drops it). A window opens at an event and spans the
timespan after it (`range between current row and interval ... following`: both engines slide it
row by row); the correlation's condition holds in some windows:

- `event_count`: the window's events (`count(*)` over the frame);
- `value_count`: the distinct values of its field among them (no engine counts distinct values
  over a sliding frame, so this one joins each event to the group's events within the timespan);
- `temporal`: how many of the rules matched in it (a `max` of each rule's flag over the frame);
- `temporal_ordered`: the rules matched one after another within the timespan (from each event
  of the first rule, the next event of the second, then of the third, ...).

For a floor (`gt`, `gte`) every event opens a window; for a ceiling or an exact count (`lt`,
`lte`, `eq`, `neq`) only an event after a timespan of quiet does, so a window is never a piece
of a busier one (five events in an hour are not "at most two" from their fourth on).
Overlapping windows that hold are one finding (`spans`), cut every `burst_max_hours` like the
package's own bursts; its events (`found`) are the group's events within it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sigma.correlations import (
    SigmaCorrelationConditionOperator,
    SigmaCorrelationRule,
    SigmaCorrelationType,
    SigmaExtendedCorrelationCondition,
)
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError

if TYPE_CHECKING:
    from collections.abc import Callable

OPERATORS = {
    SigmaCorrelationConditionOperator.LT: "<",
    SigmaCorrelationConditionOperator.LTE: "<=",
    SigmaCorrelationConditionOperator.GT: ">",
    SigmaCorrelationConditionOperator.GTE: ">=",
    SigmaCorrelationConditionOperator.EQ: "=",
    SigmaCorrelationConditionOperator.NEQ: "<>",
}
#: Conditions that grow with the window: every event may open one.
FLOORS = {">", ">="}
KINDS = {
    SigmaCorrelationType.EVENT_COUNT: "event_count",
    SigmaCorrelationType.VALUE_COUNT: "value_count",
    SigmaCorrelationType.TEMPORAL: "temporal",
    SigmaCorrelationType.TEMPORAL_ORDERED: "temporal_ordered",
}


@dataclass(frozen=True)
class Correlation:
    """What a correlation rule asks, with each of its parts already in SQL."""

    kind: str
    conditions: tuple[str, ...]  # each referenced rule's condition over auth0__events
    rule_names: tuple[str, ...]
    group_by: tuple[str, ...]  # the names, as the rule writes them
    groups: tuple[str, ...]  # their SQL over auth0__events (an alias: a `case` per rule)
    seconds: int
    timespan: str
    op: str
    count: float
    counted_name: str | None  # value_count's field
    counted: str | None

    @classmethod
    def of(cls, rule: SigmaCorrelationRule, field_sql: Callable[[str], str]) -> Correlation:
        """Read a correlation whose rules were converted (pySigma converts them first)."""
        if rule.type not in KINDS:
            raise SigmaFeatureNotSupportedByBackendError(
                f"{rule.type.name.lower()} correlations (event_count, value_count, temporal and"
                " temporal_ordered are compiled)"
            )
        if isinstance(rule.condition, SigmaExtendedCorrelationCondition):
            raise SigmaFeatureNotSupportedByBackendError("an extended (boolean) temporal condition")
        conditions, names = [], []
        for reference in rule.referenced_rules:
            if isinstance(reference.rule, SigmaCorrelationRule):
                raise SigmaFeatureNotSupportedByBackendError(
                    f"a correlation of a correlation ({reference.reference})"
                )
            queries = reference.rule.get_conversion_result()
            conditions.append(" or ".join(f"({query})" for query in queries))
            names.append(reference.rule.name or reference.rule.title or reference.reference)
        aliases = {alias.alias: alias for alias in rule.aliases}
        groups = []
        for name in rule.group_by or []:
            if name in aliases:
                mapping = {ref.reference: field for ref, field in aliases[name].mapping.items()}
                branches = " ".join(
                    f"when {condition} then {field_sql(mapping[ref.reference])}"
                    for ref, condition in zip(rule.referenced_rules, conditions, strict=True)
                    if ref.reference in mapping
                )
                if not branches:
                    raise SigmaFeatureNotSupportedByBackendError(
                        f"its alias {name} maps none of its rules ({', '.join(names)})"
                    )
                groups.append(f"case {branches} end")
            else:
                groups.append(field_sql(name))
        kind = KINDS[rule.type]
        op = OPERATORS[rule.condition.op]
        counted_name = rule.condition.fieldref if kind == "value_count" else None
        if kind == "value_count" and not isinstance(counted_name, str):
            raise SigmaFeatureNotSupportedByBackendError("a value_count without one field")
        if kind == "temporal_ordered" and (op, rule.condition.count) != (">=", len(conditions)):
            raise SigmaFeatureNotSupportedByBackendError(
                "a temporal_ordered condition other than all its rules, in order"
            )
        return cls(
            kind=kind,
            conditions=tuple(conditions),
            rule_names=tuple(names),
            group_by=tuple(rule.group_by or ()),
            groups=tuple(groups),
            seconds=rule.timespan.seconds,
            timespan=rule.timespan.spec,
            op=op,
            count=rule.condition.count,
            counted_name=counted_name,
            counted=field_sql(counted_name) if counted_name else None,
        )

    @property
    def keys(self) -> list[str]:
        """The columns a group is: its tenant, then each group-by."""
        return ["tenant", *(f"group_{i}" for i in range(1, len(self.groups) + 1))]

    def summary(self) -> str:
        """What the correlation asks, in a line (for a finding's description)."""
        by = f" by {', '.join(self.group_by)}" if self.group_by else ""
        count = f"{self.count:g}"
        within = f"within {self.timespan}{by}"
        if self.kind == "event_count":
            return f"event_count {self.op} {count} {within}"
        if self.kind == "value_count":
            return f"value_count of {self.counted_name} {self.op} {count} {within}"
        rules = ", ".join(self.rule_names)
        if self.kind == "temporal":
            return f"temporal: {count} of {rules} {within}"
        return f"temporal_ordered: {' then '.join(self.rule_names)} {within}"


def correlation_sql(c: Correlation) -> str:
    """The common table expressions up to `found`: each finding's events, keyed by `finding`."""
    return ",\n".join([_events(c), *_windows(c), _qualifying(c), *_spans(c)])


def _same(c: Correlation, left: str, right: str) -> str:
    return " and ".join(f"{left}.{key} = {right}.{key}" for key in c.keys)


def _partition(c: Correlation, alias: str = "") -> str:
    return "partition by " + ", ".join(f"{alias}{key}" for key in c.keys)


def _interval(c: Correlation) -> str:
    return f"interval '{c.seconds} seconds'"


def _events(c: Correlation) -> str:
    flags = "".join(
        f",\n            case when {condition} then 1 else 0 end as rule_{i}"
        for i, condition in enumerate(c.conditions, start=1)
    )
    groups = "".join(f",\n            {sql} as group_{i}" for i, sql in enumerate(c.groups, 1))
    counted = f",\n            {c.counted} as counted" if c.counted else ""
    anywhere = " or ".join(f"({condition})" for condition in c.conditions)
    present = "".join(f" and group_{i} is not null" for i in range(1, len(c.groups) + 1))
    return f"""matched as (
        select log_id, occurred_at, tenant, type, description{groups}{counted}{flags}
        from {{{{ ref('auth0__events') }}}}
        where {anywhere}
    ),
    events as (
        select
            matched.*,
            case when lag(occurred_at) over ({_partition(c)} order by occurred_at, log_id)
                >= occurred_at - {_interval(c)} then 0 else 1 end as after_quiet
        from matched
        where 1 = 1{present}
    )"""


def _windows(c: Correlation) -> list[str]:
    frame = (
        f"{_partition(c)} order by occurred_at"
        f" range between current row and {_interval(c)} following"
    )
    if c.kind == "event_count":
        return [
            f"""windows as (
        select events.*, count(*) over frame as measure, max(occurred_at) over frame as window_end
        from events
        window frame as ({frame})
    )"""
        ]
    if c.kind == "temporal":
        saw = " + ".join(f"max(rule_{i}) over frame" for i in range(1, len(c.conditions) + 1))
        return [
            f"""windows as (
        select events.*, {saw} as measure, max(occurred_at) over frame as window_end
        from events
        window frame as ({frame})
    )"""
        ]
    if c.kind == "value_count":
        keys = ", ".join(f"anchor.{key}" for key in c.keys)
        return [
            f"""windows as (
        select
            {keys}, anchor.log_id, anchor.occurred_at, anchor.after_quiet,
            count(distinct other.counted) as measure, max(other.occurred_at) as window_end
        from events as anchor
        join events as other
          on {_same(c, "other", "anchor")}
         and other.occurred_at >= anchor.occurred_at
         and other.occurred_at <= anchor.occurred_at + {_interval(c)}
        group by {keys}, anchor.log_id, anchor.occurred_at, anchor.after_quiet
    )"""
        ]
    return _ordered(c)


def _ordered(c: Correlation) -> list[str]:
    steps = len(c.conditions)
    nexts = "".join(
        f",\n            min(case when rule_{k} = 1 then position end) over following as next_{k}"
        for k in range(2, steps + 1)
    )
    joins = "".join(
        f"\n        join ordered as step_{k} on {_same(c, f'step_{k}', 'step_1')}"
        f" and step_{k}.position = step_{k - 1}.next_{k}"
        for k in range(2, steps + 1)
    )
    keys = ", ".join(f"step_1.{key}" for key in c.keys)
    return [
        f"""positioned as (
        select
            events.*,
            row_number() over ({_partition(c)} order by occurred_at, log_id) as position
        from events
    )""",
        f"""ordered as (
        select positioned.*{nexts}
        from positioned
        window following as ({_partition(c)} order by position
            rows between 1 following and unbounded following)
    )""",
        f"""windows as (
        select
            {keys}, step_1.log_id, step_1.occurred_at, step_1.after_quiet,
            {steps} as measure, step_{steps}.occurred_at as window_end
        from ordered as step_1{joins}
        where step_1.rule_1 = 1
          and step_{steps}.occurred_at <= step_1.occurred_at + {_interval(c)}
    )""",
    ]


def _qualifying(c: Correlation) -> str:
    quiet = "" if c.op in FLOORS else " and after_quiet = 1"
    keys = ", ".join(c.keys)
    return f"""qualifying as (
        select {keys}, occurred_at as window_start, window_end
        from windows
        where measure {c.op} {c.count:g}{quiet}
    )"""


def _spans(c: Correlation) -> list[str]:
    keys = ", ".join(c.keys)
    order = f"{_partition(c)} order by window_start, window_end"
    seconds = "{{ auth0_logs.seconds_between('spans.span_start', 'events.occurred_at') }}"
    cut = "{{ var('burst_max_hours') }} * 3600.0"
    return [
        f"""islands as (
        select
            opened.*,
            sum(opens) over ({order} rows between unbounded preceding and current row) as island
        from (
            select
                qualifying.*,
                case when window_start <= max(window_end) over (
                    {order} rows between unbounded preceding and 1 preceding)
                then 0 else 1 end as opens
            from qualifying
        ) as opened
    )""",
        f"""spans as (
        select {keys}, island, min(window_start) as span_start, max(window_end) as span_end
        from islands
        group by {keys}, island
    )""",
        f"""found as (
        select
            events.*,
            spans.island * 100000 + cast(floor({seconds} / ({cut})) as integer) as finding
        from events
        join spans
          on {_same(c, "events", "spans")}
         and events.occurred_at between spans.span_start and spans.span_end
    )""",
    ]

"""A pySigma backend whose queries are SQL over `auth0__events`, for dbt on DuckDB and PostgreSQL.

No published backend does this job: `pysigma-backend-duckdb` requires pySigma below 2, quotes a
dotted name as one column and ignores a correlation's timespan; `pysigma-backend-sqlite` writes
SQLite's dialect; there is none for PostgreSQL. So this is pySigma's own `TextQueryBackend`, with
its expressions written once for both engines: what differs between them (a JSON path, an array's
elements, a regular expression, text read as a number) is a call to one of the package's macros
(`transform/macros/sigma.sql`), which dbt renders for the engine it builds on. One compile serves
both warehouses.

A rule's query is the condition of a `where` over `auth0__events`; a correlation's is a chain of
common table expressions ending in `found`: the events of each finding, keyed by `finding`
(`correlations.py`). `models.py` turns either into the finding columns.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any, ClassVar

from correlations import Correlation, correlation_sql
from fields import KEYWORD_TEXT, Field, resolve
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
)
from sigma.conversion.base import TextQueryBackend
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.types import (
    SigmaCompareExpression,
    SigmaExists,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SpecialChars,
    TimestampPart,
)

if TYPE_CHECKING:
    from sigma.conversion.state import ConversionState
    from sigma.correlations import SigmaCorrelationRule

#: The name an array's element goes by inside `exists (select 1 from <elements> where ...)`.
ELEMENT = "element"
#: Regular expression syntax that RE2 (DuckDB) and PostgreSQL's AREs read differently or not at
#: all; both engines must find the same events, so a rule using it is refused.
_NOT_PORTABLE = (
    (re.compile(r"(?<!\\)\(\?<?[=!]"), "a lookahead or lookbehind (DuckDB's RE2 has none)"),
    (re.compile(r"(?<!\\)\(\?P?<[A-Za-z]"), "a named group (PostgreSQL has none)"),
    (re.compile(r"(?<!\\)\\[1-9]"), "a backreference (DuckDB's RE2 has none)"),
    (re.compile(r"(?<!\\)\(\?[a-zA-Z]+[:)]"), "inline flags (write them as |re|i, |re|m, |re|s)"),
    (re.compile(r"(?<!\\)\\[zZGQE]"), "an anchor or quoting escape only one engine reads"),
)


def jinja_text(text: str) -> str:
    """Text a Jinja template renders as it is (dbt renders every model as a template)."""
    return re.sub(r"\{(?=[{%#])", "{{ '{' }}", text)


def sql_string(text: str) -> str:
    """An SQL string literal of `text` (standard conforming: only `'` is doubled)."""
    return "'" + jinja_text(text.replace("'", "''")) + "'"


def jinja_string(text: str) -> str:
    """A Jinja string literal of `text` (Jinja reads escapes as Python's unicode-escape)."""
    return "'" + text.encode("unicode_escape").decode("ascii").replace("'", "\\'") + "'"


class Auth0EventsBackend(TextQueryBackend):
    """Sigma conditions and correlations as dbt SQL over `auth0__events`."""

    name: ClassVar[str] = "auth0__events (dbt: DuckDB and PostgreSQL)"
    formats: ClassVar[dict[str, str]] = {"default": "SQL of a dbt model"}
    correlation_methods: ClassVar[dict[str, str]] = {
        "default": "sliding windows per tenant and group-by (window functions)"
    }
    requires_pipeline: ClassVar[bool] = True

    precedence: ClassVar[tuple[type, type, type]] = (ConditionNOT, ConditionAND, ConditionOR)
    group_expression: ClassVar[str] = "({expr})"
    token_separator: str = " "
    or_token: ClassVar[str] = "or"
    and_token: ClassVar[str] = "and"
    not_token: ClassVar[str] = "not"
    eq_token: ClassVar[str] = " = "
    str_quote: ClassVar[str] = "'"
    escape_char: ClassVar[str] = "\\"
    wildcard_multi: ClassVar[str] = "%"
    wildcard_single: ClassVar[str] = "_"
    add_escaped: ClassVar[str] = "\\"
    filter_chars: ClassVar[str] = ""
    field_null_expression: ClassVar[str] = "{field} is null"
    field_exists_expression: ClassVar[str] = "{field} is not null"
    field_not_exists_expression: ClassVar[str] = "{field} is null"
    field_equals_field_expression: ClassVar[str] = "lower({field1}) = lower({field2})"
    field_equals_field_startswith_expression: ClassVar[str] = (
        "starts_with(lower({field1}), lower({field2}))"
    )
    field_equals_field_endswith_expression: ClassVar[str] = (
        "right(lower({field1}), length({field2})) = lower({field2})"
    )
    field_equals_field_contains_expression: ClassVar[str] = (
        "strpos(lower({field1}), lower({field2})) > 0"
    )
    compare_operators: ClassVar[dict[Any, str]] = {
        SigmaCompareExpression.CompareOperators.LT: "<",
        SigmaCompareExpression.CompareOperators.LTE: "<=",
        SigmaCompareExpression.CompareOperators.GT: ">",
        SigmaCompareExpression.CompareOperators.GTE: ">=",
    }
    field_timestamp_part_expression: ClassVar[str] = (
        "extract({timestamp_part} from cast({field} as timestamp))"
    )
    timestamp_part_mapping: ClassVar[dict[Any, str]] = {
        TimestampPart.MINUTE: "minute",
        TimestampPart.HOUR: "hour",
        TimestampPart.DAY: "day",
        TimestampPart.WEEK: "week",
        TimestampPart.MONTH: "month",
        TimestampPart.YEAR: "year",
    }
    # Several values of one text field: `lower(field) in (...)`.
    convert_or_as_in: ClassVar[bool] = True
    in_expressions_allow_wildcards: ClassVar[bool] = False
    field_in_list_expression: ClassVar[str] = "lower({field}) {op} ({list})"
    or_in_operator: ClassVar[str] = "in"
    list_separator: ClassVar[str] = ", "

    # --- fields -----------------------------------------------------------------------------

    def escape_and_quote_field(self, field_name: str) -> str:
        """The SQL of a field the pipeline named (a column, or a path into `details`)."""
        if field_name == ELEMENT:
            return ELEMENT
        field = resolve(field_name)
        if field.column is not None:
            return field.column
        if field.elements:  # only reached where a value is not compared (a group-by)
            raise SigmaFeatureNotSupportedByBackendError(
                f"{field.name}: an array's elements can be matched, not grouped or counted"
            )
        return "{{ auth0_logs.sigma_json(" + _keys(field) + ") }}"

    def decide_convert_condition_as_in_expression(self, cond: Any, state: ConversionState) -> bool:
        """An `in` list only for a text column or path (not an array, a number, a timestamp)."""
        if not super().decide_convert_condition_as_in_expression(cond, state):
            return False
        field = _field(cond.args[0].field)
        return not (field.elements or field.numeric or field.timestamp)

    def convert_condition_as_in_expression(self, cond: Any, state: ConversionState) -> str:
        """`lower(field) in (lower('a'), ...)`: Sigma compares text without regard to case."""
        values = ", ".join(f"lower({self._literal(arg.value)})" for arg in cond.args)
        return self.field_in_list_expression.format(
            field=self.escape_and_quote_field(cond.args[0].field),
            op=self.or_in_operator,
            list=values,
        )

    def convert_condition_field_eq_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        """A value of an array's elements (`name{}`): true when any element matches it."""
        field = _field(cond.field)
        if not field.elements:
            return super().convert_condition_field_eq_val(cond, state)
        elements = "{{ auth0_logs.sigma_elements(" + _keys(field) + ") }}"
        if isinstance(cond.value, SigmaNull) or (
            isinstance(cond.value, SigmaExists) and not cond.value.exists
        ):
            return f"not exists (select 1 from {elements} where {ELEMENT} is not null)"
        if isinstance(cond.value, SigmaExists):
            return f"exists (select 1 from {elements} where {ELEMENT} is not null)"
        each = copy.copy(cond)  # its parent and source too
        each.field = ELEMENT
        matched = super().convert_condition_field_eq_val(each, state)
        return f"exists (select 1 from {elements} where {matched})"

    # --- values -----------------------------------------------------------------------------

    def _literal(self, value: SigmaString | SigmaNumber) -> str:
        if isinstance(value, SigmaNumber):
            return sql_string(str(value))
        return sql_string(value.convert(escape_char="", add_escaped="", filter_chars=""))

    def _pattern(self, value: SigmaString) -> str:
        return sql_string(
            value.convert(
                escape_char=self.escape_char,
                wildcard_multi=self.wildcard_multi,
                wildcard_single=self.wildcard_single,
                add_escaped=self.add_escaped,
                filter_chars="",
            )
        )

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """Text without regard to case: `lower(a) = lower(b)`, or `ilike` with wildcards."""
        field = self.escape_and_quote_field(cond.field)
        if cond.value.contains_special():
            return f"{field} ilike {self._pattern(cond.value)} escape '\\'"
        return f"lower({field}) = lower({self._literal(cond.value)})"

    def convert_condition_field_eq_val_str_case_sensitive(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """`|cased`: `=`, or `like` with wildcards."""
        field = self.escape_and_quote_field(cond.field)
        if cond.value.contains_special():
            return f"{field} like {self._pattern(cond.value)} escape '\\'"
        return f"{field} = {self._literal(cond.value)}"

    def convert_condition_field_eq_val_num(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """A number: as a number in a numeric column, else as the text JSON writes it."""
        sql = self.escape_and_quote_field(cond.field)
        if _field(cond.field).numeric:
            return f"{sql} = {cond.value}"
        return f"{sql} = {self._literal(cond.value)}"

    def convert_condition_field_eq_val_bool(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """`true`/`false`, as JSON writes them (a quoted 'False' matches too)."""
        value = "'true'" if cond.value.boolean else "'false'"
        return f"lower({self.escape_and_quote_field(cond.field)}) = {value}"

    def convert_condition_field_compare_op_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """`|lt`, `|gte`, ...: text read as a number (text that is none compares as null)."""
        if _field(cond.field).numeric:
            return super().convert_condition_field_compare_op_val(cond, state)
        if not isinstance(cond.value.number, SigmaNumber) or hasattr(
            cond.value.number, "timestamp_part"
        ):
            return super().convert_condition_field_compare_op_val(cond, state)
        number = (
            "{% call auth0_logs.sigma_number() %}"
            + self.escape_and_quote_field(cond.field)
            + "{% endcall %}"
        )
        return f"{number} {self.compare_operators[cond.value.op]} {cond.value.number}"

    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """`|re`: RE2 in DuckDB, an ARE in PostgreSQL, with the same meaning in both."""
        return self._regex(self.escape_and_quote_field(cond.field), cond.value)

    def _regex(self, field_sql: str, value: SigmaRegularExpression) -> str:
        pattern = str(value.regexp)
        for syntax, what in _NOT_PORTABLE:
            if syntax.search(pattern):
                raise SigmaFeatureNotSupportedByBackendError(
                    f"regular expression {pattern!r} uses {what}"
                )
        _check_re2(pattern)
        flags = value.flags
        re2 = "".join(
            letter
            for flag, letter in (
                (SigmaRegularExpressionFlag.IGNORECASE, "i"),
                (SigmaRegularExpressionFlag.MULTILINE, "m"),
                (SigmaRegularExpressionFlag.DOTALL, "s"),
            )
            if flag in flags
        )
        # PostgreSQL's newline modes: p (PCRE's default), s (dot-all), n (multi-line), w (both).
        multiline = SigmaRegularExpressionFlag.MULTILINE in flags
        dotall = SigmaRegularExpressionFlag.DOTALL in flags
        ara = {(False, False): "p", (False, True): "s", (True, False): "n", (True, True): "w"}
        are = ara[(multiline, dotall)] + ("i" if "i" in re2 else "")
        duckdb = (f"(?{re2})" if re2 else "") + pattern
        postgres = f"(?{are})" + _re2_to_are(pattern)
        return (
            f"{{% call auth0_logs.sigma_regex({jinja_string(duckdb)}, {jinja_string(postgres)}) %}}"
            + field_sql
            + "{% endcall %}"
        )

    def convert_condition_field_eq_val_cidr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """`|cidr`: the addresses' text begins with one of the range's prefixes."""
        prefixes = [
            ConditionFieldEqualsValueExpression(cond.field, SigmaString(prefix))
            for prefix in cond.value.expand()
        ]
        either = ConditionOR(prefixes, getattr(cond, "source", None))
        return "(" + self.convert_condition(either, state) + ")"

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> str:
        """`not`, true where what it negates is unknown (a field the event lacks): Sigma's sense."""
        negated = self.convert_condition_group(cond.args[0], state)
        return f"not coalesce({negated}, false)"

    # --- keywords: a value without a field ----------------------------------------------------

    def _keyword_text(self) -> str:
        columns = ", ".join(KEYWORD_TEXT)
        return f"concat_ws(' ', {columns}, cast(details as varchar))"

    def convert_condition_val_str(self, cond: Any, state: ConversionState) -> str:
        """A keyword: text anywhere in the event's text columns or its details."""
        value = cond.value
        if not value.startswith(SpecialChars.WILDCARD_MULTI):
            value = SpecialChars.WILDCARD_MULTI + value
        if not value.endswith(SpecialChars.WILDCARD_MULTI):
            value = value + SpecialChars.WILDCARD_MULTI
        return f"{self._keyword_text()} ilike {self._pattern(value)} escape '\\'"

    def convert_condition_val_num(self, cond: Any, state: ConversionState) -> str:
        """A number as a keyword: its digits anywhere in the event's text."""
        text = copy.copy(cond)
        text.value = SigmaString(str(cond.value))
        return self.convert_condition_val_str(text, state)

    def convert_condition_val_re(self, cond: Any, state: ConversionState) -> str:
        """A regular expression as a keyword, over the event's text."""
        return self._regex(self._keyword_text(), cond.value)

    def convert_condition_query_expr(self, cond: Any, state: ConversionState) -> str:
        """Query expressions are another backend's text: nothing here can run them."""
        raise SigmaFeatureNotSupportedByBackendError("query expressions (|expand of a query)")

    def convert_condition_field_eq_query_expr(self, cond: Any, state: ConversionState) -> str:
        """Query expressions are another backend's text: nothing here can run them."""
        raise SigmaFeatureNotSupportedByBackendError("query expressions (|expand of a query)")

    # --- correlations -------------------------------------------------------------------------

    def _correlation(self, rule: SigmaCorrelationRule) -> list[str]:
        return [correlation_sql(Correlation.of(rule, self.escape_and_quote_field))]

    def convert_correlation_event_count_rule(self, rule: Any, *_: Any, **__: Any) -> list[str]:
        """Enough events of the group within the timespan."""
        return self._correlation(rule)

    def convert_correlation_value_count_rule(self, rule: Any, *_: Any, **__: Any) -> list[str]:
        """Enough distinct values of a field in the group within the timespan."""
        return self._correlation(rule)

    def convert_correlation_temporal_rule(self, rule: Any, *_: Any, **__: Any) -> list[str]:
        """Every referenced rule matched in the group within the timespan."""
        return self._correlation(rule)

    def convert_correlation_temporal_ordered_rule(self, rule: Any, *_: Any, **__: Any) -> list[str]:
        """The referenced rules matched in the group in their order within the timespan."""
        return self._correlation(rule)


def _field(name: str) -> Field:
    """The field of a condition: an array's element (inside `exists`), or a rule's field."""
    return Field(ELEMENT) if name == ELEMENT else resolve(name)


def _keys(field: Field) -> str:
    return "[" + ", ".join(jinja_string(key) for key in field.path) + "]"


def _check_re2(pattern: str) -> None:
    """Refuse what DuckDB's RE2 would refuse at build time, now, while the rule is named."""
    try:
        import re2  # noqa: PLC0415 (google-re2 comes with pySigma 2)
    except ImportError:  # pragma: no cover
        return
    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(pattern, options)
    except re2.error as error:
        why = error.args[0].decode() if isinstance(error.args[0], bytes) else error.args[0]
        raise SigmaFeatureNotSupportedByBackendError(
            f"regular expression {pattern!r}: DuckDB's RE2 cannot read it ({why})"
        ) from None


def _re2_to_are(pattern: str) -> str:
    r"""The same regular expression in PostgreSQL's syntax: its word boundary is `\y`, not `\b`."""
    return re.sub(
        r"(?<!\\)((?:\\\\)*)\\([bB])",
        lambda m: m.group(1) + "\\" + {"b": "y", "B": "Y"}[m.group(2)],
        pattern,
    )

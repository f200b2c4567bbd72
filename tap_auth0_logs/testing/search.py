"""Auth0's log search syntax (a Lucene subset, docs/auth0-api.md §1), enough to filter like Auth0.

Supported: `field:value`, `field:"exact phrase"`, `*` wildcards, ranges `[a TO b]` / `{a TO b}`
(inclusive or exclusive ends, mixable, `*` for open), `AND`, `OR`, `NOT`, parentheses; a bare
term searches Auth0's default fields. Anything else is a `QueryError` (Auth0 answers 400).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from typing import Any

SEARCHABLE = frozenset(
    {
        "client_id",
        "client_name",
        "connection",
        "connection_id",
        "description",
        "date",
        "hostname",
        "ip",
        "log_id",
        "organization_id",
        "user_id",
        "user_name",
        "user_agent",
        "strategy",
        "strategy_type",
        "type",
    }
)
BARE_TERM_FIELDS = ("client_name", "connection", "description", "ip", "log_id", "type", "user_name")
_TOKEN = re.compile(
    r'\s*(?:(?P<lpar>\()|(?P<rpar>\))|(?P<range>[\[{][^\]}]*[\]}])|(?P<phrase>"(?:[^"\\]|\\.)*")|(?P<colon>:)|(?P<word>[^\s():"\[\]{}]+))'
)

Predicate = Callable[[dict[str, Any]], bool]


class QueryError(ValueError):
    """The query is not valid Auth0 log search syntax."""


def compile_query(text: str) -> Predicate:
    """Compile `text` into a predicate over log events."""
    tokens = _tokenize(text)
    if not tokens:
        return lambda _log: True
    parser = _Parser(tokens)
    predicate = parser.expression()
    if parser.pos != len(tokens):
        raise QueryError(f"unexpected {tokens[parser.pos][1]!r}")
    return predicate


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QueryError(f"cannot parse near {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.pos = tokens, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise QueryError("query ends too early")
        self.pos += 1
        return token

    def expression(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek() == ("word", "OR"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda log: any(p(log) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while (token := self.peek()) is not None and token[0] != "rpar" and token != ("word", "OR"):
            if token == ("word", "AND"):
                self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda log: all(p(log) for p in parts))

    def unary(self) -> Predicate:
        if self.peek() == ("word", "NOT"):
            self.take()
            inner = self.unary()
            return lambda log: not inner(log)
        if self.peek() is not None and self.peek()[0] == "lpar":  # type: ignore[index]
            self.take()
            inner = self.expression()
            if self.take()[0] != "rpar":
                raise QueryError("missing )")
            return inner
        return self.term()

    def term(self) -> Predicate:
        kind, value = self.take()
        nxt = self.peek()
        if kind == "word" and nxt is not None and nxt[0] == "colon":
            self.take()
            field = value
            if field not in SEARCHABLE:
                raise QueryError(f"field {field!r} is not searchable")
            kind, value = self.take()
            return _match(field, kind, value)
        if kind not in {"word", "phrase"}:
            raise QueryError(f"unexpected {value!r}")
        checks = [_match(f, kind, value) for f in BARE_TERM_FIELDS]
        return lambda log: any(c(log) for c in checks)


def _match(field: str, kind: str, value: str) -> Predicate:
    if kind == "range":
        return _range(field, value)
    if kind == "phrase":
        exact = value[1:-1].replace('\\"', '"')
        return lambda log: log.get(field) == exact
    if kind != "word":
        raise QueryError(f"unexpected {value!r} after {field}:")
    if "*" in value:
        literal = value.replace("*", "")
        if not value.endswith("*") and len(literal) < 3:
            raise QueryError("suffix and infix wildcards need at least 3 literal characters")
        return lambda log: (
            isinstance(log.get(field), str) and fnmatch.fnmatchcase(log[field], value)
        )
    if field == "date":
        return lambda log: _date_key(log.get("date")).startswith(value)
    return lambda log: log.get(field) == value


def _range(field: str, text: str) -> Predicate:
    low_inclusive, high_inclusive = text[0] == "[", text[-1] == "]"
    parts = text[1:-1].split(" TO ")
    if len(parts) != 2:
        raise QueryError(f"bad range {text!r}")
    low, high = (p.strip().strip('"') for p in parts)
    key: Callable[[Any], str] = (
        _date_key if field == "date" else (lambda v: v if isinstance(v, str) else "")
    )

    def check(log: dict[str, Any]) -> bool:
        value = key(log.get(field))
        if not value:
            return False
        if low != "*" and (value < low if low_inclusive else value <= low):
            return False
        return high == "*" or (value <= high if high_inclusive else value < high)

    if field == "date":
        low = low if low == "*" else _date_key(low)
        high = high if high == "*" else _date_key(high)
    return check


def _date_key(value: Any) -> str:
    """Comparable text of a date: `2026-11-01T00:00:01.234` (no zone; Auth0 dates are UTC)."""
    if not isinstance(value, str):
        return ""
    return value.rstrip("Z").replace(" ", "T")

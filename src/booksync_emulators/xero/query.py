"""GET list options: Xero's `where` filter language, `order`, `page`/`pageSize` and
If-Modified-Since.

The `where` subset understood: comparisons `Field == value` (also `=`, `!=`, `<`, `<=`, `>`,
`>=`) on dotted paths (`Contact.ContactID`), values `"text"`, numbers, `true`/`false`/`null`,
`Guid("...")`, `DateTime(2024, 1, 31)` (either in any letter case); methods `.Contains("x")`,
`.StartsWith("x")`, `.EndsWith("x")`, `.ToLower()`, `.ToUpper()`; `AND`/`&&`, `OR`/`||`, `!`
and parentheses. Anything else is a 400 naming the position, not a silently wrong answer.

Sources: the spec's own examples (`Status=="AUTHORISED"`, tests/specs/xero/xero_accounting.yaml line
580); a single `=` and `GUID("...")` as Xero's filter syntax is documented for users in
https://help.coupler.io/article/237-how-to-use-where-parameter-in-xero-importer (`Total = 20.00`,
`AccountID = GUID("...")`) and used by clients such as xero-gateway (`Type = "ACCREC"`,
github.com/xero-gateway/xero_gateway/issues/34); the lower-case `guid("...")` is how Xero's
Invoices page writes its optimised `Contact.ContactID=guid("...")` filter. Lists are in
`UpdatedDateUTC` order unless `order` says otherwise ("The default order is UpdatedDateUTC ASC",
developer.xero.com's GET ManualJournals, quoted in github.com/singer-io/tap-xero/pull/104).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from booksync_emulators.xero.store import Record
from booksync_emulators.xero.wire import parse_datetime

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>==|!=|>=|<=|&&|\|\||[<>()!,.=])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


class QueryError(ValueError):
    """A `where`, `order` or paging value Xero would refuse."""


Predicate = Callable[[Record], bool]


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QueryError(f"where: cannot read '{text[pos : pos + 20]}' at position {pos}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise QueryError(f"where: expected '{value or 'a value'}' at token {self.pos + 1}")
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.either()
        if self.peek() is not None:
            raise QueryError(f"where: unexpected '{self.peek()[1]}' at token {self.pos + 1}")  # type: ignore[index]
        return predicate

    def either(self) -> Predicate:
        parts = [self.both()]
        while (token := self.peek()) and token[1].upper() in ("OR", "||"):
            self.pos += 1
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else lambda r: any(p(r) for p in parts)

    def both(self) -> Predicate:
        parts = [self.unary()]
        while (token := self.peek()) and token[1].upper() in ("AND", "&&"):
            self.pos += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else lambda r: all(p(r) for p in parts)

    def unary(self) -> Predicate:
        token = self.peek()
        if token and token[1] == "!":
            self.pos += 1
            inner = self.unary()
            return lambda r: not inner(r)
        if token and token[1] == "(":
            self.pos += 1
            inner = self.either()
            self.take(")")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        getter = self.operand()
        token = self.peek()
        if isinstance(getter, _Test):
            return getter.predicate
        if token and token[0] == "op" and token[1] in ("==", "=", "!=", "<", "<=", ">", ">="):
            self.pos += 1
            literal = self.literal()
            return _compare(getter, "==" if token[1] == "=" else token[1], literal)
        return lambda r: getter(r) is True

    def operand(self) -> Callable[[Record], Any] | _Test:
        kind, name = self.take()
        if kind != "name":
            raise QueryError(f"where: expected a field name, got '{name}'")
        path = [name]
        transforms: list[Callable[[Any], Any]] = []
        while (token := self.peek()) and token[1] == ".":
            self.pos += 1
            _, member = self.take()
            if (nxt := self.peek()) and nxt[1] == "(":
                self.pos += 1
                if member in ("ToLower", "ToUpper"):
                    self.take(")")
                    transforms.append(str.lower if member == "ToLower" else str.upper)
                    continue
                if member in ("Contains", "StartsWith", "EndsWith"):
                    argument = self.literal()
                    self.take(")")
                    getter = _getter(path, transforms)
                    return _Test(_text_test(getter, member, str(argument)))
                raise QueryError(f"where: method '{member}' is not supported")
            if transforms:
                raise QueryError(f"where: cannot read a field of '{'.'.join(path)}' after a method")
            path.append(member)
        return _getter(path, transforms)

    def literal(self) -> Any:
        kind, value = self.take()
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", value[1:-1])
        if kind == "number":
            return Decimal(value)
        if kind == "name":
            lowered = value.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            if lowered == "null":
                return None
            if lowered in ("guid", "datetime"):
                self.take("(")
                args = [self.literal()]
                while (token := self.peek()) and token[1] == ",":
                    self.pos += 1
                    args.append(self.literal())
                self.take(")")
                if lowered == "guid":
                    return _Guid(str(args[0]).lower())
                try:
                    y, mo, d, h, mi, sec = ([int(a) for a in args] + [0, 0, 0])[:6]
                    return datetime(y, mo, d, h, mi, sec, tzinfo=UTC)
                except (TypeError, ValueError, IndexError):
                    raise QueryError(f"where: DateTime{tuple(args)} is not a date") from None
        raise QueryError(f"where: '{value}' is not a value")


class _Guid(str):
    pass


class _Test:
    def __init__(self, predicate: Predicate) -> None:
        self.predicate = predicate


def _getter(path: list[str], transforms: list[Callable[[Any], Any]]) -> Callable[[Record], Any]:
    def get(record: Record) -> Any:
        value: Any = record
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        for transform in transforms:
            value = transform(value) if isinstance(value, str) else value
        return value

    return get


def _text_test(getter: Callable[[Record], Any], method: str, argument: str) -> Predicate:
    def test(record: Record) -> bool:
        value = getter(record)
        if not isinstance(value, str):
            return False
        return {"Contains": argument in value, "StartsWith": value.startswith(argument)}.get(
            method, value.endswith(argument)
        )

    return test


def _comparable(value: Any, literal: Any) -> tuple[Any, Any]:
    if isinstance(literal, _Guid):
        return (str(value).lower() if value is not None else None), str(literal)
    if isinstance(literal, datetime):
        if isinstance(value, datetime):
            return value, literal
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC), literal
        return None, literal
    if isinstance(literal, Decimal):
        try:
            return (Decimal(str(value)) if value is not None else None), literal
        except InvalidOperation:
            return None, literal
    return value, literal


def _compare(getter: Callable[[Record], Any], op: str, literal: Any) -> Predicate:
    def test(record: Record) -> bool:
        left, right = _comparable(getter(record), literal)
        if op == "==":
            return bool(left == right)
        if op == "!=":
            return bool(left != right)
        if left is None or right is None:
            return False
        try:
            return bool(
                {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
            )
        except TypeError:
            return False

    return test


def where(text: str | None) -> Predicate:
    """A predicate for Xero's `where` parameter (everything passes when it is absent)."""
    if not text or not text.strip():
        return lambda record: True
    return _Parser(text).parse()


#: What a list is sorted by when `order` is absent (see the module docstring).
DEFAULT_ORDER = "UpdatedDateUTC ASC"


def order(records: list[Record], text: str | None, default: str | None = None) -> list[Record]:
    """Sort by `order` ("Name ASC, Date DESC"), else by `default`; stable, missing values first."""
    text = text or default
    if not text:
        return records
    out = list(records)
    for clause in reversed([c.strip() for c in text.split(",") if c.strip()]):
        parts = clause.split()
        if len(parts) > 2 or (len(parts) == 2 and parts[1].upper() not in ("ASC", "DESC")):
            raise QueryError(f"order '{clause}' must be a field name and ASC or DESC")
        getter = _getter(parts[0].split("."), [])
        out.sort(
            key=lambda r: _sort_key(getter(r)),
            reverse=len(parts) == 2 and parts[1].upper() == "DESC",
        )
    return out


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, datetime | date):
        return (1, value.isoformat())
    if isinstance(value, Decimal | int):
        return (2, Decimal(value))
    return (3, str(value).casefold())


def page(
    records: list[Record], page_text: str | None, size_text: str | None
) -> tuple[list[Record], dict[str, int] | None]:
    """The requested page and Xero's `pagination` block; everything (and None) without `page`."""
    if page_text is None:
        return records, None
    try:
        number = int(page_text)
        size = int(size_text) if size_text else DEFAULT_PAGE_SIZE
    except ValueError:
        raise QueryError(
            f"page '{page_text}' and pageSize '{size_text}' must be whole numbers"
        ) from None
    if number < 1:
        raise QueryError(f"page '{page_text}' must be at least 1")
    # Xero takes a pageSize up to 1,000, 100 by default (its paging change of July 2024, quoted in
    # github.com/calcinai/xero-php/issues/915); a size out of that range is adjusted into it, not
    # refused, as the spec declares no bounds (xero_accounting.yaml line 19850).
    size = DEFAULT_PAGE_SIZE if size < 1 else min(size, MAX_PAGE_SIZE)
    start = (number - 1) * size
    count = len(records)
    info = {"page": number, "pageSize": size, "pageCount": -(-count // size), "itemCount": count}
    return records[start : start + size], info


def modified_since(records: Iterable[Record], header: str | None) -> list[Record]:
    """Only records updated after If-Modified-Since, when the header is present."""
    if not header:
        return list(records)
    try:
        since = parse_datetime(header)
    except ValueError:
        raise QueryError(f"If-Modified-Since '{header}' is not a date-time") from None
    return [r for r in records if r.get("UpdatedDateUTC") and r["UpdatedDateUTC"] > since]


def in_list(field_name: str, text: str | None) -> Predicate:
    """Filters like `IDs=a,b` or `Statuses=DRAFT,PAID` (values may be quoted)."""
    if not text:
        return lambda record: True
    wanted = {v.strip().strip('"').lower() for v in text.split(",") if v.strip()}

    def test(record: Record) -> bool:
        value = record
        for part in field_name.split("."):
            value = value.get(part) if isinstance(value, dict) else None  # type: ignore[assignment]
        return str(value).lower() in wanted

    return test

"""QBO's query language (`GET /query?query=...`, or `POST /query` with the statement as the body),
the subset a connector uses:

    SELECT * [, Field ...] | COUNT(*) | Field, ... FROM Entity
      [WHERE cond AND cond ...] [ORDERBY Field [ASC|DESC], ...] [STARTPOSITION n] [MAXRESULTS n]

A condition is `Field op value` (`=`, `<`, `<=`, `>`, `>=`), `Field IN (v, ...)` or
`Field LIKE '%text%'` (`%` only). Values are 'quoted' (a quote inside is `\\'`), numbers, or
true / false. Keywords and entity names ignore case; text comparisons ignore case too. QBO has no
OR, no parentheses and no joins: those are a parse error (4000), as are unknown entities. A field
an entity does not allow in queries is 4001, and so is MAXRESULTS over 1000 or STARTPOSITION
below 1. A reference field compares its Id (`CustomerRef = '58'`); MetaData times compare as
times. Name lists (customers, vendors, employees, items, accounts, tax codes and rates) answer
with active objects only unless the query says something about `Active`.

Answer: `{"QueryResponse": {"Customer": [...], "startPosition": 1, "maxResults": n}}`, or
`{"QueryResponse": {}}` when nothing matches, or `{"QueryResponse": {"totalCount": n}}` for COUNT.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from booksync_emulators.quickbooks import errors
from booksync_emulators.quickbooks.entities import Entity, entity_named
from booksync_emulators.quickbooks.store import Realm, Record
from booksync_emulators.quickbooks.wire import parse_time

DEFAULT_MAX, LIMIT_MAX = 100, 1000
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|<>|[=<>(),*])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_COMPARISONS = ("=", "<", "<=", ">", ">=")

Predicate = Callable[[Record], bool]


@dataclass
class Query:
    entity: Entity
    count: bool = False
    fields: list[str] | None = None  # None: all
    conditions: list[tuple[str, str, Any]] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start: int = 1
    limit: int = DEFAULT_MAX


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, text.strip().rstrip(";")
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise errors.query_parse(f'Encountered "{text[pos : pos + 20]}" at column {pos + 1}.')
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

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        at = self.pos + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def word(self, *words: str) -> bool:
        """Consume the next token if it is one of `words` (keywords ignore case)."""
        token = self.peek()
        if token and token[0] == "word" and token[1].upper() in words:
            self.pos += 1
            return True
        return False

    def expect(self, kind: str, value: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1].upper() != value):
            seen = token[1] if token else "<EOF>"
            raise errors.query_parse(f'Encountered "{seen}"; was expecting {value or kind}.')
        self.pos += 1
        return token[1]

    def parse(self) -> Query:
        self.expect("word", "SELECT")
        count, names = False, None
        if self.word("COUNT"):
            self.expect("op", "(")
            self.expect("op", "*")
            self.expect("op", ")")
            count = True
        elif self.peek() == ("op", "*"):
            self.pos += 1
            # `SELECT *, Sku FROM Item`: all fields, and these too. QBO answers it (python-quickbooks
            # 0.9.12 sends it for Item.all(), since "the API doesn't retrieve [Sku] by default",
            # routablehq/python-quickbooks#373); the emulator returns every field anyway.
            while self.peek() == ("op", ","):
                self.pos += 1
                self.expect("word")
        else:
            names = [self.expect("word")]
            while self.peek() == ("op", ","):
                self.pos += 1
                names.append(self.expect("word"))
        self.expect("word", "FROM")
        entity_name = self.expect("word")
        entity = entity_named(entity_name)
        if entity is None:
            raise errors.query_parse(f'Invalid entity "{entity_name}".')
        query = Query(entity, count=count)
        if names is not None:
            query.fields = [_field(entity, n) for n in names]
        if self.word("WHERE"):
            query.conditions.append(self.condition(entity))
            while self.word("AND"):
                query.conditions.append(self.condition(entity))
        if self.word("ORDERBY") or (self.word("ORDER") and self.word("BY")):
            query.order.append(self.ordering(entity))
            while self.peek() == ("op", ","):
                self.pos += 1
                query.order.append(self.ordering(entity))
        if self.word("STARTPOSITION"):
            query.start = int(self.expect("number"))
        if self.word("MAXRESULTS"):
            query.limit = int(self.expect("number"))
        if self.peek() is not None:
            raise errors.query_parse(f'Encountered "{self.peek()[1]}" after the end of the query.')  # type: ignore[index]
        if query.start < 1:
            raise errors.query_invalid(f"STARTPOSITION {query.start} must be 1 or more")
        if not 1 <= query.limit <= LIMIT_MAX:
            raise errors.query_invalid(
                f"MAXRESULTS {query.limit} must be between 1 and {LIMIT_MAX}"
            )
        return query

    def condition(self, entity: Entity) -> tuple[str, str, Any]:
        name = _field(entity, self.expect("word"))
        if self.word("IN"):
            self.expect("op", "(")
            values = [self.value()]
            while self.peek() == ("op", ","):
                self.pos += 1
                values.append(self.value())
            self.expect("op", ")")
            return name, "IN", values
        if self.word("LIKE"):
            return name, "LIKE", self.expect("string")[1:-1].replace("\\'", "'")
        token = self.peek()
        if token is None or token[0] != "op" or token[1] not in _COMPARISONS:
            seen = token[1] if token else "<EOF>"
            raise errors.query_parse(
                f'Encountered "{seen}"; was expecting one of =, <, <=, >, >=, IN, LIKE.'
            )
        self.pos += 1
        return name, token[1], self.value()

    def value(self) -> Any:
        token = self.peek()
        if token is None:
            raise errors.query_parse('Encountered "<EOF>"; was expecting a value.')
        self.pos += 1
        kind, text = token
        if kind == "string":
            return text[1:-1].replace("\\'", "'")
        if kind == "number":
            return Decimal(text)
        if kind == "word" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise errors.query_parse(f'Encountered "{text}"; was expecting a value.')

    def ordering(self, entity: Entity) -> tuple[str, bool]:
        name = _field(entity, self.expect("word"))
        descending = self.word("DESC")
        if not descending:
            self.word("ASC")
        return name, descending


def _field(entity: Entity, name: str) -> str:
    """The field's canonical spelling, or 4001 when the entity does not allow it in queries."""
    for known in entity.queryable:
        if known.lower() == name.lower():
            return known
    raise errors.query_invalid(f"property '{name}' is not queryable for {entity.name}")


def parse(text: str) -> Query:
    if not text or not text.strip():
        raise errors.query_parse("the query is empty.")
    return _Parser(text).parse()


# -- running ---------------------------------------------------------------------------------------


def _get(record: Record, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if isinstance(value, dict):
        value = value.get("value", value.get("Address"))
    return value


def _comparable(value: Any, literal: Any, path: str) -> tuple[Any, Any] | None:
    """Both sides in one comparable type, or None when they cannot be compared."""
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(literal, bool):
        return (value, literal) if isinstance(value, bool) and isinstance(literal, bool) else None
    if path.startswith("MetaData."):
        try:
            return parse_time(str(value)), parse_time(str(literal))
        except ValueError:
            raise errors.query_invalid(f"'{literal}' is not a date-time for {path}") from None
    if isinstance(value, Decimal | int) or (path == "Id" and str(value).isdigit()):
        try:
            return Decimal(str(value)), Decimal(str(literal))
        except InvalidOperation:
            return None
    return str(value).casefold(), str(literal).casefold()


def _test(path: str, op: str, literal: Any) -> Predicate:
    if op == "IN":
        return lambda r: any(_test(path, "=", v)(r) for v in literal)
    if op == "LIKE":
        pattern = re.compile(
            "^" + ".*".join(re.escape(p) for p in str(literal).split("%")) + "$",
            re.IGNORECASE | re.DOTALL,
        )
        return lambda r: _get(r, path) is not None and bool(pattern.match(str(_get(r, path))))

    def compare(record: Record) -> bool:
        pair = _comparable(_get(record, path), literal, path)
        if pair is None:
            return False
        a, b = pair
        return {
            "=": a == b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b,
        }[op]  # fmt: skip

    return compare


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool | Decimal | int):
        return (1, Decimal(int(value)) if isinstance(value, bool) else Decimal(value))
    text = str(value)
    return (1, Decimal(text)) if text.isdigit() else (2, text.casefold())


def _field_key(path: str, record: Record) -> tuple[int, Any]:
    return _sort_key(_get(record, path))


def run(realm: Realm, query: Query) -> dict[str, Any]:
    """The `QueryResponse` of a parsed query."""
    tests = [_test(path, op, value) for path, op, value in query.conditions]
    if query.entity.name_list and not any(path == "Active" for path, _, _ in query.conditions):
        tests.append(lambda r: r.get("Active", True) is True)
    matched = [r for r in realm.table(query.entity.name).values() if all(t(r) for t in tests)]
    if query.count:
        return {"totalCount": len(matched)}
    matched.sort(key=lambda r: _sort_key(r["Id"]))
    for path, descending in reversed(query.order):
        matched.sort(key=partial(_field_key, path), reverse=descending)
    page = matched[query.start - 1 : query.start - 1 + query.limit]
    if not page:
        return {}
    if query.fields is not None:
        page = [_project(r, query.fields) for r in page]
    return {query.entity.name: page, "startPosition": query.start, "maxResults": len(page)}


def _project(record: Record, names: list[str]) -> Record:
    out: Record = {"domain": "QBO", "sparse": True}
    for name in names:
        head = name.split(".")[0]
        if head in record:
            out[head] = record[head]
    return out

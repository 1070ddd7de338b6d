"""Errors every layer raises and every face shows the same way: one line naming the field, the value
and what is accepted.

They live below every layer (like `booksync.clock`) so that a tool's package can refuse a setting
with the same message a form field would give, without importing the service layer.
"""

from __future__ import annotations

from collections.abc import Iterable


class BooksyncError(Exception):
    """Something the user asked cannot be done; the message says why in plain words."""


class BadInput(BooksyncError):
    """An input value that is not accepted. Nothing was written."""

    def __init__(
        self, field: str, value: object, problem: str, accepted: str | None = None
    ) -> None:
        self.field = field
        self.value = value
        self.problem = problem
        self.accepted = accepted
        shown = repr(value) if not isinstance(value, str) else f"'{value}'"
        text = f"{field}: {shown} {problem}"
        if accepted:
            text += f"; accepted: {accepted}"
        super().__init__(text)


class NotFound(BadInput):
    """A reference (name, number, code or id) that matches no record."""


class Conflict(BadInput):
    """A value that would duplicate or orphan another record."""


def one_of(values: Iterable[str], *, limit: int = 8) -> str:
    """'a', 'b', 'c' ... for an `accepted` hint, shortened for long lists."""
    items = [f"'{v}'" for v in values]
    if not items:
        return "none exist yet"
    more = len(items) - limit
    shown = ", ".join(items[:limit])
    return shown + (f" (and {more} more)" if more > 0 else "")

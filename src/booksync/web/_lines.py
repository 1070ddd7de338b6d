"""A document's lines on its form: rows named `lines-N-field`, read back into the services' lines."""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData

from booksync.services.serialize import money, number
from booksync.store.models import Document

LINE_FIELDS = ("product", "description", "quantity", "unit_price", "tax_rate")
ROW = re.compile(r"^lines-(\d+)-(product|description|quantity|unit_price|tax_rate|remove)$")
#: Empty rows a new document's form starts with; an edited one gets one more than it has.
NEW_ROWS = 3

Line = dict[str, str]


def current_lines(document: Document | None) -> list[Line]:
    """The document's lines as form text (a new document has none)."""
    if document is None:
        return []
    return [
        {
            "product": line.product.name,
            "description": line.description or "",
            "quantity": number(line.quantity),
            "unit_price": money(line.unit_price, document.currency) or "",
            "tax_rate": f"#{line.tax_rate_id}" if line.tax_rate_id is not None else "",
        }
        for line in document.lines
    ]


def submitted_lines(form: FormData) -> list[Line]:
    """The rows sent, in order, without removed rows and rows left entirely empty."""
    rows: dict[int, Line] = {}
    removed: set[int] = set()
    for key, value in form.multi_items():
        match = ROW.match(key)
        if match is None or not isinstance(value, str):
            continue
        index, name = int(match.group(1)), match.group(2)
        if name == "remove":
            removed.add(index)
        else:
            rows.setdefault(index, {f: "" for f in LINE_FIELDS})[name] = value.strip()
    return [
        row
        for index, row in sorted(rows.items())
        if index not in removed and any(row[f] for f in ("product", "description", "unit_price"))
    ]


def blank_line() -> Line:
    return {f: "" for f in LINE_FIELDS}


def line_input(row: Line) -> dict[str, Any]:
    """One row as the services' line input: empty fields take the product's defaults."""
    data: dict[str, Any] = {"product": row["product"]}
    if row["quantity"]:
        data["quantity"] = row["quantity"]
    data["unit_price"] = row["unit_price"] or None
    data["description"] = row["description"] or None
    data["tax_rate"] = row["tax_rate"] or None
    return data

"""The "In the tool" section of an invoice's or credit note's page: its status in the tool, the
amount paid and due, and its payments with their dates (from `services.inbound`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from booksync.services.inbound import standing

#: Status words as a person reads them.
STATUS_WORDS = {
    "draft": "Draft",
    "open": "Open (nothing paid)",
    "part_paid": "Partly paid",
    "paid": "Paid",
    "voided": "Voided",
    "deleted": "Deleted",
}


def payments_context(session: Session, document: Any) -> dict[str, Any]:
    """The section's data; `in_tool` is None until booksync has read the document back."""
    found = standing(session, document).to_json()
    found["status_words"] = STATUS_WORDS.get(found["status"] or "", found["status"])
    return {"in_tool": found}


#: The document pages that show the section (slugs of `_pages.PAGES`).
PAYMENT_PAGES = {"invoices": payments_context, "credit-notes": payments_context}

__all__ = ["PAYMENT_PAGES", "payments_context"]

"""Invoices, sales orders, purchase orders and credit notes, and their lines: one service per kind
over the one documents table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.domain.types import SUPPLIER_DOCUMENTS, DocumentStatus, EntityType
from booksync.services.errors import BadInput, Conflict
from booksync.services.inputs import CreditNoteInput, DocumentInput, LineInput
from booksync.services.record_type import counted, page, validate
from booksync.services.references import find
from booksync.store.models import Client, Document, DocumentLine, Product, Supplier, TaxRate


def _now() -> datetime:
    return datetime.now(UTC)


class Documents:
    """Invoices, sales orders, purchase orders and credit notes: one table, a kind each."""

    def __init__(self, kind: EntityType) -> None:
        assert kind.is_document
        self.kind = kind
        self.name = kind.value
        self.label = kind.label
        self.party_model: type[Client | Supplier] = (
            Supplier if kind in SUPPLIER_DOCUMENTS else Client
        )
        self.party_field = "supplier" if kind in SUPPLIER_DOCUMENTS else "client"
        self.input: type[DocumentInput] = (
            CreditNoteInput if kind is EntityType.CREDIT_NOTE else DocumentInput
        )

    def get(self, session: Session, ref: str | int) -> Document:
        return find(session, Document, ref, field=self.name, kind=self.kind)

    def list(
        self,
        session: Session,
        *,
        search: str | None = None,
        limit: int = 100,
        offset: int = 0,
        filters: Mapping[str, Any] | None = None,
    ) -> Sequence[Document]:
        kind = (Document.kind == self.kind.value,)
        return page(session, Document, kind, search, filters, limit, offset)

    def count(self, session: Session, *, search: str | None = None) -> int:
        return counted(session, Document, (Document.kind == self.kind.value,), search)

    def create(self, session: Session, data: Mapping[str, Any] | BaseModel) -> Document:
        values = validate(self.input, data).given()
        for name, hint in (
            ("number", f"a {self.label} number"),
            ("party", f"a {self.party_field}"),
        ):
            if not values.get(name):
                raise BadInput(self._field(name), values.get(name), "is required", hint)
        if not values.get("lines"):
            raise BadInput(
                "lines", [], "are required", "at least one line, PRODUCT:QUANTITY[:PRICE]"
            )
        values.setdefault("issue_date", datetime.now(UTC).date())
        document = Document(kind=self.kind.value)
        self._apply(session, document, values)
        session.add(document)
        session.flush()
        return document

    def update(
        self, session: Session, ref: str | int, data: Mapping[str, Any] | BaseModel
    ) -> Document:
        document = self.get(session, ref)
        values = validate(self.input, data).given()
        for name in ("number", "party", "issue_date"):
            if name in values and not values[name]:
                raise BadInput(self._field(name), values[name], "cannot be emptied", None)
        if "lines" in values and not values["lines"]:
            raise BadInput("lines", [], "cannot be emptied", "at least one line")
        self._apply(session, document, values)
        document.updated_at = _now()  # a change of lines alone is still an edit of the document
        session.flush()
        return document

    def delete(self, session: Session, ref: str | int) -> Document:
        document = self.get(session, ref)
        session.delete(document)
        session.flush()
        return document

    def _field(self, name: str) -> str:
        return self.party_field if name == "party" else name

    def _apply(self, session: Session, document: Document, values: dict[str, Any]) -> None:
        if "number" in values and values["number"] != document.number:
            clash = session.scalars(
                select(Document.id).where(
                    Document.kind == self.kind.value, Document.number == values["number"]
                )
            ).first()
            if clash is not None:
                raise Conflict(
                    "number",
                    values["number"],
                    f"is already used by another {self.label}",
                    f"a number no other {self.label} uses",
                )
            document.number = values["number"]
        party = None
        if "party" in values:
            party = find(session, self.party_model, values["party"], field=self.party_field)
            if self.party_model is Supplier:
                document.supplier_id, document.client_id = party.id, None
            else:
                document.client_id, document.supplier_id = party.id, None
        for name in ("issue_date", "due_date", "status", "exchange_rate", "tracking"):
            if name in values:
                setattr(document, name, values[name])
        if "reference" in values:
            document.reference_text = values["reference"] or ""
        if "currency" in values and values["currency"]:
            document.currency = values["currency"]
        elif document.id is None:
            document.currency = party.currency if party is not None else "AUD"
        if document.due_date and document.issue_date and document.due_date < document.issue_date:
            raise BadInput(
                "due_date",
                document.due_date.isoformat(),
                "is before the issue date",
                f"{document.issue_date.isoformat()} or later",
            )
        if "credits" in values:
            document.credited_document_id = self._credited(session, values["credits"])
        if document.credited_document_id is not None and values.keys() & {
            "credits",
            "party",
            "currency",
        }:
            self._check_credited(session, document)
        if "lines" in values:
            document.lines = [
                self._line(session, position, line)
                for position, line in enumerate(values["lines"], start=1)
            ]

    def _credited(self, session: Session, ref: str | None) -> int | None:
        if not ref:
            return None
        return find(session, Document, ref, field="credits", kind=EntityType.INVOICE).id

    def _check_credited(self, session: Session, document: Document) -> None:
        """A credit note credits an invoice it can be allocated to: the same client's (what it
        owes is reduced, not somebody else's), in the same currency (an allocation moves one
        amount), and not voided (nothing is owed on it)."""
        invoice = session.get(Document, document.credited_document_id)
        if invoice is None:  # pragma: no cover - the id was just found, in this transaction
            return
        client = session.get(Client, document.client_id) if document.client_id else None
        theirs = invoice.client.name if invoice.client is not None else "no client"
        if client is None or invoice.client_id != client.id:
            mine = client.name if client is not None else "this credit note's client"
            raise BadInput(
                "credits",
                invoice.number,
                f"is an invoice of client '{theirs}', not of '{mine}'",
                f"an invoice of client '{mine}'",
            )
        if invoice.status == DocumentStatus.VOIDED.value:
            raise BadInput(
                "credits", invoice.number, "is voided: nothing can be allocated to it",
                "an invoice that is not voided",
            )  # fmt: skip
        if invoice.currency != document.currency:
            raise BadInput(
                "credits",
                invoice.number,
                f"is in {invoice.currency}, the credit note in {document.currency}",
                f"an invoice in {document.currency}, or the credit note in {invoice.currency}",
            )

    def _line(self, session: Session, position: int, line: LineInput) -> DocumentLine:
        where = f"lines[{position}]"
        product = find(session, Product, line.product, field=f"{where}.product")
        rate = (
            find(session, TaxRate, line.tax_rate, field=f"{where}.tax_rate")
            if line.tax_rate
            else None
        )
        default_price = product.cost if self.kind in SUPPLIER_DOCUMENTS else product.price
        return DocumentLine(
            position=position,
            product_id=product.id,
            description=line.description if line.description is not None else product.name,
            quantity=line.quantity,
            unit_price=line.unit_price if line.unit_price is not None else default_price,
            tax_rate_id=rate.id if rate else None,
        )

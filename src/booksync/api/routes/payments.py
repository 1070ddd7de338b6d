"""Payments and what comes back from the tools: list and record payments, run a pull."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from booksync.api.deps import SessionDep, StoreDep
from booksync.api.errors import in_body, in_place
from booksync.services.inbound import list_payments, payment_json, pull_now, record_payment
from booksync.services.inbound.payments import INVOICES, standing

router = APIRouter(tags=["payments"])


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice: str = Field(description="the invoice's number (or #id)", max_length=255)
    amount: str = Field(description='the amount received, as text: "49.00"', max_length=40)
    date: str = Field(description="the day it was received, YYYY-MM-DD", max_length=40)
    account: str = Field(description="the tool's code of the bank account, e.g. 090", max_length=50)
    reference: str = Field("", description="the payer's reference", max_length=255)


class PaymentOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int
    document: str | None = None
    amount: str
    currency: str
    paid_on: str
    reference: str
    account_code: str | None
    source: str = Field(description="tool (read from it) or booksync (recorded here)")
    status: str = Field(description="tool: recorded, deleted; booksync: pending, sent, failed")
    remote_id: str | None
    error: str | None


class PaymentsOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    payments: list[PaymentOut]
    document: dict[str, Any] | None = Field(
        None, description="the invoice's status, amount paid and due in its tool (when asked)"
    )


@router.get("/payments", name="list_payments", response_model=PaymentsOut)
def get_payments(
    session: SessionDep,
    document: Annotated[
        str | None, Query(description="one invoice's number", max_length=255)
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 500,
) -> dict[str, Any]:
    """Payments, newest first: read from the tools, and recorded in booksync; for one invoice,
    with what its tool says of it (status, amount paid and due)."""
    with in_place("query", "document"):
        rows = list_payments(session, document, limit=limit)
        found = standing(session, INVOICES.get(session, document)) if document else None
    return {
        "payments": [payment_json(p, number) for number, p in rows],
        "document": found.to_json() if found is not None else None,
    }


@router.post("/payments", name="record_payment", status_code=201, response_model=PaymentOut)
def post_payment(body: PaymentIn, session: SessionDep) -> dict[str, Any]:
    """Record a payment on an invoice; a worker (or `POST /pull`) writes it to the tool once."""
    with in_body():
        payment = record_payment(
            session, body.invoice, body.amount, body.date, body.account, body.reference
        )
        return payment_json(payment, body.invoice)


@router.post("/pull", name="pull")
def post_pull(
    store: StoreDep,
    tenant: Annotated[str | None, Query(description="one tenant's name", max_length=255)] = None,
) -> dict[str, Any]:
    """Read back from the tools now: handle waiting webhook events, poll each tenant's change
    feed, write pending payments; say what changed and how many calls it took."""
    with in_place("query", "tenant"):
        return pull_now(store, tenant).to_json()

"""What the two-way tests share (no tests here): synced books on the recording tool, a tool that
also holds payments and takes them from booksync, and webhooks signed as Xero signs them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from booksync.connectors.protocol import OutcomeUnknown
from booksync.connectors.two_way import PaymentPayload, RemotePayment, RemoteState
from booksync.domain.types import EntityType
from booksync.services.records import TENANTS
from booksync.store.db import Store
from booksync.store.models import Document, SyncJob
from booksync.sync.engine import Engine
from booksync_emulators.clock import VirtualClock
from booksync_emulators.recording import RecordingTool
from support.books import TENANT, ready_books

XERO_TENANT = "9d1b0f8e-33a1-4c0e-9f0a-1d2c3b4a5e6f"
WEBHOOK_KEY = "k3y-from-the-xero-app"


class PayingTool(RecordingTool):
    """The recording tool, with payments on its documents (`RemoteState.payments`) and
    `PaymentPush`: `lose_answers` applies that many payments and then loses the answer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.paid: dict[str, list[RemotePayment]] = {}
        self.payment_writes = 0
        self.lose_answers = 0

    def pay(self, remote_id: str, amount: Decimal, *, payment_id: str, ref: str = "") -> None:
        """A bookkeeper records a payment in the tool."""
        self.mark_paid(remote_id, amount)
        self.paid.setdefault(remote_id, []).append(
            RemotePayment(payment_id, remote_id, amount, date(2026, 11, 2), "AUD", ref)
        )

    def delete_payment(self, remote_id: str, payment_id: str) -> None:
        kept = [p for p in self.paid[remote_id] if p.remote_id != payment_id]
        gone = next(p for p in self.paid[remote_id] if p.remote_id == payment_id)
        self.paid[remote_id] = kept
        _, _, payload = self._object(remote_id)
        paid = Decimal(payload["amount_paid"]) - gone.amount
        due = Decimal(payload["amount_due"]) + gone.amount
        status = "part_paid" if paid else "open"
        self._save(
            remote_id,
            payload | {"amount_paid": str(paid), "amount_due": str(due), "status": status},
            "edited",
        )

    def _with_payments(self, state: RemoteState) -> RemoteState:
        return replace(state, payments=tuple(self.paid.get(state.remote_id, ())))

    def states(self, tenant: str, entity: EntityType, remote_ids: Sequence[str]) -> dict[str, Any]:
        found = super().states(tenant, entity, remote_ids)
        return {k: self._with_payments(v) for k, v in found.items()}

    def changes(self, tenant: str, entities: Sequence[EntityType], since: datetime | None) -> Any:
        for state in super().changes(tenant, entities, since):
            yield self._with_payments(state)

    def push_payment(self, tenant: str, payment: PaymentPayload) -> RemotePayment:
        self.payment_writes += 1
        made = RemotePayment(
            f"pay-{self.payment_writes}",
            payment.document_remote_id,
            payment.amount,
            payment.paid_on,
            payment.currency,
            payment.reference,
        )
        self.mark_paid(payment.document_remote_id, payment.amount)
        self.paid.setdefault(payment.document_remote_id, []).append(made)
        if self.lose_answers:
            self.lose_answers -= 1
            raise OutcomeUnknown("timed out after sending")
        return made

    def find_payment(self, tenant: str, payment: PaymentPayload) -> RemotePayment | None:
        return next(
            (
                p
                for p in self.paid.get(payment.document_remote_id, [])
                if p.reference == payment.reference and p.amount == payment.amount
            ),
            None,
        )


def synced_books(store: Store, tool: RecordingTool, invoices: int = 3) -> dict[str, str]:
    """Books synced to `tool`: invoice number -> its remote id."""
    names = ready_books(store, tool, invoices=invoices)
    engine = Engine(store, lambda tenant: tool, clock=VirtualClock())  # type: ignore[arg-type]
    try:
        engine.run_pass()
    finally:
        engine.close()
    with store.session() as s:
        rows = s.execute(
            select(Document.number, SyncJob.remote_id)
            .join(SyncJob, (SyncJob.record_id == Document.id) & (SyncJob.entity_type == "invoice"))
            .where(Document.number.in_(names["invoices"]))
        ).all()
    found = {number: str(remote) for number, remote in rows if remote}
    assert len(found) == invoices, f"not every invoice synced: {found}"
    return found


def xero_tenant(store: Store) -> None:
    """A Xero integration with one tenant (booksync's books stay on the ledger tenant)."""
    with store.session() as s:
        TENANTS.create_for(s, "xero", {"name": "Acme Xero", "remote_tenant_id": XERO_TENANT})


def signed(body: bytes, key: str = WEBHOOK_KEY) -> dict[str, str]:
    """The header Xero sends: base64(HMAC-SHA256(key, raw body))."""
    digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
    return {"x-xero-signature": base64.b64encode(digest).decode()}


def xero_body(*events: tuple[str, str], tenant: str = XERO_TENANT) -> bytes:
    """A Xero webhook body: (category, resource id) per event."""
    return json.dumps(
        {
            "events": [
                {
                    "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{rid}",
                    "resourceId": rid,
                    "eventDateUtc": "2026-11-02T09:00:00.000",
                    "eventType": "UPDATE",
                    "eventCategory": category,
                    "tenantId": tenant,
                    "tenantType": "ORGANISATION",
                }
                for category, rid in events
            ],
            "firstEventSequence": 1,
            "lastEventSequence": len(events),
            "entropy": "ABCDEFGHIJKLMNOPQRST",
        }
    ).encode()


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 2, hour, minute, tzinfo=UTC)


__all__ = ["TENANT"]

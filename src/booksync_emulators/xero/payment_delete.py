"""`POST /Payments/{PaymentID}` with `{"Status": "DELETED"}`: deleting a payment through the API
(spec operation deletePayment, tests/specs/xero/xero_accounting.yaml line 12211; body PaymentDelete,
line 23823, or `{"Payments": [{"Status": "DELETED"}]}` as in the spec's example, line 12305)."""

from __future__ import annotations

from datetime import datetime

from booksync_emulators.exchange import Request, Response
from booksync_emulators.xero import errors, settlements
from booksync_emulators.xero.errors import XeroError
from booksync_emulators.xero.resources import RESOURCES, _answer, _elements
from booksync_emulators.xero.store import Org
from booksync_emulators.xero.validation import Invalid


def delete_payment(org: Org, request: Request, now: datetime, payment_id: str) -> Response:
    """POST /Payments/{PaymentID} with `{"Status": "DELETED"}` (or `{"Payments": [{...}]}`, the
    spec's example, line 12305): deletes the payment (`settlements.remove_payment`)."""
    elements = _elements(RESOURCES["payments"], request)
    status = str(elements[0].get("Status") or "")
    if status != "DELETED":
        raise XeroError(
            errors.validation_failed(
                [settlements.refused(elements[0], [f"Status '{status}' must be DELETED."])]
            )
        )
    try:
        payment = settlements.remove_payment(org, payment_id, now)
    except Invalid as exc:
        if org.collection("Payments").get(payment_id) is None:
            raise XeroError(errors.not_found()) from None
        raise XeroError(
            errors.validation_failed([settlements.refused(elements[0], exc.messages)])
        ) from None
    return _answer("Payments", [dict(payment)], now)

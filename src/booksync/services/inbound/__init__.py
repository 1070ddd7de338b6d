"""What comes back from the tools (issue 13): webhooks received and handled, polling, the state
each linked record has in its tool, and payments both ways.

- `receiving.receive`: verify a webhook and store its events (no call to the tool).
- `processing.process_events`: read each announced record from the tool and record it.
- `recording.record_states`: the one place states, tool payments, drift and their timeline are kept.
- `polling.pull`: the change feed from a watermark, for what webhooks missed.
- `payments.record_payment` / `payment_push.push_payments`: payments recorded here, written once.
- `loop`: the worker's thread, and `pull_now` for `booksync pull`.
"""

from __future__ import annotations

from booksync.services.inbound.keys import WEBHOOK_PATH, read_webhook_key, set_webhook_key
from booksync.services.inbound.loop import Round, pull_now, start_two_way
from booksync.services.inbound.payment_push import Pushed, payment_key, push_payments
from booksync.services.inbound.payments import (
    DocumentStanding,
    list_payments,
    payment_json,
    record_payment,
    standing,
)
from booksync.services.inbound.polling import PullReport, TenantPull, pull
from booksync.services.inbound.processing import Processed, process_events
from booksync.services.inbound.receiving import Receipt, receive
from booksync.services.inbound.recording import Recorded, record_states

__all__ = [
    "WEBHOOK_PATH",
    "DocumentStanding",
    "Processed",
    "PullReport",
    "Pushed",
    "Receipt",
    "Recorded",
    "Round",
    "TenantPull",
    "list_payments",
    "payment_json",
    "payment_key",
    "process_events",
    "pull",
    "pull_now",
    "push_payments",
    "read_webhook_key",
    "receive",
    "record_payment",
    "record_states",
    "set_webhook_key",
    "standing",
    "start_two_way",
]

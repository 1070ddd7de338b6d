"""A local Xero for tests: the Accounting and Identity API subset booksync's connector uses, with
Xero's validation rules, limits, idempotency, token life and error shapes.

Start one in a test with `XeroEmulator(clock=...).serve().start()` (or the `xero_emulator`
fixture in tests/emulators/conftest.py), or from a shell with `booksync-emulator xero --port 8765`.
Module map: `app` (paths and the order of checks), `auth` (OAuth, connections), `grants` (the
tokens, codes and connections it keeps), `limits`, `idempotency`, `resources` (endpoints,
batches), `contacts`, `items`, `documents`, `lines` (totals), `tracking` (line tracking),
`postings` (currencies, lock dates, archived contacts), `settlements` (payments, credit-note
allocations), `settings` (Organisation, Currencies, TrackingCategories), `query`
(where/order/paging), `store` (one tenant's data, and what a bookkeeper sets up in Xero's own
screens: currencies, lock dates, tracking, archived contacts, hand-typed documents), `seed` (a new
org's chart), `wire` (JSON conventions), `errors`, `validation` (messages), `webhooks` (signed
events to a receiver: `emulator.webhooks`), `bookkeeper` (changes made in Xero's screens behind an
app's back), `payment_delete` (POST /Payments/{id} DELETED).
"""

from booksync_emulators.xero.app import (
    ACCOUNTING_PREFIX,
    AUTHORIZE_PATH,
    CONNECTIONS_PATH,
    REVOCATION_PATH,
    TOKEN_PATH,
    SeededTenant,
    XeroEmulator,
)
from booksync_emulators.xero.limits import XeroLimits
from booksync_emulators.xero.store import Org

__all__ = [
    "ACCOUNTING_PREFIX",
    "AUTHORIZE_PATH",
    "CONNECTIONS_PATH",
    "REVOCATION_PATH",
    "TOKEN_PATH",
    "Org",
    "SeededTenant",
    "XeroEmulator",
    "XeroLimits",
]

"""A local QuickBooks Online for tests: the v3 Accounting API subset booksync's connector uses and
Intuit's OAuth 2.0, with QBO's validation rules, throttles, requestid replay, token lives and Fault
shapes, for any number of companies (realms).

Start one in a test with `QuickBooksEmulator(clock=...).serve().start()` (or the
`quickbooks_emulator` fixture in tests/emulators/conftest.py), or from a shell with
`booksync-emulator quickbooks --port 8766`. Companies are Australian (AUD, GST codes) unless made
with `add_realm(..., country="US")` (USD, sales tax); `companies` sets one up for a test.
Module map: `app` (paths and the order of checks), `auth` (OAuth), `limits`, `entities` (create /
read / update / delete, SyncToken), `names` (customers, vendors, employees), `items`,
`transactions` (invoices, estimates, credit memos, sales receipts, purchase orders) with `forms`
(header fields), `lines` (lines, tax, totals) and `ustax` (US sales tax), `payments`, `voids`,
`refs`, `query`, `batch`, `store` (one realm's data), `company` (its settings, CompanyInfo,
Preferences), `seed` / `seed_us` (a new company's lists), `companies` (set-up for tests),
`fields` and `wire` (JSON conventions), `errors` (Fault shapes), `webhooks` (signed events, legacy
or CloudEvents: `emulator.webhooks`), `cdc` (Change Data Capture), `merges` (merging two
customers or vendors, as the UI does: `Realm.merge`).
"""

from booksync_emulators.quickbooks.app import API_PREFIX, QuickBooksEmulator, SeededRealm
from booksync_emulators.quickbooks.auth import (
    AUTHORIZE_PATH,
    DISCOVERY_PATH,
    REVOKE_PATH,
    TOKEN_PATH,
    TokenPolicy,
)
from booksync_emulators.quickbooks.limits import QboLimits
from booksync_emulators.quickbooks.store import Realm

__all__ = [
    "API_PREFIX",
    "AUTHORIZE_PATH",
    "DISCOVERY_PATH",
    "REVOKE_PATH",
    "TOKEN_PATH",
    "QboLimits",
    "QuickBooksEmulator",
    "Realm",
    "SeededRealm",
    "TokenPolicy",
]

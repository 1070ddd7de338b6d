"""The embedded ledger integration (`ledger`): Beancount v3 files, one per tenant.

Importing this package imports beancount (GPL-2.0), which is the optional extra
`booksync[ledger]`; the core reaches it only through `booksync.connectors.connector_for`.
"""

from booksync.connectors.ledger.connector import LedgerConnector

__all__ = ["LedgerConnector"]

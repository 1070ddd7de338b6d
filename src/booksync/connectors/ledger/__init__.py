"""The embedded ledger integration (`ledger`): Beancount v3 files, one per tenant.

Importing its connector imports beancount (GPL-2.0), which is the optional extra `booksync[ledger]`.

The package's `tool` module is what the entry point `booksync.tools` loads; it imports nothing heavy.
The names below are imported from their modules on first use, so registering the tool (e.g. for
`booksync --help`) never loads beancount.
"""

from __future__ import annotations

from booksync.connectors.lazy import lazy_exports

#: name -> the module of this package that defines it
_LAZY = {
    "LedgerConnector": "connector",
}

__all__ = sorted(_LAZY)
__getattr__ = lazy_exports(__name__, _LAZY)

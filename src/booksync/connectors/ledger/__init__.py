"""The embedded ledger integration (`ledger`): Beancount v3 files, one per tenant.

Importing its connector imports beancount (GPL-2.0), which is the optional extra `booksync[ledger]`.

The package's `tool` module is what the entry point `booksync.tools` loads; it imports nothing heavy.
The names below are imported from their modules on first use, so registering the tool (e.g. for
`booksync --help`) never loads beancount.
"""

from __future__ import annotations

import importlib
from typing import Any

#: name -> the module of this package that defines it
_LAZY = {
    "LedgerConnector": "connector",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)

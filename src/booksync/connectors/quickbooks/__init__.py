"""QuickBooks Online: the Accounting API v3 behind booksync's connector protocol (`connector.py`).

The package's `tool` module is what the entry point `booksync.tools` loads; it imports nothing heavy.
The names below are imported from their modules on first use, so registering the tool (e.g. for
`booksync --help`) never loads httpx or Authlib.
"""

from __future__ import annotations

from booksync.connectors.lazy import lazy_exports

#: name -> the module of this package that defines it
_LAZY = {
    "API_URL": "auth",
    "DISCOVERY_URL": "auth",
    "SANDBOX_API_URL": "auth",
    "SANDBOX_DISCOVERY_URL": "auth",
    "SCOPES": "auth",
    "TOKEN_URL": "auth",
    "Discovery": "auth",
    "discover": "auth",
    "quickbooks_app": "auth",
    "QuickBooksConnector": "connector",
    "request_id": "api",
}

__all__ = sorted(_LAZY)
__getattr__ = lazy_exports(__name__, _LAZY)

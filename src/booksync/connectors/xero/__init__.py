"""Xero: the Accounting API behind booksync's connector protocol (see `connector.py`).

The package's `tool` module is what the entry point `booksync.tools` loads; it imports nothing heavy.
The names below are imported from their modules on first use, so registering the tool (e.g. for
`booksync --help`) never loads httpx or Authlib.
"""

from __future__ import annotations

from booksync.connectors.lazy import lazy_exports

#: name -> the module of this package that defines it
_LAZY = {
    "API_URL": "connector",
    "IDENTITY_URL": "connector",
    "LOGIN_URL": "connector",
    "SCOPES": "connector",
    "XeroConnector": "connector",
    "connections_url_for": "connector",
    "xero_app": "connector",
}

__all__ = sorted(_LAZY)
__getattr__ = lazy_exports(__name__, _LAZY)

"""Xero: the Accounting API behind booksync's connector protocol (see `connector.py`).

The package's `tool` module is what the entry point `booksync.tools` loads; it imports nothing heavy.
The names below are imported from their modules on first use, so registering the tool (e.g. for
`booksync --help`) never loads httpx or Authlib.
"""

from __future__ import annotations

import importlib
from typing import Any

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)

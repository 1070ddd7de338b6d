"""QuickBooks Online: the Accounting API v3 behind booksync's connector protocol (`connector.py`)."""

from booksync.connectors.quickbooks.api import request_id
from booksync.connectors.quickbooks.auth import (
    API_URL,
    DISCOVERY_URL,
    SANDBOX_API_URL,
    SANDBOX_DISCOVERY_URL,
    SCOPES,
    TOKEN_URL,
    Discovery,
    discover,
    quickbooks_app,
)
from booksync.connectors.quickbooks.connector import QuickBooksConnector

__all__ = [
    "API_URL",
    "DISCOVERY_URL",
    "SANDBOX_API_URL",
    "SANDBOX_DISCOVERY_URL",
    "SCOPES",
    "TOKEN_URL",
    "Discovery",
    "QuickBooksConnector",
    "discover",
    "quickbooks_app",
    "request_id",
]

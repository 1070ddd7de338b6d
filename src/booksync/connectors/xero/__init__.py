"""Xero: the Accounting API behind booksync's connector protocol (see `connector.py`)."""

from booksync.connectors.xero.connector import (
    API_URL,
    IDENTITY_URL,
    LOGIN_URL,
    SCOPES,
    XeroConnector,
    connections_url_for,
    xero_app,
)

__all__ = [
    "API_URL",
    "IDENTITY_URL",
    "LOGIN_URL",
    "SCOPES",
    "XeroConnector",
    "connections_url_for",
    "xero_app",
]

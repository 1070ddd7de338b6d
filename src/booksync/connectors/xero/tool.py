"""Xero as a booksync tool: registered under the entry point `booksync.tools` as `xero`.

Limits are Xero's documented ones (developer.xero.com/faq/limits; tests/specs/api-facts.md): per
tenant 60 calls a minute, 5,000 a day and 5 at once; 10,000 a minute per app; about 50 elements per
request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from booksync.connectors.protocol import Connector, Limits
from booksync.connectors.tool import Connected, ConnectionMethod, ConnectRequest, TenantLink, Tool
from booksync.domain.types import EntityType

if TYPE_CHECKING:
    from booksync.connectors.two_way import WebhookFormat

LIMITS = Limits(
    batch_size={e: 50 for e in EntityType},
    calls_per_minute=60,
    concurrency=5,
    calls_per_day=5000,
    app_calls_per_minute=10000,
)


class XeroTool(Tool):
    kind = "xero"
    label = "Xero"
    order = 20
    summary = "Contacts, items, invoices, quotes, purchase orders and credit notes in Xero."
    connection = ConnectionMethod.OAUTH
    tenant_noun = "organisation"
    remote_id_label = "Xero tenant id"
    limits = LIMITS
    logo = "logo.svg"
    connect_help = (
        "Sign in to Xero (OAuth 2.0 with PKCE) and connect every organisation you authorise. "
        "Needs BOOKSYNC_XERO_CLIENT_ID; the app's redirect URI must be BOOKSYNC_XERO_REDIRECT_URI "
        "(default http://localhost:8765/callback)."
    )

    def connector(self, link: TenantLink | None = None, **settings: Any) -> Connector:
        from booksync.connectors.xero.connect import connector_for_link

        return connector_for_link(link, **settings)

    def connect(self, request: ConnectRequest) -> list[Connected]:
        from booksync.connectors.xero.connect import connect

        return connect(request)

    def webhooks(self) -> WebhookFormat:
        from booksync.connectors.xero.webhooks import XeroWebhooks

        return XeroWebhooks()


TOOL = XeroTool()

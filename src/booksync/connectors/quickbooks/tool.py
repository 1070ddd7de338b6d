"""QuickBooks Online as a booksync tool: registered under the entry point `booksync.tools` as
`quickbooks`.

Limits are Intuit's documented ones (tests/specs/api-facts.md): per realm 500 requests a minute,
10 a second and 10 at once; batches of at most 30 operations (and 40 batch requests a minute,
which the connector paces itself).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from booksync.connectors.protocol import Connector, Limits
from booksync.connectors.tool import Connected, ConnectionMethod, ConnectRequest, TenantLink, Tool
from booksync.domain.types import EntityType

if TYPE_CHECKING:
    from booksync.connectors.two_way import WebhookFormat

LIMITS = Limits(
    batch_size={e: 30 for e in EntityType},
    calls_per_minute=500,
    concurrency=10,
    calls_per_second=10,
)


class QuickBooksTool(Tool):
    kind = "quickbooks"
    label = "QuickBooks Online"
    order = 30
    summary = "Customers, vendors, items, invoices, estimates, purchase orders and credit memos."
    connection = ConnectionMethod.OAUTH
    tenant_noun = "company"
    remote_id_label = "realm"
    limits = LIMITS
    #: QuickBooks Online taxes each line and rounds it there: "QuickBooks Online will always
    #: calculate line-by-line" (Intuit staff, https://quickbooks.intuit.com/learn-support/en-ca/
    #: sales-customers/if-my-subtotal-is-95-40-and-my-gst-hst-is-15-the-total-tax/01/306952).
    tax_rounding = "line"
    logo = "logo.svg"
    connect_help = (
        "Sign in to QuickBooks Online (OAuth 2.0) and connect the company you choose; run it once "
        "per company. Needs BOOKSYNC_QUICKBOOKS_CLIENT_ID and BOOKSYNC_QUICKBOOKS_CLIENT_SECRET; the "
        "app's redirect URI must be BOOKSYNC_QUICKBOOKS_REDIRECT_URI (default "
        "http://localhost:8765/callback)."
    )

    def connector(self, link: TenantLink | None = None, **settings: Any) -> Connector:
        from booksync.connectors.quickbooks.connect import connector_for_link

        return connector_for_link(link, **settings)

    def connect(self, request: ConnectRequest) -> list[Connected]:
        from booksync.connectors.quickbooks.connect import connect

        return connect(request)

    def webhooks(self) -> WebhookFormat:
        from booksync.connectors.quickbooks.webhooks import QuickBooksWebhooks

        return QuickBooksWebhooks()


TOOL = QuickBooksTool()
